#include "util/error.h"

#include <gtest/gtest.h>

namespace barrage {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return fail(Error::at("t.yml", 3, 7, "must be positive"));
  return value;
}

TEST(Error, DescribesThePlaceWhenThereIsOne) {
  EXPECT_EQ(Error::at("t.yml", 3, 7, "bad key").describe(), "t.yml:3:7: bad key");
  EXPECT_EQ(Error::at("t.yml", 0, 0, "unreadable").describe(), "t.yml: unreadable");
  Error plain;
  plain.message = "no such run";
  EXPECT_EQ(plain.describe(), "no such run");
}

TEST(Error, ContextGoesInFrontAndThePlaceStays) {
  Error e = Error::at("data.csv", 2, 1, "too few columns").with_context("payload");
  EXPECT_EQ(e.describe(), "data.csv:2:1: payload: too few columns");
  EXPECT_EQ(e.line, 2);
}

TEST(Error, ResultCarriesAValueOrAnError) {
  Result<int> ok = parse_positive(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 4);
  Result<int> bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().describe(), "t.yml:3:7: must be positive");
  Status status = fail("stopped");
  EXPECT_EQ(status.error().message, "stopped");
}

}  // namespace
}  // namespace barrage
