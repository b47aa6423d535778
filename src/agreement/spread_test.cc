// Hand-computed geometric agreement (docs/agreement.md, "Geometric agreement").
#include "agreement/spread.h"

#include <cmath>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

namespace gtops::agreement {
namespace {

double Rad(double deg) { return deg * std::numbers::pi / 180.0; }

TEST(MatchedF1, Counts) {
  EXPECT_DOUBLE_EQ(MatchedF1(3, 2), 0.75);  // 2*3 / (2*3 + 2)
  EXPECT_DOUBLE_EQ(MatchedF1(0, 4), 0.0);
  EXPECT_TRUE(std::isnan(MatchedF1(0, 0)));
}

TEST(SpreadAccumulator, Box3dPooledOverClusters) {
  SpreadAccumulator s;
  // Cluster 1: centres 1 m apart in x, yaw 0° and 10°: deviations ±0.5 m and ±5°.
  const std::vector<Box3d> one = {{0, 0, 0, 4, 2, 1.5, 0}, {1, 0, 0, 4, 2, 1.5, Rad(10)}};
  s.Add(std::span<const Box3d>(one));
  EXPECT_NEAR(s.CentreSd(), std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(s.HeadingSdDeg(), std::sqrt(50.0), 1e-9);
  EXPECT_NEAR(s.SizeSdRel(), 0.0, 1e-12);
  // Cluster 2: yaws across the ±180° seam (179°, -179°, 180°: circular mean 180°, deviations
  // -1, 1, 0), lengths 4, 5, 6 (relative deviations -0.2, 0, 0.2; width and height equal).
  const std::vector<Box3d> two = {{5, 5, 0, 4, 2, 1.5, Rad(179)}, {5, 5, 0, 5, 2, 1.5, Rad(-179)},
                                  {5, 5, 0, 6, 2, 1.5, Rad(180)}};
  s.Add(std::span<const Box3d>(two));
  EXPECT_EQ(s.clusters(), 2);
  EXPECT_EQ(s.members(), 5);
  // Pooled over 1 + 2 degrees of freedom.
  EXPECT_NEAR(s.CentreSd(), std::sqrt(0.5 / 3), 1e-12);
  EXPECT_NEAR(s.HeadingSdDeg(), std::sqrt(52.0 / 3), 1e-9);
  EXPECT_NEAR(s.SizeSdRel(), std::sqrt((0.08 / 3) / 3), 1e-12);
  // A single box is no cluster.
  s.Add(std::span<const Box3d>(one.data(), 1));
  EXPECT_EQ(s.clusters(), 2);
}

TEST(SpreadAccumulator, Box2dHasNoHeading) {
  SpreadAccumulator s;
  EXPECT_TRUE(std::isnan(s.CentreSd()));
  const std::vector<Box2d> boxes = {{0, 0, 10, 10}, {2, 0, 10, 10}};  // centres (5, 5), (7, 5)
  s.Add(std::span<const Box2d>(boxes));
  EXPECT_NEAR(s.CentreSd(), std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(s.SizeSdRel(), 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(s.HeadingSdDeg()));
  SpreadAccumulator t;
  const std::vector<Box2d> sizes = {{0, 0, 8, 10}, {0, 0, 12, 10}};  // w: ±0.2 of 10; centres ±1 px in x
  t.Add(std::span<const Box2d>(sizes));
  EXPECT_NEAR(t.SizeSdRel(), std::sqrt(0.08 / 2), 1e-12);
  s.Merge(t);
  EXPECT_EQ(s.clusters(), 2);
  EXPECT_NEAR(s.CentreSd(), std::sqrt((2.0 + 2.0) / 2), 1e-12);
}

}  // namespace
}  // namespace gtops::agreement
