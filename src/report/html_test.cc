// The HTML report of the hand-built RunResult (test_fixture.h): self-contained, one chart per
// part, every out-of-control batch marked, text from the data escaped, an empty run rendered.
#include <regex>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "report/render.h"
#include "report/test_fixture.h"

namespace gtops::report {
namespace {

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The text between the first `from` and the next `to` after it.
std::string_view Between(std::string_view s, std::string_view from, std::string_view to) {
  const size_t b = s.find(from);
  if (b == std::string_view::npos) return {};
  const size_t e = s.find(to, b + from.size());
  return s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
}

TEST(HtmlTest, NothingIsFetchedFromElsewhere) {
  const std::string html = RenderHtml(SampleRunResult());
  for (std::string_view bad : {"http://", "https://", "src=", "<link", "@import", "url(", "<script", "<img",
                               "<iframe", "xlink:href"}) {
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
  }
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(HtmlTest, OneChartForTheHeatmapEachTrendAndEachComparison) {
  const std::string html = RenderHtml(SampleRunResult());
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 1 + kSampleTrends + kSampleComparisons);
  EXPECT_EQ(Count(html, "<svg"), Count(html, "<svg class=\"chart\""));
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  // Every chart has a <title> as its first child.
  EXPECT_EQ(Count(html, "font-size=\"11\"><title>"), 1 + kSampleTrends + kSampleComparisons);
}

TEST(HtmlTest, HeatmapCellsColouredByStatusWithTargetInTooltip) {
  const std::string html = RenderHtml(SampleRunResult());
  const std::string_view heatmap = Between(html, "<svg class=\"chart\"", "</svg>");
  // 3 pipelines x 7 metrics, of which 11 have a pipeline-level row (3 + 4 + 4 by hand).
  EXPECT_EQ(Count(heatmap, "<g class=\"cell "), 11u);
  EXPECT_EQ(Count(heatmap, "<g class=\"cell fails\">"), 2u);
  EXPECT_EQ(Count(heatmap, "<g class=\"cell inconclusive\">"), 2u);
  EXPECT_EQ(Count(heatmap, "<g class=\"cell no_data\">"), 1u);
  EXPECT_EQ(Count(heatmap, "<g class=\"cell meets\">"), 6u);
  const std::string_view lidar_recall = Between(heatmap, "<title>lidar_cuboids · recall:", "</g>");
  EXPECT_NE(lidar_recall.find("0.921 [0.905, 0.936], target ≥ 0.950, gap -0.029, fails"), std::string_view::npos)
      << lidar_recall;
  EXPECT_NE(lidar_recall.find("fill=\"#d73027\""), std::string_view::npos);  // red
  EXPECT_NE(lidar_recall.find(">0.921</text>"), std::string_view::npos);
  const std::string_view on_time = Between(heatmap, "<title>lane_lines · on_time_rate:", "</g>");
  EXPECT_NE(on_time.find("fill=\"#9e9e9e\""), std::string_view::npos);  // grey
  EXPECT_NE(on_time.find(">—</text>"), std::string_view::npos);
  const std::string_view heading = Between(heatmap, "<title>lidar_cuboids · heading_error_p95_deg:", "</g>");
  EXPECT_NE(heading.find("target ≤ 5.000"), std::string_view::npos);
  EXPECT_NE(heading.find("fill=\"#f0a202\""), std::string_view::npos);  // amber
  for (std::string_view word : {">fails</text>", ">inconclusive</text>", ">meets</text>", ">no_data</text>"}) {
    EXPECT_EQ(Count(heatmap, word), 1u) << word;  // the legend
  }
}

TEST(HtmlTest, EveryOutOfControlBatchIsCircledOnItsOwnChart) {
  const RunResult r = SampleRunResult();
  const std::string html = RenderHtml(r);
  EXPECT_EQ(Count(html, "class=\"ooc\""), kSampleOutOfControl);
  EXPECT_EQ(Count(html, "class=\"spec-change\""), kSampleTrends);
  // The trends are in pipeline order already, so their charts follow the heatmap in this order.
  size_t at = html.find("<svg class=\"chart\"") + 1;
  for (const Trend& t : r.trends) {
    at = html.find("<svg class=\"chart\"", at);
    ASSERT_NE(at, std::string::npos);
    const std::string_view chart = std::string_view(html).substr(at, html.find("</svg>", at) - at);
    ++at;
    ASSERT_NE(chart.find(t.metric), std::string_view::npos);
    for (const BatchPoint& p : t.points) {
      const size_t point = chart.find("<title>batch " + p.batch + " (");
      ASSERT_NE(point, std::string_view::npos) << p.batch;
      const std::string_view g = chart.substr(point, chart.find("</g>", point) - point);
      EXPECT_EQ(g.find("class=\"ooc\"") != std::string_view::npos, p.out_of_control) << t.metric << " " << p.batch;
      EXPECT_EQ(g.find(", out of control</title>") != std::string_view::npos, p.out_of_control) << p.batch;
    }
  }
}

TEST(HtmlTest, ThreeOutOfControlBatchesGiveThreeMarks) {
  RunResult r;
  Trend t = SampleRunResult().trends[0];
  t.points[1].out_of_control = t.points[2].out_of_control = true;  // with [5]: three
  r.trends = {t};
  const std::string html = RenderHtml(r);
  EXPECT_EQ(Count(html, "class=\"ooc\""), 3u);
}

TEST(HtmlTest, TextFromTheDataIsEscaped) {
  RunResult r = SampleRunResult();
  const std::string evil = "<script>alert(\"x\")&\"</script>";
  r.program = "<b>GT</b>";
  r.pipelines[0].pipeline = evil;
  for (Gap& g : r.gaps) {
    if (g.pipeline == "lidar_cuboids") g.pipeline = evil;
  }
  for (Trend& t : r.trends) {
    if (t.pipeline == "lidar_cuboids") t.pipeline = evil;
  }
  r.trends[0].points[0].batch = "b'1<";
  const std::string html = RenderHtml(r);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>GT"), std::string::npos);
  EXPECT_EQ(html.find("b'1<"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;x&quot;)&amp;&quot;&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;GT&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("b&#39;1&lt;"), std::string::npos);
}

TEST(HtmlTest, GapTableHasEveryRowWorstFirst) {
  const RunResult r = SampleRunResult();
  const std::string html = RenderHtml(r);
  const std::string_view table = Between(html, "<h2 id=\"gaps\">", "<h2 id=\"trends\">");
  EXPECT_EQ(Count(table, "<tr>"), kSampleGaps + 1);
  EXPECT_NE(table.find("<td>camera_boxes</td><td>rework_rate</td><td>all</td><td>borealis</td>"
                       "<td class=\"num\">≤ 0.100</td><td class=\"num\">0.162</td>"
                       "<td class=\"num\">[0.131, 0.198]</td><td class=\"num\">-0.062</td>"
                       "<td class=\"st-fails\">fails</td>"),
            std::string_view::npos);
  EXPECT_LT(table.find("<td>rework_rate</td>"), table.find("<td>precision</td>"));
}

TEST(HtmlTest, WorstSlicesAndComparisonsHoldOnlyVendorAndSliceRows) {
  const std::string html = RenderHtml(SampleRunResult());
  const std::string_view worst = Between(html, "<h2 id=\"worst\">", "<h2 id=\"changes\">");
  EXPECT_EQ(Count(worst, "<tr>"), kSampleWorstSlices + 1);
  EXPECT_EQ(Count(worst, "<td>all</td><td>all</td>"), 0u);  // no pipeline-level row
  const std::string_view comparisons = Between(html, "<h2 id=\"comparisons\">", "<h2 id=\"audits\">");
  EXPECT_EQ(Count(comparisons, "<svg class=\"chart\""), kSampleComparisons);
  // lidar_cuboids recall: all vendors, vendor borealis, class=pedestrian, vendor acme (the
  // two-condition slice is not a class row).
  const std::string_view lidar_recall = Between(comparisons, "<title>lidar_cuboids · recall:", "</svg>");
  EXPECT_EQ(Count(lidar_recall, "<g class=\"row "), 4u);
  EXPECT_EQ(lidar_recall.find("range_m"), std::string_view::npos);
  EXPECT_NE(lidar_recall.find("target ≥ 0.990"), std::string_view::npos);  // the class's own target
}

TEST(HtmlTest, HeaderNamesTheRunAndEachPipeline) {
  const std::string html = RenderHtml(SampleRunResult());
  EXPECT_NE(html.find("<h1>Highway perception GT: ground-truth quality report</h1>"), std::string::npos);
  EXPECT_NE(html.find("Generated 2026-10-19T06:00:00Z · run 42 (previous run 41) · records stored by this run's "
                      "ingest: 18234, quarantined: 17"),
            std::string::npos);
  const std::string_view pipelines = Between(html, "<h2 id=\"pipelines\">", "<h2 id=\"heatmap\">");
  EXPECT_EQ(Count(pipelines, "<tr>"), 4u);
  EXPECT_NE(pipelines.find("<td>lane_lines</td><td>Lane lines</td><td>polyline</td>"), std::string_view::npos);
}

TEST(HtmlTest, EmptyRunSaysThereAreNoGaps) {
  const std::string html = RenderHtml(RunResult{});
  EXPECT_NE(html.find("There are no gap rows in this run"), std::string::npos);
  EXPECT_NE(html.find("This is the first run"), std::string::npos);
  EXPECT_NE(html.find("No trends"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 1u);  // the heatmap, saying it is empty
  EXPECT_NE(html.find("No pipeline-level gap rows."), std::string::npos);
  EXPECT_EQ(html.substr(html.size() - 8), "</html>\n");
}

TEST(HtmlTest, NanValuesNeverReachTheMarkup) {
  RunResult r = SampleRunResult();
  Trend& t = r.trends[0];
  t.points[2].value = t.points[2].lo = t.points[2].hi = NAN;
  t.points[3].lcl = t.points[3].ucl = t.points[3].center = NAN;
  t.points[7].lo = NAN;
  t.target = NAN;
  Trend empty = t;
  empty.points.clear();
  Trend flat = t;
  for (BatchPoint& p : flat.points) p.value = p.lo = p.hi = p.center = p.lcl = p.ucl = 0.5;
  r.trends.push_back(empty);
  r.trends.push_back(flat);
  const std::string html = RenderHtml(r);
  EXPECT_FALSE(std::regex_search(html, std::regex("\\b(nan|inf)\\b", std::regex::icase)));
  EXPECT_NE(html.find("no batches"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 1 + kSampleTrends + 2 + kSampleComparisons);
}

}  // namespace
}  // namespace gtops::report
