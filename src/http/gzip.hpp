// gzip (RFC 1952) compression with zlib, for the compress middleware and static files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zokio::http::detail {

// The gzip member of `data`; nullopt if zlib fails (out of memory).
std::optional<std::string> gzip_compress(std::string_view data, int level);

}  // namespace zokio::http::detail

namespace zokio::http::detail {

// Incremental gzip: feed() the input in pieces, the last one with `finish`; the compressed
// bytes are appended to `out`. False if zlib failed (out of memory) or feed() came after finish.
class GzipStream {
 public:
  explicit GzipStream(int level) noexcept;
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;
  bool feed(std::string_view in, bool finish, std::string& out);

 private:
  struct State;
  State* state_;
};

}  // namespace zokio::http::detail
