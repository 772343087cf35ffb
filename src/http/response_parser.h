// Incremental HTTP/1.1 response parser for the data plane.
//
// Hand-written because: Debian 12 packages no llhttp, node's http-parser is
// unmaintained, and a load generator needs strict bounds on what a server can
// make it buffer, plus errors named like Node's (Artillery reports a parse
// failure as errors.<code>, e.g. errors.HPE_INVALID_CHUNK_SIZE).
//
// Cost model: one std::string holds the header block and headers are offsets
// into it; the body goes into a second reusable std::string (only when
// Limits::store_body). Both keep their capacity across reset(), so a warmed-up
// connection parses a response without allocating. No callbacks, no virtual
// calls; bodies and header lines are copied with memchr/append, only chunk-size
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::http {

// Parse failures. Names match Node/llhttp codes where one exists, because the
// name becomes the error metric (errors.<name>).
enum class ParseError : uint8_t {
  kNone,
  kInvalidConstant,          // HPE_INVALID_CONSTANT: not "HTTP/1.x" (incl. HTTP/0.9)
  kInvalidStatus,            // HPE_INVALID_STATUS: status code not 3 digits / < 100
  kInvalidHeaderToken,       // HPE_INVALID_HEADER_TOKEN: bad name or value bytes
  kHeaderOverflow,           // HPE_HEADER_OVERFLOW: over max_header_bytes / max_headers
  kInvalidContentLength,     // HPE_INVALID_CONTENT_LENGTH: non-digits, overflow, conflict
  kUnexpectedContentLength,  // HPE_UNEXPECTED_CONTENT_LENGTH: with Transfer-Encoding
  kInvalidChunkSize,         // HPE_INVALID_CHUNK_SIZE: bad hex, overflow, long extension
  kInvalidEofState,          // HPE_INVALID_EOF_STATE: peer closed mid-message
  kCrExpected,               // HPE_CR_EXPECTED: chunk data not followed by CRLF
  kLfExpected,               // HPE_LF_EXPECTED: CR not followed by LF
  kTooManyInformational,     // HPE_TOO_MANY_INFORMATIONAL (ours): too many 1xx
  kBodyTooLarge,             // HPE_BODY_TOO_LARGE (ours): over max_body_bytes
};

// Stable name for metrics, e.g. "HPE_INVALID_CHUNK_SIZE"; "OK" for kNone.
const char* error_name(ParseError e);

class ResponseParser {
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

  enum class State : uint8_t { kNeedMore, kComplete, kError };
  struct FeedResult {
    State state;
    size_t consumed;  // bytes of this call's input that belong to the message
  };

  ResponseParser();
  explicit ResponseParser(const Limits& limits);

  // Prepares for the next response on this connection. Keeps buffer capacity
  // (a stored body over 1 MiB is released, so idle connections stay small).
  // response_to_head: the request was HEAD, so the response has no body.
  void reset(bool response_to_head = false);
  void set_limits(const Limits& limits) { limits_ = limits; }
  [[nodiscard]] const Limits& limits() const { return limits_; }

  // Consumes bytes up to the end of the current message at most: bytes after a
  // complete message (a pipelined next response) are left unconsumed
  // (consumed < len). kNeedMore always consumes all of len. On kError,
  // consumed says how far parsing got, which depends on how the bytes were
  // split; the connection is unusable anyway. Once complete or failed, further
  // calls consume nothing and return the same state until reset().
  FeedResult feed(const char* data, size_t len);
  FeedResult feed(std::string_view data) { return feed(data.data(), data.size()); }

  // The peer closed the connection. Completes a read-until-close body; in any
  // other unfinished state fails with HPE_INVALID_EOF_STATE (including when
  // nothing at all arrived: callers that want Node's "socket hang up" /
  // ECONNRESET for that case check wire_bytes() == 0).
  FeedResult finish_eof();

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] ParseError error() const { return error_; }

  // Final response's status line; valid once headers_done().
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] int http_minor() const { return http_minor_; }
  [[nodiscard]] std::string_view reason() const;

  // Final response's header fields, in arrival order, values trimmed of OWS.
  // Views stay valid until reset() (the block no longer changes once
  // headers_done()).
  [[nodiscard]] size_t header_count() const { return headers_.size(); }
  [[nodiscard]] std::string_view header_name(size_t i) const;
  [[nodiscard]] std::string_view header_value(size_t i) const;
  // Case-insensitive, first match.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;

  // Whether the connection may carry another request after this response:
  // false after an error, for 101, for a read-until-close body, with
  // "Connection: close", and for HTTP/1.0 without "Connection: keep-alive".
  [[nodiscard]] bool keep_alive() const;
  [[nodiscard]] bool chunked() const { return body_mode_ == BodyMode::kChunked; }
  [[nodiscard]] std::optional<uint64_t> content_length() const;

  // De-chunked body as received (not decompressed); empty unless store_body.
  // Valid until the next feed() or reset().
  [[nodiscard]] std::string_view body() const { return body_; }
  [[nodiscard]] bool body_truncated() const { return body_truncated_; }
  // De-chunked body bytes seen, stored or not.
  [[nodiscard]] uint64_t body_bytes() const { return body_bytes_; }
  // All bytes consumed for this response, 1xx responses included.
  [[nodiscard]] uint64_t wire_bytes() const { return wire_bytes_; }
  // True once the final status line and headers are in.
  [[nodiscard]] bool headers_done() const { return headers_done_; }
  [[nodiscard]] size_t informational_count() const { return informational_; }

 private:
  enum class Phase : uint8_t {
    kHead,
    kBodyLength,
    kBodyUntilClose,
    kChunkSize,
    kChunkSizeWs,
    kChunkExt,
    kChunkSizeLf,
    kChunkData,
    kChunkDataCr,
    kChunkDataLf,
    kTrailerLineStart,
    kTrailerLine,
    kTrailerLineLf,
    kTrailerEndLf,
    kDone,
  };
  enum class BodyMode : uint8_t { kNone, kLength, kChunked, kUntilClose };

  struct HeaderEntry {
    uint32_t name_off;
    uint32_t name_len;
    uint32_t value_off;
    uint32_t value_len;
  };

  FeedResult fail(ParseError e, size_t consumed);
  void clear_head();
  // Each returns kNone or the error; pos is advanced past consumed bytes.
  ParseError feed_head(const char* data, size_t len, size_t& pos);
  ParseError check_status_prefix() const;
  ParseError on_line(size_t begin, size_t end);
  ParseError parse_status_line(std::string_view line);
  ParseError parse_header_line(size_t begin, size_t end);
  ParseError unfold_line(size_t begin, size_t end);
  ParseError on_head_complete();
  ParseError feed_chunked(const char* data, size_t len, size_t& pos);
  void append_body(const char* data, size_t n);

  Limits limits_;
  std::string head_;                  // current header block, raw bytes
  std::vector<HeaderEntry> headers_;  // offsets into head_
  std::string body_;

  State state_ = State::kNeedMore;
  ParseError error_ = ParseError::kNone;
  Phase phase_ = Phase::kHead;
  BodyMode body_mode_ = BodyMode::kNone;
  bool response_to_head_ = false;
  bool status_parsed_ = false;
  bool headers_done_ = false;
  bool body_truncated_ = false;
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;
  bool has_content_length_ = false;
  int status_ = 0;
  int http_minor_ = 0;
  uint32_t reason_off_ = 0;
  uint32_t reason_len_ = 0;
  size_t line_start_ = 0;      // offset in head_ of the line being received
  size_t preamble_bytes_ = 0;  // empty lines skipped before the status line
  size_t informational_ = 0;
  size_t aux_bytes_ = 0;  // chunk-size line / trailer bytes, against max_header_bytes
  uint64_t content_length_ = 0;
  uint64_t remaining_ = 0;   // body bytes left (kBodyLength) or in this chunk
  uint64_t chunk_size_ = 0;  // chunk size being parsed
  bool chunk_size_digits_ = false;
  uint64_t body_bytes_ = 0;
  uint64_t wire_bytes_ = 0;
};

}  // namespace barrage::http
