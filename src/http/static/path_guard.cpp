// Path sanitising for static files (see path_guard.hpp).
#include "http/static/path_guard.hpp"

namespace zokio::http::detail {

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

PathVerdict clean_path(std::string_view raw, bool hide_dotfiles, CleanPath& out) {
  // Decode first, so that "%2e%2e" and "%2f" are judged as the file system will see them.
  std::string decoded;
  decoded.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return PathVerdict::kForbidden;
      const int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return PathVerdict::kForbidden;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return PathVerdict::kForbidden;
    decoded.push_back(c);
  }
  out.rel.clear();
  out.trailing_slash = !decoded.empty() && decoded.back() == '/';
  std::string_view rest(decoded);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {  // removes the segment before it; above the root is refused
      if (out.rel.empty()) return PathVerdict::kForbidden;
      const auto slash = out.rel.rfind('/');
      out.rel.erase(slash == std::string::npos ? 0 : slash);
      continue;
    }
    if (seg.front() == '.' && hide_dotfiles) return PathVerdict::kHidden;
    if (!out.rel.empty()) out.rel.push_back('/');
    out.rel.append(seg);
  }
  return PathVerdict::kOk;
}

}  // namespace zokio::http::detail
