// StaticFiles (static_files.hpp): from a request path to a response. The source finds the
// file; this part applies the HTTP rules (methods, redirects, validators, ranges, encoding).
#include "zokio/http/static_files.hpp"

#include <charconv>

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

// The response for a found file, after the method and path checks.
Response respond(Request& req, const FileInfo& info, const StaticOptions& opts) {
  const std::string_view range_header = req.header("range");
  // Ranges are served from the identity representation, so a range request never gets gzip.
  const bool use_gzip =
      info.has_gzip && range_header.empty() && accepts_gzip(req.header("accept-encoding"));
  const detail::Representation& rep = use_gzip ? info.gzip : info.identity;
  const std::string etag = etag_of(info, use_gzip);
  const std::string last_modified = detail::http_date(info.mtime);

  auto validators = [&](Response& r) {
    r.header("ETag", etag);
    r.header("Last-Modified", last_modified);
    if (!opts.cache_control.empty()) r.header("Cache-Control", opts.cache_control);
    if (info.compressible && opts.gzip) r.header("Vary", "Accept-Encoding");
  };

  // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it.
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

Response serve_now(const StaticFiles::Source& src, Request& req, std::string_view raw_path) {
  const StaticOptions& opts = src.options;
  const std::string_view method = req.method();
  if (method != "GET" && method != "HEAD") {
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
  const bool want_gzip = opts.gzip;
  FileInfo info;
  LookupResult found = src.lookup(path.rel, want_gzip, info);
  if (found == LookupResult::kMissing && opts.html_fallback && !path.trailing_slash &&
      !path.rel.empty() && path.rel.find('.', path.rel.rfind('/') + 1) == std::string::npos) {
    found = src.lookup(path.rel + ".html", want_gzip, info);
    if (found == LookupResult::kDirectory) found = LookupResult::kMissing;
  }
  if (found == LookupResult::kDirectory) {
    if (!path.trailing_slash && !path.rel.empty()) {
      // As nginx does: relative links in the index page need the slash.
      Response r = plain(301, "moved permanently");
      std::string location(req.path());
      location.push_back('/');
      if (!req.query().empty()) location.append("?").append(req.query());
      r.header("Location", std::move(location));
      return r;
    }
    std::string index = path.rel.empty() ? opts.index : path.rel + "/" + opts.index;
    found = src.lookup(index, want_gzip, info);
    if (found == LookupResult::kDirectory) found = LookupResult::kMissing;
  } else if (found == LookupResult::kFile && path.trailing_slash) {
    found = LookupResult::kMissing;  // "/file.txt/" names no file
  }
  switch (found) {
    case LookupResult::kFile:
      return respond(req, info, opts);
    case LookupResult::kForbidden:
      return plain(403, "forbidden");
    default:
      return plain(404, "not found");
  }
}

Task<Response> serve_task(std::shared_ptr<const StaticFiles::Source> src, Request& req,
                          std::string path) {
  co_return serve_now(*src, req, path);
}

}  // namespace

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
