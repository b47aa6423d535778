#include "geometry/box_iou.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

namespace gtops::geometry {
namespace {

// The intersection of two rectangles is convex with at most 8 vertices: each of the 4 clipping
// lines adds at most one vertex to the 4 we start with.
constexpr int kMaxVertices = 8;

struct Polygon8 {
  double x[kMaxVertices];
  double y[kMaxVertices];
  int n = 0;
};

// One Sutherland–Hodgman step against the half-plane sign * coord <= bound, where coord is x
// (kAxisX) or y. Vertices on the line count as inside, so coincident edges (identical or
// touching boxes) give a degenerate polygon of zero area rather than a lost vertex.
template <bool kAxisX, int kSign>
void ClipHalfPlane(const Polygon8& in, double bound, Polygon8& out) {
  out.n = 0;
  if (in.n == 0) return;
  const double* c = kAxisX ? in.x : in.y;
  int prev = in.n - 1;
  double d_prev = kSign * c[prev] - bound;
  for (int i = 0; i < in.n; ++i) {
    const double d = kSign * c[i] - bound;
    if ((d <= 0) != (d_prev <= 0)) {
      // The edge crosses the line; d_prev != d here, so the division is safe.
      const double t = d_prev / (d_prev - d);
      out.x[out.n] = in.x[prev] + t * (in.x[i] - in.x[prev]);
      out.y[out.n] = in.y[prev] + t * (in.y[i] - in.y[prev]);
      // Pin the new vertex exactly onto the clipping line.
      (kAxisX ? out.x : out.y)[out.n] = kSign * bound;
      ++out.n;
    }
    if (d <= 0) {
      out.x[out.n] = in.x[i];
      out.y[out.n] = in.y[i];
      ++out.n;
    }
    prev = i;
    d_prev = d;
  }
}

double ShoelaceArea(const Polygon8& p) {
  if (p.n < 3) return 0.0;
  double twice = 0.0;
  for (int i = 0, j = p.n - 1; i < p.n; j = i++) twice += p.x[j] * p.y[i] - p.x[i] * p.y[j];
  return std::max(0.0, 0.5 * twice);
}

// Lexicographic order on the footprint, so that (a, b) and (b, a) run the same arithmetic.
bool FootprintLess(const PreparedBox3d& a, const PreparedBox3d& b) {
  if (a.x != b.x) return a.x < b.x;
  if (a.y != b.y) return a.y < b.y;
  if (a.cos_yaw != b.cos_yaw) return a.cos_yaw < b.cos_yaw;
  if (a.sin_yaw != b.sin_yaw) return a.sin_yaw < b.sin_yaw;
  if (a.half_l != b.half_l) return a.half_l < b.half_l;
  return a.half_w < b.half_w;
}

bool SameFootprint(const PreparedBox3d& a, const PreparedBox3d& b) {
  return a.x == b.x && a.y == b.y && a.cos_yaw == b.cos_yaw && a.sin_yaw == b.sin_yaw &&
         a.half_l == b.half_l && a.half_w == b.half_w;
}

// Intersection area of the footprints of a and b, both known to pass the bounding-circle test.
// Works in b's frame, where b is the axis-aligned rectangle [-half_l, half_l] x [-half_w, half_w]
// and a is a rotated rectangle, then clips a by b's four sides.
double ClippedArea(const PreparedBox3d& a, const PreparedBox3d& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double cx = b.cos_yaw * dx + b.sin_yaw * dy;
  const double cy = b.cos_yaw * dy - b.sin_yaw * dx;
  // a's yaw relative to b's.
  const double cr = a.cos_yaw * b.cos_yaw + a.sin_yaw * b.sin_yaw;
  const double sr = a.sin_yaw * b.cos_yaw - a.cos_yaw * b.sin_yaw;
  const double lx = cr * a.half_l, ly = sr * a.half_l;   // a's half-length axis
  const double wx = -sr * a.half_w, wy = cr * a.half_w;  // a's half-width axis

  Polygon8 p;
  p.n = 4;
  p.x[0] = cx + lx + wx; p.y[0] = cy + ly + wy;
  p.x[1] = cx - lx + wx; p.y[1] = cy - ly + wy;
  p.x[2] = cx - lx - wx; p.y[2] = cy - ly - wy;
  p.x[3] = cx + lx - wx; p.y[3] = cy + ly - wy;

  const double hl = b.half_l, hw = b.half_w;
  double min_x = p.x[0], max_x = p.x[0], min_y = p.y[0], max_y = p.y[0];
  for (int i = 1; i < 4; ++i) {
    min_x = std::min(min_x, p.x[i]);
    max_x = std::max(max_x, p.x[i]);
    min_y = std::min(min_y, p.y[i]);
    max_y = std::max(max_y, p.y[i]);
  }
  // Separating axis along one of b's sides: disjoint or touching.
  if (min_x >= hl || max_x <= -hl || min_y >= hw || max_y <= -hw) return 0.0;
  // a inside b: no clipping needed.
  if (min_x >= -hl && max_x <= hl && min_y >= -hw && max_y <= hw) return a.area;

  // Clip only by the sides that a actually crosses.
  Polygon8 q;
  Polygon8* cur = &p;
  Polygon8* nxt = &q;
  if (max_x > hl) { ClipHalfPlane<true, 1>(*cur, hl, *nxt); std::swap(cur, nxt); }
  if (min_x < -hl) { ClipHalfPlane<true, -1>(*cur, hl, *nxt); std::swap(cur, nxt); }
  if (max_y > hw) { ClipHalfPlane<false, 1>(*cur, hw, *nxt); std::swap(cur, nxt); }
  if (min_y < -hw) { ClipHalfPlane<false, -1>(*cur, hw, *nxt); std::swap(cur, nxt); }
  return std::min(ShoelaceArea(*cur), std::min(a.area, b.area));
}

// Footprint intersection after the bounding-circle reject; shared by every entry point.
double FootprintIntersection(const PreparedBox3d& a, const PreparedBox3d& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double r = a.radius + b.radius;
  if (dx * dx + dy * dy >= r * r) return 0.0;
  if (SameFootprint(a, b)) return a.area;
  return FootprintLess(a, b) ? ClippedArea(a, b) : ClippedArea(b, a);
}

double Radius(double l, double w) { return 0.5 * std::sqrt(l * l + w * w); }

bool BevDegenerate(const Box3d& b) { return !(b.l >= kMinBoxDimension && b.w >= kMinBoxDimension); }

bool Degenerate(const Box3d& b) { return BevDegenerate(b) || !(b.h >= kMinBoxDimension); }

// Length of the overlap of [c_a - s_a / 2, c_a + s_a / 2] and [c_b - s_b / 2, c_b + s_b / 2]:
// min(s_a, s_b, (s_a + s_b) / 2 - |c_a - c_b|), negative when they are apart. Written from the
// centres, not the ends, so that equal intervals give exactly s_a.
double Overlap(double c_a, double s_a, double c_b, double s_b) {
  return std::min(std::min(s_a, s_b), 0.5 * (s_a + s_b) - std::abs(c_a - c_b));
}

// Bounding-circle reject on raw boxes, with the same arithmetic as FootprintIntersection so that
// the Box3d and PreparedBox3d entry points agree bit-for-bit.
bool CirclesApart(const Box3d& a, const Box3d& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double r = Radius(a.l, a.w) + Radius(b.l, b.w);
  return dx * dx + dy * dy >= r * r;
}

double Ratio(double inter, double uni) {
  if (!(inter > 0) || !(uni > 0)) return 0.0;
  return std::min(1.0, inter / uni);
}

}  // namespace

double Box2dIou(const Box2d& a, const Box2d& b, bool b_is_crowd) {
  const double iw = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  if (!(iw > 0)) return 0.0;
  const double ih = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (!(ih > 0)) return 0.0;
  const double inter = iw * ih;
  const double area_a = a.w * a.h;
  const double uni = b_is_crowd ? area_a : area_a + b.w * b.h - inter;
  return Ratio(inter, uni);
}

PreparedBox3d PrepareBox3d(const Box3d& box) {
  PreparedBox3d p;
  p.x = box.x;
  p.y = box.y;
  p.cos_yaw = std::cos(box.yaw);
  p.sin_yaw = std::sin(box.yaw);
  p.half_l = 0.5 * box.l;
  p.half_w = 0.5 * box.w;
  p.radius = Radius(box.l, box.w);
  p.z = box.z;
  p.h = box.h;
  p.area = box.l * box.w;
  p.volume = p.area * box.h;
  p.bev_degenerate = BevDegenerate(box);
  p.degenerate = Degenerate(box);
  return p;
}

double BevIntersectionArea(const Box3d& a, const Box3d& b) {
  if (!(a.l > 0 && a.w > 0 && b.l > 0 && b.w > 0) || CirclesApart(a, b)) return 0.0;
  return FootprintIntersection(PrepareBox3d(a), PrepareBox3d(b));
}

double BevIou(const PreparedBox3d& a, const PreparedBox3d& b) {
  if (a.bev_degenerate || b.bev_degenerate) return 0.0;
  const double inter = FootprintIntersection(a, b);
  return Ratio(inter, a.area + b.area - inter);
}

double Iou3d(const PreparedBox3d& a, const PreparedBox3d& b) {
  if (a.degenerate || b.degenerate) return 0.0;
  const double dz = Overlap(a.z, a.h, b.z, b.h);
  if (!(dz > 0)) return 0.0;
  const double inter = FootprintIntersection(a, b) * dz;
  return Ratio(inter, a.volume + b.volume - inter);
}

double BevIou(const Box3d& a, const Box3d& b) {
  if (BevDegenerate(a) || BevDegenerate(b) || CirclesApart(a, b)) return 0.0;
  return BevIou(PrepareBox3d(a), PrepareBox3d(b));
}

double Iou3d(const Box3d& a, const Box3d& b) {
  if (Degenerate(a) || Degenerate(b)) return 0.0;
  const double dz = Overlap(a.z, a.h, b.z, b.h);
  if (!(dz > 0) || CirclesApart(a, b)) return 0.0;
  return Iou3d(PrepareBox3d(a), PrepareBox3d(b));
}

double AxisAlignedBevIou(const Box3d& a, const Box3d& b) {
  if (BevDegenerate(a) || BevDegenerate(b)) return 0.0;
  const double ix = Overlap(a.x, a.l, b.x, b.l);
  if (!(ix > 0)) return 0.0;
  const double iy = Overlap(a.y, a.w, b.y, b.w);
  if (!(iy > 0)) return 0.0;
  const double inter = ix * iy;
  return Ratio(inter, a.l * a.w + b.l * b.w - inter);
}

double BevCenterDistance(const Box3d& a, const Box3d& b) { return std::hypot(a.x - b.x, a.y - b.y); }

double CenterDistance3d(const Box3d& a, const Box3d& b) {
  return std::hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

namespace {

template <double (*kKernel)(const PreparedBox3d&, const PreparedBox3d&)>
void Matrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out) {
  assert(out.size() == a.size() * b.size());
  std::vector<PreparedBox3d> pb(b.size());
  for (size_t j = 0; j < b.size(); ++j) pb[j] = PrepareBox3d(b[j]);
  for (size_t i = 0; i < a.size(); ++i) {
    const PreparedBox3d pa = PrepareBox3d(a[i]);
    double* row = out.data() + i * b.size();
    for (size_t j = 0; j < b.size(); ++j) row[j] = kKernel(pa, pb[j]);
  }
}

double Iou3dPrepared(const PreparedBox3d& a, const PreparedBox3d& b) { return Iou3d(a, b); }
double BevIouPrepared(const PreparedBox3d& a, const PreparedBox3d& b) { return BevIou(a, b); }

}  // namespace

void Iou3dMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out) {
  Matrix<Iou3dPrepared>(a, b, out);
}

void BevIouMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out) {
  Matrix<BevIouPrepared>(a, b, out);
}

}  // namespace gtops::geometry
