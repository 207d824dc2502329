// HTTP messages as handlers see them: Request (views into the connection's buffer, body read on
// demand) and Response (status, headers, body) with builders for the common cases.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zokio/http/parser.hpp"
#include "zokio/io_result.hpp"
#include "zokio/net/address.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

namespace detail {
class Connection;
// The path of an absolute-form target's path part ("http://host/a" -> "/a", "http://host" ->
// "/"); any other target as it is.
std::string_view origin_path(std::string_view target_path) noexcept;
// A method of RFC 9110 §9.3 or PATCH (RFC 5789).
bool is_standard_method(std::string_view method) noexcept;
}  // namespace detail
class Router;

// Handed to a streaming response's producer: each write() sends one chunk of the body at once
// (chunked transfer coding; close-delimited for an HTTP/1.0 client).
class BodyWriter {
 public:
  // Fails (and the connection closes) when the client is gone or too slow.
  Task<IoResult<void>> write(std::string_view data);

 private:
  friend class detail::Connection;
  explicit BodyWriter(detail::Connection* conn) noexcept : conn_(conn) {}
  detail::Connection* conn_;
};

// An open file descriptor shared by the responses that send it (closed with the last one).
class OpenFile {
 public:
  explicit OpenFile(int fd) noexcept : fd_(fd) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

class Request {
 public:
  std::string_view method() const noexcept { return head_.method; }
  std::string_view target() const noexcept { return head_.target; }
  // The path: the target up to '?' (for an absolute-form target, "http://host/a?q", the part
  // after the authority: "/a"; "/" if it has none). Every handler should route on this.
  std::string_view path() const noexcept {
    const std::string_view p = head_.target.substr(0, query_at());
    return !p.empty() && p.front() == '/' ? p : detail::origin_path(p);
  }
  // What follows the '?' of the target (empty if none).
  std::string_view query() const noexcept {
    auto q = query_at();
    return q < head_.target.size() ? head_.target.substr(q + 1) : std::string_view{};
  }
  int version_minor() const noexcept { return head_.version_minor; }
  bool keep_alive() const noexcept { return head_.keep_alive; }
  std::span<const Header> headers() const noexcept { return head_.headers; }
  // First value of a header, matched case-insensitively; empty if absent.
  std::string_view header(std::string_view name) const noexcept { return head_.header(name); }
  const net::SocketAddr& peer() const noexcept { return peer_; }
  bool has_body() const noexcept { return head_.framing != BodyFraming::kNone; }
  // A path parameter captured by the Router (`/users/:id` -> param("id"), `/files/*rest` ->
  // param("rest")), as it appears in the target (still percent-encoded); empty if absent.
  std::string_view param(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < param_count_; ++i) {
      if (params_[i].first == name) return params_[i].second;
    }
    return {};
  }

  // Reads the whole body (Content-Length or chunked, up to the server's body limit), sending
  // "100 Continue" first if the client asked for it. An error (timeout, reset, bad chunked
  // framing, too large) also makes the connection close after the response. The view stays
  // valid until the handler returns.
  Task<IoResult<std::string_view>> body();
  // Streams the body instead: the next piece (buffered bytes first, then at most one read per
  // call); an empty view once the body is complete. Each view is valid until the next call. A
  // body() call after some pieces returns the rest.
  Task<IoResult<std::string_view>> read_some();

 private:
  friend class detail::Connection;
  friend class Router;
  static constexpr std::size_t kMaxParams = 8;
  std::size_t query_at() const noexcept {
    auto q = head_.target.find('?');
    return q == std::string_view::npos ? head_.target.size() : q;
  }
  RequestHead head_;
  net::SocketAddr peer_;
  detail::Connection* conn_ = nullptr;
  std::array<std::pair<std::string_view, std::string_view>, kMaxParams> params_{};
  std::size_t param_count_ = 0;
};

class Response {
 public:
  Response() = default;
  explicit Response(int status) : status_(status) {}

  // text() and json() name their Content-Type by a string literal: building them allocates
  // nothing beyond the body (none at all for a body that fits std::string's inline buffer).
  static Response text(std::string body, int status = 200) {
    Response r(status);
    r.body_ = std::move(body);
    r.static_type_ = "text/plain; charset=utf-8";
    return r;
  }
  static Response json(std::string body, int status = 200) {
    Response r(status);
    r.body_ = std::move(body);
    r.static_type_ = "application/json";
    return r;
  }
  static Response bytes(std::string body, std::string content_type, int status = 200) {
    return Response(status).with_body(std::move(body), std::move(content_type));
  }
  // A body produced while it is sent: the head goes out first, then every producer write()
  // as a chunk. If the producer throws, the connection closes without the final chunk, so the
  // client sees a truncated body rather than a complete one.
  using Producer = std::function<Task<void>(BodyWriter&)>;
  static Response stream(Producer producer, std::string content_type, int status = 200) {
    Response r(status);
    r.producer_ = std::move(producer);
    r.content_type(std::move(content_type));
    return r;
  }

  // A byte range of a file as the body, sent with sendfile(2): from the page cache to the
  // socket without a copy through user space. The file must not shrink while it is sent (the
  // connection closes if it does, since the length was promised in Content-Length).
  static Response file(std::shared_ptr<const OpenFile> file, std::uint64_t offset,
                       std::uint64_t length, std::string content_type, int status = 200) {
    Response r(status);
    r.file_ = std::move(file);
    r.file_offset_ = offset;
    r.file_length_ = length;
    r.content_type(std::move(content_type));
    return r;
  }

  // Adds a header (names and values are checked when the response is written: a CR, LF or
  // NUL in either turns the response into a 500 rather than a header injection). A
  // Content-Type header replaces the response's content type.
  Response& header(std::string name, std::string value) {
    if (is_content_type(name)) return content_type(std::move(value));
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Response& content_type(std::string type) {
    owned_type_ = std::move(type);
    static_type_ = {};
    type_owned_ = true;
    return *this;
  }
  Response& with_body(std::string body, std::string content_type_value) {
    body_ = std::move(body);
    return content_type(std::move(content_type_value));
  }
  Response& status(int s) noexcept {
    status_ = s;
    return *this;
  }
  // Ends the connection after this response.
  Response& close() noexcept {
    close_ = true;
    return *this;
  }

  int status() const noexcept { return status_; }
  std::string_view content_type() const noexcept {
    return type_owned_ ? std::string_view(owned_type_) : static_type_;
  }
  const std::string& body() const noexcept { return body_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }
  bool closes() const noexcept { return close_; }
  bool streaming() const noexcept { return static_cast<bool>(producer_); }
  const std::shared_ptr<const OpenFile>& file() const noexcept { return file_; }
  std::uint64_t file_offset() const noexcept { return file_offset_; }
  // The length of the body, whether it is a string or a file range.
  std::uint64_t body_size() const noexcept { return file_ ? file_length_ : body_.size(); }
  // Replaces a string body (middleware such as compression); drops a file body.
  void set_body(std::string body) {
    body_ = std::move(body);
    file_.reset();
  }
  // A header's first value, matched case-insensitively; empty if absent.
  std::string_view header_value(std::string_view name) const noexcept;
  const Producer& producer() const noexcept { return producer_; }

 private:
  static bool is_content_type(std::string_view name) noexcept {
    constexpr std::string_view kName = "content-type";
    if (name.size() != kName.size()) return false;
    for (std::size_t i = 0; i < kName.size(); ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kName[i]) return false;
    }
    return true;
  }

  int status_ = 200;
  bool close_ = false;
  bool type_owned_ = false;
  std::string_view static_type_;  // a string literal (text(), json())
  std::string owned_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  Producer producer_;
  std::shared_ptr<const OpenFile> file_;
  std::uint64_t file_offset_ = 0;
  std::uint64_t file_length_ = 0;
};

// What a server runs for each request.
using Handler = std::function<Task<Response>(Request&)>;

}  // namespace zokio::http
