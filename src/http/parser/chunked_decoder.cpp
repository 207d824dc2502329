// ChunkedDecoder: the chunked transfer coding (RFC 9112 §7.1), decoded incrementally.
//
// The chunk-size line is read by a byte-at-a-time state machine that consumes as it goes, so a
// size line split across reads costs nothing extra; chunk data is handed out as views without
// copying. The trailer section is parsed by the same field kernel as a head (same rules, same
// SIMD path) once it is complete, so that trailers() can point into the caller's buffer.
#include "http/parser/char_class.hpp"
#include "http/parser/fields.hpp"
#include "http/parser/scan.hpp"

namespace zokio::http {
namespace {

enum State : std::uint8_t {
  kSizeStart,      // first HEXDIG of chunk-size
  kSize,           // more HEXDIGs
  kSizeBws,        // whitespace after the size: only ';' may follow
  kExtNameStart,   // after ';' (BWS allowed)
  kExtName,        // chunk-ext-name = token
  kExtNameBws,     // whitespace after a name: '=' or ';' may follow
  kExtValueStart,  // after '=' (BWS allowed)
  kExtValueToken,  // chunk-ext-val = token ...
  kExtQuoted,      // ... or quoted-string
  kExtQuotedPair,  // after a backslash
  kAfterExt,       // after a closing quote
  kExtBws,         // whitespace after a value: only ';' may follow
  kSizeLF,         // CR seen, LF expected
  kData,
  kDataCR,
  kDataLF,
  kTrailers,
  kDone,
  kFailed,
};

ParseLimits trailer_limits(std::size_t max_trailer_bytes) {
  ParseLimits l;
  l.max_header_bytes = max_trailer_bytes;
  l.max_headers = ChunkedDecoder::kMaxTrailers;
  return l;
}

bool is_ws(char c) {
  return c == ' ' || c == '\t';
}

unsigned hex_value(char c) {
  return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

}  // namespace

ChunkedDecoder::ChunkedDecoder(std::uint64_t max_body, std::size_t max_trailer_bytes)
    : max_body_(max_body),
      trailers_(detail::HeadKind::kTrailer, trailer_limits(max_trailer_bytes)) {}

std::span<const Header> ChunkedDecoder::trailers() const noexcept {
  if (state_ != kDone) return {};  // until then, views may point at bytes the caller moved
  return {trailers_.headers.get(), trailers_.num_headers};
}

void ChunkedDecoder::reset() noexcept {
  total_ = size_ = 0;
  line_bytes_ = 0;
  state_ = kSizeStart;
  error_ = ParseError::kNone;
  trailers_.reset();
}

ParseStatus ChunkedDecoder::fail(ParseError e) noexcept {
  error_ = e;
  state_ = kFailed;
  return ParseStatus::kError;
}

ParseStatus ChunkedDecoder::step(std::string_view in, std::size_t& pos,
                                 std::string_view& data) noexcept {
  const char* p = in.data() + pos;
  const char* const end = in.data() + in.size();
  for (;;) {
    pos = static_cast<std::size_t>(p - in.data());
    if (state_ == kTrailers) {
      if (p != trailers_.base) trailers_.rebase(p);
      const ParseStatus s =
          detail::active_kernels().fields(trailers_, p, static_cast<std::size_t>(end - p));
      if (s == ParseStatus::kIncomplete) return s;  // nothing of the section is consumed yet
      if (s == ParseStatus::kError) return fail(trailers_.error);
      pos += trailers_.pos;
      state_ = kDone;
    }
    if (state_ == kDone) return ParseStatus::kComplete;
    if (state_ == kFailed) return ParseStatus::kError;
    if (p == end) return ParseStatus::kIncomplete;

    if (state_ == kData) {
      const std::uint64_t avail = static_cast<std::uint64_t>(end - p);
      const std::size_t n = static_cast<std::size_t>(size_ < avail ? size_ : avail);
      data = std::string_view(p, n);
      size_ -= n;
      if (size_ == 0) state_ = kDataCR;
      pos += n;
      return ParseStatus::kIncomplete;
    }
    const char c = *p++;
    if (state_ == kDataCR || state_ == kDataLF) {
      if (c != (state_ == kDataCR ? '\r' : '\n')) return fail(ParseError::kBadChunkTerminator);
      state_ = state_ == kDataCR ? kDataLF : kSizeStart;
      continue;
    }

    // The chunk-size line: chunk-size *( BWS ";" BWS name [ BWS "=" BWS value ] ) CRLF.
    if (++line_bytes_ > kMaxSizeLine) return fail(ParseError::kChunkLineTooLong);
    if (c == '\n' && state_ != kSizeLF) return fail(ParseError::kBareLF);
    const bool tchar = detail::has_class(c, detail::kTchar);
    constexpr ParseError kExt = ParseError::kBadChunkExtension;
    switch (state_) {
      case kSizeStart:
        if (!detail::has_class(c, detail::kHexDigit)) return fail(ParseError::kBadChunkSize);
        size_ = hex_value(c);
        state_ = kSize;
        break;
      case kSize:
        if (detail::has_class(c, detail::kHexDigit)) {
          if (size_ > (UINT64_MAX >> 4)) return fail(ParseError::kChunkSizeOverflow);
          size_ = (size_ << 4) | hex_value(c);
        } else if (c == ';') {
          state_ = kExtNameStart;
        } else if (is_ws(c)) {
          state_ = kSizeBws;
        } else if (c == '\r') {
          state_ = kSizeLF;
        } else {
          return fail(ParseError::kBadChunkSize);
        }
        break;
      case kSizeBws:
      case kExtBws:
        // BWS is only allowed before ';': "1 \r\n" and "1;a=b \r\n" are rejected.
        if (c == ';')
          state_ = kExtNameStart;
        else if (!is_ws(c))
          return fail(state_ == kSizeBws ? ParseError::kBadChunkSize : kExt);
        break;
      case kExtNameStart:
        if (tchar)
          state_ = kExtName;
        else if (!is_ws(c))
          return fail(kExt);
        break;
      case kExtName:
      case kExtNameBws:
        if (c == '=')
          state_ = kExtValueStart;
        else if (c == ';')
          state_ = kExtNameStart;
        else if (is_ws(c))
          state_ = kExtNameBws;
        else if (c == '\r' && state_ == kExtName)
          state_ = kSizeLF;
        else if (!tchar || state_ != kExtName)
          return fail(kExt);
        break;
      case kExtValueStart:
        if (c == '"')
          state_ = kExtQuoted;
        else if (tchar)
          state_ = kExtValueToken;
        else if (!is_ws(c))
          return fail(kExt);
        break;
      case kExtValueToken:
      case kAfterExt:
        if (c == ';')
          state_ = kExtNameStart;
        else if (is_ws(c))
          state_ = kExtBws;
        else if (c == '\r')
          state_ = kSizeLF;
        else if (!tchar || state_ != kExtValueToken)
          return fail(kExt);
        break;
      case kExtQuoted:  // qdtext: HTAB, SP, VCHAR except '"' and '\', obs-text
        if (c == '"')
          state_ = kAfterExt;
        else if (c == '\\')
          state_ = kExtQuotedPair;
        else if (!detail::has_class(c, detail::kValueChar))
          return fail(kExt);
        break;
      case kExtQuotedPair:
        if (!detail::has_class(c, detail::kValueChar)) return fail(kExt);
        state_ = kExtQuoted;
        break;
      case kSizeLF:
        if (c != '\n') return fail(ParseError::kBareCR);
        line_bytes_ = 0;
        if (size_ == 0) {  // last-chunk: the trailer section follows
          trailers_.reset();
          state_ = kTrailers;
        } else {
          if (size_ > max_body_ - total_) return fail(ParseError::kBodyTooLarge);
          total_ += size_;
          state_ = kData;
        }
        break;
      default:
        return fail(ParseError::kBadChunkSize);  // unreachable: every state is handled above
    }
  }
}

}  // namespace zokio::http
