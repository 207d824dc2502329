// gzip through zlib's deflate with a gzip wrapper (windowBits 15 + 16).
#include "http/gzip.hpp"

#include <zlib.h>

namespace zokio::http::detail {

std::optional<std::string> gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace zokio::http::detail

namespace zokio::http::detail {

struct GzipStream::State {
  z_stream zs{};
  bool ok = false;
  bool finished = false;
};

GzipStream::GzipStream(int level) noexcept : state_(new (std::nothrow) State) {
  if (state_) {
    state_->ok =
        deflateInit2(&state_->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
}

GzipStream::~GzipStream() {
  if (state_ && state_->ok) deflateEnd(&state_->zs);
  delete state_;
}

bool GzipStream::feed(std::string_view in, bool finish, std::string& out) {
  if (!state_ || !state_->ok || state_->finished) return false;
  z_stream& zs = state_->zs;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  const int flush = finish ? Z_FINISH : Z_NO_FLUSH;
  for (;;) {
    const std::size_t before = out.size();
    const std::size_t room = deflateBound(&zs, zs.avail_in) + 64;
    out.resize(before + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    zs.avail_out = static_cast<uInt>(room);
    const int rc = deflate(&zs, flush);
    out.resize(before + room - zs.avail_out);
    if (rc == Z_STREAM_END) {
      state_->finished = true;
      return true;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    if (!finish && zs.avail_in == 0) return true;
  }
}

}  // namespace zokio::http::detail
