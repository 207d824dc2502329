// PROXY protocol headers, v1 and v2: the client address, every prefix of a valid header
// incomplete, and malformed or oversized headers refused.
#include <gtest/gtest.h>

#include <string>

#include "http/parser/proxy_header.hpp"

namespace {

using namespace zokio::http::detail;
using namespace std::string_literals;

std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& body) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h.push_back(static_cast<char>(ver_cmd));
  h.push_back(static_cast<char>(fam));
  h.push_back(static_cast<char>(body.size() >> 8));
  h.push_back(static_cast<char>(body.size() & 0xFF));
  return h + body;
}

// Every proper prefix is incomplete, and the whole parses as `want` consuming all of it.
void expect_whole(const std::string& header, ProxyStatus want = ProxyStatus::kDone) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    EXPECT_EQ(parse_proxy_header(header.substr(0, n)).status, ProxyStatus::kIncomplete)
        << "prefix " << n << " of " << testing::PrintToString(header);
  }
  const auto r = parse_proxy_header(header + "GET / HTTP/1.1\r\n");
  EXPECT_EQ(r.status, want) << testing::PrintToString(header);
  if (want == ProxyStatus::kDone) {
    EXPECT_EQ(r.consumed, header.size());
  }
}

TEST(ProxyHeader, Version1) {
  expect_whole("PROXY TCP4 203.0.113.7 192.0.2.1 5000 80\r\n");
  auto r = parse_proxy_header("PROXY TCP4 203.0.113.7 192.0.2.1 5000 80\r\n");
  ASSERT_TRUE(r.source.known);
  EXPECT_FALSE(r.source.v6);
  EXPECT_EQ(r.source.addr[0], 203);
  EXPECT_EQ(r.source.addr[3], 7);
  EXPECT_EQ(r.source.port, 5000);
  expect_whole("PROXY TCP6 2001:db8::1 2001:db8::2 65535 443\r\n");
  r = parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 65535 443\r\n");
  EXPECT_TRUE(r.source.known && r.source.v6 && r.source.addr[3] == 0xb8 && r.source.port == 65535);
  expect_whole("PROXY UNKNOWN\r\n");
  EXPECT_FALSE(parse_proxy_header("PROXY UNKNOWN ffff::1 ::1 1 2\r\n").source.known);
  for (const char* bad :
       {"PROXY TCP4 203.0.113.7 192.0.2.1 5000\r\n", "PROXY TCP4 2001:db8::1 192.0.2.1 5000 80\r\n",
        "PROXY TCP6 203.0.113.7 192.0.2.1 5000 80\r\n",
        "PROXY TCP4 203.0.113.7 192.0.2.1 70000 80\r\n",
        "PROXY TCP4 203.0.113.7 192.0.2.1 05000 80\r\n",
        "PROXY TCP4 203.0.113.7 192.0.2.1 5000 80 x\r\n",
        "PROXY UDP4 203.0.113.7 192.0.2.1 5000 80\r\n", "PROXY \r\n", "GET / HTTP/1.1\r\n",
        "proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n"}) {
    EXPECT_EQ(parse_proxy_header(bad).status, ProxyStatus::kInvalid) << bad;
  }
  // A line longer than the specification's 107 bytes never completes.
  EXPECT_EQ(parse_proxy_header("PROXY UNKNOWN " + std::string(120, 'x')).status,
            ProxyStatus::kInvalid);
}

TEST(ProxyHeader, Version2) {
  const std::string inet = "\xcb\x00\x71\x07"s + "\xc0\x00\x02\x01"s + "\x13\x88\x00\x50"s;
  expect_whole(v2(0x21, 0x11, inet));
  auto r = parse_proxy_header(v2(0x21, 0x11, inet));
  EXPECT_TRUE(r.source.known && !r.source.v6 && r.source.addr[0] == 0xcb && r.source.port == 5000);
  std::string inet6(36, '\0');
  inet6[0] = '\x20';
  inet6[1] = '\x01';
  inet6[32] = '\x01';
  inet6[33] = '\xbb';
  r = parse_proxy_header(v2(0x21, 0x21, inet6));
  EXPECT_TRUE(r.source.known && r.source.v6 && r.source.addr[0] == 0x20 && r.source.port == 443);
  // TLVs after the addresses are skipped.
  r = parse_proxy_header(v2(0x21, 0x11, inet + "\x04\x00\x03xyz"s));
  EXPECT_EQ(r.consumed, 16u + 12 + 6);
  EXPECT_TRUE(r.source.known);
  // LOCAL (a health check from the proxy itself) and UNSPEC keep the connection's address.
  expect_whole(v2(0x20, 0x00, ""));
  EXPECT_FALSE(parse_proxy_header(v2(0x20, 0x11, inet)).source.known);
  EXPECT_FALSE(parse_proxy_header(v2(0x21, 0x00, "")).source.known);
  for (const std::string& bad : {v2(0x11, 0x11, inet), v2(0x22, 0x11, inet), v2(0x21, 0x41, inet),
                                 v2(0x21, 0x11, inet.substr(0, 8)), v2(0x21, 0x21, inet),
                                 v2(0x21, 0x11, inet + std::string(kMaxProxyHeader, 'x'))}) {
    EXPECT_EQ(parse_proxy_header(bad).status, ProxyStatus::kInvalid) << testing::PrintToString(bad);
  }
}

}  // namespace
