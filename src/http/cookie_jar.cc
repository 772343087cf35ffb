#include "http/cookie_jar.h"

#include <algorithm>
#include <chrono>

#include "util/ascii.h"

namespace barrage::http {
namespace {

using ascii::iequals;
using ascii::lower;
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::string_view trim(std::string_view s) { return ascii::trim_ows(s); }

bool is_ip_address(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return true;  // IPv6
  return !host.empty() &&
         std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
}

// RFC 6265 section 5.1.3.
bool domain_match(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.' && !is_ip_address(host);
}

// RFC 6265 section 5.1.4.
bool path_match(std::string_view request_path, std::string_view cookie_path) {
  if (!request_path.starts_with(cookie_path)) return false;
  return request_path.size() == cookie_path.size() || cookie_path.back() == '/' ||
         request_path[cookie_path.size()] == '/';
}

// RFC 6265 section 5.1.4 default-path.
std::string_view default_path(std::string_view request_path) {
  if (request_path.empty() || request_path[0] != '/') return "/";
  const size_t last = request_path.rfind('/');
  return last == 0 ? std::string_view("/") : request_path.substr(0, last);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// RFC 6265 section 5.1.1 cookie-date, as seconds since the Unix epoch.
std::optional<int64_t> parse_cookie_date(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  auto is_delim = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x09 || (u >= 0x20 && u <= 0x2F) || (u >= 0x3B && u <= 0x40) ||
           (u >= 0x5B && u <= 0x60) || (u >= 0x7B && u <= 0x7E);
  };
  // Leading 1..max digits of tok; -1 when none or too many.
  auto digits = [](std::string_view tok, size_t max, size_t& n) {
    n = 0;
    int v = 0;
    while (n < tok.size() && is_digit(tok[n])) v = v * 10 + (tok[n++] - '0');
    return (n == 0 || n > max) ? -1 : v;
  };
  int hour = -1, minute = -1, second = -1, day = -1, month = -1, year = -1;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_delim(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_delim(s[j])) ++j;
    const std::string_view tok = s.substr(i, j - i);
    i = j;
    if (tok.empty()) continue;
    size_t n = 0;
    if (hour < 0) {
      const int h = digits(tok, 2, n);
      if (h >= 0 && n < tok.size() && tok[n] == ':') {
        const std::string_view r1 = tok.substr(n + 1);
        const int m = digits(r1, 2, n);
        if (m >= 0 && n < r1.size() && r1[n] == ':') {
          const int sec = digits(r1.substr(n + 1), 2, n);
          if (sec >= 0) {
            hour = h, minute = m, second = sec;
            continue;
          }
        }
      }
    }
    if (day < 0) {
      const int d = digits(tok, 2, n);
      if (d >= 0 && n == tok.size()) {
        day = d;
        continue;
      }
    }
    if (month < 0 && tok.size() >= 3) {
      for (int k = 0; k < 12; ++k) {
        if (iequals(tok.substr(0, 3), kMonths[k])) month = k + 1;
      }
      if (month > 0) continue;
    }
    if (year < 0) {
      const int y = digits(tok, 4, n);
      if (y >= 0 && n >= 2 && n == tok.size()) year = y;
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (hour < 0 || day < 1 || day > 31 || month < 1 || year < 1601 || hour > 23 || minute > 59 ||
      second > 59) {
    return std::nullopt;
  }
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second;
}

}  // namespace

void CookieJar::store(std::string_view set_cookie_header, const Url& from) {
  if (set_cookie_header.size() > kMaxSetCookieBytes) return;
  const size_t semi = set_cookie_header.find(';');
  const std::string_view pair = set_cookie_header.substr(0, semi);
  const size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return;
  const std::string_view name = trim(pair.substr(0, eq));
  const std::string_view value = trim(pair.substr(eq + 1));
  if (name.empty()) return;

  std::string domain;
  std::string_view path;
  bool secure = false;
  std::optional<bool> expired_by_max_age;
  bool expired_by_expires = false;
  std::string_view attrs =
      semi == std::string_view::npos ? std::string_view() : set_cookie_header.substr(semi + 1);
  while (!attrs.empty()) {
    const size_t next = attrs.find(';');
    const std::string_view attr = attrs.substr(0, next);
    attrs = next == std::string_view::npos ? std::string_view() : attrs.substr(next + 1);
    const size_t aeq = attr.find('=');
    const std::string_view key = trim(attr.substr(0, aeq));
    const std::string_view val =
        aeq == std::string_view::npos ? std::string_view() : trim(attr.substr(aeq + 1));
    if (iequals(key, "domain")) {
      std::string_view d = val;
      if (!d.empty() && d[0] == '.') d.remove_prefix(1);
      domain.clear();
      for (char c : d) domain += lower(c);
    } else if (iequals(key, "path")) {
      path = (!val.empty() && val[0] == '/') ? val : std::string_view();
    } else if (iequals(key, "secure")) {
      secure = true;
    } else if (iequals(key, "max-age")) {
      const bool negative = !val.empty() && val[0] == '-';
      const std::string_view num = negative ? val.substr(1) : val;
      if (!num.empty() && std::all_of(num.begin(), num.end(), is_digit)) {
        const bool zero = num.find_first_not_of('0') == std::string_view::npos;
        expired_by_max_age = negative || zero;
      }
    } else if (iequals(key, "expires")) {
      if (const auto t = parse_cookie_date(val)) {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        expired_by_expires = *t < now;
      }
    }
  }
  const bool expired = expired_by_max_age.value_or(expired_by_expires);

  bool host_only = true;
  if (!domain.empty()) {
    if (!domain_match(from.host, domain)) return;
    host_only = false;
  } else {
    domain = from.host;
  }
  const std::string_view cookie_path = path.empty() ? default_path(from.path()) : path;

  const auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const Cookie& c) {
    return c.name == name && c.domain == domain && c.path == cookie_path;
  });
  if (same != cookies_.end()) {
    if (expired) {
      cookies_.erase(same);
    } else {
      same->value.assign(value);
      same->host_only = host_only;
      same->secure = secure;
    }
    return;
  }
  if (expired) return;
  if (cookies_.size() >= kMaxCookies) {
    cookies_.erase(
        std::min_element(cookies_.begin(), cookies_.end(),
                         [](const Cookie& a, const Cookie& b) { return a.created < b.created; }));
  }
  const auto pos = std::find_if(cookies_.begin(), cookies_.end(), [&](const Cookie& c) {
    return c.path.size() < cookie_path.size();
  });
  cookies_.insert(pos, Cookie{std::string(name), std::string(value), std::move(domain),
                              std::string(cookie_path), host_only, secure, next_seq_++});
}

void CookieJar::header_for(const Url& to, std::string& out) const {
  out.clear();
  const std::string_view path = to.path();
  for (const Cookie& c : cookies_) {
    if (c.secure && !to.tls()) continue;
    if (c.host_only ? to.host != c.domain : !domain_match(to.host, c.domain)) continue;
    if (!path_match(path, c.path)) continue;
    if (!out.empty()) out += "; ";
    out += c.name;
    out += '=';
    out += c.value;
  }
}

std::optional<std::string_view> CookieJar::value(std::string_view name) const {
  for (const Cookie& c : cookies_) {
    if (c.name == name) return std::string_view(c.value);
  }
  return std::nullopt;
}

}  // namespace barrage::http
