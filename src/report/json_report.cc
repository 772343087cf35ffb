#include "report/json_report.h"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace barrage::report {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- writing

json number_json(const Number& n) {
  return std::visit([](auto v) { return json(v); }, n.value);
}

json summary_json(const SummaryMs& s) {
  return json{{"count", s.count}, {"min", s.min},       {"max", s.max},  {"mean", s.mean},
              {"p50", s.p50},     {"median", s.median}, {"p75", s.p75},  {"p90", s.p90},
              {"p95", s.p95},     {"p99", s.p99},       {"p999", s.p999}};
}

json counters_json(const metrics::Snapshot& s) {
  json counters = json::object();
  for (const auto& [k, v] : s.counters) counters[k] = v;
  return counters;
}

json snapshot_json(const metrics::Snapshot& s) {
  json summaries = json::object();
  json histograms = json::object();
  for (const auto& [k, h] : s.histograms) {
    if (h.empty()) continue;
    summaries[k] = summary_json(summary_ms(h));
    histograms[k] = h.to_base64();
  }
  const double seconds = s.period_end_ms > s.period_start_ms
                             ? static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000.0
                             : 0;
  json rates = json::object();
  if (seconds > 0) {
    rates["http.request_rate"] = static_cast<double>(s.counter("http.requests")) / seconds;
    for (const auto& [rate, counter] :
         {std::pair{"websocket.send_rate", "websocket.messages_sent"},
          std::pair{"websocket.receive_rate", "websocket.messages_received"}}) {
      if (s.counters.contains(counter)) {
        rates[rate] = static_cast<double>(s.counter(counter)) / seconds;
      }
    }
  }
  return json{{"period_start_ms", s.period_start_ms},
              {"period_end_ms", s.period_end_ms},
              {"counters", counters_json(s)},
              {"rates", rates},
              {"summaries", summaries},
              {"histograms", histograms}};
}

// A timeline entry: counters and serialized histograms (summaries are left out to keep
// one entry per second small; readers compute them from the histograms).
json timeline_json(const metrics::Snapshot& s) {
  json histograms = json::object();
  for (const auto& [k, h] : s.histograms) {
    if (!h.empty()) histograms[k] = h.to_base64();
  }
  return json{{"period_start_ms", s.period_start_ms},
              {"period_end_ms", s.period_end_ms},
              {"counters", counters_json(s)},
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

json phase_result_json(const PhaseResult& p) {
  return json{{"name", p.span.name},
              {"start_s", p.span.start_s},
              {"duration_s", p.span.duration_s},
              {"pause", p.span.pause},
              {"vusers_created", p.vusers_created},
              {"requests", p.requests},
              {"arrival_rate", p.arrival_rate},
              {"request_rate", p.request_rate},
              {"response_time", latency_json(p.latency)},
              {"outcomes", outcomes_json(p.outcomes)},
              {"cold_starts", p.cold_starts}};
}

json spike_json(const Spike& s) {
  return json{{"start_s", s.start_s},
              {"end_s", s.end_s},
              {"wall_start_ms", s.wall_start_ms},
              {"peak_p99_ms", s.peak_p99_ms},
              {"arrival_rate", s.arrival_rate},
              {"previous_arrival_rate", s.previous_arrival_rate},
              {"scale_out", s.scale_out},
              {"cold_starts", s.cold_starts}};
}

json cold_starts_json(const ColdStarts& cs) {
  json spikes = json::array();
  for (const auto& s : cs.spikes) spikes.push_back(spike_json(s));
  json out{{"source", cs.source},
           {"count", cs.count},
           {"responses", cs.responses},
           {"share", cs.share},
           {"threshold_ms", cs.threshold_ms},
           {"cold", latency_json(cs.cold)},
           {"warm", latency_json(cs.warm)},
           {"new_connection", latency_json(cs.new_connection)},
           {"reused_connection", latency_json(cs.reused_connection)},
           {"spikes", spikes}};
  // Written when measured, so reports from before they were read back unchanged.
  if (cs.new_connection_ttfb.count > 0)
    out["new_connection_ttfb"] = latency_json(cs.new_connection_ttfb);
  if (cs.reused_connection_ttfb.count > 0) {
    out["reused_connection_ttfb"] = latency_json(cs.reused_connection_ttfb);
  }
  return out;
}

json analysis_doc(const Analysis& a) {
  json phases = json::array();
  for (const auto& p : a.phases) phases.push_back(phase_result_json(p));
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
              {"cold_starts", cold_starts_json(a.cold_starts)},
              {"error_onset", onsets}};
}

json phase_info_json(const PhaseInfo& p) {
  json ph{{"name", p.name}, {"start_s", p.start_s}, {"duration_s", p.duration_s}};
  if (p.pause) ph["pause"] = true;
  if (p.vusers) ph["vusers"] = *p.vusers;
  if (p.arrival_count) ph["arrivalCount"] = *p.arrival_count;
  if (p.arrival_rate) ph["arrivalRate"] = *p.arrival_rate;
  if (p.ramp_to) ph["rampTo"] = *p.ramp_to;
  if (p.max_vusers) ph["maxVusers"] = *p.max_vusers;
  return ph;
}

json run_json(const RunInfo& r) {
  json phases = json::array();
  for (const auto& p : r.phases) phases.push_back(phase_info_json(p));
  json run{{"script", r.script},     {"target", r.target},         {"cores", r.cores},
           {"start_ms", r.start_ms}, {"duration_s", r.duration_s}, {"interrupted", r.interrupted},
           {"phases", phases}};
  if (!r.run_id.empty()) run["run_id"] = r.run_id;
  if (!r.platform.empty()) run["platform"] = r.platform;
  if (!r.cold_start_header.empty()) run["cold_start_header"] = r.cold_start_header;
  if (!r.labels.name.empty()) run["name"] = r.labels.name;
  if (!r.labels.tags.empty()) {
    json tags = json::array();
    for (const auto& t : r.labels.tags) tags.push_back({{"name", t.name}, {"value", t.value}});
    run["tags"] = tags;
  }
  if (!r.labels.note.empty()) run["note"] = r.labels.note;
  return run;
}

json endpoints_json(const std::vector<EndpointFigures>& endpoints) {
  json out = json::object();
  for (const auto& e : endpoints) {
    json j{{"codes", json::object()}, {"errors", json::object()}};
    for (const auto& [k, v] : e.codes) j["codes"][k] = v;
    for (const auto& [k, v] : e.errors) j["errors"][k] = v;
    if (e.response_time) j["response_time"] = summary_json(*e.response_time);
    out[e.name] = std::move(j);
  }
  return out;
}

void put(json& j, const char* key, const OptNumber& n) {
  if (n) j[key] = number_json(*n);
}

void put(json& j, const char* key, const std::optional<std::string>& s) {
  if (s) j[key] = *s;
}

json ensure_json(const std::vector<EnsureResult>& ensure) {
  json out = json::array();
  for (const auto& e : ensure) {
    json j{{"name", e.name}, {"ok", e.ok}};
    if (e.strict) j["strict"] = *e.strict;
    put(j, "value", e.value);
    put(j, "limit", e.limit);
    put(j, "expression", e.expression);
    if (!e.inputs.empty()) {
      json inputs = json::object();
      for (const auto& [name, v] : e.inputs) inputs[name] = v ? number_json(*v) : json(nullptr);
      j["inputs"] = std::move(inputs);
    }
    out.push_back(std::move(j));
  }
  return out;
}

json latency_figures_json(const LatencyFigures& l) {
  json j = json::object();
  put(j, "count", l.count);
  put(j, "min", l.min);
  put(j, "max", l.max);
  put(j, "mean", l.mean);
  put(j, "p50", l.p50);
  put(j, "median", l.median);
  put(j, "p75", l.p75);
  put(j, "p90", l.p90);
  put(j, "p95", l.p95);
  put(j, "p99", l.p99);
  put(j, "p999", l.p999);
  return j;
}

json worker_json(const WorkerFigures& w) {
  json j = json::object();
  put(j, "id", w.id);
  if (w.id_text) j["id"] = *w.id_text;
  put(j, "name", w.name);
  put(j, "region", w.region);
  put(j, "status", w.status);
  put(j, "reason", w.reason);
  put(j, "ended_ms", w.ended_ms);
  put(j, "batches", w.batches);
  put(j, "requests", w.requests);
  put(j, "responses", w.responses);
  put(j, "errors", w.errors);
  put(j, "cpu_max", w.cpu_max);
  put(j, "lag_p99_max_ms", w.lag_p99_max_ms);
  if (w.response_time) j["response_time"] = latency_figures_json(*w.response_time);
  return j;
}

json region_json(const RegionFigures& r) {
  json j = json::object();
  put(j, "region", r.region);
  put(j, "name", r.name);
  put(j, "status", r.status);
  put(j, "workers", r.workers);
  put(j, "requests", r.requests);
  put(j, "responses", r.responses);
  put(j, "errors", r.errors);
  if (r.response_time) j["response_time"] = latency_figures_json(*r.response_time);
  return j;
}

json cost_figures_json(const CostFigures& f) {
  json j = json::object();
  put(j, "dollars", f.dollars);
  put(j, "gb_seconds", f.gb_seconds);
  put(j, "invocations", f.invocations);
  put(j, "sqs_requests", f.sqs_requests);
  put(j, "s3_requests", f.s3_requests);
  put(j, "text", f.text);
  return j;
}

json cost_json(const CostSection& c) {
  json j{{"notes", c.notes}};
  if (c.estimated) j["estimated"] = cost_figures_json(*c.estimated);
  if (c.measured) j["measured"] = cost_figures_json(*c.measured);
  put(j, "prices_date", c.prices_date);
  return j;
}

void add_distributed(json& doc, const Report& r) {
  if (r.workers) {
    json workers = json::array();
    for (const auto& w : *r.workers) workers.push_back(worker_json(w));
    doc["workers"] = std::move(workers);
  }
  if (r.delivery) {
    doc["delivery"] = {{"duplicates_dropped", r.delivery->duplicates_dropped},
                       {"late_batches", r.delivery->late_batches}};
  }
  if (r.regions) {
    json regions = json::object();
    for (const auto& g : *r.regions) regions[g.key] = region_json(g);
    doc["regions"] = std::move(regions);
  }
  if (r.cost) doc["cost"] = cost_json(*r.cost);
}

// ---------------------------------------------------------------- reading

struct ReadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& path, std::string_view what) {
  throw ReadError(fmt::format("{}: {}", path.empty() ? "report" : path, what));
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }

// A value in the document and where it is, for error messages.
struct At {
  const json& j;
  std::string path;

  // The member `key`, or nullptr when absent or null.
  [[nodiscard]] const json* find(std::string_view key) const {
    const auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  }
  [[nodiscard]] At at(const json& child, std::string_view key) const {
    return {child, join(path, key)};
  }
};

At object_at(const json& j, std::string path) {
  if (!j.is_object()) fail(path, "expected an object");
  return {j, std::move(path)};
}

// Each element of an optional array member (none when absent).
template <typename F>
void each(const At& a, std::string_view key, F f) {
  const json* v = a.find(key);
  if (v == nullptr) return;
  const std::string path = join(a.path, key);
  if (!v->is_array()) fail(path, "expected an array");
  for (size_t i = 0; i < v->size(); ++i) f((*v)[i], index(path, i));
}

// Each member of an optional object member (none when absent).
template <typename F>
void members(const At& a, std::string_view key, F f) {
  const json* v = a.find(key);
  if (v == nullptr) return;
  const std::string path = join(a.path, key);
  if (!v->is_object()) fail(path, "expected an object");
  for (const auto& [k, child] : v->items()) f(k, child, join(path, k));
}

std::optional<std::string> opt_string(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) fail(join(a.path, key), "expected a string");
  return v->get<std::string>();
}

std::optional<bool> opt_bool(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) fail(join(a.path, key), "expected true or false");
  return v->get<bool>();
}

std::optional<double> opt_double(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) fail(join(a.path, key), "expected a number");
  return v->get<double>();
}

uint64_t count_of(const json& v, const std::string& path) {
  if (!v.is_number_unsigned()) fail(path, "expected a non-negative integer");
  return v.get<uint64_t>();
}

std::optional<uint64_t> opt_count(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  return count_of(*v, join(a.path, key));
}

std::optional<int64_t> opt_int(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  const bool fits = v->is_number_integer() &&
                    (!v->is_number_unsigned() ||
                     v->get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()});
  if (!fits) fail(join(a.path, key), "expected an integer");
  return v->get<int64_t>();
}

OptNumber opt_number(const At& a, std::string_view key) {
  const json* v = a.find(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned()) return Number{v->get<uint64_t>()};
  if (v->is_number_integer()) return Number{v->get<int64_t>()};
  if (v->is_number_float()) return Number{v->get<double>()};
  fail(join(a.path, key), "expected a number");
}

std::string string_or(const At& a, std::string_view key) { return opt_string(a, key).value_or(""); }
double double_or(const At& a, std::string_view key) { return opt_double(a, key).value_or(0); }
uint64_t count_or(const At& a, std::string_view key) { return opt_count(a, key).value_or(0); }
int64_t int_or(const At& a, std::string_view key) { return opt_int(a, key).value_or(0); }
bool bool_or(const At& a, std::string_view key) { return opt_bool(a, key).value_or(false); }

metrics::Snapshot snapshot_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  metrics::Snapshot s;
  s.period_start_ms = int_or(a, "period_start_ms");
  s.period_end_ms = int_or(a, "period_end_ms");
  members(a, "counters", [&](const std::string& k, const json& v, const std::string& p) {
    s.counters[k] = count_of(v, p);
  });
  members(a, "histograms", [&](const std::string& k, const json& v, const std::string& p) {
    if (!v.is_string()) fail(p, "expected a serialized histogram (base64 text)");
    auto h = metrics::Histogram::from_base64(v.get<std::string>());
    if (!h) fail(p, "not a serialized histogram");
    s.histograms[k] = std::move(*h);
  });
  return s;
}

std::vector<metrics::Snapshot> snapshots_from(const At& doc, std::string_view key) {
  std::vector<metrics::Snapshot> out;
  each(doc, key, [&](const json& j, const std::string& p) { out.push_back(snapshot_from(j, p)); });
  return out;
}

PhaseInfo phase_info_from(const json& j, const std::string& path, double start_default) {
  const At a = object_at(j, path);
  PhaseInfo p;
  p.name = string_or(a, "name");
  p.start_s = opt_double(a, "start_s").value_or(start_default);
  p.duration_s = double_or(a, "duration_s");
  p.pause = bool_or(a, "pause");
  p.vusers = opt_int(a, "vusers");
  p.arrival_count = opt_int(a, "arrivalCount");
  p.arrival_rate = opt_double(a, "arrivalRate");
  p.ramp_to = opt_double(a, "rampTo");
  p.max_vusers = opt_int(a, "maxVusers");
  return p;
}

RunInfo run_from(const At& doc) {
  RunInfo r;
  const json* run = doc.find("run");
  if (run == nullptr) return r;
  const At a = object_at(*run, "run");
  r.script = string_or(a, "script");
  r.target = string_or(a, "target");
  const int64_t cores = int_or(a, "cores");
  if (cores < 0 || cores > std::numeric_limits<int>::max()) fail("run.cores", "out of range");
  r.cores = static_cast<int>(cores);
  r.start_ms = int_or(a, "start_ms");
  r.duration_s = double_or(a, "duration_s");
  r.interrupted = bool_or(a, "interrupted");
  r.run_id = string_or(a, "run_id");
  r.platform = string_or(a, "platform");
  r.cold_start_header = string_or(a, "cold_start_header");
  r.labels.name = string_or(a, "name");
  r.labels.note = string_or(a, "note");
  each(a, "tags", [&](const json& j, const std::string& p) {
    const At t = object_at(j, p);
    r.labels.tags.push_back({string_or(t, "name"), string_or(t, "value")});
  });
  each(a, "phases", [&](const json& j, const std::string& p) {
    const double start =
        r.phases.empty() ? 0 : r.phases.back().start_s + r.phases.back().duration_s;
    r.phases.push_back(phase_info_from(j, p, start));
  });
  return r;
}

Latency latency_from(const At& parent, std::string_view key) {
  Latency l;
  const json* v = parent.find(key);
  if (v == nullptr) return l;
  const At a = object_at(*v, join(parent.path, key));
  l.count = count_or(a, "count");
  l.p50 = double_or(a, "p50");
  l.p95 = double_or(a, "p95");
  l.p99 = double_or(a, "p99");
  l.max = double_or(a, "max");
  return l;
}

ErrorClass error_class_from(const std::string& key, const std::string& path) {
  for (size_t c = 0; c < kErrorClassCount; ++c) {
    if (key == error_class_key(static_cast<ErrorClass>(c))) return static_cast<ErrorClass>(c);
  }
  fail(path, fmt::format("unknown error class '{}'", key));
}

Outcomes outcomes_from(const At& parent) {
  Outcomes o;
  const json* v = parent.find("outcomes");
  if (v == nullptr) return o;
  const At a = object_at(*v, join(parent.path, "outcomes"));
  o.responses = count_or(a, "responses");
  o.errors = count_or(a, "errors");
  members(a, "by_class", [&](const std::string& k, const json& n, const std::string& p) {
    o.by_class[static_cast<size_t>(error_class_from(k, p))] = count_of(n, p);
  });
  return o;
}

PhaseResult phase_result_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  PhaseResult p;
  p.span.name = string_or(a, "name");
  p.span.start_s = double_or(a, "start_s");
  p.span.duration_s = double_or(a, "duration_s");
  p.span.pause = bool_or(a, "pause");
  p.vusers_created = count_or(a, "vusers_created");
  p.requests = count_or(a, "requests");
  p.arrival_rate = double_or(a, "arrival_rate");
  p.request_rate = double_or(a, "request_rate");
  p.latency = latency_from(a, "response_time");
  p.outcomes = outcomes_from(a);
  p.cold_starts = count_or(a, "cold_starts");
  return p;
}

Spike spike_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  Spike s;
  s.start_s = double_or(a, "start_s");
  s.end_s = double_or(a, "end_s");
  s.wall_start_ms = int_or(a, "wall_start_ms");
  s.peak_p99_ms = double_or(a, "peak_p99_ms");
  s.arrival_rate = double_or(a, "arrival_rate");
  s.previous_arrival_rate = double_or(a, "previous_arrival_rate");
  s.scale_out = bool_or(a, "scale_out");
  s.cold_starts = count_or(a, "cold_starts");
  return s;
}

ColdStarts cold_starts_from(const At& parent) {
  ColdStarts cs;
  const json* v = parent.find("cold_starts");
  if (v == nullptr) return cs;
  const At a = object_at(*v, join(parent.path, "cold_starts"));
  cs.source = string_or(a, "source");
  cs.count = count_or(a, "count");
  cs.responses = count_or(a, "responses");
  cs.share = double_or(a, "share");
  cs.threshold_ms = double_or(a, "threshold_ms");
  cs.cold = latency_from(a, "cold");
  cs.warm = latency_from(a, "warm");
  cs.new_connection = latency_from(a, "new_connection");
  cs.reused_connection = latency_from(a, "reused_connection");
  cs.new_connection_ttfb = latency_from(a, "new_connection_ttfb");
  cs.reused_connection_ttfb = latency_from(a, "reused_connection_ttfb");
  each(a, "spikes",
       [&](const json& j, const std::string& p) { cs.spikes.push_back(spike_from(j, p)); });
  return cs;
}

LoadLevel level_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  LoadLevel l;
  l.offset_s = double_or(a, "offset_s");
  l.wall_ms = int_or(a, "wall_ms");
  l.arrival_rate = double_or(a, "arrival_rate");
  l.request_rate = double_or(a, "request_rate");
  l.active_vus = count_or(a, "active_vus");
  l.share = double_or(a, "share");
  return l;
}

ErrorOnset onset_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  ErrorOnset o;
  o.error_class = error_class_from(string_or(a, "class"), join(path, "class"));
  o.total = count_or(a, "total");
  if (const json* f = a.find("first")) o.first = level_from(*f, join(path, "first"));
  if (const json* f = a.find("over_1pct")) o.over_limit = level_from(*f, join(path, "over_1pct"));
  return o;
}

Analysis analysis_from(const json& j) {
  const At a = object_at(j, "analysis");
  Analysis out;
  out.resolution_s = double_or(a, "resolution_s");
  each(a, "phases", [&](const json& p, const std::string& path) {
    out.phases.push_back(phase_result_from(p, path));
  });
  out.cold_starts = cold_starts_from(a);
  each(a, "error_onset",
       [&](const json& o, const std::string& path) { out.onsets.push_back(onset_from(o, path)); });
  return out;
}

std::map<std::string, uint64_t> counts_from(const At& a, std::string_view key) {
  std::map<std::string, uint64_t> out;
  members(a, key, [&](const std::string& k, const json& v, const std::string& p) {
    out[k] = count_of(v, p);
  });
  return out;
}

SummaryMs summary_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  SummaryMs s;
  s.count = count_or(a, "count");
  s.min = double_or(a, "min");
  s.max = double_or(a, "max");
  s.mean = double_or(a, "mean");
  s.p50 = double_or(a, "p50");
  s.median = double_or(a, "median");
  s.p75 = double_or(a, "p75");
  s.p90 = double_or(a, "p90");
  s.p95 = double_or(a, "p95");
  s.p99 = double_or(a, "p99");
  s.p999 = double_or(a, "p999");
  return s;
}

std::vector<EndpointFigures> endpoints_from(const At& doc) {
  std::vector<EndpointFigures> out;
  members(doc, "endpoints", [&](const std::string& name, const json& j, const std::string& p) {
    const At a = object_at(j, p);
    EndpointFigures e;
    e.name = name;
    e.codes = counts_from(a, "codes");
    e.errors = counts_from(a, "errors");
    if (const json* rt = a.find("response_time")) {
      e.response_time = summary_from(*rt, join(p, "response_time"));
    }
    out.push_back(std::move(e));
  });
  return out;
}

EnsureResult ensure_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  EnsureResult e;
  const auto name = opt_string(a, "name");
  const auto ok = opt_bool(a, "ok");
  if (!name) fail(join(path, "name"), "missing (a check's name is required)");
  if (!ok) fail(join(path, "ok"), "missing (a check's verdict is required)");
  e.name = *name;
  e.ok = *ok;
  e.strict = opt_bool(a, "strict");
  e.value = opt_number(a, "value");
  e.limit = opt_number(a, "limit");
  e.expression = opt_string(a, "expression");
  if (const json* inputs = a.find("inputs"); inputs != nullptr) {
    const At in = object_at(*inputs, join(path, "inputs"));
    for (const auto& item : in.j.items()) {
      e.inputs.emplace_back(item.key(), opt_number(in, item.key()));
    }
  }
  return e;
}

std::optional<LatencyFigures> latency_figures_from(const At& parent) {
  const json* v = parent.find("response_time");
  if (v == nullptr) return std::nullopt;
  const At a = object_at(*v, join(parent.path, "response_time"));
  return LatencyFigures{opt_number(a, "count"), opt_number(a, "min"), opt_number(a, "max"),
                        opt_number(a, "mean"),  opt_number(a, "p50"), opt_number(a, "median"),
                        opt_number(a, "p75"),   opt_number(a, "p90"), opt_number(a, "p95"),
                        opt_number(a, "p99"),   opt_number(a, "p999")};
}

WorkerFigures worker_from(const json& j, const std::string& path) {
  const At a = object_at(j, path);
  WorkerFigures w;
  if (const json* id = a.find("id"); id != nullptr && id->is_string()) {
    w.id_text = id->get<std::string>();
  } else {
    w.id = opt_number(a, "id");
  }
  w.name = opt_string(a, "name");
  w.region = opt_string(a, "region");
  w.status = opt_string(a, "status");
  w.reason = opt_string(a, "reason");
  w.ended_ms = opt_number(a, "ended_ms");
  w.batches = opt_number(a, "batches");
  w.requests = opt_number(a, "requests");
  w.responses = opt_number(a, "responses");
  w.errors = opt_number(a, "errors");
  w.cpu_max = opt_number(a, "cpu_max");
  w.lag_p99_max_ms = opt_number(a, "lag_p99_max_ms");
  w.response_time = latency_figures_from(a);
  return w;
}

RegionFigures region_from(const std::string& key, const json& j, const std::string& path) {
  const At a = object_at(j, path);
  RegionFigures r;
  r.key = key;
  r.region = opt_string(a, "region");
  r.name = opt_string(a, "name");
  r.status = opt_string(a, "status");
  r.workers = opt_number(a, "workers");
  r.requests = opt_number(a, "requests");
  r.responses = opt_number(a, "responses");
  r.errors = opt_number(a, "errors");
  r.response_time = latency_figures_from(a);
  return r;
}

std::optional<CostFigures> cost_figures_from(const At& parent, std::string_view key) {
  const json* v = parent.find(key);
  if (v == nullptr) return std::nullopt;
  const At a = object_at(*v, join(parent.path, key));
  return CostFigures{opt_number(a, "dollars"),     opt_number(a, "gb_seconds"),
                     opt_number(a, "invocations"), opt_number(a, "sqs_requests"),
                     opt_number(a, "s3_requests"), opt_string(a, "text")};
}

CostSection cost_from(const json& j) {
  const At a = object_at(j, "cost");
  CostSection c;
  c.estimated = cost_figures_from(a, "estimated");
  c.measured = cost_figures_from(a, "measured");
  c.prices_date = opt_string(a, "prices_date");
  each(a, "notes", [&](const json& n, const std::string& p) {
    if (!n.is_string()) fail(p, "expected a string");
    c.notes.push_back(n.get<std::string>());
  });
  return c;
}

void read_distributed(const At& doc, Report& r) {
  if (doc.find("workers") != nullptr) {
    r.workers.emplace();
    each(doc, "workers",
         [&](const json& j, const std::string& p) { r.workers->push_back(worker_from(j, p)); });
  }
  if (const json* d = doc.find("delivery")) {
    const At a = object_at(*d, "delivery");
    r.delivery = DeliveryFigures{count_or(a, "duplicates_dropped"), count_or(a, "late_batches")};
  }
  if (doc.find("regions") != nullptr) {
    r.regions.emplace();
    members(doc, "regions", [&](const std::string& k, const json& j, const std::string& p) {
      r.regions->push_back(region_from(k, j, p));
    });
  }
  if (const json* c = doc.find("cost")) r.cost = cost_from(*c);
}

Report report_from(const json& j) {
  const At doc{j, ""};
  Report r;
  r.barrage_version = string_or(doc, "barrage_version");
  r.run = run_from(doc);
  if (const json* agg = doc.find("aggregate")) r.aggregate = snapshot_from(*agg, "aggregate");
  r.intermediate = snapshots_from(doc, "intermediate");
  r.timeline = snapshots_from(doc, "timeline");
  r.endpoints = endpoints_from(doc);
  each(doc, "warnings", [&](const json& w, const std::string& p) {
    if (!w.is_string()) fail(p, "expected a string");
    r.warnings.push_back(w.get<std::string>());
  });
  if (doc.find("ensure") != nullptr) {
    r.ensure.emplace();
    each(doc, "ensure",
         [&](const json& e, const std::string& p) { r.ensure->push_back(ensure_from(e, p)); });
  }
  read_distributed(doc, r);
  const json* analysis = doc.find("analysis");
  r.analysis = analysis != nullptr ? analysis_from(*analysis) : analyze(r);
  return r;
}

}  // namespace

std::string write_report(const Report& r) {
  json warnings = json::array();
  for (const auto& w : r.warnings) warnings.push_back(w);
  json timeline = json::array();
  for (const auto& p : r.timeline) timeline.push_back(timeline_json(p));
  json intermediate = json::array();
  for (const auto& p : r.intermediate) intermediate.push_back(snapshot_json(p));
  json doc{{"schema", kReportSchema},
           {"barrage_version", r.barrage_version},
           {"run", run_json(r.run)},
           {"aggregate", snapshot_json(r.aggregate)},
           {"intermediate", intermediate},
           {"timeline", timeline},
           {"analysis", analysis_doc(r.analysis)},
           {"endpoints", endpoints_json(r.endpoints)},
           {"warnings", warnings}};
  if (r.ensure) doc["ensure"] = ensure_json(*r.ensure);
  add_distributed(doc, r);
  return doc.dump(2) + "\n";
}

Result<Report> read_report(std::string_view text) {
  auto failed = [](std::string why) -> Result<Report> { return barrage::fail(std::move(why)); };
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return failed("not JSON");
  const auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_string() || schema->get<std::string>() != kReportSchema) {
    return failed(fmt::format("not a barrage report (no \"schema\": \"{}\")", kReportSchema));
  }
  try {
    return report_from(doc);
  } catch (const ReadError& e) {
    return failed(e.what());
  }
}

std::string analysis_to_json(const Analysis& a) { return analysis_doc(a).dump(); }

std::string to_json_text(const Number& n) { return number_json(n).dump(); }

}  // namespace barrage::report
