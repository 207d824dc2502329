// The PROXY protocol header (HAProxy's specification, versions 1 and 2) that load balancers
// (HAProxy, AWS NLB, nginx) put in front of a connection to pass on the client's address.
// Sans-I/O: bytes in, a verdict out; nothing is allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zokio::http::detail {

struct ProxySource {
  bool known = false;  // false: LOCAL, UNKNOWN or a non-IP family: keep the connection's address
  bool v6 = false;
  std::array<unsigned char, 16> addr{};  // network order; the first 4 bytes for IPv4
  std::uint16_t port = 0;
};

enum class ProxyStatus { kIncomplete, kDone, kInvalid };

struct ProxyParse {
  ProxyStatus status = ProxyStatus::kIncomplete;
  std::size_t consumed = 0;  // the header's length, when kDone
  ProxySource source;
};

// The longest header accepted: a v1 line is at most 107 bytes; a v2 header's TLVs are bounded
// here (the specification leaves them open) so that a peer cannot make the server buffer more.
inline constexpr std::size_t kMaxProxyHeader = 16 + 1024;

// Parses the header at the start of `in`: kIncomplete while `in` is a prefix of a valid one.
ProxyParse parse_proxy_header(std::string_view in) noexcept;

}  // namespace zokio::http::detail
