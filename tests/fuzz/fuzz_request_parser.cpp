// libFuzzer harness for RequestParser: parses the input one-shot on every scan path and byte by
// byte (into a growing, moving buffer), and requires every way to give the same result; then
// parses what follows a complete head as a pipelined request.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"

namespace {

using namespace zokio::http;

// Everything a caller sees, with views as offsets so results from different buffers compare.
struct Snapshot {
  ParseStatus status;
  ParseError error;
  std::vector<std::size_t> spans;
  std::vector<std::uint64_t> facts;
  bool operator==(const Snapshot&) const = default;
};

void add_span(Snapshot& s, std::string_view v, std::string_view buf) {
  ZOKIO_FUZZ_CHECK(v.empty() ||
                   (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size()));
  s.spans.push_back(v.empty() ? 0 : static_cast<std::size_t>(v.data() - buf.data()));
  s.spans.push_back(v.size());
}

Snapshot snap(const RequestParser& p, ParseStatus st, const RequestHead& h, std::string_view buf) {
  Snapshot s{st, p.error(), {}, {}};
  ZOKIO_FUZZ_CHECK((st == ParseStatus::kError) == (p.error() != ParseError::kNone));
  if (st != ParseStatus::kComplete) return s;
  add_span(s, h.method, buf);
  add_span(s, h.target, buf);
  for (const Header& f : h.headers) {
    add_span(s, f.name, buf);
    add_span(s, f.value, buf);
  }
  s.facts = {static_cast<std::uint64_t>(h.version_minor),
             static_cast<std::uint64_t>(h.framing),
             h.content_length,
             h.keep_alive,
             h.expect_continue,
             h.upgrade,
             h.head_size};
  ZOKIO_FUZZ_CHECK(h.head_size >= 4 && h.head_size <= buf.size());
  ZOKIO_FUZZ_CHECK(buf.substr(h.head_size - 4, 4) == "\r\n\r\n");
  return s;
}

Snapshot one_shot(std::string_view in) {
  RequestParser p(fuzz::small_limits());
  RequestHead h;
  const ParseStatus st = p.parse(in, h);
  return snap(p, st, h, in);
}

Snapshot byte_by_byte(std::string_view in) {
  RequestParser p(fuzz::small_limits());
  RequestHead h;
  std::string buf;
  ParseStatus st = p.parse(buf, h);
  for (std::size_t i = 0; i < in.size() && st == ParseStatus::kIncomplete; ++i) {
    buf.push_back(in[i]);
    if (i % 7 == 3) buf.shrink_to_fit();  // move the buffer now and then: views must follow
    st = p.parse(buf, h);
  }
  return snap(p, st, h, buf);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const auto& paths = fuzz::paths();
  ZOKIO_FUZZ_CHECK(detail::set_scan_path(paths[0]));
  const Snapshot reference = one_shot(in);
  for (auto path : paths) {
    ZOKIO_FUZZ_CHECK(detail::set_scan_path(path));
    ZOKIO_FUZZ_CHECK(one_shot(in) == reference);
  }
  ZOKIO_FUZZ_CHECK(byte_by_byte(in) == reference);
  if (reference.status == ParseStatus::kComplete) {  // pipelining: the rest is the next request
    const std::size_t used = static_cast<std::size_t>(reference.facts.back());
    RequestParser p(fuzz::small_limits());
    RequestHead h;
    p.parse(std::string_view(in).substr(used), h);
  }
  return 0;
}
