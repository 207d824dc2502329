// libFuzzer harness for ResponseParser: one-shot on every scan path, for a GET and for a HEAD
// request, and byte by byte into a growing buffer; every way must give the same result.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"

namespace {

using namespace zokio::http;

struct Snapshot {
  ParseStatus status;
  ParseError error;
  std::vector<std::uint64_t> values;  // views as offsets, then the decisions
  bool operator==(const Snapshot&) const = default;
};

void add_span(Snapshot& s, std::string_view v, std::string_view buf) {
  ZOKIO_FUZZ_CHECK(v.empty() ||
                   (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size()));
  s.values.push_back(v.empty() ? 0 : static_cast<std::uint64_t>(v.data() - buf.data()));
  s.values.push_back(v.size());
}

Snapshot snap(const ResponseParser& p, ParseStatus st, const ResponseHead& h,
              std::string_view buf) {
  Snapshot s{st, p.error(), {}};
  if (st != ParseStatus::kComplete) return s;
  add_span(s, h.reason, buf);
  for (const Header& f : h.headers) {
    add_span(s, f.name, buf);
    add_span(s, f.value, buf);
  }
  ZOKIO_FUZZ_CHECK(h.status >= 100 && h.status <= 999);
  ZOKIO_FUZZ_CHECK(h.head_size <= buf.size() && buf.substr(h.head_size - 4, 4) == "\r\n\r\n");
  for (std::uint64_t v :
       {static_cast<std::uint64_t>(h.version_minor), static_cast<std::uint64_t>(h.status),
        static_cast<std::uint64_t>(h.framing), h.content_length,
        static_cast<std::uint64_t>(h.keep_alive), static_cast<std::uint64_t>(h.head_size)})
    s.values.push_back(v);
  return s;
}

Snapshot one_shot(std::string_view in, bool head) {
  ResponseParser p(fuzz::small_limits());
  ResponseHead h;
  const ParseStatus st = p.parse(in, h, head);
  return snap(p, st, h, in);
}

Snapshot byte_by_byte(std::string_view in, bool head) {
  ResponseParser p(fuzz::small_limits());
  ResponseHead h;
  std::string buf;
  ParseStatus st = p.parse(buf, h, head);
  for (std::size_t i = 0; i < in.size() && st == ParseStatus::kIncomplete; ++i) {
    buf.push_back(in[i]);
    if (i % 5 == 2) buf.shrink_to_fit();
    st = p.parse(buf, h, head);
  }
  return snap(p, st, h, buf);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  for (bool head : {false, true}) {
    ZOKIO_FUZZ_CHECK(detail::set_scan_path(fuzz::paths()[0]));
    const Snapshot reference = one_shot(in, head);
    for (auto path : fuzz::paths()) {
      ZOKIO_FUZZ_CHECK(detail::set_scan_path(path));
      ZOKIO_FUZZ_CHECK(one_shot(in, head) == reference);
    }
    ZOKIO_FUZZ_CHECK(byte_by_byte(in, head) == reference);
  }
  return 0;
}
