#include "geometry/polygon.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstdint>
#include <random>
#include <vector>

namespace gtops::geometry {
namespace {

using Polygon = std::vector<Ring>;

Ring Rect(double x0, double y0, double x1, double y1) {
  return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
}

TEST(PolygonTest, SignedRingAreaFollowsOrientation) {
  EXPECT_DOUBLE_EQ(SignedRingArea(Rect(0, 0, 3, 2)), 6.0);
  Ring cw = Rect(0, 0, 3, 2);
  std::reverse(cw.begin(), cw.end());
  EXPECT_DOUBLE_EQ(SignedRingArea(cw), -6.0);
  EXPECT_EQ(SignedRingArea(Ring{{0, 0}, {1, 1}}), 0.0);
}

TEST(PolygonTest, HandComputedAreasAndOverlaps) {
  const Polygon l_shape{{{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 3}, {0, 3}}};
  EXPECT_DOUBLE_EQ(PolygonArea(l_shape), 6.0);
  // The L against the unit-offset square [0.5, 2.5]^2: overlap [0.5,2.5]x[0.5,1] + [0.5,1]x[1,2.5].
  const Polygon square{Rect(0.5, 0.5, 2.5, 2.5)};
  EXPECT_DOUBLE_EQ(PolygonIntersectionArea(l_shape, square), 1.0 + 0.75);
  EXPECT_DOUBLE_EQ(PolygonIou(l_shape, square), 1.75 / (6.0 + 4.0 - 1.75));
  // Shared edges: [0,2]^2 and [1,3]x[0,2].
  EXPECT_DOUBLE_EQ(PolygonIou(Polygon{Rect(0, 0, 2, 2)}, Polygon{Rect(1, 0, 3, 2)}), 2.0 / 6.0);
}

TEST(PolygonTest, MultiRingRegionIsTheUnionOfItsRings) {
  // Two overlapping squares as the rings of one polygon: the overlap counts once.
  const Polygon two{Rect(0, 0, 2, 2), Rect(1, 1, 3, 3)};
  EXPECT_DOUBLE_EQ(PolygonArea(two), 7.0);
  // A ring inside another adds nothing (it is not a hole).
  EXPECT_DOUBLE_EQ(PolygonArea(Polygon{Rect(0, 0, 4, 4), Rect(1, 1, 2, 2)}), 16.0);
  // Disjoint parts add up; either ring orientation.
  Ring cw = Rect(10, 0, 11, 1);
  std::reverse(cw.begin(), cw.end());
  EXPECT_DOUBLE_EQ(PolygonArea(Polygon{Rect(0, 0, 2, 2), cw}), 5.0);
  EXPECT_DOUBLE_EQ(PolygonIntersectionArea(two, Polygon{Rect(1.5, 0, 2.5, 3)}), 2.5);
}

TEST(PolygonTest, IdenticalTouchingContainedDisjoint) {
  const Polygon star{{{0, 0}, {5, 2}, {10, 0}, {8, 5}, {10, 10}, {5, 8}, {0, 10}, {2, 5}}};
  EXPECT_DOUBLE_EQ(PolygonIou(star, star), 1.0);
  EXPECT_EQ(PolygonIou(Polygon{Rect(0, 0, 1, 1)}, Polygon{Rect(1, 0, 2, 1)}), 0.0);
  EXPECT_EQ(PolygonIou(Polygon{Rect(0, 0, 1, 1)}, Polygon{Rect(1, 1, 2, 2)}), 0.0);
  EXPECT_EQ(PolygonIou(Polygon{Rect(0, 0, 1, 1)}, Polygon{Rect(5, 5, 6, 6)}), 0.0);
  EXPECT_DOUBLE_EQ(PolygonIou(Polygon{Rect(0, 0, 4, 4)}, Polygon{Rect(1, 1, 3, 2)}), 2.0 / 16.0);
  EXPECT_EQ(PolygonIou(Polygon{}, Polygon{}), 0.0);
  EXPECT_EQ(PolygonIou(Polygon{Ring{{0, 0}, {1, 1}}}, Polygon{Rect(0, 0, 1, 1)}), 0.0);
  // Zero-area (collinear) ring.
  EXPECT_EQ(PolygonIou(Polygon{Ring{{0, 0}, {1, 0}, {2, 0}}}, Polygon{Rect(0, -1, 2, 1)}), 0.0);
}

// A random simple (star-shaped, generally non-convex) ring around (cx, cy).
Ring RandomStar(std::mt19937_64& rng, double cx, double cy, double r_min, double r_max, int n) {
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> angles(n);
  for (double& a : angles) a = unit(rng) * 2 * std::numbers::pi;
  std::sort(angles.begin(), angles.end());
  Ring ring;
  for (double a : angles) {
    const double r = r_min + (r_max - r_min) * unit(rng);
    ring.push_back({cx + r * std::cos(a), cy + r * std::sin(a)});
  }
  return ring;
}

// Area of the region by sampling an n x n grid of cell centres over [x0, x1] x [y0, y1]; a point
// is in a polygon when inside (even-odd) any of its rings.
struct Raster {
  double area_a = 0, area_b = 0, intersection = 0;
};

// Sorted x of the crossings of the ring's edges with the horizontal line at y (half-open rule).
std::vector<double> Crossings(const Ring& ring, double y) {
  std::vector<double> xs;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const Point2 p = ring[i], q = ring[j];
    if ((p.y > y) != (q.y > y)) xs.push_back(p.x + (y - p.y) / (q.y - p.y) * (q.x - p.x));
  }
  std::sort(xs.begin(), xs.end());
  return xs;
}

// Per sample column of one row: inside (even-odd) at least one ring of the polygon.
std::vector<uint8_t> RowCoverage(const Polygon& poly, double y, double x0, double hx, int n) {
  std::vector<uint8_t> in(n, 0);
  for (const Ring& ring : poly) {
    const std::vector<double> xs = Crossings(ring, y);
    size_t k = 0;
    for (int j = 0; j < n; ++j) {
      const double x = x0 + (j + 0.5) * hx;
      while (k < xs.size() && xs[k] < x) ++k;
      if (k % 2 == 1) in[j] = 1;
    }
  }
  return in;
}

Raster Rasterise(const Polygon& a, const Polygon& b, double x0, double y0, double x1, double y1,
                 int n) {
  Raster r;
  const double hx = (x1 - x0) / n, hy = (y1 - y0) / n;
  for (int i = 0; i < n; ++i) {
    const double y = y0 + (i + 0.5) * hy;
    const std::vector<uint8_t> in_a = RowCoverage(a, y, x0, hx, n);
    const std::vector<uint8_t> in_b = RowCoverage(b, y, x0, hx, n);
    for (int j = 0; j < n; ++j) {
      r.area_a += in_a[j];
      r.area_b += in_b[j];
      r.intersection += in_a[j] & in_b[j];
    }
  }
  r.area_a *= hx * hy;
  r.area_b *= hx * hy;
  r.intersection *= hx * hy;
  return r;
}

TEST(PolygonTest, MatchesFineRasterisationOnRandomNonConvexPolygons) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> centre(35, 65);
  std::uniform_int_distribution<int> vertices(3, 24);
  for (int t = 0; t < 12; ++t) {
    Polygon a{RandomStar(rng, centre(rng), centre(rng), 5, 30, vertices(rng))};
    Polygon b{RandomStar(rng, centre(rng), centre(rng), 5, 30, vertices(rng))};
    if (t % 3 == 0) a.push_back(RandomStar(rng, centre(rng), centre(rng), 3, 15, vertices(rng)));
    if (t % 4 == 0) b.push_back(RandomStar(rng, centre(rng), centre(rng), 3, 15, vertices(rng)));
    const PolygonOverlap exact = PolygonOverlapAreas(a, b);
    const Raster raster = Rasterise(a, b, 0, 0, 100, 100, 1000);
    // Cell area 0.01: the error of midpoint sampling is a fraction of (boundary length x 0.1).
    SCOPED_TRACE(t);
    EXPECT_NEAR(exact.area_a, raster.area_a, 2.0);
    EXPECT_NEAR(exact.area_b, raster.area_b, 2.0);
    EXPECT_NEAR(exact.intersection, raster.intersection, 2.0);
    EXPECT_NEAR(exact.Iou(), raster.intersection /
                                 (raster.area_a + raster.area_b - raster.intersection), 2e-3);
    // Single rings: the sweep's area equals the shoelace area.
    if (a.size() == 1) {
      EXPECT_NEAR(exact.area_a, std::abs(SignedRingArea(a[0])), 1e-9);
    }
    // Symmetry.
    EXPECT_NEAR(PolygonIntersectionArea(b, a), exact.intersection, 1e-9);
  }
}

TEST(PolygonTest, InvariantUnderRigidMotion) {
  std::mt19937_64 rng(13);
  for (int t = 0; t < 200; ++t) {
    const Polygon a{RandomStar(rng, 50, 50, 5, 30, 12)};
    const Polygon b{RandomStar(rng, 60, 45, 5, 30, 9)};
    const double iou = PolygonIou(a, b);
    const double angle = 0.37 * t, c = std::cos(angle), s = std::sin(angle);
    auto move = [&](const Polygon& p) {
      Polygon out = p;
      for (Ring& r : out) {
        for (Point2& v : r) v = {c * v.x - s * v.y + 1000, s * v.x + c * v.y - 300};
      }
      return out;
    };
    ASSERT_GE(iou, 0.0);
    ASSERT_LE(iou, 1.0);
    EXPECT_NEAR(PolygonIou(move(a), move(b)), iou, 1e-9);
    EXPECT_DOUBLE_EQ(PolygonIou(a, a), 1.0);
  }
}

TEST(IsSimpleRingTest, AcceptsSimpleRings) {
  EXPECT_TRUE(IsSimpleRing(Rect(0, 0, 1, 1)));
  EXPECT_TRUE(IsSimpleRing(Ring{{0, 0}, {1, 0}, {0, 1}}));
  EXPECT_TRUE(IsSimpleRing(Ring{{0, 0}, {4, 0}, {4, 1}, {1, 1}, {1, 3}, {0, 3}}));
  // A closing copy of the first vertex and repeated consecutive vertices are tolerated.
  EXPECT_TRUE(IsSimpleRing(Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}));
  // Collinear consecutive vertices are fine.
  EXPECT_TRUE(IsSimpleRing(Ring{{0, 0}, {1, 0}, {2, 0}, {2, 1}, {0, 1}}));
}

TEST(IsSimpleRingTest, RejectsSelfIntersectingAndDegenerateRings) {
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {1, 1}, {1, 0}, {0, 1}}));  // bow tie
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {1, 0}, {2, 0}}));          // zero area
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {1, 0}}));
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {0, 0}, {0, 0}}));
  EXPECT_FALSE(IsSimpleRing(Ring{}));
  // A spike folding back along the previous edge.
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {2, 0}, {1, 0}, {1, 1}}));
  // Touching itself at a repeated vertex (pinched) and a vertex on another edge.
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {2, 2}, {4, 0}, {4, 4}, {2, 2}, {0, 4}}));
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {4, 0}, {4, 4}, {2, 0}, {0, 4}}));
  // Two edges overlapping along a vertical line.
  EXPECT_FALSE(IsSimpleRing(Ring{{0, 0}, {0, 3}, {1, 3}, {0, 2}, {0, 1}, {1, 0}}));
}

// The O(n^2) definition, to check the pruned sweep against.
bool BruteForceSimple(Ring p) {
  Ring q;
  for (const Point2& v : p) {
    if (q.empty() || !(q.back() == v)) q.push_back(v);
  }
  while (q.size() > 1 && q.back() == q.front()) q.pop_back();
  const size_t n = q.size();
  if (n < 3) return false;
  auto orient = [](Point2 a, Point2 b, Point2 c) {
    const double v = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    return (v > 0) - (v < 0);
  };
  auto on = [](Point2 a, Point2 b, Point2 c) {
    return std::min(a.x, b.x) <= c.x && c.x <= std::max(a.x, b.x) &&
           std::min(a.y, b.y) <= c.y && c.y <= std::max(a.y, b.y);
  };
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const Point2 a = q[i], b = q[(i + 1) % n], c = q[j], d = q[(j + 1) % n];
      const bool adjacent = j == i + 1 || (i == 0 && j == n - 1);
      if (adjacent) {
        const Point2 s = j == i + 1 ? b : a, u = j == i + 1 ? a : b, v = j == i + 1 ? d : c;
        if (orient(u, s, v) == 0 && (u.x - s.x) * (v.x - s.x) + (u.y - s.y) * (v.y - s.y) > 0) {
          return false;
        }
        continue;
      }
      const int o1 = orient(a, b, c), o2 = orient(a, b, d), o3 = orient(c, d, a), o4 = orient(c, d, b);
      if (o1 * o2 < 0 && o3 * o4 < 0) return false;
      if ((o1 == 0 && on(a, b, c)) || (o2 == 0 && on(a, b, d)) || (o3 == 0 && on(c, d, a)) ||
          (o4 == 0 && on(c, d, b))) {
        return false;
      }
    }
  }
  return true;
}

TEST(IsSimpleRingTest, AgreesWithBruteForceOnRandomRings) {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int> coord(0, 6), count(3, 9);
  int simple = 0;
  for (int t = 0; t < 20000; ++t) {
    Ring ring(count(rng));
    for (Point2& p : ring) p = {static_cast<double>(coord(rng)), static_cast<double>(coord(rng))};
    const bool expected = BruteForceSimple(ring);
    simple += expected;
    ASSERT_EQ(IsSimpleRing(ring), expected) << t;
  }
  EXPECT_GT(simple, 500);
  // Star-shaped rings are simple.
  for (int t = 0; t < 200; ++t) EXPECT_TRUE(IsSimpleRing(RandomStar(rng, 0, 0, 1, 10, 50)));
}

}  // namespace
}  // namespace gtops::geometry
