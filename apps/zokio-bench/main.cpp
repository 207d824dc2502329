// zokio-bench: an HTTP/1.1 load generator on Zokio's own runtime, in the spirit of wrk, wrk2
// and h2load. See README.md for the flags and what is measured.
//
//   zokio-bench http://127.0.0.1:8080/ -c 100 -t 2 -d 10s
//
// Exit status: 0 when the run completed, 1 when the server was unreachable or went away (partial
// results printed) or nothing succeeded, 2 for bad input, 130 when interrupted.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "fd_limit.hpp"
#include "options.hpp"
#include "report.hpp"
#include "run.hpp"

using namespace zokio::bench;

namespace {

// Descriptors beyond one per connection: stdio, each worker's ring or epoll and eventfd, the
// blocking pool, the probe connection.
constexpr std::size_t kSpareFds = 64;
constexpr std::size_t kFdsPerWorker = 8;

std::atomic<bool> interrupted_by_signal{false};

// SIGINT/SIGTERM are taken by a thread of our own (sigwait), so the workers never see them: the
// first stops the run (partial results), a second one ends the process at once.
void watch_signals(sigset_t signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  interrupted_by_signal.store(true);
  sigwait(&signals, &sig);
  std::_Exit(130);
}

}  // namespace

int main(int argc, char** argv) {
  ParsedOptions parsed = parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const Options& o = *parsed.options;

  const std::string limit_error =
      raise_fd_limit(o.connections + o.threads * kFdsPerWorker + kSpareFds);
  if (!limit_error.empty()) {
    std::fprintf(stderr, "zokio-bench: %s\n", limit_error.c_str());
    return 1;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the workers start: they inherit it
  std::thread(watch_signals, signals).detach();

  RunResult r;
  try {
    r = run_load(o, interrupted_by_signal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zokio-bench: %s\n", e.what());
    return 1;
  }
  if (r.end == RunEnd::kUnreachable) {
    const std::string address = o.url.address.to_string();
    std::fprintf(stderr, "zokio-bench: cannot connect to %s%s%s%s: %s\n", o.url.host.c_str(),
                 address == o.url.host ? "" : " (", address == o.url.host ? "" : address.c_str(),
                 address == o.url.host ? "" : ")", r.connect_error.message().c_str());
    return 1;
  }

  if (o.json) {
    print_json_report(stdout, o, r);
  } else {
    print_text_report(stdout, o, r);
  }
  std::fflush(stdout);

  switch (r.end) {
    case RunEnd::kServerGone:
      std::fprintf(stderr,
                   "zokio-bench: the server at %s stopped accepting connections (%s); the "
                   "results cover the run until then\n",
                   o.url.address.to_string().c_str(), r.connect_error.message().c_str());
      return 1;
    case RunEnd::kInterrupted:
      std::fprintf(stderr, "zokio-bench: interrupted; the results cover the run until then\n");
      return 130;
    default:
      break;
  }
  if (r.totals.successes == 0) {
    std::fprintf(stderr, "zokio-bench: no request got a 2xx or 3xx answer\n");
    return 1;
  }
  return 0;
}
