// The connection engine: one task per accepted connection. It parses every complete request
// in its buffer (pipelining), runs the handler, renders the responses of the batch into one
// output buffer and sends them with one write. Request heads are views into the input buffer,
// which therefore never moves while a handler runs; bytes that arrive for the next request
// while a chunked body is read wait in `pending_` until the handler is done.
//
// Bounds against hostile clients: a body buffer grows with the bytes that arrived, never with
// the length announced; buffers beyond kKeepCapacity are returned after each request; every
// timeout restarts when bytes move, except the header timeout, which bounds a whole head (and
// the wait for the first request); the bytes a connection holds are counted in its worker's
// `buffered_bytes`.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "http/parser/proxy_header.hpp"
#include "http/server/response_writer.hpp"
#include "http/server/server_state.hpp"
#include "zokio/net/tcp.hpp"
#include "zokio/time.hpp"

namespace zokio::http::detail {

namespace {
constexpr std::size_t kInitialBuffer = 4096;
static_assert(kMaxProxyHeader <= kInitialBuffer, "a PROXY header fits the first buffer");
constexpr std::size_t kFlushThreshold = 256 * 1024;  // flush mid-batch beyond this
constexpr std::uint64_t kMaxDrain = 64 * 1024;       // unread body we read and discard
constexpr std::size_t kScratch = 16 * 1024;
// Response bodies this large are written from the response itself, not copied into out_.
constexpr std::size_t kDirectBody = 64 * 1024;
// The unsent bytes below which a writer is woken (TCP_NOTSENT_LOWAT).
constexpr int kNotSentLowWater = 128 * 1024;
// Buffers larger than this are freed after the request rather than kept for the next one.
constexpr std::size_t kKeepCapacity = 64 * 1024;

void release_if_large(std::string& s) noexcept {
  if (s.capacity() > kKeepCapacity) std::string().swap(s);
}

}  // namespace

class Connection {
 public:
  Connection(ServerState& st, WorkerSlot& slot, std::list<ConnEntry>::iterator entry,
             net::TcpStream stream, net::SocketAddr peer)
      : st_(st),
        slot_(slot),
        entry_(entry),
        stream_(std::move(stream)),
        peer_(peer),
        parser_(st.config.limits),
        chunked_(st.config.limits.max_body) {}
  ~Connection() {
    slot_.stats.buffered_bytes.fetch_sub(accounted_, std::memory_order_relaxed);
    // Before the socket closes (a member, destroyed after this body): the drain's wake-up must
    // not reach a descriptor number the kernel may already have given to someone else.
    std::lock_guard lock(slot_.mu);
    entry_->idle.store(false, std::memory_order_relaxed);
    entry_->fd = -1;
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Task<void> run();
  Task<IoResult<std::string_view>> read_body();
  Task<IoResult<std::string_view>> read_body_piece();
  Task<std::error_code> decode_chunked(bool whole);
  Task<IoResult<void>> write_chunk(std::string_view data);

 private:
  Task<void> answer(bool& close);
  Task<bool> stream_body(const Response& resp);
  Task<bool> send_file(const Response& resp);
  Task<bool> discard_body();
  Task<bool> flush();
  Task<bool> write_all(std::string_view data);
  Task<void> linger_close();
  // Reads and removes the PROXY protocol header, taking the client address from it; false if
  // none came (invalid, too slow, or the peer left).
  Task<bool> read_proxy_header();
  Task<bool> send_continue_if_expected();
  // The drain: shuts the socket for reading (once), so that every read returns at once with
  // what the client already sent, then the end of stream.
  void shut_reading() noexcept {
    if (read_shut_) return;
    read_shut_ = true;
    ::shutdown(stream_.fd(), SHUT_RD);
  }
  // After shut_reading(): takes everything the client already sent (reads return at once now)
  // before anything more is parsed, so that a request is answered only when it arrived whole.
  Task<void> take_the_rest();
  // Whether the request whose head was just parsed has all of its body in the buffer.
  bool body_buffered() const;
  Task<std::error_code> start_body_read();
  // Reads body bytes into [p, p+n) within the body timeout, which restarts with every read
  // (it measures lack of progress); nullopt on timeout (counted).
  Task<std::optional<IoResult<std::size_t>>> read_body_bytes(char* p, std::size_t n);
  void compact_and_absorb_pending();
  // Answers a request the engine refuses itself (its handler never runs): renders the error,
  // counts it and tells ServerConfig::on_rejected, with the request line as far as it came.
  void reject(int status, std::string_view reason, int version_minor);
  // Sequentially consistent, as the drain's store of `draining` and its load of `idle`: if the
  // drain saw this connection idle (and shut its socket), the connection then sees `draining`.
  void set_idle(bool idle) noexcept { entry_->idle.store(idle, std::memory_order_seq_cst); }
  // Records the latency of one request: from the read that brought its first byte to now, when
  // the last byte of its response was handed to the kernel.
  void record_latency(Clock::time_point first_byte, Clock::time_point now) noexcept {
    const auto ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - first_byte).count());
    slot_.stats.latency[LatencyHistogram::bucket_of(ns / 1000)].fetch_add(
        1, std::memory_order_relaxed);
    slot_.stats.latency_sum_ns.fetch_add(ns, std::memory_order_relaxed);
  }
  // Brings the worker's buffered_bytes up to date with what this connection holds now.
  void account() noexcept {
    const std::size_t in_extra =
        in_.capacity() > kInitialBuffer ? in_.capacity() - kInitialBuffer : 0;
    // What a string holds on the heap (its inline buffer is part of the connection).
    auto heap = [](const std::string& s) noexcept {
      return s.capacity() > std::string().capacity() ? s.capacity() : 0;
    };
    const auto held =
        static_cast<std::int64_t>(heap(body_) + heap(out_) + heap(pending_) + in_extra + sending_);
    if (held == accounted_) return;
    slot_.stats.buffered_bytes.fetch_add(held - accounted_, std::memory_order_relaxed);
    accounted_ = held;
  }
  std::size_t max_buffer() const noexcept {
    return st_.config.limits.max_request_line + st_.config.limits.max_header_bytes + 1024;
  }

  ServerState& st_;
  WorkerSlot& slot_;
  std::list<ConnEntry>::iterator entry_;
  net::TcpStream stream_;
  net::SocketAddr peer_;
  RequestParser parser_;
  Request req_;

  std::string in_;
  std::size_t start_ = 0;  // first byte not yet consumed
  std::size_t len_ = 0;    // bytes of in_ in use
  std::string out_;
  std::string pending_;
  bool head_started_ = false;
  bool read_shut_ = false;  // shut_reading() ran: reads no longer wait
  bool took_rest_ = false;  // take_the_rest() ran: nothing more will arrive
  // The client asked to close after the last request and sent nothing more: no lingering.
  bool client_done_ = false;
  Clock::time_point head_deadline_{};
  std::size_t served_ = 0;

  // The current request's body.
  BodyFraming framing_ = BodyFraming::kNone;
  std::uint64_t body_left_ = 0;
  bool body_done_ = true;
  bool body_failed_ = false;
  bool continue_sent_ = false;
  std::string body_;
  std::string_view body_view_;
  ChunkedDecoder chunked_;

  // The current streamed response.
  bool chunked_out_ = false;
  bool stream_failed_ = false;

  bool peer_trusted_ = false;   // the peer is a trusted proxy (ServerConfig::trusted_proxies)
  std::int64_t accounted_ = 0;  // what account() last added to buffered_bytes
  std::size_t sending_ = 0;     // a large response body being written from the response

  // Latency: when the read that brought the first unparsed byte completed, and the first-byte
  // times of the responses waiting in out_ (pipelined), recorded when out_ is flushed. The
  // vector grows only with the pipelining depth a client uses.
  Clock::time_point first_byte_at_{};
  Clock::time_point last_read_at_{};
  std::vector<Clock::time_point> unflushed_;
};

Task<void> Connection::run() {
  WorkerStats& stats = slot_.stats;
  in_.resize(kInitialBuffer);
  head_deadline_ = Clock::now() + st_.config.timeouts.header;
  if (st_.config.proxy_protocol) {
    const bool proxied = co_await read_proxy_header();
    if (!proxied) co_return;
  }
  peer_trusted_ = !st_.trusted.empty() && st_.trusted.contains(peer_.ip());
  for (;;) {
    bool close = false;
    // Once the socket is shut for reading, nothing is parsed before the rest is taken.
    while (!close && start_ < len_ && (!read_shut_ || took_rest_)) {
      auto status = parser_.parse(std::string_view(in_.data() + start_, len_ - start_), req_.head_);
      if (status == ParseStatus::kIncomplete) break;
      if (status == ParseStatus::kError) {
        stats.parse_errors.fetch_add(1, std::memory_order_relaxed);
        stats.parse_errors_by_kind[static_cast<std::size_t>(parser_.error())].fetch_add(
            1, std::memory_order_relaxed);
        reject(status_for(parser_.error()), to_string(parser_.error()), 1);
        close = true;
        break;
      }
      if (req_.head_.compressed_transfer) {
        // RFC 9112 §6.1: a transfer coding we do not decode gets 501; the body cannot be
        // skipped safely either, so the connection closes.
        reject(501, "transfer coding not implemented", req_.head_.version_minor);
        close = true;
        break;
      }
      if (took_rest_ && !body_buffered()) {
        // The drain began while this request was arriving: its body is not all here and no
        // more will be read. Dropped unanswered, as if it had come a moment later: the client
        // sees its connection close before any byte of a response, which it may retry.
        co_return;
      }
      co_await answer(close);
      compact_and_absorb_pending();
    }
    if (!out_.empty()) {
      bool sent = co_await flush();
      if (!sent) co_return;
    }
    if (close) {
      // A client that asked to close sends nothing more, so closing cannot reset the response
      // on its way (nginx's heuristic too); anyone else may still be sending: linger.
      if (!(client_done_ && start_ == len_)) co_await linger_close();
      co_return;
    }
    // Draining (the response before this one was rendered to keep the connection open, or the
    // drain woke this idle connection): what the client already sent is still answered, with
    // Connection: close; then the connection closes.
    if (st_.draining.load(std::memory_order_seq_cst)) shut_reading();
    if (read_shut_) {
      if (took_rest_) co_return;  // what remains is a request cut short
      co_await take_the_rest();
      continue;
    }
    compact_and_absorb_pending();
    account();
    if (len_ == in_.size()) {
      if (in_.size() >= max_buffer()) {  // the parser's limits should have fired first
        reject(431, "request header section too large", 1);
        (void)co_await flush();
        co_return;
      }
      in_.resize(std::min(in_.size() * 2, max_buffer()));
    }
    const bool idle = start_ == len_;
    Clock::time_point deadline;
    if (idle) {
      // Until its first request, a connection gets the header timeout counted from the accept,
      // not the idle one: a client that never speaks is not a keep-alive client.
      deadline = served_ == 0 ? head_deadline_ : Clock::now() + st_.config.timeouts.idle;
      set_idle(true);
    } else {
      if (!head_started_) {
        head_started_ = true;
        head_deadline_ = Clock::now() + st_.config.timeouts.header;
      }
      deadline = head_deadline_;
    }
    // The hot read: a deadline awaiter, no extra coroutine frame.
    auto got = co_await stream_.read(in_.data() + len_, in_.size() - len_, deadline);
    if (idle) {
      set_idle(false);
      // The drain may have shut the socket while the read ended: from here on, nothing is
      // parsed before the rest of what the client sent is taken.
      if (st_.draining.load(std::memory_order_seq_cst)) shut_reading();
    }
    if (!got && got.error() == std::errc::timed_out) {
      stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      if (!idle) {  // a request started but its head did not arrive in time
        reject(408, "request header timeout", 1);
        (void)co_await flush();
      }
      co_return;
    }
    if (!got || *got == 0) co_return;  // reset or end of stream
    last_read_at_ = Clock::now();
    if (start_ == len_) first_byte_at_ = last_read_at_;
    if (idle) {
      head_started_ = true;
      if (served_ != 0) head_deadline_ = Clock::now() + st_.config.timeouts.header;
    }
    len_ += *got;
    stats.bytes_in.fetch_add(*got, std::memory_order_relaxed);
  }
}

Task<void> Connection::answer(bool& close) {
  WorkerStats& stats = slot_.stats;
  RequestHead& head = req_.head_;
  start_ += head.head_size;
  framing_ = head.framing;
  body_left_ = head.content_length;
  body_done_ = framing_ == BodyFraming::kNone ||
               (framing_ == BodyFraming::kContentLength && body_left_ == 0);
  body_failed_ = false;
  continue_sent_ = false;
  body_.clear();
  body_view_ = {};
  if (framing_ == BodyFraming::kChunked) chunked_.reset();
  req_.peer_ = peer_;
  if (peer_trusted_) {  // behind a trusted proxy: the client it names
    if (auto client = forwarded_client(head.header("forwarded"), head.header("x-forwarded-for"),
                                       st_.trusted)) {
      req_.peer_ = *client;
    }
  }
  req_.conn_ = this;
  const auto started = first_byte_at_;
  // A pipelined request behind this one arrived at the latest with the last read.
  first_byte_at_ = last_read_at_;

  Response resp;
  bool threw = false;
  try {
    resp = co_await st_.handler(req_);
  } catch (...) {
    threw = true;
  }
  if (threw) {
    stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
    resp = Response::text("internal server error\n", 500);
  }
  if (!body_done_ && !body_failed_) {
    if (head.expect_continue && !continue_sent_) {
      // The client is waiting for 100 Continue before it sends the body, and will not get
      // one: answer, then close (RFC 9110 §10.1.1), rather than wait for a body to drain.
      close = true;
    } else {
      bool skipped = co_await discard_body();
      if (!skipped) close = true;
    }
  }
  if (body_failed_) close = true;
  client_done_ = !head.keep_alive && body_done_ && !body_failed_;
  ++served_;
  const auto max = st_.config.max_requests_per_connection;
  close = close || !head.keep_alive || resp.closes() ||
          st_.draining.load(std::memory_order_acquire) ||
          st_.closing_connections.load(std::memory_order_relaxed) || (max != 0 && served_ >= max);
  RenderOptions opts;
  opts.head_request = head.method == "HEAD";
  opts.version_minor = head.version_minor;
  int status = resp.status();
  const bool bodiless = status < 200 || status == 204 || status == 304;
  const bool stream = resp.streaming() && !opts.head_request && !bodiless;
  const bool file = resp.file() && !opts.head_request && !bodiless;
  if (stream && head.version_minor == 0) close = true;  // no chunked coding: close-delimited
  opts.close = close;
  opts.chunked = stream && head.version_minor == 1;
  opts.body_follows =
      !stream && !file && !bodiless && !opts.head_request && resp.body().size() >= kDirectBody;
  if (!render_response(out_, resp, opts)) {
    stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
    status = 500;
    close = true;
  } else if (stream) {
    chunked_out_ = opts.chunked;
    bool complete = co_await stream_body(resp);
    if (!complete) close = true;
  } else if (file) {
    bool complete = co_await send_file(resp);
    if (!complete) close = true;
  } else if (opts.body_follows) {
    bool complete = co_await flush();
    if (complete) {
      sending_ = resp.body().size();
      account();
      complete = co_await write_all(resp.body());
      sending_ = 0;
    }
    if (!complete) close = true;
  }
  stats.requests_total.fetch_add(1, std::memory_order_relaxed);
  stats.count_response(status);
  if (stream || file || opts.body_follows) {
    record_latency(started, Clock::now());  // its last byte has been handed to the kernel
  } else {
    unflushed_.push_back(started);  // recorded when out_ is flushed
  }
  parser_.reset();
  head_started_ = false;
  req_.conn_ = nullptr;
  body_view_ = {};
  release_if_large(body_);
  account();
  if (out_.size() >= kFlushThreshold) {
    bool sent = co_await flush();
    if (!sent) close = true;
  }
}

// Sends the head (and any earlier pipelined responses), then the producer's chunks. Returns
// false if the body could not be completed; the connection then closes without the final
// chunk, so the client cannot mistake a truncated body for a whole one.
Task<bool> Connection::stream_body(const Response& resp) {
  stream_failed_ = false;
  bool sent = co_await flush();
  if (!sent) co_return false;
  BodyWriter writer(this);
  bool threw = false;
  try {
    co_await resp.producer()(writer);
  } catch (...) {
    threw = true;
  }
  if (threw) slot_.stats.handler_errors.fetch_add(1, std::memory_order_relaxed);
  if (threw || stream_failed_) co_return false;
  if (chunked_out_) out_.append("0\r\n\r\n");
  co_return true;
}

// Sends the head (and earlier pipelined responses), then the file range with sendfile(2),
// waiting for the socket to drain whenever it is full. False if the range could not be sent
// whole (client gone, too slow, or the file shrank): the connection then closes.
Task<bool> Connection::send_file(const Response& resp) {
  bool sent = co_await flush();
  if (!sent) co_return false;
  const int file_fd = resp.file()->fd();
  auto offset = static_cast<off_t>(resp.file_offset());
  std::uint64_t left = resp.body_size();
  // The write timeout measures lack of progress: it restarts whenever bytes were sent.
  auto deadline = Clock::now() + st_.config.timeouts.write;
  while (left > 0) {
    constexpr std::uint64_t kMaxPerCall = 1 << 20;  // lets other tasks run between calls
    ssize_t n = ::sendfile(stream_.fd(), file_fd, &offset,
                           static_cast<std::size_t>(std::min(left, kMaxPerCall)));
    if (n > 0) {
      left -= static_cast<std::uint64_t>(n);
      slot_.stats.bytes_out.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      deadline = Clock::now() + st_.config.timeouts.write;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) co_return false;  // shrank, or error
    if (errno == EINTR) continue;
    auto ready = co_await stream_.wait_writable(deadline);
    if (!ready) {
      if (ready.error() == std::errc::timed_out) {
        slot_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      }
      co_return false;
    }
  }
  co_return true;
}

Task<IoResult<void>> Connection::write_chunk(std::string_view data) {
  if (stream_failed_) co_return std::make_error_code(std::errc::broken_pipe);
  if (data.empty()) co_return IoResult<void>();  // an empty chunk would end the body
  if (chunked_out_) {
    char size[20];
    auto [end, ec] = std::to_chars(size, size + sizeof(size), data.size(), 16);
    (void)ec;
    out_.append(size, end);
    out_.append("\r\n");
    out_.append(data);
    out_.append("\r\n");
  } else {
    out_.append(data);
  }
  bool sent = co_await flush();
  if (!sent) {
    stream_failed_ = true;
    co_return std::make_error_code(std::errc::broken_pipe);
  }
  co_return IoResult<void>();
}

Task<std::optional<IoResult<std::size_t>>> Connection::read_body_bytes(char* p, std::size_t n) {
  auto r = co_await stream_.read(p, n, Clock::now() + st_.config.timeouts.body);
  if (!r && r.error() == std::errc::timed_out) {
    slot_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
    co_return std::nullopt;
  }
  co_return r;
}

Task<bool> Connection::read_proxy_header() {
  for (;;) {
    const auto parsed = detail::parse_proxy_header(std::string_view(in_.data(), len_));
    if (parsed.status == ProxyStatus::kInvalid) {
      slot_.stats.parse_errors.fetch_add(1, std::memory_order_relaxed);
      co_return false;
    }
    if (parsed.status == ProxyStatus::kDone) {
      const ProxySource& src = parsed.source;
      if (src.known) {
        if (src.v6) {
          in6_addr a{};
          std::memcpy(&a, src.addr.data(), 16);
          peer_ = net::SocketAddr(net::IpAddr(a), src.port);
        } else {
          in_addr a{};
          std::memcpy(&a, src.addr.data(), 4);
          peer_ = net::SocketAddr(net::IpAddr(a), src.port);
        }
      }
      start_ = parsed.consumed;
      co_return true;
    }
    if (len_ == in_.size()) co_return false;  // kMaxProxyHeader < the buffer: cannot happen
    auto got = co_await stream_.read(in_.data() + len_, in_.size() - len_, head_deadline_);
    if (!got || *got == 0) {
      if (!got && got.error() == std::errc::timed_out) {
        slot_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      }
      co_return false;
    }
    len_ += *got;
    last_read_at_ = first_byte_at_ = Clock::now();
    slot_.stats.bytes_in.fetch_add(*got, std::memory_order_relaxed);
  }
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy the
// response still on its way to the client. So: send FIN, then read and discard what the client
// is still sending, for a short while, before closing (nginx's "lingering close").
Task<void> Connection::linger_close() {
  (void)stream_.shutdown(net::TcpStream::Shutdown::kWrite);
  constexpr auto kLinger = std::chrono::milliseconds(500);
  constexpr std::size_t kMaxDiscard = 1 << 20;
  const auto deadline = Clock::now() + kLinger;
  std::size_t discarded = 0;
  while (discarded < kMaxDiscard) {
    auto n = co_await stream_.read(in_.data(), in_.size(), deadline);
    if (!n || *n == 0) break;  // end of stream, error or deadline
    discarded += *n;
  }
}

Task<bool> Connection::flush() {
  bool ok = co_await write_all(out_);
  if (!unflushed_.empty()) {
    const auto now = Clock::now();
    for (const auto first_byte : unflushed_) record_latency(first_byte, now);
    unflushed_.clear();
  }
  out_.clear();
  release_if_large(out_);
  account();
  co_return ok;
}

// The write timeout measures lack of progress (as nginx's send_timeout): each write gets the
// whole timeout, so a slow but steady reader finishes and one that stops reading is dropped.
Task<bool> Connection::write_all(std::string_view data) {
  std::size_t sent = 0;
  bool ok = true;
  while (sent < data.size()) {
    const auto deadline = Clock::now() + st_.config.timeouts.write;
    auto n = co_await stream_.write(data.data() + sent, data.size() - sent, deadline);
    if (!n || *n == 0) {
      if (!n && n.error() == std::errc::timed_out) {
        slot_.stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      }
      ok = false;
      break;
    }
    sent += *n;
  }
  slot_.stats.bytes_out.fetch_add(sent, std::memory_order_relaxed);
  co_return ok;
}

void Connection::reject(int status, std::string_view reason, int version_minor) {
  render_error(out_, status, reason, version_minor);
  slot_.stats.count_response(status);
  if (!st_.config.on_rejected) return;
  // The request line: what precedes the first CR or LF of what is unparsed, at most 2 KiB.
  std::string_view rest(in_.data() + start_, len_ - start_);
  rest = rest.substr(0, std::min<std::size_t>(rest.find_first_of("\r\n"), 2048));
  RejectedRequest r;
  r.peer = peer_;
  r.status = status;
  r.request_line = rest;
  r.bytes = reason.size() + 1;  // the body render_error wrote
  try {
    st_.config.on_rejected(r);
  } catch (...) {
    // A logging hook must not take the connection down with it.
  }
}

Task<void> Connection::take_the_rest() {
  compact_and_absorb_pending();
  // Bounded by the largest request the limits allow, and it grows only with bytes received.
  const std::size_t cap = max_buffer() + static_cast<std::size_t>(std::min<std::uint64_t>(
                                             st_.config.limits.max_body, std::size_t{1} << 30));
  for (;;) {
    if (len_ == in_.size()) {
      if (in_.size() >= cap) break;
      in_.resize(std::min(in_.size() * 2, cap));
      account();
    }
    // Returns at once (the socket is shut for reading); the deadline only guards the rule.
    auto got = co_await stream_.read(in_.data() + len_, in_.size() - len_,
                                     Clock::now() + st_.config.timeouts.header);
    if (!got || *got == 0) break;
    if (start_ == len_) first_byte_at_ = Clock::now();
    last_read_at_ = Clock::now();
    len_ += *got;
    slot_.stats.bytes_in.fetch_add(*got, std::memory_order_relaxed);
  }
  took_rest_ = true;
}

bool Connection::body_buffered() const {
  const RequestHead& head = req_.head_;
  const std::string_view rest(in_.data() + start_ + head.head_size, len_ - start_ - head.head_size);
  switch (head.framing) {
    case BodyFraming::kNone:
      return true;
    case BodyFraming::kContentLength:
      return head.content_length <= rest.size();
    case BodyFraming::kChunked: {
      ChunkedDecoder probe(st_.config.limits.max_body);
      return probe.decode(rest, [](std::string_view) {}).status == ParseStatus::kComplete;
    }
    case BodyFraming::kUntilClose:  // responses only
      break;
  }
  return false;
}

void Connection::compact_and_absorb_pending() {
  if (start_ > 0) {
    std::memmove(in_.data(), in_.data() + start_, len_ - start_);
    len_ -= start_;
    start_ = 0;
  }
  if (!pending_.empty()) {
    if (in_.size() < len_ + pending_.size()) in_.resize(len_ + pending_.size());
    std::memcpy(in_.data() + len_, pending_.data(), pending_.size());
    len_ += pending_.size();
    pending_.clear();
  }
}

Task<bool> Connection::discard_body() {
  if (framing_ == BodyFraming::kContentLength) {
    const std::uint64_t avail = len_ - start_;
    if (body_left_ <= avail) {
      start_ += body_left_;
      body_left_ = 0;
      co_return true;
    }
    if (body_left_ - avail > kMaxDrain) co_return false;
    start_ = len_;
    body_left_ -= avail;
    std::string scratch(kScratch, '\0');
    while (body_left_ > 0) {
      auto want = static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, scratch.size()));
      auto r = co_await read_body_bytes(scratch.data(), want);
      if (!r || !*r || **r == 0) co_return false;
      body_left_ -= **r;
    }
    co_return true;
  }
  // Chunked: skip it if it is all in the buffer already; otherwise close the connection.
  auto res = chunked_.decode(std::string_view(in_.data() + start_, len_ - start_),
                             [](std::string_view) {});
  if (res.status != ParseStatus::kComplete) co_return false;
  start_ += res.consumed;
  co_return true;
}

Task<bool> Connection::send_continue_if_expected() {
  if (!req_.head_.expect_continue || continue_sent_) co_return true;
  continue_sent_ = true;
  out_.append("HTTP/1.1 100 Continue\r\n\r\n");  // after any earlier pipelined responses
  bool sent = co_await flush();
  if (!sent) body_failed_ = true;
  co_return sent;
}

// What both body readers check first: an earlier failure, and the 100 Continue owed.
Task<std::error_code> Connection::start_body_read() {
  if (body_failed_) co_return std::make_error_code(std::errc::bad_message);
  bool continued = co_await send_continue_if_expected();
  if (!continued) co_return std::make_error_code(std::errc::connection_aborted);
  co_return std::error_code{};
}

Task<IoResult<std::string_view>> Connection::read_body_piece() {
  if (body_done_) co_return std::string_view{};
  auto refused = co_await start_body_read();
  if (refused) co_return refused;
  if (framing_ == BodyFraming::kContentLength) {
    const std::uint64_t avail = len_ - start_;
    if (avail > 0) {  // what is buffered first, as a view
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(avail, body_left_));
      std::string_view piece(in_.data() + start_, n);
      start_ += n;
      body_left_ -= n;
      body_done_ = body_left_ == 0;
      co_return piece;
    }
    body_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, kScratch)));
    account();
    auto r = co_await read_body_bytes(body_.data(), body_.size());
    if (!r || !*r || **r == 0) {
      body_failed_ = true;
      co_return r && !*r ? (*r).error() : std::make_error_code(std::errc::timed_out);
    }
    slot_.stats.bytes_in.fetch_add(**r, std::memory_order_relaxed);
    body_left_ -= **r;
    body_done_ = body_left_ == 0;
    co_return std::string_view(body_.data(), **r);
  }
  // Chunked: decode what is buffered, else read; at most one read per piece.
  body_.clear();
  auto err = co_await decode_chunked(/*whole=*/false);
  if (err) co_return err;
  co_return std::string_view(body_);
}

// Appends decoded chunked data to body_: what is buffered first, then reads until some data
// arrived (or, with `whole`, until the last chunk). Bytes after the body go to pending_.
Task<std::error_code> Connection::decode_chunked(bool whole) {
  auto append = [this](std::string_view d) { body_.append(d); };
  auto res = chunked_.decode(std::string_view(in_.data() + start_, len_ - start_), append);
  start_ += res.consumed;
  std::string scratch;
  while (res.status == ParseStatus::kIncomplete && (whole || body_.empty())) {
    if (scratch.empty()) scratch.resize(kScratch);
    account();
    auto r = co_await read_body_bytes(scratch.data(), scratch.size());
    if (!r || !*r || **r == 0) {
      body_failed_ = true;
      co_return r && !*r ? (*r).error() : std::make_error_code(std::errc::timed_out);
    }
    slot_.stats.bytes_in.fetch_add(**r, std::memory_order_relaxed);
    std::string_view got(scratch.data(), **r);
    res = chunked_.decode(got, append);
    if (res.status == ParseStatus::kComplete) pending_.append(got.substr(res.consumed));
  }
  if (res.status == ParseStatus::kError) {
    body_failed_ = true;
    co_return std::make_error_code(status_for(chunked_.error()) == 413 ? std::errc::message_size
                                                                       : std::errc::bad_message);
  }
  if (res.status == ParseStatus::kComplete) body_done_ = true;
  co_return std::error_code{};
}

Task<IoResult<std::string_view>> Connection::read_body() {
  if (body_done_) co_return body_view_;
  auto refused = co_await start_body_read();
  if (refused) co_return refused;
  if (framing_ == BodyFraming::kContentLength) {
    const std::uint64_t avail = len_ - start_;
    if (body_left_ <= avail) {  // all there: a view into the buffer, no copy
      body_view_ = std::string_view(in_.data() + start_, static_cast<std::size_t>(body_left_));
      start_ += body_left_;
      body_left_ = 0;
      body_done_ = true;
      co_return body_view_;
    }
    // What is left of the body (all of it, unless read_some() took pieces before).
    const auto total = static_cast<std::size_t>(body_left_);
    body_.assign(in_.data() + start_, avail);
    start_ = len_;
    std::size_t filled = body_.size();
    while (filled < total) {
      // Grow with what arrived, never with what was announced: room for at most as much again
      // as is held (and at least kScratch), so the buffer stays within twice the bytes received.
      const std::size_t want = std::min(total - filled, std::max(kScratch, filled));
      body_.resize(filled + want);
      account();
      auto r = co_await read_body_bytes(body_.data() + filled, want);
      if (!r || !*r || **r == 0) {
        body_failed_ = true;
        co_return r && !*r ? (*r).error() : std::make_error_code(std::errc::timed_out);
      }
      filled += **r;
      body_.resize(filled);
      slot_.stats.bytes_in.fetch_add(**r, std::memory_order_relaxed);
    }
    body_left_ = 0;
    body_done_ = true;
    body_view_ = body_;
    co_return body_view_;
  }
  // Chunked.
  body_.clear();
  auto err = co_await decode_chunked(/*whole=*/true);
  if (err) co_return err;
  body_done_ = true;
  body_view_ = body_;
  co_return body_view_;
}

void ConnRegistration::release() noexcept {
  WorkerSlot* slot = std::exchange(slot_, nullptr);
  if (!slot) return;
  slot->stats.connections_active.fetch_sub(1, std::memory_order_relaxed);
  admission_->release(client_);
  JoinHandle<void> handle;  // dropped outside the lock
  std::lock_guard lock(slot->mu);
  handle = std::move(entry_->handle);
  slot->conns.erase(entry_);
}

Task<void> serve_connection(std::shared_ptr<ServerState> state, ConnRegistration reg,
                            net::TcpStream stream, net::SocketAddr peer) {
  (void)stream.set_nodelay(true);
  // Wake a waiting writer once less than this is unsent, rather than when a third of a send
  // buffer that Linux grows to 4 MiB has drained: the write timeout then sees the progress of a
  // slow but steady reader (one at 32 KiB/s took over 30 s per wake-up), and less of a response
  // sits in the kernel for a client that stopped reading.
  const int lowat = kNotSentLowWater;
  (void)::setsockopt(stream.fd(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
  {
    Connection conn(*state, *reg.slot(), reg.entry(), std::move(stream), peer);
    try {
      co_await conn.run();
    } catch (...) {
      // Out of memory or a bug: the connection is dropped, the server goes on.
    }
  }
  reg.release();
}

}  // namespace zokio::http::detail

namespace zokio::http {
Task<IoResult<void>> BodyWriter::write(std::string_view data) {
  auto r = co_await conn_->write_chunk(data);
  co_return r;
}

Task<IoResult<std::string_view>> Request::read_some() {
  if (!conn_) co_return std::make_error_code(std::errc::operation_not_permitted);
  auto r = co_await conn_->read_body_piece();
  co_return r;
}

Task<IoResult<std::string_view>> Request::body() {
  if (!conn_) co_return std::make_error_code(std::errc::operation_not_permitted);
  auto r = co_await conn_->read_body();
  co_return r;
}
}  // namespace zokio::http
