#include "http/response_parser.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "util/ascii.h"

namespace barrage::http {
namespace {

constexpr size_t kRetainedBodyCapacity = 1 << 20;
constexpr size_t kMaxHeadBytes = 0xFFFFFFF0u;  // offsets are uint32_t
constexpr std::string_view kStatusPrefix = "HTTP/1.";

// tchar (RFC 9110 section 5.6.2).
constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kTchar = make_tchar_table();

// field-vchar / obs-text / SP / HTAB.
constexpr std::array<bool, 256> make_field_table() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 256; ++c) t[c] = c != 0x7F;
  t['\t'] = true;
  return t;
}
constexpr auto kFieldByte = make_field_table();

constexpr std::array<int8_t, 256> make_hex_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}
constexpr auto kHex = make_hex_table();

ParseError invalid_field_byte(char c) {
  return c == '\r' ? ParseError::kLfExpected : ParseError::kInvalidHeaderToken;
}

using ascii::iequals;
using ascii::is_digit;
using ascii::is_ows;

// Case-insensitive match of validated header bytes (token or field bytes, so
// never CR) against a literal made of lower-case letters and '-': for those
// inputs OR-ing in 0x20 lower-cases letters and maps nothing else onto them.
bool matches_lower(std::string_view s, std::string_view lit) {
  if (s.size() != lit.size()) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    diff |= static_cast<unsigned char>(s[i] | 0x20) ^ static_cast<unsigned char>(lit[i]);
  }
  return diff == 0;
}

// True when every byte is a field byte; eight bytes per step (SWAR): a byte
// below 0x20 or equal to 0x7F sends the caller to the exact per-byte check
// (HTAB is allowed there).
bool all_field_bytes(const char* p, size_t n) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, p + i, 8);
    const uint64_t below_space = (x - 0x20 * kOnes) & ~x & kHighs;
    const uint64_t y = x ^ (0x7F * kOnes);
    const uint64_t del = (y - kOnes) & ~y & kHighs;
    if ((below_space | del) != 0) return false;
  }
  for (; i < n; ++i) {
    if (!kFieldByte[static_cast<unsigned char>(p[i])]) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each comma-separated, OWS-trimmed element (empty ones too).
template <typename Fn>
void for_each_element(std::string_view list, Fn&& fn) {
  while (true) {
    const size_t comma = list.find(',');
    fn(trim_ows(list.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
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
  }
  return "HPE_UNKNOWN";
}

ResponseParser::ResponseParser() : ResponseParser(Limits{}) {}

ResponseParser::ResponseParser(const Limits& limits) : limits_(limits) { reset(); }

void ResponseParser::clear_head() {
  head_.clear();
  headers_.clear();
  status_parsed_ = false;
  status_ = 0;
  http_minor_ = 0;
  reason_off_ = 0;
  reason_len_ = 0;
  line_start_ = 0;
}

void ResponseParser::reset(bool response_to_head) {
  clear_head();
  if (body_.capacity() > kRetainedBodyCapacity) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
  state_ = State::kNeedMore;
  error_ = ParseError::kNone;
  phase_ = Phase::kHead;
  body_mode_ = BodyMode::kNone;
  response_to_head_ = response_to_head;
  headers_done_ = false;
  body_truncated_ = false;
  conn_close_ = false;
  conn_keep_alive_ = false;
  has_content_length_ = false;
  preamble_bytes_ = 0;
  informational_ = 0;
  aux_bytes_ = 0;
  content_length_ = 0;
  remaining_ = 0;
  chunk_size_ = 0;
  chunk_size_digits_ = false;
  body_bytes_ = 0;
  wire_bytes_ = 0;
}

ResponseParser::FeedResult ResponseParser::fail(ParseError e, size_t consumed) {
  state_ = State::kError;
  error_ = e;
  phase_ = Phase::kDone;
  wire_bytes_ += consumed;
  return {State::kError, consumed};
}

ResponseParser::FeedResult ResponseParser::feed(const char* data, size_t len) {
  if (state_ != State::kNeedMore) return {state_, 0};
  size_t pos = 0;
  while (pos < len && phase_ != Phase::kDone) {
    ParseError err = ParseError::kNone;
    switch (phase_) {
      case Phase::kHead:
        err = feed_head(data, len, pos);
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

ResponseParser::FeedResult ResponseParser::finish_eof() {
  if (state_ != State::kNeedMore) return {state_, 0};
  if (phase_ == Phase::kBodyUntilClose) {
    phase_ = Phase::kDone;
    state_ = State::kComplete;
    return {State::kComplete, 0};
  }
  return fail(ParseError::kInvalidEofState, 0);
}

ParseError ResponseParser::check_status_prefix() const {
  const std::string_view h = head_;
  if (h.empty()) return ParseError::kNone;
  if (h[0] == '\r' || h[0] == '\n') {
    // An empty line before the status line, possibly incomplete.
    if (h == "\r" || h == "\n" || h == "\r\n") return ParseError::kNone;
    return ParseError::kLfExpected;
  }
  const size_t n = std::min(h.size(), kStatusPrefix.size());
  if (h.substr(0, n) != kStatusPrefix.substr(0, n)) return ParseError::kInvalidConstant;
  return ParseError::kNone;
}

ParseError ResponseParser::feed_head(const char* data, size_t len, size_t& pos) {
  const size_t max_head = std::min(limits_.max_header_bytes, kMaxHeadBytes);
  while (pos < len) {
    const char* start = data + pos;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', len - pos));
    const size_t take = nl != nullptr ? static_cast<size_t>(nl - start) + 1 : len - pos;
    // Copy at most one byte past the limit: enough to detect the overflow.
    const size_t copy = std::min(take, max_head + 1 - std::min(head_.size(), max_head + 1));
    head_.append(start, copy);
    pos += copy;
    if (!status_parsed_) {
      if (const ParseError e = check_status_prefix(); e != ParseError::kNone) return e;
    }
    if (head_.size() > max_head) return ParseError::kHeaderOverflow;
    if (nl == nullptr) return ParseError::kNone;
    if (const ParseError e = on_line(line_start_, head_.size()); e != ParseError::kNone) return e;
    line_start_ = head_.size();
    if (phase_ != Phase::kHead) return ParseError::kNone;
  }
  return ParseError::kNone;
}

ParseError ResponseParser::on_line(size_t begin, size_t end) {
  // [begin, end) ends with '\n'; drop it and an optional preceding '\r'.
  size_t content_end = end - 1;
  if (content_end > begin && head_[content_end - 1] == '\r') --content_end;
  // A CR inside the line is a bare CR: header lines find it while validating
  // their bytes, the status line is checked here.
  if (!status_parsed_) {
    if (content_end == begin) {
      preamble_bytes_ += end - begin;
      head_.clear();
      if (preamble_bytes_ > limits_.max_header_bytes) return ParseError::kHeaderOverflow;
      return ParseError::kNone;
    }
    status_parsed_ = true;
    if (std::memchr(head_.data() + begin, '\r', content_end - begin) != nullptr) {
      return ParseError::kLfExpected;
    }
    return parse_status_line(std::string_view(head_).substr(begin, content_end - begin));
  }
  if (content_end == begin) return on_head_complete();
  if (is_ows(head_[begin])) return unfold_line(begin, content_end);
  return parse_header_line(begin, content_end);
}

ParseError ResponseParser::parse_status_line(std::string_view line) {
  // "HTTP/1.x SSS[ reason]"; the caller has checked the "HTTP/1." prefix
  // incrementally, but not the minor version digit or what follows.
  if (line.size() < 8 || !is_digit(line[7])) return ParseError::kInvalidConstant;
  http_minor_ = line[7] - '0';
  if (line.size() > 8 && line[8] != ' ') return ParseError::kInvalidConstant;
  if (line.size() < 12 || !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
      line[9] == '0') {
    return ParseError::kInvalidStatus;
  }
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (line.size() > 12) {
    if (line[12] != ' ') return ParseError::kInvalidStatus;
    reason_off_ = static_cast<uint32_t>(line.data() + 13 - head_.data());
    reason_len_ = static_cast<uint32_t>(line.size() - 13);
  }
  return ParseError::kNone;
}

ParseError ResponseParser::parse_header_line(size_t begin, size_t end) {
  if (headers_.size() >= limits_.max_headers) return ParseError::kHeaderOverflow;
  const char* h = head_.data();
  size_t i = begin;
  while (i < end && kTchar[static_cast<unsigned char>(h[i])]) ++i;
  if (i == begin || i == end || h[i] != ':') {
    return i < end && h[i] == '\r' ? ParseError::kLfExpected : ParseError::kInvalidHeaderToken;
  }
  const size_t name_end = i;
  size_t v = i + 1;
  size_t e = end;
  while (v < e && is_ows(h[v])) ++v;
  while (e > v && is_ows(h[e - 1])) --e;
  if (!all_field_bytes(h + v, e - v)) {
    for (size_t k = v; k < e; ++k) {
      if (!kFieldByte[static_cast<unsigned char>(h[k])]) return invalid_field_byte(h[k]);
    }
  }
  headers_.push_back(HeaderEntry{static_cast<uint32_t>(begin),
                                 static_cast<uint32_t>(name_end - begin), static_cast<uint32_t>(v),
                                 static_cast<uint32_t>(e - v)});
  return ParseError::kNone;
}

ParseError ResponseParser::unfold_line(size_t begin, size_t end) {
  if (headers_.empty()) return ParseError::kInvalidHeaderToken;
  for (size_t k = begin; k < end; ++k) {
    if (!kFieldByte[static_cast<unsigned char>(head_[k])]) return invalid_field_byte(head_[k]);
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

ParseError ResponseParser::on_head_complete() {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    ++informational_;
    if (informational_ > limits_.max_informational) return ParseError::kTooManyInformational;
    clear_head();
    return ParseError::kNone;
  }
  headers_done_ = true;

  bool te_present = false;
  bool te_chunked = false;
  bool cl_invalid = false;
  for (size_t i = 0; i < headers_.size(); ++i) {
    const std::string_view name = header_name(i);
    const size_t name_len = name.size();
    if (name_len != 10 && name_len != 14 && name_len != 17) continue;  // none of the names below
    const std::string_view value = header_value(i);
    if (matches_lower(name, "content-length")) {
      for_each_element(value, [&](std::string_view element) {
        uint64_t n = 0;
        if (!parse_u64(element, n) || (has_content_length_ && n != content_length_)) {
          cl_invalid = true;
          return;
        }
        has_content_length_ = true;
        content_length_ = n;
      });
    } else if (matches_lower(name, "transfer-encoding")) {
      te_present = true;
      for_each_element(value, [&](std::string_view coding) {
        if (!coding.empty()) te_chunked = matches_lower(coding, "chunked");
      });
    } else if (matches_lower(name, "connection")) {
      for_each_element(value, [&](std::string_view option) {
        if (matches_lower(option, "close")) conn_close_ = true;
        if (matches_lower(option, "keep-alive")) conn_keep_alive_ = true;
      });
    }
  }
  if (cl_invalid) return ParseError::kInvalidContentLength;
  if (te_present && has_content_length_) return ParseError::kUnexpectedContentLength;

  if (response_to_head_ || status_ == 101 || status_ == 204 || status_ == 304) {
    body_mode_ = BodyMode::kNone;
    phase_ = Phase::kDone;
  } else if (te_present) {
    if (te_chunked) {
      body_mode_ = BodyMode::kChunked;
      phase_ = Phase::kChunkSize;
      aux_bytes_ = 0;
    } else {
      body_mode_ = BodyMode::kUntilClose;
      phase_ = Phase::kBodyUntilClose;
    }
  } else if (has_content_length_) {
    if (content_length_ > limits_.max_body_bytes) return ParseError::kBodyTooLarge;
    body_mode_ = BodyMode::kLength;
    remaining_ = content_length_;
    phase_ = content_length_ == 0 ? Phase::kDone : Phase::kBodyLength;
  } else {
    body_mode_ = BodyMode::kUntilClose;
    phase_ = Phase::kBodyUntilClose;
  }
  return ParseError::kNone;
}

ParseError ResponseParser::feed_chunked(const char* data, size_t len, size_t& pos) {
  const size_t max_aux = limits_.max_header_bytes;
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
        } else if (c == '\n') {
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
        if (++aux_bytes_ > max_aux) return ParseError::kHeaderOverflow;
        ++pos;
        if (phase_ == Phase::kTrailerLineStart) {
          phase_ = c == '\r'   ? Phase::kTrailerEndLf
                   : c == '\n' ? Phase::kDone
                               : Phase::kTrailerLine;
        } else if (phase_ == Phase::kTrailerLine) {
          if (c == '\r') phase_ = Phase::kTrailerLineLf;
          if (c == '\n') phase_ = Phase::kTrailerLineStart;
        } else {
          if (c != '\n') return ParseError::kLfExpected;
          phase_ = phase_ == Phase::kTrailerLineLf ? Phase::kTrailerLineStart : Phase::kDone;
        }
        if (phase_ == Phase::kDone) return ParseError::kNone;
        continue;
      default:
        break;
    }

    // Chunk-size line: 1*HEXDIG [ BWS ";" chunk-ext ] CRLF.
    if (++aux_bytes_ > max_aux) return ParseError::kInvalidChunkSize;
    ++pos;
    bool line_done = false;
    switch (phase_) {
      case Phase::kChunkSize: {
        const int8_t d = kHex[static_cast<unsigned char>(c)];
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
          line_done = true;
        } else if (!is_ows(c)) {
          return ParseError::kInvalidChunkSize;
        }
        break;
      case Phase::kChunkExt:
        if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else if (c == '\n') {
          line_done = true;
        } else if (!kFieldByte[static_cast<unsigned char>(c)]) {
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

void ResponseParser::append_body(const char* data, size_t n) {
  body_bytes_ += n;
  if (!limits_.store_body || n == 0) return;
  const size_t room = limits_.max_stored_body - std::min(body_.size(), limits_.max_stored_body);
  if (n > room) {
    body_truncated_ = true;
    n = room;
  }
  body_.append(data, n);
}

std::string_view ResponseParser::reason() const {
  return std::string_view(head_).substr(reason_off_, reason_len_);
}

std::string_view ResponseParser::header_name(size_t i) const {
  const HeaderEntry& h = headers_[i];
  return std::string_view(head_).substr(h.name_off, h.name_len);
}

std::string_view ResponseParser::header_value(size_t i) const {
  const HeaderEntry& h = headers_[i];
  return std::string_view(head_).substr(h.value_off, h.value_len);
}

std::optional<std::string_view> ResponseParser::header(std::string_view name) const {
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (iequals(header_name(i), name)) return header_value(i);
  }
  return std::nullopt;
}

bool ResponseParser::keep_alive() const {
  if (state_ == State::kError || !headers_done_) return false;
  if (status_ == 101 || conn_close_ || body_mode_ == BodyMode::kUntilClose) return false;
  if (http_minor_ == 0) return conn_keep_alive_;
  return true;
}

std::optional<uint64_t> ResponseParser::content_length() const {
  if (!has_content_length_) return std::nullopt;
  return content_length_;
}

}  // namespace barrage::http
