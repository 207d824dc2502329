// Ready-made middleware for http::Router::use (see router.hpp for the Middleware type).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "zokio/http/router.hpp"

namespace zokio::http {

struct CorsOptions {
  std::string allow_origin = "*";  // or one origin, echoed back only when it matches
  std::string allow_methods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
  std::string allow_headers = "Content-Type, Authorization";
  std::chrono::seconds max_age{600};  // how long a browser may cache a preflight answer
};
// Cross-origin resource sharing: answers preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) with 204 and adds Access-Control-Allow-Origin to responses
// of requests that carry an allowed Origin.
Middleware cors(CorsOptions options = {});

// Gives every response an X-Request-Id: the client's own when it sent a sane one (1 to 64
// visible ASCII characters), otherwise a new process-unique id.
Middleware request_id();

struct CompressOptions {
  std::size_t min_size = 256;  // smaller bodies are not worth the CPU
  int level = 6;               // zlib level 1..9
};
// gzip for response bodies held in memory when the client accepts it and the type is
// compressible (text/*, JSON, JavaScript, XML, SVG). Adds Vary: Accept-Encoding. Streamed
// and file bodies, responses that already have a Content-Encoding, and responses whose Vary
// already lists Accept-Encoding (their producer chose the encoding: static files, which
// compress each file once, do) pass unchanged.
Middleware compress(CompressOptions options = {});

// Whether an Accept-Encoding value allows gzip (RFC 9110 §12.5.3: "gzip" or "*" with q > 0).
bool accepts_gzip(std::string_view accept_encoding) noexcept;
// Whether a media type is worth compressing.
bool compressible_type(std::string_view content_type) noexcept;

}  // namespace zokio::http
