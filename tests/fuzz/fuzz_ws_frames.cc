// Fuzzes the ws engine's frame layer (WsCodec over libwslay) with what a
// hostile server could send. Input: byte 0 picks the message size limit
// (64 << (b % 16) bytes) and how the rest is split into reads (1 + byte 1 %
// 64 bytes each); the rest is the server's byte stream. Checks: no crash or
// leak; every message is within the limit; text messages are valid UTF-8;
// once an error is named, nothing more is accepted and the error stays.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "engine/ws_codec.h"

namespace {

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t limit = size_t{64} << (data[0] % 16);
  const size_t chunk = 1 + data[1] % 64;
  barrage::engine::WsCodec codec(limit, 7);
  const char* p = reinterpret_cast<const char*>(data) + 2;
  size_t left = size - 2;
  const char* error = nullptr;
  while (left > 0) {
    const size_t n = left < chunk ? left : chunk;
    const bool ok = codec.feed(p, n);
    if (error != nullptr) FUZZ_CHECK(!ok && codec.error() == error);
    if (!ok) error = codec.error();
    FUZZ_CHECK(ok == (codec.error() == nullptr));
    for (const auto& m : codec.messages()) {
      FUZZ_CHECK(m.data.size() <= limit);
      if (!m.binary) FUZZ_CHECK(valid_utf8(m.data));
    }
    codec.messages().clear();
    codec.output().clear();
    p += n;
    left -= n;
  }
  return 0;
}
