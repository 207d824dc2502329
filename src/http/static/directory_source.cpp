// Static files from a directory. Every open goes through openat2(RESOLVE_BENEATH) on the root's
// descriptor, so the kernel refuses `..` and symlinks that lead outside the root, whatever the
// path looks like. Small files (and their gzip) are cached per worker thread, keyed by path and
// revalidated by inode, size and mtime on every lookup: no lock is shared between workers.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <unordered_map>

#include "http/gzip.hpp"
#include "http/static/file_source.hpp"
#include "http/static/gzip_cache.hpp"
#include "http/static/mime.hpp"
#include "zokio/http/middleware.hpp"

namespace zokio::http::detail {

namespace {

int open_beneath(int root_fd, const std::string& rel) noexcept {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* path = rel.empty() ? "." : rel.c_str();
  long fd;
  do {
    fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
  } while (fd < 0 && errno == EAGAIN);  // openat2 may ask to retry on a concurrent rename
  return static_cast<int>(fd);
}

bool read_all(int fd, std::uint64_t size, std::string& out) {
  out.resize(size);
  std::uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // error, or the file shrank
    got += static_cast<std::uint64_t>(n);
  }
  return true;
}

struct CacheEntry {
  dev_t dev = 0;
  ino_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::shared_ptr<const std::string> data;  // null if the file is too large to cache
  std::shared_ptr<const std::string> gzip;  // compressed once, on first demand
  bool gzip_tried = false;                  // ...and if that did not help, never again
};

struct WorkerCache {
  std::unordered_map<std::string, CacheEntry> entries;
  std::size_t bytes = 0;
};
thread_local WorkerCache tl_cache;

std::int64_t mtime_ns(const struct stat& st) noexcept {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

FileVersion version_of(const struct stat& st) noexcept {
  return {st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size), mtime_ns(st)};
}

constexpr int kGzipLevel = 6;

class DirectorySource final : public StaticFiles::Source {
 public:
  DirectorySource(int root_fd, std::string root, StaticOptions o)
      : Source(std::move(o)), root_fd_(root_fd), root_(std::move(root)) {}
  ~DirectorySource() override { ::close(root_fd_); }

  LookupResult lookup(const std::string& rel, bool want_gzip, FileInfo& out) const override {
    int fd = open_beneath(root_fd_, rel);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) return LookupResult::kUnavailable;
      return errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG
                 ? LookupResult::kMissing
                 : LookupResult::kForbidden;  // EXDEV, ELOOP (escape), EACCES
    }
    auto file = std::make_shared<const OpenFile>(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return LookupResult::kForbidden;
    if (S_ISDIR(st.st_mode)) return LookupResult::kDirectory;
    if (!S_ISREG(st.st_mode)) return LookupResult::kForbidden;  // devices, fifos, sockets
    const auto size = static_cast<std::uint64_t>(st.st_size);
    out.mtime = st.st_mtim.tv_sec;
    // Nanoseconds, so that two same-size edits within one second still change the tag.
    out.etag = make_etag(static_cast<std::uint64_t>(mtime_ns(st)), size);
    out.type = mime_type(rel);
    out.compressible = compressible_type(out.type);
    out.identity.size = size;

    CacheEntry* entry = cached(rel, st, fd);
    if (entry && entry->data) {
      out.identity.data = *entry->data;
      out.identity.keep = entry->data;
    } else if (size < options.sendfile_min && size <= options.cache_max_file) {
      auto data = std::make_shared<std::string>();
      if (!read_all(fd, size, *data)) return LookupResult::kForbidden;
      out.identity.data = *data;
      out.identity.keep = std::move(data);
    } else {
      out.identity.file = file;
    }
    if (want_gzip && options.gzip && out.compressible && size > 0) find_gzip(rel, st, entry, out);
    return LookupResult::kFile;
  }

 private:
  // The worker's cache entry for a small file, refreshed when the file changed; null for
  // files too large to cache or when the cache is full.
  CacheEntry* cached(const std::string& rel, const struct stat& st, int fd) const {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > options.cache_max_file || size >= options.sendfile_min) return nullptr;
    WorkerCache& cache = tl_cache;
    std::string key = root_ + '\0' + rel;
    auto it = cache.entries.find(key);
    if (it != cache.entries.end()) {
      CacheEntry& e = it->second;
      if (e.dev == st.st_dev && e.ino == st.st_ino && e.size == size &&
          e.mtime_ns == mtime_ns(st)) {
        return &e;
      }
      cache.bytes -= e.size + (e.gzip ? e.gzip->size() : 0);
      cache.entries.erase(it);
    }
    if (cache.bytes + size > options.cache_max_total) {
      cache.entries.clear();  // simple and rare: start over rather than track recency
      cache.bytes = 0;
    }
    auto data = std::make_shared<std::string>();
    if (!read_all(fd, size, *data)) return nullptr;
    CacheEntry e{st.st_dev, st.st_ino, size, mtime_ns(st), std::move(data), nullptr};
    cache.bytes += size;
    return &cache.entries.insert_or_assign(std::move(key), std::move(e)).first->second;
  }

  // A precompressed `rel.gz` if there is one, else gzip made once for a cached file.
  void find_gzip(const std::string& rel, const struct stat& st_file, CacheEntry* entry,
                 FileInfo& out) const {
    if (options.precompressed) {
      int gz = open_beneath(root_fd_, rel + ".gz");
      if (gz >= 0) {
        auto file = std::make_shared<const OpenFile>(gz);
        struct stat st {};
        if (::fstat(gz, &st) == 0 && S_ISREG(st.st_mode)) {
          out.has_gzip = true;
          out.gzip.size = static_cast<std::uint64_t>(st.st_size);
          if (out.gzip.size < options.sendfile_min) {
            auto data = std::make_shared<std::string>();
            if (!read_all(gz, out.gzip.size, *data)) {
              out.has_gzip = false;
              return;
            }
            out.gzip.data = *data;
            out.gzip.keep = std::move(data);
          } else {
            out.gzip.file = std::move(file);
          }
          return;
        }
      }
    }
    if (!entry || !entry->data) {  // a large file: a copy in the gzip cache, made on demand
      large_gzip(rel, st_file, out);
      return;
    }
    if (!entry->gzip) {
      if (entry->gzip_tried || !out.may_compress) return;  // gzip did not shrink it, or HEAD
      const std::size_t size = entry->data->size();
      if (!alive_room(size, 2 * options.gzip_cache_max_total) || !GzipBudget::local().take(size)) {
        return;  // over the compression budget: the file as it is, this time
      }
      entry->gzip_tried = true;
      count_compression();
      auto gz = gzip_compress(*entry->data, kGzipLevel);
      if (!gz || gz->size() >= size) return;
      tl_cache.bytes += gz->size();
      entry->gzip = counted_copy(std::move(*gz));
    }
    out.has_gzip = true;
    out.gzip.size = entry->gzip->size();
    out.gzip.data = *entry->gzip;
    out.gzip.keep = entry->gzip;
  }

  Task<void> make_gzip(const std::string& rel) const override {
    int fd = open_beneath(root_fd_, rel);
    if (fd < 0) co_return;
    const OpenFile file(fd);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) co_return;
    const FileVersion v = version_of(st);
    const std::string key = root_ + '\0' + rel;
    GzipCache& cache = GzipCache::local();
    std::shared_ptr<const std::string> ready;
    if (cache.find(key, v, ready) != GzipCache::State::kUnknown) co_return;
    GzipBudget& budget = GzipBudget::local();
    if (budget.large_running || !alive_room(v.size, 2 * options.gzip_cache_max_total) ||
        !budget.take(v.size)) {
      co_return;  // over the budget: this request gets the file as it is
    }
    budget.large_running = true;
    cache.start(key, v);
    // If this task is aborted mid-way, a later request compresses the file instead. The cache is
    // this thread's: a task that is not pinned (connection tasks are) and resumed elsewhere
    // leaves it alone rather than race with its owner.
    struct Abandon {
      GzipCache& cache;
      const std::string& key;
      bool finished = false;
      ~Abandon() {
        if (&GzipCache::local() != &cache) return;
        GzipBudget::local().large_running = false;
        if (!finished) cache.forget(key);
      }
    } abandon{cache, key};
    count_compression();
    auto gz = co_await gzip_file(fd, v.size, kGzipLevel);
    std::shared_ptr<const std::string> kept;
    if (gz && gz->size() < v.size) kept = counted_copy(std::move(*gz));
    if (&GzipCache::local() == &cache) {
      cache.finish(key, v, std::move(kept), options.gzip_cache_max_total);
    }
    abandon.finished = true;
  }

  void large_gzip(const std::string& rel, const struct stat& st, FileInfo& out) const {
    if (out.identity.size > options.gzip_max_file) return;
    std::shared_ptr<const std::string> gz;
    switch (GzipCache::local().find(root_ + '\0' + rel, version_of(st), gz)) {
      case GzipCache::State::kReady:
        out.has_gzip = true;
        out.gzip.size = gz->size();
        out.gzip.data = *gz;
        out.gzip.keep = std::move(gz);
        return;
      case GzipCache::State::kUnknown:
        // Made by make_gzip() only within the budget (and never for HEAD).
        out.gzip_deferred = out.may_compress && !GzipBudget::local().large_running &&
                            alive_room(out.identity.size, 2 * options.gzip_cache_max_total);
        return;
      default:  // being made by another request, or useless: the file as it is
        return;
    }
  }

  int root_fd_;
  std::string root_;
};

}  // namespace

std::string make_etag(std::uint64_t version, std::uint64_t size) {
  char buf[48];
  int n = std::snprintf(buf, sizeof(buf), "\"%llx-%llx\"", static_cast<unsigned long long>(version),
                        static_cast<unsigned long long>(size));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::shared_ptr<const StaticFiles::Source> make_directory_source(const std::string& root,
                                                                 StaticOptions options) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot serve '" + root + "': not an openable directory");
  }
  return std::make_shared<const DirectorySource>(fd, root, std::move(options));
}

}  // namespace zokio::http::detail
