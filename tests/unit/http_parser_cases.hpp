// Shared vocabulary of the table-driven HTTP parser tests: a row is raw bytes, the expected
// outcome (complete, incomplete, or an error with the RFC section that makes it one) and, for
// complete heads, optional checks of what was parsed. Also the feeding helpers: a result in
// comparable form, and a parse fed in pieces through a growing (moving) buffer.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zokio/http/parser.hpp>

namespace zokio::http::test {

using namespace std::literals;

struct Outcome {
  ParseStatus status = ParseStatus::kComplete;
  ParseError error = ParseError::kNone;
  std::string_view rfc = {};
};

inline constexpr Outcome kOk{};
inline constexpr Outcome kMore{ParseStatus::kIncomplete};
constexpr Outcome err(ParseError e, std::string_view rfc) {
  return {ParseStatus::kError, e, rfc};
}

// -1: not checked.
struct Check {
  int framing = -1;  // a BodyFraming
  std::int64_t content_length = -1;
  int keep_alive = -1;
  int expect_continue = -1;
  int upgrade = -1;
  int headers = -1;  // number of fields
};

constexpr Check framing(BodyFraming f, std::int64_t cl = -1) {
  return {.framing = static_cast<int>(f), .content_length = cl};
}
constexpr Check keep_alive(bool ka) {
  return {.keep_alive = ka ? 1 : 0};
}

struct RequestCase {
  std::string_view raw;
  Outcome out;
  Check check = {};
};

struct ResponseCase {
  std::string_view raw;
  Outcome out;
  Check check = {};
  bool head_request = false;
};

// Test helpers.

inline std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7F)
      out += "\\x" + std::to_string(c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

// A parse result in comparable form (strings, not views, so buffers may differ).
struct Result {
  ParseStatus status{};
  ParseError error{};
  std::string method_or_reason, target;
  int version_minor = 0, status_code = 0, framing = 0;
  std::uint64_t content_length = 0;
  bool keep_alive = false, expect_continue = false, upgrade = false;
  std::size_t head_size = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  bool operator==(const Result&) const = default;
};

inline bool within(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

template <typename Head>
void fill_common(Result& r, const Head& h, std::string_view buf) {
  r.version_minor = h.version_minor;
  r.framing = static_cast<int>(h.framing);
  r.content_length = h.content_length;
  r.keep_alive = h.keep_alive;
  r.head_size = h.head_size;
  for (const Header& f : h.headers) {
    EXPECT_TRUE(within(f.name, buf) && within(f.value, buf)) << "views must point into the buffer";
    r.headers.emplace_back(f.name, f.value);
  }
}

inline Result take(RequestParser& p, ParseStatus s, const RequestHead& h, std::string_view buf) {
  Result r;
  r.status = s;
  r.error = p.error();
  if (s != ParseStatus::kComplete) return r;
  EXPECT_TRUE(within(h.method, buf) && within(h.target, buf));
  r.method_or_reason = h.method;
  r.target = h.target;
  r.expect_continue = h.expect_continue;
  r.upgrade = h.upgrade;
  fill_common(r, h, buf);
  return r;
}

inline Result take(ResponseParser& p, ParseStatus s, const ResponseHead& h, std::string_view buf) {
  Result r;
  r.status = s;
  r.error = p.error();
  if (s != ParseStatus::kComplete) return r;
  r.method_or_reason = h.reason;
  r.status_code = h.status;
  fill_common(r, h, buf);
  return r;
}

// Feeds `raw` in pieces of the given sizes, growing one std::string (so the buffer moves now
// and then, which the parser must follow), and stops at the first complete or error result.
template <typename Parser, typename Head, typename... Extra>
Result fed(std::string_view raw, const std::vector<std::size_t>& pieces, Extra... extra) {
  Parser p;
  Head h;
  std::string buf;
  std::size_t at = 0;
  ParseStatus s = p.parse(buf, h, extra...);
  for (std::size_t n : pieces) {
    if (s != ParseStatus::kIncomplete || at >= raw.size()) break;
    buf.append(raw.substr(at, n));
    at += n;
    s = p.parse(buf, h, extra...);
  }
  return take(p, s, h, buf);
}

template <typename Parser, typename Head, typename... Extra>
void check_all_feeds(std::string_view raw, const Result& whole, Extra... extra) {
  std::vector<std::size_t> ones(raw.size(), 1);
  EXPECT_EQ((fed<Parser, Head>(raw, ones, extra...)), whole) << "byte by byte";
  std::mt19937 rng(static_cast<unsigned>(raw.size()));
  for (int round = 0; round < 8; ++round) {
    std::vector<std::size_t> pieces;
    for (std::size_t left = raw.size(); left > 0;) {
      const std::size_t n = std::min<std::size_t>(left, 1 + rng() % 24);
      pieces.push_back(n);
      left -= n;
    }
    EXPECT_EQ((fed<Parser, Head>(raw, pieces, extra...)), whole) << "random split " << round;
  }
}

}  // namespace zokio::http::test
