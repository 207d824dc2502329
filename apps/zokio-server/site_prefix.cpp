// Rewrites the embedded site's links to the built-in routes (see site_prefix.hpp).
#include "site_prefix.hpp"

namespace zokio::server {

namespace {

// The built-in routes the site links to, as they appear after a quote (href, fetch) or a '>'
// (link text).
constexpr std::string_view kRoutes[] = {"/api/stats", "/api/status", "/metrics", "/json",
                                        "/hello",     "/healthz",    "/readyz"};

std::string rewrite(std::string_view text, std::string_view prefix) {
  std::string out;
  out.reserve(text.size() + 256);
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    out.push_back(c);
    ++i;
    if (c != '"' && c != '>') continue;
    for (std::string_view route : kRoutes) {
      const std::string_view rest = text.substr(i);
      if (!rest.starts_with(route)) continue;
      const std::string_view after = rest.substr(route.size());
      // A whole path: followed by the end of the attribute, of the text, or a query.
      if (!after.empty() && after[0] != '"' && after[0] != '<' && after[0] != '?') continue;
      out.append(prefix);
      break;
    }
  }
  return out;
}

bool rewritten(std::string_view path) {
  return path.ends_with(".html") || path.ends_with(".js");
}

}  // namespace

std::vector<http::EmbeddedFile> with_builtin_prefix(std::span<const http::EmbeddedFile> files,
                                                    std::string_view prefix,
                                                    std::vector<std::string>& storage) {
  std::vector<http::EmbeddedFile> out(files.begin(), files.end());
  if (prefix.empty()) return out;
  storage.reserve(storage.size() + out.size());  // views into storage stay valid
  for (auto& f : out) {
    if (!rewritten(f.path)) continue;
    storage.push_back(rewrite(f.data, prefix));
    f.data = storage.back();
  }
  return out;
}

}  // namespace zokio::server
