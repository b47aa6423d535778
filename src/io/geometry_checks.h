// Validity checks on geometry that the reader needs before a record is accepted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gtops {

struct Point2 {
  double x = 0, y = 0;
};

// True when the closed ring (last point joined to the first) has no two non-adjacent edges that
// touch or cross, and no adjacent edges that fold back onto each other. Repeated consecutive points
// and an explicit closing point are allowed. A sweep along x: O(n log n + pairs whose x-extents
// overlap).
bool IsSimpleRing(std::span<const Point2> ring);

// Decodes COCO's compressed RLE string (pycocotools rleFrString) just far enough to sum its
// counts. False with a reason when the string is malformed or has a negative count.
bool SumCompressedRle(std::string_view s, uint64_t* sum, std::string* why);

}  // namespace gtops
