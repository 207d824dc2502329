// Pooled receives (TcpStream::recv_pooled): the data arrives in the worker's buffer pool (the
// provided-buffer ring on io_uring), leases hand buffers back, an exhausted pool falls back to
// private buffers, and cancelled receives lose no buffer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Task;
using zokio::net::RecvBuffer;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;
using zokio::test::loopback;

zokio::Runtime small_pool_runtime(std::size_t buffers, std::size_t size) {
  return zokio::Runtime::builder().worker_threads(2).recv_buffers(buffers, size).build();
}

Task<void> pooled_echo(TcpStream s) {
  for (;;) {
    auto buf = co_await s.recv_pooled();
    if (!buf || buf->empty()) co_return;
    auto w = co_await s.write_all(buf->data(), buf->size());
    if (!w) co_return;
  }
}

Task<void> pooled_echo_server(TcpListener l) {
  for (;;) {
    auto a = co_await l.accept();
    if (a) zokio::spawn(pooled_echo(std::move(a->stream))).detach();
  }
}

TEST(RecvPooled, EchoManyConnections) {
  auto rt = small_pool_runtime(64, 1024);
  auto l = TcpListener::bind(loopback()).value();
  auto addr = l.local_addr().value();
  auto server = rt.spawn(pooled_echo_server(std::move(l)));
  auto client = [](SocketAddr addr, int id) -> Task<int> {
    auto s = (co_await TcpStream::connect(addr)).value();
    int ok = 0;
    for (int r = 0; r < 50; ++r) {
      std::string msg = "client " + std::to_string(id) + " round " + std::to_string(r);
      auto w = co_await s.write_all(msg);
      if (!w) co_return ok;
      std::string back(msg.size(), '\0');
      auto got = co_await s.read_exact(back.data(), back.size());
      if (got && back == msg) ++ok;
    }
    co_return ok;
  };
  int total = rt.block_on([](auto client, SocketAddr addr) -> Task<int> {
    std::vector<zokio::JoinHandle<int>> hs;
    for (int c = 0; c < 100; ++c) hs.push_back(zokio::spawn(client(addr, c)));
    int sum = 0;
    for (auto& h : hs) sum += co_await h;
    co_return sum;
  }(client, addr));
  EXPECT_EQ(total, 100 * 50);
  server.abort();
}

TEST(RecvPooled, EndOfStreamIsEmpty) {
  auto rt = small_pool_runtime(4, 256);
  bool empty = rt.block_on([]() -> Task<bool> {
    auto l = TcpListener::bind(loopback()).value();
    auto c = (co_await TcpStream::connect(l.local_addr().value())).value();
    auto s = (co_await l.accept()).value();
    c.close();
    auto buf = co_await s.stream.recv_pooled();
    co_return buf.ok() && buf->empty();
  }());
  EXPECT_TRUE(empty);
}

// Holding more leases than the pool has buffers: the extra receives use private buffers, the
// bytes are right either way, and once the leases end the pool serves again.
TEST(RecvPooled, ExhaustedPoolFallsBackToPrivateBuffers) {
  auto rt = small_pool_runtime(4, 256);
  auto [pooled, fallback, correct,
        again] = rt.block_on([]() -> Task<std::tuple<int, int, int, bool>> {
    auto l = TcpListener::bind(loopback()).value();
    auto addr = l.local_addr().value();
    std::vector<TcpStream> clients, servers;
    for (int i = 0; i < 8; ++i) {
      clients.push_back((co_await TcpStream::connect(addr)).value());
      servers.push_back(std::move((co_await l.accept()).value().stream));
      auto w = co_await clients.back().write_all("payload-" + std::to_string(i));
      (void)w;
    }
    std::vector<RecvBuffer> held;
    int pooled = 0, fallback = 0, correct = 0;
    for (int i = 0; i < 8; ++i) {
      auto b = co_await servers[i].recv_pooled();
      if (!b) continue;
      (b->pooled() ? pooled : fallback)++;
      if (b->view() == "payload-" + std::to_string(i)) ++correct;
      held.push_back(std::move(b.value()));
    }
    held.clear();  // every buffer goes back
    auto w = co_await clients[0].write_all("again");
    (void)w;
    auto b = co_await servers[0].recv_pooled();
    co_return std::tuple{pooled, fallback, correct, b.ok() && b->pooled() && b->view() == "again"};
  }());
  EXPECT_EQ(pooled, 4);
  EXPECT_EQ(fallback, 4);
  EXPECT_EQ(correct, 8);
  EXPECT_TRUE(again);
}

// Aborted receives and leases released on another thread lose no buffer.
TEST(RecvPooled, CancelledReceivesAndForeignReleasesKeepThePoolWhole) {
  int baseline = zokio::test::open_fd_count();
  {
    auto rt = zokio::Runtime::builder().worker_threads(1).recv_buffers(2, 256).build();
    auto leaked = rt.block_on([]() -> Task<RecvBuffer> {
      auto l = TcpListener::bind(loopback()).value();
      auto addr = l.local_addr().value();
      std::vector<TcpStream> keep;
      std::vector<zokio::JoinHandle<void>> waiting;
      auto reached = std::make_shared<std::atomic<int>>(0);
      for (int i = 0; i < 10; ++i) {
        keep.push_back((co_await TcpStream::connect(addr)).value());
        auto s = std::move((co_await l.accept()).value().stream);
        waiting.push_back(zokio::spawn([](TcpStream s, auto reached) -> Task<void> {
          reached->fetch_add(1);
          auto b = co_await s.recv_pooled();
          (void)b;
        }(std::move(s), reached)));
      }
      // One worker: a task seen past its count is suspended in its receive.
      for (int i = 0; i < 1'000'000 && reached->load() < 10; ++i) co_await zokio::yield_now();
      EXPECT_EQ(reached->load(), 10);
      for (auto& h : waiting) h.abort();
      for (auto& h : waiting) {
        try {
          co_await h;
        } catch (const zokio::TaskAborted&) {
        }
      }
      // Both buffers must be free again: two receives held at once are both pooled.
      auto c1 = (co_await TcpStream::connect(addr)).value();
      auto s1 = std::move((co_await l.accept()).value().stream);
      auto c2 = (co_await TcpStream::connect(addr)).value();
      auto s2 = std::move((co_await l.accept()).value().stream);
      auto w1 = co_await c1.write_all("one");
      auto w2 = co_await c2.write_all("two");
      (void)w1;
      (void)w2;
      auto b1 = co_await s1.recv_pooled();
      auto b2 = co_await s2.recv_pooled();
      EXPECT_TRUE(b1->pooled());
      EXPECT_TRUE(b2->pooled());
      co_return std::move(b2.value());  // released later, on the main thread
    }());
    EXPECT_EQ(leaked.view(), "two");
    // Main thread: handed back through the worker, which gives it back to the ring, or drops
    // the posted function unrun if it stops first; either way the pool is freed (LSan).
    leaked.reset();
  }
  EXPECT_EQ(zokio::test::open_fd_count(), baseline);
}

}  // namespace
