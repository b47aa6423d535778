#include "quality/coco_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace gtops::quality {
namespace {

constexpr double kTol = 1e-12;
enum Stat { kAP, kAP50, kAP75, kAPs, kAPm, kAPl, kAR1, kAR10, kAR100, kARs, kARm, kARl };

struct Scene {
  CocoGroundTruthSet gt;
  std::vector<CocoDetection> dt;

  Scene() { gt.categories = {{1, "car"}}; }
  void Image(int64_t id) { gt.image_ids.push_back(id); }
  void Gt(int64_t image, Box2d b, bool crowd = false, int64_t id = -1, int64_t cat = 1) {
    CocoGroundTruth g;
    g.id = id >= 0 ? id : static_cast<int64_t>(gt.annotations.size()) + 1;
    g.image_id = image;
    g.category_id = cat;
    g.bbox = b;
    g.area = b.w * b.h;
    g.iscrowd = crowd;
    gt.annotations.push_back(g);
  }
  void Dt(int64_t image, Box2d b, double score, int64_t cat = 1) {
    CocoDetection d;
    d.image_id = image;
    d.category_id = cat;
    d.bbox = b;
    d.score = score;
    d.area = b.w * b.h;
    dt.push_back(d);
  }
  CocoEvalResult Run(int threads = 1) const {
    CocoEvalOptions o;
    o.threads = threads;
    Result<CocoEvalResult> r = EvaluateCoco(gt, dt, o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : CocoEvalResult{};
  }
};

TEST(CocoEvalTest, ThresholdsAreNumpyLinspace) {
  EXPECT_EQ(CocoIouThresholds()[0], 0.5);
  EXPECT_EQ(CocoIouThresholds()[5], 0.75);
  EXPECT_EQ(CocoIouThresholds()[8], 0.8999999999999999);  // as numpy prints it
  EXPECT_EQ(CocoIouThresholds()[9], 0.95);
  EXPECT_EQ(CocoRecallPoints()[3], 3 * 0.01);
  EXPECT_EQ(CocoRecallPoints()[100], 1.0);
}

// Given one small object and a detection on it, every AP and AR of its size bucket is 1 and the
// buckets without ground truth are -1.
TEST(CocoEvalTest, OnePerfectDetectionGivesApOne) {
  Scene s;
  s.Image(1);
  s.Gt(1, {10, 10, 20, 20});  // area 400: small
  s.Dt(1, {10, 10, 20, 20}, 0.9);
  const CocoEvalResult r = s.Run();
  const double expected[12] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1};
  for (int i = 0; i < 12; ++i) EXPECT_NEAR(r.stats[i], expected[i], kTol) << kCocoStatNames[i];
  // As in pycocotools, precision is tp / (tp + fp + eps) with eps = 2^-52: a lone true positive
  // has precision 1 / (1 + 2^-52), just below 1.
  EXPECT_EQ(r.precision[r.PrecisionIndex(0, 0, 0, 0, 2)], 1.0 / (1.0 + 0x1p-52));
  ASSERT_EQ(r.per_category.size(), 1u);
  EXPECT_NEAR(r.per_category[0].ap, 1, kTol);
  EXPECT_EQ(r.per_category[0].num_gt, 1);
}

TEST(CocoEvalTest, NoDetectionsGiveZero) {
  Scene s;
  s.Image(1);
  s.Gt(1, {10, 10, 20, 20});
  const CocoEvalResult r = s.Run();
  EXPECT_EQ(r.stats[kAP], 0);
  EXPECT_EQ(r.stats[kAR100], 0);
  EXPECT_EQ(r.stats[kAPm], -1);
}

// Given a crowd region with two high-scoring detections inside it and one object with a lower-
// scoring perfect detection: the crowd takes both detections (IoU over the detection's area is
// 1), they are ignored, and AP is 1. Without the crowd flag the two are false positives ranked
// first: precision at the only true positive is 1 / 3 up to recall 0.5 (51 of the 101 points).
TEST(CocoEvalTest, CrowdRegionAbsorbsDetections) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 10, 10});
  s.Gt(1, {100, 100, 50, 50}, /*crowd=*/true);
  s.Dt(1, {110, 110, 10, 10}, 0.95);
  s.Dt(1, {120, 120, 10, 10}, 0.94);
  s.Dt(1, {0, 0, 10, 10}, 0.9);
  CocoEvalResult r = s.Run();
  EXPECT_NEAR(r.stats[kAP], 1, kTol);
  EXPECT_NEAR(r.stats[kAR100], 1, kTol);
  EXPECT_EQ(r.per_category[0].num_gt, 1);

  s.gt.annotations[1].iscrowd = false;
  r = s.Run();
  EXPECT_NEAR(r.stats[kAP], 51.0 / 3.0 / 101.0, kTol);
  EXPECT_NEAR(r.stats[kAR100], 0.5, kTol);
}

// Small (10x10), medium (50x50, missed) and large (100x100) objects, and a large false positive
// with the top score. Area all: FP, TP, TP over 3 objects: precision 2/3 up to recall 2/3 (67
// points). Small: the false positive is unmatched and out of range, so ignored: AP 1. Medium:
// the detections match out-of-range objects and are ignored; nothing found: 0. Large: FP then
// TP: precision 1/2 at recall 1.
TEST(CocoEvalTest, AreaRangesUseGroundTruthAreaAndIgnoreOutOfRangeDetections) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 10, 10});
  s.Gt(1, {100, 0, 50, 50});
  s.Gt(1, {200, 200, 100, 100});
  s.Dt(1, {400, 0, 200, 200}, 0.95);
  s.Dt(1, {0, 0, 10, 10}, 0.9);
  s.Dt(1, {200, 200, 100, 100}, 0.8);
  const CocoEvalResult r = s.Run();
  EXPECT_NEAR(r.stats[kAP], 67.0 * (2.0 / 3.0) / 101.0, kTol);
  EXPECT_NEAR(r.stats[kAPs], 1, kTol);
  EXPECT_NEAR(r.stats[kAPm], 0, kTol);
  EXPECT_NEAR(r.stats[kAPl], 0.5, kTol);
  EXPECT_NEAR(r.stats[kAR100], 2.0 / 3.0, kTol);
  EXPECT_NEAR(r.stats[kARs], 1, kTol);
  EXPECT_NEAR(r.stats[kARm], 0, kTol);
  EXPECT_NEAR(r.stats[kARl], 1, kTol);
}

// Three objects found in one image: with one detection per image a third is recalled.
TEST(CocoEvalTest, MaxDetsLimitsDetectionsPerImage) {
  Scene s;
  s.Image(1);
  for (int i = 0; i < 3; ++i) s.Gt(1, {i * 100.0, 0, 50, 50});
  for (int i = 0; i < 3; ++i) s.Dt(1, {i * 100.0, 0, 50, 50}, 0.9 - 0.1 * i);
  const CocoEvalResult r = s.Run();
  EXPECT_NEAR(r.stats[kAR1], 1.0 / 3.0, kTol);
  EXPECT_NEAR(r.stats[kAR10], 1, kTol);
  EXPECT_NEAR(r.stats[kAR100], 1, kTol);
}

// Only the 100 best detections of an image count: the true positive ranked 101st is dropped.
TEST(CocoEvalTest, DetectionsBeyondTheHundredthAreDropped) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 50, 50});
  for (int i = 0; i < 100; ++i) s.Dt(1, {500.0 + i, 500, 10, 10}, 0.9);
  s.Dt(1, {0, 0, 50, 50}, 0.1);
  const CocoEvalResult r = s.Run();
  EXPECT_EQ(r.stats[kAR100], 0);
  EXPECT_EQ(r.stats[kAP], 0);
}

// Equal scores keep input order (numpy's stable mergesort). A (IoU 0.6) before B (IoU 1): A
// takes the object at thresholds 0.50-0.60 (AP 1 there; B is a later false positive), B at the
// 7 others after A's false positive (precision 1/2): AP = (3 + 7 / 2) / 10. B first: AP 1.
TEST(CocoEvalTest, ScoreTiesKeepInputOrder) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 10, 10});
  s.Dt(1, {0, 0, 10, 6}, 0.5);
  s.Dt(1, {0, 0, 10, 10}, 0.5);
  EXPECT_NEAR(s.Run().stats[kAP], 0.65, kTol);
  std::swap(s.dt[0], s.dt[1]);
  EXPECT_NEAR(s.Run().stats[kAP], 1, kTol);
}

// Images are accumulated in id order, whatever their order in the file, and the result does not
// depend on the number of threads.
TEST(CocoEvalTest, ImageOrderAndThreadsDoNotMatter) {
  Scene a;
  for (int img = 1; img <= 40; ++img) {
    a.Image(img);
    for (int k = 0; k < 3; ++k) {
      a.Gt(img, {k * 60.0, img * 1.0, 30.0 + img, 20.0 + k}, img % 13 == 0, -1, 1 + k % 2);
      a.Dt(img, {k * 60.0 + img % 5, img + 1.0, 30.0 + img, 21.0}, 0.3 + 0.01 * ((img * 7 + k) % 50), 1 + k % 2);
    }
    a.Dt(img, {300, 300, 40, 40}, 0.5, 1);
  }
  a.gt.categories.push_back({2, "truck"});
  Scene b = a;
  std::reverse(b.gt.image_ids.begin(), b.gt.image_ids.end());
  const CocoEvalResult ra = a.Run(1), rb = b.Run(2);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(ra.stats[i], rb.stats[i]) << kCocoStatNames[i];
  EXPECT_EQ(ra.precision, rb.precision);
  EXPECT_GT(ra.stats[kAP], 0);
}

// pycocotools records a match by the object's id and reads 0 as "no match": a detection on an
// object with id 0 counts as a false positive.
TEST(CocoEvalTest, ObjectWithIdZeroNeverCountsAsMatched) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 50, 50}, false, /*id=*/0);
  s.Dt(1, {0, 0, 50, 50}, 0.9);
  EXPECT_EQ(s.Run().stats[kAP], 0);
}

TEST(CocoEvalTest, DetectionOfUnknownImageIsAnError) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 50, 50});
  s.Dt(7, {0, 0, 50, 50}, 0.9);
  Result<CocoEvalResult> r = EvaluateCoco(s.gt, s.dt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadInput);
  EXPECT_NE(r.status().message().find("image_id 7"), std::string::npos) << r.status().message();
}

TEST(CocoEvalTest, UnknownCategoryIsLeftOut) {
  Scene s;
  s.Image(1);
  s.Gt(1, {0, 0, 50, 50});
  s.Dt(1, {0, 0, 50, 50}, 0.9);
  s.Dt(1, {100, 100, 50, 50}, 0.95, /*cat=*/9);
  EXPECT_NEAR(s.Run().stats[kAP], 1, kTol);
}

TEST(CocoEvalTest, MasksMatchByMaskIou) {
  CocoGroundTruthSet gt;
  gt.image_ids = {1};
  gt.categories = {{1, "person"}};
  CocoGroundTruth g;
  g.id = 1;
  g.image_id = 1;
  g.category_id = 1;
  g.mask = {4, 4, {0, 4, 12}};  // column 0
  g.area = 4;
  gt.annotations.push_back(g);
  CocoDetection d;
  d.image_id = 1;
  d.category_id = 1;
  d.score = 1;
  d.mask = {4, 4, {0, 3, 13}};  // IoU 3 / 4 = 0.75: a match at 0.50 to 0.75 (6 of 10)
  d.area = 3;
  CocoEvalOptions o;
  o.iou_type = CocoIouType::kSegm;
  Result<CocoEvalResult> r = EvaluateCoco(gt, std::vector<CocoDetection>{d}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->stats[kAP], 0.6, kTol);
  EXPECT_NEAR(r->stats[kAP75], 1, kTol);
}

TEST(CocoEvalTest, SummaryHasPycocotoolsFormat) {
  Scene s;
  s.Image(1);
  s.Gt(1, {10, 10, 20, 20});
  s.Dt(1, {10, 10, 20, 20}, 0.9);
  const std::string text = FormatCocoSummary(s.Run());
  EXPECT_EQ(text.substr(0, text.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000");
  EXPECT_NE(text.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000"),
            std::string::npos);
}

}  // namespace
}  // namespace gtops::quality
