// The worker's lock-free local run queue: FIFO order, capacity and overflow, stealing half,
// and a concurrent stress test in which every task is taken exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/local_queue.hpp"
#include "runtime/task_list.hpp"

namespace {

using zokio::detail::LocalQueue;
using zokio::detail::RawTask;
using zokio::detail::TaskList;

// Stand-in tasks: only their addresses matter to the queues. (RawTask does not move, and a
// deque never moves its elements.)
std::deque<RawTask> make_tasks(std::size_t n) {
  std::deque<RawTask> v;
  for (std::size_t i = 0; i < n; ++i) v.emplace_back(nullptr);
  return v;
}

TEST(LocalQueue, FifoForTheOwner) {
  LocalQueue q(8);
  auto tasks = make_tasks(5);
  for (auto& t : tasks) ASSERT_TRUE(q.push(&t));
  EXPECT_EQ(q.len(), 5u);
  for (auto& t : tasks) EXPECT_EQ(q.pop(), &t);
  EXPECT_EQ(q.pop(), nullptr);
  EXPECT_TRUE(q.empty());
}

TEST(LocalQueue, CapacityRoundsUpAndPushFailsWhenFull) {
  LocalQueue q(5);
  EXPECT_EQ(q.capacity(), 8u);
  auto tasks = make_tasks(9);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.push(&tasks[i]));
  EXPECT_FALSE(q.push(&tasks[8]));
}

TEST(LocalQueue, OverflowTakesTheOlderHalf) {
  LocalQueue q(8);
  auto tasks = make_tasks(8);
  for (auto& t : tasks) ASSERT_TRUE(q.push(&t));
  RawTask* out[4];
  ASSERT_EQ(q.take_half_for_overflow(out), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[i], &tasks[i]);
  EXPECT_EQ(q.len(), 4u);
  EXPECT_EQ(q.pop(), &tasks[4]);
}

TEST(LocalQueue, StealTakesHalfAndReturnsOne) {
  LocalQueue victim(16), thief(16);
  auto tasks = make_tasks(10);
  for (auto& t : tasks) ASSERT_TRUE(victim.push(&t));
  RawTask* got = victim.steal_into(thief);
  ASSERT_NE(got, nullptr);
  // Half of 10 is 5: one returned, four queued at the thief, five left with the victim.
  EXPECT_EQ(thief.len(), 4u);
  EXPECT_EQ(victim.len(), 5u);
  EXPECT_EQ(victim.pop(), &tasks[5]);
  EXPECT_EQ(thief.pop(), &tasks[0]);
  EXPECT_EQ(got, &tasks[4]);
}

TEST(LocalQueue, StealFromEmptyGetsNothing) {
  LocalQueue victim(8), thief(8);
  EXPECT_EQ(victim.steal_into(thief), nullptr);
}

// The owner pushes and pops while two thieves steal: every task is taken exactly once.
TEST(LocalQueue, ConcurrentStealingTakesEachTaskOnce) {
  constexpr int kTasks = 200'000;
  auto tasks = make_tasks(kTasks);
  std::vector<std::atomic<int>> taken(kTasks);
  std::unordered_map<RawTask*, std::size_t> slot;  // read-only once the threads start
  for (int i = 0; i < kTasks; ++i) slot[&tasks[i]] = static_cast<std::size_t>(i);
  auto index = [&](RawTask* t) { return slot.at(t); };
  LocalQueue owner(256);
  std::atomic<bool> done{false};
  auto thief = [&] {
    LocalQueue mine(256);
    while (!done.load(std::memory_order_acquire) || !owner.empty()) {
      if (RawTask* t = owner.steal_into(mine)) {
        taken[index(t)].fetch_add(1);
        while (RawTask* u = mine.pop()) taken[index(u)].fetch_add(1);
      }
    }
  };
  std::thread a(thief), b(thief);
  for (int i = 0; i < kTasks; ++i) {
    while (!owner.push(&tasks[i])) {
      if (RawTask* t = owner.pop()) taken[index(t)].fetch_add(1);
    }
    if (i % 3 == 0) {
      if (RawTask* t = owner.pop()) taken[index(t)].fetch_add(1);
    }
  }
  while (RawTask* t = owner.pop()) taken[index(t)].fetch_add(1);
  done.store(true, std::memory_order_release);
  a.join();
  b.join();
  int wrong = 0;
  for (auto& c : taken) wrong += c.load() != 1;
  EXPECT_EQ(wrong, 0);
}

TEST(TaskList, FifoWithBatches) {
  TaskList list;
  auto tasks = make_tasks(6);
  list.push(&tasks[0]);
  RawTask* batch[] = {&tasks[1], &tasks[2], &tasks[3]};
  list.push_batch(batch, 3);
  list.push(&tasks[4]);
  EXPECT_EQ(list.len(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(list.pop(), &tasks[i]);
  EXPECT_EQ(list.pop(), nullptr);
  EXPECT_TRUE(list.empty());
}

}  // namespace
