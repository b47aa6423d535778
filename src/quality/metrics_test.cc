// Metrics over hand-built outcomes (each value computed by hand in the comments), their
// intervals, and the merge of partial aggregates.
#include "quality/metrics.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

namespace gtops::quality {
namespace {

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
  for (int t = 0; t < 30; ++t) agg.Add(Frame(std::vector<Outcome>(5, Paired())), "t" + std::to_string(t));
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
    agg.Add(Frame(os), "t" + std::to_string(t));
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
      agg.Add(out, "t" + std::to_string(f % 25));
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
