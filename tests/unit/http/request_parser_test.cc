#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace barrage::http {
namespace {

using State = RequestParser::State;

State parse_all(RequestParser& p, const std::string& s) { return p.parse(s); }

TEST(RequestParser, ParsesSimpleGet) {
  RequestParser p;
  const std::string in = "GET /catalog/items?limit=5 HTTP/1.1\r\nHost: x\r\nX-A:  v1 \r\n\r\n";
  ASSERT_EQ(parse_all(p, in), State::kComplete);
  const Request& r = p.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/catalog/items?limit=5");
  EXPECT_EQ(r.path, "/catalog/items");
  EXPECT_EQ(r.query, "limit=5");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.header("x-a"), "v1");
  EXPECT_EQ(r.header("HOST"), "x");
  EXPECT_EQ(r.header("missing"), "");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(p.consumed(), in.size());
}

TEST(RequestParser, ContentLengthBodyAndPipelining) {
  const std::string in =
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(in), State::kComplete);
  EXPECT_EQ(p.request().body, "hello");
  const size_t first = p.consumed();
  p.reset();
  ASSERT_EQ(p.parse(std::string_view(in).substr(first)), State::kComplete);
  EXPECT_EQ(p.request().path, "/b");
  EXPECT_FALSE(p.request().keep_alive);
  EXPECT_EQ(first + p.consumed(), in.size());
}

// Every split of the input gives the same request, even when the buffer moves.
TEST(RequestParser, AnySplitGivesSameResult) {
  const std::string in =
      "POST /cart/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Authorization: Bearer t\r\n\r\n4;a=b\r\nwiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\n";
  for (size_t step = 1; step <= in.size(); ++step) {
    RequestParser p;
    std::string buf;
    State s = State::kNeedMore;
    for (size_t fed = 0; fed < in.size() && s == State::kNeedMore;) {
      const size_t n = std::min(step, in.size() - fed);
      buf.append(in, fed, n);
      buf.shrink_to_fit();
      fed += n;
      s = p.parse(buf);
    }
    ASSERT_EQ(s, State::kComplete) << "step " << step;
    EXPECT_EQ(p.request().body, "wikipedia");
    EXPECT_EQ(p.request().header("authorization"), "Bearer t");
    EXPECT_EQ(p.request().method, "POST");
    EXPECT_EQ(p.consumed(), in.size());
  }
}

TEST(RequestParser, KeepAliveDefaults) {
  RequestParser p;
  ASSERT_EQ(p.parse("GET / HTTP/1.0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(p.request().keep_alive);
  p.reset();
  ASSERT_EQ(p.parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), State::kComplete);
  EXPECT_TRUE(p.request().keep_alive);
  p.reset();
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n"),
            State::kComplete);
  EXPECT_FALSE(p.request().keep_alive);
}

TEST(RequestParser, ExpectContinueSeenBeforeBody) {
  RequestParser p;
  const std::string head =
      "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(p.parse(head), State::kNeedMore);
  EXPECT_TRUE(p.headers_done());
  EXPECT_TRUE(p.request().expects_continue);
  const std::string full = head + "ok";
  ASSERT_EQ(p.parse(full), State::kComplete);
  EXPECT_EQ(p.request().body, "ok");
}

TEST(RequestParser, IgnoresLeadingEmptyLines) {
  RequestParser p;
  ASSERT_EQ(p.parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().path, "/");
}

struct BadCase {
  const char* name;
  std::string input;
  int status;
};

class RequestParserRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(RequestParserRejects, WithStatus) {
  RequestParser p;
  ASSERT_EQ(p.parse(GetParam().input), State::kError);
  EXPECT_EQ(status_for(p.error()), GetParam().status);
  EXPECT_EQ(p.parse(GetParam().input), State::kError);  // sticky
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RequestParserRejects,
    ::testing::Values(
        BadCase{"binary_garbage_without_newline", std::string("\x00\x01\x02", 3), 400},
        BadCase{"text_garbage", "hello world\r\n\r\n", 400},
        BadCase{"bare_lf", "GET / HTTP/1.1\nHost: x\n\n", 400},
        BadCase{"missing_version", "GET /\r\n\r\n", 400},
        BadCase{"http2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        BadCase{"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
        BadCase{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        BadCase{"obs_fold", "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", 400},
        BadCase{"space_before_colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        BadCase{"ctl_in_value", "GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n", 400},
        BadCase{"bad_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
        BadCase{"conflicting_lengths",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                400},
        BadCase{
            "length_and_chunked",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            400},
        BadCase{"gzip_then_chunked",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        BadCase{"not_final_chunked",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        BadCase{"bad_chunk_size",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        BadCase{"chunk_without_crlf",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc", 400},
        BadCase{"body_too_large", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
                413},
        BadCase{"headers_too_large",
                "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(20000, 'a') + "\r\n\r\n", 431},
        BadCase{"request_line_too_large", "GET /" + std::string(20000, 'a'), 431}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(RequestParser, TooManyHeadersIs431) {
  std::string in = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 150; ++i) in += "X-" + std::to_string(i) + ": v\r\n";
  in += "\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(in), State::kError);
  EXPECT_EQ(status_for(p.error()), 431);
}

TEST(RequestParser, ChunkedBodyLimit) {
  RequestLimits limits;
  limits.max_body_bytes = 8;
  RequestParser p(limits);
  ASSERT_EQ(p.parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n"),
            State::kError);
  EXPECT_EQ(status_for(p.error()), 413);
}

TEST(RequestParser, ResetAllowsReuse) {
  RequestParser p;
  ASSERT_EQ(p.parse("garbage\r\n"), State::kError);
  p.reset();
  ASSERT_EQ(p.parse("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().method, "HEAD");
}

// The error names come from the shared core (HPE_*), the statuses from the
// request front end.
TEST(RequestParser, ErrorNames) {
  const std::pair<std::string, std::string> cases[] = {
      {"G(T / HTTP/1.1\r\n", "HPE_INVALID_METHOD"},
      {"GET  HTTP/1.1\r\n", "HPE_INVALID_URL"},
      {"GET /\r\n", "HPE_INVALID_VERSION"},
      {"GET / HTTP/1.2\r\n", "HPE_UNSUPPORTED_VERSION"},
      {"GET / HTTP/1.1\r\n\r\n", "HPE_INVALID_HOST"},
      {"GET / HTTP/1.1\nHost: x\n\n", "HPE_CR_EXPECTED"},
      {"GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", "HPE_INVALID_HEADER_TOKEN"},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "HPE_INVALID_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "HPE_UNEXPECTED_CONTENT_LENGTH"},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       "HPE_INVALID_TRANSFER_ENCODING"},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       "HPE_UNSUPPORTED_TRANSFER_ENCODING"},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n",
       "HPE_CR_EXPECTED"},
  };
  for (const auto& [in, name] : cases) {
    RequestParser p;
    ASSERT_EQ(p.parse(in), State::kError) << in;
    EXPECT_STREQ(error_name(p.error()), name.c_str()) << in;
  }
}

// Trailer fields are checked (no leading whitespace, a colon) and dropped.
TEST(RequestParser, ChunkedTrailers) {
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n";
  RequestParser p;
  ASSERT_EQ(p.parse(head + "Checksum: 1\r\n\r\n"), State::kComplete);
  EXPECT_EQ(p.request().body, "abc");
  EXPECT_EQ(p.request().headers.size(), 2u);
  for (const std::string bad : {" Checksum: 1\r\n\r\n", "no colon\r\n\r\n", "A: 1\n\n"}) {
    p.reset();
    ASSERT_EQ(p.parse(head + bad), State::kError) << bad;
    EXPECT_EQ(status_for(p.error()), 400);
  }
}

// Tiny chunks with long extensions cannot make a caller buffer more than
// max_input_bytes(): the chunked body on the wire is bounded too.
TEST(RequestParser, ChunkedFramingIsBounded) {
  RequestLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  std::string in = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "1;" + std::string(1000, 'e') + "\r\nx\r\n";
  while (in.size() < max_input_bytes(limits)) in += chunk;
  RequestParser p(limits);
  ASSERT_EQ(p.parse(in), State::kError);
  EXPECT_EQ(status_for(p.error()), 413);
}

// The request views into the parser, so it outlives the caller's buffer.
TEST(RequestParser, ViewsDoNotDependOnTheInputBuffer) {
  RequestParser p;
  {
    std::string in = "PUT /a?b=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
    ASSERT_EQ(p.parse(in), State::kComplete);
    in.assign(in.size(), '#');
  }
  EXPECT_EQ(p.request().method, "PUT");
  EXPECT_EQ(p.request().path, "/a");
  EXPECT_EQ(p.request().query, "b=1");
  EXPECT_EQ(p.request().header("host"), "h");
  EXPECT_EQ(p.request().body, "xyz");
}

}  // namespace
}  // namespace barrage::http
