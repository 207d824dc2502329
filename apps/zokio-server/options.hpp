// zokio-server's settings: one table of options drives the command line (CLI11), the TOML
// config file (toml++) and --help, so every flag has a config key and both are checked by the
// same code. Precedence: command line, then config file, then defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace zokio::server {

// zokio-server's version (the project's, from CMake), as --version, the startup line,
// /api/status and /metrics show it.
inline constexpr std::string_view kVersion = ZOKIO_SERVER_VERSION;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t workers = 0;  // 0: one per core
  std::string io = "auto";  // auto | uring | epoll
  // Where `io` came from: "default", "config" or "flag" (the environment sits between the last
  // two: flag > ZOKIO_IO > config file > default).
  std::string io_source = "default";
  std::string root;        // empty: the embedded default site
  std::string config;      // the TOML file read, if any
  std::string access_log;  // empty: off; "-": standard output
  std::string access_log_format = "combined";
  std::string log_level = "info";
  bool builtin_routes = true;
  std::string builtin_prefix;  // "" or "/something"
  bool gzip = true;
  bool hide_dotfiles = true;
  std::string cache_control;

  std::size_t max_request_line = 8 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_headers = 100;
  std::uint64_t max_body_bytes = 8ull << 20;
  std::size_t max_requests_per_connection = 0;  // 0: unlimited
  int backlog = 1024;
  std::size_t max_connections = 0;             // 0: derived from the open-file limit
  std::size_t max_connections_per_client = 0;  // 0: no limit
  bool reuse_port = false;                     // share the port with other processes
  bool proxy_protocol = false;                 // connections start with a PROXY header
  std::string trusted_proxies;                 // comma-separated addresses or networks; empty: none

  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds drain_timeout{10'000};
  // Drain phase (a) on SIGTERM: /readyz 503 while still serving. 5 s: a balancer probing every
  // 2 s that needs two failures notices within it. 0: no phase (a).
  std::chrono::milliseconds drain_delay{5'000};
};

// A bad flag, value or config file: main prints the message and exits with status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses argv (and the --config file it names). Returns false when --help or --version was
// printed and the program should exit 0. Throws UsageError with one sentence otherwise.
bool parse_options(int argc, char** argv, ServerOptions& out);

// "10s", "500ms", "2m", "1h" or a plain number of seconds.
std::chrono::milliseconds parse_duration(const std::string& text);
// "65536", "64k", "8M", "1G" (binary multiples).
std::uint64_t parse_size(const std::string& text);

}  // namespace zokio::server
