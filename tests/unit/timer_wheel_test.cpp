// Unit tests for zokio::detail::TimerWheel and TickClock: exact-tick firing, cascading across all
// levels and beyond the top level, large jumps, removal and re-entrant on_fire callbacks, plus a
// randomized run checked against a brute-force model.
#include "time/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace zokio::detail {
namespace {

constexpr std::uint64_t kTopSpan = std::uint64_t{1} << 36;  // ticks covered by all six levels

// Deriving from TimerEntry lets on_fire get back to the test state with a static_cast.
struct TestTimer : TimerEntry {
  TimerWheel* wheel = nullptr;
  int fired = 0;
  std::uint64_t fired_at = 0;   // wheel.now() seen inside on_fire
  std::uint64_t period = 0;     // for interval()
  int repeats_left = 0;         // for interval()
  TestTimer* victim = nullptr;  // for remove_victim()
  bool exact = true;            // expect on_fire exactly at the deadline tick

  TestTimer(TimerWheel* w, std::uint64_t when, void (*cb)(TimerEntry*)) : wheel(w) {
    deadline = when;
    on_fire = cb;
  }
  // Like a real sleep future: never leave a dangling entry in the wheel (e.g. when an ASSERT
  // ends a test early).
  ~TestTimer() {
    if (is_linked()) wheel->remove(this);
  }
};

TestTimer* self(TimerEntry* e) {
  return static_cast<TestTimer*>(e);
}

void insert_all(TimerWheel& w, std::initializer_list<TestTimer*> timers) {
  for (TestTimer* t : timers) w.insert(t);
}

void record(TimerEntry* e) {
  TestTimer* t = self(e);
  EXPECT_FALSE(e->is_linked());
  EXPECT_LE(e->deadline, t->wheel->now()) << "fired early";
  if (t->exact) {
    EXPECT_EQ(e->deadline, t->wheel->now()) << "fired late";
  }
  ++t->fired;
  t->fired_at = t->wheel->now();
}

void interval(TimerEntry* e) {
  record(e);
  TestTimer* t = self(e);
  if (--t->repeats_left > 0) {
    e->deadline = t->wheel->now() + t->period;
    t->wheel->insert(e);
  }
}

void remove_victim(TimerEntry* e) {
  record(e);
  self(e)->wheel->remove(self(e)->victim);
}

void throw_on_fire(TimerEntry* e) {
  record(e);
  throw std::runtime_error("on_fire failed");
}

TEST(TimerWheelTest, EmptyWheel) {
  TimerWheel w;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.now(), 0u);
  EXPECT_EQ(w.next_expiration(), std::nullopt);
  EXPECT_EQ(w.advance_to(12345), 0u);
  EXPECT_EQ(w.now(), 12345u);
  EXPECT_EQ(w.advance_to(100), 0u);  // going back is ignored
  EXPECT_EQ(w.now(), 12345u);
  EXPECT_EQ(w.next_expiration(), std::nullopt);
}

TEST(TimerWheelTest, FiresExactlyAtDeadline) {
  // One deadline per level, to cover cascading from each of them.
  for (std::uint64_t deadline : std::initializer_list<std::uint64_t>{
           1, 63, 64, 4095, 4096, 300000, 1ull << 25, (1ull << 33) + 7, kTopSpan - 1}) {
    TimerWheel w;
    TestTimer t(&w, deadline, record);
    w.insert(&t);
    ASSERT_LE(w.next_expiration().value(), deadline);
    EXPECT_EQ(w.advance_to(deadline - 1), 0u) << deadline;
    ASSERT_LE(w.next_expiration().value(), deadline);
    EXPECT_EQ(w.advance_to(deadline), 1u) << deadline;  // record() checks now() == deadline
    EXPECT_TRUE(w.empty());
  }
}

TEST(TimerWheelTest, PastDeadlineFiresOnNextAdvance) {
  TimerWheel w;
  w.advance_to(100);
  TestTimer past(&w, 50, record);
  past.exact = false;
  TestTimer now(&w, 100, record);
  insert_all(w, {&past, &now});
  EXPECT_EQ(w.next_expiration(), 100u);
  EXPECT_EQ(w.advance_to(90), 2u);  // earlier time is ignored, due entries still fire
  EXPECT_EQ(w.now(), 100u);
  EXPECT_EQ(past.fired, 1);
  EXPECT_EQ(now.fired, 1);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheelTest, LargeJumps) {
  TimerWheel w;
  const std::uint64_t ten_hours = 10ull * 3600 * 1000;
  std::vector<std::uint64_t> deadlines = {
      1, 63, 64, 4095, 4096, 3600000, ten_hours, ten_hours + 1, kTopSpan + 5};
  std::vector<TestTimer> timers;
  timers.reserve(deadlines.size());
  for (std::uint64_t d : deadlines) timers.emplace_back(&w, d, record);
  for (TestTimer& t : timers) w.insert(&t);
  EXPECT_EQ(w.advance_to(ten_hours), 7u);
  EXPECT_EQ(w.now(), ten_hours);
  EXPECT_EQ(w.size(), 2u);
  // record() checks that each one saw now() == its deadline, even inside one big jump.
  for (const TestTimer& t : timers) EXPECT_EQ(t.fired, t.deadline <= ten_hours ? 1 : 0);
  EXPECT_LE(*w.next_expiration(), ten_hours + 1);
  // A per-millisecond loop would take ~10^12 iterations here; this must be instant.
  EXPECT_EQ(w.advance_to(1ull << 40), 2u);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.advance_to(1ull << 50), 0u);
}

TEST(TimerWheelTest, DeadlinesBeyondTopLevelAreNotLost) {
  {
    // Driven the way the runtime will: always advance to next_expiration().
    TimerWheel w;
    TestTimer t(&w, (1ull << 38) + 12345, record);
    w.insert(&t);
    for (int steps = 0; !w.empty(); ++steps) {
      ASSERT_LT(steps, 40);  // a few cascades per top-level turn
      const std::uint64_t next = w.next_expiration().value();
      ASSERT_GT(next, w.now());
      ASSERT_LE(next, t.deadline);
      w.advance_to(next);
    }
    EXPECT_EQ(t.fired_at, t.deadline);
  }
  {
    // Just across the top level's boundary while now() is in its last slot.
    TimerWheel w;
    w.advance_to(kTopSpan - 10);
    TestTimer t(&w, kTopSpan + 5, record);
    w.insert(&t);
    EXPECT_LE(*w.next_expiration(), t.deadline);
    EXPECT_EQ(w.advance_to(kTopSpan + 4), 0u);
    EXPECT_EQ(w.advance_to(kTopSpan + 5), 1u);
  }
  {
    // Same top-level slot index as now(), one full turn later: must wait for the next turn
    // rather than being processed (and re-filed) immediately, and must not hide top-level
    // entries due earlier in this turn (later slot) or the next one (earlier slot).
    TimerWheel w;
    w.advance_to(5ull << 30);
    TestTimer next_turn(&w, (5ull << 30) + kTopSpan + 7, record);
    TestTimer this_turn(&w, (7ull << 30) + 3, record);
    TestTimer wrapped(&w, (2ull << 30) + kTopSpan + 9, record);
    insert_all(w, {&next_turn, &this_turn, &wrapped});
    for (TestTimer* t : {&this_turn, &wrapped, &next_turn}) {
      const std::uint64_t next = w.next_expiration().value();
      EXPECT_GT(next, w.now());
      EXPECT_LE(next, t->deadline);
      EXPECT_EQ(w.advance_to(t->deadline - 1), 0u);
      EXPECT_EQ(w.advance_to(t->deadline), 1u);
      EXPECT_EQ(t->fired, 1);
    }
  }
  {
    // "Never": stays pending through huge jumps.
    TimerWheel w;
    TestTimer t(&w, std::numeric_limits<std::uint64_t>::max(), record);
    w.insert(&t);
    EXPECT_TRUE(w.next_expiration().has_value());
    EXPECT_EQ(w.advance_to(1ull << 40), 0u);
    EXPECT_EQ(w.size(), 1u);
    w.remove(&t);
    EXPECT_TRUE(w.empty());
  }
}

TEST(TimerWheelTest, RemoveBeforeFiring) {
  TimerWheel w;
  TestTimer a(&w, 500, record);
  TestTimer b(&w, 500, record);  // same slot as a
  TestTimer far(&w, 1ull << 30, record);
  insert_all(w, {&a, &b, &far});
  w.remove(&a);
  w.remove(&far);
  EXPECT_FALSE(a.is_linked());
  EXPECT_EQ(w.size(), 1u);
  EXPECT_LE(w.next_expiration().value_or(1000), 500u);  // b still there
  w.remove(&b);
  EXPECT_EQ(w.next_expiration(), std::nullopt);  // no stale occupancy bits
  w.insert(&b);
  EXPECT_EQ(w.advance_to(1ull << 31), 1u);
  EXPECT_EQ(a.fired, 0);
  EXPECT_EQ(b.fired, 1);
  EXPECT_EQ(far.fired, 0);

  TestTimer unlinked(&w, 10, record);
  w.remove(&unlinked);  // never inserted
  w.remove(&b);         // already fired
  w.remove(&a);         // already removed
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheelTest, OnFireReinsertsItself) {
  TimerWheel w;
  TestTimer t(&w, 10, interval);
  t.period = 10;
  t.repeats_left = 5;
  w.insert(&t);
  EXPECT_EQ(w.advance_to(1000), 5u);  // all repetitions fall inside one jump
  EXPECT_EQ(t.fired, 5);
  EXPECT_EQ(t.fired_at, 50u);
  EXPECT_TRUE(w.empty());

  // Re-arming at now() must not loop forever: it fires on the following advance_to().
  TestTimer zero(&w, 1005, interval);
  zero.period = 0;
  zero.repeats_left = 3;
  zero.exact = false;  // the re-armed copies fire after their (already past) deadline
  w.insert(&zero);
  EXPECT_EQ(w.advance_to(2000), 1u);
  EXPECT_EQ(zero.fired_at, 1005u);
  EXPECT_EQ(w.next_expiration(), 2000u);
  EXPECT_EQ(w.advance_to(2000), 1u);
  EXPECT_EQ(w.advance_to(2000), 1u);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheelTest, OnFireRemovesAnotherEntry) {
  TimerWheel w;
  // Victim on a later tick and on a higher level.
  TestTimer a(&w, 10, remove_victim);
  TestTimer b(&w, 20, record);
  TestTimer c(&w, 100000, record);
  a.victim = &b;
  insert_all(w, {&a, &b, &c});
  EXPECT_EQ(w.advance_to(15), 1u);
  EXPECT_FALSE(b.is_linked());
  a.victim = &c;
  a.deadline = 500;
  w.insert(&a);
  a.deadline = 20;
  w.insert(&a);  // reschedules a linked entry
  EXPECT_EQ(w.advance_to(1000000), 1u);
  EXPECT_EQ(b.fired, 0);
  EXPECT_EQ(c.fired, 0);
  EXPECT_EQ(a.fired, 2);
  EXPECT_TRUE(w.empty());

  // Two entries in the same slot (and then in the due list) removing each other: exactly one
  // fires, whichever runs first.
  for (std::uint64_t deadline : {3000ull, 0ull}) {
    TestTimer x(&w, w.now() + deadline, remove_victim);
    TestTimer y(&w, w.now() + deadline, remove_victim);
    x.victim = &y;
    y.victim = &x;
    insert_all(w, {&x, &y});
    EXPECT_EQ(w.advance_to(w.now() + deadline), 1u);
    EXPECT_EQ(x.fired + y.fired, 1);
    EXPECT_TRUE(w.empty());
  }
}

TEST(TimerWheelTest, SizeBookkeeping) {
  TestTimer a(nullptr, 10, record);
  TestTimer b(nullptr, 1ull << 20, record);
  TestTimer c(nullptr, 1ull << 35, record);
  {
    TimerWheel w;
    a.wheel = b.wheel = c.wheel = &w;
    insert_all(w, {&a, &b, &c});
    EXPECT_EQ(w.size(), 3u);
    w.insert(&b);  // rescheduling does not count twice
    EXPECT_EQ(w.size(), 3u);
    w.remove(&b);
    w.remove(&b);
    EXPECT_EQ(w.size(), 2u);
    EXPECT_EQ(w.advance_to(10), 1u);
    EXPECT_EQ(w.size(), 1u);
    EXPECT_FALSE(w.empty());
  }
  // The wheel's destructor leaves no entry pointing into it.
  EXPECT_FALSE(c.is_linked());
  EXPECT_EQ(c.prev, nullptr);
  EXPECT_EQ(c.next, nullptr);
}

TEST(TimerWheelTest, ThrowingOnFireKeepsWheelConsistent) {
  TimerWheel w;
  TestTimer a(&w, 10, throw_on_fire);
  TestTimer b(&w, 10, record);
  TestTimer c(&w, 5000, record);
  insert_all(w, {&b, &a, &c});  // lists are LIFO today, so b is still pending when a throws
  EXPECT_THROW(w.advance_to(10000), std::runtime_error);
  EXPECT_EQ(w.size(), 2u - static_cast<std::size_t>(b.fired));
  w.advance_to(10000);  // the rest fire, none early (checked by record())
  EXPECT_EQ(b.fired + c.fired, 2);
  EXPECT_TRUE(w.empty());
}

// Random deadlines on every level (log-uniform up to 2^36, re-armed ones up to 2^37 ahead, i.e.
// clamped), inserted at arbitrary now() values, with random reschedules, cancellations and
// re-arming of fired timers, advanced both by next_expiration() and by random jumps. A
// brute-force scan of all timers is the model.
TEST(TimerWheelTest, RandomizedAgainstBruteForce) {
  constexpr std::size_t kCount = 10000;
  constexpr int kChurnSteps = 2000;  // then no more changes, only advancing until empty
  std::mt19937_64 rng(20240601);
  auto log_uniform = [&rng](int max_bits) {
    const int bits = std::uniform_int_distribution<int>(0, max_bits)(rng);
    return std::uniform_int_distribution<std::uint64_t>(0, (std::uint64_t{1} << bits) - 1)(rng);
  };

  TimerWheel w;
  std::vector<TestTimer> timers;
  std::vector<int> expected_fires(kCount, 1);
  timers.reserve(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    timers.emplace_back(&w, 1 + log_uniform(36), record);
  }
  for (TestTimer& t : timers) w.insert(&t);

  for (int steps = 1; !w.empty(); ++steps) {
    ASSERT_LT(steps, 100000);
    std::uint64_t earliest = std::numeric_limits<std::uint64_t>::max();
    std::size_t pending = 0;
    for (const TestTimer& t : timers) {
      if (!t.is_linked()) continue;
      earliest = std::min(earliest, t.deadline);
      ++pending;
    }
    ASSERT_EQ(pending, w.size());
    ASSERT_GT(earliest, w.now());  // everything due has fired
    const std::uint64_t next = w.next_expiration().value();
    ASSERT_LE(next, earliest);
    ASSERT_GT(next, w.now());

    for (int change = 0; steps < kChurnSteps && change < 4; ++change) {
      const auto i = std::uniform_int_distribution<std::size_t>(0, kCount - 1)(rng);
      TestTimer& t = timers[i];
      if (t.is_linked() && rng() % 4 == 0) {
        w.remove(&t);
        --expected_fires[i];
      } else {
        if (!t.is_linked()) ++expected_fires[i];
        t.deadline = w.now() + 1 + log_uniform(37);
        w.insert(&t);  // arms, or reschedules if still pending
      }
    }

    const std::uint64_t target = steps % 3 == 0 ? *w.next_expiration() : w.now() + log_uniform(32);
    std::size_t due = 0;
    for (const TestTimer& t : timers) due += t.is_linked() && t.deadline <= target;
    ASSERT_EQ(w.advance_to(target), due);
    ASSERT_EQ(w.now(), target);
  }
  for (std::size_t i = 0; i < kCount; ++i) ASSERT_EQ(timers[i].fired, expected_fires[i]) << i;
}

TEST(TickClockTest, Rounding) {
  using std::chrono::milliseconds;
  using std::chrono::nanoseconds;
  const auto epoch = std::chrono::steady_clock::now();
  const TickClock clock(epoch);

  EXPECT_EQ(clock.deadline_tick(epoch), 0u);
  EXPECT_EQ(clock.deadline_tick(epoch - milliseconds(5)), 0u);
  EXPECT_EQ(clock.deadline_tick(epoch + nanoseconds(1)), 1u);
  EXPECT_EQ(clock.deadline_tick(epoch + milliseconds(1)), 1u);
  EXPECT_EQ(clock.deadline_tick(epoch + milliseconds(1) + nanoseconds(1)), 2u);

  EXPECT_EQ(clock.now_tick(epoch - milliseconds(5)), 0u);
  EXPECT_EQ(clock.now_tick(epoch + nanoseconds(999999)), 0u);
  EXPECT_EQ(clock.now_tick(epoch + milliseconds(1)), 1u);
  EXPECT_EQ(clock.now_tick(epoch + milliseconds(2) - nanoseconds(1)), 1u);
  // Together: a timer whose deadline_tick() has been reached by now_tick() is never early.

  for (std::uint64_t tick : {0ull, 1ull, 999ull, 1ull << 36}) {
    EXPECT_EQ(clock.time_of(tick), epoch + milliseconds(tick));
    EXPECT_EQ(clock.deadline_tick(clock.time_of(tick)), tick);
    EXPECT_EQ(clock.now_tick(clock.time_of(tick)), tick);
  }
  EXPECT_EQ(clock.time_of(std::numeric_limits<std::uint64_t>::max()),
            std::chrono::steady_clock::time_point::max());
}

}  // namespace
}  // namespace zokio::detail
