#include "http/request_writer.h"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "util/ascii.h"

namespace barrage::http {
namespace {

using ascii::iequals;

// False when s may contain CR, LF or NUL: checks eight bytes per step for any
// byte below 0x0E (SWAR), which the caller then resolves byte by byte.
bool surely_clean(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (((x - 0x0E * kOnes) & ~x & kHighs) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x0E) return false;
  }
  return true;
}

void append_safe(std::string& out, std::string_view s) {
  if (surely_clean(s)) {
    out.append(s);
    return;
  }
  for (char c : s) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  append_safe(out, name);
  out += ": ";
  append_safe(out, value);
  out += "\r\n";
}

template <typename Headers>
void write_impl(std::string& out, std::string_view method, std::string_view path_and_query,
                std::string_view host_header, const Headers& headers, std::string_view body,
                std::string_view content_type) {
  bool has_host = false;
  bool has_user_agent = false;
  bool has_content_type = false;
  bool has_content_length = false;
  size_t header_bytes = 0;
  for (const auto& [name, value] : headers) {
    has_host = has_host || iequals(name, "host");
    has_user_agent = has_user_agent || iequals(name, "user-agent");
    has_content_type = has_content_type || iequals(name, "content-type");
    has_content_length = has_content_length || iequals(name, "content-length");
    header_bytes += name.size() + value.size() + 4;
  }
  out.reserve(out.size() + method.size() + path_and_query.size() + host_header.size() +
              header_bytes + content_type.size() + body.size() + 96);

  append_safe(out, method);
  out += ' ';
  append_safe(out, path_and_query.empty() ? std::string_view("/") : path_and_query);
  out += " HTTP/1.1\r\n";
  if (!has_host) append_header(out, "Host", host_header);
  for (const auto& [name, value] : headers) append_header(out, name, value);
  if (!has_user_agent) append_header(out, "User-Agent", kUserAgent);
  if (!content_type.empty() && !has_content_type) {
    append_header(out, "Content-Type", content_type);
  }
  const bool body_method = method == "POST" || method == "PUT" || method == "PATCH";
  if ((!body.empty() || body_method) && !has_content_length) {
    char digits[24];
    const auto res = std::to_chars(digits, digits + sizeof(digits), body.size());
    append_header(out, "Content-Length", std::string_view(digits, res.ptr - digits));
  }
  out += "\r\n";
  out += body;
}

}  // namespace

void write_request(std::string& out, std::string_view method, std::string_view path_and_query,
                   std::string_view host_header, HeaderList headers, std::string_view body,
                   std::string_view content_type) {
  write_impl(out, method, path_and_query, host_header, headers, body, content_type);
}

void write_request(std::string& out, std::string_view method, std::string_view path_and_query,
                   std::string_view host_header,
                   const std::vector<std::pair<std::string, std::string>>& headers,
                   std::string_view body, std::string_view content_type) {
  write_impl(out, method, path_and_query, host_header, headers, body, content_type);
}

void append_url_encoded(std::string& out, std::string_view s, UrlEncoding encoding) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    bool keep = alnum || c == '-' || c == '_' || c == '.' || c == '*';
    if (encoding == UrlEncoding::kQuery) {
      keep = keep || c == '!' || c == '~' || c == '\'' || c == '(' || c == ')';
    }
    if (keep) {
      out += ch;
    } else if (c == ' ' && encoding == UrlEncoding::kForm) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

namespace {

// A quoted-string parameter value: CR, LF and '"' would end or split it.
void append_quoted(std::string& out, std::string_view v) {
  out += '"';
  for (const char c : v) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void append_multipart_part(std::string& out, std::string_view boundary, std::string_view name,
                           std::string_view filename, std::string_view content_type,
                           std::string_view data) {
  out += "--";
  out += boundary;
  out += "\r\nContent-Disposition: form-data; name=";
  append_quoted(out, name);
  if (!filename.empty()) {
    out += "; filename=";
    append_quoted(out, filename);
  }
  out += "\r\n";
  if (!content_type.empty()) {
    out += "Content-Type: ";
    for (const char c : content_type) out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
  }
  out += "\r\n";
  out += data;
  out += "\r\n";
}

void append_multipart_end(std::string& out, std::string_view boundary) {
  out += "--";
  out += boundary;
  out += "--\r\n";
}

}  // namespace barrage::http
