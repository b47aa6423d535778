#include "stats/control_chart.h"

#include <cmath>

#include <gtest/gtest.h>

namespace gtops::stats {
namespace {

// Expected values computed by hand (docs/run.md formulas, in Python's float arithmetic).
TEST(LaneyPChart, WidensForOverDispersionAndFlagsTheOutlyingBatch) {
  // Given six batches of 100 objects, the last one far below the others,
  auto chart = LaneyPChart({50, 52, 48, 51, 49, 20}, {100, 100, 100, 100, 100, 100});
  // then the centre is 270/600, sigma_z = 1.42559 and only the last batch is outside.
  ASSERT_EQ(chart.size(), 6u);
  for (const auto& p : chart) {
    EXPECT_NEAR(p.center, 0.45, 1e-12);
    EXPECT_NEAR(p.lcl, 0.2372340425531915, 1e-12);
    EXPECT_NEAR(p.ucl, 0.6627659574468086, 1e-12);
  }
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(chart[static_cast<size_t>(i)].out_of_control) << i;
  EXPECT_TRUE(chart[5].out_of_control);
}

TEST(LaneyPChart, TwoBatchesUseThePlainPChartWithLimitsPerBatchSize) {
  auto chart = LaneyPChart({8, 2}, {10, 40});
  EXPECT_NEAR(chart[0].center, 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(chart[0].lcl, 0.0);  // clipped at 0
  EXPECT_NEAR(chart[0].ucl, 0.5794733192202055, 1e-12);
  EXPECT_NEAR(chart[1].lcl, 0.010263340389897235, 1e-12);
  EXPECT_NEAR(chart[1].ucl, 0.3897366596101028, 1e-12);
  EXPECT_TRUE(chart[0].out_of_control);  // 0.8 > 0.579
  EXPECT_FALSE(chart[1].out_of_control);
}

TEST(LaneyPChart, EmptyBatchesGetNoLimits) {
  auto chart = LaneyPChart({0, 5}, {0, 10});
  EXPECT_TRUE(std::isnan(chart[0].lcl));
  EXPECT_FALSE(chart[0].out_of_control);
  auto none = LaneyPChart({0}, {0});
  EXPECT_TRUE(std::isnan(none[0].center));
}

TEST(LaneyPChart, AllSuccessesGiveZeroWidthLimitsAndNoSignal) {
  auto chart = LaneyPChart({10, 10, 10}, {10, 10, 10});
  for (const auto& p : chart) {
    EXPECT_DOUBLE_EQ(p.center, 1.0);
    EXPECT_DOUBLE_EQ(p.lcl, 1.0);
    EXPECT_FALSE(p.out_of_control);
  }
}

TEST(IndividualsChart, MeanPlusMinusTwoSixSixMovingRange) {
  auto chart = IndividualsChart({1.0, 1.2, 0.9, 1.1, 3.0});
  EXPECT_NEAR(chart[0].center, 1.44, 1e-12);
  EXPECT_NEAR(chart[0].lcl, -0.289, 1e-12);
  EXPECT_NEAR(chart[0].ucl, 3.169, 1e-12);
  for (const auto& p : chart) EXPECT_FALSE(p.out_of_control);
  auto spike = IndividualsChart({1, 1, 1, 1, 1, 1, 1, 1, 1.1, 1, 5});
  EXPECT_TRUE(spike.back().out_of_control);
  EXPECT_FALSE(spike.front().out_of_control);
}

TEST(SlopeTrend, SteadyRiseWithTightIntervalsIsUp) {
  // slope 0.02 per batch, se(slope) = sqrt(1 / 50000) = 0.00447: z = 4.47
  std::vector<double> v{0.90, 0.92, 0.94, 0.96}, lo, hi;
  for (double x : v) lo.push_back(x - 0.0196), hi.push_back(x + 0.0196);
  EXPECT_EQ(SlopeTrend(v, lo, hi), TrendDirection::kUp);
  EXPECT_EQ(TrendWord(TrendDirection::kUp, true), "improving");
  EXPECT_EQ(TrendWord(TrendDirection::kUp, false), "worsening");
}

TEST(SlopeTrend, WideIntervalsAreFlatAndTooFewBatchesUnknown) {
  std::vector<double> v{0.90, 0.92, 0.94, 0.96}, lo, hi;
  for (double x : v) lo.push_back(x - 0.2), hi.push_back(x + 0.2);
  EXPECT_EQ(SlopeTrend(v, lo, hi), TrendDirection::kFlat);
  EXPECT_EQ(SlopeTrend({0.9, 0.95}, {0.8, 0.9}, {1.0, 1.0}), TrendDirection::kUnknown);
  EXPECT_EQ(TrendWord(TrendDirection::kUnknown, true), "");
}

}  // namespace
}  // namespace gtops::stats
