#include "http/request_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage::http {
namespace {

TEST(RequestWriter, GetWithDefaults) {
  std::string out;
  write_request(out, "GET", "/items?page=2", "example.com:8080", HeaderList{}, "", "");
  EXPECT_EQ(out,
            "GET /items?page=2 HTTP/1.1\r\n"
            "Host: example.com:8080\r\n"
            "User-Agent: barrage/0.1\r\n"
            "\r\n");
}

TEST(RequestWriter, PostJsonWithUserHeaders) {
  const std::vector<HeaderView> headers = {{"Authorization", "Bearer t"}, {"X-Id", "7"}};
  std::string out = "previous|";
  write_request(out, "POST", "/api/users", "h", headers, R"({"a":1})", "application/json");
  EXPECT_EQ(out,
            "previous|"
            "POST /api/users HTTP/1.1\r\n"
            "Host: h\r\n"
            "Authorization: Bearer t\r\n"
            "X-Id: 7\r\n"
            "User-Agent: barrage/0.1\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 7\r\n"
            "\r\n"
            R"({"a":1})");
}

TEST(RequestWriter, EmptyBodyOnPostPutPatchHasContentLength) {
  for (const char* method : {"POST", "PUT", "PATCH"}) {
    std::string out;
    write_request(out, method, "/", "h", HeaderList{}, "", "");
    EXPECT_EQ(out, std::string(method) +
                       " / HTTP/1.1\r\nHost: h\r\nUser-Agent: barrage/0.1\r\n"
                       "Content-Length: 0\r\n\r\n");
  }
  std::string del;
  write_request(del, "DELETE", "/x", "h", HeaderList{}, "", "");
  EXPECT_EQ(del, "DELETE /x HTTP/1.1\r\nHost: h\r\nUser-Agent: barrage/0.1\r\n\r\n");
  std::string del_body;
  write_request(del_body, "DELETE", "/x", "h", HeaderList{}, "id=1", "");
  EXPECT_EQ(del_body,
            "DELETE /x HTTP/1.1\r\nHost: h\r\nUser-Agent: barrage/0.1\r\n"
            "Content-Length: 4\r\n\r\nid=1");
}

TEST(RequestWriter, UserSuppliedHeadersWin) {
  const std::vector<std::pair<std::string, std::string>> headers = {{"host", "virtual.example"},
                                                                    {"USER-AGENT", "custom/1"},
                                                                    {"content-type", "text/plain"},
                                                                    {"Content-Length", "3"}};
  std::string out;
  write_request(out, "PUT", "", "ignored", headers, "abc", "application/json");
  EXPECT_EQ(out,
            "PUT / HTTP/1.1\r\n"
            "host: virtual.example\r\n"
            "USER-AGENT: custom/1\r\n"
            "content-type: text/plain\r\n"
            "Content-Length: 3\r\n"
            "\r\n"
            "abc");
}

TEST(RequestWriter, LineBreaksCannotInjectHeaders) {
  const std::vector<HeaderView> headers = {{"X-Captured", "a\r\nEvil: 1"}};
  std::string out;
  write_request(out, "GET", "/", "h", headers, "", "");
  EXPECT_EQ(out,
            "GET / HTTP/1.1\r\nHost: h\r\nX-Captured: a  Evil: 1\r\n"
            "User-Agent: barrage/0.1\r\n\r\n");
}

}  // namespace
}  // namespace barrage::http

namespace barrage::http {
namespace {

TEST(UrlEncoding, QueryAndFormDifferAsNodeDoes) {
  std::string q;
  append_url_encoded(q, "a b&c=d/é!*'()~", UrlEncoding::kQuery);
  EXPECT_EQ(q, "a%20b%26c%3Dd%2F%C3%A9!*'()~");
  std::string f;
  append_url_encoded(f, "a b&c=d/é!*'()~", UrlEncoding::kForm);
  EXPECT_EQ(f, "a+b%26c%3Dd%2F%C3%A9%21*%27%28%29%7E");
}

TEST(Multipart, PartsAndEnd) {
  std::string out;
  append_multipart_part(out, "XyZ", "field", {}, {}, "v");
  append_multipart_part(out, "XyZ", "up\"load", "a.txt", "text/plain", "data\r\n");
  append_multipart_end(out, "XyZ");
  EXPECT_EQ(out,
            "--XyZ\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nv\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"up%22load\"; filename=\"a.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\ndata\r\n\r\n"
            "--XyZ--\r\n");
}

}  // namespace
}  // namespace barrage::http
