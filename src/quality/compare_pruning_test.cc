// The box3d comparison's candidate pruning (grid over the labels' centres, bounding circles, an
// upper bound of the bird's-eye IoU) against the straightforward path that gates every pair
// (CompareOptions::prune_candidates = false): on random frames, every outcome field and every
// attribute check must be the same bit for bit. And the comparer's scratch memory does not grow
// with the number of frames compared.
#include <bit>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "quality/compare.h"

namespace gtops::quality {
namespace {

PipelineSpec RandomPipeline(std::mt19937_64& rng) {
  const double thresholds[] = {0.0, 0.1, 0.3, 0.5, 0.7, 1.0};
  PipelineSpec p;
  p.id = "lidar";
  p.geometry = GeometryKind::kBox3d;
  p.tracking = true;
  switch (rng() % 3) {
    case 0: p.match = {MatchRule::Kind::kBevIou, thresholds[rng() % 6]}; break;
    case 1: p.match = {MatchRule::Kind::kIou, thresholds[rng() % 6]}; break;
    default: p.match = {MatchRule::Kind::kCenterDistanceM, static_cast<double>(rng() % 4) * 0.5}; break;
  }
  p.tolerances.position_m = 0.3;
  p.tolerances.size_rel = 0.1;
  p.tolerances.heading_deg = 10;
  ClassSpec car, ped, truck;
  car.name = "car";
  car.safety_weight = 3;
  if (rng() % 2) car.match = MatchRule{MatchRule::Kind::kBevIou, thresholds[rng() % 6]};
  ped.name = "pedestrian";  // matched by centre distance
  ped.safety_weight = 5;
  ped.match = MatchRule{MatchRule::Kind::kCenterDistanceM, static_cast<double>(rng() % 4) * 0.5};
  truck.name = "truck";
  if (rng() % 3 == 0) truck.match = MatchRule{MatchRule::Kind::kNone, 0};
  p.classes = {car, ped, truck};
  return p;
}

// A gold frame and a vendor frame: sparse or dense (boxes on top of each other), coordinates on
// a 1 m lattice (many equal x: ties in the labels' order) or far from the origin, degenerate
// boxes, identical gold boxes, missed, duplicated, flipped, reclassified and extra labels.
void RandomFrame(std::mt19937_64& rng, LabelRecord& gold, LabelRecord& labels) {
  gold = {};
  labels = {};
  gold.source = Source::kGold;
  labels.source = Source::kVendor;
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  int n = static_cast<int>(rng() % 40);
  if (rng() % 4 == 0) n = static_cast<int>(rng() % 200);
  const double extent = rng() % 4 == 0 ? 3 : 2 + u(rng) * 100;
  const bool lattice = rng() % 3 == 0;
  const double offset = rng() % 6 == 0 ? 1e5 : 0;
  const char* classes[] = {"car", "pedestrian", "truck", "bus", "car"};
  const char* attrs[] = {"", R"({"moving":true})", R"({"moving":false})", R"({"moving":true,"occ":1})",
                         R"({"occ":1.0,"moving":true})"};
  auto coord = [&] {
    double v = (u(rng) - 0.5) * extent;
    return (lattice ? std::round(v) : v) + offset;
  };
  for (int i = 0; i < n; ++i) {
    Object o;
    o.id = "g" + std::to_string(i);
    if (rng() % 4) o.track = "t" + std::to_string(rng() % static_cast<uint64_t>(n + 1));
    o.cls = classes[rng() % 5];
    double l = 0.5 + u(rng) * 6, w = 0.5 + u(rng) * 2.5;
    if (rng() % 30 == 0) l = 0.005;  // below kMinBoxDimension: IoU 0 with everything
    double yaw = rng() % 3 == 0 ? 0 : (u(rng) - 0.5) * 7;
    if (rng() % 8 == 0) yaw = std::numbers::pi / 2 * static_cast<double>(rng() % 4);
    o.box3d = {coord(), coord(), 0.8, l, w, 1.6, yaw};
    o.attributes_json = attrs[rng() % 5];
    if (rng() % 3 == 0) o.num_points = static_cast<int64_t>(rng() % 100);
    gold.objects.push_back(o);
    const int copies = rng() % 10 == 0 ? 0 : (rng() % 8 == 0 ? 2 : 1);
    for (int c = 0; c < copies; ++c) {
      Object v = o;
      v.id = "v" + std::to_string(i) + "_" + std::to_string(c);
      if (rng() % 5) {  // else an exact copy: ties
        const double s = rng() % 4 == 0 ? 1.0 : 0.1;
        v.box3d.x += s * noise(rng);
        v.box3d.y += s * noise(rng);
        v.box3d.yaw += rng() % 10 == 0 ? std::numbers::pi : 0.05 * noise(rng);
        v.box3d.l *= 1 + 0.05 * noise(rng);
      }
      if (rng() % 10 == 0) v.cls = classes[rng() % 5];  // wrong_class (class-agnostic pairing)
      if (rng() % 5 == 0) v.attributes_json = attrs[rng() % 5];
      if (rng() % 4 == 0) v.track = "u" + std::to_string(rng() % static_cast<uint64_t>(n + 1));
      if (rng() % 2) v.score = static_cast<double>(rng() % 5) / 4;
      labels.objects.push_back(v);
    }
    if (rng() % 10 == 0) gold.objects.push_back(o);  // two identical gold boxes
  }
  for (int e = static_cast<int>(rng() % 5); e > 0; --e) {
    Object x;
    x.id = "x" + std::to_string(e);
    x.cls = "car";
    x.box3d = {coord(), coord(), 0.75, 4.5, 2.0, 1.5, u(rng) * 6};
    labels.objects.push_back(x);
  }
  std::shuffle(labels.objects.begin(), labels.objects.end(), rng);
}

bool Same(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

void ExpectSame(const FrameComparison& fast, const FrameComparison& slow, const std::string& where) {
  ASSERT_EQ(fast.outcomes.size(), slow.outcomes.size()) << where;
  for (size_t i = 0; i < fast.outcomes.size(); ++i) {
    const Outcome& a = fast.outcomes[i];
    const Outcome& b = slow.outcomes[i];
    const std::string at = where + " outcome " + std::to_string(i);
    EXPECT_EQ(a.kind, b.kind) << at;
    EXPECT_EQ(a.reference, b.reference) << at;
    EXPECT_EQ(a.label, b.label) << at;
    EXPECT_EQ(a.errors, b.errors) << at;
    EXPECT_EQ(a.cls.data(), b.cls.data()) << at;
    EXPECT_EQ(a.label_cls.data(), b.label_cls.data()) << at;
    EXPECT_EQ(a.attributes_json.data(), b.attributes_json.data()) << at;
    EXPECT_TRUE(Same(a.safety_weight, b.safety_weight)) << at;
    EXPECT_TRUE(Same(a.range_m, b.range_m)) << at;
    EXPECT_EQ(a.num_points, b.num_points) << at;
    EXPECT_TRUE(Same(a.iou, b.iou)) << at << ": " << a.iou << " vs " << b.iou;
    EXPECT_TRUE(Same(a.center_error_m, b.center_error_m)) << at;
    EXPECT_TRUE(Same(a.size_error_rel, b.size_error_rel)) << at;
    EXPECT_TRUE(Same(a.heading_error_deg, b.heading_error_deg)) << at;
    EXPECT_TRUE(Same(a.distance, b.distance)) << at;
    EXPECT_EQ(a.score, b.score) << at;
    EXPECT_EQ(a.attribute_begin, b.attribute_begin) << at;
    EXPECT_EQ(a.attribute_end, b.attribute_end) << at;
  }
  ASSERT_EQ(fast.attributes.size(), slow.attributes.size()) << where;
  for (size_t i = 0; i < fast.attributes.size(); ++i) {
    EXPECT_EQ(fast.attributes[i].name.data(), slow.attributes[i].name.data()) << where;
    EXPECT_EQ(fast.attributes[i].equal, slow.attributes[i].equal) << where;
  }
}

TEST(ComparePruning, SameOutcomesAsGatingEveryPair) {
  std::mt19937_64 rng(20261122);
  int64_t paired = 0, duplicates = 0, wrong_class = 0, distance_rule = 0;
  for (int run = 0; run < 150; ++run) {
    const PipelineSpec p = RandomPipeline(rng);
    CompareOptions fast_options, slow_options;
    fast_options.method = slow_options.method =
        rng() % 4 == 0 ? MatchMethod::kGreedyByScore : MatchMethod::kOptimal;
    slow_options.prune_candidates = false;
    FrameComparer fast(p, fast_options), slow(p, slow_options);
    TrackHistory fast_history, slow_history;
    for (int frame = 0; frame < 2; ++frame) {  // the second frame continues the tracks
      LabelRecord gold, labels;
      RandomFrame(rng, gold, labels);
      FrameComparison a, b;
      fast.Compare(labels, gold, a, &fast_history);
      slow.Compare(labels, gold, b, &slow_history);
      fast_history.Observe(a);
      slow_history.Observe(b);
      ExpectSame(a, b, "run " + std::to_string(run) + " frame " + std::to_string(frame));
      if (HasFailure()) return;
      for (const Outcome& o : a.outcomes) {
        paired += o.kind == OutcomeKind::kPaired;
        duplicates += o.kind == OutcomeKind::kDuplicate;
        wrong_class += HasError(o.errors, ErrorType::kWrongClass);
        distance_rule += o.kind == OutcomeKind::kPaired && o.cls == "pedestrian";
      }
    }
  }
  // The frames exercise what they are meant to.
  EXPECT_GT(paired, 1000);
  EXPECT_GT(duplicates, 50);
  EXPECT_GT(wrong_class, 50);
  EXPECT_GT(distance_rule, 100);
}

TEST(ComparePruning, ScratchDoesNotGrowWithTheRun) {
  std::mt19937_64 rng(5);
  PipelineSpec p = RandomPipeline(rng);
  p.match = {MatchRule::Kind::kBevIou, 0.3};
  std::vector<LabelRecord> golds(40), labels(40);
  for (size_t f = 0; f < golds.size(); ++f) RandomFrame(rng, golds[f], labels[f]);
  FrameComparer comparer(p);
  FrameComparison out;
  for (size_t f = 0; f < golds.size(); ++f) comparer.Compare(labels[f], golds[f], out);
  const size_t after_one_pass = comparer.ScratchBytes();
  const size_t outcome_capacity = out.outcomes.capacity();
  for (int pass = 0; pass < 5; ++pass) {
    for (size_t f = 0; f < golds.size(); ++f) comparer.Compare(labels[f], golds[f], out);
  }
  EXPECT_EQ(comparer.ScratchBytes(), after_one_pass);
  EXPECT_EQ(out.outcomes.capacity(), outcome_capacity);
  EXPECT_GT(after_one_pass, 0u);
}

}  // namespace
}  // namespace gtops::quality
