// The Markdown report of the hand-built RunResult (test_fixture.h): each table has its rows, and
// the numbers read as docs/report.md says (3 decimals, "—" for NaN, "[lo, hi]" intervals).
// Expected rows are written out by hand from the fixture's values.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "report/render.h"
#include "report/test_fixture.h"

namespace gtops::report {
namespace {

// The lines of the section that starts with the heading `heading` (up to the next heading of
// level 2 or 3).
std::vector<std::string> SectionLines(const std::string& md, const std::string& heading) {
  std::vector<std::string> out;
  size_t at = md.find("\n" + heading + "\n");
  if (at == std::string::npos) return out;
  at += heading.size() + 2;
  while (at < md.size()) {
    const size_t end = md.find('\n', at);
    std::string line = md.substr(at, end - at);
    if (line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0) break;
    out.push_back(std::move(line));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

// The body rows of the first table of a section (its header and separator left out).
std::vector<std::string> TableRows(const std::string& md, const std::string& heading) {
  std::vector<std::string> rows;
  for (const std::string& line : SectionLines(md, heading)) {
    if (line.rfind("|", 0) == 0) rows.push_back(line);
  }
  if (rows.size() >= 2) rows.erase(rows.begin(), rows.begin() + 2);
  return rows;
}

// Cells of a row: split at '|' not escaped by a backslash.
size_t CellCount(std::string_view row) {
  size_t pipes = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++pipes;
    }
  }
  return pipes - 1;
}

TEST(MarkdownTest, GapTableHasOneRowPerGapWithThirteenColumns) {
  const RunResult r = SampleRunResult();
  const std::string md = RenderMarkdown(r);
  const std::vector<std::string> rows = TableRows(md, "## Gap table");
  ASSERT_EQ(rows.size(), r.gaps.size());
  ASSERT_EQ(rows.size(), kSampleGaps);
  for (const std::string& row : rows) EXPECT_EQ(CellCount(row), 13u) << row;
  EXPECT_EQ(rows[0],
            "| camera_boxes | rework_rate | all | borealis | ≤ 0.100 | 0.162 | [0.131, 0.198] | -0.062 | fails | — | "
            "worsening | 480 | events |");
  EXPECT_EQ(rows[2],
            "| lidar_cuboids | recall | class=pedestrian range_m=[0,30) | all | ≥ 0.990 | 0.934 | [0.905, 0.958] | "
            "-0.056 | fails | — | — | 412 | gold |");
  EXPECT_EQ(rows[9],
            "| lidar_cuboids | heading_error_p95_deg | all | all | ≤ 5.000 | 4.710 | [4.120, 5.380] | +0.290 | "
            "inconclusive | 52 | improving | 6010 | gold |");
  EXPECT_EQ(rows[10], "| lane_lines | on_time_rate | all | all | ≥ 0.950 | — | — | — | no_data | — | — | 0 | events |");
  EXPECT_EQ(rows[11], "| lane_lines | recall | all | borealis | ≥ 0.950 | — | — | — | no_data | — | — | 0 | gold |");
}

TEST(MarkdownTest, HeatmapTableHasAStatusWordPerPipelineAndMetric) {
  const std::string md = RenderMarkdown(SampleRunResult());
  const std::vector<std::string> lines = SectionLines(md, "## Status by pipeline and metric");
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[1], "| pipeline | recall | precision | geometry_accuracy | heading_error_p95_deg | audit_pass_rate | "
                      "rework_rate | on_time_rate |");
  const std::vector<std::string> rows = TableRows(md, "## Status by pipeline and metric");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "| lidar_cuboids | fails 0.921 | meets 0.981 |  | inconclusive 4.710 |  |  |  |");
  EXPECT_EQ(rows[1], "| camera_boxes | meets 0.968 | meets 0.979 |  |  | fails 0.862 | meets 0.071 |  |");
  EXPECT_EQ(rows[2], "| lane_lines | meets 0.972 |  | inconclusive 0.946 |  | meets 0.934 |  | no_data |");
}

TEST(MarkdownTest, WorstSlicesAreTheFailingAndInconclusiveVendorAndSliceRowsWorstFirst) {
  const std::string md = RenderMarkdown(SampleRunResult());
  const std::vector<std::string> rows = TableRows(md, "## Worst slices");
  ASSERT_EQ(rows.size(), kSampleWorstSlices);
  // Fails, then inconclusive, each by gap / target: -0.62, -0.083, -0.057, -0.042; -0.008, +0.007.
  const std::vector<std::string> starts = {
      "| camera_boxes | rework_rate | all | borealis |", "| lidar_cuboids | recall | all | borealis |",
      "| lidar_cuboids | recall | class=pedestrian range_m=[0,30) | all |",
      "| lidar_cuboids | recall | class=pedestrian | all |", "| camera_boxes | precision | all | acme |",
      "| camera_boxes | recall | class=cyclist | all |"};
  for (size_t i = 0; i < starts.size(); ++i) EXPECT_EQ(rows[i].rfind(starts[i], 0), 0u) << rows[i];
  EXPECT_NE(rows[4].find("| -0.008 | inconclusive | 143 |"), std::string::npos);
  EXPECT_NE(rows[5].find("| +0.007 | inconclusive | 210 |"), std::string::npos);
}

TEST(MarkdownTest, WorstSlicesStopAtTwenty) {
  RunResult r;
  for (int i = 0; i < 30; ++i) {
    r.gaps.push_back(fixture::Row("p", "recall", "v" + std::to_string(i), {}, 0.9, true, 0.8, 0.7, 0.85,
                                  GapStatus::kFails, "gold", 100, 10));
  }
  const std::vector<std::string> rows = TableRows(RenderMarkdown(r), "## Worst slices");
  ASSERT_EQ(rows.size(), 20u);
  EXPECT_EQ(rows[19].rfind("| p | recall | all | v19 |", 0), 0u);
}

TEST(MarkdownTest, TrendTablesListEveryBatchWithItsFlags) {
  const RunResult r = SampleRunResult();
  const std::string md = RenderMarkdown(r);
  for (const Trend& t : r.trends) {
    EXPECT_EQ(TableRows(md, "### " + t.pipeline + " · " + t.metric + (t.vendor.empty() ? " · all vendors" : " · vendor " + t.vendor)).size(), 8u);
  }
  const std::vector<std::string> rows = TableRows(md, "### lidar_cuboids · recall · all vendors");
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0], "| lidar-b01 | 3.1 | 280 | 0.948 | [0.936, 0.960] | 0.946 | 0.930 | 0.962 |  |");
  EXPECT_EQ(rows[4], "| lidar-b05 | 3.2 | 340 | 0.941 | [0.929, 0.953] | 0.946 | 0.930 | 0.962 | spec change |");
  EXPECT_EQ(rows[5], "| lidar-b06 | 3.2 | 355 | 0.918 | [0.906, 0.930] | 0.946 | 0.930 | 0.962 | out of control |");
  const std::vector<std::string> heading = TableRows(md, "### lidar_cuboids · heading_error_p95_deg · all vendors");
  ASSERT_EQ(heading.size(), 8u);
  EXPECT_EQ(heading[4], "| lidar-b05 | 3.2 | 340 | 6.300 | [5.900, 6.700] | 4.600 | 3.400 | 5.800 | out of control |");
}

TEST(MarkdownTest, ComparisonsAuditErrorsSpecSplitAndChanges) {
  const std::string md = RenderMarkdown(SampleRunResult());
  const std::vector<std::string> lidar_recall = TableRows(md, "### lidar_cuboids · recall");
  ASSERT_EQ(lidar_recall.size(), 4u);  // all vendors, borealis, class=pedestrian, acme
  EXPECT_EQ(lidar_recall[0], "| all vendors | ≥ 0.950 | 0.921 | [0.905, 0.936] | -0.029 | fails | 6420 |");
  EXPECT_EQ(lidar_recall[2], "| class=pedestrian | ≥ 0.990 | 0.948 | [0.931, 0.962] | -0.042 | fails | 1380 |");

  const std::vector<std::string> audits = TableRows(md, "## Audit error rates");
  ASSERT_EQ(audits.size(), 4u);
  EXPECT_EQ(audits[1], "| lidar_cuboids | borealis | heading_flip | 22 | 200 | 0.110 | [0.074, 0.161] |");

  const std::vector<std::string> split = TableRows(md, "## Metrics by spec version");
  ASSERT_EQ(split.size(), 6u);
  EXPECT_EQ(split[1], "| lidar_cuboids | recall | 3.2 | 0.927 | [0.915, 0.938] | 1010 |");

  const std::vector<std::string> changes = TableRows(md, "## What changed since the last run");
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[2], "| camera_boxes | rework_rate | all | borealis | — | fails | — | 0.162 |");
  EXPECT_EQ(changes[3], "| lane_lines | on_time_rate | all | all | meets | no_data | 0.962 | — |");
}

TEST(MarkdownTest, HeaderAndSummary) {
  const std::string md = RenderMarkdown(SampleRunResult());
  EXPECT_EQ(md.rfind("# Highway perception GT: ground-truth quality report\n", 0), 0u);
  EXPECT_NE(md.find("- Run: 42 (previous run 41)\n"), std::string::npos);
  EXPECT_NE(md.find("- Records stored by this run's ingest: 18234, quarantined: 17\n"), std::string::npos);
  const std::vector<std::string> rows = TableRows(md, "## Pipelines");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "| lidar_cuboids | Lidar cuboids | box3d | 4 | 1 | 4 | 0 | 1840 | 220 | 500 | 1900 |");
}

TEST(MarkdownTest, FirstRunAndEmptyRun) {
  const std::string md = RenderMarkdown(RunResult{});
  EXPECT_NE(md.find("There are no gap rows in this run"), std::string::npos);
  EXPECT_NE(md.find("This is the first run"), std::string::npos);
  EXPECT_TRUE(TableRows(md, "## Gap table").empty());
}

TEST(MarkdownTest, AuditPlansAreOneRowEachWithTheirDecision) {
  RunResult r;
  EXPECT_NE(RenderMarkdown(r).find("No audit plan recorded"), std::string::npos);
  AuditPlanView p;
  p.pipeline = "lidar";
  p.batch = "b7";
  p.kind = "single";
  p.plan = "n = 13, c = 1";
  p.lot = 120;
  p.n = 13;
  p.decision = "reject";
  p.evidence = "2 of 9 audits failed (c = 1)";
  p.created_at = "2026-11-22T10:00:00Z";
  r.audit_plans = {p, p};
  r.audit_plans[1].batch = "b8";
  r.audit_plans[1].decision = "continue";
  const std::vector<std::string> rows = TableRows(RenderMarkdown(r), "## Audit plans");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(CellCount(rows[0]), 8u);
  EXPECT_NE(rows[0].find("| b7 |"), std::string::npos) << rows[0];
  EXPECT_NE(rows[0].find("| reject |"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find("| continue |"), std::string::npos) << rows[1];
}

TEST(MarkdownTest, PipesInTheDataDoNotSplitCellsAndAGapOfZeroHasNoSign) {
  RunResult r;
  r.gaps = {fixture::Row("a|b", "recall", "", {}, 0.9, true, 0.9, 0.85, 0.95, GapStatus::kInconclusive, "", 0, 0)};
  r.gaps[0].gap = -1e-9;
  const std::vector<std::string> rows = TableRows(RenderMarkdown(r), "## Gap table");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(CellCount(rows[0]), 13u);
  EXPECT_EQ(rows[0], "| a\\|b | recall | all | all | ≥ 0.900 | 0.900 | [0.850, 0.950] | 0.000 | inconclusive | — | — | 0 |  |");
}

}  // namespace
}  // namespace gtops::report
