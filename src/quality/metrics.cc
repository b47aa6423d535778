#include "quality/metrics.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <deque>
#include <random>
#include <utility>

namespace gtops::quality {
namespace {

int64_t Fixed(double v) { return std::llround(v * kFixedPointScale); }
double Real(int64_t v) { return static_cast<double>(v) / kFixedPointScale; }

constexpr ErrorMask kLocalizationErrors = ErrorBit(ErrorType::kPosition) | ErrorBit(ErrorType::kSize) |
                                          ErrorBit(ErrorType::kHeading) | ErrorBit(ErrorType::kHeadingFlip);

// Shared cluster-bootstrap draws: mult[b * K + k] = times cluster k is drawn in resample b.
struct Bootstrap {
  int resamples = 0;
  size_t clusters = 0;
  std::vector<uint16_t> mult;
};

Bootstrap Draw(size_t clusters, const MetricOptions& options) {
  Bootstrap b;
  b.resamples = clusters == 0 ? 0 : options.resamples;
  b.clusters = clusters;
  b.mult.assign(static_cast<size_t>(b.resamples) * clusters, 0);
  std::mt19937_64 rng(options.seed);
  for (int r = 0; r < b.resamples; ++r) {
    uint16_t* row = b.mult.data() + static_cast<size_t>(r) * clusters;
    for (size_t i = 0; i < clusters; ++i) ++row[rng() % clusters];
  }
  return b;
}

// The (alpha/2, 1 - alpha/2) percentile interval of the finite values in `stats` (reordered).
std::pair<double, double> PercentileInterval(std::vector<double>& stats, double confidence) {
  std::erase_if(stats, [](double v) { return !std::isfinite(v); });
  if (stats.empty()) return {NAN, NAN};
  std::sort(stats.begin(), stats.end());
  double alpha = 1 - confidence;
  size_t n = stats.size();
  size_t lo = static_cast<size_t>(std::floor(alpha / 2 * static_cast<double>(n)));
  size_t hi = static_cast<size_t>(std::ceil((1 - alpha / 2) * static_cast<double>(n)));
  hi = hi == 0 ? 0 : hi - 1;
  return {stats[std::min(lo, n - 1)], stats[std::min(hi, n - 1)]};
}

double Z(double confidence) {
  // Two-sided normal quantile for the usual levels (0.95 by default).
  if (std::abs(confidence - 0.95) < 1e-12) return 1.959963984540054;
  if (std::abs(confidence - 0.90) < 1e-12) return 1.6448536269514722;
  if (std::abs(confidence - 0.99) < 1e-12) return 2.5758293035489004;
  return 1.959963984540054;
}

// A ratio sum(num) / sum(den) over clusters (num and den real-valued per cluster).
struct Ratio {
  std::vector<double> num, den;  // per cluster, in cluster order
  double Num() const { double s = 0; for (double v : num) s += v; return s; }
  double Den() const { double s = 0; for (double v : den) s += v; return s; }
};

// Effective sample size: n / design effect, the design effect estimated from the clusters'
// residuals (the ratio estimator's linearised variance over the binomial one), clipped to
// [1, n / K]. With no failures or no successes, or one cluster, the residuals say nothing:
// then every cluster counts as one observation (n_eff = K), the conservative end.
double EffectiveN(const Ratio& r, double n_units) {
  double n = r.Den();
  size_t k = 0;
  for (double d : r.den) k += d > 0 ? 1 : 0;
  if (n <= 0 || k == 0) return 0;
  double p = r.Num() / n;
  double max_deff = std::max(1.0, n_units / static_cast<double>(k));
  if (p <= 0 || p >= 1 || k < 2) return n_units / max_deff;
  double ss = 0;
  for (size_t i = 0; i < r.num.size(); ++i) {
    double e = r.num[i] - p * r.den[i];
    ss += e * e;
  }
  double var_ratio = static_cast<double>(k) / static_cast<double>(k - 1) * ss / (n * n);
  double var_binom = p * (1 - p) / n_units;
  double deff = std::clamp(var_ratio / var_binom, 1.0, max_deff);
  return n_units / deff;
}

size_t ClustersWith(const Ratio& r) {
  size_t k = 0;
  for (double d : r.den) k += d > 0 ? 1 : 0;
  return k;
}

// Σ_k m_k x_k, the clusters weighted by one resample's multiplicities, in 8 independent lanes
// (vectorised). Exact when every x_k is a non-negative integer and the sum is below 2^53.
double WeightedSum(const uint16_t* row, const double* x, size_t clusters) {
  double lane[8] = {};
  size_t k = 0;
  for (; k + 8 <= clusters; k += 8) {
    for (size_t j = 0; j < 8; ++j) lane[j] += row[k + j] * x[k + j];
  }
  double s = 0;
  for (; k < clusters; ++k) s += row[k] * x[k];
  for (double v : lane) s += v;
  return s;
}

// Per resample, Σ_k m_k x_k over a per-cluster column x, bit for bit the sum taken in cluster
// order (as the bootstrap was first written). When the x_k are non-negative multiples of 2^-e
// (counts: e = 0; the 32.32 fixed-point sums: e = 32), a sum below 2^(53 - e) has every partial
// sum exact in any order, so the vectorised sum of the x_k scaled by 2^e is taken and checked
// against 2^53 (rounding is monotone: a sum that reaches 2^53 anywhere stays at or above it);
// above it, or for other values, the sum is taken in cluster order. Each distinct column is
// summed once: the metrics share many (paired objects are recall's and precision's numerator,
// class and localization accuracy's denominator, the percentiles' sizes, ...).
class ResampledSums {
 public:
  explicit ResampledSums(const Bootstrap& boot) : boot_(boot) {}
  const Bootstrap& boot() const { return boot_; }

  const std::vector<double>& Of(const std::vector<double>& x) {
    for (const auto& [column, sums] : done_) {
      if (column == x) return sums;
    }
    return done_.emplace_back(x, Compute(x)).second;
  }

 private:
  std::vector<double> Compute(const std::vector<double>& x) const {
    constexpr double kExactBound = 9007199254740992.0;  // 2^53
    double scale = 0;
    for (double s : {1.0, kFixedPointScale}) {
      if (std::all_of(x.begin(), x.end(), [&](double v) {
            return v >= 0 && v * s < kExactBound && std::floor(v * s) == v * s;
          })) {
        scale = s;
        break;
      }
    }
    std::vector<double> scaled(x.size());
    for (size_t k = 0; k < x.size(); ++k) scaled[k] = x[k] * scale;
    std::vector<double> sums(static_cast<size_t>(boot_.resamples));
    for (int b = 0; b < boot_.resamples; ++b) {
      const uint16_t* row = boot_.mult.data() + static_cast<size_t>(b) * boot_.clusters;
      double s = scale > 0 ? WeightedSum(row, scaled.data(), boot_.clusters) : kExactBound;
      if (s < kExactBound) {
        s /= scale;
      } else {
        s = 0;
        for (size_t k = 0; k < boot_.clusters; ++k) {
          if (row[k] != 0) s += row[k] * x[k];
        }
      }
      sums[static_cast<size_t>(b)] = s;
    }
    return sums;
  }

  const Bootstrap& boot_;
  std::deque<std::pair<std::vector<double>, std::vector<double>>> done_;  // column, its sums
};

// Fills value and interval: cluster bootstrap when there are enough clusters and both outcomes
// occur, else Wilson on the design-effect-adjusted n. `n_units` is the population's size (or a
// Kish effective size for weighted rates).
void RateInterval(const Ratio& r, double n_units, ResampledSums& sums, const MetricOptions& options,
                  MetricValue& m) {
  double num = r.Num(), den = r.Den();
  m.value = num / den;
  m.clusters = static_cast<int64_t>(ClustersWith(r));
  if (m.clusters >= options.min_clusters && num > 0 && num < den && sums.boot().resamples > 0) {
    const std::vector<double>& sn = sums.Of(r.num);
    const std::vector<double>& sd = sums.Of(r.den);
    std::vector<double> stats(sn.size());
    for (size_t b = 0; b < stats.size(); ++b) stats[b] = sd[b] > 0 ? sn[b] / sd[b] : NAN;
    auto [lo, hi] = PercentileInterval(stats, options.confidence);
    if (hi > lo) {
      m.lo = lo, m.hi = hi, m.method = "bootstrap";
      return;
    }
  }
  double n_eff = EffectiveN(r, n_units);
  auto [lo, hi] = WilsonInterval(m.value * n_eff, n_eff, Z(options.confidence));
  m.lo = lo, m.hi = hi, m.method = "wilson";
}

// The 0-based index of the nearest-rank q-quantile (the ⌈q n⌉-th smallest) among n >= 1 values.
size_t NearestRankIndex(size_t n, double q) {
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  return std::clamp<size_t>(k, 1, n) - 1;
}

double NearestRank(std::vector<float>& v, double q) {
  size_t k = NearestRankIndex(v.size(), q);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// The cluster bootstrap of a nearest-rank percentile without pooling the resampled values.
// All values are sorted once, each with its cluster. A resample weights every sorted position
// by its cluster's multiplicity m_c; its pooled size is Σ m_c n_c and its percentile is the value
// at the position where the running weight first exceeds the target rank r (ties are equal
// values, so their order does not matter). The weight below the full sample's percentile
// position k0 is Σ m_c below_c (below_c: the cluster's values before k0), and the walk goes up
// or down from k0 until it crosses r: O(K + |shift|) per resample, the shift being how far the
// resample's percentile lies from the full sample's (a few standard deviations of the rank,
// √(Σ_c (below_c − q n_c)²), typically; at most N), and exactly the value that selecting the
// r-th smallest of the pooled copies gives.
class PercentileBootstrap {
 public:
  PercentileBootstrap(const std::vector<const ClusterTotals*>& clusters,
                      std::vector<float> ClusterTotals::*values, ResampledSums& sums)
      : sums_(sums), count_(clusters.size()) {
    size_t n = 0;
    for (const ClusterTotals* c : clusters) n += (c->*values).size();
    std::vector<uint64_t> keys;  // the value's bits in unsigned order, then its cluster
    keys.reserve(n);
    for (uint32_t k = 0; k < clusters.size(); ++k) {
      const std::vector<float>& v = clusters[k]->*values;
      count_[k] = static_cast<double>(v.size());
      for (float x : v) keys.push_back(uint64_t{OrderedBits(x)} << 32 | k);
    }
    SortByUpperHalf(keys);
    cluster_.resize(n);
    value_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      cluster_[i] = static_cast<uint32_t>(keys[i]);
      value_[i] = FromOrderedBits(static_cast<uint32_t>(keys[i] >> 32));
    }
  }

  // The q-quantile of all the values (NearestRank's).
  double Quantile(double q) const { return value_[NearestRankIndex(value_.size(), q)]; }

  // The resampled statistics (NaN for a resample with no values) of the q-quantile.
  std::vector<double> Resample(double q) const {
    const Bootstrap& boot = sums_.boot();
    std::vector<double> stats(static_cast<size_t>(boot.resamples), NAN);
    if (value_.empty()) return stats;
    const size_t k0 = NearestRankIndex(value_.size(), q);
    std::vector<double> below(count_.size(), 0);
    for (size_t i = 0; i < k0; ++i) ++below[cluster_[i]];
    // Sums of counts: exact integers (below 2^16 · 2^32).
    const std::vector<double>& sizes = sums_.Of(count_);
    const std::vector<double>& belows = sums_.Of(below);
    for (size_t b = 0; b < stats.size(); ++b) {
      const auto size = static_cast<uint64_t>(sizes[b]);
      if (size == 0) continue;
      const uint16_t* row = boot.mult.data() + b * boot.clusters;
      const uint64_t r = NearestRankIndex(size, q);
      auto cum = static_cast<uint64_t>(belows[b]);  // weight of the positions before p
      size_t p = k0;
      if (cum <= r) {
        while ((cum += row[cluster_[p]]) <= r) ++p;  // ends before the last position: size > r
      } else {
        do {
          --p;
          cum -= row[cluster_[p]];
        } while (cum > r);  // ends at position 0 at the latest: cum = 0 there
      }
      stats[b] = value_[p];
    }
    return stats;
  }

 private:
  // Float bits mapped so that unsigned order is the float order (-0 just before +0).
  static uint32_t OrderedBits(float x) {
    uint32_t u = std::bit_cast<uint32_t>(x);
    return (u & 0x80000000u) != 0 ? ~u : u | 0x80000000u;
  }
  static float FromOrderedBits(uint32_t u) {
    return std::bit_cast<float>((u & 0x80000000u) != 0 ? u & 0x7fffffffu : ~u);
  }
  // Stable LSD radix sort on the upper 32 bits, a byte per pass (skipping a byte all keys share).
  static void SortByUpperHalf(std::vector<uint64_t>& keys) {
    std::vector<uint64_t> sorted(keys.size());
    std::array<std::array<size_t, 256>, 4> start{};
    for (uint64_t key : keys) {
      for (int d = 0; d < 4; ++d) ++start[d][(key >> (32 + 8 * d)) & 255];
    }
    for (int d = 0; d < 4; ++d) {
      std::array<size_t, 256>& at = start[d];
      if (std::find(at.begin(), at.end(), keys.size()) != at.end()) continue;
      size_t sum = 0;
      for (size_t& c : at) sum += std::exchange(c, sum);
      for (uint64_t key : keys) sorted[at[(key >> (32 + 8 * d)) & 255]++] = key;
      keys.swap(sorted);
    }
  }

  ResampledSums& sums_;
  std::vector<double> count_;      // per cluster: its values
  std::vector<uint32_t> cluster_;  // per sorted position: the value's cluster
  std::vector<float> value_;       // the values, ascending
};

}  // namespace

std::string_view Name(RateMetric m) {
  switch (m) {
    case RateMetric::kRecall: return "recall";
    case RateMetric::kPrecision: return "precision";
    case RateMetric::kClassAccuracy: return "class_accuracy";
    case RateMetric::kAttributeAccuracy: return "attribute_accuracy";
    case RateMetric::kLocalizationAccuracy: return "localization_accuracy";
    case RateMetric::kGeometryAccuracy: return "geometry_accuracy";
    case RateMetric::kTagAccuracy: return "tag_accuracy";
    case RateMetric::kIdSwitchRate: return "id_switch_rate";
    case RateMetric::kFragmentationRate: return "fragmentation_rate";
  }
  return "?";
}

double SafetyWeight(double class_weight, double range_m) {
  if (std::isnan(range_m)) return class_weight;
  return class_weight / (1.0 + range_m / kSafetyRangeScaleM);
}

std::pair<double, double> WilsonInterval(double successes, double n, double z) {
  if (!(n > 0)) return {0.0, 1.0};
  double p = std::clamp(successes / n, 0.0, 1.0);
  double z2 = z * z;
  double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  // At p = 0 (p = 1) the lower (upper) end is exactly 0 (1); rounding would leave it a hair off,
  // and an interval that excludes its own estimate.
  return {p <= 0 ? 0.0 : std::max(0.0, centre - half), p >= 1 ? 1.0 : std::min(1.0, centre + half)};
}

ClusterTotals::AttributeCounts& ClusterTotals::Attribute(std::string_view name) {
  for (AttributeCounts& a : attributes) {
    if (a.name == name) return a;
  }
  attributes.push_back({std::string(name), 0, 0});
  return attributes.back();
}

const ClusterTotals::AttributeCounts* ClusterTotals::FindAttribute(std::string_view name) const {
  for (const AttributeCounts& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

void ClusterTotals::Merge(const ClusterTotals& o) {
  for (int i = 0; i < kRateMetricCount; ++i) num[i] += o.num[i], den[i] += o.den[i];
  for (int i = 0; i < kErrorTypeCount; ++i) errors[i] += o.errors[i];
  iou_n += o.iou_n, iou_sum += o.iou_sum, iou_sum_sq += o.iou_sum_sq;
  safety_missed += o.safety_missed, safety_total += o.safety_total;
  safety_total_sq += o.safety_total_sq, safety_n += o.safety_n;
  position_error_m.insert(position_error_m.end(), o.position_error_m.begin(), o.position_error_m.end());
  size_error_rel.insert(size_error_rel.end(), o.size_error_rel.begin(), o.size_error_rel.end());
  heading_error_deg.insert(heading_error_deg.end(), o.heading_error_deg.begin(), o.heading_error_deg.end());
  for (const AttributeCounts& a : o.attributes) {
    AttributeCounts& mine = Attribute(a.name);
    mine.equal += a.equal, mine.compared += a.compared;
  }
}

ClusterTotals& QualityAggregate::Cluster(std::string_view cluster) {
  if (last_ != nullptr && last_->first == cluster) return last_->second;
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) it = clusters_.emplace(std::string(cluster), ClusterTotals{}).first;
  last_ = &*it;
  return it->second;
}

void QualityAggregate::Add(const FrameComparison& frame, std::string_view cluster) {
  ClusterTotals& c = Cluster(cluster);
  for (const Outcome& o : frame.outcomes) AddTo(c, frame, o);
}

void QualityAggregate::AddOutcome(const FrameComparison& frame, const Outcome& o, std::string_view cluster) {
  if (o.kind == OutcomeKind::kIgnored) return;
  AddTo(Cluster(cluster), frame, o);
}

void QualityAggregate::AddTo(ClusterTotals& c, const FrameComparison& frame, const Outcome& o) {
  if (o.kind == OutcomeKind::kIgnored) return;
  auto count = [&](RateMetric m, bool success) {
    ++c.den[static_cast<int>(m)];
    if (success) ++c.num[static_cast<int>(m)];
  };
  for (int t = 0; t < kErrorTypeCount; ++t) {
    if (o.errors & (ErrorMask{1} << t)) ++c.errors[t];
  }
  if (o.kind == OutcomeKind::kTag) {
    count(RateMetric::kTagAccuracy, !HasError(o.errors, ErrorType::kTag));
    return;
  }
  const bool paired = o.kind == OutcomeKind::kPaired;
  if (paired || o.kind == OutcomeKind::kMissing) {
    count(RateMetric::kRecall, paired);
    int64_t w = Fixed(SafetyWeight(o.safety_weight, o.range_m));
    c.safety_total += w;
    c.safety_total_sq += Fixed(Real(w) * Real(w));
    ++c.safety_n;
    if (!paired) c.safety_missed += w;
  }
  if (paired || o.kind == OutcomeKind::kExtra || o.kind == OutcomeKind::kDuplicate) {
    count(RateMetric::kPrecision, paired);
  }
  if (!paired) return;
  count(RateMetric::kClassAccuracy, !HasError(o.errors, ErrorType::kWrongClass));
  if (frame.geometry == GeometryKind::kBox3d || frame.geometry == GeometryKind::kBox2d) {
    count(RateMetric::kLocalizationAccuracy, (o.errors & kLocalizationErrors) == 0);
  } else {
    count(RateMetric::kGeometryAccuracy, !HasError(o.errors, ErrorType::kGeometry));
  }
  for (uint32_t i = o.attribute_begin; i < o.attribute_end; ++i) {
    const AttributeCheck& a = frame.attributes[i];
    count(RateMetric::kAttributeAccuracy, a.equal);
    ClusterTotals::AttributeCounts& counts = c.Attribute(a.name);
    counts.equal += a.equal ? 1 : 0;
    ++counts.compared;
  }
  if (!std::isnan(o.iou)) {
    ++c.iou_n;
    c.iou_sum += Fixed(o.iou);
    c.iou_sum_sq += Fixed(o.iou * o.iou);
  }
  if (frame.geometry == GeometryKind::kBox3d) {
    c.position_error_m.push_back(static_cast<float>(o.center_error_m));
    c.size_error_rel.push_back(static_cast<float>(o.size_error_rel));
    c.heading_error_deg.push_back(static_cast<float>(o.heading_error_deg));
  }
  if (frame.tracking) {
    count(RateMetric::kIdSwitchRate, HasError(o.errors, ErrorType::kIdSwitch));
    count(RateMetric::kFragmentationRate, HasError(o.errors, ErrorType::kFragmentation));
  }
}

void QualityAggregate::Merge(const QualityAggregate& other) {
  for (const auto& [key, totals] : other.clusters_) {
    auto it = clusters_.find(key);
    if (it == clusters_.end()) {
      clusters_.emplace(key, totals);
    } else {
      it->second.Merge(totals);
    }
  }
}

ClusterTotals QualityAggregate::Total() const {
  ClusterTotals t;
  for (const auto& [key, c] : clusters_) t.Merge(c);
  return t;
}

std::vector<MetricValue> ComputeMetrics(const QualityAggregate& aggregate, const MetricOptions& options) {
  std::vector<MetricValue> out;
  const auto& clusters = aggregate.clusters();
  const size_t k = clusters.size();
  if (k == 0) return out;
  const Bootstrap boot = Draw(k, options);
  ResampledSums sums(boot);
  const ClusterTotals total = aggregate.Total();
  std::vector<const ClusterTotals*> cluster_list;  // in key order: the bootstrap's cluster index
  cluster_list.reserve(k);
  for (const auto& [key, c] : clusters) cluster_list.push_back(&c);

  std::array<Ratio, kRateMetricCount> by_rate;  // each rate's counts per cluster, in one pass
  for (Ratio& r : by_rate) r.num.reserve(k), r.den.reserve(k);
  for (const ClusterTotals* c : cluster_list) {
    for (int m = 0; m < kRateMetricCount; ++m) {
      by_rate[m].num.push_back(static_cast<double>(c->num[m]));
      by_rate[m].den.push_back(static_cast<double>(c->den[m]));
    }
  }
  auto rate = [&](RateMetric m) -> const Ratio& { return by_rate[static_cast<int>(m)]; };
  std::array<std::optional<MetricValue>, kRateMetricCount> rates;
  auto emit_rate = [&](RateMetric m) {
    int64_t den = total.den[static_cast<int>(m)];
    if (den == 0) return;
    MetricValue v;
    v.name = std::string(Name(m));
    v.n = den;
    RateInterval(rate(m), static_cast<double>(den), sums, options, v);
    rates[static_cast<int>(m)] = v;
    out.push_back(v);
  };
  for (RateMetric m : {RateMetric::kRecall, RateMetric::kPrecision}) emit_rate(m);

  // f1 from precision and recall: jointly bootstrapped when both were, else from the bounds of
  // their intervals (f1 increases in each).
  const auto& rec = rates[static_cast<int>(RateMetric::kRecall)];
  const auto& prec = rates[static_cast<int>(RateMetric::kPrecision)];
  if (rec && prec) {
    auto f1 = [](double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; };
    MetricValue v;
    v.name = "f1";
    v.value = f1(prec->value, rec->value);
    v.n = prec->n + rec->n;
    v.clusters = std::max(prec->clusters, rec->clusters);
    if (rec->method == "bootstrap" && prec->method == "bootstrap") {
      // Summed already for recall's and precision's intervals.
      const std::vector<double>& rn = sums.Of(rate(RateMetric::kRecall).num);
      const std::vector<double>& rd = sums.Of(rate(RateMetric::kRecall).den);
      const std::vector<double>& pn = sums.Of(rate(RateMetric::kPrecision).num);
      const std::vector<double>& pd = sums.Of(rate(RateMetric::kPrecision).den);
      std::vector<double> stats(rn.size());
      for (size_t b = 0; b < stats.size(); ++b) {
        stats[b] = rd[b] > 0 && pd[b] > 0 ? f1(pn[b] / pd[b], rn[b] / rd[b]) : NAN;
      }
      auto [lo, hi] = PercentileInterval(stats, options.confidence);
      v.lo = lo, v.hi = hi, v.method = "bootstrap";
    } else {
      v.lo = f1(prec->lo, rec->lo), v.hi = f1(prec->hi, rec->hi), v.method = "wilson";
    }
    out.push_back(v);
  }
  for (RateMetric m : {RateMetric::kClassAccuracy, RateMetric::kAttributeAccuracy,
                       RateMetric::kLocalizationAccuracy, RateMetric::kGeometryAccuracy,
                       RateMetric::kTagAccuracy, RateMetric::kIdSwitchRate, RateMetric::kFragmentationRate}) {
    emit_rate(m);
  }

  // mean_iou: bootstrap, or Wilson on the mean (a value in [0, 1] whose variance is at most
  // m (1 - m)) with the design-effect-adjusted n.
  if (total.iou_n > 0) {
    Ratio r;
    for (const ClusterTotals* c : cluster_list) {
      r.num.push_back(Real(c->iou_sum));
      r.den.push_back(static_cast<double>(c->iou_n));
    }
    MetricValue v;
    v.name = "mean_iou";
    v.n = total.iou_n;
    RateInterval(r, static_cast<double>(total.iou_n), sums, options, v);
    out.push_back(v);
  }

  // Error percentiles (nearest rank) over paired box3d objects.
  struct Pct {
    const char* name;
    std::vector<float> ClusterTotals::*values;
    double q;
  };
  const Pct pcts[] = {
      {"position_error_p50_m", &ClusterTotals::position_error_m, 0.50},
      {"position_error_p95_m", &ClusterTotals::position_error_m, 0.95},
      {"size_error_p50_rel", &ClusterTotals::size_error_rel, 0.50},
      {"size_error_p95_rel", &ClusterTotals::size_error_rel, 0.95},
      {"heading_error_p50_deg", &ClusterTotals::heading_error_deg, 0.50},
      {"heading_error_p95_deg", &ClusterTotals::heading_error_deg, 0.95},
  };
  std::optional<PercentileBootstrap> sorted;  // of the error vector of the last bootstrapped percentile
  std::vector<float> ClusterTotals::*sorted_values = nullptr;
  for (const Pct& p : pcts) {
    const std::vector<float>& values = total.*(p.values);
    if (values.empty()) continue;
    MetricValue v;
    v.name = p.name;
    v.n = static_cast<int64_t>(values.size());
    size_t with = 0;
    for (const ClusterTotals* c : cluster_list) with += (c->*(p.values)).empty() ? 0 : 1;
    v.clusters = static_cast<int64_t>(with);
    if (v.clusters >= options.min_clusters) {
      if (sorted_values != p.values) sorted.emplace(cluster_list, p.values, sums), sorted_values = p.values;
      v.value = sorted->Quantile(p.q);
      std::vector<double> stats = sorted->Resample(p.q);
      auto [lo, hi] = PercentileInterval(stats, options.confidence);
      v.lo = lo, v.hi = hi, v.method = "bootstrap";
    } else {
      std::vector<float> all = values;
      v.value = NearestRank(all, p.q);
      // Distribution-free order-statistic interval on the ranks, with every cluster counted as
      // one observation's worth of rank uncertainty (design effect n / K).
      double n = static_cast<double>(all.size());
      double deff = n / static_cast<double>(std::max<size_t>(with, 1));
      double half = Z(options.confidence) * std::sqrt(n * p.q * (1 - p.q) * deff);
      std::sort(all.begin(), all.end());
      auto at = [&](double rank) {
        size_t r = static_cast<size_t>(std::clamp(rank, 1.0, n));
        return static_cast<double>(all[r - 1]);
      };
      v.lo = at(std::floor(n * p.q - half));
      v.hi = at(std::ceil(n * p.q + half) + 1);
      v.method = "order_statistic";
    }
    out.push_back(v);
  }

  // Safety-weighted miss rate: sum of the weights of missed reference objects / sum of the
  // weights of all reference objects; the effective size of the weighted sample is Kish's
  // (sum w)^2 / sum w^2.
  if (total.safety_n > 0 && total.safety_total > 0) {
    Ratio r;
    for (const ClusterTotals* c : cluster_list) {
      r.num.push_back(Real(c->safety_missed));
      r.den.push_back(Real(c->safety_total));
    }
    double sw = Real(total.safety_total), sw2 = Real(total.safety_total_sq);
    MetricValue v;
    v.name = "safety_weighted_miss_rate";
    v.n = total.safety_n;
    RateInterval(r, sw2 > 0 ? sw * sw / sw2 : static_cast<double>(total.safety_n), sums, options, v);
    out.push_back(v);
  }

  // Per attribute.
  std::vector<ClusterTotals::AttributeCounts> names = total.attributes;
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& counts : names) {
    Ratio r;
    for (const ClusterTotals* c : cluster_list) {
      const auto* a = c->FindAttribute(counts.name);
      r.num.push_back(a == nullptr ? 0.0 : static_cast<double>(a->equal));
      r.den.push_back(a == nullptr ? 0.0 : static_cast<double>(a->compared));
    }
    MetricValue v;
    v.name = "attribute_accuracy." + counts.name;
    v.n = counts.compared;
    RateInterval(r, static_cast<double>(counts.compared), sums, options, v);
    out.push_back(v);
  }
  return out;
}

}  // namespace gtops::quality
