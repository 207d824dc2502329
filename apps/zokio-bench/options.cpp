// parse_options: the CLI11 definition of zokio-bench's flags and the checks CLI11 cannot make.
#include "options.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "zokio/net/address.hpp"

namespace zokio::bench {

namespace {

bool is_token_char(char c) noexcept {
  // RFC 9110 §5.6.2 tchar.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// "Name: value" with a token name and a value free of control characters (tab allowed).
bool valid_header(std::string_view h) noexcept {
  const auto colon = h.find(':');
  if (colon == std::string_view::npos || !is_token(h.substr(0, colon))) return false;
  for (char c : h.substr(colon + 1)) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

struct UrlOutcome {
  std::optional<http::Url> url;
  std::string error;  // one sentence, when url is empty
  int exit_code = 2;
};

// http::Url takes numeric hosts and localhost; a host name is resolved here (once, before the
// run) and the URL parsed again with its address, keeping the name for the Host header.
UrlOutcome resolve_url(const std::string& text) {
  UrlOutcome out;
  if (auto url = http::Url::parse(text)) {
    out.url = std::move(url);
    return out;
  }
  constexpr std::string_view kScheme = "http://";
  const std::string_view view(text);
  if (view.substr(0, 8) == "https://") {
    out.error = "'" + text + "' is an https URL; zokio-bench speaks plain HTTP/1.1 (http://) only";
    return out;
  }
  out.error = "'" + text + "' is not a URL like http://127.0.0.1:8080/path";
  if (view.substr(0, kScheme.size()) != kScheme) return out;
  const std::string_view rest = view.substr(kScheme.size());
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  const std::string_view host = authority.substr(0, authority.rfind(':'));
  const std::string_view port =
      host.size() < authority.size() ? authority.substr(host.size()) : std::string_view(":80");
  if (host.empty() || host.front() == '[' || !is_token(host)) return out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host_name(host);
  if (int rc = ::getaddrinfo(host_name.c_str(), nullptr, &hints, &found); rc != 0) {
    out.error = "cannot resolve host '" + host_name + "': " + ::gai_strerror(rc);
    out.exit_code = 1;
    return out;
  }
  const auto ip = net::SocketAddr::from_sockaddr(found->ai_addr, found->ai_addrlen).ip();
  ::freeaddrinfo(found);
  const std::string numeric = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
  std::string rewritten(kScheme);
  rewritten.append(numeric).append(port).append(rest.substr(authority.size()));
  auto url = http::Url::parse(rewritten);
  if (!url) return out;
  url->host = std::string(authority);
  out.url = std::move(url);
  return out;
}

// Bad input: one line on stderr, exit status 2 (1 for an unresolvable host).
int fail(const std::string& sentence, int code = 2) {
  std::fprintf(stderr, "zokio-bench: %s\n", sentence.c_str());
  return code;
}

}  // namespace

std::optional<Clock::duration> parse_duration(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [unit, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || unit == text.data() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  const std::string_view suffix(unit, static_cast<std::size_t>(end - unit));
  double seconds = value;
  if (suffix == "ms") {
    seconds = value / 1e3;
  } else if (suffix == "m") {
    seconds = value * 60;
  } else if (suffix == "h") {
    seconds = value * 3600;
  } else if (!suffix.empty() && suffix != "s") {
    return std::nullopt;
  }
  if (seconds > 365.0 * 24 * 3600) return std::nullopt;
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

ParsedOptions parse_options(int argc, char** argv) {
  Options o;
  ParsedOptions out;
  std::string duration_text, warmup_text, timeout_text = "10s", body_file;
  std::uint64_t requests = 0;

  CLI::App app{
      "zokio-bench: an HTTP/1.1 load generator on the Zokio runtime.\n"
      "Closed loop by default (each connection sends its next request when the answer to the "
      "last one arrived); --rate makes it open loop, with latency measured from when each "
      "request should have been sent.",
      "zokio-bench"};
  app.set_version_flag("--version", std::string("zokio-bench ") + ZOKIO_BENCH_VERSION);
  app.add_option("url", o.url_text, "http://host[:port]/path to load")->required();
  app.add_option("-c,--connections", o.connections, "Concurrent connections (default 10)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  app.add_option("-t,--threads", o.threads,
                 "Worker threads (default 2, at most one per connection)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  auto* duration =
      app.add_option("-d,--duration", duration_text,
                     "Measured run time: 10s (default), 500ms, 2m, a number of seconds");
  auto* count = app.add_option("-n,--requests", requests, "Send exactly this many requests instead")
                    ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 48));
  duration->excludes(count);
  app.add_option("--pipeline", o.pipeline,
                 "Requests written back to back per connection (default 1)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  app.add_flag("--close", o.close, "A new connection for every request (sends Connection: close)");
  app.add_option("--rate", o.rate,
                 "Total requests per second, open loop (latency from the intended send time)")
      ->check(CLI::PositiveNumber);
  app.add_option("-m,--method", o.method, "Request method (default GET)");
  app.add_option("-H,--header", o.headers, "Extra header 'Name: value' (repeatable)");
  app.add_option("--body", body_file, "Send this file's contents as the request body");
  app.add_option("--warmup", warmup_text,
                 "Unmeasured run time before measuring (default 1s with -d, 0 with -n)");
  app.add_option("--timeout", timeout_text, "Per-request timeout (default 10s)");
  app.add_flag("--json", o.json, "Print one JSON object to stdout instead of the text report");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    out.exit_code = app.exit(e);
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = fail(std::string(e.what()) + " (zokio-bench --help shows the usage)");
    return out;
  }

  UrlOutcome url = resolve_url(o.url_text);
  if (!url.url) {
    out.exit_code = fail(url.error, url.exit_code);
    return out;
  }
  o.url = std::move(*url.url);

  if (*count) {
    o.requests = requests;
  } else if (*duration) {
    auto d = parse_duration(duration_text);
    if (!d || *d <= Clock::duration::zero()) {
      out.exit_code =
          fail("-d wants a duration like 10s, 500ms or 2m, not '" + duration_text + "'");
      return out;
    }
    o.duration = *d;
  }
  o.warmup = o.requests ? Clock::duration::zero() : std::chrono::seconds(1);
  if (!warmup_text.empty()) {
    auto w = parse_duration(warmup_text);
    if (!w) {
      out.exit_code = fail("--warmup wants a duration like 1s or 0, not '" + warmup_text + "'");
      return out;
    }
    o.warmup = *w;
  }
  auto t = parse_duration(timeout_text);
  if (!t || *t <= Clock::duration::zero()) {
    out.exit_code =
        fail("--timeout wants a duration like 10s or 500ms, not '" + timeout_text + "'");
    return out;
  }
  o.timeout = *t;
  if (o.close && o.pipeline > 1) {
    out.exit_code = fail("--close sends one request per connection, so it cannot pipeline");
    return out;
  }
  if (!is_token(o.method)) {
    out.exit_code = fail("'" + o.method + "' is not a valid HTTP method");
    return out;
  }
  for (const auto& h : o.headers) {
    if (!valid_header(h)) {
      out.exit_code = fail("-H wants 'Name: value', not '" + h + "'");
      return out;
    }
  }
  if (!body_file.empty()) {
    std::ifstream in(body_file, std::ios::binary);
    std::ostringstream data;
    if (in) data << in.rdbuf();
    if (!in || in.bad()) {
      out.exit_code = fail("cannot read the body file '" + body_file + "'");
      return out;
    }
    o.body = std::move(data).str();
  }
  // A connection with nothing to send, or a worker without a connection, would only idle.
  if (o.requests && o.connections > o.requests)
    o.connections = static_cast<std::size_t>(o.requests);
  if (o.threads > o.connections) o.threads = o.connections;
  out.options = std::move(o);
  return out;
}

}  // namespace zokio::bench
