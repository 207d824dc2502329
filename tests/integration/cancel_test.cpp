// Cancellation: aborting a task during accept, read, write, connect or sleep cancels the pending
// operation and frees everything: the handle reports the abort, and no descriptor stays open
// (ASan/LSan check the memory side in the sanitizer builds).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <vector>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::JoinHandle;
using zokio::Task;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;
using zokio::test::loopback;
using zokio::test::open_fd_count;

// Aborts `h` once its task is blocked in the operation under test, and reports whether the
// join saw the abort. The task raises `reached` just before that operation; it and this code
// run on one worker (both pinned there), so once this code sees the flag the task is suspended.
Task<bool> abort_and_join(JoinHandle<void> h, const std::atomic<bool>& reached) {
  for (int i = 0; i < 1'000'000 && !reached.load(); ++i) co_await zokio::yield_now();
  EXPECT_TRUE(reached.load());
  EXPECT_FALSE(h.is_finished());
  h.abort();
  try {
    co_await h;
  } catch (const zokio::TaskAborted&) {
    co_return true;
  }
  co_return false;
}

// Runs `body` pinned to worker 0, where the tasks it starts with spawn_local run too.
template <typename Body>
bool on_worker_0(zokio::Runtime& rt, Body body) {
  return rt.block_on(
      [](JoinHandle<bool> h) -> Task<bool> { co_return co_await h; }(rt.spawn_pinned(0, body())));
}

class Cancel : public ::testing::Test {
 protected:
  void TearDown() override {
    rt_.shutdown();
    EXPECT_EQ(open_fd_count(), baseline_) << "a descriptor leaked";
  }
  int baseline_ = open_fd_count();  // before the runtime opens its drivers' descriptors
  zokio::Runtime rt_ = zokio::test::make_runtime();
};

using Flag = std::shared_ptr<std::atomic<bool>>;

TEST_F(Cancel, DuringAccept) {
  EXPECT_TRUE(on_worker_0(rt_, []() -> Task<bool> {
    auto reached = std::make_shared<std::atomic<bool>>(false);
    auto l = TcpListener::bind(loopback()).value();
    auto h = zokio::spawn_local([](TcpListener l, Flag reached) -> Task<void> {
      reached->store(true);
      (void)co_await l.accept();
      ADD_FAILURE() << "accept returned";
    }(std::move(l), reached));
    co_return co_await abort_and_join(std::move(h), *reached);
  }));
}

TEST_F(Cancel, DuringRead) {
  EXPECT_TRUE(on_worker_0(rt_, []() -> Task<bool> {
    auto reached = std::make_shared<std::atomic<bool>>(false);
    auto l = TcpListener::bind(loopback()).value();
    auto addr = l.local_addr().value();
    auto client = (co_await TcpStream::connect(addr)).value();
    auto server_side = (co_await l.accept()).value();
    auto h = zokio::spawn_local([](TcpStream s, Flag reached) -> Task<void> {
      char buf[64];
      reached->store(true);
      (void)co_await s.read(buf, sizeof(buf));
      ADD_FAILURE() << "read returned";
    }(std::move(server_side.stream), reached));
    co_return co_await abort_and_join(std::move(h), *reached);
  }));
}

TEST_F(Cancel, DuringWriteToAPeerThatNeverReads) {
  EXPECT_TRUE(on_worker_0(rt_, []() -> Task<bool> {
    auto reached = std::make_shared<std::atomic<bool>>(false);
    auto l = TcpListener::bind(loopback()).value();
    auto addr = l.local_addr().value();
    auto client = (co_await TcpStream::connect(addr)).value();
    auto server_side = (co_await l.accept()).value();
    auto writer = zokio::spawn_local([](TcpStream s, Flag reached) -> Task<void> {
      std::vector<char> chunk(1 << 20, 'x');
      reached->store(true);  // from here on, it waits only in writes
      for (;;) {
        auto w = co_await s.write_all(chunk.data(), chunk.size());
        if (!w) co_return;
      }
    }(std::move(client), reached));
    co_return co_await abort_and_join(std::move(writer), *reached);
  }));
}

TEST_F(Cancel, DuringSleep) {
  EXPECT_TRUE(on_worker_0(rt_, []() -> Task<bool> {
    auto reached = std::make_shared<std::atomic<bool>>(false);
    auto h = zokio::spawn_local([](Flag reached) -> Task<void> {
      reached->store(true);
      co_await zokio::sleep(1h);
      ADD_FAILURE() << "sleep returned";
    }(reached));
    co_return co_await abort_and_join(std::move(h), *reached);
  }));
}

TEST_F(Cancel, TimeoutCancelsAPendingRead) {
  auto r = rt_.block_on([]() -> Task<zokio::IoResult<zokio::IoResult<std::size_t>>> {
    auto l = TcpListener::bind(loopback()).value();
    auto client = (co_await TcpStream::connect(l.local_addr().value())).value();
    auto server_side = (co_await l.accept()).value();
    char buf[16];
    co_return co_await zokio::timeout(
        20ms, [](TcpStream& s, char* buf) -> Task<zokio::IoResult<std::size_t>> {
          co_return co_await s.read(buf, 16);
        }(server_side.stream, buf));
  }());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

// Many tasks blocked in reads, all aborted by shutdown: nothing leaks.
TEST_F(Cancel, ShutdownWithManyBlockedReaders) {
  rt_.block_on([]() -> Task<void> {
    auto l = TcpListener::bind(loopback()).value();
    auto addr = l.local_addr().value();
    for (int i = 0; i < 100; ++i) {
      auto c = (co_await TcpStream::connect(addr)).value();
      auto s = (co_await l.accept()).value();
      zokio::spawn([](TcpStream a, TcpStream b) -> Task<void> {
        char buf[8];
        (void)co_await a.read(buf, sizeof(buf));
        (void)b;
      }(std::move(c), std::move(s.stream)))
          .detach();
    }
  }());
  // The 100 readers, and maybe the block_on root still finishing its bookkeeping.
  EXPECT_GE(rt_.metrics().tasks_alive, 100u);
}

// The io_uring fallback: with io_uring made to fail and ZOKIO_IO=auto, the runtime must run on
// epoll and still serve connections. (ctest runs the Fallback* tests with that environment.)
TEST(FallbackToEpoll, RuntimeRunsOnEpollWhenUringFails) {
  auto rt = zokio::Runtime::builder().worker_threads(2).build();
  const char* forced = std::getenv("ZOKIO_URING_FORCE_FAIL");
  if (forced && *forced == '1') {
    EXPECT_EQ(rt.io_backend(), zokio::IoBackend::kEpoll);
  }
  auto reply = rt.block_on([]() -> Task<std::string> {
    auto l = TcpListener::bind(loopback()).value();
    auto c = (co_await TcpStream::connect(l.local_addr().value())).value();
    auto s = (co_await l.accept()).value();
    (void)co_await c.write_all("fallback");
    std::string buf(8, '\0');
    (void)co_await s.stream.read_exact(buf.data(), buf.size());
    co_return buf;
  }());
  EXPECT_EQ(reply, "fallback");
}

}  // namespace
