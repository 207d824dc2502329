// A TCP echo server: every byte a client sends comes back.
//
//   echo_server [ADDRESS:PORT]      (default 127.0.0.1:8080)
//
// One listener per worker with SO_REUSEPORT, so the kernel spreads connections over workers,
// each served by an accept loop pinned to its worker (a multishot accept on io_uring).
#include <cstdio>
#include <string>

#include <zokio/zokio.hpp>

using zokio::Task;
using zokio::net::SocketAddr;
using zokio::net::TcpListener;
using zokio::net::TcpStream;

Task<void> echo(TcpStream stream) {
  char buf[16 * 1024];
  for (;;) {
    auto n = co_await stream.read(buf, sizeof(buf));
    if (!n || *n == 0) co_return;  // error or EOF
    auto written = co_await stream.write_all(buf, *n);
    if (!written) co_return;
  }
}

Task<void> accept_loop(TcpListener listener) {
  for (;;) {
    auto accepted = co_await listener.accept();
    if (!accepted) {
      std::fprintf(stderr, "accept: %s\n", accepted.error().message().c_str());
      continue;
    }
    zokio::spawn(echo(std::move(accepted->stream))).detach();
  }
}

int main(int argc, char** argv) {
  std::string text = argc > 1 ? argv[1] : "127.0.0.1:8080";
  auto addr = SocketAddr::parse(text);
  if (!addr) {
    std::fprintf(stderr, "echo_server: '%s' is not an address like 127.0.0.1:8080 or [::1]:8080\n",
                 text.c_str());
    return 2;
  }
  zokio::Runtime rt;
  std::vector<zokio::JoinHandle<void>> loops;
  for (std::size_t i = 0; i < rt.worker_count(); ++i) {
    auto listener = TcpListener::bind(*addr, {.reuse_port = true});
    if (!listener) {
      std::fprintf(stderr, "echo_server: cannot listen on %s: %s\n", text.c_str(),
                   listener.error().message().c_str());
      return 1;
    }
    loops.push_back(rt.spawn_pinned(i, accept_loop(std::move(listener.value()))));
  }
  std::printf("echo server on %s (%zu workers, %s)\n", text.c_str(), rt.worker_count(),
              zokio::to_string(rt.io_backend()));
  std::fflush(stdout);
  rt.block_on([](auto loops) -> Task<void> {
    for (auto& l : loops) co_await l;
  }(std::move(loops)));
}
