#include "metrics/recorder.h"

#include <fmt/format.h>

#include <utility>

namespace barrage::metrics {

Recorder::Recorder(std::vector<std::string> endpoint_names, size_t phase_count,
                   const std::vector<std::string>& scenario_keys) {
  for (const auto& key : scenario_keys) {
    scenarios_.push_back({fmt::format("vusers.created_by_name.{}", key), 0});
  }
  phases_.resize(phase_count);
  for (size_t i = 0; i < phase_count; ++i) phases_[i].prefix = fmt::format("barrage.phase.{}.", i);
  endpoints_.reserve(endpoint_names.size());
  for (auto& name : endpoint_names) {
    Endpoint e;
    e.response_time_name = fmt::format("plugins.metrics-by-endpoint.response_time.{}", name);
    e.prefix = fmt::format("plugins.metrics-by-endpoint.{}.", name);
    endpoints_.push_back(std::move(e));
  }
  endpoint_codes_.assign(endpoints_.size() * kStatusSlots, 0);
}

void Recorder::request_sent(int endpoint_id, int phase) noexcept {
  ++requests_;
  if (Endpoint* e = endpoint(endpoint_id)) ++e->requests;
  if (Phase* p = phase_at(phase)) ++p->requests;
}

void Recorder::vuser_created(int phase, int scenario) noexcept {
  ++vusers_created_;
  if (scenario >= 0 && static_cast<size_t>(scenario) < scenarios_.size()) {
    ++scenarios_[static_cast<size_t>(scenario)].created;
  }
  if (Phase* p = phase_at(phase)) ++p->vusers_created;
}

void Recorder::connection_response(bool new_connection, uint64_t response_time_us,
                                   uint64_t ttfb_us) noexcept {
  (new_connection ? new_connection_ : reused_connection_).record(response_time_us);
  (new_connection ? ttfb_new_connection_ : ttfb_reused_connection_).record(ttfb_us);
}

void Recorder::cold_start_response(bool cold, uint64_t response_time_us, int phase) noexcept {
  (cold ? cold_start_ : warm_).record(response_time_us);
  if (cold) {
    ++cold_starts_;
    if (Phase* p = phase_at(phase)) ++p->cold_starts;
  }
}

void Recorder::response(int endpoint_id, int status, uint64_t response_time_us, uint64_t bytes,
                        int phase) noexcept {
  const int slot = status_slot(status);
  if (Phase* p = phase_at(phase)) {
    ++p->responses;
    // One allocation per phase per shard (first response), not on every response.
    if (p->codes.empty()) p->codes.assign(kStatusSlots, 0);
    ++p->codes[static_cast<size_t>(slot)];
    p->response_time.record(response_time_us);
  }
  ++responses_;
  ++codes_[static_cast<size_t>(slot)];
  downloaded_bytes_ += bytes;
  response_time_.record(response_time_us);
  if (slot != 0) response_time_by_class_[static_cast<size_t>(slot / 100)].record(response_time_us);
  if (Endpoint* e = endpoint(endpoint_id)) {
    e->response_time.record(response_time_us);
    const auto row = static_cast<size_t>(endpoint_id) * kStatusSlots;
    ++endpoint_codes_[row + static_cast<size_t>(slot)];
  }
}

void Recorder::timing(uint64_t dns_us, uint64_t tcp_us, uint64_t tls_us, uint64_t ttfb_us,
                      uint64_t download_us, bool dns_done, bool tcp_done, bool tls_done) noexcept {
  if (dns_done) dns_.record(dns_us);
  if (tcp_done) tcp_.record(tcp_us);
  if (tls_done) tls_.record(tls_us);
  ttfb_.record(ttfb_us);
  download_.record(download_us);
}

void Recorder::scheduling_lag(uint64_t lag_us) noexcept { scheduling_lag_.record(lag_us); }
void Recorder::pool_wait(uint64_t wait_us) noexcept { pool_wait_.record(wait_us); }

void Recorder::vuser_completed(uint64_t session_length_us) noexcept {
  ++vusers_completed_;
  session_length_.record(session_length_us);
}

void Recorder::bump(std::map<std::string, uint64_t, std::less<>>& m, std::string_view name,
                    uint64_t n) {
  auto it = m.find(name);
  if (it == m.end()) {
    m.emplace(std::string(name), n);
  } else {
    it->second += n;
  }
}

void Recorder::error(std::string_view name) { bump(errors_, name, 1); }

void Recorder::error(int endpoint_id, std::string_view name, int phase) {
  bump(errors_, name, 1);
  if (Endpoint* e = endpoint(endpoint_id)) bump(e->errors, name, 1);
  if (Phase* p = phase_at(phase)) bump(p->errors, name, 1);
}

void Recorder::add(std::string_view counter, uint64_t n) { bump(other_counters_, counter, n); }

void Recorder::add_sample(std::string_view name, uint64_t value_us) {
  auto it = other_histograms_.find(name);
  if (it == other_histograms_.end())
    it = other_histograms_.emplace(std::string(name), Histogram()).first;
  it->second.record(value_us);
}

Snapshot Recorder::flush(int64_t period_start_ms, int64_t period_end_ms) {
  Snapshot s;
  s.period_start_ms = period_start_ms;
  s.period_end_ms = period_end_ms;
  flushed_requests_ += requests_;
  flushed_responses_ += responses_;
  auto counter = [&s](std::string_view name, uint64_t& n) {
    if (n != 0) s.add(name, n);
    n = 0;
  };
  auto histogram = [&s](std::string_view name, Histogram& h) {
    if (!h.empty()) s.histogram(name).merge(h);
    h.reset();
  };

  counter("http.requests", requests_);
  counter("http.responses", responses_);
  counter("http.downloaded_bytes", downloaded_bytes_);
  counter("http.codes.other", codes_[0]);
  for (int code = 100; code < kStatusSlots; ++code) {
    auto& n = codes_[static_cast<size_t>(code)];
    if (n != 0) counter(fmt::format("http.codes.{}", code), n);
  }
  histogram("http.response_time", response_time_);
  for (int c = 1; c <= 5; ++c) {
    histogram(fmt::format("http.response_time.{}xx", c),
              response_time_by_class_[static_cast<size_t>(c)]);
  }
  histogram("http.dns", dns_);
  histogram("http.tcp", tcp_);
  histogram("http.tls", tls_);
  histogram("http.ttfb", ttfb_);
  histogram("http.download", download_);
  histogram("barrage.scheduling_lag", scheduling_lag_);
  histogram("barrage.pool_wait", pool_wait_);
  histogram("http.response_time.new_connection", new_connection_);
  histogram("http.response_time.reused_connection", reused_connection_);
  histogram("barrage.ttfb.new_connection", ttfb_new_connection_);
  histogram("barrage.ttfb.reused_connection", ttfb_reused_connection_);
  histogram("http.response_time.cold_start", cold_start_);
  histogram("http.response_time.warm", warm_);
  counter("barrage.cold_starts", cold_starts_);

  counter("vusers.created", vusers_created_);
  counter("vusers.completed", vusers_completed_);
  counter("vusers.failed", vusers_failed_);
  counter("vusers.skipped", vusers_skipped_);
  histogram("vusers.session_length", session_length_);

  for (size_t i = 0; i < endpoints_.size(); ++i) {
    Endpoint& e = endpoints_[i];
    counter(e.prefix + "requests", e.requests);
    histogram(e.response_time_name, e.response_time);
    uint64_t* codes = &endpoint_codes_[i * kStatusSlots];
    counter(e.prefix + "codes.other", codes[0]);
    for (int code = 100; code < kStatusSlots; ++code) {
      auto& n = codes[code];
      if (n != 0) counter(fmt::format("{}codes.{}", e.prefix, code), n);
    }
    for (auto& [name, n] : e.errors) {
      if (n != 0) counter(fmt::format("{}errors.{}", e.prefix, name), n);
    }
  }

  for (Phase& p : phases_) {
    counter(p.prefix + "requests", p.requests);
    counter(p.prefix + "responses", p.responses);
    counter(p.prefix + "vusers.created", p.vusers_created);
    counter(p.prefix + "cold_starts", p.cold_starts);
    histogram(p.prefix + "response_time", p.response_time);
    if (p.first_sent_ms != UINT64_MAX || p.last_done_ms != 0) {
      Histogram& span = s.histogram(p.prefix + "span_ms");
      if (p.first_sent_ms != UINT64_MAX) span.record(p.first_sent_ms);
      if (p.last_done_ms != 0) span.record(p.last_done_ms - 1);
      p.first_sent_ms = UINT64_MAX;
      p.last_done_ms = 0;
    }
    if (!p.codes.empty()) {
      counter(p.prefix + "codes.other", p.codes[0]);
      for (int code = 100; code < kStatusSlots; ++code) {
        auto& n = p.codes[static_cast<size_t>(code)];
        if (n != 0) counter(fmt::format("{}codes.{}", p.prefix, code), n);
      }
    }
    for (auto& [name, n] : p.errors) {
      if (n != 0) counter(fmt::format("{}errors.{}", p.prefix, name), n);
    }
  }

  // Names seen stay in the maps with a zero count, so a recurring error does not
  // allocate again next period.
  for (auto& [name, n] : errors_) {
    if (n != 0) counter(fmt::format("errors.{}", name), n);
  }
  for (auto& [name, n] : other_counters_) counter(name, n);
  for (auto& [name, h] : other_histograms_) histogram(name, h);
  for (auto& sc : scenarios_) counter(sc.name, sc.created);
  return s;
}

}  // namespace barrage::metrics
