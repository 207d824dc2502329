// The embedded site names the built-in routes by absolute paths (/metrics, /api/stats, ...).
// With --builtin-prefix those paths move, so the site is served with its links rewritten.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zokio/http/static_files.hpp"

namespace zokio::server {

// The files with every link to a built-in route moved under `prefix`; the copies are kept in
// `storage`, which must outlive the returned files.
std::vector<http::EmbeddedFile> with_builtin_prefix(std::span<const http::EmbeddedFile> files,
                                                    std::string_view prefix,
                                                    std::vector<std::string>& storage);

}  // namespace zokio::server
