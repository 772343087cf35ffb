#include "script/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace barrage::script {
namespace {

constexpr const char* kQuickstart = R"(config:
  target: "http://127.0.0.1:8080"
  phases:
    - { name: warm, duration: 10, arrivalRate: 5 }
    - { name: ramp, duration: "30s", arrivalRate: 5, rampTo: 50 }
    - { name: closed, duration: 20, vusers: 10 }
    - pause: "5s"
  variables: { user: ["alice", "bob"], pageSize: 20 }
  http: { timeout: 5 }
  defaults: { headers: { x-client: barrage } }
scenarios:
  - name: browse
    weight: 3
    flow:
      - post: { url: "/auth/login", json: { username: "{{ user }}", password: "pw" } }
      - loop:
          - get: { url: "/catalog/items?limit={{ pageSize }}", name: "list items" }
          - think: 0.5
        count: 3
)";

Plan load(std::string_view yaml, const LoadOptions& options = {}) {
  return load_plan_string(yaml, "test.yml", options).value();
}

std::string render(const Template& t, const Vars& vars = Vars{}) {
  Rng rng(1);
  return t.render(vars, rng);
}

// A script with the given flow steps (indented for `flow:`) and one phase.
std::string with_flow(const std::string& steps) {
  return "config:\n  target: http://127.0.0.1:1\n  phases: [{ duration: 1, arrivalRate: 1 }]\n"
         "scenarios:\n  - flow:\n" +
         steps;
}

TEST(Loader, QuickstartScript) {
  const Plan plan = load(kQuickstart);
  EXPECT_EQ(plan.source_path, "test.yml");
  EXPECT_EQ(plan.target, "http://127.0.0.1:8080");

  ASSERT_EQ(plan.phases.size(), 4u);
  EXPECT_EQ(plan.phases[0].name, "warm");
  EXPECT_EQ(plan.phases[0].duration_s, 10);
  EXPECT_EQ(plan.phases[0].arrival_rate, 5);
  EXPECT_FALSE(plan.phases[0].ramp_to.has_value());
  EXPECT_EQ(plan.phases[0].loc.line, 4);
  EXPECT_EQ(plan.phases[0].loc.column, 7);
  EXPECT_EQ(plan.phases[1].duration_s, 30);
  EXPECT_EQ(plan.phases[1].ramp_to, 50.0);
  EXPECT_TRUE(plan.phases[2].closed());
  EXPECT_EQ(plan.phases[2].vusers, 10);
  EXPECT_EQ(plan.phases[2].duration_s, 20);
  EXPECT_TRUE(plan.phases[3].pause);
  EXPECT_EQ(plan.phases[3].duration_s, 5);
  EXPECT_EQ(plan.total_duration_s(), 65);

  ASSERT_EQ(plan.variables.size(), 2u);
  EXPECT_EQ(plan.variables[0].name, "user");
  EXPECT_THAT(plan.variables[0].values, ::testing::ElementsAre("alice", "bob"));
  EXPECT_EQ(plan.variables[1].name, "pageSize");
  EXPECT_THAT(plan.variables[1].values, ::testing::ElementsAre("20"));

  EXPECT_EQ(plan.http.timeout_s, 5);
  ASSERT_EQ(plan.default_headers.size(), 1u);
  EXPECT_EQ(plan.default_headers[0].name, "x-client");
  EXPECT_EQ(render(plan.default_headers[0].value), "barrage");

  ASSERT_EQ(plan.scenarios.size(), 1u);
  const Scenario& s = plan.scenarios[0];
  EXPECT_EQ(s.name, "browse");
  EXPECT_EQ(s.weight, 3);
  ASSERT_EQ(s.flow.size(), 2u);

  const auto& login = std::get<Request>(s.flow[0].action);
  EXPECT_EQ(login.method, Method::kPost);
  EXPECT_EQ(login.url.source(), "/auth/login");
  EXPECT_EQ(login.name, "/auth/login");
  EXPECT_EQ(login.content_type, "application/json");
  ASSERT_TRUE(login.body.has_value());
  Vars vars;
  vars.set("user", "alice");
  vars.set("pageSize", "20");
  EXPECT_EQ(render(*login.body, vars), R"({"username":"alice","password":"pw"})");
  EXPECT_EQ(login.loc.line, 15);

  const auto& loop = std::get<Loop>(s.flow[1].action);
  EXPECT_EQ(loop.count, 3);
  ASSERT_EQ(loop.steps.size(), 2u);
  const auto& list = std::get<Request>(loop.steps[0].action);
  EXPECT_EQ(list.method, Method::kGet);
  EXPECT_EQ(list.name, "list items");
  EXPECT_EQ(render(list.url, vars), "/catalog/items?limit=20");
  EXPECT_EQ(std::get<Think>(loop.steps[1].action).seconds, 0.5);

  // metrics-by-endpoint names a named request "url (name)", as Artillery does.
  EXPECT_THAT(
      plan.endpoints,
      ::testing::ElementsAre("/auth/login", "/catalog/items?limit={{ pageSize }} (list items)"));
  EXPECT_EQ(login.endpoint_id, 0);
  EXPECT_EQ(list.endpoint_id, 1);
}

TEST(Loader, EndpointsAreSharedByName) {
  const Plan plan =
      load(with_flow("      - get: { url: /a }\n"
                     "      - get: { url: /b, name: shared }\n"
                     "      - post: { url: /c, name: shared }\n"
                     "      - get: { url: /a }\n"));
  EXPECT_THAT(plan.endpoints, ::testing::ElementsAre("/a", "/b (shared)", "/c (shared)"));
}

TEST(Loader, NestedLoopsAndThinkDurations) {
  const Plan plan =
      load(with_flow("      - loop:\n"
                     "          - loop:\n"
                     "              - delete: { url: /x }\n"
                     "            count: 2\n"
                     "          - think: 500ms\n"
                     "        count: 0\n"));
  const auto& outer = std::get<Loop>(plan.scenarios[0].flow[0].action);
  EXPECT_EQ(outer.count, 0);
  const auto& inner = std::get<Loop>(outer.steps[0].action);
  EXPECT_EQ(inner.count, 2);
  EXPECT_EQ(std::get<Request>(inner.steps[0].action).method, Method::kDelete);
  EXPECT_EQ(std::get<Think>(outer.steps[1].action).seconds, 0.5);
}

TEST(Loader, JsonBodiesKeepYamlTypes) {
  const Plan plan = load(with_flow(R"(      - put:
          url: /items/1
          json:
            id: 7
            price: -1.25e2
            plus: +3
            on: true
            off: False
            nothing: null
            tilde: ~
            empty:
            quoted: "5"
            yes_word: yes
            hex: 0x1F
            text: 'say "hi"\n'
            "{{ key }}": "{{ value }}"
            list: [1, "two", [], {}]
            nested: { a: { b: [null] } }
)"));
  const auto& r = std::get<Request>(plan.scenarios[0].flow[0].action);
  ASSERT_TRUE(r.body.has_value());
  EXPECT_FALSE(r.body->is_static());
  Vars v;
  v.set("key", "k\"");
  v.set("value", "line\nbreak");
  EXPECT_EQ(render(*r.body, v),
            R"({"id":7,"price":-1.25e2,"plus":3,"on":true,"off":false,"nothing":null,)"
            R"("tilde":null,"empty":null,"quoted":"5","yes_word":"yes","hex":"0x1F",)"
            R"("text":"say \"hi\"\\n","k\"":"line\nbreak","list":[1,"two",[],{}],)"
            R"("nested":{"a":{"b":[null]}}})");
}

TEST(Loader, StaticJsonBodyAndStringBody) {
  const Plan plan =
      load(with_flow("      - post: { url: /a, json: [1, 2] }\n"
                     "      - patch: { url: /b, body: 'raw {{ x }}', followRedirect: false }\n"));
  const auto& a = std::get<Request>(plan.scenarios[0].flow[0].action);
  EXPECT_TRUE(a.body->is_static());
  EXPECT_EQ(a.body->source(), "[1,2]");
  const auto& b = std::get<Request>(plan.scenarios[0].flow[1].action);
  EXPECT_EQ(b.content_type, "");
  EXPECT_EQ(b.body->source(), "raw {{ x }}");
  EXPECT_EQ(b.follow_redirect, false);
  EXPECT_FALSE(a.follow_redirect.has_value());
}

TEST(Loader, HeadersMergeLegacyAndHttpDefaults) {
  const Plan plan = load(R"(config:
  target: http://127.0.0.1:1
  phases: [{ duration: 1, arrivalRate: 1 }]
  defaults:
    headers: { x-client: legacy, Accept: text/plain }
  http:
    defaults:
      headers: { accept: application/json, x-trace: "{{ $uuid }}" }
scenarios:
  - flow:
      - get: { url: /, headers: { x-step: "1", x-num: 5 } }
)");
  ASSERT_EQ(plan.default_headers.size(), 3u);
  EXPECT_EQ(plan.default_headers[0].name, "x-client");
  EXPECT_EQ(plan.default_headers[1].name, "accept");
  EXPECT_EQ(render(plan.default_headers[1].value), "application/json");
  EXPECT_EQ(plan.default_headers[2].name, "x-trace");
  EXPECT_FALSE(plan.default_headers[2].value.is_static());
  const auto& r = std::get<Request>(plan.scenarios[0].flow[0].action);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].name, "x-num");
  EXPECT_EQ(render(r.headers[1].value), "5");
}

TEST(Loader, ClosedModelAndOpenModelOptions) {
  const Plan plan = load(R"(config:
  target: http://127.0.0.1:1
  phases:
    - { duration: 2m, vusers: 25 }
    - { duration: 1, arrivalCount: 100, maxVusers: 10 }
    - { duration: 1, arrivalRate: 0, rampTo: 10 }
  http: { pool: 8, extendedMetrics: true, timeout: 1500ms }
  tls: { rejectUnauthorized: false }
scenarios:
  - { name: a, weight: 0, flow: [] }
  - { name: b, flow: [ { head: { url: /h } }, { options: { url: /o } } ] }
)");
  EXPECT_TRUE(plan.phases[0].closed());
  EXPECT_EQ(plan.phases[0].vusers, 25);
  EXPECT_EQ(plan.phases[0].duration_s, 120);
  EXPECT_FALSE(plan.phases[1].closed());
  EXPECT_EQ(plan.phases[1].arrival_count, 100);
  EXPECT_EQ(plan.phases[1].max_vusers, 10);
  EXPECT_EQ(plan.phases[2].arrival_rate, 0);
  EXPECT_EQ(plan.phases[2].ramp_to, 10.0);
  EXPECT_EQ(plan.http.pool, 8);
  EXPECT_TRUE(plan.http.extended_metrics);
  EXPECT_EQ(plan.http.timeout_s, 1.5);
  EXPECT_FALSE(plan.http.reject_unauthorized);
  EXPECT_EQ(plan.scenarios[0].weight, 0);
  EXPECT_EQ(plan.scenarios[1].weight, 1);
  EXPECT_EQ(std::get<Request>(plan.scenarios[1].flow[0].action).method, Method::kHead);
}

TEST(Loader, TargetOverrideWins) {
  LoadOptions options;
  options.target_override = "http://127.0.0.1:9999";
  EXPECT_EQ(load(kQuickstart, options).target, "http://127.0.0.1:9999");
}

TEST(Loader, TargetOverrideSatisfiesRelativeUrls) {
  LoadOptions options;
  options.target_override = "http://127.0.0.1:9999";
  const Plan plan = load(R"(config:
  phases: [{ duration: 1, arrivalRate: 1 }]
scenarios: [{ flow: [{ get: { url: /x } }] }]
)",
                         options);
  EXPECT_EQ(plan.target, "http://127.0.0.1:9999");
}

TEST(Loader, AbsoluteUrlsNeedNoTarget) {
  const Plan plan = load(R"(config:
  phases: [{ duration: 1, arrivalRate: 1 }]
scenarios:
  - flow:
      - get: { url: "http://127.0.0.1:1/x" }
      - get: { url: "{{ base }}/y" }
)");
  EXPECT_EQ(plan.target, "");
}

TEST(Loader, LoadsFromFile) {
  const auto path = std::filesystem::temp_directory_path() / "barrage_loader_test.yml";
  {
    std::ofstream out(path);
    out << kQuickstart;
  }
  const Plan plan = load_plan_file(path.string(), {}).value();
  std::filesystem::remove(path);
  EXPECT_EQ(plan.source_path, path.string());
  EXPECT_EQ(plan.phases.size(), 4u);
}

TEST(Loader, MissingFileIsAScriptError) {
  const auto plan = load_plan_file("/nonexistent/dir/script.yml", {});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().file, "/nonexistent/dir/script.yml");
  EXPECT_EQ(plan.error().line, 0);
  EXPECT_EQ(plan.error().column, 0);
  EXPECT_THAT(plan.error().describe(),
              ::testing::StartsWith("/nonexistent/dir/script.yml: cannot read script"));
}

TEST(Loader, DirectoryIsAScriptError) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const auto plan = load_plan_file(dir, {});
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().describe(), dir + ": cannot read script: it is a directory");
}

TEST(Loader, ValidFuzzSeedsLoad) {
  for (const char* name : {"quickstart.yml", "full_surface.yml"}) {
    const std::string path = std::string(BARRAGE_SOURCE_DIR) + "/tests/fuzz/corpus/script/" + name;
    const auto plan = load_plan_file(path, {});
    EXPECT_TRUE(plan) << name << ": " << plan.error().describe();
  }
}

TEST(Plan, MethodNames) {
  EXPECT_STREQ(method_name(Method::kGet), "GET");
  EXPECT_STREQ(method_name(Method::kPost), "POST");
  EXPECT_STREQ(method_name(Method::kPut), "PUT");
  EXPECT_STREQ(method_name(Method::kPatch), "PATCH");
  EXPECT_STREQ(method_name(Method::kDelete), "DELETE");
  EXPECT_STREQ(method_name(Method::kHead), "HEAD");
  EXPECT_STREQ(method_name(Method::kOptions), "OPTIONS");
}

}  // namespace
}  // namespace barrage::script
