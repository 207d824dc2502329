// A mutex-protected FIFO of tasks linked through RawTask::next: the runtime's injection queue
// (tasks from outside any worker) and each worker's inbox (tasks that must run on that worker).
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>

#include "zokio/detail/raw_task.hpp"

namespace zokio::detail {

class TaskList {
 public:
  void push(RawTask* t) noexcept {
    t->next = nullptr;
    std::lock_guard lock(mu_);
    if (tail_) {
      tail_->next = t;
    } else {
      head_ = t;
    }
    tail_ = t;
    len_.fetch_add(1, std::memory_order_seq_cst);  // see Worker::park
  }

  // Pushes `n` tasks at once (one lock for the batch).
  void push_batch(RawTask* const* tasks, std::size_t n) noexcept {
    if (n == 0) return;
    for (std::size_t i = 0; i + 1 < n; ++i) tasks[i]->next = tasks[i + 1];
    tasks[n - 1]->next = nullptr;
    std::lock_guard lock(mu_);
    if (tail_) {
      tail_->next = tasks[0];
    } else {
      head_ = tasks[0];
    }
    tail_ = tasks[n - 1];
    len_.fetch_add(n, std::memory_order_seq_cst);
  }

  RawTask* pop() noexcept {
    if (len_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard lock(mu_);
    RawTask* t = head_;
    if (!t) return nullptr;
    head_ = t->next;
    if (!head_) tail_ = nullptr;
    t->next = nullptr;
    len_.fetch_sub(1, std::memory_order_relaxed);
    return t;
  }

  std::size_t len() const noexcept { return len_.load(std::memory_order_seq_cst); }
  bool empty() const noexcept { return len() == 0; }

 private:
  std::mutex mu_;
  RawTask* head_ = nullptr;
  RawTask* tail_ = nullptr;
  std::atomic<std::size_t> len_{0};
};

}  // namespace zokio::detail
