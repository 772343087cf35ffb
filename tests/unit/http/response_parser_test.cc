#include "http/response_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "parse_helpers.h"

namespace barrage::http {
namespace {

using testing::parse_all_ways;
using State = ResponseParser::State;

TEST(ResponseParser, ContentLengthResponseAnySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
      "X-Empty:\r\nX-Spaces: \t padded value \t\r\n\r\nhello";
  const auto r = parse_all_ways(wire);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.http_minor, 1);
  EXPECT_EQ(r.reason, "OK");
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Content-Type"), std::string("text/plain")));
  EXPECT_EQ(r.headers[2].second, "");
  EXPECT_EQ(r.headers[3].second, "padded value");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.body_bytes, 5u);
  EXPECT_EQ(r.wire_bytes, wire.size());
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(r.content_length, 5u);
  EXPECT_FALSE(r.chunked);
  EXPECT_TRUE(r.keep_alive);
}

TEST(ResponseParser, ChunkedWithExtensionsAndTrailersAnySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value;flag\r\nhello\r\n"
      "6 ; q=\"quoted\"\r\n world\r\n"
      "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
      "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
  const auto r = parse_all_ways(wire);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "hello worldabcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(r.body_bytes, 37u);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_FALSE(r.content_length.has_value());
  EXPECT_TRUE(r.keep_alive);
  ASSERT_EQ(r.headers.size(), 1u);  // trailers are consumed, not exposed
}

TEST(ResponseParser, ChunkedAfterOtherCodingAndBareLf) {
  const std::string wire =
      "HTTP/1.1 200 OK\nTransfer-Encoding: gzip\nTransfer-Encoding: Chunked\n\n"
      "3\nabc\n0\n\n";
  const auto r = parse_all_ways(wire);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "abc");
}

TEST(ResponseParser, PipelinedResponsesLeaveTheRestUnconsumed) {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const std::string second =
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n";
  const std::string third = "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n";
  const std::string wire = first + second + third;
  for (size_t cut = 1; cut <= wire.size(); ++cut) {
    ResponseParser p;
    std::string_view rest = wire;
    std::string_view pending = rest.substr(0, cut);
    rest.remove_prefix(pending.size());
    std::vector<std::pair<int, std::string>> got;
    while (got.size() < 3) {
      const auto res = p.feed(pending);
      pending.remove_prefix(res.consumed);
      if (res.state == State::kComplete) {
        got.emplace_back(p.status(), std::string(p.body()));
        p.reset();
        continue;
      }
      ASSERT_EQ(res.state, State::kNeedMore) << error_name(p.error());
      ASSERT_TRUE(pending.empty());
      ASSERT_FALSE(rest.empty());
      pending = rest;  // deliver the remainder in one go
      rest = {};
    }
    ASSERT_EQ(got.size(), 3u) << "cut " << cut;
    EXPECT_EQ(got[0], std::make_pair(200, std::string("abc")));
    EXPECT_EQ(got[1], std::make_pair(404, std::string("no")));
    EXPECT_EQ(got[2], std::make_pair(304, std::string()));
  }
}

TEST(ResponseParser, FirstOfTwoReportsExactConsumption) {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const std::string wire = first + "HTTP/1.1 204 No Content\r\n\r\n";
  ResponseParser p;
  const auto res = p.feed(wire);
  EXPECT_EQ(res.state, State::kComplete);
  EXPECT_EQ(res.consumed, first.size());
  EXPECT_EQ(p.feed(wire).consumed, 0u);  // complete: nothing more until reset()
  p.reset();
  const auto second = p.feed(std::string_view(wire).substr(first.size()));
  EXPECT_EQ(second.state, State::kComplete);
  EXPECT_EQ(p.status(), 204);
}

TEST(ResponseParser, ContinueThenFinalResponse) {
  const std::string wire =
      "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  const auto r = parse_all_ways(wire);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.informational, 2u);
  ASSERT_EQ(r.headers.size(), 1u);  // only the final response's headers
  EXPECT_EQ(r.headers[0].first, "Content-Length");
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(r.wire_bytes, wire.size());
}

TEST(ResponseParser, HeadersDoneOnlyForFinalResponse) {
  ResponseParser p;
  p.feed("HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_FALSE(p.headers_done());
  EXPECT_EQ(p.informational_count(), 1u);
  p.feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
  EXPECT_TRUE(p.headers_done());
  EXPECT_EQ(p.state(), State::kNeedMore);
}

TEST(ResponseParser, SwitchingProtocolsEndsTheMessage) {
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string wire = head + "\x81\x05hello";
  ResponseParser p;
  const auto res = p.feed(wire);
  EXPECT_EQ(res.state, State::kComplete);
  EXPECT_EQ(res.consumed, head.size());
  EXPECT_EQ(p.status(), 101);
  EXPECT_EQ(p.informational_count(), 0u);
  EXPECT_FALSE(p.keep_alive());
  const auto r = parse_all_ways(head);
  EXPECT_EQ(r.state, State::kComplete);
}

TEST(ResponseParser, NoBodyFor204And304AndHead) {
  const auto r204 = parse_all_ways("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n");
  EXPECT_EQ(r204.state, State::kComplete);
  EXPECT_EQ(r204.body_bytes, 0u);
  EXPECT_TRUE(r204.keep_alive);

  const auto r304 = parse_all_ways("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
  EXPECT_EQ(r304.state, State::kComplete);
  EXPECT_TRUE(r304.keep_alive);

  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding-X: no\r\n\r\n";
  const auto rh = parse_all_ways(head, /*head=*/true);
  EXPECT_EQ(rh.state, State::kComplete);
  EXPECT_EQ(rh.consumed, head.size());
  EXPECT_EQ(rh.content_length, 1000u);
  EXPECT_TRUE(rh.keep_alive);

  const auto rhc = parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true);
  EXPECT_EQ(rhc.state, State::kComplete);
}

TEST(ResponseParser, ReadUntilClose) {
  const std::string wire = "HTTP/1.1 200 OK\r\nServer: legacy\r\n\r\nall of this is body";
  const auto r = parse_all_ways(wire, false, /*eof=*/true);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.body, "all of this is body");
  EXPECT_FALSE(r.keep_alive);

  ResponseParser p;
  EXPECT_EQ(p.feed(wire).state, State::kNeedMore);
  EXPECT_EQ(p.finish_eof().state, State::kComplete);
  EXPECT_EQ(p.finish_eof().state, State::kComplete);

  // A Transfer-Encoding without final chunked also reads until close.
  const auto te =
      parse_all_ways("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", false, true);
  EXPECT_EQ(te.state, State::kComplete);
  EXPECT_EQ(te.body, "zz");
  EXPECT_FALSE(te.keep_alive);
}

TEST(ResponseParser, KeepAliveRules) {
  struct Case {
    const char* wire;
    bool keep_alive;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n", false},  // until close
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
  };
  for (const auto& c : cases) {
    const auto r = parse_all_ways(c.wire, false, true);
    EXPECT_EQ(r.state, State::kComplete) << c.wire;
    EXPECT_EQ(r.keep_alive, c.keep_alive) << c.wire;
  }
}

TEST(ResponseParser, HeaderLookupIsCaseInsensitiveFirstMatch) {
  ResponseParser p;
  p.feed(
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
      "X-Folded: first\r\n  second line \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.header("SET-COOKIE"), "a=1");
  EXPECT_EQ(p.header("x-folded"), "first    second line");
  EXPECT_FALSE(p.header("missing").has_value());
  EXPECT_EQ(p.header_count(), 4u);
}

TEST(ResponseParser, StatusLineVariants) {
  const auto no_reason = parse_all_ways("\r\n\r\nHTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(no_reason.state, State::kComplete);
  EXPECT_EQ(no_reason.reason, "");
  const auto custom = parse_all_ways("HTTP/1.0 599 Some Thing\tOdd\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(custom.status, 599);
  EXPECT_EQ(custom.http_minor, 0);
  EXPECT_EQ(custom.reason, "Some Thing\tOdd");
}

TEST(ResponseParser, DuplicateIdenticalContentLengthAccepted) {
  const auto r =
      parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.body, "abc");
}

TEST(ResponseParser, BodyNotStoredButCounted) {
  ResponseParser::Limits limits;
  limits.store_body = false;
  const auto r =
      parse_all_ways("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false, limits);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.body_bytes, 5u);
}

TEST(ResponseParser, StoredBodyIsTruncatedAtLimit) {
  ResponseParser::Limits limits;
  limits.max_stored_body = 3;
  ResponseParser p(limits);
  p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n");
  EXPECT_EQ(p.state(), State::kComplete);
  EXPECT_EQ(p.body(), "abc");
  EXPECT_TRUE(p.body_truncated());
  EXPECT_EQ(p.body_bytes(), 5u);
}

TEST(ResponseParser, ReusesBuffersAcrossResponses) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nX-A: 1\r\nX-B: 2\r\n\r\n" + std::string(64, 'x');
  ResponseParser p;
  p.feed(wire);
  ASSERT_EQ(p.state(), State::kComplete);
  const char* body_data = p.body().data();
  const char* head_data = p.header_name(0).data();
  for (int i = 0; i < 3; ++i) {
    p.reset();
    p.feed(wire);
    ASSERT_EQ(p.state(), State::kComplete);
    EXPECT_EQ(p.body().data(), body_data);
    EXPECT_EQ(p.header_name(0).data(), head_data);
  }
}

}  // namespace
}  // namespace barrage::http
