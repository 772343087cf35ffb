// CSV payload reader: quoting, line endings, options, indexing of a mapped
// file, and csv-parse's cast as Artillery uses it.
#include "script/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace barrage::script {
namespace {

std::vector<std::vector<std::string>> all_rows(const std::string& text, CsvOptions o = {}) {
  const auto csv = CsvData::from_string(text, o);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> row;
  for (size_t i = 0; i < csv->rows(); ++i) {
    csv->row(i, row);
    out.push_back(row);
  }
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(Csv, PlainRecordsWithEveryLineEnding) {
  EXPECT_EQ(all_rows("a,b\nc,d\r\ne,f\rg,h"),
            (Rows{{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g", "h"}}));
  EXPECT_EQ(all_rows("a,b\n"), (Rows{{"a", "b"}}));
  EXPECT_EQ(all_rows(""), Rows{});
}

TEST(Csv, QuotedFieldsHoldDelimitersQuotesAndLineBreaks) {
  EXPECT_EQ(all_rows("\"a,b\",\"say \"\"hi\"\"\"\n\"two\nlines\",x\r\n"),
            (Rows{{"a,b", "say \"hi\""}, {"two\nlines", "x"}}));
  EXPECT_EQ(all_rows("\"\",x"), (Rows{{"", "x"}}));
  EXPECT_EQ(all_rows("a,\"\"\n"), (Rows{{"a", ""}}));
}

TEST(Csv, EmptyFieldsAndUnevenRecords) {
  EXPECT_EQ(all_rows(",\na\na,b,c\n"), (Rows{{"", ""}, {"a"}, {"a", "b", "c"}}));
}

TEST(Csv, SkipHeaderSkipEmptyLinesAndDelimiter) {
  CsvOptions o;
  o.skip_header = true;
  EXPECT_EQ(all_rows("id,name\n\n1,a\n\r\n2,b\n", o), (Rows{{"1", "a"}, {"2", "b"}}));
  o.skip_empty_lines = false;
  EXPECT_EQ(all_rows("id\n1\n\n2\n", o), (Rows{{"1"}, {""}, {"2"}}));
  CsvOptions semi;
  semi.delimiter = ';';
  EXPECT_EQ(all_rows("a;b,c\n", semi), (Rows{{"a", "b,c"}}));
  // The header is the first record, even when it spans lines.
  CsvOptions header;
  header.skip_header = true;
  EXPECT_EQ(all_rows("\"x\ny\",z\n1,2\n", header), (Rows{{"1", "2"}}));
}

TEST(Csv, ByteOrderMarkIsDropped) { EXPECT_EQ(all_rows("\xEF\xBB\xBFid\n"), (Rows{{"id"}})); }

TEST(Csv, MalformedQuotingNamesTheLine) {
  try {
    (void)CsvData::from_string("a\nb\n\"open,\nstill open\n", {});
    FAIL() << "no error";
  } catch (const CsvError& e) {
    EXPECT_STREQ(e.what(), "unclosed quoted field");
    EXPECT_EQ(e.line(), 3u);
  }
  try {
    (void)CsvData::from_string("ok\n\"a\"b,c\n", {});
    FAIL() << "no error";
  } catch (const CsvError& e) {
    EXPECT_STREQ(e.what(), "unexpected character 'b' after a closing quote");
    EXPECT_EQ(e.line(), 2u);
  }
}

TEST(Csv, ManyRecordsAcrossIndexBlocks) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",\"v" + std::to_string(i) + "\"\n";
  const auto csv = CsvData::from_string(text, {});
  ASSERT_EQ(csv->rows(), 5000u);
  std::vector<std::string> row;
  for (size_t i : {0u, 1023u, 1024u, 1025u, 4999u}) {
    csv->row(i, row);
    EXPECT_THAT(row, ::testing::ElementsAre(std::to_string(i), "v" + std::to_string(i)));
  }
}

TEST(Csv, OpensAMappedFile) {
  const std::string path = ::testing::TempDir() + "/barrage_csv_test.csv";
  std::ofstream(path) << "user,pass\nalice,\"p,1\"\nbob,p2\n";
  CsvOptions o;
  o.skip_header = true;
  const auto csv = CsvData::open(path, o);
  ASSERT_EQ(csv->rows(), 2u);
  std::vector<std::string> row;
  csv->row(1, row);
  EXPECT_THAT(row, ::testing::ElementsAre("bob", "p2"));
  csv->row(0, row);
  EXPECT_THAT(row, ::testing::ElementsAre("alice", "p,1"));
  ::unlink(path.c_str());
  try {
    (void)CsvData::open(path, o);
    FAIL() << "no error";
  } catch (const CsvError& e) {
    EXPECT_STREQ(e.what(), "cannot open: No such file or directory");
    EXPECT_EQ(e.line(), 0u);
  }
}

TEST(Csv, CastFollowsCsvParse) {
  EXPECT_EQ(csv_cast("42"), "42");
  EXPECT_EQ(csv_cast("007"), "7");
  EXPECT_EQ(csv_cast("1.50"), "1.5");
  EXPECT_EQ(csv_cast("-0.25"), "-0.25");
  EXPECT_EQ(csv_cast("1e3"), "1000");
  EXPECT_EQ(csv_cast(" 12 "), "12");
  EXPECT_EQ(csv_cast("1e21"), "1e+21");
  EXPECT_EQ(csv_cast("0.0000001"), "1e-7");
  EXPECT_EQ(csv_cast("123456789012345678"), "123456789012345680");
  EXPECT_EQ(csv_cast("0x10"), "0");  // Number("0x10") is 16 but parseFloat reads 0
  // Text stays text.
  EXPECT_EQ(csv_cast(""), "");
  EXPECT_EQ(csv_cast("true"), "true");
  EXPECT_EQ(csv_cast("12px"), "12px");
  EXPECT_EQ(csv_cast("Infinity"), "Infinity");
  EXPECT_EQ(csv_cast("1.2.3"), "1.2.3");
  EXPECT_EQ(csv_number("abc"), std::nullopt);
  EXPECT_EQ(csv_number("5"), "5");
}

}  // namespace
}  // namespace barrage::script
