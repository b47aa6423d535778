// Geometric agreement of annotators on matched objects (docs/agreement.md, "Geometric
// agreement"): matched F1 between two annotators, and the spread of a cluster of matched boxes
// (centre, size and heading) pooled over clusters. Pure functions over values; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>

#include "core/records.h"

namespace gtops::agreement {

// Matched F1 of two annotators' object sets: 2 M / (2 M + U), M the matched pairs, U the objects
// of either annotator left unmatched. NaN when both sets are empty.
double MatchedF1(int64_t matched, int64_t unmatched);

// Sums of squared deviations from each cluster's mean, pooled over clusters. A cluster is the
// boxes (two or more) that different annotators drew for one object. Add() a cluster, then read
// the pooled standard deviations: sqrt(sum of squared deviations / sum over clusters of
// (members - 1)), i.e. the within-cluster standard deviation (docs/agreement.md).
class SpreadAccumulator {
 public:
  // Box3d: centre (x, y, z) in metres, sizes relative to the cluster's mean size (l, w, h),
  // headings as deviations from the circular mean, wrapped into (-180, 180] degrees (FORMAT.md:
  // yaw is directional, a flip is an error, so no modulo 180).
  void Add(std::span<const Box3d> boxes);
  // Box2d: centre (x + w / 2, y + h / 2) in pixels, sizes (w, h) relative; no heading.
  void Add(std::span<const Box2d> boxes);

  int64_t clusters() const { return clusters_; }
  int64_t members() const { return members_; }
  double CentreSd() const { return Pooled(centre_ss_); }   // metres (box3d) or pixels (box2d)
  double SizeSdRel() const { return Pooled(size_ss_); }    // relative (share of the mean size)
  double HeadingSdDeg() const { return has_heading_ ? Pooled(heading_ss_) : std::numeric_limits<double>::quiet_NaN(); }

  void Merge(const SpreadAccumulator& other);

 private:
  double Pooled(double ss) const;
  int64_t clusters_ = 0, members_ = 0;
  double centre_ss_ = 0, size_ss_ = 0, heading_ss_ = 0;
  bool has_heading_ = false;
};

}  // namespace gtops::agreement
