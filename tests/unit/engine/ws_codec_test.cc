// The ws engine's frame layer (WsCodec over libwslay) on RFC 6455's own
// examples (section 5.7) and on what a server must not send.
#include "engine/ws_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace barrage::engine {
namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (const int c : b) s += static_cast<char>(c);
  return s;
}

TEST(WsCodec, SingleFrameUnmaskedTextMessage) {
  WsCodec c(1 << 20, 1);
  const std::string frame = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  ASSERT_TRUE(c.feed(frame.data(), frame.size()));
  ASSERT_EQ(c.messages().size(), 1u);
  EXPECT_EQ(c.messages().front().data, "Hello");
  EXPECT_FALSE(c.messages().front().binary);
  EXPECT_TRUE(c.output().empty());
}

TEST(WsCodec, SingleFrameMaskedTextMessageAsTheClientSendsIt) {
  WsCodec c(1 << 20, 1);
  c.set_fixed_mask(0x37fa213d);
  ASSERT_TRUE(c.send("Hello"));
  EXPECT_EQ(c.output(), bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsCodec, FragmentedUnmaskedTextMessageIsReassembled) {
  WsCodec c(1 << 20, 1);
  const std::string first = bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
  const std::string last = bytes({0x80, 0x02, 0x6c, 0x6f});
  ASSERT_TRUE(c.feed(first.data(), first.size()));
  EXPECT_TRUE(c.messages().empty());
  ASSERT_TRUE(c.feed(last.data(), last.size()));
  ASSERT_EQ(c.messages().size(), 1u);
  EXPECT_EQ(c.messages().front().data, "Hello");
}

TEST(WsCodec, PingIsAnsweredWithAMaskedPongOfTheSameBody) {
  WsCodec c(1 << 20, 1);
  c.set_fixed_mask(0x37fa213d);
  const std::string ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  ASSERT_TRUE(c.feed(ping.data(), ping.size()));
  EXPECT_TRUE(c.messages().empty());
  EXPECT_EQ(c.pings(), 1u);
  // RFC 6455 5.7's masked pong of "Hello", as the client sends it.
  EXPECT_EQ(c.output(), bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WsCodec, PingBetweenFragmentsIsAnsweredAndTheMessageStillReassembled) {
  WsCodec c(1 << 20, 1);
  const std::string in = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x80, 0x02, 0x6c, 0x6f});
  ASSERT_TRUE(c.feed(in.data(), in.size()));
  ASSERT_EQ(c.messages().size(), 1u);
  EXPECT_EQ(c.messages().front().data, "Hello");
  EXPECT_EQ(c.pings(), 1u);
  EXPECT_FALSE(c.output().empty());
}

TEST(WsCodec, BinaryMessagesWith16And64BitLengths) {
  WsCodec c(1 << 20, 1);
  std::string frame = bytes({0x82, 0x7E, 0x01, 0x00});  // 256 bytes
  frame += std::string(256, 'a');
  std::string big = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00});  // 65536 bytes
  big += std::string(65536, 'b');
  // Byte by byte: the parser keeps its place between reads.
  for (const char ch : frame) ASSERT_TRUE(c.feed(&ch, 1));
  ASSERT_TRUE(c.feed(big.data(), big.size()));
  ASSERT_EQ(c.messages().size(), 2u);
  EXPECT_TRUE(c.messages()[0].binary);
  EXPECT_EQ(c.messages()[0].data, std::string(256, 'a'));
  EXPECT_EQ(c.messages()[1].data.size(), 65536u);
}

TEST(WsCodec, MaskedFrameFromTheServerIsAProtocolError) {
  WsCodec c(1 << 20, 1);
  const std::string frame =
      bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_FALSE(c.feed(frame.data(), frame.size()));
  EXPECT_STREQ(c.error(), kWsErrProtocol);
  // The close frame it answers with: 1002.
  ASSERT_GE(c.output().size(), 8u);
  EXPECT_EQ(static_cast<unsigned char>(c.output()[0]), 0x88);
  EXPECT_FALSE(c.send("more"));
}

TEST(WsCodec, InvalidUtf8InATextMessageIsNamed) {
  WsCodec c(1 << 20, 1);
  const std::string frame = bytes({0x81, 0x04, 'a', 0xff, 0xfe, 'b'});
  EXPECT_FALSE(c.feed(frame.data(), frame.size()));
  EXPECT_STREQ(c.error(), kWsErrInvalidUtf8);
  EXPECT_TRUE(c.messages().empty());
}

TEST(WsCodec, Utf8SplitAcrossFragmentsIsValid) {
  WsCodec c(1 << 20, 1);
  // U+00E9 (0xC3 0xA9) split between two fragments.
  const std::string in = bytes({0x01, 0x01, 0xC3, 0x80, 0x01, 0xA9});
  ASSERT_TRUE(c.feed(in.data(), in.size()));
  ASSERT_EQ(c.messages().size(), 1u);
  EXPECT_EQ(c.messages().front().data, "\xC3\xA9");
}

TEST(WsCodec, MessageOverTheLimitIsNamedBeforeItsBodyArrives) {
  WsCodec c(100, 1);
  // Announces 2^40 bytes: refused on the header and a first byte, nothing
  // allocated for the rest.
  const std::string header = bytes({0x82, 0x7F, 0, 0, 0x01, 0, 0, 0, 0, 0, 'x'});
  EXPECT_FALSE(c.feed(header.data(), header.size()));
  EXPECT_STREQ(c.error(), kWsErrTooBig);
}

TEST(WsCodec, FragmentsOverTheLimitTogetherAreTooBig) {
  WsCodec c(100, 1);
  std::string in = bytes({0x01, 0x3C});  // 60 bytes, not final
  in += std::string(60, 'a');
  in += bytes({0x80, 0x3C});  // 60 more: 120 > 100
  in += std::string(60, 'a');
  EXPECT_FALSE(c.feed(in.data(), in.size()));
  EXPECT_STREQ(c.error(), kWsErrTooBig);
}

TEST(WsCodec, ServerCloseIsReceivedAndAnswered) {
  WsCodec c(1 << 20, 1);
  const std::string close = bytes({0x88, 0x02, 0x03, 0xF3});  // 1011
  ASSERT_TRUE(c.feed(close.data(), close.size()));
  EXPECT_TRUE(c.close_received());
  EXPECT_EQ(c.close_code(), 1011);
  ASSERT_GE(c.output().size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(c.output()[0]), 0x88);  // the close reply
}

TEST(WsCodec, InvalidCloseCodeIsAProtocolError) {
  WsCodec c(1 << 20, 1);
  const std::string close = bytes({0x88, 0x02, 0x03, 0xEE});  // 1006 may not be sent
  EXPECT_FALSE(c.feed(close.data(), close.size()));
  EXPECT_STREQ(c.error(), kWsErrProtocol);
}

TEST(WsCodec, ReservedOpcodeAndBitsAreProtocolErrors) {
  for (const std::string& frame :
       {bytes({0x83, 0x00}), bytes({0xC1, 0x00}), bytes({0x80, 0x00}), bytes({0x09, 0x00})}) {
    WsCodec c(1 << 20, 1);
    EXPECT_FALSE(c.feed(frame.data(), frame.size())) << std::hex << int(frame[0]);
    EXPECT_STREQ(c.error(), kWsErrProtocol);
  }
}

TEST(WsCodec, AcceptKeyOfRfc6455Section1_3) {
  EXPECT_EQ(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsCodec, WsUrlsReadAsHttp) {
  EXPECT_EQ(ws_as_http_url("ws://h:1/x"), "http://h:1/x");
  EXPECT_EQ(ws_as_http_url("WSS://h/x"), "https://h/x");
  EXPECT_EQ(ws_as_http_url("http://h/"), "http://h/");
}

}  // namespace
}  // namespace barrage::engine
