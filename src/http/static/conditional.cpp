// Validators and ranges (see conditional.hpp).
#include "http/static/conditional.hpp"

#include <charconv>

#include "http/http_date.hpp"
#include "http/parser/fields.hpp"
#include "zokio/http/parser.hpp"

namespace zokio::http::detail {

namespace {
std::string_view opaque(std::string_view tag) noexcept {
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  return tag;
}
// Digits only; a value beyond 64 bits saturates (it can only mean "past the end").
bool parse_u64(std::string_view s, std::uint64_t& v) noexcept {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    v = UINT64_MAX;
    return true;
  }
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool none_match_hits(std::string_view header, std::string_view etag) noexcept {
  if (trim_ows(header) == "*") return true;
  const std::string_view ours = opaque(etag);
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (!tag.empty() && opaque(tag) == ours) return true;
  }
  return false;
}

bool match_holds(std::string_view header, std::string_view etag) noexcept {
  if (trim_ows(header) == "*") return true;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (!tag.empty() && tag.substr(0, 2) != "W/" && tag == etag) return true;
  }
  return false;
}

RangeVerdict parse_range(std::string_view header, std::uint64_t size, ByteRange& range) noexcept {
  header = trim_ows(header);
  if (!iequals(header.substr(0, 6), "bytes=")) return RangeVerdict::kIgnore;
  std::string_view spec = trim_ows(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return RangeVerdict::kIgnore;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeVerdict::kIgnore;
  std::string_view a = trim_ows(spec.substr(0, dash)), b = trim_ows(spec.substr(dash + 1));
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last b bytes
    if (!parse_u64(b, last)) return RangeVerdict::kIgnore;
    if (last == 0 || size == 0) return RangeVerdict::kUnsatisfiable;
    range.length = last < size ? last : size;
    range.first = size - range.length;
    return RangeVerdict::kSatisfiable;
  }
  if (!parse_u64(a, first)) return RangeVerdict::kIgnore;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!parse_u64(b, last) || last < first) {
    return RangeVerdict::kIgnore;
  }
  if (first >= size) return RangeVerdict::kUnsatisfiable;
  if (last >= size) last = size - 1;
  range.first = first;
  range.length = last - first + 1;
  return RangeVerdict::kSatisfiable;
}

bool if_range_holds(std::string_view if_range, std::string_view etag, std::time_t mtime) noexcept {
  if_range = trim_ows(if_range);
  if (if_range.empty()) return true;
  if (if_range.front() == '"') return if_range == etag;  // strong comparison
  if (if_range.substr(0, 2) == "W/") return false;
  auto date = parse_http_date(if_range);
  return date && *date == mtime;
}

}  // namespace zokio::http::detail
