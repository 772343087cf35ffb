// Incremental HTTP/1.1 request parser for the demo target (RFC 9112 subset).
//
// Hand-written because no packaged library fits: Debian 12 ships only the
// archived nodejs http-parser (unmaintained since 2022), llhttp is packaged as
// JavaScript sources only, and picohttpparser is not packaged. What the demo
// target needs is small and bounded: request line, header fields, and a body
// framed by Content-Length or chunked transfer coding. It is fuzzed
// (tests/fuzz/fuzz_request_parser.cc).
//
// Usage: the caller keeps the unconsumed bytes of a connection in one buffer
// whose first byte is the first byte of the current request, and calls
// parse() with all of them each time more arrive. Between calls that return
// kIncomplete the caller may only append (the buffer may move). After
// kComplete, request() views into that buffer (or into the parser, for a
// chunked body) until the caller consumes consumed() bytes and calls reset().
// After kError, error() tells which response to send; the connection must be
// closed because framing is lost.
//
// Strict where laxness enables request smuggling: CRLF line endings only, no
// obs-fold, no whitespace before the colon, Content-Length and
// Transfer-Encoding together are rejected, and so are conflicting lengths.
//
// Cost: every input byte is scanned once (the header scan resumes where it
// stopped); no allocation once the header vector and chunk buffer have grown.
// Must not use <expected> (clang 14 builds it for fuzzing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace barrage::demo_target {

enum class ParseStatus { kIncomplete, kComplete, kError };

// Why a request was rejected; each maps to one response status.
enum class ParseError {
  kNone,
  kBadRequest,           // 400: malformed syntax or framing
  kHeaderTooLarge,       // 431: request line + header fields over the limit
  kBodyTooLarge,         // 413: declared or decoded body over the limit
  kNotImplemented,       // 501: a transfer coding other than chunked
  kVersionNotSupported,  // 505: HTTP/x.y other than 1.0 and 1.1
};

// HTTP status code for an error (400, 431, 413, 501, 505; 0 for kNone).
int status_for(ParseError e) noexcept;

struct ParserLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + fields + final CRLF
  size_t max_header_count = 100;
  size_t max_body_bytes = 1024 * 1024;  // decoded body
};

// Most bytes one request can occupy before the parser completes or rejects it
// (chunked framing included); a caller's input buffer needs no more.
constexpr size_t max_input_bytes(const ParserLimits& l) noexcept {
  return l.max_header_bytes * 2 + l.max_body_bytes * 2 + 64 * 1024;
}

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

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  // Parses the request at the front of `input`; see the file comment.
  ParseStatus parse(std::string_view input);

  [[nodiscard]] const Request& request() const noexcept { return request_; }
  // Bytes of input the complete request occupies (valid after kComplete).
  [[nodiscard]] size_t consumed() const noexcept { return consumed_; }
  [[nodiscard]] ParseError error() const noexcept { return error_; }
  // True once the header section has been parsed for the current request.
  [[nodiscard]] bool headers_done() const noexcept { return state_ >= State::kBody; }

  // Prepares for the next request; keeps grown buffers.
  void reset() noexcept;

 private:
  enum class State {
    kRequestLine,
    kHeaders,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError
  };

  struct Span {
    uint32_t offset = 0;
    uint32_t length = 0;
  };

  ParseStatus fail(ParseError e) noexcept;
  Span span_of(std::string_view part) const noexcept;
  void bind_views() noexcept;
  bool parse_request_line(std::string_view line);
  bool check_request_line_prefix(std::string_view partial) const;
  ParseError parse_header_line(std::string_view line);
  ParseError finish_headers();
  ParseStatus parse_chunked(std::string_view input);

  ParserLimits limits_;
  State state_ = State::kRequestLine;
  ParseError error_ = ParseError::kNone;
  Request request_;
  std::string_view input_;  // the input of the current parse() call
  Span method_;
  Span target_;
  std::vector<std::pair<Span, Span>> header_spans_;
  size_t pos_ = 0;   // start of the next unparsed line (or chunk data)
  size_t scan_ = 0;  // where the search for the next '\n' resumes
  size_t consumed_ = 0;
  size_t body_start_ = 0;
  uint64_t content_length_ = 0;
  bool has_content_length_ = false;
  bool chunked_ = false;
  uint64_t chunk_remaining_ = 0;
  size_t trailer_bytes_ = 0;
  bool version_unsupported_ = false;
  std::string chunk_body_;
};

}  // namespace barrage::demo_target
