// A TCP echo client: opens CONNECTIONS connections to an echo server, sends ROUNDS messages on
// each and checks every echoed byte.
//
//   echo_client [ADDRESS:PORT] [CONNECTIONS] [ROUNDS]     (default 127.0.0.1:8080 10 100)
//
// Exits 0 if every byte came back, 1 otherwise, 2 on bad arguments.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <zokio/zokio.hpp>

using zokio::Task;
using zokio::net::SocketAddr;
using zokio::net::TcpStream;

Task<long> client(SocketAddr addr, int id, int rounds) {
  auto stream = co_await TcpStream::connect(addr, std::chrono::seconds(5));
  if (!stream) {
    std::fprintf(stderr, "connect %s: %s\n", addr.to_string().c_str(),
                 stream.error().message().c_str());
    co_return 0;
  }
  (void)stream->set_nodelay(true);
  long ok = 0;
  for (int r = 0; r < rounds; ++r) {
    std::string msg = "connection " + std::to_string(id) + " message " + std::to_string(r) + "\n";
    auto sent = co_await stream->write_all(msg);
    if (!sent) break;
    std::string back(msg.size(), '\0');
    auto got = co_await stream->read_exact(back.data(), back.size());
    if (!got) break;
    if (back == msg) ++ok;
  }
  co_return ok;
}

Task<long> run_all(SocketAddr addr, int connections, int rounds) {
  std::vector<zokio::JoinHandle<long>> handles;
  for (int c = 0; c < connections; ++c) handles.push_back(zokio::spawn(client(addr, c, rounds)));
  long total = 0;
  for (auto& h : handles) total += co_await h;
  co_return total;
}

int main(int argc, char** argv) {
  std::string text = argc > 1 ? argv[1] : "127.0.0.1:8080";
  auto addr = SocketAddr::parse(text);
  int connections = argc > 2 ? std::atoi(argv[2]) : 10;
  int rounds = argc > 3 ? std::atoi(argv[3]) : 100;
  if (!addr || connections <= 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: echo_client [ADDRESS:PORT] [CONNECTIONS > 0] [ROUNDS > 0]\n");
    return 2;
  }
  zokio::Runtime rt;
  auto start = std::chrono::steady_clock::now();
  long ok = rt.block_on(run_all(*addr, connections, rounds));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long expected = long{connections} * rounds;
  std::printf("%ld/%ld round trips verified in %.3f s (%.0f/s)\n", ok, expected, secs, ok / secs);
  return ok == expected ? 0 : 1;
}
