#include "http/url.h"

#include <charconv>

#include "util/ascii.h"

namespace barrage::http {
namespace {

using ascii::is_alpha;
using ascii::is_digit;
using ascii::lower;
bool is_hex(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

// Leading and trailing C0 controls and spaces are ignored, as WHATWG does.
std::string_view trim_c0(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

bool in_path_encode_set(unsigned char c) {
  return c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' ||
         c == '}';
}

bool in_query_encode_set(unsigned char c) {
  return c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\'';
}

template <typename Pred>
void append_encoded(std::string& out, std::string_view in, Pred must_encode) {
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (must_encode(c)) {
      out += '%';
      out += kHexDigits[c >> 4];
      out += kHexDigits[c & 0xF];
    } else {
      out += ch;
    }
  }
}

// "." or "%2e" (any case), as WHATWG counts them.
bool is_dot_segment(std::string_view seg) {
  return seg == "." || (seg.size() == 3 && seg[0] == '%' && seg[1] == '2' && lower(seg[2]) == 'e');
}

bool is_dot_dot_segment(std::string_view seg) {
  if (seg.size() < 2 || seg.size() > 6) return false;
  const size_t first = seg[0] == '.' ? 1 : 3;
  return first < seg.size() && is_dot_segment(seg.substr(0, first)) &&
         is_dot_segment(seg.substr(first));
}

// RFC 3986 section 5.2.4 on a path that starts with '/'.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    size_t j = in.find('/', i + 1);
    if (j == std::string_view::npos) j = in.size();
    const std::string_view seg = in.substr(i + 1, j - i - 1);
    const bool last = j == in.size();
    if (is_dot_segment(seg)) {
      if (last) out += '/';
    } else if (is_dot_dot_segment(seg)) {
      const size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
      if (last) out += '/';
    } else {
      out += '/';
      out += seg;
    }
    i = j;
  }
  if (out.empty()) out = "/";
  return out;
}

bool valid_reg_name(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~')) {
      return false;
    }
  }
  return true;
}

bool valid_ipv6(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return false;
  for (char c : host) {
    if (!(is_hex(c) || c == ':' || c == '.')) return false;
  }
  return true;
}

// scheme://[userinfo@]host[:port] of u, for building references against it.
std::string authority_prefix(const Url& u) {
  std::string s = u.scheme;
  s += "://";
  if (!u.userinfo.empty()) {
    s += u.userinfo;
    s += '@';
  }
  s += u.host_header();
  return s;
}

// True when ref starts with "scheme:" (RFC 3986 section 3.1).
bool has_scheme(std::string_view ref) {
  if (ref.empty() || !is_alpha(ref[0])) return false;
  for (size_t i = 1; i < ref.size(); ++i) {
    const char c = ref[i];
    if (c == ':') return true;
    if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) return false;
  }
  return false;
}

}  // namespace

std::string Url::host_header() const {
  std::string s;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) s += '[';
  s += host;
  if (v6) s += ']';
  if (port != default_port()) {
    s += ':';
    s += std::to_string(port);
  }
  return s;
}

std::string Url::origin() const { return scheme + "://" + host_header(); }

std::string Url::str() const { return origin() + path_and_query; }

std::string_view Url::path() const {
  const std::string_view pq = path_and_query;
  return pq.substr(0, pq.find('?'));
}

std::optional<Url> parse_url(std::string_view input) {
  std::string_view s = trim_c0(input);
  Url url;
  if (starts_with_ci(s, "http://")) {
    url.scheme = "http";
    s.remove_prefix(7);
  } else if (starts_with_ci(s, "https://")) {
    url.scheme = "https";
    s.remove_prefix(8);
  } else {
    return std::nullopt;
  }

  const size_t auth_end = s.find_first_of("/?#\\");
  std::string_view authority = s.substr(0, auth_end);
  std::string_view rest = auth_end == std::string_view::npos ? "" : s.substr(auth_end);

  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }

  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
    if (!valid_ipv6(host)) return std::nullopt;
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!valid_reg_name(host)) return std::nullopt;
  }
  url.host.reserve(host.size());
  for (char c : host) url.host += lower(c);

  if (port.empty()) {
    url.port = url.default_port();
  } else {
    unsigned value = 0;
    if (port.size() > 5) return std::nullopt;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    url.port = static_cast<uint16_t>(value);
  }

  rest = rest.substr(0, rest.find('#'));
  const size_t q = rest.find('?');
  const std::string_view raw_path = rest.substr(0, q);
  std::string path;
  path.reserve(raw_path.size() + 1);
  if (raw_path.empty()) path += '/';
  for (char c : raw_path) path += c == '\\' ? '/' : c;
  std::string normalized = remove_dot_segments(path);
  url.path_and_query.reserve(normalized.size() + (rest.size() - raw_path.size()));
  append_encoded(url.path_and_query, normalized, in_path_encode_set);
  if (q != std::string_view::npos) {
    append_encoded(url.path_and_query, rest.substr(q), in_query_encode_set);
  }
  return url;
}

std::optional<Url> join_target(const Url& target, std::string_view url) {
  const std::string_view u = trim_c0(url);
  if (starts_with_ci(u, "http://") || starts_with_ci(u, "https://")) return parse_url(u);
  if (!u.starts_with('/')) return std::nullopt;  // Artillery's "Invalid URL"
  std::string s = authority_prefix(target);
  std::string_view base_path = target.path_and_query;
  while (!base_path.empty() && base_path.back() == '/') base_path.remove_suffix(1);
  s += base_path;
  s += u;
  return parse_url(s);
}

std::string invalid_url_error(std::string_view url) {
  std::string e = "Invalid URL - ";
  e += url;
  return e;
}

std::optional<Url> resolve_url(const Url& base, std::string_view ref) {
  const std::string_view r = trim_c0(ref);
  if (has_scheme(r)) return parse_url(r);
  if (r.starts_with("//")) return parse_url(base.scheme + ":" + std::string(r));
  if (r.empty() || r[0] == '#') return base;
  std::string s = authority_prefix(base);
  if (r[0] == '/' || r[0] == '\\') {
    s += r;
  } else if (r[0] == '?') {
    s += base.path();
    s += r;
  } else {
    const std::string_view path = base.path();
    s += path.substr(0, path.rfind('/') + 1);
    s += r;
  }
  return parse_url(s);
}

}  // namespace barrage::http
