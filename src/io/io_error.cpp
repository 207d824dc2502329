// The "zokio" error category for IoErrc.
#include "zokio/io_result.hpp"

namespace zokio {

namespace {
class IoCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zokio"; }
  std::string message(int code) const override {
    switch (static_cast<IoErrc>(code)) {
      case IoErrc::kUnexpectedEof:
        return "unexpected end of stream";
      case IoErrc::kWriteZero:
        return "write accepted no bytes";
    }
    return "unknown zokio error";
  }
};
}  // namespace

const std::error_category& io_category() noexcept {
  static const IoCategory category;
  return category;
}

}  // namespace zokio
