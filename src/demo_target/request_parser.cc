#include "demo_target/request_parser.h"

#include <algorithm>
#include <cstring>

namespace barrage::demo_target {
namespace {

constexpr size_t kMaxMethodLength = 32;
constexpr size_t kMaxChunkLineLength = 1024;

// tchar per RFC 9110 section 5.6.2.
bool is_tchar(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// field-vchar, SP or HTAB (obs-text allowed).
bool is_field_char(unsigned char c) noexcept { return c == '\t' || (c >= 0x20 && c != 0x7F); }

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(token) for each comma-separated element of a field value, trimmed;
// empty elements are skipped (RFC 9110 section 5.6.1). Stops when fn returns false.
template <typename Fn>
void for_each_token(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (!item.empty() && !fn(item)) return;
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

// Decimal Content-Length; false on anything but 1..19 digits.
bool parse_length(std::string_view s, uint64_t* out) noexcept {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  const char l = lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

}  // namespace

int status_for(ParseError e) noexcept {
  switch (e) {
    case ParseError::kNone:
      return 0;
    case ParseError::kBadRequest:
      return 400;
    case ParseError::kHeaderTooLarge:
      return 431;
    case ParseError::kBodyTooLarge:
      return 413;
    case ParseError::kNotImplemented:
      return 501;
    case ParseError::kVersionNotSupported:
      return 505;
  }
  return 400;
}

std::string_view Request::header(std::string_view name) const noexcept {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

void RequestParser::reset() noexcept {
  state_ = State::kRequestLine;
  error_ = ParseError::kNone;
  request_.method = request_.target = request_.path = request_.query = {};
  request_.version_minor = 1;
  request_.headers.clear();
  header_spans_.clear();
  method_ = target_ = {};
  request_.body = {};
  request_.keep_alive = true;
  request_.expects_continue = false;
  pos_ = scan_ = consumed_ = body_start_ = 0;
  content_length_ = 0;
  has_content_length_ = chunked_ = false;
  chunk_remaining_ = 0;
  trailer_bytes_ = 0;
  version_unsupported_ = false;
  chunk_body_.clear();
}

ParseStatus RequestParser::fail(ParseError e) noexcept {
  state_ = State::kError;
  error_ = e;
  return ParseStatus::kError;
}

// Rejects obvious garbage before a full request line arrives: the method must
// be a short token followed by SP. Looks at no more than kMaxMethodLength + 1
// bytes, so repeated calls on a growing line stay cheap.
bool RequestParser::check_request_line_prefix(std::string_view partial) const {
  const size_t n = std::min(partial.size(), kMaxMethodLength + 1);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(partial[i]);
    if (c == ' ') return i > 0;
    if (c == '\r' && i == 0) return true;  // an empty line ahead of the request
    if (!is_tchar(c)) return false;
  }
  return partial.size() <= kMaxMethodLength;
}

bool RequestParser::parse_request_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > kMaxMethodLength) return false;
  const std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.') return false;
  const char major = version[5];
  const char minor = version[7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') return false;
  if (major != '1' || minor > '1') {
    version_unsupported_ = true;
    return false;
  }
  method_ = span_of(method);
  target_ = span_of(target);
  request_.version_minor = minor - '0';
  request_.keep_alive = request_.version_minor == 1;
  return true;
}

ParseError RequestParser::parse_header_line(std::string_view line) {
  if (is_ows(line.front())) return ParseError::kBadRequest;  // obs-fold
  const size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return ParseError::kBadRequest;
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_tchar(static_cast<unsigned char>(c))) return ParseError::kBadRequest;
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    if (!is_field_char(static_cast<unsigned char>(c))) return ParseError::kBadRequest;
  }
  if (request_.headers.size() >= limits_.max_header_count) return ParseError::kHeaderTooLarge;
  request_.headers.push_back({name, value});
  header_spans_.emplace_back(span_of(name), span_of(value));
  return ParseError::kNone;
}

ParseError RequestParser::finish_headers() {
  bool saw_transfer_encoding = false;
  size_t codings = 0;
  bool last_chunked = false;
  bool chunked_not_last = false;
  bool other_coding = false;
  int hosts = 0;
  bool close = false;
  bool keep_alive = false;
  for (const auto& h : request_.headers) {
    if (iequals(h.name, "content-length")) {
      uint64_t v = 0;
      if (!parse_length(h.value, &v)) return ParseError::kBadRequest;
      if (has_content_length_ && v != content_length_) return ParseError::kBadRequest;
      has_content_length_ = true;
      content_length_ = v;
    } else if (iequals(h.name, "transfer-encoding")) {
      saw_transfer_encoding = true;
      for_each_token(h.value, [&](std::string_view coding) {
        ++codings;
        if (last_chunked) chunked_not_last = true;
        last_chunked = iequals(coding, "chunked");
        if (!last_chunked) other_coding = true;
        return true;
      });
    } else if (iequals(h.name, "connection")) {
      for_each_token(h.value, [&](std::string_view option) {
        if (iequals(option, "close")) close = true;
        if (iequals(option, "keep-alive")) keep_alive = true;
        return true;
      });
    } else if (iequals(h.name, "expect")) {
      request_.expects_continue = iequals(h.value, "100-continue");
    } else if (iequals(h.name, "host")) {
      ++hosts;
    }
  }
  if (request_.version_minor == 1 && hosts != 1) return ParseError::kBadRequest;
  if (hosts > 1) return ParseError::kBadRequest;
  if (close) {
    request_.keep_alive = false;
  } else if (keep_alive) {
    request_.keep_alive = true;
  }
  if (request_.version_minor == 0) request_.expects_continue = false;
  if (saw_transfer_encoding) {
    // Transfer-Encoding with Content-Length, in HTTP/1.0, or not ending in
    // chunked cannot be framed safely; codings before chunked are not supported.
    if (has_content_length_ || request_.version_minor == 0 || codings == 0 || !last_chunked ||
        chunked_not_last) {
      return ParseError::kBadRequest;
    }
    if (other_coding) return ParseError::kNotImplemented;
    chunked_ = true;
  }
  if (has_content_length_ && content_length_ > limits_.max_body_bytes) {
    return ParseError::kBodyTooLarge;
  }
  return ParseError::kNone;
}

RequestParser::Span RequestParser::span_of(std::string_view part) const noexcept {
  return {static_cast<uint32_t>(part.data() - input_.data()), static_cast<uint32_t>(part.size())};
}

// Views into the previous input may dangle (the caller's buffer may have
// moved): re-derive them from offsets.
void RequestParser::bind_views() noexcept {
  request_.method = input_.substr(method_.offset, method_.length);
  request_.target = input_.substr(target_.offset, target_.length);
  const size_t q = request_.target.find('?');
  request_.path = request_.target.substr(0, q);
  request_.query = q == std::string_view::npos ? std::string_view{} : request_.target.substr(q + 1);
  for (size_t i = 0; i < header_spans_.size(); ++i) {
    request_.headers[i] = {
        input_.substr(header_spans_[i].first.offset, header_spans_[i].first.length),
        input_.substr(header_spans_[i].second.offset, header_spans_[i].second.length)};
  }
}

ParseStatus RequestParser::parse(std::string_view input) {
  if (state_ == State::kError) return ParseStatus::kError;
  if (state_ == State::kDone) return ParseStatus::kComplete;
  input_ = input;
  if (state_ != State::kRequestLine) bind_views();

  while (state_ == State::kRequestLine || state_ == State::kHeaders) {
    const void* nl = scan_ < input.size()
                         ? std::memchr(input.data() + scan_, '\n', input.size() - scan_)
                         : nullptr;
    // Garbage is rejected as soon as it shows, before any size limit, so the
    // outcome does not depend on how the bytes were split.
    if (state_ == State::kRequestLine && !check_request_line_prefix(input.substr(pos_))) {
      return fail(ParseError::kBadRequest);
    }
    if (nl == nullptr) {
      scan_ = input.size();
      if (input.size() > limits_.max_header_bytes) return fail(ParseError::kHeaderTooLarge);
      return ParseStatus::kIncomplete;
    }
    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
    if (end + 1 > limits_.max_header_bytes) return fail(ParseError::kHeaderTooLarge);
    if (end == pos_ || input[end - 1] != '\r') return fail(ParseError::kBadRequest);
    const std::string_view line = input.substr(pos_, end - 1 - pos_);
    pos_ = scan_ = end + 1;
    if (state_ == State::kRequestLine) {
      if (line.empty()) continue;  // RFC 9112 section 2.2: ignore leading empty lines
      if (!parse_request_line(line)) {
        return fail(version_unsupported_ ? ParseError::kVersionNotSupported
                                         : ParseError::kBadRequest);
      }
      bind_views();
      state_ = State::kHeaders;
    } else if (line.empty()) {
      if (const ParseError e = finish_headers(); e != ParseError::kNone) return fail(e);
      body_start_ = pos_;
      state_ = chunked_ ? State::kChunkSize : State::kBody;
    } else if (const ParseError e = parse_header_line(line); e != ParseError::kNone) {
      return fail(e);
    }
  }

  if (state_ == State::kBody) {
    if (input.size() - body_start_ < content_length_) return ParseStatus::kIncomplete;
    request_.body = input.substr(body_start_, content_length_);
    consumed_ = body_start_ + content_length_;
    state_ = State::kDone;
    return ParseStatus::kComplete;
  }
  return parse_chunked(input);
}

// Chunked transfer coding (RFC 9112 section 7.1); the decoded body is copied
// into chunk_body_ so it is contiguous. Trailer fields are checked and dropped.
ParseStatus RequestParser::parse_chunked(std::string_view input) {
  // Bounds the framing too (tiny chunks with long extensions), so a caller
  // can size its input buffer from the limits.
  const size_t max_encoded = max_input_bytes(limits_) - limits_.max_header_bytes;
  for (;;) {
    if (pos_ - body_start_ > max_encoded) return fail(ParseError::kBodyTooLarge);
    switch (state_) {
      case State::kChunkSize:
      case State::kTrailers: {
        const void* nl = scan_ < input.size()
                             ? std::memchr(input.data() + scan_, '\n', input.size() - scan_)
                             : nullptr;
        if (nl == nullptr) {
          scan_ = input.size();
          // An unterminated line of n bytes ends as a line of at least n - 1
          // bytes (its last byte may be the CR): fail early only when that
          // line would fail too.
          const size_t partial = input.size() - pos_;
          if (state_ == State::kChunkSize && partial > kMaxChunkLineLength + 1) {
            return fail(ParseError::kBadRequest);
          }
          if (state_ == State::kTrailers &&
              trailer_bytes_ + partial + 1 > limits_.max_header_bytes) {
            return fail(ParseError::kHeaderTooLarge);
          }
          return ParseStatus::kIncomplete;
        }
        const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
        // Size before syntax, as for an unterminated line above.
        if (state_ == State::kTrailers &&
            trailer_bytes_ + (end - pos_) + 1 > limits_.max_header_bytes) {
          return fail(ParseError::kHeaderTooLarge);
        }
        if (end == pos_ || input[end - 1] != '\r') return fail(ParseError::kBadRequest);
        const std::string_view line = input.substr(pos_, end - 1 - pos_);
        pos_ = scan_ = end + 1;
        if (state_ == State::kTrailers) {
          if (line.empty()) {
            request_.body = chunk_body_;
            consumed_ = pos_;
            state_ = State::kDone;
            return ParseStatus::kComplete;
          }
          trailer_bytes_ += line.size() + 2;
          if (is_ows(line.front()) || line.find(':') == std::string_view::npos) {
            return fail(ParseError::kBadRequest);
          }
          continue;
        }
        if (line.size() > kMaxChunkLineLength) return fail(ParseError::kBadRequest);
        uint64_t size = 0;
        size_t i = 0;
        for (; i < line.size() && hex_value(line[i]) >= 0; ++i) {
          if (i >= 15) return fail(ParseError::kBadRequest);
          size = size * 16 + static_cast<uint64_t>(hex_value(line[i]));
        }
        if (i == 0) return fail(ParseError::kBadRequest);
        std::string_view rest = line.substr(i);
        while (!rest.empty() && is_ows(rest.front())) rest.remove_prefix(1);
        if (!rest.empty() && rest.front() != ';') return fail(ParseError::kBadRequest);
        for (char c : rest) {
          if (!is_field_char(static_cast<unsigned char>(c))) return fail(ParseError::kBadRequest);
        }
        if (size == 0) {
          state_ = State::kTrailers;
          continue;
        }
        if (size > limits_.max_body_bytes - chunk_body_.size()) {
          return fail(ParseError::kBodyTooLarge);
        }
        chunk_remaining_ = size;
        state_ = State::kChunkData;
        continue;
      }
      case State::kChunkData: {
        const size_t available = input.size() - pos_;
        const size_t take = static_cast<size_t>(std::min<uint64_t>(available, chunk_remaining_));
        chunk_body_.append(input.data() + pos_, take);
        pos_ += take;
        chunk_remaining_ -= take;
        if (chunk_remaining_ > 0) {
          scan_ = pos_;
          if (pos_ - body_start_ > max_encoded) return fail(ParseError::kBodyTooLarge);
          return ParseStatus::kIncomplete;
        }
        state_ = State::kChunkDataEnd;
        continue;
      }
      case State::kChunkDataEnd: {
        const std::string_view crlf = input.substr(pos_, 2);
        if (crlf != std::string_view("\r\n").substr(0, crlf.size())) {
          return fail(ParseError::kBadRequest);
        }
        if (crlf.size() < 2) return ParseStatus::kIncomplete;
        pos_ = scan_ = pos_ + 2;
        state_ = State::kChunkSize;
        continue;
      }
      default:
        return fail(ParseError::kBadRequest);
    }
  }
}

}  // namespace barrage::demo_target
