#include "run/process_control.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace gtops {
namespace {

SpcSeries Series(const std::vector<int64_t>& count, const std::vector<int64_t>& n) {
  SpcSeries s;
  s.pipeline = "p";
  s.vendor = "v";
  s.metric = "size_rate";
  s.unit = "paired objects";
  for (size_t i = 0; i < count.size(); ++i) {
    s.batches.push_back({"b" + std::to_string(i), static_cast<int64_t>(i) * 86400000, n[i], count[i]});
  }
  return s;
}

TEST(ProcessControl, AStepDownIsOneIncidentDatedWhereItBegan) {
  // 10% errors for four batches, then 0.5%: one shift down from b4 (its mirror, "b0-b3 above the
  // centre", is the same change and is not reported twice).
  const SpcChart chart = ChartSeries(Series({30, 28, 31, 29, 1, 2, 1, 1, 2, 1}, std::vector<int64_t>(10, 300)));
  ASSERT_EQ(chart.points.size(), 10u);
  EXPECT_NEAR(chart.centre, 126.0 / 3000, 1e-12);
  const auto incidents = IncidentsOf(chart);
  ASSERT_EQ(incidents.size(), 1u);
  const Incident& i = incidents[0];
  EXPECT_EQ(i.direction, "down");
  EXPECT_EQ(i.since_batch, "b4");
  EXPECT_EQ(i.last_batch, "b9");
  EXPECT_EQ(i.count_during, 8);
  EXPECT_EQ(i.n_during, 1800);
  EXPECT_EQ(i.count_outside, 118);
  EXPECT_NEAR(i.rate_outside, 118.0 / 1200, 1e-12);
  EXPECT_NE(std::find(i.detectors.begin(), i.detectors.end(), "step"), i.detectors.end());
  EXPECT_NE(i.evidence.find("from batch b4 to b9"), std::string::npos) << i.evidence;
}

TEST(ProcessControl, ASpikeInTheMiddleIsFoundWithItsEnd) {
  const SpcChart chart =
      ChartSeries(Series({1, 2, 1, 5, 6, 5, 5, 1, 2, 1}, std::vector<int64_t>(10, 15)));
  const auto incidents = IncidentsOf(chart);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].direction, "up");
  EXPECT_EQ(incidents[0].since_batch, "b3");
  EXPECT_EQ(incidents[0].last_batch, "b6");
}

TEST(ProcessControl, AStableProcessRaisesNothingAndShortSeriesAreNotCharted) {
  EXPECT_TRUE(IncidentsOf(ChartSeries(Series({5, 6, 4, 5, 7, 5, 4, 6, 5, 5}, std::vector<int64_t>(10, 100)))).empty());
  EXPECT_TRUE(ChartSeries(Series({5, 6, 4}, {100, 100, 100})).points.empty());     // too few batches
  EXPECT_TRUE(ChartSeries(Series({0, 1, 0, 0, 1}, std::vector<int64_t>(5, 100))).points.empty());  // too few errors
  EXPECT_TRUE(ChartSeries(Series({0, 0, 0, 0, 0}, std::vector<int64_t>(5, 100)), {.min_count = 0}).points.empty());
}

}  // namespace
}  // namespace gtops
