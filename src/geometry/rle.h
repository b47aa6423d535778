// COCO run-length-encoded masks (FORMAT.md `mask`): area and IoU computed on the runs, never on
// dense pixels, with the semantics of pycocotools' maskUtils (area, iou, and the compressed string
// form of `counts`). Formulas in docs/geometry.md.
//
// An RLE mask of h x w pixels is read in column-major order (down the first column, then the
// next); counts alternate runs of 0s and 1s, starting with 0s (a mask starting with a 1 has a
// first count of 0). Pure kernels, safe from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gtops::geometry {

struct Rle {
  uint32_t h = 0, w = 0;
  std::vector<uint32_t> counts;
};

// Decodes COCO's compressed `counts` string (pycocotools rleFrString): each count is written in
// 5-bit groups, low group first, as characters '0' + group (+32 when another group follows); the
// top bit of the last group is the sign; from the third count on, the value stored is the
// difference from the count two places before. BadInput for a character outside '0'..'o', a
// string ending inside a count, or a count that comes out negative or above 2^32 - 1.
Result<std::vector<uint32_t>> DecodeRleCounts(std::string_view compressed);

// The inverse (pycocotools rleToString): DecodeRleCounts(EncodeRleCounts(c)) == c.
std::string EncodeRleCounts(std::span<const uint32_t> counts);

// Ok when the counts sum to h * w (FORMAT.md); BadInput saying the sum otherwise.
Status ValidateRle(const Rle& rle);

// Number of 1 pixels: the sum of the odd-position counts (pycocotools area).
uint64_t RleArea(std::span<const uint32_t> counts);
inline uint64_t RleArea(const Rle& rle) { return RleArea(rle.counts); }

// Number of pixels that are 1 in both masks, by merging the two run lists (O(runs)). Counts of
// different totals are compared over the shorter total.
uint64_t RleIntersection(std::span<const uint32_t> a, std::span<const uint32_t> b);

// pycocotools maskUtils.iou(dt, gt, iscrowd) for one pair: intersection / union, where with
// `gt_is_crowd` the union is replaced by the area of dt. 0 when the intersection is empty.
// Masks of different sizes give -1, as pycocotools does, except that pycocotools first compares
// bounding boxes and returns 0 for masks whose boxes do not overlap: that is reproduced too.
double RleIou(const Rle& dt, const Rle& gt, bool gt_is_crowd = false);

// pycocotools toBbox: [x, y, w, h] of the 1 pixels in pixel units (a single pixel at column c,
// row r is [c, r, 1, 1]); all zero for an empty mask.
struct RleBbox {
  double x = 0, y = 0, w = 0, h = 0;
};
RleBbox RleToBbox(const Rle& rle);

}  // namespace gtops::geometry
