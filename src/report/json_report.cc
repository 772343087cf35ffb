#include "report/json_report.h"

#include <nlohmann/json.hpp>

#include "metrics/summary.h"
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
                           const ReportInfo& info) {
  json phases = json::array();
  for (const auto& p : plan.phases) {
    json ph{{"name", p.name}, {"duration_s", p.duration_s}};
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
           {"endpoints", endpoints},
           {"warnings", warnings}};
  if (!result.run_id.empty()) doc["run"]["run_id"] = result.run_id;
  if (!result.workers.empty()) {
    json workers = json::array();
    for (const auto& w : result.workers) {
      json j{{"id", w.id},           {"status", w.status},
             {"batches", w.batches}, {"requests", w.requests},
             {"cpu_max", w.cpu_max}, {"lag_p99_max_ms", w.lag_p99_max_ms}};
      if (!w.reason.empty()) j["reason"] = w.reason;
      if (w.ended_wall_ms > 0) j["ended_ms"] = w.ended_wall_ms;
      workers.push_back(std::move(j));
    }
    doc["workers"] = std::move(workers);
    doc["delivery"] = {{"duplicates_dropped", result.duplicates_dropped},
                       {"late_batches", result.late_batches}};
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
  const json run = doc.value("run", json::object());
  r.cores = run.value("cores", 0);
  r.duration_s = run.value("duration_s", 0.0);
  r.interrupted = run.value("interrupted", false);
  r.start_wall_ms = run.value("start_ms", int64_t{0});
  r.run_id = run.value("run_id", std::string());
  for (const auto& w : doc.value("workers", json::array())) {
    if (!w.is_object()) return fail("malformed worker");
    engine::WorkerReport wr;
    wr.id = w.value("id", 0U);
    wr.status = w.value("status", std::string());
    wr.reason = w.value("reason", std::string());
    wr.ended_wall_ms = w.value("ended_ms", int64_t{0});
    wr.batches = w.value("batches", uint64_t{0});
    wr.requests = w.value("requests", uint64_t{0});
    wr.cpu_max = w.value("cpu_max", 0.0);
    wr.lag_p99_max_ms = w.value("lag_p99_max_ms", 0.0);
    r.workers.push_back(std::move(wr));
  }
  const json delivery = doc.value("delivery", json::object());
  r.duplicates_dropped = delivery.value("duplicates_dropped", uint64_t{0});
  r.late_batches = delivery.value("late_batches", uint64_t{0});
  return r;
}

}  // namespace barrage::report
