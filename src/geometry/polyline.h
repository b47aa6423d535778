// Distances between polylines (FORMAT.md `polyline`: lanes, road edges; 2D points have z = 0).
// Formulas in docs/geometry.md.
//
// Pure kernels: values in, value out, safe from any number of threads. Lines must have at least
// one point (FORMAT.md requires two); distances to an empty line are +infinity and scores 0.
#pragma once

#include <span>
#include <vector>

namespace gtops::geometry {

struct Point3 {
  double x = 0, y = 0, z = 0;
  friend bool operator==(const Point3&, const Point3&) = default;
};

// Euclidean distance from p to the nearest point of the polyline (its segments; a one-point line
// is that point). O(n).
double PointToPolylineDistance(const Point3& p, std::span<const Point3> line);

// Total length of the segments.
double PolylineLength(std::span<const Point3> line);

// Points at arc length 0, step, 2 step, ... along the line, plus its last point when the last
// multiple of `step` falls short of the end (by more than 1e-9 step). A line of zero length
// gives its first point only. `step` must be > 0 (a non-positive step returns the vertices).
std::vector<Point3> ResamplePolyline(std::span<const Point3> line, double step);

// Chamfer distance on the vertices as given: the mean over a's vertices of their distance to
// polyline b (point-to-segment), and the same from b to a, averaged:
//   (mean_{p in a} d(p, b) + mean_{q in b} d(q, a)) / 2.
double ChamferDistance(std::span<const Point3> a, std::span<const Point3> b);

// Mean symmetric distance (FORMAT.md `polyline_match_m` and `polyline_m`): the Chamfer distance
// of the two lines after each is resampled every `step` (ResamplePolyline), i.e.
//   (mean_{p in R(a)} d(p, b) + mean_{q in R(b)} d(q, a)) / 2,
// so that long segments weigh by their length, not by their vertex count.
inline constexpr double kDefaultPolylineStep = 0.1;
double MeanSymmetricDistance(std::span<const Point3> a, std::span<const Point3> b,
                             double step = kDefaultPolylineStep);

// MeanSymmetricDistance for matching: exactly its value when that is at most `limit`, otherwise
// some value above `limit` (+inf), found without finishing the sums once they prove the distance
// is above `limit` (every term is >= 0, so a partial sum bounds the whole from below).
double MeanSymmetricDistanceAtMost(std::span<const Point3> a, std::span<const Point3> b, double limit,
                                   double step = kDefaultPolylineStep);

// Discrete Fréchet distance (Eiter & Mannila 1994) between the vertex sequences: the smallest,
// over monotone couplings of the two sequences, of the largest point-to-point distance in the
// coupling. Sensitive to direction (a reversed line is far away). O(n m) time, O(m) memory.
// Resample first for a closer approximation of the continuous Fréchet distance.
double DiscreteFrechetDistance(std::span<const Point3> a, std::span<const Point3> b);

// Precision, recall and F-score of a predicted line against a reference at a tolerance: both are
// resampled every `step`; precision = share of the predicted points within `tolerance` (<=) of
// the reference polyline, recall = share of the reference points within `tolerance` of the
// predicted polyline, f_score = 2 P R / (P + R) (0 when both are 0).
struct PolylineScores {
  double precision = 0, recall = 0, f_score = 0;
};
PolylineScores PolylinePrecisionRecall(std::span<const Point3> predicted,
                                       std::span<const Point3> reference, double tolerance,
                                       double step = kDefaultPolylineStep);

}  // namespace gtops::geometry
