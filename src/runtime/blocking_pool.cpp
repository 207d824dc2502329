// Blocking pool threads: started on demand, retired after kKeepAlive of idleness.
#include "runtime/blocking_pool.hpp"

#include <cstdio>
#include <stdexcept>
#include <thread>

namespace zokio::detail {

namespace {
// The pool state of the calling pool thread (its scheduler, while the pool exists).
thread_local std::atomic<Scheduler*>* tl_pool_sched = nullptr;
constexpr auto kKeepAlive = std::chrono::seconds(10);
}  // namespace

Scheduler* BlockingPool::current_scheduler() noexcept {
  return tl_pool_sched ? tl_pool_sched->load(std::memory_order_acquire) : nullptr;
}

BlockingPool::BlockingPool(Scheduler& sched, std::size_t max_threads)
    : max_threads_(max_threads == 0 ? 1 : max_threads), s_(std::make_shared<Shared>(&sched)) {}

BlockingPool::~BlockingPool() {
  shutdown(std::chrono::milliseconds(0));
}

void BlockingPool::submit(std::unique_ptr<BlockingJob> job) {
  std::unique_lock lock(s_->mu);
  if (s_->shutdown) throw std::runtime_error("zokio: spawn_blocking after runtime shutdown");
  s_->jobs.push_back(std::move(job));
  if (s_->idle > 0) {
    s_->work_cv.notify_one();
    return;
  }
  if (s_->threads < max_threads_) {
    ++s_->threads;
    try {
      std::thread([s = s_] { thread_main(s); }).detach();
    } catch (...) {
      --s_->threads;
      if (s_->threads == 0) {
        s_->jobs.pop_back();
        throw;
      }
    }
  }
}

void BlockingPool::thread_main(std::shared_ptr<Shared> s) {
  tl_pool_sched = &s->sched;
  std::unique_lock lock(s->mu);
  for (;;) {
    if (!s->jobs.empty()) {
      auto job = std::move(s->jobs.front());
      s->jobs.pop_front();
      lock.unlock();
      job->run();
      job.reset();
      lock.lock();
      continue;
    }
    if (s->shutdown) break;
    ++s->idle;
    bool woke =
        s->work_cv.wait_for(lock, kKeepAlive, [&] { return !s->jobs.empty() || s->shutdown; });
    --s->idle;
    if (!woke) break;  // idle for too long
  }
  --s->threads;
  s->exit_cv.notify_all();
  tl_pool_sched = nullptr;
}

void BlockingPool::shutdown(std::chrono::milliseconds deadline) noexcept {
  std::deque<std::unique_ptr<BlockingJob>> dropped;  // destroyed outside the lock
  {
    std::unique_lock lock(s_->mu);
    if (s_->shutdown && s_->sched.load(std::memory_order_relaxed) == nullptr) return;
    s_->shutdown = true;
    s_->work_cv.notify_all();
    if (s_->exit_cv.wait_for(lock, deadline, [&] { return s_->threads == 0; })) {
      s_->sched.store(nullptr, std::memory_order_release);
      return;
    }
    // Past the deadline: a job does not return. Leave it behind rather than hang the
    // program's exit: its thread holds the shared state, and spawns nothing on a runtime that
    // is going away (current_scheduler() is null for it from now on).
    std::fprintf(stderr,
                 "zokio: blocking pool: %zu job(s) still running at the shutdown deadline; "
                 "left behind (their threads end when they return)\n",
                 s_->threads - s_->idle);
    s_->sched.store(nullptr, std::memory_order_release);
    dropped.swap(s_->jobs);
  }
}

std::size_t BlockingPool::thread_count() const {
  std::lock_guard lock(s_->mu);
  return s_->threads;
}

}  // namespace zokio::detail
