// Time: sleep, sleep_until, timeout (expiry cancels the inner task), interval.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "zokio/runtime.hpp"
#include "zokio/spawn.hpp"
#include "zokio/time.hpp"

namespace {

using namespace std::chrono_literals;
using zokio::Clock;
using zokio::Runtime;
using zokio::Task;

class Time : public ::testing::TestWithParam<bool> {
 protected:
  Runtime rt = GetParam() ? Runtime::builder().current_thread().build()
                          : Runtime::builder().worker_threads(2).build();
};

TEST_P(Time, SleepNeverWakesEarly) {
  auto elapsed = rt.block_on([]() -> Task<Clock::duration> {
    auto start = Clock::now();
    co_await zokio::sleep(20ms);
    co_return Clock::now() - start;
  }());
  EXPECT_GE(elapsed, 20ms);
}

TEST_P(Time, SleepUntilThePastCompletesAtOnce) {
  rt.block_on([]() -> Task<void> { co_await zokio::sleep_until(Clock::now() - 1s); }());
}

TEST_P(Time, ManyTimersFireInDeadlineOrder) {
  auto order = rt.block_on([]() -> Task<std::vector<int>> {
    auto out = std::make_shared<std::vector<int>>();
    auto mu = std::make_shared<std::mutex>();
    std::vector<zokio::JoinHandle<void>> hs;
    for (int i = 5; i >= 1; --i) {
      hs.push_back(zokio::spawn([](int i, auto out, auto mu) -> Task<void> {
        co_await zokio::sleep(std::chrono::milliseconds(i * 15));
        std::lock_guard lock(*mu);
        out->push_back(i);
      }(i, out, mu)));
    }
    for (auto& h : hs) co_await h;
    co_return *out;
  }());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST_P(Time, TimeoutPassesTheValueThrough) {
  auto r = rt.block_on([]() -> Task<zokio::IoResult<int>> {
    co_return co_await zokio::timeout(1s, []() -> Task<int> {
      co_await zokio::sleep(1ms);
      co_return 11;
    }());
  }());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 11);
}

TEST_P(Time, TimeoutExpiresAndDestroysTheInnerTask) {
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  auto r = rt.block_on([](std::weak_ptr<int> watch, auto alive) -> Task<zokio::IoResult<void>> {
    auto r = co_await zokio::timeout(10ms, [](auto alive) -> Task<void> {
      co_await zokio::sleep(1h);
      (void)alive;
    }(std::move(alive)));
    EXPECT_TRUE(watch.expired());  // the inner frame, the only other owner, is gone
    co_return r;
  }(watch, std::move(alive)));
  EXPECT_TRUE(watch.expired());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

TEST_P(Time, TimeoutPropagatesExceptions) {
  EXPECT_THROW(rt.block_on([]() -> Task<void> {
    auto r = co_await zokio::timeout(1s, []() -> Task<int> {
      throw std::runtime_error("inner");
      co_return 1;
    }());
    (void)r;
  }()),
               std::runtime_error);
}

TEST_P(Time, NestedTimeoutsTheInnerOneFires) {
  auto r = rt.block_on([]() -> Task<int> {
    auto outer = co_await zokio::timeout(1s, []() -> Task<int> {
      auto inner =
          co_await zokio::timeout(5ms, []() -> Task<void> { co_await zokio::sleep(1h); }());
      co_return inner.ok() ? 1 : 2;
    }());
    co_return outer.ok() ? *outer : 3;
  }());
  EXPECT_EQ(r, 2);
}

TEST_P(Time, IntervalTicksAtItsPeriod) {
  auto elapsed = rt.block_on([]() -> Task<Clock::duration> {
    auto start = Clock::now();
    auto iv = zokio::interval(5ms);
    for (int i = 0; i < 5; ++i) co_await iv.tick();  // first tick is immediate
    co_return Clock::now() - start;
  }());
  EXPECT_GE(elapsed, 20ms);
}

TEST(TimeNoRuntime, IntervalRejectsZeroPeriod) {
  EXPECT_THROW((void)zokio::Interval(Clock::duration::zero()), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Flavours, Time, ::testing::Values(false, true), [](const auto& info) {
  return info.param ? "CurrentThread" : "MultiThread";
});

}  // namespace
