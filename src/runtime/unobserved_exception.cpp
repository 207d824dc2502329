// The handler for exceptions of tasks nobody awaited (zokio::set_unobserved_exception_handler).
// Rare by nature, so a mutex is cheap enough; the handler is copied out and called unlocked,
// so that it may itself set a new handler.
#include <cstdio>
#include <exception>
#include <mutex>

#include "zokio/spawn.hpp"

namespace zokio {

namespace {

std::mutex g_mu;
UnobservedExceptionHandler g_handler;  // empty: the default

void default_handler(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "zokio: a task nobody awaited ended with an exception: %s\n", ex.what());
  } catch (...) {
    std::fprintf(stderr,
                 "zokio: a task nobody awaited ended with an exception (not a "
                 "std::exception)\n");
  }
}

}  // namespace

UnobservedExceptionHandler set_unobserved_exception_handler(UnobservedExceptionHandler handler) {
  std::lock_guard lock(g_mu);
  return std::exchange(g_handler, std::move(handler));
}

namespace detail {

void report_unobserved_exception(std::exception_ptr e) noexcept {
  UnobservedExceptionHandler handler;
  try {
    std::lock_guard lock(g_mu);
    handler = g_handler;
  } catch (...) {  // copying the function ran out of memory: the default still reports
  }
  if (!handler) {
    default_handler(e);
    return;
  }
  try {
    handler(e);
  } catch (...) {
    std::fprintf(stderr, "zokio: the unobserved-exception handler threw; ignored\n");
  }
}

}  // namespace detail
}  // namespace zokio
