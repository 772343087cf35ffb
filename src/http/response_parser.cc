#include "http/response_parser.h"

#include <cstring>

#include "util/ascii.h"

namespace barrage::http {
namespace {

constexpr std::string_view kStatusPrefix = "HTTP/1.";
// Lenient, as user agents read responses (see the file comment).
constexpr MessageParser::Rules kResponseRules{
    .bare_lf = true, .obs_fold = true, .check_trailers = false};

using ascii::is_digit;

}  // namespace

MessageParser::Limits ResponseParser::core_limits(const Limits& limits) {
  MessageParser::Limits core;
  core.max_header_bytes = limits.max_header_bytes;
  core.max_headers = limits.max_headers;
  core.max_body_bytes = limits.max_body_bytes;
  core.store_body = limits.store_body;
  core.max_stored_body = limits.max_stored_body;
  core.max_chunk_line = limits.max_header_bytes;
  return core;
}

ResponseParser::ResponseParser() : ResponseParser(Limits{}) {}

ResponseParser::ResponseParser(const Limits& limits)
    : MessageParser(kResponseRules, core_limits(limits)), limits_(limits) {
  reset();
}

void ResponseParser::set_limits(const Limits& limits) {
  limits_ = limits;
  set_core_limits(core_limits(limits));
}

void ResponseParser::clear_status() {
  status_ = 0;
  reason_off_ = 0;
  reason_len_ = 0;
}

void ResponseParser::reset(bool response_to_head) {
  reset_message();
  clear_status();
  response_to_head_ = response_to_head;
  informational_ = 0;
}

ParseError ResponseParser::check_start_line_prefix(std::string_view partial) const {
  bool ok = false;
  if (partial.size() >= kStatusPrefix.size()) {
    ok = std::memcmp(partial.data(), kStatusPrefix.data(), kStatusPrefix.size()) == 0;  // usual
  } else {
    ok = kStatusPrefix.starts_with(partial);
  }
  return ok ? ParseError::kNone : ParseError::kInvalidConstant;
}

ParseError ResponseParser::parse_start_line(std::string_view line) {
  // "HTTP/1.x SSS[ reason]"; the "HTTP/1." prefix has been checked
  // incrementally, but not the minor version digit or what follows.
  if (line.size() < 8 || !is_digit(line[7])) return ParseError::kInvalidConstant;
  set_http_minor(line[7] - '0');
  if (line.size() > 8 && line[8] != ' ') return ParseError::kInvalidConstant;
  if (line.size() < 12 || !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
      line[9] == '0') {
    return ParseError::kInvalidStatus;
  }
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (line.size() > 12) {
    if (line[12] != ' ') return ParseError::kInvalidStatus;
    reason_off_ = head_offset(line.data() + 13);
    reason_len_ = static_cast<uint32_t>(line.size() - 13);
  }
  return ParseError::kNone;
}

ParseError ResponseParser::on_head_complete() {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    ++informational_;
    if (informational_ > limits_.max_informational) return ParseError::kTooManyInformational;
    restart_head();
    clear_status();
    return ParseError::kNone;
  }
  if (const ParseError e = scan_framing(); e != ParseError::kNone) return e;
  const Framing& f = framing();
  if (response_to_head_ || status_ == 101 || status_ == 204 || status_ == 304) {
    return start_body(BodyMode::kNone);
  }
  if (f.te_present)
    return start_body(f.te_final_chunked ? BodyMode::kChunked : BodyMode::kUntilClose);
  if (f.has_content_length) return start_body(BodyMode::kLength);
  return start_body(BodyMode::kUntilClose);
}

bool ResponseParser::keep_alive() const {
  if (state() == State::kError || !headers_done()) return false;
  if (status_ == 101 || body_mode() == BodyMode::kUntilClose) return false;
  return keep_alive_by_headers();
}

}  // namespace barrage::http
