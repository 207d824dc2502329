// zokio-server's own log: one line per event on standard error, with time and level.
#pragma once

#include <string>
#include <string_view>

namespace zokio::server {

enum class Level { kError, kWarn, kInfo, kDebug };

// "error", "warn", "info" or "debug" (validated by the options).
void set_log_level(std::string_view level);
void log(Level level, std::string_view message);

}  // namespace zokio::server
