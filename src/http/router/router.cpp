// The router (router.hpp): a segment trie matched without allocation. Each node holds its
// literal children, at most one `:param` child and at most one `*wildcard` table; a terminal
// node (or wildcard) holds a small method table. Routes are few, so children are scanned
// linearly, which beats hashing for short segment names.
#include "zokio/http/router.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "http/parser/fields.hpp"

namespace zokio::http {

struct Router::Table {
  std::vector<std::pair<std::string, Handler>> methods;
  std::vector<std::string> param_names;  // in capture order, for this route
  bool empty() const noexcept { return methods.empty(); }
  const Handler* find(std::string_view method) const noexcept {
    for (const auto& [m, h] : methods) {
      if (m == method) return &h;
    }
    return nullptr;
  }
  std::string allow() const {
    std::vector<std::string_view> names;
    bool get = false, head = false, options = false;
    for (const auto& [m, h] : methods) {
      names.push_back(m);
      get = get || m == "GET";
      head = head || m == "HEAD";
      options = options || m == "OPTIONS";
    }
    if (get && !head) names.push_back("HEAD");
    if (!options) names.push_back("OPTIONS");
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto n : names) {
      if (!out.empty()) out.append(", ");
      out.append(n);
    }
    return out;
  }
};

struct Router::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> param;
  std::string wildcard_name;
  Table wildcard;
  Table table;
};

struct Router::State {
  Node root;
  std::vector<std::string> extra_methods;  // registered methods beyond the standard ones
  Handler fallback;
  std::vector<Middleware> middleware;
};

namespace {

// Splits "/a/b" into "a", "b" one at a time. "/" is one empty segment.
struct Segments {
  std::string_view rest;
  bool done = false;
  std::string_view next() noexcept {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    if (slash == std::string_view::npos) {
      done = true;
      rest = {};
    } else {
      rest.remove_prefix(slash + 1);
    }
    return seg;
  }
};

struct Capture {
  std::array<std::string_view, 8> values{};
  std::size_t count = 0;
};

// RFC 9110 §15.6.2: 501 for a method the server does not implement at all; 405 is for a known
// method the resource does not allow. CONNECT asks for a tunnel, which is not implemented either.
bool implemented(std::string_view method, const std::vector<std::string>& extra) noexcept {
  if (method == "CONNECT") return false;
  return detail::is_standard_method(method) ||
         std::find(extra.begin(), extra.end(), method) != extra.end();
}

}  // namespace

Handler compose(std::vector<Middleware> layers, Handler inner) {
  Handler h = std::move(inner);
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    // The lambda owns `next`; the Task the middleware returns refers to it, which is safe
    // because the composed handler outlives every request it serves.
    h = [mw = std::move(*it), next = std::move(h)](Request& req) { return mw(req, next); };
  }
  return h;
}

Router::Router() : state_(std::make_shared<State>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

Router& Router::route(std::string_view method, std::string_view pattern, Handler handler) {
  auto bad = [&](const char* why) {
    return std::invalid_argument("route " + std::string(method) + " " + std::string(pattern) +
                                 ": " + why);
  };
  if (method.empty()) throw bad("empty method");
  if (pattern.empty() || pattern.front() != '/') throw bad("the pattern must start with '/'");
  Node* node = &state_->root;
  std::vector<std::string> names;
  Segments segs{pattern.substr(1)};
  Table* table = nullptr;
  while (!segs.done) {
    std::string_view seg = segs.next();
    if (!seg.empty() && (seg.front() == ':' || seg.front() == '*')) {
      std::string name(seg.substr(1));
      if (name.empty()) throw bad("a parameter needs a name");
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        throw bad("duplicate parameter name");
      }
      names.push_back(name);
      if (names.size() > 8) throw bad("more than 8 parameters");
      if (seg.front() == '*') {
        if (!segs.done) throw bad("a wildcard must be the last segment");
        if (!node->wildcard.empty() && node->wildcard_name != name) {
          throw bad("another wildcard name is routed here");
        }
        node->wildcard_name = name;
        table = &node->wildcard;
        break;
      }
      if (!node->param) node->param = std::make_unique<Node>();
      node = node->param.get();
      continue;
    }
    auto it = std::find_if(node->literals.begin(), node->literals.end(),
                           [&](const auto& l) { return l.first == seg; });
    if (it == node->literals.end()) {
      node->literals.emplace_back(std::string(seg), std::make_unique<Node>());
      it = std::prev(node->literals.end());
    }
    node = it->second.get();
  }
  if (!table) table = &node->table;
  if (!table->empty() && table->param_names != names) {
    throw bad("the same path is routed with other parameter names");
  }
  if (table->find(method)) throw bad("already routed");
  table->param_names = std::move(names);
  table->methods.emplace_back(std::string(method), std::move(handler));
  auto& extra = state_->extra_methods;
  if (!detail::is_standard_method(method) &&
      std::find(extra.begin(), extra.end(), method) == extra.end()) {
    extra.emplace_back(method);
  }
  return *this;
}

Router& Router::fallback(Handler handler) {
  state_->fallback = std::move(handler);
  return *this;
}

Router& Router::use(Middleware middleware) {
  state_->middleware.push_back(std::move(middleware));
  return *this;
}

namespace {

// Depth-first match, literal before parameter before wildcard; backtracks when a branch ends
// without a route.
template <class Node, class Table>
const Table* match(const Node& node, Segments segs, Capture& cap) {
  if (segs.done) return node.table.empty() ? nullptr : &node.table;
  Segments after = segs;
  std::string_view seg = after.next();
  for (const auto& [lit, child] : node.literals) {
    if (lit == seg) {
      if (auto* t = match<Node, Table>(*child, after, cap)) return t;
      break;
    }
  }
  if (node.param && !seg.empty() && cap.count < cap.values.size()) {
    cap.values[cap.count++] = seg;
    if (auto* t = match<Node, Table>(*node.param, after, cap)) return t;
    --cap.count;
  }
  if (!node.wildcard.empty() && cap.count < cap.values.size()) {
    cap.values[cap.count++] = segs.rest;
    return &node.wildcard;
  }
  return nullptr;
}

}  // namespace

Task<Response> Router::dispatch(Request& req) const {
  return dispatch_state(*state_, req);
}

Task<Response> Router::dispatch_state(const State& st, Request& req) {
  req.param_count_ = 0;
  const std::string_view method = req.method();
  if (!implemented(method, st.extra_methods)) {
    co_return Response::text("method not implemented\n", 501);
  }
  std::string_view path = req.path();
  if (path.empty() || path.front() != '/') {
    if (method == "OPTIONS" && req.target() == "*") {  // the server as a whole (RFC 9110 §9.3.7)
      Response r(204);
      r.header("Allow", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
      co_return r;
    }
    co_return Response::text("not found\n", 404);
  }
  Capture cap;
  Segments segs{path.substr(1)};
  const Table* table = match<Node, Table>(st.root, segs, cap);
  if (!table) {
    if (st.fallback) {
      auto r = co_await st.fallback(req);
      co_return r;
    }
    co_return Response::text("not found\n", 404);
  }
  for (std::size_t i = 0; i < cap.count && i < table->param_names.size(); ++i) {
    req.params_[i] = {table->param_names[i], cap.values[i]};
  }
  req.param_count_ = std::min(cap.count, table->param_names.size());
  const Handler* h = table->find(method);
  if (!h && method == "HEAD") h = table->find("GET");
  if (!h) {
    Response r(method == "OPTIONS" ? 204 : 405);
    r.header("Allow", table->allow());
    if (method != "OPTIONS") r.set_body("method not allowed\n");
    if (method != "OPTIONS") r.content_type("text/plain; charset=utf-8");
    co_return r;
  }
  auto r = co_await (*h)(req);
  co_return r;
}

Handler Router::handler() const {
  auto st = state_;
  Handler inner = [st](Request& req) { return Router::dispatch_state(*st, req); };
  return compose(st->middleware, std::move(inner));
}

std::string Router::allowed_methods(std::string_view path) const {
  path = detail::origin_path(path);
  if (path.empty() || path.front() != '/') return {};
  Capture cap;
  Segments segs{path.substr(1)};
  const Table* table = match<Node, Table>(state_->root, segs, cap);
  return table ? table->allow() : std::string();
}

}  // namespace zokio::http
