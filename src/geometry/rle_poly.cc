#include "geometry/rle_poly.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

// pycocotools is built without fused multiply-add; contracting `ys + s * t + .5` into an FMA
// would move boundary points by one pixel now and then.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace gtops::geometry {
namespace {

constexpr double kScale = 5;  // pycocotools' upsampling of the polygon before walking its edges

// (int)(v) as pycocotools' C code computes it on x86-64: truncation toward zero, and the
// "integer indefinite" value INT_MIN for NaN or out-of-range values (cvttsd2si), where C leaves
// the conversion undefined. A repeated vertex gives a 0/0 slope and takes this path.
int TruncateToInt(double v) {
  if (!(v > static_cast<double>(INT_MIN) - 1.0 && v < static_cast<double>(INT_MAX) + 1.0)) {
    return INT_MIN;
  }
  return static_cast<int>(v);
}

}  // namespace

uint64_t PolygonGridPoints(std::span<const double> xy) {
  const size_t k = xy.size() / 2;
  uint64_t m = 0;
  for (size_t j = 0; j < k; ++j) {
    const size_t n = (j + 1) % k;
    // 64-bit differences: TruncateToInt gives INT_MIN for coordinates out of int's range.
    const int64_t x0 = TruncateToInt(kScale * xy[j * 2] + .5), x1 = TruncateToInt(kScale * xy[n * 2] + .5);
    const int64_t y0 = TruncateToInt(kScale * xy[j * 2 + 1] + .5), y1 = TruncateToInt(kScale * xy[n * 2 + 1] + .5);
    m += static_cast<uint64_t>(std::max(std::abs(x0 - x1), std::abs(y0 - y1))) + 1;
  }
  return m;
}

Rle RleFromPolygon(std::span<const double> xy, uint32_t h, uint32_t w) {
  Rle out;
  out.h = h;
  out.w = w;
  const size_t k = xy.size() / 2;
  const uint64_t pixels = uint64_t{h} * w;
  if (k == 0) {
    out.counts.push_back(static_cast<uint32_t>(pixels));
    return out;
  }
  // Vertices on the 5x grid, the first repeated at the end to close the ring.
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) x[j] = TruncateToInt(kScale * xy[j * 2] + .5);
  x[k] = x[0];
  for (size_t j = 0; j < k; ++j) y[j] = TruncateToInt(kScale * xy[j * 2 + 1] + .5);
  y[k] = y[0];

  // Every grid point along every edge, stepping along the edge's longer axis.
  size_t m = 0;
  for (size_t j = 0; j < k; ++j) {
    const auto dx = static_cast<uint32_t>(std::abs(x[j] - x[j + 1]));
    const auto dy = static_cast<uint32_t>(std::abs(y[j] - y[j + 1]));
    m += std::max(dx, dy) + 1;
  }
  std::vector<int> u(m), v(m);
  m = 0;
  for (size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    // Both dx and dy are 0 for a repeated vertex: the slope is NaN, as in pycocotools.
    const double s = dx >= dy ? static_cast<double>(ye - ys) / dx : static_cast<double>(xe - xs) / dy;
    if (dx >= dy) {
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u[m] = t + xs;
        const double along = s * t;
        const double yv = ys + along;
        v[m] = TruncateToInt(yv + .5);
        ++m;
      }
    } else {
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v[m] = t + ys;
        const double along = s * t;
        const double xv = xs + along;
        u[m] = TruncateToInt(xv + .5);
        ++m;
      }
    }
  }

  // Where the boundary crosses a pixel column's centre: the first pixel row inside, downsampled.
  std::vector<uint32_t> a;
  a.reserve(m + 1);
  const double max_x = static_cast<double>(uint64_t{w} - 1);  // as C's siz arithmetic: w - 1
  for (size_t j = 1; j < m; ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = static_cast<double>(u[j] < u[j - 1] ? u[j] : u[j] - 1);
    xd = (xd + .5) / kScale - .5;
    if (std::floor(xd) != xd || xd < 0 || xd > max_x) continue;
    double yd = static_cast<double>(v[j] < v[j - 1] ? v[j] : v[j - 1]);
    yd = (yd + .5) / kScale - .5;
    if (yd < 0) {
      yd = 0;
    } else if (yd > h) {
      yd = h;
    }
    yd = std::ceil(yd);
    const int64_t pos = int64_t{static_cast<int>(xd)} * static_cast<int>(h) + static_cast<int>(yd);
    a.push_back(static_cast<uint32_t>(pos));
  }
  a.push_back(static_cast<uint32_t>(pixels));

  // Sorted crossing positions to run lengths; a zero-length run joins its two neighbours.
  std::sort(a.begin(), a.end());
  uint32_t prev = 0;
  for (uint32_t& p : a) {
    const uint32_t t = p;
    p -= prev;
    prev = t;
  }
  std::vector<uint32_t>& b = out.counts;
  b.reserve(a.size());
  size_t j = 0;
  b.push_back(a[j++]);
  while (j < a.size()) {
    if (a[j] > 0) {
      b.push_back(a[j++]);
    } else {
      ++j;
      if (j < a.size()) b.back() += a[j++];
    }
  }
  return out;
}

Rle RleFromBox(double x, double y, double bw, double bh, uint32_t h, uint32_t w) {
  const double xe = x + bw, ye = y + bh;
  const double xy[8] = {x, y, x, ye, xe, ye, xe, y};
  return RleFromPolygon(xy, h, w);
}

Rle RleUnion(std::span<const Rle> masks) {
  if (masks.empty()) return Rle{};
  if (masks.size() == 1) return masks[0];
  const uint32_t h = masks[0].h, w = masks[0].w;
  std::vector<uint32_t> cnts = masks[0].counts;
  std::vector<uint32_t> next;
  for (size_t i = 1; i < masks.size(); ++i) {
    const Rle& bm = masks[i];
    if (bm.h != h || bm.w != w) return Rle{};
    const std::vector<uint32_t>& am = cnts;
    // Walk both run lists together, cutting a run wherever the union changes value.
    uint32_t ca = am.empty() ? 0 : am[0], cb = bm.counts.empty() ? 0 : bm.counts[0];
    bool v = false, va = false, vb = false;
    size_t ia = 1, ib = 1;
    uint32_t cc = 0;
    uint64_t ct = 1;
    next.clear();
    while (ct > 0) {
      const uint32_t c = std::min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (ca == 0 && ia < am.size()) {
        ca = am[ia++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (cb == 0 && ib < bm.counts.size()) {
        cb = bm.counts[ib++];
        vb = !vb;
      }
      ct += cb;
      const bool vp = v;
      v = va || vb;
      if (v != vp || ct == 0) {
        next.push_back(cc);
        cc = 0;
      }
    }
    cnts.swap(next);
  }
  Rle out;
  out.h = h;
  out.w = w;
  out.counts = std::move(cnts);
  return out;
}

Result<Rle> RleFromPolygons(std::span<const std::vector<double>> polygons, uint32_t h, uint32_t w) {
  if (polygons.empty()) return Status::BadInput("segmentation is an empty list of polygons");
  const size_t first = polygons[0].size();
  if (first < 4) {
    return Status::BadInput("segmentation polygon has " + std::to_string(first) +
                            " numbers; a polygon needs at least 6 (3 points)");
  }
  std::vector<Rle> parts;
  parts.reserve(polygons.size());
  if (first == 4) {
    for (const std::vector<double>& box : polygons) {
      if (box.size() != 4) {
        return Status::BadInput(
            "segmentation mixes a 4-number entry (read as a box [x, y, w, h], as pycocotools "
            "does) with a polygon of " + std::to_string(box.size()) + " numbers");
      }
      const double xy[8] = {box[0], box[1], box[0], box[1] + box[3], box[0] + box[2], box[1] + box[3],
                            box[0] + box[2], box[1]};
      if (PolygonGridPoints(xy) > kMaxPolygonGridPoints) {
        return Status::BadInput("segmentation box is too large to rasterise");
      }
      parts.push_back(RleFromBox(box[0], box[1], box[2], box[3], h, w));
    }
  } else {
    for (const std::vector<double>& poly : polygons) {
      const uint64_t points = PolygonGridPoints(poly);
      if (points > kMaxPolygonGridPoints) {
        return Status::BadInput("segmentation polygon is too large to rasterise (" + std::to_string(points) +
                                " boundary grid points; at most " + std::to_string(kMaxPolygonGridPoints) + ")");
      }
      parts.push_back(RleFromPolygon(poly, h, w));
    }
  }
  return RleUnion(parts);
}

}  // namespace gtops::geometry
