// What keeps ordinary user code from crashing or losing errors: spawn(callable, args) keeps a
// capturing coroutine lambda alive with its task, spawn_blocking(fn, args) takes arguments,
// an exception of a task nobody awaited reaches a handler, and a blocking job stuck past the
// shutdown deadline does not hang the runtime's destruction.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../common/wait_for_flag.hpp"
#include "zokio/runtime.hpp"
#include "zokio/spawn.hpp"
#include "zokio/time.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Runtime;
using zokio::Task;

Runtime make_runtime(std::size_t workers = 2) {
  return Runtime::builder().worker_threads(workers).build();
}

TEST(SpawnCallable, CapturingLambdaOutlivesTheStatement) {
  auto rt = make_runtime();
  auto total = rt.block_on([]() -> Task<std::size_t> {
    std::vector<zokio::JoinHandle<std::size_t>> handles;
    for (int i = 0; i < 100; ++i) {
      const std::string name = "a name long enough to live on the heap #" + std::to_string(i);
      // The closure is a temporary: it dies at the end of this statement, the task does not.
      handles.push_back(zokio::spawn(
          [name](std::size_t extra) -> Task<std::size_t> {
            co_await zokio::sleep(1ms);
            co_return name.size() + extra;
          },
          std::size_t{0}));
    }
    std::size_t sum = 0;
    for (auto& h : handles) sum += co_await h;
    co_return sum;
  });
  std::size_t expected = 0;
  for (int i = 0; i < 100; ++i) {
    expected += ("a name long enough to live on the heap #" + std::to_string(i)).size();
  }
  EXPECT_EQ(total, expected);
}

TEST(SpawnCallable, EveryFormTakesACallable) {
  auto rt = make_runtime();
  const std::string word = "pinned and local";
  auto pinned = rt.spawn_pinned(1, [word]() -> Task<std::size_t> { co_return word.size(); });
  auto from_outside = rt.spawn([word](int n) -> Task<int> { co_return n + 1; }, 41);
  EXPECT_EQ(
      rt.block_on([](auto h) -> Task<std::size_t> { co_return co_await h; }, std::move(pinned)),
      word.size());
  EXPECT_EQ(rt.block_on([](auto h) -> Task<int> { co_return co_await h; }, std::move(from_outside)),
            42);
  auto inside = rt.block_on([word]() -> Task<std::size_t> {
    auto local = zokio::spawn_local([word]() -> Task<std::size_t> { co_return word.size(); });
    auto on_0 = zokio::spawn_pinned(
        0, [](std::size_t n) -> Task<std::size_t> { co_return n; }, std::size_t{7});
    auto a = co_await local;
    auto b = co_await on_0;
    co_return a + b;
  });
  EXPECT_EQ(inside, word.size() + 7);
  // The argument of a non-coroutine callable that returns a Task.
  EXPECT_EQ(rt.block_on([](int v) -> Task<int> { co_return v * 2; }, 21), 42);
}

TEST(SpawnBlocking, ArgumentsAreMovedToThePool) {
  auto rt = make_runtime();
  auto n = rt.block_on([]() -> Task<std::size_t> {
    auto owned = std::make_unique<std::string>(100, 'x');
    auto size = co_await zokio::spawn_blocking(
        [](std::unique_ptr<std::string> s, std::size_t extra) { return s->size() + extra; },
        std::move(owned), std::size_t(1));
    co_return size;
  });
  EXPECT_EQ(n, 101u);
}

class UnobservedExceptions : public ::testing::Test {
 protected:
  void SetUp() override {
    zokio::set_unobserved_exception_handler([this](std::exception_ptr e) {
      std::lock_guard lock(mu_);
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        seen_.push_back(ex.what());
      }
      reported_.store(true);
    });
  }
  void TearDown() override { zokio::set_unobserved_exception_handler({}); }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::atomic<bool> reported_{false};
};

TEST_F(UnobservedExceptions, ADetachedTaskThatThrowsIsReported) {
  auto rt = make_runtime();
  rt.spawn([]() -> Task<void> {
      co_await zokio::yield_now();
      throw std::runtime_error("lost in a detached task");
    }).detach();
  ASSERT_TRUE(zokio::test::wait_for_flag(reported_));
  EXPECT_EQ(seen(), std::vector<std::string>{"lost in a detached task"});
}

TEST_F(UnobservedExceptions, AHandleDroppedUnawaitedReportsIt) {
  auto rt = make_runtime();
  {
    auto handle = rt.spawn([]() -> Task<int> { throw std::runtime_error("never awaited"); });
    rt.block_on([](zokio::JoinHandle<int>& h) -> Task<void> {
      while (!h.is_finished()) co_await zokio::yield_now();
    }(handle));
    EXPECT_FALSE(reported_.load());  // the handle could still take it
  }
  ASSERT_TRUE(zokio::test::wait_for_flag(reported_));
  EXPECT_EQ(seen(), std::vector<std::string>{"never awaited"});
}

TEST_F(UnobservedExceptions, AnAwaitedExceptionIsNotReported) {
  auto rt = make_runtime();
  EXPECT_THROW(rt.block_on([]() -> Task<void> {
    auto h = zokio::spawn([]() -> Task<void> {
      throw std::runtime_error("awaited");
      co_return;
    });
    co_await h;
  }),
               std::runtime_error);
  rt.shutdown();
  EXPECT_TRUE(seen().empty());
}

TEST(UnobservedExceptionsDefault, WritesOneLineToStderr) {
  ::testing::internal::CaptureStderr();
  {
    auto rt = make_runtime(1);
    auto ran = std::make_shared<std::atomic<bool>>(false);
    rt.spawn(
          [](auto ran) -> Task<void> {
            ran->store(true);
            throw std::runtime_error("the default handler");
            co_return;
          },
          ran)
        .detach();
    ASSERT_TRUE(zokio::test::wait_for_flag(*ran));
    rt.shutdown();  // the task, running, finishes its poll: the worker reports, then stops
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("zokio: a task nobody awaited ended with an exception: the default handler\n"),
            std::string::npos)
      << err;
}

// A blocking job that does not return before the shutdown deadline is left behind with a
// report; the runtime's destruction returns. The job returns later, touching nothing freed.
TEST(BlockingPoolShutdown, AJobStuckPastTheDeadlineIsLeftBehind) {
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto started = std::make_shared<std::atomic<bool>>(false);
  auto returned = std::make_shared<std::atomic<bool>>(false);
  ::testing::internal::CaptureStderr();
  {
    auto rt = make_runtime(1);
    rt.block_on(
        [](auto release, auto started, auto returned) -> Task<void> {
          auto h = zokio::spawn_blocking([release, started, returned] {
            started->store(true);
            const auto give_up = std::chrono::steady_clock::now() + 30s;
            while (!release->load() && std::chrono::steady_clock::now() < give_up) {
              std::this_thread::sleep_for(1ms);  // a stuck job, not synchronisation
            }
            // Spawning from a job left behind finds no runtime rather than a destroyed one.
            EXPECT_THROW((void)zokio::spawn([]() -> Task<void> { co_return; }), std::logic_error);
            returned->store(true);
          });
          h.detach();
          co_return;
        },
        release, started, returned);
    ASSERT_TRUE(zokio::test::wait_for_flag(*started));
    rt.shutdown(50ms);
  }  // before the fix: never returned
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("1 job(s) still running at the shutdown deadline; left behind"),
            std::string::npos)
      << err;
  release->store(true);
  EXPECT_TRUE(zokio::test::wait_for_flag(*returned));
}

}  // namespace
