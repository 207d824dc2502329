// ResponseParser: one response head per parse(), resumable on a growing buffer; framing by
// RFC 9112 §6.3 given the status and whether the request was HEAD.
#include "http/parser/fields.hpp"
#include "http/parser/scan.hpp"

namespace zokio::http {

std::string_view ResponseHead::header(std::string_view name) const noexcept {
  return detail::find_header(headers, name);
}

ResponseParser::ResponseParser(ParseLimits limits) : st_(detail::HeadKind::kResponse, limits) {}

ParseStatus ResponseParser::parse(std::string_view buf, ResponseHead& head, bool request_was_head) {
  if (buf.data() != st_.base) st_.rebase(buf.data());
  if (st_.phase != detail::kPhaseDone) {
    if (st_.phase == detail::kPhaseError) return ParseStatus::kError;
    const ParseStatus s = detail::active_kernels().response(st_, buf.data(), buf.size());
    if (s != ParseStatus::kComplete) return s;
    if (const ParseError e = detail::finish_response(st_, request_was_head); e != ParseError::kNone)
      return detail::fail(st_, e);
    st_.phase = detail::kPhaseDone;
  }
  const detail::FieldFacts& f = st_.facts;
  head.version_minor = st_.version_minor;
  head.status = st_.status;
  head.reason = st_.target;
  head.headers = {st_.headers.get(), st_.num_headers};
  head.framing = f.framing;
  head.content_length = f.framing == BodyFraming::kContentLength ? f.content_length : 0;
  head.keep_alive = f.keep_alive;
  head.compressed_transfer = f.compressed;
  head.head_size = st_.pos;
  return ParseStatus::kComplete;
}

}  // namespace zokio::http
