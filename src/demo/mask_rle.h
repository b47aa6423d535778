// Drivable-area masks of the demo world and their COCO run-length encoding. A mask here is one
// run per image column: rows [top[x], h) of column x are set (the road seen from a front camera
// is connected to the bottom of the image), which makes IoU exact and cheap.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gtops::demo {

// COCO counts of a column mask of height h: alternating runs, zeros first, in column-major order.
void ColumnMaskCounts(std::span<const int> top, int h, std::vector<int64_t>& counts);

// COCO's compressed RLE string of counts (pycocotools' rleToString): each count, minus the count
// two before it from the third on, in 5-bit groups with a continuation bit, offset by 48.
std::string CocoRleString(std::span<const int64_t> counts);

// IoU of two column masks of height h (1 when both are empty).
double ColumnMaskIou(std::span<const int> a, std::span<const int> b, int h);

}  // namespace gtops::demo
