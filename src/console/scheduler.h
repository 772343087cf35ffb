// The console's schedules: a test started once at a local date-time or
// recurring by cron, in an IANA time zone (console/cron.h: the fire times and
// the DST rules). One thread fires what is due, timed by barrage's Clock
// (util/clock.h; tests drive tick() on a SimulatedClock). Every schedule and
// what happened to it (schedule_events) is in the store, so schedules survive
// a restart.
//
// Policies, per schedule (docs/console.md, "Schedules"):
// - missed: a fire time more than kMissedAfterMs in the past when the
//   scheduler reaches it (the console was down, or the machine asleep) is
//   missed. `run_once`: one run is started for all of a schedule's missed
//   fire times (none more if an on-time fire time starts one too); `skip`:
//   none. Either way a `missed` event records how many and which.
// - overlap: a fire time that comes while a run of the test is still running.
//   `skip`: no run (event overlap_skipped); `queue`: one run starts when the
//   running one ends (a queue of one: a further overlap while one is queued
//   is skipped); `concurrent`: a run starts anyway (the console's --max-runs
//   still applies: a refused start is a `failed` event).
// - pause: no fire time while paused; on resume the next one is computed
//   from then (those passed while paused are neither run nor "missed").
// - expiry: no fire time after `expires_at` (state `expired`).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "console/store.h"
#include "util/clock.h"
#include "util/error.h"

namespace barrage::console {

// What the scheduler does to runs (the console: RunManager and the store).
class ScheduleActions {
 public:
  virtual ~ScheduleActions() = default;
  // Starts a run of the test now: its id, or why not.
  virtual Result<std::string> start_run(int64_t test_id) = 0;
  virtual bool test_running(int64_t test_id) = 0;
};

// A schedule as given to the API (POST/PUT /schedules, /schedules/preview).
struct ScheduleInput {
  int64_t test_id = 0;
  std::string cron;  // exactly one of cron and at
  std::string at;
  std::string timezone = "UTC";
  std::string expires_at;  // local date-time in timezone, "" = never
  std::string missed = "skip";
  std::string overlap = "skip";
  bool paused = false;
};

class Scheduler {
 public:
  static constexpr int64_t kMissedAfterMs = 60'000;

  Scheduler(Store& store, ScheduleActions& actions, Clock& clock = system_clock());
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Checks an input (cron, zone, dates, policies); error codes "bad_request".
  // The first `count` fire times from now (respecting the expiry).
  Result<std::vector<int64_t>> preview(const ScheduleInput& in, int count);
  Result<ScheduleRow> create(const ScheduleInput& in);
  // Replaces a schedule's definition (nullopt result: no such schedule).
  Result<std::optional<ScheduleRow>> update(int64_t id, const ScheduleInput& in);
  bool remove(int64_t id);
  std::optional<ScheduleRow> pause(int64_t id);
  std::optional<ScheduleRow> resume(int64_t id);

  // Acts on every fire time due at the clock's wall time, and on queued
  // fires whose test no longer runs. Returns the wall time (ms) at which to
  // look again, or nullopt when nothing is pending.
  std::optional<int64_t> tick();

  // The thread: tick(), then wait on the clock until the next fire time (at
  // most a minute, to follow wall-clock steps) or a change.
  void start();
  void stop();

 private:
  Result<ScheduleRow> build(const ScheduleInput& in, ScheduleRow row);
  // Starts a run for a fire time, per the overlap policy.
  void fire(ScheduleRow& row, int64_t fire_ms, const char* kind,
            std::vector<ScheduleEventRow>* events);
  ScheduleEventRow event(const ScheduleRow& row, std::optional<int64_t> fire_ms, std::string kind,
                         std::string message, std::string run_id = "");
  void loop();

  Store& store_;
  ScheduleActions& actions_;
  Clock& clock_;
  std::mutex ops_;  // one change at a time: tick() and the API's edits
  std::mutex wait_mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool changed_ = false;
  std::thread thread_;
};

// The next fire time of a schedule strictly after `after_ms`, within its
// expiry (nullopt: none).
std::optional<int64_t> next_fire(const ScheduleRow& row, int64_t after_ms);

}  // namespace barrage::console
