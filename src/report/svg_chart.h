// Line charts as inline SVG, drawn by barrage itself so an HTML report needs no
// script library and makes no network request. Each series is a <g class="series">
// carrying data-series (its name), data-points (its point count) and data-segments;
// in it one <polyline class="segment"> per run of points without a gap (a segment
// of one point also gets a dot), so no line crosses a period without data. The
// <svg> carries the plot box and axis ranges (data-plot, data-x-max, data-y-max) so
// a test can map pixels back to values.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace barrage::report {

struct ChartSeries {
  std::string name;
  std::string color;                              // CSS color
  std::vector<std::pair<double, double>> points;  // (x seconds from start, y)
  // Indices of the points that start a new segment: the line is not drawn from the
  // point before (a period between them is missing or has no samples). Ascending,
  // each in [1, points.size()).
  std::vector<size_t> breaks;
};

// A series' segments as [begin, end) index ranges into its points.
std::vector<std::pair<size_t, size_t>> segments(const ChartSeries& series);

struct ChartBand {  // a shaded x range (a phase)
  std::string label;
  double x0 = 0, x1 = 0;
  bool pause = false;
};

struct Chart {
  std::string id;  // element id of the <svg>
  std::string title;
  std::string unit;  // y axis unit ("req/s", "ms", ...)
  double x_max = 0;  // seconds; the axis runs from 0
  std::vector<ChartSeries> series;
  std::vector<ChartBand> bands;
};

// <svg>...</svg> for the chart (no legend).
std::string render_svg(const Chart& chart);

// The largest y over all series, rounded up to a readable axis maximum (>= 1).
double axis_max(const Chart& chart);

// Text escaped for HTML/XML element content and attribute values.
std::string xml_escape(std::string_view s);

}  // namespace barrage::report
