#include "quality/mot_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace gtops::quality {
namespace {

TrackBox Box(std::int64_t id, double x, double y = 0.0, double w = 10.0, double h = 10.0) {
  return TrackBox{id, x, y, w, h};
}

// One frame: the ground truth and the tracker boxes.
TrackingFrame Frame(std::int64_t f, std::vector<TrackBox> gt, std::vector<TrackBox> tr) {
  return TrackingFrame{f, std::move(gt), std::move(tr)};
}

TEST(MotMetricsTest, PerfectTrackerScoresOne) {
  TrackingSequence s{"perfect", {}};
  for (int f = 1; f <= 3; ++f) {
    s.frames.push_back(Frame(f, {Box(1, 0), Box(2, 50)}, {Box(7, 0), Box(8, 50)}));
  }
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_objects, 6);
  EXPECT_EQ(m.clear.num_false_positives, 0);
  EXPECT_EQ(m.clear.num_misses, 0);
  EXPECT_EQ(m.clear.num_switches, 0);
  EXPECT_EQ(m.clear.num_fragmentations, 0);
  EXPECT_EQ(m.clear.mostly_tracked, 2);
  EXPECT_DOUBLE_EQ(m.clear.mota, 1.0);
  EXPECT_DOUBLE_EQ(m.clear.motp, 0.0);
  EXPECT_DOUBLE_EQ(m.identity.idf1, 1.0);
  EXPECT_DOUBLE_EQ(m.hota.hota_mean, 1.0);
  EXPECT_DOUBLE_EQ(m.hota.det_a_mean, 1.0);
  EXPECT_DOUBLE_EQ(m.hota.ass_a_mean, 1.0);
  EXPECT_DOUBLE_EQ(m.hota.loc_a_mean, 1.0);
}

TEST(MotMetricsTest, OneIdentitySwitch) {
  // Given one object followed by id 10 for two frames and by id 11 for the next two.
  TrackingSequence s{"switch", {}};
  for (int f = 1; f <= 4; ++f) s.frames.push_back(Frame(f, {Box(1, 0)}, {Box(f <= 2 ? 10 : 11, 0)}));
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_switches, 1);
  EXPECT_EQ(m.clear.num_matches, 3);
  EXPECT_EQ(m.clear.num_false_positives, 0);
  EXPECT_EQ(m.clear.num_misses, 0);
  EXPECT_EQ(m.clear.num_fragmentations, 0);
  EXPECT_DOUBLE_EQ(m.clear.mota, 0.75);  // 1 - 1/4
  EXPECT_EQ(m.identity.idtp, 2);
  EXPECT_DOUBLE_EQ(m.identity.idf1, 0.5);  // 2 * 2 / (4 + 4)
  // HOTA: every alpha has TP 4; each pair holds 2 of 4 + 2 - 2 detections: AssA 1/2.
  EXPECT_DOUBLE_EQ(m.hota.det_a_mean, 1.0);
  EXPECT_DOUBLE_EQ(m.hota.ass_a_mean, 0.5);
  EXPECT_NEAR(m.hota.hota_mean, std::sqrt(0.5), 1e-15);
}

TEST(MotMetricsTest, OneFragmentation) {
  // Given one object followed by id 10 except in frame 3, where it is missed.
  TrackingSequence s{"frag", {}};
  for (int f = 1; f <= 4; ++f) {
    s.frames.push_back(Frame(f, {Box(1, 0)}, f == 3 ? std::vector<TrackBox>{} : std::vector{Box(10, 0)}));
  }
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_fragmentations, 1);
  EXPECT_EQ(m.clear.num_misses, 1);
  EXPECT_EQ(m.clear.num_switches, 0);  // the same id comes back
  EXPECT_DOUBLE_EQ(m.clear.mota, 0.75);
  EXPECT_EQ(m.clear.mostly_tracked, 0);  // 3 / 4 < 0.8
  EXPECT_EQ(m.clear.partially_tracked, 1);
  EXPECT_DOUBLE_EQ(m.identity.idf1, 6.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.hota.det_a_mean, 0.75);  // TP 3, FN 1
  EXPECT_DOUBLE_EQ(m.hota.ass_a_mean, 0.75);  // 3 * 3 / (4 + 3 - 3) / 3
  EXPECT_DOUBLE_EQ(m.hota.hota_mean, 0.75);
}

TEST(MotMetricsTest, MissAtTheEndIsNotAFragmentation) {
  TrackingSequence s{"tail", {}};
  s.frames.push_back(Frame(1, {Box(1, 0)}, {Box(10, 0)}));
  s.frames.push_back(Frame(2, {Box(1, 0)}, {}));
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_fragmentations, 0);
  EXPECT_EQ(m.clear.num_misses, 1);
}

TEST(MotMetricsTest, OneFalsePositiveOneMiss) {
  // Frame 1: the object and a stray box far away; frame 2: a second object nobody tracks.
  TrackingSequence s{"fpfn", {}};
  s.frames.push_back(Frame(1, {Box(1, 0)}, {Box(10, 0), Box(20, 500)}));
  s.frames.push_back(Frame(2, {Box(1, 0), Box(2, 200)}, {Box(10, 0)}));
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_false_positives, 1);
  EXPECT_EQ(m.clear.num_misses, 1);
  EXPECT_EQ(m.clear.num_switches, 0);
  EXPECT_DOUBLE_EQ(m.clear.mota, 1.0 / 3.0);
  EXPECT_EQ(m.clear.mostly_tracked, 1);
  EXPECT_EQ(m.clear.mostly_lost, 1);
  EXPECT_DOUBLE_EQ(m.identity.idf1, 2.0 / 3.0);  // 2 * 2 / (3 + 3)
  EXPECT_DOUBLE_EQ(m.hota.det_a_mean, 0.5);      // TP 2, FN 1, FP 1
  EXPECT_DOUBLE_EQ(m.hota.ass_a_mean, 1.0);
}

TEST(MotMetricsTest, PartialOverlapCountsUpToItsAlpha) {
  // IoU 0.77: matched for alpha 0.05 ... 0.75 (15 of 19), not above.
  TrackingSequence s{"iou", {Frame(1, {Box(1, 0, 0, 10, 10)}, {Box(5, 0, 0, 10, 7.7)})}};
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_NEAR(m.clear.motp, 0.23, 1e-12);
  EXPECT_EQ(m.hota.tp[14], 1);
  EXPECT_EQ(m.hota.tp[15], 0);
  EXPECT_NEAR(m.hota.hota_mean, 15.0 / 19.0, 1e-12);
  EXPECT_NEAR(m.hota.loc_a_mean, (15 * 0.77 + 4 * 1.0) / 19.0, 1e-12);
}

TEST(MotMetricsTest, BelowHalfIouNeverMatches) {
  TrackingSequence s{"low", {Frame(1, {Box(1, 0, 0, 10, 10)}, {Box(5, 0, 0, 10, 4.9)})}};
  const TrackingMetrics m = EvaluateTracking(s);
  EXPECT_EQ(m.clear.num_false_positives, 1);
  EXPECT_EQ(m.clear.num_misses, 1);
  EXPECT_EQ(m.identity.idtp, 0);
  EXPECT_EQ(m.hota.tp[0], 1);  // HOTA still matches at alpha 0.05
}

TEST(MotMetricsTest, EmptyTrackerAndEmptyGroundTruth) {
  TrackingSequence no_tracker{"a", {Frame(1, {Box(1, 0)}, {})}};
  const TrackingMetrics a = EvaluateTracking(no_tracker);
  EXPECT_EQ(a.clear.num_misses, 1);
  EXPECT_DOUBLE_EQ(a.clear.mota, 0.0);
  EXPECT_DOUBLE_EQ(a.hota.hota_mean, 0.0);
  EXPECT_DOUBLE_EQ(a.hota.loc_a_mean, 1.0);
  TrackingSequence no_gt{"b", {Frame(1, {}, {Box(1, 0)})}};
  const TrackingMetrics b = EvaluateTracking(no_gt);
  EXPECT_EQ(b.clear.num_false_positives, 1);
  EXPECT_TRUE(std::isnan(b.clear.motp));
  EXPECT_DOUBLE_EQ(b.hota.hota_mean, 0.0);
}

// Twelve objects moving right, a tracker that drops, jitters and re-labels them, and false
// positives. `separated` puts the objects on a grid where no box can overlap another object's
// (and false positives far away): the matching is then unique, not merely optimal up to
// floating-point near-ties, so any order of the boxes must give the same result exactly.
TrackingSequence RandomSequence(std::mt19937_64& rng, const std::string& name,
                                bool separated = false) {
  std::uniform_real_distribution<double> pos(0, 300), jitter(-4, 4), unit(0, 1);
  TrackingSequence s{name, {}};
  std::vector<double> x0(12), y0(12);
  for (std::size_t k = 0; k < x0.size(); ++k) {
    x0[k] = separated ? 100.0 * static_cast<double>(k % 4) : pos(rng);
    y0[k] = separated ? 100.0 * static_cast<double>(k / 4) : pos(rng);
  }
  for (int f = 1; f <= 60; ++f) {
    TrackingFrame fr{f, {}, {}};
    for (std::size_t k = 0; k < x0.size(); ++k) {
      const double x = x0[k] + f, y = y0[k];
      if (unit(rng) < 0.9) fr.gt.push_back(Box(static_cast<std::int64_t>(k), x, y, 30, 60));
      if (unit(rng) < 0.8) {
        const auto id = static_cast<std::int64_t>(100 + k + (f > 30 && k % 3 == 0 ? 50 : 0));
        fr.tracker.push_back(Box(id, x + jitter(rng), y + jitter(rng), 30 + jitter(rng), 60 + jitter(rng)));
      }
    }
    if (unit(rng) < 0.3) {
      fr.tracker.push_back(Box(1000 + f, pos(rng) + (separated ? 1000 : 0), pos(rng), 30, 60));
    }
    s.frames.push_back(std::move(fr));
  }
  return s;
}

void ExpectSame(const TrackingMetrics& a, const TrackingMetrics& b) {
  EXPECT_EQ(a.clear.num_false_positives, b.clear.num_false_positives);
  EXPECT_EQ(a.clear.num_misses, b.clear.num_misses);
  EXPECT_EQ(a.clear.num_switches, b.clear.num_switches);
  EXPECT_EQ(a.clear.num_fragmentations, b.clear.num_fragmentations);
  EXPECT_EQ(a.identity.idtp, b.identity.idtp);
  EXPECT_NEAR(a.clear.motp, b.clear.motp, 1e-12);
  EXPECT_NEAR(a.hota.hota_mean, b.hota.hota_mean, 1e-12);
  EXPECT_NEAR(a.hota.ass_a_mean, b.hota.ass_a_mean, 1e-12);
}

TEST(MotMetricsTest, ShufflingBoxesWithinFramesChangesNothing) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    TrackingSequence s = RandomSequence(rng, "r", /*separated=*/true);
    const TrackingMetrics before = EvaluateTracking(s);
    for (TrackingFrame& f : s.frames) {
      std::shuffle(f.gt.begin(), f.gt.end(), rng);
      std::shuffle(f.tracker.begin(), f.tracker.end(), rng);
    }
    ExpectSame(before, EvaluateTracking(s));
  }
}

TEST(MotMetricsTest, RenamingIdsChangesNothing) {
  std::mt19937_64 rng(5);
  TrackingSequence s = RandomSequence(rng, "r");
  const TrackingMetrics before = EvaluateTracking(s);
  for (TrackingFrame& f : s.frames) {
    for (TrackBox& b : f.gt) b.id = 7919 * b.id + 13;
    for (TrackBox& b : f.tracker) b.id = -b.id;
  }
  ExpectSame(before, EvaluateTracking(s));
}

TEST(MotMetricsTest, CombiningSequencesSumsCountsAndWeightsHota) {
  std::mt19937_64 rng(11);
  const TrackingMetrics a = EvaluateTracking(RandomSequence(rng, "a"));
  const TrackingMetrics b = EvaluateTracking(RandomSequence(rng, "b"));
  const std::vector<TrackingMetrics> both = {a, b};
  const TrackingMetrics c = CombineTracking(both, "all");
  EXPECT_EQ(c.name, "all");
  EXPECT_EQ(c.clear.num_false_positives, a.clear.num_false_positives + b.clear.num_false_positives);
  EXPECT_EQ(c.identity.idtp, a.identity.idtp + b.identity.idtp);
  const double objects = static_cast<double>(c.clear.num_objects);
  EXPECT_DOUBLE_EQ(c.clear.mota, 1.0 - static_cast<double>(c.clear.num_misses + c.clear.num_switches +
                                                           c.clear.num_false_positives) / objects);
  // A sequence combined with itself keeps its rates.
  const std::vector<TrackingMetrics> twice = {a, a};
  const TrackingMetrics aa = CombineTracking(twice, "aa");
  EXPECT_NEAR(aa.clear.mota, a.clear.mota, 1e-12);
  EXPECT_NEAR(aa.identity.idf1, a.identity.idf1, 1e-12);
  EXPECT_NEAR(aa.hota.hota_mean, a.hota.hota_mean, 1e-12);
  EXPECT_NEAR(aa.hota.loc_a_mean, a.hota.loc_a_mean, 1e-12);
}

TEST(MotMetricsTest, HotaAlphasFollowNumpyArange) {
  EXPECT_DOUBLE_EQ(HotaAlpha(0), 0.05);
  EXPECT_DOUBLE_EQ(HotaAlpha(18), 0.05 + 18 * 0.05);
}

}  // namespace
}  // namespace gtops::quality
