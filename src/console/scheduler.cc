#include "console/scheduler.h"

#include <algorithm>
#include <utility>

#include "console/cron.h"

namespace barrage::console {

namespace {

Error bad(std::string message) {
  Error e;
  e.message = std::move(message);
  e.code = "bad_request";
  e.status = 400;
  return e;
}

// More fire times than this in one look are counted, not walked one by one.
constexpr int kMaxWalk = 10'000;

}  // namespace

std::optional<int64_t> next_fire(const ScheduleRow& row, int64_t after_ms) {
  std::optional<int64_t> next;
  if (!row.cron.empty()) {
    const auto spec = parse_cron(row.cron);
    if (!spec) return std::nullopt;
    next = cron_next(*spec, row.timezone, after_ms);
  } else {
    const auto at = local_time_ms(row.at, row.timezone);
    if (at && *at > after_ms) next = *at;
  }
  if (next && row.expires_ms && *next > *row.expires_ms) return std::nullopt;
  return next;
}

Scheduler::Scheduler(Store& store, ScheduleActions& actions, Clock& clock)
    : store_(store), actions_(actions), clock_(clock) {}

Scheduler::~Scheduler() { stop(); }

Result<ScheduleRow> Scheduler::build(const ScheduleInput& in, ScheduleRow row) {
  if (in.cron.empty() == in.at.empty()) {
    return std::unexpected(
        bad("give either cron (a 5-field cron expression) or at (a local date-time "
            "YYYY-MM-DDTHH:MM)"));
  }
  if (auto ok = check_zone(in.timezone); !ok) return std::unexpected(bad(ok.error().message));
  if (!in.cron.empty()) {
    if (auto spec = parse_cron(in.cron); !spec) return std::unexpected(bad(spec.error().message));
  } else if (auto at = local_time_ms(in.at, in.timezone); !at) {
    return std::unexpected(bad("at: " + at.error().message));
  }
  row.expires_ms.reset();
  if (!in.expires_at.empty()) {
    const auto ex = local_time_ms(in.expires_at, in.timezone);
    if (!ex) return std::unexpected(bad("expires_at: " + ex.error().message));
    row.expires_ms = *ex;
  }
  if (in.missed != "run_once" && in.missed != "skip") {
    return std::unexpected(bad("missed must be run_once or skip"));
  }
  if (in.overlap != "skip" && in.overlap != "queue" && in.overlap != "concurrent") {
    return std::unexpected(bad("overlap must be skip, queue or concurrent"));
  }
  row.test_id = in.test_id;
  row.cron = in.cron;
  row.at = in.at;
  row.timezone = in.timezone;
  row.expires_at = in.expires_at;
  row.missed = in.missed;
  row.overlap = in.overlap;
  return row;
}

Result<std::vector<int64_t>> Scheduler::preview(const ScheduleInput& in, int count) {
  auto row = build(in, ScheduleRow{});
  if (!row) return std::unexpected(row.error());
  std::vector<int64_t> out;
  int64_t after = clock_.wall_ms();
  while (static_cast<int>(out.size()) < count) {
    const auto next = next_fire(*row, after);
    if (!next) break;
    out.push_back(*next);
    after = *next;
  }
  return out;
}

Result<ScheduleRow> Scheduler::create(const ScheduleInput& in) {
  if (!store_.test(in.test_id)) {
    return std::unexpected(bad("no such test: test_id " + std::to_string(in.test_id)));
  }
  const std::lock_guard lock(ops_);
  auto row = build(in, ScheduleRow{});
  if (!row) return row;
  const int64_t now = clock_.wall_ms();
  row->next_ms = next_fire(*row, now);
  if (!row->next_ms) {
    return std::unexpected(bad(row->cron.empty() ? "at is in the past (or after expires_at)"
                                                 : "the cron expression never fires before "
                                                   "expires_at (or within 8 years)"));
  }
  row->state = in.paused ? "paused" : "active";
  row->created_ms = row->updated_ms = now;
  row->id = store_.save_schedule(*row, {});
  {
    const std::lock_guard w(wait_mutex_);
    changed_ = true;
  }
  cv_.notify_all();
  return *store_.schedule(row->id);
}

Result<std::optional<ScheduleRow>> Scheduler::update(int64_t id, const ScheduleInput& in) {
  const std::lock_guard lock(ops_);
  const auto old = store_.schedule(id);
  if (!old) return std::optional<ScheduleRow>();
  if (!store_.test(in.test_id)) {
    return std::unexpected(bad("no such test: test_id " + std::to_string(in.test_id)));
  }
  auto row = build(in, *old);
  if (!row) return std::unexpected(row.error());
  const int64_t now = clock_.wall_ms();
  row->next_ms = next_fire(*row, now);
  if (!row->next_ms) {
    return std::unexpected(bad(row->cron.empty() ? "at is in the past (or after expires_at)"
                                                 : "the cron expression never fires before "
                                                   "expires_at (or within 8 years)"));
  }
  row->state = in.paused ? "paused" : "active";
  row->updated_ms = now;
  store_.save_schedule(*row, {event(*row, std::nullopt, "updated", "")});
  {
    const std::lock_guard w(wait_mutex_);
    changed_ = true;
  }
  cv_.notify_all();
  return std::optional<ScheduleRow>(*store_.schedule(id));
}

bool Scheduler::remove(int64_t id) {
  const std::lock_guard lock(ops_);
  return store_.delete_schedule(id);
}

std::optional<ScheduleRow> Scheduler::pause(int64_t id) {
  const std::lock_guard lock(ops_);
  auto row = store_.schedule(id);
  if (!row) return std::nullopt;
  if (row->state == "active") {
    row->state = "paused";
    row->updated_ms = clock_.wall_ms();
    store_.save_schedule(*row, {event(*row, std::nullopt, "paused", "")});
  }
  return store_.schedule(id);
}

std::optional<ScheduleRow> Scheduler::resume(int64_t id) {
  const std::lock_guard lock(ops_);
  auto row = store_.schedule(id);
  if (!row) return std::nullopt;
  if (row->state == "paused") {
    const int64_t now = clock_.wall_ms();
    row->next_ms = next_fire(*row, now);
    std::vector<ScheduleEventRow> events{event(*row, std::nullopt, "resumed", "")};
    if (row->next_ms) {
      row->state = "active";
    } else {
      row->state = row->cron.empty() ? "done" : "expired";
      events.push_back(
          event(*row, std::nullopt, row->state, "no fire time is left after the pause"));
    }
    row->updated_ms = now;
    store_.save_schedule(*row, events);
    {
      const std::lock_guard w(wait_mutex_);
      changed_ = true;
    }
    cv_.notify_all();
  }
  return store_.schedule(id);
}

ScheduleEventRow Scheduler::event(const ScheduleRow& row, std::optional<int64_t> fire_ms,
                                  std::string kind, std::string message, std::string run_id) {
  ScheduleEventRow e;
  e.schedule_id = row.id;
  e.at_ms = clock_.wall_ms();
  e.fire_ms = fire_ms;
  e.kind = std::move(kind);
  e.message = std::move(message);
  e.run_id = std::move(run_id);
  return e;
}

void Scheduler::fire(ScheduleRow& row, int64_t fire_ms, const char* kind,
                     std::vector<ScheduleEventRow>* events) {
  if (actions_.test_running(row.test_id)) {
    if (row.overlap == "skip") {
      events->push_back(
          event(row, fire_ms, "overlap_skipped", "a run of the test is still running"));
      return;
    }
    if (row.overlap == "queue") {
      if (row.queued) {
        events->push_back(event(row, fire_ms, "overlap_skipped",
                                "a run of the test is still running and one is already queued"));
      } else {
        row.queued = true;
        events->push_back(event(row, fire_ms, "queued",
                                "a run of the test is still running: this one starts after it"));
      }
      return;
    }
  }
  auto run = actions_.start_run(row.test_id);
  if (run) {
    events->push_back(event(row, fire_ms, kind, "", *run));
  } else {
    events->push_back(event(row, fire_ms, "failed", run.error().message));
  }
}

std::optional<int64_t> Scheduler::tick() {
  const std::lock_guard lock(ops_);
  const int64_t now = clock_.wall_ms();
  std::optional<int64_t> wake;
  auto wake_at = [&](int64_t t) { wake = wake ? std::min(*wake, t) : t; };
  for (auto row : store_.schedules(std::nullopt)) {
    std::vector<ScheduleEventRow> events;
    if (row.queued && !actions_.test_running(row.test_id)) {
      row.queued = false;
      auto run = actions_.start_run(row.test_id);
      events.push_back(run ? event(row, std::nullopt, "queued_started", "", *run)
                           : event(row, std::nullopt, "failed", run.error().message));
    }
    if (row.state == "active" && row.next_ms && *row.next_ms <= now) {
      int64_t missed = 0;
      int64_t first_missed = 0, last_missed = 0;
      std::optional<int64_t> on_time;
      std::optional<int64_t> f = row.next_ms;
      int walked = 0;
      while (f && *f <= now) {
        if (++walked > kMaxWalk) {
          // Too many to walk: count the rest as missed up to the window.
          auto rest = next_fire(row, now - kMissedAfterMs);
          if (rest && *rest <= now) {
            on_time = rest;
            f = next_fire(row, *rest);
          } else {
            f = rest;
          }
          last_missed = now - kMissedAfterMs;
          missed = -1;  // "more than kMaxWalk"
          break;
        }
        if (now - *f > kMissedAfterMs) {
          if (missed == 0) first_missed = *f;
          last_missed = *f;
          ++missed;
        } else {
          on_time = f;
        }
        f = next_fire(row, *f);
      }
      if (missed != 0) {
        const std::string count =
            missed < 0 ? "more than " + std::to_string(kMaxWalk) : std::to_string(missed);
        std::string message = count + " fire time(s) from " + format_utc(first_missed) + " to " +
                              format_utc(last_missed) +
                              " missed while the console was not running; policy " + row.missed;
        const bool run_now = row.missed == "run_once" && !on_time;
        message += run_now                ? ": one run starts now"
                   : row.missed == "skip" ? ": none is run"
                                          : ": the on-time fire time's run stands for them";
        events.push_back(event(row, last_missed, "missed", message));
        if (run_now) fire(row, last_missed, "missed_run", &events);
      }
      if (on_time) fire(row, *on_time, "fired", &events);
      row.last_fire_ms = on_time ? *on_time : last_missed;
      row.next_ms = f;
      if (!f) {
        row.state = row.cron.empty() ? "done" : "expired";
        events.push_back(event(row, std::nullopt, row.state,
                               row.state == "done" ? "the one-shot schedule has fired"
                                                   : "no fire time is left before expires_at"));
      }
    }
    if (!events.empty()) {
      row.updated_ms = now;
      store_.save_schedule(row, events);
    }
    if (row.state == "active" && row.next_ms) wake_at(*row.next_ms);
    if (row.queued) wake_at(now + 1000);  // look again for the running run's end
  }
  return wake;
}

void Scheduler::start() {
  const std::lock_guard w(wait_mutex_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::stop() {
  {
    const std::lock_guard w(wait_mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::loop() {
  std::unique_lock lk(wait_mutex_);
  while (!stop_) {
    changed_ = false;
    lk.unlock();
    std::optional<int64_t> wake;
    try {
      wake = tick();
    } catch (const std::exception&) {
      wake = clock_.wall_ms() + 1000;  // a store failure: try again in a second
    }
    lk.lock();
    if (stop_ || changed_) continue;
    // At most a minute: a wall-clock step (NTP, a resumed laptop) is seen
    // within one.
    const int64_t wait_ms =
        std::clamp<int64_t>(wake ? *wake - clock_.wall_ms() : 60'000, 0, 60'000);
    if (wait_ms == 0) continue;
    clock_.wait_until(lk, cv_, clock_.now_ns() + wait_ms * 1'000'000,
                      [this] { return stop_ || changed_; });
  }
}

}  // namespace barrage::console
