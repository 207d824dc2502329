// http::Server over real loopback sockets (both drivers): routing through a handler,
// keep-alive, pipelining, bodies (Content-Length, chunked, 100-continue, unread), strict
// errors, timeouts, handler exceptions, statistics and graceful shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include <zokio/http/client.hpp>
#include <zokio/http/server.hpp>

#include "http_test_server.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Task;
using zokio::http::Request;
using zokio::http::Response;
using zokio::net::SocketAddr;
using zokio::net::TcpStream;
using zokio::test::exchange;
using zokio::test::read_replies;
using zokio::test::Reply;

// /hold: entered when the handler runs, and answered only once the test releases it, so a test
// can act while a request is surely in flight (no sleep standing in for the event).
std::atomic<bool> g_hold_entered{false};
std::atomic<bool> g_hold_released{false};

Task<Response> demo_handler(Request& req) {
  if (req.path() == "/hold") {
    g_hold_entered.store(true);
    for (int i = 0; i < 20'000 && !g_hold_released.load(); ++i) co_await zokio::sleep(1ms);
    co_return Response::text("held\n");
  }
  if (req.path() == "/throw") throw std::runtime_error("handler failure");
  if (req.path() == "/echo") {
    auto body = co_await req.body();
    if (!body) co_return Response::text("body error: " + body.error().message() + "\n", 400);
    co_return Response::bytes(std::string(*body), "application/octet-stream");
  }
  if (req.path() == "/ignore-body") co_return Response::text("ignored\n");
  if (req.path() == "/count") {  // streams the body, answers "<pieces> <bytes>"
    std::size_t pieces = 0, bytes = 0;
    for (;;) {
      auto piece = co_await req.read_some();
      if (!piece) co_return Response::text("error\n", 400);
      if (piece->empty()) break;
      ++pieces;
      bytes += piece->size();
    }
    co_return Response::text(std::to_string(pieces > 0 ? 1 : 0) + " " + std::to_string(bytes));
  }
  if (req.path() == "/slow") co_await zokio::sleep(50ms);
  if (req.path() == "/big") co_return Response::text(std::string(32 << 20, 'b'));
  if (req.path() == "/stream" || req.path() == "/stream-fail") {
    const bool fail = req.path() == "/stream-fail";
    co_return Response::stream(
        [fail](zokio::http::BodyWriter& w) -> Task<void> {
          for (std::string_view part : {"a", "bb", "ccc"}) {
            auto r = co_await w.write(part);
            if (!r) co_return;
            co_await zokio::sleep(1ms);
          }
          if (fail) throw std::runtime_error("producer failed");
        },
        "text/plain");
  }
  co_return Response::text(std::string(req.method()) + " " + std::string(req.target()));
}

class HttpServer : public zokio::test::HttpServerFixture {
 protected:
  void start(zokio::http::ServerConfig cfg = {}) { start_server(demo_handler, cfg); }
  std::vector<Reply> send(std::string request, std::size_t count = 1) {
    return rt_.block_on(exchange(addr_, std::move(request), count));
  }
};

TEST_F(HttpServer, AnswersAGet) {
  start();
  auto r = send("GET /hello?x=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].body, "GET /hello?x=1");
  EXPECT_NE(r[0].head.find("Server: zokio\r\n"), std::string::npos);
  EXPECT_NE(r[0].head.find("Date: "), std::string::npos);
  EXPECT_NE(r[0].head.find("Content-Length: 14\r\n"), std::string::npos);
}

TEST_F(HttpServer, PipelinedRequestsAnsweredInOrder) {
  start();
  std::string batch;
  for (int i = 0; i < 16; ++i)
    batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
  auto r = send(batch, 16);
  ASSERT_EQ(r.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(r[i].body, "GET /" + std::to_string(i));
  auto stats = server_->stats();
  EXPECT_EQ(stats.requests_total, 16u);
  EXPECT_EQ(stats.responses_by_class[2], 16u);
  EXPECT_EQ(stats.connections_total, 1u);
  // A request's latency is recorded once its response was handed to the kernel, which the
  // client can see happen a moment before the server has counted it: wait for the count.
  const bool recorded = rt_.block_on([](zokio::http::Server* s) -> Task<bool> {
    for (int i = 0; i < 2000 && s->stats().latency.total() < 16; ++i) {
      co_await zokio::sleep(5ms);
    }
    co_return s->stats().latency.total() == 16;
  }(server_.get()));
  EXPECT_TRUE(recorded);
}

TEST_F(HttpServer, KeepAliveAndHttp10Close) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w1 = co_await s.write_all("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
    auto first = co_await read_replies(s, 1);
    auto w2 = co_await s.write_all("GET /b HTTP/1.0\r\n\r\n");
    auto rest = co_await read_replies(s, 2);  // the 1.0 response, then the server closes
    (void)w1;
    (void)w2;
    first.insert(first.end(), rest.begin(), rest.end());
    co_return first;
  }(addr_));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].body, "GET /a");
  EXPECT_EQ(r[1].body, "GET /b");
  EXPECT_NE(r[1].head.find("HTTP/1.0 200 OK"), std::string::npos);
  EXPECT_NE(r[1].head.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServer, HeadHasNoBody) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n");
    (void)w;
    auto replies = co_await read_replies(s, 1, /*head_request=*/true);
    co_return replies;
  }(addr_));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_TRUE(r[0].body.empty());
  EXPECT_NE(r[0].head.find("Content-Length: 7\r\n"), std::string::npos);
}

TEST_F(HttpServer, ContentLengthAndChunkedBodies) {
  start();
  auto r = send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n"
      "GET /after HTTP/1.1\r\nHost: t\r\n\r\n",
      3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].body, "hello");
  EXPECT_EQ(r[1].body, "abcdefg");
  EXPECT_EQ(r[2].body, "GET /after");
}

TEST_F(HttpServer, BodyArrivingInPieces) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    std::string body(100'000, 'z');
    auto w =
        co_await s.write_all("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    for (std::size_t off = 0; off < body.size(); off += 7000) {
      auto part =
          co_await s.write_all(body.data() + off, std::min<std::size_t>(7000, body.size() - off));
      (void)part;
      co_await zokio::sleep(1ms);
    }
    (void)w;
    auto replies = co_await read_replies(s, 1);
    co_return replies;
  }(addr_));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, std::string(100'000, 'z'));
}

TEST_F(HttpServer, StreamedRequestBodies) {
  start();
  std::string big(300'000, 'q');
  std::string chunked;
  for (int i = 0; i < 50; ++i) chunked += "3e8\r\n" + std::string(1000, 'c') + "\r\n";
  chunked += "0\r\n\r\n";
  auto r = send("POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" + big +
                    "POST /count HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    chunked + "POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" +
                    "GET /after HTTP/1.1\r\nHost: t\r\n\r\n",
                4);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].body, "1 300000");
  EXPECT_EQ(r[1].body, "1 50000");
  EXPECT_EQ(r[2].body, "0 0");
  EXPECT_EQ(r[3].body, "GET /after");
}

TEST_F(HttpServer, ExpectContinueOnlyWhenTheBodyIsRead) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    (void)w;
    auto interim = co_await read_replies(s, 1);
    auto b = co_await s.write_all("data");
    (void)b;
    auto final_reply = co_await read_replies(s, 1);
    interim.insert(interim.end(), final_reply.begin(), final_reply.end());
    co_return interim;
  }(addr_));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, 100);
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(r[1].body, "data");
}

TEST_F(HttpServer, BodyTimeoutAndBadChunkedBodies) {
  zokio::http::ServerConfig cfg;
  cfg.timeouts.body = 200ms;
  start(cfg);
  // A body that stops arriving: body() fails with timed_out, the handler answers 400, and the
  // connection closes.
  auto stalled = rt_.block_on(
      [](SocketAddr addr) -> Task<std::pair<std::vector<Reply>, zokio::Clock::duration>> {
        auto s = (co_await TcpStream::connect(addr)).value();
        auto start = zokio::Clock::now();
        auto w = co_await s.write_all(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly some");
        (void)w;
        auto r = co_await read_replies(s, 2);
        co_return std::pair{r, zokio::Clock::now() - start};
      }(addr_));
  ASSERT_EQ(stalled.first.size(), 1u);
  EXPECT_EQ(stalled.first[0].status, 400);
  EXPECT_NE(stalled.first[0].body.find("timed out"), std::string::npos);
  EXPECT_NE(stalled.first[0].head.find("Connection: close"), std::string::npos);
  EXPECT_LT(stalled.second, 3s);
  // A malformed chunk size: body() fails, 400, close.
  auto bad = send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 2);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].status, 400);
  EXPECT_NE(bad[0].head.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServer, NoContinueWhenTheBodyIsNotRead) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all(
        "POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: "
        "100-continue\r\n\r\n");
    (void)w;
    auto replies = co_await read_replies(s, 2);  // the final answer, then the close
    co_return replies;
  }(addr_));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_NE(r[0].head.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServer, UnreadLargeBodyClosesTheConnection) {
  start();
  auto r = rt_.block_on([](SocketAddr addr) -> Task<std::vector<Reply>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all(
        "POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\npartial");
    (void)w;
    auto replies = co_await read_replies(s, 2);
    co_return replies;
  }(addr_));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].body, "ignored\n");
  EXPECT_NE(r[0].head.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServer, UnreadSmallBodyIsDrainedAndTheConnectionSurvives) {
  start();
  auto r = send(
      "POST /ignore-body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789"
      "GET /next HTTP/1.1\r\nHost: t\r\n\r\n",
      2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].body, "ignored\n");
  EXPECT_EQ(r[1].body, "GET /next");
}

TEST_F(HttpServer, HandlerExceptionIs500AndTheConnectionSurvives) {
  start();
  auto r = send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n", 2);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, 500);
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(server_->stats().handler_errors, 1u);
}

TEST_F(HttpServer, MalformedRequestsGetAnErrorAndClose) {
  start();
  struct Case {
    std::string request;
    int status;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400},               // space before colon
      {"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400},  // obs-fold
      {"GET / HTTP/1.1\r\n\r\n", 400},                           // no Host
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},                // version
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       400},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
      {"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
  };
  for (const auto& c : cases) {
    auto r = send(c.request, 2);  // a second response would mean the connection stayed open
    ASSERT_EQ(r.size(), 1u) << c.request.substr(0, 60);
    EXPECT_EQ(r[0].status, c.status) << c.request.substr(0, 60);
    EXPECT_NE(r[0].head.find("Connection: close"), std::string::npos);
  }
  auto stats = server_->stats();
  EXPECT_EQ(stats.parse_errors, cases.size() - 1);  // the 501 is the engine's, not the parser's
  using zokio::http::ParseError;
  EXPECT_EQ(stats.parse_errors_by_kind[static_cast<std::size_t>(ParseError::kObsFold)], 1u);
  EXPECT_EQ(stats.parse_errors_by_kind[static_cast<std::size_t>(ParseError::kMissingHost)], 1u);
}

TEST_F(HttpServer, HeaderLimitsAre431) {
  zokio::http::ServerConfig cfg;
  cfg.limits.max_headers = 10;
  cfg.limits.max_header_bytes = 2048;
  start(cfg);
  std::string many = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  auto r1 = send(many + "\r\n", 2);
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_EQ(r1[0].status, 431);
  auto r2 = send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(3000, 'v') + "\r\n\r\n", 2);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r2[0].status, 431);
  // Exactly at the header count limit is fine.
  std::string ten = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 9; ++i) ten += "X-" + std::to_string(i) + ": v\r\n";
  auto r3 = send(ten + "\r\n");
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_EQ(r3[0].status, 200);
}

// A client that never reads its 32 MiB response is dropped after the write timeout, and the
// server keeps serving others.
TEST_F(HttpServer, ClientThatNeverReadsIsDropped) {
  zokio::http::ServerConfig cfg;
  cfg.timeouts.write = 200ms;
  start(cfg);
  auto still_ok = rt_.block_on([](SocketAddr addr, zokio::http::Server* server) -> Task<bool> {
    auto lazy = (co_await TcpStream::connect(addr)).value();
    auto w = co_await lazy.write_all("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    (void)w;
    auto start = zokio::Clock::now();
    while (server->stats().timeouts == 0 && zokio::Clock::now() - start < 5s) {
      co_await zokio::sleep(10ms);
    }
    auto other = co_await exchange(addr, "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n", 1);
    co_return other.size() == 1 && other[0].status == 200;
  }(addr_, server_.get()));
  EXPECT_TRUE(still_ok);
  EXPECT_GE(server_->stats().timeouts, 1u);
}

TEST_F(HttpServer, StreamedResponsesUseChunkedCoding) {
  start();
  auto r = send(
      "GET /stream HTTP/1.1\r\nHost: t\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n"
      "GET /after HTTP/1.1\r\nHost: t\r\n\r\n",
      1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NE(r[0].head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(r[0].head.find("Content-Length"), std::string::npos);
  // The raw reader above stops at the head for a chunked reply; the client decodes it.
  auto bodies = rt_.block_on([](SocketAddr addr) -> Task<std::vector<std::string>> {
    zokio::http::Client client;
    std::vector<std::string> out;
    for (auto target : {"/stream", "/stream-fail", "/after"}) {
      auto resp = co_await client.get("http://" + addr.to_string() + target);
      out.push_back(resp ? resp->body : "error: " + resp.error().message());
    }
    co_return out;
  }(addr_));
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "abbccc");
  EXPECT_EQ(bodies[1].substr(0, 6), "error:");  // truncated: no final chunk
  EXPECT_EQ(bodies[2], "GET /after");
}

TEST_F(HttpServer, StreamedResponseToHttp10IsCloseDelimited) {
  start();
  auto raw = rt_.block_on([](SocketAddr addr) -> Task<std::string> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all("GET /stream HTTP/1.0\r\n\r\n");
    (void)w;
    std::string all;
    char buf[1024];
    for (;;) {
      auto n = co_await s.read(buf, sizeof(buf));
      if (!n || *n == 0) break;
      all.append(buf, *n);
    }
    co_return all;
  }(addr_));
  EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(raw.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(raw.substr(raw.size() - 6), "abbccc");
}

TEST_F(HttpServer, BodyLargerThanTheLimitIs413) {
  zokio::http::ServerConfig cfg;
  cfg.limits.max_body = 1000;
  start(cfg);
  auto r = send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n", 1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 413);
}

TEST_F(HttpServer, SlowlorisHeaderTimeout) {
  zokio::http::ServerConfig cfg;
  cfg.timeouts.header = 200ms;
  start(cfg);
  auto [replies, elapsed] = rt_.block_on(
      [](SocketAddr addr) -> Task<std::pair<std::vector<Reply>, zokio::Clock::duration>> {
        auto s = (co_await TcpStream::connect(addr)).value();
        auto start = zokio::Clock::now();
        // Dribble one header byte every 50 ms: the deadline counts from the first byte.
        std::string head = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for (char c : head) {
          auto w = co_await s.write(&c, 1);
          if (!w || *w == 0) break;
          co_await zokio::sleep(50ms);
          if (zokio::Clock::now() - start > 2s) break;
        }
        auto r = co_await read_replies(s, 1);
        co_return std::pair{r, zokio::Clock::now() - start};
      }(addr_));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 408);
  EXPECT_LT(elapsed, 2s);
  EXPECT_GE(server_->stats().timeouts, 1u);
}

// Whether the server closes a connection (EOF) within 20 s, after answering `request` if any.
Task<bool> server_closes(SocketAddr addr, std::string request) {
  auto s = (co_await TcpStream::connect(addr)).value();
  if (!request.empty()) {
    auto w = co_await s.write_all(request);
    if (!w) co_return false;
    auto replies = co_await read_replies(s, 1);
    if (replies.size() != 1) co_return false;
  }
  char c;
  auto r = co_await s.read(&c, 1, zokio::Clock::now() + 20s);
  co_return r.ok() && *r == 0;
}

// The other timeouts are a minute here, so only the one under test can close the connection.
TEST_F(HttpServer, IdleKeepAliveTimeoutClosesTheConnection) {
  zokio::http::ServerConfig cfg;
  cfg.timeouts.idle = 100ms;
  cfg.timeouts.header = 60s;
  start(cfg);
  EXPECT_TRUE(rt_.block_on(server_closes(addr_, "GET /idle HTTP/1.1\r\nHost: t\r\n\r\n")));
}

// A connection that never sends a request gets the header timeout, not the keep-alive one.
TEST_F(HttpServer, SilentConnectionGetsTheHeaderTimeout) {
  zokio::http::ServerConfig cfg;
  cfg.timeouts.header = 100ms;
  cfg.timeouts.idle = 60s;
  start(cfg);
  EXPECT_TRUE(rt_.block_on(server_closes(addr_, "")));
}

TEST_F(HttpServer, MaxRequestsPerConnection) {
  zokio::http::ServerConfig cfg;
  cfg.max_requests_per_connection = 2;
  start(cfg);
  auto r = send(
      "GET /1 HTTP/1.1\r\nHost: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: t\r\n\r\nGET /3 "
      "HTTP/1.1\r\nHost: t\r\n\r\n",
      3);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NE(r[1].head.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServer, GracefulShutdownFinishesRequestsInFlight) {
  start();
  auto replies =
      rt_.block_on([](SocketAddr addr, zokio::http::Server* server) -> Task<std::vector<Reply>> {
        auto busy = (co_await TcpStream::connect(addr)).value();
        auto idle = (co_await TcpStream::connect(addr)).value();
        g_hold_entered.store(false);
        g_hold_released.store(false);
        auto w = co_await busy.write_all("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
        (void)w;
        // Shut down once the request is surely in flight (its handler runs) and the idle
        // connection accepted (else the listener's close would reset it from the backlog).
        for (int i = 0; i < 20'000; ++i) {
          if (g_hold_entered.load() && server->stats().connections_active == 2) break;
          co_await zokio::sleep(1ms);
        }
        server->shutdown(20s);
        g_hold_released.store(true);
        auto r = co_await read_replies(busy, 2);  // the answer, then the close
        char c;
        auto eof = co_await idle.read(&c, 1);
        EXPECT_TRUE(eof.ok() && *eof == 0);  // the idle connection was closed
        co_return r;
      }(addr_, server_.get()));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_NE(replies[0].head.find("Connection: close"), std::string::npos);
  rt_.block_on([](zokio::JoinHandle<void> h) -> Task<void> { co_await h; }(std::move(run_)));
  server_.reset();
}

TEST(HttpServerBind, PortInUseIsAClearError) {
  auto rt = zokio::test::make_runtime(1);
  auto taken = zokio::net::TcpListener::bind(zokio::test::loopback(0)).value();
  zokio::http::ServerConfig cfg;
  cfg.address = taken.local_addr().value();
  zokio::http::Server server(cfg, demo_handler);
  try {
    rt.block_on(server.run());
    FAIL() << "run() should have thrown";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
}

// A listener that shares its port (SO_REUSEPORT) is refused too, unless share_port is set.
TEST(HttpServerBind, APortSharedWithAnotherListenerNeedsSharePort) {
  auto rt = zokio::test::make_runtime(1);
  zokio::net::ListenOptions shared;
  shared.reuse_port = true;
  auto other = zokio::net::TcpListener::bind(zokio::test::loopback(0), shared).value();
  zokio::http::ServerConfig cfg;
  cfg.address = other.local_addr().value();
  {
    zokio::http::Server server(cfg, demo_handler);
    try {
      rt.block_on(server.run());
      FAIL() << "run() should have thrown";
    } catch (const std::system_error& e) {
      EXPECT_NE(std::string(e.what()).find("in use by another socket"), std::string::npos)
          << e.what();
    }
  }
  cfg.share_port = true;
  zokio::http::Server server(cfg, demo_handler);
  auto run = rt.spawn(server.run());
  auto answered = rt.block_on([](zokio::http::Server* s, SocketAddr addr) -> Task<bool> {
    while (s->local_address().port() == 0) co_await zokio::sleep(1ms);
    // The kernel may hand a connection to the other listener, which never accepts: ask until
    // this server answered one (each attempt bounded).
    for (int i = 0; i < 32; ++i) {
      auto c = co_await TcpStream::connect(addr);
      if (!c) continue;
      auto w = co_await c->write_all("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
      (void)w;
      char buf[64];
      auto n = co_await c->read(buf, sizeof(buf), zokio::Clock::now() + 1s);
      if (n && *n > 0) co_return std::string_view(buf, *n).starts_with("HTTP/1.1 200");
    }
    co_return false;
  }(&server, cfg.address));
  EXPECT_TRUE(answered);
  server.shutdown(1s);
  rt.block_on([](zokio::JoinHandle<void> h) -> Task<void> { co_await h; }(std::move(run)));
}

}  // namespace

namespace {
TEST(LatencyHistogram, BucketsBoundTheirValues) {
  using H = zokio::http::LatencyHistogram;
  for (std::uint64_t v :
       {0ull, 1ull, 3ull, 4ull, 5ull, 7ull, 8ull, 100ull, 1000ull, 123456ull, 9'999'999ull}) {
    auto b = H::bucket_of(v);
    EXPECT_GE(H::upper_bound_of(b), v) << v;
    if (b > 0) {
      EXPECT_LT(H::upper_bound_of(b - 1), v) << v;
    }
    EXPECT_LE(H::upper_bound_of(b), v + v / 4 + 1) << v;  // within 25%
  }
  H h;
  for (int i = 1; i <= 100; ++i) ++h.counts[H::bucket_of(static_cast<std::uint64_t>(i) * 10)];
  EXPECT_EQ(h.total(), 100u);
  EXPECT_GE(h.percentile(0.5), 500u);
  EXPECT_LE(h.percentile(0.5), 640u);
  EXPECT_GE(h.percentile(0.99), 990u);
  EXPECT_EQ(zokio::http::LatencyHistogram{}.percentile(0.5), 0u);
}
}  // namespace
