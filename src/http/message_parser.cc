#include "http/message_parser.h"

#include <algorithm>
#include <cstring>

#include "http/syntax.h"
#include "util/ascii.h"

namespace barrage::http {
namespace {

constexpr size_t kRetainedBodyCapacity = 1 << 20;
constexpr size_t kMaxHeadBytes = 0xFFFFFFF0u;  // offsets are uint32_t

using ascii::iequals;
using ascii::is_ows;
using syntax::is_field_byte;

ParseError invalid_field_byte(char c) {
  return c == '\r' ? ParseError::kLfExpected : ParseError::kInvalidHeaderToken;
}

}  // namespace

const char* error_name(ParseError e) {
  switch (e) {
    case ParseError::kNone:
      return "OK";
    case ParseError::kInvalidConstant:
      return "HPE_INVALID_CONSTANT";
    case ParseError::kInvalidStatus:
      return "HPE_INVALID_STATUS";
    case ParseError::kInvalidHeaderToken:
      return "HPE_INVALID_HEADER_TOKEN";
    case ParseError::kHeaderOverflow:
      return "HPE_HEADER_OVERFLOW";
    case ParseError::kInvalidContentLength:
      return "HPE_INVALID_CONTENT_LENGTH";
    case ParseError::kUnexpectedContentLength:
      return "HPE_UNEXPECTED_CONTENT_LENGTH";
    case ParseError::kInvalidChunkSize:
      return "HPE_INVALID_CHUNK_SIZE";
    case ParseError::kInvalidEofState:
      return "HPE_INVALID_EOF_STATE";
    case ParseError::kCrExpected:
      return "HPE_CR_EXPECTED";
    case ParseError::kLfExpected:
      return "HPE_LF_EXPECTED";
    case ParseError::kTooManyInformational:
      return "HPE_TOO_MANY_INFORMATIONAL";
    case ParseError::kBodyTooLarge:
      return "HPE_BODY_TOO_LARGE";
    case ParseError::kInvalidMethod:
      return "HPE_INVALID_METHOD";
    case ParseError::kInvalidUrl:
      return "HPE_INVALID_URL";
    case ParseError::kInvalidVersion:
      return "HPE_INVALID_VERSION";
    case ParseError::kUnsupportedVersion:
      return "HPE_UNSUPPORTED_VERSION";
    case ParseError::kInvalidTransferEncoding:
      return "HPE_INVALID_TRANSFER_ENCODING";
    case ParseError::kUnsupportedTransferEncoding:
      return "HPE_UNSUPPORTED_TRANSFER_ENCODING";
    case ParseError::kInvalidHost:
      return "HPE_INVALID_HOST";
  }
  return "HPE_UNKNOWN";
}

MessageParser::MessageParser(const Rules& rules, const Limits& limits)
    : rules_(rules), limits_(limits) {}

void MessageParser::restart_head() {
  head_.clear();
  headers_.clear();
  start_line_done_ = false;
  headers_done_ = false;
  http_minor_ = 0;
  line_start_ = 0;
}

void MessageParser::reset_message() {
  restart_head();
  if (body_.capacity() > kRetainedBodyCapacity) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
  framing_ = Framing{};
  state_ = State::kNeedMore;
  error_ = ParseError::kNone;
  phase_ = Phase::kHead;
  body_mode_ = BodyMode::kNone;
  body_truncated_ = false;
  chunk_size_digits_ = false;
  trailer_colon_ = false;
  preamble_bytes_ = 0;
  aux_bytes_ = 0;
  remaining_ = 0;
  chunk_size_ = 0;
  wire_limit_ = UINT64_MAX;
  body_bytes_ = 0;
  wire_bytes_ = 0;
}

MessageParser::FeedResult MessageParser::fail(ParseError e, size_t consumed) {
  state_ = State::kError;
  error_ = e;
  phase_ = Phase::kDone;
  wire_bytes_ += consumed;
  return {State::kError, consumed};
}

MessageParser::FeedResult MessageParser::feed(const char* data, size_t len) {
  if (state_ != State::kNeedMore) return {state_, 0};
  size_t pos = 0;
  while (pos < len && phase_ != Phase::kDone) {
    ParseError err = ParseError::kNone;
    switch (phase_) {
      case Phase::kHead:
        err = feed_head(data, len, pos);
        // A chunked body starts here: where it may end on the wire.
        if (phase_ == Phase::kChunkSize &&
            __builtin_add_overflow(wire_bytes_ + pos, limits_.max_chunked_wire, &wire_limit_)) {
          wire_limit_ = UINT64_MAX;
        }
        break;
      case Phase::kBodyLength: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(len - pos, remaining_));
        append_body(data + pos, n);
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) phase_ = Phase::kDone;
        break;
      }
      case Phase::kBodyUntilClose: {
        const size_t n = len - pos;
        const uint64_t room =
            limits_.max_body_bytes - std::min(body_bytes_, limits_.max_body_bytes);
        if (n > room) {
          // Keep what fits, so the count at the error does not depend on how
          // the bytes were split into reads.
          append_body(data + pos, static_cast<size_t>(room));
          pos += static_cast<size_t>(room);
          err = ParseError::kBodyTooLarge;
          break;
        }
        append_body(data + pos, n);
        pos = len;
        break;
      }
      case Phase::kDone:
        break;
      default:
        err = feed_chunked(data, len, pos);
        break;
    }
    if (err != ParseError::kNone) return fail(err, pos);
  }
  wire_bytes_ += pos;
  if (phase_ == Phase::kDone) {
    state_ = State::kComplete;
    return {State::kComplete, pos};
  }
  return {State::kNeedMore, pos};
}

MessageParser::FeedResult MessageParser::finish_eof() {
  if (state_ != State::kNeedMore) return {state_, 0};
  if (phase_ == Phase::kBodyUntilClose) {
    phase_ = Phase::kDone;
    state_ = State::kComplete;
    return {State::kComplete, 0};
  }
  return fail(ParseError::kInvalidEofState, 0);
}

// The start line so far (head_ holds nothing else yet).
ParseError MessageParser::check_start_partial() const {
  const std::string_view h = head_;
  if (h.empty()) return ParseError::kNone;
  if (h[0] == '\r' || h[0] == '\n') {
    // An empty line before the start line, possibly incomplete.
    if (h == "\r" || h == "\r\n") return ParseError::kNone;
    if (h == "\n") return rules_.bare_lf ? ParseError::kNone : ParseError::kCrExpected;
    return ParseError::kLfExpected;
  }
  return check_start_line_prefix(h);
}

ParseError MessageParser::feed_head(const char* data, size_t len, size_t& pos) {
  const size_t max_head = std::min(limits_.max_header_bytes, kMaxHeadBytes);
  while (pos < len) {
    const char* start = data + pos;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', len - pos));
    const size_t take = nl != nullptr ? static_cast<size_t>(nl - start) + 1 : len - pos;
    // Copy at most one byte past the limit: enough to detect the overflow.
    const size_t copy = std::min(take, max_head + 1 - std::min(head_.size(), max_head + 1));
    head_.append(start, copy);
    pos += copy;
    if (!start_line_done_) {
      if (const ParseError e = check_start_partial(); e != ParseError::kNone) return e;
    }
    if (head_.size() > max_head) return ParseError::kHeaderOverflow;
    if (nl == nullptr) return ParseError::kNone;
    if (const ParseError e = on_line(line_start_, head_.size()); e != ParseError::kNone) return e;
    line_start_ = head_.size();
    if (phase_ != Phase::kHead) return ParseError::kNone;
  }
  return ParseError::kNone;
}

ParseError MessageParser::on_line(size_t begin, size_t end) {
  // [begin, end) ends with '\n'; drop it and the preceding '\r' (required
  // unless bare_lf).
  size_t content_end = end - 1;
  if (content_end > begin && head_[content_end - 1] == '\r') {
    --content_end;
  } else if (!rules_.bare_lf) {
    return ParseError::kCrExpected;
  }
  // A CR inside the line is a bare CR: header lines find it while validating
  // their bytes, the start line is checked here.
  if (!start_line_done_) {
    if (content_end == begin) {
      preamble_bytes_ += end - begin;
      head_.clear();
      if (preamble_bytes_ > limits_.max_header_bytes) return ParseError::kHeaderOverflow;
      return ParseError::kNone;
    }
    start_line_done_ = true;
    if (std::memchr(head_.data() + begin, '\r', content_end - begin) != nullptr) {
      return ParseError::kLfExpected;
    }
    return parse_start_line(std::string_view(head_).substr(begin, content_end - begin));
  }
  if (content_end == begin) return on_head_complete();
  if (is_ows(head_[begin])) {
    return rules_.obs_fold ? unfold_line(begin, content_end) : ParseError::kInvalidHeaderToken;
  }
  return parse_header_line(begin, content_end);
}

ParseError MessageParser::parse_header_line(size_t begin, size_t end) {
  if (headers_.size() >= limits_.max_headers) return ParseError::kHeaderOverflow;
  const char* h = head_.data();
  size_t i = begin;
  while (i < end && syntax::is_tchar(h[i])) ++i;
  if (i == begin || i == end || h[i] != ':') {
    return i < end && h[i] == '\r' ? ParseError::kLfExpected : ParseError::kInvalidHeaderToken;
  }
  const size_t name_end = i;
  size_t v = i + 1;
  size_t e = end;
  while (v < e && is_ows(h[v])) ++v;
  while (e > v && is_ows(h[e - 1])) --e;
  if (!syntax::all_field_bytes(h + v, e - v)) {
    for (size_t k = v; k < e; ++k) {
      if (!is_field_byte(h[k])) return invalid_field_byte(h[k]);
    }
  }
  headers_.push_back(HeaderEntry{static_cast<uint32_t>(begin),
                                 static_cast<uint32_t>(name_end - begin), static_cast<uint32_t>(v),
                                 static_cast<uint32_t>(e - v)});
  return ParseError::kNone;
}

ParseError MessageParser::unfold_line(size_t begin, size_t end) {
  if (headers_.empty()) return ParseError::kInvalidHeaderToken;
  for (size_t k = begin; k < end; ++k) {
    if (!is_field_byte(head_[k])) return invalid_field_byte(head_[k]);
  }
  // Turn the previous line's terminator into spaces so the value is contiguous.
  head_[begin - 1] = ' ';
  if (begin >= 2 && head_[begin - 2] == '\r') head_[begin - 2] = ' ';
  HeaderEntry& last = headers_.back();
  size_t e = end;
  while (e > begin && is_ows(head_[e - 1])) --e;
  if (e == begin) return ParseError::kNone;  // blank continuation adds nothing
  size_t v = last.value_off;
  while (v < e && is_ows(head_[v])) ++v;
  last.value_off = static_cast<uint32_t>(v);
  last.value_len = static_cast<uint32_t>(e - v);
  return ParseError::kNone;
}

ParseError MessageParser::scan_framing() {
  using syntax::for_each_element;
  using syntax::matches_lower;
  headers_done_ = true;
  Framing& f = framing_;
  bool cl_invalid = false;
  for (size_t i = 0; i < headers_.size(); ++i) {
    const std::string_view name = header_name(i);
    const size_t name_len = name.size();
    if (name_len != 10 && name_len != 14 && name_len != 17) continue;  // none of the names below
    const std::string_view value = header_value(i);
    if (matches_lower(name, "content-length")) {
      for_each_element(value, [&](std::string_view element) {
        uint64_t n = 0;
        if (!syntax::parse_u64(element, n) || (f.has_content_length && n != f.content_length)) {
          cl_invalid = true;
          return;
        }
        f.has_content_length = true;
        f.content_length = n;
      });
    } else if (matches_lower(name, "transfer-encoding")) {
      f.te_present = true;
      for_each_element(value, [&](std::string_view coding) {
        if (coding.empty()) return;
        ++f.te_codings;
        if (f.te_final_chunked) f.te_chunked_not_final = true;
        f.te_final_chunked = matches_lower(coding, "chunked");
        if (!f.te_final_chunked) f.te_other_coding = true;
      });
    } else if (matches_lower(name, "connection")) {
      for_each_element(value, [&](std::string_view option) {
        if (matches_lower(option, "close")) f.conn_close = true;
        if (matches_lower(option, "keep-alive")) f.conn_keep_alive = true;
      });
    }
  }
  if (cl_invalid) return ParseError::kInvalidContentLength;
  if (f.te_present && f.has_content_length) return ParseError::kUnexpectedContentLength;
  return ParseError::kNone;
}

// One byte of the trailer section (phase_ is a trailer phase).
[[gnu::always_inline]] inline ParseError MessageParser::on_trailer_byte(char c) {
  switch (phase_) {
    case Phase::kTrailerLineStart:
      if (c == '\r') {
        phase_ = Phase::kTrailerEndLf;
      } else if (c == '\n') {
        if (!rules_.bare_lf) return ParseError::kCrExpected;
        phase_ = Phase::kDone;
      } else {
        if (rules_.check_trailers && is_ows(c)) return ParseError::kInvalidHeaderToken;
        trailer_colon_ = c == ':';
        phase_ = Phase::kTrailerLine;
      }
      return ParseError::kNone;
    case Phase::kTrailerLine:
      if (c == '\r' || c == '\n') {
        if (rules_.check_trailers && !trailer_colon_) return ParseError::kInvalidHeaderToken;
        if (c == '\n' && !rules_.bare_lf) return ParseError::kCrExpected;
        phase_ = c == '\r' ? Phase::kTrailerLineLf : Phase::kTrailerLineStart;
      } else if (c == ':') {
        trailer_colon_ = true;
      }
      return ParseError::kNone;
    default:  // kTrailerLineLf, kTrailerEndLf
      if (c != '\n') return ParseError::kLfExpected;
      phase_ = phase_ == Phase::kTrailerLineLf ? Phase::kTrailerLineStart : Phase::kDone;
      return ParseError::kNone;
  }
}

ParseError MessageParser::feed_chunked(const char* data, size_t len, size_t& pos) {
  const size_t max_line = limits_.max_chunk_line;
  while (pos < len) {
    const char c = data[pos];
    switch (phase_) {
      case Phase::kChunkData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(len - pos, remaining_));
        append_body(data + pos, n);
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) phase_ = Phase::kChunkDataCr;
        continue;
      }
      case Phase::kChunkDataCr:
        if (c == '\r') {
          phase_ = Phase::kChunkDataLf;
        } else if (c == '\n' && rules_.bare_lf) {
          phase_ = Phase::kChunkSize;
        } else {
          return ParseError::kCrExpected;
        }
        ++pos;
        continue;
      case Phase::kChunkDataLf:
        if (c != '\n') return ParseError::kLfExpected;
        phase_ = Phase::kChunkSize;
        ++pos;
        continue;
      case Phase::kTrailerLineStart:
      case Phase::kTrailerLine:
      case Phase::kTrailerLineLf:
      case Phase::kTrailerEndLf:
        if (++aux_bytes_ > limits_.max_header_bytes) return ParseError::kHeaderOverflow;
        ++pos;
        if (const ParseError e = on_trailer_byte(c); e != ParseError::kNone) return e;
        if (phase_ == Phase::kDone) {
          return wire_bytes_ + pos > wire_limit_ ? ParseError::kBodyTooLarge : ParseError::kNone;
        }
        continue;
      default:
        break;
    }

    // Chunk-size line: 1*HEXDIG [ BWS ";" chunk-ext ] CRLF.
    if (++aux_bytes_ > max_line) return ParseError::kInvalidChunkSize;
    ++pos;
    bool line_done = false;
    switch (phase_) {
      case Phase::kChunkSize: {
        const int8_t d = syntax::hex_value(c);
        if (d >= 0) {
          if ((chunk_size_ >> 60) != 0) return ParseError::kInvalidChunkSize;
          chunk_size_ = (chunk_size_ << 4) | static_cast<uint64_t>(d);
          chunk_size_digits_ = true;
        } else if (!chunk_size_digits_) {
          return ParseError::kInvalidChunkSize;
        } else if (is_ows(c)) {
          phase_ = Phase::kChunkSizeWs;
        } else if (c == ';') {
          phase_ = Phase::kChunkExt;
        } else if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else if (c == '\n') {
          if (!rules_.bare_lf) return ParseError::kCrExpected;
          line_done = true;
        } else {
          return ParseError::kInvalidChunkSize;
        }
        break;
      }
      case Phase::kChunkSizeWs:
        if (c == ';') {
          phase_ = Phase::kChunkExt;
        } else if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else if (c == '\n') {
          if (!rules_.bare_lf) return ParseError::kCrExpected;
          line_done = true;
        } else if (!is_ows(c)) {
          return ParseError::kInvalidChunkSize;
        }
        break;
      case Phase::kChunkExt:
        if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else if (c == '\n') {
          if (!rules_.bare_lf) return ParseError::kCrExpected;
          line_done = true;
        } else if (!is_field_byte(c)) {
          return ParseError::kInvalidChunkSize;
        }
        break;
      case Phase::kChunkSizeLf:
        if (c != '\n') return ParseError::kLfExpected;
        line_done = true;
        break;
      default:
        return ParseError::kInvalidChunkSize;  // unreachable
    }
    if (!line_done) continue;
    aux_bytes_ = 0;
    const uint64_t size = chunk_size_;
    chunk_size_ = 0;
    chunk_size_digits_ = false;
    // The chunked body on the wire is checked at line ends only (each line is
    // bounded), so the check costs nothing per byte; a chunk that would take
    // it over the limit fails at its size line.
    uint64_t chunk_end = 0;
    if (__builtin_add_overflow(wire_bytes_ + pos, size, &chunk_end) || chunk_end > wire_limit_) {
      return ParseError::kBodyTooLarge;
    }
    if (size == 0) {
      phase_ = Phase::kTrailerLineStart;
      continue;
    }
    if (size > limits_.max_body_bytes - std::min(body_bytes_, limits_.max_body_bytes)) {
      return ParseError::kBodyTooLarge;
    }
    remaining_ = size;
    phase_ = Phase::kChunkData;
  }
  return ParseError::kNone;
}

void MessageParser::append_body(const char* data, size_t n) {
  body_bytes_ += n;
  if (!limits_.store_body || n == 0) return;
  const size_t room = limits_.max_stored_body - std::min(body_.size(), limits_.max_stored_body);
  if (n > room) {
    body_truncated_ = true;
    n = room;
  }
  body_.append(data, n);
}

std::string_view MessageParser::header_name(size_t i) const {
  const HeaderEntry& h = headers_[i];
  return std::string_view(head_).substr(h.name_off, h.name_len);
}

std::string_view MessageParser::header_value(size_t i) const {
  const HeaderEntry& h = headers_[i];
  return std::string_view(head_).substr(h.value_off, h.value_len);
}

std::optional<std::string_view> MessageParser::header(std::string_view name) const {
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (iequals(header_name(i), name)) return header_value(i);
  }
  return std::nullopt;
}

std::optional<uint64_t> MessageParser::content_length() const {
  if (!framing_.has_content_length) return std::nullopt;
  return framing_.content_length;
}

}  // namespace barrage::http
