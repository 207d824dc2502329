// Implementation of the hierarchical timer wheel and TickClock; the design is described in
// timer_wheel.hpp.
#include "time/timer_wheel.hpp"

#include <bit>
#include <cassert>

namespace zokio::detail {
namespace {

constexpr std::uint64_t kSlotMask = 63;

// Clears the links of every entry in a list without firing anything.
void unlink_all(TimerEntry*& head) noexcept {
  for (TimerEntry* e = head; e != nullptr;) {
    TimerEntry* next = e->next;
    e->prev = e->next = nullptr;
    e->linked = false;
    e = next;
  }
  head = nullptr;
}

}  // namespace

TimerWheel::~TimerWheel() {
  // Owners may check is_linked() after the wheel is gone (e.g. during runtime shutdown), so
  // leave no entry pointing into freed memory.
  for (std::size_t level = 0; level < kNumLevels; ++level) {
    for (std::uint64_t occ = occupied_[level]; occ != 0; occ &= occ - 1) {
      unlink_all(slots_[level][static_cast<std::size_t>(std::countr_zero(occ))]);
    }
  }
  unlink_all(due_);
  unlink_all(processing_);
}

TimerEntry*& TimerWheel::list_head(std::uint8_t level, std::uint8_t slot) noexcept {
  if (level < kNumLevels) return slots_[level][slot];
  return level == kDueList ? due_ : processing_;
}

void TimerWheel::link(TimerEntry* e, std::uint8_t level, std::uint8_t slot) noexcept {
  TimerEntry*& head = list_head(level, slot);
  e->prev = nullptr;
  e->next = head;
  if (head != nullptr) head->prev = e;
  head = e;
  e->level = level;
  e->slot = slot;
  e->linked = true;
  if (level < kNumLevels) occupied_[level] |= std::uint64_t{1} << slot;
}

void TimerWheel::unlink(TimerEntry* e) noexcept {
  if (e->next != nullptr) e->next->prev = e->prev;
  if (e->prev != nullptr) {
    e->prev->next = e->next;
  } else {
    TimerEntry*& head = list_head(e->level, e->slot);
    head = e->next;
    if (head == nullptr && e->level < kNumLevels) {
      occupied_[e->level] &= ~(std::uint64_t{1} << e->slot);
    }
  }
  e->prev = e->next = nullptr;
  e->linked = false;
}

void TimerWheel::place(TimerEntry* e) noexcept {
  if (e->deadline <= now_) {
    link(e, kDueList, 0);
    return;
  }
  // The highest differing 6-bit digit picks the level; OR-ing in the low digit maps
  // deadlines within the current 64-tick window to level 0.
  const std::uint64_t diff = (e->deadline ^ now_) | kSlotMask;
  std::size_t level = static_cast<std::size_t>(std::bit_width(diff) - 1) / kLevelBits;
  // Beyond the top level's span: clamp. The slot's next start is still <= deadline (see
  // next_occupied_slot), and the entry is re-placed from there.
  if (level >= kNumLevels) level = kNumLevels - 1;
  const auto slot = static_cast<std::uint8_t>((e->deadline >> (kLevelBits * level)) & kSlotMask);
  link(e, static_cast<std::uint8_t>(level), slot);
}

void TimerWheel::insert(TimerEntry* e) noexcept {
  if (e->linked) {
    unlink(e);
  } else {
    ++size_;
  }
  place(e);
}

void TimerWheel::remove(TimerEntry* e) noexcept {
  if (!e->linked) return;
  unlink(e);
  --size_;
}

// Re-tags a whole list as the processing list. Entries are handled from there one at a time, so
// that on_fire can remove any of them (remove() finds them via the tag), while entries inserted
// meanwhile land in other lists and cannot be picked up twice in one pass.
void TimerWheel::move_to_processing(TimerEntry*& head) noexcept {
  assert(processing_ == nullptr);
  for (TimerEntry* e = head; e != nullptr; e = e->next) {
    e->level = kProcessingList;
    e->slot = 0;
  }
  processing_ = head;
  head = nullptr;
}

std::size_t TimerWheel::drain_processing() {
  std::size_t fired = 0;
  while (TimerEntry* e = processing_) {
    unlink(e);
    if (e->deadline <= now_) {
      --size_;
      ++fired;
      if (e->on_fire != nullptr) e->on_fire(e);
    } else {
      place(e);  // cascade to a lower level (or to the next turn of the top level)
    }
  }
  return fired;
}

std::optional<TimerWheel::SlotRef> TimerWheel::next_occupied_slot() const noexcept {
  // Occupied slots of a lower level always come before those of a higher level (see the header),
  // so the first non-empty level holds the answer.
  for (std::size_t level = 0; level < kNumLevels; ++level) {
    const std::uint64_t occ = occupied_[level];
    if (occ == 0) continue;
    const unsigned shift = static_cast<unsigned>(kLevelBits * level);
    const std::uint64_t slot_span = std::uint64_t{1} << shift;
    const std::uint64_t level_span = slot_span << kLevelBits;
    // Search in time order: the slots after the current one, then wrap around. Only the top
    // level (clamped entries) actually has occupied slots at or before the current one.
    const auto current = static_cast<unsigned>((now_ >> shift) & kSlotMask);
    const unsigned first = (current + 1) & kSlotMask;
    const auto slot =
        (first + static_cast<unsigned>(std::countr_zero(std::rotr(occ, static_cast<int>(first))))) &
        kSlotMask;
    std::uint64_t tick = (now_ & ~(level_span - 1)) + slot * slot_span;
    // A slot at or before the current one means its next turn.
    if (tick <= now_) tick += level_span;
    return SlotRef{tick, level, slot};
  }
  return std::nullopt;
}

std::size_t TimerWheel::advance_to(std::uint64_t now) {
  assert(!advancing_ && "advance_to() must not be called from on_fire");
  if (now < now_) now = now_;
  advancing_ = true;
  std::size_t fired = 0;
  try {
    // Fire what was already due. Taking the list first means entries that on_fire inserts as
    // already expired wait for the next call instead of being fired in a loop.
    if (due_ != nullptr) {
      move_to_processing(due_);
      fired += drain_processing();
    }
    // Jump from occupied slot to occupied slot; now_ must step through each one's start so that
    // cascaded entries are re-placed relative to the right time.
    while (const auto next = next_occupied_slot()) {
      if (next->tick > now) break;
      now_ = next->tick;
      occupied_[next->level] &= ~(std::uint64_t{1} << next->slot);
      move_to_processing(slots_[next->level][next->slot]);
      fired += drain_processing();
    }
  } catch (...) {
    // An on_fire threw: re-file the unprocessed entries so none is lost or fired early.
    while (TimerEntry* e = processing_) {
      unlink(e);
      place(e);
    }
    advancing_ = false;
    throw;
  }
  now_ = now;
  advancing_ = false;
  return fired;
}

std::optional<std::uint64_t> TimerWheel::next_expiration() const noexcept {
  if (due_ != nullptr || processing_ != nullptr) return now_;
  if (const auto next = next_occupied_slot()) return next->tick;
  return std::nullopt;
}

TickClock::TickClock(std::chrono::steady_clock::time_point epoch) : epoch_(epoch) {}

std::uint64_t TickClock::deadline_tick(std::chrono::steady_clock::time_point t) const noexcept {
  if (t <= epoch_) return 0;
  return static_cast<std::uint64_t>(
      std::chrono::ceil<std::chrono::milliseconds>(t - epoch_).count());
}

std::uint64_t TickClock::now_tick(std::chrono::steady_clock::time_point now) const noexcept {
  if (now <= epoch_) return 0;
  return static_cast<std::uint64_t>(
      std::chrono::floor<std::chrono::milliseconds>(now - epoch_).count());
}

std::chrono::steady_clock::time_point TickClock::time_of(std::uint64_t tick) const noexcept {
  using TimePoint = std::chrono::steady_clock::time_point;
  // Far-future ticks (e.g. "never") would overflow the clock's nanosecond representation.
  const auto max_tick = std::chrono::floor<std::chrono::milliseconds>(TimePoint::max() - epoch_);
  if (tick > static_cast<std::uint64_t>(max_tick.count())) return TimePoint::max();
  return epoch_ + std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(tick));
}

}  // namespace zokio::detail
