// HTTP/1.1 message heads and chunked bodies (RFC 9110, RFC 9112): Zokio's parser.
//
// Zero-copy: every string_view handed out points into the caller's buffer; header fields land in
// storage each parser allocates once, at construction. Strict by design: whatever two
// implementations could frame differently (the root of request smuggling), and whatever RFC 9112
// lets a recipient reject, is rejected with a specific ParseError, its HTTP status and its RFC
// section. The scanning loops are SIMD (SSE4.2 or AVX2, picked at run time) with a scalar
// fallback; ZOKIO_HTTP_SCAN=scalar|sse42|avx2 forces one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace zokio::http {

struct Header {
  std::string_view name;
  std::string_view value;  // without the surrounding optional whitespace
};

enum class ParseStatus : std::uint8_t { kComplete, kIncomplete, kError };

enum class ParseError : std::uint8_t {
  kNone,
  kBadMethod,
  kBadTarget,
  kBadVersion,
  kUnsupportedVersion,
  kRequestLineTooLong,
  kHeaderSectionTooLarge,
  kTooManyHeaders,
  kBadHeaderName,
  kWhitespaceBeforeColon,
  kObsFold,
  kBareCR,
  kBadHeaderValue,
  kBadContentLength,
  kConflictingContentLength,
  kContentLengthWithTransferEncoding,
  kTransferEncodingNotChunked,
  kUnknownTransferCoding,
  kMissingHost,
  kMultipleHost,
  kBadHost,
  kBodyTooLarge,
  kBadStatusLine,
  kBadChunkSize,
  kChunkSizeOverflow,
  kBadChunkExtension,
  kBadChunkTerminator,
  kBadTrailer,
  kBareLF,                    // a line ending in LF without CR: rejected, never tolerated
  kChunkedAppliedTwice,       // Transfer-Encoding lists chunked more than once
  kTransferEncodingInHttp10,  // an HTTP/1.0 message with Transfer-Encoding has faulty framing
  kStatusLineTooLong,
  kChunkLineTooLong,  // chunk-size line (with extensions) over ChunkedDecoder::kMaxSizeLine
};
// Number of ParseError values (for tables indexed by error).
inline constexpr std::size_t kParseErrorCount =
    static_cast<std::size_t>(ParseError::kChunkLineTooLong) + 1;

int status_for(ParseError e) noexcept;                // the HTTP status a server answers with
std::string_view to_string(ParseError e) noexcept;    // a short sentence for logs
std::string_view rfc_section(ParseError e) noexcept;  // e.g. "RFC 9112 §5.1"
std::string_view name(ParseError e) noexcept;         // an identifier: "bad_header_name"

// ASCII case-insensitive equality: how field names (and most protocol tokens) compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

struct ParseLimits {
  std::size_t max_request_line =
      8 * 1024;  // start line without its CRLF; skipped empty lines count
  std::size_t max_header_bytes = 16 * 1024;  // field lines and the final empty line, CRLFs included
  std::size_t max_headers = 100;
  std::uint64_t max_body = 8ull << 20;
};

enum class BodyFraming : std::uint8_t { kNone, kContentLength, kChunked, kUntilClose };

struct RequestHead {
  std::string_view method;  // any token, case-sensitive, as received
  std::string_view target;
  int version_minor = 1;            // HTTP/1.0 or HTTP/1.1
  std::span<const Header> headers;  // the parser's storage: valid until its next parse or reset
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;        // version and Connection tokens (close, keep-alive)
  bool expect_continue = false;  // Expect: 100-continue (HTTP/1.1 only, RFC 9110 §10.1.1)
  bool upgrade = false;          // Connection: upgrade present (reported, never acted on here)
  // A compression transfer coding (gzip, deflate, compress) is applied besides chunked. The
  // parser validates the framing; Zokio's server does not decode these and answers 501.
  bool compressed_transfer = false;
  std::size_t head_size = 0;  // request line, fields and the final CRLF
  std::string_view header(std::string_view name) const noexcept;  // first match, any case
};

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string_view reason;
  std::span<const Header> headers;
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  std::size_t head_size = 0;
  bool compressed_transfer = false;  // as in RequestHead: the client does not decode these
  std::string_view header(std::string_view name) const noexcept;
};

namespace detail {

// What the field lines seen so far say about framing and the connection. Filled line by line,
// so a parse resumed on a grown buffer never revisits a completed line.
struct FieldFacts {
  std::uint64_t content_length = 0;
  bool has_content_length = false;
  bool has_transfer_encoding = false;
  bool chunked_seen = false;
  bool chunked_last = false;  // the final transfer coding so far is chunked
  bool compressed = false;    // a compression coding was listed
  std::uint8_t host_count = 0;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool expect_continue = false;
  BodyFraming framing = BodyFraming::kNone;  // decided once the head is complete
  bool keep_alive = false;
};

enum class HeadKind : std::uint8_t { kRequest, kResponse, kTrailer };
enum HeadPhase : std::uint8_t { kPhaseStartLine, kPhaseFields, kPhaseDone, kPhaseError };

// The state of one head being parsed; shared by the three parsers and the SIMD kernels.
// Offsets are from the start of the caller's buffer; views are rebased if the buffer moves.
struct HeadState {
  HeadState(HeadKind k, const ParseLimits& l);
  void reset() noexcept;
  void rebase(const char* new_base) noexcept;

  ParseLimits limits;
  std::unique_ptr<Header[]> headers;
  std::size_t num_headers = 0;
  const char* base = nullptr;    // the buffer seen by the previous call
  std::size_t pos = 0;           // first byte not part of a completed line
  std::size_t fields_start = 0;  // where the field section (and its size limit) begins
  std::size_t resume_at = 0;     // partially received value: scanning resumes here (0: none)
  std::size_t partial_name_end = 0;
  std::size_t partial_value = 0;
  std::string_view method;
  std::string_view target;  // the reason phrase, for a response
  int version_minor = 1;
  int status = 0;
  HeadKind kind;
  std::uint8_t phase = kPhaseStartLine;
  ParseError error = ParseError::kNone;
  FieldFacts facts;
};

}  // namespace detail

class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits = {});
  // Parses one request head from the start of `buf`. Incremental: call again with the buffer
  // grown by new bytes (same start; it may have moved) and parsing resumes at the first
  // incomplete line. Limits are enforced on incomplete input too.
  ParseStatus parse(std::string_view buf, RequestHead& head);
  ParseError error() const noexcept { return st_.error; }
  void reset() noexcept { st_.reset(); }  // before the next request on the connection

 private:
  detail::HeadState st_;
};

class ResponseParser {
 public:
  explicit ResponseParser(ParseLimits limits = {});
  // Same contract as RequestParser::parse; framing follows RFC 9112 §6.3 given whether the
  // request was HEAD (the caller handles CONNECT tunnels and 101 itself).
  ParseStatus parse(std::string_view buf, ResponseHead& head, bool request_was_head = false);
  ParseError error() const noexcept { return st_.error; }
  void reset() noexcept { st_.reset(); }

 private:
  detail::HeadState st_;
};

// Incremental chunked body decoder (RFC 9112 §7.1). decode() consumes what it can of `in` and
// hands each run of body bytes to on_data(std::string_view) as a view into `in`; the caller keeps
// the unconsumed rest and passes it again, grown, next time. It consumes the trailer section only
// once complete, so trailers() views point into the buffer of the completing call.
// max_trailer_bytes counts the trailer fields and the final CRLF; at least 2 for any body.
class ChunkedDecoder {
 public:
  static constexpr std::size_t kMaxSizeLine = 4096;  // chunk-size + extensions + CRLF
  static constexpr std::size_t kMaxTrailers = 64;

  explicit ChunkedDecoder(std::uint64_t max_body = 8ull << 20,
                          std::size_t max_trailer_bytes = 16 * 1024);

  struct Result {
    ParseStatus status;
    std::size_t consumed;
  };

  template <typename OnData>
  Result decode(std::string_view in, OnData&& on_data) {
    std::size_t pos = 0;
    for (;;) {
      std::string_view data;
      const ParseStatus s = step(in, pos, data);
      if (data.empty()) return {s, pos};
      on_data(data);
    }
  }

  ParseError error() const noexcept { return error_; }
  std::span<const Header> trailers() const noexcept;            // empty until kComplete
  std::uint64_t body_bytes() const noexcept { return total_; }  // decoded so far
  void reset() noexcept;

 private:
  // Advances from `pos`; returns at most one data span per call (then status is kIncomplete).
  ParseStatus step(std::string_view in, std::size_t& pos, std::string_view& data) noexcept;
  ParseStatus fail(ParseError e) noexcept;

  std::uint64_t max_body_;
  std::uint64_t total_ = 0;
  std::uint64_t size_ = 0;      // the chunk size being read, then the bytes left of it
  std::size_t line_bytes_ = 0;  // bytes of the current chunk-size line
  std::uint8_t state_ = 0;      // a State of chunked_decoder.cpp
  ParseError error_ = ParseError::kNone;
  detail::HeadState trailers_;
};

}  // namespace zokio::http
