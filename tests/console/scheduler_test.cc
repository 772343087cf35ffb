// Schedules on simulated time: cron parsing and fire times in IANA zones
// across DST changes (Europe/Berlin, America/New_York, from the system's
// tz database), and the scheduler (one-shot, cron, restart, missed and
// overlap policies, pause, expiry) driven by a SimulatedClock with a real
// SQLite store. Runs are recorded by a ScheduleActions double; the API test
// (api_test.cc) fires a real run.
#include "console/scheduler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "console/cron.h"
#include "util/simulated_clock.h"

namespace barrage::console {
namespace {

int64_t utc(const std::string& local) {
  auto ms = local_time_ms(local, "UTC");
  EXPECT_TRUE(ms) << local;
  return ms.value_or(0);
}

std::vector<std::string> fires(const std::string& cron, const std::string& zone,
                               const std::string& from_utc, int n) {
  const auto spec = parse_cron(cron);
  EXPECT_TRUE(spec) << (spec ? "" : spec.error().message);
  std::vector<std::string> out;
  int64_t after = utc(from_utc);
  for (int i = 0; i < n && spec; ++i) {
    const auto next = cron_next(*spec, zone, after);
    if (!next) break;
    out.push_back(format_utc(*next));
    after = *next;
  }
  return out;
}

TEST(Cron, FieldsListsRangesStepsAndNames) {
  EXPECT_EQ(fires("*/20 9-10 * * *", "UTC", "2026-05-04T08:59", 7),
            (std::vector<std::string>{"2026-05-04T09:00:00Z", "2026-05-04T09:20:00Z",
                                      "2026-05-04T09:40:00Z", "2026-05-04T10:00:00Z",
                                      "2026-05-04T10:20:00Z", "2026-05-04T10:40:00Z",
                                      "2026-05-05T09:00:00Z"}));
  // 2026-05-08 is a Friday; mon-fri by name, months by name.
  EXPECT_EQ(fires("0 8 * may FRI-sat", "UTC", "2026-05-04T00:00", 3),
            (std::vector<std::string>{"2026-05-08T08:00:00Z", "2026-05-09T08:00:00Z",
                                      "2026-05-15T08:00:00Z"}));
  // Both day fields restricted: either matches (the 13th, or a Friday).
  EXPECT_EQ(fires("0 0 13 * 5", "UTC", "2026-05-07T00:00", 3),
            (std::vector<std::string>{"2026-05-08T00:00:00Z", "2026-05-13T00:00:00Z",
                                      "2026-05-15T00:00:00Z"}));
  // Week day 7 is Sunday too (2026-05-10 is a Sunday).
  EXPECT_EQ(fires("0 0 * * 7", "UTC", "2026-05-04T00:00", 1),
            (std::vector<std::string>{"2026-05-10T00:00:00Z"}));
  // Strictly after: a fire time equal to `after` is not returned.
  EXPECT_EQ(fires("0 12 * * *", "UTC", "2026-05-04T12:00", 1),
            (std::vector<std::string>{"2026-05-05T12:00:00Z"}));
  // 29 February: the next leap year.
  EXPECT_EQ(fires("0 0 29 2 *", "UTC", "2026-05-04T00:00", 1),
            (std::vector<std::string>{"2028-02-29T00:00:00Z"}));
  // Never (30 February): no fire time, not a hang.
  EXPECT_TRUE(fires("0 0 30 2 *", "UTC", "2026-05-04T00:00", 1).empty());
}

TEST(Cron, BadExpressionsSayWhichFieldAndWhy) {
  const auto msg = [](const std::string& e) {
    auto r = parse_cron(e);
    EXPECT_FALSE(r) << e;
    return r ? std::string() : r.error().message;
  };
  EXPECT_NE(msg("* * *").find("has 3"), std::string::npos);
  EXPECT_NE(msg("61 * * * *").find("minute field '61': '61' is outside 0-59"), std::string::npos)
      << msg("61 * * * *");
  EXPECT_NE(msg("* 24 * * *").find("hour field"), std::string::npos);
  EXPECT_NE(msg("* * 0 * *").find("day of month field"), std::string::npos);
  EXPECT_NE(msg("* * * foo *").find("month field 'foo'"), std::string::npos);
  EXPECT_NE(msg("* * * * 8").find("day of week field"), std::string::npos);
  EXPECT_NE(msg("5-1 * * * *").find("goes backwards"), std::string::npos);
  EXPECT_NE(msg("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(msg("1,,2 * * * *").find("empty"), std::string::npos);
  EXPECT_NE(msg("mon * * * *").find("not a number from 0 to 59"), std::string::npos);
}

TEST(Cron, UnknownZonesAreRefused) {
  EXPECT_TRUE(check_zone("Europe/Berlin"));
  EXPECT_TRUE(check_zone("America/New_York"));
  const auto bad = check_zone("Mars/Olympus_Mons");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unknown time zone 'Mars/Olympus_Mons'"), std::string::npos);
  EXPECT_FALSE(check_zone(""));
}

// Europe/Berlin 2026: clocks go forward on 29 March at 02:00 CET (01:00 UTC)
// to 03:00 CEST, and back on 25 October at 03:00 CEST (01:00 UTC) to 02:00.
TEST(Cron, BerlinSpringGapDoesNotFireThatDay) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00", 3),
            (std::vector<std::string>{"2026-03-28T01:30:00Z",  // 02:30 CET
                                      "2026-03-30T00:30:00Z",  // 02:30 CEST (29th: none)
                                      "2026-03-31T00:30:00Z"}));
  // A time outside the gap moves with the offset: 01:30 CET, then 03:30 CEST.
  EXPECT_EQ(fires("30 1,3 * * *", "Europe/Berlin", "2026-03-29T00:00", 2),
            (std::vector<std::string>{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"}));
}

TEST(Cron, BerlinAutumnRepeatFiresOnceAtTheFirstOccurrence) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00", 3),
            (std::vector<std::string>{"2026-10-24T00:30:00Z",     // 02:30 CEST
                                      "2026-10-25T00:30:00Z",     // the first 02:30 (CEST)
                                      "2026-10-26T01:30:00Z"}));  // 02:30 CET
  // Every 30 minutes: 02:00 and 02:30 fire once (CEST), the repeated hour
  // (01:00-02:00 UTC) does not fire again, then 03:00 CET.
  EXPECT_EQ(fires("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:59", 4),
            (std::vector<std::string>{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z",
                                      "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z"}));
}

// America/New_York 2026: forward on 8 March at 02:00 EST (07:00 UTC), back
// on 1 November at 02:00 EDT (06:00 UTC) to 01:00 EST.
TEST(Cron, NewYorkTransitions) {
  EXPECT_EQ(fires("0 2 * * *", "America/New_York", "2026-03-06T12:00", 3),
            (std::vector<std::string>{"2026-03-07T07:00:00Z", "2026-03-09T06:00:00Z",
                                      "2026-03-10T06:00:00Z"}));
  EXPECT_EQ(fires("30 1 * * *", "America/New_York", "2026-10-31T00:00", 3),
            (std::vector<std::string>{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z",
                                      "2026-11-02T06:30:00Z"}));
}

TEST(Cron, LocalTimesInAZone) {
  EXPECT_EQ(format_utc(*local_time_ms("2026-07-01T12:00", "Europe/Berlin")),
            "2026-07-01T10:00:00Z");
  EXPECT_EQ(format_utc(*local_time_ms("2026-07-01T12:00:05", "America/New_York")),
            "2026-07-01T16:00:05Z");
  const auto gap = local_time_ms("2026-03-29T02:30", "Europe/Berlin");
  ASSERT_FALSE(gap);
  EXPECT_NE(gap.error().message.find("does not exist in Europe/Berlin"), std::string::npos);
  // Twice: the first occurrence (CEST, +02:00).
  EXPECT_EQ(format_utc(*local_time_ms("2026-10-25T02:30", "Europe/Berlin")),
            "2026-10-25T00:30:00Z");
  EXPECT_EQ(format_local(utc("2026-10-25T01:30"), "Europe/Berlin"), "2026-10-25T02:30:00+01:00");
  EXPECT_FALSE(local_time_ms("2026-02-30T10:00", "UTC"));
  EXPECT_FALSE(local_time_ms("2026-01-01 10:00", "UTC"));
  EXPECT_FALSE(local_time_ms("tomorrow", "UTC"));
}

// ---- the scheduler ----

class Actions : public ScheduleActions {
 public:
  explicit Actions(Clock& clock) : clock_(clock) {}
  Result<std::string> start_run(int64_t test_id) override {
    if (refuse) return fail("too many runs at once");
    starts.push_back({test_id, clock_.wall_ms()});
    return "run-" + std::to_string(starts.size());
  }
  bool test_running(int64_t test_id) override { return running.count(test_id) > 0; }

  struct Start {
    int64_t test_id;
    int64_t wall_ms;
  };
  std::vector<Start> starts;
  std::set<int64_t> running;
  bool refuse = false;

 private:
  Clock& clock_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barrage-sched-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_unique<Store>(dir_ + "/console.db");
    test_ = store_->create_test("t", "config: {}\n");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A clock whose wall time starts at `utc_local` (UTC).
  static SimulatedClock clock_at(const std::string& utc_local) {
    return SimulatedClock(1'000'000'000'000, utc(utc_local));
  }
  static void advance_to_wall(SimulatedClock& c, int64_t wall_ms) {
    c.advance((wall_ms - c.wall_ms()) * 1'000'000);
  }
  std::vector<std::string> kinds(int64_t schedule_id) {
    std::vector<std::string> out;
    const auto events = store_->schedule_events(schedule_id, 100);
    for (auto it = events.rbegin(); it != events.rend(); ++it) out.push_back(it->kind);
    return out;
  }
  ScheduleInput cron(const std::string& expr, const std::string& zone = "UTC") {
    ScheduleInput in;
    in.test_id = test_;
    in.cron = expr;
    in.timezone = zone;
    return in;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
  int64_t test_ = 0;
};

TEST_F(SchedulerTest, OneShotFiresExactlyAtItsLocalTime) {
  auto clock = clock_at("2026-01-10T07:00");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  ScheduleInput in;
  in.test_id = test_;
  in.at = "2026-01-10T09:00";  // 08:00 UTC (CET)
  in.timezone = "Europe/Berlin";
  const auto row = s.create(in);
  ASSERT_TRUE(row) << row.error().message;
  EXPECT_EQ(row->next_ms, utc("2026-01-10T08:00"));
  EXPECT_EQ(s.tick(), utc("2026-01-10T08:00"));
  advance_to_wall(clock, utc("2026-01-10T08:00") - 1);
  s.tick();
  EXPECT_TRUE(actions.starts.empty());
  advance_to_wall(clock, utc("2026-01-10T08:00"));
  EXPECT_EQ(s.tick(), std::nullopt);
  ASSERT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(actions.starts[0].wall_ms, utc("2026-01-10T08:00"));
  EXPECT_EQ(actions.starts[0].test_id, test_);
  EXPECT_EQ(store_->schedule(row->id)->state, "done");
  EXPECT_EQ(kinds(row->id), (std::vector<std::string>{"fired", "done"}));
  EXPECT_EQ(store_->schedule_events(row->id, 10).back().run_id, "run-1");
  advance_to_wall(clock, utc("2026-01-11T08:00"));
  s.tick();
  EXPECT_EQ(actions.starts.size(), 1U);
}

TEST_F(SchedulerTest, CronFiresAtEachFireTimeAcrossBerlinsSpringGap) {
  auto clock = clock_at("2026-03-27T12:00");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  ASSERT_TRUE(s.create(cron("30 2 * * *", "Europe/Berlin")));
  // Drive the clock as the thread does: to each wake time.
  for (int i = 0; i < 3; ++i) {
    const auto wake = s.tick();
    ASSERT_TRUE(wake);
    advance_to_wall(clock, *wake);
  }
  s.tick();
  ASSERT_EQ(actions.starts.size(), 3U);
  EXPECT_EQ(format_utc(actions.starts[0].wall_ms), "2026-03-28T01:30:00Z");
  EXPECT_EQ(format_utc(actions.starts[1].wall_ms), "2026-03-30T00:30:00Z");
  EXPECT_EQ(format_utc(actions.starts[2].wall_ms), "2026-03-31T00:30:00Z");
}

TEST_F(SchedulerTest, NewYorkAutumnRepeatFiresOnce) {
  auto clock = clock_at("2026-11-01T04:00");  // 00:00 EDT
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  ASSERT_TRUE(s.create(cron("30 1 * * *", "America/New_York")));
  // Minute by minute through the repeated hour and beyond.
  while (clock.wall_ms() < utc("2026-11-01T09:00")) {
    s.tick();
    clock.advance(60'000'000'000);
  }
  ASSERT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(format_utc(actions.starts[0].wall_ms), "2026-11-01T05:30:00Z");
}

TEST_F(SchedulerTest, SchedulesSurviveARestartAndFireOnTime) {
  auto clock = clock_at("2026-05-04T10:10");
  int64_t id = 0;
  {
    Actions actions(clock);
    Scheduler s(*store_, actions, clock);
    id = s.create(cron("0 * * * *"))->id;
  }
  store_ = std::make_unique<Store>(dir_ + "/console.db");  // the console restarts
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  EXPECT_EQ(s.tick(), utc("2026-05-04T11:00"));
  advance_to_wall(clock, utc("2026-05-04T11:00"));
  s.tick();
  ASSERT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(actions.starts[0].wall_ms, utc("2026-05-04T11:00"));
  EXPECT_EQ(kinds(id), (std::vector<std::string>{"fired"}));
}

TEST_F(SchedulerTest, MissedWhileDownRunsOnceOrSkipsPerPolicyAndIsRecorded) {
  auto clock = clock_at("2026-05-04T10:10");
  int64_t once_id = 0, skip_id = 0;
  {
    Actions actions(clock);
    Scheduler s(*store_, actions, clock);
    auto in = cron("0 * * * *");
    in.missed = "run_once";
    once_id = s.create(in)->id;
    in.missed = "skip";
    skip_id = s.create(in)->id;
  }
  // Down from 10:10 to 15:20: 11:00 .. 15:00 missed (5 fire times).
  advance_to_wall(clock, utc("2026-05-04T15:20"));
  store_ = std::make_unique<Store>(dir_ + "/console.db");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  EXPECT_EQ(s.tick(), utc("2026-05-04T16:00"));
  ASSERT_EQ(actions.starts.size(), 1U);  // run_once: one run, now
  EXPECT_EQ(actions.starts[0].wall_ms, utc("2026-05-04T15:20"));
  EXPECT_EQ(kinds(once_id), (std::vector<std::string>{"missed", "missed_run"}));
  EXPECT_EQ(kinds(skip_id), (std::vector<std::string>{"missed"}));
  const auto missed = store_->schedule_events(skip_id, 10).back();
  EXPECT_NE(missed.message.find("5 fire time(s) from 2026-05-04T11:00:00Z to "
                                "2026-05-04T15:00:00Z missed"),
            std::string::npos)
      << missed.message;
  EXPECT_NE(missed.message.find("policy skip: none is run"), std::string::npos);
  EXPECT_EQ(store_->schedule(once_id)->next_ms, utc("2026-05-04T16:00"));
  // Both go on as usual.
  advance_to_wall(clock, utc("2026-05-04T16:00"));
  s.tick();
  EXPECT_EQ(actions.starts.size(), 3U);
}

TEST_F(SchedulerTest, ALateLookWithinAMinuteIsNotMissed) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  const auto id = s.create(cron("0 11 * * *"))->id;
  advance_to_wall(clock, utc("2026-05-04T11:00") + Scheduler::kMissedAfterMs);
  s.tick();
  EXPECT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(kinds(id), (std::vector<std::string>{"fired"}));
}

TEST_F(SchedulerTest, OverlapSkipQueueOrConcurrent) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  const int64_t other = store_->create_test("u", "config: {}\n");
  const int64_t third = store_->create_test("v", "config: {}\n");
  auto in = cron("0 * * * *");
  in.overlap = "skip";
  const auto skip_id = s.create(in)->id;
  in.test_id = other;
  in.overlap = "queue";
  const auto queue_id = s.create(in)->id;
  in.test_id = third;
  in.overlap = "concurrent";
  const auto conc_id = s.create(in)->id;
  actions.running = {test_, other, third};
  advance_to_wall(clock, utc("2026-05-04T11:00"));
  s.tick();
  ASSERT_EQ(actions.starts.size(), 1U);  // only the concurrent one
  EXPECT_EQ(actions.starts[0].test_id, third);
  EXPECT_EQ(kinds(skip_id), (std::vector<std::string>{"overlap_skipped"}));
  EXPECT_EQ(kinds(queue_id), (std::vector<std::string>{"queued"}));
  EXPECT_EQ(kinds(conc_id), (std::vector<std::string>{"fired"}));
  EXPECT_TRUE(store_->schedule(queue_id)->queued);
  // Still running at the next fire time: the queue holds one, this one is skipped.
  advance_to_wall(clock, utc("2026-05-04T12:00"));
  s.tick();
  EXPECT_EQ(kinds(queue_id), (std::vector<std::string>{"queued", "overlap_skipped"}));
  // The running run ends: the queued one starts at the next look (a second later).
  actions.running.erase(other);
  const auto wake = s.tick();
  ASSERT_TRUE(wake);
  EXPECT_EQ(*wake, utc("2026-05-04T13:00"));
  ASSERT_EQ(actions.starts.size(), 3U);  // concurrent x2, queued x1
  EXPECT_EQ(actions.starts[2].test_id, other);
  EXPECT_FALSE(store_->schedule(queue_id)->queued);
  EXPECT_EQ(kinds(queue_id).back(), "queued_started");
}

TEST_F(SchedulerTest, AQueuedFireSurvivesARestart) {
  auto clock = clock_at("2026-05-04T10:10");
  int64_t id = 0;
  {
    Actions actions(clock);
    Scheduler s(*store_, actions, clock);
    auto in = cron("0 * * * *");
    in.overlap = "queue";
    id = s.create(in)->id;
    actions.running = {test_};
    advance_to_wall(clock, utc("2026-05-04T11:00"));
    s.tick();
    EXPECT_TRUE(actions.starts.empty());
  }
  store_ = std::make_unique<Store>(dir_ + "/console.db");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  clock.advance(5'000'000'000);
  s.tick();
  ASSERT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(kinds(id).back(), "queued_started");
}

TEST_F(SchedulerTest, PausedSchedulesDoNotFireAndResumeFromNow) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  auto in = cron("0 * * * *");
  in.missed = "run_once";
  const auto id = s.create(in)->id;
  ASSERT_EQ(s.pause(id)->state, "paused");
  EXPECT_EQ(s.tick(), std::nullopt);
  advance_to_wall(clock, utc("2026-05-04T13:30"));
  s.tick();
  EXPECT_TRUE(actions.starts.empty());
  const auto resumed = s.resume(id);
  EXPECT_EQ(resumed->state, "active");
  EXPECT_EQ(resumed->next_ms, utc("2026-05-04T14:00"));
  s.tick();
  EXPECT_TRUE(actions.starts.empty());  // passed while paused: not run, not "missed"
  advance_to_wall(clock, utc("2026-05-04T14:00"));
  s.tick();
  EXPECT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(kinds(id), (std::vector<std::string>{"paused", "resumed", "fired"}));
}

TEST_F(SchedulerTest, NoFireAfterTheExpiry) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  auto in = cron("0 * * * *", "Europe/Berlin");
  in.expires_at = "2026-05-04T15:00";  // 13:00 UTC: 11:00, 12:00, 13:00 fire
  const auto id = s.create(in)->id;
  for (int i = 0; i < 10; ++i) {
    const auto wake = s.tick();
    if (!wake) break;
    advance_to_wall(clock, *wake);
  }
  EXPECT_EQ(actions.starts.size(), 3U);
  EXPECT_EQ(store_->schedule(id)->state, "expired");
  EXPECT_EQ(kinds(id).back(), "expired");
}

TEST_F(SchedulerTest, ARefusedStartIsAFailedEvent) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  const auto id = s.create(cron("0 * * * *"))->id;
  actions.refuse = true;
  advance_to_wall(clock, utc("2026-05-04T11:00"));
  s.tick();
  const auto events = store_->schedule_events(id, 10);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, "failed");
  EXPECT_EQ(events[0].message, "too many runs at once");
  EXPECT_EQ(store_->schedule(id)->next_ms, utc("2026-05-04T12:00"));
}

TEST_F(SchedulerTest, BadInputIsRefusedWithTheReason) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  const auto msg = [&](const ScheduleInput& in) {
    auto r = s.create(in);
    EXPECT_FALSE(r);
    if (r) return std::string();
    EXPECT_EQ(r.error().status, 400);
    return r.error().message;
  };
  EXPECT_NE(msg(cron("61 * * * *")).find("'61' is outside 0-59"), std::string::npos);
  EXPECT_NE(msg(cron("0 * * * *", "Europe/Atlantis")).find("unknown time zone"), std::string::npos);
  auto in = cron("0 * * * *");
  in.overlap = "sometimes";
  EXPECT_NE(msg(in).find("overlap must be"), std::string::npos);
  in = cron("0 * * * *");
  in.missed = "maybe";
  EXPECT_NE(msg(in).find("missed must be"), std::string::npos);
  in = cron("0 * * * *");
  in.at = "2026-05-05T10:00";
  EXPECT_NE(msg(in).find("either cron"), std::string::npos);
  in = ScheduleInput{};
  in.test_id = test_;
  in.at = "2026-05-03T10:00";
  EXPECT_NE(msg(in).find("in the past"), std::string::npos);
  in.at = "2026-03-29T02:30";
  in.timezone = "Europe/Berlin";
  EXPECT_NE(msg(in).find("does not exist in Europe/Berlin"), std::string::npos);
  in = cron("0 0 30 2 *");
  EXPECT_NE(msg(in).find("never fires"), std::string::npos);
  in = cron("0 * * * *");
  in.test_id = test_ + 100;
  EXPECT_NE(msg(in).find("no such test"), std::string::npos);
  EXPECT_TRUE(store_->schedules(std::nullopt).empty());
}

TEST_F(SchedulerTest, PreviewGivesTheNextFiveWithinTheExpiry) {
  auto clock = clock_at("2026-10-24T12:00");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  auto in = cron("30 2 * * *", "Europe/Berlin");
  auto five = s.preview(in, 5);
  ASSERT_TRUE(five);
  ASSERT_EQ(five->size(), 5U);
  EXPECT_EQ(format_utc((*five)[0]), "2026-10-25T00:30:00Z");
  EXPECT_EQ(format_utc((*five)[1]), "2026-10-26T01:30:00Z");
  in.expires_at = "2026-10-27T00:00";
  EXPECT_EQ(s.preview(in, 5)->size(), 2U);
  EXPECT_TRUE(store_->schedules(std::nullopt).empty());  // a preview stores nothing
}

TEST_F(SchedulerTest, TheThreadWaitsOnTheClockAndFires) {
  auto clock = clock_at("2026-05-04T10:10");
  Actions actions(clock);
  Scheduler s(*store_, actions, clock);
  ScheduleInput in;
  in.test_id = test_;
  in.at = "2026-05-04T12:00:30";
  const auto id = s.create(in)->id;
  s.start();
  // The simulated clock jumps to each wait's deadline: the fire comes at once
  // in real time; this only bounds a broken scheduler.
  for (int i = 0; i < 2000 && store_->schedule(id)->state != "done"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  s.stop();
  ASSERT_EQ(actions.starts.size(), 1U);
  EXPECT_EQ(actions.starts[0].wall_ms, utc("2026-05-04T12:00:30"));
}

}  // namespace
}  // namespace barrage::console
