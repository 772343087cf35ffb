// Fuzzes URL parsing and resolution. Input: up to the first newline is a base
// (or target) URL, the rest a reference. Checks: whatever parse_url accepts
// round-trips through str() to an equal Url, and every result has a well-formed
// shape (http/https, non-empty host, non-zero port, path starting with '/',
// no raw space or control byte anywhere a request line would carry it).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "http/url.h"

namespace {

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                          \
    }                                                                        \
  } while (0)

void check_shape(const std::optional<barrage::http::Url>& u) {
  if (!u) return;
  FUZZ_CHECK(u->scheme == "http" || u->scheme == "https");
  FUZZ_CHECK(!u->host.empty());
  FUZZ_CHECK(u->port != 0);
  FUZZ_CHECK(!u->path_and_query.empty() && u->path_and_query[0] == '/');
  for (char c : u->path_and_query) {
    const auto b = static_cast<unsigned char>(c);
    FUZZ_CHECK(b > 0x20 && b < 0x7F && c != '#');
  }
  const auto again = barrage::http::parse_url(u->str());
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->scheme == u->scheme && again->host == u->host && again->port == u->port);
  FUZZ_CHECK(again->path_and_query == u->path_and_query);
  (void)u->host_header();
  (void)u->origin();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string_view first = in.substr(0, nl);
  const std::string_view rest = nl == std::string_view::npos ? "" : in.substr(nl + 1);

  check_shape(barrage::http::parse_url(in));
  const auto base = barrage::http::parse_url(first);
  check_shape(base);
  if (base) {
    check_shape(barrage::http::join_target(*base, rest));
    check_shape(barrage::http::resolve_url(*base, rest));
    check_shape(barrage::http::resolve_location(*base, rest));
  }
  return 0;
}
