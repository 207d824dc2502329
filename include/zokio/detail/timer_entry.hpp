// A timer node embedded in its owner (a sleep, a timeout), so arming a timer never allocates.
// The owner keeps the entry alive, and does not move it, while it is linked into a worker's
// wheel. Internal; see time.hpp for the public API.
#pragma once

#include <chrono>
#include <cstdint>

namespace zokio::detail {

struct TimerEntry {
  // Set by the owner before insert():
  std::uint64_t deadline = 0;              // absolute tick (ms since the wheel's epoch)
  void (*on_fire)(TimerEntry*) = nullptr;  // called once when expired, after the entry is unlinked
  void* ctx = nullptr;                     // the owner, for on_fire
  // Intrusive links, managed by the wheel only:
  TimerEntry* prev = nullptr;
  TimerEntry* next = nullptr;
  std::uint8_t level = 0;
  std::uint8_t slot = 0;
  bool linked = false;
  bool is_linked() const noexcept { return linked; }
};

// Arms `e` on the current worker's wheel to fire at `when` (never earlier). Throws
// std::logic_error outside a runtime worker.
void timer_arm(TimerEntry& e, std::chrono::steady_clock::time_point when);
// Re-arms `e` to fire at the worker's next timer tick.
void timer_arm_now(TimerEntry& e);
// Unlinks `e` if linked; must run on the worker that armed it.
void timer_disarm(TimerEntry& e) noexcept;

}  // namespace zokio::detail
