// zokio-bench's command line: what the user asked for, checked, with the URL resolved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zokio/http/client.hpp>
#include <zokio/time.hpp>

namespace zokio::bench {

struct Options {
  std::string url_text;
  http::Url url;  // the address to connect to, the Host header, the target
  std::size_t connections = 10;
  std::size_t threads = 2;
  Clock::duration duration = std::chrono::seconds(10);  // ignored when `requests` is set
  std::uint64_t requests = 0;                           // -n: exactly this many; 0: a -d run
  std::size_t pipeline = 1;
  bool close = false;  // a new connection per request
  double rate = 0;     // total requests/s, open loop; 0: closed loop
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value", as given
  std::string body;                  // the contents of --body FILE
  Clock::duration warmup{};          // results discarded
  Clock::duration timeout = std::chrono::seconds(10);
  bool json = false;
};

struct ParsedOptions {
  std::optional<Options> options;  // set when the run should go ahead
  int exit_code = 0;               // otherwise: 0 after --help, 2 for bad input, 1 if unresolvable
};

// Parses and checks the command line. Prints help, or one sentence saying what is wrong, itself.
ParsedOptions parse_options(int argc, char** argv);

// "10", "2.5s", "500ms", "2m", "1h" (a bare number is seconds); nullopt if malformed, negative
// or absurdly long.
std::optional<Clock::duration> parse_duration(std::string_view text);

}  // namespace zokio::bench
