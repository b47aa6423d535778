// The Markdown report: the HTML report's tables as GitHub-flavoured Markdown tables, charts
// replaced by their numbers.
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "report/render.h"
#include "report/tables.h"

namespace gtops::report {
namespace {

template <typename... Args>
void Put(std::string& out, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<Args>(args)...);
}

// Text that cannot end a cell, start HTML or code, or emphasise.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': out += "\\\\"; break;
      case '`': out += "\\`"; break;
      case '*': out += "\\*"; break;
      case '<': out += "&lt;"; break;
      case '\n':
      case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

void TableMd(std::string& out, const Table& t) {
  out += "|";
  for (const std::string& h : t.header) Put(out, " {} |", Escape(h));
  out += "\n|";
  for (bool numeric : t.numeric) out += numeric ? " ---: |" : " --- |";
  out += "\n";
  for (const std::vector<Cell>& row : t.rows) {
    out += "|";
    for (const Cell& c : row) Put(out, " {} |", Escape(c.text));
    out += "\n";
  }
  out += "\n";
}

void TableOr(std::string& out, const Table& t, std::string_view when_empty) {
  if (t.rows.empty()) {
    Put(out, "{}\n\n", when_empty);
  } else {
    TableMd(out, t);
  }
}

}  // namespace

std::string RenderMarkdown(const RunResult& r) {
  std::string out;
  Put(out, "# {}: ground-truth quality report\n\n", Escape(r.program));
  Put(out, "- Generated: {}\n- Run: {} ({})\n- Records stored by this run's ingest: {}, quarantined: {}\n\n",
      Escape(r.generated_at.empty() ? "—" : r.generated_at), r.run_id,
      r.previous_run_id == 0 ? std::string("first run") : fmt::format("previous run {}", r.previous_run_id),
      r.records_new, r.records_quarantined);

  out += "## Pipelines\n\n";
  TableOr(out, SummaryTable(r), "No pipelines.");

  out += "## Status by pipeline and metric\n\n";
  TableOr(out, HeatmapTable(BuildHeatmap(r)), "No pipeline-level gap rows.");

  out += "## Worst slices\n\n";
  TableOr(out, GapTable(WorstSlices(r)), "No per-vendor or per-slice row fails or is inconclusive.");

  out += "## What changed since the last run\n\n";
  if (r.previous_run_id == 0) {
    out += "This is the first run: there is nothing to compare with.\n\n";
  } else {
    TableOr(out, ChangeTable(r.changes),
            fmt::format("No gap row changed status or value since run {}.", r.previous_run_id));
  }

  out += "## Gap table\n\n";
  if (r.gaps.empty()) {
    out += "There are no gap rows in this run: no target was measured.\n\n";
  } else {
    Put(out, "{} rows, worst first.\n\n", r.gaps.size());
    TableMd(out, GapTable(AllGaps(r)));
  }

  out += "## Trends\n\n";
  if (r.trends.empty()) out += "No trends: no metric has per-batch values.\n\n";
  for (const Trend& t : r.trends) {
    Put(out, "### {}\n\n", Escape(TrendTitle(t)));
    TableOr(out, TrendTable(t), "No batches.");
  }

  out += "## Vendors and classes\n\n";
  const std::vector<Comparison> comparisons = BuildComparisons(r);
  if (comparisons.empty()) out += "No per-vendor or per-class rows.\n\n";
  for (const Comparison& c : comparisons) {
    Put(out, "### {} · {}\n\n", Escape(c.pipeline), Escape(c.metric));
    TableMd(out, ComparisonTable(c));
  }

  if (!r.root_causes.empty()) {
    out += "## Root causes of failing pipelines\n\n";
    TableMd(out, RootCauseTable(r.root_causes));
  }
  out += "## Operational alerts\n\n";
  TableOr(out, AlertTable(r.alerts), "No operational alert.");
  out += "## Process-control incidents\n\n";
  TableOr(out, IncidentTable(r.incidents), "No shift in any series.");
  out += "## Audit plans\n\n";
  TableOr(out, AuditPlanTable(r.audit_plans), "No audit plan recorded (gtops sample draw).");
  out += "## Audit error rates\n\n";
  TableOr(out, AuditErrorTable(r.audit_errors), "No audits.");
  out += "## Metrics by spec version\n\n";
  TableOr(out, SpecSplitTable(r.spec_splits), "No metric was split by spec version.");
  return out;
}

}  // namespace gtops::report
