#include "fleet/distributed_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace barrage::fleet {

using engine::kNanosPerMilli;
using engine::kNanosPerSecond;
using engine::Nanos;

size_t DistributedResult::lost_or_failed() const {
  return static_cast<size_t>(std::count_if(workers.begin(), workers.end(), [](const auto& w) {
    return w.status == WorkerStatus::kLost || w.status == WorkerStatus::kFailed;
  }));
}

namespace {

std::string id_list(const std::vector<uint32_t>& ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s;
}

bool stopping(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

}  // namespace

DistributedResult run_distributed(Launcher& launcher, Channel& channel,
                                  const std::vector<WorkerJob>& jobs,
                                  const DistributedOptions& options,
                                  const DistributedCallbacks& callbacks,
                                  const std::atomic<bool>* stop, Clock& clock) {
  DistributedResult result;
  if (jobs.empty()) {
    result.error = "no workers";
    return result;
  }
  Coordinator coord(jobs.front().run_id, static_cast<uint32_t>(jobs.size()), options.coordinator,
                    clock);
  if (options.groups > 0) coord.set_groups(options.worker_group, options.groups);
  auto event = [&](const std::string& s) {
    if (callbacks.on_event) callbacks.on_event(s);
  };
  // A worker that exited cleanly sent its `done` first; on a channel that
  // delays messages it may still be on its way, so wait for it (up to the
  // drain time). One that crashed or was killed is lost at once.
  std::map<uint32_t, std::pair<Nanos, std::string>> clean_exits;
  auto lose = [&](uint32_t id, const std::string& reason) {
    coord.mark_lost(id, reason, clock.now_ns());
    auto log = launcher.last_log(id);
    event(fmt::format("worker {} lost: {}{}{}", id, reason,
                      log.empty() ? "" : "; last output: ", log.empty() ? "" : log.back()));
  };
  auto running = [&](uint32_t id) {
    const auto& w = coord.workers()[id];
    return w.status == WorkerStatus::kLaunched || w.status == WorkerStatus::kReady;
  };
  auto pump = [&](Nanos timeout) {
    for (const auto& e : channel.receive(timeout)) coord.receive(e, clock.now_ns());
    const Nanos now = clock.now_ns();
    for (const auto& x : launcher.exited()) {
      if (!running(x.worker)) continue;
      if (x.clean) {
        clean_exits.emplace(x.worker, std::pair{now, x.reason});
      } else {
        lose(x.worker, x.reason);
      }
    }
    for (auto it = clean_exits.begin(); it != clean_exits.end();) {
      if (!running(it->first)) {
        it = clean_exits.erase(it);
      } else if (now - it->second.first > options.coordinator.drain) {
        lose(it->first, it->second.second + " without its final message arriving");
        it = clean_exits.erase(it);
      } else {
        ++it;
      }
    }
  };
  auto finish = [&] {
    launcher.abort();
    result.workers = coord.workers();
    result.duplicates = coord.duplicates();
    result.late_batches = coord.late_batches();
    result.rejected = coord.rejected();
    result.run.aggregate = coord.aggregate();
    result.group_aggregates = coord.group_aggregates();
    result.run.periods = coord.periods();
    result.run.cores = 0;
    for (const auto& j : jobs) result.run.cores += j.cores;
  };

  launcher.launch(jobs);

  // Start barrier: every worker loaded its job and waits.
  const Nanos ready_deadline = clock.now_ns() + options.ready_timeout;
  while (!coord.all_ready()) {
    pump(100 * kNanosPerMilli);
    std::vector<uint32_t> dead;
    for (const auto& w : coord.workers()) {
      if (w.status == WorkerStatus::kFailed || w.status == WorkerStatus::kLost)
        dead.push_back(w.id);
    }
    const bool timed_out = clock.now_ns() > ready_deadline;
    if (options.start_without_unready && !stopping(stop)) {
      size_t ready = 0;
      size_t pending = 0;
      for (const auto& w : coord.workers()) {
        ready += w.status == WorkerStatus::kReady ? 1 : 0;
        pending += w.status == WorkerStatus::kLaunched ? 1 : 0;
      }
      if (ready > 0 && (timed_out || pending == 0)) {
        for (uint32_t id : coord.not_ready()) {
          if (coord.workers()[id].status != WorkerStatus::kLaunched) continue;
          coord.mark_lost(id,
                          fmt::format("never started: no ready within {} s",
                                      options.ready_timeout / kNanosPerSecond),
                          clock.now_ns());
        }
        for (const auto& w : coord.workers()) {
          if (w.status == WorkerStatus::kLost || w.status == WorkerStatus::kFailed) {
            event(fmt::format("worker {} {}: {}; starting without it", w.id, status_name(w.status),
                              w.reason));
          }
        }
        break;
      }
      if (!timed_out && pending > 0) continue;
    }
    if (!dead.empty() || stopping(stop) || timed_out) {
      std::string msg;
      if (stopping(stop)) {
        result.run.interrupted = true;
        msg = "interrupted before the workers were ready";
      } else if (!dead.empty()) {
        msg = fmt::format("worker(s) {} failed before becoming ready", id_list(dead));
        for (uint32_t id : dead) {
          const auto& w = coord.workers()[id];
          msg += fmt::format("\n  worker {}: {}", id, w.reason);
          auto log = w.log.empty() ? launcher.last_log(id) : w.log;
          for (const auto& line : log) msg += "\n    " + line;
        }
      } else {
        msg = fmt::format("worker(s) {} never became ready within {} s", id_list(coord.not_ready()),
                          options.ready_timeout / kNanosPerSecond);
        for (uint32_t id : coord.not_ready()) {
          for (const auto& line : launcher.last_log(id))
            msg += fmt::format("\n  worker {}: {}", id, line);
        }
      }
      if (coord.rejected() > 0) {  // e.g. workers of another barrage version
        msg += fmt::format("\n  {} message(s) refused, the last: {}", coord.rejected(),
                           coord.last_rejection());
      }
      result.error = msg;
      finish();
      return result;
    }
  }

  const Nanos start = clock.now_ns() + options.start_delay;
  result.run.start_wall_ms = clock.wall_ms() + options.start_delay / kNanosPerMilli;
  launcher.start(result.run.start_wall_ms);
  coord.touch_all(start);

  bool stop_sent = false;
  Nanos stop_deadline = 0;
  const Nanos deadline = options.deadline > 0 ? start + options.deadline : 0;
  Nanos last_progress = 0;
  while (!coord.finished(clock.now_ns())) {
    pump(100 * kNanosPerMilli);
    const Nanos now = clock.now_ns();
    if (now > start) {
      for (uint32_t id : coord.check_lost(now)) {
        event(fmt::format("worker {} lost: {}", id, coord.workers()[id].reason));
      }
    }
    auto live = coord.take_live_periods(now);
    for (const auto& p : live) {
      if (callbacks.on_period) callbacks.on_period(p);
    }
    if (!live.empty() && callbacks.on_health) callbacks.on_health(coord.workers());
    if (callbacks.on_progress && now - last_progress >= 250 * kNanosPerMilli) {
      last_progress = now;
      const auto t = coord.totals();
      engine::Progress pr;
      pr.elapsed_s = std::max(0.0, static_cast<double>(now - start) / 1e9);
      pr.phase = t.phase;
      pr.requests = t.requests;
      pr.responses = t.responses;
      pr.active_vus = t.active_vus;
      callbacks.on_progress(pr);
    }
    if (!stop_sent && stopping(stop)) {
      stop_sent = true;
      result.run.interrupted = true;
      stop_deadline = now + options.stop_timeout;
      launcher.stop();
      event("stopping every worker...");
    }
    const bool stop_overdue = stop_sent && now > stop_deadline;
    const bool past_deadline = deadline > 0 && now > deadline;
    if (stop_overdue || past_deadline) {
      for (const auto& w : coord.workers()) {
        if (w.status == WorkerStatus::kLaunched || w.status == WorkerStatus::kReady) {
          const std::string why = stop_overdue ? "did not stop within the stop timeout"
                                               : "still running at the run's deadline";
          coord.mark_lost(w.id, why, now);
          event(fmt::format("worker {} lost: {}", w.id, why));
        }
      }
    }
  }
  // Whatever was not shown live (the final partial period, stragglers).
  for (const auto& p :
       coord.take_live_periods(clock.now_ns() + 365 * 24 * 3600 * kNanosPerSecond)) {
    if (callbacks.on_period) callbacks.on_period(p);
  }
  for (const auto& w : coord.workers()) {
    if (w.interrupted) result.run.interrupted = true;
  }
  result.run.duration_s = static_cast<double>(clock.now_ns() - start) / 1e9;
  finish();
  return result;
}

}  // namespace barrage::fleet
