#include "agreement/spread.h"

#include <numbers>

namespace gtops::agreement {

double MatchedF1(int64_t matched, int64_t unmatched) {
  const double den = 2.0 * static_cast<double>(matched) + static_cast<double>(unmatched);
  if (den <= 0) return std::numeric_limits<double>::quiet_NaN();
  return 2.0 * static_cast<double>(matched) / den;
}

namespace {

// Mean of v over the members, and the sum of squared deviations relative to that mean.
template <typename Get>
double RelativeSs(size_t n, Get get) {
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += get(i);
  mean /= static_cast<double>(n);
  if (!(mean > 0)) return 0;
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = (get(i) - mean) / mean;
    ss += d * d;
  }
  return ss;
}

template <typename Get>
double AbsoluteSs(size_t n, Get get) {
  double mean = 0;
  for (size_t i = 0; i < n; ++i) mean += get(i);
  mean /= static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += (get(i) - mean) * (get(i) - mean);
  return ss;
}

}  // namespace

void SpreadAccumulator::Add(std::span<const Box3d> b) {
  if (b.size() < 2) return;
  const size_t n = b.size();
  ++clusters_;
  members_ += static_cast<int64_t>(n);
  has_heading_ = true;
  centre_ss_ += AbsoluteSs(n, [&](size_t i) { return b[i].x; }) + AbsoluteSs(n, [&](size_t i) { return b[i].y; }) +
                AbsoluteSs(n, [&](size_t i) { return b[i].z; });
  // The size deviation of a member is the mean of its three squared relative deviations.
  size_ss_ += (RelativeSs(n, [&](size_t i) { return b[i].l; }) + RelativeSs(n, [&](size_t i) { return b[i].w; }) +
               RelativeSs(n, [&](size_t i) { return b[i].h; })) / 3.0;
  double s = 0, c = 0;
  for (const Box3d& x : b) s += std::sin(x.yaw), c += std::cos(x.yaw);
  const double mean = std::atan2(s, c);
  for (const Box3d& x : b) {
    const double d = std::remainder(x.yaw - mean, 2 * std::numbers::pi) * 180.0 / std::numbers::pi;
    heading_ss_ += d * d;
  }
}

void SpreadAccumulator::Add(std::span<const Box2d> b) {
  if (b.size() < 2) return;
  const size_t n = b.size();
  ++clusters_;
  members_ += static_cast<int64_t>(n);
  centre_ss_ += AbsoluteSs(n, [&](size_t i) { return b[i].x + b[i].w / 2; }) +
                AbsoluteSs(n, [&](size_t i) { return b[i].y + b[i].h / 2; });
  size_ss_ += (RelativeSs(n, [&](size_t i) { return b[i].w; }) + RelativeSs(n, [&](size_t i) { return b[i].h; })) / 2.0;
}

void SpreadAccumulator::Merge(const SpreadAccumulator& o) {
  clusters_ += o.clusters_;
  members_ += o.members_;
  centre_ss_ += o.centre_ss_;
  size_ss_ += o.size_ss_;
  heading_ss_ += o.heading_ss_;
  has_heading_ = has_heading_ || o.has_heading_;
}

double SpreadAccumulator::Pooled(double ss) const {
  const int64_t dof = members_ - clusters_;
  if (dof <= 0) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(ss / static_cast<double>(dof));
}

}  // namespace gtops::agreement
