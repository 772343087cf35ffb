#include "http/cookie_jar.h"

#include <gtest/gtest.h>

#include <string>

namespace barrage::http {
namespace {

Url url(std::string_view s) { return parse_url(s).value(); }

std::string header(const CookieJar& jar, std::string_view to) {
  std::string out = "stale";
  jar.header_for(url(to), out);
  return out;
}

TEST(CookieJar, HostOnlyCookie) {
  CookieJar jar;
  jar.store("sid=abc123; HttpOnly", url("http://app.example.com/login"));
  EXPECT_EQ(header(jar, "http://app.example.com/"), "sid=abc123");
  EXPECT_EQ(header(jar, "http://other.example.com/"), "");
  EXPECT_EQ(header(jar, "http://sub.app.example.com/"), "");
  EXPECT_EQ(jar.value("sid"), "abc123");
}

TEST(CookieJar, DomainAttributeMatchesSubdomains) {
  CookieJar jar;
  jar.store("a=1; Domain=.Example.com", url("http://www.example.com/"));
  EXPECT_EQ(header(jar, "http://example.com/"), "a=1");
  EXPECT_EQ(header(jar, "http://api.example.com/x"), "a=1");
  EXPECT_EQ(header(jar, "http://badexample.com/"), "");
  // A Domain the response host does not belong to is ignored.
  jar.store("b=2; Domain=other.com", url("http://www.example.com/"));
  EXPECT_EQ(jar.size(), 1u);
  // IP addresses only match exactly.
  jar.store("c=3; Domain=0.0.1", url("http://127.0.0.1/"));
  EXPECT_EQ(jar.size(), 1u);
}

TEST(CookieJar, PathPrefixAndDefaultPath) {
  CookieJar jar;
  jar.store("p=1; Path=/api", url("http://h/"));
  jar.store("d=2", url("http://h/docs/page.html"));      // default path /docs
  jar.store("r=3; Path=relative", url("http://h/x/y"));  // invalid path -> default /x
  EXPECT_EQ(header(jar, "http://h/api"), "p=1");
  EXPECT_EQ(header(jar, "http://h/api/users?x=1"), "p=1");
  EXPECT_EQ(header(jar, "http://h/apix"), "");
  EXPECT_EQ(header(jar, "http://h/docs/other"), "d=2");
  EXPECT_EQ(header(jar, "http://h/x/z"), "r=3");
}

TEST(CookieJar, LongerPathsFirstThenOlder) {
  CookieJar jar;
  jar.store("a=1; Path=/", url("http://h/"));
  jar.store("b=2; Path=/api/v1", url("http://h/"));
  jar.store("c=3; Path=/api", url("http://h/"));
  jar.store("d=4; Path=/", url("http://h/"));
  EXPECT_EQ(header(jar, "http://h/api/v1/x"), "b=2; c=3; a=1; d=4");
}

TEST(CookieJar, SecureOnlyOverHttps) {
  CookieJar jar;
  jar.store("s=1; Secure", url("https://h/"));
  jar.store("n=2", url("https://h/"));
  EXPECT_EQ(header(jar, "https://h/"), "s=1; n=2");
  EXPECT_EQ(header(jar, "http://h/"), "n=2");
}

TEST(CookieJar, ReplaceByNameDomainPath) {
  CookieJar jar;
  jar.store("a=1", url("http://h/"));
  jar.store("b=2", url("http://h/"));
  jar.store("a=3", url("http://h/"));
  EXPECT_EQ(header(jar, "http://h/"), "a=3; b=2");
  jar.store("a=4; Path=/other", url("http://h/"));
  EXPECT_EQ(jar.size(), 3u);
}

TEST(CookieJar, DeletionByMaxAgeAndExpires) {
  CookieJar jar;
  jar.store("a=1", url("http://h/"));
  jar.store("b=2", url("http://h/"));
  jar.store("c=3", url("http://h/"));
  jar.store("a=; Max-Age=0", url("http://h/"));
  jar.store("b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT", url("http://h/"));
  EXPECT_EQ(header(jar, "http://h/"), "c=3");
  // Max-Age wins over Expires; a future Expires keeps the cookie.
  jar.store("c=4; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60", url("http://h/"));
  jar.store("d=5; expires=Fri, 31-Dec-2199 23:59:59 GMT", url("http://h/"));
  jar.store("e=6; Max-Age=-1", url("http://h/"));  // never stored
  EXPECT_EQ(header(jar, "http://h/"), "c=4; d=5");
  jar.store("d=; expires=Sun, 06 Nov 94 08:49:37 GMT", url("http://h/"));  // two-digit year
  EXPECT_EQ(header(jar, "http://h/"), "c=4");
}

TEST(CookieJar, IgnoresMalformed) {
  CookieJar jar;
  jar.store("novalue", url("http://h/"));
  jar.store("=nameless", url("http://h/"));
  jar.store("big=" + std::string(5000, 'x'), url("http://h/"));
  EXPECT_EQ(jar.size(), 0u);
  jar.store("  spaced  =  v w  ; Path=/", url("http://h/"));
  EXPECT_EQ(header(jar, "http://h/"), "spaced=v w");
}

TEST(CookieJar, EvictsOldestPastLimit) {
  CookieJar jar;
  for (size_t i = 0; i <= CookieJar::kMaxCookies; ++i) {
    jar.store("c" + std::to_string(i) + "=1", url("http://h/"));
  }
  EXPECT_EQ(jar.size(), CookieJar::kMaxCookies);
  EXPECT_FALSE(jar.value("c0").has_value());
  EXPECT_TRUE(jar.value("c1").has_value());
}

}  // namespace
}  // namespace barrage::http
