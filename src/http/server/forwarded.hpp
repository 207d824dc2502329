// The client behind trusted proxies: X-Forwarded-For and Forwarded (RFC 7239) are believed
// only from a connection whose peer is one of the configured proxy networks, and then only as
// far back as the chain of trusted proxies goes (the right-most address that is not a trusted
// proxy is the client; anything to its left could have been written by the client itself).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zokio/net/address.hpp"

namespace zokio::http::detail {

class TrustedProxies {
 public:
  // "10.0.0.0/8", "192.168.1.7", "fd00::/8"; throws std::invalid_argument naming a bad entry.
  explicit TrustedProxies(const std::vector<std::string>& networks);
  bool empty() const noexcept { return nets_.empty(); }
  bool contains(const net::IpAddr& ip) const noexcept;

 private:
  struct Net {
    net::IpAddr addr;
    int prefix;
  };
  std::vector<Net> nets_;
};

// The client's address from the request's headers, when the connection comes from a trusted
// proxy: Forwarded's `for=` if the request has one, else X-Forwarded-For. nullopt when neither
// gives a usable address (absent, malformed at the right-most element, or only obfuscated
// identifiers such as `for=unknown`): the connection's address then stands.
std::optional<net::SocketAddr> forwarded_client(std::string_view forwarded,
                                                std::string_view x_forwarded_for,
                                                const TrustedProxies& trusted);

}  // namespace zokio::http::detail
