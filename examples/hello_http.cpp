// A small HTTP server: "Hello, World!" on /, a JSON answer on /json, and POST /echo.
//
//   hello_http [ADDRESS:PORT] [WORKERS]   (default 127.0.0.1:8080, one worker per CPU;
//                                          Ctrl-C drains and exits)
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <zokio/http/server.hpp>
#include <zokio/zokio.hpp>

using namespace zokio;

Task<http::Response> handle(http::Request& req) {
  if (req.path() == "/json") co_return http::Response::json(R"({"message":"Hello, World!"})");
  if (req.path() == "/echo" && req.method() == "POST") {
    auto body = co_await req.body();
    if (!body) co_return http::Response::text("could not read the body\n", 400);
    co_return http::Response::bytes(std::string(*body), "application/octet-stream");
  }
  if (req.path() == "/" || req.path() == "/hello") co_return http::Response::text("Hello, World!");
  co_return http::Response::text("not found\n", 404);
}

int main(int argc, char** argv) {
  std::string text = argc > 1 ? argv[1] : "127.0.0.1:8080";
  auto addr = net::SocketAddr::parse(text);
  if (!addr) {
    std::fprintf(stderr, "hello_http: '%s' is not an address like 127.0.0.1:8080\n", text.c_str());
    return 2;
  }
  const int workers = argc > 2 ? std::atoi(argv[2]) : 0;
  if (argc > 2 && (workers < 1 || workers > 1024)) {
    std::fprintf(stderr, "hello_http: WORKERS must be a number from 1 to 1024\n");
    return 2;
  }
  // Signals are taken by a thread of our own (sigwait), so the workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto builder = Runtime::builder();
  if (workers > 0) builder.worker_threads(static_cast<std::size_t>(workers));
  Runtime rt = builder.build();
  http::ServerConfig config;
  config.address = *addr;
  http::Server server(config, handle);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "hello_http: draining\n");
    server.shutdown(std::chrono::seconds(5));
  });
  try {
    std::printf("hello_http on http://%s (%zu workers, %s)\n", text.c_str(), rt.worker_count(),
                to_string(rt.io_backend()));
    std::fflush(stdout);
    rt.block_on(server.run());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hello_http: %s\n", e.what());
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    return 1;
  }
  waiter.join();
  return 0;
}
