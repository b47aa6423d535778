// nuScenes detection metrics: mAP over centre-distance thresholds, the true-positive errors
// (ATE, ASE, AOE, AVE, AAE) and the nuScenes detection score, with the semantics of
// nuscenes-devkit's DetectionEval under config detection_cvpr_2019, without its dataset-dependent
// range and lidar-point filters. Definitions in docs/metrics.md.
//
// Pure kernel: values in, values out, no I/O; safe to call from many threads on different inputs.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gtops::quality {

inline constexpr int kNuscenesClassCount = 10;
inline constexpr int kNuscenesAttributeCount = 8;

// The detection classes in the devkit's order: car, truck, bus, trailer, construction_vehicle,
// pedestrian, motorcycle, bicycle, traffic_cone, barrier.
const std::array<std::string_view, kNuscenesClassCount>& NuscenesClassNames();
// pedestrian.moving, pedestrian.sitting_lying_down, pedestrian.standing, cycle.with_rider,
// cycle.without_rider, vehicle.moving, vehicle.parked, vehicle.stopped.
const std::array<std::string_view, kNuscenesAttributeCount>& NuscenesAttributeNames();
// Index of a name, or nullopt.
std::optional<int> NuscenesClassIndex(std::string_view name);
std::optional<int> NuscenesAttributeIndex(std::string_view name);

// A box of the detection results format: centre (m), size (w, l, h), rotation quaternion
// (w, x, y, z; need not be normalised), velocity (vx, vy; NaN when unknown).
struct NuscenesBox {
  std::array<double, 3> translation{};
  std::array<double, 3> size{};
  std::array<double, 4> rotation{1, 0, 0, 0};
  std::array<double, 2> velocity{};
  int detection_class = 0;  // index into NuscenesClassNames()
  double score = -1.0;      // detection_score (predictions)
  int attribute = -1;       // index into NuscenesAttributeNames(), -1 for none ("")
};

// The boxes of one sample. Predictions are ranked across samples in the order given (samples in
// order, boxes in order within a sample): it breaks score ties, the later box first.
struct NuscenesSample {
  std::string token;
  std::vector<NuscenesBox> gt;
  std::vector<NuscenesBox> pred;
};

inline constexpr std::array<double, 4> kNuscenesDistThresholds = {0.5, 1.0, 2.0, 4.0};

struct NuscenesClassMetrics {
  std::array<double, 4> ap{};  // per distance threshold
  double mean_ap = 0.0;
  // TP errors at the 2 m threshold; NaN where the class has none (cones: attribute, velocity and
  // orientation; barriers: attribute and velocity).
  double trans_err = 0.0, scale_err = 0.0, orient_err = 0.0, vel_err = 0.0, attr_err = 0.0;
};

struct NuscenesMetrics {
  std::array<NuscenesClassMetrics, kNuscenesClassCount> per_class{};
  double mean_ap = 0.0;
  // Means over classes, ignoring NaN: mATE, mASE, mAOE, mAVE, mAAE.
  double mate = 0.0, mase = 0.0, maoe = 0.0, mave = 0.0, maae = 0.0;
  double nd_score = 0.0;  // (5 mAP + sum of (1 - min(1, mTPE))) / 10
  std::int64_t num_gt = 0;
  std::int64_t num_pred = 0;
};

NuscenesMetrics EvaluateNuscenesDetection(std::span<const NuscenesSample> samples);

}  // namespace gtops::quality
