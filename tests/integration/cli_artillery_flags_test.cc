// Artillery's `run` flags (issue 16) on the barrage binary, against the demo
// target on 127.0.0.1: -p/--payload, -s/--solo, --platform-opt, --name,
// --tags, --note, Artillery's spellings of barrage's flags (-v, --env-file),
// -i, and the flags barrage accepts with a warning (--record, --key).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "demo_target/target_server.h"
#include "servers.h"

namespace barrage {
namespace {

const std::string kExe = BARRAGE_EXE;

class ArtilleryFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto started = server_.start();
    ASSERT_TRUE(started) << started.error().describe();
    dir_ = testing::make_temp_dir();
    target_ = "http://127.0.0.1:" + std::to_string(server_.port());
    // The CSV names the path each VU requests: /health answers 200, anything
    // else (no payload row: "/") does not.
    testing::write_file(dir_ + "/paths.csv", "health\nhealth\nhealth\n");
  }

  // A script of `arrivals` arrivals in 1 s whose payload mapping is `payload`.
  std::string script(const std::string& payload, int arrivals = 4) const {
    const std::string path = dir_ + "/s" + std::to_string(++scripts_) + ".yml";
    testing::write_file(
        path, "config:\n  target: " + target_ +
                  "\n  phases:\n    - { duration: 1, arrivalCount: " + std::to_string(arrivals) +
                  " }\n" + payload + "scenarios:\n  - flow:\n      - get: { url: \"/{{ p }}\" }\n");
    return path;
  }

  // `barrage run ARGS` in the test's directory (relative -o files land there).
  testing::CommandResult run(const std::string& args) const {
    return testing::run_command("cd " + dir_ + " && " + kExe + " run " + args +
                                " --cores 1 --quiet");
  }

  nlohmann::json report(const std::string& name) const {
    return nlohmann::json::parse(testing::read_file(dir_ + "/" + name));
  }

  demo_target::TargetServer server_{demo_target::TargetOptions{}};
  std::string dir_;
  std::string target_;
  mutable int scripts_ = 0;
};

constexpr const char* kPayloadWithoutPath = "  payload:\n    fields: [p]\n";

TEST_F(ArtilleryFlags, PayloadFileGivesTheCsvOfAPayloadWithoutPath) {
  const std::string s = script(kPayloadWithoutPath);
  // Without -p the script is incomplete, as in Artillery.
  const auto without = run(s);
  EXPECT_EQ(without.exit_code, 2) << without.out;
  EXPECT_NE(without.out.find("payload needs a 'path'"), std::string::npos) << without.out;
  // -p FILE, relative to the current directory.
  const auto r = run(s + " -p paths.csv -o short.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto counters = report("short.json")["aggregate"]["counters"];
  EXPECT_EQ(counters["http.codes.200"], 4) << counters.dump();
  // The long spelling.
  const auto l = run(s + " --payload " + dir_ + "/paths.csv -o long.json");
  ASSERT_EQ(l.exit_code, 0) << l.out;
  EXPECT_EQ(report("long.json")["aggregate"]["counters"]["http.codes.200"], 4);
}

TEST_F(ArtilleryFlags, PayloadFileWinsOverThePathWithANoticeAndIsIgnoredWithoutAMapping) {
  const auto both = run(script("  payload:\n    path: missing.csv\n    fields: [p]\n") + " -p " +
                        dir_ + "/paths.csv -o both.json");
  ASSERT_EQ(both.exit_code, 0) << both.out;
  EXPECT_NE(both.out.find("config.payload.path is ignored"), std::string::npos) << both.out;
  EXPECT_EQ(report("both.json")["aggregate"]["counters"]["http.codes.200"], 4);
  // A list of payloads names its paths: -p changes nothing, and says so once.
  const auto list =
      run(script("  payload:\n    - path: " + dir_ + "/paths.csv\n      fields: [p]\n") + " -p " +
          dir_ + "/nothing.csv -o list.json");
  ASSERT_EQ(list.exit_code, 0) << list.out;
  EXPECT_NE(list.out.find("-p " + dir_ + "/nothing.csv is ignored"), std::string::npos) << list.out;
  EXPECT_EQ(report("list.json")["aggregate"]["counters"]["http.codes.200"], 4);
}

TEST_F(ArtilleryFlags, SoloRunsOneVirtualUserOnce) {
  const std::string s =
      script("  payload:\n    path: " + dir_ + "/paths.csv\n    fields: [p]\n", 20);
  for (const char* flag : {"-s", "--solo"}) {
    const std::string out = std::string("solo") + flag + ".json";
    const auto r = run(s + " " + flag + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto counters = report(out)["aggregate"]["counters"];
    EXPECT_EQ(counters["vusers.created"], 1) << flag << counters.dump();
    EXPECT_EQ(counters["http.requests"], 1) << flag << counters.dump();
  }
  // With workers: one worker, and a warning that says so.
  const auto w = run(s + " --solo --count 3 -o solo-workers.json");
  ASSERT_EQ(w.exit_code, 0) << w.out;
  EXPECT_NE(w.out.find("warning: --solo runs one virtual user: --count 3 is taken as --count 1"),
            std::string::npos)
      << w.out;
  EXPECT_EQ(report("solo-workers.json")["aggregate"]["counters"]["vusers.created"], 1);
}

TEST_F(ArtilleryFlags, NameTagsAndNoteAreInTheJsonAndHtmlReports) {
  const std::string s =
      script("  payload:\n    path: " + dir_ + "/paths.csv\n    fields: [p]\n", 2);
  const auto r = run(s +
                     " --name nightly --tags \"team:sqa, service:foo,oops\" --note \"after the "
                     "cache change\" -o labels.json --report html");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // An item that is not name:value is left out with Artillery's warning.
  EXPECT_NE(r.out.find("warning: could not parse some tags (want name:value): oops"),
            std::string::npos)
      << r.out;
  const auto run_info = report("labels.json")["run"];
  EXPECT_EQ(run_info["name"], "nightly");
  EXPECT_EQ(run_info["note"], "after the cache change");
  ASSERT_EQ(run_info["tags"].size(), 2U) << run_info.dump();
  EXPECT_EQ(run_info["tags"][0]["name"], "team");
  EXPECT_EQ(run_info["tags"][0]["value"], "sqa");
  EXPECT_EQ(run_info["tags"][1]["name"], "service");
  EXPECT_EQ(run_info["tags"][1]["value"], "foo");
  const std::string html = testing::read_file(dir_ + "/labels.html");
  EXPECT_NE(html.find("<b id=\"run-name\">nightly</b>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"run-tag\">team:sqa</span>"), std::string::npos);
  EXPECT_NE(html.find("<span id=\"run-note\">after the cache change</span>"), std::string::npos);
  // barrage report renders the saved JSON the same way.
  const auto rendered =
      testing::run_command(kExe + " report " + dir_ + "/labels.json -o " + dir_ + "/again.html");
  ASSERT_EQ(rendered.exit_code, 0) << rendered.out;
  EXPECT_NE(testing::read_file(dir_ + "/again.html").find("run-note"), std::string::npos);
  // A "name" tag names the run; --name wins over it.
  const auto tag = run(s + " --tags name:from-tag -o tag.json");
  ASSERT_EQ(tag.exit_code, 0) << tag.out;
  EXPECT_EQ(report("tag.json")["run"]["name"], "from-tag");
  const auto both = run(s + " --tags name:from-tag --name from-flag -o both.json");
  ASSERT_EQ(both.exit_code, 0) << both.out;
  EXPECT_EQ(report("both.json")["run"]["name"], "from-flag");
  EXPECT_EQ(report("both.json")["run"]["tags"][0]["value"], "from-flag");
  // Without them, the reports have none of the three.
  const auto plain = run(s + " -o plain.json --report html");
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  const auto p = report("plain.json")["run"];
  EXPECT_FALSE(p.contains("name") || p.contains("tags") || p.contains("note")) << p.dump();
  EXPECT_EQ(testing::read_file(dir_ + "/plain.html").find("run-labels"), std::string::npos);
}

TEST_F(ArtilleryFlags, MoreThanTenTagsIsAUsageError) {
  const auto r = run(script(kPayloadWithoutPath) + " -p " + dir_ +
                     "/paths.csv --tags a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10,k:11");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("a maximum of 10 tags is supported"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Summary report"), std::string::npos) << r.out;
}

TEST_F(ArtilleryFlags, PlatformOptionsMapOrWarnAndCloudFlagsWarn) {
  const std::string s = script(kPayloadWithoutPath) + " -p " + dir_ + "/paths.csv";
  const auto r = run(s +
                     " --platform-opt region=eu-west-1 --platform-opt colour=blue --record "
                     "--key abc -o opts.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: --platform-opt region applies to --platform aws:lambda only"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("warning: --platform-opt colour: barrage has no such platform option"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("warning: --record and --key send results to Artillery Cloud"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(report("opts.json")["aggregate"]["counters"]["http.codes.200"], 4);
  // count maps to --count: two worker processes.
  const auto c = testing::run_command("cd " + dir_ + " && " + kExe + " run " + s +
                                      " --platform-opt count=2 --cores 1 -o count.json");
  ASSERT_EQ(c.exit_code, 0) << c.out;
  EXPECT_NE(c.out.find("2 worker processes"), std::string::npos) << c.out;
  EXPECT_EQ(report("count.json")["aggregate"]["counters"]["http.codes.200"], 4);
  // A Lambda option with a value barrage cannot use is a usage error, before AWS.
  const auto bad = run(s + " --platform aws:lambda --count 1 --platform-opt memory-size=12");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("--platform-opt memory-size=12"), std::string::npos) << bad.out;
}

TEST_F(ArtilleryFlags, ArtillerySpellingsOfBarrageFlags) {
  const std::string s = dir_ + "/vars.yml";
  testing::write_file(s, "config:\n  target: " + target_ +
                             "\n  phases:\n    - { duration: 1, arrivalCount: 2 }\n"
                             "scenarios:\n  - flow:\n      - get: { url: \"/{{ p }}{{ $env.SUFFIX "
                             "}}\" }\n");
  testing::write_file(dir_ + "/suffix.env", "SUFFIX=\n");
  // -v (--variables) and --env-file (--dotenv).
  const auto r = run(s + " -v \"{\\\"p\\\": \\\"health\\\"}\" --env-file " + dir_ +
                     "/suffix.env -o vars.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(report("vars.json")["aggregate"]["counters"]["http.codes.200"], 2);
  // -i FILE: merged over the script as -c is; two extra files are refused.
  testing::write_file(dir_ + "/extra.yml", "config:\n  variables:\n    p: health\n");
  const auto i =
      run(s + " -i " + dir_ + "/extra.yml --env-file " + dir_ + "/suffix.env" + " -o input.json");
  ASSERT_EQ(i.exit_code, 0) << i.out;
  EXPECT_EQ(report("input.json")["aggregate"]["counters"]["http.codes.200"], 2);
  const auto two = run(s + " -i " + dir_ + "/extra.yml -c " + dir_ + "/extra.yml");
  EXPECT_EQ(two.exit_code, 2) << two.out;
}

}  // namespace
}  // namespace barrage
