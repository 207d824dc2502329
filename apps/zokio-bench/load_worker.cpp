// run_connection (see load_worker.hpp): the closed and open loops, connects, errors.
#include "load_worker.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <span>
#include <system_error>

#include <zokio/net/tcp.hpp>

#include "response_framer.hpp"

namespace zokio::bench {

namespace {

// The timer wheel's resolution: a sleep ends up to this long after its deadline.
constexpr Clock::duration kTimerSlack = std::chrono::milliseconds(1);
constexpr std::size_t kInitialBuffer = 16 * 1024;
constexpr std::size_t kMaxBuffer = 1024 * 1024;  // a response head (or chunk line) must fit

// The read side of a connection: one buffer, reused for every response, and the framer. Bodies
// are counted and dropped, so the buffer only ever holds a partial head or chunk-size line.
class ResponseReader {
 public:
  explicit ResponseReader(bool head_requests)
      : framer_(head_requests), buf_(new char[kInitialBuffer]), cap_(kInitialBuffer) {}

  // Frames the next response from the buffered bytes.
  ResponseFramer::Result next() {
    if (begin_ == end_) return {ResponseFramer::Event::kNeedMore, 0};  // the usual case: read
    const auto r = framer_.feed(std::string_view(buf_.get() + begin_, end_ - begin_));
    begin_ += r.consumed;
    if (begin_ == end_) begin_ = end_ = 0;
    return r;
  }
  ResponseFramer::Result finish_at_eof() noexcept { return framer_.finish_at_eof(); }

  // Where the next read goes. The unconsumed bytes move to the front (or the buffer doubles)
  // only when the buffer is full; empty if a head would outgrow kMaxBuffer.
  std::span<char> space() {
    if (end_ == cap_) {
      if (begin_ > 0) {
        std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else if (cap_ < kMaxBuffer) {
        std::unique_ptr<char[]> bigger(new char[cap_ * 2]);
        std::memcpy(bigger.get(), buf_.get(), end_);
        buf_ = std::move(bigger);
        cap_ *= 2;
      } else {
        return {};
      }
    }
    return {buf_.get() + end_, cap_ - end_};
  }
  void commit(std::size_t n) noexcept { end_ += n; }
  bool empty() const noexcept { return begin_ == end_; }
  http::ParseError error() const noexcept { return framer_.error(); }
  void reset() noexcept {
    framer_.reset();
    begin_ = end_ = 0;
  }

 private:
  ResponseFramer framer_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // end of the received bytes
};

void record(WorkerStats& s, int status, Clock::duration latency, Clock::time_point at) noexcept {
  ++s.responses;
  const int cls = status / 100;
  ++s.status_classes[cls >= 1 && cls <= 5 ? static_cast<std::size_t>(cls) : 0];
  if (status >= 200 && status < 400) {
    ++s.successes;
  } else {
    ++s.error(ErrorKind::kStatus);
  }
  s.latency.record(static_cast<std::uint64_t>(std::max<Clock::rep>(0, latency.count())));
  s.last_answer = at;
}

// How a batch ended.
enum class BatchEnd : std::uint8_t {
  kAnswered,  // every request got its response
  kClosed,    // the server closed the connection with a response (Connection: close)
  kFailed,    // an error of `failure`'s kind; the rest of the batch is lost
  kRunOver,   // plan.end came while waiting: nothing more is measured
};

}  // namespace

Task<void> run_connection(const Plan* plan, WorkerStats* stats, std::uint64_t quota,
                          Clock::time_point next_send) {
  ResponseReader reader(plan->head_requests);
  net::TcpStream stream;
  unsigned connect_failures = 0;
  const bool open_loop = plan->interval > Clock::duration::zero();
  const auto close_stream = [&stream, stats] {
    stream.close();
    --stats->open;
  };

  for (;;) {
    Clock::time_point now = Clock::now();
    if (now >= plan->end || quota == 0) break;
    std::uint64_t batch = plan->pipeline;
    Clock::time_point intended = now;
    if (open_loop) {
      // Wait for the next request's turn; when late, send every request due (up to the
      // pipeline depth) at once. Latency counts from each one's turn, not from its send, so
      // time spent waiting for a slow server is not omitted. Timers fire up to kTimerSlack
      // after their deadline, so the wait ends that much early: a request goes out at most
      // kTimerSlack before its turn (and is then timed from its send), never late because of
      // the timer.
      if (next_send - kTimerSlack > now) {
        co_await sleep_until(std::min(next_send - kTimerSlack, plan->end));
        now = Clock::now();
        if (now >= plan->end) break;
      }
      const auto due =
          static_cast<std::uint64_t>((now + kTimerSlack - next_send) / plan->interval) + 1;
      batch = std::min(batch, due);
      intended = next_send;
      next_send += plan->interval * static_cast<Clock::rep>(batch);
    }

    if (!stream.is_open()) {
      const auto limit = std::min(now + plan->timeout, plan->end) - now;
      auto connected = co_await net::TcpStream::connect(plan->address, limit);
      if (!connected) {
        if (Clock::now() >= plan->end) break;  // cut short by the end of the run
        if (intended >= plan->measure_start) {
          batch = std::min(batch, quota);
          stats->error(ErrorKind::kConnect) += batch;
          quota -= batch;
        }
        if (!stats->first_connect_error) stats->first_connect_error = connected.error();
        if (++connect_failures == kMaxConnectFailures) {
          ++stats->gave_up;
          break;
        }
        co_await sleep(kConnectBackoff * connect_failures);
        continue;
      }
      connect_failures = 0;
      stream = std::move(connected.value());
      (void)stream.set_nodelay(true);
      ++stats->connects;
      ++stats->open;
      reader.reset();
      now = Clock::now();
      if (!open_loop) intended = now;  // a closed loop times from the send, as wrk does
    }

    const bool measured = intended >= plan->measure_start;
    if (measured) batch = std::min(batch, quota);
    const Clock::time_point sent = now;
    const Clock::time_point deadline = std::min(sent + plan->timeout, plan->end);
    BatchEnd end = BatchEnd::kAnswered;
    ErrorKind failure = ErrorKind::kReset;
    const auto classify = [&](const std::error_code& ec) {
      if (ec != std::errc::timed_out) return BatchEnd::kFailed;  // reset, broken pipe, ...
      failure = ErrorKind::kTimeout;
      return Clock::now() >= plan->end ? BatchEnd::kRunOver : BatchEnd::kFailed;
    };

    // One write for the whole batch (more only if the socket takes part of it).
    const char* out = plan->wire.data();
    std::size_t left = static_cast<std::size_t>(batch) * plan->request_bytes;
    while (left > 0) {
      auto wrote = co_await stream.write(out, left, deadline);
      if (!wrote) {
        end = classify(wrote.error());
        break;
      }
      if (*wrote == 0) {
        end = BatchEnd::kFailed;
        break;
      }
      out += *wrote;
      left -= *wrote;
    }

    // Frame the answers as they arrive; every response of one read arrived at the same time.
    std::uint64_t answered = 0;
    Clock::time_point arrived = sent;
    const auto answer = [&](int status) {
      if (measured && arrived < plan->end) {
        // Request `answered` of the batch had its turn at `due` (open loop) or was sent with
        // the batch; a request sent early is timed from its send.
        const auto due = intended + plan->interval * static_cast<Clock::rep>(answered);
        record(*stats, status, arrived - std::min(due, sent), arrived);
      }
      ++answered;
    };
    while (end == BatchEnd::kAnswered && answered < batch) {
      const auto r = reader.next();
      if (r.event == ResponseFramer::Event::kResponse) {
        answer(r.status);
        if (!r.keep_alive) end = BatchEnd::kClosed;
        continue;
      }
      if (r.event == ResponseFramer::Event::kError) {
        failure = ErrorKind::kFraming;
        end = BatchEnd::kFailed;
        if (stats->first_framing_error == http::ParseError::kNone)
          stats->first_framing_error = reader.error();
        break;
      }
      const std::span<char> space = reader.space();
      if (space.empty()) {  // a head larger than kMaxBuffer
        failure = ErrorKind::kFraming;
        end = BatchEnd::kFailed;
        if (stats->first_framing_error == http::ParseError::kNone)
          stats->first_framing_error = http::ParseError::kHeaderSectionTooLarge;
        break;
      }
      auto got = co_await stream.read(space.data(), space.size(), deadline);
      arrived = Clock::now();
      if (!got) {
        end = classify(got.error());
        break;
      }
      if (*got == 0) {  // the server closed: that ends a body read until close, or fails
        const auto r = reader.finish_at_eof();
        if (r.event == ResponseFramer::Event::kResponse) {
          answer(r.status);
          end = BatchEnd::kClosed;
        } else {
          end = BatchEnd::kFailed;
        }
        break;
      }
      reader.commit(*got);
      if (measured && arrived < plan->end) stats->bytes += *got;
    }

    if (end == BatchEnd::kRunOver) break;
    if (measured) {
      // A batch cut short loses its unanswered requests: a failure, or a reset if the
      // server closed the connection after answering only some of them.
      if (answered < batch)
        stats->error(end == BatchEnd::kFailed ? failure : ErrorKind::kReset) += batch - answered;
      quota -= batch;
    }
    // Bytes beyond the batch's answers mean the stream is out of step: start afresh.
    if (end != BatchEnd::kAnswered || plan->reconnect_each || !reader.empty()) close_stream();
  }
  if (stream.is_open()) close_stream();
}

}  // namespace zokio::bench
