#include "report/tables.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

namespace gtops::report {
namespace {

constexpr std::string_view kDash = "—";

// FORMAT.md's target names, in its order: the heatmap's columns read the same in every report.
constexpr std::array<std::string_view, 17> kMetricNames = {
    "recall", "precision", "f1", "class_accuracy", "attribute_accuracy", "localization_accuracy",
    "geometry_accuracy", "mean_iou", "position_error_p95_m", "size_error_p95_rel",
    "heading_error_p95_deg", "tag_accuracy", "id_switch_rate", "audit_pass_rate", "rework_rate",
    "on_time_rate", "cost_per_accepted_task_usd"};

bool IsPipelineLevel(const Gap& g) { return g.vendor.empty() && g.slice.empty(); }
bool IsVendorRow(const Gap& g) { return !g.vendor.empty() && g.slice.empty(); }
bool IsClassRow(const Gap& g) { return g.vendor.empty() && g.slice.size() == 1 && g.slice[0].field == "class"; }

void AddUnique(std::vector<std::string>& out, const std::string& s) {
  if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
}

Cell Text(std::string s) { return Cell{std::move(s), {}}; }
Cell Count(int64_t n) { return Cell{std::to_string(n), {}}; }
Cell StatusCell(GapStatus s) { return Cell{std::string(Name(s)), std::string(Name(s))}; }
// A status held as text (changes): empty when the row did not exist.
Cell StatusCell(const std::string& s) { return Cell{s.empty() ? std::string(kDash) : s, s}; }

}  // namespace

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return std::string(kDash);
  std::string s = fmt::format("{:.3f}", v);
  if (s == "-0.000") s = "0.000";
  return s;
}

std::string FormatGap(double v) {
  if (!std::isfinite(v)) return std::string(kDash);
  std::string s = fmt::format("{:+.3f}", v);
  if (s == "+0.000" || s == "-0.000") s = "0.000";
  return s;
}

std::string FormatInterval(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return std::string(kDash);
  return fmt::format("[{}, {}]", FormatNumber(lo), FormatNumber(hi));
}

std::string FormatTarget(double target, bool higher_is_better) {
  if (!std::isfinite(target)) return std::string(kDash);
  return fmt::format("{} {}", higher_is_better ? "≥" : "≤", FormatNumber(target));
}

std::string VendorLabel(const std::string& vendor) { return vendor.empty() ? "all" : vendor; }

std::string SliceText(const Gap& gap) {
  std::string s = gap.SliceLabel();
  return s.empty() ? "all" : s;
}

std::vector<std::string> PipelineOrder(const RunResult& result) {
  std::vector<std::string> out;
  for (const PipelineSummary& p : result.pipelines) AddUnique(out, p.pipeline);
  for (const Gap& g : result.gaps) AddUnique(out, g.pipeline);
  for (const Trend& t : result.trends) AddUnique(out, t.pipeline);
  return out;
}

std::vector<std::string> MetricOrder(const std::vector<const Gap*>& gaps) {
  std::vector<std::string> present;
  for (const Gap* g : gaps) AddUnique(present, g->metric);
  std::vector<std::string> out;
  for (std::string_view m : kMetricNames) {
    if (std::find(present.begin(), present.end(), m) != present.end()) out.emplace_back(m);
  }
  for (const std::string& m : present) AddUnique(out, m);
  return out;
}

std::vector<const Gap*> AllGaps(const RunResult& result) {
  std::vector<const Gap*> out;
  out.reserve(result.gaps.size());
  for (const Gap& g : result.gaps) out.push_back(&g);
  return out;
}

Heatmap BuildHeatmap(const RunResult& result) {
  std::vector<const Gap*> level;
  for (const Gap& g : result.gaps) {
    if (IsPipelineLevel(g)) level.push_back(&g);
  }
  Heatmap h;
  h.metrics = MetricOrder(level);
  for (const std::string& p : PipelineOrder(result)) {
    std::vector<const Gap*> row(h.metrics.size(), nullptr);
    bool any = false;
    for (const Gap* g : level) {
      if (g->pipeline != p) continue;
      const auto col = std::find(h.metrics.begin(), h.metrics.end(), g->metric) - h.metrics.begin();
      // Two pipeline-level rows of one metric would be a bug upstream; the first (worst) shows.
      if (row[static_cast<size_t>(col)] == nullptr) row[static_cast<size_t>(col)] = g;
      any = true;
    }
    if (!any) continue;
    h.pipelines.push_back(p);
    h.cells.push_back(std::move(row));
  }
  return h;
}

std::vector<const Gap*> WorstSlices(const RunResult& result, size_t limit) {
  std::vector<const Gap*> out;
  for (const Gap& g : result.gaps) {
    if (IsPipelineLevel(g)) continue;
    if (g.status == GapStatus::kFails || g.status == GapStatus::kInconclusive) out.push_back(&g);
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<Comparison> BuildComparisons(const RunResult& result) {
  std::vector<Comparison> out;
  for (const std::string& p : PipelineOrder(result)) {
    std::vector<const Gap*> mine;
    for (const Gap& g : result.gaps) {
      if (g.pipeline == p) mine.push_back(&g);
    }
    for (const std::string& m : MetricOrder(mine)) {
      Comparison c{p, m, nullptr, {}};
      for (const Gap* g : mine) {
        if (g->metric != m) continue;
        if (IsPipelineLevel(*g) && c.overall == nullptr) c.overall = g;
        if (IsVendorRow(*g) || IsClassRow(*g)) c.rows.push_back(g);
      }
      if (!c.rows.empty()) out.push_back(std::move(c));
    }
  }
  return out;
}

std::string ComparisonLabel(const Gap& gap) {
  if (IsPipelineLevel(gap)) return "all vendors";
  if (gap.slice.empty()) return "vendor " + gap.vendor;
  if (gap.vendor.empty()) return gap.SliceLabel();
  return "vendor " + gap.vendor + " " + gap.SliceLabel();
}

Table SummaryTable(const RunResult& result) {
  Table t{{"pipeline", "name", "geometry", "fails", "inconclusive", "meets", "no data", "gold frames",
           "gold tasks", "audited tasks", "tasks with events"},
          {false, false, false, true, true, true, true, true, true, true, true},
          {}};
  for (const PipelineSummary& p : result.pipelines) {
    t.rows.push_back({Text(p.pipeline), Text(p.name), Text(p.geometry),
                      Cell{std::to_string(p.fails), p.fails > 0 ? "fails" : ""},
                      Cell{std::to_string(p.inconclusive), p.inconclusive > 0 ? "inconclusive" : ""},
                      Count(p.meets), Count(p.no_data), Count(p.gold_frames), Count(p.gold_tasks),
                      Count(p.audited_tasks), Count(p.tasks)});
  }
  return t;
}

Table HeatmapTable(const Heatmap& h) {
  Table t{{"pipeline"}, {false}, {}};
  t.header.insert(t.header.end(), h.metrics.begin(), h.metrics.end());
  t.numeric.resize(t.header.size(), false);
  for (size_t r = 0; r < h.pipelines.size(); ++r) {
    std::vector<Cell> row{Text(h.pipelines[r])};
    for (const Gap* g : h.cells[r]) {
      if (g == nullptr) {
        row.push_back(Text(""));
      } else if (g->status == GapStatus::kNoData) {
        row.push_back(StatusCell(g->status));
      } else {
        row.push_back(Cell{fmt::format("{} {}", Name(g->status), FormatNumber(g->value)), std::string(Name(g->status))});
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table GapTable(const std::vector<const Gap*>& gaps) {
  Table t{{"pipeline", "metric", "slice", "vendor", "target", "measured", "95% interval", "gap", "status",
           "additional audits", "trend", "n", "from"},
          {false, false, false, false, true, true, true, true, false, true, false, true, false},
          {}};
  for (const Gap* g : gaps) {
    t.rows.push_back({Text(g->pipeline), Text(g->metric), Text(SliceText(*g)), Text(VendorLabel(g->vendor)),
                      Text(FormatTarget(g->target, g->higher_is_better)), Text(FormatNumber(g->value)),
                      Text(FormatInterval(g->lo, g->hi)), Text(FormatGap(g->gap)), StatusCell(g->status),
                      g->additional_audits ? Count(*g->additional_audits) : Text(std::string(kDash)),
                      Text(g->trend.empty() ? std::string(kDash) : g->trend), Count(g->n), Text(g->from)});
  }
  return t;
}

Table ComparisonTable(const Comparison& c) {
  Table t{{"rows", "target", "measured", "95% interval", "gap", "status", "n"},
          {false, true, true, true, true, false, true},
          {}};
  std::vector<const Gap*> rows;
  if (c.overall != nullptr) rows.push_back(c.overall);
  rows.insert(rows.end(), c.rows.begin(), c.rows.end());
  for (const Gap* g : rows) {
    t.rows.push_back({Text(ComparisonLabel(*g)), Text(FormatTarget(g->target, g->higher_is_better)),
                      Text(FormatNumber(g->value)), Text(FormatInterval(g->lo, g->hi)), Text(FormatGap(g->gap)),
                      StatusCell(g->status), Count(g->n)});
  }
  return t;
}

Table TrendTable(const Trend& trend) {
  Table t{{"batch", "spec", "n", "value", "95% interval", "centre", "lcl", "ucl", "flag"},
          {false, false, true, true, true, true, true, true, false},
          {}};
  for (const BatchPoint& p : trend.points) {
    t.rows.push_back({Text(p.batch), Text(p.spec_version), Count(p.n), Text(FormatNumber(p.value)),
                      Text(FormatInterval(p.lo, p.hi)), Text(FormatNumber(p.center)), Text(FormatNumber(p.lcl)),
                      Text(FormatNumber(p.ucl)), Cell{BatchFlags(p), p.out_of_control ? "fails" : ""}});
  }
  return t;
}

Table AuditErrorTable(const std::vector<AuditErrorRate>& rates) {
  Table t{{"pipeline", "vendor", "error type", "tasks with error", "audited tasks", "rate", "95% interval"},
          {false, false, false, true, true, true, true},
          {}};
  for (const AuditErrorRate& r : rates) {
    t.rows.push_back({Text(r.pipeline), Text(VendorLabel(r.vendor)), Text(r.error_type), Count(r.tasks_with_error),
                      Count(r.audited_tasks), Text(FormatNumber(r.value)), Text(FormatInterval(r.lo, r.hi))});
  }
  return t;
}

Table SpecSplitTable(const std::vector<SpecSplit>& splits) {
  Table t{{"pipeline", "metric", "spec version", "value", "95% interval", "n"},
          {false, false, false, true, true, true},
          {}};
  for (const SpecSplit& s : splits) {
    t.rows.push_back({Text(s.pipeline), Text(s.metric), Text(s.spec_version), Text(FormatNumber(s.value)),
                      Text(FormatInterval(s.lo, s.hi)), Count(s.n)});
  }
  return t;
}

Table AlertTable(const std::vector<OpsAlert>& alerts) {
  Table t{{"kind", "level", "pipeline", "vendor", "metric", "since", "detected", "baseline", "current", "tasks",
           "evidence"},
          {false, false, false, false, false, false, false, true, true, true, false},
          {}};
  for (const OpsAlert& a : alerts) {
    t.rows.push_back({Text(a.kind), Text(a.level), Text(a.pipeline.empty() ? "all" : a.pipeline), Text(a.vendor),
                      Text(a.metric), Text(a.since), Text(a.detected), Text(FormatNumber(a.baseline)),
                      Text(FormatNumber(a.current)), Count(a.tasks), Text(a.evidence)});
  }
  return t;
}

Table IncidentTable(const std::vector<ProcessIncident>& incidents) {
  Table t{{"pipeline", "vendor", "metric", "direction", "since", "through", "during", "elsewhere", "units",
           "detectors"},
          {false, false, false, false, false, false, true, true, true, false},
          {}};
  for (const ProcessIncident& i : incidents) {
    t.rows.push_back({Text(i.pipeline), Text(i.annotator.empty() ? i.vendor : i.vendor + " / " + i.annotator),
                      Text(i.metric), Text(i.direction), Text(i.since_batch),
                      Text(i.last_batch), Text(FormatNumber(i.rate_during)), Text(FormatNumber(i.rate_outside)),
                      Count(i.n_during), Text(i.detectors)});
  }
  return t;
}

Table AuditPlanTable(const std::vector<AuditPlanView>& plans) {
  Table t{{"pipeline", "batch", "plan", "lot", "drawn", "decision", "evidence", "drawn at"},
          {false, false, false, true, true, false, false, false},
          {}};
  for (const AuditPlanView& p : plans) {
    t.rows.push_back({Text(p.pipeline), Text(p.batch), Text(p.plan), Count(p.lot), Count(p.n), Text(p.decision),
                      Text(p.evidence), Text(p.created_at)});
  }
  return t;
}

Table RootCauseTable(const std::vector<RootCauseRow>& causes) {
  Table t{{"pipeline", "rank", "error", "where", "errors", "at risk", "rate", "elsewhere", "share", "q", "action"},
          {false, true, false, false, true, true, true, true, true, true, false},
          {}};
  for (const RootCauseRow& c : causes) {
    t.rows.push_back({Text(c.pipeline), Count(c.rank), Text(c.error_type), Text(c.conditions), Count(c.errors),
                      Count(c.support), Text(FormatNumber(c.rate)), Text(FormatNumber(c.baseline_rate)),
                      Text(FormatNumber(c.share_of_errors)), Text(fmt::format("{:.2g}", c.q_value)), Text(c.action)});
  }
  return t;
}

Table ChangeTable(const std::vector<Change>& changes) {
  Table t{{"pipeline", "metric", "slice", "vendor", "status before", "status now", "value before", "value now"},
          {false, false, false, false, false, false, true, true},
          {}};
  for (const Change& c : changes) {
    t.rows.push_back({Text(c.pipeline), Text(c.metric), Text(c.slice.empty() ? "all" : c.slice),
                      Text(VendorLabel(c.vendor)), StatusCell(c.before_status), StatusCell(c.after_status),
                      Text(FormatNumber(c.before_value)), Text(FormatNumber(c.after_value))});
  }
  return t;
}

std::string TrendTitle(const Trend& trend) {
  std::string s = trend.pipeline + " · " + trend.metric;
  s += trend.vendor.empty() ? " · all vendors" : " · vendor " + trend.vendor;
  return s;
}

std::string BatchFlags(const BatchPoint& point) {
  std::string s;
  if (point.out_of_control) s = "out of control";
  if (point.spec_change) {
    if (!s.empty()) s += ", ";
    s += "spec change";
  }
  return s;
}

}  // namespace gtops::report
