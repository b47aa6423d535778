#include "geometry/polyline.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace gtops::geometry {
namespace {

using Line = std::vector<Point3>;

TEST(PolylineTest, PointToPolylineDistance) {
  const Line l{{0, 0, 0}, {10, 0, 0}, {10, 10, 0}};
  EXPECT_DOUBLE_EQ(PointToPolylineDistance({5, 3, 0}, l), 3.0);
  EXPECT_DOUBLE_EQ(PointToPolylineDistance({12, 5, 0}, l), 2.0);
  EXPECT_DOUBLE_EQ(PointToPolylineDistance({-3, -4, 0}, l), 5.0);   // beyond the first end
  EXPECT_DOUBLE_EQ(PointToPolylineDistance({5, 0, 2}, l), 2.0);     // 3D
  EXPECT_DOUBLE_EQ(PointToPolylineDistance({3, 4, 0}, Line{{0, 0, 0}}), 5.0);
  EXPECT_TRUE(std::isinf(PointToPolylineDistance({0, 0, 0}, Line{})));
  EXPECT_DOUBLE_EQ(PolylineLength(l), 20.0);
}

TEST(PolylineTest, ResampleAtStep) {
  const Line l{{0, 0, 0}, {1, 0, 0}};
  EXPECT_EQ(ResamplePolyline(l, 0.25).size(), 5u);
  const Line r = ResamplePolyline(l, 0.3);  // 0, 0.3, 0.6, 0.9 and the end
  ASSERT_EQ(r.size(), 5u);
  EXPECT_NEAR(r[3].x, 0.9, 1e-12);
  EXPECT_EQ(r[4], (Point3{1, 0, 0}));
  // Across a corner the samples follow the arc length.
  const Line corner = ResamplePolyline(Line{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}}, 0.5);
  ASSERT_EQ(corner.size(), 5u);
  EXPECT_NEAR(corner[3].x, 1.0, 1e-12);
  EXPECT_NEAR(corner[3].y, 0.5, 1e-12);
  EXPECT_EQ(ResamplePolyline(Line{{2, 2, 0}, {2, 2, 0}}, 0.1).size(), 1u);
  // Long lines: no drift, the last sample is the end point.
  const Line long_line = ResamplePolyline(Line{{0, 0, 0}, {1000, 0, 0}}, 0.1);
  EXPECT_EQ(long_line.size(), 10001u);
  EXPECT_NEAR(long_line.back().x, 1000.0, 1e-9);
}

TEST(PolylineTest, ChamferAndMeanSymmetricDistanceByHand) {
  const Line a{{0, 0, 0}, {10, 0, 0}}, b{{0, 0, 0}, {5, 0, 0}};
  // Vertices of a: 0 and 5 from b; vertices of b: 0 and 0.
  EXPECT_DOUBLE_EQ(ChamferDistance(a, b), (2.5 + 0.0) / 2);
  // Step 1: a's 11 samples are 0,0,0,0,0,0,1,2,3,4,5 from b (mean 15 / 11); b's all 0.
  EXPECT_DOUBLE_EQ(MeanSymmetricDistance(a, b, 1.0), 15.0 / 22.0);
  // Dense resampling tends to the continuous mean, (1/10) * 12.5 / 2.
  EXPECT_NEAR(MeanSymmetricDistance(a, b, 0.001), 0.625, 1e-3);
  // Parallel lines 0.3 apart.
  const Line c{{0, 0.3, 0}, {10, 0.3, 0}};
  EXPECT_NEAR(MeanSymmetricDistance(a, c), 0.3, 1e-12);
  EXPECT_NEAR(ChamferDistance(a, c), 0.3, 1e-12);
  EXPECT_NEAR(MeanSymmetricDistance(a, a), 0.0, 1e-12);
}

TEST(PolylineTest, DistancesAreSymmetricAndRigid) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-20, 20);
  for (int t = 0; t < 100; ++t) {
    Line a(2 + t % 6), b(2 + t % 5);
    for (Point3& p : a) p = {u(rng), u(rng), 0.1 * u(rng)};
    for (Point3& p : b) p = {u(rng), u(rng), 0.1 * u(rng)};
    EXPECT_EQ(ChamferDistance(a, b), ChamferDistance(b, a));
    EXPECT_EQ(MeanSymmetricDistance(a, b, 0.5), MeanSymmetricDistance(b, a, 0.5));
    EXPECT_EQ(DiscreteFrechetDistance(a, b), DiscreteFrechetDistance(b, a));
    auto move = [](Line l) {
      for (Point3& p : l) p = {0.6 * p.x - 0.8 * p.y + 7, 0.8 * p.x + 0.6 * p.y - 3, p.z + 1};
      return l;
    };
    EXPECT_NEAR(MeanSymmetricDistance(move(a), move(b), 0.5), MeanSymmetricDistance(a, b, 0.5),
                1e-9);
    EXPECT_NEAR(DiscreteFrechetDistance(move(a), move(b)), DiscreteFrechetDistance(a, b), 1e-9);
  }
}

// The recursive definition of Eiter and Mannila, memoised.
double FrechetByRecursion(const Line& a, const Line& b) {
  std::vector<std::vector<double>> memo(a.size(), std::vector<double>(b.size(), -1));
  std::function<double(size_t, size_t)> c = [&](size_t i, size_t j) -> double {
    double& m = memo[i][j];
    if (m >= 0) return m;
    const double d = std::sqrt((a[i].x - b[j].x) * (a[i].x - b[j].x) +
                               (a[i].y - b[j].y) * (a[i].y - b[j].y) +
                               (a[i].z - b[j].z) * (a[i].z - b[j].z));
    if (i == 0 && j == 0) return m = d;
    if (i == 0) return m = std::max(c(0, j - 1), d);
    if (j == 0) return m = std::max(c(i - 1, 0), d);
    return m = std::max(std::min({c(i - 1, j), c(i - 1, j - 1), c(i, j - 1)}), d);
  };
  return c(a.size() - 1, b.size() - 1);
}

TEST(PolylineTest, DiscreteFrechet) {
  const Line a{{0, 0, 0}, {1, 0, 0}, {2, 0, 0}};
  const Line b{{0, 1, 0}, {1, 1, 0}, {2, 1, 0}};
  EXPECT_DOUBLE_EQ(DiscreteFrechetDistance(a, b), 1.0);
  const Line reversed{{2, 1, 0}, {1, 1, 0}, {0, 1, 0}};
  EXPECT_DOUBLE_EQ(DiscreteFrechetDistance(a, reversed), std::sqrt(5.0));
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(-5, 5);
  for (int t = 0; t < 200; ++t) {
    Line p(1 + t % 9), q(1 + t % 7);
    for (Point3& v : p) v = {u(rng), u(rng), u(rng)};
    for (Point3& v : q) v = {u(rng), u(rng), u(rng)};
    EXPECT_DOUBLE_EQ(DiscreteFrechetDistance(p, q), FrechetByRecursion(p, q));
  }
}

TEST(PolylineTest, PrecisionRecallAtTolerance) {
  const Line predicted{{0, 0, 0}, {10, 0, 0}};
  const Line reference{{0, 0.2, 0}, {5, 0.2, 0}};
  // Step 1: predicted samples x = 0..10, within 0.5 of the reference for x <= 5 (6 of 11);
  // every reference sample lies 0.2 from the prediction.
  const PolylineScores s = PolylinePrecisionRecall(predicted, reference, 0.5, 1.0);
  EXPECT_DOUBLE_EQ(s.precision, 6.0 / 11.0);
  EXPECT_DOUBLE_EQ(s.recall, 1.0);
  EXPECT_DOUBLE_EQ(s.f_score, 12.0 / 17.0);
  const PolylineScores far = PolylinePrecisionRecall(predicted, Line{{0, 9, 0}, {1, 9, 0}}, 0.5);
  EXPECT_EQ(far.precision, 0.0);
  EXPECT_EQ(far.recall, 0.0);
  EXPECT_EQ(far.f_score, 0.0);
  const PolylineScores same = PolylinePrecisionRecall(predicted, predicted, 1e-9);
  EXPECT_EQ(same.f_score, 1.0);
}

}  // namespace
}  // namespace gtops::geometry

namespace gtops::geometry {
namespace {

// The matcher's early-exit variant equals the full distance bit for bit whenever it accepts, and
// says "above the limit" exactly when the full distance is.
TEST(MeanSymmetricDistanceAtMost, EqualsTheFullDistanceOrIsAboveTheLimit) {
  uint64_t state = 12345;
  auto next = [&]() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  int accepted = 0, rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<Point3> a, b;
    const double offset = next() * 4.0;  // lanes 0 to 4 m apart
    const int n = 2 + static_cast<int>(next() * 5);
    for (int i = 0; i < n; ++i) {
      const double x = i * (5 + next() * 10);
      a.push_back({x, next() * 0.3, 0});
      b.push_back({x + next() * 0.5, offset + next() * 0.3, 0});
    }
    for (double limit : {0.1, 0.5, 1.0, 3.0}) {
      const double full = MeanSymmetricDistance(a, b);
      const double fast = MeanSymmetricDistanceAtMost(a, b, limit);
      if (full <= limit) {
        EXPECT_EQ(fast, full) << trial << " " << limit;
        ++accepted;
      } else {
        EXPECT_GT(fast, limit) << trial << " " << limit;
        ++rejected;
      }
    }
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
  EXPECT_GT(MeanSymmetricDistanceAtMost({}, std::vector<Point3>{{0, 0, 0}, {1, 0, 0}}, 1.0), 1.0);
}

}  // namespace
}  // namespace gtops::geometry
