// What each ParseError means: the status a server answers with, a sentence for the log, and the
// RFC section that makes it an error (also asserted, row by row, by the table-driven tests).
#include <array>

#include <zokio/http/parser.hpp>

namespace zokio::http {
namespace {

struct ErrorInfo {
  int status;
  std::string_view text;
  std::string_view section;
  std::string_view name;
};

constexpr std::array<ErrorInfo, 33> kErrors = {{
    {200, "no error", "", "none"},
    {400, "method is not a token", "RFC 9112 §3.1", "bad_method"},
    {400, "request-target is malformed", "RFC 9112 §3.2", "bad_target"},
    {400, "HTTP-version is malformed", "RFC 9112 §2.3", "bad_version"},
    {505, "HTTP version not supported", "RFC 9110 §15.6.6", "unsupported_version"},
    {414, "request line too long", "RFC 9112 §3", "request_line_too_long"},
    {431, "header section too large", "RFC 9110 §5.4", "header_section_too_large"},
    {431, "too many header fields", "RFC 9110 §5.4", "too_many_headers"},
    {400, "field name is not a token", "RFC 9112 §5", "bad_header_name"},
    {400, "whitespace between field name and colon", "RFC 9112 §5.1", "whitespace_before_colon"},
    {400, "obsolete line folding", "RFC 9112 §5.2", "obs_fold"},
    {400, "bare CR", "RFC 9112 §2.2", "bare_cr"},
    {400, "invalid character in field value", "RFC 9110 §5.5", "bad_header_value"},
    {400, "Content-Length is malformed", "RFC 9110 §8.6", "bad_content_length"},
    {400, "conflicting Content-Length values", "RFC 9112 §6.3", "conflicting_content_length"},
    {400, "Content-Length together with Transfer-Encoding", "RFC 9112 §6.1",
     "content_length_with_transfer_encoding"},
    {400, "final transfer coding is not chunked", "RFC 9112 §6.3", "transfer_encoding_not_chunked"},
    {501, "unknown transfer coding", "RFC 9112 §6.1", "unknown_transfer_coding"},
    {400, "Host field missing", "RFC 9112 §3.2", "missing_host"},
    {400, "more than one Host field", "RFC 9112 §3.2", "multiple_host"},
    {400, "Host is not a valid uri-host[:port]", "RFC 9112 §3.2", "bad_host"},
    {413, "body larger than allowed", "RFC 9110 §15.5.14", "body_too_large"},
    {400, "status line is malformed", "RFC 9112 §4", "bad_status_line"},
    {400, "chunk size is malformed", "RFC 9112 §7.1", "bad_chunk_size"},
    {400, "chunk size overflows", "RFC 9112 §7.1", "chunk_size_overflow"},
    {400, "chunk extension is malformed", "RFC 9112 §7.1.1", "bad_chunk_extension"},
    {400, "chunk data not followed by CRLF", "RFC 9112 §7.1", "bad_chunk_terminator"},
    {400, "forbidden field in trailer section", "RFC 9110 §6.5.1", "bad_trailer"},
    {400, "bare LF line ending", "RFC 9112 §2.2", "bare_lf"},
    {400, "chunked applied more than once", "RFC 9112 §6.1", "chunked_applied_twice"},
    {400, "Transfer-Encoding in an HTTP/1.0 message", "RFC 9112 §6.1",
     "transfer_encoding_in_http10"},
    {400, "status line too long", "RFC 9112 §4", "status_line_too_long"},
    {400, "chunk-size line too long", "RFC 9112 §7.1.1", "chunk_line_too_long"},
}};
static_assert(kErrors.size() == static_cast<std::size_t>(ParseError::kChunkLineTooLong) + 1,
              "one row per ParseError");

const ErrorInfo& info(ParseError e) {
  const auto i = static_cast<std::size_t>(e);
  return kErrors[i < kErrors.size() ? i : 0];
}

}  // namespace

int status_for(ParseError e) noexcept {
  return info(e).status;
}
std::string_view to_string(ParseError e) noexcept {
  return info(e).text;
}
std::string_view name(ParseError e) noexcept {
  return info(e).name;
}
std::string_view rfc_section(ParseError e) noexcept {
  return info(e).section;
}

}  // namespace zokio::http
