// Connection limits and rate-limited warnings (see admission.hpp).
#include "http/server/admission.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstring>

namespace zokio::http::detail {

std::size_t default_max_connections() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY) return 1u << 20;
  const auto soft = static_cast<std::size_t>(lim.rlim_cur);
  // Keep 1/16 of the table (at least 32) for files served, logs, the runtime's own descriptors
  // and listeners, so that hitting the cap never means hitting EMFILE.
  const std::size_t reserve = std::max<std::size_t>(32, soft / 16);
  return soft > 2 * reserve ? soft - reserve : std::max<std::size_t>(soft / 2, 1);
}

std::size_t Admission::KeyHash::operator()(const Key& k) const noexcept {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, k.data(), 8);
  std::memcpy(&b, k.data() + 8, 8);
  return static_cast<std::size_t>((a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull));
}

Admission::Key Admission::key_of(const net::IpAddr& ip) noexcept {
  Key k{};
  if (const in6_addr* v6 = ip.as_in6_addr()) {
    std::memcpy(k.data(), v6, 16);
  } else if (const in_addr* v4 = ip.as_in_addr()) {
    k[10] = k[11] = 0xff;
    std::memcpy(k.data() + 12, v4, 4);
  }
  return k;
}

Admission::Verdict Admission::admit(const net::IpAddr& ip) {
  if (open_.fetch_add(1, std::memory_order_relaxed) >= max_total_) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    return Verdict::kOverTotal;
  }
  if (max_per_client_ == 0) return Verdict::kAdmitted;
  std::lock_guard lock(mu_);
  std::uint32_t& n = per_client_[key_of(ip)];
  if (n >= max_per_client_) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    return Verdict::kOverClient;
  }
  ++n;
  return Verdict::kAdmitted;
}

void Admission::release(const net::IpAddr& ip) noexcept {
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (max_per_client_ == 0) return;
  std::lock_guard lock(mu_);
  auto it = per_client_.find(key_of(ip));
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

}  // namespace zokio::http::detail
