// Per-worker gzip copies of large static files (see gzip_cache.hpp).
#include "http/static/gzip_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>

#include "http/gzip.hpp"
#include "zokio/spawn.hpp"

namespace zokio::http::detail {

namespace {
std::atomic<std::size_t> g_alive{0};
}  // namespace

GzipBudget& GzipBudget::local() {
  thread_local GzipBudget budget;
  return budget;
}

bool GzipBudget::take(std::size_t input_bytes) noexcept {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (last_ns_ != 0) {
    tokens_ = std::min(static_cast<double>(kGzipBurst),
                       tokens_ + static_cast<double>(now - last_ns_) * 1e-9 * kGzipRate);
  }
  last_ns_ = now;
  if (tokens_ < static_cast<double>(input_bytes)) return false;
  tokens_ -= static_cast<double>(input_bytes);
  return true;
}

std::shared_ptr<const std::string> counted_copy(std::string gz) {
  const std::size_t n = gz.size();
  g_alive.fetch_add(n, std::memory_order_relaxed);
  return std::shared_ptr<const std::string>(new std::string(std::move(gz)),
                                            [n](const std::string* s) {
                                              g_alive.fetch_sub(n, std::memory_order_relaxed);
                                              delete s;
                                            });
}

bool alive_room(std::size_t bytes, std::size_t limit) noexcept {
  return g_alive.load(std::memory_order_relaxed) + bytes <= limit;
}

std::size_t gzip_alive_bytes() noexcept {
  return g_alive.load(std::memory_order_relaxed);
}

GzipCache& GzipCache::local() {
  thread_local GzipCache cache;
  return cache;
}

GzipCache::State GzipCache::find(const std::string& key, const FileVersion& v,
                                 std::shared_ptr<const std::string>& out) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return State::kUnknown;
  if (it->second.version != v) {  // the file changed: forget the old copy
    if (it->second.gz) bytes_ -= it->second.gz->size();
    entries_.erase(it);
    return State::kUnknown;
  }
  if (it->second.state == State::kReady) out = it->second.gz;
  return it->second.state;
}

void GzipCache::start(const std::string& key, const FileVersion& v) {
  Entry& e = entries_[key];
  if (e.gz) bytes_ -= e.gz->size();
  e = Entry{v, State::kBusy, nullptr};
}

void GzipCache::forget(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.state == State::kBusy) entries_.erase(it);
}

void GzipCache::finish(const std::string& key, const FileVersion& v,
                       std::shared_ptr<const std::string> gz, std::size_t max_total) {
  if (gz && gz->size() > max_total) gz = nullptr;  // could never fit: serve the file as it is
  if (gz && bytes_ + gz->size() > max_total) {
    entries_.clear();
    bytes_ = 0;
  }
  Entry& e = entries_[key];
  if (e.gz) bytes_ -= e.gz->size();
  e = Entry{v, gz ? State::kReady : State::kUseless, gz};
  if (gz) bytes_ += gz->size();
}

Task<std::optional<std::string>> gzip_file(int fd, std::uint64_t size, int level) {
  constexpr std::size_t kSlice = 64 * 1024;
  GzipStream stream(level);
  std::string in(kSlice, '\0');
  std::string out;
  std::uint64_t done = 0;
  for (;;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kSlice, size - done));
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::pread(fd, in.data() + got, want - got, static_cast<off_t>(done + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) co_return std::nullopt;  // error, or the file shrank
      got += static_cast<std::size_t>(n);
    }
    done += got;
    const bool last = done == size;
    if (!stream.feed(std::string_view(in.data(), got), last, out)) co_return std::nullopt;
    if (last) co_return out;
    co_await yield_now();  // let the worker's other connections run between slices
  }
}

}  // namespace zokio::http::detail
