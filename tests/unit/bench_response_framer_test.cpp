// zokio-bench's response framer: where each response of a stream ends, fed whole, in pieces,
// pipelined, chunked, until close, with interim responses and with bad framing.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "zokio-bench/response_framer.hpp"

namespace {

using zokio::bench::ResponseFramer;
using Event = ResponseFramer::Event;

constexpr std::string_view kHello =
    "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
constexpr std::string_view kChunked =
    "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";

struct Framed {
  std::vector<int> statuses;
  std::vector<bool> keep_alive;
  bool error = false;
  std::string rest;  // bytes left unconsumed
};

// Feeds `stream` in pieces of `step` bytes, as a reader with a growing buffer would.
Framed frame(std::string_view stream, std::size_t step, bool head = false) {
  ResponseFramer framer(head);
  Framed out;
  std::string buf;
  std::size_t fed = 0;
  while (!out.error) {
    const auto r = framer.feed(buf);
    buf.erase(0, r.consumed);
    if (r.event == Event::kResponse) {
      out.statuses.push_back(r.status);
      out.keep_alive.push_back(r.keep_alive);
      continue;
    }
    if (r.event == Event::kError) {
      out.error = true;
      break;
    }
    if (fed == stream.size()) {
      const auto eof = framer.finish_at_eof();
      if (eof.event == Event::kResponse) {
        out.statuses.push_back(eof.status);
        out.keep_alive.push_back(eof.keep_alive);
      }
      break;
    }
    const std::size_t n = std::min(step, stream.size() - fed);
    buf.append(stream.substr(fed, n));
    fed += n;
  }
  out.rest = buf;
  return out;
}

TEST(BenchResponseFramer, FramesPipelinedResponsesInAnyPieces) {
  const std::string stream = std::string(kHello) + std::string(kChunked) + std::string(kHello);
  for (std::size_t step :
       {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{64}, stream.size()}) {
    const Framed f = frame(stream, step);
    EXPECT_FALSE(f.error) << step;
    EXPECT_EQ(f.statuses, (std::vector<int>{200, 201, 200})) << step;
    EXPECT_EQ(f.keep_alive, (std::vector<bool>{true, true, true})) << step;
    EXPECT_TRUE(f.rest.empty()) << step;
  }
}

TEST(BenchResponseFramer, SkipsInterimResponses) {
  const std::string stream =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
      std::string(kHello);
  EXPECT_EQ(frame(stream, 3).statuses, std::vector<int>{200});
}

TEST(BenchResponseFramer, ReportsConnectionClose) {
  const Framed f = frame("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 5);
  EXPECT_EQ(f.statuses, std::vector<int>{503});
  EXPECT_EQ(f.keep_alive, std::vector<bool>{false});
}

TEST(BenchResponseFramer, BodyUntilCloseEndsAtEof) {
  const Framed f = frame("HTTP/1.0 200 OK\r\n\r\nsome body that runs until the end", 4);
  EXPECT_FALSE(f.error);
  EXPECT_EQ(f.statuses, std::vector<int>{200});
  EXPECT_EQ(f.keep_alive, std::vector<bool>{false});
}

TEST(BenchResponseFramer, EofInsideAResponseIsNoResponse) {
  const Framed f = frame(kHello.substr(0, kHello.size() - 3), 8);
  EXPECT_FALSE(f.error);
  EXPECT_TRUE(f.statuses.empty());
}

TEST(BenchResponseFramer, HeadResponsesHaveNoBody) {
  const std::string stream =
      "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n";
  EXPECT_EQ(frame(stream, 10, /*head=*/true).statuses, (std::vector<int>{200, 200}));
}

TEST(BenchResponseFramer, RejectsBadFraming) {
  EXPECT_TRUE(
      frame("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 4).error);
  EXPECT_TRUE(frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4).error);
  EXPECT_TRUE(frame("NOT HTTP AT ALL\r\n\r\n", 64).error);
}

TEST(BenchResponseFramer, LargeBodiesAreCountedNotKept) {
  const std::string body(1 << 20, 'x');
  const std::string stream =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const Framed f = frame(stream, 16 * 1024);
  EXPECT_EQ(f.statuses, std::vector<int>{200});
  EXPECT_TRUE(f.rest.empty());
}

}  // namespace
