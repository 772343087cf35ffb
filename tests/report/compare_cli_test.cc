// `barrage compare` and `barrage report` as a user runs them, on two checked-in
// reports (fixtures/steady.yml against the demo target; new.json has the planted
// regression: 9 ms instead of 5 ms latency and 5% injected 5xx on one endpoint).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kFixtures = std::string(BARRAGE_SOURCE_DIR) + "/tests/report/fixtures/";

struct Result {
  int status = -1;
  std::string out;
};

Result run(const std::string& args) {
  Result r;
  const std::string cmd = std::string(BARRAGE_EXE) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path temp_dir() {
  auto d =
      std::filesystem::temp_directory_path() / ("barrage-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

TEST(CompareCli, PlantedRegressionExitsOne) {
  const auto dir = temp_dir();
  const auto html = dir / "compare.html";
  const auto r =
      run("compare " + kFixtures + "base.json " + kFixtures + "new.json --html " + html.string());
  EXPECT_EQ(r.status, 1) << r.out;
  // Overall p95 and error rate, and the endpoint that got slower and failing.
  EXPECT_NE(r.out.find("overall                      p95"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+1 points  REGRESSION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/catalog/items?limit=5       error_rate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("regression(s)"), std::string::npos) << r.out;
  // /health did not change: none of its lines is a regression.
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("/health")) {
      EXPECT_EQ(line.find("REGRESSION"), std::string::npos) << line;
    }
  }
  const std::string page = slurp(html);
  EXPECT_NE(page.find("<tr class=\"regression\"><td>overall</td><td>p95</td>"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CompareCli, SameReportAndLooseTolerancesPass) {
  auto r = run("compare " + kFixtures + "base.json " + kFixtures + "base.json");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("No regressions."), std::string::npos) << r.out;
  r = run("compare " + kFixtures + "base.json " + kFixtures +
          "new.json --p50-increase 200 --p95-increase 200 --p99-increase 200 "
          "--error-rate-increase 10");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST(CompareCli, UnreadableReportIsAUsageError) {
  const auto r = run("compare " + kFixtures + "steady.yml " + kFixtures + "base.json");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("base report: not JSON"), std::string::npos) << r.out;
}

TEST(ReportCli, RendersHtmlJunitAndCsvFromAJsonReport) {
  const auto dir = temp_dir();
  auto r = run("report " + kFixtures + "new.json -o " + (dir / "r.html").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(slurp(dir / "r.html").find("<script type=\"application/json\" id=\"data\">"),
            std::string::npos);
  r = run("report " + kFixtures + "new.json -o " + (dir / "r.xml").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(slurp(dir / "r.xml").find("<testsuite name=\"expect\""), std::string::npos);
  r = run("report " + kFixtures + "new.json --format csv -o " + (dir / "r.txt").string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(slurp(dir / "r.txt").starts_with("period_start_ms,"));
  std::filesystem::remove_all(dir);
}

}  // namespace
