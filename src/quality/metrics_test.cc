// Metrics over hand-built outcomes (each value computed by hand in the comments), their
// intervals, and the merge of partial aggregates.
#include "quality/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

#include <gtest/gtest.h>

namespace gtops::quality {
namespace {

// prefix + i, built by appending (GCC 12 warns falsely, -Wrestrict, on "t" + std::to_string(i)).
template <typename Int>
std::string Numbered(std::string prefix, Int i) {
  prefix += std::to_string(i);
  return prefix;
}

Outcome Paired(ErrorMask errors = 0, double iou = 1.0) {
  Outcome o;
  o.kind = OutcomeKind::kPaired;
  o.reference = 0, o.label = 0;
  o.errors = errors;
  o.iou = iou;
  o.center_error_m = 0, o.size_error_rel = 0, o.heading_error_deg = 0;
  return o;
}
Outcome Missing() {
  Outcome o;
  o.kind = OutcomeKind::kMissing;
  o.errors = ErrorBit(ErrorType::kMissing);
  return o;
}
Outcome Extra() {
  Outcome o;
  o.kind = OutcomeKind::kExtra;
  o.errors = ErrorBit(ErrorType::kExtra);
  return o;
}

FrameComparison Frame(std::vector<Outcome> outcomes, GeometryKind g = GeometryKind::kBox3d, bool tracking = false) {
  FrameComparison f;
  f.geometry = g;
  f.tracking = tracking;
  f.outcomes = std::move(outcomes);
  return f;
}

MetricValue Get(const std::vector<MetricValue>& ms, std::string_view name) {
  for (const MetricValue& m : ms) {
    if (m.name == name) return m;
  }
  ADD_FAILURE() << "no metric " << name;
  return {};
}

bool Has(const std::vector<MetricValue>& ms, std::string_view name) {
  return std::any_of(ms.begin(), ms.end(), [&](const MetricValue& m) { return m.name == name; });
}

TEST(Metrics, WilsonIntervalMatchesTheFormula) {
  // Computed with Python from the textbook formula (z = 1.959963984540054).
  auto [lo, hi] = WilsonInterval(8, 10);
  EXPECT_NEAR(lo, 0.4901624715366418, 1e-12);
  EXPECT_NEAR(hi, 0.9433178485456248, 1e-12);
  auto [lo3, hi3] = WilsonInterval(3, 3);
  EXPECT_NEAR(lo3, 0.43850296824495455, 1e-12);
  EXPECT_DOUBLE_EQ(hi3, 1.0);
}

TEST(Metrics, RecallPrecisionAndF1) {
  // 3 paired, 1 missing, 2 extra: recall 3/4, precision 3/5, f1 = 2 * .6 * .75 / 1.35 = 2/3.
  QualityAggregate agg;
  agg.Add(Frame({Paired(), Paired(), Paired(), Missing(), Extra(), Extra()}), "t1");
  auto ms = ComputeMetrics(agg);
  EXPECT_DOUBLE_EQ(Get(ms, "recall").value, 0.75);
  EXPECT_EQ(Get(ms, "recall").n, 4);
  EXPECT_DOUBLE_EQ(Get(ms, "precision").value, 0.6);
  EXPECT_EQ(Get(ms, "precision").n, 5);
  EXPECT_NEAR(Get(ms, "f1").value, 2.0 / 3.0, 1e-12);
}

// QualityAggregate finds the cluster it added to last without a search: a copy or a moved-to
// aggregate adds to its own clusters, never to those of the aggregate it came from.
TEST(Metrics, CopiesAndMovesAddToTheirOwnClusters) {
  const FrameComparison frame = Frame({Paired(), Missing()});
  QualityAggregate a;
  a.Add(frame, "t1");
  QualityAggregate copy = a;
  copy.Add(frame, "t1");
  copy.AddOutcome(frame, frame.outcomes[0], "t1");
  EXPECT_EQ(a.clusters().at("t1").den[static_cast<int>(RateMetric::kRecall)], 2);
  EXPECT_EQ(copy.clusters().at("t1").den[static_cast<int>(RateMetric::kRecall)], 5);
  QualityAggregate assigned;
  assigned = a;
  assigned.Add(frame, "t1");
  EXPECT_EQ(a.clusters().at("t1").den[static_cast<int>(RateMetric::kRecall)], 2);
  QualityAggregate moved = std::move(copy);
  moved.Add(frame, "t2");
  moved.Add(frame, "t1");
  EXPECT_EQ(moved.clusters().at("t1").den[static_cast<int>(RateMetric::kRecall)], 7);
  EXPECT_EQ(moved.clusters().at("t2").den[static_cast<int>(RateMetric::kRecall)], 2);
  EXPECT_EQ(a.clusters().at("t1").den[static_cast<int>(RateMetric::kRecall)], 2);
}

TEST(Metrics, DuplicatesCountAgainstPrecisionNotRecall) {
  Outcome dup;
  dup.kind = OutcomeKind::kDuplicate;
  dup.errors = ErrorBit(ErrorType::kDuplicate);
  Outcome ignored;
  ignored.kind = OutcomeKind::kIgnored;
  QualityAggregate agg;
  agg.Add(Frame({Paired(), dup, ignored}), "t1");
  auto ms = ComputeMetrics(agg);
  EXPECT_DOUBLE_EQ(Get(ms, "recall").value, 1.0);
  EXPECT_DOUBLE_EQ(Get(ms, "precision").value, 0.5);
  EXPECT_EQ(Get(ms, "precision").n, 2);  // the ignored label is in no population
}

TEST(Metrics, ClassAccuracy) {
  QualityAggregate agg;
  agg.Add(Frame({Paired(ErrorBit(ErrorType::kWrongClass)), Paired(), Paired(), Paired(), Missing()}), "t");
  EXPECT_DOUBLE_EQ(Get(ComputeMetrics(agg), "class_accuracy").value, 0.75);  // 3 of 4 paired
}

TEST(Metrics, LocalizationAccuracyCountsEachBoxErrorOnce) {
  QualityAggregate agg;
  agg.Add(Frame({Paired(ErrorBit(ErrorType::kPosition) | ErrorBit(ErrorType::kSize)),
                 Paired(ErrorBit(ErrorType::kHeadingFlip)), Paired(ErrorBit(ErrorType::kAttribute)), Paired()}),
          "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_DOUBLE_EQ(Get(ms, "localization_accuracy").value, 0.5);  // 2 of 4 without box errors
  EXPECT_FALSE(Has(ms, "geometry_accuracy"));
}

TEST(Metrics, GeometryAccuracyForPolylines) {
  QualityAggregate agg;
  agg.Add(Frame({Paired(ErrorBit(ErrorType::kGeometry)), Paired(), Paired(), Paired(), Paired()},
                GeometryKind::kPolyline),
          "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_DOUBLE_EQ(Get(ms, "geometry_accuracy").value, 0.8);
  EXPECT_FALSE(Has(ms, "localization_accuracy"));
}

TEST(Metrics, AttributeAccuracyOverallAndPerAttribute) {
  // Object 1: moving equal, occlusion differs; object 2: moving equal. Overall 2/3;
  // moving 2/2, occlusion 0/1.
  FrameComparison f = Frame({Paired(ErrorBit(ErrorType::kAttribute)), Paired()});
  f.attributes = {{"moving", true}, {"occlusion", false}, {"moving", true}};
  f.outcomes[0].attribute_begin = 0, f.outcomes[0].attribute_end = 2;
  f.outcomes[1].attribute_begin = 2, f.outcomes[1].attribute_end = 3;
  QualityAggregate agg;
  agg.Add(f, "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_NEAR(Get(ms, "attribute_accuracy").value, 2.0 / 3.0, 1e-15);
  EXPECT_EQ(Get(ms, "attribute_accuracy").n, 3);
  EXPECT_DOUBLE_EQ(Get(ms, "attribute_accuracy.moving").value, 1.0);
  EXPECT_DOUBLE_EQ(Get(ms, "attribute_accuracy.occlusion").value, 0.0);
}

TEST(Metrics, TagAccuracy) {
  Outcome ok, bad;
  ok.kind = bad.kind = OutcomeKind::kTag;
  bad.errors = ErrorBit(ErrorType::kTag);
  QualityAggregate agg;
  agg.Add(Frame({ok, ok, bad}, GeometryKind::kTags), "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_NEAR(Get(ms, "tag_accuracy").value, 2.0 / 3.0, 1e-15);
  EXPECT_FALSE(Has(ms, "recall"));
}

TEST(Metrics, MeanIou) {
  QualityAggregate agg;
  agg.Add(Frame({Paired(0, 0.5), Paired(0, 0.75), Paired(0, 1.0), Missing()}), "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_NEAR(Get(ms, "mean_iou").value, 0.75, 1e-9);
  EXPECT_EQ(Get(ms, "mean_iou").n, 3);
}

TEST(Metrics, ErrorPercentilesByNearestRank) {
  // Position errors 0.1, 0.2, ..., 2.0 (20 values): p50 = 10th = 1.0, p95 = 19th = 1.9.
  std::vector<Outcome> os;
  for (int i = 1; i <= 20; ++i) {
    Outcome o = Paired();
    o.center_error_m = 0.1 * i;
    o.heading_error_deg = 180.0 * (i == 20);
    o.size_error_rel = 0.01 * (21 - i);
    os.push_back(o);
  }
  QualityAggregate agg;
  agg.Add(Frame(os), "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_NEAR(Get(ms, "position_error_p50_m").value, 1.0, 1e-6);
  EXPECT_NEAR(Get(ms, "position_error_p95_m").value, 1.9, 1e-6);
  EXPECT_NEAR(Get(ms, "size_error_p95_rel").value, 0.19, 1e-6);
  EXPECT_DOUBLE_EQ(Get(ms, "heading_error_p95_deg").value, 0.0);  // the flip is the 20th value
  EXPECT_LE(Get(ms, "position_error_p95_m").lo, 1.9f);
  EXPECT_GE(Get(ms, "position_error_p95_m").hi, 1.9f);
}

TEST(Metrics, IdSwitchRateOverPairedReferenceObjectsOfTrackingPipelines) {
  QualityAggregate agg;
  agg.Add(Frame({Paired(ErrorBit(ErrorType::kIdSwitch)), Paired(), Paired(), Paired(), Missing()},
                GeometryKind::kBox3d, true),
          "t");
  auto ms = ComputeMetrics(agg);
  EXPECT_DOUBLE_EQ(Get(ms, "id_switch_rate").value, 0.25);
  QualityAggregate untracked;
  untracked.Add(Frame({Paired()}), "t");
  EXPECT_FALSE(Has(ComputeMetrics(untracked), "id_switch_rate"));
}

TEST(Metrics, SafetyWeightedMissRate) {
  // A pedestrian (weight 5) at 25 m weighs 5 / (1 + 25/25) = 2.5 and is missed; a car (weight 3)
  // at 0 m weighs 3 and is found: 2.5 / 5.5.
  Outcome ped = Missing();
  ped.safety_weight = 5, ped.range_m = 25;
  Outcome car = Paired();
  car.safety_weight = 3, car.range_m = 0;
  QualityAggregate agg;
  agg.Add(Frame({ped, car}), "t");
  EXPECT_NEAR(Get(ComputeMetrics(agg), "safety_weighted_miss_rate").value, 2.5 / 5.5, 1e-9);
  EXPECT_DOUBLE_EQ(SafetyWeight(2.0, kNotMeasured), 2.0);
}

TEST(Metrics, FewClustersUseWilsonOnTheEffectiveSize) {
  // One task, 10 objects, 8 found: one cluster says little, so n_eff = 1 (every cluster one
  // observation): Wilson(0.8, 1).
  QualityAggregate agg;
  std::vector<Outcome> os(8, Paired());
  os.push_back(Missing()), os.push_back(Missing());
  agg.Add(Frame(os), "t");
  const MetricValue r = Get(ComputeMetrics(agg), "recall");
  EXPECT_EQ(r.method, "wilson");
  auto [lo, hi] = WilsonInterval(0.8, 1.0);
  EXPECT_DOUBLE_EQ(r.lo, lo);
  EXPECT_DOUBLE_EQ(r.hi, hi);
}

TEST(Metrics, NoFailuresIsNeverZeroWidth) {
  // 30 tasks of 5 objects, all found: Wilson on n_eff = 30 tasks.
  QualityAggregate agg;
  for (int t = 0; t < 30; ++t) agg.Add(Frame(std::vector<Outcome>(5, Paired())), Numbered("t", t));
  const MetricValue r = Get(ComputeMetrics(agg), "recall");
  EXPECT_EQ(r.method, "wilson");
  EXPECT_DOUBLE_EQ(r.value, 1.0);
  EXPECT_NEAR(r.lo, WilsonInterval(30, 30).first, 1e-12);
  EXPECT_LT(r.lo, 1.0);
  EXPECT_DOUBLE_EQ(r.hi, 1.0);
}

TEST(Metrics, ManyClustersUseTheSeededClusterBootstrap) {
  std::mt19937 rng(3);
  QualityAggregate agg;
  for (int t = 0; t < 50; ++t) {
    std::vector<Outcome> os;
    for (int i = 0; i < 10; ++i) os.push_back(rng() % 10 == 0 ? Missing() : Paired());
    agg.Add(Frame(os), Numbered("t", t));
  }
  auto a = ComputeMetrics(agg);
  auto b = ComputeMetrics(agg);
  const MetricValue r = Get(a, "recall");
  EXPECT_EQ(r.method, "bootstrap");
  EXPECT_LT(r.lo, r.value);
  EXPECT_GT(r.hi, r.value);
  EXPECT_EQ(r.lo, Get(b, "recall").lo);  // seeded: reproducible
  EXPECT_EQ(r.hi, Get(b, "recall").hi);
}

// The cluster bootstrap as first written, to check the fast one bit for bit: the same draws
// (mt19937_64 from the seed, rng() % K for each of the K draws of a resample), each resample's
// ratio summed in cluster order, its percentile selected from the pooled copies of the drawn
// clusters' values, and the same interval of the resampled statistics.
struct ReferenceBootstrap {
  ReferenceBootstrap(const QualityAggregate& agg, const MetricOptions& o) : options(o) {
    for (const auto& [key, c] : agg.clusters()) clusters.push_back(&c);
    const size_t k = clusters.size();
    std::mt19937_64 rng(options.seed);
    rows.assign(static_cast<size_t>(options.resamples), std::vector<uint16_t>(k, 0));
    for (auto& row : rows) {
      for (size_t i = 0; i < k; ++i) ++row[rng() % k];
    }
  }

  // `statistic(row)` for every resample; its (2.5, 97.5) percentiles.
  template <typename Statistic>
  std::pair<double, double> Interval(Statistic statistic) const {
    std::vector<double> stats;
    for (const auto& row : rows) {
      double v = statistic(row);
      if (std::isfinite(v)) stats.push_back(v);
    }
    std::sort(stats.begin(), stats.end());
    const double alpha = 1 - options.confidence, n = static_cast<double>(stats.size());
    auto lo = static_cast<size_t>(std::floor(alpha / 2 * n));
    auto hi = static_cast<size_t>(std::ceil((1 - alpha / 2) * n)) - 1;
    return {stats[std::min(lo, stats.size() - 1)], stats[std::min(hi, stats.size() - 1)]};
  }

  static double NearestRank(std::vector<float>& v, double q) {
    auto k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    k = std::clamp<size_t>(k, 1, v.size()) - 1;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }

  std::pair<double, double> Percentile(std::vector<float> ClusterTotals::*values, double q) const {
    std::vector<float> pool;
    return Interval([&](const std::vector<uint16_t>& row) {
      pool.clear();
      for (size_t i = 0; i < clusters.size(); ++i) {
        const std::vector<float>& v = clusters[i]->*values;
        for (int t = 0; t < row[i]; ++t) pool.insert(pool.end(), v.begin(), v.end());
      }
      return pool.empty() ? NAN : NearestRank(pool, q);
    });
  }

  // Σ_i m_i x(cluster i) in cluster order.
  template <typename X>
  double Sum(const std::vector<uint16_t>& row, X x) const {
    double s = 0;
    for (size_t i = 0; i < clusters.size(); ++i) {
      if (row[i] != 0) s += row[i] * x(*clusters[i]);
    }
    return s;
  }

  template <typename Num, typename Den>
  std::pair<double, double> Ratio(Num num, Den den) const {
    return Interval([&](const std::vector<uint16_t>& row) {
      double sd = Sum(row, den);
      return sd > 0 ? Sum(row, num) / sd : NAN;
    });
  }

  MetricOptions options;
  std::vector<const ClusterTotals*> clusters;
  std::vector<std::vector<uint16_t>> rows;
};

struct RandomShape {
  int clusters = 50;
  int mean_size = 10;       // paired objects per cluster: uniform in [0, 2 mean_size], 1 in 20 ten times more
  double no_values = 0.1;   // share of clusters with no paired object (missing or extra only)
  int levels = 0;           // 0: continuous values; else values rounded to ~this many levels (ties)
  bool skewed = false;      // one cluster holds more values than all the others, all far above them
  double safety_weight = 5; // the largest class weight
};

QualityAggregate RandomAggregate(uint64_t seed, const RandomShape& shape) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  QualityAggregate agg;
  int so_far = 0;
  for (int t = 0; t < shape.clusters; ++t) {
    const double level = 0.2 + 3 * u(rng);  // the task's error level: values correlate within it
    const bool heavy = shape.skewed && t == shape.clusters / 2;
    int n = static_cast<int>(rng() % static_cast<uint64_t>(2 * shape.mean_size + 1));
    if (rng() % 20 == 0) n *= 10;
    if (u(rng) < shape.no_values) n = 0;
    if (heavy) n = so_far + 500;
    so_far += n;
    auto value = [&](double scale) {
      double x = -std::log(1 - u(rng)) * level * scale;
      return shape.levels > 0 ? std::floor(x / scale * shape.levels / 8) : x;
    };
    std::vector<Outcome> os;
    for (int i = 0; i < n; ++i) {
      Outcome o = Paired(rng() % 10 == 0 ? ErrorBit(ErrorType::kPosition) : 0, 0.3 + 0.7 * u(rng));
      o.center_error_m = value(0.1);
      o.size_error_rel = value(0.02);
      o.heading_error_deg = value(2);
      if (heavy) o.center_error_m = o.size_error_rel = o.heading_error_deg = 1e5 + i;
      o.range_m = 80 * u(rng);
      o.safety_weight = 1 + std::floor(u(rng) * shape.safety_weight);
      os.push_back(o);
    }
    for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
      Outcome o = rng() % 2 == 0 ? Missing() : Extra();
      o.range_m = 80 * u(rng);
      o.safety_weight = 1 + std::floor(u(rng) * shape.safety_weight);
      os.push_back(o);
    }
    if (os.empty()) os.push_back(Missing());  // the cluster exists, with no values
    agg.Add(Frame(os), "task" + std::to_string(t));
  }
  return agg;
}

// The fast bootstrap (percentiles: values sorted once, a walk from the full sample's percentile;
// rates: vectorised exact sums shared between metrics) gives bit for bit the intervals of the
// bootstrap as first written: random data, clusters of varied sizes and with no values, ties,
// small and large samples, and a cluster so large that resampling it moves a percentile across
// most of the values (long walks).
TEST(Metrics, BootstrapIntervalsEqualTheReferenceBitForBit) {
  struct Case {
    const char* what;
    RandomShape shape;
    int resamples;
  };
  const Case cases[] = {
      {"small, continuous", {30, 3, 0.1, 0, false, 5}, 1000},
      {"small, many clusters without values", {60, 2, 0.5, 0, false, 5}, 400},
      {"medium", {300, 20, 0.1, 0, false, 5}, 100},
      {"medium, heavy ties", {300, 20, 0.1, 2, false, 5}, 100},
      {"large, ties", {2000, 12, 0.05, 40, false, 5}, 40},
      {"one cluster holds over half the values", {40, 10, 0.1, 0, true, 5}, 400},
      {"one cluster holds over half the values, ties", {60, 5, 0.3, 1, true, 5}, 400},
      // Σ weights beyond 2^21 (2^53 fixed-point units) in a resample; Σ weights² within int64.
      {"safety sums beyond 2^53 fixed-point units", {50, 300, 0.1, 0, false, 600}, 100},
  };
  // An error percentile's values and q, from its name ("size_error_p95_rel": size_error_rel, 0.95).
  auto percentile = [](std::string_view name) -> std::pair<std::vector<float> ClusterTotals::*, double> {
    const double q = name.find("_p95_") != std::string_view::npos ? 0.95 : 0.50;
    if (name.starts_with("position_error_")) return {&ClusterTotals::position_error_m, q};
    if (name.starts_with("size_error_")) return {&ClusterTotals::size_error_rel, q};
    if (name.starts_with("heading_error_")) return {&ClusterTotals::heading_error_deg, q};
    return {nullptr, q};
  };
  auto count = [](RateMetric m, bool num) {
    return [m, num](const ClusterTotals& c) {
      return static_cast<double>(num ? c.num[static_cast<int>(m)] : c.den[static_cast<int>(m)]);
    };
  };
  auto real = [](int64_t ClusterTotals::*sum) {
    return [sum](const ClusterTotals& c) { return static_cast<double>(c.*sum) / kFixedPointScale; };
  };
  int percentiles = 0, rates = 0;
  for (const Case& c : cases) {
    for (uint64_t seed : {1, 2, 3}) {
      for (uint64_t bootstrap_seed : {uint64_t{20261101}, uint64_t{7}}) {
        SCOPED_TRACE(std::string(c.what) + ", seed " + std::to_string(seed) + ", bootstrap seed " +
                     std::to_string(bootstrap_seed));
        const QualityAggregate agg = RandomAggregate(seed, c.shape);
        MetricOptions options;
        options.resamples = c.resamples;
        options.seed = bootstrap_seed;
        const auto ms = ComputeMetrics(agg, options);
        const ReferenceBootstrap ref(agg, options);
        const ClusterTotals total = agg.Total();
        int listed = 0;
        for (const MetricValue& m : ms) {
          auto [values, q] = percentile(m.name);
          if (values == nullptr) continue;
          ++listed;
          std::vector<float> all = total.*values;
          EXPECT_EQ(m.value, ReferenceBootstrap::NearestRank(all, q)) << m.name;
          if (m.method != "bootstrap") continue;
          auto [lo, hi] = ref.Percentile(values, q);
          EXPECT_EQ(m.lo, lo) << m.name;
          EXPECT_EQ(m.hi, hi) << m.name;
          ++percentiles;
        }
        EXPECT_EQ(listed, 6);
        auto check = [&](std::string_view name, std::pair<double, double> expected) {
          const MetricValue m = Get(ms, name);
          if (m.method != "bootstrap") return;
          EXPECT_EQ(m.lo, expected.first) << name;
          EXPECT_EQ(m.hi, expected.second) << name;
          ++rates;
        };
        for (RateMetric m : {RateMetric::kRecall, RateMetric::kPrecision, RateMetric::kLocalizationAccuracy}) {
          check(Name(m), ref.Ratio(count(m, true), count(m, false)));
        }
        check("mean_iou", ref.Ratio(real(&ClusterTotals::iou_sum),
                                    [](const ClusterTotals& t) { return static_cast<double>(t.iou_n); }));
        check("safety_weighted_miss_rate",
              ref.Ratio(real(&ClusterTotals::safety_missed), real(&ClusterTotals::safety_total)));
        auto f1 = [](double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; };
        check("f1", ref.Interval([&](const std::vector<uint16_t>& row) {
          double rd = ref.Sum(row, count(RateMetric::kRecall, false));
          double pd = ref.Sum(row, count(RateMetric::kPrecision, false));
          return rd > 0 && pd > 0 ? f1(ref.Sum(row, count(RateMetric::kPrecision, true)) / pd,
                                       ref.Sum(row, count(RateMetric::kRecall, true)) / rd)
                                  : NAN;
        }));
      }
    }
  }
  EXPECT_GT(percentiles, 200);  // the cases bootstrap most of their percentiles and rates
  EXPECT_GT(rates, 200);
}

// Shards of one run merged in any order give exactly the metrics of the run.
TEST(Metrics, ShardsMergedInAnyOrderEqualOneRun) {
  std::mt19937 rng(11);
  std::vector<std::pair<std::string, FrameComparison>> frames;
  for (int i = 0; i < 400; ++i) {
    std::vector<Outcome> os;
    int n = static_cast<int>(rng() % 8);
    for (int j = 0; j < n; ++j) {
      unsigned r = rng() % 20;
      Outcome o = r == 0 ? Missing() : r == 1 ? Extra() : Paired(r == 2 ? ErrorBit(ErrorType::kHeading) : 0,
                                                                 0.5 + 0.001 * (rng() % 500));
      o.center_error_m = 0.001 * (rng() % 1000);
      o.range_m = rng() % 80;
      o.safety_weight = 1 + rng() % 5;
      os.push_back(o);
    }
    frames.emplace_back("task" + std::to_string(rng() % 60), Frame(os, GeometryKind::kBox3d, true));
  }
  QualityAggregate whole;
  for (auto& [task, f] : frames) whole.Add(f, task);
  const auto expected = ComputeMetrics(whole);

  for (int trial = 0; trial < 5; ++trial) {
    std::vector<QualityAggregate> shards(4);
    for (auto& [task, f] : frames) shards[rng() % 4].Add(f, task);  // tasks split across shards
    std::shuffle(shards.begin(), shards.end(), rng);
    QualityAggregate left;  // ((a + b) + c) + d
    for (auto& s : shards) left.Merge(s);
    QualityAggregate ab = shards[0], cd = shards[2];  // (a + b) + (c + d)
    ab.Merge(shards[1]);
    cd.Merge(shards[3]);
    cd.Merge(ab);
    for (const QualityAggregate* merged : {&left, &cd}) {
      auto got = ComputeMetrics(*merged);
      ASSERT_EQ(got.size(), expected.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].name, expected[i].name);
        EXPECT_EQ(got[i].value, expected[i].value) << got[i].name;
        EXPECT_EQ(got[i].lo, expected[i].lo) << got[i].name;
        EXPECT_EQ(got[i].hi, expected[i].hi) << got[i].name;
        EXPECT_EQ(got[i].n, expected[i].n) << got[i].name;
      }
    }
  }
}

// Shuffling the objects of every frame changes no metric.
TEST(Metrics, ShufflingObjectsChangesNoMetric) {
  PipelineSpec p;
  p.geometry = GeometryKind::kBox3d;
  p.match = {MatchRule::Kind::kBevIou, 0.3};
  p.tolerances.position_m = 0.3;
  p.tolerances.size_rel = 0.1;
  p.tolerances.heading_deg = 10;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-50, 50), noise(-0.4, 0.4);
  auto box = [](double x, double y, double yaw) {
    Object o;
    o.cls = "car";
    o.box3d = {x, y, 0.75, 4, 2, 1.5, yaw};
    return o;
  };
  std::vector<LabelRecord> gold(30), labels(30);
  for (int f = 0; f < 30; ++f) {
    for (int i = 0; i < 12; ++i) {
      double x = u(rng), y = u(rng), yaw = u(rng) / 20;
      gold[f].objects.push_back(box(x, y, yaw));
      if (rng() % 9) labels[f].objects.push_back(box(x + noise(rng), y + noise(rng), yaw + noise(rng)));
    }
    labels[f].objects.push_back(box(u(rng), u(rng), 0));
  }
  auto run = [&]() {
    FrameComparer comparer(p);
    QualityAggregate agg;
    FrameComparison out;
    for (int f = 0; f < 30; ++f) {
      comparer.Compare(labels[f], gold[f], out);
      agg.Add(out, Numbered("t", f % 25));
    }
    return ComputeMetrics(agg);
  };
  auto before = run();
  for (int f = 0; f < 30; ++f) {
    std::shuffle(gold[f].objects.begin(), gold[f].objects.end(), rng);
    std::shuffle(labels[f].objects.begin(), labels[f].objects.end(), rng);
  }
  auto after = run();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].value, before[i].value) << after[i].name;
    EXPECT_EQ(after[i].lo, before[i].lo) << after[i].name;
    EXPECT_EQ(after[i].hi, before[i].hi) << after[i].name;
  }
}

}  // namespace
}  // namespace gtops::quality
