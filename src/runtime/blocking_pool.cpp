// Blocking pool threads: started on demand, retired after kKeepAlive of idleness.
#include "runtime/blocking_pool.hpp"

#include <cstdio>
#include <stdexcept>
#include <thread>

namespace zokio::detail {

namespace {
thread_local Scheduler* tl_pool_sched = nullptr;
constexpr auto kKeepAlive = std::chrono::seconds(10);
}  // namespace

Scheduler* BlockingPool::current_scheduler() noexcept {
  return tl_pool_sched;
}

BlockingPool::BlockingPool(Scheduler& sched, std::size_t max_threads)
    : sched_(sched), max_threads_(max_threads == 0 ? 1 : max_threads) {}

BlockingPool::~BlockingPool() {
  shutdown(std::chrono::milliseconds(0));
}

void BlockingPool::submit(std::unique_ptr<BlockingJob> job) {
  std::unique_lock lock(mu_);
  if (shutdown_) throw std::runtime_error("zokio: spawn_blocking after runtime shutdown");
  jobs_.push_back(std::move(job));
  if (idle_ > 0) {
    work_cv_.notify_one();
    return;
  }
  if (threads_ < max_threads_) {
    ++threads_;
    try {
      std::thread([this] { thread_main(); }).detach();
    } catch (...) {
      --threads_;
      if (threads_ == 0) {
        jobs_.pop_back();
        throw;
      }
    }
  }
}

void BlockingPool::thread_main() {
  tl_pool_sched = &sched_;
  std::unique_lock lock(mu_);
  for (;;) {
    if (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job->run();
      job.reset();
      lock.lock();
      continue;
    }
    if (shutdown_) break;
    ++idle_;
    bool woke = work_cv_.wait_for(lock, kKeepAlive, [&] { return !jobs_.empty() || shutdown_; });
    --idle_;
    if (!woke) break;  // idle for too long
  }
  --threads_;
  exit_cv_.notify_all();
}

void BlockingPool::shutdown(std::chrono::milliseconds deadline) noexcept {
  std::unique_lock lock(mu_);
  shutdown_ = true;
  work_cv_.notify_all();
  // Threads are detached; waiting here is what keeps `this` alive while they finish.
  if (!exit_cv_.wait_for(lock, deadline, [&] { return threads_ == 0; })) {
    // Past the deadline: a job is still running. Keep waiting, since the thread uses this
    // object; a job that never returns is a bug in it, reported here.
    if (threads_ > 0) {
      std::fprintf(stderr, "zokio: blocking pool: waiting for %zu job(s) past the deadline\n",
                   threads_);
    }
    exit_cv_.wait(lock, [&] { return threads_ == 0; });
  }
}

std::size_t BlockingPool::thread_count() const {
  std::lock_guard lock(mu_);
  return threads_;
}

}  // namespace zokio::detail
