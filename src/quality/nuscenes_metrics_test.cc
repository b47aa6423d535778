#include "quality/nuscenes_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace gtops::quality {
namespace {

constexpr int kCar = 0;
constexpr int kCone = 8;
constexpr int kBarrier = 9;
constexpr int kParked = 6;

NuscenesBox MakeBox(int cls, double x, double y, double score = -1.0, double yaw = 0.0) {
  NuscenesBox b;
  b.translation = {x, y, 0.0};
  b.size = {2.0, 4.0, 1.5};
  b.rotation = {std::cos(yaw / 2), 0.0, 0.0, std::sin(yaw / 2)};
  b.velocity = {1.0, 0.0};
  b.detection_class = cls;
  b.score = score;
  b.attribute = cls == kCar ? kParked : -1;
  return b;
}

TEST(NuscenesMetricsTest, PerfectDetectionOfOneCar) {
  const std::vector<NuscenesSample> samples = {{"s", {MakeBox(kCar, 1, 2)}, {MakeBox(kCar, 1, 2, 0.9)}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  const NuscenesClassMetrics& car = m.per_class[kCar];
  for (double ap : car.ap) EXPECT_DOUBLE_EQ(ap, 1.0);
  EXPECT_DOUBLE_EQ(car.trans_err, 0.0);
  EXPECT_DOUBLE_EQ(car.scale_err, 0.0);
  EXPECT_DOUBLE_EQ(car.orient_err, 0.0);
  EXPECT_DOUBLE_EQ(car.vel_err, 0.0);
  EXPECT_DOUBLE_EQ(car.attr_err, 0.0);
  // Classes without ground truth: AP 0 and errors 1, except where not applicable.
  EXPECT_DOUBLE_EQ(m.per_class[1].mean_ap, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[1].trans_err, 1.0);
  EXPECT_TRUE(std::isnan(m.per_class[kCone].orient_err));
  EXPECT_TRUE(std::isnan(m.per_class[kBarrier].vel_err));
  EXPECT_DOUBLE_EQ(m.per_class[kBarrier].orient_err, 1.0);
  EXPECT_DOUBLE_EQ(m.mean_ap, 0.1);
  EXPECT_DOUBLE_EQ(m.mate, 0.9);        // 0 for car, 1 for the nine others
  EXPECT_DOUBLE_EQ(m.maoe, 8.0 / 9.0);  // cones excluded
  EXPECT_DOUBLE_EQ(m.mave, 7.0 / 8.0);  // cones and barriers excluded
  EXPECT_DOUBLE_EQ(m.maae, 7.0 / 8.0);
  EXPECT_NEAR(m.nd_score, (5 * 0.1 + 0.1 + 0.1 + 1.0 / 9 + 1.0 / 8 + 1.0 / 8) / 10, 1e-15);
}

TEST(NuscenesMetricsTest, FalsePositiveRankedFirstAndStrictThreshold) {
  // Given a far false positive scored above a true positive 0.5 m away.
  const std::vector<NuscenesSample> samples = {
      {"s", {MakeBox(kCar, 0, 0)}, {MakeBox(kCar, 10, 0, 0.9), MakeBox(kCar, 0.3, 0.4, 0.5)}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  const NuscenesClassMetrics& car = m.per_class[kCar];
  // At 0.5 m nothing matches (the distance must be below the threshold).
  EXPECT_DOUBLE_EQ(car.ap[0], 0.0);
  // Above, precision is 0.5 r on the recall grid: mean of max(0.5 r - 0.1, 0) over r = 0.11 ...
  // 1 is 16.2 / 90, over 0.9: AP 0.2.
  for (int t = 1; t < 4; ++t) EXPECT_NEAR(car.ap[static_cast<std::size_t>(t)], 0.2, 1e-12);
  EXPECT_NEAR(car.mean_ap, 0.15, 1e-12);
  EXPECT_NEAR(car.trans_err, 0.5, 1e-12);
}

TEST(NuscenesMetricsTest, EqualScoresRankTheLaterBoxFirst) {
  // Given two predictions with the same score, the later one 1.5 m away: it is ranked first and
  // takes the ground truth at 2 m, so ATE is 1.5 and not 0.2.
  const std::vector<NuscenesSample> samples = {
      {"s", {MakeBox(kCar, 0, 0)}, {MakeBox(kCar, 0.2, 0, 0.5), MakeBox(kCar, 1.5, 0, 0.5)}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  EXPECT_NEAR(m.per_class[kCar].trans_err, 1.5, 1e-12);
}

TEST(NuscenesMetricsTest, BarrierOrientationHasPeriodPi) {
  // Given a car and a barrier each predicted with its heading flipped.
  const double pi = std::numbers::pi;
  const std::vector<NuscenesSample> samples = {
      {"s",
       {MakeBox(kCar, 0, 0), MakeBox(kBarrier, 20, 0)},
       {MakeBox(kCar, 0, 0, 0.9, pi), MakeBox(kBarrier, 20, 0, 0.9, pi)}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  EXPECT_NEAR(m.per_class[kCar].orient_err, pi, 1e-12);
  EXPECT_NEAR(m.per_class[kBarrier].orient_err, 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(m.per_class[kBarrier].attr_err));
}

TEST(NuscenesMetricsTest, PredictionsOnlyMatchTheirOwnSample) {
  const std::vector<NuscenesSample> samples = {{"a", {MakeBox(kCar, 0, 0)}, {}},
                                               {"b", {}, {MakeBox(kCar, 0, 0, 0.9)}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  EXPECT_DOUBLE_EQ(m.per_class[kCar].mean_ap, 0.0);
  EXPECT_DOUBLE_EQ(m.per_class[kCar].trans_err, 1.0);  // no match: the devkit's default
}

TEST(NuscenesMetricsTest, ScaleAndVelocityErrors) {
  NuscenesBox pred = MakeBox(kCar, 0, 0, 0.9);
  pred.size = {1.0, 4.0, 1.5};  // half the width: IoU 1/2
  pred.velocity = {4.0, 4.0};   // 3-4-5 from (1, 0)
  pred.attribute = 5;           // vehicle.moving instead of parked
  const std::vector<NuscenesSample> samples = {{"s", {MakeBox(kCar, 0, 0)}, {pred}}};
  const NuscenesMetrics m = EvaluateNuscenesDetection(samples);
  EXPECT_NEAR(m.per_class[kCar].scale_err, 0.5, 1e-12);
  EXPECT_NEAR(m.per_class[kCar].vel_err, 5.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.per_class[kCar].attr_err, 1.0);
}

TEST(NuscenesMetricsTest, ClassNamesRoundTrip) {
  for (int i = 0; i < kNuscenesClassCount; ++i) {
    EXPECT_EQ(NuscenesClassIndex(NuscenesClassNames()[static_cast<std::size_t>(i)]), i);
  }
  EXPECT_FALSE(NuscenesClassIndex("tram").has_value());
  EXPECT_EQ(NuscenesAttributeIndex("vehicle.parked"), kParked);
}

}  // namespace
}  // namespace gtops::quality
