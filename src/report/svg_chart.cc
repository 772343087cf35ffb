#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace barrage::report {

namespace {

constexpr double kWidth = 900;
constexpr double kLeft = 64;
constexpr double kPlotW = 816;
constexpr double kPlotH = 200;
constexpr double kBelow = 36;     // under the plot: the x axis labels
constexpr double kLabelRow = 11;  // a row of phase labels above the plot
constexpr double kCharW = 6;      // width of a 10 px character, rounded up

// 1, 2 or 5 times a power of ten, at least v.
double nice_ceil(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (const double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v * (1 - 1e-12)) return m * p;
  }
  return 10 * p;
}

// An axis label: every label of an axis has the decimals its step needs (a
// step of 2 gives 0, 2, 4, ...; 0.25 gives 0.00, 0.25, ...), so one axis
// never mixes "8" and "10.0".
std::string tick_label(double v, double step) {
  int decimals = 0;
  for (double s = step; decimals < 6 && std::fabs(s - std::round(s)) > 1e-9 * std::max(1.0, s);
       s *= 10) {
    ++decimals;
  }
  return fmt::format("{:.{}f}", v, decimals);
}

}  // namespace

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double axis_max(const Chart& chart) {
  double m = 0;
  for (const auto& s : chart.series) {
    for (const auto& [x, y] : s.points) m = std::max(m, y);
  }
  return nice_ceil(m);
}

namespace {

// Chart values to SVG coordinates.
struct Scale {
  double x_max = 1;
  double y_max = 1;
  double top = 24;  // the plot's top edge: under the rows of phase labels
  [[nodiscard]] double px(double x) const {
    return kLeft + kPlotW * std::clamp(x / x_max, 0.0, 1.0);
  }
  [[nodiscard]] double py(double y) const {
    return top + kPlotH * (1 - std::clamp(y / y_max, 0.0, 1.0));
  }
};

// A phase label's place: whole, starting at its band (or ending at the chart's right
// edge when it would pass it), on the first row where it overlaps no label before it.
struct LabelSpot {
  double x = 0;
  size_t row = 0;
};

std::vector<LabelSpot> label_spots(const Chart& chart, const Scale& sc) {
  std::vector<LabelSpot> out;
  std::vector<double> row_end;  // right edge of the last label on each row
  for (const auto& b : chart.bands) {
    const double w = kCharW * static_cast<double>(b.label.size());
    LabelSpot spot{std::min(sc.px(b.x0) + 3, kWidth - 2 - w), 0};
    while (spot.row < row_end.size() && row_end[spot.row] + 6 > spot.x) ++spot.row;
    if (spot.row == row_end.size()) row_end.push_back(0);
    row_end[spot.row] = spot.x + w;
    out.push_back(spot);
  }
  return out;
}

size_t label_rows(const std::vector<LabelSpot>& spots) {
  size_t rows = 1;
  for (const auto& s : spots) rows = std::max(rows, s.row + 1);
  return rows;
}

// Phases, shaded in alternation; pauses hatched grey. Labels whole, in rows above the plot.
std::string svg_bands(const Chart& chart, const Scale& sc, const std::vector<LabelSpot>& spots) {
  std::string out;
  for (size_t i = 0; i < chart.bands.size(); ++i) {
    const auto& b = chart.bands[i];
    const double x0 = sc.px(b.x0);
    const double x1 = sc.px(b.x1);
    if (x1 <= x0) continue;
    const char* fill = b.pause ? "#e5e5e5" : (i % 2 == 0 ? "#eef3fb" : "#f7f0e6");
    out += fmt::format(
        "<rect class=\"phase\" data-phase=\"{}\" x=\"{:.2f}\" y=\"{}\" width=\"{:.2f}\" "
        "height=\"{}\" fill=\"{}\"><title>{}</title></rect>\n",
        xml_escape(b.label), x0, sc.top, x1 - x0, kPlotH, fill, xml_escape(b.label));
    // The bottom row sits just above the plot, earlier rows above it.
    const double y =
        sc.top - 6 - kLabelRow * static_cast<double>(label_rows(spots) - 1 - spots[i].row);
    out += fmt::format(
        "<text class=\"phase-label\" x=\"{:.2f}\" y=\"{}\" font-size=\"10\" "
        "fill=\"#666\">{}</text>\n",
        spots[i].x, y, xml_escape(b.label));
  }
  return out;
}

// Grid, y labels, x ticks (about 10, at a readable step), the unit and the plot frame.
std::string svg_axes(const Chart& chart, const Scale& sc) {
  std::string out;
  for (int i = 0; i <= 4; ++i) {
    const double v = sc.y_max * i / 4;
    const double y = sc.py(v);
    out += fmt::format(
        "<line x1=\"{}\" x2=\"{}\" y1=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"#ccc\" "
        "stroke-width=\"0.5\"/>"
        "<text x=\"{}\" y=\"{:.2f}\" font-size=\"10\" text-anchor=\"end\" "
        "fill=\"#444\">{}</text>\n",
        kLeft, kLeft + kPlotW, y, y, kLeft - 4, y + 3, tick_label(v, sc.y_max / 4));
  }
  const double step = nice_ceil(sc.x_max / 10);
  const auto tick_count = static_cast<int>(std::floor(sc.x_max / step + 1e-9));
  for (int i = 0; i <= tick_count; ++i) {
    const double x = step * i;
    out += fmt::format(
        "<text x=\"{:.2f}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" "
        "fill=\"#444\">{}s</text>\n",
        sc.px(x), sc.top + kPlotH + 14, tick_label(x, step));
  }
  out += fmt::format(
      "<text x=\"12\" y=\"{}\" font-size=\"10\" fill=\"#444\" transform=\"rotate(-90 12 {})\" "
      "text-anchor=\"middle\">{}</text>\n",
      sc.top + kPlotH / 2, sc.top + kPlotH / 2, xml_escape(chart.unit));
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888\" "
      "stroke-width=\"0.75\"/>\n",
      kLeft, sc.top, kPlotW, kPlotH);
  return out;
}

std::string svg_series(const Chart& chart, const Scale& sc) {
  std::string out;
  for (const auto& s : chart.series) {
    const auto segs = segments(s);
    out += fmt::format(
        "<g class=\"series\" data-series=\"{}\" data-points=\"{}\" data-segments=\"{}\" "
        "fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\">\n",
        xml_escape(s.name), s.points.size(), segs.size(), xml_escape(s.color));
    for (const auto& [begin, end] : segs) {
      std::string pts;
      for (size_t i = begin; i < end; ++i) {
        pts += fmt::format("{:.2f},{:.2f} ", sc.px(s.points[i].first), sc.py(s.points[i].second));
      }
      pts.pop_back();
      out += fmt::format("<polyline class=\"segment\" points=\"{}\"/>\n", pts);
      if (end - begin == 1) {  // a lone point draws no line: mark it
        out += fmt::format(
            "<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"2.5\" fill=\"{}\" stroke=\"none\"/>\n",
            sc.px(s.points[begin].first), sc.py(s.points[begin].second), xml_escape(s.color));
      }
    }
    out += "</g>\n";
  }
  return out;
}

}  // namespace

std::vector<std::pair<size_t, size_t>> segments(const ChartSeries& series) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t begin = 0;
  for (const size_t b : series.breaks) {
    if (b <= begin || b >= series.points.size()) continue;
    out.emplace_back(begin, b);
    begin = b;
  }
  if (begin < series.points.size()) out.emplace_back(begin, series.points.size());
  return out;
}

std::string render_svg(const Chart& chart) {
  Scale sc{chart.x_max > 0 ? chart.x_max : 1, axis_max(chart)};
  const auto spots = label_spots(chart, sc);
  sc.top = 24 + kLabelRow * static_cast<double>(label_rows(spots) - 1);
  std::string out = fmt::format(
      "<svg id=\"{}\" class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" "
      "data-plot=\"{} {} {} {}\" data-x-max=\"{}\" data-y-max=\"{}\" data-unit=\"{}\">\n",
      xml_escape(chart.id), kWidth, sc.top + kPlotH + kBelow, xml_escape(chart.title), kLeft,
      sc.top, kPlotW, kPlotH, sc.x_max, sc.y_max, xml_escape(chart.unit));
  out += svg_bands(chart, sc, spots);
  out += svg_axes(chart, sc);
  out += svg_series(chart, sc);
  out += fmt::format(
      "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"{}\" y2=\"{}\" stroke=\"#333\" "
      "stroke-width=\"0.5\" visibility=\"hidden\"/>\n",
      sc.top, sc.top + kPlotH);
  out += "</svg>\n";
  return out;
}

}  // namespace barrage::report
