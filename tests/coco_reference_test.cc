// shared/reference/coco-fake100 and coco-tiny: pycocotools 2.0.11's COCOeval.stats, to 1e-12
// (shared/reference/README.md), through the readers, the kernel and the real binary.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/coco_json.h"
#include "quality/coco_eval.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::RunGtops;

using quality::CocoIouType;

const std::string kRef = std::string(GTOPS_SHARED_DIR) + "/reference";
constexpr double kTol = 1e-12;
using Stats = std::array<double, 12>;

constexpr Stats kFake100Bbox = {0.5045806987249628, 0.6969727247299577, 0.5729816669904824,
                                0.5856257209410443, 0.5193996948036719, 0.5013978986347466,
                                0.38681277964578054, 0.5936795762842003, 0.595352982877607,
                                0.6398109626113442, 0.5664205978994309, 0.5642905982905982};
constexpr Stats kFake100Segm = {0.3195452758576433, 0.5622883972521636, 0.29892653412086784,
                                0.3873740315997838, 0.31018272403369485, 0.3269339071005138,
                                0.2682297225711534, 0.41544868114906375, 0.4168394992198818,
                                0.4694498622754236, 0.37675922666197265, 0.3814715099715099};
// The README gives these to 12 decimals.
constexpr Stats kTinyBbox = {0.694719471947, 0.694719471947, 0.694719471947, -1, 0.792079207921, 0,
                             0.666666666667, 0.75, 0.75, -1, 0.791666666667, 0};

Stats Evaluate(const std::string& gt_path, const std::string& dt_path, CocoIouType type) {
  Result<eval::CocoGroundTruthFile> gt = eval::ReadCocoGroundTruth(gt_path, type);
  EXPECT_TRUE(gt.ok()) << gt.status().message();
  if (!gt.ok()) return {};
  Result<std::vector<quality::CocoDetection>> dt = eval::ReadCocoResults(dt_path, *gt, type);
  EXPECT_TRUE(dt.ok()) << dt.status().message();
  if (!dt.ok()) return {};
  quality::CocoEvalOptions options;
  options.iou_type = type;
  Result<quality::CocoEvalResult> r = quality::EvaluateCoco(gt->set, *dt, options);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->stats : Stats{};
}

void ExpectStats(const Stats& got, const Stats& want, double tol) {
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol) << quality::kCocoStatNames[i];
  }
}

TEST(CocoReferenceTest, Fake100BboxMatchesPycocotools) {
  ExpectStats(Evaluate(kRef + "/coco-fake100/instances_val2014_100.json",
                       kRef + "/coco-fake100/instances_val2014_fakebbox100_results.json", CocoIouType::kBbox),
              kFake100Bbox, kTol);
}

// Ground truth as polygons (rasterised as pycocotools does) and crowd RLEs, results as
// compressed RLE strings.
TEST(CocoReferenceTest, Fake100SegmMatchesPycocotools) {
  ExpectStats(Evaluate(kRef + "/coco-fake100/instances_val2014_100.json",
                       kRef + "/coco-fake100/instances_val2014_fakesegm100_results.json", CocoIouType::kSegm),
              kFake100Segm, kTol);
}

TEST(CocoReferenceTest, TinyBboxMatchesPycocotools) {
  ExpectStats(Evaluate(kRef + "/coco-tiny/gt_dataset.json", kRef + "/coco-tiny/dt_dataset.json", CocoIouType::kBbox),
              kTinyBbox, 5e-13);
}

TEST(CocoReferenceTest, CliPrintsTheSameStatsAsJson) {
  int status = -1;
  const std::string out = RunGtops("eval coco " + kRef + "/coco-fake100/instances_val2014_100.json " + kRef +
                                        "/coco-fake100/instances_val2014_fakesegm100_results.json --iou-type segm --json",
                                    status);
  ASSERT_EQ(status, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["iou_type"], "segm");
  for (size_t i = 0; i < kFake100Segm.size(); ++i) {
    EXPECT_NEAR(j["stats"][quality::kCocoStatNames[i]].get<double>(), kFake100Segm[i], kTol)
        << quality::kCocoStatNames[i];
  }
  EXPECT_EQ(j["per_category"].size(), 80u);
}

TEST(CocoReferenceTest, CliPrintsPycocotoolsSummary) {
  int status = -1;
  const std::string out = RunGtops(
      "eval coco " + kRef + "/coco-tiny/gt_dataset.json " + kRef + "/coco-tiny/dt_dataset.json", status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.substr(0, out.find('\n')),
            " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.695");
  EXPECT_NE(out.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000"),
            std::string::npos);
}

TEST(CocoReferenceTest, CliRejectsResultsForUnknownImages) {
  int status = -1;
  const std::string tmp = ::testing::TempDir() + "/coco_unknown_image.json";
  FILE* f = std::fopen(tmp.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(R"([{"image_id": 123456789, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])", f);
  std::fclose(f);
  const std::string out =
      RunGtops("eval coco " + kRef + "/coco-tiny/gt_dataset.json " + tmp, status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("results[0] (image_id 123456789): image_id is not an image of the ground truth"),
            std::string::npos)
      << out;
  std::remove(tmp.c_str());
}

}  // namespace
}  // namespace gtops
