// The client behind trusted proxies: X-Forwarded-For and Forwarded (RFC 7239), believed only as
// far as the chain of trusted proxies goes.
#include <gtest/gtest.h>

#include <stdexcept>

#include "http/server/forwarded.hpp"

namespace {

using zokio::http::detail::forwarded_client;
using zokio::http::detail::TrustedProxies;

std::string client(std::string_view forwarded, std::string_view xff, const TrustedProxies& t) {
  auto c = forwarded_client(forwarded, xff, t);
  return c ? c->to_string() : "-";
}

TEST(TrustedProxies, Networks) {
  TrustedProxies t({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "172.16.0.0/12"});
  for (const char* in : {"10.1.2.3", "192.168.1.7", "fd12::1", "172.31.255.255"}) {
    EXPECT_TRUE(t.contains(*zokio::net::IpAddr::parse(in))) << in;
  }
  for (const char* out : {"11.0.0.1", "192.168.1.8", "fe80::1", "172.32.0.1"}) {
    EXPECT_FALSE(t.contains(*zokio::net::IpAddr::parse(out))) << out;
  }
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "example.com", "fd00::/129", "1.2.3/8"}) {
    EXPECT_THROW(TrustedProxies({bad}), std::invalid_argument) << bad;
  }
}

TEST(ForwardedClient, RightMostUntrusted) {
  TrustedProxies t({"10.0.0.0/8"});
  EXPECT_EQ(client("", "203.0.113.9", t), "203.0.113.9:0");
  // The client may write anything to the left; the right-most untrusted hop is believed.
  EXPECT_EQ(client("", "6.6.6.6, 203.0.113.9, 10.0.0.2", t), "203.0.113.9:0");
  EXPECT_EQ(client("", "10.0.0.3, 10.0.0.2", t), "10.0.0.3:0");  // all trusted: as far as it goes
  EXPECT_EQ(client("", "203.0.113.9:4711", t), "203.0.113.9:4711");
  EXPECT_EQ(client("", "[2001:db8::1]:4711", t), "[2001:db8::1]:4711");
  EXPECT_EQ(client("", "2001:db8::1", t), "[2001:db8::1]:0");
  // Malformed at the right: ignored; malformed further left: the valid hop to its right stands.
  EXPECT_EQ(client("", "203.0.113.9, garbage", t), "-");
  EXPECT_EQ(client("", "garbage, 10.0.0.2", t), "10.0.0.2:0");
  EXPECT_EQ(client("", "", t), "-");
}

TEST(ForwardedClient, Rfc7239) {
  TrustedProxies t({"10.0.0.0/8"});
  EXPECT_EQ(client("for=192.0.2.60;proto=http;by=203.0.113.43", "", t), "192.0.2.60:0");
  EXPECT_EQ(client("For=\"[2001:db8:cafe::17]:4711\"", "", t), "[2001:db8:cafe::17]:4711");
  EXPECT_EQ(client("for=198.51.100.17, for=10.0.0.9", "", t), "198.51.100.17:0");
  EXPECT_EQ(client("for=unknown", "", t), "-");  // an obfuscated or unknown node
  EXPECT_EQ(client("for=_hidden, for=10.0.0.9", "", t), "10.0.0.9:0");
  // Forwarded wins over X-Forwarded-For when both are there.
  EXPECT_EQ(client("for=192.0.2.60", "203.0.113.9", t), "192.0.2.60:0");
}

}  // namespace
