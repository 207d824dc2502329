// Media types by file extension, for static files.
#pragma once

#include <string_view>

namespace zokio::http::detail {

// The Content-Type for a file name ("application/octet-stream" when the extension is unknown);
// text types carry charset=utf-8.
std::string_view mime_type(std::string_view filename) noexcept;

}  // namespace zokio::http::detail
