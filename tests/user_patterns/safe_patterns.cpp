// The coroutine forms a user's program writes, in the shapes docs/architecture.md calls safe on
// every supported compiler. Built at -O2 under ASan+UBSan by each supported compiler
// (tests/user_patterns/run-compilers), and in every build of the suite. Each form runs many
// times on a 2-worker runtime, with strings long enough to live on the heap, so a double free
// or a use after free is caught by ASan (or by the allocator) rather than passing by luck.
// Exit 0 when every form gave the expected result; 1 with a line per failure otherwise.
#include <string>
#include <vector>

#include <zokio/zokio.hpp>

#include "patterns.hpp"

namespace {

using zokio::Task;
using zokio::user_patterns::by_value;
using zokio::user_patterns::Form;

// Values as arguments, a captureless lambda: the blocking pool gets its own copies.
Task<std::size_t> blocking_with_arguments(std::string path) {
  auto n = co_await zokio::spawn_blocking([](const std::string& p) { return p.size(); }, path);
  co_return n;
}

// A capturing lambda is fine outside the co_await expression: name the handle first.
Task<std::size_t> blocking_named_handle(std::string path) {
  auto handle = zokio::spawn_blocking([path] { return path.size(); });
  auto n = co_await handle;
  co_return n;
}

// The Tokio habit, made safe: the closure with its captures is stored with the task.
Task<std::size_t> spawn_capturing_lambda(std::string name) {
  auto handle = zokio::spawn(
      [name](std::size_t extra) -> Task<std::size_t> {
        co_await zokio::yield_now();  // the closure must outlive this suspension
        co_return name.size() + extra;
      },
      std::size_t{1});
  auto n = co_await handle;
  co_return n - 1;
}

// Arguments move into the stored task: a string built for it, a vector moved in.
Task<std::size_t> spawn_with_moved_arguments(std::string name) {
  std::vector<std::string> parts{name, name};
  auto handle = zokio::spawn(
      [](std::vector<std::string> v, std::string tail) -> Task<std::size_t> {
        co_await zokio::yield_now();
        co_return v[0].size() + v[1].size() - tail.size();
      },
      std::move(parts), name);
  auto n = co_await handle;
  co_return n;
}

// Parenthesised temporaries and operator results in a co_await expression.
Task<std::size_t> temporaries_in_co_await(std::string path) {
  auto a = co_await by_value(std::string(path));
  auto b = co_await by_value(path + "");
  co_return (a + b) / 2;
}

// A co_await result bound to a variable before it is tested (outside any loop).
Task<std::size_t> bind_then_test(std::string path) {
  auto r = co_await zokio::timeout(std::chrono::seconds(30), by_value(path));
  if (!r) co_return 0;
  co_return r.value();
}

// A coroutine lambda with its state as parameters, awaited at once.
Task<std::size_t> lambda_with_parameters(std::string path) {
  auto n = co_await [](std::string p) -> Task<std::size_t> {
    co_await zokio::yield_now();
    co_return p.size();
  }(path);
  co_return n;
}

}  // namespace

int main() {
  const std::vector<Form> forms = {
      {"spawn_blocking(fn, args) in a co_await", blocking_with_arguments},
      {"spawn_blocking with captures, handle named first", blocking_named_handle},
      {"spawn(capturing lambda, args)", spawn_capturing_lambda},
      {"spawn(lambda, moved arguments)", spawn_with_moved_arguments},
      {"parenthesised temporaries in a co_await", temporaries_in_co_await},
      {"co_await result bound, then tested", bind_then_test},
      {"coroutine lambda with parameters", lambda_with_parameters},
  };
  return zokio::user_patterns::run_forms(forms);
}
