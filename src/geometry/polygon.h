// Areas and overlap of image polygons (FORMAT.md `polygon`: one ring, or several rings whose union
// is the region, COCO's multi-part polygons) and the simplicity check of the ingest validator.
// Formulas and the method are in docs/geometry.md.
//
// Pure kernels: values in, value out, no global state, safe from any number of threads. They
// allocate scratch memory proportional to the number of edges.
#pragma once

#include <span>
#include <vector>

namespace gtops::geometry {

struct Point2 {
  double x = 0, y = 0;
  friend bool operator==(const Point2&, const Point2&) = default;
};

// A ring: the vertices in order, not repeated at the end (a trailing copy of the first vertex is
// harmless: it adds a zero-length edge). Either orientation.
using Ring = std::vector<Point2>;

// Shoelace area of one ring: positive when counter-clockwise in a y-up frame (clockwise on an
// image, whose y axis points down), negative otherwise; 0 for fewer than 3 vertices. For a
// self-intersecting ring this is the winding-number-weighted area, not the covered area.
double SignedRingArea(std::span<const Point2> ring);

// Area of the region covered by the union of the rings: a point is in the region when it is inside
// (even-odd rule) at least one ring. Overlapping rings are counted once. Exact up to
// floating-point rounding. Rings with fewer than 3 vertices cover nothing.
double PolygonArea(std::span<const Ring> rings);

// Area of the intersection of two such regions, exact up to floating-point rounding, for simple
// or non-simple, convex or non-convex rings (each ring by the even-odd rule, rings of one polygon
// united). Symmetric in (a, b) up to rounding.
double PolygonIntersectionArea(std::span<const Ring> a, std::span<const Ring> b);

// Areas of a, b and their intersection from one sweep.
struct PolygonOverlap {
  double area_a = 0, area_b = 0, intersection = 0;
  double Union() const { return area_a + area_b - intersection; }
  // intersection / union in [0, 1]; 0 when the union is empty.
  double Iou() const;
};
PolygonOverlap PolygonOverlapAreas(std::span<const Ring> a, std::span<const Ring> b);

// Region IoU: intersection / union of the two regions, in [0, 1], 0 when both are empty.
double PolygonIou(std::span<const Ring> a, std::span<const Ring> b);

// True when the ring is simple: at least 3 distinct vertices after consecutive duplicates
// (including a closing copy of the first vertex) are dropped; no two non-adjacent edges meet,
// not even at a point; two adjacent edges meet only at their shared vertex (no spike folding
// back along the previous edge). A simple ring bounds a region of non-zero area.
// O(n log n + k) time, k the number of edge pairs whose x-ranges overlap (O(n^2) at worst),
// O(n) memory. Predicates are evaluated in double precision: exact for integer coordinates up
// to 2^25 in magnitude; for fractional pixel coordinates a crossing closer than about 1e-12 px
// may be misjudged.
bool IsSimpleRing(std::span<const Point2> ring);

}  // namespace gtops::geometry
