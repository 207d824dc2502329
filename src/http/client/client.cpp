// http::Client (see client.hpp).
#include "zokio/http/client.hpp"

#include <atomic>
#include <charconv>
#include <cstring>

#include "zokio/time.hpp"

namespace zokio::http {

struct Client::Pool {
  std::mutex mu;
  std::map<std::string, std::vector<net::TcpStream>> idle;  // by "ip:port"
  std::atomic<std::size_t> opened{0};
};

namespace {

std::error_code bad_message() {
  return std::make_error_code(std::errc::bad_message);
}

std::string render_request(const ClientRequest& req, const net::SocketAddr& addr) {
  std::string out;
  out.reserve(128 + req.body.size());
  out.append(req.method).append(" ").append(req.target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& [name, value] : req.headers) {
    if (iequals(name, "host")) has_host = true;
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_host) out.append("Host: ").append(addr.to_string()).append("\r\n");
  const bool send_length =
      !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (send_length)
    out.append("Content-Length: ").append(std::to_string(req.body.size())).append("\r\n");
  out.append("\r\n");
  out.append(req.body);
  return out;
}

bool has_crlf(std::string_view s) noexcept {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// Reads more bytes into buf; an error or EOF becomes an error code.
Task<std::error_code> fill(net::TcpStream& s, std::string& buf) {
  char tmp[16 * 1024];
  auto n = co_await s.read(tmp, sizeof(tmp));
  if (!n) co_return n.error();
  if (*n == 0) co_return make_error_code(IoErrc::kUnexpectedEof);
  buf.append(tmp, *n);
  co_return std::error_code{};
}

struct Exchange {
  ClientResponse response;
  bool keep_alive = false;  // the connection may carry another request afterwards
};

// Reads one final response (skipping 1xx interim ones) from `buf` and the socket. Bytes past it
// (pipelined responses) stay in `buf`. `got_bytes` turns true once any response byte arrived.
Task<IoResult<Exchange>> read_response(net::TcpStream& s, std::string& buf, bool head,
                                       const ParseLimits& limits, bool* got_bytes) {
  ResponseParser parser(limits);
  ResponseHead h;
  for (;;) {
    auto st = parser.parse(buf, h, head);
    if (st == ParseStatus::kError) co_return bad_message();
    if (st == ParseStatus::kComplete) {
      if (h.status >= 100 && h.status < 200 && h.status != 101) {  // interim: skip it
        buf.erase(0, h.head_size);
        parser.reset();
        continue;
      }
      break;
    }
    auto err = co_await fill(s, buf);
    if (err) co_return err;
    *got_bytes = true;
  }
  *got_bytes = true;
  // A compression transfer coding we would have to undo: we do not implement it.
  if (h.compressed_transfer) co_return std::make_error_code(std::errc::not_supported);
  Exchange ex;
  ex.response.status = h.status;
  ex.response.version_minor = h.version_minor;
  for (const auto& f : h.headers) {
    auto& [name, value] = ex.response.headers.emplace_back(f.name, f.value);
    (void)name;
    // Unfold obs-fold (RFC 9112 §5.2): the parser extends a folded value over the line break.
    for (char& c : value) {
      if (c == '\r' || c == '\n') c = ' ';
    }
  }
  const bool keep_alive = h.keep_alive;
  const auto framing = h.framing;
  const std::uint64_t length = h.content_length;
  buf.erase(0, h.head_size);  // h's views are dead from here on
  switch (framing) {
    case BodyFraming::kNone:
      ex.keep_alive = keep_alive;
      break;
    case BodyFraming::kContentLength: {
      if (length > limits.max_body) co_return std::make_error_code(std::errc::message_size);
      while (buf.size() < length) {
        auto err = co_await fill(s, buf);
        if (err) co_return err;
      }
      ex.response.body.assign(buf, 0, static_cast<std::size_t>(length));
      buf.erase(0, static_cast<std::size_t>(length));
      ex.keep_alive = keep_alive;
      break;
    }
    case BodyFraming::kChunked: {
      ChunkedDecoder dec(limits.max_body);
      for (;;) {
        auto res = dec.decode(buf, [&](std::string_view d) { ex.response.body.append(d); });
        buf.erase(0, res.consumed);
        if (res.status == ParseStatus::kComplete) break;
        if (res.status == ParseStatus::kError) co_return bad_message();
        auto err = co_await fill(s, buf);
        if (err) co_return err;
      }
      ex.keep_alive = keep_alive;
      break;
    }
    case BodyFraming::kUntilClose:
      for (;;) {
        auto err = co_await fill(s, buf);
        if (err == make_error_code(IoErrc::kUnexpectedEof)) break;
        if (err) co_return err;
        if (buf.size() > limits.max_body) co_return std::make_error_code(std::errc::message_size);
      }
      ex.response.body = std::move(buf);
      buf.clear();
      ex.keep_alive = false;
      break;
  }
  co_return ex;
}

struct Batch {
  std::vector<ClientResponse> responses;
  bool reusable = false;
};

// Sends every request in one write and reads their responses in order.
Task<IoResult<Batch>> exchange(net::TcpStream& s, std::string wire, std::vector<bool> heads,
                               ParseLimits limits, bool* got_bytes) {
  auto sent = co_await s.write_all(wire);
  if (!sent) co_return sent.error();
  std::string buf;
  Batch batch;
  bool keep_alive = true;
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (!keep_alive) co_return make_error_code(IoErrc::kUnexpectedEof);  // closed mid-batch
    auto r = co_await read_response(s, buf, heads[i], limits, got_bytes);
    if (!r) co_return r.error();
    keep_alive = r->keep_alive;
    batch.responses.push_back(std::move(r->response));
  }
  batch.reusable = keep_alive && buf.empty();
  co_return batch;
}

bool valid_request(const ClientRequest& req) noexcept {
  if (has_crlf(req.method) || has_crlf(req.target) || req.method.empty() || req.target.empty()) {
    return false;
  }
  for (const auto& [n, v] : req.headers) {
    if (has_crlf(n) || has_crlf(v)) return false;
  }
  return true;
}

}  // namespace

std::string_view ClientResponse::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return {};
}

std::optional<Url> Url::parse(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  text.remove_prefix(kScheme.size());
  auto slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  Url url;
  // Appended piecewise: g++ 12 at -O3 misreports insert(0, ...) and "/" + s (-Wrestrict).
  url.target.reserve(text.size() + 2);
  if (slash == std::string_view::npos || text[slash] == '?') url.target.push_back('/');
  if (slash != std::string_view::npos) url.target.append(text.substr(slash));
  if (authority.empty() || has_crlf(url.target) || url.target.find(' ') != std::string::npos) {
    return std::nullopt;
  }
  url.host = std::string(authority);
  std::string_view hostpart = authority;
  std::uint16_t port = 80;
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    auto p = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty() || value > 65535) {
      return std::nullopt;
    }
    port = static_cast<std::uint16_t>(value);
    hostpart = authority.substr(0, colon);
  }
  if (hostpart == "localhost") {
    url.address = net::SocketAddr(net::IpAddr::v4_loopback(), port);
    return url;
  }
  if (hostpart.size() > 2 && hostpart.front() == '[' && hostpart.back() == ']') {
    hostpart = hostpart.substr(1, hostpart.size() - 2);
  }
  auto ip = net::IpAddr::parse(hostpart);
  if (!ip) return std::nullopt;
  url.address = net::SocketAddr(*ip, port);
  return url;
}

Client::Client(ClientConfig config) : config_(config), pool_(std::make_unique<Pool>()) {}
Client::~Client() = default;

std::size_t Client::connections_opened() const noexcept {
  return pool_->opened.load();
}

Task<IoResult<std::vector<ClientResponse>>> Client::pipeline(net::SocketAddr addr,
                                                             std::vector<ClientRequest> reqs) {
  if (reqs.empty()) co_return std::vector<ClientResponse>{};
  std::string wire;
  std::vector<bool> heads;
  for (const auto& req : reqs) {
    if (!valid_request(req)) co_return std::make_error_code(std::errc::invalid_argument);
    wire += render_request(req, addr);
    heads.push_back(req.method == "HEAD");
  }
  const std::string key = addr.to_string();
  for (int attempt = 0; attempt < 2; ++attempt) {
    net::TcpStream stream;
    bool pooled = false;
    if (attempt == 0) {
      std::lock_guard lock(pool_->mu);
      auto& idle = pool_->idle[key];
      if (!idle.empty()) {
        stream = std::move(idle.back());
        idle.pop_back();
        pooled = true;
      }
    }
    if (!pooled) {
      auto c = co_await net::TcpStream::connect(addr, config_.connect_timeout);
      if (!c) co_return c.error();
      pool_->opened.fetch_add(1, std::memory_order_relaxed);
      (void)c->set_nodelay(true);
      stream = std::move(c.value());
    }
    bool got_bytes = false;
    auto r = co_await timeout(config_.request_timeout,
                              exchange(stream, wire, heads, config_.limits, &got_bytes));
    if (!r) co_return r.error();  // timed out
    if (!*r) {
      // A pooled connection the server closed while idle fails before any reply: retry once
      // on a fresh connection.
      if (pooled && !got_bytes) continue;
      co_return r->error();
    }
    Batch batch = std::move(r->value());
    if (batch.reusable) {
      std::lock_guard lock(pool_->mu);
      auto& idle = pool_->idle[key];
      if (idle.size() < config_.max_idle_per_host) idle.push_back(std::move(stream));
    }
    co_return std::move(batch.responses);
  }
  co_return make_error_code(IoErrc::kUnexpectedEof);
}

Task<IoResult<ClientResponse>> Client::request(net::SocketAddr addr, ClientRequest req) {
  std::vector<ClientRequest> one;
  one.push_back(std::move(req));
  auto r = co_await pipeline(addr, std::move(one));
  if (!r) co_return r.error();
  co_return std::move(r->front());
}

Task<IoResult<ClientResponse>> Client::get(std::string url_text) {
  auto url = Url::parse(url_text);
  if (!url) co_return std::make_error_code(std::errc::invalid_argument);
  ClientRequest req;
  req.target = url->target;
  req.headers.emplace_back("Host", url->host);
  auto r = co_await request(url->address, std::move(req));
  co_return r;
}

}  // namespace zokio::http
