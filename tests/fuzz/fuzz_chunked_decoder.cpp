// libFuzzer harness for ChunkedDecoder: decodes the input one-shot on every scan path (trailers
// use the field kernels) and fed byte by byte the way a connection feeds it (keeping only the
// unconsumed bytes); body, status, error, bytes consumed and trailers must all agree.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"

namespace {

using namespace zokio::http;

struct Decoded {
  ParseStatus status;
  ParseError error;
  std::string body;
  std::size_t consumed;
  std::vector<std::string> trailers;
  bool operator==(const Decoded&) const = default;
};

Decoded finish(const ChunkedDecoder& d, ParseStatus st, std::string body, std::size_t consumed) {
  Decoded out{st, d.error(), std::move(body), st == ParseStatus::kComplete ? consumed : 0, {}};
  ZOKIO_FUZZ_CHECK((st == ParseStatus::kError) == (d.error() != ParseError::kNone));
  ZOKIO_FUZZ_CHECK(out.body.size() <= d.body_bytes());  // declared sizes bound what came out
  for (const Header& h : d.trailers()) {
    out.trailers.emplace_back(h.name);
    out.trailers.emplace_back(h.value);
  }
  return out;
}

Decoded one_shot(std::string_view in) {
  ChunkedDecoder d(1 << 16, 512);
  std::string body;
  const auto r = d.decode(in, [&](std::string_view v) {
    ZOKIO_FUZZ_CHECK(v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
    body += v;
  });
  ZOKIO_FUZZ_CHECK(r.consumed <= in.size());
  return finish(d, r.status, body, r.consumed);
}

Decoded byte_by_byte(std::string_view in) {
  ChunkedDecoder d(1 << 16, 512);
  std::string body, pending;
  std::size_t consumed = 0;
  ChunkedDecoder::Result r{ParseStatus::kIncomplete, 0};
  for (std::size_t i = 0; i < in.size() && r.status == ParseStatus::kIncomplete; ++i) {
    pending.push_back(in[i]);
    r = d.decode(pending, [&](std::string_view v) { body += v; });
    ZOKIO_FUZZ_CHECK(r.consumed <= pending.size());
    consumed += r.consumed;
    if (r.status == ParseStatus::kIncomplete) pending.erase(0, r.consumed);
  }
  return finish(d, r.status, body, consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  ZOKIO_FUZZ_CHECK(detail::set_scan_path(fuzz::paths()[0]));
  const Decoded reference = one_shot(in);
  for (auto path : fuzz::paths()) {
    ZOKIO_FUZZ_CHECK(detail::set_scan_path(path));
    ZOKIO_FUZZ_CHECK(one_shot(in) == reference);
  }
  ZOKIO_FUZZ_CHECK(byte_by_byte(in) == reference);
  return 0;
}
