#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "metrics/snapshot.h"
#include "report/analysis.h"
#include "report/ci_reports.h"

namespace barrage::report {

std::string to_csv_report(const Report& r) {
  std::string out =
      "period_start_ms,period_end_ms,offset_s,requests,responses,request_rate,codes_2xx,"
      "codes_3xx,codes_4xx,codes_5xx,codes_429,errors,vusers_created,vusers_completed,"
      "vusers_failed,p50_ms,p95_ms,p99_ms,max_ms,scheduling_lag_p99_ms,cold_starts\n";
  for (const auto& s : r.intermediate) {
    const int64_t from = std::max(s.period_start_ms, r.run.start_ms);
    const double width =
        s.period_end_ms > from ? static_cast<double>(s.period_end_ms - from) / 1000.0 : 0;
    std::array<uint64_t, 6> cls{};
    for (const auto& [k, v] : s.counters) {
      if (k.size() == 14 && k.starts_with("http.codes.") && k[11] >= '1' && k[11] <= '5') {
        cls[static_cast<size_t>(k[11] - '0')] += v;
      }
    }
    uint64_t errors = 0;
    for (const auto& [k, v] : s.counters) {
      if (k.starts_with("errors.")) errors += v;
    }
    const Latency l = latency_of(s.find_histogram("http.response_time"));
    const Latency lag = latency_of(s.find_histogram("barrage.scheduling_lag"));
    out += fmt::format(
        "{},{},{:.3f},{},{},{:.3f},{},{},{},{},{},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{}"
        "\n",
        s.period_start_ms, s.period_end_ms, static_cast<double>(from - r.run.start_ms) / 1000.0,
        s.counter("http.requests"), s.counter("http.responses"),
        width > 0 ? static_cast<double>(s.counter("http.requests")) / width : 0, cls[2], cls[3],
        cls[4], cls[5], s.counter("http.codes.429"), errors, s.counter("vusers.created"),
        s.counter("vusers.completed"), s.counter("vusers.failed"), l.p50, l.p95, l.p99, l.max,
        lag.p99, s.counter("barrage.cold_starts"));
  }
  return out;
}

}  // namespace barrage::report
