// The runtime: block_on, spawn/join/abort, yield, spawn_blocking, both flavours, shutdown,
// metrics, and a scheduler stress test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "zokio/runtime.hpp"
#include "zokio/spawn.hpp"
#include "zokio/time.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::JoinHandle;
using zokio::Runtime;
using zokio::Task;

Runtime make_runtime(std::size_t workers = 2, bool stealing = true) {
  return Runtime::builder().worker_threads(workers).work_stealing(stealing).build();
}

Task<int> value(int v) {
  co_return v;
}

TEST(Runtime, BlockOnReturnsTheValue) {
  auto rt = make_runtime();
  EXPECT_EQ(rt.block_on(value(7)), 7);
}

TEST(Runtime, BlockOnRethrows) {
  auto rt = make_runtime();
  auto failing = []() -> Task<int> {
    throw std::runtime_error("bad");
    co_return 0;
  };
  EXPECT_THROW(rt.block_on(failing()), std::runtime_error);
}

TEST(Runtime, SpawnAndJoin) {
  auto rt = make_runtime();
  int sum = rt.block_on([]() -> Task<int> {
    std::vector<JoinHandle<int>> handles;
    for (int i = 0; i < 100; ++i) handles.push_back(zokio::spawn(value(i)));
    int total = 0;
    for (auto& h : handles) total += co_await h;
    co_return total;
  }());
  EXPECT_EQ(sum, 4950);
}

TEST(Runtime, JoinPropagatesExceptions) {
  auto rt = make_runtime();
  auto outcome = rt.block_on([]() -> Task<std::string> {
    auto h = zokio::spawn([]() -> Task<void> {
      throw std::invalid_argument("inner");
      co_return;
    }());
    try {
      co_await h;
    } catch (const std::invalid_argument& e) {
      co_return e.what();
    }
    co_return "no exception";
  }());
  EXPECT_EQ(outcome, "inner");
}

TEST(Runtime, AbortASleepingTask) {
  auto rt = make_runtime();
  auto flag = std::make_shared<std::atomic<bool>>(false);
  bool aborted = rt.block_on([](auto flag) -> Task<bool> {
    auto h = zokio::spawn([](auto flag) -> Task<void> {
      co_await zokio::sleep(1h);
      flag->store(true);
    }(flag));
    co_await zokio::sleep(5ms);
    EXPECT_FALSE(h.is_finished());
    h.abort();
    try {
      co_await h;
    } catch (const zokio::TaskAborted&) {
      co_return true;
    }
    co_return false;
  }(flag));
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(flag->load());
  auto m = rt.metrics();
  EXPECT_GE(m.tasks_aborted, 1u);
}

TEST(Runtime, AbortAfterCompletionKeepsTheResult) {
  auto rt = make_runtime();
  int v = rt.block_on([]() -> Task<int> {
    auto h = zokio::spawn(value(5));
    while (!h.is_finished()) co_await zokio::yield_now();
    h.abort();
    int v = co_await h;
    co_return v;
  }());
  EXPECT_EQ(v, 5);
}

TEST(Runtime, DetachedTasksKeepRunning) {
  auto rt = make_runtime();
  auto done = std::make_shared<std::atomic<int>>(0);
  rt.block_on([](auto done) -> Task<void> {
    for (int i = 0; i < 10; ++i) {
      zokio::spawn([](auto done) -> Task<void> {
        co_await zokio::sleep(1ms);
        done->fetch_add(1);
      }(done))
          .detach();
    }
    while (done->load() < 10) co_await zokio::sleep(1ms);
  }(done));
  EXPECT_EQ(done->load(), 10);
}

TEST(Runtime, YieldLetsOthersRun) {
  auto rt = Runtime::builder().current_thread().build();
  std::vector<int> order;
  rt.block_on([](std::vector<int>& order) -> Task<void> {
    auto a = zokio::spawn([](std::vector<int>& order) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        order.push_back(1);
        co_await zokio::yield_now();
      }
    }(order));
    auto b = zokio::spawn([](std::vector<int>& order) -> Task<void> {
      for (int i = 0; i < 3; ++i) {
        order.push_back(2);
        co_await zokio::yield_now();
      }
    }(order));
    co_await a;
    co_await b;
  }(order));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

TEST(Runtime, SpawnBlockingRunsOffTheWorkers) {
  auto rt = make_runtime();
  auto main_id = std::this_thread::get_id();
  auto [same, v] = rt.block_on([](std::thread::id main_id) -> Task<std::pair<bool, int>> {
    auto worker_id = std::this_thread::get_id();
    auto h = zokio::spawn_blocking([] {
      std::this_thread::sleep_for(10ms);
      return std::this_thread::get_id();
    });
    auto pool_id = co_await h;
    auto r = co_await zokio::spawn_blocking([] { return 99; });
    co_return std::pair{pool_id == worker_id || pool_id == main_id, r};
  }(main_id));
  EXPECT_FALSE(same);
  EXPECT_EQ(v, 99);
}

TEST(Runtime, SpawnBlockingPropagatesExceptions) {
  auto rt = make_runtime();
  EXPECT_THROW(rt.block_on([]() -> Task<void> {
    co_await zokio::spawn_blocking([]() -> int { throw std::out_of_range("x"); });
  }()),
               std::out_of_range);
}

TEST(Runtime, CurrentThreadRunsOnTheCaller) {
  auto rt = Runtime::builder().current_thread().build();
  auto caller = std::this_thread::get_id();
  auto id = rt.block_on([]() -> Task<std::thread::id> {
    co_await zokio::sleep(1ms);
    co_return std::this_thread::get_id();
  }());
  EXPECT_EQ(id, caller);
  EXPECT_EQ(rt.worker_count(), 1u);
  // A second block_on continues on the same runtime.
  EXPECT_EQ(rt.block_on(value(3)), 3);
}

TEST(Runtime, SpawnOutsideARuntimeThrows) {
  EXPECT_THROW((void)zokio::spawn(value(1)), std::logic_error);
}

TEST(Runtime, BuilderRejectsBadSettings) {
  EXPECT_THROW(Runtime::builder().worker_threads(0), std::invalid_argument);
  EXPECT_THROW(Runtime::builder().local_queue_capacity(0), std::invalid_argument);
  EXPECT_THROW(Runtime::builder().max_blocking_threads(0), std::invalid_argument);
}

TEST(Runtime, ShutdownCancelsSleepingTasks) {
  auto rt = make_runtime();
  auto finished = std::make_shared<std::atomic<int>>(0);
  for (int i = 0; i < 50; ++i) {
    rt.spawn([](auto f) -> Task<void> {
        co_await zokio::sleep(1h);
        f->fetch_add(1);
      }(finished))
        .detach();
  }
  auto start = std::chrono::steady_clock::now();
  rt.shutdown(2s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(finished->load(), 0);
  auto m = rt.metrics();
  EXPECT_EQ(m.tasks_alive, 0u);
  EXPECT_EQ(m.tasks_aborted, 50u);
  // After shutdown, new work is refused rather than lost silently.
  EXPECT_THROW(rt.block_on(value(1)), zokio::TaskAborted);
}

TEST(Runtime, MetricsCountTasksAndPolls) {
  auto rt = make_runtime();
  rt.block_on([]() -> Task<void> {
    for (int i = 0; i < 10; ++i) co_await zokio::spawn(value(i));
  }());
  auto m = rt.metrics();
  EXPECT_EQ(m.tasks_spawned, 11u);  // 10 + the block_on root
  EXPECT_EQ(m.workers.size(), 2u);
  std::uint64_t polls = 0;
  for (auto& w : m.workers) polls += w.polls;
  EXPECT_GE(polls, 11u);
  EXPECT_NE(m.io_backend, zokio::IoBackend::kAuto);
}

// 1,000,000 small tasks spawned from 4 threads (two outside the runtime, two inside it): all
// complete exactly once.
TEST(RuntimeStress, MillionTasksFromFourThreads) {
  auto rt = make_runtime(2, true);
  constexpr int kPerThread = 250'000;
  auto counter = std::make_shared<std::atomic<long>>(0);
  auto bump = [](std::shared_ptr<std::atomic<long>> c) -> Task<void> {
    c->fetch_add(1, std::memory_order_relaxed);
    co_return;
  };
  std::vector<std::thread> outside;
  for (int t = 0; t < 2; ++t) {
    outside.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) rt.spawn(bump(counter)).detach();
    });
  }
  auto inside = [](auto bump, auto counter) -> Task<void> {
    for (int i = 0; i < kPerThread; ++i) {
      zokio::spawn(bump(counter)).detach();
      if (i % 1024 == 0) co_await zokio::yield_now();
    }
  };
  auto h1 = rt.spawn(inside(bump, counter));
  auto h2 = rt.spawn(inside(bump, counter));
  for (auto& t : outside) t.join();
  rt.block_on([](auto h1, auto h2, auto counter) -> Task<void> {
    co_await h1;
    co_await h2;
    while (counter->load() < 4L * kPerThread) co_await zokio::sleep(1ms);
  }(std::move(h1), std::move(h2), counter));
  EXPECT_EQ(counter->load(), 4L * kPerThread);
  auto m = rt.metrics();
  EXPECT_EQ(m.tasks_spawned, 4u * kPerThread + 3);
}

}  // namespace
