// The parts of the report that the HTML and Markdown renderers share (docs/report.md): number
// formats, the selections (heatmap cells, worst slices, vendor and class comparisons) and the
// tables as rows of text cells. Internal to report/; pure functions, thread-safe. Pointers into a
// RunResult stay valid as long as it does.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "report/model.h"

namespace gtops::report {

// "0.912" (3 decimals); "—" for NaN or infinity.
std::string FormatNumber(double v);
// "+0.012", "-0.034", "0.000" when it rounds to zero; "—" for NaN.
std::string FormatGap(double v);
// "[0.901, 0.934]"; "—" when either end is NaN.
std::string FormatInterval(double lo, double hi);
// "≥ 0.950" when higher is better, "≤ 0.020" otherwise; "—" for a NaN target.
std::string FormatTarget(double target, bool higher_is_better);
// A row's vendor and slice for a table cell: "all" when empty.
std::string VendorLabel(const std::string& vendor);
std::string SliceText(const Gap& gap);

// The pipelines in the summaries' order (gtops.toml's), then any other pipeline named by a gap or
// a trend, in order of appearance.
std::vector<std::string> PipelineOrder(const RunResult& result);
// The metrics in FORMAT.md's order of target names, then unknown names in order of appearance.
std::vector<std::string> MetricOrder(const std::vector<const Gap*>& gaps);

// The pipeline-level rows (vendor "" and no slice), one cell per pipeline x metric; nullptr where
// the pipeline has no row for the metric.
struct Heatmap {
  std::vector<std::string> pipelines;
  std::vector<std::string> metrics;
  std::vector<std::vector<const Gap*>> cells;  // [pipeline][metric]
};
Heatmap BuildHeatmap(const RunResult& result);

// The rows with a vendor or a slice whose status is fails or inconclusive, at most `limit`, in
// the order of `gaps`: worst first (SortGaps: fails, then inconclusive, each by the shortfall
// relative to the target, so that metrics of different units compare).
std::vector<const Gap*> WorstSlices(const RunResult& result, size_t limit = 20);

// For one metric of one pipeline: the pipeline-level row (nullptr if none), the per-vendor rows
// (a vendor, no slice) and the per-class rows (no vendor, a single class condition), in the order
// of `gaps`. Only metrics with at least one vendor or class row have a comparison.
struct Comparison {
  std::string pipeline, metric;
  const Gap* overall = nullptr;
  std::vector<const Gap*> rows;
};
std::vector<Comparison> BuildComparisons(const RunResult& result);
// A comparison row's label: "vendor acme", "class=car", or "all vendors" for the overall row.
std::string ComparisonLabel(const Gap& gap);

// A table of text cells. `status` holds a GapStatus name for cells that show one (the HTML
// renderer colours them); `numeric` marks right-aligned columns.
struct Cell {
  std::string text;
  std::string status;
};
struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;
  std::vector<std::vector<Cell>> rows;
};

Table SummaryTable(const RunResult& result);
// The heatmap as text: a row per pipeline, a column per metric, cells "fails 0.912" ("" where
// the pipeline has no row for the metric).
Table HeatmapTable(const Heatmap& heatmap);
Table GapTable(const std::vector<const Gap*>& gaps);
Table ComparisonTable(const Comparison& comparison);
Table TrendTable(const Trend& trend);
Table AuditErrorTable(const std::vector<AuditErrorRate>& rates);
Table SpecSplitTable(const std::vector<SpecSplit>& splits);
Table ChangeTable(const std::vector<Change>& changes);
Table AlertTable(const std::vector<OpsAlert>& alerts);
Table IncidentTable(const std::vector<ProcessIncident>& incidents);
// The recorded audit plans: pipeline, batch, plan, lot, drawn, decision, evidence, drawn at.
Table AuditPlanTable(const std::vector<AuditPlanView>& plans);
Table RootCauseTable(const std::vector<RootCauseRow>& causes);

// All rows of `gaps` as pointers, in order.
std::vector<const Gap*> AllGaps(const RunResult& result);
// "lidar · recall · all vendors" or "lidar · recall · vendor acme".
std::string TrendTitle(const Trend& trend);
// "out of control", "spec change", both joined by ", ", or "".
std::string BatchFlags(const BatchPoint& point);

}  // namespace gtops::report
