// http::Server against clients that cost it resources (both drivers): the connection caps,
// body buffers that grow with the bytes received (not the length announced) and are returned
// after the request, checked by the server's own count of buffered bytes.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include <zokio/http/server.hpp>

#include "http_test_server.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Task;
using zokio::http::Request;
using zokio::http::Response;
using zokio::net::SocketAddr;
using zokio::net::TcpStream;
using zokio::test::read_replies;

Task<Response> bounds_handler(Request& req) {
  if (req.path() == "/peer") co_return Response::text(req.peer().to_string());
  if (req.path() == "/echo") {
    auto body = co_await req.body();
    if (!body) co_return Response::text("body error\n", 400);
    co_return Response::bytes(std::string(*body), "application/octet-stream");
  }
  co_return Response::text("ok");
}

class ServerBounds : public zokio::test::HttpServerFixture {
 protected:
  void start(zokio::http::ServerConfig cfg) {
    cfg.on_warning = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      warnings_.emplace_back(line);
    };
    start_server(bounds_handler, std::move(cfg));
  }
  // Polls a condition on the server's figures until it holds (or 10 s pass).
  template <typename Pred>
  bool eventually(Pred pred) {
    return rt_.block_on([](zokio::http::Server* s, Pred p) -> Task<bool> {
      for (int i = 0; i < 2000; ++i) {
        if (p(s->stats())) co_return true;
        co_await zokio::sleep(5ms);
      }
      co_return false;
    }(server_.get(), pred));
  }
  // A connection that has been served one request (so it is surely accepted and admitted).
  TcpStream served_connection() {
    return rt_.block_on([](SocketAddr addr) -> Task<TcpStream> {
      auto s = (co_await TcpStream::connect(addr)).value();
      const std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
      auto w = co_await s.write_all(req);
      EXPECT_TRUE(w.ok());
      auto replies = co_await read_replies(s, 1);
      EXPECT_EQ(replies.size(), 1u);
      co_return s;
    }(addr_));
  }
  // Whether the server closes a new connection without answering its request.
  bool refused_at_once() {
    return rt_.block_on([](SocketAddr addr) -> Task<bool> {
      auto s = (co_await TcpStream::connect(addr)).value();
      const std::string req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
      (void)co_await s.write_all(req);
      char c;
      auto r = co_await s.read(&c, 1, zokio::Clock::now() + 10s);
      co_return !r ? r.error() != std::errc::timed_out : *r == 0;
    }(addr_));
  }
  std::size_t warning_count() {
    std::lock_guard lock(mu_);
    return warnings_.size();
  }

  std::mutex mu_;
  std::vector<std::string> warnings_;
};

TEST_F(ServerBounds, ConnectionCapClosesNewConnectionsAndRecovers) {
  zokio::http::ServerConfig cfg;
  cfg.max_connections = 2;
  start(cfg);
  EXPECT_EQ(server_->max_connections(), 2u);
  auto a = served_connection();
  auto b = served_connection();
  EXPECT_TRUE(refused_at_once());
  EXPECT_TRUE(refused_at_once());
  EXPECT_EQ(server_->stats().connections_rejected, 2u);
  EXPECT_EQ(warning_count(), 1u);  // once per interval, however many are turned away
  { TcpStream gone = std::move(a); }
  ASSERT_TRUE(eventually([](const auto& s) { return s.connections_active == 1; }));
  auto c = served_connection();  // served again once a place is free
  EXPECT_EQ(server_->stats().connections_active, 2u);
}

TEST_F(ServerBounds, PerClientCap) {
  zokio::http::ServerConfig cfg;
  cfg.max_connections_per_client = 1;
  start(cfg);
  auto a = served_connection();
  EXPECT_TRUE(refused_at_once());
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
  { TcpStream gone = std::move(a); }
  ASSERT_TRUE(eventually([](const auto& s) { return s.connections_active == 0; }));
  auto b = served_connection();
}

TEST_F(ServerBounds, DefaultCapFollowsTheOpenFileLimit) {
  start({});
  EXPECT_GT(server_->max_connections(), 16u);
}

// The buffer for an announced 8 MiB body holds what arrived, not what was announced.
TEST_F(ServerBounds, BodyBufferGrowsWithBytesReceived) {
  start({});
  const std::size_t sent = 64 * 1024;
  auto s = rt_.block_on([](SocketAddr addr, std::size_t n) -> Task<TcpStream> {
    auto s = (co_await TcpStream::connect(addr)).value();
    std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 8388608\r\n\r\n";
    req.append(n, 'x');
    auto w = co_await s.write_all(req);
    EXPECT_TRUE(w.ok());
    co_return s;
  }(addr_, sent));
  ASSERT_TRUE(eventually([&](const auto& st) { return st.bytes_in >= sent; }));
  EXPECT_LT(server_->stats().buffered_bytes, 4 * sent);
  { TcpStream gone = std::move(s); }
  EXPECT_TRUE(eventually(
      [](const auto& st) { return st.connections_active == 0 && st.buffered_bytes == 0; }));
}

// After a 1 MiB request and its 1 MiB answer, the idle connection keeps no large buffer.
TEST_F(ServerBounds, LargeBuffersAreReturnedAfterTheRequest) {
  start({});
  auto s = rt_.block_on([](SocketAddr addr) -> Task<TcpStream> {
    auto s = (co_await TcpStream::connect(addr)).value();
    std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1048576\r\n\r\n";
    req.append(1 << 20, 'y');
    auto w = co_await s.write_all(req);
    EXPECT_TRUE(w.ok());
    auto replies = co_await read_replies(s, 1);
    EXPECT_EQ(replies.size(), 1u);
    if (!replies.empty()) {
      EXPECT_EQ(replies[0].body.size(), 1u << 20);
    }
    co_return s;
  }(addr_));
  EXPECT_TRUE(eventually([](const auto& st) { return st.buffered_bytes < 64 * 1024; }));
  EXPECT_EQ(server_->stats().connections_active, 1u);
}

// Behind a proxy that speaks the PROXY protocol, the client address comes from its header; a
// connection without a valid header is closed unanswered.
TEST_F(ServerBounds, ProxyProtocolGivesTheClientAddress) {
  zokio::http::ServerConfig cfg;
  cfg.proxy_protocol = true;
  start(cfg);
  auto ask = [&](std::string prefix) {
    return rt_.block_on([](SocketAddr addr, std::string data) -> Task<std::string> {
      auto s = (co_await TcpStream::connect(addr)).value();
      data += "GET /peer HTTP/1.1\r\nHost: t\r\n\r\n";
      auto w = co_await s.write_all(data);
      EXPECT_TRUE(w.ok());
      auto replies = co_await read_replies(s, 1);
      co_return replies.empty() ? std::string("<closed>") : replies[0].body;
    }(addr_, std::move(prefix)));
  };
  EXPECT_EQ(ask("PROXY TCP4 203.0.113.7 192.0.2.1 5000 80\r\n"), "203.0.113.7:5000");
  EXPECT_EQ(ask("PROXY TCP6 2001:db8::7 2001:db8::1 443 80\r\n"), "[2001:db8::7]:443");
  // v2, PROXY over TCP/IPv4: 198.51.100.9:12345 -> 127.0.0.1:80.
  const std::string v2(
      "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c"
      "\xc6\x33\x64\x09\x7f\x00\x00\x01\x30\x39\x00\x50",
      28);
  EXPECT_EQ(ask(v2), "198.51.100.9:12345");
  EXPECT_EQ(ask("PROXY UNKNOWN\r\n").substr(0, 10), "127.0.0.1:");  // the connection's own
  EXPECT_EQ(ask(""), "<closed>");                                   // no header: closed, unanswered
  EXPECT_EQ(ask("PROXY TCP4 300.0.0.1 192.0.2.1 1 2\r\n"), "<closed>");
}

// X-Forwarded-For / Forwarded name the client only for a connection from a trusted proxy.
TEST_F(ServerBounds, ForwardedHeadersFromTrustedProxiesOnly) {
  auto ask = [&](std::string headers) {
    return rt_.block_on([](SocketAddr addr, std::string h) -> Task<std::string> {
      auto s = (co_await TcpStream::connect(addr)).value();
      auto w = co_await s.write_all("GET /peer HTTP/1.1\r\nHost: t\r\n" + h + "\r\n");
      EXPECT_TRUE(w.ok());
      auto replies = co_await read_replies(s, 1);
      co_return replies.empty() ? std::string("<closed>") : replies[0].body;
    }(addr_, std::move(headers)));
  };
  zokio::http::ServerConfig cfg;
  cfg.trusted_proxies = {"127.0.0.0/8"};
  start(cfg);
  EXPECT_EQ(ask("X-Forwarded-For: 203.0.113.9\r\n"), "203.0.113.9:0");
  EXPECT_EQ(ask("X-Forwarded-For: 6.6.6.6, 198.51.100.4\r\n"), "198.51.100.4:0");
  EXPECT_EQ(ask("Forwarded: for=\"[2001:db8::7]:4711\"\r\n"), "[2001:db8::7]:4711");
  EXPECT_EQ(ask("X-Forwarded-For: nonsense\r\n").substr(0, 10), "127.0.0.1:");
  EXPECT_EQ(ask("").substr(0, 10), "127.0.0.1:");
}

TEST_F(ServerBounds, ForwardedHeadersFromOthersAreIgnored) {
  zokio::http::ServerConfig cfg;
  cfg.trusted_proxies = {"10.0.0.0/8"};  // not this test's loopback client
  start(cfg);
  auto body = rt_.block_on([](SocketAddr addr) -> Task<std::string> {
    auto s = (co_await TcpStream::connect(addr)).value();
    auto w = co_await s.write_all(
        "GET /peer HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
    EXPECT_TRUE(w.ok());
    auto replies = co_await read_replies(s, 1);
    co_return replies.empty() ? std::string() : replies[0].body;
  }(addr_));
  EXPECT_EQ(body.substr(0, 10), "127.0.0.1:");
  zokio::http::ServerConfig bad;
  bad.trusted_proxies = {"not-a-network"};
  EXPECT_THROW(zokio::http::Server(bad, bounds_handler), std::invalid_argument);
}

}  // namespace
