// HTTP/1.1 request parser micro benchmarks: the TechEmpower plaintext request (164 bytes), a
// browser request (731 bytes) and 16 pipelined plaintext requests, each through the scalar,
// SSE4.2 and AVX2 scan paths. The ns/req counter is the time per parsed request head.
// Results, with the command and machine: docs/benchmarks.md ("HTTP/1.1 parser").
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <zokio/http/parser.hpp>

#include "http/parser/scan.hpp"

namespace {

using zokio::http::ParseStatus;
using zokio::http::RequestHead;
using zokio::http::RequestParser;
using zokio::http::detail::ScanPath;

std::string load(const char* name) {
  std::ifstream in(std::string(ZOKIO_BENCH_DATA_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot open bench data ") + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Parses `copies` back-to-back requests from one buffer per iteration, as the connection engine
// does with a pipelined read: parse, reset, parse the rest.
void BM_ParseRequest(benchmark::State& state, const char* file, int copies, ScanPath path) {
  if (!zokio::http::detail::set_scan_path(path)) {
    state.SkipWithError("scan path not supported by this CPU");
    return;
  }
  std::string one = load(file);
  std::string buf;
  for (int i = 0; i < copies; ++i) buf += one;
  RequestParser parser;
  RequestHead head;
  for (auto _ : state) {
    std::string_view rest = buf;
    for (int i = 0; i < copies; ++i) {
      parser.reset();
      if (parser.parse(rest, head) != ParseStatus::kComplete) {
        state.SkipWithError("parse failed");
        return;
      }
      benchmark::DoNotOptimize(head);
      rest.remove_prefix(head.head_size);
    }
  }
  state.SetItemsProcessed(state.iterations() * copies);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buf.size()));
  state.counters["ns/req"] = benchmark::Counter(
      copies, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

#define ZOKIO_PARSE_BENCH(input, file, copies)                                         \
  BENCHMARK_CAPTURE(BM_ParseRequest, input##_scalar, file, copies, ScanPath::kScalar); \
  BENCHMARK_CAPTURE(BM_ParseRequest, input##_sse42, file, copies, ScanPath::kSse42);   \
  BENCHMARK_CAPTURE(BM_ParseRequest, input##_avx2, file, copies, ScanPath::kAvx2)

ZOKIO_PARSE_BENCH(plaintext, "request-plaintext.http", 1);
ZOKIO_PARSE_BENCH(browser, "request-browser.http", 1);
ZOKIO_PARSE_BENCH(pipelined16, "request-plaintext.http", 16);

}  // namespace
