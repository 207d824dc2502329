// The server log (see log.hpp). One fwrite per line, so lines from several threads never mix.
#include "log.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>

namespace zokio::server {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

void set_log_level(std::string_view level) {
  for (int i = 0; i < 4; ++i) {
    if (level == kNames[i]) g_level.store(i);
  }
}

void log(Level level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load(std::memory_order_relaxed)) return;
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = std::string(stamp) + " " + kNames[static_cast<int>(level)] + " ";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace zokio::server
