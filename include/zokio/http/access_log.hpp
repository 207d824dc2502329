// http::AccessLog: one line per request, written off the hot path. Each worker appends to its
// own buffer (no lock, no syscall per request); a flusher task pinned to that worker hands the
// buffer to the blocking pool, which writes it with one write(2) every `period`.
//
//   http::AccessLog log("/var/log/zokio/access.log", http::AccessLogFormat::kCombined);
//   router.use(log.middleware());
//   // inside the runtime:
//   log.start();                 // one flusher per worker
//   ...
//   co_await log.stop();         // final flush
//   log.reopen();                // from any thread, e.g. on SIGHUP after logrotate moved it
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "zokio/http/router.hpp"
#include "zokio/http/server.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

enum class AccessLogFormat {
  kCombined,  // nginx/Apache "combined": addr - - [time] "request" status bytes "referer" "ua"
  kJson,      // one JSON object per line
};

class AccessLog {
 public:
  // `path` "-" is standard output. Throws std::system_error naming the file when it cannot be
  // opened for appending.
  AccessLog(std::string path, AccessLogFormat format);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Records every request that passes through it (put it outermost to see every response).
  Middleware middleware() const;
  // Records the requests the server rejects before any handler runs (400, 408, 413, 414, 431,
  // 501, 505): set it as ServerConfig::on_rejected.
  std::function<void(const RejectedRequest&)> rejected() const;
  // Starts one flusher per worker of the current runtime. Call inside the runtime, once.
  void start(std::chrono::milliseconds period = std::chrono::milliseconds(200));
  // Stops the flushers after a last flush of every buffer.
  Task<void> stop();
  // Reopens the file by its path at the next flush (log rotation). Any thread, signal-safe
  // (it only sets a flag). If the file cannot be opened, the log keeps writing to the old one.
  void reopen() noexcept;
  // Told (from a blocking-pool thread, at most once per 10 s) when lines could not be written
  // (a full disk: they are dropped) or a reopen failed. Set before start(). Default: nobody.
  void on_error(std::function<void(std::string_view)> report);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace zokio::http
