// The HTML report: one page, its style inline and its charts inline SVG, so that it opens from an
// email attachment with no network (no script, font, image or stylesheet from elsewhere).
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "report/charts.h"
#include "report/render.h"
#include "report/tables.h"

namespace gtops::report {
namespace {

constexpr std::string_view kStyle = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 24px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 8px; border-top: 2px solid #ddd; }
h3 { font-size: 16px; margin: 20px 0 6px; }
h4 { font-size: 14px; margin: 14px 0 4px; font-weight: 600; }
p.meta, p.note { color: #555; margin: 4px 0; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.st-fails { background: #f8d3cf; }
td.st-inconclusive { background: #fde9b8; }
td.st-meets { background: #d5efd9; }
td.st-no_data { background: #e6e6e6; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 4px 0 10px; }
svg.chart g.cell:hover rect, svg.chart g.point:hover circle { stroke: #000; stroke-width: 1.5; }
details { margin: 0 0 12px; }
summary { cursor: pointer; color: #2c5d8a; }
.scroll { overflow-x: auto; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
)css";

template <typename... Args>
void Put(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

void TableHtml(std::string& out, const Table& t) {
  Put(out, "<div class=\"scroll\"><table>\n<thead><tr>");
  for (size_t c = 0; c < t.header.size(); ++c) {
    Put(out, "<th{}>{}</th>", t.numeric[c] ? " class=\"num\"" : "", EscapeHtml(t.header[c]));
  }
  Put(out, "</tr></thead>\n<tbody>\n");
  for (const std::vector<Cell>& row : t.rows) {
    Put(out, "<tr>");
    for (size_t c = 0; c < row.size(); ++c) {
      std::string cls = t.numeric[c] ? "num" : "";
      if (!row[c].status.empty()) cls += (cls.empty() ? "st-" : " st-") + row[c].status;
      Put(out, "<td{}>{}</td>", cls.empty() ? "" : " class=\"" + EscapeHtml(cls) + "\"", EscapeHtml(row[c].text));
    }
    Put(out, "</tr>\n");
  }
  Put(out, "</tbody></table></div>\n");
}

// A table, or the sentence that says why there is none.
void TableOr(std::string& out, const Table& t, std::string_view when_empty) {
  if (t.rows.empty()) {
    Put(out, "<p class=\"note\">{}</p>\n", EscapeHtml(when_empty));
  } else {
    TableHtml(out, t);
  }
}

void Details(std::string& out, std::string_view summary, const Table& t) {
  Put(out, "<details><summary>{}</summary>\n", EscapeHtml(summary));
  TableHtml(out, t);
  Put(out, "</details>\n");
}

void Header(std::string& out, const RunResult& r) {
  Put(out, "<header>\n<h1>{}: ground-truth quality report</h1>\n", EscapeHtml(r.program));
  Put(out, "<p class=\"meta\">Generated {} · run {} ({}) · records stored by this run's ingest: {}, quarantined: {}</p>\n",
      EscapeHtml(r.generated_at.empty() ? "—" : r.generated_at), r.run_id,
      r.previous_run_id == 0 ? std::string("first run") : fmt::format("previous run {}", r.previous_run_id),
      r.records_new, r.records_quarantined);
  Put(out,
      "<nav><a href=\"#pipelines\">Pipelines</a><a href=\"#heatmap\">Status</a><a href=\"#worst\">Worst slices</a>"
      "<a href=\"#changes\">Changes</a><a href=\"#gaps\">Gap table</a><a href=\"#trends\">Trends</a>"
      "<a href=\"#comparisons\">Vendors and classes</a><a href=\"#alerts\">Alerts</a>"
      "<a href=\"#incidents\">Incidents</a><a href=\"#audit-plans\">Audit plans</a><a href=\"#audits\">Audit errors</a>"
      "<a href=\"#spec\">Spec versions</a></nav>\n</header>\n");
  Put(out, "<h2 id=\"pipelines\">Pipelines</h2>\n");
  TableOr(out, SummaryTable(r), "No pipelines.");
}

void HeatmapSection(std::string& out, const RunResult& r) {
  Put(out, "<h2 id=\"heatmap\">Status by pipeline and metric</h2>\n<p class=\"note\">Each pipeline's own rows (all "
           "vendors, no slice). Red: the whole 95% interval misses the target; amber: the interval contains it; "
           "green: the whole interval meets it; grey: no data. Hover a cell for its interval and target.</p>\n");
  const Heatmap h = BuildHeatmap(r);
  out += HeatmapSvg(h);
  if (!h.pipelines.empty()) Details(out, "The same as a table", HeatmapTable(h));
}

void ChangesSection(std::string& out, const RunResult& r) {
  Put(out, "<h2 id=\"changes\">What changed since the last run</h2>\n");
  if (r.previous_run_id == 0) {
    Put(out, "<p class=\"note\">This is the first run: there is nothing to compare with.</p>\n");
    return;
  }
  TableOr(out, ChangeTable(r.changes),
          fmt::format("No gap row changed status or value since run {}.", r.previous_run_id));
}

void TrendsSection(std::string& out, const RunResult& r) {
  Put(out, "<h2 id=\"trends\">Trends</h2>\n<p class=\"note\">Per batch in delivery order: the value (line) and "
           "its 95% interval (band), the centre line (grey) and control limits (dashed), the target (blue). A red "
           "circle marks a batch outside its control limits; a purple dashed line marks a change of spec "
           "version.</p>\n");
  if (r.trends.empty()) {
    Put(out, "<p class=\"note\">No trends: no metric has per-batch values.</p>\n");
    return;
  }
  for (const std::string& p : PipelineOrder(r)) {
    bool heading = false;
    for (const Trend& t : r.trends) {
      if (t.pipeline != p) continue;
      if (!heading) Put(out, "<h3>{}</h3>\n", EscapeHtml(p));
      heading = true;
      Put(out, "<h4>{}</h4>\n", EscapeHtml(TrendTitle(t)));
      out += TrendSvg(t);
      Details(out, "Batches", TrendTable(t));
    }
  }
}

void ComparisonsSection(std::string& out, const RunResult& r) {
  Put(out, "<h2 id=\"comparisons\">Vendors and classes</h2>\n<p class=\"note\">For each metric with per-vendor or "
           "per-class rows: the value (dot, coloured by status) with its 95% interval (whisker) against the "
           "row's target (blue tick).</p>\n");
  const std::vector<Comparison> all = BuildComparisons(r);
  if (all.empty()) {
    Put(out, "<p class=\"note\">No per-vendor or per-class rows.</p>\n");
    return;
  }
  std::string_view pipeline;
  for (const Comparison& c : all) {
    if (c.pipeline != pipeline) Put(out, "<h3>{}</h3>\n", EscapeHtml(c.pipeline));
    pipeline = c.pipeline;
    Put(out, "<h4>{}</h4>\n", EscapeHtml(c.metric));
    out += ComparisonSvg(c);
    Details(out, "As a table", ComparisonTable(c));
  }
}

void AuditPlansSection(std::string& out, const RunResult& r) {
  Put(out, "<h2 id=\"audit-plans\">Audit plans</h2>\n<p class=\"note\">The audit samples drawn for delivered "
           "batches (gtops sample draw, docs/sampling.md), newest first, with the decision replayed on the audits "
           "stored at this run and each plan's operating characteristic: the probability of accepting a batch "
           "against its defective fraction, with the AQL and LTPD and the risks promised there (blue ticks).</p>\n");
  if (r.audit_plans.empty()) {
    Put(out, "<p class=\"note\">No audit plan recorded.</p>\n");
    return;
  }
  TableHtml(out, AuditPlanTable(r.audit_plans));
  for (const AuditPlanView& p : r.audit_plans) {
    if (p.oc.empty()) continue;
    Put(out, "<h4>{} · {} · {}</h4>\n", EscapeHtml(p.pipeline), EscapeHtml(p.batch), EscapeHtml(p.plan));
    out += OcCurveSvg(p);
  }
}

}  // namespace

std::string RenderHtml(const RunResult& r) {
  std::string out;
  Put(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
  Put(out, "<title>{} · GT quality report · run {}</title>\n<style>{}</style>\n</head>\n<body>\n", EscapeHtml(r.program),
      r.run_id, kStyle);
  Header(out, r);
  HeatmapSection(out, r);

  Put(out, "<h2 id=\"worst\">Worst slices</h2>\n<p class=\"note\">Per-vendor and per-slice rows that fail or are "
           "inconclusive, worst first as in the gap table (at most 20).</p>\n");
  TableOr(out, GapTable(WorstSlices(r)), "No per-vendor or per-slice row fails or is inconclusive.");
  ChangesSection(out, r);

  Put(out, "<h2 id=\"gaps\">Gap table</h2>\n");
  if (r.gaps.empty()) {
    Put(out, "<p class=\"note\">There are no gap rows in this run: no target was measured.</p>\n");
  } else {
    Put(out, "<p class=\"note\">{} rows, worst first. Gap: measured minus target when higher is better, target "
             "minus measured otherwise (negative is short of the target).</p>\n",
        r.gaps.size());
    TableHtml(out, GapTable(AllGaps(r)));
  }
  TrendsSection(out, r);
  ComparisonsSection(out, r);

  if (!r.root_causes.empty()) {
    Put(out, "<h2 id=\"causes\">Root causes of failing pipelines</h2>\n<p class=\"note\">The slices that "
             "concentrate each error type, q &le; 0.05 (gtops rootcause, docs/rootcause.md).</p>\n");
    TableHtml(out, RootCauseTable(r.root_causes));
  }
  Put(out, "<h2 id=\"alerts\">Operational alerts</h2>\n<p class=\"note\">A KPI of a vendor (and pipeline) that "
           "moved beyond its own recent behaviour (Bernoulli CUSUM on its weekly series, docs/kpis.md).</p>\n");
  TableOr(out, AlertTable(r.alerts), "No operational alert.");
  Put(out, "<h2 id=\"incidents\">Process-control incidents</h2>\n<p class=\"note\">A rate of a pipeline x "
           "vendor that shifted batch after batch (step test, CUSUM, EWMA, p' chart and run rules; gtops spc, "
           "docs/spc.md): the rate during the shift against the other batches.</p>\n");
  TableOr(out, IncidentTable(r.incidents), "No shift in any series.");
  for (const Trend& t : r.incident_charts) {
    Put(out, "<h4>{}</h4>\n", EscapeHtml(TrendTitle(t)));
    out += TrendSvg(t);
    Details(out, "Batches", TrendTable(t));
  }
  AuditPlansSection(out, r);
  Put(out, "<h2 id=\"audits\">Audit error rates</h2>\n<p class=\"note\">Audited tasks with at least one error of "
           "the type, with its Wilson 95% interval.</p>\n");
  TableOr(out, AuditErrorTable(r.audit_errors), "No audits.");
  Put(out, "<h2 id=\"spec\">Metrics by spec version</h2>\n");
  TableOr(out, SpecSplitTable(r.spec_splits), "No metric was split by spec version.");
  Put(out, "<footer>gtops {} · run {}</footer>\n</body>\n</html>\n", GTOPS_VERSION, r.run_id);
  return out;
}

}  // namespace gtops::report
