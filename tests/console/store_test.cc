// The console's SQLite storage: schema versions, the rows it keeps, the
// interrupted marking at start, tokens kept as hashes only.
#include "console/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "console/auth.h"

namespace barrage::console {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barrage-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/console.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::string path_;
};

TEST_F(StoreTest, NewFileIsMigratedToTheCurrentVersionInWalMode) {
  Store store(path_);
  EXPECT_EQ(store.schema_version(), Store::current_schema_version());
  EXPECT_GE(Store::current_schema_version(), 1);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(StoreTest, ANewerSchemaIsRefusedWithoutTouchingIt) {
  { Store store(path_); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  try {
    Store again(path_);
    FAIL() << "a newer schema was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 999"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, TestsRoundTripAndSurviveReopening) {
  int64_t id = 0;
  {
    Store store(path_);
    id = store.create_test("home page", "config: {}\n");
    EXPECT_TRUE(store.update_test(id, "home", "config:\n  target: http://x\n"));
    EXPECT_FALSE(store.update_test(id + 100, "nope", ""));
  }
  Store store(path_);
  const auto t = store.test(id);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->name, "home");
  EXPECT_EQ(t->script, "config:\n  target: http://x\n");
  EXPECT_EQ(store.tests().size(), 1U);
  EXPECT_TRUE(store.delete_test(id));
  EXPECT_FALSE(store.test(id));
  EXPECT_FALSE(store.delete_test(id));
}

TEST_F(StoreTest, RunsKeepTheirSeriesAndADeletedTestLeavesItsRuns) {
  Store store(path_);
  const int64_t test = store.create_test("t", "s");
  RunRow r;
  r.id = "r-1";
  r.test_id = test;
  r.test_name = "t";
  r.status = "running";
  r.script = "s";
  r.started_ms = 1000;
  store.create_run(r);
  PeriodRow p;
  p.start_ms = 1000;
  p.end_ms = 2000;
  p.requests = 7;
  p.p95_ms = 1.5;
  store.add_period("r-1", p, "{}");
  p.start_ms = 2000;
  p.end_ms = 3000;
  p.requests = 3;
  store.add_period("r-1", p, "{}");
  store.finish_run("r-1", "passed", 0, "", std::string("{\"report\":1}"));
  ASSERT_TRUE(store.delete_test(test));
  const auto got = store.run("r-1");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->test_id.has_value());
  EXPECT_EQ(got->test_name, "t");
  EXPECT_EQ(got->status, "passed");
  EXPECT_EQ(got->exit_code, 0);
  EXPECT_TRUE(got->has_report);
  EXPECT_EQ(store.report("r-1"), "{\"report\":1}");
  const auto series = store.periods("r-1");
  ASSERT_EQ(series.size(), 2U);
  EXPECT_EQ(series[0].requests, 7U);
  EXPECT_EQ(series[1].requests, 3U);
  EXPECT_DOUBLE_EQ(series[0].p95_ms, 1.5);
}

TEST_F(StoreTest, RunningRunsAreMarkedInterruptedAndFinishedOnesAreNot) {
  Store store(path_);
  for (const char* id : {"r-a", "r-b"}) {
    RunRow r;
    r.id = id;
    r.test_name = "t";
    r.status = "running";
    r.started_ms = 1;
    store.create_run(r);
  }
  store.finish_run("r-a", "passed", 0, "", std::nullopt);
  EXPECT_EQ(store.mark_interrupted(5), 1);
  EXPECT_EQ(store.run("r-a")->status, "passed");
  EXPECT_EQ(store.run("r-b")->status, "interrupted");
  EXPECT_EQ(store.run("r-b")->ended_ms, 5);
  EXPECT_EQ(store.mark_interrupted(6), 0);
}

TEST_F(StoreTest, TokensAreStoredAsHashesAndRevocable) {
  const std::string token = new_token();
  EXPECT_EQ(token.size(), 4U + 64U);
  EXPECT_NE(token, new_token());
  {
    Store store(path_);
    const int64_t id = store.add_token("ci", "run", hash_token(token));
    EXPECT_EQ(store.scope_of(hash_token(token)), "run");
    EXPECT_FALSE(store.scope_of(hash_token(token + "x")));
    EXPECT_TRUE(store.revoke_token(id, 10));
    EXPECT_FALSE(store.scope_of(hash_token(token)));
    EXPECT_FALSE(store.revoke_token(id, 11));
  }
  // The token's value is nowhere in the file.
  std::FILE* f = std::fopen(path_.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) bytes.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(bytes.find(token.substr(4)), std::string::npos);
}

TEST(Auth, Sha256AndBearerParsing) {
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(bearer_token("Bearer brg_1"), "brg_1");
  EXPECT_FALSE(bearer_token("Basic xyz"));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token(""));
  EXPECT_TRUE(allows(Scope::kAdmin, Scope::kRun));
  EXPECT_TRUE(allows(Scope::kRun, Scope::kRead));
  EXPECT_FALSE(allows(Scope::kRead, Scope::kRun));
  EXPECT_FALSE(allows(Scope::kRun, Scope::kAdmin));
}

TEST_F(StoreTest, SchedulesKeepTheirNewestEventsAndGoWithTheirTest) {
  Store store(path_);
  const int64_t test = store.create_test("t", "s");
  ScheduleRow row;
  row.test_id = test;
  row.cron = "* * * * *";
  row.next_ms = 60'000;
  const int64_t id = store.save_schedule(row, {});
  row.id = id;
  for (int i = 0; i < Store::kScheduleEventsKept + 5; ++i) {
    ScheduleEventRow e;
    e.at_ms = i;
    e.kind = "fired";
    e.run_id = "r-" + std::to_string(i);
    store.save_schedule(row, {e});
  }
  const auto events = store.schedule_events(id, 5000);
  ASSERT_EQ(events.size(), static_cast<size_t>(Store::kScheduleEventsKept));
  EXPECT_EQ(events.front().run_id, "r-" + std::to_string(Store::kScheduleEventsKept + 4));
  EXPECT_EQ(events.back().run_id, "r-5");
  EXPECT_EQ(store.schedule(id)->cron, "* * * * *");
  // Deleting the test deletes its schedules and their events.
  EXPECT_TRUE(store.delete_test(test));
  EXPECT_FALSE(store.schedule(id));
  EXPECT_TRUE(store.schedule_events(id, 10).empty());
}

TEST_F(StoreTest, ABaselineIsMarkedOnItsTestAndItsRun) {
  Store store(path_);
  const int64_t test = store.create_test("t", "s");
  RunRow r;
  r.id = "r-1";
  r.test_id = test;
  r.test_name = "t";
  r.status = "running";
  store.create_run(r);
  store.finish_run("r-1", "passed", 0, "", std::string("{}"));
  EXPECT_FALSE(store.run("r-1")->baseline);
  EXPECT_TRUE(store.set_baseline(test, "r-1"));
  EXPECT_TRUE(store.run("r-1")->baseline);
  EXPECT_EQ(store.test(test)->baseline_run_id, "r-1");
  EXPECT_FALSE(store.set_baseline(test + 1, "r-1"));
}

}  // namespace
}  // namespace barrage::console
