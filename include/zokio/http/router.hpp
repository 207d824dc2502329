// http::Router: method + path routing for http::Server, with middleware.
//
//   http::Router router;
//   router.get("/hello", hello)
//       .get("/users/:id", show_user)          // req.param("id")
//       .get("/static/*path", serve_static)    // req.param("path"): the rest of the path
//       .post("/api/echo", echo)
//       .use(http::request_id());              // middleware, outermost first
//   http::Server server(config, router.handler());
//
// Patterns are literal segments, `:name` parameters (one segment) and a final `*name` wildcard
// (the rest of the path, possibly empty). A literal beats a parameter, which beats a wildcard.
// Paths are matched as they arrive (percent-encoded, query excluded). Unknown path: 404, or the
// fallback handler if one is set. Known path, other method: 405 with an Allow header. HEAD is
// answered by the GET handler when there is no HEAD route (the server sends no body), and
// OPTIONS by a 204 with Allow when there is no OPTIONS route.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zokio/http/message.hpp"
#include "zokio/task.hpp"

namespace zokio::http {

// Runs around a handler: may inspect or answer the request itself, and may change the
// response `next(req)` returns. Middleware is a coroutine like handlers:
//
//   Middleware timing = [](Request& req, const Handler& next) -> Task<Response> {
//     auto resp = co_await next(req);
//     resp.header("X-Served-By", "zokio");
//     co_return resp;
//   };
using Middleware = std::function<Task<Response>(Request&, const Handler& next)>;

// Wraps `inner` in `layers` (the first is outermost). The result shares nothing mutable.
Handler compose(std::vector<Middleware> layers, Handler inner);

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Adds a route. Throws std::invalid_argument for a malformed pattern (not starting with '/',
  // an empty or duplicate parameter name, a wildcard before the end, more than 8 parameters)
  // or a method/pattern pair that is already routed.
  Router& route(std::string_view method, std::string_view pattern, Handler handler);
  Router& get(std::string_view pattern, Handler h) { return route("GET", pattern, std::move(h)); }
  Router& post(std::string_view pattern, Handler h) { return route("POST", pattern, std::move(h)); }
  Router& put(std::string_view pattern, Handler h) { return route("PUT", pattern, std::move(h)); }
  Router& patch(std::string_view pattern, Handler h) {
    return route("PATCH", pattern, std::move(h));
  }
  Router& del(std::string_view pattern, Handler h) {
    return route("DELETE", pattern, std::move(h));
  }
  Router& options(std::string_view pattern, Handler h) {
    return route("OPTIONS", pattern, std::move(h));
  }

  // Answers requests whose path matches no route (instead of the 404), e.g. a static site.
  Router& fallback(Handler handler);
  // Adds middleware around every request, routed or not; the first added runs outermost.
  Router& use(Middleware middleware);

  // Routes one request (without the middleware).
  Task<Response> dispatch(Request& req) const;
  // The router with its middleware as a handler for http::Server. The router's routes are
  // shared with it: add every route before serving.
  Handler handler() const;

  // The methods routed for `path` ("GET, HEAD, POST"), empty if no route matches it.
  std::string allowed_methods(std::string_view path) const;

 private:
  struct Node;
  struct Table;
  struct State;
  static Task<Response> dispatch_state(const State& st, Request& req);
  std::shared_ptr<State> state_;
};

}  // namespace zokio::http
