// Static files compiled into the program: immutable, so their tags and gzip variants are made
// once at construction and shared by every worker without locks.
#include <map>
#include <set>
#include <string>

#include "http/gzip.hpp"
#include "http/static/file_source.hpp"
#include "http/static/mime.hpp"
#include "zokio/http/middleware.hpp"

namespace zokio::http::detail {

namespace {

class EmbeddedSource final : public StaticFiles::Source {
 public:
  EmbeddedSource(std::span<const EmbeddedFile> files, std::time_t modified, StaticOptions o)
      : Source(std::move(o)), modified_(modified) {
    for (const auto& f : files) {
      Entry e;
      e.data = f.data;
      e.type = mime_type(f.path);
      e.compressible = compressible_type(e.type);
      if (e.compressible && options.gzip && !f.data.empty()) {
        auto gz = gzip_compress(f.data, 9);
        count_compression();
        if (gz && gz->size() < f.data.size()) e.gzip = std::make_shared<const std::string>(*gz);
      }
      files_.insert_or_assign(std::string(f.path), std::move(e));
      // Every parent is a directory.
      std::string_view p(f.path);
      for (auto slash = p.rfind('/'); slash != std::string_view::npos; slash = p.rfind('/')) {
        p = p.substr(0, slash);
        dirs_.emplace(p);
      }
    }
    dirs_.emplace("");
  }

  LookupResult lookup(const std::string& rel, bool want_gzip, FileInfo& out) const override {
    auto it = files_.find(rel);
    if (it == files_.end()) {
      return dirs_.count(rel) ? LookupResult::kDirectory : LookupResult::kMissing;
    }
    const Entry& e = it->second;
    out.mtime = modified_;
    out.etag = make_etag(static_cast<std::uint64_t>(modified_), e.data.size());
    out.type = e.type;
    out.compressible = e.compressible;
    out.identity.size = e.data.size();
    out.identity.data = e.data;
    if (want_gzip && e.gzip) {
      out.has_gzip = true;
      out.gzip.size = e.gzip->size();
      out.gzip.data = *e.gzip;
      out.gzip.keep = e.gzip;
    }
    return LookupResult::kFile;
  }

 private:
  struct Entry {
    std::string_view data;
    std::string_view type;
    bool compressible = false;
    std::shared_ptr<const std::string> gzip;
  };
  std::time_t modified_;
  std::map<std::string, Entry, std::less<>> files_;
  std::set<std::string, std::less<>> dirs_;
};

}  // namespace

std::shared_ptr<const StaticFiles::Source> make_embedded_source(std::span<const EmbeddedFile> files,
                                                                std::time_t modified,
                                                                StaticOptions options) {
  return std::make_shared<const EmbeddedSource>(files, modified, std::move(options));
}

}  // namespace zokio::http::detail
