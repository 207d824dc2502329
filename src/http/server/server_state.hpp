// State shared by a Server, its accept loops and its connections: configuration, per-worker
// statistics and the per-worker registry of open connections (for graceful shutdown).
#pragma once

#include <array>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "http/rate_limit.hpp"
#include "http/server/admission.hpp"
#include "http/server/forwarded.hpp"
#include "zokio/http/server.hpp"
#include "zokio/net/tcp.hpp"
#include "zokio/spawn.hpp"

namespace zokio::http::detail {

// One worker's counters; each on its own cache lines so workers never share one.
struct alignas(64) WorkerStats {
  std::atomic<std::uint64_t> connections_total{0}, connections_active{0}, requests_total{0},
      bytes_in{0}, bytes_out{0}, parse_errors{0}, timeouts{0}, handler_errors{0}, latency_sum_ns{0},
      connections_rejected{0};
  // Bytes this worker's connections hold beyond their fixed input buffers (a gauge).
  std::atomic<std::int64_t> buffered_bytes{0};
  std::array<std::atomic<std::uint64_t>, 6> responses_by_class{};
  std::array<std::atomic<std::uint64_t>, LatencyHistogram::kBuckets> latency{};
  std::array<std::atomic<std::uint64_t>, kParseErrorCount> parse_errors_by_kind{};

  void count_response(int status) noexcept {
    int c = status / 100;
    if (c >= 1 && c <= 5) responses_by_class[c].fetch_add(1, std::memory_order_relaxed);
  }
};

struct ConnEntry {
  JoinHandle<void> handle;
  // Waiting for the next request: the drain wakes it in band (shutdown(fd, SHUT_RD)), so that a
  // request already in the socket is still read and answered, and the read ends otherwise.
  // Atomic, so that the connection flips it around every keep-alive wait without the lock.
  std::atomic<bool> idle{false};
  // The connection's socket, for that wake-up. Guarded by the worker's `mu`: the connection
  // clears `idle` under it before its socket closes, so a descriptor seen with `idle` set under
  // the lock is still this connection's.
  int fd = -1;
};

struct WorkerSlot {
  std::mutex mu;  // guards the list itself (insert, erase, shutdown's walk)
  std::list<ConnEntry> conns;
  WorkerStats stats;
};

struct ServerState {
  explicit ServerState(ServerConfig c) : config(std::move(c)), trusted(config.trusted_proxies) {}
  ServerConfig config;
  TrustedProxies trusted;
  Handler handler;
  std::vector<std::unique_ptr<WorkerSlot>> slots;
  std::atomic<bool> started{false};
  std::atomic<bool> slots_ready{false};  // `slots` is built (by run()) and no longer changes
  std::atomic<bool> draining{false};
  // Drain phase (a): still accepting and serving, but every response closes its connection.
  std::atomic<bool> closing_connections{false};
  std::atomic<std::size_t> aborted_in_flight{0};   // busy connections the drain deadline aborted
  std::atomic<std::int64_t> drain_deadline_ns{0};  // steady_clock, set by shutdown()
  Admission admission;
  RateLimit fd_warning{std::chrono::seconds(10)};     // out of descriptors
  RateLimit limit_warning{std::chrono::seconds(10)};  // a connection limit reached
  std::mutex mu;                                      // guards accept_loops and bound
  std::vector<JoinHandle<void>> accept_loops;
  net::SocketAddr bound;
};

// A connection's place in its worker's registry and in the active count. Passed to the
// connection task as a parameter, not held in a local: a task aborted before it first ran
// destroys its parameters but never constructed its locals.
class ConnRegistration {
 public:
  // Takes over the admission of a connection from `client` (Admission::admit()).
  ConnRegistration(Admission* admission, net::IpAddr client, WorkerSlot* slot,
                   std::list<ConnEntry>::iterator entry) noexcept
      : admission_(admission), client_(client), slot_(slot), entry_(entry) {}
  ConnRegistration(ConnRegistration&& o) noexcept
      : admission_(o.admission_),
        client_(o.client_),
        slot_(std::exchange(o.slot_, nullptr)),
        entry_(o.entry_) {}
  ConnRegistration(const ConnRegistration&) = delete;
  ConnRegistration& operator=(const ConnRegistration&) = delete;
  ~ConnRegistration() { release(); }
  // Leaves the registry. Called when the connection ends: a finished task's frame (and so
  // this parameter) lives on until its JoinHandle, held in the registry, is dropped.
  void release() noexcept;

  WorkerSlot* slot() const noexcept { return slot_; }
  std::list<ConnEntry>::iterator entry() const noexcept { return entry_; }

 private:
  Admission* admission_;
  net::IpAddr client_;
  WorkerSlot* slot_;
  std::list<ConnEntry>::iterator entry_;
};

// Serves one accepted connection until it closes.
Task<void> serve_connection(std::shared_ptr<ServerState> state, ConnRegistration reg,
                            net::TcpStream stream, net::SocketAddr peer);

}  // namespace zokio::http::detail
