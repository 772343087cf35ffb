#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "metrics/summary.h"
#include "report/analysis.h"
#include "report/json_report.h"
#include "report/svg_chart.h"

namespace barrage::report {

namespace {

using nlohmann::json;

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

const char* color(size_t i) { return kColors[i % std::size(kColors)]; }

std::string esc(std::string_view s) { return xml_escape(s); }

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

// One timeline period as chart x (end of the period, seconds from the start) and width.
struct Tick {
  double x = 0;
  double width = 0;
  const metrics::Snapshot* s = nullptr;
};

std::vector<Tick> ticks_of(const std::vector<metrics::Snapshot>& timeline, int64_t start_ms) {
  std::vector<Tick> out;
  for (const auto& s : timeline) {
    Tick t;
    const int64_t from = std::max(s.period_start_ms, start_ms);
    t.x = static_cast<double>(s.period_end_ms - start_ms) / 1000.0;
    t.width = s.period_end_ms > from ? static_cast<double>(s.period_end_ms - from) / 1000.0 : 0;
    t.s = &s;
    out.push_back(t);
  }
  return out;
}

ChartSeries rate_series(const std::vector<Tick>& ticks, const std::string& name,
                        const std::string& counter, size_t i) {
  ChartSeries cs{name, color(i), {}};
  for (const auto& t : ticks) {
    if (t.width <= 0) continue;
    cs.points.emplace_back(t.x, static_cast<double>(t.s->counter(counter)) / t.width);
  }
  return cs;
}

// Percentile q (or the max when q > 100) of a histogram, per period that has samples.
ChartSeries percentile_series(const std::vector<Tick>& ticks, const std::string& name,
                              const std::string& histogram, double q, size_t i) {
  ChartSeries cs{name, color(i), {}};
  for (const auto& t : ticks) {
    const auto* h = t.s->find_histogram(histogram);
    if (h == nullptr || h->empty()) continue;
    cs.points.emplace_back(t.x, ms(q > 100 ? h->max() : h->percentile(q)));
  }
  return cs;
}

// Sum per second of the counters matching a predicate.
template <typename Pred>
ChartSeries sum_series(const std::vector<Tick>& ticks, const std::string& name, Pred pred,
                       size_t i) {
  ChartSeries cs{name, color(i), {}};
  for (const auto& t : ticks) {
    if (t.width <= 0) continue;
    uint64_t n = 0;
    for (const auto& [k, v] : t.s->counters) {
      if (pred(k)) n += v;
    }
    cs.points.emplace_back(t.x, static_cast<double>(n) / t.width);
  }
  return cs;
}

std::vector<Chart> build_charts(const engine::RunResult& r, const std::vector<PhaseSpan>& phases,
                                const ColdStarts& cold) {
  const auto& timeline = r.timeline.empty() ? r.periods : r.timeline;
  const auto ticks = ticks_of(timeline, r.start_wall_ms);
  double x_max = r.duration_s;
  for (const auto& t : ticks) x_max = std::max(x_max, t.x);
  for (const auto& p : phases) x_max = std::max(x_max, p.start_s + p.duration_s);
  std::vector<ChartBand> bands;
  bands.reserve(phases.size());
  for (const auto& p : phases)
    bands.push_back({p.name, p.start_s, p.start_s + p.duration_s, p.pause});

  auto chart = [&](std::string id, std::string title, std::string unit) {
    Chart c;
    c.id = std::move(id);
    c.title = std::move(title);
    c.unit = std::move(unit);
    c.x_max = x_max;
    c.bands = bands;
    return c;
  };
  std::vector<Chart> charts;

  Chart rps = chart("chart-throughput", "Requests per second", "req/s");
  rps.series.push_back(rate_series(ticks, "sent", "http.requests", 0));
  rps.series.push_back(rate_series(ticks, "completed", "http.responses", 2));
  charts.push_back(std::move(rps));

  Chart lat = chart("chart-latency", "Response time", "ms");
  lat.series.push_back(percentile_series(ticks, "p50", "http.response_time", 50, 0));
  lat.series.push_back(percentile_series(ticks, "p95", "http.response_time", 95, 3));
  lat.series.push_back(percentile_series(ticks, "p99", "http.response_time", 99, 1));
  lat.series.push_back(percentile_series(ticks, "max", "http.response_time", 101, 8));
  charts.push_back(std::move(lat));

  Chart codes = chart("chart-outcomes", "Status code classes and errors per second", "per s");
  size_t ci = 0;
  for (const char cls : {'1', '2', '3', '4', '5'}) {
    const std::string prefix = fmt::format("http.codes.{}", cls);
    bool any = false;
    for (const auto& [k, v] : r.aggregate.counters) any = any || k.starts_with(prefix);
    if (!any) continue;
    codes.series.push_back(sum_series(
        ticks, fmt::format("{}xx", cls),
        [&](const std::string& k) { return k.starts_with(prefix); }, ci++));
  }
  for (const auto& [k, v] : r.aggregate.counters) {
    if (!k.starts_with("errors.")) continue;
    const std::string name = k;
    codes.series.push_back(sum_series(
        ticks, name, [&](const std::string& key) { return key == name; }, ci++));
  }
  charts.push_back(std::move(codes));

  Chart vus = chart("chart-vusers", "Virtual users", "VUs");
  vus.series.push_back(rate_series(ticks, "created/s", "vusers.created", 0));
  {
    ChartSeries active{"active", color(3), {}};
    int64_t n = 0;
    for (const auto& t : ticks) {
      n += static_cast<int64_t>(t.s->counter("vusers.created")) -
           static_cast<int64_t>(t.s->counter("vusers.completed") + t.s->counter("vusers.failed"));
      active.points.emplace_back(t.x, static_cast<double>(std::max<int64_t>(n, 0)));
    }
    vus.series.push_back(std::move(active));
  }
  charts.push_back(std::move(vus));

  Chart lag = chart("chart-lag", "Scheduling lag (actual minus intended send time)", "ms");
  lag.series.push_back(percentile_series(ticks, "p50", "barrage.scheduling_lag", 50, 0));
  lag.series.push_back(percentile_series(ticks, "p99", "barrage.scheduling_lag", 99, 1));
  lag.series.push_back(percentile_series(ticks, "max", "barrage.scheduling_lag", 101, 8));
  charts.push_back(std::move(lag));

  Chart conn = chart("chart-cold", "Cold starts and connection reuse", "ms");
  conn.series.push_back(
      percentile_series(ticks, "new connection p99", "http.response_time.new_connection", 99, 1));
  conn.series.push_back(percentile_series(ticks, "reused connection p99",
                                          "http.response_time.reused_connection", 99, 0));
  if (cold.source == "header") {
    conn.series.push_back(
        percentile_series(ticks, "cold start p50", "http.response_time.cold_start", 50, 3));
  }
  charts.push_back(std::move(conn));
  return charts;
}

json chart_data(const std::vector<Chart>& charts) {
  json out = json::array();
  for (const auto& c : charts) {
    json series = json::array();
    for (const auto& s : c.series) {
      json pts = json::array();
      for (const auto& [x, y] : s.points) pts.push_back(json::array({x, y}));
      series.push_back(json{{"name", s.name}, {"color", s.color}, {"points", pts}});
    }
    out.push_back(json{{"id", c.id}, {"title", c.title}, {"unit", c.unit}, {"series", series}});
  }
  return out;
}

std::string legend(const Chart& c) {
  std::string out = "<div class=\"legend\">";
  for (const auto& s : c.series) {
    out += fmt::format("<span><i style=\"background:{}\"></i>{} ({} points)</span>", esc(s.color),
                       esc(s.name), s.points.size());
  }
  return out + "</div>\n";
}

std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows, const std::string& id) {
  std::string out = fmt::format("<table id=\"{}\"><thead><tr>", id);
  for (const auto& h : head) out += "<th>" + esc(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

void lat_cells(const metrics::Histogram* h, std::vector<std::string>& row) {
  if (h == nullptr || h->empty()) {
    for (int i = 0; i < 4; ++i) row.emplace_back("-");
    return;
  }
  row.push_back(f2(ms(h->percentile(50))));
  row.push_back(f2(ms(h->percentile(95))));
  row.push_back(f2(ms(h->percentile(99))));
  row.push_back(f2(ms(h->max())));
}

std::string number_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_number_float()) return f2(it->get<double>());
  if (it->is_number()) return std::to_string(it->get<int64_t>());
  if (it->is_string()) return esc(it->get<std::string>());
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return esc(it->dump());
}

// workers / regions (distributed runs): an array of objects or an object of objects.
std::string distributed_table(const json& doc, const char* key, const char* title) {
  auto it = doc.find(key);
  if (it == doc.end() || (!it->is_array() && !it->is_object()) || it->empty()) return {};
  std::vector<std::vector<std::string>> rows;
  auto row_of = [&](const std::string& name, const json& w) {
    if (!w.is_object()) return;
    const std::string id = w.contains("name") ? number_of(w, "name")
                           : w.contains("id") ? number_of(w, "id")
                                              : esc(name);
    std::vector<std::string> row{id,
                                 number_of(w, "region"),
                                 esc(w.value("status", std::string("-"))),
                                 number_of(w, "requests"),
                                 number_of(w, "responses"),
                                 number_of(w, "errors")};
    const json rt = w.value("response_time", json::object());
    for (const char* k : {"p50", "p95", "p99", "max"}) row.push_back(number_of(rt, k));
    rows.push_back(std::move(row));
  };
  if (it->is_array()) {
    for (const auto& w : *it) row_of("", w);
  } else {
    for (const auto& [name, w] : it->items()) row_of(name, w);
  }
  return fmt::format("<h2>{}</h2>\n", title) +
         table({"name", "region", "status", "requests", "responses", "errors", "p50 ms", "p95 ms",
                "p99 ms", "max ms"},
               rows, std::string("table-") + key);
}

// cost (Lambda runs): the estimate printed before the run and the measured figure.
std::string cost_table(const json& doc) {
  auto it = doc.find("cost");
  if (it == doc.end() || !it->is_object()) return {};
  std::vector<std::vector<std::string>> rows;
  for (const char* which : {"estimated", "measured"}) {
    const auto f = it->find(which);
    if (f == it->end() || !f->is_object()) continue;
    const auto dollars = f->value("dollars", 0.0);
    rows.push_back({which, esc(fmt::format("${:.4f}", dollars)), number_of(*f, "gb_seconds"),
                    number_of(*f, "invocations"), number_of(*f, "sqs_requests"),
                    number_of(*f, "s3_requests")});
  }
  if (rows.empty()) return {};
  std::string html = "<h2>Cost</h2>\n" + table({"", "US dollars", "GB-seconds", "invocations",
                                                "SQS requests", "S3 requests"},
                                               rows, "table-cost");
  std::string notes = "On-demand prices of " + it->value("prices_date", std::string("?")) +
                      ", no free tier; the measured figure comes from the workers' reports, not "
                      "from AWS billing.";
  for (const auto& n : it->value("notes", json::array())) {
    if (n.is_string()) notes += " " + n.get<std::string>() + ".";
  }
  return html + "<p>" + esc(notes) + "</p>\n";
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1d2b3a;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d3dd;font-size:13px}
main{padding:8px 24px 40px;max-width:1100px}
h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:#fff;border:1px solid #ddd;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:18px}.card span{font-size:12px;color:#666}
.chart-box{background:#fff;border:1px solid #ddd;margin:8px 0;padding:8px;position:relative}
.chart-box h3{margin:0 0 4px;font-size:14px}svg.chart{width:100%;height:auto;display:block}
.legend{font-size:12px}.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #999;font-size:12px;padding:4px 6px;display:none;white-space:nowrap}
.ok{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.warn{background:#fff4d6;border:1px solid #e0b400;padding:6px 10px;margin:8px 0}
)";

// Tooltips: the nearest point of each series under the cursor, from the embedded data.
constexpr const char* kScript = R"(
(function(){
var data=JSON.parse(document.getElementById('data').textContent);
data.charts.forEach(function(c){
  var svg=document.getElementById(c.id);if(!svg)return;
  var box=svg.parentNode,tip=box.querySelector('.tip'),cur=svg.querySelector('.cursor');
  var p=svg.getAttribute('data-plot').split(' ').map(Number),xmax=+svg.getAttribute('data-x-max');
  svg.addEventListener('mousemove',function(e){
    var r=svg.getBoundingClientRect(),sx=(e.clientX-r.left)*900/r.width;
    var x=(sx-p[0])/p[2]*xmax;if(x<0||x>xmax){tip.style.display='none';return;}
    var lines=[];
    c.series.forEach(function(s){var best=null;s.points.forEach(function(q){if(!best||Math.abs(q[0]-x)<Math.abs(best[0]-x))best=q;});
      if(best)lines.push(s.name+': '+(Math.round(best[1]*100)/100)+' @'+best[0].toFixed(1)+'s');});
    tip.textContent='';lines.forEach(function(l){var d=document.createElement('div');d.textContent=l;tip.appendChild(d);});
    tip.style.display='block';tip.style.left=(e.clientX-box.getBoundingClientRect().left+12)+'px';tip.style.top='30px';
    cur.setAttribute('x1',sx);cur.setAttribute('x2',sx);cur.setAttribute('visibility','visible');});
  svg.addEventListener('mouseleave',function(){tip.style.display='none';cur.setAttribute('visibility','hidden');});
});
})();
)";

}  // namespace

std::optional<std::string> to_html_report(const std::string& json_text, std::string* error) {
  auto r = read_json_report(json_text, error);
  if (!r) return std::nullopt;
  const json doc = json::parse(json_text, nullptr, false);
  const json run = doc.value("run", json::object());
  const auto phases = read_report_phases(json_text);
  const Analysis a = analyze(*r, phases);
  const auto charts = build_charts(*r, phases, a.cold_starts);
  const auto& agg = r->aggregate;

  std::string html;
  html.reserve(256 * 1024);
  const std::string script = run.value("script", std::string());
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += fmt::format("<title>barrage report: {}</title>\n", esc(script));
  html += fmt::format("<style>{}</style>\n</head><body>\n", kStyle);
  html += fmt::format(
      "<header><h1>barrage report: {}</h1><p>target {} &middot; started {} &middot; {:.1f} s "
      "&middot; {} core(s) &middot; barrage {}{}</p></header>\n<main>\n",
      esc(script), esc(run.value("target", std::string())), utc(r->start_wall_ms), r->duration_s,
      r->cores, esc(doc.value("barrage_version", std::string())),
      r->interrupted ? " &middot; <b>interrupted</b>" : "");

  for (const auto& w : doc.value("warnings", json::array())) {
    if (w.is_string()) html += "<div class=\"warn\">" + esc(w.get<std::string>()) + "</div>\n";
  }

  // Summary cards.
  const Outcomes all = count_outcomes(agg, "http.codes.", "errors.");
  const auto* rt = agg.find_histogram("http.response_time");
  html += "<h2>Summary</h2>\n<div class=\"cards\" id=\"summary\">";
  auto card = [&](const std::string& label, const std::string& value, const char* key) {
    html += fmt::format("<div class=\"card\" data-key=\"{}\"><b>{}</b><span>{}</span></div>", key,
                        value, esc(label));
  };
  card("requests", std::to_string(agg.counter("http.requests")), "requests");
  card("responses", std::to_string(agg.counter("http.responses")), "responses");
  card("request rate",
       fmt::format("{:.1f}/s",
                   r->duration_s > 0
                       ? static_cast<double>(agg.counter("http.requests")) / r->duration_s
                       : 0),
       "rate");
  card("p50 / p95 / p99 ms",
       rt ? fmt::format("{:.1f} / {:.1f} / {:.1f}", ms(rt->percentile(50)), ms(rt->percentile(95)),
                        ms(rt->percentile(99)))
          : "-",
       "latency");
  card("max ms", rt ? f2(ms(rt->max())) : "-", "max");
  card("failed (429, 5xx, errors)", fmt::format("{} ({})", all.failed(), pct(all.failed_share())),
       "failed");
  card("VUs created / failed",
       fmt::format("{} / {}", agg.counter("vusers.created"), agg.counter("vusers.failed")),
       "vusers");
  if (!a.cold_starts.source.empty()) {
    card(a.cold_starts.source == "header" ? "cold starts (header)" : "cold starts (estimate)",
         fmt::format("{} ({})", a.cold_starts.count, pct(a.cold_starts.share)), "cold_starts");
  }
  html += "</div>\n";

  // Charts.
  html += "<h2>Over time</h2>\n";
  for (const auto& c : charts) {
    html += fmt::format("<div class=\"chart-box\"><h3>{}</h3>\n", esc(c.title));
    html += render_svg(c);
    html += legend(c);
    html += "<div class=\"tip\"></div></div>\n";
  }

  // Per phase.
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : a.phases) {
      std::vector<std::string> row{esc(p.span.name), f2(p.span.start_s), f2(p.span.duration_s)};
      if (p.span.pause) {
        row.emplace_back("pause");
        rows.push_back(std::move(row));
        continue;
      }
      row.push_back(f2(p.arrival_rate));
      row.push_back(f2(p.request_rate));
      row.push_back(f2(p.latency.p50));
      row.push_back(f2(p.latency.p95));
      row.push_back(f2(p.latency.p99));
      row.push_back(f2(p.latency.max));
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
    html +=
        "<h2>Per phase</h2>\n<p>Requests count toward the phase their virtual user arrived "
        "in. Error shares are of the phase's responses plus errors.</p>\n";
    html += table(head, rows, "table-phases");
  }

  // Cold starts.
  {
    const auto& cs = a.cold_starts;
    html += "<h2>Cold starts</h2>\n";
    if (cs.source.empty()) {
      html += "<p>No responses.</p>\n";
    } else {
      html += fmt::format(
          "<p id=\"cold-summary\" data-count=\"{}\" data-source=\"{}\"><b>{}</b> cold start(s) in "
          "{} responses ({}), {}.</p>\n",
          cs.count, esc(cs.source), cs.count, cs.responses, pct(cs.share),
          cs.source == "header"
              ? fmt::format("from the response header {}",
                            esc(run.value("cold_start_header", std::string("set by the target"))))
              : fmt::format("estimated: first request on a new connection slower than {:.1f} ms",
                            cs.threshold_ms));
      std::vector<std::vector<std::string>> rows;
      auto lrow = [&](const char* name, const Latency& l) {
        rows.push_back({name, std::to_string(l.count), f2(l.p50), f2(l.p95), f2(l.p99), f2(l.max)});
      };
      lrow("cold", cs.cold);
      lrow("warm", cs.warm);
      lrow("new connection", cs.new_connection);
      lrow("reused connection", cs.reused_connection);
      html +=
          table({"responses", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"}, rows, "table-cold");
      std::vector<std::vector<std::string>> spikes;
      for (const auto& s : cs.spikes) {
        spikes.push_back({fmt::format("{:.0f}s - {:.0f}s", s.start_s, s.end_s),
                          utc(s.wall_start_ms), f2(s.peak_p99_ms), f2(s.arrival_rate),
                          f2(s.previous_arrival_rate), s.scale_out ? "yes" : "no",
                          std::to_string(s.cold_starts)});
      }
      html += fmt::format("<h3>Latency spikes (p99 above {:.1f} ms)</h3>\n", cs.threshold_ms);
      html += spikes.empty() ? "<p>None.</p>\n"
                             : table({"when", "wall clock", "peak p99 ms", "arrivals/s",
                                      "arrivals/s before", "scale-out", "cold starts"},
                                     spikes, "table-spikes");
    }
  }

  // Error onset.
  {
    std::vector<std::vector<std::string>> rows;
    auto level = [](const LoadLevel& l) {
      return fmt::format("{:.0f}s ({}) at {:.1f} arrivals/s, {:.1f} req/s, {} active VUs; {}",
                         l.offset_s, utc(l.wall_ms), l.arrival_rate, l.request_rate, l.active_vus,
                         pct(l.share));
    };
    for (const auto& o : a.onsets) {
      rows.push_back({error_class_name(o.error_class), std::to_string(o.total), level(o.first),
                      o.over_limit ? level(*o.over_limit) : "never"});
    }
    html +=
        fmt::format("<h2>Error onset</h2>\n<p>Resolution: {:g} s periods.</p>\n", a.resolution_s);
    html += rows.empty()
                ? "<p>No errors.</p>\n"
                : table({"class", "total", "first seen", "first above 1%"}, rows, "table-onset");
  }

  // Per endpoint.
  {
    std::vector<std::vector<std::string>> rows;
    const json endpoints = doc.value("endpoints", json::object());
    for (const auto& [name, e] : endpoints.items()) {
      const std::string prefix = "plugins.metrics-by-endpoint." + name + ".";
      const Outcomes o = count_outcomes(agg, prefix + "codes.", prefix + "errors.");
      std::string codes;
      const json codes_of = e.value("codes", json::object());
      const json errors_of = e.value("errors", json::object());
      for (const auto& [code, n] : codes_of.items()) {
        codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", code, n.dump());
      }
      for (const auto& [err, n] : errors_of.items()) {
        codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", err, n.dump());
      }
      std::vector<std::string> row{esc(name), std::to_string(agg.counter(prefix + "requests")),
                                   esc(codes), pct(o.failed_share())};
      lat_cells(agg.find_histogram("plugins.metrics-by-endpoint.response_time." + name), row);
      rows.push_back(std::move(row));
    }
    html += "<h2>Per endpoint</h2>\n";
    html += table({"endpoint", "requests", "codes and errors", "failed", "p50 ms", "p95 ms",
                   "p99 ms", "max ms"},
                  rows, "table-endpoints");
  }

  // Timing breakdown.
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, label] :
         std::vector<std::pair<std::string, std::string>>{{"http.dns", "DNS"},
                                                          {"http.tcp", "TCP connect"},
                                                          {"http.tls", "TLS handshake"},
                                                          {"http.ttfb", "first byte"},
                                                          {"http.download", "download"},
                                                          {"http.response_time", "total"}}) {
      const auto* h = agg.find_histogram(name);
      std::vector<std::string> row{esc(label), name, h ? std::to_string(h->count()) : "0"};
      lat_cells(h, row);
      rows.push_back(std::move(row));
    }
    html +=
        "<h2>Timing breakdown</h2>\n<p>DNS, TCP and TLS count only the requests that paid "
        "that step (new connections).</p>\n";
    html += table({"step", "metric", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"}, rows,
                  "table-timing");
  }

  // Checks.
  {
    html += "<h2>Checks</h2>\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : doc.value("ensure", json::array())) {
      if (!e.is_object()) continue;
      const bool ok = e.value("ok", false);
      std::string limit = number_of(e, "limit");
      if (limit == "-") limit = number_of(e, "expression");
      rows.push_back({esc(e.value("name", std::string("?"))), number_of(e, "value"), limit,
                      ok ? "<span class=\"ok\">pass</span>" : "<span class=\"fail\">FAIL</span>"});
    }
    html += "<h3>ensure</h3>\n";
    html += rows.empty() ? "<p>No ensure checks in this report.</p>\n"
                         : table({"check", "value", "limit", "result"}, rows, "table-ensure");
    rows.clear();
    const std::string ok_prefix = "plugins.expect.ok.";
    const std::string failed_prefix = "plugins.expect.failed.";
    std::vector<std::string> kinds;
    for (const auto& [k, v] : agg.counters) {
      if (k.starts_with(ok_prefix)) kinds.push_back(k.substr(ok_prefix.size()));
      if (k.starts_with(failed_prefix)) kinds.push_back(k.substr(failed_prefix.size()));
    }
    std::sort(kinds.begin(), kinds.end());
    kinds.erase(std::unique(kinds.begin(), kinds.end()), kinds.end());
    for (const auto& k : kinds) {
      const uint64_t ok = agg.counter(ok_prefix + k);
      const uint64_t failed = agg.counter(failed_prefix + k);
      rows.push_back(
          {esc(k), std::to_string(ok), std::to_string(failed),
           failed == 0 ? "<span class=\"ok\">pass</span>" : "<span class=\"fail\">FAIL</span>"});
    }
    html += "<h3>expect</h3>\n";
    html += rows.empty() ? "<p>No expect checks in this report.</p>\n"
                         : table({"check", "passed", "failed", "result"}, rows, "table-expect");
  }

  html += distributed_table(doc, "workers", "Per worker");
  html += distributed_table(doc, "regions", "Per region");
  html += cost_table(doc);

  json data{{"run",
             {{"start_ms", r->start_wall_ms},
              {"duration_s", r->duration_s},
              {"script", script},
              {"target", run.value("target", std::string())}}},
            {"phases", json::array()},
            {"charts", chart_data(charts)},
            {"analysis", json::parse(analysis_to_json(a))}};
  for (const auto& p : phases) {
    data["phases"].push_back(json{{"name", p.name},
                                  {"start_s", p.start_s},
                                  {"duration_s", p.duration_s},
                                  {"pause", p.pause}});
  }
  std::string embedded = data.dump();
  // '<' only occurs inside JSON strings, where \u003c means the same: no "</script>".
  std::string safe;
  safe.reserve(embedded.size());
  for (const char c : embedded) {
    if (c == '<') {
      safe += "\\u003c";
    } else {
      safe += c;
    }
  }
  html += "</main>\n<script type=\"application/json\" id=\"data\">" + safe + "</script>\n";
  html += fmt::format("<script>{}</script>\n</body></html>\n", kScript);
  return html;
}

}  // namespace barrage::report
