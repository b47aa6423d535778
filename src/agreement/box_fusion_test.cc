#include "agreement/box_fusion.h"

#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace gtops::agreement {
namespace {

constexpr double kPi = std::numbers::pi;

double HeadingErrorDeg(double a, double b) {  // in [0, 180]
  return std::fabs(std::remainder(a - b, 2 * kPi)) * 180 / kPi;
}
double CentreError(const Box3d& a, const Box3d& b) { return std::hypot(a.x - b.x, a.y - b.y, a.z - b.z); }
double SizeError(const Box3d& a, const Box3d& b) { return std::hypot(a.l - b.l, a.w - b.w, a.h - b.h); }

TEST(FuseBoxes, IdenticalCopiesGiveTheBoxBack) {
  Box3d b{10, -4, 1, 4.5, 1.9, 1.6, 2.5};
  auto f = FuseBoxes(std::vector<Box3d>{b, b, b});
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->box.x, b.x, 1e-12);
  EXPECT_NEAR(f->box.l, b.l, 1e-12);
  EXPECT_NEAR(f->box.yaw, b.yaw, 1e-12);
  EXPECT_EQ(f->flipped, 0);
  EXPECT_NEAR(f->centre_spread_m, 0, 1e-12);
  EXPECT_NEAR(f->heading_spread_deg, 0, 1e-4);
}

TEST(FuseBoxes, HeadingsAcrossTheWrapAndFlippedByHalfATurnAverageToTheAxis) {
  // Given headings of 179°, -179° and a copy drawn backwards (-1°: the same axis),
  auto deg = [](double d) { return d * kPi / 180; };
  std::vector<Box3d> boxes = {{0, 0, 0, 4, 2, 1.5, deg(179)}, {0, 0, 0, 4, 2, 1.5, deg(-179)},
                              {0, 0, 0, 4, 2, 1.5, deg(-1)}};
  auto f = FuseBoxes(boxes);
  ASSERT_TRUE(f.ok());
  // then the fused heading is 180° (the majority's direction) and one member is flipped.
  EXPECT_LT(HeadingErrorDeg(f->box.yaw, kPi), 0.34);  // the axial mean of 179, 181, 179
  EXPECT_EQ(f->flipped, 1);
  EXPECT_LT(f->heading_spread_deg, 1.0);
}

TEST(FuseBoxes, OneGrossOutlierBarelyMovesTheCentre) {
  std::vector<Box3d> boxes = {{10, 0, 0, 4, 2, 1.5, 0}, {10.1, 0.1, 0, 4.1, 2, 1.5, 0}, {15, 3, 0, 9, 2, 1.5, 0}};
  auto f = FuseBoxes(boxes);
  ASSERT_TRUE(f.ok());
  // The mean would put x at 11.7; the Huber estimate stays near the two that agree.
  EXPECT_LT(std::fabs(f->box.x - 10.05), 0.25) << f->box.x;
  EXPECT_LT(std::fabs(f->box.l - 4.05), 0.25) << f->box.l;
}

TEST(FuseBoxes, WeightsFollowReliabilityAndOrderDoesNotMatter) {
  std::vector<Box3d> boxes = {{0, 0, 0, 4, 2, 1.5, 0}, {1, 0, 0, 4, 2, 1.5, 0}};
  auto f = FuseBoxes(boxes, std::vector<double>{3, 1});
  EXPECT_NEAR(f->box.x, 0.25, 1e-12);  // two boxes: the weighted mean
  std::vector<Box3d> three = {{0, 0, 0, 4, 2, 1.5, 0.1}, {0.3, 0.1, 0, 4.2, 2, 1.5, -0.05}, {-0.2, 0, 0.1, 3.9, 2.1, 1.4, 0.02}};
  auto a = FuseBoxes(three);
  std::swap(three[0], three[2]);
  auto b = FuseBoxes(three);
  EXPECT_NEAR(a->box.x, b->box.x, 1e-12);
  EXPECT_NEAR(a->box.yaw, b->box.yaw, 1e-12);
}

TEST(FuseBoxes, RejectsAnEmptyClusterAndBadWeights) {
  EXPECT_FALSE(FuseBoxes(std::vector<Box3d>{}).ok());
  std::vector<Box3d> one = {{0, 0, 0, 1, 1, 1, 0}};
  EXPECT_FALSE(FuseBoxes(one, std::vector<double>{0}).ok());
  EXPECT_FALSE(FuseBoxes(one, std::vector<double>{1, 2}).ok());
  EXPECT_FALSE(FuseBoxes(std::vector<Box3d>{{NAN, 0, 0, 1, 1, 1, 0}}).ok());
}

TEST(FuseBoxes, ThreeNoisyCopiesRecoverTheBoxesBetterThanAnySingleCopy) {
  // Given 2,000 boxes and three annotators' copies of each: centre noise 0.15 m, size noise
  // 0.08 m, heading noise 3°, 10% of headings drawn backwards and 5% of centres off by 1.5 m,
  std::mt19937_64 rng(17);
  std::normal_distribution<double> centre(0, 0.15), size(0, 0.08), heading(0, 3 * kPi / 180);
  std::uniform_real_distribution<double> unit(0, 1), where(-50, 50), yaw(-kPi, kPi);
  const int n = 2000;
  double fused_c = 0, fused_s = 0, fused_h = 0, copy_c[3] = {}, copy_s[3] = {}, copy_h[3] = {};
  for (int i = 0; i < n; ++i) {
    Box3d truth{where(rng), where(rng), unit(rng), 3.5 + 2 * unit(rng), 1.6 + 0.6 * unit(rng), 1.4 + 0.5 * unit(rng), yaw(rng)};
    std::vector<Box3d> copies;
    for (int c = 0; c < 3; ++c) {
      Box3d b = truth;
      b.x += centre(rng) + (unit(rng) < 0.05 ? 1.5 : 0), b.y += centre(rng), b.z += centre(rng);
      b.l += size(rng), b.w += size(rng), b.h += size(rng);
      b.yaw += heading(rng) + (unit(rng) < 0.10 ? kPi : 0);
      copies.push_back(b);
      copy_c[c] += CentreError(b, truth), copy_s[c] += SizeError(b, truth), copy_h[c] += HeadingErrorDeg(b.yaw, truth.yaw);
    }
    auto f = FuseBoxes(copies);
    ASSERT_TRUE(f.ok());
    fused_c += CentreError(f->box, truth), fused_s += SizeError(f->box, truth), fused_h += HeadingErrorDeg(f->box.yaw, truth.yaw);
  }
  std::printf("mean errors over %d boxes: centre m, size m, heading deg\n", n);
  std::printf("  fused   %.4f %.4f %.2f\n", fused_c / n, fused_s / n, fused_h / n);
  for (int c = 0; c < 3; ++c) std::printf("  copy %d  %.4f %.4f %.2f\n", c, copy_c[c] / n, copy_s[c] / n, copy_h[c] / n);
  // then the fused boxes are closer to the truth than every single copy on every component.
  for (int c = 0; c < 3; ++c) {
    EXPECT_LT(fused_c, 0.8 * copy_c[c]);
    EXPECT_LT(fused_s, 0.8 * copy_s[c]);
    EXPECT_LT(fused_h, 0.5 * copy_h[c]);
  }
}

}  // namespace
}  // namespace gtops::agreement
