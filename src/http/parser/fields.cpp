// Field semantics and framing decisions (see fields.hpp). Every rule here closes a way for two
// HTTP implementations to disagree about where a message ends; where the RFCs allow a choice,
// the comment says which one we make and why.
#include "http/parser/fields.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "http/parser/char_class.hpp"

namespace zokio::http::detail {
namespace {

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// Case-insensitive equality of a field value with a lowercase literal of letters, digits and
// '-', eight bytes at a time. OR-ing 0x20 into a byte folds case, and is exact here: the only
// other bytes it maps onto such characters are CTLs, which a field value cannot contain.
bool value_is(std::string_view v, std::string_view lit) {
  if (v.size() != lit.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= v.size(); i += 8) {
    std::uint64_t a, b;
    std::memcpy(&a, v.data() + i, 8);
    std::memcpy(&b, lit.data() + i, 8);
    if ((a | 0x2020202020202020ull) != b) return false;
  }
  for (; i < v.size(); ++i)
    if ((v[i] | 0x20) != lit[i]) return false;
  return true;
}

bool all_tchar(std::string_view s) {
  for (char c : s)
    if (!has_class(c, kTchar)) return false;
  return !s.empty();
}

// Calls f(element) for each element of a #list (RFC 9110 §5.6.1), trimmed of OWS. Empty
// elements are skipped, as a recipient must accept them. Stops at the first error f returns.
template <typename F>
ParseError for_each_element(std::string_view v, F&& f) {
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t j = v.find(',', i);
    if (j == std::string_view::npos) j = v.size();
    std::size_t b = i, e = j;
    while (b < e && is_ows(v[b])) ++b;
    while (e > b && is_ows(v[e - 1])) --e;
    if (e > b) {
      const ParseError err = f(v.substr(b, e - b));
      if (err != ParseError::kNone) return err;
    }
    i = j + 1;
  }
  return ParseError::kNone;
}

// Content-Length = 1*DIGIT (RFC 9110 §8.6). A list or a repeated field of one value may be
// merged (the RFC allows that or rejecting); values are compared numerically, so "5, 05" is 5.
// Empty elements are not tolerated here: nothing legitimate sends them, and a lenient reading
// of framing fields is exactly what smuggling exploits.
ParseError on_content_length(HeadState& st, std::string_view v) {
  FieldFacts& f = st.facts;
  if (f.has_transfer_encoding) return ParseError::kContentLengthWithTransferEncoding;
  std::size_t i = 0;
  for (;;) {
    std::uint64_t n = 0;
    const std::size_t digits_start = i;
    for (; i < v.size() && has_class(v[i], kDigit); ++i) {
      const unsigned d = static_cast<unsigned>(v[i] - '0');
      if (n > (UINT64_MAX - d) / 10) return ParseError::kBadContentLength;  // not representable
      n = n * 10 + d;
    }
    if (i == digits_start) return ParseError::kBadContentLength;
    if (f.has_content_length && n != f.content_length) return ParseError::kConflictingContentLength;
    f.has_content_length = true;
    f.content_length = n;
    while (i < v.size() && is_ows(v[i])) ++i;
    if (i == v.size()) return ParseError::kNone;
    if (v[i] != ',') return ParseError::kBadContentLength;
    ++i;
    while (i < v.size() && is_ows(v[i])) ++i;
  }
}

// Transfer-Encoding = #transfer-coding (RFC 9112 §6.1). We know chunked and the registered
// compression codings; anything else (including "identity", removed from the registry, and any
// coding with parameters) is a coding we cannot decode: 501 for a token, 400 for non-tokens.
ParseError on_transfer_encoding(HeadState& st, std::string_view v) {
  FieldFacts& f = st.facts;
  // RFC 9112 §6.1: a Transfer-Encoding in an HTTP/1.0 message means its framing is faulty.
  if (st.version_minor == 0) return ParseError::kTransferEncodingInHttp10;
  f.has_transfer_encoding = true;
  if (f.has_content_length) return ParseError::kContentLengthWithTransferEncoding;
  if (value_is(v, "chunked")) {  // the common case, without the list machinery
    if (f.chunked_seen) return ParseError::kChunkedAppliedTwice;
    f.chunked_seen = f.chunked_last = true;
    return ParseError::kNone;
  }
  bool any = false;
  const ParseError err = for_each_element(v, [&](std::string_view c) {
    any = true;
    if (!all_tchar(c)) return ParseError::kBadHeaderValue;
    if (iequals(c, "chunked")) {
      if (f.chunked_seen) return ParseError::kChunkedAppliedTwice;
      f.chunked_seen = f.chunked_last = true;
      return ParseError::kNone;
    }
    for (std::string_view known : {"gzip", "x-gzip", "deflate", "compress", "x-compress"}) {
      if (iequals(c, known)) {
        f.chunked_last = false;
        f.compressed = true;
        return ParseError::kNone;
      }
    }
    return ParseError::kUnknownTransferCoding;
  });
  if (err != ParseError::kNone) return err;
  return any ? ParseError::kNone : ParseError::kBadHeaderValue;  // 1#: at least one coding
}

ParseError on_connection(FieldFacts& f, std::string_view v) {
  if (value_is(v, "keep-alive")) {  // the common cases, without the list machinery
    f.conn_keep_alive = true;
    return ParseError::kNone;
  }
  if (value_is(v, "close")) {
    f.conn_close = true;
    return ParseError::kNone;
  }
  return for_each_element(v, [&](std::string_view t) {
    if (!all_tchar(t)) return ParseError::kBadHeaderValue;
    if (iequals(t, "close")) f.conn_close = true;
    if (iequals(t, "keep-alive")) f.conn_keep_alive = true;
    if (iequals(t, "upgrade")) f.conn_upgrade = true;
    return ParseError::kNone;
  });
}

bool keep_alive(const HeadState& st) {
  const FieldFacts& f = st.facts;
  if (f.conn_close) return false;
  return st.version_minor == 1 || f.conn_keep_alive;
}

}  // namespace

}  // namespace zokio::http::detail

namespace zokio::http {
bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (detail::lower(a[i]) != detail::lower(b[i])) return false;
  return true;
}
}  // namespace zokio::http

namespace zokio::http::detail {

std::string_view find_header(std::span<const Header> headers, std::string_view name) noexcept {
  for (const Header& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

namespace {
// The inside of "[...]": an IPv6 address (inet_pton's grammar is RFC 4291's, the same as RFC
// 3986's IPv6address), or IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
bool valid_ip_literal(std::string_view s) noexcept {
  if (s.empty()) return false;
  if (s[0] == 'v' || s[0] == 'V') {
    std::size_t i = 1;
    while (i < s.size() && has_class(s[i], kHexDigit)) ++i;
    if (i == 1 || i >= s.size() || s[i] != '.' || i + 1 == s.size()) return false;
    for (++i; i < s.size(); ++i) {
      if (!has_class(s[i], kHostChar) && s[i] != ':') return false;
    }
    return true;
  }
  char text[INET6_ADDRSTRLEN];
  if (s.size() >= sizeof(text)) return false;
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  in6_addr addr{};
  return ::inet_pton(AF_INET6, text, &addr) == 1;
}
}  // namespace

bool valid_host(std::string_view h, bool require_port) noexcept {
  // RFC 9112 §3.2: an empty Host is what a client sends when the target has no authority.
  if (h.empty()) return !require_port;
  std::size_t i = 0;
  if (h[0] == '[') {  // IP-literal (RFC 3986 §3.2.2): IPv6address or IPvFuture
    const auto close = h.find(']');
    if (close == std::string_view::npos || !valid_ip_literal(h.substr(1, close - 1))) return false;
    i = close + 1;
  } else {  // reg-name or IPv4address; an empty name before a port is rejected
    for (;;) {
      while (i < h.size() && has_class(h[i], kHostChar)) ++i;
      if (i + 2 < h.size() && h[i] == '%' && has_class(h[i + 1], kHexDigit) &&
          has_class(h[i + 2], kHexDigit)) {
        i += 3;  // pct-encoded
        continue;
      }
      break;
    }
    if (i == 0) return false;
  }
  if (i == h.size()) return !require_port;
  if (h[i] != ':') return false;
  // port = *DIGIT; we require 1 to 5 digits and at most 65535 ("host:" is legal but only ever
  // sent by something broken or probing).
  const std::string_view port = h.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned n = 0;
  for (char c : port) {
    if (!has_class(c, kDigit)) return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n <= 65535;
}

ParseError check_target(std::string_view method, std::string_view target) noexcept {
  const bool connect = method == "CONNECT";
  if (target[0] == '/') return connect ? ParseError::kBadTarget : ParseError::kNone;
  if (connect) return valid_host(target, true) ? ParseError::kNone : ParseError::kBadTarget;
  if (target == "*") return method == "OPTIONS" ? ParseError::kNone : ParseError::kBadTarget;
  // absolute-form (RFC 9112 §3.2.2): scheme "://" authority [path-abempty] ["?" query]. The
  // authority must be a valid host with an optional port; userinfo is refused, as RFC 9110
  // §4.2.4 advises for http(s) URIs, and so is an empty host (§4.2.1).
  if (!is_alpha(static_cast<unsigned char>(target[0]))) return ParseError::kBadTarget;
  std::size_t i = 1;
  while (i < target.size() && target[i] != ':') {
    const char c = target[i];
    if (!is_alpha(static_cast<unsigned char>(c)) && !has_class(c, kDigit) && c != '+' && c != '-' &&
        c != '.')
      return ParseError::kBadTarget;
    ++i;
  }
  if (target.substr(i, 3) != "://") return ParseError::kBadTarget;
  const std::string_view rest = target.substr(i + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return ParseError::kBadTarget;
  }
  // A fragment is never part of a request-target (RFC 9112 §3.2).
  if (authority.size() < rest.size() && rest[authority.size()] == '#') {
    return ParseError::kBadTarget;
  }
  return valid_host(authority, false) ? ParseError::kNone : ParseError::kBadTarget;
}

ParseError on_field(HeadState& st, FieldId id, std::string_view value) noexcept {
  FieldFacts& f = st.facts;
  if (st.kind == HeadKind::kTrailer) {
    // RFC 9110 §6.5.1: framing and routing fields have no place in trailers; a recipient that
    // merged them would let a body rewrite its own framing. Other trailers are left to the user.
    const bool banned =
        id == FieldId::kHost || id == FieldId::kContentLength || id == FieldId::kTransferEncoding;
    return banned ? ParseError::kBadTrailer : ParseError::kNone;
  }
  switch (id) {
    case FieldId::kHost:
      if (st.kind != HeadKind::kRequest) return ParseError::kNone;
      if (++f.host_count > 1) return ParseError::kMultipleHost;  // RFC 9112 §3.2
      return valid_host(value, false) ? ParseError::kNone : ParseError::kBadHost;
    case FieldId::kContentLength:
      return on_content_length(st, value);
    case FieldId::kTransferEncoding:
      return on_transfer_encoding(st, value);
    case FieldId::kConnection:
      return on_connection(f, value);
    case FieldId::kExpect:
      // RFC 9110 §10.1.1: a server MUST ignore 100-continue from an HTTP/1.0 client. Other
      // expectations are left for the server to answer (417) or ignore.
      if (st.kind == HeadKind::kRequest && st.version_minor == 1 && value_is(value, "100-continue"))
        f.expect_continue = true;
      return ParseError::kNone;
    case FieldId::kOther:
      break;
  }
  return ParseError::kNone;
}

ParseError finish_request(HeadState& st) noexcept {
  FieldFacts& f = st.facts;
  // RFC 9112 §6.3: a request whose final coding is not chunked has no determinable length.
  if (f.has_transfer_encoding) {
    if (!f.chunked_last) return ParseError::kTransferEncodingNotChunked;
    f.framing = BodyFraming::kChunked;
  } else if (f.has_content_length) {
    if (f.content_length > st.limits.max_body) return ParseError::kBodyTooLarge;
    f.framing = BodyFraming::kContentLength;
  } else {
    f.framing = BodyFraming::kNone;
  }
  if (st.version_minor == 1 && f.host_count == 0) return ParseError::kMissingHost;
  f.keep_alive = keep_alive(st);
  return ParseError::kNone;
}

ParseError finish_response(HeadState& st, bool request_was_head) noexcept {
  FieldFacts& f = st.facts;
  const int s = st.status;
  if (request_was_head || s < 200 || s == 204 || s == 304) {
    f.framing = BodyFraming::kNone;  // whatever Content-Length says (it may describe a GET)
  } else if (f.has_transfer_encoding) {
    // chunked not last: the body runs until the server closes (RFC 9112 §6.3, rule 4).
    f.framing = f.chunked_last ? BodyFraming::kChunked : BodyFraming::kUntilClose;
  } else if (f.has_content_length) {
    if (f.content_length > st.limits.max_body) return ParseError::kBodyTooLarge;
    f.framing = BodyFraming::kContentLength;
  } else {
    f.framing = BodyFraming::kUntilClose;
  }
  f.keep_alive = keep_alive(st) && f.framing != BodyFraming::kUntilClose;
  return ParseError::kNone;
}

}  // namespace zokio::http::detail
