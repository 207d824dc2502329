// Text and JSON reports (see report.hpp).
#include "report.hpp"

#include <string>

namespace zokio::bench {

namespace {

struct Figures {
  double requests_per_sec = 0;
  double bytes_per_sec = 0;
  double success_rate = 0;  // successes / (responses + requests failed without one)
  std::uint64_t attempted = 0;
};

Figures figures(const RunResult& r) {
  const WorkerStats& t = r.totals;
  Figures f;
  if (r.seconds > 0) {
    f.requests_per_sec = static_cast<double>(t.responses) / r.seconds;
    f.bytes_per_sec = static_cast<double>(t.bytes) / r.seconds;
  }
  f.attempted = t.responses + t.failed();
  if (f.attempted)
    f.success_rate = static_cast<double>(t.successes) / static_cast<double>(f.attempted);
  return f;
}

// 1234567 -> "1,234,567"
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string latency(std::uint64_t ns) {
  char buf[32];
  const double v = static_cast<double>(ns);
  if (ns < 1'000'000) {
    std::snprintf(buf, sizeof(buf), "%.0f us", v / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.2f ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f s", v / 1e9);
  }
  return buf;
}

std::string bytes(double n) {
  char buf[32];
  if (n < 1e3) {
    std::snprintf(buf, sizeof(buf), "%.0f B", n);
  } else if (n < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2f kB", n / 1e3);
  } else if (n < 1e9) {
    std::snprintf(buf, sizeof(buf), "%.2f MB", n / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f GB", n / 1e9);
  }
  return buf;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
      out += esc;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

double micros(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e3;
}

}  // namespace

void print_text_report(std::FILE* out, const Options& o, const RunResult& r) {
  const WorkerStats& t = r.totals;
  const Figures f = figures(r);
  const Histogram& h = t.latency;
  std::fprintf(out, "zokio-bench %s %s: %.2f s measured", o.method.c_str(), o.url_text.c_str(),
               r.seconds);
  if (o.warmup > Clock::duration::zero()) {
    std::fprintf(out, " after %.2f s warm-up", std::chrono::duration<double>(o.warmup).count());
  }
  std::fprintf(out, ", %zu connection%s, %zu thread%s, pipeline %zu%s, %s\n", o.connections,
               o.connections == 1 ? "" : "s", r.threads, r.threads == 1 ? "" : "s", o.pipeline,
               o.close ? ", a connection per request" : "", to_string(r.backend));
  if (o.rate > 0) std::fprintf(out, "  open loop at %.0f requests/s (target)\n", o.rate);
  std::fprintf(out, "  requests/s     %.1f  (%s responses)\n", f.requests_per_sec,
               grouped(t.responses).c_str());
  std::fprintf(out, "  transfer/s     %s/s  (%s received)\n", bytes(f.bytes_per_sec).c_str(),
               bytes(static_cast<double>(t.bytes)).c_str());
  if (h.count()) {
    std::fprintf(
        out, "  latency        p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)\n",
        latency(h.value_at_quantile(0.5)).c_str(), latency(h.value_at_quantile(0.9)).c_str(),
        latency(h.value_at_quantile(0.99)).c_str(), latency(h.value_at_quantile(0.999)).c_str(),
        latency(h.max()).c_str(), latency(static_cast<std::uint64_t>(h.mean())).c_str());
  } else {
    std::fprintf(out, "  latency        (no responses)\n");
  }
  std::fprintf(out, "  success rate   %.2f%%  (%s of %s requests answered 2xx/3xx)\n",
               f.success_rate * 100, grouped(t.successes).c_str(), grouped(f.attempted).c_str());
  // Responses by status class, as h2load prints them (other: 1xx as final, or out of range).
  std::fprintf(out, "  status         2xx %s, 3xx %s, 4xx %s, 5xx %s, other %s\n",
               grouped(t.status_classes[2]).c_str(), grouped(t.status_classes[3]).c_str(),
               grouped(t.status_classes[4]).c_str(), grouped(t.status_classes[5]).c_str(),
               grouped(t.status_classes[0] + t.status_classes[1]).c_str());
  std::fprintf(out, "  errors         ");
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    std::fprintf(out, "%s%s %s", i ? ", " : "", std::string(to_string(ErrorKind(i))).c_str(),
                 grouped(t.errors[i]).c_str());
  }
  std::fprintf(out, "\n");
  if (t.first_framing_error != http::ParseError::kNone) {
    std::fprintf(out, "  first framing error: %s\n",
                 std::string(http::to_string(t.first_framing_error)).c_str());
  }
  if (t.error(ErrorKind::kConnect) && t.first_connect_error) {
    std::fprintf(out, "  first connect error: %s\n", t.first_connect_error.message().c_str());
  }
  std::fprintf(out, "  connections    %zu concurrent, %s opened\n", o.connections,
               grouped(t.connects).c_str());
}

void print_json_report(std::FILE* out, const Options& o, const RunResult& r) {
  const WorkerStats& t = r.totals;
  const Figures f = figures(r);
  const Histogram& h = t.latency;
  std::fprintf(out,
               "{\"requests\":%llu,\"duration_s\":%.6f,\"requests_per_sec\":%.3f,"
               "\"bytes_per_sec\":%.3f,",
               static_cast<unsigned long long>(t.responses), r.seconds, f.requests_per_sec,
               f.bytes_per_sec);
  std::fprintf(out,
               "\"latency_us\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
               "\"max\":%.3f,\"mean\":%.3f,\"min\":%.3f},",
               micros(h.value_at_quantile(0.5)), micros(h.value_at_quantile(0.9)),
               micros(h.value_at_quantile(0.99)), micros(h.value_at_quantile(0.999)),
               micros(h.max()), h.mean() / 1e3, micros(h.min()));
  std::fprintf(out, "\"success_rate\":%.6f,\"successes\":%llu,\"errors\":{", f.success_rate,
               static_cast<unsigned long long>(t.successes));
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    std::fprintf(out, "%s\"%s\":%llu", i ? "," : "", std::string(to_string(ErrorKind(i))).c_str(),
                 static_cast<unsigned long long>(t.errors[i]));
  }
  std::fprintf(out, "},\"status\":{");
  for (std::size_t c = 1; c <= 5; ++c) {
    std::fprintf(out, "%s\"%zuxx\":%llu", c > 1 ? "," : "", c,
                 static_cast<unsigned long long>(t.status_classes[c]));
  }
  std::fprintf(out,
               "},\"bytes\":%llu,\"connections\":%zu,\"connections_opened\":%llu,"
               "\"threads\":%zu,\"pipeline\":%zu,\"close\":%s,\"rate\":%.3f,"
               "\"warmup_s\":%.3f,\"io\":\"%s\",\"method\":%s,\"url\":%s,\"complete\":%s}\n",
               static_cast<unsigned long long>(t.bytes), o.connections,
               static_cast<unsigned long long>(t.connects), r.threads, o.pipeline,
               o.close ? "true" : "false", o.rate, std::chrono::duration<double>(o.warmup).count(),
               to_string(r.backend), json_string(o.method).c_str(), json_string(o.url_text).c_str(),
               r.end == RunEnd::kCompleted ? "true" : "false");
}

}  // namespace zokio::bench
