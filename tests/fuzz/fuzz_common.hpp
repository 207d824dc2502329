// Helpers shared by the HTTP parser fuzz harnesses: the scan paths this CPU runs, and limits
// small enough that the fuzzer reaches every limit check in short inputs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <zokio/http/parser.hpp>

#include "http/parser/scan.hpp"

namespace zokio::http::fuzz {

inline const std::vector<detail::ScanPath>& paths() {
  static const std::vector<detail::ScanPath> all = [] {
    std::vector<detail::ScanPath> v;
    for (auto p : {detail::ScanPath::kScalar, detail::ScanPath::kSse42, detail::ScanPath::kAvx2})
      if (detail::scan_path_supported(p)) v.push_back(p);
    return v;
  }();
  return all;
}

inline ParseLimits small_limits() {
  ParseLimits l;
  l.max_request_line = 256;
  l.max_header_bytes = 1024;
  l.max_headers = 16;
  l.max_body = 1 << 20;
  return l;
}

// A disagreement between two ways of parsing the same bytes is a bug: crash so libFuzzer keeps
// the input.
#define ZOKIO_FUZZ_CHECK(cond)                                                      \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

}  // namespace zokio::http::fuzz
