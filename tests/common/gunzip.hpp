// Test helper: the bytes of one gzip member, or "<inflate failed>".
#pragma once

#include <zlib.h>

#include <string>

namespace zokio::test {

inline std::string gunzip(const std::string& gz, std::size_t max_size = 1 << 22) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(max_size, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string("<inflate failed>");
}

}  // namespace zokio::test
