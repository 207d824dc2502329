// The rules under static files: path cleaning, validators, ranges, HTTP dates, media types,
// Accept-Encoding and JSON escaping.
#include <gtest/gtest.h>

#include <zokio/http/json.hpp>
#include <zokio/http/middleware.hpp>

#include "http/http_date.hpp"
#include "http/static/conditional.hpp"
#include "http/static/mime.hpp"
#include "http/static/path_guard.hpp"

namespace {

using namespace zokio::http::detail;

TEST(PathGuard, CleansOrRefuses) {
  struct Case {
    const char* raw;
    PathVerdict verdict;
    const char* rel;
    bool slash;
  };
  const Case cases[] = {
      {"/", PathVerdict::kOk, "", true},
      {"", PathVerdict::kOk, "", false},
      {"/a/b.txt", PathVerdict::kOk, "a/b.txt", false},
      {"//a///b/", PathVerdict::kOk, "a/b", true},
      {"/./a/./b", PathVerdict::kOk, "a/b", false},
      {"/a%20b", PathVerdict::kOk, "a b", false},
      {"/%41", PathVerdict::kOk, "A", false},
      {"/..", PathVerdict::kForbidden, "", false},
      {"/a/../b", PathVerdict::kOk, "b", false},  // resolved (RFC 3986 §5.2.4)
      {"/sub/./../a.txt", PathVerdict::kOk, "a.txt", false},
      {"/a/b/../../c/", PathVerdict::kOk, "c", true},
      {"/a/..", PathVerdict::kOk, "", false},
      {"/a/../..", PathVerdict::kForbidden, "", false},  // above the root
      {"/a/%2e%2e/%2e%2e/etc/passwd", PathVerdict::kForbidden, "", false},
      {"/%2e%2e/x", PathVerdict::kForbidden, "", false},
      {"/%2E%2e/x", PathVerdict::kForbidden, "", false},
      {"/.%2e/x", PathVerdict::kForbidden, "", false},
      {"/..%2fx", PathVerdict::kForbidden, "", false},
      {"/a\\b", PathVerdict::kForbidden, "", false},
      {"/a%5cb", PathVerdict::kForbidden, "", false},
      {"/a%00", PathVerdict::kForbidden, "", false},
      {"/a%", PathVerdict::kForbidden, "", false},
      {"/a%4", PathVerdict::kForbidden, "", false},
      {"/a%zz", PathVerdict::kForbidden, "", false},
      {"/.env", PathVerdict::kHidden, "", false},
      {"/a/.git/config", PathVerdict::kHidden, "", false},
      {"/%2egit", PathVerdict::kHidden, "", false},
      {"/%252e%252e", PathVerdict::kOk, "%2e%2e", false},  // decoded once, a plain name
  };
  for (const auto& c : cases) {
    CleanPath out;
    EXPECT_EQ(clean_path(c.raw, true, out), c.verdict) << c.raw;
    if (c.verdict == PathVerdict::kOk) {
      EXPECT_EQ(out.rel, c.rel) << c.raw;
      EXPECT_EQ(out.trailing_slash, c.slash) << c.raw;
    }
  }
  CleanPath out;
  EXPECT_EQ(clean_path("/.well-known/x", false, out), PathVerdict::kOk);
  EXPECT_EQ(out.rel, ".well-known/x");
}

TEST(Conditional, IfNoneMatch) {
  EXPECT_TRUE(none_match_hits("\"a\"", "\"a\""));
  EXPECT_TRUE(none_match_hits("\"x\", \"a\"", "\"a\""));
  EXPECT_TRUE(none_match_hits("W/\"a\"", "\"a\""));
  EXPECT_TRUE(none_match_hits(" * ", "\"a\""));
  EXPECT_FALSE(none_match_hits("\"b\"", "\"a\""));
  EXPECT_FALSE(none_match_hits("", "\"a\""));
}

TEST(Conditional, Ranges) {
  ByteRange r;
  EXPECT_EQ(parse_range("bytes=0-9", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.length, 10u);
  EXPECT_EQ(parse_range("bytes=90-", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.length, 10u);
  EXPECT_EQ(parse_range("bytes=-10", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(parse_range("bytes=-1000", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.length, 100u);
  EXPECT_EQ(parse_range("bytes=50-1000", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.length, 50u);
  EXPECT_EQ(parse_range("bytes=100-", 100, r), RangeVerdict::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100, r), RangeVerdict::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-0", 0, r), RangeVerdict::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=5-1", 100, r), RangeVerdict::kIgnore);
  EXPECT_EQ(parse_range("bytes=0-1,5-6", 100, r), RangeVerdict::kIgnore);
  EXPECT_EQ(parse_range("items=0-1", 100, r), RangeVerdict::kIgnore);
  EXPECT_EQ(parse_range("bytes=a-b", 100, r), RangeVerdict::kIgnore);
  // Positions beyond 64 bits saturate: a first one is past the end, a last one means the end.
  EXPECT_EQ(parse_range("bytes=99999999999999999999-", 100, r), RangeVerdict::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-99999999999999999999", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.length, 100u);
  EXPECT_EQ(parse_range("bytes=-99999999999999999999", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.length, 100u);
  EXPECT_EQ(parse_range("bytes=0-9x9999999999999999999", 100, r), RangeVerdict::kIgnore);
  // The unit is case-insensitive (RFC 9110 §14.1).
  EXPECT_EQ(parse_range("BYTES=0-9", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(parse_range("Bytes=5-", 100, r), RangeVerdict::kSatisfiable);
  EXPECT_EQ(r.first, 5u);
}

TEST(Conditional, IfMatch) {
  EXPECT_TRUE(match_holds("*", "\"a\""));
  EXPECT_TRUE(match_holds("\"x\", \"a\"", "\"a\""));
  EXPECT_FALSE(match_holds("W/\"a\"", "\"a\""));  // strong comparison only
  EXPECT_FALSE(match_holds("\"b\"", "\"a\""));
}

TEST(Conditional, IfRange) {
  EXPECT_TRUE(if_range_holds("", "\"a\"", 0));
  EXPECT_TRUE(if_range_holds("\"a\"", "\"a\"", 0));
  EXPECT_FALSE(if_range_holds("W/\"a\"", "\"a\"", 0));  // needs a strong validator
  EXPECT_FALSE(if_range_holds("\"b\"", "\"a\"", 0));
  EXPECT_TRUE(if_range_holds("Sun, 06 Nov 1994 08:49:37 GMT", "\"a\"", 784111777));
  EXPECT_FALSE(if_range_holds("Sun, 06 Nov 1994 08:49:38 GMT", "\"a\"", 784111777));
}

TEST(HttpDate, FormatsAndParsesAllThreeForms) {
  EXPECT_EQ(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
  // A two-digit year is the nearest one not more than 50 years ahead (RFC 9110 §5.6.7).
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-26 00:00:00 GMT"), 1767225600);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
  for (const char* bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing"}) {
    EXPECT_FALSE(parse_http_date(bad).has_value()) << bad;
  }
}

TEST(Mime, ByExtension) {
  EXPECT_EQ(mime_type("a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type("x.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type("logo.png"), "image/png");
  EXPECT_EQ(mime_type("f.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type("noext"), "application/octet-stream");
  EXPECT_EQ(mime_type("dir.d/noext"), "application/octet-stream");
  EXPECT_EQ(mime_type("trailing."), "application/octet-stream");
}

TEST(AcceptEncoding, Gzip) {
  EXPECT_TRUE(zokio::http::accepts_gzip("gzip"));
  EXPECT_TRUE(zokio::http::accepts_gzip("br, gzip;q=0.5"));
  EXPECT_TRUE(zokio::http::accepts_gzip("GZIP"));
  EXPECT_TRUE(zokio::http::accepts_gzip("*"));
  EXPECT_FALSE(zokio::http::accepts_gzip(""));
  EXPECT_FALSE(zokio::http::accepts_gzip("br"));
  EXPECT_FALSE(zokio::http::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(zokio::http::accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(zokio::http::accepts_gzip("*, gzip;q=0"));  // named beats the wildcard
  EXPECT_FALSE(zokio::http::accepts_gzip("*;q=0"));
  EXPECT_TRUE(zokio::http::compressible_type("text/html; charset=utf-8"));
  EXPECT_TRUE(zokio::http::compressible_type("application/problem+json"));
  EXPECT_FALSE(zokio::http::compressible_type("image/png"));
}

TEST(Json, EscapesAndKeepsUtf8) {
  using zokio::http::json_string;
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("q\"b\\n\n\t\x01"), "\"q\\\"b\\\\n\\n\\t\\u0001\"");
  EXPECT_EQ(json_string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_string("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(json_string("\xc3"), "\"\\ufffd\"");                        // truncated
  EXPECT_EQ(json_string("\xc0\xae"), "\"\\ufffd\\ufffd\"");             // overlong
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // surrogate
  EXPECT_EQ(json_string(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

}  // namespace
