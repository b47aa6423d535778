// Overlap and distance of boxes: axis-aligned 2D image boxes and rotated 3D cuboids
// (conventions of shared/FORMAT.md; formulas in docs/geometry.md).
//
// Every function here is a pure kernel: values in, value out, no allocation, no global state,
// safe to call from any number of threads. Inputs are trusted (the ingest validator has checked
// that numbers are finite); NaN in, NaN or 0 out.
#pragma once

#include <cstddef>
#include <span>

#include "core/records.h"

namespace gtops::geometry {

// IoU of two image boxes [x, y, w, h], area-based with continuous coordinates (no +1):
// inter / (area_a + area_b - inter), 0 when the union is empty. With `b_is_crowd` the union
// is replaced by area_a (pycocotools' iscrowd rule: a is the detection, b the crowd ground truth;
// 0 when area_a is 0). Symmetric when `b_is_crowd` is false. Result in [0, 1].
double Box2dIou(const Box2d& a, const Box2d& b, bool b_is_crowd = false);

// Boxes with a dimension (l, w, or for 3D also h) below this many metres have IoU 0 with
// everything, themselves included (the Waymo Open Dataset metrics rule, shared/reference/iou3d).
inline constexpr double kMinBoxDimension = 0.01;

// Area (m^2) of the intersection of the two boxes' bird's-eye footprints (rotated rectangles),
// exact up to floating-point rounding. No minimum-dimension rule: 0 only when they do not overlap.
double BevIntersectionArea(const Box3d& a, const Box3d& b);

// Rotated bird's-eye IoU: footprint intersection / footprint union, in [0, 1]. Symmetric
// bit-for-bit (the pair is put in a canonical order before clipping).
double BevIou(const Box3d& a, const Box3d& b);

// Rotated 3D IoU: BEV intersection area x z-overlap / (vol_a + vol_b - intersection), in [0, 1].
// Symmetric bit-for-bit.
double Iou3d(const Box3d& a, const Box3d& b);

// Bird's-eye IoU of the boxes with their yaw ignored (both footprints taken axis-aligned, l along
// x and w along y): the third column of shared/reference/iou3d/pairs.txt.
double AxisAlignedBevIou(const Box3d& a, const Box3d& b);

// Distance between the centres: bird's-eye hypot(dx, dy) (FORMAT.md's `position` error and the
// `center_distance_m` match rule) and full 3D.
double BevCenterDistance(const Box3d& a, const Box3d& b);
double CenterDistance3d(const Box3d& a, const Box3d& b);

// A box with the values every pairwise kernel needs computed once (cos/sin of yaw, half sizes,
// bounding-circle radius, z range, volume). Matching N labels against M references costs N + M
// preparations and N x M cheap pair evaluations.
struct PreparedBox3d {
  double x = 0, y = 0;           // BEV centre
  double cos_yaw = 1, sin_yaw = 0;
  double half_l = 0, half_w = 0;
  double radius = 0;             // bounding-circle radius: hypot(l, w) / 2
  double z = 0, h = 0;           // vertical centre and height
  double area = 0, volume = 0;   // footprint area l w, volume l w h
  bool bev_degenerate = true;    // l or w below kMinBoxDimension
  bool degenerate = true;        // l, w or h below kMinBoxDimension
};

PreparedBox3d PrepareBox3d(const Box3d& box);

// The same values as the Box3d overloads (bit-for-bit).
double BevIou(const PreparedBox3d& a, const PreparedBox3d& b);
double Iou3d(const PreparedBox3d& a, const PreparedBox3d& b);

// All pairs: out[i * b.size() + j] = Iou3d(a[i], b[j]) (resp. BevIou). `out` must hold exactly
// a.size() * b.size() values (checked by assertion). No allocation beyond a per-call buffer of
// prepared boxes.
void Iou3dMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out);
void BevIouMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out);

}  // namespace gtops::geometry
