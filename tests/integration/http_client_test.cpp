// http::Client against http::Server and against hand-written responses: keep-alive reuse,
// bodies both ways, chunked and read-until-close responses, errors and timeouts.
#include <gtest/gtest.h>

#include <zokio/http/client.hpp>
#include <zokio/http/server.hpp>

#include "http_test_server.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::IoResult;
using zokio::Task;
using zokio::http::Client;
using zokio::http::ClientRequest;
using zokio::http::ClientResponse;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;

Task<zokio::http::Response> handler(zokio::http::Request& req) {
  if (req.path() == "/echo") {
    auto body = co_await req.body();
    co_return zokio::http::Response::text(body ? std::string(*body) : "error");
  }
  if (req.path() == "/slow") co_await zokio::sleep(500ms);
  co_return zokio::http::Response::text("hello " + std::string(req.target()));
}

class HttpClient : public zokio::test::HttpServerFixture {
 protected:
  void SetUp() override { start_server(handler); }
};

TEST_F(HttpClient, GetByUrlAndKeepAliveReuse) {
  auto [bodies, opened] =
      rt_.block_on([](SocketAddr addr) -> Task<std::pair<std::vector<std::string>, std::size_t>> {
        Client client;
        std::vector<std::string> bodies;
        for (int i = 0; i < 10; ++i) {
          auto r =
              co_await client.get("http://" + addr.to_string() + "/n" + std::to_string(i) + "?q=1");
          bodies.push_back(r ? r->body : r.error().message());
        }
        co_return std::pair{bodies, client.connections_opened()};
      }(addr_));
  ASSERT_EQ(bodies.size(), 10u);
  EXPECT_EQ(bodies[3], "hello /n3?q=1");
  EXPECT_EQ(opened, 1u);  // one connection served all ten
  EXPECT_EQ(server_->stats().connections_total, 1u);
}

// The task get() returns is lazy: it runs after the string the URL came from is gone, and
// spawned on another worker. It must have kept its own copy (ASan checks the memory side).
TEST_F(HttpClient, GetOutlivesTheUrlString) {
  auto body = rt_.block_on([](SocketAddr addr) -> Task<std::string> {
    Client client;
    Task<IoResult<ClientResponse>> pending;
    {
      std::string url = "http://" + addr.to_string() + "/a-path-long-enough-for-the-heap?q=1";
      pending = client.get(url);
      url.assign(url.size(), 'x');  // and overwritten, had the task kept a view
    }
    auto handle = zokio::spawn(std::move(pending));
    auto r = co_await handle;
    co_return r ? r->body : r.error().message();
  }(addr_));
  EXPECT_EQ(body, "hello /a-path-long-enough-for-the-heap?q=1");
}

TEST_F(HttpClient, PostBody) {
  auto r = rt_.block_on([](SocketAddr addr) -> Task<IoResult<ClientResponse>> {
    Client client;
    ClientRequest req;
    req.method = "POST";
    req.target = "/echo";
    req.body = std::string(50'000, 'p');
    auto resp = co_await client.request(addr, std::move(req));
    co_return resp;
  }(addr_));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(50'000, 'p'));
  EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8");
}

TEST_F(HttpClient, PipelinedRequestsComeBackInOrder) {
  auto r = rt_.block_on([](SocketAddr addr) -> Task<IoResult<std::vector<ClientResponse>>> {
    Client client;
    std::vector<ClientRequest> reqs(20);
    for (int i = 0; i < 20; ++i) reqs[i].target = "/p" + std::to_string(i);
    reqs[7].method = "POST";
    reqs[7].target = "/echo";
    reqs[7].body = "seven";
    reqs[9].method = "HEAD";
    auto resp = co_await client.pipeline(addr, std::move(reqs));
    EXPECT_EQ(client.connections_opened(), 1u);
    co_return resp;
  }(addr_));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 20u);
  EXPECT_EQ((*r)[0].body, "hello /p0");
  EXPECT_EQ((*r)[7].body, "seven");
  EXPECT_TRUE((*r)[9].body.empty());
  EXPECT_EQ((*r)[19].body, "hello /p19");
}

TEST_F(HttpClient, RequestTimeout) {
  auto r = rt_.block_on([](SocketAddr addr) -> Task<IoResult<ClientResponse>> {
    zokio::http::ClientConfig cfg;
    cfg.request_timeout = 50ms;
    Client client(cfg);
    auto resp = co_await client.get("http://" + addr.to_string() + "/slow");
    co_return resp;
  }(addr_));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

TEST(HttpClientRaw, ChunkedAndUntilCloseResponses) {
  auto rt = zokio::test::make_runtime(2);
  auto listener = TcpListener::bind(zokio::test::loopback(0)).value();
  auto addr = listener.local_addr().value();
  auto server = rt.spawn([](TcpListener l) -> Task<void> {
    for (int i = 0; i < 2; ++i) {
      auto a = co_await l.accept();
      char buf[1024];
      auto n = co_await a->stream.read(buf, sizeof(buf));
      (void)n;
      std::string reply = i == 0 ? "HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n"
                                   "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                                 : "HTTP/1.0 200 OK\r\n\r\nuntil the end";
      auto w = co_await a->stream.write_all(reply);
      (void)w;
      if (i == 1)
        a->stream.close();
      else
        co_await zokio::sleep(20ms);
    }
  }(std::move(listener)));
  auto [a, b] = rt.block_on([](SocketAddr addr) -> Task<std::pair<std::string, std::string>> {
    Client client;
    ClientRequest plain;  // named: a braced temporary inside co_await trips g++ 12
    auto r1 = co_await client.request(addr, plain);
    auto r2 = co_await client.request(addr, plain);
    // obs-fold in a response is unfolded (RFC 9112 §5.2: a user agent MUST accept it).
    if (r1) {
      EXPECT_EQ(r1->header("x-folded"), "a   b");
    }
    co_return std::pair{r1 ? r1->body : r1.error().message(), r2 ? r2->body : r2.error().message()};
  }(addr));
  EXPECT_EQ(a, "hello world");
  EXPECT_EQ(b, "until the end");
  rt.block_on([](auto h) -> Task<void> { co_await h; }(std::move(server)));
}

TEST(HttpClientRaw, ErrorsAreValues) {
  auto rt = zokio::test::make_runtime(1);
  auto probe = TcpListener::bind(zokio::test::loopback(0)).value();
  auto closed_addr = probe.local_addr().value();
  probe.close();
  auto [refused, bad_url, bad_header] = rt.block_on(
      [](SocketAddr addr) -> Task<std::tuple<std::error_code, std::error_code, std::error_code>> {
        Client client;
        ClientRequest plain;
        auto r1 = co_await client.request(addr, plain);
        auto r2 = co_await client.get("ftp://example");
        ClientRequest evil;
        evil.headers.emplace_back("X", "a\r\nInjected: yes");
        auto r3 = co_await client.request(addr, evil);
        co_return std::tuple{r1.error(), r2.error(), r3.error()};
      }(closed_addr));
  EXPECT_EQ(refused, std::errc::connection_refused);
  EXPECT_EQ(bad_url, std::errc::invalid_argument);
  EXPECT_EQ(bad_header, std::errc::invalid_argument);
}

TEST(HttpUrl, Parse) {
  auto u = zokio::http::Url::parse("http://127.0.0.1:8080/a/b?c=d");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->address.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(u->target, "/a/b?c=d");
  EXPECT_EQ(u->host, "127.0.0.1:8080");
  auto v6 = zokio::http::Url::parse("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->address.to_string(), "[::1]:9000");
  EXPECT_EQ(v6->target, "/");
  auto local = zokio::http::Url::parse("http://localhost?x");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->address.port(), 80);
  EXPECT_EQ(local->target, "/?x");
  for (auto bad : {"https://x", "http://", "http://host.example/", "http://1.2.3.4:99999/",
                   "http://1.2.3.4:/", "http://1.2.3.4/a b"}) {
    EXPECT_FALSE(zokio::http::Url::parse(bad)) << bad;
  }
}

}  // namespace
