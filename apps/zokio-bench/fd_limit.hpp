// Raising the open-file limit: 10,000 connections need more descriptors than the usual soft
// limit of 1,024, and the soft limit may be raised by anyone up to the hard limit.
#pragma once

#include <cstddef>
#include <string>

namespace zokio::bench {

// Makes RLIMIT_NOFILE's soft limit at least `needed` (raising the hard limit too where the
// process may). Returns "" on success, otherwise a sentence saying what to do.
std::string raise_fd_limit(std::size_t needed);

}  // namespace zokio::bench
