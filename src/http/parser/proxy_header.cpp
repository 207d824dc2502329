// PROXY protocol headers, versions 1 (text) and 2 (binary): see proxy_header.hpp.
#include "http/parser/proxy_header.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace zokio::http::detail {

namespace {

constexpr std::string_view kV1 = "PROXY ";
constexpr std::size_t kV1Max = 107;  // the specification's bound, CRLF included
constexpr std::string_view kV2{"\r\n\r\n\0\r\nQUIT\n", 12};

// `in` is a prefix of `sig` (or starts with it).
bool prefix_of(std::string_view in, std::string_view sig) noexcept {
  const std::size_t n = std::min(in.size(), sig.size());
  return in.substr(0, n) == sig.substr(0, n);
}

std::string_view next_field(std::string_view& line) noexcept {
  const auto sp = line.find(' ');
  std::string_view f = line.substr(0, sp);
  line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  return f;
}

bool parse_port(std::string_view s, std::uint16_t& out) noexcept {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

bool parse_ip(std::string_view s, bool v6, unsigned char* out) noexcept {
  char text[INET6_ADDRSTRLEN];
  if (s.empty() || s.size() >= sizeof(text)) return false;
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  return ::inet_pton(v6 ? AF_INET6 : AF_INET, text, out) == 1;
}

ProxyParse parse_v1(std::string_view in) noexcept {
  ProxyParse r;
  const auto end = in.substr(0, kV1Max).find("\r\n");
  if (end == std::string_view::npos) {
    r.status = in.size() >= kV1Max ? ProxyStatus::kInvalid : ProxyStatus::kIncomplete;
    return r;
  }
  r.status = ProxyStatus::kInvalid;
  std::string_view line = in.substr(kV1.size(), end - kV1.size());
  const std::string_view proto = next_field(line);
  if (proto == "UNKNOWN") {  // the sender does not know; whatever follows is ignored
    r.status = ProxyStatus::kDone;
    r.consumed = end + 2;
    return r;
  }
  if (proto != "TCP4" && proto != "TCP6") return r;
  const bool v6 = proto == "TCP6";
  unsigned char dst[16];
  std::uint16_t dport = 0;
  const std::string_view src = next_field(line), dst_text = next_field(line),
                         sport = next_field(line), dport_text = line;
  if (!parse_ip(src, v6, r.source.addr.data()) || !parse_ip(dst_text, v6, dst) ||
      !parse_port(sport, r.source.port) || !parse_port(dport_text, dport)) {
    return r;
  }
  r.source.known = true;
  r.source.v6 = v6;
  r.status = ProxyStatus::kDone;
  r.consumed = end + 2;
  return r;
}

ProxyParse parse_v2(std::string_view in) noexcept {
  ProxyParse r;
  if (in.size() < 16) return r;  // incomplete
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned version = p[12] >> 4, command = p[12] & 0x0F;
  const unsigned family = p[13] >> 4, transport = p[13] & 0x0F;
  const std::size_t len = (static_cast<std::size_t>(p[14]) << 8) | p[15];
  r.status = ProxyStatus::kInvalid;
  if (version != 2 || command > 1 || family > 3 || transport > 2) return r;
  if (16 + len > kMaxProxyHeader) return r;
  if (in.size() < 16 + len) {
    r.status = ProxyStatus::kIncomplete;
    return r;
  }
  r.consumed = 16 + len;
  r.status = ProxyStatus::kDone;
  // LOCAL (a health check of the proxy itself), UNSPEC, UNIX and datagrams: the connection's
  // own address stands.
  if (command == 0 || transport != 1 || (family != 1 && family != 2)) return r;
  const bool v6 = family == 2;
  const std::size_t alen = v6 ? 16 : 4;
  if (len < 2 * alen + 4) {
    r.status = ProxyStatus::kInvalid;  // too short for the addresses it announces
    return r;
  }
  std::memcpy(r.source.addr.data(), p + 16, alen);
  r.source.port = static_cast<std::uint16_t>((p[16 + 2 * alen] << 8) | p[16 + 2 * alen + 1]);
  r.source.v6 = v6;
  r.source.known = true;
  return r;
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view in) noexcept {
  if (in.empty()) return {};
  if (in.size() >= kV2.size() ? in.starts_with(kV2) : prefix_of(in, kV2)) return parse_v2(in);
  if (in.size() >= kV1.size() ? in.starts_with(kV1) : prefix_of(in, kV1)) {
    if (in.size() < kV1.size()) return {};
    return parse_v1(in);
  }
  ProxyParse r;
  r.status = ProxyStatus::kInvalid;
  return r;
}

}  // namespace zokio::http::detail
