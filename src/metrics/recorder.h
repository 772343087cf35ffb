// Per-shard hot-path metrics recorder.
//
// Thread affinity: owned by one shard and used only from its thread; no locks or
// atomics. Hot metrics live in fixed arrays indexed by endpoint id and status code, so
// recording a request or response does no string work, map look-up or allocation
// (each histogram allocates its buckets once, on first use). flush() turns the
// accumulated data into a Snapshot named as Artillery names its metrics, and resets.
//
// Metric names produced by flush() (zero counters and empty histograms omitted):
//   counters   http.requests, http.responses, http.codes.<status>, http.codes.other,
//              http.downloaded_bytes, errors.<name>, vusers.created,
//              vusers.created_by_name.<scenario> (Artillery's: the scenario's
//              name, or its index in the script when unnamed), vusers.completed,
//              vusers.failed, vusers.skipped,
//              plugins.metrics-by-endpoint.<endpoint>.codes.<status>,
//              plugins.metrics-by-endpoint.<endpoint>.errors.<name>,
//              plugins.metrics-by-endpoint.<endpoint>.requests (barrage extension),
//              and any name given to add()
//   histograms http.response_time, http.response_time.<N>xx (N = 1..5), http.dns,
//              http.tcp, http.tls, http.ttfb, http.download, vusers.session_length,
//              barrage.scheduling_lag, barrage.pool_wait,
//              plugins.metrics-by-endpoint.response_time.<endpoint>,
//              http.response_time.new_connection / .reused_connection and
//              barrage.ttfb.new_connection / .reused_connection (connection_response),
//              http.response_time.cold_start / .warm and counter barrage.cold_starts
//              (cold_start_response, only when the script names a cold-start header)
// Per phase (phase index i = the phase the VU arrived in; phase >= 0 in the calls):
//   counters   barrage.phase.<i>.requests, .responses, .vusers.created, .codes.<status>,
//              .codes.other, .errors.<name>, .cold_starts
//   histograms barrage.phase.<i>.response_time,
//              barrage.phase.<i>.span_ms: per flush, the first send and the last
//              completion (response or error) of the phase's requests, in ms from
//              phase 0's start; its min and max (exact, and exact under merge) are
//              when the phase's requests began and ended (its req/s divides by that)
// Status codes: codes in 100..599 are counted per code. Any other value (0, negative,
// >= 600) counts as http.codes.other (and ...<endpoint>.codes.other) and is recorded
// in http.response_time but in no http.response_time.<N>xx histogram.
// All histogram values are in microseconds.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.h"
#include "metrics/snapshot.h"

namespace barrage::metrics {

class Recorder {
 public:
  static constexpr int kStatusSlots = 600;  // slot = status for 100..599; slot 0 = "other"

  // endpoint_names[i] names endpoint id i in the per-endpoint metrics.
  // phase_count: phases the per-phase metrics cover (a phase outside it records none).
  // scenario_keys[i]: scenario i's name in vusers.created_by_name.<key>.
  explicit Recorder(std::vector<std::string> endpoint_names, size_t phase_count = 0,
                    const std::vector<std::string>& scenario_keys = {});

  // An endpoint_id outside [0, endpoint count) records only the global metrics;
  // phase < 0 (or past phase_count) records no per-phase metrics.
  void request_sent(int endpoint_id, int phase = -1) noexcept;
  void response(int endpoint_id, int status, uint64_t response_time_us, uint64_t bytes,
                int phase = -1) noexcept;
  // The same response's time, split by whether it was the first on a new connection,
  // and its time to first byte from the request's write (the server's share: no
  // dns/tcp/tls, no pool wait, no scheduling lag), split the same way.
  void connection_response(bool new_connection, uint64_t response_time_us,
                           uint64_t ttfb_us) noexcept;
  // The same response's time, split by the target's cold-start header.
  void cold_start_response(bool cold, uint64_t response_time_us, int phase = -1) noexcept;
  // Connection-phase timings of one request; dns/tcp/tls are recorded only when the
  // phase happened (a reused connection has none of them).
  void timing(uint64_t dns_us, uint64_t tcp_us, uint64_t tls_us, uint64_t ttfb_us,
              uint64_t download_us, bool dns_done, bool tcp_done, bool tls_done) noexcept;
  // Actual minus intended send time of a request.
  void scheduling_lag(uint64_t lag_us) noexcept;
  // How long a request waited for a connection of the shared pool (http.pool).
  void pool_wait(uint64_t wait_us) noexcept;

  // A request of `phase` was sent / completed (response or error) at `at_ms`
  // from phase 0's start (barrage.phase.<i>.span_ms).
  void phase_sent(int phase, uint64_t at_ms) noexcept {
    if (Phase* p = phase_at(phase)) p->first_sent_ms = std::min(p->first_sent_ms, at_ms);
  }
  void phase_done(int phase, uint64_t at_ms) noexcept {
    if (Phase* p = phase_at(phase)) p->last_done_ms = std::max(p->last_done_ms, at_ms + 1);
  }

  // Rare paths below: may allocate the first time a name is seen.
  void error(std::string_view name);  // errors.<name>
  void error(int endpoint_id, std::string_view name,
             int phase = -1);  // also per-endpoint (and per-phase) errors.<name>
  // scenario: index into the constructor's scenario_keys (-1: none).
  void vuser_created(int phase = -1, int scenario = -1) noexcept;
  void vuser_completed(uint64_t session_length_us) noexcept;
  void vuser_failed() noexcept { ++vusers_failed_; }
  void vuser_skipped() noexcept { ++vusers_skipped_; }
  void add(std::string_view counter, uint64_t n = 1);  // any other counter
  // A custom histogram (a processor's events.emit('histogram', name, v)),
  // under its full name; values in the unit of every histogram (us).
  void add_sample(std::string_view histogram, uint64_t value_us);

  // Moves everything recorded since the last flush into a Snapshot for
  // [period_start_ms, period_end_ms) and resets the recorder (keeping its buffers).
  Snapshot flush(int64_t period_start_ms, int64_t period_end_ms);

  size_t endpoint_count() const noexcept { return endpoints_.size(); }

  // Since construction (not reset by flush): for live progress displays.
  uint64_t total_requests() const noexcept { return flushed_requests_ + requests_; }
  uint64_t total_responses() const noexcept { return flushed_responses_ + responses_; }

 private:
  struct Endpoint {
    std::string response_time_name;  // plugins.metrics-by-endpoint.response_time.<name>
    std::string prefix;              // plugins.metrics-by-endpoint.<name>.
    uint64_t requests = 0;
    Histogram response_time;
    std::map<std::string, uint64_t, std::less<>> errors;  // by error name
  };

  struct Phase {
    std::string prefix;  // barrage.phase.<i>.
    uint64_t requests = 0;
    uint64_t responses = 0;
    uint64_t vusers_created = 0;
    uint64_t cold_starts = 0;
    uint64_t first_sent_ms = UINT64_MAX;  // since the last flush; UINT64_MAX = none
    uint64_t last_done_ms = 0;            // + 1; 0 = none
    std::vector<uint64_t> codes;          // kStatusSlots, allocated on first response
    Histogram response_time;
    std::map<std::string, uint64_t, std::less<>> errors;
  };

  Phase* phase_at(int i) noexcept {
    return i >= 0 && static_cast<size_t>(i) < phases_.size() ? &phases_[static_cast<size_t>(i)]
                                                             : nullptr;
  }
  static int status_slot(int status) noexcept {
    return status >= 100 && status < kStatusSlots ? status : 0;
  }
  Endpoint* endpoint(int id) noexcept {
    return id >= 0 && static_cast<size_t>(id) < endpoints_.size()
               ? &endpoints_[static_cast<size_t>(id)]
               : nullptr;
  }
  static void bump(std::map<std::string, uint64_t, std::less<>>& m, std::string_view name,
                   uint64_t n);

  std::vector<Endpoint> endpoints_;
  std::vector<uint64_t> endpoint_codes_;  // endpoints_.size() * kStatusSlots, row-major

  uint64_t requests_ = 0;
  uint64_t responses_ = 0;
  uint64_t flushed_requests_ = 0;
  uint64_t flushed_responses_ = 0;
  uint64_t downloaded_bytes_ = 0;
  std::array<uint64_t, kStatusSlots> codes_{};
  Histogram response_time_;
  std::array<Histogram, 6> response_time_by_class_;  // index status / 100; 0 unused
  Histogram dns_, tcp_, tls_, ttfb_, download_;
  Histogram scheduling_lag_;
  Histogram pool_wait_;
  Histogram new_connection_, reused_connection_;
  Histogram ttfb_new_connection_, ttfb_reused_connection_;
  Histogram cold_start_, warm_;
  uint64_t cold_starts_ = 0;
  std::vector<Phase> phases_;

  uint64_t vusers_created_ = 0;
  struct ScenarioCount {
    std::string name;  // vusers.created_by_name.<key>
    uint64_t created = 0;
  };
  std::vector<ScenarioCount> scenarios_;
  uint64_t vusers_completed_ = 0;
  uint64_t vusers_failed_ = 0;
  uint64_t vusers_skipped_ = 0;
  Histogram session_length_;

  std::map<std::string, uint64_t, std::less<>> errors_;          // by error name
  std::map<std::string, uint64_t, std::less<>> other_counters_;  // full metric names
  std::map<std::string, Histogram, std::less<>> other_histograms_;
};

}  // namespace barrage::metrics
