// `barrage quick`'s plan: built as a YAML tree, so any URL text stays one
// string value (quotes, '#', ': ', YAML indicators), and what cannot be a
// URL is refused with a clear error.
#include "script/quick.h"

#include <gtest/gtest.h>

#include "script/loader.h"

namespace barrage::script {
namespace {

const Request& first_request(const Plan& plan) {
  const auto& loop = std::get<Loop>(plan.scenarios.at(0).flow.at(0).action);
  EXPECT_EQ(loop.count, 10);
  return std::get<Request>(loop.steps.at(0).action);
}

TEST(Quick, UrlWithQuotesHashAndYamlIndicatorsStaysOneString) {
  for (const std::string& url :
       {std::string("http://127.0.0.1:8080/a?q=\"x\"&b='y'#frag"),
        std::string("http://127.0.0.1:8080/p #not-a-comment"),
        std::string("http://127.0.0.1:8080/x: y, [z] {w} & *a ! |b >c %d @e `f`")}) {
    QuickOptions o;
    o.url = url;
    const Plan plan = quick_plan(o).value();
    EXPECT_EQ(plan.target, url);
    EXPECT_EQ(first_request(plan).url.source(), url) << quick_script(o);
  }
}

TEST(Quick, PhasesFollowTheOptions) {
  QuickOptions o;
  o.url = "http://127.0.0.1:1/";
  o.count = 7;
  Plan p = quick_plan(o).value();
  ASSERT_EQ(p.phases.size(), 1U);
  EXPECT_EQ(p.phases[0].duration_s, 1);
  o.rate = 2.5;
  p = quick_plan(o).value();
  EXPECT_EQ(p.phases[0].duration_s, 10);
  o.duration_s = 0.1;
  p = quick_plan(o).value();
  EXPECT_DOUBLE_EQ(p.phases[0].duration_s, 0.1);
}

TEST(Quick, LineBreakAndTemplateSyntaxAreRefusedClearly) {
  QuickOptions o;
  o.url = "http://127.0.0.1:1/a\nb";
  const auto line_break = quick_plan(o);
  ASSERT_FALSE(line_break) << "accepted a line break";
  EXPECT_EQ(line_break.error().file, "quick " + o.url);
  EXPECT_NE(line_break.error().message.find("line break"), std::string::npos)
      << line_break.error().message;
  o.url = "http://127.0.0.1:1/{{ x }}";
  const auto braces = quick_plan(o);
  ASSERT_FALSE(braces) << "accepted {{";
  EXPECT_NE(braces.error().message.find("template"), std::string::npos) << braces.error().message;
}

}  // namespace
}  // namespace barrage::script
