// Task<T>: Zokio's lazy coroutine type.
//
// A Task does nothing until it is awaited (or spawned). Awaiting it transfers control
// symmetrically into the child and back, so deep chains of co_await never grow the stack.
// Exceptions thrown inside a task are stored and rethrown at the co_await that consumes it.
// Coroutine frames come from a per-thread recycling allocator (see frame_allocator.cpp).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace zokio {

namespace detail {

void* frame_alloc(std::size_t size);
void frame_free(void* ptr, std::size_t size) noexcept;

struct TaskPromiseBase {
  std::coroutine_handle<> continuation_{};

  static void* operator new(std::size_t size) { return frame_alloc(size); }
  static void operator delete(void* ptr, std::size_t size) noexcept { frame_free(ptr, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
      // Symmetric transfer back to whoever awaited us; a root task returns to the worker.
      auto next = h.promise().continuation_;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
};

template <typename T>
class TaskPromise;

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }
  Handle handle() const noexcept { return h_; }

  // Destroys the coroutine frame (and, transitively, every frame it is awaiting).
  void reset() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  // The result of a finished task: its value, or its exception rethrown.
  decltype(auto) result() { return h_.promise().result(); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().continuation_ = awaiting;
        return h;
      }
      T await_resume() {
        if (!h) throw std::logic_error("zokio: awaited an empty Task");
        if constexpr (std::is_void_v<T>) {
          h.promise().result();
        } else {
          return std::move(h.promise().result());
        }
      }
    };
    return Awaiter{h_};
  }

 private:
  Handle h_{};
};

namespace detail {

template <typename T>
class TaskPromise : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<TaskPromise>::from_promise(*this));
  }
  template <typename U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    result_.template emplace<1>(std::forward<U>(value));
  }
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  T& result() & {
    if (result_.index() == 2) std::rethrow_exception(std::get<2>(result_));
    return std::get<1>(result_);
  }
  // The exception the coroutine ended with, or null.
  std::exception_ptr exception() const noexcept {
    return result_.index() == 2 ? std::get<2>(result_) : nullptr;
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class TaskPromise<void> : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<TaskPromise>::from_promise(*this));
  }
  void return_void() noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }
  void result() {
    if (exception_) std::rethrow_exception(exception_);
  }
  std::exception_ptr exception() const noexcept { return exception_; }

 private:
  std::exception_ptr exception_{};
};

}  // namespace detail

}  // namespace zokio
