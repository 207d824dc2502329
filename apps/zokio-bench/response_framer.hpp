// Finds where each HTTP/1.1 response of a keep-alive (or pipelined) stream ends, without keeping
// its body: the head is parsed with zokio::http::ResponseParser, a Content-Length body is
// skipped by counting, a chunked body is run through ChunkedDecoder and dropped. Interim 1xx
// responses (other than 101) are skipped. Plain code, no I/O: the load loop feeds it the bytes
// it has read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <zokio/http/parser.hpp>

namespace zokio::bench {

class ResponseFramer {
 public:
  enum class Event : std::uint8_t {
    kNeedMore,  // everything usable was consumed; read more and feed the rest again, grown
    kResponse,  // a final response ended; `status` and `keep_alive` describe it
    kError,     // the stream cannot be framed (see error())
  };
  struct Result {
    Event event;
    std::size_t consumed;  // bytes of `in` the caller may drop
    int status = 0;
    bool keep_alive = false;
  };

  // `head_requests`: the responses answer HEAD requests (no bodies, whatever they announce).
  explicit ResponseFramer(bool head_requests = false);

  // Feeds the unconsumed bytes: the start of the response that is not complete yet, followed
  // by whatever arrived after it. Returns at the end of each final response, so call again
  // with the rest of `in` for the next one.
  Result feed(std::string_view in);
  // The peer closed the connection. kResponse if that ended a response whose body runs until
  // close; kNeedMore if the stream ended without completing one (or between responses).
  Result finish_at_eof() noexcept;
  http::ParseError error() const noexcept { return error_; }
  // Forgets any partial response (before reusing it on a new connection).
  void reset() noexcept;

 private:
  enum class Phase : std::uint8_t { kHead, kLengthBody, kChunkedBody, kUntilCloseBody };
  Result done(std::size_t consumed) noexcept;
  Result fail(std::size_t consumed, http::ParseError e) noexcept;

  http::ResponseParser parser_;
  http::ResponseHead head_;
  http::ChunkedDecoder chunked_;
  bool head_requests_;
  Phase phase_ = Phase::kHead;
  std::uint64_t remaining_ = 0;
  int status_ = 0;
  bool keep_alive_ = false;
  http::ParseError error_ = http::ParseError::kNone;
};

}  // namespace zokio::bench
