#include "report/analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace barrage::report {

namespace {

constexpr uint64_t kSlowFloorUs = 20'000;  // a cold start adds at least this much
constexpr double kSlowFactor = 3.0;        // ... and at least triples the warm median
constexpr uint64_t kMinReusedSamples = 20;
constexpr double kRiseFactor = 1.1;  // arrivals per second up by 10% ...
constexpr double kRiseMin = 1.0;     // ... and by at least 1/s
constexpr size_t kRiseLookback = 3;  // against the highest of the previous 3 periods
constexpr size_t kSpikeLag = 2;      // a spike up to 2 periods after a rise is "scale-out"

double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

// Status code of "<prefix><code>", or 0.
int code_of(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return 0;
  const std::string_view rest = name.substr(prefix.size());
  int code = 0;
  const auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), code);
  return ec == std::errc() && p == rest.data() + rest.size() ? code : 0;
}

std::optional<ErrorClass> class_of_code(int code) {
  switch (code) {
    case 429:
      return ErrorClass::k429;
    case 502:
      return ErrorClass::k502;
    case 503:
      return ErrorClass::k503;
    case 504:
      return ErrorClass::k504;
    default:
      break;
  }
  if (code >= 500 && code < 600) return ErrorClass::kOther5xx;
  return std::nullopt;
}

double width_s(const metrics::Snapshot& s, int64_t run_start_ms) {
  const int64_t start = std::max(s.period_start_ms, run_start_ms);
  return s.period_end_ms > start ? static_cast<double>(s.period_end_ms - start) / 1000.0 : 0;
}

double per_second(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0;
}

// The warm median: reused connections when there are enough of them, else everything.
uint64_t warm_median_us(const metrics::Snapshot& aggregate) {
  const auto* reused = aggregate.find_histogram("http.response_time.reused_connection");
  if (reused != nullptr && reused->count() >= kMinReusedSamples) return reused->percentile(50);
  const auto* all = aggregate.find_histogram("http.response_time");
  return all != nullptr ? all->percentile(50) : 0;
}

uint64_t slow_threshold_us(uint64_t warm_median) {
  return std::max(static_cast<uint64_t>(kSlowFactor * static_cast<double>(warm_median)),
                  warm_median + kSlowFloorUs);
}

}  // namespace

std::vector<PhaseSpan> phase_spans(const script::Plan& plan) {
  std::vector<PhaseSpan> out;
  double t = 0;
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& p = plan.phases[i];
    PhaseSpan s;
    s.name = !p.name.empty()
                 ? p.name
                 : (p.pause ? fmt::format("pause #{}", i + 1) : fmt::format("#{}", i + 1));
    s.start_s = t;
    s.duration_s = p.duration_s;
    s.pause = p.pause;
    t += p.duration_s;
    out.push_back(std::move(s));
  }
  return out;
}

const char* error_class_name(ErrorClass c) {
  switch (c) {
    case ErrorClass::k429:
      return "429";
    case ErrorClass::k502:
      return "502";
    case ErrorClass::k503:
      return "503";
    case ErrorClass::k504:
      return "504";
    case ErrorClass::kOther5xx:
      return "other 5xx";
    case ErrorClass::kTimeout:
      return "timeouts";
    case ErrorClass::kConnection:
      return "connection errors";
    case ErrorClass::kOther:
      return "other errors";
  }
  return "?";
}

const char* error_class_key(ErrorClass c) {
  switch (c) {
    case ErrorClass::k429:
      return "429";
    case ErrorClass::k502:
      return "502";
    case ErrorClass::k503:
      return "503";
    case ErrorClass::k504:
      return "504";
    case ErrorClass::kOther5xx:
      return "5xx";
    case ErrorClass::kTimeout:
      return "timeout";
    case ErrorClass::kConnection:
      return "connection";
    case ErrorClass::kOther:
      return "other";
  }
  return "?";
}

ErrorClass classify_error(std::string_view e) {
  if (e == "ETIMEDOUT" || e == "ESOCKETTIMEDOUT") return ErrorClass::kTimeout;
  static constexpr std::string_view kConnection[] = {
      "ECONNREFUSED", "ECONNRESET",   "ECONNABORTED", "EPIPE",        "ENOTFOUND",
      "EAI_AGAIN",    "EHOSTUNREACH", "ENETUNREACH",  "EADDRNOTAVAIL"};
  for (const auto n : kConnection) {
    if (e == n) return ErrorClass::kConnection;
  }
  return ErrorClass::kOther;
}

uint64_t Outcomes::failed() const {
  uint64_t n = 0;
  for (const uint64_t c : by_class) n += c;
  return n;
}

double Outcomes::share(ErrorClass c) const {
  const uint64_t t = total();
  return t > 0 ? static_cast<double>(by_class[static_cast<size_t>(c)]) / static_cast<double>(t) : 0;
}

double Outcomes::failed_share() const {
  const uint64_t t = total();
  return t > 0 ? static_cast<double>(failed()) / static_cast<double>(t) : 0;
}

Outcomes count_outcomes(const metrics::Snapshot& s, std::string_view codes_prefix,
                        std::string_view errors_prefix) {
  Outcomes o;
  for (auto it = s.counters.lower_bound(codes_prefix);
       it != s.counters.end() && it->first.starts_with(codes_prefix); ++it) {
    o.responses += it->second;
    if (const auto c = class_of_code(code_of(it->first, codes_prefix))) {
      o.by_class[static_cast<size_t>(*c)] += it->second;
    }
  }
  for (auto it = s.counters.lower_bound(errors_prefix);
       it != s.counters.end() && it->first.starts_with(errors_prefix); ++it) {
    o.errors += it->second;
    const auto c = classify_error(std::string_view(it->first).substr(errors_prefix.size()));
    o.by_class[static_cast<size_t>(c)] += it->second;
  }
  return o;
}

Latency latency_of(const metrics::Histogram* h) {
  Latency l;
  if (h == nullptr || h->empty()) return l;
  l.count = h->count();
  l.p50 = ms(h->percentile(50));
  l.p95 = ms(h->percentile(95));
  l.p99 = ms(h->percentile(99));
  l.max = ms(h->max());
  return l;
}

namespace {

// How long a phase's requests took: from the first send to the last
// completion (barrage.phase.<i>.span_ms, min and max, in ms), at least 1 ms.
// Snapshots without it (older reports): the phase's nominal duration.
double requests_span_s(const metrics::Snapshot& aggregate, const std::string& prefix,
                       double nominal_s) {
  const auto* h = aggregate.find_histogram(prefix + "span_ms");
  if (h == nullptr || h->empty()) return nominal_s;
  return std::max(static_cast<double>(h->max() - h->min()) / 1000.0, 0.001);
}

}  // namespace

std::vector<PhaseResult> analyze_phases(const metrics::Snapshot& aggregate,
                                        const std::vector<PhaseSpan>& phases) {
  std::vector<PhaseResult> out;
  for (size_t i = 0; i < phases.size(); ++i) {
    const std::string prefix = fmt::format("barrage.phase.{}.", i);
    PhaseResult r;
    r.span = phases[i];
    r.vusers_created = aggregate.counter(prefix + "vusers.created");
    r.requests = aggregate.counter(prefix + "requests");
    r.arrival_rate = per_second(r.vusers_created, r.span.duration_s);
    r.request_rate = per_second(r.requests, requests_span_s(aggregate, prefix, r.span.duration_s));
    r.latency = latency_of(aggregate.find_histogram(prefix + "response_time"));
    r.outcomes = count_outcomes(aggregate, prefix + "codes.", prefix + "errors.");
    r.cold_starts = aggregate.counter(prefix + "cold_starts");
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// The per-period figures every timeline analysis uses.
struct Period {
  double offset_s = 0;
  int64_t wall_ms = 0;
  double width_s = 0;
  uint64_t created = 0;
  uint64_t active = 0;
  double arrival_rate = 0;
  double request_rate = 0;
  Outcomes outcomes;
};

std::vector<Period> periods_of(const std::vector<metrics::Snapshot>& timeline,
                               int64_t run_start_ms) {
  std::vector<Period> out;
  int64_t active = 0;
  for (const auto& s : timeline) {
    Period p;
    p.wall_ms = std::max(s.period_start_ms, run_start_ms);
    p.offset_s = static_cast<double>(p.wall_ms - run_start_ms) / 1000.0;
    p.width_s = width_s(s, run_start_ms);
    p.created = s.counter("vusers.created");
    active += static_cast<int64_t>(p.created) -
              static_cast<int64_t>(s.counter("vusers.completed") + s.counter("vusers.failed"));
    p.active = static_cast<uint64_t>(std::max<int64_t>(active, 0));
    p.arrival_rate = per_second(p.created, p.width_s);
    p.request_rate = per_second(s.counter("http.requests"), p.width_s);
    p.outcomes = count_outcomes(s, "http.codes.", "errors.");
    out.push_back(p);
  }
  return out;
}

LoadLevel level_of(const Period& p, ErrorClass c) {
  LoadLevel l;
  l.offset_s = p.offset_s;
  l.wall_ms = p.wall_ms;
  l.arrival_rate = p.arrival_rate;
  l.request_rate = p.request_rate;
  l.active_vus = p.active;
  l.share = p.outcomes.share(c);
  return l;
}

}  // namespace

std::vector<ErrorOnset> error_onsets(const std::vector<metrics::Snapshot>& timeline,
                                     int64_t run_start_ms, double limit) {
  const auto periods = periods_of(timeline, run_start_ms);
  std::vector<ErrorOnset> out;
  for (size_t c = 0; c < kErrorClassCount; ++c) {
    const auto cls = static_cast<ErrorClass>(c);
    ErrorOnset onset;
    onset.error_class = cls;
    bool seen = false;
    for (const auto& p : periods) {
      const uint64_t n = p.outcomes.by_class[c];
      if (n == 0) continue;
      onset.total += n;
      if (!seen) {
        onset.first = level_of(p, cls);
        seen = true;
      }
      if (!onset.over_limit && p.outcomes.share(cls) > limit) onset.over_limit = level_of(p, cls);
    }
    if (seen) out.push_back(onset);
  }
  return out;
}

namespace {

// Cold starts are counted only from the target's own word, the response header
// the script names (config.serverless.coldStartHeader). Without one barrage
// does not guess. An earlier estimate (first responses on new connections
// slower than the warm median) was measured against nginx, which has no cold
// starts, and counted TLS handshakes, a burst of simultaneous connects and, on
// a busy machine, the server's accept latency as cold starts; judged by the
// time to first byte alone it still found 5 of 50 first responses "cold" on a
// loaded machine. So without the header the report gives the facts instead:
// time to first byte of first responses on new connections against reused ones.
uint64_t cold_starts_in(const metrics::Snapshot& s, bool by_header) {
  return by_header ? s.counter("barrage.cold_starts") : 0;
}

// Per period: the highest arrival rate of the periods before it, and whether arrivals rose.
struct Rise {
  double before = 0;
  bool rising = false;
};

std::vector<Rise> rises_of(const std::vector<Period>& periods) {
  std::vector<Rise> out(periods.size());
  for (size_t i = 0; i < periods.size(); ++i) {
    double prev = 0;
    for (size_t j = i >= kRiseLookback ? i - kRiseLookback : 0; j < i; ++j) {
      prev = std::max(prev, periods[j].arrival_rate);
    }
    const double a = periods[i].arrival_rate;
    out[i] = {prev, a > prev * kRiseFactor && a - prev >= kRiseMin};
  }
  return out;
}

// Spikes: periods whose p99 passes the threshold, grouped when consecutive.
std::vector<Spike> find_spikes(const std::vector<metrics::Snapshot>& timeline, int64_t run_start_ms,
                               bool by_header, uint64_t threshold_us) {
  const auto periods = periods_of(timeline, run_start_ms);
  const auto rises = rises_of(periods);
  std::vector<Spike> spikes;
  for (size_t i = 0; i < periods.size(); ++i) {
    const auto* h = timeline[i].find_histogram("http.response_time");
    if (h == nullptr || h->empty() || h->percentile(99) <= threshold_us) continue;
    const double p99 = ms(h->percentile(99));
    const uint64_t n = cold_starts_in(timeline[i], by_header);
    const Period& p = periods[i];
    if (!spikes.empty() && spikes.back().end_s >= p.offset_s - 1e-9) {
      Spike& s = spikes.back();
      s.end_s = p.offset_s + p.width_s;
      s.peak_p99_ms = std::max(s.peak_p99_ms, p99);
      s.cold_starts += n;
      continue;
    }
    Spike s;
    s.start_s = p.offset_s;
    s.end_s = p.offset_s + p.width_s;
    s.wall_start_ms = p.wall_ms;
    s.peak_p99_ms = p99;
    s.arrival_rate = p.arrival_rate;
    s.previous_arrival_rate = rises[i].before;
    for (size_t j = i >= kSpikeLag ? i - kSpikeLag : 0; j <= i; ++j) {
      s.scale_out = s.scale_out || rises[j].rising;
    }
    s.cold_starts = n;
    spikes.push_back(s);
  }
  return spikes;
}

}  // namespace

ColdStarts analyze_cold_starts(const metrics::Snapshot& aggregate,
                               const std::vector<metrics::Snapshot>& timeline,
                               int64_t run_start_ms) {
  ColdStarts cs;
  const auto* all = aggregate.find_histogram("http.response_time");
  if (all == nullptr || all->empty()) return cs;
  cs.responses = all->count();
  cs.new_connection = latency_of(aggregate.find_histogram("http.response_time.new_connection"));
  cs.reused_connection =
      latency_of(aggregate.find_histogram("http.response_time.reused_connection"));
  cs.new_connection_ttfb = latency_of(aggregate.find_histogram("barrage.ttfb.new_connection"));
  cs.reused_connection_ttfb =
      latency_of(aggregate.find_histogram("barrage.ttfb.reused_connection"));
  const uint64_t threshold = slow_threshold_us(warm_median_us(aggregate));
  cs.threshold_ms = ms(threshold);
  const auto* cold = aggregate.find_histogram("http.response_time.cold_start");
  const auto* warm = aggregate.find_histogram("http.response_time.warm");
  const bool by_header = (cold != nullptr && !cold->empty()) || (warm != nullptr && !warm->empty());
  if (by_header) {
    cs.source = "header";
    cs.count = aggregate.counter("barrage.cold_starts");
    cs.cold = latency_of(cold);
    cs.warm = latency_of(warm);
  } else {
    cs.source = "none";
  }
  cs.share = static_cast<double>(cs.count) / static_cast<double>(cs.responses);
  cs.spikes = find_spikes(timeline, run_start_ms, by_header, threshold);
  return cs;
}

std::string spike_window(const Spike& s) {
  return fmt::format("{:.1f}s-{:.1f}s", s.start_s, s.end_s);
}

Analysis analyze(const metrics::Snapshot& aggregate, const std::vector<metrics::Snapshot>& timeline,
                 int64_t run_start_ms, const std::vector<PhaseSpan>& phases) {
  Analysis a;
  if (!timeline.empty()) {
    const auto& s = timeline.size() > 1 ? timeline[1] : timeline[0];
    a.resolution_s = static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000.0;
  }
  a.phases = analyze_phases(aggregate, phases);
  a.cold_starts = analyze_cold_starts(aggregate, timeline, run_start_ms);
  a.onsets = error_onsets(timeline, run_start_ms);
  return a;
}

namespace {

std::string format_phases(const std::vector<PhaseResult>& phases) {
  if (phases.empty()) return {};
  std::string out = "Phases (by the phase each VU arrived in):\n";
  out += fmt::format("  {:<20} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", "phase", "req/s",
                     "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "by class");
  for (const auto& p : phases) {
    if (p.span.pause) continue;
    std::string classes;
    for (size_t c = 0; c < kErrorClassCount; ++c) {
      const uint64_t n = p.outcomes.by_class[c];
      if (n == 0) continue;
      if (!classes.empty()) classes += ", ";
      classes += fmt::format("{} {} ({:.1f}%)", error_class_name(static_cast<ErrorClass>(c)), n,
                             100 * p.outcomes.share(static_cast<ErrorClass>(c)));
    }
    out += fmt::format("  {:<20} {:>7.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>7.1f}%  {}\n",
                       p.span.name.substr(0, 20), p.request_rate, p.latency.p50, p.latency.p95,
                       p.latency.p99, p.latency.max, 100 * p.outcomes.failed_share(),
                       classes.empty() ? "-" : classes);
  }
  return out;
}

std::string format_cold_starts(const ColdStarts& cs) {
  if (cs.source.empty()) return {};
  std::string out;
  if (cs.source == "header") {
    out += fmt::format("Cold starts (from the response header): {} of {} responses ({:.1f}%)\n",
                       cs.count, cs.responses, 100 * cs.share);
  } else if (cs.source == "none") {
    out +=
        "Cold starts: not counted (the script names no config.serverless.coldStartHeader, and "
        "barrage does not guess)\n";
    if (cs.new_connection_ttfb.count > 0 && cs.reused_connection_ttfb.count > 0) {
      out += fmt::format(
          "  time to first byte p50/p99: first on a new connection {:.2f}/{:.2f} ms, reused "
          "{:.2f}/{:.2f} ms\n",
          cs.new_connection_ttfb.p50, cs.new_connection_ttfb.p99, cs.reused_connection_ttfb.p50,
          cs.reused_connection_ttfb.p99);
    }
  } else {  // a report written before barrage stopped estimating
    out += fmt::format(
        "Cold starts (estimated: new connection and slower than {:.1f} ms): {} of {} "
        "responses ({:.1f}%)\n",
        cs.threshold_ms, cs.count, cs.responses, 100 * cs.share);
  }
  if (cs.count > 0) {
    out +=
        fmt::format("  cold p50/p95/p99 {:.1f}/{:.1f}/{:.1f} ms; warm {:.2f}/{:.2f}/{:.2f} ms\n",
                    cs.cold.p50, cs.cold.p95, cs.cold.p99, cs.warm.p50, cs.warm.p95, cs.warm.p99);
  }
  for (const auto& s : cs.spikes) {
    out += fmt::format(
        "  latency spike {}: p99 {:.1f} ms at {:.1f} arrivals/s (before: "
        "{:.1f}/s){}{}\n",
        spike_window(s), s.peak_p99_ms, s.arrival_rate, s.previous_arrival_rate,
        s.scale_out ? ", during scale-out" : "",
        cs.source == "none" ? "" : fmt::format(", {} cold start(s)", s.cold_starts));
  }
  return out;
}

std::string format_onsets(const std::vector<ErrorOnset>& onsets, double resolution_s) {
  if (onsets.empty()) return {};
  std::string out = fmt::format("Error onset ({:g} s resolution):\n", resolution_s);
  for (const auto& o : onsets) {
    out += fmt::format("  {:<18} first at {:.0f}s ({:.1f} arrivals/s, {} active VUs)",
                       error_class_name(o.error_class), o.first.offset_s, o.first.arrival_rate,
                       o.first.active_vus);
    if (o.over_limit) {
      out +=
          fmt::format("; over 1% at {:.0f}s ({:.1f} arrivals/s, {} active VUs)",
                      o.over_limit->offset_s, o.over_limit->arrival_rate, o.over_limit->active_vus);
    }
    out += fmt::format("; {} in total\n", o.total);
  }
  return out;
}

}  // namespace

std::string format_analysis(const Analysis& a) {
  return format_phases(a.phases) + format_cold_starts(a.cold_starts) +
         format_onsets(a.onsets, a.resolution_s);
}

}  // namespace barrage::report
