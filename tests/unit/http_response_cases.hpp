// The response rows of the table-driven parser test: status lines, framing by RFC 9112 §6.3
// (including HEAD, 1xx, 204 and 304), and the same field rules as requests.
#pragma once

#include "http_parser_cases.hpp"

namespace zokio::http::test {

#define OK200 "HTTP/1.1 200 OK\r\n"

inline constexpr std::string_view kStatus = "RFC 9112 §4";

inline constexpr ResponseCase kResponseCases[] = {
    // Framing (RFC 9112 §6.3) and keep-alive.
    {OK200 "Content-Length: 5\r\n\r\nhello"sv,
     kOk,
     {.framing = 1, .content_length = 5, .keep_alive = 1}},
    {OK200 "\r\n"sv, kOk, {.framing = 3, .keep_alive = 0}},
    {"HTTP/1.1 204 No Content\r\n\r\n"sv, kOk, {.framing = 0, .keep_alive = 1}},
    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n"sv,
     kOk,
     {.framing = 0, .keep_alive = 1}},
    {"HTTP/1.1 100 Continue\r\n\r\n"sv, kOk, {.framing = 0}},
    {"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"sv,
     kOk,
     {.framing = 0}},
    {"HTTP/1.1 199 Whatever\r\n\r\n"sv, kOk, {.framing = 0}},
    {OK200 "Content-Length: 1000000000000\r\n\r\n"sv, kOk, {.framing = 0}, true},
    {OK200 "Transfer-Encoding: chunked\r\n\r\n"sv, kOk, {.framing = 0}, true},
    {"HTTP/1.1 204 No Content\r\nContent-Length: 9999999999\r\n\r\n"sv, kOk, {.framing = 0}},
    {OK200 "Transfer-Encoding: chunked\r\n\r\n"sv, kOk, {.framing = 2, .keep_alive = 1}},
    {OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n"sv, kOk, {.framing = 2}},
    {OK200 "Transfer-Encoding: gzip\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0}},
    {OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0}},
    {"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"sv,
     kOk,
     {.framing = 1, .content_length = 3, .keep_alive = 0}},
    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n"sv,
     kOk,
     {.keep_alive = 1}},
    {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0}},
    {OK200 "Connection: close\r\nContent-Length: 2\r\n\r\n"sv, kOk, {.keep_alive = 0}},
    {OK200 "Content-Length: 0\r\n\r\n"sv, kOk, {.framing = 1, .content_length = 0}},
    {OK200 "Content-Length: 7, 7\r\n\r\n"sv, kOk, {.framing = 1, .content_length = 7}},
    {OK200 "Host: a\r\nHost: b c\r\n\r\n"sv, kOk, {.headers = 2}},
    {"HTTP/1.1 200 \r\n\r\n"sv, kOk},
    {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"sv, kOk},
    {"HTTP/1.1 999 Custom\r\n\r\n"sv, kOk},
    {"HTTP/1.1 500 Internal\tServer Error\r\n\r\n"sv, kOk},
    {"HTTP/1.1 200 D\xc3\xa9j\xc3\xa0 vu\r\n\r\n"sv, kOk},
    {"HTTP/1.1 200 OK: fine (really)\r\n\r\n"sv, kOk},
    {OK200 "Set-Cookie: a=b; Path=/\r\nSet-Cookie: c=d\r\nContent-Length: 1\r\n\r\nx"sv,
     kOk,
     {.headers = 3}},

    // Incomplete prefixes.
    {""sv, kMore},
    {"H"sv, kMore},
    {"HTTP/1.1"sv, kMore},
    {"HTTP/1.1 "sv, kMore},
    {"HTTP/1.1 20"sv, kMore},
    {"HTTP/1.1 200"sv, kMore},
    {"HTTP/1.1 200 "sv, kMore},
    {"HTTP/1.1 200 OK"sv, kMore},
    {"HTTP/1.1 200 OK\r"sv, kMore},
    {OK200 ""sv, kMore},
    {OK200 "Content-Length: 5\r\n"sv, kMore},
    {OK200 "Content-Length: 5\r\n\r"sv, kMore},

    // Status line: HTTP-version SP 3DIGIT SP reason CRLF.
    {"HTTP/1.1 20 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 2000 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 099 Low\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 000 Zero\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 abc OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 200\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1  200 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 200 OK\0\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 200 O\x7fK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1\t200 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 -20 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 2O0 OK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 200\tOK\r\n\r\n"sv, err(ParseError::kBadStatusLine, kStatus)},
    {"HTTP/1.1 200 OK\n\r\n"sv, err(ParseError::kBareLF, kLine)},
    {"HTTP/1.1 200 OK\rX\r\n"sv, err(ParseError::kBareCR, kLine)},
    {"HTTP/1.1 200\n"sv, err(ParseError::kBareLF, kLine)},
    {"HTTP/2.0 200 OK\r\n\r\n"sv, err(ParseError::kUnsupportedVersion, kVersion505)},
    // RFC 9110 §6.2: a later 1.x minor version is processed as 1.1.
    {"HTTP/1.2 200 OK\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0}},
    {"HTTP/1 200 OK\r\n\r\n"sv, err(ParseError::kBadVersion, kVersion)},
    {"http/1.1 200 OK\r\n\r\n"sv, err(ParseError::kBadVersion, kVersion)},
    {"ICY 200 OK\r\n\r\n"sv, err(ParseError::kBadVersion, kVersion)},
    {"\r\nHTTP/1.1 200 OK\r\n\r\n"sv, err(ParseError::kBadVersion, kVersion)},

    // Fields follow the same rules as in requests, but for obs-fold, which a user agent MUST
    // accept (RFC 9112 §5.2): the fold extends the previous field's value.
    {OK200 "X: a\r\n b\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0, .headers = 1}},
    {OK200 "X: a\r\n\t b \r\nY: c\r\n\r\n"sv, kOk, {.framing = 3, .keep_alive = 0, .headers = 2}},
    {"HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n"sv, err(ParseError::kObsFold, kFold)},
    {OK200 "Content-Length: 1\r\n 2\r\n\r\n"sv, err(ParseError::kObsFold, kFold)},
    {OK200 "Content-Length : 5\r\n\r\n"sv, err(ParseError::kWhitespaceBeforeColon, kColon)},
    {OK200 "Bad Name: 5\r\n\r\n"sv, err(ParseError::kBadHeaderName, kName)},
    {OK200 "X: \x01\r\n\r\n"sv, err(ParseError::kBadHeaderValue, kValue)},
    {OK200 "X: a\n\r\n"sv, err(ParseError::kBareLF, kLine)},
    {OK200 "Content-Length: 5x\r\n\r\n"sv, err(ParseError::kBadContentLength, kCl)},
    {OK200 "Content-Length: 5\r\nContent-Length: 4\r\n\r\n"sv,
     err(ParseError::kConflictingContentLength, kFraming)},
    {OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"sv,
     err(ParseError::kContentLengthWithTransferEncoding, kTe)},
    {"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"sv,
     err(ParseError::kContentLengthWithTransferEncoding, kTe)},
    {OK200 "Transfer-Encoding: zstd\r\n\r\n"sv, err(ParseError::kUnknownTransferCoding, kTe)},
    {OK200 "Transfer-Encoding: chunked, chunked\r\n\r\n"sv,
     err(ParseError::kChunkedAppliedTwice, kTe)},
    {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"sv,
     err(ParseError::kTransferEncodingInHttp10, kTe)},
    {OK200 "Content-Length: 9999999999\r\n\r\n"sv, err(ParseError::kBodyTooLarge, kTooLarge)},
};

#undef OK200

}  // namespace zokio::http::test
