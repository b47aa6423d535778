#include "geometry/box_iou.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "geometry/polygon.h"

namespace gtops::geometry {
namespace {

constexpr double kPi = std::numbers::pi;

TEST(Box2dIouTest, HandComputedOverlap) {
  // Given two 10 x 10 boxes offset by 5 in x, when compared, then 50 / 150.
  EXPECT_DOUBLE_EQ(Box2dIou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(Box2dIou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(Box2dIou({0, 0, 4, 4}, {1, 1, 2, 2}), 4.0 / 16.0);
}

TEST(Box2dIouTest, NoPlusOneTouchingIsZero) {
  EXPECT_EQ(Box2dIou({0, 0, 10, 10}, {10, 0, 10, 10}), 0.0);
  EXPECT_EQ(Box2dIou({0, 0, 10, 10}, {0, 10, 10, 10}), 0.0);
  EXPECT_EQ(Box2dIou({0, 0, 10, 10}, {30, 30, 1, 1}), 0.0);
}

TEST(Box2dIouTest, CrowdUsesDetectionAreaAsDenominator) {
  // pycocotools bbIou: a detection inside a crowd region has IoU 1.
  EXPECT_DOUBLE_EQ(Box2dIou({2, 2, 2, 2}, {0, 0, 10, 10}, true), 1.0);
  // Half of the detection inside the crowd: 0.5.
  EXPECT_DOUBLE_EQ(Box2dIou({-2, 0, 4, 2}, {0, 0, 10, 10}, true), 0.5);
}

TEST(Box2dIouTest, SymmetricAndInRange) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> pos(0, 100), size(0.5, 50);
  for (int i = 0; i < 2000; ++i) {
    const Box2d a{pos(rng), pos(rng), size(rng), size(rng)};
    const Box2d b{pos(rng), pos(rng), size(rng), size(rng)};
    const double ab = Box2dIou(a, b);
    EXPECT_DOUBLE_EQ(ab, Box2dIou(b, a));  // within 4 ulps: -O3 -march=haswell contracts to FMA on one side
    EXPECT_GE(ab, 0.0);
    EXPECT_LE(ab, 1.0);
  }
}

struct ReferencePair {
  Box3d a, b;
  double iou3d, bev_iou, aa_bev_iou;
  int line;
};

std::vector<ReferencePair> ReadReferencePairs() {
  std::ifstream in(std::string(GTOPS_SHARED_DIR) + "/reference/iou3d/pairs.txt");
  std::vector<ReferencePair> pairs;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty()) continue;
    std::istringstream s(text);
    ReferencePair p;
    p.line = line;
    s >> p.a.x >> p.a.y >> p.a.z >> p.a.l >> p.a.w >> p.a.h >> p.a.yaw;
    s >> p.b.x >> p.b.y >> p.b.z >> p.b.l >> p.b.w >> p.b.h >> p.b.yaw;
    s >> p.iou3d >> p.bev_iou >> p.aa_bev_iou;
    if (s.fail()) ADD_FAILURE() << "pairs.txt:" << line << ": cannot read 17 numbers";
    pairs.push_back(p);
  }
  return pairs;
}

TEST(Box3dIouTest, ReproducesWaymoReferencePairs) {
  const std::vector<ReferencePair> pairs = ReadReferencePairs();
  ASSERT_EQ(pairs.size(), 313u);
  for (const ReferencePair& p : pairs) {
    SCOPED_TRACE("pairs.txt:" + std::to_string(p.line));
    EXPECT_NEAR(Iou3d(p.a, p.b), p.iou3d, 1e-6);
    EXPECT_NEAR(BevIou(p.a, p.b), p.bev_iou, 1e-6);
    EXPECT_NEAR(AxisAlignedBevIou(p.a, p.b), p.aa_bev_iou, 1e-6);
    // The reversed pair and the prepared path give the very same numbers.
    EXPECT_EQ(Iou3d(p.b, p.a), Iou3d(p.a, p.b));
    EXPECT_EQ(BevIou(p.b, p.a), BevIou(p.a, p.b));
    EXPECT_EQ(Iou3d(PrepareBox3d(p.a), PrepareBox3d(p.b)), Iou3d(p.a, p.b));
    EXPECT_EQ(BevIou(PrepareBox3d(p.a), PrepareBox3d(p.b)), BevIou(p.a, p.b));
  }
}

TEST(Box3dIouTest, MatrixMatchesPairwise) {
  const std::vector<ReferencePair> pairs = ReadReferencePairs();
  std::vector<Box3d> a, b;
  for (size_t i = 0; i < 40 && i < pairs.size(); ++i) {
    a.push_back(pairs[i].a);
    b.push_back(pairs[i].b);
  }
  b.resize(25);
  std::vector<double> iou(a.size() * b.size()), bev(a.size() * b.size());
  Iou3dMatrix(a, b, iou);
  BevIouMatrix(a, b, bev);
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = 0; j < b.size(); ++j) {
      EXPECT_EQ(iou[i * b.size() + j], Iou3d(a[i], b[j]));
      EXPECT_EQ(bev[i * b.size() + j], BevIou(a[i], b[j]));
    }
  }
}

Box3d RandomCar(std::mt19937_64& rng, double spread) {
  std::uniform_real_distribution<double> pos(-spread, spread), yaw(-kPi, kPi);
  std::uniform_real_distribution<double> l(3.5, 5.5), w(1.6, 2.2), h(1.4, 2.0);
  return {pos(rng), pos(rng), 0.9 + 0.1 * pos(rng), l(rng), w(rng), h(rng), yaw(rng)};
}

// Rotates (x, y) and the yaw by angle about the origin, then translates.
Box3d Move(const Box3d& b, double angle, double tx, double ty, double tz) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {c * b.x - s * b.y + tx, s * b.x + c * b.y + ty, b.z + tz, b.l, b.w, b.h, b.yaw + angle};
}

TEST(Box3dIouTest, PropertiesOnRandomCars) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> angle(-kPi, kPi), shift(-500, 500);
  int overlapping = 0;
  for (int i = 0; i < 20000; ++i) {
    const Box3d a = RandomCar(rng, 3.0), b = RandomCar(rng, 3.0);
    const double iou = Iou3d(a, b), bev = BevIou(a, b);
    // Range and symmetry.
    ASSERT_GE(iou, 0.0);
    ASSERT_LE(iou, 1.0);
    ASSERT_GE(bev, 0.0);
    ASSERT_LE(bev, 1.0);
    ASSERT_EQ(iou, Iou3d(b, a));
    ASSERT_EQ(bev, BevIou(b, a));
    // 3D never exceeds what the z-overlap allows.
    overlapping += bev > 0 ? 1 : 0;
    // Identity.
    ASSERT_EQ(Iou3d(a, a), 1.0);
    ASSERT_EQ(BevIou(a, a), 1.0);
    // Rigid motion of both boxes.
    const double t = angle(rng), tx = shift(rng), ty = shift(rng), tz = 0.1 * shift(rng);
    const Box3d ma = Move(a, t, tx, ty, tz), mb = Move(b, t, tx, ty, tz);
    ASSERT_NEAR(Iou3d(ma, mb), iou, 1e-9) << i;
    ASSERT_NEAR(BevIou(ma, mb), bev, 1e-9) << i;
    // Yaw is periodic.
    Box3d a2 = a;
    a2.yaw += 2 * kPi;
    ASSERT_NEAR(Iou3d(a2, b), iou, 1e-9);
  }
  EXPECT_GT(overlapping, 5000);  // the sample exercises the clipping path
}

TEST(Box3dIouTest, BevIntersectionMatchesExactPolygonSweep) {
  // An independent exact method (polygon.h's slab sweep) on the footprints' corners.
  std::mt19937_64 rng(3);
  auto corners = [](const Box3d& b) {
    const double c = std::cos(b.yaw), s = std::sin(b.yaw);
    Ring r;
    for (auto [u, v] : {std::pair{1, 1}, {-1, 1}, {-1, -1}, {1, -1}}) {
      const double lx = 0.5 * b.l * u, wy = 0.5 * b.w * v;
      r.push_back({b.x + c * lx - s * wy, b.y + s * lx + c * wy});
    }
    return std::vector<Ring>{r};
  };
  for (int i = 0; i < 3000; ++i) {
    const Box3d a = RandomCar(rng, 2.0), b = RandomCar(rng, 2.0);
    EXPECT_NEAR(BevIntersectionArea(a, b), PolygonIntersectionArea(corners(a), corners(b)), 1e-9);
  }
}

TEST(Box3dIouTest, NearlyParallelEdgesMatchExactPolygonSweep) {
  // Relative yaws at and around the switch between the boundary-integral and the clipping
  // paths (|sin| or |cos| of the relative yaw below 1e-6), with nearly shared edges.
  auto corners = [](const Box3d& b) {
    const double c = std::cos(b.yaw), s = std::sin(b.yaw);
    Ring r;
    for (auto [u, v] : {std::pair{1, 1}, {-1, 1}, {-1, -1}, {1, -1}}) {
      const double lx = 0.5 * b.l * u, wy = 0.5 * b.w * v;
      r.push_back({b.x + c * lx - s * wy, b.y + s * lx + c * wy});
    }
    return std::vector<Ring>{r};
  };
  const Box3d a{1.3, -0.7, 0, 4.4, 1.9, 1.6, 0.4};
  for (double base : {0.0, kPi / 2, kPi, -kPi / 2}) {
    for (double delta : {0.0, 1e-12, 1e-9, 5e-7, 1e-6, 2e-6, 1e-5, 1e-3, -1e-7, -3e-6}) {
      for (double shift : {0.0, 0.5, 1.0, 1e-9}) {
        Box3d b = a;
        b.yaw = a.yaw + base + delta;
        b.l = 3.1;
        // Slide b so that one long side lies (nearly) on a's.
        b.x += shift * std::cos(a.yaw) - 0.5 * (a.w - b.w) * std::sin(a.yaw);
        b.y += shift * std::sin(a.yaw) + 0.5 * (a.w - b.w) * std::cos(a.yaw);
        SCOPED_TRACE(testing::Message() << base << " " << delta << " " << shift);
        EXPECT_NEAR(BevIntersectionArea(a, b),
                    PolygonIntersectionArea(corners(a), corners(b)), 1e-9);
      }
    }
  }
}

TEST(Box3dIouTest, PreparedTrigonometryIsAccurate) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> small(-7, 7), large(-2e5, 2e5);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double yaw = i % 10 == 0 ? large(rng) : small(rng);
    const PreparedBox3d p = PrepareBox3d({0, 0, 0, 1, 1, 1, yaw});
    worst = std::max({worst, std::abs(p.cos_yaw - std::cos(yaw)), std::abs(p.sin_yaw - std::sin(yaw))});
  }
  EXPECT_LT(worst, 4e-16);
  for (double yaw : {0.0, kPi / 4, kPi / 2, kPi, -kPi, 3 * kPi / 2, 1e-300, -0.0}) {
    const PreparedBox3d p = PrepareBox3d({0, 0, 0, 1, 1, 1, yaw});
    EXPECT_NEAR(p.cos_yaw, std::cos(yaw), 2.3e-16) << yaw;
    EXPECT_NEAR(p.sin_yaw, std::sin(yaw), 2.3e-16) << yaw;
  }
}

TEST(Box3dIouTest, TouchingBoxesHaveZeroIou) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> yaw(-kPi, kPi);
  for (int i = 0; i < 1000; ++i) {
    Box3d a = RandomCar(rng, 10.0);
    a.yaw = yaw(rng);
    // b shares a's front face (same yaw, moved by (l_a + l_b) / 2 along the heading) ...
    Box3d b = a;
    b.l = a.l * 0.7;
    const double d = 0.5 * (a.l + b.l);
    b.x += d * std::cos(a.yaw);
    b.y += d * std::sin(a.yaw);
    EXPECT_NEAR(BevIou(a, b), 0.0, 1e-12);
    EXPECT_NEAR(Iou3d(a, b), 0.0, 1e-12);
    // ... and c sits exactly on top of a.
    Box3d c = a;
    c.z += a.h;
    EXPECT_NEAR(Iou3d(a, c), 0.0, 1e-12);
    EXPECT_DOUBLE_EQ(BevIou(a, c), 1.0);
  }
}

TEST(Box3dIouTest, ContainedBoxGivesVolumeRatio) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> yaw(-kPi, kPi), u(-1, 1);
  for (int i = 0; i < 1000; ++i) {
    const Box3d big{u(rng) * 50, u(rng) * 50, 1.0, 8.0, 6.0, 2.0, yaw(rng)};
    // A small box whose bounding circle (radius < 1.2) fits in the big box's inscribed circle.
    const Box3d small{big.x + u(rng) * 1.2, big.y + u(rng) * 1.2, 1.0 + u(rng) * 0.2,
                      1.5, 1.0, 1.0, yaw(rng)};
    EXPECT_NEAR(Iou3d(big, small), (1.5 * 1.0 * 1.0) / (8.0 * 6.0 * 2.0), 1e-12);
    EXPECT_NEAR(BevIou(small, big), (1.5 * 1.0) / (8.0 * 6.0), 1e-12);
  }
}

TEST(Box3dIouTest, HeadingFlipByPiKeepsIou) {
  const Box3d a{10, -3, 0.8, 4.5, 1.9, 1.6, 0.3};
  Box3d b = a;
  b.yaw += kPi;
  EXPECT_NEAR(Iou3d(a, b), 1.0, 1e-12);
  b.yaw = a.yaw + kPi / 2;  // a square-ish cross
  EXPECT_NEAR(BevIou(a, b), (1.9 * 1.9) / (2 * 4.5 * 1.9 - 1.9 * 1.9), 1e-12);
}

TEST(Box3dIouTest, DegenerateAndFarApartBoxes) {
  const Box3d a{0, 0, 0, 4, 2, 1.5, 0.2};
  EXPECT_EQ(Iou3d(a, {0, 0, 0, 0, 0, 0, 0}), 0.0);
  EXPECT_EQ(Iou3d(a, {0, 0, 0, 4, 2, 0.0, 0}), 0.0);
  EXPECT_EQ(BevIou(a, {0, 0, 0, 4, 0.005, 1.5, 0}), 0.0);  // below kMinBoxDimension
  EXPECT_EQ(Iou3d(Box3d{0, 0, 0, 4, 0.005, 1.5, 0}, Box3d{0, 0, 0, 4, 0.005, 1.5, 0}), 0.0);
  EXPECT_EQ(BevIntersectionArea({0, 0, 0, 4, 0, 1, 0}, a), 0.0);
  EXPECT_EQ(Iou3d(a, {1e6, -1e6, 0, 4, 2, 1.5, 0.2}), 0.0);
  // Bounding circles overlap, boxes do not.
  EXPECT_EQ(BevIou(Box3d{0, 0, 0, 4, 2, 1.5, 0}, Box3d{0, 2.5, 0, 4, 2, 1.5, 0}), 0.0);
}

TEST(Box3dIouTest, CenterDistances) {
  const Box3d a{1, 2, 3, 1, 1, 1, 0}, b{4, 6, 15, 1, 1, 1, 0};
  EXPECT_DOUBLE_EQ(BevCenterDistance(a, b), 5.0);
  EXPECT_DOUBLE_EQ(CenterDistance3d(a, b), 13.0);
  EXPECT_EQ(BevCenterDistance(a, b), BevCenterDistance(b, a));
}

}  // namespace
}  // namespace gtops::geometry
