#include "report/gaps.h"

#include <cmath>

#include <gtest/gtest.h>

namespace gtops::report {
namespace {

TEST(Judge, WholeIntervalAboveTargetMeetsBelowFails) {
  EXPECT_EQ(Judge(0.99, 0.985, 0.995, 0.98, true, 100).status, GapStatus::kMeets);
  EXPECT_EQ(Judge(0.99, 0.98, 0.995, 0.98, true, 100).status, GapStatus::kMeets);  // at least
  EXPECT_EQ(Judge(0.95, 0.94, 0.97, 0.98, true, 100).status, GapStatus::kFails);
  // Lower is better (an error percentile): at most the target.
  EXPECT_EQ(Judge(4.0, 3.5, 4.5, 5.0, false, 100).status, GapStatus::kMeets);
  EXPECT_EQ(Judge(6.0, 5.5, 6.5, 5.0, false, 100).status, GapStatus::kFails);
  EXPECT_NEAR(Judge(6.0, 5.5, 6.5, 5.0, false, 100).gap, -1.0, 1e-12);
  EXPECT_NEAR(Judge(0.95, 0.94, 0.97, 0.98, true, 100).gap, -0.03, 1e-12);
}

TEST(Judge, InconclusiveSaysHowManyMoreTasksWouldSettleIt) {
  // value 0.97 against 0.98, interval [0.95, 0.99] from 100 tasks: the upper half-width 0.02
  // must shrink below 0.01: K' = 100 * (0.02 / 0.01)^2 = 400, so 300 more.
  Judgement j = Judge(0.97, 0.95, 0.99, 0.98, true, 100);
  EXPECT_EQ(j.status, GapStatus::kInconclusive);
  ASSERT_TRUE(j.additional_audits.has_value());
  EXPECT_EQ(*j.additional_audits, 300);
  // Above the target, the lower half-width matters: 0.99 in [0.96, 1.0], target 0.98:
  // K' = 50 * (0.03 / 0.01)^2 = 450, so 400 more.
  j = Judge(0.99, 0.96, 1.0, 0.98, true, 50);
  EXPECT_EQ(*j.additional_audits, 400);
  // Exactly on target: no sample size settles it.
  j = Judge(0.98, 0.96, 1.0, 0.98, true, 50);
  EXPECT_EQ(j.status, GapStatus::kInconclusive);
  EXPECT_FALSE(j.additional_audits.has_value());
}

TEST(Judge, NoValueIsNoData) {
  Judgement j = Judge(NAN, NAN, NAN, 0.98, true, 0);
  EXPECT_EQ(j.status, GapStatus::kNoData);
  EXPECT_TRUE(std::isnan(j.gap));
}

TEST(SortGaps, FailsFirstThenInconclusiveWorstRelativeGapFirst) {
  auto make = [](std::string metric, double target, double value, GapStatus s) {
    Gap g;
    g.pipeline = "p";
    g.metric = std::move(metric);
    g.target = target;
    g.value = value;
    g.gap = value - target;
    g.status = s;
    return g;
  };
  std::vector<Gap> gaps{make("a", 0.9, 0.95, GapStatus::kMeets), make("b", 0.9, 0.89, GapStatus::kInconclusive),
                        make("c", 0.9, 0.80, GapStatus::kFails), make("d", 0.9, 0.5, GapStatus::kFails),
                        make("e", 0.9, NAN, GapStatus::kNoData)};
  SortGaps(gaps);
  EXPECT_EQ(gaps[0].metric, "d");
  EXPECT_EQ(gaps[1].metric, "c");
  EXPECT_EQ(gaps[2].metric, "b");
  EXPECT_EQ(gaps[3].metric, "e");
  EXPECT_EQ(gaps[4].metric, "a");
}

}  // namespace
}  // namespace gtops::report
