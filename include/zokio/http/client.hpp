// http::Client: an HTTP/1.1 client with a keep-alive connection pool per host, Content-Length,
// chunked and read-until-close response bodies, optional pipelining, and connect and request
// timeouts. Redirects are not followed (a 3xx is returned as it is).
//
//   http::Client client;
//   auto r = co_await client.get("http://127.0.0.1:8080/hello");
//   if (r && r->status == 200) use(r->body);
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zokio/http/parser.hpp"
#include "zokio/io_result.hpp"
#include "zokio/net/address.hpp"
#include "zokio/net/tcp.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

struct ClientConfig {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};  // sending the request and reading the reply
  std::size_t max_idle_per_host = 16;                 // pooled keep-alive connections
  ParseLimits limits;                                 // for responses (max_body bounds the body)
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length when non-empty (or for POST/PUT/PATCH)
};

struct ClientResponse {
  int status = 0;
  int version_minor = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // First value of a header, matched case-insensitively; empty if absent.
  std::string_view header(std::string_view name) const noexcept;
};

// "http://host:port/path?query" with a numeric IPv4/IPv6 host or "localhost"; nullopt otherwise.
struct Url {
  net::SocketAddr address;
  std::string host;    // as written, for the Host header
  std::string target;  // path and query, "/" if empty
  static std::optional<Url> parse(std::string_view text);
};

// One Client may be shared by any number of tasks on any workers (its connection pool is
// locked). It must outlive the tasks its calls return.
class Client {
 public:
  explicit Client(ClientConfig config = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Sends `req` to `addr` (Host: the address unless the request sets one), reusing a pooled
  // connection when one is idle. Errors are values: refused, timed out, reset, bad_message
  // (an unparsable or oversized response).
  Task<IoResult<ClientResponse>> request(net::SocketAddr addr, ClientRequest req);
  // GET of "http://host:port/path". The task may run after the call returns (it is lazy), so it
  // keeps its own copy of the URL. invalid_argument for a URL Url::parse refuses.
  Task<IoResult<ClientResponse>> get(std::string url);
  // Pipelining: sends every request in one write on one connection and returns the responses
  // in order. Fails as a whole if the connection fails or closes before the last response.
  Task<IoResult<std::vector<ClientResponse>>> pipeline(net::SocketAddr addr,
                                                       std::vector<ClientRequest> reqs);

  // Connections opened so far (reuse shows as fewer connections than requests).
  std::size_t connections_opened() const noexcept;

 private:
  struct Pool;
  ClientConfig config_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace zokio::http
