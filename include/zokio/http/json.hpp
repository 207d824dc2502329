// Writing JSON text by hand without mistakes: string escaping (RFC 8259 §7).
#pragma once

#include <string>
#include <string_view>

namespace zokio::http {

// Appends `s` as a JSON string, quotes included. Valid UTF-8 passes through; '"', '\\' and
// control characters are escaped; each byte of an invalid UTF-8 sequence becomes U+FFFD, so the
// output is always valid JSON whatever bytes a client sent.
void append_json_string(std::string& out, std::string_view s);
std::string json_string(std::string_view s);

}  // namespace zokio::http
