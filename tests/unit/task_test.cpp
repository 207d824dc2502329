// Task<T> on its own: laziness, values, exceptions, symmetric transfer, move semantics.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "zokio/task.hpp"

namespace {

using zokio::Task;

// Drives a task to completion on this thread (no runtime needed when nothing suspends).
template <typename T>
T run_sync(Task<T> t) {
  t.handle().resume();
  EXPECT_TRUE(t.done());
  if constexpr (std::is_void_v<T>) {
    t.result();
  } else {
    return std::move(t.result());
  }
}

Task<int> answer() {
  co_return 42;
}
Task<int> add_one(int x) {
  co_return x + 1;
}
Task<int> chain() {
  int a = co_await answer();
  int b = co_await add_one(a);
  co_return b;
}
Task<void> thrower() {
  throw std::runtime_error("boom");
  co_return;
}
Task<std::unique_ptr<std::string>> move_only() {
  co_return std::make_unique<std::string>("hi");
}

TEST(Task, IsLazy) {
  bool started = false;
  // The lambda must outlive the coroutine: a coroutine lambda's captures live in the closure.
  auto body = [&]() -> Task<int> {
    started = true;
    co_return 1;
  };
  auto t = body();
  EXPECT_FALSE(started);
  EXPECT_FALSE(t.done());
  EXPECT_EQ(run_sync(std::move(t)), 1);
  EXPECT_TRUE(started);
}

TEST(Task, ReturnsValuesThroughChains) {
  EXPECT_EQ(run_sync(chain()), 43);
}

TEST(Task, ExceptionsPropagateThroughCoAwait) {
  auto outer = []() -> Task<std::string> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      co_return std::string("caught ") + e.what();
    }
    co_return "not reached";
  };
  EXPECT_EQ(run_sync(outer()), "caught boom");
}

TEST(Task, UnhandledExceptionRethrownByResult) {
  EXPECT_THROW(run_sync(thrower()), std::runtime_error);
}

TEST(Task, MoveOnlyResults) {
  auto outer = []() -> Task<std::string> {
    auto p = co_await move_only();
    co_return *p + "!";
  };
  EXPECT_EQ(run_sync(outer()), "hi!");
}

TEST(Task, DeepChainsDoNotGrowTheStack) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers turn the symmetric-transfer tail call into a real call";
#endif
  // 200,000 nested awaits would overflow an 8 MiB stack without symmetric transfer.
  struct Rec {
    static Task<int> depth(int n) {
      if (n == 0) co_return 0;
      co_return 1 + co_await depth(n - 1);
    }
  };
  EXPECT_EQ(run_sync(Rec::depth(200'000)), 200'000);
}

TEST(Task, DestroyingAnUnstartedTaskFreesItsFrame) {
  auto counter = std::make_shared<int>(0);
  {
    auto t = [](std::shared_ptr<int> c) -> Task<void> {
      ++*c;
      co_return;
    }(counter);
    EXPECT_EQ(counter.use_count(), 2);
  }
  EXPECT_EQ(counter.use_count(), 1);
  EXPECT_EQ(*counter, 0);
}

TEST(Task, MoveAssignmentReleasesThePreviousFrame) {
  auto counter = std::make_shared<int>(0);
  auto make = [](std::shared_ptr<int> c) -> Task<int> { co_return *c; };
  Task<int> a = make(counter);
  Task<int> b = make(counter);
  EXPECT_EQ(counter.use_count(), 3);
  a = std::move(b);
  EXPECT_EQ(counter.use_count(), 2);
  EXPECT_FALSE(b.valid());
  EXPECT_EQ(run_sync(std::move(a)), 0);
}

TEST(Task, AwaitingAnEmptyTaskThrows) {
  auto outer = []() -> Task<int> {
    Task<int> empty;
    int v = co_await std::move(empty);
    co_return v;
  };
  EXPECT_THROW(run_sync(outer()), std::logic_error);
}

}  // namespace
