// Test helper: waits for a flag another thread raises. The bound only keeps a broken build from
// hanging the suite; it is not a timing assertion.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace zokio::test {

inline bool wait_for_flag(const std::atomic<bool>& flag,
                          std::chrono::seconds give_up_after = std::chrono::seconds(30)) {
  const auto give_up = std::chrono::steady_clock::now() + give_up_after;
  while (!flag.load()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace zokio::test
