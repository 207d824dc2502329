// Conditional and range requests for static files (RFC 9110 §13 and §14).
#pragma once

#include <cstdint>
#include <ctime>
#include <string_view>

namespace zokio::http::detail {

// If-None-Match against the current entity tag, by weak comparison (§13.1.2): "*" or any
// listed tag whose opaque part equals ours.
bool none_match_hits(std::string_view if_none_match, std::string_view etag) noexcept;

// If-Match (§13.1.1), by strong comparison: "*" or a listed strong tag equal to ours.
bool match_holds(std::string_view if_match, std::string_view etag) noexcept;

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};
enum class RangeVerdict {
  kIgnore,         // no usable single range: send the whole representation (200)
  kSatisfiable,    // 206 with `range`
  kUnsatisfiable,  // 416
};
// One `bytes=` range (first-last, first-, -suffix) against a representation of `size` bytes.
// The unit is case-insensitive; positions too large for 64 bits are clamped (a last position
// past the end means the end). Syntax errors, other units and several ranges are ignored (the
// whole file is sent).
RangeVerdict parse_range(std::string_view header, std::uint64_t size, ByteRange& range) noexcept;

// If-Range (§13.1.5): the range applies only if the validator still matches (a strong ETag, or
// the exact Last-Modified date).
bool if_range_holds(std::string_view if_range, std::string_view etag, std::time_t mtime) noexcept;

}  // namespace zokio::http::detail
