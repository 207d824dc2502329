// IoResult<T>: the outcome of an I/O operation, a value or an error code. Expected outcomes
// (EOF is a 0-byte read, EAGAIN, a reset, a timeout) are values, not exceptions; value() on a
// failed result throws std::system_error for code that prefers exceptions. Zokio's error model
// is in docs/architecture.md ("Errors").
#pragma once

#include <cerrno>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace zokio {

inline std::error_code errno_code(int err) noexcept {
  return std::error_code(err, std::generic_category());
}

template <typename T>
class IoResult;
template <>
class IoResult<void>;

namespace detail {
template <typename X>
struct IsIoResult : std::false_type {};
template <typename U>
struct IsIoResult<IoResult<U>> : std::true_type {};
[[noreturn]] inline void throw_failed_result(const std::error_code& ec) {
  throw std::system_error(ec, "zokio: value() of a failed IoResult");
}
}  // namespace detail

// Like std::expected<T, std::error_code> (C++23): test it, then take the value; or let value()
// throw std::system_error (its what() names the error); or chain with map / and_then.
template <typename T>
class [[nodiscard]] IoResult {
 public:
  using value_type = T;

  IoResult(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(value)) {}
  IoResult(std::error_code ec) noexcept : ec_(ec) {}

  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::error_code& error() const noexcept { return ec_; }

  T& value() & {
    check();
    return *value_;
  }
  const T& value() const& {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The value, or `fallback` when this is an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

  // IoResult<U> holding f(value) (IoResult<void> when f returns void), or this error.
  template <typename F>
  auto map(F&& f) const& {
    return map_impl<const T&>(*this, std::forward<F>(f));
  }
  template <typename F>
  auto map(F&& f) && {
    return map_impl<T&&>(std::move(*this), std::forward<F>(f));
  }
  // f(value), itself an IoResult, or this error.
  template <typename F>
  auto and_then(F&& f) const& {
    return and_then_impl<const T&>(*this, std::forward<F>(f));
  }
  template <typename F>
  auto and_then(F&& f) && {
    return and_then_impl<T&&>(std::move(*this), std::forward<F>(f));
  }

 private:
  template <typename V, typename Self, typename F>
  static auto map_impl(Self&& self, F&& f) {
    using U = std::remove_cvref_t<std::invoke_result_t<F, V>>;
    if (!self.ok()) return IoResult<U>(self.ec_);
    if constexpr (std::is_void_v<U>) {
      std::invoke(std::forward<F>(f), static_cast<V>(*self.value_));
      return IoResult<U>();  // IoResult<void>
    } else {
      return IoResult<U>(std::invoke(std::forward<F>(f), static_cast<V>(*self.value_)));
    }
  }
  template <typename V, typename Self, typename F>
  static auto and_then_impl(Self&& self, F&& f) {
    using R = std::remove_cvref_t<std::invoke_result_t<F, V>>;
    static_assert(detail::IsIoResult<R>::value, "zokio: and_then's function returns an IoResult");
    if (!self.ok()) return R(self.ec_);
    return std::invoke(std::forward<F>(f), static_cast<V>(*self.value_));
  }
  void check() const {
    if (ec_) detail::throw_failed_result(ec_);
  }
  std::optional<T> value_;
  std::error_code ec_{};
};

template <>
class [[nodiscard]] IoResult<void> {
 public:
  using value_type = void;

  IoResult() noexcept = default;
  IoResult(std::error_code ec) noexcept : ec_(ec) {}
  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::error_code& error() const noexcept { return ec_; }
  void value() const {
    if (ec_) detail::throw_failed_result(ec_);
  }
  // IoResult<U> holding f(), or this error.
  template <typename F>
  auto map(F&& f) const {
    using U = std::remove_cvref_t<std::invoke_result_t<F>>;
    if (!ok()) return IoResult<U>(ec_);
    if constexpr (std::is_void_v<U>) {
      std::invoke(std::forward<F>(f));
      return IoResult<void>();
    } else {
      return IoResult<U>(std::invoke(std::forward<F>(f)));
    }
  }
  // f(), itself an IoResult, or this error.
  template <typename F>
  auto and_then(F&& f) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F>>;
    static_assert(detail::IsIoResult<R>::value, "zokio: and_then's function returns an IoResult");
    if (!ok()) return R(ec_);
    return std::invoke(std::forward<F>(f));
  }

 private:
  std::error_code ec_{};
};

// Converts a raw syscall-style result (>= 0 value, < 0 -errno) into an IoResult.
template <typename T>
IoResult<T> io_result_from(long r) noexcept {
  if (r < 0) return IoResult<T>(errno_code(static_cast<int>(-r)));
  return IoResult<T>(static_cast<T>(r));
}

}  // namespace zokio

namespace zokio {

// Errors Zokio itself reports (besides errno values).
enum class IoErrc {
  kUnexpectedEof = 1,  // the peer closed before the requested bytes arrived
  kWriteZero,          // a write accepted no bytes
};
const std::error_category& io_category() noexcept;
inline std::error_code make_error_code(IoErrc e) noexcept {
  return std::error_code(static_cast<int>(e), io_category());
}

}  // namespace zokio

template <>
struct std::is_error_code_enum<zokio::IoErrc> : std::true_type {};
