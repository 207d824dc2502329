// The meaning of a head, as opposed to its syntax: Content-Length, Transfer-Encoding, Host,
// Connection and Expect, the form of the request-target, and the framing decision once the head
// is complete. Plain code shared by every scan path; the kernels call in only for the few field
// names that matter, so the common field costs nothing here.
#pragma once

#include <cstdint>
#include <string_view>

#include <zokio/http/parser.hpp>

namespace zokio::http::detail {

enum class FieldId : std::uint8_t {
  kOther,
  kHost,
  kContentLength,
  kTransferEncoding,
  kConnection,
  kExpect,
};

inline ParseStatus fail(HeadState& st, ParseError e) noexcept {
  st.error = e;
  st.phase = kPhaseError;
  return ParseStatus::kError;
}

// One complete field line whose name is `id`; `value` is already trimmed.
ParseError on_field(HeadState& st, FieldId id, std::string_view value) noexcept;
// Origin-form for most methods, authority-form for CONNECT, "*" for OPTIONS, else absolute-form.
ParseError check_target(std::string_view method, std::string_view target) noexcept;
// uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2); CONNECT's authority-form needs the port.
bool valid_host(std::string_view host, bool require_port) noexcept;
// The framing and keep-alive decision once the empty line has been read (RFC 9112 §6.3).
ParseError finish_request(HeadState& st) noexcept;
ParseError finish_response(HeadState& st, bool request_was_head) noexcept;

using http::iequals;  // (parser.hpp)

// A field value or list element without the optional whitespace around it (RFC 9110 §5.6.3).
inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
std::string_view find_header(std::span<const Header> headers, std::string_view name) noexcept;

}  // namespace zokio::http::detail
