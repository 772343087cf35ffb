#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <kainjow/mustache.hpp>
#include <list>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "report/analysis.h"
#include "report/ci_reports.h"
#include "report/compare.h"
#include "report/json_report.h"
#include "report/svg_chart.h"

namespace barrage::report {

namespace assets {
// Generated from assets/report.html.mustache and assets/compare.html.mustache.
extern const std::string_view kReportHtmlTemplate;
extern const std::string_view kCompareHtmlTemplate;
}  // namespace assets

namespace {

using nlohmann::json;
using Data = kainjow::mustache::data;
using Rows = std::vector<std::vector<std::string>>;

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

const char* color(size_t i) { return kColors[i % std::size(kColors)]; }

std::string utc(int64_t epoch_ms) {
  const time_t t = epoch_ms / 1000;
  tm tmv{};
  gmtime_r(&t, &tmv);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tmv.tm_year + 1900, tmv.tm_mon + 1,
                     tmv.tm_mday, tmv.tm_hour, tmv.tm_min, tmv.tm_sec);
}

std::string f2(double v) { return fmt::format("{:.2f}", v); }
std::string pct(double share) { return fmt::format("{:.2f}%", 100 * share); }
double ms(uint64_t us) { return static_cast<double>(us) / 1000.0; }

// ------------------------------------------------------------------ charts

// One chart period: x is the middle of its span inside the run (seconds from the
// start), where a rate over the period equals a linear ramp's rate; width is that span.
// after_gap: a period is missing between this one and the one before.
struct Tick {
  double x = 0;
  double width = 0;
  bool after_gap = false;
  const metrics::Snapshot* s = nullptr;
};

double span_s(const metrics::Snapshot& s, int64_t start_ms) {
  const int64_t from = std::max(s.period_start_ms, start_ms);
  return s.period_end_ms > from ? static_cast<double>(s.period_end_ms - from) / 1000.0 : 0;
}

// The timeline as chart periods. The run's first and last periods are cut by its start
// and end: one shorter than half a period joins its neighbour (stored in `merged`), so
// a single request in a 60 ms sliver does not plot as 17 req/s.
std::vector<Tick> ticks_of(const std::vector<metrics::Snapshot>& timeline, int64_t start_ms,
                           std::list<metrics::Snapshot>& merged) {
  std::vector<const metrics::Snapshot*> periods;
  periods.reserve(timeline.size());
  double nominal = 0;
  for (const auto& s : timeline) {
    periods.push_back(&s);
    nominal = std::max(nominal, span_s(s, start_ms));
  }
  const auto adjacent = [](const metrics::Snapshot& a, const metrics::Snapshot& b) {
    return a.period_end_ms >= b.period_start_ms;
  };
  const auto sliver = [&](const metrics::Snapshot& s) { return span_s(s, start_ms) < nominal / 2; };
  if (periods.size() >= 2 && sliver(*periods[0]) && adjacent(*periods[0], *periods[1])) {
    merged.push_back(*periods[0]);
    merged.back().merge(*periods[1]);
    periods.erase(periods.begin());
    periods[0] = &merged.back();
  }
  const size_t n = periods.size();
  if (n >= 2 && sliver(*periods[n - 1]) && adjacent(*periods[n - 2], *periods[n - 1])) {
    merged.push_back(*periods[n - 2]);
    merged.back().merge(*periods[n - 1]);
    periods.pop_back();
    periods.back() = &merged.back();
  }
  std::vector<Tick> out;
  out.reserve(periods.size());
  const metrics::Snapshot* prev = nullptr;
  for (const auto* s : periods) {
    Tick t;
    t.width = span_s(*s, start_ms);
    const int64_t from = std::max(s->period_start_ms, start_ms);
    t.x = static_cast<double>(from + s->period_end_ms - 2 * start_ms) / 2000.0;
    t.after_gap = prev != nullptr && !adjacent(*prev, *s);
    t.s = s;
    out.push_back(t);
    prev = s;
  }
  return out;
}

// A series point by point: a tick without a value (skip) or a missing period
// before a tick ends the current segment.
class SeriesBuilder {
 public:
  SeriesBuilder(std::string name, const char* color) : cs_{std::move(name), color, {}, {}} {}
  void skip() { gap_ = true; }
  void add(const Tick& t, double y) {
    if ((gap_ || t.after_gap) && !cs_.points.empty()) cs_.breaks.push_back(cs_.points.size());
    gap_ = false;
    cs_.points.emplace_back(t.x, y);
  }
  ChartSeries done() { return std::move(cs_); }

 private:
  ChartSeries cs_;
  bool gap_ = false;
};

ChartSeries rate_series(const std::vector<Tick>& ticks, const std::string& name,
                        const std::string& counter, size_t i) {
  SeriesBuilder b(name, color(i));
  for (const auto& t : ticks) {
    if (t.width <= 0) {
      b.skip();
      continue;
    }
    b.add(t, static_cast<double>(t.s->counter(counter)) / t.width);
  }
  return b.done();
}

// Percentile q (or the max when q > 100) of a histogram, per period that has samples;
// the line breaks over periods without.
ChartSeries percentile_series(const std::vector<Tick>& ticks, const std::string& name,
                              const std::string& histogram, double q, size_t i) {
  SeriesBuilder b(name, color(i));
  for (const auto& t : ticks) {
    const auto* h = t.s->find_histogram(histogram);
    if (h == nullptr || h->empty()) {
      b.skip();
      continue;
    }
    b.add(t, ms(q > 100 ? h->max() : h->percentile(q)));
  }
  return b.done();
}

// Sum per second of the counters matching a predicate.
template <typename Pred>
ChartSeries sum_series(const std::vector<Tick>& ticks, const std::string& name, Pred pred,
                       size_t i) {
  SeriesBuilder b(name, color(i));
  for (const auto& t : ticks) {
    if (t.width <= 0) {
      b.skip();
      continue;
    }
    uint64_t n = 0;
    for (const auto& [k, v] : t.s->counters) {
      if (pred(k)) n += v;
    }
    b.add(t, static_cast<double>(n) / t.width);
  }
  return b.done();
}

// What every chart of a report shares: the periods, the x axis and the phase bands.
struct ChartFrame {
  std::list<metrics::Snapshot> merged;  // periods joined from two (ticks point here)
  std::vector<Tick> ticks;
  double x_max = 0;
  std::vector<ChartBand> bands;

  [[nodiscard]] Chart chart(std::string id, std::string title, std::string unit) const {
    Chart c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.unit = std::move(unit);
    c.x_max = x_max;
    c.bands = bands;
    return c;
  }
};

void frame_of(const Report& r, const std::vector<PhaseSpan>& phases, ChartFrame& f) {
  f.ticks = ticks_of(r.fine_periods(), r.run.start_ms, f.merged);
  f.x_max = r.run.duration_s;
  for (const auto& t : f.ticks) f.x_max = std::max(f.x_max, t.x + t.width / 2);
  for (const auto& p : phases) f.x_max = std::max(f.x_max, p.start_s + p.duration_s);
  f.bands.reserve(phases.size());
  for (const auto& p : phases) {
    f.bands.push_back({p.name, p.start_s, p.start_s + p.duration_s, p.pause});
  }
}

Chart throughput_chart(const ChartFrame& f) {
  Chart c = f.chart("chart-throughput", "Requests per second", "req/s");
  c.series.push_back(rate_series(f.ticks, "sent", "http.requests", 0));
  c.series.push_back(rate_series(f.ticks, "completed", "http.responses", 2));
  return c;
}

Chart latency_chart(const ChartFrame& f) {
  Chart c = f.chart("chart-latency", "Response time", "ms");
  c.series.push_back(percentile_series(f.ticks, "p50", "http.response_time", 50, 0));
  c.series.push_back(percentile_series(f.ticks, "p95", "http.response_time", 95, 3));
  c.series.push_back(percentile_series(f.ticks, "p99", "http.response_time", 99, 1));
  c.series.push_back(percentile_series(f.ticks, "max", "http.response_time", 101, 8));
  return c;
}

// A series per status code class seen in the run, then one per named error.
Chart outcomes_chart(const ChartFrame& f, const metrics::Snapshot& aggregate) {
  Chart c = f.chart("chart-outcomes", "Status code classes and errors per second", "per s");
  size_t ci = 0;
  for (const char cls : {'1', '2', '3', '4', '5'}) {
    const std::string prefix = fmt::format("http.codes.{}", cls);
    bool any = false;
    for (const auto& [k, v] : aggregate.counters) any = any || k.starts_with(prefix);
    if (!any) continue;
    c.series.push_back(sum_series(
        f.ticks, fmt::format("{}xx", cls),
        [&](const std::string& k) { return k.starts_with(prefix); }, ci++));
  }
  for (const auto& [k, v] : aggregate.counters) {
    if (!k.starts_with("errors.")) continue;
    const std::string name = k;
    c.series.push_back(sum_series(
        f.ticks, name, [&](const std::string& key) { return key == name; }, ci++));
  }
  return c;
}

Chart vusers_chart(const ChartFrame& f) {
  Chart c = f.chart("chart-vusers", "Virtual users", "VUs");
  c.series.push_back(rate_series(f.ticks, "created/s", "vusers.created", 0));
  SeriesBuilder active("active", color(3));
  int64_t n = 0;
  for (const auto& t : f.ticks) {
    n += static_cast<int64_t>(t.s->counter("vusers.created")) -
         static_cast<int64_t>(t.s->counter("vusers.completed") + t.s->counter("vusers.failed"));
    active.add(t, static_cast<double>(std::max<int64_t>(n, 0)));
  }
  c.series.push_back(active.done());
  return c;
}

Chart lag_chart(const ChartFrame& f) {
  Chart c = f.chart("chart-lag", "Scheduling lag (actual minus intended send time)", "ms");
  c.series.push_back(percentile_series(f.ticks, "p50", "barrage.scheduling_lag", 50, 0));
  c.series.push_back(percentile_series(f.ticks, "p99", "barrage.scheduling_lag", 99, 1));
  c.series.push_back(percentile_series(f.ticks, "max", "barrage.scheduling_lag", 101, 8));
  return c;
}

Chart cold_chart(const ChartFrame& f, const ColdStarts& cold) {
  Chart c = f.chart("chart-cold", "Cold starts and connection reuse", "ms");
  c.series.push_back(
      percentile_series(f.ticks, "new connection p99", "http.response_time.new_connection", 99, 1));
  c.series.push_back(percentile_series(f.ticks, "reused connection p99",
                                       "http.response_time.reused_connection", 99, 0));
  if (cold.source == "header") {
    c.series.push_back(
        percentile_series(f.ticks, "cold start p50", "http.response_time.cold_start", 50, 3));
  }
  return c;
}

std::vector<Chart> build_charts(const Report& r, const std::vector<PhaseSpan>& phases) {
  ChartFrame f;
  frame_of(r, phases, f);
  return {throughput_chart(f), latency_chart(f), outcomes_chart(f, r.aggregate),
          vusers_chart(f),     lag_chart(f),     cold_chart(f, r.analysis.cold_starts)};
}

// ------------------------------------------------------------ the page's data

Data list_of(const std::vector<std::string>& items) {
  Data out{Data::type::list};
  for (const auto& s : items) out.push_back(Data{s});
  return out;
}

// Table rows for the template: each a {cells: [...]}.
Data rows_of(const Rows& rows) {
  Data out{Data::type::list};
  for (const auto& row : rows) {
    Data r;
    r.set("cells", list_of(row));
    out.push_back(r);
  }
  return out;
}

void latency_cells(const metrics::Histogram* h, std::vector<std::string>& row) {
  if (h == nullptr || h->empty()) {
    for (int i = 0; i < 4; ++i) row.emplace_back("-");
    return;
  }
  row.push_back(f2(ms(h->percentile(50))));
  row.push_back(f2(ms(h->percentile(95))));
  row.push_back(f2(ms(h->percentile(99))));
  row.push_back(f2(ms(h->max())));
}

// The script's file name, without the folders it was run from.
std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void set_header(Data& d, const Report& r) {
  // The title: the run's --name, else the script's file name (never a machine's path).
  const RunLabels& labels = r.run.labels;
  d.set("title", labels.name.empty() ? file_name(r.run.script) : labels.name);
  d.set("script", file_name(r.run.script));
  d.set("named", !labels.name.empty());
  d.set("target", r.run.target);
  d.set("started", utc(r.run.start_ms));
  d.set("duration", fmt::format("{:.1f}", r.run.duration_s));
  d.set("cores", std::to_string(r.run.cores));
  d.set("version", r.barrage_version);
  d.set("interrupted", r.run.interrupted);
  d.set("warnings", list_of(r.warnings));
  // --name, --tags, --note: a line under the title when any was given.
  d.set("labelled", !labels.empty());
  d.set("run_name", labels.name);
  std::vector<std::string> tags;
  tags.reserve(labels.tags.size());
  for (const auto& t : labels.tags) tags.push_back(t.name + ":" + t.value);
  d.set("run_tags", list_of(tags));
  d.set("run_note", labels.note);
}

Data card(const char* key, const std::string& value, const std::string& label) {
  Data c;
  c.set("key", key);
  c.set("value", value);
  c.set("label", label);
  return c;
}

Data cards(const Report& r) {
  const auto& agg = r.aggregate;
  const Outcomes all = count_outcomes(agg, "http.codes.", "errors.");
  const auto* rt = agg.find_histogram("http.response_time");
  if (rt != nullptr && rt->empty()) rt = nullptr;
  const double secs = r.run.duration_s;
  Data out{Data::type::list};
  out.push_back(card("requests", std::to_string(agg.counter("http.requests")), "requests"));
  out.push_back(card("responses", std::to_string(agg.counter("http.responses")), "responses"));
  out.push_back(
      card("rate",
           fmt::format("{:.1f}/s",
                       secs > 0 ? static_cast<double>(agg.counter("http.requests")) / secs : 0),
           "request rate"));
  out.push_back(card("latency",
                     rt ? fmt::format("{:.1f} / {:.1f} / {:.1f}", ms(rt->percentile(50)),
                                      ms(rt->percentile(95)), ms(rt->percentile(99)))
                        : "-",
                     "p50 / p95 / p99 ms"));
  out.push_back(card("max", rt ? f2(ms(rt->max())) : "-", "max ms"));
  out.push_back(card("failed", fmt::format("{} ({})", all.failed(), pct(all.failed_share())),
                     "failed (429, 5xx, errors)"));
  out.push_back(card(
      "vusers", fmt::format("{} / {}", agg.counter("vusers.created"), agg.counter("vusers.failed")),
      "VUs created / failed"));
  const auto& cs = r.analysis.cold_starts;
  if (!cs.source.empty()) {
    if (cs.source != "none") {
      out.push_back(
          card("cold_starts", fmt::format("{} ({})", cs.count, pct(cs.share)),
               cs.source == "header" ? "cold starts (header)" : "cold starts (estimate)"));
    }
  }
  return out;
}

Data charts_view(const std::vector<Chart>& charts) {
  Data out{Data::type::list};
  for (const auto& c : charts) {
    Data series{Data::type::list};
    for (const auto& s : c.series) {
      Data one;
      one.set("name", s.name);
      one.set("color", s.color);
      one.set("points", std::to_string(s.points.size()));
      series.push_back(one);
    }
    Data chart;
    chart.set("title", c.title);
    chart.set("svg", render_svg(c));
    chart.set("series", series);
    out.push_back(chart);
  }
  return out;
}

void set_phases(Data& d, const Analysis& a) {
  Rows rows;
  for (const auto& p : a.phases) {
    std::vector<std::string> row{p.span.name, f2(p.span.start_s), f2(p.span.duration_s)};
    if (p.span.pause) {
      row.emplace_back("pause");
      rows.push_back(std::move(row));
      continue;
    }
    row.push_back(f2(p.arrival_rate));
    row.push_back(f2(p.request_rate));
    for (const double v : {p.latency.p50, p.latency.p95, p.latency.p99, p.latency.max}) {
      row.push_back(p.latency.count == 0 ? "-" : f2(v));  // no responses: no percentiles
    }
    for (size_t c = 0; c < kErrorClassCount; ++c) {
      const uint64_t n = p.outcomes.by_class[c];
      row.push_back(
          n == 0 ? "0"
                 : fmt::format("{} ({})", n, pct(p.outcomes.share(static_cast<ErrorClass>(c)))));
    }
    row.push_back(std::to_string(p.cold_starts));
    rows.push_back(std::move(row));
  }
  std::vector<std::string> head{"phase",  "start s", "duration s", "arrivals/s", "req/s",
                                "p50 ms", "p95 ms",  "p99 ms",     "max ms"};
  for (size_t c = 0; c < kErrorClassCount; ++c) {
    head.emplace_back(error_class_name(static_cast<ErrorClass>(c)));
  }
  head.emplace_back("cold starts (header)");
  d.set("phase_head", list_of(head));
  d.set("phases", rows_of(rows));
}

// An empty set has no percentiles: "-", as in every table.
std::vector<std::string> latency_row(const char* name, const Latency& l) {
  if (l.count == 0) return {name, "0", "-", "-", "-", "-"};
  return {name, std::to_string(l.count), f2(l.p50), f2(l.p95), f2(l.p99), f2(l.max)};
}

// The cold-start section, or false when the run had no responses.
Data cold_view(const ColdStarts& cs, const std::string& header) {
  if (cs.source.empty()) return Data{false};
  Data d;
  d.set("count", std::to_string(cs.count));
  d.set("source", cs.source);
  d.set("responses", std::to_string(cs.responses));
  d.set("share", pct(cs.share));
  d.set("from_header", cs.source == "header");
  d.set("not_counted", cs.source == "none");
  d.set("estimated", cs.source == "estimate");
  d.set("header", header.empty() ? "set by the target" : header);
  d.set("threshold", fmt::format("{:.1f}", cs.threshold_ms));
  Rows rows;
  if (cs.source != "none") {
    rows.push_back(latency_row("cold", cs.cold));
    rows.push_back(latency_row("warm", cs.warm));
  }
  rows.push_back(latency_row("new connection", cs.new_connection));
  rows.push_back(latency_row("reused connection", cs.reused_connection));
  if (cs.new_connection_ttfb.count > 0) {
    rows.push_back(latency_row("new connection, time to first byte", cs.new_connection_ttfb));
    rows.push_back(latency_row("reused connection, time to first byte", cs.reused_connection_ttfb));
  }
  d.set("rows", rows_of(rows));
  Rows spikes;
  for (const auto& s : cs.spikes) {
    spikes.push_back({spike_window(s), utc(s.wall_start_ms), f2(s.peak_p99_ms), f2(s.arrival_rate),
                      f2(s.previous_arrival_rate), s.scale_out ? "yes" : "no",
                      cs.source == "none" ? "-" : std::to_string(s.cold_starts)});
  }
  d.set("has_spikes", !spikes.empty());
  d.set("spikes", rows_of(spikes));
  return d;
}

std::string level_text(const LoadLevel& l) {
  return fmt::format("{:.0f}s ({}) at {:.1f} arrivals/s, {:.1f} req/s, {} active VUs; {}",
                     l.offset_s, utc(l.wall_ms), l.arrival_rate, l.request_rate, l.active_vus,
                     pct(l.share));
}

void set_onsets(Data& d, const Analysis& a) {
  Rows rows;
  for (const auto& o : a.onsets) {
    rows.push_back({error_class_name(o.error_class), std::to_string(o.total), level_text(o.first),
                    o.over_limit ? level_text(*o.over_limit) : "never"});
  }
  d.set("resolution", fmt::format("{:g}", a.resolution_s));
  d.set("has_onsets", !rows.empty());
  d.set("onsets", rows_of(rows));
}

Data endpoints_view(const Report& r) {
  const auto& agg = r.aggregate;
  Rows rows;
  for (const auto& e : r.endpoints) {
    const std::string prefix = "plugins.metrics-by-endpoint." + e.name + ".";
    const Outcomes o = count_outcomes(agg, prefix + "codes.", prefix + "errors.");
    std::string codes;
    for (const auto* counts : {&e.codes, &e.errors}) {
      for (const auto& [k, n] : *counts) {
        codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", k, n);
      }
    }
    std::vector<std::string> row{e.name, std::to_string(agg.counter(prefix + "requests")), codes,
                                 pct(o.failed_share())};
    latency_cells(agg.find_histogram("plugins.metrics-by-endpoint.response_time." + e.name), row);
    rows.push_back(std::move(row));
  }
  return rows_of(rows);
}

Data timing_view(const metrics::Snapshot& agg) {
  static const std::pair<const char*, const char*> kSteps[] = {
      {"http.dns", "DNS"},         {"http.tcp", "TCP connect"},   {"http.tls", "TLS handshake"},
      {"http.ttfb", "first byte"}, {"http.download", "download"}, {"http.response_time", "total"}};
  Rows rows;
  for (const auto& [name, label] : kSteps) {
    const auto* h = agg.find_histogram(name);
    std::vector<std::string> row{label, name, h ? std::to_string(h->count()) : "0"};
    latency_cells(h, row);
    rows.push_back(std::move(row));
  }
  return rows_of(rows);
}

// A number of an optional section: "-" when missing, integers as they are, else 2 decimals.
std::string figure(const OptNumber& n) {
  if (!n) return "-";
  if (!n->integral()) return f2(n->as_double());
  return to_json_text(*n);
}

void set_checks(Data& d, const Report& r) {
  Data ensure{Data::type::list};
  for (const auto& e : r.ensure.value_or(std::vector<EnsureResult>{})) {
    Data c;
    c.set("name", e.name);
    std::string value = figure(e.value);
    if (!e.inputs.empty()) {  // a condition: the values it read
      value.clear();
      for (const auto& [name, v] : e.inputs) {
        value += fmt::format("{}{} = {}", value.empty() ? "" : ", ", name,
                             v ? figure(v) : "not recorded");
      }
    }
    c.set("value", value);
    c.set("limit", e.limit ? figure(e.limit) : e.expression.value_or("-"));
    c.set("ok", e.ok);
    ensure.push_back(c);
  }
  d.set("has_ensure", r.ensure && !r.ensure->empty());
  d.set("ensure", ensure);
  Data expect{Data::type::list};
  const auto kinds = expect_check_kinds(r.aggregate);
  for (const auto& k : kinds) {
    const uint64_t failed = r.aggregate.counter(kExpectFailedPrefix + k);
    Data c;
    c.set("kind", k);
    c.set("passed", std::to_string(r.aggregate.counter(kExpectOkPrefix + k)));
    c.set("failed", std::to_string(failed));
    c.set("ok", failed == 0);
    expect.push_back(c);
  }
  d.set("has_expect", !kinds.empty());
  d.set("expect", expect);
}

// A row of the workers / regions tables: missing fields show as "-".
std::vector<std::string> distributed_row(const std::string& id,
                                         const std::optional<std::string>& region,
                                         const std::optional<std::string>& status,
                                         const std::array<OptNumber, 3>& counts,
                                         const std::optional<LatencyFigures>& rt) {
  std::vector<std::string> row{id, region.value_or("-"), status.value_or("-")};
  for (const auto& n : counts) row.push_back(figure(n));
  const LatencyFigures l = rt.value_or(LatencyFigures{});
  for (const auto* n : {&l.p50, &l.p95, &l.p99, &l.max}) row.push_back(figure(*n));
  return row;
}

Data distributed_table(const char* key, const char* title, const Rows& rows) {
  Data t;
  t.set("key", key);
  t.set("title", title);
  t.set("rows", rows_of(rows));
  return t;
}

// The per worker and per region tables (distributed runs), when the report has them.
Data distributed_view(const Report& r) {
  Data out{Data::type::list};
  if (r.workers && !r.workers->empty()) {
    Rows rows;
    for (const auto& w : *r.workers) {
      const std::string id = w.name ? *w.name : w.id_text ? *w.id_text : w.id ? figure(w.id) : "";
      rows.push_back(distributed_row(id, w.region, w.status, {w.requests, w.responses, w.errors},
                                     w.response_time));
    }
    out.push_back(distributed_table("workers", "Per worker", rows));
  }
  if (r.regions && !r.regions->empty()) {
    Rows rows;
    for (const auto& g : *r.regions) {
      rows.push_back(distributed_row(g.name.value_or(g.key), g.region, g.status,
                                     {g.requests, g.responses, g.errors}, g.response_time));
    }
    out.push_back(distributed_table("regions", "Per region", rows));
  }
  return out;
}

// The cost section (Lambda runs), or false without one.
Data cost_view(const Report& r) {
  if (!r.cost) return Data{false};
  Rows rows;
  for (const auto& [which, f] :
       {std::pair{"estimated", &r.cost->estimated}, std::pair{"measured", &r.cost->measured}}) {
    if (!*f) continue;
    const double dollars = (*f)->dollars ? (*f)->dollars->as_double() : 0.0;
    rows.push_back({which, fmt::format("${:.4f}", dollars), figure((*f)->gb_seconds),
                    figure((*f)->invocations), figure((*f)->sqs_requests),
                    figure((*f)->s3_requests)});
  }
  if (rows.empty()) return Data{false};
  std::string notes = "On-demand prices of " + r.cost->prices_date.value_or("?") +
                      ", no free tier; the measured figure comes from the workers' reports, not "
                      "from AWS billing.";
  for (const auto& n : r.cost->notes) notes += " " + n + ".";
  Data d;
  d.set("rows", rows_of(rows));
  d.set("notes", notes);
  return d;
}

json chart_data(const std::vector<Chart>& charts, double period_s) {
  json out = json::array();
  for (const auto& c : charts) {
    json series = json::array();
    for (const auto& s : c.series) {
      json pts = json::array();
      for (const auto& [x, y] : s.points) pts.push_back(json::array({x, y}));
      series.push_back(
          json{{"name", s.name}, {"color", s.color}, {"points", pts}, {"breaks", s.breaks}});
    }
    out.push_back(json{{"id", c.id},
                       {"title", c.title},
                       {"unit", c.unit},
                       {"period_s", period_s},
                       {"series", series}});
  }
  return out;
}

// The page's embedded data (docs/reports.md): run, phases, charts and the analysis, with
// every '<' written as \u003c (it only occurs inside strings, where it means the same), so
// the text cannot close its <script> element.
std::string embedded_data(const Report& r, const std::vector<PhaseSpan>& phases,
                          const std::vector<Chart>& charts) {
  double period_s = 0;  // the timeline's period: the tooltip's reach
  for (const auto& s : r.fine_periods()) {
    period_s = std::max(period_s, static_cast<double>(s.period_end_ms - s.period_start_ms) / 1000);
  }
  json data{{"run",
             {{"start_ms", r.run.start_ms},
              {"duration_s", r.run.duration_s},
              {"script", file_name(r.run.script)},
              {"target", r.run.target}}},
            {"phases", json::array()},
            {"charts", chart_data(charts, period_s)}};
  for (const auto& p : phases) {
    data["phases"].push_back(json{{"name", p.name},
                                  {"start_s", p.start_s},
                                  {"duration_s", p.duration_s},
                                  {"pause", p.pause}});
  }
  // Keys in name order as the JSON writer puts them: "analysis" comes first.
  const std::string text =
      "{\"analysis\":" + analysis_to_json(r.analysis) + "," + data.dump().substr(1);
  std::string safe;
  safe.reserve(text.size());
  for (const char c : text) {
    if (c == '<') {
      safe += "\\u003c";
    } else {
      safe += c;
    }
  }
  return safe;
}

Data page_view(const Report& r) {
  const auto phases = phase_spans(r.run);
  const auto charts = build_charts(r, phases);
  Data d;
  set_header(d, r);
  d.set("cards", cards(r));
  d.set("charts", charts_view(charts));
  set_phases(d, r.analysis);
  d.set("cold", cold_view(r.analysis.cold_starts, r.run.cold_start_header));
  set_onsets(d, r.analysis);
  d.set("endpoints", endpoints_view(r));
  d.set("timing", timing_view(r.aggregate));
  set_checks(d, r);
  d.set("distributed", distributed_view(r));
  d.set("cost", cost_view(r));
  d.set("data", embedded_data(r, phases, charts));
  return d;
}

Data comparison_view(const Comparison& c, const std::string& base_name,
                     const std::string& new_name) {
  Data deltas{Data::type::list};
  size_t regressions = 0;
  for (const auto& d : c.deltas) {
    regressions += d.regression ? 1 : 0;
    Data row;
    row.set("regression", d.regression);
    row.set("scope", d.scope);
    row.set("metric", d.metric);
    row.set("base", fmt::format("{:.2f} {}", d.base, d.unit));
    row.set("current", fmt::format("{:.2f} {}", d.current, d.unit));
    row.set("change", signed_change(d));
    row.set("change_pct", fmt::format("{:.1f}%", d.change_pct));
    row.set("rule", d.rule);
    deltas.push_back(row);
  }
  Data v;
  v.set("base_name", base_name);
  v.set("new_name", new_name);
  v.set("regressions", std::to_string(regressions));
  v.set("verdict",
        regressions > 0 ? fmt::format("{} regression(s)", regressions) : "No regressions");
  v.set("deltas", deltas);
  v.set("notes", list_of(c.notes));
  return v;
}

std::string render_page(std::string_view page_template, const Data& view) {
  kainjow::mustache::mustache page{std::string(page_template)};
  if (!page.is_valid()) {
    // The templates are compiled in and rendered by the tests: this is a build defect.
    throw std::logic_error("HTML page template: " + page.error_message());
  }
  page.set_custom_escape([](const std::string& s) { return xml_escape(s); });
  return page.render(view);
}

}  // namespace

std::vector<Chart> report_charts(const Report& report) {
  return build_charts(report, phase_spans(report.run));
}

std::string to_html_report(const Report& report) {
  return render_page(assets::kReportHtmlTemplate, page_view(report));
}

std::string comparison_html(const Comparison& c, const std::string& base_name,
                            const std::string& new_name) {
  return render_page(assets::kCompareHtmlTemplate, comparison_view(c, base_name, new_name));
}

}  // namespace barrage::report
