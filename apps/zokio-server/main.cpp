// zokio-server: the HTTP server program. Reads its options, builds the router (built-in routes,
// then the static site as the fallback), wraps it in the access log and gzip middleware, and
// serves until SIGTERM or SIGINT, which drain it gracefully; a second signal exits at once.
// SIGHUP reopens the access log.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <thread>

#include "app.hpp"
#include "log.hpp"
#include "options.hpp"
#include "site_prefix.hpp"
#include "zokio/http/access_log.hpp"
#include "zokio/http/middleware.hpp"
#include "zokio/runtime.hpp"
#include "zokio/spawn.hpp"
#include "zokio/time.hpp"

namespace zokio::server {
std::span<const http::EmbeddedFile> embedded_site();  // generated from site/
}

namespace {

using namespace zokio;
using namespace zokio::server;

// The embedded files are as old as the program.
std::time_t program_time() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) == 0) return st.st_mtim.tv_sec;
  return std::time(nullptr);
}

http::ServerConfig server_config(const ServerOptions& o) {
  http::ServerConfig c;
  auto ip = net::IpAddr::parse(o.host);  // validated by the options
  c.address = net::SocketAddr(*ip, o.port);
  c.limits.max_request_line = o.max_request_line;
  c.limits.max_header_bytes = o.max_header_bytes;
  c.limits.max_headers = o.max_headers;
  c.limits.max_body = o.max_body_bytes;
  c.timeouts.header = o.header_timeout;
  c.timeouts.body = o.body_timeout;
  c.timeouts.idle = o.idle_timeout;
  c.timeouts.write = o.write_timeout;
  c.max_requests_per_connection = o.max_requests_per_connection;
  c.backlog = o.backlog;
  c.max_connections = o.max_connections;
  c.max_connections_per_client = o.max_connections_per_client;
  c.share_port = o.reuse_port;
  c.proxy_protocol = o.proxy_protocol;
  for (std::size_t at = 0; at < o.trusted_proxies.size();) {
    const auto comma = std::min(o.trusted_proxies.find(',', at), o.trusted_proxies.size());
    std::string net = o.trusted_proxies.substr(at, comma - at);
    net.erase(0, net.find_first_not_of(' '));
    net.erase(net.find_last_not_of(' ') + 1);
    if (!net.empty()) c.trusted_proxies.push_back(std::move(net));
    at = comma + 1;
  }
  c.on_warning = [](std::string_view line) { log(Level::kWarn, line); };
  return c;
}

// As Go's runtime does: a server wants the hard open-file limit, not the soft one (often 1024).
void raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

std::string url_of(const net::SocketAddr& a) {
  const std::string host = a.ip().to_string();
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(a.port());
}

// What an operator wants to see at a glance: version, backend, workers, what is served, the log.
std::string startup_facts(const App& app) {
  const ServerOptions& o = app.options;
  std::string s = "zokio-server " + std::string(kVersion) + ", " + app.io_backend + ", ";
  s += std::to_string(app.workers) + (app.workers == 1 ? " worker" : " workers");
  s += o.root.empty() ? ", embedded site" : ", root " + o.root;
  s += o.access_log.empty() ? ", access log off" : ", access log " + o.access_log;
  return s;
}

// Samples the request total once a second for the requests-per-second windows.
Task<void> sample_rates(App& app, const http::Server& server) {
  for (;;) {
    app.rates.sample(std::chrono::steady_clock::now(), server.stats().requests_total);
    co_await sleep(std::chrono::seconds(1));
  }
}

Task<int> serve(App& app, http::Server& server, http::AccessLog* access_log) {
  if (access_log) access_log->start();
  auto sampler = spawn(sample_rates(app, server));
  auto running = spawn(server.run());
  // run() binds first; report the address once it is known (or the bind failed).
  while (server.local_address().port() == 0 && !running.is_finished()) {
    co_await sleep(std::chrono::milliseconds(1));
  }
  if (!running.is_finished()) {
    log(Level::kInfo, "listening on " + url_of(server.local_address()) + " (" + startup_facts(app) +
                          ", max connections " + std::to_string(server.max_connections()) + ")");
  }
  int rc = 0;
  try {
    co_await running;
    if (const std::size_t aborted = server.aborted_in_flight()) {
      log(Level::kError, "drain deadline reached: " + std::to_string(aborted) +
                             " connection(s) with a request in flight aborted; exiting 1");
      rc = 1;
    } else {
      log(Level::kInfo, "drained; exiting");
    }
  } catch (const std::system_error& e) {
    if (e.code().value() == EADDRINUSE && !app.options.reuse_port) {
      const auto& o = app.options;
      const bool v6 = o.host.find(':') != std::string::npos;
      log(Level::kError, "cannot listen on " + (v6 ? "[" + o.host + "]" : o.host) + ":" +
                             std::to_string(o.port) +
                             ": the address is in use (start every instance with --reuse-port "
                             "to share a port on purpose)");
    } else {
      log(Level::kError, e.what());
    }
    rc = 1;
  }
  sampler.abort();
  if (access_log) co_await access_log->stop();
  co_return rc;
}

// Waits for signals on its own thread (they are blocked everywhere else) and drains in phases:
// (a) on SIGTERM, for --drain-delay, /readyz answers 503 while connections are still accepted
// and served, every response with Connection: close, so that balancers notice and clients move
// away; (b) the listeners close; (c) requests in flight finish, up to --drain-timeout; (d) run()
// returns. SIGINT, and a second signal during (a), skip (a); a signal during (c) exits at once.
void signal_loop(sigset_t set, App* app, http::Server* server, http::AccessLog* access_log) {
  enum class Phase { kServing, kDelaying, kDraining } phase = Phase::kServing;
  auto delay_end = std::chrono::steady_clock::time_point{};
  // Each phase's log line is written after its state changed, so that whoever waits for the
  // line (an operator, a test) sees the new behaviour already in force.
  auto start_drain = [&] {
    // Under the lock, which main() takes before `app` goes out of scope.
    std::lock_guard lock(app->stop_mu);
    if (app->stopped) return;
    app->draining.store(true, std::memory_order_release);
    server->shutdown(app->options.drain_timeout);
    log(Level::kInfo, "draining: no new connections; requests in flight have up to " +
                          std::to_string(app->options.drain_timeout.count()) +
                          " ms; send a signal again to exit at once");
  };
  for (;;) {
    int sig = 0;
    if (phase == Phase::kDelaying) {
      // Wait for the end of phase (a), or for a signal that cuts it short.
      const auto left = delay_end - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        phase = Phase::kDraining;
        start_drain();
        continue;
      }
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
      sig = ::sigtimedwait(&set, nullptr, &ts);
      if (sig < 0) continue;  // EAGAIN: the delay is over (checked above); EINTR: again
    } else if (::sigwait(&set, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      if (access_log) {
        access_log->reopen();
        log(Level::kInfo, "SIGHUP: reopening the access log");
      }
      continue;
    }
    const char* name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    if (phase == Phase::kServing && sig == SIGTERM && app->options.drain_delay.count() > 0) {
      phase = Phase::kDelaying;
      delay_end = std::chrono::steady_clock::now() + app->options.drain_delay;
      app->draining.store(true, std::memory_order_release);
      server->close_connections_after_response();
      log(Level::kInfo, std::string(name) + ": /readyz answers 503 and connections close after " +
                            "their response; still accepting for " +
                            std::to_string(app->options.drain_delay.count()) + " ms");
    } else if (phase != Phase::kDraining) {
      log(Level::kInfo,
          std::string(name) +
              (phase == Phase::kDelaying ? ": cutting the drain delay short" : ": no drain delay"));
      phase = Phase::kDraining;
      start_drain();
    } else {
      log(Level::kWarn, "second signal: exiting without draining");
      std::fflush(stderr);
      ::_exit(1);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions opts;
  try {
    if (!parse_options(argc, argv, opts)) return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "zokio-server: %s\n", e.what());
    return 2;
  }
  set_log_level(opts.log_level);
  raise_open_file_limit();
  // Request bodies and large responses take buffers of up to max_body_bytes. glibc raises its
  // mmap threshold after such a buffer is freed, and then keeps the next ones in its heap for
  // good: 20 echoes of 8 MiB left 190 MB resident. A fixed threshold sends every buffer of
  // 256 KiB or more back to the system when it is freed.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  // Every thread the runtime starts inherits this mask, so only signal_loop sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Rewritten site files (with --builtin-prefix); the site holds views into them.
  std::vector<std::string> site_storage;
  App app;
  app.options = opts;
  std::unique_ptr<http::AccessLog> access_log;
  try {
    http::StaticOptions so;
    so.gzip = opts.gzip;
    so.hide_dotfiles = opts.hide_dotfiles;
    so.cache_control = opts.cache_control;
    if (opts.root.empty()) {
      const std::string prefix = opts.builtin_routes ? opts.builtin_prefix : std::string();
      const auto files = with_builtin_prefix(embedded_site(), prefix, site_storage);
      app.site = http::StaticFiles::embedded(files, program_time(), so);
    } else {
      app.site = http::StaticFiles::directory(opts.root, so);
    }
    if (!opts.access_log.empty()) {
      try {
        access_log = std::make_unique<http::AccessLog>(
            opts.access_log, opts.access_log_format == "json" ? http::AccessLogFormat::kJson
                                                              : http::AccessLogFormat::kCombined);
      } catch (const std::system_error& e) {
        // A path that cannot be written is a configuration error, like any other bad value.
        std::fprintf(stderr, "zokio-server: --access-log: %s\n", e.what());
        return 2;
      }
      access_log->on_error([](std::string_view line) { log(Level::kError, line); });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zokio-server: %s\n", e.what());
    return 1;
  }

  // flag > ZOKIO_IO > config file > default. The runtime lets ZOKIO_IO override what it is
  // told, so an explicit flag hides the variable from it.
  std::string io_reason = "--io " + opts.io;
  if (opts.io_source == "flag") {
    ::unsetenv("ZOKIO_IO");
  } else if (const char* env = std::getenv("ZOKIO_IO"); env && *env) {
    io_reason = std::string("ZOKIO_IO=") + env;
  } else if (opts.io_source == "config") {
    io_reason = "io = \"" + opts.io + "\" in " + opts.config;
  } else {
    io_reason = "the default, --io auto";
  }
  std::unique_ptr<Runtime> rt;
  try {
    auto builder = Runtime::builder();
    if (opts.workers > 0) builder.worker_threads(opts.workers);
    builder.io_backend(opts.io == "uring"   ? IoBackend::kUring
                       : opts.io == "epoll" ? IoBackend::kEpoll
                                            : IoBackend::kAuto);
    rt = std::make_unique<Runtime>(builder.build());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zokio-server: cannot start the runtime (%s): %s\n", io_reason.c_str(),
                 e.what());
    return 1;
  }
  app.io_backend = rt->io_backend() == IoBackend::kUring ? "io_uring" : "epoll";
  app.workers = rt->worker_count();

  http::Router router;
  if (opts.builtin_routes) add_builtin_routes(router, app);
  router.fallback(app.site->handler());
  if (access_log) router.use(access_log->middleware());  // outermost: sees every response
  if (opts.gzip) router.use(http::compress());

  http::ServerConfig config = server_config(opts);
  if (access_log) config.on_rejected = access_log->rejected();
  std::unique_ptr<http::Server> server_owner;
  try {
    server_owner = std::make_unique<http::Server>(std::move(config), router.handler());
  } catch (const std::invalid_argument& e) {  // a trusted proxy that is not an address
    std::fprintf(stderr, "zokio-server: --trusted-proxies: %s\n", e.what());
    return 2;
  }
  http::Server& server = *server_owner;
  // Said once the configuration is known to be good: a bad value gets its one line alone.
  log(Level::kInfo, "I/O backend " + app.io_backend + " (from " + io_reason + ")");
  app.server.store(&server, std::memory_order_release);

  std::thread(signal_loop, signals, &app, &server, access_log.get()).detach();
  const int rc = rt->block_on(serve(app, server, access_log.get()));
  {
    std::lock_guard lock(app.stop_mu);  // the signal thread is not inside server.shutdown()
    app.stopped = true;
  }
  std::fflush(stdout);
  return rc;
}
