// Picks the scan path once: the widest one this CPU runs, unless ZOKIO_HTTP_SCAN names one
// (falling back to scalar when the CPU lacks what was asked for). Tests and benchmarks switch
// with set_scan_path().
#include <cstdlib>

#include "http/parser/scan.hpp"

namespace zokio::http::detail {

std::atomic<const Kernels*> g_active_kernels{nullptr};

bool scan_path_supported(ScanPath path) noexcept {
  __builtin_cpu_init();
  switch (path) {
    case ScanPath::kScalar:
      return true;
    case ScanPath::kSse42:
      return __builtin_cpu_supports("sse4.2");
    case ScanPath::kAvx2:
      return __builtin_cpu_supports("avx2");  // also checks the OS saves the YMM state
  }
  return false;
}

const Kernels& kernels_for(ScanPath path) noexcept {
  switch (path) {
    case ScanPath::kSse42:
      return kSse42Kernels;
    case ScanPath::kAvx2:
      return kAvx2Kernels;
    case ScanPath::kScalar:
      break;
  }
  return kScalarKernels;
}

std::string_view to_string(ScanPath path) noexcept {
  switch (path) {
    case ScanPath::kSse42:
      return "sse42";
    case ScanPath::kAvx2:
      return "avx2";
    case ScanPath::kScalar:
      break;
  }
  return "scalar";
}

bool set_scan_path(ScanPath path) noexcept {
  if (!scan_path_supported(path)) return false;
  g_active_kernels.store(&kernels_for(path), std::memory_order_relaxed);
  return true;
}

ScanPath active_scan_path() noexcept {
  return active_kernels().path;
}

const Kernels& init_active_kernels() noexcept {
  ScanPath path = ScanPath::kScalar;
  if (scan_path_supported(ScanPath::kAvx2))
    path = ScanPath::kAvx2;
  else if (scan_path_supported(ScanPath::kSse42))
    path = ScanPath::kSse42;
  if (const char* forced = std::getenv("ZOKIO_HTTP_SCAN")) {  // an unknown value is ignored
    for (ScanPath want : {ScanPath::kScalar, ScanPath::kSse42, ScanPath::kAvx2}) {
      if (to_string(want) == forced) path = scan_path_supported(want) ? want : ScanPath::kScalar;
    }
  }
  // Threads racing here compute the same answer; the store is idempotent.
  const Kernels* k = &kernels_for(path);
  g_active_kernels.store(k, std::memory_order_relaxed);
  return *k;
}

}  // namespace zokio::http::detail
