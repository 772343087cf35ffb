// SQLite through its C API (Debian's libsqlite3-dev) with a small statement
// wrapper; no ORM: the console has a handful of queries.
#include "console/store.h"

#include <sqlite3.h>

#include <chrono>
#include <utility>

namespace barrage::console {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Migration N (1-based) brings the schema from version N-1 to N. Append only:
// a released migration never changes. Room is left for the later slices
// (notes and tags, webhooks) as new migrations.
const char* const kMigrations[] = {
    // 1: tests, runs with their series and reports, tokens.
    R"sql(
CREATE TABLE tests (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  script TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  test_id INTEGER REFERENCES tests(id) ON DELETE SET NULL,
  test_name TEXT NOT NULL,
  status TEXT NOT NULL,
  script TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  exit_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  report TEXT
);
CREATE INDEX runs_by_test ON runs(test_id, started_ms);
CREATE INDEX runs_by_start ON runs(started_ms);
CREATE TABLE periods (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  responses INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  vusers_created INTEGER NOT NULL,
  rps REAL NOT NULL,
  p50_ms REAL NOT NULL,
  p95_ms REAL NOT NULL,
  p99_ms REAL NOT NULL,
  snapshot TEXT NOT NULL,
  PRIMARY KEY (run_id, start_ms)
);
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('read', 'run', 'admin')),
  hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
)sql",
    // 2: schedules (docs/console.md, "Schedules") and what happened to them.
    R"sql(
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  test_id INTEGER NOT NULL REFERENCES tests(id) ON DELETE CASCADE,
  cron TEXT NOT NULL,
  at TEXT NOT NULL,
  timezone TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  expires_ms INTEGER,
  missed TEXT NOT NULL CHECK (missed IN ('run_once', 'skip')),
  overlap TEXT NOT NULL CHECK (overlap IN ('skip', 'queue', 'concurrent')),
  state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'done', 'expired')),
  next_ms INTEGER,
  last_fire_ms INTEGER,
  queued INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX schedules_by_test ON schedules(test_id);
CREATE TABLE schedule_events (
  id INTEGER PRIMARY KEY,
  schedule_id INTEGER NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  at_ms INTEGER NOT NULL,
  fire_ms INTEGER,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX schedule_events_by_schedule ON schedule_events(schedule_id, id);
)sql",
    // 3: a test's baseline run (compare and trends, docs/console.md).
    R"sql(
ALTER TABLE tests ADD COLUMN baseline_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL;
)sql",
};

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw StoreError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(std::string("sqlite: ") + msg);
  }
}

// A prepared statement; bind with 1-based indexes, step, read columns.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) fail(db, "sqlite prepare");
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  template <typename T>
  Stmt& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    return bind_null(i);
  }
  // True while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "sqlite step");
  }
  int64_t i64(int c) { return sqlite3_column_int64(stmt_, c); }
  double f64(int c) { return sqlite3_column_double(stmt_, c); }
  bool null(int c) { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::optional<int64_t> opt_i64(int c) {
    return null(c) ? std::nullopt : std::optional<int64_t>(i64(c));
  }
  std::string text(int c) {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, c)))
                        : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};

const char* const kTestColumns = "id, name, script, created_ms, updated_ms, baseline_run_id";

TestRow read_test(Stmt& s) {
  return TestRow{s.i64(0), s.text(1), s.text(2), s.i64(3), s.i64(4), s.text(5)};
}

const char* const kRunColumns =
    "id, test_id, test_name, status, script, started_ms, ended_ms, exit_code, error, "
    "report IS NOT NULL, "
    "EXISTS (SELECT 1 FROM tests WHERE tests.baseline_run_id = runs.id)";

RunRow read_run(Stmt& s) {
  RunRow r;
  r.id = s.text(0);
  r.test_id = s.opt_i64(1);
  r.test_name = s.text(2);
  r.status = s.text(3);
  r.script = s.text(4);
  r.started_ms = s.i64(5);
  r.ended_ms = s.opt_i64(6);
  if (!s.null(7)) r.exit_code = static_cast<int>(s.i64(7));
  r.error = s.text(8);
  r.has_report = s.i64(9) != 0;
  r.baseline = s.i64(10) != 0;
  return r;
}

const char* const kScheduleColumns =
    "id, test_id, cron, at, timezone, expires_at, expires_ms, missed, overlap, state, next_ms, "
    "last_fire_ms, queued, created_ms, updated_ms";

ScheduleRow read_schedule(Stmt& s) {
  ScheduleRow r;
  r.id = s.i64(0);
  r.test_id = s.i64(1);
  r.cron = s.text(2);
  r.at = s.text(3);
  r.timezone = s.text(4);
  r.expires_at = s.text(5);
  r.expires_ms = s.opt_i64(6);
  r.missed = s.text(7);
  r.overlap = s.text(8);
  r.state = s.text(9);
  r.next_ms = s.opt_i64(10);
  r.last_fire_ms = s.opt_i64(11);
  r.queued = s.i64(12) != 0;
  r.created_ms = s.i64(13);
  r.updated_ms = s.i64(14);
  return r;
}

}  // namespace

Store::Store(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open " + path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    exec(db_, "PRAGMA journal_mode=WAL");
    exec(db_, "PRAGMA synchronous=NORMAL");
    exec(db_, "PRAGMA foreign_keys=ON");
    migrate();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Store::~Store() { sqlite3_close(db_); }

int Store::current_schema_version() { return static_cast<int>(std::size(kMigrations)); }

int Store::schema_version() {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.i64(0));
}

void Store::migrate() {
  Stmt v(db_, "PRAGMA user_version");
  v.step();
  const int64_t version = v.i64(0);
  if (version > current_schema_version()) {
    throw StoreError("the database has schema version " + std::to_string(version) +
                     ", newer than this barrage's " + std::to_string(current_schema_version()) +
                     ": use a newer barrage");
  }
  for (auto n = version; n < current_schema_version(); ++n) {
    Transaction tx(db_);
    exec(db_, kMigrations[n]);
    exec(db_, ("PRAGMA user_version = " + std::to_string(n + 1)).c_str());
    tx.commit();
  }
}

int64_t Store::create_test(const std::string& name, const std::string& script) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  const int64_t now = now_ms();
  Stmt s(db_, "INSERT INTO tests (name, script, created_ms, updated_ms) VALUES (?, ?, ?, ?)");
  s.bind(1, name).bind(2, script).bind(3, now).bind(4, now).step();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  tx.commit();
  return id;
}

std::optional<TestRow> Store::test(int64_t id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, (std::string("SELECT ") + kTestColumns + " FROM tests WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_test(s);
}

std::vector<TestRow> Store::tests() {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, (std::string("SELECT ") + kTestColumns + " FROM tests ORDER BY id").c_str());
  std::vector<TestRow> out;
  while (s.step()) out.push_back(read_test(s));
  return out;
}

bool Store::update_test(int64_t id, const std::string& name, const std::string& script) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "UPDATE tests SET name = ?, script = ?, updated_ms = ? WHERE id = ?");
  s.bind(1, name).bind(2, script).bind(3, now_ms()).bind(4, id).step();
  const bool changed = sqlite3_changes(db_) > 0;
  tx.commit();
  return changed;
}

bool Store::delete_test(int64_t id) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "DELETE FROM tests WHERE id = ?");
  s.bind(1, id).step();
  const bool changed = sqlite3_changes(db_) > 0;
  tx.commit();
  return changed;
}

void Store::create_run(const RunRow& run) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_,
         "INSERT INTO runs (id, test_id, test_name, status, script, started_ms) "
         "VALUES (?, ?, ?, ?, ?, ?)");
  s.bind(1, run.id)
      .bind(2, run.test_id)
      .bind(3, run.test_name)
      .bind(4, run.status)
      .bind(5, run.script)
      .bind(6, run.started_ms)
      .step();
  tx.commit();
}

std::optional<RunRow> Store::run(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, (std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRow> Store::runs(std::optional<int64_t> test_id) {
  const std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs" +
                          (test_id ? " WHERE test_id = ?" : "") +
                          " ORDER BY started_ms DESC, id DESC";
  Stmt s(db_, sql.c_str());
  if (test_id) s.bind(1, *test_id);
  std::vector<RunRow> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

void Store::add_period(const std::string& run_id, const PeriodRow& p,
                       const std::string& snapshot_json) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_,
         "INSERT OR REPLACE INTO periods (run_id, start_ms, end_ms, requests, responses, errors, "
         "vusers_created, rps, p50_ms, p95_ms, p99_ms, snapshot) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, run_id)
      .bind(2, p.start_ms)
      .bind(3, p.end_ms)
      .bind(4, static_cast<int64_t>(p.requests))
      .bind(5, static_cast<int64_t>(p.responses))
      .bind(6, static_cast<int64_t>(p.errors))
      .bind(7, static_cast<int64_t>(p.vusers_created))
      .bind(8, p.rps)
      .bind(9, p.p50_ms)
      .bind(10, p.p95_ms)
      .bind(11, p.p99_ms)
      .bind(12, snapshot_json)
      .step();
  tx.commit();
}

std::vector<PeriodRow> Store::periods(const std::string& run_id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_,
         "SELECT start_ms, end_ms, requests, responses, errors, vusers_created, rps, p50_ms, "
         "p95_ms, p99_ms FROM periods WHERE run_id = ? ORDER BY start_ms");
  s.bind(1, run_id);
  std::vector<PeriodRow> out;
  while (s.step()) {
    PeriodRow p;
    p.start_ms = s.i64(0);
    p.end_ms = s.i64(1);
    p.requests = static_cast<uint64_t>(s.i64(2));
    p.responses = static_cast<uint64_t>(s.i64(3));
    p.errors = static_cast<uint64_t>(s.i64(4));
    p.vusers_created = static_cast<uint64_t>(s.i64(5));
    p.rps = s.f64(6);
    p.p50_ms = s.f64(7);
    p.p95_ms = s.f64(8);
    p.p99_ms = s.f64(9);
    out.push_back(p);
  }
  return out;
}

void Store::finish_run(const std::string& id, const std::string& status,
                       std::optional<int> exit_code, const std::string& error,
                       const std::optional<std::string>& report_json) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_,
         "UPDATE runs SET status = ?, ended_ms = ?, exit_code = ?, error = ?, report = ? "
         "WHERE id = ?");
  s.bind(1, status).bind(2, now_ms());
  if (exit_code) {
    s.bind(3, static_cast<int64_t>(*exit_code));
  } else {
    s.bind_null(3);
  }
  s.bind(4, error).bind(5, report_json).bind(6, id).step();
  tx.commit();
}

std::optional<std::string> Store::report(const std::string& run_id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT report FROM runs WHERE id = ? AND report IS NOT NULL");
  s.bind(1, run_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

int Store::mark_interrupted(int64_t now) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_,
         "UPDATE runs SET status = 'interrupted', ended_ms = ?, error = 'the console went down "
         "while the run was in flight; the series holds what was stored until then' "
         "WHERE status = 'running'");
  s.bind(1, now).step();
  const int n = sqlite3_changes(db_);
  tx.commit();
  return n;
}

bool Store::set_baseline(int64_t test_id, const std::string& run_id) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "UPDATE tests SET baseline_run_id = ? WHERE id = ?");
  s.bind(1, run_id).bind(2, test_id).step();
  const bool changed = sqlite3_changes(db_) > 0;
  tx.commit();
  return changed;
}

bool Store::test_running(int64_t test_id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT 1 FROM runs WHERE test_id = ? AND status = 'running' LIMIT 1");
  s.bind(1, test_id);
  return s.step();
}

int64_t Store::save_schedule(const ScheduleRow& r, const std::vector<ScheduleEventRow>& events) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  int64_t id = r.id;
  {
    Stmt s(db_, id == 0
                    ? "INSERT INTO schedules (test_id, cron, at, timezone, expires_at, "
                      "expires_ms, missed, overlap, state, next_ms, last_fire_ms, queued, "
                      "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    : "UPDATE schedules SET test_id = ?, cron = ?, at = ?, timezone = ?, "
                      "expires_at = ?, expires_ms = ?, missed = ?, overlap = ?, state = ?, "
                      "next_ms = ?, last_fire_ms = ?, queued = ?, created_ms = ?, "
                      "updated_ms = ? WHERE id = ?");
    s.bind(1, r.test_id)
        .bind(2, r.cron)
        .bind(3, r.at)
        .bind(4, r.timezone)
        .bind(5, r.expires_at)
        .bind(6, r.expires_ms)
        .bind(7, r.missed)
        .bind(8, r.overlap)
        .bind(9, r.state)
        .bind(10, r.next_ms)
        .bind(11, r.last_fire_ms)
        .bind(12, static_cast<int64_t>(r.queued ? 1 : 0))
        .bind(13, r.created_ms)
        .bind(14, r.updated_ms);
    if (id != 0) s.bind(15, id);
    s.step();
    if (id == 0) id = sqlite3_last_insert_rowid(db_);
  }
  for (const auto& e : events) {
    Stmt s(db_,
           "INSERT INTO schedule_events (schedule_id, at_ms, fire_ms, kind, run_id, message) "
           "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, id).bind(2, e.at_ms).bind(3, e.fire_ms).bind(4, e.kind).bind(5, e.run_id);
    s.bind(6, e.message).step();
  }
  if (!events.empty()) {
    // Keep a schedule's newest kScheduleEventsKept events (an every-minute
    // cron would otherwise add 1440 rows a day).
    Stmt prune(db_,
               "DELETE FROM schedule_events WHERE schedule_id = ? AND id <= (SELECT id FROM "
               "schedule_events WHERE schedule_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)");
    prune.bind(1, id).bind(2, id).bind(3, static_cast<int64_t>(kScheduleEventsKept)).step();
  }
  tx.commit();
  return id;
}

std::optional<ScheduleRow> Store::schedule(int64_t id) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, (std::string("SELECT ") + kScheduleColumns + " FROM schedules WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_schedule(s);
}

std::vector<ScheduleRow> Store::schedules(std::optional<int64_t> test_id) {
  const std::lock_guard lock(mutex_);
  const std::string sql = std::string("SELECT ") + kScheduleColumns + " FROM schedules" +
                          (test_id ? " WHERE test_id = ?" : "") + " ORDER BY id";
  Stmt s(db_, sql.c_str());
  if (test_id) s.bind(1, *test_id);
  std::vector<ScheduleRow> out;
  while (s.step()) out.push_back(read_schedule(s));
  return out;
}

bool Store::delete_schedule(int64_t id) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "DELETE FROM schedules WHERE id = ?");
  s.bind(1, id).step();
  const bool changed = sqlite3_changes(db_) > 0;
  tx.commit();
  return changed;
}

std::vector<ScheduleEventRow> Store::schedule_events(int64_t schedule_id, int limit) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_,
         "SELECT id, schedule_id, at_ms, fire_ms, kind, run_id, message FROM schedule_events "
         "WHERE schedule_id = ? ORDER BY id DESC LIMIT ?");
  s.bind(1, schedule_id).bind(2, static_cast<int64_t>(limit));
  std::vector<ScheduleEventRow> out;
  while (s.step()) {
    out.push_back(ScheduleEventRow{s.i64(0), s.i64(1), s.i64(2), s.opt_i64(3), s.text(4), s.text(5),
                                   s.text(6)});
  }
  return out;
}

int64_t Store::add_token(const std::string& name, const std::string& scope,
                         const std::string& hash) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "INSERT INTO tokens (name, scope, hash, created_ms) VALUES (?, ?, ?, ?)");
  s.bind(1, name).bind(2, scope).bind(3, hash).bind(4, now_ms()).step();
  const int64_t id = sqlite3_last_insert_rowid(db_);
  tx.commit();
  return id;
}

std::optional<std::string> Store::scope_of(const std::string& hash) {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT scope FROM tokens WHERE hash = ? AND revoked_ms IS NULL");
  s.bind(1, hash);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

std::vector<TokenRow> Store::tokens() {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT id, name, scope, created_ms, revoked_ms FROM tokens ORDER BY id");
  std::vector<TokenRow> out;
  while (s.step()) out.push_back(TokenRow{s.i64(0), s.text(1), s.text(2), s.i64(3), s.opt_i64(4)});
  return out;
}

bool Store::revoke_token(int64_t id, int64_t now) {
  const std::lock_guard lock(mutex_);
  Transaction tx(db_);
  Stmt s(db_, "UPDATE tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
  s.bind(1, now).bind(2, id).step();
  const bool changed = sqlite3_changes(db_) > 0;
  tx.commit();
  return changed;
}

int64_t Store::token_count() {
  const std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT COUNT(*) FROM tokens");
  s.step();
  return s.i64(0);
}

}  // namespace barrage::console
