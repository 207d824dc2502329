// HeadState: the storage (allocated once) and the resumable position of one head being parsed.
#include <zokio/http/parser.hpp>

#include <cstdint>

namespace zokio::http::detail {

HeadState::HeadState(HeadKind k, const ParseLimits& l)
    : limits(l), headers(std::make_unique<Header[]>(l.max_headers)), kind(k) {}

void HeadState::reset() noexcept {
  num_headers = 0;
  base = nullptr;
  pos = fields_start = resume_at = partial_name_end = partial_value = 0;
  method = target = {};
  version_minor = 1;
  status = 0;
  phase = kPhaseStartLine;
  error = ParseError::kNone;
  facts = FieldFacts{};
}

// The caller's buffer moved (it grew by reallocation): move every stored view along with it.
// Offsets are computed on integers, as the two buffers are different objects.
void HeadState::rebase(const char* new_base) noexcept {
  if (base != nullptr) {
    const auto old_at = reinterpret_cast<std::uintptr_t>(base);
    auto move = [&](std::string_view& v) {
      if (v.data() != nullptr)
        v = {new_base + (reinterpret_cast<std::uintptr_t>(v.data()) - old_at), v.size()};
    };
    for (std::size_t i = 0; i < num_headers; ++i) {
      move(headers[i].name);
      move(headers[i].value);
    }
    move(method);
    move(target);
  }
  base = new_base;
}

}  // namespace zokio::http::detail
