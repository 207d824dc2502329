// The CORS middleware (Fetch standard, "CORS protocol").
#include <string>

#include "zokio/http/middleware.hpp"

namespace zokio::http {

Middleware cors(CorsOptions options) {
  return [options](Request& req, const Handler& next) -> Task<Response> {
    const std::string_view origin = req.header("origin");
    const bool any = options.allow_origin == "*";
    const bool allowed = !origin.empty() && (any || origin == options.allow_origin);
    const std::string allow_origin = any ? std::string("*") : std::string(origin);
    if (allowed && req.method() == "OPTIONS" &&
        !req.header("access-control-request-method").empty()) {
      Response pre(204);
      pre.header("Access-Control-Allow-Origin", allow_origin);
      pre.header("Access-Control-Allow-Methods", options.allow_methods);
      pre.header("Access-Control-Allow-Headers", options.allow_headers);
      pre.header("Access-Control-Max-Age", std::to_string(options.max_age.count()));
      if (!any) pre.header("Vary", "Origin");
      co_return pre;
    }
    Response resp = co_await next(req);
    if (allowed) {
      resp.header("Access-Control-Allow-Origin", allow_origin);
      if (!any) resp.header("Vary", "Origin");
    }
    co_return resp;
  };
}

}  // namespace zokio::http
