#include "agreement/box_fusion.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include <fmt/format.h>

namespace gtops::agreement {
namespace {

struct Weighted {
  double value, weight;
};

// The weighted median: the smallest value whose cumulative weight reaches half the total (the
// mean of the two middle values when the cumulative weight hits exactly half).
double WeightedMedian(std::vector<Weighted> v) {
  std::sort(v.begin(), v.end(), [](const Weighted& a, const Weighted& b) { return a.value < b.value; });
  double total = 0;
  for (const auto& e : v) total += e.weight;
  double run = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    run += v[i].weight;
    if (run > total / 2) return v[i].value;
    if (run == total / 2 && i + 1 < v.size()) return (v[i].value + v[i + 1].value) / 2;
  }
  return v.back().value;
}

// Huber M-estimate of location: start at the weighted median, scale 1.4826 x the weighted median
// absolute deviation (at least min_scale), then reweighted means where a member at distance r
// keeps weight w min(1, k s / r).
double HuberLocation(const std::vector<Weighted>& v, const BoxFusionOptions& options) {
  double centre = WeightedMedian(v);
  if (v.size() < 3) {  // nothing to be robust against: the weighted mean
    double sum = 0, total = 0;
    for (const auto& e : v) sum += e.weight * e.value, total += e.weight;
    return sum / total;
  }
  std::vector<Weighted> deviation(v);
  for (auto& e : deviation) e.value = std::fabs(e.value - centre);
  double bound = options.huber_k * std::max(1.4826 * WeightedMedian(deviation), options.min_scale_m);
  for (int it = 0; it < options.max_iterations; ++it) {
    double sum = 0, total = 0;
    for (const auto& e : v) {
      double r = std::fabs(e.value - centre);
      double w = e.weight * (r <= bound ? 1.0 : bound / r);
      sum += w * e.value, total += w;
    }
    double next = sum / total;
    if (std::fabs(next - centre) < 1e-9 * options.min_scale_m) return next;
    centre = next;
  }
  return centre;
}

double WrapAngle(double a) {  // into (-pi, pi]
  a = std::remainder(a, 2 * std::numbers::pi);
  return a <= -std::numbers::pi ? a + 2 * std::numbers::pi : a;
}

// kBadInput for wrong weights (count, sign, all 0); the sum of the weights otherwise.
Result<double> CheckWeights(size_t members, std::span<const double> weights) {
  if (members == 0) return Status::BadInput("box fusion: the cluster is empty");
  if (!weights.empty() && weights.size() != members)
    return Status::BadInput(fmt::format("box fusion: {} weights for {} boxes", weights.size(), members));
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
      return Status::BadInput(fmt::format("box fusion: box {}: weight {} must be >= 0", i, weights[i]));
    total += weights[i];
  }
  if (weights.empty()) total = static_cast<double>(members);
  if (!(total > 0)) return Status::BadInput("box fusion: the weights are all 0");
  return total;
}

}  // namespace

Result<FusedBox2d> FuseBoxes2d(std::span<const Box2d> boxes, std::span<const double> weights,
                               const BoxFusionOptions& options) {
  auto total = CheckWeights(boxes.size(), weights);
  if (!total.ok()) return total.status();
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box2d& b = boxes[i];
    for (double v : {b.x, b.y, b.w, b.h})
      if (!std::isfinite(v)) return Status::BadInput(fmt::format("box fusion: box {}: a value is not finite", i));
  }
  auto weight = [&](size_t i) { return weights.empty() ? 1.0 : weights[i]; };
  std::vector<Weighted> v(boxes.size());
  auto fuse = [&](auto value) {
    for (size_t i = 0; i < boxes.size(); ++i) v[i] = {value(boxes[i]), weight(i)};
    return HuberLocation(v, options);
  };
  const double cx = fuse([](const Box2d& b) { return b.x + b.w / 2; });
  const double cy = fuse([](const Box2d& b) { return b.y + b.h / 2; });
  const double w = fuse([](const Box2d& b) { return b.w; });
  const double h = fuse([](const Box2d& b) { return b.h; });
  FusedBox2d out;
  out.members = static_cast<int>(boxes.size());
  out.box = Box2d{cx - w / 2, cy - h / 2, w, h};
  double spread = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const double dx = boxes[i].x + boxes[i].w / 2 - cx, dy = boxes[i].y + boxes[i].h / 2 - cy;
    spread += weight(i) * (dx * dx + dy * dy);
  }
  out.centre_spread_px = std::sqrt(spread / *total);
  return out;
}

Result<FusedBox> FuseBoxes(std::span<const Box3d> boxes, std::span<const double> weights,
                           const BoxFusionOptions& options) {
  auto total = CheckWeights(boxes.size(), weights);
  if (!total.ok()) return total.status();
  const double total_weight = *total;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const Box3d& b = boxes[i];
    for (double v : {b.x, b.y, b.z, b.l, b.w, b.h, b.yaw})
      if (!std::isfinite(v)) return Status::BadInput(fmt::format("box fusion: box {}: a value is not finite", i));
  }
  auto weight = [&](size_t i) { return weights.empty() ? 1.0 : weights[i]; };

  FusedBox out;
  out.members = static_cast<int>(boxes.size());
  std::vector<Weighted> v(boxes.size());
  auto fuse = [&](double Box3d::*field) {
    for (size_t i = 0; i < boxes.size(); ++i) v[i] = {boxes[i].*field, weight(i)};
    return HuberLocation(v, options);
  };
  out.box.x = fuse(&Box3d::x), out.box.y = fuse(&Box3d::y), out.box.z = fuse(&Box3d::z);
  out.box.l = fuse(&Box3d::l), out.box.w = fuse(&Box3d::w), out.box.h = fuse(&Box3d::h);

  // Headings are axial data for this purpose: a box drawn facing backwards has yaw + pi. The mean
  // of the doubled angles is blind to that flip; the direction is then voted.
  double s2 = 0, c2 = 0;
  for (size_t i = 0; i < boxes.size(); ++i)
    s2 += weight(i) * std::sin(2 * boxes[i].yaw), c2 += weight(i) * std::cos(2 * boxes[i].yaw);
  double axis = std::atan2(s2, c2) / 2;
  double forward = 0;
  for (size_t i = 0; i < boxes.size(); ++i) forward += weight(i) * (std::cos(boxes[i].yaw - axis) >= 0 ? 1 : -1);
  if (forward == 0) forward = std::cos(boxes[0].yaw - axis) >= 0 ? 1 : -1;  // a tie: the first member's way
  out.box.yaw = WrapAngle(forward > 0 ? axis : axis + std::numbers::pi);
  double resultant = std::clamp(std::hypot(s2, c2) / total_weight, 1e-300, 1.0);  // of the doubled angles
  out.heading_spread_deg = std::sqrt(-2 * std::log(resultant)) / 2 * 180 / std::numbers::pi;

  double spread = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    out.flipped += std::cos(boxes[i].yaw - out.box.yaw) < 0;
    double dx = boxes[i].x - out.box.x, dy = boxes[i].y - out.box.y, dz = boxes[i].z - out.box.z;
    spread += weight(i) * (dx * dx + dy * dy + dz * dz);
  }
  out.centre_spread_m = std::sqrt(spread / total_weight);
  return out;
}

}  // namespace gtops::agreement
