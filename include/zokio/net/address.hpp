// IPv4/IPv6 address value types for the networking layer. They are small, trivially copyable and
// never allocate, so they can be passed around freely and handed straight to the socket syscalls
// (SocketAddr keeps the bytes in sockaddr_in / sockaddr_in6 form).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace zokio::net {

// An IPv4 or IPv6 host address without a port or scope id.
//
// An IPv4-mapped IPv6 address such as ::ffff:1.2.3.4 stays an IPv6 address: it is a different
// value from 1.2.3.4 (the two compare unequal), because the socket it is used with must be an
// AF_INET6 socket and silently changing the family would change how it is bound or connected.
class IpAddr {
 public:
  // 0.0.0.0, so a default-constructed address is a valid "any" address rather than garbage.
  IpAddr() noexcept;
  explicit IpAddr(const in_addr& addr) noexcept;
  explicit IpAddr(const in6_addr& addr) noexcept;

  // Accepts strict dotted-quad IPv4 ("127.0.0.1") or IPv6 text accepted by inet_pton ("::1",
  // "fe80::1", "::ffff:1.2.3.4"). Never throws; any other input, including surrounding
  // whitespace, brackets, a "%scope" suffix or an embedded NUL, yields std::nullopt.
  static std::optional<IpAddr> parse(std::string_view text);

  static IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept;
  static IpAddr v4_loopback() noexcept;  // 127.0.0.1
  static IpAddr v4_any() noexcept;       // 0.0.0.0
  static IpAddr v6_loopback() noexcept;  // ::1
  static IpAddr v6_any() noexcept;       // ::

  bool is_v4() const noexcept { return family_ == AF_INET; }
  bool is_v6() const noexcept { return family_ == AF_INET6; }
  int family() const noexcept { return family_; }

  // 127.0.0.0/8 for IPv4, only ::1 for IPv6 (a mapped ::ffff:127.0.0.1 is not treated as
  // loopback, matching the family rule above).
  bool is_loopback() const noexcept;
  // 0.0.0.0 or ::
  bool is_unspecified() const noexcept;

  // Raw access for socket code. These return nullptr for the other family instead of asserting,
  // so a family mix-up cannot silently read the wrong union member in a release build.
  const in_addr* as_in_addr() const noexcept { return is_v4() ? &v4_ : nullptr; }
  const in6_addr* as_in6_addr() const noexcept { return is_v6() ? &v6_ : nullptr; }

  // Dotted quad for IPv4, canonical RFC 5952 text (as produced by inet_ntop) for IPv6.
  std::string to_string() const;

  friend bool operator==(const IpAddr& lhs, const IpAddr& rhs) noexcept;

 private:
  sa_family_t family_;
  union {
    in_addr v4_;
    in6_addr v6_;
  };
};

// An IP address plus port (and, for IPv6, a scope id and flow label), stored directly as the
// sockaddr the kernel expects so that bind/connect/accept need no conversion step.
class SocketAddr {
 public:
  // 0.0.0.0:0
  SocketAddr() noexcept;
  SocketAddr(IpAddr ip, std::uint16_t port) noexcept;

  // Accepts "1.2.3.4:80", "[::1]:8080" and "[fe80::1%2]:80" (numeric scope id only). The port is
  // required and is 1-5 decimal digits with a value of at most 65535. Never throws; malformed
  // input yields std::nullopt.
  static std::optional<SocketAddr> parse(std::string_view text);

  // Copies an address returned by the kernel (accept, getsockname, recvfrom, ...). Throws
  // std::invalid_argument when sa is null, the family is neither AF_INET nor AF_INET6, or len is
  // too short for the family; those are caller bugs or unsupported sockets, not parse errors.
  static SocketAddr from_sockaddr(const sockaddr* sa, socklen_t len);

  IpAddr ip() const noexcept;
  std::uint16_t port() const noexcept;  // host byte order
  void set_port(std::uint16_t port) noexcept;

  // IPv6 scope id (interface index for link-local addresses); always 0 for IPv4, and
  // set_scope_id is ignored for IPv4 because sockaddr_in has no such field.
  std::uint32_t scope_id() const noexcept;
  void set_scope_id(std::uint32_t scope_id) noexcept;

  int family() const noexcept;  // AF_INET or AF_INET6
  bool is_v4() const noexcept { return family() == AF_INET; }
  bool is_v6() const noexcept { return family() == AF_INET6; }

  // Pointer and length to pass to bind/connect/sendto. The pointer stays valid for the lifetime
  // of this object.
  const sockaddr* as_sockaddr() const noexcept;
  socklen_t len() const noexcept;

  // "1.2.3.4:80", "[::1]:80", "[fe80::1%2]:80" (the scope is omitted when it is 0).
  std::string to_string() const;

  // Compares family, address, port and, for IPv6, scope id and flow label: equal values produce
  // the same sockaddr for the kernel. Padding such as sin_zero is ignored.
  friend bool operator==(const SocketAddr& lhs, const SocketAddr& rhs) noexcept;

 private:
  // All three members share the leading family field (a common initial sequence), which is what
  // lets family() read it regardless of which member was written.
  union Storage {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_;
};

std::ostream& operator<<(std::ostream& os, const IpAddr& addr);
std::ostream& operator<<(std::ostream& os, const SocketAddr& addr);

}  // namespace zokio::net
