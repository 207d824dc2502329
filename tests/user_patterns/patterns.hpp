// Shared by the user-pattern programs: heap-sized strings and a coroutine taking one by value.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <zokio/zokio.hpp>

namespace zokio::user_patterns {

// Enough rounds for a miscompiled form to fail every run (g++ 12 failed 20 of 20 at 2,000).
inline constexpr int kRounds = 2000;

// Longer than the small-string buffer, so a double free is a real one.
inline std::string long_string(int i) {
  return "/var/lib/zokio/some/rather/long/path-" + std::to_string(i) + ".txt";
}

inline Task<std::size_t> by_value(std::string s) {
  co_return s.size();
}

struct Form {
  const char* name;
  std::function<Task<std::size_t>(std::string)> run;  // must return the string's size
};

// Runs each form kRounds times on a 2-worker runtime; prints a line per form; 0 if all gave the
// right answer (a miscompiled form usually aborts in ASan first).
inline int run_forms(const std::vector<Form>& forms) {
  auto rt = Runtime::builder().worker_threads(2).build();
  int failures = 0;
  for (const Form& form : forms) {
    std::size_t wrong = 0;
    for (int i = 0; i < kRounds; ++i) {
      const std::string s = long_string(i);
      // The callable form of block_on: the runtime keeps the closure alive while it runs.
      const std::size_t got = rt.block_on(
          [&form](std::string arg) -> Task<std::size_t> { return form.run(std::move(arg)); }, s);
      if (got != s.size()) ++wrong;
    }
    std::printf("%-50s %s\n", form.name, wrong == 0 ? "ok" : "WRONG RESULTS");
    if (wrong != 0) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace zokio::user_patterns
