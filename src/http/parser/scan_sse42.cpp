// The SSE4.2 scan path: 16 bytes per step with compares and a movemask (never pcmpistri /
// pcmpestri, whose forms valgrind rejects and callgrind cannot count), token bytes classified
// with two pshufb nibble lookups. Built without -m flags: only these functions carry
// target("sse4.2"), and they run only when CPUID says so.
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "http/parser/char_class.hpp"
#include "http/parser/scan.hpp"

#define ZOKIO_SCAN_TARGET __attribute__((target("sse4.2")))

namespace zokio::http::detail {
namespace {

enum Kind { kToken, kTarget, kValue };

template <Kind kKind>
constexpr CharClass kClassOf = kKind == kToken    ? kTchar
                               : kKind == kTarget ? kTargetChar
                                                  : kValueChar;
// Bytes checked one at a time before the vector loop (see scan()); 16 measured best on the
// benchmark requests (8: +20% time, 24: +30%).
constexpr int kScalarLead = 16;

// Vector constants live in memory: one load (often folded into the instruction) per use is
// cheaper than keeping them in registers, which every call out of the loop would clobber.
template <std::size_t N>
struct alignas(N) Bytes {
  std::uint8_t v[N];
};

constexpr Bytes<16> splat(std::uint8_t b) {
  Bytes<16> out{};
  for (auto& x : out.v) x = b;
  return out;
}

constexpr Bytes<16> nibble_lanes(const std::array<std::uint8_t, 16>& t) {
  Bytes<16> out{};
  for (std::size_t i = 0; i < 16; ++i) out.v[i] = t[i % 16];  // pshufb looks up per 16-byte lane
  return out;
}

constexpr std::array<std::uint8_t, 16> kHighBits = {1, 2, 4, 8, 16, 32, 64, 128};
constexpr Bytes<16> kTokenTable = nibble_lanes(kTokenNibbles);
constexpr Bytes<16> kHighBit = nibble_lanes(kHighBits);
constexpr Bytes<16> kNibble = splat(0x0F), k20 = splat(0x20), k7F = splat(0x7F), k1F = splat(0x1F),
                    kTab = splat('\t');

ZOKIO_SCAN_TARGET inline __m128i ld(const Bytes<16>& b) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(b.v));
}

// `lo` is the start of the caller's buffer: a short tail is scanned with a load that ends at
// `end` and starts before `p`, so no load ever reads outside [lo, end).
class Scanner {
 public:
  ZOKIO_SCAN_TARGET explicit Scanner(const char* lo) : lo_(lo) {}

  ZOKIO_SCAN_TARGET const char* token_end(const char* p, const char* end) const {
    return scan<kToken>(p, end);
  }
  ZOKIO_SCAN_TARGET const char* target_end(const char* p, const char* end) const {
    return scan<kTarget>(p, end);
  }
  ZOKIO_SCAN_TARGET const char* value_end(const char* p, const char* end) const {
    return scan<kValue>(p, end);
  }

 private:
  // A bit per byte of x that is outside the class.
  template <Kind kKind>
  ZOKIO_SCAN_TARGET unsigned stop_mask(__m128i x) const {
    if constexpr (kKind == kToken) {
      const __m128i row = _mm_shuffle_epi8(ld(kTokenTable), _mm_and_si128(x, ld(kNibble)));
      const __m128i bit =
          _mm_shuffle_epi8(ld(kHighBit), _mm_and_si128(_mm_srli_epi16(x, 4), ld(kNibble)));
      const __m128i none = _mm_cmpeq_epi8(_mm_and_si128(row, bit), _mm_setzero_si128());
      return static_cast<unsigned>(_mm_movemask_epi8(none));
    } else if constexpr (kKind == kTarget) {
      // 0x21..0x7E with signed compares: bytes >= 0x80 are negative and fail the first.
      const __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(x, ld(k20)), _mm_cmplt_epi8(x, ld(k7F)));
      return static_cast<unsigned>(_mm_movemask_epi8(ok)) ^ 0xFFFFu;
    } else {
      // CTLs but HTAB, and DEL; x <= 0x1F unsigned is max(x, 0x1F) == 0x1F.
      const __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(x, ld(k1F)), ld(k1F));
      const __m128i stop = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, ld(kTab)), ctl),
                                        _mm_cmpeq_epi8(x, ld(k7F)));
      return static_cast<unsigned>(_mm_movemask_epi8(stop));
    }
  }

  template <Kind kKind>
  ZOKIO_SCAN_TARGET const char* scan(const char* p, const char* end) const {
    // Most names and many values end within a few bytes. A short scalar look first keeps the
    // position off the vector latency chain (load, classify, movemask, tzcnt): a predicted
    // branch lets the next field start before this one is classified.
    if (end - p >= kScalarLead) {
      for (int i = 0; i < kScalarLead; ++i)
        if (!has_class(p[i], kClassOf<kKind>)) return p + i;
      p += kScalarLead;
    }
    for (; end - p >= 16; p += 16)
      if (const unsigned m = stop_mask<kKind>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))))
        return p + __builtin_ctz(m);
    if (p == end) return end;
    if (end - lo_ >= 16) {
      const char* q = end - 16;
      const unsigned m =
          stop_mask<kKind>(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q))) >> (p - q);
      return m ? p + __builtin_ctz(m) : end;
    }
    constexpr CharClass k = kKind == kToken ? kTchar : kKind == kTarget ? kTargetChar : kValueChar;
    while (p < end && has_class(*p, k)) ++p;
    return p;
  }

  const char* lo_;
};

}  // namespace
}  // namespace zokio::http::detail

#include "http/parser/parse_core.inc"

namespace zokio::http::detail {
const Kernels kSse42Kernels = ZOKIO_KERNELS(ScanPath::kSse42);
}  // namespace zokio::http::detail
