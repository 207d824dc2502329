// Parsing, formatting and sockaddr conversion for zokio::net::IpAddr and SocketAddr.
#include "zokio/net/address.hpp"

#include <arpa/inet.h>

#include <cstddef>
#include <cstring>
#include <limits>
#include <ostream>
#include <stdexcept>

namespace zokio::net {
namespace {

// std::isdigit depends on the locale and is undefined for negative char values, so compare the
// ASCII range directly.
constexpr bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Parses 1..max_digits ASCII decimal digits and nothing else. Leading zeros are allowed here
// (ports like "080" are accepted); callers that must reject them check separately.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  auto value = parse_decimal(text, 5);
  if (!value || *value > std::numeric_limits<std::uint16_t>::max()) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

// Hand-written rather than inet_pton/inet_aton because those differ between libcs (and
// inet_aton accepts octal, hex and short forms like "1.2.3"). We accept exactly four decimal
// parts 0-255 with no leading zeros, so "010.0.0.1" can never be misread as 8.0.0.1.
std::optional<in_addr> parse_v4(std::string_view text) {
  std::uint8_t octets[4];
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const std::size_t start = pos;
    unsigned value = 0;
    // At most three digits, so the value cannot overflow before the range check.
    while (pos < text.size() && pos - start < 3 && is_digit(text[pos])) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || (digits > 1 && text[start] == '0') || value > 255) return std::nullopt;
    octets[i] = static_cast<std::uint8_t>(value);
  }
  if (pos != text.size()) return std::nullopt;
  in_addr addr{};
  static_assert(sizeof(addr) == sizeof(octets));
  std::memcpy(&addr, octets, sizeof(octets));  // octets are already in network order
  return addr;
}

std::optional<in6_addr> parse_v6(std::string_view text) {
  // inet_pton needs a NUL-terminated copy; the longest valid text is 45 characters
  // ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), so anything that does not fit is invalid.
  // An embedded NUL would make inet_pton silently ignore whatever follows it.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  // Run a trailing dotted quad through the same strict IPv4 rules so "::ffff:01.2.3.4" is
  // rejected regardless of how lenient the libc's inet_pton is about it.
  if (const auto dot = text.find('.'); dot != std::string_view::npos) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon > dot || !parse_v4(text.substr(colon + 1))) {
      return std::nullopt;
    }
  }
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in6_addr addr{};
  if (inet_pton(AF_INET6, buf, &addr) != 1) return std::nullopt;
  return addr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// IpAddr

IpAddr::IpAddr() noexcept : family_(AF_INET), v4_{} {}

IpAddr::IpAddr(const in_addr& addr) noexcept : family_(AF_INET), v4_(addr) {}

IpAddr::IpAddr(const in6_addr& addr) noexcept : family_(AF_INET6), v6_(addr) {}

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  // A colon can only appear in IPv6 text, so it decides which grammar applies.
  if (text.find(':') != std::string_view::npos) {
    if (auto addr = parse_v6(text)) return IpAddr(*addr);
    return std::nullopt;
  }
  if (auto addr = parse_v4(text)) return IpAddr(*addr);
  return std::nullopt;
}

IpAddr IpAddr::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
  const std::uint8_t octets[4] = {a, b, c, d};
  in_addr addr{};
  std::memcpy(&addr, octets, sizeof(octets));
  return IpAddr(addr);
}

IpAddr IpAddr::v4_loopback() noexcept {
  return v4(127, 0, 0, 1);
}

IpAddr IpAddr::v4_any() noexcept {
  return v4(0, 0, 0, 0);
}

IpAddr IpAddr::v6_loopback() noexcept {
  in6_addr addr{};
  addr.s6_addr[15] = 1;
  return IpAddr(addr);
}

IpAddr IpAddr::v6_any() noexcept {
  return IpAddr(in6_addr{});
}

bool IpAddr::is_loopback() const noexcept {
  if (is_v4()) return (ntohl(v4_.s_addr) >> 24) == 127;
  return *this == v6_loopback();
}

bool IpAddr::is_unspecified() const noexcept {
  if (is_v4()) return v4_.s_addr == 0;
  return *this == v6_any();
}

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const void* src = is_v4() ? static_cast<const void*>(&v4_) : static_cast<const void*>(&v6_);
  // inet_ntop only fails for an unknown family or a too-small buffer, neither of which can
  // happen here.
  if (inet_ntop(family_, src, buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

bool operator==(const IpAddr& lhs, const IpAddr& rhs) noexcept {
  if (lhs.family_ != rhs.family_) return false;
  if (lhs.is_v4()) return lhs.v4_.s_addr == rhs.v4_.s_addr;
  return std::memcmp(lhs.v6_.s6_addr, rhs.v6_.s6_addr, sizeof(lhs.v6_.s6_addr)) == 0;
}

std::ostream& operator<<(std::ostream& os, const IpAddr& addr) {
  return os << addr.to_string();
}

// ---------------------------------------------------------------------------------------------
// SocketAddr

SocketAddr::SocketAddr() noexcept : SocketAddr(IpAddr(), 0) {}

SocketAddr::SocketAddr(IpAddr ip, std::uint16_t port) noexcept {
  // Zero every byte (sin_zero, unused tail of the union) so as_sockaddr() never exposes
  // indeterminate memory to the kernel or to sanitizers.
  std::memset(&storage_, 0, sizeof(storage_));
  if (const in_addr* v4 = ip.as_in_addr()) {
    storage_.v4.sin_family = AF_INET;
    storage_.v4.sin_port = htons(port);
    storage_.v4.sin_addr = *v4;
  } else {
    storage_.v6.sin6_family = AF_INET6;
    storage_.v6.sin6_port = htons(port);
    storage_.v6.sin6_addr = *ip.as_in6_addr();
  }
}

std::optional<SocketAddr> SocketAddr::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;

  if (text.front() != '[') {
    // Without brackets only IPv4 is allowed: "::1:80" is ambiguous, so it is rejected (the host
    // part before the first colon is empty).
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto addr = parse_v4(text.substr(0, colon));
    const auto port = parse_port(text.substr(colon + 1));
    if (!addr || !port) return std::nullopt;
    return SocketAddr(IpAddr(*addr), *port);
  }

  const auto close = text.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(1, close - 1);
  const std::string_view rest = text.substr(close + 1);
  if (rest.empty() || rest.front() != ':') return std::nullopt;  // the port is mandatory

  std::uint32_t scope = 0;
  if (const auto percent = host.find('%'); percent != std::string_view::npos) {
    // Only numeric scope ids: resolving interface names would need if_nametoindex, i.e. a
    // syscall and a dependency on the host's interfaces, which a parser should not have.
    const auto value = parse_decimal(host.substr(percent + 1), 10);
    if (!value || *value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    scope = static_cast<std::uint32_t>(*value);
    host = host.substr(0, percent);
  }
  // parse_v6 rejects a bare dotted quad, so "[1.2.3.4]:80" fails here.
  const auto addr = parse_v6(host);
  const auto port = parse_port(rest.substr(1));
  if (!addr || !port) return std::nullopt;
  SocketAddr result(IpAddr(*addr), *port);
  result.storage_.v6.sin6_scope_id = scope;
  return result;
}

SocketAddr SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) throw std::invalid_argument("SocketAddr::from_sockaddr: null sockaddr");
  const std::size_t size = len;
  constexpr std::size_t family_end = offsetof(sockaddr, sa_family) + sizeof(sa_family_t);
  if (size < family_end) {
    throw std::invalid_argument("SocketAddr::from_sockaddr: length " + std::to_string(size) +
                                " is too short to hold an address family");
  }
  // Copy through memcpy rather than casting: the caller's buffer is typically a
  // sockaddr_storage or a raw byte array, and memcpy sidesteps alignment/aliasing concerns.
  sa_family_t family;
  std::memcpy(&family, reinterpret_cast<const char*>(sa) + offsetof(sockaddr, sa_family),
              sizeof(family));

  auto require = [&](std::size_t need, const char* name) {
    if (size < need) {
      throw std::invalid_argument("SocketAddr::from_sockaddr: length " + std::to_string(size) +
                                  " is too short for " + name + " (need " + std::to_string(need) +
                                  ")");
    }
  };

  // Rebuild from the meaningful fields only, so garbage in sin_zero or past the end of the
  // kernel's structure never leaks into our copy or into operator==.
  if (family == AF_INET) {
    require(sizeof(sockaddr_in), "AF_INET");
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof(in));
    return SocketAddr(IpAddr(in.sin_addr), ntohs(in.sin_port));
  }
  if (family == AF_INET6) {
    require(sizeof(sockaddr_in6), "AF_INET6");
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof(in6));
    SocketAddr result(IpAddr(in6.sin6_addr), ntohs(in6.sin6_port));
    result.storage_.v6.sin6_flowinfo = in6.sin6_flowinfo;
    result.storage_.v6.sin6_scope_id = in6.sin6_scope_id;
    return result;
  }
  throw std::invalid_argument("SocketAddr::from_sockaddr: unsupported address family " +
                              std::to_string(family) + " (expected AF_INET or AF_INET6)");
}

int SocketAddr::family() const noexcept {
  return storage_.sa.sa_family;
}

IpAddr SocketAddr::ip() const noexcept {
  if (is_v4()) return IpAddr(storage_.v4.sin_addr);
  return IpAddr(storage_.v6.sin6_addr);
}

std::uint16_t SocketAddr::port() const noexcept {
  return ntohs(is_v4() ? storage_.v4.sin_port : storage_.v6.sin6_port);
}

void SocketAddr::set_port(std::uint16_t port) noexcept {
  if (is_v4()) {
    storage_.v4.sin_port = htons(port);
  } else {
    storage_.v6.sin6_port = htons(port);
  }
}

std::uint32_t SocketAddr::scope_id() const noexcept {
  return is_v6() ? storage_.v6.sin6_scope_id : 0;
}

void SocketAddr::set_scope_id(std::uint32_t scope_id) noexcept {
  if (is_v6()) storage_.v6.sin6_scope_id = scope_id;
}

const sockaddr* SocketAddr::as_sockaddr() const noexcept {
  return &storage_.sa;
}

socklen_t SocketAddr::len() const noexcept {
  return is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
}

std::string SocketAddr::to_string() const {
  if (is_v4()) return ip().to_string() + ':' + std::to_string(port());
  // Built with append() rather than "[" + ...: GCC 12 at -O3 misreports the latter (-Wrestrict).
  std::string out;
  out.reserve(64);
  out += '[';
  out += ip().to_string();
  if (const auto scope = scope_id(); scope != 0) out += '%' + std::to_string(scope);
  out += "]:" + std::to_string(port());
  return out;
}

bool operator==(const SocketAddr& lhs, const SocketAddr& rhs) noexcept {
  if (lhs.family() != rhs.family() || lhs.port() != rhs.port() || lhs.ip() != rhs.ip()) {
    return false;
  }
  if (lhs.is_v4()) return true;
  return lhs.storage_.v6.sin6_scope_id == rhs.storage_.v6.sin6_scope_id &&
         lhs.storage_.v6.sin6_flowinfo == rhs.storage_.v6.sin6_flowinfo;
}

std::ostream& operator<<(std::ostream& os, const SocketAddr& addr) {
  return os << addr.to_string();
}

}  // namespace zokio::net
