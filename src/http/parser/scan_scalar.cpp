// The scalar scan path: table-driven scanners (one load and one test per byte, unrolled by
// eight) around the shared head-parsing loops. The reference the SIMD paths are checked against,
// and the path for CPUs without SSE4.2.
#include "http/parser/char_class.hpp"
#include "http/parser/scan.hpp"

#define ZOKIO_SCAN_TARGET

namespace zokio::http::detail {
namespace {

class Scanner {
 public:
  explicit Scanner(const char*) {}
  const char* token_end(const char* p, const char* end) const { return scan<kTchar>(p, end); }
  const char* target_end(const char* p, const char* end) const { return scan<kTargetChar>(p, end); }
  const char* value_end(const char* p, const char* end) const { return scan<kValueChar>(p, end); }

 private:
  // Unrolled so the loop test runs once per eight bytes; the exits are well predicted because
  // the stop byte comes once per field.
  template <CharClass kClass>
  static const char* scan(const char* p, const char* end) {
    auto in = [](const char* q) { return has_class(*q, kClass); };
    for (; end - p >= 8; p += 8) {
      if (!in(p)) return p;
      if (!in(p + 1)) return p + 1;
      if (!in(p + 2)) return p + 2;
      if (!in(p + 3)) return p + 3;
      if (!in(p + 4)) return p + 4;
      if (!in(p + 5)) return p + 5;
      if (!in(p + 6)) return p + 6;
      if (!in(p + 7)) return p + 7;
    }
    while (p < end && in(p)) ++p;
    return p;
  }
};

}  // namespace
}  // namespace zokio::http::detail

#include "http/parser/parse_core.inc"

namespace zokio::http::detail {
const Kernels kScalarKernels = ZOKIO_KERNELS(ScanPath::kScalar);
}  // namespace zokio::http::detail
