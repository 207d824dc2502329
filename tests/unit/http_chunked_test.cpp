// Chunked transfer coding decoder tests: valid bodies with extensions and trailers, every error,
// byte-by-byte and random-split feeding against one-shot decoding, overflow and size limits.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include <zokio/http/parser.hpp>

#include "http/parser/scan.hpp"
#include "http_chunked_cases.hpp"

namespace zokio::http {
namespace {

using namespace std::literals;

struct Decoded {
  ParseStatus status{};
  ParseError error{};
  std::string body;
  std::size_t consumed = 0;  // bytes of the input used, when complete
  std::vector<std::pair<std::string, std::string>> trailers;
  bool operator==(const Decoded&) const = default;
};

Decoded finish(const ChunkedDecoder& d, ParseStatus s, std::string body, std::size_t consumed) {
  Decoded out{s, d.error(), std::move(body), s == ParseStatus::kComplete ? consumed : 0, {}};
  for (const Header& h : d.trailers()) out.trailers.emplace_back(h.name, h.value);
  return out;
}

Decoded one_shot(std::string_view in, std::uint64_t max_body = 8ull << 20) {
  ChunkedDecoder d(max_body);
  std::string body;
  const auto r = d.decode(in, [&](std::string_view v) { body += v; });
  return finish(d, r.status, body, r.consumed);
}

// The caller's loop: keep the unconsumed bytes, append what arrives, decode again.
Decoded pieces(std::string_view in, const std::vector<std::size_t>& sizes,
               std::uint64_t max_body = 8ull << 20) {
  ChunkedDecoder d(max_body);
  std::string body, pending;
  std::size_t at = 0, total_consumed = 0;
  ChunkedDecoder::Result r{ParseStatus::kIncomplete, 0};
  for (std::size_t n : sizes) {
    pending.append(in.substr(at, n));
    at += n;
    r = d.decode(pending, [&](std::string_view v) { body += v; });
    total_consumed += r.consumed;
    if (r.status != ParseStatus::kIncomplete) break;
    pending.erase(0, r.consumed);
  }
  return finish(d, r.status, body, total_consumed);
}

void expect_same_when_split(std::string_view in, const Decoded& whole) {
  EXPECT_EQ(pieces(in, std::vector<std::size_t>(in.size(), 1)), whole) << "byte by byte";
  std::mt19937 rng(static_cast<unsigned>(in.size()));
  for (int round = 0; round < 16; ++round) {
    std::vector<std::size_t> sizes;
    for (std::size_t left = in.size(); left > 0;) {
      sizes.push_back(std::min<std::size_t>(left, 1 + rng() % 9));
      left -= sizes.back();
    }
    EXPECT_EQ(pieces(in, sizes), whole) << "random split " << round;
  }
}

using namespace chunked_cases;

TEST(HttpChunked, Table) {
  const auto saved = detail::active_scan_path();
  for (auto path : {detail::ScanPath::kScalar, detail::ScanPath::kSse42, detail::ScanPath::kAvx2}) {
    if (!detail::set_scan_path(path)) continue;  // the trailer section uses the field kernels
    for (std::size_t i = 0; i < std::size(kRows); ++i) {
      const Row& row = kRows[i];
      SCOPED_TRACE("row " + std::to_string(i) + " path " + std::string(detail::to_string(path)));
      const Decoded whole = one_shot(row.in);
      EXPECT_EQ(whole.status, row.status);
      EXPECT_EQ(whole.error, row.error) << to_string(whole.error);
      EXPECT_EQ(whole.body, row.body);
      if (row.status == kErr) {
        EXPECT_EQ(rfc_section(whole.error), row.rfc);
      }
      expect_same_when_split(row.in, whole);
    }
  }
  detail::set_scan_path(saved);
}

TEST(HttpChunked, TrailersAndConsumed) {
  const std::string in = "4\r\nWiki\r\n0\r\nExpires: never\r\nX-Sum:  abc \r\n\r\nNEXT";
  ChunkedDecoder d;
  std::string body;
  const auto r = d.decode(in, [&](std::string_view v) { body += v; });
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(body, "Wiki");
  EXPECT_EQ(in.substr(r.consumed), "NEXT");
  ASSERT_EQ(d.trailers().size(), 2u);
  EXPECT_EQ(d.trailers()[1].name, "X-Sum");
  EXPECT_EQ(d.trailers()[1].value, "abc");
  EXPECT_EQ(d.body_bytes(), 4u);
  d.reset();
  EXPECT_EQ(d.decode("0\r\n\r\n", [](std::string_view) {}).status, ParseStatus::kComplete);
  EXPECT_TRUE(d.trailers().empty());
}

TEST(HttpChunked, DataIsZeroCopy) {
  const std::string in = "6\r\nabcdef\r\n0\r\n\r\n";
  ChunkedDecoder d;
  std::vector<std::string_view> spans;
  ASSERT_EQ(d.decode(in, [&](std::string_view v) { spans.push_back(v); }).status,
            ParseStatus::kComplete);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].data(), in.data() + 3);
}

TEST(HttpChunked, BodyLimit) {
  EXPECT_EQ(one_shot("a\r\n0123456789\r\n0\r\n\r\n", 10).status, kOk);
  const Decoded over = one_shot("6\r\n012345\r\n5\r\n01234\r\n0\r\n\r\n", 10);
  EXPECT_EQ(over.error, E::kBodyTooLarge);
  EXPECT_EQ(over.body, "012345");  // the first chunk fit; the second is refused before its data
  EXPECT_EQ(status_for(over.error), 413);
  EXPECT_EQ(one_shot("FFFFFFFFFFFFFFFF\r\n").error, E::kBodyTooLarge);  // largest size: no overflow
}

TEST(HttpChunked, LineAndTrailerLimits) {
  const std::string ext =
      "1;" + std::string(ChunkedDecoder::kMaxSizeLine, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(one_shot(ext).error, E::kChunkLineTooLong);
  const std::string zeros = std::string(ChunkedDecoder::kMaxSizeLine + 1, '0');
  EXPECT_EQ(one_shot(zeros).error, E::kChunkLineTooLong);
  const std::string fits =
      "1;" + std::string(ChunkedDecoder::kMaxSizeLine - 5, 'e') + "\r\nx\r\n0\r\n\r\n";
  EXPECT_EQ(one_shot(fits).status, kOk);

  ChunkedDecoder small(1 << 20, 64);
  const std::string trailer = "X: " + std::string(100, 'v') + "\r\n\r\n";
  const auto r = small.decode("0\r\n" + trailer, [](std::string_view) {});
  EXPECT_EQ(r.status, kErr);
  EXPECT_EQ(small.error(), E::kHeaderSectionTooLarge);
  std::string many = "0\r\n";
  for (std::size_t i = 0; i <= ChunkedDecoder::kMaxTrailers; ++i) many += "T: v\r\n";
  EXPECT_EQ(one_shot(many + "\r\n").error, E::kTooManyHeaders);
}

TEST(HttpChunked, LargeRandomBodies) {
  std::mt19937 rng(3);
  for (int round = 0; round < 20; ++round) {
    std::string body, encoded;
    for (int chunks = 1 + rng() % 10; chunks > 0; --chunks) {
      std::string chunk(1 + rng() % 3000, '\0');
      for (char& c : chunk) c = static_cast<char>(rng());
      char size[32];
      std::snprintf(size, sizeof size, rng() % 2 ? "%zx" : "%zX", chunk.size());
      encoded +=
          std::string(size) + (rng() % 3 == 0 ? ";name=\"v\"" : "") + "\r\n" + chunk + "\r\n";
      body += chunk;
    }
    encoded += "0\r\nT: 1\r\n\r\n";
    const Decoded whole = one_shot(encoded);
    ASSERT_EQ(whole.status, kOk);
    EXPECT_EQ(whole.body, body);
    EXPECT_EQ(whole.consumed, encoded.size());
    if (round < 3) expect_same_when_split(encoded, whole);
  }
}

}  // namespace
}  // namespace zokio::http
