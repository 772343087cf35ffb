#include "fleet/coordinator.h"

#include <algorithm>

namespace barrage::fleet {

const char* status_name(WorkerStatus s) {
  switch (s) {
    case WorkerStatus::kLaunched:
      return "launched";
    case WorkerStatus::kReady:
      return "running";
    case WorkerStatus::kDone:
      return "done";
    case WorkerStatus::kFailed:
      return "failed";
    case WorkerStatus::kLost:
      return "lost";
  }
  return "?";
}

Coordinator::Coordinator(std::string run_id, uint32_t workers, CoordinatorOptions options,
                         const Clock& clock)
    : run_id_(std::move(run_id)),
      options_(options),
      clock_(&clock),
      workers_(workers),
      seen_(workers),
      done_at_(workers, 0) {
  for (uint32_t i = 0; i < workers; ++i) workers_[i].id = i;
}

void Coordinator::receive(std::string_view envelope, Nanos now) {
  auto added = decoder_.add(envelope);
  if (!added) {
    ++rejected_;
    last_rejection_ = added.error().message;
    return;
  }
  auto& m = *added;
  if (!m) return;
  if (m->run_id != run_id_ || m->worker >= workers_.size()) {
    ++rejected_;
    last_rejection_ = "message for another run or worker";
    return;
  }
  if (!seen_[m->worker].insert(m->seq).second) {
    ++duplicates_;
    return;
  }
  apply(std::move(*m), now);
}

void Coordinator::set_groups(std::vector<uint32_t> group_of, uint32_t groups) {
  group_of_ = std::move(group_of);
  group_aggregates_.assign(groups, {});
}

void Coordinator::apply(Message m, Nanos now) {
  WorkerState& w = workers_[m.worker];
  w.last_seen = std::max(w.last_seen, now);
  const bool ended = w.status == WorkerStatus::kDone || w.status == WorkerStatus::kFailed ||
                     w.status == WorkerStatus::kLost;
  switch (m.kind) {
    case Kind::kReady:
      if (w.status == WorkerStatus::kLaunched) w.status = WorkerStatus::kReady;
      w.pid = m.pid;
      w.cores = m.cores;
      break;
    case Kind::kBatch: {
      // A lost worker's late batches still count: it delivered them.
      ++w.batches;
      w.requests += m.snapshot.counter("http.requests");
      Period& p = periods_[m.period_start_ms];
      if (p.first_seen == 0) p.first_seen = now;
      if (p.shown) ++late_batches_;
      p.snapshot.merge(m.snapshot);
      if (m.worker < group_of_.size() && group_of_[m.worker] < group_aggregates_.size())
        group_aggregates_[group_of_[m.worker]].merge(m.snapshot);
      if (p.snapshot.period_start_ms == 0) p.snapshot.period_start_ms = m.period_start_ms;
      p.reported.insert(m.worker);
      aggregate_.merge(m.snapshot);
      break;
    }
    case Kind::kHeartbeat:
      if (w.status == WorkerStatus::kLaunched) w.status = WorkerStatus::kReady;
      w.heartbeat = m.heartbeat;
      w.cpu_max = std::max(w.cpu_max, m.heartbeat.cpu);
      w.lag_p99_max_ms = std::max(w.lag_p99_max_ms, m.heartbeat.lag_p99_ms);
      break;
    case Kind::kDone:
      w.duration_ms += m.duration_ms;
      w.sqs_requests += m.sqs_requests;
      w.s3_requests += m.s3_requests;
      if (m.more) {
        // A segment handed over to the next one, which reports from now on.
        ++w.segments_done;
        w.earlier_batches += m.batches;
        break;
      }
      if (!ended || w.status == WorkerStatus::kLost) {
        // A worker declared lost that turns out to have finished is done after all.
        w.status = WorkerStatus::kDone;
        w.reason.clear();
      }
      w.batches_sent = w.earlier_batches + m.batches;
      w.interrupted = m.interrupted;
      done_at_[m.worker] = now;
      break;
    case Kind::kError:
      if (w.status != WorkerStatus::kDone) {
        w.status = WorkerStatus::kFailed;
        w.reason = m.reason;
        w.log = std::move(m.log);
      }
      break;
  }
}

void Coordinator::mark_lost(uint32_t worker, const std::string& reason, Nanos /*now*/) {
  if (worker >= workers_.size()) return;
  WorkerState& w = workers_[worker];
  if (w.status == WorkerStatus::kLaunched || w.status == WorkerStatus::kReady) {
    w.status = WorkerStatus::kLost;
    w.reason = reason;
    w.ended_wall_ms = clock_->wall_ms();
  }
}

std::vector<uint32_t> Coordinator::check_lost(Nanos now) {
  std::vector<uint32_t> lost;
  for (auto& w : workers_) {
    if (w.status != WorkerStatus::kReady) continue;
    if (now - w.last_seen > options_.lost_after) {
      w.status = WorkerStatus::kLost;
      w.reason =
          "silent for " + std::to_string((now - w.last_seen) / engine::kNanosPerMilli) + " ms";
      w.ended_wall_ms = clock_->wall_ms();
      lost.push_back(w.id);
    }
  }
  return lost;
}

void Coordinator::touch_all(Nanos now) {
  for (auto& w : workers_) w.last_seen = std::max(w.last_seen, now);
}

bool Coordinator::expected_to_report(const WorkerState& w) const {
  return w.status == WorkerStatus::kReady || w.status == WorkerStatus::kLaunched;
}

std::vector<metrics::Snapshot> Coordinator::take_live_periods(Nanos now) {
  std::vector<metrics::Snapshot> out;
  for (auto& [start, p] : periods_) {
    if (p.shown) continue;
    bool complete = true;
    for (const auto& w : workers_) {
      if (expected_to_report(w) && !p.reported.contains(w.id)) complete = false;
    }
    if (!complete && now - p.first_seen < options_.grace) break;  // keep period order
    p.shown = true;
    out.push_back(p.snapshot);
  }
  return out;
}

bool Coordinator::all_ready() const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const WorkerState& w) { return w.status != WorkerStatus::kLaunched; });
}

std::vector<uint32_t> Coordinator::not_ready() const {
  std::vector<uint32_t> ids;
  for (const auto& w : workers_) {
    if (w.status == WorkerStatus::kLaunched) ids.push_back(w.id);
  }
  return ids;
}

bool Coordinator::finished(Nanos now) const {
  for (const auto& w : workers_) {
    if (w.status == WorkerStatus::kLaunched || w.status == WorkerStatus::kReady) return false;
    if (w.status == WorkerStatus::kDone && w.batches < w.batches_sent &&
        now - done_at_[w.id] < options_.drain) {
      return false;  // its last batches may still be on the way
    }
  }
  return true;
}

std::vector<metrics::Snapshot> Coordinator::periods() const {
  std::vector<metrics::Snapshot> out;
  out.reserve(periods_.size());
  for (const auto& [start, p] : periods_) out.push_back(p.snapshot);
  return out;
}

Heartbeat Coordinator::totals() const {
  Heartbeat t;
  for (const auto& w : workers_) {
    const auto& h = w.heartbeat;
    t.requests += h.requests;
    t.responses += h.responses;
    if (w.status == WorkerStatus::kReady) t.active_vus += h.active_vus;
    t.phase = std::max(t.phase, h.phase);
    t.elapsed_s = std::max(t.elapsed_s, h.elapsed_s);
    t.connections += h.connections;
    t.fds += h.fds;
    t.cpu = std::max(t.cpu, h.cpu);
    t.lag_p99_ms = std::max(t.lag_p99_ms, h.lag_p99_ms);
  }
  return t;
}

}  // namespace barrage::fleet
