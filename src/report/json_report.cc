#include "report/json_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "metrics/summary.h"
#include "report/analysis.h"
#include "report/console.h"

namespace barrage::report {

namespace {

using nlohmann::json;

double ms(double us) { return us / 1000.0; }

json summary_json(const metrics::Histogram& h) {
  const auto s = metrics::summarize(h);
  return json{{"count", s.count},
              {"min", ms(static_cast<double>(s.min))},
              {"max", ms(static_cast<double>(s.max))},
              {"mean", ms(s.mean)},
              {"p50", ms(static_cast<double>(s.p50))},
              {"median", ms(static_cast<double>(s.p50))},
              {"p75", ms(static_cast<double>(s.p75))},
              {"p90", ms(static_cast<double>(s.p90))},
              {"p95", ms(static_cast<double>(s.p95))},
              {"p99", ms(static_cast<double>(s.p99))},
              {"p999", ms(static_cast<double>(s.p999))}};
}

json snapshot_json(const metrics::Snapshot& s) {
  json counters = json::object();
  for (const auto& [k, v] : s.counters) counters[k] = v;
  json summaries = json::object();
  json histograms = json::object();
  for (const auto& [k, h] : s.histograms) {
    if (h.empty()) continue;
    summaries[k] = summary_json(h);
    histograms[k] = h.to_base64();
  }
  const double seconds = s.period_end_ms > s.period_start_ms
                             ? static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000.0
                             : 0;
  json rates = json::object();
  if (seconds > 0) {
    rates["http.request_rate"] = static_cast<double>(s.counter("http.requests")) / seconds;
  }
  return json{{"period_start_ms", s.period_start_ms},
              {"period_end_ms", s.period_end_ms},
              {"counters", counters},
              {"rates", rates},
              {"summaries", summaries},
              {"histograms", histograms}};
}

// A timeline entry: counters and serialized histograms (summaries are left out to keep
// one entry per second small; readers compute them from the histograms).
json timeline_json(const metrics::Snapshot& s) {
  json counters = json::object();
  for (const auto& [k, v] : s.counters) counters[k] = v;
  json histograms = json::object();
  for (const auto& [k, h] : s.histograms) {
    if (!h.empty()) histograms[k] = h.to_base64();
  }
  return json{{"period_start_ms", s.period_start_ms},
              {"period_end_ms", s.period_end_ms},
              {"counters", counters},
              {"histograms", histograms}};
}

json latency_json(const Latency& l) {
  return json{{"count", l.count}, {"p50", l.p50}, {"p95", l.p95}, {"p99", l.p99}, {"max", l.max}};
}

json outcomes_json(const Outcomes& o) {
  json classes = json::object();
  for (size_t c = 0; c < kErrorClassCount; ++c) {
    classes[error_class_key(static_cast<ErrorClass>(c))] = o.by_class[c];
  }
  return json{{"responses", o.responses},
              {"errors", o.errors},
              {"failed", o.failed()},
              {"failed_share", o.failed_share()},
              {"by_class", classes}};
}

json level_json(const LoadLevel& l) {
  return json{{"offset_s", l.offset_s},         {"wall_ms", l.wall_ms},
              {"arrival_rate", l.arrival_rate}, {"request_rate", l.request_rate},
              {"active_vus", l.active_vus},     {"share", l.share}};
}

json analysis_doc(const Analysis& a) {
  json phases = json::array();
  for (const auto& p : a.phases) {
    phases.push_back(json{{"name", p.span.name},
                          {"start_s", p.span.start_s},
                          {"duration_s", p.span.duration_s},
                          {"pause", p.span.pause},
                          {"vusers_created", p.vusers_created},
                          {"requests", p.requests},
                          {"arrival_rate", p.arrival_rate},
                          {"request_rate", p.request_rate},
                          {"response_time", latency_json(p.latency)},
                          {"outcomes", outcomes_json(p.outcomes)},
                          {"cold_starts", p.cold_starts}});
  }
  const auto& cs = a.cold_starts;
  json spikes = json::array();
  for (const auto& s : cs.spikes) {
    spikes.push_back(json{{"start_s", s.start_s},
                          {"end_s", s.end_s},
                          {"wall_start_ms", s.wall_start_ms},
                          {"peak_p99_ms", s.peak_p99_ms},
                          {"arrival_rate", s.arrival_rate},
                          {"previous_arrival_rate", s.previous_arrival_rate},
                          {"scale_out", s.scale_out},
                          {"cold_starts", s.cold_starts}});
  }
  json cold{{"source", cs.source},
            {"count", cs.count},
            {"responses", cs.responses},
            {"share", cs.share},
            {"threshold_ms", cs.threshold_ms},
            {"cold", latency_json(cs.cold)},
            {"warm", latency_json(cs.warm)},
            {"new_connection", latency_json(cs.new_connection)},
            {"reused_connection", latency_json(cs.reused_connection)},
            {"spikes", spikes}};
  json onsets = json::array();
  for (const auto& o : a.onsets) {
    json j{{"class", error_class_key(o.error_class)},
           {"name", error_class_name(o.error_class)},
           {"total", o.total},
           {"first", level_json(o.first)}};
    j["over_1pct"] = o.over_limit ? level_json(*o.over_limit) : json(nullptr);
    onsets.push_back(std::move(j));
  }
  return json{{"resolution_s", a.resolution_s},
              {"phases", phases},
              {"cold_starts", cold},
              {"error_onset", onsets}};
}

std::optional<metrics::Snapshot> snapshot_from(const json& j) {
  if (!j.is_object()) return std::nullopt;
  metrics::Snapshot s;
  s.period_start_ms = j.value("period_start_ms", int64_t{0});
  s.period_end_ms = j.value("period_end_ms", int64_t{0});
  if (auto it = j.find("counters"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_number_unsigned() && !v.is_number_integer()) return std::nullopt;
      s.counters[k] = v.get<uint64_t>();
    }
  }
  if (auto it = j.find("histograms"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return std::nullopt;
      auto h = metrics::Histogram::from_base64(v.get<std::string>());
      if (!h) return std::nullopt;
      s.histograms[k] = std::move(*h);
    }
  }
  return s;
}

}  // namespace

std::string to_json_report(const engine::RunResult& result, const script::Plan& plan,
                           const ReportInfo& info, const RunExtras& extras) {
  json phases = json::array();
  const auto spans = phase_spans(plan);
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    const auto& p = plan.phases[i];
    json ph{{"name", p.name}, {"start_s", spans[i].start_s}, {"duration_s", p.duration_s}};
    if (p.pause) ph["pause"] = true;
    if (p.closed()) ph["vusers"] = p.vusers;
    if (p.arrival_count) ph["arrivalCount"] = *p.arrival_count;
    if (!p.pause && !p.closed() && !p.arrival_count) ph["arrivalRate"] = p.arrival_rate;
    if (p.ramp_to) ph["rampTo"] = *p.ramp_to;
    if (p.max_vusers > 0) ph["maxVusers"] = p.max_vusers;
    phases.push_back(std::move(ph));
  }
  metrics::Snapshot agg = result.aggregate;
  agg.period_start_ms = result.start_wall_ms;
  agg.period_end_ms = result.start_wall_ms + static_cast<int64_t>(result.duration_s * 1000);

  json endpoints = json::object();
  const std::string rt_prefix = "plugins.metrics-by-endpoint.response_time.";
  for (const auto& name : plan.endpoints) {
    json e = json::object();
    const std::string prefix = "plugins.metrics-by-endpoint." + name + ".";
    json codes = json::object();
    json errors = json::object();
    for (const auto& [k, v] : agg.counters) {
      if (!k.starts_with(prefix)) continue;
      const std::string rest = k.substr(prefix.size());
      if (rest.starts_with("codes.")) codes[rest.substr(6)] = v;
      if (rest.starts_with("errors.")) errors[rest.substr(7)] = v;
    }
    e["codes"] = codes;
    e["errors"] = errors;
    if (const auto* h = agg.find_histogram(rt_prefix + name)) {
      e["response_time"] = summary_json(*h);
    }
    endpoints[name] = std::move(e);
  }
  json intermediate = json::array();
  for (const auto& p : result.periods) intermediate.push_back(snapshot_json(p));
  json timeline = json::array();
  for (const auto& p : result.timeline) timeline.push_back(timeline_json(p));
  json warnings = json::array();
  for (const auto& w : warnings_for(agg)) warnings.push_back(w);

  json doc{{"schema", kReportSchema},
           {"barrage_version", info.version},
           {"run",
            {{"script", info.script},
             {"target", info.target},
             {"cores", result.cores},
             {"start_ms", result.start_wall_ms},
             {"duration_s", result.duration_s},
             {"interrupted", result.interrupted},
             {"phases", phases}}},
           {"aggregate", snapshot_json(agg)},
           {"intermediate", intermediate},
           {"timeline", timeline},
           {"analysis", analysis_doc(analyze(result, spans))},
           {"endpoints", endpoints},
           {"warnings", warnings}};
  if (!info.ensure.empty()) {
    json ensure = json::array();
    for (const auto& c : info.ensure) {
      ensure.push_back({{"name", c.text}, {"ok", c.passed}, {"strict", c.strict}});
    }
    doc["ensure"] = std::move(ensure);
  }
  if (!extras.run_id.empty()) doc["run"]["run_id"] = extras.run_id;
  const fleet::FleetSummary no_fleet;
  const fleet::FleetSummary& fleet = extras.fleet != nullptr ? *extras.fleet : no_fleet;
  if (!fleet.workers.empty()) {
    json workers = json::array();
    for (const auto& w : fleet.workers) {
      json j{{"id", w.id},           {"status", w.status},
             {"batches", w.batches}, {"requests", w.requests},
             {"cpu_max", w.cpu_max}, {"lag_p99_max_ms", w.lag_p99_max_ms}};
      if (!w.reason.empty()) j["reason"] = w.reason;
      if (w.ended_wall_ms > 0) j["ended_ms"] = w.ended_wall_ms;
      workers.push_back(std::move(j));
    }
    doc["workers"] = std::move(workers);
    doc["delivery"] = {{"duplicates_dropped", fleet.duplicates_dropped},
                       {"late_batches", fleet.late_batches}};
  }
  if (!fleet.platform.empty()) doc["run"]["platform"] = fleet.platform;
  if (!fleet.regions.empty()) {
    json regions = json::object();
    for (const auto& r : fleet.regions) {
      const auto& a = r.aggregate;
      uint64_t errors = 0;
      for (const auto& [k, v] : a.counters) {
        if (k.starts_with("errors.")) errors += v;
      }
      json j{{"region", r.region},
             {"workers", r.workers},
             {"requests", a.counter("http.requests")},
             {"responses", a.counter("http.responses")},
             {"errors", errors}};
      if (const auto* h = a.find_histogram("http.response_time")) {
        j["response_time"] = summary_json(*h);
      }
      regions[r.region] = std::move(j);
    }
    doc["regions"] = std::move(regions);
  }
  if (extras.cost != nullptr) {
    auto figure = [](const lambda::CostFigure& f) {
      return json{{"dollars", f.dollars},         {"gb_seconds", f.gb_seconds},
                  {"invocations", f.invocations}, {"sqs_requests", f.sqs_requests},
                  {"s3_requests", f.s3_requests}, {"text", f.text}};
    };
    json cost{{"estimated", figure(extras.cost->estimated)},
              {"prices_date", extras.cost->prices_date},
              {"notes", extras.cost->notes}};
    if (extras.cost->measured) cost["measured"] = figure(*extras.cost->measured);
    doc["cost"] = std::move(cost);
  }
  if (!plan.serverless.cold_start_header.empty()) {
    doc["run"]["cold_start_header"] = plan.serverless.cold_start_header;
  }
  return doc.dump(2) + "\n";
}

std::optional<engine::RunResult> read_json_report(const std::string& text, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<engine::RunResult> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("not JSON");
  if (doc.value("schema", std::string()) != kReportSchema) return fail("not a barrage report");
  engine::RunResult r;
  auto agg = snapshot_from(doc.value("aggregate", json::object()));
  if (!agg) return fail("malformed aggregate");
  r.aggregate = std::move(*agg);
  for (const auto& p : doc.value("intermediate", json::array())) {
    auto s = snapshot_from(p);
    if (!s) return fail("malformed period");
    r.periods.push_back(std::move(*s));
  }
  for (const auto& p : doc.value("timeline", json::array())) {
    auto s = snapshot_from(p);
    if (!s) return fail("malformed timeline period");
    r.timeline.push_back(std::move(*s));
  }
  const json run = doc.value("run", json::object());
  r.cores = run.value("cores", 0);
  r.duration_s = run.value("duration_s", 0.0);
  r.interrupted = run.value("interrupted", false);
  r.start_wall_ms = run.value("start_ms", int64_t{0});
  // Workers (distributed runs) are read from the document by the renderers.
  for (const auto& w : doc.value("workers", json::array())) {
    if (!w.is_object()) return fail("malformed worker");
  }
  return r;
}

std::string analysis_to_json(const Analysis& a) { return analysis_doc(a).dump(); }

std::vector<PhaseSpan> read_report_phases(const std::string& text) {
  std::vector<PhaseSpan> out;
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return out;
  const json run = doc.value("run", json::object());
  double t = 0;
  size_t i = 0;
  for (const auto& p : run.value("phases", json::array())) {
    ++i;
    if (!p.is_object()) continue;
    PhaseSpan s;
    s.pause = p.value("pause", false);
    s.name = p.value("name", std::string());
    if (s.name.empty()) s.name = s.pause ? fmt::format("pause #{}", i) : fmt::format("#{}", i);
    s.duration_s = p.value("duration_s", 0.0);
    s.start_s = p.value("start_s", t);
    t = s.start_s + s.duration_s;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace barrage::report
