// The HTTP/1 message parser core shared by the load client's ResponseParser
// and the demo target's RequestParser (RFC 9112).
//
// Hand-written because: Debian 12 packages no llhttp (only its JavaScript
// sources), node's http-parser is archived and unmaintained, picohttpparser is
// not packaged; and both users need strict bounds on what a peer can make
// them buffer, plus errors named like Node's (Artillery reports a parse
// failure as errors.<code>, e.g. errors.HPE_INVALID_CHUNK_SIZE). It is fuzzed
// through both front ends (tests/fuzz/fuzz_response_parser.cc,
// fuzz_request_parser.cc). Must not use <expected> (clang 14 builds it for
// fuzzing).
//
// What the core owns, for both directions:
//   - the header block: one std::string holds the start line and the header
//     fields, fields are offsets into it; lines end in CR LF (a bare LF too
//     when Rules::bare_lf); empty lines before the start line are skipped;
//     obs-fold lines are unfolded (Rules::obs_fold) or rejected;
//   - limits: header block bytes and field count, body bytes, chunk-size line
//     bytes, chunked body bytes on the wire, stored body bytes;
//   - token and field validation (names are tokens, values have no control
//     characters other than HTAB);
//   - the framing fields: Content-Length (repeated identical values, also
//     "5, 5", accepted; differing ones are HPE_INVALID_CONTENT_LENGTH),
//     Transfer-Encoding (its codings, whether chunked is final), Connection
//     (close / keep-alive), and Transfer-Encoding with Content-Length as
//     HPE_UNEXPECTED_CONTENT_LENGTH (a smuggling signal, RFC 9112 section 6.3);
//   - the body: a length, chunked transfer coding with extensions and trailers
//     (trailers are checked and dropped), or read until close;
//   - keep-alive from the version and Connection; error names.
// A front end parses its start line (parse_start_line, and
// check_start_line_prefix so garbage is rejected before a whole line is in)
// and decides the framing once the header block is in (on_head_complete:
// scan_framing() then start_body()).
//
// Cost model: bodies and header lines are copied with memchr/append; only
// chunk-size lines and trailers are walked byte by byte. Buffers keep their
// capacity across resets, so a warmed-up parser does not allocate. Three
// virtual calls per message (the start line hooks), none per byte.
//
// Thread affinity: one parser per connection, used from one thread.
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
  kCrExpected,               // HPE_CR_EXPECTED: no CR before LF (strict), or after chunk data
  kLfExpected,               // HPE_LF_EXPECTED: CR not followed by LF
  kTooManyInformational,     // HPE_TOO_MANY_INFORMATIONAL (ours): too many 1xx
  kBodyTooLarge,             // HPE_BODY_TOO_LARGE (ours): over max_body_bytes
  kInvalidMethod,            // HPE_INVALID_METHOD: request method not a short token
  kInvalidUrl,               // HPE_INVALID_URL: empty request-target or a byte not allowed in it
  kInvalidVersion,           // HPE_INVALID_VERSION: request HTTP-version malformed
  kUnsupportedVersion,       // HPE_UNSUPPORTED_VERSION (ours): HTTP/x.y other than 1.0, 1.1
  kInvalidTransferEncoding,  // HPE_INVALID_TRANSFER_ENCODING: a request body chunked can't end
  kUnsupportedTransferEncoding,  // HPE_UNSUPPORTED_TRANSFER_ENCODING (ours): coding before chunked
  kInvalidHost,                  // HPE_INVALID_HOST (ours): Host missing (HTTP/1.1) or repeated
};

// Stable name for metrics, e.g. "HPE_INVALID_CHUNK_SIZE"; "OK" for kNone.
const char* error_name(ParseError e);

class MessageParser {
 public:
  enum class State : uint8_t { kNeedMore, kComplete, kError };
  struct FeedResult {
    State state;
    size_t consumed;  // bytes of this call's input that belong to the message
  };

  // How lines are read: leniently as a user agent does (RFC 9112 sections
  // 2.2, 5.2), or strictly where laxness enables request smuggling.
  struct Rules {
    bool bare_lf;         // a lone LF ends a line; else HPE_CR_EXPECTED
    bool obs_fold;        // continuation lines are unfolded; else HPE_INVALID_HEADER_TOKEN
    bool check_trailers;  // trailer lines must not start with OWS and must have a ':'
  };

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] ParseError error() const { return error_; }
  [[nodiscard]] int http_minor() const { return http_minor_; }

  // Header fields of the message, in arrival order, values trimmed of OWS.
  // Views stay valid until reset (the block no longer changes once
  // headers_done()).
  [[nodiscard]] size_t header_count() const { return headers_.size(); }
  [[nodiscard]] std::string_view header_name(size_t i) const;
  [[nodiscard]] std::string_view header_value(size_t i) const;
  // Case-insensitive, first match.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;

  [[nodiscard]] bool chunked() const { return body_mode_ == BodyMode::kChunked; }
  [[nodiscard]] std::optional<uint64_t> content_length() const;
  // De-chunked body as received; empty unless stored. Valid until the next
  // feed or reset.
  [[nodiscard]] std::string_view body() const { return body_; }
  [[nodiscard]] bool body_truncated() const { return body_truncated_; }
  // De-chunked body bytes seen, stored or not.
  [[nodiscard]] uint64_t body_bytes() const { return body_bytes_; }
  // All bytes consumed for this message (interim responses included).
  [[nodiscard]] uint64_t wire_bytes() const { return wire_bytes_; }
  // True once the (final) start line and header fields are in.
  [[nodiscard]] bool headers_done() const { return headers_done_; }

 protected:
  struct Limits {
    size_t max_header_bytes = 64 * 1024;        // header block (start line included); trailers
    size_t max_headers = 256;                   // fields per header block
    uint64_t max_body_bytes = 1ull << 40;       // de-chunked body; over it: HPE_BODY_TOO_LARGE
    bool store_body = true;                     // keep the body for body()
    size_t max_stored_body = 64 * 1024 * 1024;  // beyond this body() is truncated
    size_t max_chunk_line = 64 * 1024;          // one chunk-size line, line end included
    uint64_t max_chunked_wire = UINT64_MAX;     // chunked body on the wire, framing included
  };
  enum class BodyMode : uint8_t { kNone, kLength, kChunked, kUntilClose };
  // What scan_framing() found in the header fields.
  struct Framing {
    bool has_content_length = false;
    bool te_present = false;            // a Transfer-Encoding field, even empty
    bool te_final_chunked = false;      // the last coding is chunked
    bool te_chunked_not_final = false;  // chunked followed by another coding
    bool te_other_coding = false;       // a coding other than chunked
    uint32_t te_codings = 0;            // non-empty codings
    bool conn_close = false;
    bool conn_keep_alive = false;
    uint64_t content_length = 0;
  };

  MessageParser(const Rules& rules, const Limits& limits);
  MessageParser(const MessageParser&) = default;
  MessageParser& operator=(const MessageParser&) = default;
  MessageParser(MessageParser&&) = default;
  MessageParser& operator=(MessageParser&&) = default;
  virtual ~MessageParser() = default;

  // Consumes bytes up to the end of the current message at most: bytes after
  // a complete message are left unconsumed (consumed < len). kNeedMore always
  // consumes all of len. Once complete or failed, further calls consume
  // nothing and return the same state until reset_message().
  FeedResult feed(const char* data, size_t len);
  // The peer closed: completes a read-until-close body, else
  // HPE_INVALID_EOF_STATE.
  FeedResult finish_eof();
  // Prepares for the next message; keeps buffer capacity (a stored body over
  // 1 MiB is released).
  void reset_message();
  // Drops the header block just read (an interim response) and reads another.
  void restart_head();

  // The first bytes of the start line (all that has arrived, line end
  // included if it has): an error as soon as they cannot begin a valid line.
  // Called before the header block limit is checked, so garbage is named the
  // same however it is split.
  [[nodiscard]] virtual ParseError check_start_line_prefix(std::string_view partial) const = 0;
  // The whole start line, without its line end; a view into the header block
  // (use head_offset to keep it: the block may still move).
  virtual ParseError parse_start_line(std::string_view line) = 0;
  // The empty line ending the header block arrived: call scan_framing() and
  // start_body(), or restart_head().
  virtual ParseError on_head_complete() = 0;

  // The final header block is in (headers_done()): reads Content-Length,
  // Transfer-Encoding and Connection into framing().
  ParseError scan_framing();
  [[nodiscard]] const Framing& framing() const { return framing_; }
  // Body framing decided by the front end; kLength takes framing().content_length.
  // Inline: once per message, on the client's hot path.
  ParseError start_body(BodyMode mode) {
    switch (mode) {
      case BodyMode::kNone:
        phase_ = Phase::kDone;
        break;
      case BodyMode::kLength:
        if (framing_.content_length > limits_.max_body_bytes) return ParseError::kBodyTooLarge;
        remaining_ = framing_.content_length;
        phase_ = remaining_ == 0 ? Phase::kDone : Phase::kBodyLength;
        break;
      case BodyMode::kChunked:
        phase_ = Phase::kChunkSize;
        aux_bytes_ = 0;
        break;
      case BodyMode::kUntilClose:
        phase_ = Phase::kBodyUntilClose;
        break;
    }
    body_mode_ = mode;
    return ParseError::kNone;
  }
  [[nodiscard]] BodyMode body_mode() const { return body_mode_; }
  // Persistence from the version and Connection (RFC 9112 section 9.3).
  [[nodiscard]] bool keep_alive_by_headers() const {
    return !framing_.conn_close && (http_minor_ >= 1 || framing_.conn_keep_alive);
  }

  void set_http_minor(int minor) { http_minor_ = minor; }
  void set_core_limits(const Limits& limits) { limits_ = limits; }
  [[nodiscard]] uint32_t head_offset(const char* p) const {
    return static_cast<uint32_t>(p - head_.data());
  }
  [[nodiscard]] std::string_view head_view(uint32_t offset, uint32_t length) const {
    return std::string_view(head_).substr(offset, length);
  }

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

  struct HeaderEntry {
    uint32_t name_off;
    uint32_t name_len;
    uint32_t value_off;
    uint32_t value_len;
  };

  FeedResult fail(ParseError e, size_t consumed);
  // Each returns kNone or the error; pos is advanced past consumed bytes.
  ParseError feed_head(const char* data, size_t len, size_t& pos);
  ParseError check_start_partial() const;
  ParseError on_line(size_t begin, size_t end);
  ParseError parse_header_line(size_t begin, size_t end);
  ParseError unfold_line(size_t begin, size_t end);
  ParseError feed_chunked(const char* data, size_t len, size_t& pos);
  ParseError on_trailer_byte(char c);
  void append_body(const char* data, size_t n);

  Rules rules_;
  Limits limits_;
  std::string head_;                  // current header block, raw bytes
  std::vector<HeaderEntry> headers_;  // offsets into head_
  std::string body_;
  Framing framing_;

  State state_ = State::kNeedMore;
  ParseError error_ = ParseError::kNone;
  Phase phase_ = Phase::kHead;
  BodyMode body_mode_ = BodyMode::kNone;
  bool start_line_done_ = false;
  bool headers_done_ = false;
  bool body_truncated_ = false;
  bool chunk_size_digits_ = false;
  bool trailer_colon_ = false;
  int http_minor_ = 0;
  size_t line_start_ = 0;             // offset in head_ of the line being received
  size_t preamble_bytes_ = 0;         // empty lines skipped before the start line
  size_t aux_bytes_ = 0;              // chunk-size line / trailer bytes, against their limits
  uint64_t remaining_ = 0;            // body bytes left (kBodyLength) or in this chunk
  uint64_t chunk_size_ = 0;           // chunk size being parsed
  uint64_t wire_limit_ = UINT64_MAX;  // wire_bytes() a chunked body may reach
  uint64_t body_bytes_ = 0;
  uint64_t wire_bytes_ = 0;
};

}  // namespace barrage::http
