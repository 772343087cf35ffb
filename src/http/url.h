// http/https URLs: parsing, Artillery's target joining, redirect resolution.
//
// Hand-written because Debian's URL libraries (uriparser, Boost.URL) are not in
// our dependency set and implement RFC 3986, while Artillery scripts expect what
// Node's WHATWG URL does with the same input; the subset needed is small:
//   - scheme and host are lower-cased; "\" in the path counts as "/";
//   - spaces, control bytes, non-ASCII bytes and " < > ` { } in the path (and
//     " < > ' in the query) are percent-encoded; existing %XX are kept;
//   - "." and ".." path segments are removed; the fragment is dropped;
//   - the port defaults to 80/443 and port 0 or > 65535 is rejected.
// Not supported (rejected): schemes other than http/https, internationalized
// host names (no IDNA), percent-encoded hosts and IPv6 zone identifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barrage::http {

struct Url {
  std::string scheme;          // "http" or "https"
  std::string host;            // lower case; an IPv6 address has no brackets
  uint16_t port = 0;           // always set: the default port when not written
  std::string path_and_query;  // starts with '/', percent-encoded, no fragment
  std::string userinfo;        // "user:pass" as written (still encoded); usually empty

  [[nodiscard]] bool tls() const { return scheme == "https"; }
  [[nodiscard]] uint16_t default_port() const { return tls() ? 443 : 80; }
  // host[:port], the port only when not the default, IPv6 bracketed.
  [[nodiscard]] std::string host_header() const;
  // scheme://host_header, e.g. "https://[::1]:8443".
  [[nodiscard]] std::string origin() const;
  // The whole URL (userinfo omitted): origin() + path_and_query.
  [[nodiscard]] std::string str() const;
  // path_and_query without the query.
  [[nodiscard]] std::string_view path() const;

  bool operator==(const Url&) const = default;
};

// An absolute http(s) URL; nullopt when malformed or another scheme.
std::optional<Url> parse_url(std::string_view input);

// Artillery's rule for a request `url` under `config.target`: a url starting
// with http:// or https:// is absolute; one starting with '/' is appended to
// the target as a string, the target's trailing slashes removed
// ("http://h:1/api" + "/items" = "http://h:1/api/items"); anything else
// ("items", "?q=1", "", a mistyped "((target}}/x") is nullopt: Artillery
// sends nothing for it and fails the request with "Invalid URL - <url>".
std::optional<Url> join_target(const Url& target, std::string_view url);

// The error Artillery counts for a request URL that is neither absolute nor
// starts with '/' ("Invalid URL - items"): errors.<this>.
std::string invalid_url_error(std::string_view url);

// RFC 3986 section 5 reference resolution against base: absolute URL,
// scheme-relative "//host/p", absolute path "/p?q", query-only "?q", empty or
// fragment-only (the base), relative path "x" (merged with the base path's
// directory, dot segments removed).
std::optional<Url> resolve_url(const Url& base, std::string_view ref);

// A redirect's Location header value, resolved against the request's URL.
inline std::optional<Url> resolve_location(const Url& current, std::string_view location) {
  return resolve_url(current, location);
}

}  // namespace barrage::http
