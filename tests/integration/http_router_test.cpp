// http::Router behind a real http::Server (both drivers): literal, parameter and wildcard
// routes and their priority, 404 and the fallback, 405 with Allow, automatic HEAD and OPTIONS,
// and middleware order. Malformed patterns are refused when routes are added.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <zokio/http/middleware.hpp>
#include <zokio/http/router.hpp>

#include "http_test_server.hpp"

namespace {

using zokio::Task;
using zokio::http::Request;
using zokio::http::Response;
using zokio::http::Router;
using zokio::test::exchange;

// Answers with what the router captured, so the test can see it.
zokio::http::Handler echo_route(std::string name) {
  return [name](Request& req) -> Task<Response> {
    std::string body = name;
    for (const char* p : {"id", "name", "rest", "path"}) {
      auto v = req.param(p);
      if (!v.empty()) body += std::string(" ") + p + "=" + std::string(v);
    }
    co_return Response::text(body);
  };
}

class RouterTest : public zokio::test::HttpServerFixture {
 protected:
  void SetUp() override {
    router_.get("/", echo_route("root"))
        .get("/users", echo_route("users"))
        .get("/users/new", echo_route("new-user"))
        .get("/users/:id", echo_route("user"))
        .put("/users/:id", echo_route("put-user"))
        .get("/users/:id/files/*rest", echo_route("user-files"))
        .get("/static/*path", echo_route("static"))
        .post("/only-post", echo_route("post"))
        .options("/custom-options", echo_route("custom-options"));
  }
  std::vector<zokio::test::Reply> send(std::string request, std::size_t count = 1) {
    return rt_.block_on(exchange(addr_, std::move(request), count));
  }
  zokio::test::Reply get(const std::string& target, const std::string& method = "GET") {
    auto r = send(method + " " + target + " HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(r.size(), 1u) << method << " " << target;
    return r.empty() ? zokio::test::Reply{} : r[0];
  }
  Router router_;
};

TEST_F(RouterTest, RoutesLiteralsParametersAndWildcards) {
  start_server(router_.handler());
  EXPECT_EQ(get("/").body, "root");
  EXPECT_EQ(get("/users").body, "users");
  EXPECT_EQ(get("/users/new").body, "new-user");  // a literal beats a parameter
  EXPECT_EQ(get("/users/42").body, "user id=42");
  EXPECT_EQ(get("/users/42?x=1").body, "user id=42");  // the query is not part of the path
  EXPECT_EQ(get("/users/%41b").body, "user id=%41b");  // parameters stay percent-encoded
  EXPECT_EQ(get("/users/7/files/a/b/c.txt").body, "user-files id=7 rest=a/b/c.txt");
  EXPECT_EQ(get("/users/7/files/").body, "user-files id=7");  // an empty wildcard matches
  EXPECT_EQ(get("/static/css/site.css").body, "static path=css/site.css");
  EXPECT_EQ(get("http://t/users/9").body, "user id=9");  // absolute-form target
  EXPECT_EQ(get("/users/42", "PUT").body, "put-user id=42");
}

TEST_F(RouterTest, UnknownPathsAre404) {
  start_server(router_.handler());
  for (const char* path : {"/nope", "/users/1/2", "/users/", "/static", "//users", "/USERS"}) {
    EXPECT_EQ(get(path).status, 404) << path;
  }
}

TEST_F(RouterTest, FallbackAnswersUnroutedPaths) {
  router_.fallback([](Request& req) -> Task<Response> {
    co_return Response::text("fallback " + std::string(req.path()), 200);
  });
  start_server(router_.handler());
  EXPECT_EQ(get("/anything/else").body, "fallback /anything/else");
  EXPECT_EQ(get("/users/5").body, "user id=5");
  EXPECT_EQ(get("/users/5", "DELETE").status, 405);  // a routed path keeps its 405
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  start_server(router_.handler());
  auto r = get("/users/1", "DELETE");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS, PUT");
  auto p = get("/only-post", "GET");
  EXPECT_EQ(p.status, 405);
  EXPECT_EQ(p.header("Allow"), "OPTIONS, POST");
}

// RFC 9110 §15.6.2: a method the server does not implement at all is 501; CONNECT (a tunnel)
// too. A known method, or one some route registers, that the resource lacks stays 405.
TEST_F(RouterTest, UnknownMethodsAre501) {
  router_.route("PURGE", "/cache", echo_route("purge"));
  start_server(router_.handler());
  EXPECT_EQ(get("/users/1", "BREW").status, 501);
  EXPECT_EQ(get("/nowhere", "BREW").status, 501);
  EXPECT_EQ(get("x:443", "CONNECT").status, 501);
  EXPECT_EQ(get("/users/1", "PATCH").status, 405);
  EXPECT_EQ(get("/users/1", "PURGE").status, 405);  // registered elsewhere: known
  EXPECT_EQ(get("/cache", "PURGE").body, "purge");
}

// Absolute-form targets route on the path after the authority (RFC 9112 §3.2.2).
TEST_F(RouterTest, AbsoluteFormRoutesOnItsPath) {
  start_server(router_.handler());
  EXPECT_EQ(get("http://t/users/9").body, "user id=9");
  EXPECT_EQ(get("http://[::1]:8080/users/7?x=1").body, "user id=7");
  EXPECT_EQ(get("http://t").body, "root");
  EXPECT_EQ(get("http://t?q=1").body, "root");
  EXPECT_EQ(get("http://user@t/users/9").status, 400);
}

TEST_F(RouterTest, HeadUsesTheGetRouteWithoutABody) {
  start_server(router_.handler());
  auto replies =
      rt_.block_on([](zokio::net::SocketAddr addr) -> Task<std::vector<zokio::test::Reply>> {
        auto st = (co_await zokio::net::TcpStream::connect(addr)).value();
        std::string head_req = "HEAD /users/42 HTTP/1.1\r\nHost: t\r\n\r\n";
        std::string get_req = "GET /users/42 HTTP/1.1\r\nHost: t\r\n\r\n";
        (void)co_await st.write_all(head_req);
        auto head = co_await zokio::test::read_replies(st, 1, /*head_request=*/true);
        (void)co_await st.write_all(get_req);  // same connection: HEAD sent no body to skip
        auto get = co_await zokio::test::read_replies(st, 1);
        head.insert(head.end(), get.begin(), get.end());
        co_return head;
      }(addr_));
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_EQ(replies[0].header("Content-Length"), "10");  // as GET would send: "user id=42"
  EXPECT_TRUE(replies[0].body.empty());
  EXPECT_EQ(replies[1].body, "user id=42");  // the next response starts where HEAD's ended
}

TEST_F(RouterTest, OptionsListsTheMethods) {
  start_server(router_.handler());
  auto r = get("/users/1", "OPTIONS");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD, OPTIONS, PUT");
  EXPECT_EQ(get("/custom-options", "OPTIONS").body, "custom-options");
  auto star = get("*", "OPTIONS");
  EXPECT_EQ(star.status, 204);
  EXPECT_NE(star.header("Allow").find("GET"), std::string::npos);
}

TEST_F(RouterTest, MiddlewareRunsOutermostFirst) {
  auto tag = [](std::string name) {
    return zokio::http::Middleware(
        [name](Request& req, const zokio::http::Handler& next) -> Task<Response> {
          if (req.header("x-stop") == name) co_return Response::text("stopped by " + name, 403);
          auto r = co_await next(req);
          r.header("X-Trace", name);
          co_return r;
        });
  };
  router_.use(tag("outer")).use(tag("inner"));
  start_server(router_.handler());
  auto r = get("/users");
  // Headers are appended as each layer returns: inner first, then outer.
  auto inner_at = r.head.find("X-Trace: inner"), outer_at = r.head.find("X-Trace: outer");
  ASSERT_NE(inner_at, std::string::npos);
  ASSERT_NE(outer_at, std::string::npos);
  EXPECT_LT(inner_at, outer_at);
  auto stopped = send("GET /users HTTP/1.1\r\nHost: t\r\nX-Stop: outer\r\n\r\n");
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].status, 403);
  EXPECT_EQ(stopped[0].header("X-Trace"), "");  // the inner layers never ran
  // Middleware also wraps the 404 of an unrouted path.
  EXPECT_EQ(get("/missing").header("X-Trace"), "inner");
}

TEST(RouterPatterns, MalformedPatternsAreRefused) {
  Router r;
  auto h = echo_route("x");
  EXPECT_THROW(r.get("", h), std::invalid_argument);
  EXPECT_THROW(r.get("users", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/:", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/*", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/*rest/b", h), std::invalid_argument);
  EXPECT_THROW(r.get("/a/:x/:x", h), std::invalid_argument);
  EXPECT_THROW(r.get("/:a/:b/:c/:d/:e/:f/:g/:h/:i", h), std::invalid_argument);
  r.get("/a/:id", h);
  EXPECT_THROW(r.get("/a/:id", h), std::invalid_argument);      // routed twice
  EXPECT_THROW(r.post("/a/:other", h), std::invalid_argument);  // same path, other name
  EXPECT_NO_THROW(r.post("/a/:id", h));
  EXPECT_EQ(r.allowed_methods("/a/1"), "GET, HEAD, OPTIONS, POST");
  EXPECT_EQ(r.allowed_methods("/b"), "");
}

}  // namespace
