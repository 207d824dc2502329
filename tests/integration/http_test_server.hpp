// A test fixture's HTTP server: started on an ephemeral loopback port of a 2-worker runtime,
// drained and joined on teardown.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include <zokio/http/server.hpp>

#include "test_support.hpp"

namespace zokio::test {

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
