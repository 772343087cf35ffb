// Test helpers: run a ResponseParser over a response cut at given points, and
// over every possible cut, checking that all ways of feeding agree.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/response_parser.h"

namespace barrage::http::testing {

struct Parsed {
  ResponseParser::State state = ResponseParser::State::kNeedMore;
  ParseError error = ParseError::kNone;
  int status = 0;
  int http_minor = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint64_t body_bytes = 0;
  uint64_t wire_bytes = 0;
  size_t consumed = 0;  // sum over feed() calls
  bool keep_alive = false;
  bool chunked = false;
  std::optional<uint64_t> content_length;
  size_t informational = 0;
  bool operator==(const Parsed&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Parsed& p) {
  return os << "{state=" << static_cast<int>(p.state) << " error=" << error_name(p.error)
            << " status=" << p.status << " headers=" << p.headers.size() << " body=\"" << p.body
            << "\" body_bytes=" << p.body_bytes << " wire=" << p.wire_bytes
            << " consumed=" << p.consumed << " keep_alive=" << p.keep_alive << "}";
}

inline Parsed snapshot(const ResponseParser& p, size_t consumed) {
  Parsed r;
  r.state = p.state();
  r.error = p.error();
  r.status = p.status();
  r.http_minor = p.http_minor();
  r.reason = p.reason();
  for (size_t i = 0; i < p.header_count(); ++i) {
    r.headers.emplace_back(p.header_name(i), p.header_value(i));
  }
  r.body = p.body();
  r.body_bytes = p.body_bytes();
  // Where an error is noticed (so how much was consumed) depends on how the
  // bytes were split; everything else must not.
  const bool failed = p.state() == ResponseParser::State::kError;
  r.wire_bytes = failed ? 0 : p.wire_bytes();
  r.consumed = failed ? 0 : consumed;
  r.keep_alive = p.keep_alive();
  r.chunked = p.chunked();
  r.content_length = p.content_length();
  r.informational = p.informational_count();
  return r;
}

// Feeds `wire` cut before each offset in `cuts` (ascending), stopping at the
// first complete/error result; then calls finish_eof() when `eof` and the
// parser still needs more.
inline Parsed parse_cut(ResponseParser& p, std::string_view wire, const std::vector<size_t>& cuts,
                        bool head = false, bool eof = false) {
  p.reset(head);
  size_t consumed = 0;
  size_t begin = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : wire.size();
    const auto res = p.feed(wire.data() + begin, end - begin);
    EXPECT_LE(res.consumed, end - begin);
    consumed += res.consumed;
    if (res.state != ResponseParser::State::kNeedMore) return snapshot(p, consumed);
    EXPECT_EQ(res.consumed, end - begin);
    begin = end;
  }
  if (eof) p.finish_eof();
  return snapshot(p, consumed);
}

// Parses `wire` whole, in two pieces at every split point, and byte by byte,
// with one reused parser; all must agree. Returns the whole-feed result.
inline Parsed parse_all_ways(std::string_view wire, bool head = false, bool eof = false,
                             const ResponseParser::Limits& limits = {}) {
  ResponseParser p(limits);
  const Parsed whole = parse_cut(p, wire, {}, head, eof);
  for (size_t k = 1; k < wire.size(); ++k) {
    EXPECT_EQ(parse_cut(p, wire, {k}, head, eof), whole) << "split at " << k;
  }
  std::vector<size_t> bytes;
  for (size_t k = 1; k < wire.size(); ++k) bytes.push_back(k);
  EXPECT_EQ(parse_cut(p, wire, bytes, head, eof), whole) << "byte by byte";
  return whole;
}

}  // namespace barrage::http::testing
