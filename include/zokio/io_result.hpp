// IoResult<T>: the outcome of an I/O operation, a value or an error code. Expected outcomes
// (EOF is a 0-byte read, EAGAIN, a reset, a timeout) are values, not exceptions; value() on a
// failed result throws std::system_error for code that prefers exceptions.
#pragma once

#include <cerrno>
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
class [[nodiscard]] IoResult {
 public:
  IoResult(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(value)) {}
  IoResult(std::error_code ec) noexcept : ec_(ec) {}

  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::error_code& error() const noexcept { return ec_; }

  T& value() & {
    check();
    return *value_;
  }
  T&& value() && {
    check();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }

 private:
  void check() const {
    if (ec_) throw std::system_error(ec_);
  }
  std::optional<T> value_;
  std::error_code ec_{};
};

template <>
class [[nodiscard]] IoResult<void> {
 public:
  IoResult() noexcept = default;
  IoResult(std::error_code ec) noexcept : ec_(ec) {}
  bool ok() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return ok(); }
  const std::error_code& error() const noexcept { return ec_; }
  void value() const {
    if (ec_) throw std::system_error(ec_);
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
