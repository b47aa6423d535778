#include "eval/coco_json.h"

#include <gtest/gtest.h>

#include <string>

namespace gtops::eval {
namespace {

using quality::CocoIouType;

const char* kGt = R"({
  "images": [{"id": 1, "height": 4, "width": 4}, {"id": 2, "height": 10, "width": 10}],
  "categories": [{"id": 3, "name": "car"}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "area": 4,
     "segmentation": [[0, 0, 0, 2, 2, 2, 2, 0]], "iscrowd": 0},
    {"id": 2, "image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 4], "area": 4,
     "segmentation": {"size": [10, 10], "counts": [0, 4, 96]}, "iscrowd": 1}
  ]})";

TEST(CocoJsonTest, ReadsGroundTruthBoxes) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kBbox);
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  EXPECT_EQ(gt->set.image_ids, (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(gt->set.categories.size(), 1u);
  EXPECT_EQ(gt->set.categories[0].name, "car");
  ASSERT_EQ(gt->set.annotations.size(), 2u);
  EXPECT_EQ(gt->set.annotations[0].bbox.w, 2);
  EXPECT_FALSE(gt->set.annotations[0].iscrowd);
  EXPECT_TRUE(gt->set.annotations[1].iscrowd);
  ASSERT_NE(gt->FindImage(2), nullptr);
  EXPECT_EQ(gt->FindImage(2)->height, 10u);
  EXPECT_EQ(gt->FindImage(5), nullptr);
}

TEST(CocoJsonTest, ReadsGroundTruthMasks) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kSegm);
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  EXPECT_EQ(gt->set.annotations[0].mask.counts, (std::vector<uint32_t>{0, 2, 2, 2, 10}));
  EXPECT_EQ(gt->set.annotations[1].mask.counts, (std::vector<uint32_t>{0, 4, 96}));
}

TEST(CocoJsonTest, BoxResultsGetBoxAreaAndBoxMasks) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kSegm);
  ASSERT_TRUE(gt.ok());
  Result<std::vector<quality::CocoDetection>> dt = ParseCocoResults(
      R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 2, 2], "score": 0.5, "area": 99}])",
      "dt.json", *gt, CocoIouType::kSegm);
  ASSERT_TRUE(dt.ok()) << dt.status().message();
  EXPECT_EQ((*dt)[0].area, 4);  // loadRes replaces any given area by w * h
  EXPECT_EQ((*dt)[0].mask.counts, (std::vector<uint32_t>{0, 2, 2, 2, 10}));
}

TEST(CocoJsonTest, MaskResultsGetMaskAreaAndBox) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kBbox);
  ASSERT_TRUE(gt.ok());
  // "04l0" is counts 0, 4, 28 for a 4 x 8 mask: column 0.
  Result<std::vector<quality::CocoDetection>> dt = ParseCocoResults(
      R"([{"image_id": 1, "category_id": 3, "segmentation": {"size": [4, 8], "counts": "04l0"}, "score": 1}])",
      "dt.json", *gt, CocoIouType::kBbox);
  ASSERT_TRUE(dt.ok()) << dt.status().message();
  EXPECT_EQ((*dt)[0].area, 4);
  EXPECT_EQ((*dt)[0].bbox.x, 0);
  EXPECT_EQ((*dt)[0].bbox.w, 1);
  EXPECT_EQ((*dt)[0].bbox.h, 4);
}

void ExpectError(const Status& s, const std::string& fragment) {
  EXPECT_EQ(s.code(), StatusCode::kBadInput);
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

TEST(CocoJsonTest, MalformedGroundTruthIsExplained) {
  ExpectError(ParseCocoGroundTruth("{", "gt.json", CocoIouType::kBbox).status(), "gt.json: invalid JSON");
  ExpectError(ParseCocoGroundTruth("[]", "gt.json", CocoIouType::kBbox).status(), "gt.json: a COCO ground-truth file");
  ExpectError(ParseCocoGroundTruth(R"({"categories": []})", "gt.json", CocoIouType::kBbox).status(),
              "\"images\"");
  ExpectError(ParseCocoGroundTruth(
                  R"({"images": [{"id": 1}], "categories": [{"id": 1}],
                      "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3], "area": 1}]})",
                  "gt.json", CocoIouType::kBbox).status(),
              "gt.json: annotations[0] (id 8): bbox must be 4 numbers");
  ExpectError(ParseCocoGroundTruth(
                  R"({"images": [{"id": 1}], "categories": [{"id": 1}],
                      "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]})",
                  "gt.json", CocoIouType::kBbox).status(),
              "needs a numeric area");
  ExpectError(ParseCocoGroundTruth(
                  R"({"images": [{"id": 1}], "categories": [{"id": 1}],
                      "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "area": 1,
                                       "segmentation": [[0, 0, 1, 1, 2, 0]]}]})",
                  "gt.json", CocoIouType::kSegm).status(),
              "needs its image's height and width");
  ExpectError(ParseCocoGroundTruth(
                  R"({"images": [{"id": 1, "height": 2, "width": 2}], "categories": [{"id": 1}],
                      "annotations": [{"id": 8, "image_id": 1, "category_id": 1, "area": 1,
                                       "segmentation": {"size": [2, 2], "counts": [1, 2]}}]})",
                  "gt.json", CocoIouType::kSegm).status(),
              "counts sum to 3");
}

TEST(CocoJsonTest, MalformedResultsAreExplained) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kBbox);
  ASSERT_TRUE(gt.ok());
  ExpectError(ParseCocoResults("{}", "dt.json", *gt, CocoIouType::kBbox).status(),
              "dt.json: results must be a JSON array");
  ExpectError(ParseCocoResults(R"([{"image_id": 77, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1}])",
                               "dt.json", *gt, CocoIouType::kBbox).status(),
              "dt.json: results[0] (image_id 77): image_id is not an image of the ground truth");
  ExpectError(ParseCocoResults(R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}])", "dt.json",
                               *gt, CocoIouType::kBbox).status(),
              "needs a numeric score");
  ExpectError(ParseCocoResults(R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1},
                                   {"image_id": 1, "category_id": 3, "score": 1}])",
                               "dt.json", *gt, CocoIouType::kBbox).status(),
              "results[1] (image_id 1): needs a bbox");
  ExpectError(ParseCocoResults(R"([{"image_id": 1, "category_id": 3, "score": 1}])", "dt.json", *gt,
                               CocoIouType::kBbox).status(),
              "needs a bbox or a segmentation");
  ExpectError(ParseCocoResults(
                  R"([{"image_id": 1, "category_id": 3, "segmentation": {"size": [4, 8], "counts": "0~"}, "score": 1}])",
                  "dt.json", *gt, CocoIouType::kSegm).status(),
              "mask counts");
}

TEST(CocoJsonTest, EmptyResultsAreAllowed) {
  Result<CocoGroundTruthFile> gt = ParseCocoGroundTruth(kGt, "gt.json", CocoIouType::kBbox);
  ASSERT_TRUE(gt.ok());
  Result<std::vector<quality::CocoDetection>> dt = ParseCocoResults("[]", "dt.json", *gt, CocoIouType::kBbox);
  ASSERT_TRUE(dt.ok());
  EXPECT_TRUE(dt->empty());
}

TEST(CocoJsonTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadCocoGroundTruth("/nonexistent/gt.json", CocoIouType::kBbox).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace gtops::eval
