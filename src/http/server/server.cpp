// http::Server: listeners, accept loops, statistics and graceful shutdown.
#include "zokio/http/server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <system_error>
#include <thread>

#include "http/server/server_state.hpp"
#include "zokio/net/tcp.hpp"
#include "zokio/time.hpp"

namespace zokio::http {

namespace {

using detail::ConnEntry;
using detail::ServerState;
using detail::WorkerSlot;

// The line is built only when it is due: a flood over a cap must not cost a string each.
template <typename MakeLine>
void warn(ServerState& st, detail::RateLimit& limit, MakeLine make_line) {
  if (st.config.on_warning && limit.due()) st.config.on_warning(make_line());
}

// Compared by value: the accept errors are errno values in the generic category.
bool out_of_descriptors(std::error_code ec) noexcept {
  if (ec.category() != std::generic_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

Task<void> accept_loop(std::shared_ptr<ServerState> state, net::TcpListener listener,
                       WorkerSlot* slot) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      if (out_of_descriptors(accepted.error())) {
        // As nginx does: stop accepting for a while (connections wait in the backlog) rather
        // than spin on the error; closing connections gives descriptors back meanwhile.
        warn(*state, state->fd_warning, [&] {
          return "out of file descriptors (" + accepted.error().message() +
                 "): pausing accept for 100 ms; raise the open-file limit (ulimit -n) or lower "
                 "max_connections";
        });
        co_await sleep(std::chrono::milliseconds(100));
      } else {
        co_await sleep(std::chrono::milliseconds(1));  // a client gone before accept, say
      }
      continue;
    }
    if (state->draining.load(std::memory_order_acquire)) continue;  // closes at once
    const net::IpAddr client = accepted->peer.ip();
    const auto verdict = state->admission.admit(client);
    if (verdict != detail::Admission::Verdict::kAdmitted) {
      // Closed at once, unread: the cheapest answer, and one that holds no buffer and waits on
      // no write for a client that already holds too many connections.
      slot->stats.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      warn(*state, state->limit_warning, [&] {
        return verdict == detail::Admission::Verdict::kOverTotal
                   ? "connection limit reached (max_connections " +
                         std::to_string(state->admission.max_total()) + "): closing new connections"
                   : "per-client connection limit reached (max_connections_per_client " +
                         std::to_string(state->config.max_connections_per_client) + ") by " +
                         client.to_string() + ": closing its new connections";
      });
      continue;
    }
    std::list<ConnEntry>::iterator it;
    {
      std::lock_guard lock(slot->mu);
      it = slot->conns.emplace(slot->conns.end());
      it->fd = accepted->stream.fd();
    }
    slot->stats.connections_total.fetch_add(1, std::memory_order_relaxed);
    slot->stats.connections_active.fetch_add(1, std::memory_order_relaxed);
    // Pinned to this worker: its listener took the connection, so it stays on this thread.
    auto handle = spawn_local(detail::serve_connection(
        state, detail::ConnRegistration(&state->admission, client, slot, it),
        std::move(accepted->stream), accepted->peer));
    std::lock_guard lock(slot->mu);
    it->handle = std::move(handle);
  }
}

std::uint64_t active_connections(const ServerState& st) {
  std::uint64_t n = 0;
  for (const auto& slot : st.slots) n += slot->stats.connections_active.load();
  return n;
}

// Wakes the connections waiting for a request: their socket stops reading, so the read in
// progress returns what the client already sent (answered, with Connection: close) or the end
// of stream at once. Cheaper for a client than an abort, which would drop a request that sits
// unread in the socket. Idempotent: a socket already shut for reading is left as it is.
void wake_idle_connections(ServerState& st) {
  for (auto& slot : st.slots) {
    std::lock_guard lock(slot->mu);
    for (auto& c : slot->conns) {
      if (c.fd >= 0 && c.idle.load(std::memory_order_seq_cst)) ::shutdown(c.fd, SHUT_RD);
    }
  }
}

// Aborts every connection left; returns how many were busy (not waiting for a request).
std::size_t abort_connections(ServerState& st) {
  std::size_t busy = 0;
  for (auto& slot : st.slots) {
    std::lock_guard lock(slot->mu);
    for (auto& c : slot->conns) {
      if (!c.idle.load(std::memory_order_acquire) && !c.handle.is_finished()) ++busy;
      c.handle.abort();
    }
  }
  return busy;
}

// Whether another socket holds `addr` (an explicit port): a bind without SO_REUSEPORT fails
// then, even when the holder set SO_REUSEPORT. The probe is never listened on, so it takes no
// connection; it is closed before the real listeners bind.
std::error_code port_taken(const net::SocketAddr& addr) noexcept {
  if (addr.port() == 0) return {};
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};  // let the real bind report it
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // as the listeners do
  if (addr.is_v6()) {
    const int zero = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  std::error_code ec;
  if (::bind(fd, addr.as_sockaddr(), addr.len()) != 0) ec = errno_code(errno);
  ::close(fd);
  return ec;
}

}  // namespace

std::size_t LatencyHistogram::bucket_of(std::uint64_t micros) noexcept {
  if (micros < 4) return static_cast<std::size_t>(micros);
  const int log = 63 - std::countl_zero(micros);                         // >= 2
  const auto sub = static_cast<std::size_t>((micros >> (log - 2)) & 3);  // next two bits
  return std::min<std::size_t>(static_cast<std::size_t>(log - 1) * 4 + sub, kBuckets - 1);
}

std::uint64_t LatencyHistogram::upper_bound_of(std::size_t bucket) noexcept {
  if (bucket < 4) return bucket;
  const std::size_t log = bucket / 4 + 1;
  const std::size_t sub = bucket % 4;
  return ((std::uint64_t{4} + sub + 1) << (log - 2)) - 1;
}

std::uint64_t LatencyHistogram::total() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

std::uint64_t LatencyHistogram::percentile(double q) const noexcept {
  const std::uint64_t n = total();
  if (n == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += counts[b];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return upper_bound_of(b);
  }
  return upper_bound_of(kBuckets - 1);
}

Server::Server(ServerConfig config, Handler handler)
    : state_(std::make_shared<ServerState>(std::move(config))) {
  if (!handler) throw std::invalid_argument("zokio: http::Server needs a handler");
  state_->handler = std::move(handler);
  const std::size_t cap = state_->config.max_connections;
  state_->admission.configure(cap != 0 ? cap : detail::default_max_connections(),
                              state_->config.max_connections_per_client);
}

Server::~Server() = default;

Task<void> Server::run() {
  auto state = state_;
  if (state->started.exchange(true))
    throw std::logic_error("zokio: http::Server::run called twice");
  // sendfile(2) has no MSG_NOSIGNAL: a client that goes away mid-file would kill the process
  // with SIGPIPE. Ignore it, unless the program installed a handler of its own.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    ::signal(SIGPIPE, SIG_IGN);
  }
  const std::size_t workers = worker_count();
  state->slots.clear();
  for (std::size_t i = 0; i < workers; ++i) state->slots.push_back(std::make_unique<WorkerSlot>());
  state->slots_ready.store(true, std::memory_order_release);  // stats() may read them now

  // One SO_REUSEPORT listener per worker; the first one fixes the port if 0 was asked for.
  std::vector<net::TcpListener> listeners;
  net::SocketAddr addr = state->config.address;
  if (!state->config.share_port) {
    if (auto taken = port_taken(addr)) {
      throw std::system_error(
          taken, "zokio: cannot listen on " + addr.to_string() +
                     (taken.value() == EADDRINUSE ? " (in use by another socket; share_port lets "
                                                    "processes share a port)"
                                                  : ""));
    }
  }
  for (std::size_t i = 0; i < workers; ++i) {
    net::ListenOptions opts;
    opts.backlog = state->config.backlog;
    opts.reuse_port = true;
    auto l = net::TcpListener::bind(addr, opts);
    if (!l) {
      throw std::system_error(l.error(), "zokio: cannot listen on " + addr.to_string());
    }
    if (i == 0) addr = l->local_addr().value();
    listeners.push_back(std::move(l.value()));
  }
  {
    std::lock_guard lock(state->mu);
    state->bound = addr;
    for (std::size_t i = 0; i < workers; ++i) {
      state->accept_loops.push_back(
          spawn_pinned(i, accept_loop(state, std::move(listeners[i]), state->slots[i].get())));
    }
  }
  // Serve until shutdown() aborts the accept loops.
  // (The handles stay in the vector, which no longer changes, so shutdown() can abort them.)
  for (std::size_t i = 0; i < workers; ++i) {
    try {
      co_await state->accept_loops[i];
    } catch (const TaskAborted&) {
    }
  }
  // Drain: requests in flight finish (their connections close after the response); idle
  // connections were woken by shutdown() (again here: one may have gone idle since); whatever
  // is left at the deadline is aborted.
  const auto deadline = Clock::time_point(Clock::duration(state->drain_deadline_ns.load()));
  while (active_connections(*state) > 0 && Clock::now() < deadline) {
    wake_idle_connections(*state);
    co_await sleep(std::chrono::milliseconds(5));
  }
  state->aborted_in_flight.store(abort_connections(*state));
  while (active_connections(*state) > 0) co_await sleep(std::chrono::milliseconds(1));
}

void Server::close_connections_after_response() noexcept {
  state_->closing_connections.store(true, std::memory_order_relaxed);
}

std::size_t Server::aborted_in_flight() const noexcept {
  return state_->aborted_in_flight.load();
}

void Server::shutdown(std::chrono::milliseconds grace) {
  const auto keep = state_;  // run() may end, and its state go, while this still unlocks
  auto& st = *keep;
  if (st.draining.exchange(true)) return;
  st.drain_deadline_ns.store((Clock::now() + grace).time_since_epoch().count());
  std::lock_guard lock(st.mu);
  for (auto& loop : st.accept_loops) loop.abort();
  wake_idle_connections(st);
}

std::size_t Server::max_connections() const {
  return state_->admission.max_total();
}

net::SocketAddr Server::local_address() const {
  std::lock_guard lock(state_->mu);
  return state_->bound;
}

std::vector<ServerStats> Server::worker_stats() const {
  std::vector<ServerStats> out;
  if (!state_->slots_ready.load(std::memory_order_acquire)) return out;  // run() not started
  out.reserve(state_->slots.size());
  for (const auto& slot : state_->slots) {
    const auto& w = slot->stats;
    ServerStats& s = out.emplace_back();
    s.connections_total = w.connections_total.load(std::memory_order_relaxed);
    s.connections_active = w.connections_active.load(std::memory_order_relaxed);
    s.requests_total = w.requests_total.load(std::memory_order_relaxed);
    s.bytes_in = w.bytes_in.load(std::memory_order_relaxed);
    s.bytes_out = w.bytes_out.load(std::memory_order_relaxed);
    s.parse_errors = w.parse_errors.load(std::memory_order_relaxed);
    s.timeouts = w.timeouts.load(std::memory_order_relaxed);
    s.handler_errors = w.handler_errors.load(std::memory_order_relaxed);
    s.latency_sum_ns = w.latency_sum_ns.load(std::memory_order_relaxed);
    s.connections_rejected = w.connections_rejected.load(std::memory_order_relaxed);
    s.buffered_bytes = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, w.buffered_bytes.load(std::memory_order_relaxed)));
    for (std::size_t c = 0; c < 6; ++c) {
      s.responses_by_class[c] = w.responses_by_class[c].load(std::memory_order_relaxed);
    }
    for (std::size_t e = 0; e < kParseErrorCount; ++e) {
      s.parse_errors_by_kind[e] = w.parse_errors_by_kind[e].load(std::memory_order_relaxed);
    }
    for (std::size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
      s.latency.counts[b] = w.latency[b].load(std::memory_order_relaxed);
    }
  }
  return out;
}

ServerStats Server::stats() const {
  ServerStats s;
  for (const ServerStats& w : worker_stats()) {
    s.connections_total += w.connections_total;
    s.connections_active += w.connections_active;
    s.requests_total += w.requests_total;
    s.bytes_in += w.bytes_in;
    s.bytes_out += w.bytes_out;
    s.parse_errors += w.parse_errors;
    s.timeouts += w.timeouts;
    s.handler_errors += w.handler_errors;
    s.latency_sum_ns += w.latency_sum_ns;
    s.connections_rejected += w.connections_rejected;
    s.buffered_bytes += w.buffered_bytes;
    for (std::size_t c = 0; c < 6; ++c) s.responses_by_class[c] += w.responses_by_class[c];
    for (std::size_t e = 0; e < kParseErrorCount; ++e) {
      s.parse_errors_by_kind[e] += w.parse_errors_by_kind[e];
    }
    for (std::size_t b = 0; b < LatencyHistogram::kBuckets; ++b) {
      s.latency.counts[b] += w.latency.counts[b];
    }
  }
  return s;
}

}  // namespace zokio::http
