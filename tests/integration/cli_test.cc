// The barrage binary as a user runs it: exit codes, messages, reports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "demo_target/target_server.h"
#include "servers.h"

namespace barrage {
namespace {

const std::string kExe = BARRAGE_EXE;

TEST(Cli, HelpExplainsEveryCommand) {
  const auto r = testing::run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"run", "quick", "target"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
    const auto sub = testing::run_command(kExe + " " + cmd + " --help");
    EXPECT_EQ(sub.exit_code, 0) << cmd;
  }
}

TEST(Cli, HelpListsEveryExitCode) {
  const auto r = testing::run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* code : {"0 success", "1 ensure checks failed", "2 usage", "3 a distributed",
                           "4 the platform failed", "21 expectation", "130 interrupted"}) {
    EXPECT_NE(r.out.find(code), std::string::npos) << code << "\n" << r.out;
  }
}

TEST(Cli, UsageErrorExitsTwo) {
  EXPECT_EQ(testing::run_command(kExe + " run").exit_code, 2);
  EXPECT_EQ(testing::run_command(kExe + " frobnicate").exit_code, 2);
}

TEST(Cli, ScriptErrorShowsFileLineColumnAndSendsNothing) {
  const auto dir = testing::make_temp_dir();
  const auto port = testing::closed_port();
  testing::write_file(dir + "/bad.yml",
                      "config:\n  target: http://127.0.0.1:" + std::to_string(port) +
                          "\n  phases:\n    - duration: 5\n      arivalRate: 10\n"
                          "scenarios:\n  - flow:\n      - get: { url: / }\n");
  const auto r = testing::run_command(kExe + " run " + dir + "/bad.yml");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // The phase has no rate; the misspelt key (a warning on its own) is named.
  EXPECT_NE(r.out.find("bad.yml:4:7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(line 5, column 7)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arivalRate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arrivalRate"), std::string::npos) << r.out;  // the suggestion
  EXPECT_EQ(r.out.find("Summary report"), std::string::npos) << r.out;
}

TEST(Cli, RunWritesSummaryAndJsonReport) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto dir = testing::make_temp_dir();
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port());
  const auto r = testing::run_command(kExe + " run " + BARRAGE_SOURCE_DIR +
                                      "/examples/quickstart.yml --target " + target + " --output " +
                                      dir + "/report.json --cores 2");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Summary report"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http.response_time"), std::string::npos);
  EXPECT_NE(r.out.find("p999"), std::string::npos);
  const auto doc = nlohmann::json::parse(testing::read_file(dir + "/report.json"));
  EXPECT_EQ(doc["schema"], "barrage.report/1");
  const auto& counters = doc["aggregate"]["counters"];
  EXPECT_GT(counters["http.requests"].get<uint64_t>(), 0u);
  EXPECT_EQ(counters["http.requests"], counters["http.responses"]);
  EXPECT_FALSE(doc["aggregate"]["histograms"]["http.response_time"].get<std::string>().empty());
  EXPECT_GT(doc["intermediate"].size(), 0u);
  EXPECT_TRUE(doc["aggregate"]["summaries"]["http.response_time"].contains("p99"));
}

TEST(Cli, QuickRunsAgainstAUrl) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto r =
      testing::run_command(kExe + " quick http://127.0.0.1:" + std::to_string(server.port()) +
                           "/health --count 5 --num 4 --cores 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 20\n"), std::string::npos) << r.out;
}

// The URL is one YAML string of quick's plan, whatever it holds; what cannot
// be sent as given is refused before any traffic, with exit code 2.
TEST(Cli, QuickTakesUrlsWithQuotesAndHashAndRefusesTemplatesAndLineBreaks) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  // run_command wraps the command in sh -c '...': the URLs go in double quotes.
  for (const std::string& url : {base + "/echo?q=\\\"a\\\"&b=1#frag", base + "/echo?x=%22#y"}) {
    const auto r =
        testing::run_command(kExe + " quick \"" + url + "\" --count 2 --num 2 --cores 1 --quiet");
    ASSERT_EQ(r.exit_code, 0) << url << "\n" << r.out;
    EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << url << "\n" << r.out;
  }
  const auto templated = testing::run_command(kExe + " quick \"" + base + "/{{ x }}\" --cores 1");
  EXPECT_EQ(templated.exit_code, 2) << templated.out;
  EXPECT_NE(templated.out.find("template"), std::string::npos) << templated.out;
  EXPECT_EQ(templated.out.find("Summary report"), std::string::npos) << templated.out;
  const auto broken = testing::run_command(kExe + " quick \"" + base + "/a\nb\" --cores 1");
  EXPECT_EQ(broken.exit_code, 2) << broken.out;
  EXPECT_NE(broken.out.find("line break"), std::string::npos) << broken.out;
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

TEST(Cli, RunningOutOfDescriptorsIsCountedAndExplained) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto dir = testing::make_temp_dir();
  testing::write_file(dir + "/fd.yml",
                      "config:\n  target: http://127.0.0.1:" + std::to_string(server.port()) +
                          "\n  phases:\n    - { duration: 1, vusers: 300 }\n"
                          "scenarios:\n  - flow:\n      - get: { url: /health }\n"
                          "      - think: 0.5\n");
  // More VUs than descriptors: a hard limit of 128 for the barrage process.
  const auto r =
      testing::run_command("ulimit -n 128; " + kExe + " run " + dir + "/fd.yml --cores 1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("errors.EMFILE: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("WARNING: out of file descriptors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("http.codes.200: "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace barrage

namespace barrage {
namespace {

TEST(Cli, FailedExpectationsExitWithArtilleryCode) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto dir = testing::make_temp_dir();
  const std::string head = "config:\n  target: http://127.0.0.1:" + std::to_string(server.port()) +
                           "\n  plugins: { expect: {} }\n  phases:\n"
                           "    - { duration: 1, arrivalCount: 3 }\nscenarios:\n  - flow:\n";
  testing::write_file(dir + "/ok.yml",
                      head + "      - get: { url: /health, expect: [{ statusCode: 200 }] }\n");
  testing::write_file(
      dir + "/fail.yml",
      head + "      - get: { url: /user/profile, expect: [{ statusCode: 200 }] }\n");
  const auto ok = testing::run_command(kExe + " run " + dir + "/ok.yml --cores 1");
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("plugins.expect.ok.statusCode: "), std::string::npos) << ok.out;
  const auto fail = testing::run_command(kExe + " run " + dir + "/fail.yml --cores 1");
  EXPECT_EQ(fail.exit_code, 21) << fail.out;
  EXPECT_NE(fail.out.find("plugins.expect.failed.statusCode: "), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("3 expectation check(s) failed"), std::string::npos) << fail.out;
}

// The default number of shards is the CPUs barrage may run on, not the
// machine's: under `taskset -c 0` one shard, and the report says so.
TEST(Cli, DefaultCoresFollowTheAffinityMask) {
  demo_target::TargetServer server(demo_target::TargetOptions{});
  if (auto started_ok = server.start(); !started_ok) FAIL() << started_ok.error().describe();
  const auto dir = testing::make_temp_dir();
  const std::string target = "http://127.0.0.1:" + std::to_string(server.port());
  const auto r = testing::run_command("taskset -c 0 " + kExe + " run " + BARRAGE_SOURCE_DIR +
                                      "/examples/quickstart.yml --quiet --target " + target +
                                      " --output " + dir + "/report.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(testing::read_file(dir + "/report.json"));
  EXPECT_EQ(doc["run"]["cores"], 1) << doc["run"].dump();
}

}  // namespace
}  // namespace barrage
