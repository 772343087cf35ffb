// Incremental HTTP/1.1 request parser for the demo target (`barrage target`).
//
// Hand-written because no packaged library fits: Debian 12 ships only the
// archived nodejs http-parser (unmaintained since 2022), llhttp is packaged as
// JavaScript sources only, and picohttpparser is not packaged. It is a thin
// front end over MessageParser (http/message_parser.h), the core it shares
// with the load client's ResponseParser: the core owns the header block,
// field validation and limits, Content-Length, chunked decoding with trailers,
// keep-alive and the error names. This file owns the request line, the
// request framing rules (Content-Length or chunked; no body otherwise), Host
// and Expect, and the mapping of errors to response statuses. It is fuzzed
// (tests/fuzz/fuzz_request_parser.cc). Must not use <expected> (clang 14
// builds it for fuzzing).
//
// Usage: the caller keeps the unconsumed bytes of a connection in one buffer
// whose first byte is the first byte of the current request, and calls
// parse() with all of them each time more arrive. Between calls that return
// kNeedMore the caller may only append (the buffer may move): the parser
// reads only the bytes it has not seen. After kComplete, request() views into
// the parser (valid until reset()) and consumed() says how many bytes of the
// buffer the request occupied. After kError, status_for(error()) tells which
// response to send; the connection must be closed because framing is lost.
//
// Strict where laxness enables request smuggling: CRLF line endings only
// (HPE_CR_EXPECTED), no obs-fold, no whitespace before the colon,
// Content-Length and Transfer-Encoding together are rejected, and so are
// conflicting lengths; Transfer-Encoding must end in chunked and is refused
// in HTTP/1.0. HTTP/1.1 needs exactly one Host field.
//
// Cost: every input byte is scanned once; the header block and the body are
// copied into the parser; no allocation once its buffers have grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/message_parser.h"

namespace barrage::http {

struct RequestLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + fields + final CRLF
  size_t max_headers = 100;
  size_t max_body_bytes = 1024 * 1024;  // decoded body
};

// Most bytes one request can occupy before the parser completes or rejects it
// (chunked framing included); a caller's input buffer needs no more.
constexpr size_t max_input_bytes(const RequestLimits& l) noexcept {
  return l.max_header_bytes * 2 + l.max_body_bytes * 2 + 64 * 1024;
}

// HTTP status code to answer a rejected request with: 431 (header block or
// field count over the limit), 413 (body over the limit), 501 (a transfer
// coding other than chunked), 505 (HTTP/x.y other than 1.0 and 1.1), else
// 400; 0 for kNone.
int status_for(ParseError e) noexcept;

struct HeaderField {
  std::string_view name;   // as sent; compare case-insensitively
  std::string_view value;  // surrounding whitespace trimmed
};

struct Request {
  std::string_view method;
  std::string_view target;  // request-target as sent
  std::string_view path;    // target up to '?'
  std::string_view query;   // after '?', empty if none
  int version_minor = 1;    // HTTP/1.<minor>
  std::vector<HeaderField> headers;
  std::string_view body;
  bool keep_alive = true;         // after Connection header and version defaults
  bool expects_continue = false;  // Expect: 100-continue

  // First field named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

class RequestParser final : public MessageParser {
 public:
  RequestParser() : RequestParser(RequestLimits{}) {}
  explicit RequestParser(const RequestLimits& limits);

  // Parses the request at the front of `input`; see the file comment.
  State parse(std::string_view input);

  // The request; complete after kComplete, its header fields (and
  // expects_continue, keep_alive) once headers_done().
  [[nodiscard]] const Request& request() const noexcept { return request_; }
  // Bytes of input the complete request occupies (valid after kComplete).
  [[nodiscard]] size_t consumed() const noexcept { return fed_; }

  // Prepares for the next request; keeps grown buffers.
  void reset();

 private:
  static MessageParser::Limits core_limits(const RequestLimits& limits);

  [[nodiscard]] ParseError check_start_line_prefix(std::string_view partial) const override;
  ParseError parse_start_line(std::string_view line) override;
  ParseError on_head_complete() override;

  Request request_;
  size_t fed_ = 0;  // bytes of the current request's input consumed so far
  uint32_t method_off_ = 0;
  uint32_t method_len_ = 0;
  uint32_t target_off_ = 0;
  uint32_t target_len_ = 0;
};

}  // namespace barrage::http
