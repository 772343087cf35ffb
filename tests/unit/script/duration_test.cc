#include "script/duration.h"

#include <gtest/gtest.h>

namespace barrage::script {
namespace {

TEST(Duration, BareNumbersAreSeconds) {
  EXPECT_EQ(parse_duration_s("30"), 30.0);
  EXPECT_EQ(parse_duration_s("1.5"), 1.5);
  EXPECT_EQ(parse_duration_s("0"), 0.0);
  EXPECT_EQ(parse_duration_s("  12 "), 12.0);
}

TEST(Duration, Units) {
  EXPECT_EQ(parse_duration_s("500ms"), 0.5);
  EXPECT_EQ(parse_duration_s("30s"), 30.0);
  EXPECT_EQ(parse_duration_s("5m"), 300.0);
  EXPECT_EQ(parse_duration_s("1h"), 3600.0);
  EXPECT_EQ(parse_duration_s("1d"), 86400.0);
  EXPECT_EQ(parse_duration_s("1.5s"), 1.5);
  EXPECT_EQ(parse_duration_s("2 minutes"), 120.0);
  EXPECT_EQ(parse_duration_s("10 sec"), 10.0);
  EXPECT_EQ(parse_duration_s("250 milliseconds"), 0.25);
}

TEST(Duration, CompoundTermsAreSummed) {
  EXPECT_EQ(parse_duration_s("2m30s"), 150.0);
  EXPECT_EQ(parse_duration_s("1h 30m"), 5400.0);
  EXPECT_EQ(parse_duration_s("1s500ms"), 1.5);
}

TEST(Duration, RejectsMalformedText) {
  for (const char* bad : {"", "  ", "abc", "-5", "-5s", "5x", "5 years", "2m30", "s", ".", "1e3",
                          "inf", "nan", "5S", "1..5s", "0x10"}) {
    EXPECT_EQ(parse_duration_s(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace barrage::script
