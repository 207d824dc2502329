// Rendering responses: status lines, Content-Type handling, framing headers and injection checks.
#include <gtest/gtest.h>

#include <string>

#include "http/server/response_writer.hpp"

namespace {

using zokio::http::Response;
using zokio::http::detail::render_response;
using zokio::http::detail::RenderOptions;

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(HttpResponse, TextHasOneContentTypeAndLength) {
  std::string out;
  ASSERT_TRUE(render_response(out, Response::text("hi"), {}));
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\nServer: zokio\r\nDate: ", 0), 0u);
  EXPECT_EQ(count(out, "Content-Type: text/plain; charset=utf-8\r\n"), 1u);
  EXPECT_NE(out.find("Content-Length: 2\r\n\r\nhi"), std::string::npos);
}

TEST(HttpResponse, ContentTypeHeaderReplacesTheBuiltInOne) {
  std::string out;
  auto r = Response::json("{}");
  r.header("content-TYPE", "application/problem+json").header("X-Extra", "1");
  ASSERT_TRUE(render_response(out, r, {}));
  EXPECT_EQ(count(out, "Content-Type"), 1u);
  EXPECT_NE(out.find("Content-Type: application/problem+json\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-Extra: 1\r\n"), std::string::npos);
}

TEST(HttpResponse, FramingHeadersFromTheHandlerAreIgnored) {
  std::string out;
  auto r = Response::text("abc");
  r.header("Content-Length", "99").header("Transfer-Encoding", "chunked").header("Connection", "x");
  ASSERT_TRUE(render_response(out, r, {}));
  EXPECT_EQ(count(out, "Content-Length"), 1u);
  EXPECT_NE(out.find("Content-Length: 3\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos);
}

TEST(HttpResponse, InjectionBecomes500) {
  for (auto bad : {Response::bytes("x", "text/plain\r\nSet-Cookie: a=b"),
                   Response::text("x").header("X-A", "v\r\nInjected: 1"),
                   Response::text("x").header("Bad Name", "v"), Response(42)}) {
    std::string out;
    EXPECT_FALSE(render_response(out, bad, {}));
    EXPECT_EQ(out.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
    EXPECT_EQ(out.find("Injected"), std::string::npos);
    EXPECT_EQ(out.find("Set-Cookie"), std::string::npos);
  }
}

TEST(HttpResponse, BodilessStatusesAndHead) {
  std::string out;
  ASSERT_TRUE(render_response(out, Response(204), {}));
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  out.clear();
  RenderOptions head;
  head.head_request = true;
  ASSERT_TRUE(render_response(out, Response::text("body"), head));
  EXPECT_NE(out.find("Content-Length: 4\r\n"), std::string::npos);
  EXPECT_EQ(out.find("body"), std::string::npos);
  out.clear();
  RenderOptions http10;
  http10.version_minor = 0;
  ASSERT_TRUE(render_response(out, Response::text("x"), http10));
  EXPECT_EQ(out.rfind("HTTP/1.0 200 OK\r\n", 0), 0u);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

}  // namespace
