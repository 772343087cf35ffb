// run/request: a RunRequest turned into a RunSpec and labels; a combination
// that makes no sense is an Error (message only: a command line has no
// file:line), what barrage ignores comes back as warnings.
#include "run/request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace barrage::run {
namespace {

TEST(RunRequest, AUsableRequestGivesItsSpec) {
  RunRequest r;
  r.count = "3";
  r.platform_opts = {"colour=blue"};
  std::vector<std::string> warnings;
  const auto spec = spec_for(r, {}, &warnings);
  ASSERT_TRUE(spec) << spec.error().describe();
  EXPECT_EQ(spec->platform, Platform::kLocalWorkers);
  EXPECT_EQ(spec->workers.count, 3u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], ::testing::HasSubstr("--platform-opt colour: barrage has no such"));
}

TEST(RunRequest, NonsenseIsAnErrorWithNoPlace) {
  std::vector<std::string> warnings;
  RunRequest r;
  r.count = "many";
  auto spec = spec_for(r, {}, &warnings);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message,
            "--count takes a number of workers from 1 to 10000, or auto (got 'many')");
  EXPECT_EQ(spec.error().file, "");
  EXPECT_EQ(spec.error().line, 0);
  EXPECT_EQ(spec.error().describe(), spec.error().message);

  r.count = "";
  r.platform = "aws:lambda";
  spec = spec_for(r, {}, &warnings);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, "--platform aws:lambda needs --count N (or --count auto)");

  r.count = "1";
  r.platform_opts = {"memory-size=12"};
  spec = spec_for(r, {}, &warnings);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, "--platform-opt memory-size=12: a size in MB from 128 to 10240");

  r.platform_opts = {"architecture=sparc"};
  spec = spec_for(r, {}, &warnings);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, "--platform-opt architecture=sparc: x86_64 or arm64");

  r = {};
  r.count = "auto";
  spec = spec_for(r, {}, &warnings);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, "--count auto needs --platform aws:lambda");
}

RunRequest tagged(const std::string& tags) {
  RunRequest r;
  r.tags = tags;
  r.name = "nightly";
  return r;
}

TEST(RunRequest, LabelsAndTheirLimit) {
  std::vector<std::string> warnings;
  const auto labels = labels_for(tagged("team:sqa, oops"), &warnings);
  ASSERT_TRUE(labels) << labels.error().describe();
  EXPECT_EQ(labels->name, "nightly");
  ASSERT_EQ(labels->tags.size(), 1u);
  EXPECT_EQ(warnings.size(), 1u);
  const auto too_many =
      labels_for(tagged("a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10,k:11"), &warnings);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message, "--tags: a maximum of 10 tags is supported (11 given)");
}

TEST(RunRequest, OneExtraInputFile) {
  RunRequest r;
  script::ScriptOptions load;
  EXPECT_TRUE(apply_inputs(r, load));
  EXPECT_FALSE(load.config_file);
  r.inputs = {"extra.yml"};
  ASSERT_TRUE(apply_inputs(r, load));
  EXPECT_EQ(load.config_file, "extra.yml");
  const auto twice = apply_inputs(r, load);  // -i with --config
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message,
              ::testing::HasSubstr("give one -i FILE or --config FILE, not both or several"));
}

}  // namespace
}  // namespace barrage::run
