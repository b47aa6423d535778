#include "geometry/box_iou.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

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
// (kAxisX) or y, for a polygon known to have vertices on both sides. Vertices on the line count
// as inside, so coincident edges (identical or touching boxes) give a degenerate polygon of zero
// area rather than a lost vertex.
//
// The polygon is convex, so its inside vertices form one cyclic run: the result is the entry
// crossing, the run, and the exit crossing. Finding the run with bit operations on the inside
// mask instead of testing vertex by vertex avoids a mispredicted branch per vertex and divides
// only twice. Rounding can make a nearly degenerate polygon break that pattern (two runs); then
// the vertex-by-vertex loop takes over.
template <bool kAxisX, int kSign>
void ClipHalfPlane(const Polygon8& in, double bound, Polygon8& out) {
  const int n = in.n;
  if (n == 0) {
    out.n = 0;
    return;
  }
  const double* c = kAxisX ? in.x : in.y;
  double d[kMaxVertices];
  unsigned inside = 0;
  for (int i = 0; i < n; ++i) {
    d[i] = kSign * c[i] - bound;
    inside |= static_cast<unsigned>(d[i] <= 0) << i;
  }
  const unsigned all = (1u << n) - 1;
  const unsigned prev_inside = ((inside << 1) | (inside >> (n - 1))) & all;  // bit i: i - 1 inside
  const unsigned next_inside = ((inside >> 1) | (inside << (n - 1))) & all;  // bit i: i + 1 inside
  const unsigned starts = inside & ~prev_inside;
  auto crossing = [&](int from, int to, int slot) {
    const double t = d[from] / (d[from] - d[to]);
    (kAxisX ? out.x : out.y)[slot] = kSign * bound;  // exactly on the line
    if (kAxisX) {
      out.y[slot] = in.y[from] + t * (in.y[to] - in.y[from]);
    } else {
      out.x[slot] = in.x[from] + t * (in.x[to] - in.x[from]);
    }
  };
  if (n >= 3 && std::popcount(starts) == 1) {
    const int first = std::countr_zero(starts);
    const int last = std::countr_zero(inside & ~next_inside);
    const int run = std::popcount(inside);
    int m = 0;
    crossing(first == 0 ? n - 1 : first - 1, first, m++);
    for (int k = 0, i = first; k < run; ++k, i = (i + 1 == n ? 0 : i + 1)) {
      out.x[m] = in.x[i];
      out.y[m] = in.y[i];
      ++m;
    }
    crossing(last, last + 1 == n ? 0 : last + 1, m++);
    out.n = m;
    return;
  }
  int m = 0;
  for (int i = 0, prev = n - 1; i < n; prev = i++) {
    const bool in_i = (inside >> i) & 1, in_prev = (inside >> prev) & 1;
    if (in_i != in_prev && m < kMaxVertices) crossing(prev, i, m++);
    if (in_i && m < kMaxVertices) {
      out.x[m] = in.x[i];
      out.y[m] = in.y[i];
      ++m;
    }
  }
  out.n = m;
}

// sin and cos of one angle at once, to within about 1 ulp of std::sin / std::cos for |x| < 1e5
// (checked in box_iou_test.cc), in a few nanoseconds instead of about 20. Cody–Waite reduction by
// pi/2 (pi/2 split into two 33-bit parts, exact when multiplied by a quotient below 2^20, plus a
// tail), then the Taylor series of sin and cos on [-pi/4, pi/4], whose first omitted terms
// (x^17/17!, x^18/18!) are below 5e-17.
void SinCos(double x, double& sin_x, double& cos_x) {
  if (!(std::abs(x) < 1e5)) {  // also NaN
    sin_x = std::sin(x);
    cos_x = std::cos(x);
    return;
  }
  constexpr double kPio2Hi = 1.5707963267341256;     // pi/2 to 33 bits
  constexpr double kPio2Mid = 6.077100506303966e-11;  // the next 33 bits
  constexpr double kPio2Lo = 2.0222662487959506e-21;  // the rest
  const double k = std::nearbyint(x * (2 * std::numbers::inv_pi));
  const double r = ((x - k * kPio2Hi) - k * kPio2Mid) - k * kPio2Lo;
  const double r2 = r * r;
  // Taylor coefficients (-1)^j / (2j + 1)! and (-1)^j / (2j)!.
  constexpr double s3 = -1.0 / 6, s5 = 1.0 / 120, s7 = -1.0 / 5040, s9 = 1.0 / 362880;
  constexpr double s11 = -1.0 / 39916800, s13 = 1.0 / 6227020800, s15 = -1.0 / 1307674368000;
  constexpr double c4 = 1.0 / 24, c6 = -1.0 / 720, c8 = 1.0 / 40320, c10 = -1.0 / 3628800;
  constexpr double c12 = 1.0 / 479001600, c14 = -1.0 / 87178291200,
                   c16 = 1.0 / 20922789888000;
  // Estrin's scheme: a shorter dependency chain than Horner's, which is what bounds the
  // throughput of the IoU kernel.
  const double r4 = r2 * r2, r8 = r4 * r4;
  const double sp = ((s3 + s5 * r2) + (s7 + s9 * r2) * r4) + ((s11 + s13 * r2) + s15 * r4) * r8;
  const double cp = ((c4 + c6 * r2) + (c8 + c10 * r2) * r4) + ((c12 + c14 * r2) + c16 * r4) * r8;
  const double sin_r = r + r * r2 * sp;
  const double cos_r = 1.0 - 0.5 * r2 + r2 * r2 * cp;
  // Quadrant q = k mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s). Selected without
  // branches, since the quadrant of a random heading is unpredictable.
  const int64_t q = static_cast<int64_t>(k);
  const uint64_t odd = -static_cast<uint64_t>(q & 1);  // all ones in odd quadrants
  const uint64_t s_bits = std::bit_cast<uint64_t>(sin_r), c_bits = std::bit_cast<uint64_t>(cos_r);
  const double sin_sign = 1.0 - 2.0 * static_cast<double>((q >> 1) & 1);
  const double cos_sign = 1.0 - 2.0 * static_cast<double>(((q + 1) >> 1) & 1);
  sin_x = sin_sign * std::bit_cast<double>((s_bits & ~odd) | (c_bits & odd));
  cos_x = cos_sign * std::bit_cast<double>((c_bits & ~odd) | (s_bits & odd));
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

// Fraction of the segment p + t d, t in [0, 1], inside the rectangle |x| <= hx, |y| <= hy
// (Liang–Barsky), given 1 / d.x and 1 / d.y (both finite: the segment is parallel to neither axis).
// Sum over four segments k of w[k] times the fraction of the segment p[k] + t d[k], t in [0, 1],
// inside the rectangle |x| <= hx, |y| <= hy (Liang–Barsky), given ix[k] = 1 / d[k].x and
// iy[k] = 1 / d[k].y (finite: no segment is parallel to an axis):
//   t0 = max(0, min(tx-, tx+), min(ty-, ty+)),  t1 = min(1, max(tx-, tx+), max(ty-, ty+)),
//   fraction = max(0, t1 - t0).
// Branch-free: which side a segment leaves by is data the predictor cannot learn.
struct FourSegments {
  double px[4], py[4], ix[4], iy[4], w[4];
};

#if defined(__AVX__)
inline double WeightedInsideFractions(const FourSegments& s, double hx, double hy) {
  const __m256d px = _mm256_loadu_pd(s.px), py = _mm256_loadu_pd(s.py);
  const __m256d ix = _mm256_loadu_pd(s.ix), iy = _mm256_loadu_pd(s.iy);
  const __m256d hxv = _mm256_set1_pd(hx), hyv = _mm256_set1_pd(hy);
  const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
  const __m256d ax = _mm256_mul_pd(_mm256_sub_pd(_mm256_sub_pd(zero, hxv), px), ix);
  const __m256d bx = _mm256_mul_pd(_mm256_sub_pd(hxv, px), ix);
  const __m256d ay = _mm256_mul_pd(_mm256_sub_pd(_mm256_sub_pd(zero, hyv), py), iy);
  const __m256d by = _mm256_mul_pd(_mm256_sub_pd(hyv, py), iy);
  const __m256d t0 = _mm256_max_pd(_mm256_max_pd(zero, _mm256_min_pd(ax, bx)), _mm256_min_pd(ay, by));
  const __m256d t1 = _mm256_min_pd(_mm256_min_pd(one, _mm256_max_pd(ax, bx)), _mm256_max_pd(ay, by));
  const __m256d f = _mm256_mul_pd(_mm256_max_pd(zero, _mm256_sub_pd(t1, t0)), _mm256_loadu_pd(s.w));
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(f), _mm256_extractf128_pd(f, 1));
  return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}
#else
inline double WeightedInsideFractions(const FourSegments& s, double hx, double hy) {
  auto min = [](double a, double b) { return b < a ? b : a; };
  auto max = [](double a, double b) { return a < b ? b : a; };
  double f[4];
  for (int k = 0; k < 4; ++k) {
    const double ax = (-hx - s.px[k]) * s.ix[k], bx = (hx - s.px[k]) * s.ix[k];
    const double ay = (-hy - s.py[k]) * s.iy[k], by = (hy - s.py[k]) * s.iy[k];
    const double t0 = max(max(0.0, min(ax, bx)), min(ay, by));
    const double t1 = min(min(1.0, max(ax, bx)), max(ay, by));
    f[k] = max(0.0, t1 - t0) * s.w[k];
  }
  // The same association as the vector version: (f0 + f2) + (f1 + f3).
  return (f[0] + f[2]) + (f[1] + f[3]);
}
#endif

// Below this |sin| or |cos| of the relative yaw, an edge of one box may be (nearly) collinear
// with an edge of the other, and the boundary integral below would count a shared edge once
// too often or too rarely; clipping handles that case. At this threshold the integral's
// rounding error is still below 1e-9 m^2 for car-sized boxes.
constexpr double kAxisAligned = 1e-6;

// Intersection area of the footprints of a and b, both known to pass the bounding-circle test.
// Works in b's frame, where b is the axis-aligned rectangle [-half_l, half_l] x [-half_w, half_w]
// and a a rotated rectangle with corners p0..p3 (counter-clockwise).
//
// The general case uses Green's theorem: twice the area of the convex region a ∩ b is the sum
// over its boundary pieces [p, q] of p x q. That boundary is the part of a's edges inside b plus
// the part of b's edges inside a. A piece p + t d, t in [t0, t1], of the edge p + t d, t in
// [0, 1], contributes (t1 - t0) (p x d), so each of the 8 edges costs one Liang–Barsky clip
// against an axis-aligned rectangle (b's edges are clipped in a's frame: t does not depend on
// the frame) and no polygon is built. b's edges all have p x d = 2 half_l half_w in b's frame.
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
  // a's extent in b's frame, from its centre and axes.
  const double ex = std::abs(lx) + std::abs(wx), ey = std::abs(ly) + std::abs(wy);
  const double min_x = cx - ex, max_x = cx + ex, min_y = cy - ey, max_y = cy + ey;
  // Separating axis along one of b's sides: disjoint or touching.
  // (Non-short-circuit operators: one predictable branch instead of four data-dependent ones.)
  if ((min_x >= hl) | (max_x <= -hl) | (min_y >= hw) | (max_y <= -hw)) return 0.0;
  // a inside b.
  if ((min_x >= -hl) & (max_x <= hl) & (min_y >= -hw) & (max_y <= hw)) return a.area;

  // One division for the eight reciprocals 1 / (2 x trig x half size) that the clips need.
  const double size_a = a.half_l * a.half_w, size_b = hl * hw;
  const double denom = cr * sr * size_a * size_b;
  const double abs_denom = std::abs(denom);
  if (std::abs(sr) >= kAxisAligned && std::abs(cr) >= kAxisAligned && abs_denom > 1e-200 &&
      abs_denom < 1e200) {
    const double g = 0.5 / denom;
    const double ga = g * size_b, gb = g * size_a;
    // a's edges p0->p1 (d = -2 L), p1->p2 (-2 W), p2->p3 (2 L), p3->p0 (2 W), clipped to b;
    // lix = 1 / (2 L.x), liy = 1 / (2 L.y), wix = 1 / (2 W.x), wiy = 1 / (2 W.y).
    const double lix = ga * sr * a.half_w, liy = ga * cr * a.half_w;
    const double wix = -ga * cr * a.half_l, wiy = ga * sr * a.half_l;
    const FourSegments a_edges{
        {p.x[0], p.x[1], p.x[2], p.x[3]},
        {p.y[0], p.y[1], p.y[2], p.y[3]},
        {-lix, -wix, lix, wix},
        {-liy, -wiy, liy, wiy},
        {2 * (p.y[0] * lx - p.x[0] * ly), 2 * (p.y[1] * wx - p.x[1] * wy),
         2 * (p.x[2] * ly - p.y[2] * lx), 2 * (p.x[3] * wy - p.y[3] * wx)}};
    const double twice_a = WeightedInsideFractions(a_edges, hl, hw);
    // b's edges in a's frame: centre, half axes and corners q0..q3, clipped to a.
    const double bx = -(cr * cx + sr * cy), by = sr * cx - cr * cy;
    const double blx = cr * hl, bly = -sr * hl;  // b's half-length axis
    const double bwx = sr * hw, bwy = cr * hw;   // b's half-width axis
    const double bix = gb * sr * hw, biy = -gb * cr * hw;  // 1 / (2 LB.x), 1 / (2 LB.y)
    const double cix = gb * cr * hl, ciy = gb * sr * hl;   // 1 / (2 WB.x), 1 / (2 WB.y)
    const FourSegments b_edges{
        {bx + blx + bwx, bx - blx + bwx, bx - blx - bwx, bx + blx - bwx},
        {by + bly + bwy, by - bly + bwy, by - bly - bwy, by + bly - bwy},
        {-bix, -cix, bix, cix},
        {-biy, -ciy, biy, ciy},
        {1, 1, 1, 1}};
    const double b_fraction = WeightedInsideFractions(b_edges, a.half_l, a.half_w);
    const double area = 0.5 * twice_a + b_fraction * hl * hw;
    return std::clamp(area, 0.0, std::min(a.area, b.area));
  }

  // Edges (nearly) parallel: Sutherland–Hodgman, clipping only by the sides that a crosses.
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
  // Selected without a branch: which box comes first is a coin toss the predictor cannot learn.
  const PreparedBox3d* pair[2] = {&a, &b};
  const int first = FootprintLess(a, b) ? 0 : 1;
  return ClippedArea(*pair[first], *pair[1 - first]);
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

// Bounding-circle reject on raw boxes with radii r_a and r_b, with the same arithmetic as
// FootprintIntersection so that the Box3d and PreparedBox3d entry points agree bit-for-bit.
bool CirclesApart(const Box3d& a, const Box3d& b, double r_a, double r_b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double r = r_a + r_b;
  return dx * dx + dy * dy >= r * r;
}

double Ratio(double inter, double uni) {
  if (!(inter > 0) || !(uni > 0)) return 0.0;
  return std::min(1.0, inter / uni);
}

inline PreparedBox3d Prepare(const Box3d& box, double radius) {
  PreparedBox3d p;
  p.x = box.x;
  p.y = box.y;
  SinCos(box.yaw, p.sin_yaw, p.cos_yaw);
  p.half_l = 0.5 * box.l;
  p.half_w = 0.5 * box.w;
  p.radius = radius;
  p.z = box.z;
  p.h = box.h;
  p.area = box.l * box.w;
  p.volume = p.area * box.h;
  p.bev_degenerate = BevDegenerate(box);
  p.degenerate = Degenerate(box);
  return p;
}

inline double BevIouOf(const PreparedBox3d& a, const PreparedBox3d& b) {
  if (a.bev_degenerate || b.bev_degenerate) return 0.0;
  const double inter = FootprintIntersection(a, b);
  return Ratio(inter, a.area + b.area - inter);
}

inline double Iou3dOf(const PreparedBox3d& a, const PreparedBox3d& b) {
  if (a.degenerate || b.degenerate) return 0.0;
  const double dz = Overlap(a.z, a.h, b.z, b.h);
  if (!(dz > 0)) return 0.0;
  const double inter = FootprintIntersection(a, b) * dz;
  return Ratio(inter, a.volume + b.volume - inter);
}

}  // namespace

double Box2dIou(const Box2d& a, const Box2d& b, bool b_is_crowd) {
  const double iw = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
  if (!(iw > 0)) return 0.0;
  const double ih = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
  if (!(ih > 0)) return 0.0;
  const double inter = iw * ih;
  // Separate statements: a fused multiply-add in area_a + b.w * b.h would break the symmetry.
  const double area_a = a.w * a.h;
  const double area_b = b.w * b.h;
  const double uni = b_is_crowd ? area_a : area_a + area_b - inter;
  return Ratio(inter, uni);
}

PreparedBox3d PrepareBox3d(const Box3d& box) { return Prepare(box, Radius(box.l, box.w)); }

double BevIntersectionArea(const Box3d& a, const Box3d& b) {
  if (!(a.l > 0 && a.w > 0 && b.l > 0 && b.w > 0)) return 0.0;
  const double r_a = Radius(a.l, a.w), r_b = Radius(b.l, b.w);
  if (CirclesApart(a, b, r_a, r_b)) return 0.0;
  return FootprintIntersection(Prepare(a, r_a), Prepare(b, r_b));
}

double BevIou(const PreparedBox3d& a, const PreparedBox3d& b) { return BevIouOf(a, b); }

double Iou3d(const PreparedBox3d& a, const PreparedBox3d& b) { return Iou3dOf(a, b); }

double BevIou(const Box3d& a, const Box3d& b) {
  if (BevDegenerate(a) || BevDegenerate(b)) return 0.0;
  const double r_a = Radius(a.l, a.w), r_b = Radius(b.l, b.w);
  if (CirclesApart(a, b, r_a, r_b)) return 0.0;
  return BevIouOf(Prepare(a, r_a), Prepare(b, r_b));
}

double Iou3d(const Box3d& a, const Box3d& b) {
  if (Degenerate(a) || Degenerate(b)) return 0.0;
  const double dz = Overlap(a.z, a.h, b.z, b.h);
  if (!(dz > 0)) return 0.0;
  const double r_a = Radius(a.l, a.w), r_b = Radius(b.l, b.w);
  if (CirclesApart(a, b, r_a, r_b)) return 0.0;
  return Iou3dOf(Prepare(a, r_a), Prepare(b, r_b));
}

double AxisAlignedBevIou(const Box3d& a, const Box3d& b) {
  if (BevDegenerate(a) || BevDegenerate(b)) return 0.0;
  const double ix = Overlap(a.x, a.l, b.x, b.l);
  if (!(ix > 0)) return 0.0;
  const double iy = Overlap(a.y, a.w, b.y, b.w);
  if (!(iy > 0)) return 0.0;
  const double inter = ix * iy;
  const double area_a = a.l * a.w;
  const double area_b = b.l * b.w;
  return Ratio(inter, area_a + area_b - inter);
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

double Iou3dPrepared(const PreparedBox3d& a, const PreparedBox3d& b) { return Iou3dOf(a, b); }
double BevIouPrepared(const PreparedBox3d& a, const PreparedBox3d& b) { return BevIouOf(a, b); }

}  // namespace

void Iou3dMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out) {
  Matrix<Iou3dPrepared>(a, b, out);
}

void BevIouMatrix(std::span<const Box3d> a, std::span<const Box3d> b, std::span<double> out) {
  Matrix<BevIouPrepared>(a, b, out);
}

}  // namespace gtops::geometry
