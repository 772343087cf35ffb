// Serializes one HTTP/1.1 request into a caller-owned buffer.
//
// Headers are passed as a span of string_view pairs so the engine can point at
// rendered template output (or Plan-owned strings) without building
// std::string pairs per request; an overload takes owned pairs for callers that
// already hold them. Output layout, each line ending in CRLF:
//   <METHOD> <path_and_query> HTTP/1.1
//   Host: <host_header>                 unless the user supplied Host
//   <user headers, in order>
//   User-Agent: barrage/0.1             unless the user supplied User-Agent
//   Content-Type: <content_type>        when non-empty and not user-supplied
//   Content-Length: <body size>         when the body is non-empty or the method
//                                       is POST/PUT/PATCH, unless user-supplied
//   <empty line><body>
// Connection is not written (keep-alive is HTTP/1.1's default); Accept-Encoding
// is the caller's business. Header names and values are written as given
// except that CR, LF and NUL are replaced by spaces: a captured value can never
// inject a header or split the request. A user-supplied Content-Length is
// trusted as is.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace barrage::http {

using HeaderView = std::pair<std::string_view, std::string_view>;
using HeaderList = std::span<const HeaderView>;

inline constexpr std::string_view kUserAgent = "barrage/0.1";

// Appends the request to out (out is not cleared).
void write_request(std::string& out, std::string_view method, std::string_view path_and_query,
                   std::string_view host_header, HeaderList headers, std::string_view body,
                   std::string_view content_type);

void write_request(std::string& out, std::string_view method, std::string_view path_and_query,
                   std::string_view host_header,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   std::string_view body, std::string_view content_type);

// Percent-encoding for query strings and form bodies.
enum class UrlEncoding : uint8_t {
  kQuery,  // Node's querystring.stringify: keeps A-Z a-z 0-9 - _ . ! ~ * ' ( )
  kForm,   // application/x-www-form-urlencoded (URLSearchParams): keeps
           // A-Z a-z 0-9 * - . _, writes a space as '+'
};
// Appends `s` to out, encoded.
void append_url_encoded(std::string& out, std::string_view s, UrlEncoding encoding);

// multipart/form-data (RFC 7578) pieces: one part per call, then the end.
// `filename` empty: a plain field; `content_type` empty: no Content-Type line.
void append_multipart_part(std::string& out, std::string_view boundary, std::string_view name,
                           std::string_view filename, std::string_view content_type,
                           std::string_view data);
void append_multipart_end(std::string& out, std::string_view boundary);

}  // namespace barrage::http
