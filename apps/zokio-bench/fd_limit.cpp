// raise_fd_limit (see fd_limit.hpp).
#include "fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace zokio::bench {

std::string raise_fd_limit(std::size_t needed) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return std::string("cannot read the open-file limit: ") + std::strerror(errno);
  }
  const auto want = static_cast<rlim_t>(needed);
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= want) return "";
  rlimit raised = lim;
  raised.rlim_cur = want;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < want) raised.rlim_max = want;  // root only
  if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return "";
  return "this run needs " + std::to_string(needed) + " open files but the hard limit is " +
         std::to_string(lim.rlim_max) + " (ulimit -Hn); raise it (as root: ulimit -n " +
         std::to_string(needed) + ", or LimitNOFILE / limits.conf) or use fewer connections";
}

}  // namespace zokio::bench
