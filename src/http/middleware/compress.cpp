// The compress middleware and the Accept-Encoding rules it shares with static files.
#include <charconv>

#include "http/gzip.hpp"
#include "http/parser/fields.hpp"
#include "zokio/http/middleware.hpp"

namespace zokio::http {

namespace {

using detail::trim_ows;

// The weight of one Accept-Encoding element ("gzip;q=0.5"): 0 when q is 0 (or malformed).
bool positive_weight(std::string_view params) noexcept {
  while (!params.empty()) {
    auto semi = params.find(';');
    std::string_view p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    std::string_view v = trim_ows(p.substr(2));
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ): positive unless all zero.
    for (char c : v) {
      if (c >= '1' && c <= '9') return true;
    }
    return false;
  }
  return true;
}

// Whether a comma-separated header value lists `token` (case-insensitively).
bool lists_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    auto comma = value.find(',');
    if (detail::iequals(trim_ows(value.substr(0, comma)), token)) return true;
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
  return false;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) noexcept {
  bool star = false, gzip_listed = false, gzip = false;
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = trim_ows(item.substr(0, semi));
    std::string_view params =
        semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    if (detail::iequals(coding, "gzip") || detail::iequals(coding, "x-gzip")) {
      gzip_listed = true;
      gzip = positive_weight(params);
    } else if (coding == "*") {
      star = positive_weight(params);
    }
  }
  return gzip_listed ? gzip : star;
}

bool compressible_type(std::string_view type) noexcept {
  type = type.substr(0, type.find(';'));
  type = trim_ows(type);
  auto starts = [&](std::string_view p) {
    return type.size() >= p.size() && detail::iequals(type.substr(0, p.size()), p);
  };
  return starts("text/") || detail::iequals(type, "application/json") ||
         detail::iequals(type, "application/javascript") ||
         detail::iequals(type, "application/xml") || detail::iequals(type, "image/svg+xml") ||
         detail::iequals(type, "application/wasm") ||
         (type.size() > 5 && detail::iequals(type.substr(type.size() - 5), "+json"));
}

Middleware compress(CompressOptions options) {
  return [options](Request& req, const Handler& next) -> Task<Response> {
    Response resp = co_await next(req);
    // Cheapest checks first: most responses of a busy server are small (and never compressed,
    // so they need no Vary either).
    if (resp.body().size() < options.min_size) co_return resp;
    const int status = resp.status();
    if (status < 200 || status == 204 || status == 304 || resp.streaming() || resp.file()) {
      co_return resp;
    }
    if (!compressible_type(resp.content_type())) co_return resp;
    if (!resp.header_value("content-encoding").empty()) co_return resp;
    // A producer that already varies on Accept-Encoding has chosen the encoding itself (a
    // static file that gzip does not shrink must not be compressed again on every request).
    if (lists_token(resp.header_value("vary"), "accept-encoding")) co_return resp;
    // A cache in front must keep the two variants apart, whichever this client gets.
    resp.header("Vary", "Accept-Encoding");
    // The request's views stay valid until the handler chain returns, so it is read here.
    if (!accepts_gzip(req.header("accept-encoding"))) co_return resp;
    auto gz = detail::gzip_compress(resp.body(), options.level);
    if (!gz || gz->size() >= resp.body().size()) co_return resp;
    resp.set_body(std::move(*gz));
    resp.header("Content-Encoding", "gzip");
    co_return resp;
  };
}

}  // namespace zokio::http
