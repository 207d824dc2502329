// gzip (RFC 1952) compression with zlib, for the compress middleware and static files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zokio::http::detail {

// The gzip member of `data`; nullopt if zlib fails (out of memory).
std::optional<std::string> gzip_compress(std::string_view data, int level);

}  // namespace zokio::http::detail
