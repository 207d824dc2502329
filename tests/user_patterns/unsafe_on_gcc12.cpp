// check-coroutine-patterns: off (these are the forms it must flag; a test checks it does)
//
// Forms that are valid C++ but that g++ 12 miscompiles: it destroys the captures of a lambda
// written inside a co_await expression, and a braced temporary there, twice (a double free,
// every run at -O2). clang 16 runs them cleanly; tests/user_patterns/run-compilers runs this
// program only with the compilers that do. docs/architecture.md, 'Compiler caveats', says
// what to write instead; scripts/check-coroutine-patterns finds these forms in your code.
#include <string>
#include <vector>

#include <zokio/zokio.hpp>

#include "patterns.hpp"

namespace {

using zokio::Task;
using zokio::user_patterns::by_value;
using zokio::user_patterns::Form;

struct Wrapped {
  std::string s;
};

Task<std::size_t> by_struct(Wrapped w) {
  co_return w.s.size();
}

Task<std::size_t> lambda_capture_in_co_await(std::string path) {
  auto n = co_await zokio::spawn_blocking([path] { return path.size(); });
  co_return n;
}

Task<std::size_t> init_capture_in_co_await(std::string path) {
  auto n = co_await zokio::spawn_blocking([p = std::string(path)] { return p.size(); });
  co_return n;
}

Task<std::size_t> braced_temporary_in_co_await(std::string path) {
  auto n = co_await by_struct(Wrapped{path});
  co_return n;
}

Task<std::size_t> capturing_coroutine_lambda_awaited_at_once(std::string path) {
  auto n = co_await [path]() -> Task<std::size_t> { co_return path.size(); }();
  co_return n;
}

Task<std::size_t> co_await_tested_in_if(std::string path) {
  if (!co_await by_value(path)) co_return 0;
  co_return path.size();
}

}  // namespace

int main() {
  const std::vector<Form> forms = {
      {"lambda capture inside co_await", lambda_capture_in_co_await},
      {"init-capture inside co_await", init_capture_in_co_await},
      {"braced temporary inside co_await", braced_temporary_in_co_await},
      {"capturing coroutine lambda awaited at once", capturing_coroutine_lambda_awaited_at_once},
      {"co_await tested in an if", co_await_tested_in_if},
  };
  return zokio::user_patterns::run_forms(forms);
}
