// ResponseFramer (see response_framer.hpp).
#include "response_framer.hpp"

#include <algorithm>
#include <limits>

namespace zokio::bench {

namespace {
// A load generator measures the server, it does not police body sizes: no body limit.
http::ParseLimits framer_limits() {
  http::ParseLimits limits;
  limits.max_body = std::numeric_limits<std::uint64_t>::max();
  return limits;
}
}  // namespace

ResponseFramer::ResponseFramer(bool head_requests)
    : parser_(framer_limits()),
      chunked_(std::numeric_limits<std::uint64_t>::max()),
      head_requests_(head_requests) {}

void ResponseFramer::reset() noexcept {
  parser_.reset();
  chunked_.reset();
  phase_ = Phase::kHead;
  remaining_ = 0;
  status_ = 0;
  keep_alive_ = false;
  error_ = http::ParseError::kNone;
}

ResponseFramer::Result ResponseFramer::done(std::size_t consumed) noexcept {
  phase_ = Phase::kHead;
  return {Event::kResponse, consumed, status_, keep_alive_};
}

ResponseFramer::Result ResponseFramer::fail(std::size_t consumed, http::ParseError e) noexcept {
  error_ = e;
  return {Event::kError, consumed};
}

ResponseFramer::Result ResponseFramer::feed(std::string_view in) {
  std::size_t pos = 0;
  for (;;) {
    switch (phase_) {
      case Phase::kHead: {
        // The parser resumes where it stopped as long as the head's first byte stays first.
        const http::ParseStatus s = parser_.parse(in.substr(pos), head_, head_requests_);
        if (s == http::ParseStatus::kIncomplete) return {Event::kNeedMore, pos};
        if (s == http::ParseStatus::kError) return fail(pos, parser_.error());
        pos += head_.head_size;
        status_ = head_.status;
        keep_alive_ = head_.keep_alive;
        const http::BodyFraming framing = head_.framing;
        const std::uint64_t length = head_.content_length;
        parser_.reset();
        if (status_ >= 100 && status_ < 200 && status_ != 101) continue;  // interim
        if (status_ == 101) keep_alive_ = false;  // the connection is no longer HTTP
        switch (framing) {
          case http::BodyFraming::kNone:
            return done(pos);
          case http::BodyFraming::kContentLength:
            if (length == 0) return done(pos);
            remaining_ = length;
            phase_ = Phase::kLengthBody;
            break;
          case http::BodyFraming::kChunked:
            chunked_.reset();
            phase_ = Phase::kChunkedBody;
            break;
          case http::BodyFraming::kUntilClose:
            phase_ = Phase::kUntilCloseBody;
            break;
        }
        break;
      }
      case Phase::kLengthBody: {
        const std::uint64_t take = std::min<std::uint64_t>(remaining_, in.size() - pos);
        pos += static_cast<std::size_t>(take);
        remaining_ -= take;
        if (remaining_ == 0) return done(pos);
        return {Event::kNeedMore, pos};
      }
      case Phase::kChunkedBody: {
        const auto r = chunked_.decode(in.substr(pos), [](std::string_view) {});
        pos += r.consumed;
        if (r.status == http::ParseStatus::kComplete) return done(pos);
        if (r.status == http::ParseStatus::kError) return fail(pos, chunked_.error());
        return {Event::kNeedMore, pos};
      }
      case Phase::kUntilCloseBody:
        return {Event::kNeedMore, in.size()};
    }
  }
}

ResponseFramer::Result ResponseFramer::finish_at_eof() noexcept {
  if (phase_ != Phase::kUntilCloseBody) return {Event::kNeedMore, 0};
  return done(0);
}

}  // namespace zokio::bench
