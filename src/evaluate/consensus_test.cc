#include "evaluate/consensus.h"

#include <cmath>
#include <cstdio>
#include <numbers>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace gtops {
namespace {

constexpr double kPi = std::numbers::pi;

PipelineSpec Cuboids() {
  PipelineSpec spec;
  spec.id = "cuboids";
  spec.geometry = GeometryKind::kBox3d;
  spec.match = MatchRule{MatchRule::Kind::kBevIou, 0.3};
  return spec;
}

Object Car(const std::string& id, const Box3d& b) {
  Object o;
  o.id = id;
  o.cls = "car";
  o.kind = GeometryKind::kBox3d;
  o.box3d = b;
  return o;
}

LabelRecord Record(const std::string& annotator, std::vector<Object> objects) {
  LabelRecord r;
  r.pipeline = std::string("cuboids"), r.task = std::string("t"), r.frame = std::string("f"), r.annotator = annotator;
  r.objects = std::move(objects);
  return r;
}

// How a label set compares with the true boxes.
struct Score {
  int64_t truth = 0, labels = 0, matched = 0;
  double iou = 0, centre = 0;
  double F1() const { return 2.0 * static_cast<double>(matched) / static_cast<double>(truth + labels); }
  double MeanIou() const { return iou / static_cast<double>(matched); }
  double MeanCentre() const { return centre / static_cast<double>(matched); }
  void Add(const quality::FrameComparison& cmp) {
    for (const quality::Outcome& o : cmp.outcomes) {
      truth += o.reference >= 0;
      labels += o.label >= 0;
      if (o.kind != quality::OutcomeKind::kPaired) continue;
      ++matched;
      iou += o.iou;
      centre += o.center_error_m;
    }
  }
};

TEST(Consensus, TwoAnnotatorsAgreeingAndOneExtraFuseAndDrop) {
  const PipelineSpec spec = Cuboids();
  quality::FrameComparer comparer(spec);
  OverlapFrame frame;
  // A and B drew the same car (B backwards, 180° off), C drew it too; B drew an extra car alone.
  frame.records.push_back(Record("a", {Car("1", {10, 0, 0, 4, 2, 1.5, 0.02})}));
  frame.records.push_back(Record("b", {Car("1", {10.2, 0.1, 0, 4.2, 2, 1.5, kPi}), Car("2", {30, 5, 0, 4, 2, 1.5, 0})}));
  frame.records.push_back(Record("c", {Car("9", {9.9, -0.1, 0, 4.1, 1.9, 1.5, -0.02})}));
  ASSERT_TRUE(ClusterOverlapFrame(comparer, frame, 0).ok());
  ASSERT_EQ(frame.clusters.size(), 2u);
  EXPECT_EQ(frame.clusters[0].members.size(), 3u);
  EXPECT_TRUE(frame.clusters[0].accepted);
  EXPECT_EQ(frame.clusters[1].members.size(), 1u);  // B's extra: below the quorum of 2
  EXPECT_FALSE(frame.clusters[1].accepted);
  auto fused = FuseCluster(GeometryKind::kBox3d, frame, frame.clusters[0], std::vector<double>{1, 1, 1});
  ASSERT_TRUE(fused.ok());
  EXPECT_NEAR(fused->box3d.x, 10.03, 0.1);
  EXPECT_LT(std::fabs(std::remainder(fused->box3d.yaw, 2 * kPi)), 0.05);  // the majority's direction, not B's
  // With a quorum of 1 the extra stands.
  ASSERT_TRUE(ClusterOverlapFrame(comparer, frame, 1).ok());
  EXPECT_TRUE(frame.clusters[1].accepted);
}

TEST(Consensus, ThreeNoisyCopiesRecoverTheBoxesBetterThanAnySingleCopy) {
  // Given 300 frames of 12 true cars each and three annotators' copies: centre noise 0.15 m, size
  // noise 0.08 m, heading noise 3°, 10% of headings backwards, 5% of centres off by 1.5 m, 5% of
  // cars missed and one extra car in 30% of the copies,
  const PipelineSpec spec = Cuboids();
  quality::FrameComparer comparer(spec);
  quality::FrameComparison cmp;
  std::mt19937_64 rng(23);
  std::normal_distribution<double> centre(0, 0.15), size(0, 0.08), heading(0, 3 * kPi / 180);
  std::uniform_real_distribution<double> u(0, 1), angle(-kPi, kPi);
  Score fused, single[3];
  for (int f = 0; f < 300; ++f) {
    LabelRecord truth = Record("truth", {});
    for (int k = 0; k < 12; ++k) {  // a grid of 4 x 3 cells of 12 m, jittered
      truth.objects.push_back(Car(std::to_string(k), {12.0 * (k % 4) + 2 * u(rng), 12.0 * (k / 4) + 2 * u(rng), 0,
                                                     3.8 + u(rng), 1.7 + 0.3 * u(rng), 1.5, angle(rng)}));
    }
    OverlapFrame frame;
    for (int a = 0; a < 3; ++a) {
      LabelRecord copy = Record(std::string(1, static_cast<char>('a' + a)), {});
      for (const Object& t : truth.objects) {
        if (u(rng) < 0.05) continue;
        Box3d b = t.box3d;
        b.x += centre(rng), b.y += centre(rng), b.z += centre(rng);
        b.l += size(rng), b.w += size(rng), b.h += size(rng);
        b.yaw += heading(rng) + (u(rng) < 0.1 ? kPi : 0);
        if (u(rng) < 0.05) b.x += 1.5;
        copy.objects.push_back(Car(t.id, b));
      }
      if (u(rng) < 0.3) copy.objects.push_back(Car("x", {6 + 12 * u(rng), 6 + 12 * u(rng), 0, 4, 1.8, 1.5, 0}));
      frame.records.push_back(std::move(copy));
    }
    ASSERT_TRUE(ClusterOverlapFrame(comparer, frame, 0).ok());
    LabelRecord consensus = Record("consensus", {});
    for (const agreement::ObjectCluster& c : frame.clusters) {
      if (!c.accepted) continue;
      auto o = FuseCluster(GeometryKind::kBox3d, frame, c, std::vector<double>{1, 1, 1});
      ASSERT_TRUE(o.ok());
      o->cls = "car";
      consensus.objects.push_back(*o);
    }
    comparer.Compare(consensus, truth, cmp);
    fused.Add(cmp);
    for (int a = 0; a < 3; ++a) {
      comparer.Compare(frame.records[static_cast<size_t>(a)], truth, cmp);
      single[a].Add(cmp);
    }
  }
  std::printf("consensus: F1 %.4f, mean BEV IoU %.4f, mean centre error %.4f m\n", fused.F1(), fused.MeanIou(),
              fused.MeanCentre());
  for (int a = 0; a < 3; ++a) {
    std::printf("copy %d:    F1 %.4f, mean BEV IoU %.4f, mean centre error %.4f m\n", a + 1, single[a].F1(),
                single[a].MeanIou(), single[a].MeanCentre());
  }
  // then the consensus beats every single copy on F1, IoU and centre error.
  for (int a = 0; a < 3; ++a) {
    EXPECT_GT(fused.F1(), single[a].F1());
    EXPECT_GT(fused.MeanIou(), single[a].MeanIou());
    EXPECT_LT(fused.MeanCentre(), single[a].MeanCentre());
  }
}

}  // namespace
}  // namespace gtops
