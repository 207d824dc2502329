// http::Server: an HTTP/1.1 server on the Zokio runtime. One SO_REUSEPORT listener and one
// pinned accept loop per worker; each connection is a task that parses every complete request
// in its buffer (pipelining), runs the handler, and sends the batch's responses in one write.
//
//   http::Server server({.address = *net::SocketAddr::parse("127.0.0.1:8080")},
//                       [](http::Request& req) -> Task<http::Response> {
//                         co_return http::Response::text("Hello, World!");
//                       });
//   rt.block_on(server.run());   // until server.shutdown()
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zokio/http/message.hpp"
#include "zokio/http/parser.hpp"
#include "zokio/net/address.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

// Every timeout but `header` measures lack of progress: it restarts whenever bytes move.
struct ServerTimeouts {
  // From the first byte of a request until its head is complete (slowloris defence); for the
  // first request of a connection, from the accept: a client that sends nothing is closed then.
  std::chrono::milliseconds header{10'000};
  // Waiting for request body bytes (each read).
  std::chrono::milliseconds body{30'000};
  // Waiting for the next request on a keep-alive connection.
  std::chrono::milliseconds idle{60'000};
  // Waiting for the client to take response bytes (each write): a client that stops reading
  // is dropped, a slow but steady one is not.
  std::chrono::milliseconds write{30'000};
};

// A request the server answered itself with an error, before any handler ran: malformed (400,
// 413, 414, 431, 501, 505) or too slow (408).
struct RejectedRequest {
  net::SocketAddr peer;
  int status = 0;
  std::string_view request_line;  // as far as it arrived (at most 2 KiB); may be empty
  std::uint64_t bytes = 0;        // body bytes of the error response
};

struct ServerConfig {
  net::SocketAddr address = net::SocketAddr(net::IpAddr::v4_loopback(), 8080);
  ParseLimits limits;
  ServerTimeouts timeouts;
  std::size_t max_requests_per_connection = 0;  // 0: unlimited
  int backlog = 1024;
  // Let other processes listen on the same address and port (SO_REUSEPORT across processes,
  // for restarts without a gap: the kernel spreads connections over every listener). Off, run()
  // refuses a port another process already listens on, as nginx does; the listeners of this
  // server's own workers share it either way.
  bool share_port = false;
  // Every connection starts with a PROXY protocol header (v1 or v2, as HAProxy, AWS NLB and
  // nginx send it): the client address in it becomes Request::peer(). A connection without a
  // valid header within the header timeout is closed without an answer, as the specification
  // requires. Turn it on only behind a proxy that sends it: anyone else could claim any address.
  bool proxy_protocol = false;
  // Proxies whose X-Forwarded-For / Forwarded (RFC 7239) headers are believed: addresses or
  // networks ("10.0.0.0/8", "fd00::/8"). For a connection from one of them, Request::peer() is
  // the right-most address in those headers that is not itself a trusted proxy. Empty: the
  // headers are ignored. A malformed entry makes the Server constructor throw.
  std::vector<std::string> trusted_proxies;
  // Most connections open at once; 0: the soft open-file limit less a reserve (1/16 of it, at
  // least 32). A connection over a limit is closed as soon as it is accepted, unread.
  std::size_t max_connections = 0;
  // Most connections open at once from one client IP address; 0: no limit.
  std::size_t max_connections_per_client = 0;
  // Told (from any worker thread, at most once per 10 s for each kind) when the process ran out
  // of file descriptors or a connection limit turned clients away. Default: nobody.
  std::function<void(std::string_view)> on_warning;
  // Told, on the connection's worker thread, of every request the server rejected itself
  // (AccessLog::rejected() logs them). Default: nobody.
  std::function<void(const RejectedRequest&)> on_rejected;
};

// Request latency: from the moment the read that brought the request's first byte completed to
// the moment the last byte of its response was handed to the kernel (a pipelined request also
// waits for the responses before it). Measured in nanoseconds, bucketed log-linearly by
// microseconds: exact below 4 µs, then 4 buckets per power of two, so a percentile is exact to
// within 19%.
struct LatencyHistogram {
  static constexpr std::size_t kBuckets = 4 * 40;
  std::array<std::uint64_t, kBuckets> counts{};

  static std::size_t bucket_of(std::uint64_t micros) noexcept;
  static std::uint64_t upper_bound_of(std::size_t bucket) noexcept;  // microseconds
  std::uint64_t total() const noexcept;
  // The latency (upper bound of its bucket, microseconds) below which a fraction q of the
  // requests fall; 0 when there were none.
  std::uint64_t percentile(double q) const noexcept;
};

struct ServerStats {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::array<std::uint64_t, 6> responses_by_class{};  // [1] 1xx ... [5] 5xx
  std::uint64_t parse_errors = 0;
  std::array<std::uint64_t, kParseErrorCount> parse_errors_by_kind{};  // indexed by ParseError
  std::uint64_t timeouts = 0;
  std::uint64_t handler_errors = 0;  // handlers that threw (answered 500)
  LatencyHistogram latency;
  std::uint64_t latency_sum_ns = 0;        // sum of every request's latency, exact (for a mean)
  std::uint64_t connections_rejected = 0;  // closed at accept: over a connection limit
  // Bytes the connections hold now beyond their fixed 4 KiB input buffers: request bodies,
  // large output and response bodies being written.
  std::uint64_t buffered_bytes = 0;
};

namespace detail {
struct ServerState;
}

class Server {
 public:
  Server(ServerConfig config, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listeners (throws std::system_error naming the address if it cannot, also when
  // another process listens there and share_port is off) and serves
  // until shutdown() has drained the connections. Run it inside the runtime. Sets SIGPIPE to
  // be ignored unless the program handles it (sendfile cannot suppress it per call).
  Task<void> run();
  // Stops accepting, lets requests in flight finish, closes idle keep-alive connections (a
  // request already in their socket is still answered, with Connection: close), and aborts
  // whatever is still open after `grace`. Any thread; idempotent.
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // The first phase of a drain behind a load balancer: keep accepting and serving, but send
  // every response with Connection: close, so that clients move to other instances while
  // health checks notice. Any thread; shutdown() follows.
  void close_connections_after_response() noexcept;
  // After run() returned: how many connections with a request in flight the shutdown deadline
  // aborted (0 when the drain finished everything).
  std::size_t aborted_in_flight() const noexcept;

  // The bound address (with the real port if the configured one was 0), once run() started.
  net::SocketAddr local_address() const;
  // The connection cap in force (ServerConfig::max_connections, or the one derived from it).
  std::size_t max_connections() const;
  ServerStats stats() const;
  // The same figures for each worker (index = worker), empty before run().
  std::vector<ServerStats> worker_stats() const;

 private:
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace zokio::http
