// The HTML report's charts as inline SVG (docs/report.md): the status heatmap, a trend's control
// chart and a metric's per-vendor and per-class dot-and-whisker chart. Each returns one
// `<svg class="chart">` element, without an xmlns (the HTML parser places it in the SVG
// namespace), whose first child is a <title>; all text from the data is escaped. Pure functions,
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "report/model.h"
#include "report/tables.h"

namespace gtops::report {

// `&`, `<`, `>`, `"` and `'` as character references: safe in HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

// The colour of a status: fails red, inconclusive amber, meets green, no_data grey.
std::string_view StatusColor(std::string_view status);

// Pipelines (rows) x metrics (columns) of the pipeline-level rows, each cell filled with its
// status colour and showing the value, its <title> the value, interval, target, gap and status;
// a legend of the four colours below.
std::string HeatmapSvg(const Heatmap& heatmap);

// The per-batch value (line and points) with its 95% interval as a shaded band, the centre line
// and control limits as step lines (dashed limits), the target, out-of-control batches circled
// in red (class "ooc", one per batch) and spec changes as labelled vertical lines.
std::string TrendSvg(const Trend& trend);

// One row per gap row of the comparison (overall first): the value as a dot coloured by status,
// its interval as a whisker, the row's own target (a class may have its own) as a blue tick.
std::string ComparisonSvg(const Comparison& comparison);

// The operating characteristic of an audit plan: P(accept) against the batch's defective
// fraction p, with the AQL and LTPD as labelled vertical lines and the risks they promise
// (1 − alpha at the AQL, beta at the LTPD) as ticks; each point's <title> its exact numbers.
std::string OcCurveSvg(const AuditPlanView& plan);

}  // namespace gtops::report
