// Renders responses into a connection's output buffer: preformatted status lines, the cached
// Date, Server: zokio, framing headers, the handler's headers (validated) and the body.
#pragma once

#include <string>
#include <string_view>

#include "zokio/http/message.hpp"

namespace zokio::http::detail {

std::string_view reason_phrase(int status) noexcept;

struct RenderOptions {
  bool head_request = false;  // HEAD: headers only, Content-Length of the body it would have
  bool close = false;         // send Connection: close
  int version_minor = 1;
  bool chunked = false;  // a streamed body follows: Transfer-Encoding: chunked, no length
  // The connection writes the body itself, straight from the response (large bodies are not
  // copied into the output buffer).
  bool body_follows = false;
};

// Appends the response to `out`. A handler header with CR, LF or NUL, or a status outside
// 100..999, renders a 500 instead (returns false), so a handler cannot inject headers.
bool render_response(std::string& out, const Response& r, const RenderOptions& opts);

// Appends a minimal error response (text body, Connection: close).
void render_error(std::string& out, int status, std::string_view message, int version_minor);

}  // namespace zokio::http::detail
