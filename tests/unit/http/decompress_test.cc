#include "http/decompress.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace barrage::http {
namespace {

// window_bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
std::string compress(const std::string& in, int window_bits) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&s, in.size()) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string sample() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "{\"id\":" + std::to_string(i) + ",\"name\":\"item\"},";
  return s;
}

TEST(Decompress, RoundTripsGzipZlibAndRawDeflate) {
  const std::string plain = sample();
  Decompressor d;
  std::string out;
  for (int bits : {15 + 16, 15, -15}) {
    ASSERT_TRUE(d.decode(compress(plain, bits), out, 1 << 20)) << bits;
    EXPECT_EQ(out, plain) << bits;
    EXPECT_EQ(d.error(), DecodeError::kNone);
  }
}

TEST(Decompress, ConcatenatedGzipMembersAndTrailingGarbage) {
  Decompressor d;
  std::string out;
  ASSERT_TRUE(d.decode(compress("hello ", 31) + compress("world", 31), out, 100));
  EXPECT_EQ(out, "hello world");
  ASSERT_TRUE(d.decode(compress("abc", 31) + "\n\n", out, 100));
  EXPECT_EQ(out, "abc");
}

TEST(Decompress, EmptyInputAndEmptyStream) {
  Decompressor d;
  std::string out = "stale";
  EXPECT_TRUE(d.decode("", out, 10));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(d.decode(compress("", 31), out, 10));
  EXPECT_EQ(out, "");
}

TEST(Decompress, BombIsStoppedAtTheLimit) {
  const std::string zeros(10 << 20, '\0');
  const std::string bomb = compress(zeros, 31);
  ASSERT_LT(bomb.size(), 20000u);
  Decompressor d;
  std::string out;
  EXPECT_FALSE(d.decode(bomb, out, 1 << 20));
  EXPECT_EQ(d.error(), DecodeError::kTooLarge);
  EXPECT_STREQ(error_name(d.error()), "EBODYTOOLARGE");
  EXPECT_EQ(out.size(), 1u << 20);
  // Exactly at the limit is fine.
  EXPECT_TRUE(d.decode(compress(std::string(1000, 'a'), 31), out, 1000));
  EXPECT_FALSE(d.decode(compress(std::string(1001, 'a'), 31), out, 1000));
}

TEST(Decompress, CorruptAndTruncated) {
  const std::string gz = compress(sample(), 31);
  Decompressor d;
  std::string out;
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  corrupt[gz.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(d.decode(corrupt, out, 1 << 20));
  EXPECT_STREQ(error_name(d.error()), "Z_DATA_ERROR");

  EXPECT_FALSE(d.decode(gz.substr(0, gz.size() - 10), out, 1 << 20));
  EXPECT_STREQ(error_name(d.error()), "Z_BUF_ERROR");

  EXPECT_FALSE(d.decode("not compressed at all", out, 1 << 20));
  EXPECT_NE(d.error(), DecodeError::kNone);

  // The decompressor is usable again after an error.
  EXPECT_TRUE(d.decode(gz, out, 1 << 20));
  EXPECT_EQ(out, sample());
}

TEST(Decompress, MovedDecompressorKeepsWorking) {
  Decompressor a;
  std::string out;
  ASSERT_TRUE(a.decode(compress("x", 31), out, 10));
  Decompressor b = std::move(a);
  ASSERT_TRUE(b.decode(compress("yz", 15), out, 10));
  EXPECT_EQ(out, "yz");
}

TEST(Decompress, ContentEncodingNames) {
  EXPECT_EQ(parse_content_encoding("gzip"), ContentEncoding::kGzip);
  EXPECT_EQ(parse_content_encoding(" X-GZIP "), ContentEncoding::kGzip);
  EXPECT_EQ(parse_content_encoding("Deflate"), ContentEncoding::kDeflate);
  EXPECT_EQ(parse_content_encoding("identity"), ContentEncoding::kIdentity);
  EXPECT_EQ(parse_content_encoding(""), ContentEncoding::kIdentity);
  EXPECT_FALSE(parse_content_encoding("br").has_value());
  EXPECT_FALSE(parse_content_encoding("gzip, br").has_value());
}

}  // namespace
}  // namespace barrage::http
