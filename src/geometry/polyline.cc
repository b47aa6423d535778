#include "geometry/polyline.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gtops::geometry {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Dist2(const Point3& a, const Point3& b) {
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

// Squared distance from p to the closed segment [a, b].
double SegmentDist2(const Point3& p, const Point3& a, const Point3& b) {
  const double ux = b.x - a.x, uy = b.y - a.y, uz = b.z - a.z;
  const double len2 = ux * ux + uy * uy + uz * uz;
  double t = 0.0;
  if (len2 > 0) {
    t = ((p.x - a.x) * ux + (p.y - a.y) * uy + (p.z - a.z) * uz) / len2;
    t = std::clamp(t, 0.0, 1.0);
  }
  const Point3 q{a.x + t * ux, a.y + t * uy, a.z + t * uz};
  return Dist2(p, q);
}

double PolylineDist2(const Point3& p, std::span<const Point3> line) {
  if (line.empty()) return kInf;
  if (line.size() == 1) return Dist2(p, line[0]);
  double best = kInf;
  for (size_t i = 0; i + 1 < line.size(); ++i) best = std::min(best, SegmentDist2(p, line[i], line[i + 1]));
  return best;
}

// Mean over `points` of their distance to `line`.
double MeanDistance(std::span<const Point3> points, std::span<const Point3> line) {
  if (points.empty() || line.empty()) return kInf;
  double sum = 0.0;
  for (const Point3& p : points) sum += std::sqrt(PolylineDist2(p, line));
  return sum / static_cast<double>(points.size());
}

// Share of `points` within `tolerance` of `line`.
double ShareWithin(std::span<const Point3> points, std::span<const Point3> line, double tolerance) {
  if (points.empty() || line.empty()) return 0.0;
  const double tol2 = tolerance * tolerance;
  size_t hits = 0;
  for (const Point3& p : points) hits += PolylineDist2(p, line) <= tol2 ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(points.size());
}

}  // namespace

double PointToPolylineDistance(const Point3& p, std::span<const Point3> line) {
  return std::sqrt(PolylineDist2(p, line));
}

double PolylineLength(std::span<const Point3> line) {
  double length = 0.0;
  for (size_t i = 0; i + 1 < line.size(); ++i) length += std::sqrt(Dist2(line[i], line[i + 1]));
  return length;
}

std::vector<Point3> ResamplePolyline(std::span<const Point3> line, double step) {
  if (line.empty()) return {};
  if (!(step > 0)) return {line.begin(), line.end()};
  std::vector<Point3> out;
  out.push_back(line[0]);
  // Arc length of the next sample, counted as an integer multiple of step so that rounding does
  // not accumulate along long lines.
  size_t k = 1;
  double walked = 0.0;  // arc length at the start of the current segment
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    const Point3& a = line[i];
    const Point3& b = line[i + 1];
    const double seg = std::sqrt(Dist2(a, b));
    if (seg > 0) {
      for (double s = static_cast<double>(k) * step; s <= walked + seg; s = static_cast<double>(++k) * step) {
        const double t = (s - walked) / seg;
        out.push_back({a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), a.z + t * (b.z - a.z)});
      }
    }
    walked += seg;
  }
  const double last_sample = static_cast<double>(k - 1) * step;
  if (walked - last_sample > 1e-9 * step) out.push_back(line.back());
  return out;
}

double ChamferDistance(std::span<const Point3> a, std::span<const Point3> b) {
  return 0.5 * (MeanDistance(a, b) + MeanDistance(b, a));
}

double MeanSymmetricDistance(std::span<const Point3> a, std::span<const Point3> b, double step) {
  const std::vector<Point3> ra = ResamplePolyline(a, step);
  const std::vector<Point3> rb = ResamplePolyline(b, step);
  return 0.5 * (MeanDistance(ra, b) + MeanDistance(rb, a));
}

double MeanSymmetricDistanceAtMost(std::span<const Point3> a, std::span<const Point3> b, double limit,
                                   double step) {
  if (a.empty() || b.empty()) return kInf;
  // The same sums in the same order as MeanDistance, so an accepted value is bit-identical.
  const std::vector<Point3> ra = ResamplePolyline(a, step);
  const double na = static_cast<double>(ra.size());
  double sum_a = 0.0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sum_a += std::sqrt(PolylineDist2(ra[i], b));
    if ((i & 15) == 15 && 0.5 * (sum_a / na) > limit) return kInf;
  }
  const double mean_a = sum_a / na;
  if (0.5 * mean_a > limit) return kInf;
  const std::vector<Point3> rb = ResamplePolyline(b, step);
  const double nb = static_cast<double>(rb.size());
  double sum_b = 0.0;
  for (size_t i = 0; i < rb.size(); ++i) {
    sum_b += std::sqrt(PolylineDist2(rb[i], a));
    if ((i & 15) == 15 && 0.5 * (mean_a + sum_b / nb) > limit) return kInf;
  }
  return 0.5 * (mean_a + sum_b / nb);
}

double DiscreteFrechetDistance(std::span<const Point3> a, std::span<const Point3> b) {
  if (a.empty() || b.empty()) return kInf;
  // row[j] = coupling distance of a[0..i] with b[0..j]; squared distances throughout.
  std::vector<double> row(b.size());
  row[0] = Dist2(a[0], b[0]);
  for (size_t j = 1; j < b.size(); ++j) row[j] = std::max(row[j - 1], Dist2(a[0], b[j]));
  for (size_t i = 1; i < a.size(); ++i) {
    double diag = row[0];  // previous row, column j - 1
    row[0] = std::max(row[0], Dist2(a[i], b[0]));
    for (size_t j = 1; j < b.size(); ++j) {
      const double up = row[j];
      row[j] = std::max(std::min({diag, up, row[j - 1]}), Dist2(a[i], b[j]));
      diag = up;
    }
  }
  return std::sqrt(row.back());
}

PolylineScores PolylinePrecisionRecall(std::span<const Point3> predicted,
                                       std::span<const Point3> reference, double tolerance,
                                       double step) {
  PolylineScores s;
  const std::vector<Point3> rp = ResamplePolyline(predicted, step);
  const std::vector<Point3> rr = ResamplePolyline(reference, step);
  s.precision = ShareWithin(rp, reference, tolerance);
  s.recall = ShareWithin(rr, predicted, tolerance);
  s.f_score = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  return s;
}

}  // namespace gtops::geometry
