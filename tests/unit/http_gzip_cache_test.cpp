// Incremental gzip (GzipStream) and the per-worker cache of gzip copies of large static files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "../common/gunzip.hpp"
#include "http/gzip.hpp"
#include "http/static/gzip_cache.hpp"

namespace {

using zokio::test::gunzip;

using namespace zokio::http::detail;

TEST(GzipStream, PiecesMakeOneMember) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i % 97) + " of the file\n";
  GzipStream stream(6);
  std::string out;
  for (std::size_t at = 0; at < text.size(); at += 7000) {
    const bool last = at + 7000 >= text.size();
    ASSERT_TRUE(stream.feed(std::string_view(text).substr(at, 7000), last, out));
  }
  EXPECT_LT(out.size(), text.size() / 4);
  EXPECT_EQ(gunzip(out), text);
  EXPECT_FALSE(stream.feed("more", true, out));  // finished
}

TEST(GzipCache, RemembersResultsPerVersion) {
  GzipCache cache;
  const FileVersion v1{1, 2, 100, 5}, v2{1, 2, 100, 6};
  std::shared_ptr<const std::string> got;
  EXPECT_EQ(cache.find("a", v1, got), GzipCache::State::kUnknown);
  cache.start("a", v1);
  EXPECT_EQ(cache.find("a", v1, got), GzipCache::State::kBusy);
  cache.finish("a", v1, std::make_shared<const std::string>("gz"), 1 << 20);
  EXPECT_EQ(cache.find("a", v1, got), GzipCache::State::kReady);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "gz");
  EXPECT_EQ(cache.find("a", v2, got), GzipCache::State::kUnknown);  // the file changed
  cache.start("b", v1);
  cache.finish("b", v1, nullptr, 1 << 20);  // gzip did not help: never again
  EXPECT_EQ(cache.find("b", v1, got), GzipCache::State::kUseless);
  cache.start("c", v1);
  cache.forget("c");  // abandoned: another request may try
  EXPECT_EQ(cache.find("c", v1, got), GzipCache::State::kUnknown);
  // A copy larger than the whole budget is not kept; the budget is per cache.
  cache.start("d", v1);
  cache.finish("d", v1, std::make_shared<const std::string>(64, 'x'), 16);
  EXPECT_EQ(cache.find("d", v1, got), GzipCache::State::kUseless);
}

}  // namespace
