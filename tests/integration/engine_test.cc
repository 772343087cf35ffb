// The engine against the built-in demo target, in-process: counts, codes,
// errors and timing as a user reads them in the report.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "demo_target/target_server.h"
#include "engine/pacer.h"
#include "engine/runner.h"
#include "script/loader.h"
#include "servers.h"
#include "util/clock.h"

namespace barrage {
namespace {

struct Target {
  explicit Target(demo_target::TargetOptions o = {}) : server(o) {
    const auto started_ok = server.start();
    started = started_ok.has_value();
    EXPECT_TRUE(started) << started_ok.error().describe();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  demo_target::TargetServer server;
  bool started = false;
};

engine::RunResult run(const std::string& yaml, int cores = 2) {
  return testing::run_script(yaml, cores);
}

TEST(EngineTarget, OpenModelCountsEveryArrivalAndRequest) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 2, arrivalRate: 20 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /health }\n"
                     "      - get: { url: /catalog/items, headers: { authorization: Bearer "
                     "demo-token } }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 40u);
  EXPECT_EQ(a.counter("vusers.completed"), 40u);
  EXPECT_EQ(a.counter("http.requests"), 80u);
  EXPECT_EQ(a.counter("http.responses"), 80u);
  EXPECT_EQ(a.counter("http.codes.200"), 80u);
  EXPECT_GT(a.counter("http.downloaded_bytes"), 0u);
  ASSERT_NE(a.find_histogram("http.response_time"), nullptr);
  EXPECT_EQ(a.find_histogram("http.response_time")->count(), 80u);
  EXPECT_EQ(a.find_histogram("vusers.session_length")->count(), 40u);
  EXPECT_FALSE(r.interrupted);
}

TEST(EngineTarget, SameTotalsOnOneAndManyCores) {
  Target t;
  const std::string yaml = "config:\n  target: " + t.url() +
                           "\n  phases:\n    - { duration: 1.5, arrivalRate: 13, rampTo: 29 }\n"
                           "    - { duration: 1, arrivalCount: 17 }\n"
                           "scenarios:\n  - flow:\n      - get: { url: /health }\n";
  const auto one = run(yaml, 1);
  const auto three = run(yaml, 3);
  EXPECT_EQ(one.aggregate.counter("vusers.created"), three.aggregate.counter("vusers.created"));
  EXPECT_EQ(one.aggregate.counter("http.codes.200"), three.aggregate.counter("http.codes.200"));
  // Ramp, as Artillery: periods i < 1.5, i.e. 0 and 1, with
  // (29 - 13) / (1.5 - 1) * i + 13 arrivals: 13 + 45 = 58.
  EXPECT_EQ(one.aggregate.counter("vusers.created"), 58u + 17u);
}

TEST(EngineTarget, StatusCodesAndEndpointsAreNamed) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 5 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /user/profile, name: profile }\n"
                     "      - get: { url: /health }\n");
  const auto& a = r.aggregate;
  // No token: 401 ends nothing (a response is not a failure), both requests run.
  EXPECT_EQ(a.counter("http.codes.401"), 5u);
  EXPECT_EQ(a.counter("http.codes.200"), 5u);
  // A named request is "url (name)", as Artillery's metrics-by-endpoint names it.
  EXPECT_EQ(a.counter("plugins.metrics-by-endpoint./user/profile (profile).codes.401"), 5u);
  EXPECT_NE(a.find_histogram("plugins.metrics-by-endpoint.response_time./user/profile (profile)"),
            nullptr);
  EXPECT_NE(a.find_histogram("http.response_time.4xx"), nullptr);
}

TEST(EngineTarget, RefusedConnectionsAreCountedAndEndTheVu) {
  const auto port = testing::closed_port();
  const auto r = run("config:\n  target: http://127.0.0.1:" + std::to_string(port) +
                     "\n  phases:\n    - { duration: 1, arrivalRate: 10 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: / }\n      - get: { url: / }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("errors.ECONNREFUSED"), 10u);
  EXPECT_EQ(a.counter("http.requests"), 10u);  // as Artillery: counted before connecting
  EXPECT_EQ(a.counter("vusers.failed"), 10u);
  EXPECT_EQ(a.counter("vusers.completed"), 0u);
  EXPECT_EQ(a.counter("http.responses"), 0u);
}

TEST(EngineTarget, SlowResponsesTimeOut) {
  Target t;
  const auto r =
      run("config:\n  target: " + t.url() +
          "\n  http: { timeout: 0.3 }\n  phases:\n    - { duration: 1, arrivalCount: 4 }\n"
          "scenarios:\n  - flow:\n      - get: { url: /delay/3000 }\n");
  EXPECT_EQ(r.aggregate.counter("errors.ETIMEDOUT"), 4u);
  EXPECT_EQ(r.aggregate.counter("vusers.failed"), 4u);
  // Ended by the timeout, not by the slow server.
  EXPECT_LT(r.duration_s, 2.9);
}

// How long the responses took is measured in bench/latency.sh
// (intended-start), not asserted here.
TEST(EngineTarget, EveryResponseIsTimedWithItsPhases) {
  demo_target::TargetOptions o;
  o.latency_ms = 20;
  Target t(o);
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalRate: 20 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /catalog/items, headers: { "
                     "authorization: Bearer demo-token } }\n");
  const auto* h = r.aggregate.find_histogram("http.response_time");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->count(), 20u);
  EXPECT_NE(r.aggregate.find_histogram("barrage.scheduling_lag"), nullptr);
  EXPECT_NE(r.aggregate.find_histogram("http.ttfb"), nullptr);
  EXPECT_NE(r.aggregate.find_histogram("http.tcp"), nullptr);
}

TEST(EngineTarget, ClosedModelLoopsForTheDuration) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, vusers: 4 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /health }\n      - think: 0.1\n");
  const auto& a = r.aggregate;
  // 4 VUs, each iteration ~0.1 s: about 40 iterations in 1 s.
  EXPECT_GE(a.counter("vusers.created"), 20u);
  EXPECT_LE(a.counter("vusers.created"), 48u);
  EXPECT_EQ(a.counter("vusers.created"), a.counter("vusers.completed"));
  EXPECT_EQ(a.counter("http.codes.200"), a.counter("vusers.created"));
}

TEST(EngineTarget, MaxVusersSkipsArrivalsOverTheCap) {
  demo_target::TargetOptions o;
  o.latency_ms = 500;
  Target t(o);
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalRate: 20, maxVusers: 4 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /catalog/items, headers: { "
                     "authorization: Bearer demo-token } }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created") + a.counter("vusers.skipped"), 20u);
  EXPECT_GE(a.counter("vusers.skipped"), 8u);
}

TEST(EngineTarget, CapturedTokenAuthorizesLaterRequests) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 6 }\n"
                     "scenarios:\n  - flow:\n"
                     "      - post:\n          url: /auth/login\n"
                     "          json: { username: 'u{{ $randomNumber(1, 9) }}', password: pw }\n"
                     "          capture:\n            - { json: $.token, as: token }\n"
                     "            - { header: x-barrage-instance, as: instance }\n"
                     "            - { regexp: 'token.:.([A-Za-z0-9_-]+)[.]', group: 1, as: head }\n"
                     "      - get:\n          url: /user/profile\n"
                     "          headers: { authorization: 'Bearer {{ token }}', x-i: '{{ instance "
                     "}}' }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("http.codes.200"), 12u);
  EXPECT_EQ(a.counter("http.codes.401"), 0u);
  EXPECT_EQ(a.counter("vusers.completed"), 6u);
}

TEST(EngineTarget, FailedStrictCaptureEndsTheVu) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 4 }\n"
                     "scenarios:\n  - flow:\n"
                     "      - get: { url: /health, capture: { json: $.missing, as: x } }\n"
                     "      - get: { url: /health }\n"
                     "      - get: { url: /health, capture: { json: $.nope, as: y, strict: false } "
                     "}\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("errors.Failed capture or match"), 4u);
  EXPECT_EQ(a.counter("vusers.failed"), 4u);
  EXPECT_EQ(a.counter("http.requests"), 4u);  // the VU ended at the failed capture
}

TEST(EngineTarget, HostNamesAreResolvedOncePerShard) {
  Target t;
  const auto r = run("config:\n  target: http://localhost:" + std::to_string(t.server.port()) +
                         "\n  phases:\n    - { duration: 1, arrivalRate: 10 }\n"
                         "scenarios:\n  - flow:\n      - get: { url: /health }\n",
                     2);
  EXPECT_EQ(r.aggregate.counter("http.codes.200"), 10u);
  ASSERT_NE(r.aggregate.find_histogram("http.dns"), nullptr);
  EXPECT_EQ(r.aggregate.find_histogram("http.dns")->count(), 2u);  // one lookup per shard
}

// No timing part reads below what the server did: the demo target holds
// every catalog response for at least 3 ms after the request arrived, so
// neither http.ttfb nor http.response_time may read less, on kept-alive
// connections or on new ones.
TEST(EngineTarget, TtfbIsNeverBelowTheServersDelay) {
  demo_target::TargetOptions o;
  o.latency_ms = 3;
  Target t(o);
  const std::string get =
      "      - get: { url: /catalog/items/1, headers: { authorization: Bearer demo-token } }\n";
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 2, arrivalRate: 100 }\n"
                     "scenarios:\n  - flow:\n" +
                     get + get + get);
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("http.codes.200"), 600u);
  const auto* ttfb = a.find_histogram("http.ttfb");
  const auto* response = a.find_histogram("http.response_time");
  ASSERT_NE(ttfb, nullptr);
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(ttfb->count(), 600u);
  EXPECT_GE(ttfb->min(), 3000u);
  EXPECT_GE(response->min(), 3000u);
}

// A wait for a pooled connection is the pool's limit, not the generator's:
// 200 arrivals in a second through 2 connections to a 20 ms endpoint queue
// for up to a second in barrage.pool_wait, while barrage.scheduling_lag (the
// generator's own lateness) stays small.
TEST(EngineTarget, PoolWaitIsNotSchedulingLag) {
  demo_target::TargetOptions o;
  o.latency_ms = 20;
  Target t(o);
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  http: { pool: 2, timeout: 30 }\n  phases:\n"
                     "    - { duration: 1, arrivalRate: 200 }\n"
                     "scenarios:\n  - flow:\n      - get: { url: /catalog/items/1, headers: { "
                     "authorization: Bearer demo-token } }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("http.codes.200"), 200u);
  const auto* wait = a.find_histogram("barrage.pool_wait");
  const auto* lag = a.find_histogram("barrage.scheduling_lag");
  ASSERT_NE(wait, nullptr);
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(wait->count(), 200u);
  EXPECT_GE(wait->max(), 300'000u);  // the last arrivals wait for the queue ahead of them
  EXPECT_LT(lag->percentile(50), 50'000u) << "the pool's wait leaked into the generator's lag";
}

TEST(EngineTarget, SharedPoolReusesItsConnections) {
  demo_target::TargetOptions o;
  o.latency_ms = 5;
  Target t(o);
  const auto r =
      run("config:\n  target: " + t.url() +
              "\n  http: { pool: 4 }\n  phases:\n    - { duration: 1, arrivalRate: 40 }\n"
              "scenarios:\n  - flow:\n      - get: { url: /catalog/items/1, headers: { "
              "authorization: Bearer demo-token } }\n",
          2);
  EXPECT_EQ(r.aggregate.counter("http.codes.200"), 40u);
  ASSERT_NE(r.aggregate.find_histogram("http.tcp"), nullptr);
  EXPECT_LE(r.aggregate.find_histogram("http.tcp")->count(), 4u);  // 2 per shard at most
}

TEST(EngineTarget, StopEndsTheRunEarly) {
  Target t;
  const auto plan =
      script::load_plan_string("config:\n  target: " + t.url() +
                                   "\n  phases:\n    - { duration: 30, arrivalRate: 5 }\n"
                                   "scenarios:\n  - flow:\n      - get: { url: /health }\n",
                               "stop.yml", {})
          .value();
  std::atomic<bool> stop{false};
  engine::RunOptions o;
  o.cores = 2;
  engine::RunCallbacks cb;
  cb.on_progress = [&](const engine::Progress& p) {
    if (p.elapsed_s > 0.5) stop = true;
  };
  const auto r = engine::run_plan(plan, o, cb, &stop);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(r.duration_s, 5);
  EXPECT_GT(r.aggregate.counter("http.codes.200"), 0u);
}

TEST(EngineTarget, ExpectStatusCodeCountsPassesAndFailuresAndTheVuGoesOn) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 5 }\n"
                     "scenarios:\n  - flow:\n"
                     "      - get: { url: /health, expect: [{ statusCode: 200 }] }\n"
                     "      - get: { url: /user/profile, expect: [{ statusCode: [200, 201] }] }\n"
                     "      - get: { url: /health }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("plugins.expect.ok"), 5u);
  EXPECT_EQ(a.counter("plugins.expect.ok.statusCode"), 5u);
  EXPECT_EQ(a.counter("plugins.expect.failed"), 5u);  // the 401s
  EXPECT_EQ(a.counter("plugins.expect.failed.statusCode"), 5u);
  // As in Artillery (without reportFailuresAsErrors), a failed check does not
  // end the VU and is not an error.
  EXPECT_EQ(a.counter("http.requests"), 15u);
  EXPECT_EQ(a.counter("vusers.completed"), 5u);
  EXPECT_EQ(a.counter("vusers.failed"), 0u);
}

TEST(EngineTarget, ExpectContentTypeAndPropertiesOfACatalogItem) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 4 }\n"
                     "scenarios:\n  - flow:\n"
                     "      - get:\n          url: /catalog/items/1\n"
                     "          headers: { authorization: Bearer demo-token }\n"
                     "          expect:\n"
                     "            - contentType: json\n"
                     "            - hasProperty: name\n"
                     "            - hasProperty: category\n"
                     "            - notHasProperty: error\n"
                     "            - hasProperty: stock\n"
                     "            - hasHeader: content-length\n"
                     "      - get: { url: /health, expect: [{ contentType: json }, "
                     "{ matchesRegexp: '^ok$' }] }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("plugins.expect.ok.contentType"), 4u);
  EXPECT_EQ(a.counter("plugins.expect.failed.contentType"), 4u);  // /health is text/plain
  EXPECT_EQ(a.counter("plugins.expect.ok.hasProperty"), 8u);
  EXPECT_EQ(a.counter("plugins.expect.failed.hasProperty"), 4u);  // no 'stock'
  EXPECT_EQ(a.counter("plugins.expect.ok.notHasProperty"), 4u);
  EXPECT_EQ(a.counter("plugins.expect.ok.hasHeader"), 4u);
  EXPECT_EQ(a.counter("plugins.expect.ok.matchesRegexp"), 4u);
  EXPECT_EQ(a.counter("plugins.expect.ok"), 24u);
  EXPECT_EQ(a.counter("plugins.expect.failed"), 8u);
  EXPECT_EQ(a.counter("vusers.completed"), 4u);
}

TEST(EngineTarget, ExpectEqualsComparesACapturedValue) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 3 }\n"
                     "scenarios:\n  - flow:\n"
                     "      - get:\n          url: /catalog/items/1\n"
                     "          headers: { authorization: Bearer demo-token }\n"
                     "          capture: { json: $.id, as: id }\n"
                     "          expect:\n"
                     "            - equals: ['{{ id }}', '1']\n"
                     "            - equals: ['{{ id }}', 2]\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("plugins.expect.ok.equals"), 3u);
  EXPECT_EQ(a.counter("plugins.expect.failed.equals"), 3u);
  EXPECT_EQ(a.counter("http.codes.200"), 3u);
}

// Segments (Lambda runs past 15 minutes): the same schedule cut into windows
// that run side by side, as consecutive invocations overlap. The windows' sum
// is the whole test, each window starts exactly the arrivals of its interval,
// and closed-model VUs hand over at the boundaries.
TEST(EngineTarget, SegmentWindowsSumToTheWholeSchedule) {
  Target t;
  const std::string yaml = "config:\n  target: " + t.url() +
                           "\n  phases:\n    - { duration: 1.2, arrivalRate: 25, rampTo: 45 }\n"
                           "    - { duration: 1.3, arrivalCount: 31 }\n"
                           "    - { duration: 0.9, vusers: 2 }\n"
                           "scenarios:\n  - flow:\n      - get: { url: /health }\n"
                           "      - think: 0.05\n";
  const auto plan = script::load_plan_string(yaml, "test.yml", {}).value();
  // Windows in ms from phase 0; the middle boundary falls inside phase 2.
  const std::vector<std::pair<int64_t, int64_t>> windows{{0, 900}, {900, 2800}, {2800, 0}};
  const int64_t start = wall_now_ms() + 300;
  std::vector<engine::RunResult> parts(windows.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < windows.size(); ++i) {
    threads.emplace_back([&, i] {
      engine::RunOptions o;
      o.cores = 1;
      o.seed = 42 + i;
      o.start_wall_ms = start;
      o.window_from_ms = windows[i].first;
      o.window_to_ms = windows[i].second;
      parts[i] = engine::run_plan(plan, o, {}, nullptr);
    });
  }
  for (auto& th : threads) th.join();

  // Open-model arrivals per window, straight from the pacer.
  engine::Pacer pacer(plan.phases, 0, 1);
  std::vector<uint64_t> expected(windows.size(), 0);
  uint64_t open_total = 0;
  while (auto a = pacer.next_arrival()) {
    ++open_total;
    for (size_t i = 0; i < windows.size(); ++i) {
      const auto from = windows[i].first * engine::kNanosPerMilli;
      const auto to = windows[i].second * engine::kNanosPerMilli;
      if (a->offset >= from && (to == 0 || a->offset < to)) ++expected[i];
    }
  }
  ASSERT_EQ(expected[0] + expected[1] + expected[2], open_total);
  auto open_created = [](const engine::RunResult& r) {
    return r.aggregate.counter("barrage.phase.0.vusers.created") +
           r.aggregate.counter("barrage.phase.1.vusers.created");
  };
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(open_created(parts[i]), expected[i]) << "window " << i;
    EXPECT_EQ(parts[i].aggregate.counter("http.codes.200"),
              parts[i].aggregate.counter("vusers.completed"));
    EXPECT_FALSE(parts[i].interrupted);
  }
  // Phase 2 (closed, 2.5 s to 3.4 s) straddles the 2.8 s boundary: its two
  // VUs loop in window 1 until 2.8 s, then two new ones in window 2.
  EXPECT_GE(parts[1].aggregate.counter("barrage.phase.2.vusers.created"), 2U);
  EXPECT_GE(parts[2].aggregate.counter("barrage.phase.2.vusers.created"), 2U);
  EXPECT_EQ(parts[0].aggregate.counter("barrage.phase.2.vusers.created"), 0U);
  // A segment's periods begin at its window, not at phase 0.
  ASSERT_FALSE(parts[2].timeline.empty());
  EXPECT_GE(parts[2].timeline.front().period_start_ms, (start + 2800) / 1000 * 1000);
}

// Artillery's end of test (issue 16): after the last phase the run waits for
// every VU it started. 4 VUs arrive in the first second and each loops 50
// requests of 100 ms (about 5 s): the old bound (http.timeout + 2 s after the
// phase, 3 s here) ended them part way.
std::string looping_script(const std::string& url) {
  return "config:\n  target: " + url +
         "\n  http: { timeout: 1 }\n  phases:\n    - { duration: 1, arrivalCount: 4 }\n"
         "scenarios:\n  - flow:\n      - loop:\n          - get: { url: /delay/100 }\n"
         "        count: 50\n";
}

TEST(EndOfTest, EveryStartedVuFinishesItsRequests) {
  Target t;
  const auto plan = script::load_plan_string(looping_script(t.url()), "drain.yml", {}).value();
  engine::RunOptions o;
  o.cores = 2;
  bool saw_draining = false;
  uint64_t draining_vus = 0;
  engine::RunCallbacks cb;
  cb.on_progress = [&](const engine::Progress& p) {
    if (p.draining) {
      saw_draining = true;
      draining_vus = std::max(draining_vus, p.active_vus);
    }
  };
  const auto r = engine::run_plan(plan, o, cb, nullptr);
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 4u);
  EXPECT_EQ(a.counter("vusers.completed"), 4u);
  EXPECT_EQ(a.counter("http.requests"), 4u * 50u);
  EXPECT_EQ(a.counter("http.codes.200"), 4u * 50u);
  EXPECT_EQ(a.counter("barrage.drain.cut_off"), 0u);
  EXPECT_FALSE(r.interrupted);
  // The progress stream said what the run was waiting for.
  EXPECT_TRUE(saw_draining);
  EXPECT_EQ(draining_vus, 4u);
}

TEST(EndOfTest, ADrainTimeoutEndsTheRestAndSaysWhereTheyWere) {
  Target t;
  const auto plan = script::load_plan_string(looping_script(t.url()), "drain.yml", {}).value();
  engine::RunOptions o;
  o.cores = 2;
  o.drain_timeout_ms = 300;
  const auto r = engine::run_plan(plan, o, {}, nullptr);
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 4u);
  EXPECT_EQ(a.counter("vusers.completed"), 0u);
  EXPECT_LT(a.counter("http.requests"), 4u * 50u);
  EXPECT_EQ(a.counter("barrage.drain.cut_off"), 4u);
  EXPECT_EQ(a.counter("barrage.drain.cut_off./delay/100"), 4u);
  EXPECT_FALSE(r.interrupted);
}

TEST(EndOfTest, AStopWhileWaitingEndsTheRunAtOnce) {
  Target t;
  const auto plan = script::load_plan_string(looping_script(t.url()), "drain.yml", {}).value();
  std::atomic<bool> stop{false};
  engine::RunOptions o;
  o.cores = 2;
  engine::RunCallbacks cb;
  cb.on_progress = [&](const engine::Progress& p) {
    if (p.draining) stop = true;
  };
  const auto r = engine::run_plan(plan, o, cb, &stop);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(r.aggregate.counter("http.requests"), 4u * 50u);
  EXPECT_EQ(r.aggregate.counter("barrage.drain.cut_off"), 0u);  // a stop is not a cut-off
}

// Artillery's vusers.created_by_name.<name, or index when unnamed>, and
// `before`/`after` left out of the test's counters (kept as barrage.before.*,
// barrage.after.*), as Artillery's report leaves them out.
TEST(EngineTarget, VusersByScenarioNameAndHooksApart) {
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  phases:\n    - { duration: 1, arrivalCount: 20 }\n"
                     "before:\n  flow:\n    - get: { url: /health }\n"
                     "after:\n  flow:\n    - get: { url: /health }\n    - get: { url: /health }\n"
                     "scenarios:\n  - name: browse\n    flow:\n      - get: { url: /health }\n"
                     "  - flow:\n      - get: { url: /health }\n");
  const auto& a = r.aggregate;
  EXPECT_EQ(a.counter("vusers.created"), 20u);
  EXPECT_EQ(a.counter("vusers.created_by_name.browse") + a.counter("vusers.created_by_name.1"),
            20u);
  EXPECT_GT(a.counter("vusers.created_by_name.browse"), 0u);
  EXPECT_GT(a.counter("vusers.created_by_name.1"), 0u);
  EXPECT_EQ(a.counter("http.requests"), 20u);
  EXPECT_EQ(a.counter("http.codes.200"), 20u);
  EXPECT_EQ(a.counter("vusers.completed"), 20u);
  EXPECT_EQ(a.find_histogram("http.response_time")->count(), 20u);
  EXPECT_EQ(a.counter("barrage.before.http.requests"), 1u);
  EXPECT_EQ(a.counter("barrage.before.vusers.created"), 1u);
  EXPECT_EQ(a.counter("barrage.after.http.requests"), 2u);
  // The periods add up to the aggregate.
  metrics::Snapshot sum;
  for (const auto& p : r.periods) sum.merge(p);
  EXPECT_EQ(sum.counters, a.counters);
}

TEST(EngineTarget, AnInvalidUrlIsCountedAndNothingIsSentAsInArtillery) {
  // Artillery prefixes the target only to a url starting with '/'; any other
  // url that does not start with "http" fails with "Invalid URL - <url>",
  // sends nothing and ends the VU (its later steps do not run).
  Target t;
  const auto r = run("config:\n  target: " + t.url() +
                     "\n  variables: { path: \"health\" }\n"
                     "  phases:\n    - { duration: 1, arrivalCount: 6 }\n"
                     "scenarios:\n"
                     "  - name: static\n    weight: 1\n    flow:\n"
                     "      - get: { url: /health }\n"
                     "      - get: { url: \"((target}}/path\" }\n"
                     "      - get: { url: /health }\n"
                     "  - name: templated\n    weight: 1\n    flow:\n"
                     "      - get: { url: \"{{ path }}\" }\n"
                     "      - get: { url: /health }\n");
  const auto& a = r.aggregate;
  const uint64_t created = a.counter("vusers.created");
  EXPECT_EQ(created, 6u);
  const uint64_t bad_static = a.counter("errors.Invalid URL - ((target}}/path");
  const uint64_t bad_templated = a.counter("errors.Invalid URL - health");
  EXPECT_EQ(bad_static + bad_templated, created);
  EXPECT_EQ(a.counter("vusers.failed"), created);
  EXPECT_EQ(a.counter("vusers.completed"), 0u);
  // Only the first /health of the "static" scenario was sent.
  EXPECT_EQ(a.counter("http.requests"), bad_static);
  EXPECT_EQ(t.server.stats().requests, bad_static);
}

}  // namespace
}  // namespace barrage
