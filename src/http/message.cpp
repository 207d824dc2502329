// Out-of-line parts of the HTTP message types (message.hpp).
#include "zokio/http/message.hpp"

#include <unistd.h>

#include "http/parser/fields.hpp"

namespace zokio::http {

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
