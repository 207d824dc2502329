// Out-of-line parts of the HTTP message types (message.hpp).
#include "zokio/http/message.hpp"

#include <unistd.h>

#include "http/parser/fields.hpp"

namespace zokio::http {

namespace detail {
std::string_view origin_path(std::string_view target_path) noexcept {
  // The parser let an absolute-form target through only as scheme "://" authority [path].
  const auto scheme_end = target_path.find("://");
  if (scheme_end == std::string_view::npos) return target_path;  // "*", or CONNECT's authority
  const auto slash = target_path.find('/', scheme_end + 3);
  return slash == std::string_view::npos ? std::string_view("/") : target_path.substr(slash);
}

bool is_standard_method(std::string_view m) noexcept {
  for (std::string_view known :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    if (m == known) return true;
  }
  return false;
}
}  // namespace detail

OpenFile::~OpenFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string_view Response::header_value(std::string_view name) const noexcept {
  if (detail::iequals(name, "content-type")) return content_type();
  for (const auto& [n, v] : headers_) {
    if (detail::iequals(n, name)) return v;
  }
  return {};
}

}  // namespace zokio::http
