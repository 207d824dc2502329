// RequestParser: one request head per parse(), resumable on a growing buffer. The work is in
// the active kernel (parse_core.inc); this file only moves its results into a RequestHead.
#include "http/parser/fields.hpp"
#include "http/parser/scan.hpp"

namespace zokio::http {

std::string_view RequestHead::header(std::string_view name) const noexcept {
  return detail::find_header(headers, name);
}

RequestParser::RequestParser(ParseLimits limits) : st_(detail::HeadKind::kRequest, limits) {}

ParseStatus RequestParser::parse(std::string_view buf, RequestHead& head) {
  if (buf.data() != st_.base) st_.rebase(buf.data());
  if (st_.phase != detail::kPhaseDone) {
    if (st_.phase == detail::kPhaseError) return ParseStatus::kError;
    const ParseStatus s = detail::active_kernels().request(st_, buf.data(), buf.size());
    if (s != ParseStatus::kComplete) return s;
    if (const ParseError e = detail::finish_request(st_); e != ParseError::kNone)
      return detail::fail(st_, e);
    st_.phase = detail::kPhaseDone;
  }
  const detail::FieldFacts& f = st_.facts;
  head.method = st_.method;
  head.target = st_.target;
  head.version_minor = st_.version_minor;
  head.headers = {st_.headers.get(), st_.num_headers};
  head.framing = f.framing;
  head.content_length = f.framing == BodyFraming::kContentLength ? f.content_length : 0;
  head.keep_alive = f.keep_alive;
  head.expect_continue = f.expect_continue;
  head.upgrade = f.conn_upgrade;
  head.compressed_transfer = f.compressed;
  head.head_size = st_.pos;
  return ParseStatus::kComplete;
}

}  // namespace zokio::http
