// run_load (see run.hpp): spawning, monitoring and merging.
#include "run.hpp"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include <zokio/net/tcp.hpp>
#include <zokio/spawn.hpp>

#include "load_worker.hpp"
#include "plan.hpp"
#include "progress.hpp"

namespace zokio::bench {

namespace {

using Handles = std::vector<JoinHandle<void>>;

// What the tasks of a run share; lives in run_load's frame for the whole run.
struct RunState {
  const Options* options;
  Plan plan;
  std::vector<std::unique_ptr<WorkerStats>> stats;  // one per worker, each its own allocation
  std::unique_ptr<Progress> progress;               // only when stderr is a terminal
  const std::atomic<bool>* interrupted;
  Clock::time_point stopped_at{};  // when an interruption stopped the run
  RunResult* result;
};

// Every 100 ms: stops the run if interrupted (aborting a connection task destroys its frame,
// which cancels its I/O; its counts stay in the worker's stats), and prints the progress line
// half a second after each publication.
Task<void> monitor(RunState* run, Handles* connections) {
  unsigned printed = 0;  // the last second shown
  for (;;) {
    co_await sleep(std::chrono::milliseconds(100));
    const Clock::time_point now = Clock::now();
    if (run->interrupted->load(std::memory_order_relaxed)) {
      run->stopped_at = now;
      run->result->end = RunEnd::kInterrupted;
      for (auto& h : *connections) h.abort();
      co_return;
    }
    // The workers published at whole seconds; half a second later every copy is in.
    const auto since = now - run->plan.start - std::chrono::milliseconds(500);
    const auto second = static_cast<unsigned>(
        std::max<Clock::rep>(0, std::chrono::duration_cast<std::chrono::seconds>(since).count()));
    if (run->progress && second > printed) {
      run->progress->print(run->plan, run->options->requests, second);
      printed = second;
    }
  }
}

// Stops a helper task and waits until it is gone, so that nothing it uses is freed under it.
Task<void> stop_task(JoinHandle<void>& task) {
  task.abort();
  try {
    co_await task;
  } catch (const TaskAborted&) {
  }
}

Task<void> drive(RunState* run) {
  const Options& o = *run->options;
  // One connection first, so that an unreachable server is one clear message, not a run of
  // connect errors.
  auto probe = co_await net::TcpStream::connect(run->plan.address, o.timeout);
  if (!probe) {
    run->result->end = RunEnd::kUnreachable;
    run->result->connect_error = probe.error();
    co_return;
  }
  probe->close();

  schedule(run->plan, o, Clock::now());
  const std::size_t workers = worker_count();
  Handles connections;
  connections.reserve(o.connections);
  for (std::size_t i = 0; i < o.connections; ++i) {
    const std::uint64_t quota =
        o.requests ? o.requests / o.connections + (i < o.requests % o.connections ? 1 : 0)
                   : kNoQuota;
    // Open loop: the connections' schedules are staggered evenly over one interval.
    const auto first_send = run->plan.start + run->plan.interval * static_cast<Clock::rep>(i) /
                                                  static_cast<Clock::rep>(o.connections);
    const std::size_t w = i % workers;
    connections.push_back(
        spawn_pinned(w, run_connection(&run->plan, run->stats[w].get(), quota, first_send)));
  }
  Handles publishers;
  if (run->progress) {
    for (std::size_t w = 0; w < workers; ++w) {
      publishers.push_back(spawn_pinned(
          w, publish_progress(run->progress.get(), w, run->stats[w].get(), run->plan.start)));
    }
  }
  JoinHandle<void> watcher = spawn(monitor(run, &connections));

  for (auto& c : connections) {
    try {
      co_await c;
    } catch (const TaskAborted&) {  // interrupted
    }
  }
  co_await stop_task(watcher);
  for (auto& p : publishers) co_await stop_task(p);
  if (run->progress) run->progress->clear();
}

}  // namespace

RunResult run_load(const Options& o, const std::atomic<bool>& interrupted) {
  RunResult result;
  // Declared before the runtime, so that it outlives every task, even when an exception
  // leaves block_on with tasks still running (the runtime's destructor stops them first).
  RunState run{&o, make_plan(o), {}, nullptr, &interrupted, {}, &result};
  auto builder = Runtime::builder();
  // Every task is pinned to its worker, so there is nothing to steal.
  builder.worker_threads(o.threads).work_stealing(false).io_backend(kDefaultBackend);
  // Room in the local run queue for every connection of a worker: overflow would go to the
  // shared injection queue, which is looked at only every 61 ticks, so connections parked there
  // would wait behind those in the local queue and add a latency tail of our own.
  const std::size_t per_worker = (o.connections + o.threads - 1) / o.threads;
  builder.local_queue_capacity(std::clamp<std::size_t>(per_worker + 64, 256, 1 << 20));
  Runtime rt = builder.build();
  result.threads = rt.worker_count();
  result.backend = rt.io_backend();

  for (std::size_t w = 0; w < result.threads; ++w)
    run.stats.push_back(std::make_unique<WorkerStats>());
  if (::isatty(STDERR_FILENO)) run.progress = std::make_unique<Progress>(result.threads);

  rt.block_on(drive(&run));
  rt.shutdown();
  if (result.end == RunEnd::kUnreachable) return result;

  for (const auto& s : run.stats) result.totals.merge(*s);
  const Plan& plan = run.plan;
  Clock::time_point stop = plan.end;  // a -d run that completed
  if (result.end == RunEnd::kInterrupted) {
    stop = std::min(run.stopped_at, plan.end);
  } else if (result.totals.gave_up > 0 && (o.requests || Clock::now() < plan.end)) {
    // The server went away: measure up to its last answer.
    result.end = RunEnd::kServerGone;
    result.connect_error = result.totals.first_connect_error;
    stop = result.totals.last_answer;
  } else if (o.requests) {
    stop = result.totals.last_answer;
  }
  result.seconds = stop > plan.measure_start
                       ? std::chrono::duration<double>(stop - plan.measure_start).count()
                       : 0.0;
  return result;
}

}  // namespace zokio::bench
