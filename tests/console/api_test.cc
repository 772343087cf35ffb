// The console's REST API (and the CLI talking to it) end to end: a console on 127.0.0.1 with a
// fresh data directory, its runs real `barrage run` processes of the built binary against the demo
// target on 127.0.0.1. Every run is bounded (a few seconds of a few arrivals per second, or
// stopped); waits are bounded by count, and nothing asserts on time.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "console/console.h"
#include "demo_target/target_server.h"
#include "run/registry.h"

namespace barrage::console {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kBarrage = BARRAGE_BINARY_DIR "/barrage";

std::string temp_dir() {
  char tmpl[] = "/tmp/barrage-console-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return {};
  return tmpl;
}

// A console served on its own thread until destroyed.
class Served {
 public:
  explicit Served(ConsoleOptions o) {
    auto opened = Console::open(o);
    if (opened) {
      console_ = std::move(*opened);
      thread_ = std::thread([this] { console_->serve(); });
    } else {
      error_ = opened.error().message;
    }
  }
  ~Served() {
    if (console_) {
      console_->stop();
      thread_.join();
    }
  }
  Console* operator->() { return console_.get(); }
  explicit operator bool() const { return console_ != nullptr; }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<Console> console_;
  std::thread thread_;
  std::string error_;
};

struct Events {
  std::vector<json> periods;
  std::optional<json> end;
};

class ConsoleApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kBarrage)) << kBarrage;
    const auto started = target_.start();
    ASSERT_TRUE(started) << started.error().describe();
    dir_ = temp_dir();
    ASSERT_FALSE(dir_.empty());
    open_console();
    ASSERT_TRUE(console_);
    ASSERT_TRUE((*console_)->first_admin_token());
    admin_ = *(*console_)->first_admin_token();
  }
  void TearDown() override {
    console_.reset();
    fs::remove_all(dir_);
  }

  void open_console(size_t max_body = 1 << 20, const std::string& exe = kBarrage) {
    ConsoleOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = dir_;
    o.barrage_exe = exe;
    o.max_body_bytes = max_body;
    console_.reset();
    console_ = std::make_unique<Served>(o);
    ASSERT_TRUE(*console_) << console_->error();
    port_ = (*console_)->port();
  }

  std::unique_ptr<httplib::Client> client(const std::string& token) const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(60, 0);
    if (!token.empty()) c->set_bearer_token_auth(token);
    return c;
  }

  std::string target_url(const std::string& path = "/health") const {
    return "http://127.0.0.1:" + std::to_string(target_.port()) + path;
  }

  // Creates a test from the form; returns its id.
  int64_t form_test(const std::string& name, double rate, int duration) {
    const json body = {{"name", name},
                       {"form", {{"url", target_url()}, {"rate", rate}, {"duration", duration}}}};
    auto res = client(admin_)->Post("/api/v1/tests", body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return -1;
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body).at("id").get<int64_t>();
  }

  std::string start(int64_t test_id) {
    auto res = client(admin_)->Post("/api/v1/tests/" + std::to_string(test_id) + "/runs", "",
                                    "application/json");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body).at("id").get<std::string>();
  }

  // Reads the run's live stream to its end; `on_first_period` runs once.
  // `broken`: the stream is expected to break off (the console is killed).
  Events follow(const std::string& run_id, const std::function<void()>& on_first_period = {},
                bool broken = false) {
    Events ev;
    std::string buffer;
    auto c = client(admin_);
    auto res = c->Get("/api/v1/runs/" + run_id + "/live", [&](const char* data, size_t len) {
      buffer.append(data, len);
      for (size_t cut; (cut = buffer.find("\n\n")) != std::string::npos;) {
        const std::string block = buffer.substr(0, cut);
        buffer.erase(0, cut + 2);
        std::smatch m;
        if (!std::regex_search(block, m, std::regex("^event: (\\w+)\ndata: (.*)$"))) continue;
        const json data_json = json::parse(m[2].str());
        if (m[1] == "period") {
          ev.periods.push_back(data_json);
          if (ev.periods.size() == 1 && on_first_period) on_first_period();
        } else if (m[1] == "end") {
          ev.end = data_json;
        }
      }
      return true;
    });
    if (broken) {
      EXPECT_FALSE(res);
    } else {
      EXPECT_TRUE(res);
      if (res) {
        EXPECT_EQ(res->status, 200);
      }
    }
    return ev;
  }

  json get_json(const std::string& path) {
    auto res = client(admin_)->Get(path);
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
    return json::parse(res->body, nullptr, false);
  }

  std::string new_token(const std::string& scope) {
    const json body = {{"name", scope + " token"}, {"scope", scope}};
    auto res = client(admin_)->Post("/api/v1/tokens", body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return {};
    EXPECT_EQ(res->status, 201) << res->body;
    return json::parse(res->body).at("token").get<std::string>();
  }

  demo_target::TargetServer target_{demo_target::TargetOptions{}};
  std::string dir_;
  std::unique_ptr<Served> console_;
  int port_ = 0;
  std::string admin_;
};

// A route's path with its parameters filled in.
std::string concrete(const std::string& path) {
  return std::regex_replace(path, std::regex("\\{id\\}"),
                            path.find("/runs/") != std::string::npos ? "r-none" : "1");
}

httplib::Result call(httplib::Client& c, const std::string& method, const std::string& path) {
  if (method == "GET") return c.Get(path);
  if (method == "POST") return c.Post(path, "{}", "application/json");
  if (method == "PUT") return c.Put(path, "{}", "application/json");
  return c.Delete(path);
}

TEST_F(ConsoleApiTest, EveryRouteNeedsAToken) {
  for (const auto& r : api_routes()) {
    for (const std::string& token : {std::string(), std::string("brg_not-a-token")}) {
      auto c = client(token);
      auto res = call(*c, r.method, concrete(r.path));
      ASSERT_TRUE(res) << r.method << " " << r.path;
      EXPECT_EQ(res->status, 401) << r.method << " " << r.path;
      EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
}

TEST_F(ConsoleApiTest, AScopeBelowTheRoutesIsForbidden) {
  const std::string read = new_token("read");
  const std::string run = new_token("run");
  int forbidden = 0;
  for (const auto& r : api_routes()) {
    for (const auto& [scope, token] : {std::pair{"read", read}, std::pair{"run", run}}) {
      const bool allowed = r.scope == "read" || (r.scope == "run" && std::string(scope) == "run");
      auto c = client(token);
      auto res = call(*c, r.method, concrete(r.path));
      ASSERT_TRUE(res);
      if (allowed) {
        EXPECT_NE(res->status, 403) << scope << " " << r.method << " " << r.path;
        EXPECT_NE(res->status, 401) << scope << " " << r.method << " " << r.path;
      } else {
        EXPECT_EQ(res->status, 403) << scope << " " << r.method << " " << r.path << res->body;
        ++forbidden;
      }
    }
  }
  EXPECT_GE(forbidden, 8);
}

TEST_F(ConsoleApiTest, TokensAreCreatedListedWithoutValuesAndRevoked) {
  auto c = client(admin_);
  auto res =
      c->Post("/api/v1/tokens", json{{"name", "ci"}, {"scope", "run"}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const json created = json::parse(res->body);
  const std::string token = created.at("token");
  EXPECT_EQ(client(token)->Get("/api/v1/tests")->status, 200);
  const json list = get_json("/api/v1/tokens");
  ASSERT_EQ(list.at("tokens").size(), 2U);
  EXPECT_EQ(list.dump().find(token.substr(4)), std::string::npos);
  EXPECT_EQ(c->Delete("/api/v1/tokens/" + std::to_string(created.at("id").get<int>()))->status,
            204);
  EXPECT_EQ(client(token)->Get("/api/v1/tests")->status, 401);
  EXPECT_EQ(c->Delete("/api/v1/tokens/999")->status, 404);
  EXPECT_EQ(
      c->Post("/api/v1/tokens", json{{"name", "x"}, {"scope", "root"}}.dump(), "application/json")
          ->status,
      400);
}

TEST_F(ConsoleApiTest, TestsAreCreatedReadUpdatedAndDeleted) {
  auto c = client(admin_);
  const std::string script = "config:\n  target: " + target_url("") +
                             "\n  phases:\n    - duration: 1\n      arrivalRate: 1\n"
                             "scenarios:\n  - flow:\n      - get:\n          url: /health\n";
  auto res = c->Post("/api/v1/tests", json{{"name", "<b>home</b>"}, {"script", script}}.dump(),
                     "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const int64_t id = json::parse(res->body).at("id");
  EXPECT_EQ(res->get_header_value("Location"), "/api/v1/tests/" + std::to_string(id));
  json got = get_json("/api/v1/tests/" + std::to_string(id));
  EXPECT_EQ(got.at("name"), "<b>home</b>");  // stored as given; the UI writes it as text
  EXPECT_EQ(got.at("script"), script);
  const json list = get_json("/api/v1/tests");
  ASSERT_EQ(list.at("tests").size(), 1U);
  EXPECT_FALSE(list.at("tests")[0].contains("script"));

  res = c->Put("/api/v1/tests/" + std::to_string(id),
               json{{"name", "home v2"}, {"script", script}}.dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(get_json("/api/v1/tests/" + std::to_string(id)).at("name"), "home v2");
  EXPECT_EQ(c->Put("/api/v1/tests/999", json{{"name", "x"}, {"script", script}}.dump(),
                   "application/json")
                ->status,
            404);
  EXPECT_EQ(c->Delete("/api/v1/tests/" + std::to_string(id))->status, 204);
  EXPECT_EQ(c->Get("/api/v1/tests/" + std::to_string(id))->status, 404);
  EXPECT_EQ(c->Delete("/api/v1/tests/" + std::to_string(id))->status, 404);
}

TEST_F(ConsoleApiTest, BadBodiesAreRefusedWithTheReason) {
  auto c = client(admin_);
  auto res = c->Post("/api/v1/tests", "not json", "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("JSON object"), std::string::npos);
  res = c->Post("/api/v1/tests", json{{"name", "x"}}.dump(), "application/json");
  EXPECT_EQ(res->status, 400);
  res = c->Post("/api/v1/tests", json{{"script", "a: 1"}}.dump(), "application/json");
  EXPECT_EQ(res->status, 400);
  res = c->Post(
      "/api/v1/tests",
      json{{"name", "f"}, {"form", {{"url", "ftp://x/"}, {"rate", 1}, {"duration", 1}}}}.dump(),
      "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("form.url"), std::string::npos) << res->body;
  res = c->Post("/api/v1/tests", json{{"name", "a\x1b[31mred"}, {"script", "a: 1"}}.dump(),
                "application/json");
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("control characters"), std::string::npos) << res->body;
  EXPECT_EQ(c->Get("/api/v1/runs?test_id=abc")->status, 400);
  EXPECT_EQ(c->Get("/api/v1/nothing")->status, 404);
}

TEST_F(ConsoleApiTest, AScriptErrorComesBackWithFileLineAndColumn) {
  auto c = client(admin_);
  const std::string bad =
      "config:\n  target: http://127.0.0.1:1\n  phases:\n    - duration: 10\n"
      "scenarios:\n  - flow:\n      - get:\n          url: /\n";
  for (const char* path : {"/api/v1/tests", "/api/v1/validate"}) {
    auto res = c->Post(path, json{{"name", "bad"}, {"script", bad}}.dump(), "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << path << ": " << res->body;
    const json e = json::parse(res->body).at("error");
    EXPECT_EQ(e.at("script_error").at("file"), "script.yml");
    EXPECT_EQ(e.at("script_error").at("line"), 4);
    EXPECT_EQ(e.at("script_error").at("column"), 7);
    EXPECT_EQ(e.at("message").get<std::string>().rfind("script.yml:4:7: ", 0), 0U);
  }
  EXPECT_TRUE(get_json("/api/v1/tests").at("tests").empty());
  const std::string good =
      "config:\n  target: http://127.0.0.1:1\n  phases:\n    - duration: 10\n"
      "      arrivalRate: 1\nscenarios:\n  - flow:\n      - get:\n          "
      "url: /\n";
  auto res = c->Post("/api/v1/validate", json{{"script", good}}.dump(), "application/json");
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body).at("phases"), 1);
}

TEST_F(ConsoleApiTest, ABodyOverTheLimitIs413) {
  open_console(4096);
  auto c = client(admin_);
  const std::string big = json{{"name", "big"}, {"script", std::string(8192, '#')}}.dump();
  auto res = c->Post("/api/v1/tests", big, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  res = c->Post("/api/v1/validate", json{{"script", "a: 1"}}.dump(), "application/json");
  EXPECT_NE(res->status, 413);
}

TEST_F(ConsoleApiTest, TheUiIsServedWithAStrictContentSecurityPolicy) {
  auto c = client("");
  auto res = c->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("/ui/app.js"), std::string::npos);
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  res = c->Get("/ui/app.js");
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("/api/v1/runs/"), std::string::npos);
  EXPECT_EQ(res->body.find("innerHTML"), std::string::npos);
  EXPECT_EQ(c->Get("/ui/app.css")->status, 200);
}

TEST_F(ConsoleApiTest, ARunStreamsItsPeriodsAndKeepsItsSeriesAndReport) {
  const int64_t test = form_test("health", 5, 2);
  const std::string run = start(test);
  ASSERT_FALSE(run.empty());
  const Events ev = follow(run);
  ASSERT_TRUE(ev.end);
  EXPECT_EQ(ev.end->at("status"), "passed");
  EXPECT_EQ(ev.end->at("exit_code"), 0);
  ASSERT_FALSE(ev.periods.empty());
  uint64_t live_requests = 0;
  for (const auto& p : ev.periods) live_requests += p.at("requests").get<uint64_t>();
  EXPECT_EQ(live_requests, 10U);  // 5 arrivals a second for 2 s, one request each

  const json stored = get_json("/api/v1/runs/" + run);
  EXPECT_EQ(stored.at("status"), "passed");
  EXPECT_EQ(stored.at("test_id"), test);
  EXPECT_EQ(stored.at("series").size(), ev.periods.size());
  EXPECT_EQ(stored.at("series"), json(ev.periods));
  const json report = get_json("/api/v1/runs/" + run + "/report");
  EXPECT_EQ(report.at("aggregate").at("counters").at("http.codes.200"), 10);
  // A finished run's live stream is its stored series, then the end.
  const Events again = follow(run);
  EXPECT_EQ(json(again.periods), json(ev.periods));
  ASSERT_TRUE(again.end);
  const json runs = get_json("/api/v1/runs?test_id=" + std::to_string(test));
  ASSERT_EQ(runs.at("runs").size(), 1U);
  EXPECT_EQ(runs.at("runs")[0].at("id"), run);
  EXPECT_EQ(client(admin_)->Post("/api/v1/runs/" + run + "/stop", "", "application/json")->status,
            409);
  EXPECT_EQ(client(admin_)->Post("/api/v1/runs/r-none/stop", "", "application/json")->status, 404);
  EXPECT_EQ(client(admin_)->Post("/api/v1/tests/999/runs", "", "application/json")->status, 404);
}

TEST_F(ConsoleApiTest, StopEndsARunningTestWithItsPartialResults) {
  const int64_t test = form_test("long", 5, 600);
  const std::string run = start(test);
  int stop_status = 0;
  const Events ev = follow(run, [&] {
    stop_status =
        client(admin_)->Post("/api/v1/runs/" + run + "/stop", "", "application/json")->status;
  });
  EXPECT_EQ(stop_status, 202);
  ASSERT_TRUE(ev.end);
  EXPECT_EQ(ev.end->at("status"), "stopped");
  EXPECT_EQ(ev.end->at("exit_code"), 130);
  EXPECT_TRUE(ev.end->at("has_report").get<bool>());
  const json report = get_json("/api/v1/runs/" + run + "/report");
  EXPECT_GT(report.at("aggregate").at("counters").at("http.requests").get<int>(), 0);
  EXPECT_LT(report.at("aggregate").at("counters").at("http.requests").get<int>(), 3000);
}

TEST_F(ConsoleApiTest, RunsPastMaxRunsAreRefusedWith429) {
  console_.reset();
  ConsoleOptions o;
  o.listen = "127.0.0.1:0";
  o.data_dir = dir_;
  o.barrage_exe = kBarrage;
  o.max_runs = 1;
  console_ = std::make_unique<Served>(o);
  ASSERT_TRUE(*console_) << console_->error();
  port_ = (*console_)->port();
  const int64_t test = form_test("long", 5, 600);
  const std::string run = start(test);
  auto res = client(admin_)->Post("/api/v1/tests/" + std::to_string(test) + "/runs", "",
                                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_NE(res->body.find("--max-runs"), std::string::npos) << res->body;
  EXPECT_EQ(client(admin_)->Post("/api/v1/runs/" + run + "/stop", "", "application/json")->status,
            202);
  const Events ev = follow(run);
  ASSERT_TRUE(ev.end);
  EXPECT_EQ(ev.end->at("status"), "stopped");
  // Stopped at once, before the run could handle SIGINT: the stop waited for
  // it, so the run still ended as a stop does, with its report.
  EXPECT_EQ(ev.end->at("exit_code"), 130);
  EXPECT_TRUE(ev.end->at("has_report").get<bool>());
  EXPECT_EQ(get_json("/api/v1/runs").at("runs").size(), 1U);  // the refused one left no row
}

TEST_F(ConsoleApiTest, ARunProcessThatCrashesIsReportedAndTheConsoleCarriesOn) {
  // A stand-in for a `barrage run` that dies of SIGSEGV: a real process that
  // crashes, so the console's handling of it is what is tested.
  const std::string crasher = dir_ + "/crash.sh";
  {
    std::ofstream out(crasher);
    out << "#!/bin/sh\nkill -SEGV $$\n";
  }
  fs::permissions(crasher, fs::perms::owner_all);
  open_console(1 << 20, crasher);
  const std::string run = start(form_test("crash", 1, 1));
  const Events ev = follow(run);
  ASSERT_TRUE(ev.end);
  EXPECT_EQ(ev.end->at("status"), "crashed");
  EXPECT_NE(ev.end->at("error").get<std::string>().find("signal 11"), std::string::npos)
      << ev.end->dump();
  EXPECT_EQ(client(admin_)->Get("/api/v1/runs")->status, 200);
}

TEST_F(ConsoleApiTest, ARestartKeepsFinishedRunsAndTheTokens) {
  const std::string run = start(form_test("short", 5, 1));
  ASSERT_TRUE(follow(run).end);
  const json before = get_json("/api/v1/runs/" + run);
  open_console();  // closes the first console, opens the same data directory
  EXPECT_FALSE((*console_)->first_admin_token());
  EXPECT_EQ((*console_)->interrupted_at_start(), 0);
  EXPECT_EQ(get_json("/api/v1/runs/" + run), before);
  EXPECT_EQ(get_json("/api/v1/tests").at("tests").size(), 1U);
}

// POST with a JSON body as the admin.
httplib::Result post_json(httplib::Client& c, const std::string& path, const json& body) {
  return c.Post(path, body.dump(), "application/json");
}

TEST_F(ConsoleApiTest, SchedulesArePreviewedCheckedPausedAndSurviveARestart) {
  const int64_t test = form_test("nightly", 1, 1);
  auto c = client(admin_);
  // The preview: 5 fire times in the zone, with their offsets; nothing stored.
  auto res = post_json(*c, "/api/v1/schedules/preview",
                       {{"cron", "30 2 * * *"}, {"timezone", "Europe/Berlin"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json preview = json::parse(res->body);
  ASSERT_EQ(preview.at("next").size(), 5U);
  for (const auto& n : preview.at("next")) {
    const std::string local = n.at("local").get<std::string>();
    EXPECT_EQ(local.substr(10, 9), "T02:30:00") << local;
    EXPECT_TRUE(local.ends_with("+01:00") || local.ends_with("+02:00")) << local;
  }
  // Bad input: 400 with the reason, nothing stored.
  const auto refused = [&](const json& body, const std::string& why) {
    auto r = post_json(*c, "/api/v1/schedules", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << body.dump() << ": " << r->body;
    EXPECT_NE(r->body.find(why), std::string::npos) << r->body;
  };
  refused({{"test_id", test}, {"cron", "0 25 * * *"}}, "hour field '25'");
  refused({{"test_id", test}, {"cron", "0 2 * * *"}, {"timezone", "Moon/Base"}},
          "unknown time zone 'Moon/Base'");
  refused({{"test_id", test}, {"at", "2036-03-30T02:30"}, {"timezone", "Europe/Berlin"}},
          "does not exist in Europe/Berlin");
  refused({{"test_id", test}, {"cron", "0 2 * * *"}, {"overlap", "always"}}, "overlap must be");
  refused({{"test_id", test + 50}, {"cron", "0 2 * * *"}}, "no such test");
  refused({{"test_id", test}, {"cron", 5}}, "are strings");
  res = post_json(*c, "/api/v1/schedules/preview", {{"cron", "* * *"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(get_json("/api/v1/schedules").at("schedules").size(), 0U);

  res = post_json(*c, "/api/v1/schedules",
                  {{"test_id", test},
                   {"cron", "30 2 * * *"},
                   {"timezone", "Europe/Berlin"},
                   {"missed", "run_once"},
                   {"overlap", "queue"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const json created = json::parse(res->body);
  const std::string path = "/api/v1/schedules/" + std::to_string(created.at("id").get<int64_t>());
  EXPECT_EQ(created.at("state"), "active");
  EXPECT_EQ(created.at("next_ms"), preview.at("next")[0].at("ms"));
  EXPECT_EQ(created.at("next"), preview.at("next")[0].at("local"));
  res = c->Post(path + "/pause", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body).at("state"), "paused");
  EXPECT_EQ(json::parse(res->body).at("next"), nullptr);
  res = c->Post(path + "/resume", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body).at("state"), "active");
  res = c->Put(
      path,
      json{{"test_id", test}, {"cron", "0 6 * * mon"}, {"timezone", "America/New_York"}}.dump(),
      "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const json updated = json::parse(res->body);
  EXPECT_EQ(updated.at("timezone"), "America/New_York");
  EXPECT_TRUE(updated.at("next").get<std::string>().find("T06:00:00-0") != std::string::npos)
      << updated.at("next");
  std::vector<std::string> kinds;
  for (const auto& e : updated.at("events")) kinds.push_back(e.at("kind"));
  EXPECT_EQ(kinds, (std::vector<std::string>{"updated", "resumed", "paused"}));  // newest first
  EXPECT_EQ(get_json("/api/v1/schedules?test_id=" + std::to_string(test)).at("schedules").size(),
            1U);

  open_console();  // a restart keeps it as it was
  json again = get_json(path);
  again.erase("events");
  json before = updated;
  before.erase("events");
  EXPECT_EQ(again, before);
  c = client(admin_);
  res = c->Delete(path);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  res = c->Get(path);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(ConsoleApiTest, AOneShotScheduleStartsARealRun) {
  const int64_t test = form_test("soon", 2, 1);
  // Four seconds from now, in UTC, to the second (room for a slow POST).
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + 4;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
  auto c = client(admin_);
  auto res = post_json(*c, "/api/v1/schedules", {{"test_id", test}, {"at", at}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const std::string path =
      "/api/v1/schedules/" + std::to_string(json::parse(res->body).at("id").get<int64_t>());
  json schedule;
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    schedule = get_json(path);
    if (schedule.at("state") != "active") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(schedule.at("state"), "done") << schedule.dump();
  const json& events = schedule.at("events");
  ASSERT_EQ(events.size(), 2U) << events.dump();
  EXPECT_EQ(events[1].at("kind"), "fired");
  const std::string run = events[1].at("run_id").get<std::string>();
  const Events ev = follow(run);
  ASSERT_TRUE(ev.end);
  const json r = get_json("/api/v1/runs/" + run);
  EXPECT_EQ(r.at("test_id"), test);
  EXPECT_EQ(r.at("status"), "passed") << r.dump();
}

// `barrage console tests|runs|start|stop` as a user runs it: output and exit code.
struct Cli {
  std::string output;
  int exit_code = -1;
};

Cli run_cli(const std::string& args, const std::string& token, int port) {
  const std::string cmd = "BARRAGE_CONSOLE_TOKEN='" + token +
                          "' BARRAGE_CONSOLE_URL=http://127.0.0.1:" + std::to_string(port) + " " +
                          kBarrage + " console " + args + " 2>&1";
  Cli out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.output.append(buf, n);
  const int status = ::pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST_F(ConsoleApiTest, TheCliStartsWaitsListsAndStops) {
  const int64_t test = form_test("cli health", 5, 2);
  Cli c = run_cli("tests", admin_, port_);
  EXPECT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find("cli health"), std::string::npos) << c.output;

  c = run_cli("start " + std::to_string(test) + " --wait", admin_, port_);
  EXPECT_EQ(c.exit_code, 0) << c.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(c.output, m, std::regex("Run (r-[0-9a-z-]+) started"))) << c.output;
  const std::string done = m[1].str();
  EXPECT_NE(c.output.find("Run " + done + " passed"), std::string::npos) << c.output;
  EXPECT_NE(c.output.find(" req/s  p50 "), std::string::npos) << c.output;

  c = run_cli("runs --test " + std::to_string(test), admin_, port_);
  EXPECT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find(done + " "), std::string::npos) << c.output;
  EXPECT_NE(c.output.find("passed"), std::string::npos) << c.output;

  // A long run started without --wait, stopped from the CLI.
  c = run_cli("start " + std::to_string(form_test("cli long", 5, 600)), admin_, port_);
  EXPECT_EQ(c.exit_code, 0) << c.output;
  ASSERT_TRUE(std::regex_search(c.output, m, std::regex("Run (r-[0-9a-z-]+) started"))) << c.output;
  const std::string long_run = m[1].str();
  const Cli stop = run_cli("stop " + long_run, admin_, port_);
  EXPECT_EQ(stop.exit_code, 0) << stop.output;
  const Events ev = follow(long_run);
  ASSERT_TRUE(ev.end);
  EXPECT_EQ(ev.end->at("status"), "stopped");

  c = run_cli("stop " + long_run, admin_, port_);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("HTTP 409"), std::string::npos) << c.output;
  c = run_cli("runs", "brg_wrong", port_);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("HTTP 401"), std::string::npos) << c.output;
  c = run_cli("runs", "", port_);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.output.find("no token"), std::string::npos) << c.output;
}

TEST(ConsoleListen, AnAddressBeyondLoopbackNeedsAllowRemote) {
  const std::string dir = temp_dir();
  ConsoleOptions o;
  o.data_dir = dir;
  o.barrage_exe = kBarrage;
  for (const char* listen : {"0.0.0.0:0", "192.0.2.1:8089", "[::]:0"}) {
    o.listen = listen;
    const auto opened = Console::open(o);
    ASSERT_FALSE(opened) << listen;
    EXPECT_NE(opened.error().message.find("--allow-remote"), std::string::npos)
        << opened.error().message;
  }
  o.listen = "127.0.0.1";
  const auto opened = Console::open(o);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("HOST:PORT"), std::string::npos) << opened.error().message;
  fs::remove_all(dir);
}

// The console process is killed (SIGKILL) during a run: the run process stops
// (its parent-death signal), and the next console marks the run interrupted
// with the series stored until then, the rest of the history intact.
TEST_F(ConsoleApiTest, AConsoleKilledDuringARunLeavesItInterrupted) {
  console_.reset();
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(kBarrage.c_str(), kBarrage.c_str(), "console", "--listen", "127.0.0.1:0", "--data",
          dir_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  // The console prints its address (no token: SetUp's console created the
  // first one in this data directory, and admin_ still holds).
  std::string text;
  char buf[512];
  std::smatch m;
  while (!std::regex_search(text, m, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)/"))) {
    const ssize_t n = read(out[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the console exited: " << text;
    text.append(buf, static_cast<size_t>(n));
  }
  port_ = std::stoi(m[1].str());
  const std::string done = start(form_test("short", 5, 1));
  ASSERT_TRUE(follow(done).end);
  const json done_before = get_json("/api/v1/runs/" + done);

  const std::string run = start(form_test("long", 5, 600));
  Events ev = follow(
      run, [&] { ::kill(pid, SIGKILL); }, true);
  EXPECT_FALSE(ev.end);  // the stream broke off with the console
  EXPECT_FALSE(ev.periods.empty());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  close(out[0]);
  // The orphaned run stops by itself (SIGTERM from its parent's death).
  bool ended = false;
  for (int i = 0; i < 600 && !ended; ++i) {
    ended = !run::find_run(run).has_value();
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(ended) << "the run process outlived its console";

  open_console();
  EXPECT_EQ((*console_)->interrupted_at_start(), 1);
  const json r = get_json("/api/v1/runs/" + run);
  EXPECT_EQ(r.at("status"), "interrupted");
  EXPECT_GE(r.at("series").size(), 1U);
  EXPECT_EQ(get_json("/api/v1/runs/" + done), done_before);
}

TEST_F(ConsoleApiTest, BaselineCompareTrendAndTheHtmlReport) {
  const int64_t test = form_test("compare me", 5, 2);
  const std::string tpath = "/api/v1/tests/" + std::to_string(test);
  const std::string first = start(test);
  ASSERT_TRUE(follow(first).end);
  auto c = client(admin_);
  // No baseline yet: compare needs one or base=.
  auto res = c->Get("/api/v1/compare?run=" + first);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 409) << res->body;
  res = c->Post("/api/v1/runs/r-none/baseline", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = c->Post("/api/v1/runs/" + first + "/baseline", "", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body).at("baseline"), true);
  EXPECT_EQ(get_json(tpath).at("baseline_run_id"), first);

  // The test changes (twice the rate) and runs again.
  const json twice = {{"name", "compare me"},
                      {"form", {{"url", target_url()}, {"rate", 10}, {"duration", 2}}}};
  res = c->Put(tpath, twice.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const std::string second = start(test);
  ASSERT_TRUE(follow(second).end);

  const json cmp = get_json("/api/v1/compare?run=" + second);  // against the baseline
  EXPECT_EQ(cmp.at("base").at("id"), first);
  EXPECT_EQ(cmp.at("run").at("id"), second);
  const auto find = [&](const std::string& scope, const std::string& metric) {
    for (const auto& d : cmp.at("deltas")) {
      if (d.at("scope") == scope && d.at("metric") == metric) return d;
    }
    ADD_FAILURE() << "no delta " << scope << " " << metric << " in " << cmp.at("deltas").dump();
    return json();
  };
  const json requests = find("overall", "requests");
  EXPECT_EQ(requests.at("base"), 10.0);
  EXPECT_EQ(requests.at("current"), 20.0);
  EXPECT_EQ(requests.at("change"), 10.0);
  EXPECT_EQ(find("overall", "errors").at("current"), 0.0);
  EXPECT_GT(find("overall", "rps").at("change").get<double>(), 0);
  EXPECT_FALSE(find("overall", "p95").at("rule").get<std::string>().empty());
  int phase_rows = 0;
  for (const auto& d : cmp.at("deltas")) {
    if (d.at("kind") != "phase") continue;
    ++phase_rows;
    if (d.at("metric") == "requests") {
      EXPECT_EQ(d.at("base"), 10.0);
      EXPECT_EQ(d.at("current"), 20.0);
    }
  }
  EXPECT_EQ(phase_rows, 6);  // one phase: requests, errors, rps, p50, p95, p99
  std::map<std::string, json> config;
  for (const auto& r : cmp.at("config")) config[r.at("field")] = r;
  EXPECT_EQ(config.at("script_sha256").at("same"), false);
  EXPECT_EQ(config.at("target").at("same"), true);
  EXPECT_EQ(config.at("platform").at("run"), "this machine");
  EXPECT_EQ(config.at("phase 1").at("base"), "2 s at 5/s");
  EXPECT_EQ(config.at("phase 1").at("run"), "2 s at 10/s");
  // An explicit base, the other way round: half the requests.
  const json back = get_json("/api/v1/compare?base=" + second + "&run=" + first);
  EXPECT_EQ(back.at("deltas")[0].at("base"), 20.0);
  EXPECT_EQ(back.at("deltas")[0].at("current"), 10.0);
  res = c->Get("/api/v1/compare?run=../etc");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);

  // The trend of requests over the test's runs, oldest first.
  const json trend = get_json(tpath + "/trend?metric=requests&last=5");
  ASSERT_EQ(trend.at("points").size(), 2U);
  EXPECT_EQ(trend.at("points")[0].at("run_id"), first);
  EXPECT_EQ(trend.at("points")[0].at("value"), 10.0);
  EXPECT_EQ(trend.at("points")[0].at("baseline"), true);
  EXPECT_EQ(trend.at("points")[1].at("value"), 20.0);
  EXPECT_EQ(get_json(tpath + "/trend?last=1").at("points").size(), 1U);
  for (const std::string q : {"metric=p42", "last=0", "last=x"}) {
    res = c->Get(tpath + "/trend?" + q);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << q;
  }

  // The HTML report: the CLI's rendering of the stored JSON report, a download.
  res = c->Get("/api/v1/runs/" + first + "/report.html");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(res->get_header_value("Content-Type").starts_with("text/html"));
  EXPECT_EQ(res->get_header_value("Content-Disposition"),
            "attachment; filename=\"" + first + ".html\"");
  EXPECT_NE(res->body.find("<html"), std::string::npos);
  EXPECT_EQ(res->body.find("src=\"http"), std::string::npos);  // self-contained
  res = c->Get("/api/v1/runs/r-none/report.html");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);

  // The CLI: baseline, and compare (exit 1 on a regression: half the throughput).
  const Cli marked = run_cli("baseline " + second, admin_, port_);
  EXPECT_EQ(marked.exit_code, 0) << marked.output;
  EXPECT_NE(marked.output.find("Run " + second + " is now the baseline of test"), std::string::npos)
      << marked.output;
  EXPECT_EQ(get_json(tpath).at("baseline_run_id"), second);
  const Cli compared = run_cli("compare " + first, admin_, port_);
  EXPECT_EQ(compared.exit_code, 1) << compared.output;
  EXPECT_NE(compared.output.find("base " + second + ", run " + first), std::string::npos)
      << compared.output;
  EXPECT_NE(compared.output.find("REGRESSION"), std::string::npos) << compared.output;
  EXPECT_NE(compared.output.find("config phase 1: 2 s at 10/s -> 2 s at 5/s"), std::string::npos)
      << compared.output;
  const Cli missing = run_cli("baseline r-none", admin_, port_);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("HTTP 404: no such run"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace barrage::console
