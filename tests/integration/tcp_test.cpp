// TCP over real loopback sockets, run once per I/O driver (ctest labels `epoll`, `uring`).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::IoResult;
using zokio::Task;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;
using zokio::test::loopback;

Task<void> echo_session(TcpStream s) {
  std::array<char, 4096> buf;
  for (;;) {
    auto n = co_await s.read(buf.data(), buf.size());
    if (!n || *n == 0) co_return;
    auto w = co_await s.write_all(buf.data(), *n);
    if (!w) co_return;
  }
}

Task<void> echo_server(TcpListener l) {
  for (;;) {
    auto a = co_await l.accept();
    if (a) zokio::spawn(echo_session(std::move(a->stream))).detach();
  }
}

TEST(Tcp, UsesTheRequestedBackend) {
  auto rt = zokio::test::make_runtime();
  auto want = zokio::test::requested_backend();
  if (want != zokio::IoBackend::kAuto) {
    EXPECT_EQ(rt.io_backend(), want);
  }
}

// 1,000 concurrent clients, each doing 100 round trips with distinct bytes, every byte checked.
TEST(Tcp, EchoThousandClientsHundredRoundTrips) {
  ASSERT_GE(zokio::test::raise_fd_limit(), 2200u);
  auto rt = zokio::test::make_runtime(2);
  auto listener = TcpListener::bind(loopback()).value();
  auto addr = listener.local_addr().value();
  auto server = rt.spawn(echo_server(std::move(listener)));
  constexpr int kClients = 1000, kRounds = 100, kSize = 64;
  auto client = [](SocketAddr addr, int id) -> Task<int> {
    auto s = co_await TcpStream::connect(addr);
    if (!s) co_return 0;
    int ok = 0;
    std::array<char, kSize> out, in;
    for (int r = 0; r < kRounds; ++r) {
      for (int i = 0; i < kSize; ++i) out[i] = static_cast<char>((id * 31 + r * 7 + i) & 0xff);
      auto w = co_await s->write_all(out.data(), out.size());
      if (!w) co_return ok;
      auto got = co_await s->read_exact(in.data(), in.size());
      if (!got) co_return ok;
      if (in == out) ++ok;
    }
    co_return ok;
  };
  long total = rt.block_on([](auto client, SocketAddr addr) -> Task<long> {
    std::vector<zokio::JoinHandle<int>> hs;
    hs.reserve(kClients);
    for (int c = 0; c < kClients; ++c) hs.push_back(zokio::spawn(client(addr, c)));
    long sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  }(client, addr));
  EXPECT_EQ(total, long{kClients} * kRounds);
  server.abort();
}

TEST(Tcp, Ipv6Loopback) {
  auto rt = zokio::test::make_runtime();
  auto listener = TcpListener::bind(SocketAddr(zokio::net::IpAddr::v6_loopback(), 0));
  if (!listener) GTEST_SKIP() << "no IPv6 loopback: " << listener.error().message();
  auto addr = listener->local_addr().value();
  EXPECT_TRUE(addr.is_v6());
  auto server = rt.spawn(echo_server(std::move(listener.value())));
  auto reply = rt.block_on([](SocketAddr addr) -> Task<std::string> {
    auto s = (co_await TcpStream::connect(addr)).value();
    EXPECT_EQ(s.peer_addr().value(), addr);
    (void)co_await s.write_all("hello v6");
    std::string buf(8, '\0');
    (void)co_await s.read_exact(buf.data(), buf.size());
    co_return buf;
  }(addr));
  EXPECT_EQ(reply, "hello v6");
  server.abort();
}

TEST(Tcp, WritevGathersBuffers) {
  auto rt = zokio::test::make_runtime();
  auto listener = TcpListener::bind(loopback()).value();
  auto addr = listener.local_addr().value();
  auto server = rt.spawn(echo_server(std::move(listener)));
  auto reply = rt.block_on([](SocketAddr addr) -> Task<std::string> {
    auto s = (co_await TcpStream::connect(addr)).value();
    std::string a = "GET / HTTP/1.1\r\n", b = "Host: x\r\n", c = "\r\n";
    iovec iov[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
    auto n = co_await s.writev(iov, 3);
    EXPECT_EQ(n.value(), a.size() + b.size() + c.size());
    std::string buf(n.value(), '\0');
    (void)co_await s.read_exact(buf.data(), buf.size());
    co_return buf;
  }(addr));
  EXPECT_EQ(reply, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  server.abort();
}

TEST(Tcp, ConnectRefusedIsAValue) {
  auto rt = zokio::test::make_runtime();
  // Bind then close to find a port nobody listens on.
  auto probe = TcpListener::bind(loopback()).value();
  auto addr = probe.local_addr().value();
  probe.close();
  auto r = rt.block_on(TcpStream::connect(addr));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::errc::connection_refused);
}

TEST(Tcp, ReadExactReportsUnexpectedEof) {
  auto rt = zokio::test::make_runtime();
  auto listener = TcpListener::bind(loopback()).value();
  auto addr = listener.local_addr().value();
  auto server = rt.spawn([](TcpListener l) -> Task<void> {
    auto a = co_await l.accept();
    (void)co_await a->stream.write_all("abc");
    a->stream.close();
  }(std::move(listener)));
  auto r = rt.block_on([](SocketAddr addr) -> Task<IoResult<void>> {
    auto s = (co_await TcpStream::connect(addr)).value();
    char buf[10];
    auto r = co_await s.read_exact(buf, sizeof(buf));
    co_return r;
  }(addr));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), zokio::IoErrc::kUnexpectedEof);
}

TEST(Tcp, ConnectTimeoutWhenTheBacklogIsFull) {
  auto rt = zokio::test::make_runtime();
  // A listener that never accepts, with its accept queue filled: further SYNs are dropped.
  auto listener = TcpListener::bind(loopback(), {.backlog = 0}).value();
  auto addr = listener.local_addr().value();
  auto r = rt.block_on([](SocketAddr addr) -> Task<IoResult<TcpStream>> {
    std::vector<TcpStream> fillers;
    for (int i = 0; i < 8; ++i) {
      auto s = co_await TcpStream::connect(addr, 200ms);
      if (!s) co_return std::move(s);  // the first one the backlog refuses
      fillers.push_back(std::move(s.value()));
    }
    co_return zokio::make_error_code(zokio::IoErrc::kWriteZero);  // never timed out
  }(addr));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

TEST(Tcp, BindFailureIsAValue) {
  auto first = TcpListener::bind(loopback()).value();
  auto addr = first.local_addr().value();
  auto second = TcpListener::bind(addr, {.reuse_port = false});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), std::errc::address_in_use);
}

// With SO_REUSEPORT, two listeners share one port.
TEST(Tcp, ReusePortListeners) {
  auto a = TcpListener::bind(loopback(), {.reuse_port = true}).value();
  auto addr = a.local_addr().value();
  auto b = TcpListener::bind(addr, {.reuse_port = true});
  EXPECT_TRUE(b.ok());
}

}  // namespace

namespace {

// Reads and writes with a deadline: cancelled and reported as timed_out when it passes, and the
// stream stays usable afterwards.
TEST(TcpDeadline, ReadAndWriteDeadlines) {
  auto rt = zokio::test::make_runtime();
  auto [read_timeout, past, then_data, write_timeout] = rt.block_on(
      []() -> Task<std::tuple<std::error_code, std::error_code, std::string, std::error_code>> {
        auto l = TcpListener::bind(loopback()).value();
        auto c = (co_await TcpStream::connect(l.local_addr().value())).value();
        auto s = std::move((co_await l.accept()).value().stream);
        char buf[16];
        auto r1 = co_await s.read(buf, sizeof(buf), zokio::Clock::now() + 20ms);
        auto r2 = co_await s.read(buf, sizeof(buf), zokio::Clock::now() - 1ms);
        auto w = co_await c.write_all("late");
        (void)w;
        auto r3 = co_await s.read(buf, sizeof(buf), zokio::Clock::now() + 1s);
        std::string data = r3 ? std::string(buf, *r3) : r3.error().message();
        // The peer (c) never reads: writes fill both buffers and then time out.
        std::vector<char> chunk(1 << 20, 'x');
        std::error_code werr;
        for (int i = 0; i < 256 && !werr; ++i) {
          auto n = co_await s.write(chunk.data(), chunk.size(), zokio::Clock::now() + 50ms);
          if (!n) werr = n.error();
        }
        co_return std::tuple{r1.error(), r2.error(), data, werr};
      }());
  EXPECT_EQ(read_timeout, std::errc::timed_out);
  EXPECT_EQ(past, std::errc::timed_out);
  EXPECT_EQ(then_data, "late");
  EXPECT_EQ(write_timeout, std::errc::timed_out);
}

}  // namespace
