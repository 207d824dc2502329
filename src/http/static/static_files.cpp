// StaticFiles (static_files.hpp): from a request path to a response. The source finds the
// file; this part applies the HTTP rules (methods, redirects, validators, ranges, encoding).
#include "zokio/http/static_files.hpp"

#include <atomic>
#include <charconv>
#include <optional>

#include "http/http_date.hpp"
#include "http/static/conditional.hpp"
#include "http/static/file_source.hpp"
#include "http/static/path_guard.hpp"
#include "zokio/http/middleware.hpp"

namespace zokio::http {

namespace {

using detail::FileInfo;
using detail::LookupResult;

Response plain(int status, std::string_view text) {
  return Response::text(std::string(text) + "\n", status);
}

std::string etag_of(const FileInfo& info, bool gzip) {
  if (!gzip) return info.etag;
  std::string tag = info.etag;  // the variants differ in bytes, so in tags: "...-gz"
  tag.insert(tag.size() - 1, "-gz");
  return tag;
}

Response body_of(const detail::Representation& rep, std::string_view type, std::uint64_t first,
                 std::uint64_t length, int status) {
  if (rep.file) return Response::file(rep.file, first, length, std::string(type), status);
  auto bytes = rep.data.substr(static_cast<std::size_t>(first), static_cast<std::size_t>(length));
  return Response::bytes(std::string(bytes), std::string(type), status);
}

std::string content_range(std::uint64_t first, std::uint64_t length, std::uint64_t size) {
  std::string s = "bytes ";
  s +=
      std::to_string(first) + "-" + std::to_string(first + length - 1) + "/" + std::to_string(size);
  return s;
}

// Whether this request should get the gzip representation, if there is one. Ranges apply to the
// identity bytes, so a range request never gets gzip.
bool wants_gzip(const Request& req, const StaticOptions& opts) noexcept {
  return opts.gzip && req.header("range").empty() && accepts_gzip(req.header("accept-encoding"));
}

// The response for a found file, after the method and path checks.
Response respond(Request& req, const FileInfo& info, const StaticOptions& opts) {
  const std::string_view range_header = req.header("range");
  const bool use_gzip = info.has_gzip && wants_gzip(req, opts);
  const detail::Representation& rep = use_gzip ? info.gzip : info.identity;
  const std::string etag = etag_of(info, use_gzip);
  const std::string last_modified = detail::http_date(info.mtime);

  auto validators = [&](Response& r) {
    r.header("ETag", etag);
    r.header("Last-Modified", last_modified);
    if (!opts.cache_control.empty()) r.header("Cache-Control", opts.cache_control);
    if (info.compressible && opts.gzip) r.header("Vary", "Accept-Encoding");
  };

  // RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else
  // If-Modified-Since.
  const std::string_view if_match = req.header("if-match");
  bool precondition_failed = false;
  if (!if_match.empty()) {
    precondition_failed = !detail::match_holds(if_match, etag);
  } else if (auto ius = detail::parse_http_date(req.header("if-unmodified-since"))) {
    precondition_failed = info.mtime > *ius;
  }
  if (precondition_failed) {
    Response r = plain(412, "precondition failed");
    validators(r);
    return r;
  }
  const std::string_view inm = req.header("if-none-match");
  bool not_modified = false;
  if (!inm.empty()) {
    not_modified = detail::none_match_hits(inm, etag);
  } else if (auto ims = detail::parse_http_date(req.header("if-modified-since"))) {
    not_modified = info.mtime <= *ims;
  }
  if (not_modified) {
    Response r(304);
    validators(r);
    return r;
  }

  const std::uint64_t size = rep.size;
  if (!range_header.empty() && req.method() == "GET" &&
      detail::if_range_holds(req.header("if-range"), etag, info.mtime)) {
    detail::ByteRange range;
    switch (detail::parse_range(range_header, size, range)) {
      case detail::RangeVerdict::kSatisfiable: {
        Response r = body_of(rep, info.type, range.first, range.length, 206);
        validators(r);
        r.header("Accept-Ranges", "bytes");
        r.header("Content-Range", content_range(range.first, range.length, size));
        return r;
      }
      case detail::RangeVerdict::kUnsatisfiable: {
        Response r = plain(416, "range not satisfiable");
        r.header("Content-Range", "bytes */" + std::to_string(size));
        r.header("Accept-Ranges", "bytes");
        return r;
      }
      case detail::RangeVerdict::kIgnore:
        break;
    }
  }
  Response r = body_of(rep, info.type, 0, size, 200);
  validators(r);
  r.header("Accept-Ranges", "bytes");
  if (use_gzip) r.header("Content-Encoding", "gzip");
  return r;
}

// A redirect target for `path` plus a slash that stays on this origin: leading slashes (and
// backslashes) collapse into one, so "//host" can never be read as an authority.
std::string same_origin_location(std::string_view path, std::string_view query) {
  while (!path.empty() && (path.front() == '/' || path.front() == '\\')) path.remove_prefix(1);
  std::string location = "/";
  location.append(path);
  location.push_back('/');
  if (!query.empty()) location.append("?").append(query);
  return location;
}

// The response, or (with `deferred_gzip`) nothing when the file's gzip copy must be made first:
// its path is then in *deferred_gzip.
std::optional<Response> serve_now(const StaticFiles::Source& src, Request& req,
                                  std::string_view raw_path, std::string* deferred_gzip) {
  const StaticOptions& opts = src.options;
  const std::string_view method = req.method();
  if (method != "GET" && method != "HEAD") {
    if (!detail::is_standard_method(method) || method == "CONNECT") {
      return plain(501, "method not implemented");
    }
    Response r(method == "OPTIONS" ? 204 : 405);
    r.header("Allow", "GET, HEAD, OPTIONS");
    if (method != "OPTIONS") r.with_body("method not allowed\n", "text/plain; charset=utf-8");
    return r;
  }
  detail::CleanPath path;
  switch (detail::clean_path(raw_path, opts.hide_dotfiles, path)) {
    case detail::PathVerdict::kForbidden:
      return plain(403, "forbidden");
    case detail::PathVerdict::kHidden:
      return plain(404, "not found");
    case detail::PathVerdict::kOk:
      break;
  }
  // Only for a client that takes gzip: nobody else makes the server compress.
  const bool want_gzip = wants_gzip(req, opts);
  FileInfo info;
  info.may_compress = method == "GET";  // HEAD uses a copy that exists, never makes one
  std::string found_rel = path.rel;
  LookupResult found = src.lookup(found_rel, want_gzip, info);
  if (found == LookupResult::kMissing && opts.html_fallback && !path.trailing_slash &&
      !path.rel.empty() && path.rel.find('.', path.rel.rfind('/') + 1) == std::string::npos) {
    found_rel = path.rel + ".html";
    found = src.lookup(found_rel, want_gzip, info);
    if (found == LookupResult::kDirectory) found = LookupResult::kMissing;
  }
  if (found == LookupResult::kDirectory) {
    if (!path.trailing_slash && !path.rel.empty()) {
      // As nginx does: relative links in the index page need the slash.
      Response r = plain(301, "moved permanently");
      r.header("Location", same_origin_location(req.path(), req.query()));
      return r;
    }
    found_rel = path.rel.empty() ? opts.index : path.rel + "/" + opts.index;
    found = src.lookup(found_rel, want_gzip, info);
    if (found == LookupResult::kDirectory) found = LookupResult::kMissing;
  } else if (found == LookupResult::kFile && path.trailing_slash) {
    found = LookupResult::kMissing;  // "/file.txt/" names no file
  }
  switch (found) {
    case LookupResult::kFile:
      if (info.gzip_deferred && deferred_gzip) {
        *deferred_gzip = std::move(found_rel);
        return std::nullopt;
      }
      return respond(req, info, opts);
    case LookupResult::kForbidden:
      return plain(403, "forbidden");
    case LookupResult::kUnavailable: {
      // Out of descriptors: the file exists, the server cannot open it now. Not a 403.
      Response r = plain(503, "service unavailable: out of file descriptors");
      r.header("Retry-After", "1");
      return r;
    }
    default:
      return plain(404, "not found");
  }
}

Task<Response> serve_task(std::shared_ptr<const StaticFiles::Source> src, Request& req,
                          std::string path) {
  std::string deferred;
  auto r = serve_now(*src, req, path, &deferred);
  if (r) co_return std::move(*r);
  co_await src->make_gzip(deferred);
  // The copy is made (or known useless); never defer twice.
  co_return std::move(*serve_now(*src, req, path, nullptr));
}

std::atomic<std::uint64_t> g_compressions{0};

}  // namespace

namespace detail {
void count_compression() noexcept {
  g_compressions.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

Task<void> StaticFiles::Source::make_gzip(const std::string&) const {
  co_return;
}

std::uint64_t StaticFiles::compressions() noexcept {
  return g_compressions.load(std::memory_order_relaxed);
}

StaticFiles StaticFiles::directory(const std::string& root, StaticOptions options) {
  return StaticFiles(detail::make_directory_source(root, std::move(options)));
}

StaticFiles StaticFiles::embedded(std::span<const EmbeddedFile> files, std::time_t modified,
                                  StaticOptions options) {
  return StaticFiles(detail::make_embedded_source(files, modified, std::move(options)));
}

Task<Response> StaticFiles::serve(Request& req) const {
  return serve_task(source_, req, std::string(req.path()));
}

Task<Response> StaticFiles::serve_path(Request& req, std::string_view path) const {
  return serve_task(source_, req, std::string(path));
}

Handler StaticFiles::handler() const {
  auto src = source_;
  return [src](Request& req) { return serve_task(src, req, std::string(req.path())); };
}

}  // namespace zokio::http
