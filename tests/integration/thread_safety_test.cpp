// What docs/architecture.md ("Threads") promises about sharing: one task reading a TcpStream
// while another writes it, on different workers; one http::Client shared by tasks on every
// worker; Runtime::spawn from threads outside the runtime. Run under TSan in the TSan build.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <zokio/http/client.hpp>
#include <zokio/http/server.hpp>

#include "http_test_server.hpp"

namespace {

using zokio::Task;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;
using zokio::test::loopback;

constexpr int kMessages = 2000;

// The peer echoes every byte back.
Task<void> echo(TcpStream s) {
  char buf[4096];
  for (;;) {
    auto n = co_await s.read(buf, sizeof(buf));
    if (!n || *n == 0) co_return;
    auto w = co_await s.write_all(buf, *n);
    if (!w) co_return;
  }
}

TEST(ThreadSafety, OneReaderAndOneWriterOnTheSameStreamOnTwoWorkers) {
  auto rt = zokio::test::make_runtime(2);
  auto received = rt.block_on([]() -> Task<std::size_t> {
    auto l = TcpListener::bind(loopback()).value();
    auto addr = l.local_addr().value();
    auto stream = (co_await TcpStream::connect(addr)).value();
    auto peer = (co_await l.accept()).value();
    auto echoer = zokio::spawn(echo(std::move(peer.stream)));
    // The stream outlives both tasks: this frame awaits them.
    auto writer = zokio::spawn_pinned(
        0,
        [](TcpStream* s) -> Task<void> {
          for (int i = 0; i < kMessages; ++i) {
            auto w = co_await s->write_all("0123456789abcdef", 16);
            if (!w) co_return;
          }
        },
        &stream);
    auto reader = zokio::spawn_pinned(
        1,
        [](TcpStream* s) -> Task<std::size_t> {
          std::size_t total = 0;
          char buf[4096];
          while (total < std::size_t{kMessages} * 16) {
            auto n = co_await s->read(buf, sizeof(buf));
            if (!n || *n == 0) break;
            total += *n;
          }
          co_return total;
        },
        &stream);
    co_await writer;
    auto total = co_await reader;
    stream.close();
    co_await echoer;
    co_return total;
  });
  EXPECT_EQ(received, std::size_t{kMessages} * 16);
}

Task<zokio::http::Response> hello(zokio::http::Request& req) {
  co_return zokio::http::Response::text(std::string(req.path()));
}

class ThreadSafetyHttp : public zokio::test::HttpServerFixture {};

TEST_F(ThreadSafetyHttp, OneClientSharedByTasksOnEveryWorker) {
  start_server(hello);
  auto ok = rt_.block_on(
      [](SocketAddr addr) -> Task<int> {
        zokio::http::Client client;
        std::vector<zokio::JoinHandle<int>> tasks;
        for (int t = 0; t < 8; ++t) {
          tasks.push_back(zokio::spawn(
              [](zokio::http::Client* c, std::string base, int t) -> Task<int> {
                int good = 0;
                for (int i = 0; i < 50; ++i) {
                  const std::string path = "/t" + std::to_string(t) + "/" + std::to_string(i);
                  auto r = co_await c->get(base + path);
                  if (r && r->body == path) ++good;
                }
                co_return good;
              },
              &client, "http://" + addr.to_string(), t));
        }
        int good = 0;
        for (auto& h : tasks) good += co_await h;
        co_return good;
      },
      addr_);
  EXPECT_EQ(ok, 8 * 50);
}

TEST(ThreadSafety, SpawnFromThreadsOutsideTheRuntime) {
  auto rt = zokio::test::make_runtime(2);
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<zokio::JoinHandle<void>>> handles(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        handles[t].push_back(rt.spawn(
            [](std::atomic<int>* n) -> Task<void> {
              n->fetch_add(1);
              co_return;
            },
            &ran));
      }
    });
  }
  for (auto& th : threads) th.join();
  rt.block_on(
      [](auto* all) -> Task<void> {
        for (auto& v : *all) {
          for (auto& h : v) co_await h;
        }
      },
      &handles);
  EXPECT_EQ(ran.load(), 1000);
}

}  // namespace
