// zokio-server's built-in routes: the original Zokio demo routes, the TechEmpower-style
// plaintext and JSON endpoints, an echo, and the observability endpoints.
#include <string>
#include <system_error>

#include "app.hpp"
#include "zokio/http/json.hpp"
#include "zokio/spawn.hpp"

namespace zokio::server {

namespace {

using http::Request;
using http::Response;

constexpr std::string_view kHello = "Hello, World!";
// JSON escaping can turn one byte into six ("\u0001"): the JSON echo takes at most this much,
// so its answer stays under 384 KiB whatever the body limit is.
constexpr std::size_t kJsonEchoMax = 64 * 1024;

bool query_has(std::string_view query, std::string_view pair) {
  while (!query.empty()) {
    auto amp = query.find('&');
    if (query.substr(0, amp) == pair) return true;
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return false;
}

Response hello() {
  return Response::text(std::string(kHello));
}

// TechEmpower's rule: the object is serialised for every request, not cached.
Response json_hello() {
  std::string body = "{\"message\":";
  http::append_json_string(body, kHello);
  body.push_back('}');
  return Response::json(std::move(body));
}

// Browsers asking for "/" get the site's index page; every other client the plaintext hello.
Task<Response> root(const App& app, Request& req) {
  const bool html = req.header("accept").find("text/html") != std::string_view::npos;
  if (html && app.site) {
    auto page = co_await app.site->serve(req);
    page.header("Vary", "Accept");
    co_return page;
  }
  auto r = hello();
  if (app.site) r.header("Vary", "Accept");
  co_return r;
}

Task<Response> echo(Request& req) {
  auto body = co_await req.body();
  if (!body) {
    const auto err = body.error();
    if (err == std::errc::message_size) co_return Response::text("request body too large\n", 413);
    if (err == std::errc::timed_out) co_return Response::text("request body timed out\n", 408);
    co_return Response::text("malformed request body\n", 400);
  }
  // A fixed type and nosniff: echoing the request's Content-Type would let anyone make this
  // origin serve a page of their choosing (text/html with a script in it).
  Response r;
  if (query_has(req.query(), "format=json")) {
    if (body->size() > kJsonEchoMax) {
      co_return Response::text("request body too large for format=json (at most " +
                                   std::to_string(kJsonEchoMax) + " bytes)\n",
                               413);
    }
    std::string out = "{\"body\":";
    http::append_json_string(out, *body);
    out += ",\"length\":" + std::to_string(body->size()) + "}";
    r = Response::json(std::move(out));
  } else {
    r = Response::bytes(std::string(*body), "application/octet-stream");
  }
  r.header("X-Content-Type-Options", "nosniff");
  co_return r;
}

Response status(const App& app) {
  const double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - app.started).count();
  std::string o = "{\"status\":";
  o += app.draining.load() ? "\"draining\"" : "\"ok\"";
  o +=
      ",\"version\":\"" + std::string(kVersion) + "\",\"uptime_seconds\":" + std::to_string(uptime);
  o += ",\"io_backend\":";
  http::append_json_string(o, app.io_backend);
  o += ",\"workers\":" + std::to_string(app.workers) + "}";
  return Response::json(std::move(o));
}

template <typename Render>
Response report(const App& app, Render render) {
  const http::Server* server = app.server.load(std::memory_order_acquire);
  if (!server) return Response::text("starting\n", 503);
  const auto total = server->stats();
  const auto workers = server->worker_stats();
  return render(total, workers, app.context(total));
}

}  // namespace

ReportContext App::context(const http::ServerStats& total) const {
  const auto now = std::chrono::steady_clock::now();
  ReportContext c;
  c.io_backend = io_backend;
  c.workers = workers;
  c.uptime_seconds = std::chrono::duration<double>(now - started).count();
  c.rps_1s = rates.rate(std::chrono::seconds(1), now, total.requests_total);
  c.rps_10s = rates.rate(std::chrono::seconds(10), now, total.requests_total);
  c.rps_60s = rates.rate(std::chrono::seconds(60), now, total.requests_total);
  c.draining = draining.load(std::memory_order_acquire);
  if (const http::Server* s = server.load(std::memory_order_acquire)) {
    c.max_connections = s->max_connections();
  }
  c.gzip_compressions = http::StaticFiles::compressions();
  return c;
}

void add_builtin_routes(http::Router& router, App& app) {
  const std::string& p = app.options.builtin_prefix;
  auto ready = [](Response r) -> Task<Response> { co_return r; };
  if (p.empty()) router.get("/", [&app](Request& req) { return root(app, req); });
  router.get(p + "/hello", [ready](Request&) { return ready(hello()); });
  router.get(p + "/plaintext", [ready](Request&) { return ready(hello()); });
  router.get(p + "/json", [ready](Request&) { return ready(json_hello()); });
  router.post(p + "/api/echo", [](Request& req) { return echo(req); });
  router.get(p + "/api/status", [&app, ready](Request&) { return ready(status(app)); });
  router.get(p + "/api/stats", [&app, ready](Request&) {
    return ready(report(app, [](const auto& t, const auto& w, const ReportContext& c) {
      auto r = Response::json(stats_json(t, w, c));
      r.header("Cache-Control", "no-store");
      return r;
    }));
  });
  router.get(p + "/metrics", [&app, ready](Request&) {
    return ready(report(app, [](const auto& t, const auto& w, const ReportContext& c) {
      return Response::bytes(prometheus_text(t, w, c), "text/plain; version=0.0.4; charset=utf-8");
    }));
  });
  router.get(p + "/healthz", [ready](Request&) { return ready(Response::text("ok\n")); });
  router.get(p + "/readyz", [&app, ready](Request&) {
    if (app.draining.load(std::memory_order_acquire)) {
      return ready(Response::text("draining\n", 503));
    }
    return ready(Response::text("ready\n"));
  });
}

}  // namespace zokio::server
