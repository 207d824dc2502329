// The chunked decoder's case table: bytes, expected outcome, decoded body and, for errors, the
// RFC section. Shared by tests/unit/http_chunked_test.cpp and the conformance corpus
// (tests/conformance/dump_corpus.cpp).
#pragma once

#include <string_view>

#include <zokio/http/parser.hpp>

namespace zokio::http::chunked_cases {

using namespace std::string_view_literals;

struct Row {
  std::string_view in;
  ParseStatus status;
  ParseError error;
  std::string_view body;
  std::string_view rfc = {};
};

constexpr auto kOk = ParseStatus::kComplete;
constexpr auto kMore = ParseStatus::kIncomplete;
constexpr auto kErr = ParseStatus::kError;
using E = ParseError;

constexpr Row kRows[] = {
    {"0\r\n\r\n"sv, kOk, E::kNone, ""},
    {"5\r\nhello\r\n0\r\n\r\n"sv, kOk, E::kNone, "hello"},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"sv, kOk, E::kNone, "hello world"},
    {"A\r\n0123456789\r\n0\r\n\r\n"sv, kOk, E::kNone, "0123456789"},
    {"a\r\n0123456789\r\n000\r\n\r\n"sv, kOk, E::kNone, "0123456789"},
    {"00000001\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1;ext\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1;a=b\r\nx\r\n0;last\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1 ;a=b\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1; a = b ; c\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1;a=\"q \\\" ; x\"\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1;a=\"\"\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"1;a=\"\xc3\xa9\"\r\nx\r\n0\r\n\r\n"sv, kOk, E::kNone, "x"},
    {"3\r\n\r\n\0\r\n0\r\n\r\n"sv, kOk, E::kNone, "\r\n\0"sv},
    {"0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n"sv, kOk, E::kNone, ""},
    {"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n"sv, kOk, E::kNone, "hello"},
    {""sv, kMore, E::kNone, ""},
    {"5"sv, kMore, E::kNone, ""},
    {"5\r\nhel"sv, kMore, E::kNone, "hel"},
    {"5\r\nhello"sv, kMore, E::kNone, "hello"},
    {"5\r\nhello\r"sv, kMore, E::kNone, "hello"},
    {"0\r\n"sv, kMore, E::kNone, ""},
    {"0\r\nX: y\r\n"sv, kMore, E::kNone, ""},
    {"1;a=\"unterminated"sv, kMore, E::kNone, ""},
    {"\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"g\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"-1\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"0x5\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {" 5\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"5 \r\nhello\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"5,\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"+5\r\n"sv, kErr, E::kBadChunkSize, "", "RFC 9112 §7.1"},
    {"10000000000000000\r\n"sv, kErr, E::kChunkSizeOverflow, "", "RFC 9112 §7.1"},
    {"FFFFFFFFFFFFFFFFF\r\n"sv, kErr, E::kChunkSizeOverflow, "", "RFC 9112 §7.1"},
    {"1;\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;=b\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a b\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=b c\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=b \r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=\"x\"y\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=\"\0\"\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a@b\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"1;a=(b)\r\nx\r\n"sv, kErr, E::kBadChunkExtension, "", "RFC 9112 §7.1.1"},
    {"5\r\nhelloX\r\n"sv, kErr, E::kBadChunkTerminator, "hello", "RFC 9112 §7.1"},
    {"5\r\nhello\rX"sv, kErr, E::kBadChunkTerminator, "hello", "RFC 9112 §7.1"},
    {"5\r\nhello\n0\r\n\r\n"sv, kErr, E::kBadChunkTerminator, "hello", "RFC 9112 §7.1"},
    {"3\r\nhello\r\n"sv, kErr, E::kBadChunkTerminator, "hel", "RFC 9112 §7.1"},
    {"5\n"sv, kErr, E::kBareLF, "", "RFC 9112 §2.2"},
    {"5\rX"sv, kErr, E::kBareCR, "", "RFC 9112 §2.2"},
    {"1;a\n"sv, kErr, E::kBareLF, "", "RFC 9112 §2.2"},
    {"0\r\nContent-Length: 5\r\n\r\n"sv, kErr, E::kBadTrailer, "", "RFC 9110 §6.5.1"},
    {"0\r\nTransfer-Encoding: chunked\r\n\r\n"sv, kErr, E::kBadTrailer, "", "RFC 9110 §6.5.1"},
    {"0\r\nhost: evil\r\n\r\n"sv, kErr, E::kBadTrailer, "", "RFC 9110 §6.5.1"},
    {"0\r\nX : y\r\n\r\n"sv, kErr, E::kWhitespaceBeforeColon, "", "RFC 9112 §5.1"},
    {"0\r\nX: y\r\n z\r\n\r\n"sv, kErr, E::kObsFold, "", "RFC 9112 §5.2"},
    {"0\r\nX: \x01\r\n\r\n"sv, kErr, E::kBadHeaderValue, "", "RFC 9110 §5.5"},
    {"0\r\nX: y\n\r\n"sv, kErr, E::kBareLF, "", "RFC 9112 §2.2"},
    {"0\r\n\rX"sv, kErr, E::kBareCR, "", "RFC 9112 §2.2"},
};

}  // namespace zokio::http::chunked_cases
