// Connection limits for http::Server: a process-wide cap on open connections and an optional cap
// per client IP address, checked once per accepted connection (never per request).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "zokio/net/address.hpp"

namespace zokio::http::detail {

// The cap used when the configuration says 0: the soft open-file limit less a reserve for the
// files, pipes and listeners the process needs besides its connections.
std::size_t default_max_connections() noexcept;

class Admission {
 public:
  enum class Verdict { kAdmitted, kOverTotal, kOverClient };

  // `max_per_client` 0: no per-client limit.
  void configure(std::size_t max_total, std::size_t max_per_client) noexcept {
    max_total_ = max_total;
    max_per_client_ = max_per_client;
  }
  std::size_t max_total() const noexcept { return max_total_; }

  // Takes a place for a connection from `ip`, or says which limit is reached.
  Verdict admit(const net::IpAddr& ip);
  // Gives back the place admit() took.
  void release(const net::IpAddr& ip) noexcept;

 private:
  using Key = std::array<unsigned char, 16>;  // IPv4 as ::ffff:a.b.c.d
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  static Key key_of(const net::IpAddr& ip) noexcept;

  std::size_t max_total_ = 0;
  std::size_t max_per_client_ = 0;
  std::atomic<std::size_t> open_{0};
  std::mutex mu_;  // guards per_client_ (used only when a per-client limit is set)
  std::unordered_map<Key, std::uint32_t, KeyHash> per_client_;
};

}  // namespace zokio::http::detail
