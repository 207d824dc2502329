// A test fixture's HTTP server: started on an ephemeral loopback port of a 2-worker runtime,
// drained and joined on teardown.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include <zokio/http/parser.hpp>
#include <zokio/http/server.hpp>
#include <zokio/net/tcp.hpp>

#include "test_support.hpp"

namespace zokio::test {

struct Reply {
  int status = 0;
  std::string head;  // status line and fields
  std::string body;
  // The value of the first field named `name` (case-insensitive), or "" if absent.
  std::string header(std::string_view name) const {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      const std::size_t start = pos + 2;
      const std::size_t end = head.find("\r\n", start);
      const std::string line = head.substr(start, end - start);
      const std::size_t colon = line.find(':');
      if (colon == name.size() &&
          std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        std::size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        return line.substr(v);
      }
      pos = end;
    }
    return {};
  }
};

// Reads responses until `count` are complete or the peer closes.
inline Task<std::vector<Reply>> read_replies(net::TcpStream& s, std::size_t count,
                                             bool head_request = false) {
  std::vector<Reply> out;
  std::string buf;
  http::ResponseParser parser;
  char tmp[4096];
  while (out.size() < count) {
    http::ResponseHead h;
    auto st = parser.parse(buf, h, head_request);
    if (st == http::ParseStatus::kComplete) {
      std::size_t need = h.head_size + (head_request ? 0 : h.content_length);
      if (buf.size() >= need) {
        out.push_back(
            {h.status, buf.substr(0, h.head_size), buf.substr(h.head_size, need - h.head_size)});
        buf.erase(0, need);
        parser.reset();
        continue;
      }
    } else if (st == http::ParseStatus::kError) {
      ADD_FAILURE() << "unparsable response: " << buf;
      co_return out;
    }
    auto n = co_await s.read(tmp, sizeof(tmp));
    if (!n || *n == 0) co_return out;
    buf.append(tmp, *n);
  }
  co_return out;
}

inline Task<std::vector<Reply>> exchange(net::SocketAddr addr, std::string request,
                                         std::size_t count) {
  auto s = (co_await net::TcpStream::connect(addr)).value();
  auto w = co_await s.write_all(request);
  EXPECT_TRUE(w.ok());
  auto replies = co_await read_replies(s, count);
  co_return replies;
}

class HttpServerFixture : public ::testing::Test {
 protected:
  void start_server(http::Handler handler, http::ServerConfig cfg = {}) {
    cfg.address = loopback(0);
    server_ = std::make_unique<http::Server>(cfg, std::move(handler));
    run_ = rt_.spawn(server_->run());
    rt_.block_on([](http::Server* s) -> Task<void> {
      while (s->local_address().port() == 0) co_await sleep(std::chrono::milliseconds(1));
    }(server_.get()));
    addr_ = server_->local_address();
  }
  void TearDown() override {
    if (!server_) return;
    server_->shutdown(std::chrono::seconds(1));
    rt_.block_on([](JoinHandle<void> h) -> Task<void> { co_await h; }(std::move(run_)));
  }

  Runtime rt_ = make_runtime(2);
  std::unique_ptr<http::Server> server_;
  JoinHandle<void> run_;
  net::SocketAddr addr_;
};

}  // namespace zokio::test
