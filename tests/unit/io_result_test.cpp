// IoResult<T>: values and errors, const access, value_or, map / and_then (std::expected-like),
// and the message value() throws with on an error.
#include "zokio/io_result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using zokio::IoResult;

IoResult<int> parse_digit(char c) {
  if (c < '0' || c > '9') return std::make_error_code(std::errc::invalid_argument);
  return c - '0';
}

TEST(IoResult, ConstAccessors) {
  const IoResult<std::string> r(std::string("hello"));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "hello");
  EXPECT_EQ(*r, "hello");
  EXPECT_EQ(r->size(), 5u);
}

TEST(IoResult, ValueOnAnErrorThrowsWithAMessage) {
  const IoResult<int> r(std::make_error_code(std::errc::connection_refused));
  try {
    (void)r.value();
    FAIL() << "value() should have thrown";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused);
    const std::string what = e.what();
    EXPECT_NE(what.find("value() of a failed IoResult"), std::string::npos) << what;
    EXPECT_NE(what.find(std::make_error_code(std::errc::connection_refused).message()),
              std::string::npos)
        << what;
  }
  const IoResult<void> v(std::make_error_code(std::errc::timed_out));
  EXPECT_THROW(v.value(), std::system_error);
}

TEST(IoResult, ValueOr) {
  IoResult<std::string> ok(std::string("x"));
  IoResult<std::string> err(std::make_error_code(std::errc::timed_out));
  EXPECT_EQ(ok.value_or("fallback"), "x");
  EXPECT_EQ(err.value_or("fallback"), "fallback");
  EXPECT_EQ(std::move(ok).value_or("fallback"), "x");
}

TEST(IoResult, MapTransformsAValueAndKeepsAnError) {
  const IoResult<int> two(2);
  auto doubled = two.map([](int v) { return std::to_string(v * 2); });
  static_assert(std::is_same_v<decltype(doubled), IoResult<std::string>>);
  EXPECT_EQ(doubled.value(), "4");

  const IoResult<int> err(std::make_error_code(std::errc::timed_out));
  auto mapped = err.map([](int v) { return v + 1; });
  EXPECT_EQ(mapped.error(), std::errc::timed_out);

  int seen = 0;
  auto as_void = two.map([&](int v) { seen = v; });
  static_assert(std::is_same_v<decltype(as_void), IoResult<void>>);
  EXPECT_TRUE(as_void.ok());
  EXPECT_EQ(seen, 2);

  IoResult<std::string> owned(std::string(64, 'a'));
  auto moved = std::move(owned).map([](std::string&& s) { return s.size(); });
  EXPECT_EQ(moved.value(), 64u);
}

TEST(IoResult, AndThenChainsFallibleSteps) {
  const IoResult<char> seven('7');
  EXPECT_EQ(seven.and_then(parse_digit).value(), 7);
  const IoResult<char> letter('x');
  EXPECT_EQ(letter.and_then(parse_digit).error(), std::errc::invalid_argument);
  const IoResult<char> failed(std::make_error_code(std::errc::connection_reset));
  EXPECT_EQ(failed.and_then(parse_digit).error(), std::errc::connection_reset);

  const IoResult<void> done;
  EXPECT_EQ(done.and_then([] { return parse_digit('3'); }).value(), 3);
  EXPECT_EQ(done.map([] { return 5; }).value(), 5);
  const IoResult<void> broken(std::make_error_code(std::errc::broken_pipe));
  EXPECT_EQ(broken.map([] { return 5; }).error(), std::errc::broken_pipe);
}

}  // namespace
