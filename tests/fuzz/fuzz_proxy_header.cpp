// libFuzzer harness for the PROXY protocol header parser: the verdict on the whole input must be
// the one a connection reaches feeding it piece by piece. A prefix that is complete (or invalid)
// decides for every longer input; a header never consumes more than kMaxProxyHeader bytes.
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"
#include "http/parser/proxy_header.hpp"

using namespace zokio::http::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const ProxyParse whole = parse_proxy_header(in);
  if (whole.status == ProxyStatus::kDone) {
    ZOKIO_FUZZ_CHECK(whole.consumed > 0 && whole.consumed <= in.size());
    ZOKIO_FUZZ_CHECK(whole.consumed <= kMaxProxyHeader);
  }
  for (std::size_t n = 0; n < size; ++n) {
    const ProxyParse part = parse_proxy_header(in.substr(0, n));
    if (part.status == ProxyStatus::kIncomplete) continue;
    ZOKIO_FUZZ_CHECK(part.status == whole.status);
    if (part.status == ProxyStatus::kDone) {
      ZOKIO_FUZZ_CHECK(part.consumed == whole.consumed);
      ZOKIO_FUZZ_CHECK(part.source.known == whole.source.known);
      ZOKIO_FUZZ_CHECK(part.source.v6 == whole.source.v6);
      ZOKIO_FUZZ_CHECK(part.source.addr == whole.source.addr);
      ZOKIO_FUZZ_CHECK(part.source.port == whole.source.port);
    }
    break;  // the first decided prefix decides everything after it
  }
  return 0;
}
