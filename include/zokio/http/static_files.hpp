// http::StaticFiles: serves a directory, or files embedded in the program, over http::Server.
//
//   auto site = http::StaticFiles::directory("/srv/www");
//   router.fallback(site.handler());            // every path no route claims
//   router.get("/assets/*path", [site](http::Request& req) {
//     return site.serve_path(req, req.param("path"));
//   });
//
// What it does, as nginx users expect:
// - a directory serves its index.html; a directory without the trailing slash is redirected
//   (301) to it; `/page` serves `page.html` when only that exists;
// - Content-Type from the extension; ETag and Last-Modified, with If-None-Match and
//   If-Modified-Since answered 304; one `Range: bytes=` range answered 206 (416 when it cannot
//   be satisfied; several ranges get the whole file); HEAD;
// - gzip for compressible types when the client accepts it (and asks for no range: a range
//   always applies to the identity bytes): a precompressed `name.gz` next to the file when there
//   is one, else compressed once per worker and kept (small files in the file cache, files up to
//   gzip_max_file in a gzip cache of gzip_cache_max_total bytes, compressed in slices between
//   which the worker serves other requests). A file gzip does not shrink is remembered as such
//   and sent as it is; the two representations have different ETags;
// - large files go from the page cache to the socket with sendfile(2); small ones are kept in
//   a per-worker cache, revalidated with one stat per request;
// - nothing outside the root: dot segments are resolved (`/a/../b` is `/b`), and a `..` above
//   the root (also percent-encoded), backslashes and NUL bytes are refused (403); symlinks are
//   only followed within the root (openat2 RESOLVE_BENEATH); dotfiles are hidden (404) unless
//   allowed; the slash-adding redirect never names another host (`//x` -> `/x/`);
// - If-Match and If-Unmodified-Since answer 412 when they fail; other known methods 405,
//   unknown ones and CONNECT 501.
#pragma once

#include <chrono>
#include <cstddef>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zokio/http/message.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

struct StaticOptions {
  std::string index = "index.html";
  bool html_fallback = true;             // `/page` -> `page.html`
  bool hide_dotfiles = true;             // `/.git/config`, `/.env` -> 404
  bool gzip = true;                      // compress compressible types for clients that accept gzip
  bool precompressed = true;             // prefer an existing `name.gz`
  std::size_t sendfile_min = 16 * 1024;  // files at least this large are sent by sendfile
  std::size_t cache_max_file = 256 * 1024;         // larger files are never held in memory
  std::size_t cache_max_total = 16 * 1024 * 1024;  // per worker
  std::string cache_control;                    // a Cache-Control value for every file; empty: none
  std::size_t gzip_max_file = 8 * 1024 * 1024;  // larger files are compressed only as `name.gz`
  std::size_t gzip_cache_max_total = 32 * 1024 * 1024;  // gzip copies of larger files, per worker
};

// A file compiled into the program (see apps/zokio-server/embed_site.cmake).
struct EmbeddedFile {
  std::string_view path;  // relative to the site root, '/'-separated: "css/style.css"
  std::string_view data;
};

class StaticFiles {
 public:
  // Serves the directory `root`. Throws std::system_error with a message naming it when it is
  // not an openable directory.
  static StaticFiles directory(const std::string& root, StaticOptions options = {});
  // Serves files held in memory; `modified` is their Last-Modified time (e.g. the build time).
  static StaticFiles embedded(std::span<const EmbeddedFile> files, std::time_t modified,
                              StaticOptions options = {});

  // Serves the file named by the request's path.
  Task<Response> serve(Request& req) const;
  // Serves `path` (percent-encoded, relative to the root, as a router wildcard captures it).
  Task<Response> serve_path(Request& req, std::string_view path) const;
  Handler handler() const;
  // How many times, in this process, a static file was run through the compressor (each file
  // version at most once per worker while the caches hold it).
  static std::uint64_t compressions() noexcept;

  struct Source;  // a directory or an embedded set (internal)

 private:
  explicit StaticFiles(std::shared_ptr<const Source> source) : source_(std::move(source)) {}
  std::shared_ptr<const Source> source_;
};

}  // namespace zokio::http
