#include "report/console.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include "metrics/summary.h"

namespace barrage::report {

namespace {

constexpr size_t kLineWidth = 80;

void dotted(std::string& out, std::string_view indent, std::string_view name,
            const std::string& value) {
  std::string left = fmt::format("{}{}: ", indent, name);
  out += left;
  const size_t used = left.size() + value.size() + 1;
  out.append(used < kLineWidth ? kLineWidth - used : 3, '.');
  out += ' ';
  out += value;
  out += '\n';
}

std::string ms(double us) {
  const double v = us / 1000.0;
  if (v < 10) return fmt::format("{:.2f}", v);
  return fmt::format("{:.1f}", v);
}

bool hidden_unless_extended(std::string_view name) {
  return name == "http.response_time.new_connection" ||
         name == "http.response_time.reused_connection" || name == "http.dns" ||
         name == "http.tcp" || name == "http.tls" || name == "http.ttfb" || name == "http.download";
}

bool is_endpoint_metric(std::string_view name) {
  return name.starts_with("plugins.metrics-by-endpoint.");
}

// barrage.expect.<endpoint>.<check>.<ok|failed>: per-request expect
// counters, shown as the checklist rather than as plain counters.
constexpr std::string_view kExpectChecklistPrefix = "barrage.expect.";

bool is_checklist_metric(std::string_view name) { return name.starts_with(kExpectChecklistPrefix); }

// The expect plugin's checklist, per request (endpoint name) and check:
//   GET /users (name)
//     ok      statusCode ............. 10
//     not ok  contentType ... 8 ok, 2 failed
std::string format_checklist(const metrics::Snapshot& s) {
  struct Tally {
    uint64_t ok = 0;
    uint64_t failed = 0;
  };
  std::map<std::string, std::map<std::string, Tally>> by_endpoint;
  for (const auto& [name, n] : s.counters) {
    if (!is_checklist_metric(name)) continue;
    const std::string_view rest = std::string_view(name).substr(kExpectChecklistPrefix.size());
    const size_t outcome_dot = rest.rfind('.');
    if (outcome_dot == std::string_view::npos || outcome_dot == 0) continue;
    const size_t check_dot = rest.rfind('.', outcome_dot - 1);
    if (check_dot == std::string_view::npos) continue;
    const std::string endpoint(rest.substr(0, check_dot));
    const std::string check(rest.substr(check_dot + 1, outcome_dot - check_dot - 1));
    Tally& t = by_endpoint[endpoint][check];
    (rest.substr(outcome_dot + 1) == "ok" ? t.ok : t.failed) += n;
  }
  if (by_endpoint.empty()) return {};
  std::string out = "Expectations:\n";
  for (const auto& [endpoint, checks] : by_endpoint) {
    out += fmt::format("  {}\n", endpoint);
    for (const auto& [check, t] : checks) {
      const std::string value =
          t.failed == 0 ? std::to_string(t.ok) : fmt::format("{} ok, {} failed", t.ok, t.failed);
      dotted(out, t.failed == 0 ? "    ok     " : "    not ok ", check, value);
    }
  }
  return out;
}

std::string clock_time(int64_t epoch_ms) {
  const time_t t = epoch_ms / 1000;
  tm tmv{};
  gmtime_r(&t, &tmv);
  return fmt::format("{:02}:{:02}:{:02}(+0000)", tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
}

std::string mmss(double s) {
  const auto total = static_cast<int64_t>(std::max(0.0, s));
  return fmt::format("{:02}:{:02}", total / 60, total % 60);
}

}  // namespace

std::vector<std::string> warnings_for(const metrics::Snapshot& s) {
  std::vector<std::string> out;
  if (const auto* lag = s.find_histogram("barrage.scheduling_lag"); lag && !lag->empty()) {
    const uint64_t p99 = lag->percentile(99);
    if (p99 > kSaturationLagUs) {
      out.push_back(fmt::format(
          "generator saturated: scheduling lag p99 = {} ms (> {} ms); latency figures include "
          "the generator's own delay and are suspect. Use more cores or a lower rate.",
          ms(static_cast<double>(p99)), kSaturationLagUs / 1000));
    }
  }
  if (const auto* wait = s.find_histogram("barrage.pool_wait"); wait && !wait->empty()) {
    const uint64_t p99 = wait->percentile(99);
    if (p99 > kSaturationLagUs) {
      out.push_back(fmt::format(
          "connection pool full: requests waited for a pooled connection, barrage.pool_wait "
          "p99 = {} ms (> {} ms). config.http.pool limits the rate, not the generator; the "
          "latency figures include the wait. Raise http.pool to send more at once.",
          ms(static_cast<double>(p99)), kSaturationLagUs / 1000));
    }
  }
  const uint64_t fd_errors = s.counter("errors.EMFILE") + s.counter("errors.ENFILE");
  if (fd_errors > 0) {
    out.push_back(fmt::format(
        "out of file descriptors: {} connection(s) could not be opened (EMFILE/ENFILE). "
        "barrage raises its soft limit to the hard limit; raise the hard limit "
        "(ulimit -Hn, or LimitNOFILE) or run fewer concurrent VUs per machine.",
        fd_errors));
  }
  return out;
}

std::string format_metrics(const metrics::Snapshot& s, const ConsoleOptions& options,
                           bool summary) {
  std::string out;
  const double seconds = s.period_end_ms > s.period_start_ms
                             ? static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000.0
                             : 0;
  // Counters and histograms interleaved in name order, as Artillery prints them.
  std::vector<std::string> names;
  names.reserve(s.counters.size() + s.histograms.size() + 1);
  for (const auto& [name, v] : s.counters) names.push_back(name);
  for (const auto& [name, h] : s.histograms) names.push_back(name);
  // Rates, as Artillery's: from the counters they follow.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kRates{{
      {"http.request_rate", "http.requests"},
      {"websocket.send_rate", "websocket.messages_sent"},
      {"websocket.receive_rate", "websocket.messages_received"},
  }};
  for (const auto& [rate, counter] : kRates) {
    if (s.counters.contains(counter)) names.emplace_back(rate);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    if (!options.extended_metrics && hidden_unless_extended(name)) continue;
    if (!options.show_endpoints && is_endpoint_metric(name)) continue;
    if (name.starts_with("barrage.phase.")) continue;  // the summary's phase table shows them
    if (is_checklist_metric(name)) continue;
    if (const auto* r = std::find_if(kRates.begin(), kRates.end(),
                                     [&](const auto& k) { return k.first == name; });
        r != kRates.end()) {
      const double rate = seconds > 0 ? static_cast<double>(s.counter(r->second)) / seconds : 0;
      dotted(out, "", name, fmt::format("{:.0f}/sec", rate));
      continue;
    }
    if (auto it = s.counters.find(name); it != s.counters.end()) {
      dotted(out, "", name, std::to_string(it->second));
      continue;
    }
    const auto* h = s.find_histogram(name);
    if (h == nullptr || h->empty()) continue;
    const auto sum = metrics::summarize(*h);
    out += name + ":\n";
    if (summary) {
      dotted(out, "  ", "count", std::to_string(sum.count));
    }
    dotted(out, "  ", "min", ms(static_cast<double>(sum.min)));
    dotted(out, "  ", "max", ms(static_cast<double>(sum.max)));
    dotted(out, "  ", "mean", ms(sum.mean));
    dotted(out, "  ", "median", ms(static_cast<double>(sum.p50)));
    if (summary) {
      dotted(out, "  ", "p75", ms(static_cast<double>(sum.p75)));
      dotted(out, "  ", "p90", ms(static_cast<double>(sum.p90)));
    }
    dotted(out, "  ", "p95", ms(static_cast<double>(sum.p95)));
    dotted(out, "  ", "p99", ms(static_cast<double>(sum.p99)));
    if (summary) dotted(out, "  ", "p999", ms(static_cast<double>(sum.p999)));
  }
  for (const auto& w : warnings_for(s)) out += "WARNING: " + w + "\n";
  return out;
}

std::string format_period(const metrics::Snapshot& s, const ConsoleOptions& options) {
  const double width = static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000.0;
  std::string out = "--------------------------------------\n";
  out += fmt::format("Metrics for period to: {} (width: {:.3f}s)\n", clock_time(s.period_end_ms),
                     width);
  out += "--------------------------------------\n\n";
  out += format_metrics(s, options, false);
  out += '\n';
  return out;
}

std::string format_summary(const Report& r, const ConsoleOptions& options) {
  std::string out;
  // VUs a --drain-timeout ended did not finish.
  const uint64_t cut_off = r.aggregate.counter("barrage.drain.cut_off");
  const std::string ended =
      r.run.interrupted ? "Run interrupted."
      : cut_off > 0 ? fmt::format("Drain timeout: {} VU{} ended.", cut_off, cut_off == 1 ? "" : "s")
                    : "All VUs finished.";
  out += fmt::format("{} Total time: {:.1f} seconds\n", ended, r.run.duration_s);
  out += "--------------------------------\n";
  out += fmt::format("Summary report @ {}\n",
                     clock_time(r.run.start_ms + static_cast<int64_t>(r.run.duration_s * 1000)));
  out += "--------------------------------\n\n";
  out += format_metrics(r.aggregate, options, true);
  if (const std::string checklist = format_checklist(r.aggregate); !checklist.empty()) {
    out += '\n';
    out += checklist;
  }
  return out;
}

std::string format_progress(const engine::Progress& p, const std::vector<std::string>& phase_names,
                            double rate) {
  std::string phase = "starting";
  if (p.phase >= 0 && static_cast<size_t>(p.phase) < phase_names.size()) {
    phase = fmt::format("phase {}/{} {}", p.phase + 1, phase_names.size(),
                        phase_names[static_cast<size_t>(p.phase)]);
  }
  // After the last phase the run waits for the VUs still running (Artillery's end).
  if (p.draining) phase = fmt::format("phases done, waiting for {} VUs", p.active_vus);
  return fmt::format("{}  {}/{}  {:.0f} req/s  {} VUs  {} requests", phase, mmss(p.elapsed_s),
                     mmss(p.total_s), rate, p.active_vus, p.requests);
}

}  // namespace barrage::report
