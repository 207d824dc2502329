// Unit tests for zokio::net::IpAddr and SocketAddr: strict parsing, canonical formatting,
// sockaddr conversion and value semantics.
#include "zokio/net/address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace zokio::net {
namespace {

using namespace std::string_view_literals;

// The types are meant to be copied around and stored in other objects by value.
static_assert(std::is_trivially_copyable_v<IpAddr>);
static_assert(std::is_trivially_copyable_v<SocketAddr>);
static_assert(sizeof(SocketAddr) <= sizeof(sockaddr_storage));

struct ValidCase {
  std::string_view input;
  std::string_view canonical;  // expected to_string() of the parsed value
};

// ---------------------------------------------------------------------------------------------
// IpAddr parsing

constexpr ValidCase kValidIps[] = {
    {"0.0.0.0", "0.0.0.0"},
    {"127.0.0.1", "127.0.0.1"},
    {"1.2.3.4", "1.2.3.4"},
    {"255.255.255.255", "255.255.255.255"},
    {"10.0.100.9", "10.0.100.9"},
    {"::", "::"},
    {"::1", "::1"},
    {"fe80::1", "fe80::1"},
    {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
    {"::FFFF:1.2.3.4", "::ffff:1.2.3.4"},
    {"2001:DB8::1", "2001:db8::1"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // first of two equal zero runs is shortened
    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single zero group is not shortened
    {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
};

constexpr std::string_view kInvalidIps[] = {
    ""sv,
    "01.2.3.4"sv,
    "1.02.3.4"sv,
    "1.2.3.00"sv,
    "1.2.3"sv,
    "1.2.3.4.5"sv,
    "256.1.1.1"sv,
    "1.2.3.256"sv,
    "1000.1.1.1"sv,
    "1.2.3."sv,
    ".1.2.3"sv,
    "1..2.3"sv,
    " 1.2.3.4"sv,
    "1.2.3.4 "sv,
    "1.2. 3.4"sv,
    "+1.2.3.4"sv,
    "-1.2.3.4"sv,
    "1.2.3.+4"sv,
    "0x1.2.3.4"sv,
    "1.2.3.4a"sv,
    "localhost"sv,
    "1.2.3.4\0"sv,
    "1.2\0.3.4"sv,
    "::1\0"sv,
    "::1\0garbage"sv,
    ":"sv,
    ":::"sv,
    "::1::"sv,
    "1:2:3:4:5:6:7:8:9"sv,
    "12345::"sv,
    "g::1"sv,
    "[::1]"sv,
    "::1 "sv,
    "fe80::1%2"sv,
    "::ffff:01.2.3.4"sv,
    "::ffff:1.2.3"sv,
    "::ffff:256.1.1.1"sv,
    "1.2.3.4::"sv,
    "1.2.3.4:80"sv,
};

TEST(IpAddrTest, ParsesValidInputsAndRoundTrips) {
  for (const auto& c : kValidIps) {
    SCOPED_TRACE(std::string(c.input));
    const auto ip = IpAddr::parse(c.input);
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(ip->to_string(), c.canonical);
    EXPECT_EQ(ip->is_v6(), c.input.find(':') != std::string_view::npos);
    EXPECT_NE(ip->is_v4(), ip->is_v6());
    // The canonical form must parse back to the same value.
    const auto again = IpAddr::parse(c.canonical);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *ip);
  }
}

TEST(IpAddrTest, RejectsInvalidInputs) {
  for (const auto input : kInvalidIps) {
    // Make embedded NULs visible in the failure message.
    std::string shown(input);
    for (auto& ch : shown) {
      if (ch == '\0') ch = '@';
    }
    SCOPED_TRACE(shown);
    EXPECT_FALSE(IpAddr::parse(input).has_value());
  }
}

TEST(IpAddrTest, ConstructorsAndFactories) {
  EXPECT_EQ(IpAddr().to_string(), "0.0.0.0");
  EXPECT_TRUE(IpAddr().is_v4());
  EXPECT_EQ(IpAddr(), IpAddr::v4_any());
  EXPECT_EQ(IpAddr::v4(192, 168, 1, 20).to_string(), "192.168.1.20");
  EXPECT_EQ(IpAddr::v4_loopback().to_string(), "127.0.0.1");
  EXPECT_EQ(IpAddr::v4_any().to_string(), "0.0.0.0");
  EXPECT_EQ(IpAddr::v6_loopback().to_string(), "::1");
  EXPECT_EQ(IpAddr::v6_any().to_string(), "::");
  EXPECT_TRUE(IpAddr::v6_any().is_v6());
  EXPECT_EQ(IpAddr::v4(1, 2, 3, 4).family(), AF_INET);
  EXPECT_EQ(IpAddr::v6_any().family(), AF_INET6);
}

TEST(IpAddrTest, RawAccessIsInNetworkOrderAndFamilyChecked) {
  const IpAddr v4 = IpAddr::v4(1, 2, 3, 4);
  ASSERT_NE(v4.as_in_addr(), nullptr);
  EXPECT_EQ(v4.as_in_addr()->s_addr, htonl(0x01020304));
  EXPECT_EQ(v4.as_in6_addr(), nullptr);

  const IpAddr v6 = IpAddr::v6_loopback();
  ASSERT_NE(v6.as_in6_addr(), nullptr);
  EXPECT_EQ(v6.as_in6_addr()->s6_addr[15], 1);
  EXPECT_EQ(v6.as_in_addr(), nullptr);

  in6_addr raw{};
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::1", &raw), 1);
  EXPECT_EQ(IpAddr(raw), *IpAddr::parse("fe80::1"));
  in_addr raw4{};
  raw4.s_addr = htonl(0x7f000001);
  EXPECT_EQ(IpAddr(raw4), IpAddr::v4_loopback());
}

TEST(IpAddrTest, Equality) {
  EXPECT_EQ(*IpAddr::parse("1.2.3.4"), IpAddr::v4(1, 2, 3, 4));
  EXPECT_NE(*IpAddr::parse("1.2.3.4"), IpAddr::v4(1, 2, 3, 5));
  EXPECT_EQ(*IpAddr::parse("::1"), *IpAddr::parse("0:0:0:0:0:0:0:1"));
  EXPECT_NE(*IpAddr::parse("::1"), *IpAddr::parse("::2"));
  // Different families never compare equal, even when the bytes overlap.
  EXPECT_NE(IpAddr::v4_any(), IpAddr::v6_any());
  EXPECT_NE(*IpAddr::parse("::ffff:1.2.3.4"), IpAddr::v4(1, 2, 3, 4));
}

TEST(IpAddrTest, LoopbackAndUnspecified) {
  EXPECT_TRUE(IpAddr::v4_loopback().is_loopback());
  EXPECT_TRUE(IpAddr::parse("127.255.0.9")->is_loopback());
  EXPECT_FALSE(IpAddr::parse("128.0.0.1")->is_loopback());
  EXPECT_FALSE(IpAddr::v4_any().is_loopback());
  EXPECT_TRUE(IpAddr::v6_loopback().is_loopback());
  EXPECT_FALSE(IpAddr::parse("::2")->is_loopback());
  EXPECT_FALSE(IpAddr::parse("::ffff:127.0.0.1")->is_loopback());
  EXPECT_FALSE(IpAddr::v6_any().is_loopback());

  EXPECT_TRUE(IpAddr().is_unspecified());
  EXPECT_TRUE(IpAddr::v4_any().is_unspecified());
  EXPECT_TRUE(IpAddr::v6_any().is_unspecified());
  EXPECT_FALSE(IpAddr::v4(0, 0, 0, 1).is_unspecified());
  EXPECT_FALSE(IpAddr::v6_loopback().is_unspecified());
  EXPECT_FALSE(IpAddr::v4_loopback().is_unspecified());
}

TEST(IpAddrTest, StreamOperator) {
  std::ostringstream os;
  os << IpAddr::v4(10, 0, 0, 1) << ' ' << *IpAddr::parse("2001:DB8::0:1");
  EXPECT_EQ(os.str(), "10.0.0.1 2001:db8::1");
}

// ---------------------------------------------------------------------------------------------
// SocketAddr parsing

constexpr ValidCase kValidSocketAddrs[] = {
    {"1.2.3.4:80", "1.2.3.4:80"},
    {"0.0.0.0:0", "0.0.0.0:0"},
    {"127.0.0.1:65535", "127.0.0.1:65535"},
    {"255.255.255.255:1", "255.255.255.255:1"},
    {"1.2.3.4:080", "1.2.3.4:80"},  // ports are plain 1-5 digit numbers; leading zeros allowed
    {"1.2.3.4:00000", "1.2.3.4:0"},
    {"[::1]:8080", "[::1]:8080"},
    {"[::]:0", "[::]:0"},
    {"[fe80::1%2]:80", "[fe80::1%2]:80"},
    {"[FE80::1%4294967295]:443", "[fe80::1%4294967295]:443"},
    {"[fe80::1%0]:80", "[fe80::1]:80"},  // scope 0 means "no scope"
    {"[::ffff:1.2.3.4]:53", "[::ffff:1.2.3.4]:53"},
    {"[2001:db8:0:0:0:0:0:1]:65535", "[2001:db8::1]:65535"},
};

constexpr std::string_view kInvalidSocketAddrs[] = {
    ""sv,
    "1.2.3.4"sv,
    "1.2.3.4:"sv,
    ":80"sv,
    "1.2.3.4:65536"sv,
    "1.2.3.4:99999"sv,
    "1.2.3.4:000080"sv,
    "1.2.3.4:-1"sv,
    "1.2.3.4:+80"sv,
    "1.2.3.4: 80"sv,
    "1.2.3.4:80 "sv,
    " 1.2.3.4:80"sv,
    "1.2.3.4:80x"sv,
    "1.2.3.4:80:90"sv,
    "1.2.3.4:0x50"sv,
    "01.2.3.4:80"sv,
    "1.2.3:80"sv,
    "256.1.1.1:80"sv,
    "1.2.3.4:80\0"sv,
    "1.2.3.4\0:80"sv,
    "localhost:80"sv,
    "::1"sv,
    "::1:80"sv,
    "fe80::1:80"sv,
    "[::1]"sv,
    "[::1]:"sv,
    "[::1]80"sv,
    "[::1]:80x"sv,
    "[::1]:65536"sv,
    "[::1]:80]"sv,
    "[::1:80"sv,
    "::1]:80"sv,
    "[]:80"sv,
    "[[::1]]:80"sv,
    "[ ::1]:80"sv,
    "[::1\0]:80"sv,
    "[::1]:80\0"sv,
    "[1.2.3.4]:80"sv,
    "[fe80::1%]:80"sv,
    "[fe80::1%eth0]:80"sv,
    "[fe80::1%-1]:80"sv,
    "[fe80::1%4294967296]:80"sv,
    "[fe80::1%12345678901]:80"sv,
    "[fe80::1%2%3]:80"sv,
    "[%2]:80"sv,
};

TEST(SocketAddrTest, ParsesValidInputsAndRoundTrips) {
  for (const auto& c : kValidSocketAddrs) {
    SCOPED_TRACE(std::string(c.input));
    const auto addr = SocketAddr::parse(c.input);
    ASSERT_TRUE(addr.has_value());
    EXPECT_EQ(addr->to_string(), c.canonical);
    EXPECT_EQ(addr->family(), c.input.front() == '[' ? AF_INET6 : AF_INET);
    const auto again = SocketAddr::parse(c.canonical);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *addr);
    // Going through the raw sockaddr must preserve the value too.
    EXPECT_EQ(SocketAddr::from_sockaddr(addr->as_sockaddr(), addr->len()), *addr);
  }
}

TEST(SocketAddrTest, RejectsInvalidInputs) {
  for (const auto input : kInvalidSocketAddrs) {
    std::string shown(input);
    for (auto& ch : shown) {
      if (ch == '\0') ch = '@';
    }
    SCOPED_TRACE(shown);
    EXPECT_FALSE(SocketAddr::parse(input).has_value());
  }
}

TEST(SocketAddrTest, ParsedFieldsAreExposed) {
  const auto v6 = SocketAddr::parse("[fe80::1%7]:443");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->ip(), *IpAddr::parse("fe80::1"));
  EXPECT_EQ(v6->port(), 443);
  EXPECT_EQ(v6->scope_id(), 7u);
  EXPECT_EQ(v6->len(), sizeof(sockaddr_in6));

  const auto v4 = SocketAddr::parse("10.1.2.3:8080");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->ip(), IpAddr::v4(10, 1, 2, 3));
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->scope_id(), 0u);
  EXPECT_EQ(v4->len(), sizeof(sockaddr_in));
}

TEST(SocketAddrTest, DefaultAndConstructedValues) {
  const SocketAddr def;
  EXPECT_EQ(def.to_string(), "0.0.0.0:0");
  EXPECT_EQ(def.family(), AF_INET);
  EXPECT_EQ(def.port(), 0);
  EXPECT_TRUE(def.ip().is_unspecified());

  SocketAddr addr(IpAddr::v6_loopback(), 9000);
  EXPECT_EQ(addr.to_string(), "[::1]:9000");
  addr.set_port(1);
  EXPECT_EQ(addr.port(), 1);
  addr.set_scope_id(3);
  EXPECT_EQ(addr.to_string(), "[::1%3]:1");

  SocketAddr v4(IpAddr::v4_loopback(), 53);
  v4.set_scope_id(3);  // no scope field for IPv4: ignored
  EXPECT_EQ(v4.scope_id(), 0u);
  v4.set_port(65535);
  EXPECT_EQ(v4.to_string(), "127.0.0.1:65535");
}

TEST(SocketAddrTest, AsSockaddrUsesNetworkByteOrder) {
  const SocketAddr v4(IpAddr::v4(1, 2, 3, 4), 0x1234);
  ASSERT_EQ(v4.len(), sizeof(sockaddr_in));
  sockaddr_in in;
  std::memcpy(&in, v4.as_sockaddr(), sizeof(in));
  EXPECT_EQ(in.sin_family, AF_INET);
  EXPECT_EQ(in.sin_port, htons(0x1234));
  EXPECT_EQ(in.sin_addr.s_addr, htonl(0x01020304));
  for (unsigned char byte : in.sin_zero) EXPECT_EQ(byte, 0);

  const auto v6 = *SocketAddr::parse("[fe80::2%5]:443");
  ASSERT_EQ(v6.len(), sizeof(sockaddr_in6));
  sockaddr_in6 in6;
  std::memcpy(&in6, v6.as_sockaddr(), sizeof(in6));
  EXPECT_EQ(in6.sin6_family, AF_INET6);
  EXPECT_EQ(in6.sin6_port, htons(443));
  EXPECT_EQ(in6.sin6_scope_id, 5u);
  EXPECT_EQ(in6.sin6_flowinfo, 0u);
  EXPECT_EQ(in6.sin6_addr.s6_addr[0], 0xfe);
  EXPECT_EQ(in6.sin6_addr.s6_addr[15], 2);
}

TEST(SocketAddrTest, FromSockaddrIPv4) {
  sockaddr_storage storage;
  std::memset(&storage, 0xAB, sizeof(storage));  // garbage in padding must not matter
  sockaddr_in in;
  std::memset(&in, 0xCD, sizeof(in));
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  in.sin_addr.s_addr = htonl(0x7f000001);
  std::memcpy(&storage, &in, sizeof(in));

  const SocketAddr addr =
      SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), sizeof(in));
  EXPECT_EQ(addr.family(), AF_INET);
  EXPECT_EQ(addr.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(addr, SocketAddr(IpAddr::v4_loopback(), 8080));
  // A longer length (e.g. the full sockaddr_storage) is fine.
  EXPECT_EQ(SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage), sizeof(storage)),
            addr);
  // The copy is normalised: sin_zero is cleared.
  sockaddr_in out;
  std::memcpy(&out, addr.as_sockaddr(), sizeof(out));
  for (unsigned char byte : out.sin_zero) EXPECT_EQ(byte, 0);
}

TEST(SocketAddrTest, FromSockaddrIPv6) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  in6.sin6_scope_id = 2;
  in6.sin6_flowinfo = htonl(0x12345);
  ASSERT_EQ(inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr), 1);

  const SocketAddr addr =
      SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6));
  EXPECT_EQ(addr.family(), AF_INET6);
  EXPECT_EQ(addr.to_string(), "[fe80::1%2]:443");
  EXPECT_EQ(addr.scope_id(), 2u);
  // The flow label is preserved, and it takes part in equality because the kernel sees it.
  sockaddr_in6 out;
  std::memcpy(&out, addr.as_sockaddr(), sizeof(out));
  EXPECT_EQ(out.sin6_flowinfo, htonl(0x12345));
  EXPECT_NE(addr, *SocketAddr::parse("[fe80::1%2]:443"));
  in6.sin6_flowinfo = 0;
  EXPECT_EQ(SocketAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6)),
            *SocketAddr::parse("[fe80::1%2]:443"));
}

// Returns the what() of the std::invalid_argument thrown by from_sockaddr, or "" if it did not
// throw that exception.
std::string from_sockaddr_error(const sockaddr* sa, socklen_t len) {
  try {
    SocketAddr::from_sockaddr(sa, len);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

TEST(SocketAddrTest, FromSockaddrRejectsUnsupportedFamily) {
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  std::strcpy(un.sun_path, "/tmp/zokio.sock");
  const std::string error = from_sockaddr_error(reinterpret_cast<const sockaddr*>(&un), sizeof(un));
  EXPECT_NE(error.find("unsupported address family"), std::string::npos) << error;
  EXPECT_NE(error.find(std::to_string(AF_UNIX)), std::string::npos) << error;
}

TEST(SocketAddrTest, FromSockaddrRejectsShortLengthAndNull) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  const auto* sa = reinterpret_cast<const sockaddr*>(&in);
  std::string error = from_sockaddr_error(sa, sizeof(in) - 1);
  EXPECT_NE(error.find("too short for AF_INET"), std::string::npos) << error;
  error = from_sockaddr_error(sa, 0);
  EXPECT_NE(error.find("too short"), std::string::npos) << error;

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  error = from_sockaddr_error(reinterpret_cast<const sockaddr*>(&in6), sizeof(sockaddr_in));
  EXPECT_NE(error.find("too short for AF_INET6"), std::string::npos) << error;

  error = from_sockaddr_error(nullptr, sizeof(in));
  EXPECT_NE(error.find("null"), std::string::npos) << error;
}

TEST(SocketAddrTest, Equality) {
  const SocketAddr a(IpAddr::v4(1, 2, 3, 4), 80);
  EXPECT_EQ(a, *SocketAddr::parse("1.2.3.4:80"));
  EXPECT_NE(a, SocketAddr(IpAddr::v4(1, 2, 3, 4), 81));
  EXPECT_NE(a, SocketAddr(IpAddr::v4(1, 2, 3, 5), 80));
  EXPECT_NE(a, *SocketAddr::parse("[::ffff:1.2.3.4]:80"));
  EXPECT_NE(SocketAddr(IpAddr::v4_any(), 0), SocketAddr(IpAddr::v6_any(), 0));
  EXPECT_EQ(*SocketAddr::parse("[::1]:80"), SocketAddr(IpAddr::v6_loopback(), 80));
  EXPECT_NE(*SocketAddr::parse("[fe80::1%1]:80"), *SocketAddr::parse("[fe80::1%2]:80"));
  EXPECT_NE(*SocketAddr::parse("[fe80::1%1]:80"), *SocketAddr::parse("[fe80::1]:80"));

  SocketAddr copy = a;
  EXPECT_EQ(copy, a);
  copy.set_port(81);
  EXPECT_NE(copy, a);
}

TEST(SocketAddrTest, StreamOperator) {
  std::ostringstream os;
  os << SocketAddr(IpAddr::v4(1, 2, 3, 4), 80) << ' ' << *SocketAddr::parse("[::1]:80") << ' '
     << *SocketAddr::parse("[fe80::1%2]:80");
  EXPECT_EQ(os.str(), "1.2.3.4:80 [::1]:80 [fe80::1%2]:80");
}

}  // namespace
}  // namespace zokio::net
