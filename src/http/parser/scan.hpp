// The per-instruction-set kernels of the HTTP parser and the run-time choice between them.
//
// parse_core.inc is compiled three times (scan_scalar.cpp, scan_sse42.cpp, scan_avx2.cpp), each
// time around that file's scanners, so the scanners inline into the head-parsing loops and a
// parse() pays a single indirect call. The active kernels are picked once from CPUID;
// ZOKIO_HTTP_SCAN=scalar|sse42|avx2 forces a path (scalar if the CPU lacks it), and tests and
// benchmarks switch paths with set_scan_path().
#pragma once

#include <atomic>
#include <cstddef>
#include <string_view>

#include <zokio/http/parser.hpp>

namespace zokio::http::detail {

enum class ScanPath : std::uint8_t { kScalar, kSse42, kAvx2 };

struct Kernels {
  ScanPath path;
  // Parse the start line (if not yet done) and then field lines, from st.pos; kComplete once the
  // empty line that ends the head is in (framing decisions are the caller's).
  ParseStatus (*request)(HeadState& st, const char* buf, std::size_t size);
  ParseStatus (*response)(HeadState& st, const char* buf, std::size_t size);
  ParseStatus (*fields)(HeadState& st, const char* buf, std::size_t size);  // trailers
  // The scanners themselves, exposed for tests. Each returns the first byte in [p, end) outside
  // its class, or end; it may read [lo, end), lo <= p (the start of the caller's buffer).
  const char* (*token_end)(const char* lo, const char* p, const char* end);
  const char* (*target_end)(const char* lo, const char* p, const char* end);
  const char* (*value_end)(const char* lo, const char* p, const char* end);
};

extern const Kernels kScalarKernels;
extern const Kernels kSse42Kernels;
extern const Kernels kAvx2Kernels;

bool scan_path_supported(ScanPath path) noexcept;
// Makes `path` the active one; false (and nothing changes) if this CPU cannot run it.
bool set_scan_path(ScanPath path) noexcept;
ScanPath active_scan_path() noexcept;
std::string_view to_string(ScanPath path) noexcept;
const Kernels& kernels_for(ScanPath path) noexcept;

extern std::atomic<const Kernels*> g_active_kernels;
const Kernels& init_active_kernels() noexcept;

inline const Kernels& active_kernels() noexcept {
  const Kernels* k = g_active_kernels.load(std::memory_order_relaxed);
  return k ? *k : init_active_kernels();
}

}  // namespace zokio::http::detail
