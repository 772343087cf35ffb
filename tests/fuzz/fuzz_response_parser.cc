// Fuzzes http::ResponseParser. Input: byte 0 = flags (bit 0: response to HEAD,
// bit 1: small limits, bit 2: do not store bodies), byte 1 = split seed, rest =
// bytes from the server, possibly several pipelined responses.
// The rest is parsed twice, once whole and once in pseudo-random pieces
// (1..16 bytes, sometimes larger), and the two runs must agree on every
// response; each feed must also respect the consumption contract.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/response_parser.h"
#include "util/rng.h"

namespace {

using barrage::http::ParseError;
using barrage::http::ResponseParser;
using State = ResponseParser::State;

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

struct Outcome {
  State state;
  ParseError error;
  int status;
  int minor;
  size_t headers;
  size_t informational;
  uint64_t body_bytes;
  uint64_t wire_bytes;
  std::string body;
  bool keep_alive;
  bool chunked;
  bool operator==(const Outcome&) const = default;
};

Outcome record(const ResponseParser& p) {
  Outcome o{p.state(), p.error(), p.status(), p.http_minor(), p.header_count(),
            p.informational_count(), p.body_bytes(),
            // Where an error is noticed depends on piece sizes.
            p.state() == State::kError ? 0 : p.wire_bytes(), std::string(p.body()), p.keep_alive(),
            p.chunked()};
  if (p.state() == State::kComplete) {
    FUZZ_CHECK(p.headers_done());
    FUZZ_CHECK(p.status() >= 100 && p.status() <= 999);
  }
  FUZZ_CHECK(p.body().size() <= p.body_bytes());
  if (p.limits().store_body && !p.body_truncated()) FUZZ_CHECK(p.body().size() == p.body_bytes());
  if (!p.limits().store_body) FUZZ_CHECK(p.body().empty());
  for (size_t i = 0; i < p.header_count(); ++i) {
    FUZZ_CHECK(!p.header_name(i).empty());
    FUZZ_CHECK(p.header(p.header_name(i)).has_value());
  }
  (void)p.reason();
  (void)p.content_length();
  return o;
}

std::vector<Outcome> run(const char* data, size_t size, const ResponseParser::Limits& limits,
                         bool head, uint64_t seed, bool whole) {
  barrage::Rng rng(seed);
  ResponseParser p(limits);
  p.reset(head);
  std::vector<Outcome> out;
  size_t off = 0;
  while (off < size && out.size() < 8) {
    size_t n = size - off;
    if (!whole) {
      const uint64_t r = rng.next();
      n = std::min<size_t>(n, (r & 7) == 0 ? 1 + (r >> 8) % 4096 : 1 + (r >> 8) % 16);
    }
    const auto res = p.feed(data + off, n);
    FUZZ_CHECK(res.consumed <= n);
    FUZZ_CHECK(res.state == p.state());
    off += res.consumed;
    if (res.state == State::kNeedMore) {
      FUZZ_CHECK(res.consumed == n);
      continue;
    }
    const auto again = p.feed(data + off, size - off);
    FUZZ_CHECK(again.consumed == 0 && again.state == res.state);
    out.push_back(record(p));
    if (res.state == State::kError) return out;
    p.reset(head);
  }
  if (p.state() == State::kNeedMore && out.size() < 8) {
    const auto res = p.finish_eof();
    FUZZ_CHECK(res.consumed == 0 && res.state != State::kNeedMore);
    out.push_back(record(p));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t flags = data[0];
  const uint64_t seed = data[1];
  const char* body = reinterpret_cast<const char*>(data + 2);
  const size_t len = size - 2;

  ResponseParser::Limits limits;
  if (flags & 2) {
    limits.max_header_bytes = 256;
    limits.max_headers = 8;
    limits.max_informational = 2;
    limits.max_body_bytes = 4096;
    limits.max_stored_body = 100;
  }
  limits.store_body = (flags & 4) == 0;
  const bool head = (flags & 1) != 0;

  const auto whole = run(body, len, limits, head, seed, true);
  const auto split = run(body, len, limits, head, seed, false);
  FUZZ_CHECK(whole.size() == split.size());
  for (size_t i = 0; i < whole.size(); ++i) FUZZ_CHECK(whole[i] == split[i]);
  if (!whole.empty()) FUZZ_CHECK(barrage::http::error_name(whole.back().error)[0] != 0);
  return 0;
}
