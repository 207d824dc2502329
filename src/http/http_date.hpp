// HTTP-date (RFC 9110 §5.6.7): formatting as IMF-fixdate, and parsing of the three forms a
// recipient must accept. By hand, because strftime and strptime follow the locale.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace zokio::http::detail {

// "Sun, 06 Nov 1994 08:49:37 GMT" into out (at least 30 bytes); returns the length.
std::size_t format_http_date(std::time_t t, char* out) noexcept;
std::string http_date(std::time_t t);
// IMF-fixdate, obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime
// ("Sun Nov  6 08:49:37 1994"); nullopt if it is none of them.
std::optional<std::time_t> parse_http_date(std::string_view s) noexcept;

}  // namespace zokio::http::detail
