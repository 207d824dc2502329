// Where static files come from: a directory on disk (opened beneath a root descriptor, with a
// per-worker cache of small files) or a set embedded in the program. Both answer one lookup
// with the metadata and the bytes (or an open file) of the representation.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "zokio/http/message.hpp"
#include "zokio/http/static_files.hpp"

namespace zokio::http::detail {

// One representation: the file itself or its gzip variant.
struct Representation {
  std::uint64_t size = 0;
  std::string_view data;                 // the bytes, when they are in memory...
  std::shared_ptr<const void> keep;      // ...kept alive by this
  std::shared_ptr<const OpenFile> file;  // otherwise the open file (sent by sendfile)
  bool present() const noexcept { return !data.empty() || file || size == 0; }
};

struct FileInfo {
  // In: false for a request that must not make the server compress (HEAD): an existing gzip
  // copy is used, none is made.
  bool may_compress = true;
  std::time_t mtime = 0;
  std::string etag;  // strong: "mtime-size" in hex
  std::string_view type;
  bool compressible = false;
  Representation identity;
  bool has_gzip = false;
  Representation gzip;
  // The client wants gzip and the file would take it, but no copy is made yet: the caller may
  // make one (Source::make_gzip) and look the file up again.
  bool gzip_deferred = false;
};

// kUnavailable: the process is out of file descriptors (or memory) for now.
enum class LookupResult { kFile, kDirectory, kMissing, kForbidden, kUnavailable };

}  // namespace zokio::http::detail

namespace zokio::http {

struct StaticFiles::Source {
  explicit Source(StaticOptions o) : options(std::move(o)) {}
  virtual ~Source() = default;
  // Looks `rel` up ("" is the root). `want_gzip`: also find or make the gzip variant.
  virtual detail::LookupResult lookup(const std::string& rel, bool want_gzip,
                                      detail::FileInfo& out) const = 0;
  // Makes the gzip copy a lookup reported as deferred.
  virtual Task<void> make_gzip(const std::string& rel) const;
  StaticOptions options;
};

namespace detail {
std::shared_ptr<const StaticFiles::Source> make_directory_source(const std::string& root,
                                                                 StaticOptions options);
std::shared_ptr<const StaticFiles::Source> make_embedded_source(std::span<const EmbeddedFile> files,
                                                                std::time_t modified,
                                                                StaticOptions options);
// A strong tag from a version (mtime, in whatever unit) and the size.
std::string make_etag(std::uint64_t version, std::uint64_t size);
// Counts one run of the compressor on a static file (StaticFiles::compressions()).
void count_compression() noexcept;
}  // namespace detail

}  // namespace zokio::http
