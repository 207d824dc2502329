// Differential conformance test, step 1: writes the HTTP parser's test tables as a corpus.
//
// Usage: dump_corpus OUT_DIR. Every row of tests/unit/http_request_cases.hpp,
// http_response_cases.hpp and http_chunked_cases.hpp becomes OUT_DIR/<id>.bin (its raw
// bytes) and one JSON line of OUT_DIR/index.jsonl with Zokio's outcome, computed here by running
// the parser on the bytes. A chunked row is sent as the body of a chunked POST request.
// Exits 1 if an outcome differs from what the table expects (the unit tests would fail too).
// Ids are a hash of the bytes (plus the HEAD flag), so they survive rows added to the tables.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

#include "../unit/http_chunked_cases.hpp"
#include "../unit/http_request_cases.hpp"
#include "../unit/http_response_cases.hpp"

namespace zokio::http::test {
namespace chunked {

using namespace chunked_cases;

constexpr std::string_view kHead =
    "POST /chunked HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace chunked

namespace {

constexpr const char* kErrorNames[] = {
    "kNone",
    "kBadMethod",
    "kBadTarget",
    "kBadVersion",
    "kUnsupportedVersion",
    "kRequestLineTooLong",
    "kHeaderSectionTooLarge",
    "kTooManyHeaders",
    "kBadHeaderName",
    "kWhitespaceBeforeColon",
    "kObsFold",
    "kBareCR",
    "kBadHeaderValue",
    "kBadContentLength",
    "kConflictingContentLength",
    "kContentLengthWithTransferEncoding",
    "kTransferEncodingNotChunked",
    "kUnknownTransferCoding",
    "kMissingHost",
    "kMultipleHost",
    "kBadHost",
    "kBodyTooLarge",
    "kBadStatusLine",
    "kBadChunkSize",
    "kChunkSizeOverflow",
    "kBadChunkExtension",
    "kBadChunkTerminator",
    "kBadTrailer",
    "kBareLF",
    "kChunkedAppliedTwice",
    "kTransferEncodingInHttp10",
    "kStatusLineTooLong",
    "kChunkLineTooLong",
};
static_assert(std::size(kErrorNames) == kParseErrorCount, "one name per ParseError");

constexpr const char* kFramingNames[] = {"none", "content-length", "chunked", "until-close"};

const char* outcome_name(ParseStatus s) {
  return s == ParseStatus::kComplete ? "accept"
         : s == ParseStatus::kError  ? "reject"
                                     : "incomplete";
}

std::string json(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);  // UTF-8 (the RFC sections' §) passes through
    }
  }
  return out + "\"";
}

std::string make_id(const char* prefix, std::string_view raw, bool head,
                    std::set<std::string>& seen) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : raw) h = (h ^ c) * 16777619u;
  if (head) h = (h ^ 0xFFu) * 16777619u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%08x", prefix, h);
  std::string id = buf;
  for (int n = 2; !seen.insert(id).second; ++n) id = std::string(buf) + "-" + std::to_string(n);
  return id;
}

struct Writer {
  std::string dir;
  std::ofstream index;
  std::set<std::string> seen;
  int mismatches = 0;

  // Writes the bytes and starts the index line; the caller appends its fields and closes it.
  std::string begin(const char* kind, std::size_t row, std::string_view raw, bool head,
                    ParseStatus s, ParseError e, const Outcome& expected) {
    const std::string_view k = kind;
    const char* prefix = k == "request" ? "req" : k == "response" ? "resp" : "chunk";
    const std::string id = make_id(prefix, raw, head, seen);
    std::ofstream(dir + "/" + id + ".bin", std::ios::binary).write(raw.data(), raw.size());
    if (s != expected.status || e != expected.error) {
      ++mismatches;
      std::fprintf(stderr, "dump_corpus: %s (table row %zu) is %s/%s, the table expects %s/%s\n",
                   id.c_str(), row, outcome_name(s), kErrorNames[static_cast<int>(e)],
                   outcome_name(expected.status), kErrorNames[static_cast<int>(expected.error)]);
    }
    std::string line = "{\"id\":" + json(id) + ",\"kind\":" + json(kind) +
                       ",\"row\":" + std::to_string(row) + ",\"zokio\":" + json(outcome_name(s)) +
                       ",\"error\":" + json(kErrorNames[static_cast<int>(e)]) +
                       ",\"reason\":" + json(s == ParseStatus::kError ? to_string(e) : "") +
                       ",\"rfc\":" + json(s == ParseStatus::kError ? rfc_section(e) : "");
    return line;
  }
  void end(std::string line) { index << line << "}\n"; }
};

}  // namespace
}  // namespace zokio::http::test

int main(int argc, char** argv) {
  using namespace zokio::http;
  using namespace zokio::http::test;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  Writer w{argv[1], std::ofstream(std::string(argv[1]) + "/index.jsonl"), {}, 0};
  if (!w.index) {
    std::fprintf(stderr, "dump_corpus: cannot write %s/index.jsonl\n", argv[1]);
    return 1;
  }

  for (std::size_t i = 0; i < std::size(kRequestCases); ++i) {
    const RequestCase& c = kRequestCases[i];
    const std::string buf(c.raw);
    RequestParser p;
    RequestHead h;
    const ParseStatus s = p.parse(buf, h);
    std::string line = w.begin("request", i, buf, false, s, p.error(), c.out);
    if (s == ParseStatus::kComplete) {
      line += ",\"method\":" + json(h.method) + ",\"target\":" + json(h.target) +
              ",\"framing\":" + json(kFramingNames[static_cast<int>(h.framing)]) +
              ",\"content_length\":" + std::to_string(h.content_length);
    }
    w.end(line);
  }

  for (std::size_t i = 0; i < std::size(kResponseCases); ++i) {
    const ResponseCase& c = kResponseCases[i];
    const std::string buf(c.raw);
    ResponseParser p;
    ResponseHead h;
    const ParseStatus s = p.parse(buf, h, c.head_request);
    std::string line = w.begin("response", i, buf, c.head_request, s, p.error(), c.out);
    line += std::string(",\"head_request\":") + (c.head_request ? "true" : "false");
    if (s == ParseStatus::kComplete) {
      line += ",\"status\":" + std::to_string(h.status) +
              ",\"framing\":" + json(kFramingNames[static_cast<int>(h.framing)]) +
              ",\"content_length\":" + std::to_string(h.content_length);
    }
    w.end(line);
  }

  // Chunked rows: the head must parse; the outcome is the decoder's on the rest.
  for (std::size_t i = 0; i < std::size(chunked::kRows); ++i) {
    const chunked::Row& r = chunked::kRows[i];
    const std::string buf = std::string(chunked::kHead) + std::string(r.in);
    RequestParser p;
    RequestHead h;
    ParseStatus s = p.parse(buf, h);
    ParseError e = p.error();
    std::string body;
    if (s == ParseStatus::kComplete) {
      ChunkedDecoder d;
      s = d.decode(std::string_view(buf).substr(h.head_size), [&](std::string_view v) {
             body += v;
           }).status;
      e = d.error();
    }
    std::string line = w.begin("chunked", i, buf, false, s, e, {r.status, r.error, r.rfc});
    if (s == ParseStatus::kComplete) line += ",\"body_size\":" + std::to_string(body.size());
    w.end(line);
  }

  std::printf("dump_corpus: %zu request, %zu response, %zu chunked cases in %s\n",
              std::size(kRequestCases), std::size(kResponseCases), std::size(chunked::kRows),
              argv[1]);
  return w.mismatches == 0 ? 0 : 1;
}
