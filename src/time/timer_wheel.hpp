// Internal hierarchical timer wheel (6 levels x 64 slots, 1 ms ticks) that backs the runtime's
// sleeps and timeouts, plus TickClock, which maps std::chrono::steady_clock onto wheel ticks.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "zokio/detail/timer_entry.hpp"

namespace zokio::detail {

// Design (same scheme as Tokio's wheel):
//  * Level L has 64 slots of 64^L ticks each, so it spans 64^(L+1) ticks; the six levels cover
//    2^36 ms (~2.2 years). An entry goes to the level of the highest 6-bit digit in which its
//    deadline differs from now(), into the slot given by that digit. Hence every occupied slot
//    starts strictly after now(), and any occupied slot of level L starts before any occupied
//    slot of level L+1.
//  * When now() reaches the start of an occupied slot, its entries are either fired (deadline
//    reached) or re-inserted relative to the new now(), which moves them to a lower level
//    ("cascading"). A level-0 slot is a single tick, so entries fire exactly at their deadline.
//  * Deadlines beyond the top level's span are clamped into the top level at the slot of their
//    top digit; that slot's next start is still <= the deadline, and it simply cascades again.
//  * One 64-bit occupancy bitmap per level lets next_expiration() and advance_to() jump straight
//    to the next occupied slot, so a jump of hours costs O(occupied slots), not O(ticks).
//  * Entries inserted with deadline <= now() go to a separate "due" list fired by the next
//    advance_to(). That keeps an on_fire re-arming itself at now() from looping forever.
class TimerWheel {
 public:
  TimerWheel() = default;  // now() == 0
  // Unlinks any remaining entries (marks them not linked); nothing is fired.
  ~TimerWheel();
  // Entries point at list heads inside the wheel, so it cannot be copied or moved.
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // deadline <= now(): fires at the next advance_to(). Inserting an already linked entry
  // reschedules it.
  void insert(TimerEntry* e) noexcept;
  // O(1); no-op if not linked.
  void remove(TimerEntry* e) noexcept;
  // Fires every entry with deadline <= now, in no particular order; returns how many fired.
  // on_fire may insert or remove any entries (including re-inserting its own); it must not call
  // advance_to(). While on_fire runs, now() is the tick being processed, which for an entry
  // inserted ahead of time is its own deadline, so "now() + period" re-arming does not drift.
  // A `now` earlier than now() is ignored (time never goes back). If an on_fire throws, the
  // exception propagates with the remaining entries still pending and now() possibly behind.
  std::size_t advance_to(std::uint64_t now);
  // A tick at which advance_to() must be called next: never later than the earliest deadline
  // (earlier when the first entry sits on a higher level and must cascade first); now() if
  // entries are already due; nullopt if empty. O(levels).
  std::optional<std::uint64_t> next_expiration() const noexcept;
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::uint64_t now() const noexcept { return now_; }

 private:
  static constexpr std::size_t kNumLevels = 6;
  static constexpr std::size_t kSlotsPerLevel = 64;
  static constexpr unsigned kLevelBits = 6;  // log2(kSlotsPerLevel)
  // Pseudo levels tagging entries that sit in the due / processing lists instead of a slot.
  static constexpr std::uint8_t kDueList = kNumLevels;
  static constexpr std::uint8_t kProcessingList = kNumLevels + 1;

  struct SlotRef {
    std::uint64_t tick;  // when the slot must be processed
    std::size_t level;
    std::size_t slot;
  };

  TimerEntry*& list_head(std::uint8_t level, std::uint8_t slot) noexcept;
  void link(TimerEntry* e, std::uint8_t level, std::uint8_t slot) noexcept;
  void unlink(TimerEntry* e) noexcept;
  void place(TimerEntry* e) noexcept;
  void move_to_processing(TimerEntry*& head) noexcept;
  std::size_t drain_processing();
  std::optional<SlotRef> next_occupied_slot() const noexcept;

  std::array<std::array<TimerEntry*, kSlotsPerLevel>, kNumLevels> slots_{};
  std::array<std::uint64_t, kNumLevels> occupied_{};  // bit s set <=> slots_[level][s] non-empty
  TimerEntry* due_ = nullptr;         // deadline <= now_, waiting for the next advance_to()
  TimerEntry* processing_ = nullptr;  // entries taken out of a slot that advance_to() handles
  std::uint64_t now_ = 0;
  std::size_t size_ = 0;
  bool advancing_ = false;  // only to catch re-entrant advance_to() calls
};

// Maps std::chrono::steady_clock to wheel ticks.
class TickClock {
 public:
  explicit TickClock(
      std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now());
  // Rounds UP so a timer never fires early; times before epoch -> 0.
  std::uint64_t deadline_tick(std::chrono::steady_clock::time_point t) const noexcept;
  // Rounds DOWN, for the same reason; times before epoch -> 0.
  std::uint64_t now_tick(std::chrono::steady_clock::time_point now) const noexcept;
  // Saturates at time_point::max() instead of overflowing.
  std::chrono::steady_clock::time_point time_of(std::uint64_t tick) const noexcept;

 private:
  std::chrono::steady_clock::time_point epoch_;
};

}  // namespace zokio::detail
