// zokio-server's option parsing (flags, TOML, precedence, bad values) and its reports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "options.hpp"
#include "stats_report.hpp"

namespace {

using zokio::server::ServerOptions;
using zokio::server::UsageError;

bool parse(std::vector<std::string> args, ServerOptions& out) {
  args.insert(args.begin(), "zokio-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return zokio::server::parse_options(static_cast<int>(argv.size()), argv.data(), out);
}

std::string usage_error(std::vector<std::string> args) {
  ServerOptions o;
  try {
    parse(std::move(args), o);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no error>";
}

std::string temp_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / (name + std::to_string(::getpid()) + ".toml");
  std::ofstream(p) << text;
  return p.string();
}

TEST(ServerOptions, DefaultsAndFlags) {
  ServerOptions o;
  ASSERT_TRUE(parse({}, o));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8080);
  EXPECT_TRUE(o.builtin_routes);
  ASSERT_TRUE(parse(
      {"--port", "0", "--workers=3", "--io", "epoll", "--no-builtin-routes", "--header-timeout",
       "500ms", "--max-body-bytes", "64k", "--no-gzip", "--builtin-prefix", "/_z", "--host", "::1"},
      o));
  EXPECT_EQ(o.port, 0);
  EXPECT_EQ(o.workers, 3u);
  EXPECT_EQ(o.io, "epoll");
  EXPECT_FALSE(o.builtin_routes);
  EXPECT_FALSE(o.gzip);
  EXPECT_EQ(o.header_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(o.max_body_bytes, 65536u);
  EXPECT_EQ(o.builtin_prefix, "/_z");
  EXPECT_EQ(o.host, "::1");
}

TEST(ServerOptions, BadValuesAreOneSentence) {
  EXPECT_EQ(usage_error({"--port", "99999"}), "--port: '99999' is out of range (0 to 65535)");
  EXPECT_EQ(usage_error({"--workers", "x"}), "--workers: 'x' is not a whole number");
  EXPECT_EQ(usage_error({"--io", "kqueue"}), "--io: 'kqueue' is not one of auto, uring, epoll");
  EXPECT_EQ(usage_error({"--idle-timeout", "5parsecs"}),
            "--idle-timeout: '5parsecs' is not a duration (like 10s, 500ms, 2m)");
  EXPECT_EQ(usage_error({"--idle-timeout", "0s"}), "--idle-timeout: '0s' must be longer than zero");
  // Durations that would mean "never" (and overflow deadline arithmetic) are refused.
  for (const char* flag : {"--idle-timeout", "--header-timeout", "--body-timeout",
                           "--write-timeout", "--drain-timeout"}) {
    for (const char* v : {"3000000h", "99999999999h", "9999999999s", "169h"}) {
      EXPECT_EQ(usage_error({flag, v}),
                std::string(flag) + ": '" + v + "' is too long (at most 7 days: 168h)");
    }
  }
  ServerOptions week;
  ASSERT_TRUE(parse({"--idle-timeout", "168h"}, week));
  EXPECT_EQ(week.idle_timeout, std::chrono::hours(168));
  EXPECT_EQ(usage_error({"--host", "example.com"}), "--host: 'example.com' is not an IP address");
  EXPECT_EQ(usage_error({"--root", "/nonexistent/dir"}),
            "--root: '/nonexistent/dir' is not a directory");
  EXPECT_EQ(usage_error({"--builtin-prefix", "api/"}),
            "--builtin-prefix: 'api/' must start with '/', not end with one, and hold no ' ?#%'");
  EXPECT_NE(usage_error({"--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_EQ(usage_error({"--port"}), "--port: needs a value");
  EXPECT_EQ(usage_error({"--cache-control"}), "--cache-control: needs a value");
  EXPECT_EQ(usage_error({"--port", "0", "--port", "1"}), "--port: given more than once");
}

TEST(ServerOptions, ConfigFileAndPrecedence) {
  const auto file = temp_file("zokio-ok", R"(
port = 9000
workers = 2
io = "epoll"
builtin_routes = false
idle_timeout = "2m"
max_body_bytes = 1048576
)");
  ServerOptions o;
  ASSERT_TRUE(parse({"--config", file, "--port", "9100"}, o));
  EXPECT_EQ(o.port, 9100);  // the flag wins
  EXPECT_EQ(o.workers, 2u);
  EXPECT_EQ(o.io, "epoll");
  EXPECT_FALSE(o.builtin_routes);
  EXPECT_EQ(o.idle_timeout, std::chrono::minutes(2));
  EXPECT_EQ(o.max_body_bytes, 1048576u);
  std::filesystem::remove(file);
}

TEST(ServerOptions, BadConfigFiles) {
  const auto syntax = temp_file("zokio-syntax", "port = = 1\n");
  EXPECT_EQ(usage_error({"--config", syntax}).rfind("config " + syntax + ":1:", 0), 0u);
  const auto unknown = temp_file("zokio-unknown", "prot = 1\n");
  EXPECT_EQ(usage_error({"--config", unknown}), "config " + unknown + ": unknown key 'prot'");
  const auto type = temp_file("zokio-type", "port = [1]\n");
  EXPECT_EQ(usage_error({"--config", type}),
            "config " + type + ": key 'port' must be a whole number");
  const auto value = temp_file("zokio-value", "port = 70000\n");
  EXPECT_EQ(usage_error({"--config", value}),
            "config " + value + ": --port: '70000' is out of range (0 to 65535)");
  EXPECT_NE(usage_error({"--config", "/nonexistent.toml"}).find("/nonexistent.toml"),
            std::string::npos);
  const auto text = temp_file("zokio-text", "port = \"8080\"\n");
  EXPECT_EQ(usage_error({"--config", text}),
            "config " + text + ": key 'port' must be a whole number");
  const auto flag = temp_file("zokio-flag", "gzip = \"yes\"\n");
  EXPECT_EQ(usage_error({"--config", flag}),
            "config " + flag + ": key 'gzip' must be true or false");
  const auto forever = temp_file("zokio-forever", "idle_timeout = \"3000000h\"\n");
  EXPECT_EQ(
      usage_error({"--config", forever}),
      "config " + forever + ": --idle-timeout: '3000000h' is too long (at most 7 days: 168h)");
  const auto dir = std::filesystem::temp_directory_path().string();
  EXPECT_EQ(usage_error({"--config", dir}), "config " + dir + ": is a directory, not a TOML file");
  for (const auto& f : {syntax, unknown, type, value, text, flag, forever}) {
    std::filesystem::remove(f);
  }
}

TEST(ServerOptions, DurationsAndSizes) {
  using zokio::server::parse_duration;
  using zokio::server::parse_size;
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_THROW(parse_duration("1d"), std::invalid_argument);
  EXPECT_THROW(parse_duration("-1s"), std::invalid_argument);
  EXPECT_EQ(parse_size("1G"), 1ull << 30);
  EXPECT_THROW(parse_size("1T"), std::invalid_argument);
}

TEST(StatsReport, PrometheusHistogramIsCumulative) {
  zokio::http::ServerStats s;
  s.requests_total = 4;
  s.latency.counts[zokio::http::LatencyHistogram::bucket_of(30)] = 2;          // 30 us
  s.latency.counts[zokio::http::LatencyHistogram::bucket_of(3000)] = 1;        // 3 ms
  s.latency.counts[zokio::http::LatencyHistogram::bucket_of(20'000'000)] = 1;  // 20 s
  s.latency_sum_ns = 20'003'060'123;
  zokio::server::ReportContext ctx;
  ctx.io_backend = "epoll";
  ctx.workers = 1;
  const auto text = zokio::server::prometheus_text(s, {s}, ctx);
  EXPECT_NE(text.find("zokio_request_duration_seconds_bucket{le=\"5e-05\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("zokio_request_duration_seconds_bucket{le=\"0.005\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("zokio_request_duration_seconds_bucket{le=\"10\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("zokio_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("zokio_request_duration_seconds_count 4\n"), std::string::npos);
  EXPECT_NE(text.find("zokio_request_duration_seconds_sum 20.003060123\n"), std::string::npos);
  // Buckets start at 1 µs, so a fast server's quantiles are not stuck at the first bound.
  EXPECT_NE(text.find("zokio_request_duration_seconds_bucket{le=\"1e-06\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("zokio_worker_requests_total{worker=\"0\"} 4\n"), std::string::npos);
  const auto json = zokio::server::stats_json(s, {s}, ctx);
  EXPECT_NE(json.find("\"total_requests\":4"), std::string::npos);
  EXPECT_NE(json.find("\"per_worker\":[{\"worker\":0,"), std::string::npos);
}

TEST(StatsReport, RatesOverWindows) {
  zokio::server::RateTracker t;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i <= 70; ++i) t.sample(t0 + std::chrono::seconds(i), 100u * i);
  const auto now = t0 + std::chrono::seconds(70);
  EXPECT_DOUBLE_EQ(t.rate(std::chrono::seconds(1), now, 7000), 100.0);
  EXPECT_DOUBLE_EQ(t.rate(std::chrono::seconds(10), now, 7000), 100.0);
  EXPECT_DOUBLE_EQ(t.rate(std::chrono::seconds(60), now, 7000), 100.0);
  zokio::server::RateTracker empty;
  EXPECT_EQ(empty.rate(std::chrono::seconds(1), now, 5), 0.0);
}

}  // namespace
