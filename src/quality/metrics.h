// Quality metrics over outcomes, with 95% intervals that respect clustering (docs/metrics.md,
// "Quality metrics"). A QualityAggregate is a partial result: it holds, per cluster (the task),
// the counts, fixed-point sums and exact error values that the metrics need, and its Merge is
// associative and commutative, so shards evaluated apart and merged in any order give exactly
// the metrics of one run (integer sums, clusters kept in key order, percentiles order-free).
//
// Percentiles are computed from the exact values (not a sketch): memory is 12 bytes per paired
// box3d object.
//
// Kernel: no I/O. A QualityAggregate is a value, not thread-safe; give each thread its own and
// merge them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quality/compare.h"

namespace gtops::quality {

// Rates kept as numerator / denominator per cluster.
enum class RateMetric {
  kRecall,                // paired reference objects / reference objects
  kPrecision,             // paired labels / labels
  kClassAccuracy,         // paired with the same class / paired
  kAttributeAccuracy,     // attribute values equal / compared on paired objects
  kLocalizationAccuracy,  // paired with no position, size, heading, heading_flip / paired (boxes)
  kGeometryAccuracy,      // paired with no geometry error / paired (polyline, polygon, mask)
  kTagAccuracy,           // tags equal / tags compared
  kIdSwitchRate,          // id switches / paired reference objects (tracking pipelines)
  kFragmentationRate,     // fragmentations / paired reference objects (tracking pipelines)
};
inline constexpr int kRateMetricCount = 9;
std::string_view Name(RateMetric m);

// Fixed-point scale of the sums of real values (IoU, safety weights): exact integer addition
// makes Merge associative; the resolution (2^-32) is far below any reported digit.
inline constexpr double kFixedPointScale = 4294967296.0;

// The safety weight of an object in the safety-weighted miss rate: its class's safety_weight
// times 1 / (1 + range_m / kSafetyRangeScaleM) (1 when it has no range: 2D geometry).
inline constexpr double kSafetyRangeScaleM = 25.0;
double SafetyWeight(double class_weight, double range_m);

struct ClusterTotals {
  std::array<int64_t, kRateMetricCount> num{}, den{};
  std::array<int64_t, kErrorTypeCount> errors{};  // outcomes with each error type
  int64_t iou_n = 0, iou_sum = 0, iou_sum_sq = 0;  // fixed point
  int64_t safety_missed = 0, safety_total = 0, safety_total_sq = 0, safety_n = 0;  // fixed point
  std::vector<float> position_error_m, size_error_rel, heading_error_deg;  // paired box3d
  struct AttributeCounts {
    std::string name;
    int64_t equal = 0, compared = 0;
  };
  std::vector<AttributeCounts> attributes;  // per attribute name, in first-seen order (few: a
                                            // linear search beats a map)
  AttributeCounts& Attribute(std::string_view name);
  const AttributeCounts* FindAttribute(std::string_view name) const;

  void Merge(const ClusterTotals& other);
};

class QualityAggregate {
 public:
  QualityAggregate() = default;
  // Copies and moves forget the last cluster added to (it points into the source's clusters).
  QualityAggregate(const QualityAggregate& other) : clusters_(other.clusters_) {}
  QualityAggregate(QualityAggregate&& other) noexcept : clusters_(std::move(other.clusters_)) { other.last_ = nullptr; }
  QualityAggregate& operator=(const QualityAggregate& other) {
    if (this != &other) {
      clusters_ = other.clusters_;
      last_ = nullptr;
    }
    return *this;
  }
  QualityAggregate& operator=(QualityAggregate&& other) noexcept {
    clusters_ = std::move(other.clusters_);
    last_ = nullptr;
    other.last_ = nullptr;
    return *this;
  }
  ~QualityAggregate() = default;

  // Adds the outcomes of one compared frame to the cluster `cluster` (the task).
  void Add(const FrameComparison& frame, std::string_view cluster);
  // Adds one outcome (for callers that split a frame's outcomes into groups).
  void AddOutcome(const FrameComparison& frame, const Outcome& o, std::string_view cluster);
  // Adds `other` into this one: associative and commutative.
  void Merge(const QualityAggregate& other);

  const std::map<std::string, ClusterTotals, std::less<>>& clusters() const { return clusters_; }
  ClusterTotals Total() const;  // all clusters summed
  bool empty() const { return clusters_.empty(); }

 private:
  static void AddTo(ClusterTotals& c, const FrameComparison& frame, const Outcome& o);
  ClusterTotals& Cluster(std::string_view cluster);
  std::map<std::string, ClusterTotals, std::less<>> clusters_;
  // The cluster added to last (outcomes of one task come together): found without a search.
  std::pair<const std::string, ClusterTotals>* last_ = nullptr;
};

struct MetricOptions {
  int resamples = 1000;     // cluster bootstrap resamples
  uint64_t seed = 20261101; // bootstrap seed: the same data and seed give the same intervals
  int min_clusters = 20;    // fewer clusters: Wilson on the design-effect-adjusted n
  double confidence = 0.95;
};

struct MetricValue {
  std::string name;   // "recall", "attribute_accuracy.occlusion", "heading_error_p95_deg", ...
  double value = 0;
  double lo = 0, hi = 0;  // the interval
  int64_t n = 0;          // its population: the denominator's count (objects, values, tags)
  int64_t clusters = 0;   // clusters (tasks) that contribute to it
  std::string method;     // "bootstrap", "wilson", "normal", "order_statistic"
};

// Every metric that has a non-empty population, in a fixed order: rates, f1, mean_iou, the
// error percentiles, safety_weighted_miss_rate, then attribute_accuracy.<name> by name.
std::vector<MetricValue> ComputeMetrics(const QualityAggregate& aggregate, const MetricOptions& options = {});

// Wilson score interval for `successes` of `n` (n may be fractional: an effective size).
std::pair<double, double> WilsonInterval(double successes, double n, double z = 1.959963984540054);

}  // namespace gtops::quality
