// Rasterising polygons and boxes into COCO RLE masks, and uniting masks, exactly as pycocotools'
// maskUtils does (rleFrPoly, rleFrBbox, rleMerge, frPyObjects): the same pixels and the same
// run lists, so that mask IoU and area agree with pycocotools bit for bit.
//
// Pure kernels: values in, values out, no global state, safe from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "geometry/rle.h"

namespace gtops::geometry {

// One polygon [x0, y0, x1, y1, ...] in pixel coordinates (pixel centres at integers + 0.5 in
// COCO's convention, as pycocotools reads them) rasterised into an h x w mask with pycocotools'
// rule: vertices scaled by 5 and rounded, edges walked densely, the crossings of the boundary
// with pixel-column centres kept and turned into runs. A trailing odd number is ignored; fewer
// than one point gives an empty mask. Counts sum to h * w.
// Memory and time grow with the grid points walked along the edges (PolygonGridPoints): callers
// refuse polygons beyond kMaxPolygonGridPoints before rasterising (RleFromPolygons does).
Rle RleFromPolygon(std::span<const double> xy, uint32_t h, uint32_t w);

// The grid points RleFromPolygon walks for `xy` (about 5 x the perimeter in pixels), computed
// without walking them; and the most it accepts (an outline of about 13 million pixels, far past
// any image, whose walk takes 0.5 GB).
uint64_t PolygonGridPoints(std::span<const double> xy);
inline constexpr uint64_t kMaxPolygonGridPoints = uint64_t{1} << 26;

// The box [x, y, bw, bh] as the polygon (x, y), (x, y + bh), (x + bw, y + bh), (x + bw, y)
// (pycocotools rleFrBbox).
Rle RleFromBox(double x, double y, double bw, double bh, uint32_t h, uint32_t w);

// The union of the masks (pycocotools rleMerge with intersect = 0): one mask is returned as it
// is, none gives an empty 0 x 0 mask, and masks of different sizes give an empty 0 x 0 mask (as
// pycocotools does). Run lists must sum to h * w.
Rle RleUnion(std::span<const Rle> masks);

// A COCO `segmentation` given as a list of polygons, the way pycocotools' annToRLE reads it
// (frPyObjects, then merge): when the first entry holds exactly 4 numbers every entry is read as
// a box [x, y, w, h] (pycocotools' own rule); when it holds more than 4, every entry is a
// polygon. BadInput for an empty list, a first entry of fewer than 4 numbers, in box form an
// entry that is not 4 numbers, or a polygon beyond kMaxPolygonGridPoints.
Result<Rle> RleFromPolygons(std::span<const std::vector<double>> polygons, uint32_t h, uint32_t w);

}  // namespace gtops::geometry
