// X-Forwarded-For and Forwarded from trusted proxies (see forwarded.hpp).
#include "http/server/forwarded.hpp"
#include "http/parser/fields.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace zokio::http::detail {

namespace {

// The bytes of an address, 4 or 16 of them.
std::size_t bytes_of(const net::IpAddr& ip, unsigned char out[16]) noexcept {
  if (const in_addr* v4 = ip.as_in_addr()) {
    std::memcpy(out, v4, 4);
    return 4;
  }
  std::memcpy(out, ip.as_in6_addr(), 16);
  return 16;
}

// "192.0.2.1", "192.0.2.1:8080", "2001:db8::1", "[2001:db8::1]:8080" (a node of RFC 7239 §6
// without its quotes, or an X-Forwarded-For element).
std::optional<net::SocketAddr> parse_node(std::string_view node) {
  std::uint16_t port = 0;
  std::string_view host = node;
  if (!node.empty() && node.front() == '[') {
    const auto close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = node.substr(1, close - 1);
    const std::string_view rest = node.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      const std::string_view p = rest.substr(1);
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
      if (p.empty() || ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
    }
  } else if (std::count(node.begin(), node.end(), ':') == 1) {  // IPv4 with a port
    const auto colon = node.find(':');
    host = node.substr(0, colon);
    const std::string_view p = node.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size()) return std::nullopt;
  }
  auto ip = net::IpAddr::parse(host);
  if (!ip) return std::nullopt;
  return net::SocketAddr(*ip, port);
}

// Walks a comma-separated list from the right: the first element that is not a trusted proxy
// is the client. `node_of` extracts the address text of one element (empty: skip it silently is
// not allowed; nullopt: malformed).
template <typename NodeOf>
std::optional<net::SocketAddr> right_most_untrusted(std::string_view list, NodeOf node_of,
                                                    const TrustedProxies& trusted) {
  std::optional<net::SocketAddr> last;
  while (!list.empty()) {
    const auto comma = list.rfind(',');
    const std::string_view element =
        trim_ows(comma == std::string_view::npos ? list : list.substr(comma + 1));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
    auto node = node_of(element);
    if (!node) return last;  // malformed: trust what was read to its right, if anything
    last = node;
    if (!trusted.contains(node->ip())) return last;
  }
  return last;  // every hop was a trusted proxy: the left-most is as far as it goes
}

// The `for=` value of one Forwarded element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
std::optional<net::SocketAddr> forwarded_for(std::string_view element) {
  while (!element.empty()) {
    const auto semi = element.find(';');
    const std::string_view pair = trim_ows(element.substr(0, semi));
    element = semi == std::string_view::npos ? std::string_view{} : element.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (name.size() != 3 || (name[0] | 0x20) != 'f' || (name[1] | 0x20) != 'o' ||
        (name[2] | 0x20) != 'r') {
      continue;
    }
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return parse_node(value);  // "unknown" and "_hidden" identifiers give nullopt
  }
  return std::nullopt;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& networks) {
  for (const std::string& text : networks) {
    const auto slash = text.find('/');
    auto ip = net::IpAddr::parse(std::string_view(text).substr(0, slash));
    const int max = ip && ip->is_v4() ? 32 : 128;
    int prefix = max;
    if (ip && slash != std::string::npos) {
      const std::string_view p = std::string_view(text).substr(slash + 1);
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (p.empty() || ec != std::errc() || end != p.data() + p.size()) prefix = -1;
    }
    if (!ip || prefix < 0 || prefix > max) {
      throw std::invalid_argument("'" + text +
                                  "' is not an IP address or network (like 10.0.0.0/8)");
    }
    nets_.push_back({*ip, prefix});
  }
}

bool TrustedProxies::contains(const net::IpAddr& ip) const noexcept {
  unsigned char a[16], n[16];
  const std::size_t len = bytes_of(ip, a);
  for (const Net& net : nets_) {
    if (bytes_of(net.addr, n) != len) continue;
    const int whole = net.prefix / 8, bits = net.prefix % 8;
    if (std::memcmp(a, n, static_cast<std::size_t>(whole)) != 0) continue;
    if (bits != 0) {
      const unsigned char mask = static_cast<unsigned char>(0xFF << (8 - bits));
      if ((a[whole] & mask) != (n[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::optional<net::SocketAddr> forwarded_client(std::string_view forwarded,
                                                std::string_view x_forwarded_for,
                                                const TrustedProxies& trusted) {
  if (!trim_ows(forwarded).empty()) {
    return right_most_untrusted(forwarded, forwarded_for, trusted);
  }
  if (!trim_ows(x_forwarded_for).empty()) {
    return right_most_untrusted(x_forwarded_for, parse_node, trusted);
  }
  return std::nullopt;
}

}  // namespace zokio::http::detail
