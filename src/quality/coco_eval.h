// COCO detection evaluation (bbox and segm) with the semantics of pycocotools' COCOeval:
// evaluate, accumulate and summarize with the default parameters, reproducing its numbers to
// rounding (docs/metrics.md, "COCO detection AP").
//
// What is computed, per image and category: detections sorted by score (descending, stable, at
// most 100 kept), ground truth sorted with ignored objects last; at each IoU threshold
// 0.50:0.05:0.95 every detection in turn takes the unmatched ground truth of highest IoU at or
// above the threshold, preferring real ground truth to ignored (crowd or out-of-area) ground
// truth; a crowd object can take any number of detections, and its IoU divides by the
// detection's area. Area ranges all / small (area <= 32^2) / medium / large (area >= 96^2) by the
// ground truth's `area` value; an unmatched detection whose own area is out of range is ignored.
// Then per category, area range and maxDets (1, 10, 100): precision at 101 recall points under
// the monotone envelope, and the final recall; the 12 summary statistics average these over
// categories (and IoU thresholds), -1 where no category has ground truth.
//
// Pure kernel: values in, values out, no I/O. EvaluateCoco is thread-safe and may use worker
// threads of its own (CocoEvalOptions::threads).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "geometry/rle.h"

namespace gtops::quality {

enum class CocoIouType { kBbox, kSegm };

// "bbox" or "segm".
const char* CocoIouTypeName(CocoIouType type);

struct CocoCategory {
  int64_t id = 0;
  std::string name;
};

struct CocoGroundTruth {
  int64_t id = 0;  // annotation id; pycocotools records matches by id, so a match to id 0 reads
                   // as no match (reproduced: docs/metrics.md)
  int64_t image_id = 0;
  int64_t category_id = 0;
  Box2d bbox;               // [x, y, w, h], used for kBbox
  geometry::Rle mask;       // used for kSegm
  double area = 0;          // the annotation's `area`: decides its area range
  bool iscrowd = false;     // crowd region: ignored, matches many detections, IoU over dt area
  bool ignore = false;      // ignored without being a crowd (pycocotools itself never sets it)
};

struct CocoDetection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  double score = 0;
  Box2d bbox;               // used for kBbox
  geometry::Rle mask;       // used for kSegm
  double area = 0;          // w * h of the box for box results, the mask's pixel count for mask
                            // results (pycocotools loadRes); decides out-of-range ignoring
};

struct CocoGroundTruthSet {
  std::vector<int64_t> image_ids;        // every image evaluated (duplicates are ignored)
  std::vector<CocoCategory> categories;  // every category evaluated (by id; duplicates ignored)
  std::vector<CocoGroundTruth> annotations;
};

struct CocoEvalOptions {
  CocoIouType iou_type = CocoIouType::kBbox;
  int threads = 0;  // worker threads; 0: one per hardware thread (at most 8)
};

// The fixed parameters of COCOeval's defaults.
inline constexpr int kCocoIouThresholds = 10;  // T: 0.50, 0.55, ..., 0.95
inline constexpr int kCocoRecallPoints = 101;  // R: 0.00, 0.01, ..., 1.00
inline constexpr int kCocoAreaRanges = 4;      // A: all, small, medium, large
inline constexpr int kCocoMaxDets = 3;         // M: 1, 10, 100
inline constexpr std::array<int, kCocoMaxDets> kCocoMaxDetsValues = {1, 10, 100};
inline constexpr std::array<const char*, kCocoAreaRanges> kCocoAreaNames = {"all", "small", "medium",
                                                                            "large"};

// The IoU thresholds and recall points exactly as numpy.linspace computes them in COCOeval.
const std::array<double, kCocoIouThresholds>& CocoIouThresholds();
const std::array<double, kCocoRecallPoints>& CocoRecallPoints();

// Order and names of the 12 statistics of COCOeval.stats.
inline constexpr std::array<const char*, 12> kCocoStatNames = {
    "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};

struct CocoCategoryResult {
  int64_t category_id = 0;
  std::string name;
  int64_t num_gt = 0;          // ground truth that counts (not crowd, not ignored)
  int64_t num_detections = 0;  // detections of the category on evaluated images
  // Means over IoU thresholds (and recall points) at area all, maxDets 100; -1 without ground
  // truth.
  double ap = -1, ap50 = -1, ap75 = -1, ar100 = -1;
};

struct CocoEvalResult {
  CocoIouType iou_type = CocoIouType::kBbox;
  std::array<double, 12> stats{};   // kCocoStatNames order; -1 where undefined
  std::vector<int64_t> category_ids;  // K, ascending: the k index of the arrays below
  // COCOeval.eval['precision'] [T][R][K][A][M] and ['recall'] [T][K][A][M], row-major, -1 where
  // the category has no ground truth in the area range.
  std::vector<double> precision;
  std::vector<double> recall;
  std::vector<CocoCategoryResult> per_category;  // in category_ids order

  size_t PrecisionIndex(int t, int r, size_t k, int a, int m) const {
    const size_t K = category_ids.size();
    return (((static_cast<size_t>(t) * kCocoRecallPoints + r) * K + k) * kCocoAreaRanges + a) *
               kCocoMaxDets + m;
  }
  size_t RecallIndex(int t, size_t k, int a, int m) const {
    const size_t K = category_ids.size();
    return ((static_cast<size_t>(t) * K + k) * kCocoAreaRanges + a) * kCocoMaxDets + m;
  }
};

// Evaluates `detections` against `gt`. Detections whose category is not among gt.categories, and
// ground truth whose image or category is not listed, take no part (as in pycocotools). The
// order of `detections` and of gt.annotations breaks score ties, as in pycocotools (file order).
// For kSegm every mask must have counts summing to h * w (geometry::ValidateRle); masks of
// different sizes never match. BadInput for a detection whose image is not among gt.image_ids
// (pycocotools' loadRes refuses such results too) or with a NaN score.
Result<CocoEvalResult> EvaluateCoco(const CocoGroundTruthSet& gt,
                                    std::span<const CocoDetection> detections,
                                    const CocoEvalOptions& options = {});

// The summary in pycocotools' format: 12 lines like
// " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505".
std::string FormatCocoSummary(const CocoEvalResult& result);

}  // namespace gtops::quality
