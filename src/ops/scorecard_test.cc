// Scorecards on hand-built timelines: each KPI against its target (by its interval), against the
// pipeline's other vendors, with its weekly trend.
#include "ops/scorecard.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

constexpr int64_t kHour = 3600 * 1000;
const int64_t kW45 = *ParseRfc3339Ms("2026-11-02T00:00:00Z");

void Add(std::vector<TaskTimeline>& out, const char* vendor, int64_t week_ms, int n, int late, int reworked) {
  for (int i = 0; i < n; ++i) {
    TaskTimeline t;
    t.task = fmt::format("{}-{}-{}", vendor, week_ms, i);
    t.pipeline = "lidar";
    t.vendor = vendor;
    t.annotator = std::string(vendor) + (i % 2 == 0 ? "-a1" : "-a2");
    t.created_ms = week_ms + i * kHour;
    t.first_event_ms = *t.created_ms;
    t.first_accepted_ms = *t.created_ms + 10 * kHour;
    t.state = TaskState::kAccepted;
    t.sla = i < late ? SlaState::kLate : SlaState::kOnTime;
    t.reviews = 1;
    t.review_failures = i < reworked ? 1 : 0;
    t.cost_labeling_usd = 4;
    out.push_back(std::move(t));
  }
}

ProgramConfig Config() {
  ProgramConfig c;
  PipelineSpec p;
  p.id = "lidar";
  p.targets.pipeline = {Target{"on_time_rate", 0.9, 1}, Target{"rework_rate", 0.2, 2},
                        Target{"cost_per_accepted_task_usd", 3.0, 3}};
  c.pipelines.push_back(p);
  return c;
}

const ScorecardMetric& Metric(const ScorecardRow& row, const std::string& name) {
  for (const ScorecardMetric& m : row.metrics) {
    if (m.name == name) return m;
  }
  throw std::runtime_error("no metric " + name);
}

TEST(ScorecardTest, VendorAgainstTargetsPeersAndTrend) {
  std::vector<TaskTimeline> tasks;
  Add(tasks, "acme", kW45, 60, 0, 0);                  // all on time, none reworked
  Add(tasks, "cortex", kW45, 60, 30, 6);               // half late
  Add(tasks, "acme", kW45 + 7 * 24 * kHour, 20, 2, 0);  // W46: 18 of 20 on time
  const ProgramConfig config = Config();
  const Scorecard card =
      BuildScorecard(tasks, {}, config, ScorecardSubject::kVendor, "acme", kW45 + 14 * 24 * kHour);
  ASSERT_EQ(card.pipelines.size(), 1u);
  const ScorecardRow& row = card.pipelines[0];
  EXPECT_EQ(row.pipeline, "lidar");
  EXPECT_EQ(row.tasks, 80);

  const ScorecardMetric& on_time = Metric(row, "on_time_rate");
  EXPECT_DOUBLE_EQ(on_time.value, 78.0 / 80.0);
  EXPECT_EQ(on_time.n, 80);
  EXPECT_EQ(on_time.target, 0.9);
  EXPECT_EQ(on_time.status, "meets");  // Wilson lower bound of 78/80 is 0.913 > 0.9
  EXPECT_DOUBLE_EQ(on_time.peers, 0.5);  // cortex
  ASSERT_EQ(on_time.trend.size(), 2u);
  EXPECT_EQ(on_time.trend[0].first, "2026-W45");
  EXPECT_DOUBLE_EQ(on_time.trend[0].second, 1.0);
  EXPECT_DOUBLE_EQ(on_time.trend[1].second, 0.9);

  const ScorecardMetric& rework = Metric(row, "rework_rate");
  EXPECT_DOUBLE_EQ(rework.value, 0.0);
  EXPECT_EQ(rework.status, "meets");  // at most 0.2: the upper bound of 0/80 is 0.046
  EXPECT_DOUBLE_EQ(rework.peers, 0.1);

  const ScorecardMetric& cost = Metric(row, "cost_per_accepted_task_usd");
  EXPECT_DOUBLE_EQ(cost.value, 4.0);
  EXPECT_EQ(cost.status, "fails");  // 4 > 3, no interval
  EXPECT_EQ(Metric(row, "first_pass_yield").status, "");  // no target

  const Scorecard cortex =
      BuildScorecard(tasks, {}, config, ScorecardSubject::kVendor, "cortex", kW45 + 14 * 24 * kHour);
  EXPECT_EQ(Metric(cortex.pipelines[0], "on_time_rate").status, "fails");
}

TEST(ScorecardTest, AnnotatorAgainstTheOtherAnnotators) {
  std::vector<TaskTimeline> tasks;
  Add(tasks, "acme", kW45, 20, 0, 4);  // reworked: tasks 0..3, two each for a1 (0, 2) and a2 (1, 3)
  const Scorecard card =
      BuildScorecard(tasks, {}, Config(), ScorecardSubject::kAnnotator, "acme-a1", kW45 + 14 * 24 * kHour);
  ASSERT_EQ(card.pipelines.size(), 1u);
  EXPECT_EQ(card.pipelines[0].tasks, 10);
  const ScorecardMetric& rework = Metric(card.pipelines[0], "rework_rate");
  EXPECT_DOUBLE_EQ(rework.value, 0.2);
  EXPECT_DOUBLE_EQ(rework.peers, 0.2);
  EXPECT_EQ(rework.status, "inconclusive");  // 2 of 10 against at most 0.2
  EXPECT_TRUE(BuildScorecard(tasks, {}, Config(), ScorecardSubject::kVendor, "nobody", 0).pipelines.empty());
}

}  // namespace
}  // namespace gtops::ops
