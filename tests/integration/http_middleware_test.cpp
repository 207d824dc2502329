// The ready-made middleware behind a real server (both drivers): CORS, request ids, gzip, and
// the access log (both formats, and reopening after the file was moved away).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <zokio/http/access_log.hpp>
#include <zokio/http/middleware.hpp>

#include "../common/gunzip.hpp"
#include "http_test_server.hpp"

namespace {

namespace fs = std::filesystem;
using zokio::Task;
using zokio::http::Request;
using zokio::http::Response;
using zokio::http::Router;
using zokio::test::exchange;
using zokio::test::Reply;

class MiddlewareTest : public zokio::test::HttpServerFixture {
 protected:
  void SetUp() override {
    router_.get("/text", [](Request&) -> Task<Response> {
      co_return Response::text(std::string(4000, 'z'));
    });
    router_.get("/small", [](Request&) -> Task<Response> { co_return Response::text("tiny"); });
    router_.get("/chosen", [](Request&) -> Task<Response> {
      auto r = Response::text(std::string(4000, 'c'));
      r.header("Vary", "Accept-Encoding");
      co_return r;
    });
    router_.get("/png", [](Request&) -> Task<Response> {
      co_return Response::bytes(std::string(4000, 'p'), "image/png");
    });
  }
  Reply get(const std::string& target, const std::string& extra = "",
            const std::string& method = "GET") {
    auto r = rt_.block_on(
        exchange(addr_, method + " " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n", 1));
    EXPECT_EQ(r.size(), 1u) << target;
    return r.empty() ? Reply{} : r[0];
  }
  Router router_;
};

TEST_F(MiddlewareTest, Cors) {
  zokio::http::CorsOptions opts;
  opts.allow_origin = "https://app.example";
  router_.use(zokio::http::cors(opts));
  start_server(router_.handler());
  auto pre = get("/small", "Origin: https://app.example\r\nAccess-Control-Request-Method: PUT\r\n",
                 "OPTIONS");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(pre.header("Access-Control-Allow-Methods").find("PUT"), std::string::npos);
  EXPECT_EQ(pre.header("Access-Control-Max-Age"), "600");
  auto simple = get("/small", "Origin: https://app.example\r\n");
  EXPECT_EQ(simple.body, "tiny");
  EXPECT_EQ(simple.header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(get("/small", "Origin: https://evil.example\r\n").header("Access-Control-Allow-Origin"),
            "");
  EXPECT_EQ(get("/small").header("Access-Control-Allow-Origin"), "");
}

TEST_F(MiddlewareTest, RequestIds) {
  router_.use(zokio::http::request_id());
  start_server(router_.handler());
  EXPECT_EQ(get("/small", "X-Request-Id: abc-123\r\n").header("X-Request-Id"), "abc-123");
  auto a = get("/small").header("X-Request-Id"), b = get("/small").header("X-Request-Id");
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
  auto c = get("/small", "X-Request-Id: " + std::string(100, 'x') + "\r\n").header("X-Request-Id");
  EXPECT_NE(c, std::string(100, 'x'));  // too long: replaced
}

TEST_F(MiddlewareTest, CompressesTextForClientsThatAcceptGzip) {
  router_.use(zokio::http::compress());
  start_server(router_.handler());
  auto gz = get("/text", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.header("Vary"), "Accept-Encoding");
  EXPECT_LT(gz.body.size(), 100u);
  EXPECT_EQ(zokio::test::gunzip(gz.body), std::string(4000, 'z'));
  auto plain = get("/text");
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
  EXPECT_EQ(get("/small", "Accept-Encoding: gzip\r\n").header("Content-Encoding"), "");
  EXPECT_EQ(get("/png", "Accept-Encoding: gzip\r\n").header("Content-Encoding"), "");
  EXPECT_EQ(get("/text", "Accept-Encoding: gzip;q=0, identity\r\n").header("Content-Encoding"), "");
  EXPECT_EQ(get("/text", "Accept-Encoding: *\r\n").header("Content-Encoding"), "gzip");
  // Its producer chose the encoding (it varies on Accept-Encoding already): left alone.
  auto chosen = get("/chosen", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(chosen.header("Content-Encoding"), "");
  EXPECT_EQ(chosen.body, std::string(4000, 'c'));
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls (bounded) until `p` holds `lines` lines.
bool wait_for_lines(const fs::path& p, std::size_t lines) {
  for (int i = 0; i < 500; ++i) {
    const std::string s = read_all(p);
    if (static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) >= lines) return true;
    ::usleep(10'000);
  }
  return false;
}

TEST_F(MiddlewareTest, AccessLogWritesLinesAndReopens) {
  const fs::path log = fs::temp_directory_path() / ("zokio-access-" + std::to_string(::getpid()));
  fs::remove(log);
  fs::remove(fs::path(log.string() + ".1"));
  zokio::http::AccessLog access(log.string(), zokio::http::AccessLogFormat::kJson);
  router_.use(access.middleware());
  rt_.block_on([](zokio::http::AccessLog* a) -> Task<void> {
    a->start(std::chrono::milliseconds(10));
    co_return;
  }(&access));
  start_server(router_.handler());
  get("/small", "User-Agent: test \"agent\"\r\nReferer: http://r/\r\n");
  get("/missing");
  ASSERT_TRUE(wait_for_lines(log, 2));
  const std::string first = read_all(log);
  EXPECT_NE(
      first.find("\"target\":\"/small\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":4"),
      std::string::npos)
      << first;
  EXPECT_NE(first.find("\"user_agent\":\"test \\\"agent\\\"\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"status\":404"), std::string::npos) << first;

  fs::rename(log, fs::path(log.string() + ".1"));  // what logrotate does
  access.reopen();
  get("/small");
  ASSERT_TRUE(wait_for_lines(log, 1));
  EXPECT_EQ(read_all(fs::path(log.string() + ".1")), first);
  rt_.block_on([](zokio::http::AccessLog* a) -> Task<void> { co_await a->stop(); }(&access));
  fs::remove(log);
  fs::remove(fs::path(log.string() + ".1"));
}

TEST_F(MiddlewareTest, AccessLogCombinedFormat) {
  const fs::path log =
      fs::temp_directory_path() / ("zokio-access-clf-" + std::to_string(::getpid()));
  fs::remove(log);
  zokio::http::AccessLog access(log.string(), zokio::http::AccessLogFormat::kCombined);
  router_.use(access.middleware());
  rt_.block_on([](zokio::http::AccessLog* a) -> Task<void> {
    a->start(std::chrono::milliseconds(10));
    co_return;
  }(&access));
  start_server(router_.handler());
  get("/small?q=1", "User-Agent: curl \"8\"\r\n");
  ASSERT_TRUE(wait_for_lines(log, 1));
  const std::string line = read_all(log);
  EXPECT_EQ(line.rfind("127.0.0.1 - - [", 0), 0u) << line;
  EXPECT_NE(line.find("] \"GET /small?q=1 HTTP/1.1\" 200 4 \"-\" \"curl \\\"8\\\"\"\n"),
            std::string::npos)
      << line;
  rt_.block_on([](zokio::http::AccessLog* a) -> Task<void> { co_await a->stop(); }(&access));
  fs::remove(log);
}

TEST(AccessLogSetup, UnwritablePathIsAClearError) {
  try {
    zokio::http::AccessLog log("/nonexistent/dir/access.log", zokio::http::AccessLogFormat::kJson);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/access.log"), std::string::npos);
  }
}

}  // namespace
