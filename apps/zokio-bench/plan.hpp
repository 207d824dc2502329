// The plan of a run: what every connection shares, fixed before the first one starts and only
// read afterwards (so the connections of all workers can read it without synchronisation).
#pragma once

#include <cstddef>
#include <string>

#include <zokio/net/address.hpp>
#include <zokio/time.hpp>

#include "options.hpp"

namespace zokio::bench {

struct Plan {
  net::SocketAddr address;
  std::string wire;  // the request, `pipeline` times back to back
  std::size_t request_bytes = 0;
  std::size_t pipeline = 1;
  bool reconnect_each = false;  // --close
  bool head_requests = false;   // HEAD: responses carry no body
  Clock::duration timeout{};
  // Between two requests of one connection, open loop (--rate); zero for a closed loop.
  Clock::duration interval{};
  // Requests sent before measure_start (warm-up) or answered after end are not measured.
  Clock::time_point start{};
  Clock::time_point measure_start{};
  Clock::time_point end = Clock::time_point::max();
};

// The bytes of one request: request line, Host (unless given), the -H headers, Content-Length
// for a body (or POST/PUT/PATCH), Connection: close for --close, then the body.
std::string render_request(const Options& o);

// Everything but the times, which are set when the run starts.
Plan make_plan(const Options& o);

// Sets the times of a run starting at `start`.
void schedule(Plan& plan, const Options& o, Clock::time_point start);

}  // namespace zokio::bench
