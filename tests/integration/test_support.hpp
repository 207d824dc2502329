// Helpers shared by the integration tests: a runtime on the driver named by ZOKIO_IO, open-fd
// counting, and a raised descriptor limit.
#pragma once

#include <dirent.h>
#include <sys/resource.h>

#include <cstdlib>
#include <string>

#include <zokio/zokio.hpp>

namespace zokio::test {

// The backend the test run asked for through ZOKIO_IO (ctest sets it per label).
inline IoBackend requested_backend() {
  const char* env = std::getenv("ZOKIO_IO");
  if (!env) return IoBackend::kAuto;
  return parse_io_backend(env).value_or(IoBackend::kAuto);
}

inline Runtime make_runtime(std::size_t workers = 2) {
  auto rt = Runtime::builder().worker_threads(workers).build();
  return rt;
}

// Number of open descriptors of this process.
inline int open_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
  }
  return n - 1;  // the directory stream itself
}

// Raises the soft descriptor limit to the hard one; returns the new soft limit.
inline rlim_t raise_fd_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

inline net::SocketAddr loopback(std::uint16_t port = 0) {
  return net::SocketAddr(net::IpAddr::v4_loopback(), port);
}

}  // namespace zokio::test
