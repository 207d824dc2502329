// gzip copies of static files too large for the small-file cache. Each worker keeps its own
// (no lock is shared), keyed by path and valid for one version of the file (device, inode, size
// and mtime: what its ETag says). A copy is made once per worker, in slices between which the
// worker serves other connections; a file that gzip does not shrink is remembered as such, so
// it is never compressed again. Bounded per worker: when a copy does not fit, the cache starts
// over (simple, and rare while the files served fit).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "zokio/task.hpp"

namespace zokio::http::detail {

struct FileVersion {
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileVersion&) const = default;
};

class GzipCache {
 public:
  enum class State { kUnknown, kBusy, kUseless, kReady };

  static GzipCache& local();  // this thread's

  // What is known of this version of the file; `out` is set when it is kReady.
  State find(const std::string& key, const FileVersion& v, std::shared_ptr<const std::string>& out);
  // Marks the file as being compressed, so that concurrent requests do not compress it too.
  void start(const std::string& key, const FileVersion& v);
  // Forgets a start() whose compression was abandoned (its task was aborted).
  void forget(const std::string& key);
  // Records the result: `gz` null when gzip did not make the file smaller (or failed).
  void finish(const std::string& key, const FileVersion& v, std::shared_ptr<const std::string> gz,
              std::size_t max_total);

 private:
  struct Entry {
    FileVersion version;
    State state = State::kUnknown;
    std::shared_ptr<const std::string> gz;
  };
  std::unordered_map<std::string, Entry> entries_;
  std::size_t bytes_ = 0;
};

// What compression may cost, whatever clients ask for: each worker compresses at most
// kGzipRate bytes of input per second (bursts of kGzipBurst) and one large file at a time, and
// the gzip copies alive in the process (cached, or held by responses still being sent after the
// cache let them go) stay under a bound. Over any of these, files are sent as they are.
inline constexpr std::size_t kGzipRate = 4 * 1024 * 1024;
inline constexpr std::size_t kGzipBurst = 8 * 1024 * 1024;

class GzipBudget {
 public:
  static GzipBudget& local();  // this thread's
  // Takes `input_bytes` of compression from the bucket; false (nothing taken) if not there.
  bool take(std::size_t input_bytes) noexcept;
  bool large_running = false;  // a large file is being compressed on this worker

 private:
  double tokens_ = static_cast<double>(kGzipBurst);
  std::int64_t last_ns_ = 0;
};

// A gzip copy whose bytes count as alive until its last holder lets it go.
std::shared_ptr<const std::string> counted_copy(std::string gz);
// Whether `bytes` more of alive copies stay within `limit`.
bool alive_room(std::size_t bytes, std::size_t limit) noexcept;
std::size_t gzip_alive_bytes() noexcept;

// The gzip of bytes [0, size) of `fd`, read and compressed 64 KiB at a time with a yield to the
// scheduler after each piece; nullopt if a read failed or the file shrank.
Task<std::optional<std::string>> gzip_file(int fd, std::uint64_t size, int level);

}  // namespace zokio::http::detail
