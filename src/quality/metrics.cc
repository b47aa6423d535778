#include "quality/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>

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

// Fills value and interval: cluster bootstrap when there are enough clusters and both outcomes
// occur, else Wilson on the design-effect-adjusted n. `n_units` is the population's size (or a
// Kish effective size for weighted rates).
void RateInterval(const Ratio& r, double n_units, const Bootstrap& boot, const MetricOptions& options,
                  MetricValue& m) {
  double num = r.Num(), den = r.Den();
  m.value = num / den;
  m.clusters = static_cast<int64_t>(ClustersWith(r));
  if (m.clusters >= options.min_clusters && num > 0 && num < den && boot.resamples > 0) {
    std::vector<double> stats(static_cast<size_t>(boot.resamples));
    for (int b = 0; b < boot.resamples; ++b) {
      const uint16_t* row = boot.mult.data() + static_cast<size_t>(b) * boot.clusters;
      double sn = 0, sd = 0;
      for (size_t k = 0; k < boot.clusters; ++k) {
        if (row[k] == 0) continue;
        sn += row[k] * r.num[k];
        sd += row[k] * r.den[k];
      }
      stats[static_cast<size_t>(b)] = sd > 0 ? sn / sd : NAN;
    }
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

double NearestRank(std::vector<float>& v, double q) {
  size_t n = v.size();
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  k = std::clamp<size_t>(k, 1, n) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

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
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
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

void QualityAggregate::Add(const FrameComparison& frame, std::string_view cluster) {
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) it = clusters_.emplace(std::string(cluster), ClusterTotals{}).first;
  for (const Outcome& o : frame.outcomes) AddTo(it->second, frame, o);
}

void QualityAggregate::AddOutcome(const FrameComparison& frame, const Outcome& o, std::string_view cluster) {
  if (o.kind == OutcomeKind::kIgnored) return;
  auto it = clusters_.find(cluster);
  if (it == clusters_.end()) it = clusters_.emplace(std::string(cluster), ClusterTotals{}).first;
  AddTo(it->second, frame, o);
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
  const ClusterTotals total = aggregate.Total();

  auto rate = [&](RateMetric m) {
    Ratio r;
    r.num.reserve(k), r.den.reserve(k);
    for (const auto& [key, c] : clusters) {
      r.num.push_back(static_cast<double>(c.num[static_cast<int>(m)]));
      r.den.push_back(static_cast<double>(c.den[static_cast<int>(m)]));
    }
    return r;
  };
  std::array<std::optional<MetricValue>, kRateMetricCount> rates;
  auto emit_rate = [&](RateMetric m) {
    int64_t den = total.den[static_cast<int>(m)];
    if (den == 0) return;
    MetricValue v;
    v.name = std::string(Name(m));
    v.n = den;
    RateInterval(rate(m), static_cast<double>(den), boot, options, v);
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
      Ratio rr = rate(RateMetric::kRecall), pr = rate(RateMetric::kPrecision);
      std::vector<double> stats(static_cast<size_t>(boot.resamples));
      for (int b = 0; b < boot.resamples; ++b) {
        const uint16_t* row = boot.mult.data() + static_cast<size_t>(b) * k;
        double rn = 0, rd = 0, pn = 0, pd = 0;
        for (size_t i = 0; i < k; ++i) {
          rn += row[i] * rr.num[i], rd += row[i] * rr.den[i];
          pn += row[i] * pr.num[i], pd += row[i] * pr.den[i];
        }
        stats[static_cast<size_t>(b)] = rd > 0 && pd > 0 ? f1(pn / pd, rn / rd) : NAN;
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
    for (const auto& [key, c] : clusters) {
      r.num.push_back(Real(c.iou_sum));
      r.den.push_back(static_cast<double>(c.iou_n));
    }
    MetricValue v;
    v.name = "mean_iou";
    v.n = total.iou_n;
    RateInterval(r, static_cast<double>(total.iou_n), boot, options, v);
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
  std::vector<float> pool;
  for (const Pct& p : pcts) {
    std::vector<float> all = total.*(p.values);
    if (all.empty()) continue;
    MetricValue v;
    v.name = p.name;
    v.n = static_cast<int64_t>(all.size());
    v.value = NearestRank(all, p.q);
    size_t with = 0;
    for (const auto& [key, c] : clusters) with += (c.*(p.values)).empty() ? 0 : 1;
    v.clusters = static_cast<int64_t>(with);
    if (v.clusters >= options.min_clusters) {
      std::vector<double> stats(static_cast<size_t>(boot.resamples));
      for (int b = 0; b < boot.resamples; ++b) {
        const uint16_t* row = boot.mult.data() + static_cast<size_t>(b) * k;
        pool.clear();
        size_t i = 0;
        for (const auto& [key, c] : clusters) {
          for (uint16_t t = 0; t < row[i]; ++t) pool.insert(pool.end(), (c.*(p.values)).begin(), (c.*(p.values)).end());
          ++i;
        }
        stats[static_cast<size_t>(b)] = pool.empty() ? NAN : NearestRank(pool, p.q);
      }
      auto [lo, hi] = PercentileInterval(stats, options.confidence);
      v.lo = lo, v.hi = hi, v.method = "bootstrap";
    } else {
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
    for (const auto& [key, c] : clusters) {
      r.num.push_back(Real(c.safety_missed));
      r.den.push_back(Real(c.safety_total));
    }
    double sw = Real(total.safety_total), sw2 = Real(total.safety_total_sq);
    MetricValue v;
    v.name = "safety_weighted_miss_rate";
    v.n = total.safety_n;
    RateInterval(r, sw2 > 0 ? sw * sw / sw2 : static_cast<double>(total.safety_n), boot, options, v);
    out.push_back(v);
  }

  // Per attribute.
  std::vector<ClusterTotals::AttributeCounts> names = total.attributes;
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& counts : names) {
    Ratio r;
    for (const auto& [key, c] : clusters) {
      const auto* a = c.FindAttribute(counts.name);
      r.num.push_back(a == nullptr ? 0.0 : static_cast<double>(a->equal));
      r.den.push_back(a == nullptr ? 0.0 : static_cast<double>(a->compared));
    }
    MetricValue v;
    v.name = "attribute_accuracy." + counts.name;
    v.n = counts.compared;
    RateInterval(r, static_cast<double>(counts.compared), boot, options, v);
    out.push_back(v);
  }
  return out;
}

}  // namespace gtops::quality
