#include "http/url.h"

#include <gtest/gtest.h>

namespace barrage::http {
namespace {

Url must_parse(std::string_view s) {
  auto u = parse_url(s);
  EXPECT_TRUE(u.has_value()) << s;
  return u.value_or(Url{});
}

TEST(Url, ParsesSchemeHostPortPath) {
  const Url u = must_parse("HTTPS://API.Example.com:8443/v1/items?limit=10#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_TRUE(u.tls());
  EXPECT_EQ(u.host, "api.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.path_and_query, "/v1/items?limit=10");
  EXPECT_EQ(u.path(), "/v1/items");
  EXPECT_EQ(u.host_header(), "api.example.com:8443");
  EXPECT_EQ(u.origin(), "https://api.example.com:8443");
  EXPECT_EQ(u.str(), "https://api.example.com:8443/v1/items?limit=10");
}

TEST(Url, DefaultPortsAndEmptyPath) {
  const Url a = must_parse("http://h");
  EXPECT_EQ(a.port, 80);
  EXPECT_EQ(a.path_and_query, "/");
  EXPECT_EQ(a.host_header(), "h");
  const Url b = must_parse("https://h:443?x=1");
  EXPECT_EQ(b.port, 443);
  EXPECT_EQ(b.path_and_query, "/?x=1");
  EXPECT_EQ(b.host_header(), "h");
  const Url c = must_parse("http://h:/p");
  EXPECT_EQ(c.port, 80);
  const Url d = must_parse("http://h:443/");
  EXPECT_EQ(d.host_header(), "h:443");
}

TEST(Url, Ipv6) {
  const Url u = must_parse("http://[::1]:8080/health");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.host_header(), "[::1]:8080");
  EXPECT_EQ(u.origin(), "http://[::1]:8080");
  const Url v = must_parse("https://[2001:DB8::A]/");
  EXPECT_EQ(v.host, "2001:db8::a");
  EXPECT_EQ(v.host_header(), "[2001:db8::a]");
  EXPECT_FALSE(parse_url("http://[::1/").has_value());
  EXPECT_FALSE(parse_url("http://[::1]x/").has_value());
  EXPECT_FALSE(parse_url("http://[fe80::1%25eth0]/").has_value());
}

TEST(Url, Userinfo) {
  const Url u = must_parse("http://user:pa%20ss@h:81/p");
  EXPECT_EQ(u.userinfo, "user:pa%20ss");
  EXPECT_EQ(u.host, "h");
  EXPECT_EQ(u.str(), "http://h:81/p");
}

TEST(Url, Rejects) {
  for (const char* s :
       {"", "ftp://h/", "mailto:a@b", "h/path", "/path", "http:/h", "http://", "http:///p",
        "http://h:0/", "http://h:65536/", "http://h:8o/", "http://h:123456/",
        "http://ex ample.com/", "http://caf\xc3\xa9.com/", "http://a%41.com/", "http://h@/"}) {
    EXPECT_FALSE(parse_url(s).has_value()) << s;
  }
}

TEST(Url, PercentEncodesPathAndQuery) {
  EXPECT_EQ(must_parse("http://h/a b/caf\xc3\xa9?q=a b&c=\"x\"").path_and_query,
            "/a%20b/caf%C3%A9?q=a%20b&c=%22x%22");
  EXPECT_EQ(must_parse("http://h/{x}<y>`").path_and_query, "/%7Bx%7D%3Cy%3E%60");
  EXPECT_EQ(must_parse("http://h/already%20encoded?{ok}").path_and_query,
            "/already%20encoded?{ok}");
  EXPECT_EQ(must_parse("  http://h/x\t ").path_and_query, "/x");
}

TEST(Url, RemovesDotSegments) {
  EXPECT_EQ(must_parse("http://h/a/b/../c/./d").path_and_query, "/a/c/d");
  EXPECT_EQ(must_parse("http://h/a/..").path_and_query, "/");
  EXPECT_EQ(must_parse("http://h/../../x/").path_and_query, "/x/");
  EXPECT_EQ(must_parse("http://h/a/%2e%2E/b").path_and_query, "/b");
  EXPECT_EQ(must_parse("http://h/a/.%2E/b/%2e/c").path_and_query, "/b/c");
  EXPECT_EQ(must_parse("http://h/a/%2e%2e%2e/b").path_and_query, "/a/%2e%2e%2e/b");
  EXPECT_EQ(must_parse("http://h\\a\\b").path_and_query, "/a/b");
  EXPECT_EQ(must_parse("http://h//double//slash").path_and_query, "//double//slash");
}

TEST(Url, JoinTargetFollowsArtillery) {
  const Url target = must_parse("http://h:1/api");
  EXPECT_EQ(join_target(target, "/items")->str(), "http://h:1/api/items");
  EXPECT_EQ(join_target(target, "/items?x=1")->str(), "http://h:1/api/items?x=1");
  EXPECT_EQ(join_target(target, "HTTPS://other/x")->str(), "https://other/x");
  const Url slash = must_parse("http://localhost:3000/");
  EXPECT_EQ(join_target(slash, "/")->str(), "http://localhost:3000/");
  EXPECT_EQ(join_target(slash, "/a")->str(), "http://localhost:3000/a");
  const Url v6 = must_parse("http://[::1]:9000");
  EXPECT_EQ(join_target(v6, "/x")->str(), "http://[::1]:9000/x");
}

TEST(Url, JoinTargetRefusesWhatArtilleryCallsAnInvalidUrl) {
  // Artillery prefixes the target only to a url that starts with '/', and
  // sends nothing for one that then does not start with "http".
  const Url target = must_parse("http://h:1/api");
  for (const char* bad : {"items", "?q=1", "", "((target}}/path", "ftp://x/", "{{ host }}/x"}) {
    EXPECT_FALSE(join_target(target, bad).has_value()) << bad;
  }
  EXPECT_EQ(invalid_url_error("((target}}/path"), "Invalid URL - ((target}}/path");
}

TEST(Url, ResolveLocation) {
  const Url base = must_parse("https://h:8443/a/b/c?q=1");
  EXPECT_EQ(resolve_location(base, "http://other/x")->str(), "http://other/x");
  EXPECT_EQ(resolve_location(base, "//cdn.example/x.js")->str(), "https://cdn.example/x.js");
  EXPECT_EQ(resolve_location(base, "/root?z")->str(), "https://h:8443/root?z");
  EXPECT_EQ(resolve_location(base, "d")->str(), "https://h:8443/a/b/d");
  EXPECT_EQ(resolve_location(base, "../d/e")->str(), "https://h:8443/a/d/e");
  EXPECT_EQ(resolve_location(base, "./")->str(), "https://h:8443/a/b/");
  EXPECT_EQ(resolve_location(base, "?p=2")->str(), "https://h:8443/a/b/c?p=2");
  EXPECT_EQ(resolve_location(base, "")->str(), base.str());
  EXPECT_EQ(resolve_location(base, "#top")->str(), base.str());
  EXPECT_EQ(resolve_location(base, "../../../../x")->str(), "https://h:8443/x");
  EXPECT_EQ(resolve_location(base, "new page")->str(), "https://h:8443/a/b/new%20page");
  EXPECT_FALSE(resolve_location(base, "javascript:alert(1)").has_value());
  const Url v6 = must_parse("http://[::1]:8080/dir/file");
  EXPECT_EQ(resolve_url(v6, "other")->str(), "http://[::1]:8080/dir/other");
  EXPECT_EQ(resolve_url(v6, "//[::2]/z")->str(), "http://[::2]/z");
}

}  // namespace
}  // namespace barrage::http
