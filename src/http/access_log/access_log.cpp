// AccessLog (access_log.hpp): per-worker buffers, pinned flushers, writes in the blocking pool.
#include "zokio/http/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <system_error>
#include <vector>

#include "http/access_log/log_line.hpp"
#include "http/rate_limit.hpp"
#include "zokio/spawn.hpp"
#include "zokio/time.hpp"

namespace zokio::http {

namespace {
// A worker whose flusher falls this far behind (a stuck disk) drops lines rather than grow
// without bound.
constexpr std::size_t kMaxBuffered = 8 * 1024 * 1024;

int open_log(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot open access log '" + path + "'");
  }
  return fd;
}
}  // namespace

struct AccessLog::State {
  struct alignas(64) WorkerBuffer {
    std::string text;
    std::string spare;  // the other half of a double buffer: no allocation once warm
    std::uint64_t dropped = 0;
  };

  std::string path;
  AccessLogFormat format;
  bool to_stdout = false;
  std::mutex file_mu;  // the descriptor, taken by blocking-pool writes only
  int fd = -1;
  std::atomic<std::uint64_t> opened_generation{0};
  std::atomic<std::uint64_t> wanted_generation{0};
  std::atomic<bool> stopping{false};
  std::vector<std::unique_ptr<WorkerBuffer>> buffers;  // sized by start(), then fixed
  std::vector<JoinHandle<void>> flushers;
  std::function<void(std::string_view)> on_error;
  detail::RateLimit error_limit{std::chrono::seconds(10)};
  std::uint64_t dropped_bytes = 0;  // since the last report (under file_mu)

  void report(const std::string& line) {
    if (on_error && error_limit.due()) on_error(line);
  }

  ~State() {
    if (fd >= 0 && !to_stdout) ::close(fd);
  }

  void write_out(const std::string& text) {
    std::lock_guard lock(file_mu);
    const auto wanted = wanted_generation.load(std::memory_order_acquire);
    if (wanted != opened_generation.load(std::memory_order_relaxed) && !to_stdout) {
      try {
        int nfd = open_log(path);
        ::close(fd);
        fd = nfd;
      } catch (const std::system_error& e) {
        // Keep writing to the old file rather than lose lines; the next reopen() retries.
        report(std::string(e.what()) + "; still writing to the old file");
      }
      opened_generation.store(wanted, std::memory_order_relaxed);
    }
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // disk full or closed pipe: nothing better to do than drop, and say so
        const int err = n < 0 ? errno : EIO;
        dropped_bytes += text.size() - done;
        if (on_error && error_limit.due()) {
          on_error("access log '" + path + "': " + std::generic_category().message(err) + "; " +
                   std::to_string(dropped_bytes) + " bytes of log lines dropped");
          dropped_bytes = 0;
        }
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }
};

namespace {

// The worker's buffer to append to, or null (not started, not a worker, or too far behind).
AccessLog::State::WorkerBuffer* worker_buffer(AccessLog::State& st) {
  if (st.buffers.empty()) return nullptr;  // not started
  const std::size_t worker = worker_index();
  if (worker >= st.buffers.size()) return nullptr;
  auto& buf = *st.buffers[worker];
  if (buf.text.size() > kMaxBuffered) {
    ++buf.dropped;
    return nullptr;
  }
  return &buf;
}

Task<void> flush_worker(std::shared_ptr<AccessLog::State> st, std::size_t worker) {
  auto& buf = *st->buffers[worker];
  const bool reopen_due = st->wanted_generation.load(std::memory_order_relaxed) !=
                          st->opened_generation.load(std::memory_order_relaxed);
  if (buf.text.empty() && !reopen_due) co_return;
  std::string out;
  out.swap(buf.text);
  buf.text.swap(buf.spare);
  auto job = spawn_blocking([st, out = std::move(out)]() mutable {
    st->write_out(out);
    out.clear();
    return std::move(out);
  });
  std::string back = co_await job;
  if (buf.spare.capacity() < back.capacity()) buf.spare = std::move(back);
}

Task<void> flush_loop(std::shared_ptr<AccessLog::State> st, std::size_t worker,
                      std::chrono::milliseconds period) {
  while (!st->stopping.load(std::memory_order_acquire)) {
    co_await sleep(period);
    co_await flush_worker(st, worker);
  }
  co_await flush_worker(st, worker);
}

Task<Response> record(std::shared_ptr<AccessLog::State> st, Request& req, const Handler& next) {
  const auto started = Clock::now();
  Response resp = co_await next(req);
  auto* buf = worker_buffer(*st);
  if (!buf) co_return resp;
  std::string ip = req.peer().ip().to_string();  // short: fits std::string's inline buffer
  detail::LogRecord rec;
  rec.remote = ip;
  rec.method = req.method();
  rec.target = req.target();
  rec.version_minor = req.version_minor();
  rec.status = resp.status();
  rec.bytes = req.method() == "HEAD" ? 0 : resp.body_size();
  rec.duration_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
  rec.referer = req.header("referer");
  rec.user_agent = req.header("user-agent");
  detail::append_log_line(buf->text, st->format, rec);
  co_return resp;
}

}  // namespace

AccessLog::AccessLog(std::string path, AccessLogFormat format) : state_(std::make_shared<State>()) {
  state_->path = std::move(path);
  state_->format = format;
  if (state_->path == "-") {
    state_->to_stdout = true;
    state_->fd = STDOUT_FILENO;
  } else {
    state_->fd = open_log(state_->path);
  }
}

AccessLog::~AccessLog() = default;

Middleware AccessLog::middleware() const {
  auto st = state_;
  return [st](Request& req, const Handler& next) { return record(st, req, next); };
}

void AccessLog::start(std::chrono::milliseconds period) {
  const std::size_t workers = worker_count();
  state_->buffers.clear();
  for (std::size_t i = 0; i < workers; ++i) {
    state_->buffers.push_back(std::make_unique<State::WorkerBuffer>());
  }
  for (std::size_t i = 0; i < workers; ++i) {
    state_->flushers.push_back(spawn_pinned(i, flush_loop(state_, i, period)));
  }
}

Task<void> AccessLog::stop() {
  state_->stopping.store(true, std::memory_order_release);
  for (auto& h : state_->flushers) co_await h;
  state_->flushers.clear();
}

std::function<void(const RejectedRequest&)> AccessLog::rejected() const {
  auto st = state_;
  return [st](const RejectedRequest& r) {
    auto* buf = worker_buffer(*st);
    if (!buf) return;
    std::string ip = r.peer.ip().to_string();
    detail::LogRecord rec;
    rec.remote = ip;
    rec.status = r.status;
    rec.bytes = r.bytes;
    rec.rejected = true;
    rec.request_line = r.request_line;
    detail::append_log_line(buf->text, st->format, rec);
  };
}

void AccessLog::on_error(std::function<void(std::string_view)> report) {
  state_->on_error = std::move(report);
}

void AccessLog::reopen() noexcept {
  state_->wanted_generation.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace zokio::http
