#include "engine/shard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "engine/connection_pool.h"
#include "engine/hook_host.h"
#include "engine/virtual_user.h"

namespace barrage::engine {

namespace {
constexpr Nanos kProgressInterval = 250 * kNanosPerMilli;

// Artillery's vusers.created_by_name.<key>: `scenario.name || index`.
std::vector<std::string> scenario_keys(const script::Plan& plan) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < plan.scenarios.size(); ++i) {
    const auto& name = plan.scenarios[i].name;
    keys.push_back(name.empty() ? std::to_string(i) : name);
  }
  return keys;
}
}  // namespace

Shard::Shard(const RunContext& ctx, size_t index, SnapshotSink& sink, ShardProgress& progress)
    : ctx_(ctx),
      index_(index),
      sink_(sink),
      progress_(progress),
      rng_(ctx.seed * 0x9E3779B97F4A7C15ULL + ctx.slice_base + index + 1),
      recorder_(ctx.plan->endpoints, ctx.plan->phases.size(), scenario_keys(*ctx.plan)),
      resolver_(loop_),
      pacer_(ctx.plan->phases, ctx.slice_base + index, ctx.slice_count),
      arrival_timer_(loop_, &Shard::on_arrival_timer, this),
      period_timer_(loop_, &Shard::on_period_timer, this),
      phase_timer_(loop_, &Shard::on_phase_timer, this) {
  for (const auto& v : ctx.plan->variables) {
    if (v.values.size() == 1) globals_.set(v.name, v.values.front());
  }
  // Artillery's run globals, unless the script defines them itself.
  const auto set_global = [this](std::string_view name, std::string value) {
    if (globals_.find(name) == nullptr) globals_.set(name, std::move(value));
  };
  std::error_code ec;
  const auto script_path = std::filesystem::absolute(ctx.plan->source_path, ec);
  set_global("$dirname", ec ? std::string() : script_path.parent_path().string());
  set_global("$environment", ctx.plan->environment);
  set_global("$testId", ctx.test_id);
  if (!ctx.target_text.empty()) set_global("target", ctx.target_text);
  for (const auto& p : ctx.plan->payloads) {
    if (p.load_all) globals_.set(p.name, p.all_json);
  }
  for (const auto& [name, value] : ctx.shared_vars) globals_.set(name, value);
  for (const auto& s : ctx.plan->scenarios) total_weight_ += std::max(0.0, s.weight);
  const auto& phases = ctx.plan->phases;
  active_per_phase_.assign(phases.size(), 0);
  cap_per_phase_.assign(phases.size(), -1);
  for (size_t i = 0; i < phases.size(); ++i) {
    if (phases[i].max_vusers > 0) {
      cap_per_phase_[i] =
          Pacer::share(phases[i].max_vusers, ctx.slice_base + index, ctx.slice_count);
    }
  }
}

Shard::~Shard() {
  // Destroy VU frames before the loop, pools and resolver they reference.
  slots_.clear();
  pools_.clear();
  hooks_.reset();
}

void Shard::set_hooks(std::unique_ptr<HookHost> host) { hooks_ = std::move(host); }

TlsContext& Shard::tls() {
  if (!tls_) tls_ = std::make_unique<TlsContext>(ctx_.verify_tls);
  return *tls_;
}

ConnectionPool& Shard::pool(const std::string& origin) {
  for (auto& [o, p] : pools_) {
    if (o == origin) return *p;
  }
  const auto capacity = static_cast<size_t>(std::max<int64_t>(
      1, Pacer::share(ctx_.plan->http.pool, ctx_.slice_base + index_, ctx_.slice_count)));
  pools_.emplace_back(origin, std::make_unique<ConnectionPool>(loop_, capacity));
  return *pools_.back().second;
}

const script::Scenario& Shard::pick_scenario() {
  const auto& scenarios = ctx_.plan->scenarios;
  if (scenarios.size() == 1 || total_weight_ <= 0) return scenarios.front();
  double r = rng_.uniform() * total_weight_;
  for (const auto& s : scenarios) {
    r -= std::max(0.0, s.weight);
    if (r < 0) return s;
  }
  return scenarios.back();
}

void Shard::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  loop_.stop_from_any_thread();
}

void Shard::spawn(size_t phase, Nanos intended, bool closed) {
  if (!closed && cap_per_phase_[phase] >= 0 && active_per_phase_[phase] >= cap_per_phase_[phase]) {
    recorder_.vuser_skipped();
    return;
  }
  size_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = slots_.size();
    slots_.emplace_back();
  }
  // A closed-model VU loops until its phase (or this segment's window) ends.
  const Nanos until = closed ? ctx_.start + std::min(pacer_.phase_end(phase), window_end()) : 0;
  auto& s = slots_[slot];
  s.state = std::make_unique<VuState>(*this, slot, phase, pick_scenario(), intended, until);
  s.task = run_virtual_user(*s.state);
  ++active_;
  ++active_per_phase_[phase];
  s.task.handle().resume();
}

void Shard::reap() {
  while (!finished_.empty()) {
    const size_t slot = finished_.back();
    finished_.pop_back();
    auto& s = slots_[slot];
    if (s.task.done()) {
      --active_per_phase_[s.state->phase];
      s.task = {};
      s.state.reset();
      free_slots_.push_back(slot);
      --active_;
    } else {
      // Finished but not yet at its final suspend point: look again next turn.
      finished_.insert(finished_.begin(), slot);
      break;
    }
  }
}

std::optional<Arrival> Shard::next_in_window() {
  for (;;) {
    auto a = pacer_.next_arrival();
    if (!a) return a;
    if (ctx_.window_to > 0 && a->offset >= ctx_.window_to) return std::nullopt;
    if (a->offset >= ctx_.window_from) return a;
  }
}

bool Shard::phases_over() const {
  return next_phase_ >= ctx_.plan->phases.size() || pacer_.phase_start(next_phase_) >= window_end();
}

Nanos Shard::window_end() const {
  const Nanos total = pacer_.total_duration();
  return ctx_.window_to > 0 ? std::min(total, ctx_.window_to) : total;
}

void Shard::schedule_next_arrival() {
  next_arrival_ = next_in_window();
  if (!next_arrival_) {
    arrivals_done_ = true;
    return;
  }
  arrival_timer_.arm(ctx_.start + next_arrival_->offset);
}

void Shard::on_arrival_timer(void* self) noexcept {
  auto* s = static_cast<Shard*>(self);
  // Spawn every arrival that is due; each keeps its own intended time.
  const Nanos now = monotonic_now();
  while (s->next_arrival_ && s->ctx_.start + s->next_arrival_->offset <= now) {
    s->spawn(s->next_arrival_->phase, s->ctx_.start + s->next_arrival_->offset, false);
    s->next_arrival_ = s->next_in_window();
  }
  if (s->next_arrival_) {
    s->arrival_timer_.arm(s->ctx_.start + s->next_arrival_->offset);
  } else {
    s->arrivals_done_ = true;
  }
}

void Shard::start_closed_phase(size_t phase) {
  const auto& ph = ctx_.plan->phases[phase];
  // In a segment, the phase's VUs take over at the window's start.
  if (pacer_.phase_end(phase) <= ctx_.window_from || pacer_.phase_start(phase) >= window_end()) {
    return;
  }
  const int64_t n = Pacer::share(ph.vusers, ctx_.slice_base + index_, ctx_.slice_count);
  const Nanos t = ctx_.start + std::max(pacer_.phase_start(phase), ctx_.window_from);
  for (int64_t i = 0; i < n; ++i) spawn(phase, t, true);
}

void Shard::on_phase_timer(void* self) noexcept {
  auto* s = static_cast<Shard*>(self);
  const auto& phases = s->ctx_.plan->phases;
  const Nanos now = monotonic_now();
  while (s->next_phase_ < phases.size() &&
         s->ctx_.start + s->pacer_.phase_start(s->next_phase_) <= now) {
    s->progress_.phase.store(static_cast<int64_t>(s->next_phase_), std::memory_order_relaxed);
    if (phases[s->next_phase_].closed()) s->start_closed_phase(s->next_phase_);
    ++s->next_phase_;
  }
  if (!s->phases_over()) s->phase_timer_.arm(s->ctx_.start + s->pacer_.phase_start(s->next_phase_));
}

void Shard::flush_period(bool final) {
  // The last period ends at the run's end; the first starts at its start.
  const int64_t end_ms =
      final ? std::max(period_->start_ms(),
                       ctx_.start_wall_ms + (monotonic_now() - ctx_.start) / kNanosPerMilli)
            : period_->end_ms();
  sink_.deliver(index_, period_->key(), recorder_.flush(period_->start_ms(), end_ms), final);
  period_->advance();
}

void Shard::on_period_timer(void* self) noexcept {
  auto* s = static_cast<Shard*>(self);
  s->flush_period(false);
  s->period_timer_.arm(s->ctx_.start +
                       (s->period_->end_ms() - s->ctx_.start_wall_ms) * kNanosPerMilli);
}

void Shard::count_cut_off() {
  for (const auto& s : slots_) {
    if (!s.state || s.task.done()) continue;
    recorder_.add("barrage.drain.cut_off");
    const std::string_view step = s.state->step.empty() ? "start" : s.state->step;
    recorder_.add(fmt::format("barrage.drain.cut_off.{}", step));
  }
}

void Shard::run() {
  // Poll the last 150 us before a timer, for at most 2.5% of a core.
  loop_.set_spin(150 * kNanosPerMicro, 25 * kNanosPerMilli);
  if (hooks_) hooks_->attach(loop_);
  // Periods are aligned to the wall clock; a segment's first period is the
  // one its window starts in.
  const int64_t first_ms = ctx_.start_wall_ms + ctx_.window_from / kNanosPerMilli;
  period_.emplace(first_ms, ctx_.period_ms);
  period_timer_.arm(ctx_.start + (period_->end_ms() - ctx_.start_wall_ms) * kNanosPerMilli);
  phase_timer_.arm(ctx_.start + ctx_.window_from);
  schedule_next_arrival();

  const Nanos phases_end = ctx_.start + window_end();
  // No bound by default: every VU started finishes (Artillery's end of test).
  const Nanos hard_end =
      ctx_.drain >= 0 ? phases_end + ctx_.drain : std::numeric_limits<Nanos>::max();
  Nanos next_progress = 0;
  for (;;) {
    loop_.run_once(kProgressInterval);
    reap();
    const Nanos now = loop_.now();
    if (now >= next_progress) {
      next_progress = now + kProgressInterval;
      progress_.active_vus.store(active_, std::memory_order_relaxed);
      progress_.requests.store(recorder_.total_requests(), std::memory_order_relaxed);
      progress_.responses.store(recorder_.total_responses(), std::memory_order_relaxed);
    }
    if (stop_requested_.load(std::memory_order_acquire)) break;
    if (now >= phases_end && arrivals_done_ && phases_over() && active_ == 0) {
      break;
    }
    if (now >= hard_end) {
      count_cut_off();
      break;
    }
  }
  arrival_timer_.disarm();
  period_timer_.disarm();
  phase_timer_.disarm();
  // VUs still running (stopped, or past the drain time) end here; RAII closes their sockets.
  slots_.clear();
  free_slots_.clear();
  finished_.clear();
  active_ = 0;
  progress_.active_vus.store(0, std::memory_order_relaxed);
  flush_period(true);
}

}  // namespace barrage::engine
