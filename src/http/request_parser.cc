#include "http/request_parser.h"

#include <algorithm>

#include "http/syntax.h"
#include "util/ascii.h"

namespace barrage::http {
namespace {

constexpr size_t kMaxMethodLength = 32;
constexpr size_t kMaxChunkLineLength = 1024;  // chunk-size line without its CRLF
// Strict, as a server should read requests (see the file comment).
constexpr MessageParser::Rules kRequestRules{
    .bare_lf = false, .obs_fold = false, .check_trailers = true};

using ascii::iequals;

}  // namespace

int status_for(ParseError e) noexcept {
  switch (e) {
    case ParseError::kNone:
      return 0;
    case ParseError::kHeaderOverflow:
      return 431;
    case ParseError::kBodyTooLarge:
      return 413;
    case ParseError::kUnsupportedTransferEncoding:
      return 501;
    case ParseError::kUnsupportedVersion:
      return 505;
    default:
      return 400;
  }
}

std::string_view Request::header(std::string_view name) const noexcept {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

MessageParser::Limits RequestParser::core_limits(const RequestLimits& limits) {
  MessageParser::Limits core;
  core.max_header_bytes = limits.max_header_bytes;
  core.max_headers = limits.max_headers;
  core.max_body_bytes = limits.max_body_bytes;
  core.store_body = true;
  core.max_stored_body = limits.max_body_bytes;
  core.max_chunk_line = kMaxChunkLineLength + 2;
  // Bounds the framing too (tiny chunks with long extensions), so a caller
  // can size its input buffer from the limits.
  core.max_chunked_wire = max_input_bytes(limits) - limits.max_header_bytes;
  return core;
}

RequestParser::RequestParser(const RequestLimits& limits)
    : MessageParser(kRequestRules, core_limits(limits)) {
  reset();
}

void RequestParser::reset() {
  reset_message();
  request_.method = request_.target = request_.path = request_.query = {};
  request_.version_minor = 1;
  request_.headers.clear();
  request_.body = {};
  request_.keep_alive = true;
  request_.expects_continue = false;
  fed_ = 0;
  method_off_ = method_len_ = target_off_ = target_len_ = 0;
}

MessageParser::State RequestParser::parse(std::string_view input) {
  if (state() != State::kNeedMore) return state();
  const size_t from = std::min(fed_, input.size());
  const FeedResult r = feed(input.data() + from, input.size() - from);
  fed_ = from + r.consumed;
  if (r.state == State::kComplete) request_.body = body();
  return r.state;
}

// Rejects garbage before a whole request line is in: the method must be a
// short token followed by SP. Looks at no more than kMaxMethodLength + 1
// bytes, so repeated calls on a growing line stay cheap.
ParseError RequestParser::check_start_line_prefix(std::string_view partial) const {
  const size_t n = std::min(partial.size(), kMaxMethodLength + 1);
  for (size_t i = 0; i < n; ++i) {
    if (partial[i] == ' ') return i > 0 ? ParseError::kNone : ParseError::kInvalidMethod;
    if (!syntax::is_tchar(partial[i])) return ParseError::kInvalidMethod;
  }
  return partial.size() <= kMaxMethodLength ? ParseError::kNone : ParseError::kInvalidMethod;
}

// method SP request-target SP HTTP-version.
ParseError RequestParser::parse_start_line(std::string_view line) {
  const size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > kMaxMethodLength) {
    return ParseError::kInvalidMethod;
  }
  const std::string_view method = line.substr(0, sp1);
  if (!std::all_of(method.begin(), method.end(), syntax::is_tchar)) {
    return ParseError::kInvalidMethod;
  }
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return ParseError::kInvalidVersion;
  if (sp2 == sp1 + 1) return ParseError::kInvalidUrl;
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return ParseError::kInvalidUrl;
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !ascii::is_digit(version[5]) || !ascii::is_digit(version[7])) {
    return ParseError::kInvalidVersion;
  }
  if (version[5] != '1' || version[7] > '1') return ParseError::kUnsupportedVersion;
  method_off_ = head_offset(method.data());
  method_len_ = static_cast<uint32_t>(method.size());
  target_off_ = head_offset(target.data());
  target_len_ = static_cast<uint32_t>(target.size());
  request_.version_minor = version[7] - '0';
  set_http_minor(request_.version_minor);
  return ParseError::kNone;
}

ParseError RequestParser::on_head_complete() {
  if (const ParseError e = scan_framing(); e != ParseError::kNone) return e;
  // The header block no longer moves: bind the views.
  request_.method = head_view(method_off_, method_len_);
  request_.target = head_view(target_off_, target_len_);
  const size_t q = request_.target.find('?');
  request_.path = request_.target.substr(0, q);
  request_.query = q == std::string_view::npos ? std::string_view{} : request_.target.substr(q + 1);
  request_.headers.clear();
  int hosts = 0;
  bool expects_continue = false;
  for (size_t i = 0; i < header_count(); ++i) {
    const HeaderField field{header_name(i), header_value(i)};
    request_.headers.push_back(field);
    if (iequals(field.name, "host")) {
      ++hosts;
    } else if (iequals(field.name, "expect")) {
      expects_continue = iequals(field.value, "100-continue");
    }
  }
  const bool http10 = request_.version_minor == 0;
  if (hosts > 1 || (!http10 && hosts != 1)) return ParseError::kInvalidHost;
  request_.keep_alive = keep_alive_by_headers();
  request_.expects_continue = expects_continue && !http10;

  const Framing& f = framing();
  if (f.te_present) {
    // Transfer-Encoding in HTTP/1.0, or not ending in chunked, cannot be
    // framed safely; codings before chunked are not supported.
    if (http10 || f.te_codings == 0 || !f.te_final_chunked || f.te_chunked_not_final) {
      return ParseError::kInvalidTransferEncoding;
    }
    if (f.te_other_coding) return ParseError::kUnsupportedTransferEncoding;
    return start_body(BodyMode::kChunked);
  }
  if (f.has_content_length) return start_body(BodyMode::kLength);
  return start_body(BodyMode::kNone);
}

}  // namespace barrage::http
