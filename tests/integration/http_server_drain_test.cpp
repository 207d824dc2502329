// http::Server's drain and connections waiting for a request: a request that already sits in
// the socket of an idle keep-alive connection when the drain begins is read and answered (with
// Connection: close), not dropped with the connection. Over real loopback sockets, both drivers.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <zokio/http/server.hpp>

#include "../common/wait_for_flag.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Task;
using zokio::http::Request;
using zokio::http::Response;

// /block holds its worker thread itself (not just its task) until released, so that nothing
// else on that worker runs: a request sent meanwhile stays unread in its socket.
std::atomic<bool> g_block_entered{false};
std::atomic<bool> g_block_released{false};

Task<Response> handler(Request& req) {
  if (req.path() == "/block") {
    g_block_entered.store(true);
    const auto give_up = std::chrono::steady_clock::now() + 20s;  // never hangs the suite
    while (!g_block_released.load() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::yield();
    }
  }
  co_return Response::text(std::string(req.path()) + "\n");
}

// A blocking client socket, every read bounded by a receive timeout. A socket with a receive
// timeout reports an interrupted wait as EINTR (this thread may receive io_uring's task-work
// notifications), so calls are retried then.
class Client {
 public:
  explicit Client(const zokio::net::SocketAddr& addr) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = ::connect(fd_, addr.as_sockaddr(), addr.len()) == 0;
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view data) {
    ssize_t n;
    do {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == static_cast<ssize_t>(data.size());
  }
  // Reads until one whole response (a Content-Length body) is in, or the peer closes.
  std::string response() {
    std::string got;
    char buf[4096];
    for (;;) {
      const auto end = got.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto cl = got.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) {
          const auto len = std::stoul(got.substr(cl + 16));
          if (got.size() >= end + 4 + len) return got;
        }
      }
      const ssize_t n = recv(buf, sizeof(buf));
      if (n <= 0) return got;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  // 0 at a clean end of stream, -1 (errno set) on a reset or timeout, else the bytes read.
  ssize_t read_more() {
    char buf[256];
    return recv(buf, sizeof(buf));
  }

 private:
  ssize_t recv(char* buf, std::size_t len) {
    ssize_t n;
    do {
      n = ::recv(fd_, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  int fd_;
  bool connected_ = false;
};

// A one-worker server (so that /block holds every connection), drained by each test.
class HttpServerDrain : public ::testing::Test {
 protected:
  void start(std::chrono::seconds idle_timeout = 60s) {
    zokio::http::ServerConfig cfg;
    cfg.address = zokio::test::loopback(0);
    cfg.timeouts.idle = idle_timeout;
    server_ = std::make_unique<zokio::http::Server>(cfg, handler);
    run_ = rt_.spawn(server_->run());
    rt_.block_on([](zokio::http::Server* s) -> Task<void> {
      while (s->local_address().port() == 0) co_await zokio::sleep(1ms);
    }(server_.get()));
    g_block_entered.store(false);
    g_block_released.store(false);
  }
  zokio::net::SocketAddr addr() const { return server_->local_address(); }
  // Waits for run() to return after the test's shutdown; nothing in flight was aborted.
  void finish() {
    rt_.block_on([](zokio::JoinHandle<void> h) -> Task<void> { co_await h; }(std::move(run_)));
    EXPECT_EQ(server_->aborted_in_flight(), 0u);
  }

  zokio::Runtime rt_ = zokio::test::make_runtime(1);
  std::unique_ptr<zokio::http::Server> server_;
  zokio::JoinHandle<void> run_;
};

TEST_F(HttpServerDrain, RequestWaitingOnAnIdleConnectionIsAnswered) {
  start();
  g_block_entered.store(false);
  g_block_released.store(false);

  Client idle(addr());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(idle.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n"));
  const std::string first = idle.response();
  ASSERT_NE(first.find("/first"), std::string::npos) << first;
  EXPECT_EQ(first.find("Connection: close"), std::string::npos) << first;

  Client busy(addr());
  ASSERT_TRUE(busy.connected());
  ASSERT_TRUE(busy.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(zokio::test::wait_for_flag(g_block_entered));
  // The worker is held: this request reaches the idle connection's socket and stays unread.
  ASSERT_TRUE(idle.send("GET /second HTTP/1.1\r\nHost: t\r\n\r\n"));
  server_->shutdown(20s);
  g_block_released.store(true);

  const std::string blocked = busy.response();
  EXPECT_NE(blocked.find("/block"), std::string::npos) << blocked;
  EXPECT_NE(blocked.find("Connection: close"), std::string::npos) << blocked;
  const std::string second = idle.response();
  EXPECT_NE(second.find("HTTP/1.1 200"), std::string::npos) << second;
  EXPECT_NE(second.find("/second"), std::string::npos) << second;
  EXPECT_NE(second.find("Connection: close"), std::string::npos) << second;
  EXPECT_EQ(idle.read_more(), 0) << "then a clean end of stream";

  finish();
}

// A request whose body is still arriving when the drain wakes its connection is dropped
// unanswered (the client sees the connection close before any byte of a response and may
// retry it), never answered with an error because the rest of its body was not read.
TEST_F(HttpServerDrain, RequestCutShortByTheDrainIsDroppedUnanswered) {
  start();
  g_block_entered.store(false);
  g_block_released.store(false);

  Client partial(addr());
  ASSERT_TRUE(partial.connected());
  ASSERT_TRUE(partial.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_NE(partial.response().find("/first"), std::string::npos);
  Client busy(addr());
  ASSERT_TRUE(busy.connected());
  ASSERT_TRUE(busy.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(zokio::test::wait_for_flag(g_block_entered));
  // 10 of the 1,000 bytes announced: the rest would come later.
  ASSERT_TRUE(
      partial.send("POST /cut HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789"));
  server_->shutdown(20s);
  g_block_released.store(true);

  EXPECT_NE(busy.response().find("/block"), std::string::npos);
  EXPECT_EQ(partial.response(), "") << "no response, not even an error";
  finish();
}

// A keep-alive connection with nothing sent is closed cleanly (end of stream, not a reset),
// and the drain does not wait for its idle timeout.
TEST_F(HttpServerDrain, IdleConnectionEndsCleanlyAndAtOnce) {
  start(600s);
  Client idle(addr());
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(idle.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_NE(idle.response().find("/first"), std::string::npos);
  server_->shutdown(60s);
  EXPECT_EQ(idle.read_more(), 0);
  finish();
}

}  // namespace
