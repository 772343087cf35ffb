// The web console's storage: one SQLite file under the data directory (WAL
// journal, foreign keys on), with a versioned schema (PRAGMA user_version,
// one migration per version, each applied in its own transaction) and every
// write in a transaction. Tests (definitions), runs with their per-second
// series and reports, and API tokens (hashes only).
//
// Thread affinity: any; one connection behind a mutex (the console's writes
// are a few per second per run).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace barrage::console {

// A SQLite failure (disk full, corrupt file): the API answers 500 with it.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TestRow {
  int64_t id = 0;
  std::string name;
  std::string script;  // the script's YAML text
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string baseline_run_id;  // "" = none
};

// Statuses: running, passed (exit 0), failed (ensure or expectations: exit 1
// or 21), stopped (stopped through the API: exit 130), error (bad options,
// platform failure: any other exit code), crashed (the run process died of a
// signal), interrupted (in flight when the console went down).
struct RunRow {
  std::string id;
  std::optional<int64_t> test_id;  // null once the test is deleted
  std::string test_name;           // as it was when the run started
  std::string status;
  std::string script;  // the script as run
  int64_t started_ms = 0;
  std::optional<int64_t> ended_ms;
  std::optional<int> exit_code;
  std::string error;
  bool has_report = false;
  bool baseline = false;  // its test's baseline
};

// One second of a run, summarized from the period's metrics snapshot (which
// is stored too, in the wire format of metrics/snapshot_json.h).
struct PeriodRow {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t errors = 0;  // the errors.* counters
  uint64_t vusers_created = 0;
  double rps = 0;  // requests per second of the period
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
};

struct TokenRow {
  int64_t id = 0;
  std::string name;
  std::string scope;  // read | run | admin
  int64_t created_ms = 0;
  std::optional<int64_t> revoked_ms;
};

// A schedule of a test (console/scheduler.h): recurring by a cron expression
// (`cron`) or once at a local date-time (`at`), both in `timezone`.
// States: active, paused, done (a one-shot that fired), expired (past
// `expires_ms`).
struct ScheduleRow {
  int64_t id = 0;
  int64_t test_id = 0;
  std::string cron;  // "" for a one-shot
  std::string at;    // local "YYYY-MM-DDTHH:MM[:SS]" for a one-shot, else ""
  std::string timezone = "UTC";
  std::string expires_at;  // local date-time, "" = never
  std::optional<int64_t> expires_ms;
  std::string missed = "skip";   // run_once | skip
  std::string overlap = "skip";  // skip | queue | concurrent
  std::string state = "active";
  std::optional<int64_t> next_ms;       // the next fire time (null once done/expired)
  std::optional<int64_t> last_fire_ms;  // the last fire time acted on
  bool queued = false;                  // a fire waits for the test's running run to end
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// What happened to a schedule: fired (run_id), overlap_skipped, queued,
// queued_started, missed (with the policy's action in the message), failed
// (the run could not start), expired, done, paused, resumed.
struct ScheduleEventRow {
  int64_t id = 0;
  int64_t schedule_id = 0;
  int64_t at_ms = 0;               // when it was recorded
  std::optional<int64_t> fire_ms;  // the fire time concerned
  std::string kind;
  std::string run_id;  // "" = none
  std::string message;
};

class Store {
 public:
  // Opens (creating) the file and migrates it to the current schema. Throws
  // StoreError.
  explicit Store(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int current_schema_version();
  int schema_version();

  // Tests.
  int64_t create_test(const std::string& name, const std::string& script);
  std::optional<TestRow> test(int64_t id);
  std::vector<TestRow> tests();
  bool update_test(int64_t id, const std::string& name, const std::string& script);
  bool delete_test(int64_t id);

  // Runs.
  void create_run(const RunRow& run);
  std::optional<RunRow> run(const std::string& id);
  std::vector<RunRow> runs(std::optional<int64_t> test_id);
  void add_period(const std::string& run_id, const PeriodRow& period,
                  const std::string& snapshot_json);
  std::vector<PeriodRow> periods(const std::string& run_id);
  void finish_run(const std::string& id, const std::string& status, std::optional<int> exit_code,
                  const std::string& error, const std::optional<std::string>& report_json);
  std::optional<std::string> report(const std::string& run_id);
  // Runs still "running" (the console went down during them) become
  // "interrupted"; returns how many.
  int mark_interrupted(int64_t now_ms);

  // Makes the run its test's baseline (replacing the previous one); false
  // when there is no such test.
  bool set_baseline(int64_t test_id, const std::string& run_id);

  // Whether a run of this test is running.
  bool test_running(int64_t test_id);

  // Schedules. save_schedule writes the row (insert when id is 0; returns
  // the id) and the events in one transaction, keeping the schedule's newest
  // kScheduleEventsKept events.
  static constexpr int kScheduleEventsKept = 1000;
  int64_t save_schedule(const ScheduleRow& row, const std::vector<ScheduleEventRow>& events);
  std::optional<ScheduleRow> schedule(int64_t id);
  std::vector<ScheduleRow> schedules(std::optional<int64_t> test_id);
  bool delete_schedule(int64_t id);
  // The newest `limit` events of a schedule, newest first.
  std::vector<ScheduleEventRow> schedule_events(int64_t schedule_id, int limit);

  // Tokens (only their SHA-256 hashes are stored).
  int64_t add_token(const std::string& name, const std::string& scope, const std::string& hash);
  // The scope of an unrevoked token with this hash.
  std::optional<std::string> scope_of(const std::string& hash);
  std::vector<TokenRow> tokens();
  bool revoke_token(int64_t id, int64_t now_ms);
  int64_t token_count();

 private:
  void migrate();
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

int64_t now_ms();

}  // namespace barrage::console
