// The Date header value (RFC 9110 §5.6.7 IMF-fixdate), formatted at most once per second per
// thread instead of once per response.
#pragma once

#include <string_view>

namespace zokio::http::detail {

// "Sun, 06 Nov 1994 08:49:37 GMT" for the current second; valid until the next call on this
// thread.
std::string_view http_date_now() noexcept;

}  // namespace zokio::http::detail
