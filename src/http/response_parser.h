// Incremental HTTP/1.1 response parser for the data plane.
//
// Hand-written because: Debian 12 packages no llhttp, node's http-parser is
// unmaintained, and a load generator needs strict bounds on what a server can
// make it buffer, plus errors named like Node's (Artillery reports a parse
// failure as errors.<code>, e.g. errors.HPE_INVALID_CHUNK_SIZE).
//
// A thin front end over MessageParser (http/message_parser.h), which owns
// the header block, field validation and limits, Content-Length, chunked
// decoding, keep-alive and the error names. This file owns the status line,
// the response framing rules below, 1xx handling and the response limits.
// Lenient line rules (bare LF, obs-fold), as user agents read responses.
//
// Cost model: one std::string holds the header block and headers are offsets
// into it; the body goes into a second reusable std::string (only when
// Limits::store_body). Both keep their capacity across reset(), so a warmed-up
// connection parses a response without allocating. No callbacks per byte;
// bodies and header lines are copied with memchr/append, only chunk-size
// lines and trailers are walked byte by byte.
//
// Framing (RFC 9112 section 6.3), decided once the final header block is in:
//   1xx other than 101  skipped (counted by informational_count()); at most
//                       Limits::max_informational, else HPE_TOO_MANY_INFORMATIONAL
//   101                 complete after the header block (connection is upgraded)
//   HEAD, 204, 304      no body, whatever the headers say
//   Transfer-Encoding   chunked when "chunked" is the final coding; any other
//                       coding means read-until-close. Transfer-Encoding together
//                       with Content-Length is HPE_UNEXPECTED_CONTENT_LENGTH (as
//                       llhttp does by default: it is a smuggling signal, RFC 9112
//                       section 6.3 item 3 says to treat it as an error).
//   Content-Length      exactly that many bytes. Repeated identical values (also
//                       "5, 5") are accepted; differing ones are
//                       HPE_INVALID_CONTENT_LENGTH.
//   neither             read until the peer closes: finish_eof() completes it.
//
// Leniency decisions (each documented where Node/llhttp also accepts it):
//   - A bare LF ends a line (status, header, chunk-size, trailer) as well as
//     CR LF (RFC 9112 section 2.2 allows it). A CR not followed by LF is
//     HPE_LF_EXPECTED; after chunk data, anything but CR/LF is HPE_CR_EXPECTED.
//   - Empty lines before the status line are skipped (stray CRLF after a body).
//   - obs-fold continuation lines are unfolded into the previous value with
//     spaces, as RFC 9112 section 5.2 requires of user agents.
//   - Status line: "HTTP/1.<digit> <3 digits>[ <reason>]". Anything not starting
//     with "HTTP/1." (HTTP/0.9 bodies, HTTP/2 preface, garbage) is
//     HPE_INVALID_CONSTANT, detected at the first wrong byte (a server sending
//     an HTTP/0.9 body without newlines is not buffered up to the limit).
//   - Header names must be tokens (so "Name : v" is rejected); values may not
//     contain control characters other than HTAB.
//
// Thread affinity: one parser per connection, used from its shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/message_parser.h"

namespace barrage::http {

class ResponseParser final : public MessageParser {
 public:
  struct Limits {
    size_t max_header_bytes = 64 * 1024;        // per header block (status line included);
                                                // also bounds trailers and a chunk-size line
    size_t max_headers = 256;                   // per header block
    size_t max_informational = 16;              // 1xx responses skipped before the final one
    uint64_t max_body_bytes = 1ull << 40;       // de-chunked body; over it: HPE_BODY_TOO_LARGE
    bool store_body = true;                     // keep the body for body()
    size_t max_stored_body = 64 * 1024 * 1024;  // beyond this body() is truncated
                                                // (body_truncated()), not an error
  };

  ResponseParser();
  explicit ResponseParser(const Limits& limits);

  // Prepares for the next response on this connection. Keeps buffer capacity
  // (a stored body over 1 MiB is released, so idle connections stay small).
  // response_to_head: the request was HEAD, so the response has no body.
  void reset(bool response_to_head = false);
  void set_limits(const Limits& limits);
  [[nodiscard]] const Limits& limits() const { return limits_; }

  // Consumes bytes up to the end of the current message at most: bytes after a
  // complete message (a pipelined next response) are left unconsumed
  // (consumed < len). kNeedMore always consumes all of len. On kError,
  // consumed says how far parsing got, which depends on how the bytes were
  // split; the connection is unusable anyway. Once complete or failed, further
  // calls consume nothing and return the same state until reset().
  FeedResult feed(const char* data, size_t len) { return MessageParser::feed(data, len); }
  FeedResult feed(std::string_view data) { return MessageParser::feed(data.data(), data.size()); }

  // The peer closed the connection. Completes a read-until-close body; in any
  // other unfinished state fails with HPE_INVALID_EOF_STATE (including when
  // nothing at all arrived: callers that want Node's "socket hang up" /
  // ECONNRESET for that case check wire_bytes() == 0).
  FeedResult finish_eof() { return MessageParser::finish_eof(); }

  // Final response's status line; valid once headers_done(). http_minor(),
  // the header fields (header_count(), header_name(i), header_value(i),
  // header(name)), body(), body_bytes(), wire_bytes() (1xx responses
  // included), chunked() and content_length() come from MessageParser.
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] std::string_view reason() const { return head_view(reason_off_, reason_len_); }

  // Whether the connection may carry another request after this response:
  // false after an error, for 101, for a read-until-close body, with
  // "Connection: close", and for HTTP/1.0 without "Connection: keep-alive".
  [[nodiscard]] bool keep_alive() const;
  [[nodiscard]] size_t informational_count() const { return informational_; }

 private:
  static MessageParser::Limits core_limits(const Limits& limits);

  [[nodiscard]] ParseError check_start_line_prefix(std::string_view partial) const override;
  ParseError parse_start_line(std::string_view line) override;
  ParseError on_head_complete() override;
  void clear_status();

  Limits limits_;
  bool response_to_head_ = false;
  int status_ = 0;
  uint32_t reason_off_ = 0;
  uint32_t reason_len_ = 0;
  size_t informational_ = 0;
};

}  // namespace barrage::http
