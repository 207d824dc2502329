// Turns a request path into a path relative to a static root, refusing every way out of it
// that can be spelled in a URL. The kernel enforces the rest (symlinks) at open time.
#pragma once

#include <string>
#include <string_view>

namespace zokio::http::detail {

enum class PathVerdict {
  kOk,
  kForbidden,  // `..` above the root, backslash, NUL, a malformed percent-escape
  kHidden,     // a dotfile or dot-directory, when they are hidden
};

struct CleanPath {
  std::string rel;              // "a/b.html"; empty for the root
  bool trailing_slash = false;  // the URL named a directory ("/docs/")
};

// Percent-decodes `raw` (a URL path, no query), drops empty and "." segments, resolves ".."
// against the segments before it (RFC 3986 §5.2.4), and fails on anything that could climb out
// of the root or confuse a file system.
PathVerdict clean_path(std::string_view raw, bool hide_dotfiles, CleanPath& out);

}  // namespace zokio::http::detail
