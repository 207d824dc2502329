// Character classes of RFC 9110, RFC 9112 and RFC 3986 as one 256-entry table, plus the nibble
// tables the SIMD token scanners are built from. One table (one load per byte) keeps the scalar
// loops branch-light; the SIMD tables are derived from it so the paths cannot disagree.
#pragma once

#include <array>
#include <cstdint>

namespace zokio::http::detail {

enum CharClass : std::uint8_t {
  kTchar = 1,       // token (RFC 9110 §5.6.2): methods, field names, codings
  kTargetChar = 2,  // request-target: visible ASCII only (obs-text is rejected, the safe choice)
  kValueChar = 4,   // field-value, reason-phrase: VCHAR, obs-text, SP, HTAB
  kHexDigit = 8,
  kHostChar = 16,  // reg-name: unreserved and sub-delims (RFC 3986 §3.2.2)
  kDigit = 32,
};

constexpr bool is_alpha(unsigned c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit_c(unsigned c) {
  return c >= '0' && c <= '9';
}
constexpr bool in_set(unsigned c, const char* set) {
  for (; *set; ++set)
    if (static_cast<unsigned char>(*set) == c) return true;
  return false;
}

constexpr std::array<std::uint8_t, 256> make_char_classes() {
  std::array<std::uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    if (is_alpha(c) || is_digit_c(c) || in_set(c, "!#$%&'*+-.^_`|~")) v |= kTchar;
    if (c > 0x20 && c < 0x7F) v |= kTargetChar;
    if (c == '\t' || (c >= 0x20 && c != 0x7F)) v |= kValueChar;
    if (is_digit_c(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHexDigit;
    if (is_alpha(c) || is_digit_c(c) || in_set(c, "-._~!$&'()*+,;=")) v |= kHostChar;
    if (is_digit_c(c)) v |= kDigit;
    t[c] = v;
  }
  return t;
}

inline constexpr std::array<std::uint8_t, 256> kCharClass = make_char_classes();

inline bool has_class(char c, CharClass k) {
  return (kCharClass[static_cast<unsigned char>(c)] & k) != 0;
}

// For the pshufb classifier: entry L has bit H set when byte (H << 4 | L) is a tchar. Bytes
// >= 0x80 (H >= 8) are never tchars; the high-nibble lookup maps them to 0.
constexpr std::array<std::uint8_t, 16> make_token_nibble_table() {
  std::array<std::uint8_t, 16> t{};
  for (unsigned c = 0; c < 128; ++c)
    if (kCharClass[c] & kTchar) t[c & 15] = static_cast<std::uint8_t>(t[c & 15] | (1u << (c >> 4)));
  return t;
}

inline constexpr std::array<std::uint8_t, 16> kTokenNibbles = make_token_nibble_table();

}  // namespace zokio::http::detail
