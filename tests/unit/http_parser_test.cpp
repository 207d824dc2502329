// HTTP/1.1 request and response parser tests: the case tables (http_request_cases.hpp,
// http_response_cases.hpp) through all three scan paths, each case also fed byte by byte and in
// random splits; pipelining; limits at exactly the limit and one over; the scanners themselves
// against a byte-by-byte reference.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "http/parser/char_class.hpp"
#include "http/parser/scan.hpp"
#include "http_request_cases.hpp"
#include "http_response_cases.hpp"

namespace zokio::http::test {
namespace {

using detail::ScanPath;

std::vector<ScanPath> supported_paths() {
  std::vector<ScanPath> out;
  for (ScanPath p : {ScanPath::kScalar, ScanPath::kSse42, ScanPath::kAvx2})
    if (detail::scan_path_supported(p)) out.push_back(p);
  return out;
}

// Puts the automatically chosen path back when a test ends.
struct PathGuard {
  ScanPath saved = detail::active_scan_path();
  ~PathGuard() { detail::set_scan_path(saved); }
};

void check_outcome(const Outcome& want, const Result& got) {
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.error, want.error) << to_string(got.error);
  if (want.status == ParseStatus::kError) {
    EXPECT_EQ(rfc_section(got.error), want.rfc);
    EXPECT_GE(status_for(got.error), 400);
  }
}

template <typename Head>
void check_fields(const Check& c, const Head& h) {
  if (c.framing >= 0) {
    EXPECT_EQ(static_cast<int>(h.framing), c.framing);
  }
  if (c.content_length >= 0) {
    EXPECT_EQ(h.content_length, static_cast<std::uint64_t>(c.content_length));
  }
  if (c.keep_alive >= 0) {
    EXPECT_EQ(h.keep_alive, c.keep_alive == 1);
  }
  if (c.headers >= 0) {
    EXPECT_EQ(h.headers.size(), static_cast<std::size_t>(c.headers));
  }
}

TEST(HttpParserTable, HasAtLeast250Cases) {
  EXPECT_GE(std::size(kRequestCases) + std::size(kResponseCases), 250u);
}

TEST(HttpParserTable, Requests) {
  PathGuard guard;
  for (ScanPath path : supported_paths()) {
    ASSERT_TRUE(detail::set_scan_path(path));
    for (std::size_t i = 0; i < std::size(kRequestCases); ++i) {
      const RequestCase& c = kRequestCases[i];
      SCOPED_TRACE("path " + std::string(detail::to_string(path)) + ", request case " +
                   std::to_string(i) + ": " + printable(c.raw));
      RequestParser p;
      RequestHead h;
      const std::string buf(c.raw);
      const ParseStatus s = p.parse(buf, h);
      const Result whole = take(p, s, h, buf);
      check_outcome(c.out, whole);
      if (s == ParseStatus::kComplete) {
        check_fields(c.check, h);
        if (c.check.expect_continue >= 0) {
          EXPECT_EQ(h.expect_continue, c.check.expect_continue == 1);
        }
        if (c.check.upgrade >= 0) {
          EXPECT_EQ(h.upgrade, c.check.upgrade == 1);
        }
        EXPECT_EQ(buf.substr(h.head_size - 4, 4), "\r\n\r\n");
      }
      check_all_feeds<RequestParser, RequestHead>(buf, whole);
    }
  }
}

TEST(HttpParserTable, Responses) {
  PathGuard guard;
  for (ScanPath path : supported_paths()) {
    ASSERT_TRUE(detail::set_scan_path(path));
    for (std::size_t i = 0; i < std::size(kResponseCases); ++i) {
      const ResponseCase& c = kResponseCases[i];
      SCOPED_TRACE("path " + std::string(detail::to_string(path)) + ", response case " +
                   std::to_string(i) + ": " + printable(c.raw));
      ResponseParser p;
      ResponseHead h;
      const std::string buf(c.raw);
      const ParseStatus s = p.parse(buf, h, c.head_request);
      const Result whole = take(p, s, h, buf);
      check_outcome(c.out, whole);
      if (s == ParseStatus::kComplete) check_fields(c.check, h);
      check_all_feeds<ResponseParser, ResponseHead>(buf, whole, c.head_request);
    }
  }
}

TEST(HttpRequestParser, FieldsAndLookup) {
  RequestParser p;
  RequestHead h;
  const std::string buf =
      "PATCH /items/7?x=1 HTTP/1.1\r\nHost: api.example\r\nX-Trim: \t padded \t \r\n"
      "content-type: application/json\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n";
  ASSERT_EQ(p.parse(buf, h), ParseStatus::kComplete);
  EXPECT_EQ(h.method, "PATCH");
  EXPECT_EQ(h.target, "/items/7?x=1");
  EXPECT_EQ(h.version_minor, 1);
  ASSERT_EQ(h.headers.size(), 5u);
  EXPECT_EQ(h.header("x-trim"), "padded");
  EXPECT_EQ(h.header("Content-Type"), "application/json");
  EXPECT_EQ(h.header("x-dup"), "1");  // the first one
  EXPECT_EQ(h.header("missing"), "");
  EXPECT_EQ(h.head_size, buf.size());
  // Parsing again without reset reports the same head.
  RequestHead again;
  EXPECT_EQ(p.parse(buf, again), ParseStatus::kComplete);
  EXPECT_EQ(again.target, h.target);
}

// Compression transfer codings are valid framing, and reported so that the engine (which does
// not decode them) can answer 501.
TEST(HttpRequestParser, ReportsCompressionTransferCodings) {
  RequestParser p;
  RequestHead h;
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h),
            ParseStatus::kComplete);
  EXPECT_TRUE(h.compressed_transfer);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  p.reset();
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", h),
            ParseStatus::kComplete);
  EXPECT_FALSE(h.compressed_transfer);
  ResponseParser rp;
  ResponseHead rh;
  ASSERT_EQ(rp.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: deflate, chunked\r\n\r\n", rh),
            ParseStatus::kComplete);
  EXPECT_TRUE(rh.compressed_transfer);
}

TEST(HttpRequestParser, ErrorsAreSticky) {
  RequestParser p;
  RequestHead h;
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", h), ParseStatus::kError);
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", h), ParseStatus::kError);
  EXPECT_EQ(p.error(), ParseError::kWhitespaceBeforeColon);
  EXPECT_EQ(status_for(p.error()), 400);
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", h), ParseStatus::kComplete);
  EXPECT_EQ(p.error(), ParseError::kNone);
}

// Found by fuzz_request_parser: with more noted fields than the parser batches (8), the first
// error must win, and each field must be interpreted exactly once (not "Host" twice).
TEST(HttpRequestParser, ManyMeaningfulFieldsFirstErrorWins) {
  std::string req = "GET / HTTP/1.1\r\nHost: bad host\r\n";
  for (int i = 0; i < 12; ++i) req += "Expect: x\r\n";
  req += "Host: second\r\n\r\n";
  RequestParser p;
  RequestHead h;
  EXPECT_EQ(p.parse(req, h), ParseStatus::kError);
  EXPECT_EQ(p.error(), ParseError::kBadHost);
  std::string ok = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 20; ++i) ok += "Connection: keep-alive\r\n";
  RequestParser q;
  EXPECT_EQ(q.parse(ok + "Connection: close\r\n\r\n", h), ParseStatus::kComplete);
  EXPECT_FALSE(h.keep_alive);
}

TEST(HttpRequestParser, Pipelined) {
  PathGuard guard;
  const std::vector<std::string> requests = {
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",  // body "abc" follows
      "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "\r\nGET /4 HTTP/1.0\r\n\r\n",  // a stray CRLF after the body is skipped
  };
  std::string all = requests[0] + requests[1] + "abc" + requests[2] + requests[3];
  for (ScanPath path : supported_paths()) {
    ASSERT_TRUE(detail::set_scan_path(path));
    RequestParser p;
    RequestHead h;
    std::string_view rest = all;
    std::vector<std::string> targets;
    while (!rest.empty()) {
      p.reset();
      ASSERT_EQ(p.parse(rest, h), ParseStatus::kComplete) << printable(rest);
      targets.emplace_back(h.target);
      rest.remove_prefix(h.head_size +
                         (h.framing == BodyFraming::kContentLength ? h.content_length : 0));
    }
    EXPECT_EQ(targets, (std::vector<std::string>{"/1", "/2", "/3", "/4"}));
    EXPECT_FALSE(h.keep_alive);
  }
}

// Limits: exactly at the limit parses, one over fails, whether or not the rest has arrived.
TEST(HttpRequestParser, RequestLineLimit) {
  ParseLimits limits;
  limits.max_request_line = 64;
  const std::string prefix = "GET /";
  const std::string suffix = " HTTP/1.1";
  for (std::size_t len : {std::size_t{64}, std::size_t{65}}) {
    const std::string line =
        prefix + std::string(len - prefix.size() - suffix.size(), 'a') + suffix;
    ASSERT_EQ(line.size(), len);
    RequestParser p(limits);
    RequestHead h;
    const ParseStatus s = p.parse(line + "\r\nHost: a\r\n\r\n", h);
    if (len == 64) {
      EXPECT_EQ(s, ParseStatus::kComplete);
      RequestParser q(limits);
      EXPECT_EQ(q.parse(line, h), ParseStatus::kIncomplete);  // could still end right here
    } else {
      EXPECT_EQ(s, ParseStatus::kError);
      EXPECT_EQ(p.error(), ParseError::kRequestLineTooLong);
      EXPECT_EQ(status_for(p.error()), 414);
      RequestParser q(limits);
      EXPECT_EQ(q.parse(line, h), ParseStatus::kError);  // 65 bytes and no CR: already too long
      EXPECT_EQ(q.error(), ParseError::kRequestLineTooLong);
    }
  }
  RequestParser big;  // default limit: a 20 KiB target that never ends is an error
  RequestHead h;
  EXPECT_EQ(big.parse("GET /" + std::string(20 * 1024, 'x'), h), ParseStatus::kError);
  EXPECT_EQ(big.error(), ParseError::kRequestLineTooLong);
}

TEST(HttpRequestParser, HeaderBytesLimit) {
  const std::string line = "GET / HTTP/1.1\r\n";
  const std::string fields = "Host: a\r\nX: " + std::string(100, 'v') + "\r\n\r\n";
  for (std::size_t max : {fields.size(), fields.size() - 1}) {
    ParseLimits limits;
    limits.max_header_bytes = max;
    RequestParser p(limits);
    RequestHead h;
    const ParseStatus s = p.parse(line + fields, h);
    if (max == fields.size()) {
      EXPECT_EQ(s, ParseStatus::kComplete);
    } else {
      EXPECT_EQ(s, ParseStatus::kError);
      EXPECT_EQ(p.error(), ParseError::kHeaderSectionTooLarge);
      EXPECT_EQ(status_for(p.error()), 431);
    }
  }
  RequestParser p;  // a 20 KiB field with no end: an error, not "incomplete"
  RequestHead h;
  EXPECT_EQ(p.parse(line + "Host: a\r\nX: " + std::string(20 * 1024, 'v'), h), ParseStatus::kError);
  EXPECT_EQ(p.error(), ParseError::kHeaderSectionTooLarge);
}

TEST(HttpRequestParser, HeaderCountLimit) {
  ParseLimits limits;
  limits.max_headers = 5;
  for (int n : {5, 6}) {
    std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 1; i < n; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
    req += "\r\n";
    RequestParser p(limits);
    RequestHead h;
    const ParseStatus s = p.parse(req, h);
    EXPECT_EQ(s, n == 5 ? ParseStatus::kComplete : ParseStatus::kError);
    if (n == 6) {
      EXPECT_EQ(p.error(), ParseError::kTooManyHeaders);
    }
    if (n == 6) {
      EXPECT_EQ(status_for(p.error()), 431);
    }
  }
}

TEST(HttpRequestParser, BodyLimit) {
  ParseLimits limits;
  limits.max_body = 100;
  for (int cl : {100, 101}) {
    RequestParser p(limits);
    RequestHead h;
    const ParseStatus s = p.parse(
        "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(cl) + "\r\n\r\n", h);
    EXPECT_EQ(s, cl == 100 ? ParseStatus::kComplete : ParseStatus::kError);
    if (cl == 101) {
      EXPECT_EQ(status_for(p.error()), 413);
    }
  }
}

TEST(HttpRequestParser, LongValuesAcrossPathsAndSplits) {
  PathGuard guard;
  std::mt19937 rng(7);
  for (std::size_t len : {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 4000}) {
    std::string value(len, 'x');
    for (char& c : value) c = static_cast<char>(0x21 + rng() % 94);
    const std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX: " + value + "\r\n\r\n";
    for (ScanPath path : supported_paths()) {
      ASSERT_TRUE(detail::set_scan_path(path));
      RequestParser p;
      RequestHead h;
      ASSERT_EQ(p.parse(req, h), ParseStatus::kComplete) << len;
      EXPECT_EQ(h.header("x"), value);
      check_all_feeds<RequestParser, RequestHead>(req, take(p, ParseStatus::kComplete, h, req));
      std::string bad = req;  // a NUL at each position of the value is found on every path
      if (len > 0) {
        bad[bad.find("X: ") + 3 + rng() % len] = '\0';
        RequestParser q;
        EXPECT_EQ(q.parse(bad, h), ParseStatus::kError);
        EXPECT_EQ(q.error(), ParseError::kBadHeaderValue);
      }
    }
  }
}

TEST(HttpParserErrors, EveryErrorHasStatusTextAndSection) {
  for (int i = 1; i <= static_cast<int>(ParseError::kChunkLineTooLong); ++i) {
    const auto e = static_cast<ParseError>(i);
    EXPECT_FALSE(to_string(e).empty()) << i;
    EXPECT_TRUE(rfc_section(e).starts_with("RFC 91")) << i;
    EXPECT_GE(status_for(e), 400) << i;
  }
  EXPECT_EQ(status_for(ParseError::kUnsupportedVersion), 505);
  EXPECT_EQ(status_for(ParseError::kUnknownTransferCoding), 501);
  EXPECT_EQ(status_for(ParseError::kBodyTooLarge), 413);
  EXPECT_EQ(status_for(ParseError::kRequestLineTooLong), 414);
  EXPECT_EQ(status_for(ParseError::kTooManyHeaders), 431);
}

// Each scanner on each path returns what a byte-by-byte loop over the class table returns, for
// every length, start offset and stop position, with the buffer start before or at `p`.
TEST(HttpScan, PathsAgreeWithReference) {
  std::mt19937 rng(42);
  const std::pair<detail::CharClass, int> classes[] = {
      {detail::kTchar, 0}, {detail::kTargetChar, 1}, {detail::kValueChar, 2}};
  std::string buf(200, 'a');
  for (int round = 0; round < 3000; ++round) {
    for (char& c : buf) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 'a' + rng() % 26);
    const std::size_t lo = rng() % 40, p = lo + rng() % 40, end = p + rng() % 100;
    for (auto [klass, which] : classes) {
      std::size_t want = p;
      while (want < end && detail::has_class(buf[want], klass)) ++want;
      for (ScanPath path : supported_paths()) {
        const detail::Kernels& k = detail::kernels_for(path);
        auto fn = which == 0 ? k.token_end : which == 1 ? k.target_end : k.value_end;
        const char* got = fn(buf.data() + lo, buf.data() + p, buf.data() + end);
        ASSERT_EQ(static_cast<std::size_t>(got - buf.data()), want)
            << detail::to_string(path) << " class " << which << " lo " << lo << " p " << p
            << " end " << end;
      }
    }
  }
}

TEST(HttpScan, EnvironmentAndFallback) {
  PathGuard guard;
  EXPECT_TRUE(detail::set_scan_path(ScanPath::kScalar));
  EXPECT_EQ(detail::active_scan_path(), ScanPath::kScalar);
  for (ScanPath p : {ScanPath::kSse42, ScanPath::kAvx2})
    EXPECT_EQ(detail::set_scan_path(p), detail::scan_path_supported(p));
  // ZOKIO_HTTP_SCAN forces a path when the kernels are chosen (scalar if the CPU lacks it);
  // an unknown value leaves the automatic choice.
  const ScanPath best = detail::scan_path_supported(ScanPath::kAvx2)    ? ScanPath::kAvx2
                        : detail::scan_path_supported(ScanPath::kSse42) ? ScanPath::kSse42
                                                                        : ScanPath::kScalar;
  const std::pair<const char*, ScanPath> cases[] = {
      {"scalar", ScanPath::kScalar},
      {"sse42",
       detail::scan_path_supported(ScanPath::kSse42) ? ScanPath::kSse42 : ScanPath::kScalar},
      {"avx2", detail::scan_path_supported(ScanPath::kAvx2) ? ScanPath::kAvx2 : ScanPath::kScalar},
      {"bogus", best}};
  for (auto [value, want] : cases) {
    ASSERT_EQ(::setenv("ZOKIO_HTTP_SCAN", value, 1), 0);
    EXPECT_EQ(detail::init_active_kernels().path, want) << value;
  }
  ::unsetenv("ZOKIO_HTTP_SCAN");
  EXPECT_EQ(detail::init_active_kernels().path, best);
}

}  // namespace
}  // namespace zokio::http::test
