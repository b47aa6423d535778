#include "geometry/polygon.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace gtops::geometry {
namespace {

// A non-vertical edge, stored left to right, with the ring it belongs to and its owner (0 for
// polygon a, 1 for polygon b).
struct Edge {
  double x0, y0, x1, y1;
  uint32_t ring;
  uint32_t owner;
};

// y of the edge's line at x, exact at the endpoints so that shared vertices and shared edges of
// the two polygons evaluate to the same numbers.
double YAt(const Edge& e, double x) {
  if (x == e.x0) return e.y0;
  if (x == e.x1) return e.y1;
  return e.y0 + (x - e.x0) / (e.x1 - e.x0) * (e.y1 - e.y0);
}

void AddEdges(std::span<const Ring> rings, uint32_t owner, uint32_t first_ring,
              std::vector<Edge>& edges) {
  for (size_t r = 0; r < rings.size(); ++r) {
    const Ring& ring = rings[r];
    if (ring.size() < 3) continue;
    for (size_t i = 0; i < ring.size(); ++i) {
      Point2 p = ring[i];
      Point2 q = ring[(i + 1) % ring.size()];
      if (p.x == q.x) continue;  // vertical edges bound no slab
      if (q.x < p.x) std::swap(p, q);
      edges.push_back({p.x, p.y, q.x, q.y, static_cast<uint32_t>(first_ring + r), owner});
    }
  }
}

// The slab method. Cut the plane by vertical lines through every vertex and every crossing of
// two edges. Inside one slab no two edges cross, so the edges spanning it are totally ordered in
// y and consecutive ones bound trapezoids. Sweeping each slab bottom-up with one parity bit per
// ring tells which trapezoids lie in a (some ring of a with odd parity) and in b. The areas are
// sums of exact trapezoid areas: the only error is floating-point rounding of the crossing
// abscissae and of the sums.
PolygonOverlap Sweep(std::span<const Ring> a, std::span<const Ring> b) {
  std::vector<Edge> edges;
  AddEdges(a, 0, 0, edges);
  AddEdges(b, 1, static_cast<uint32_t>(a.size()), edges);
  PolygonOverlap result;
  if (edges.empty()) return result;
  std::sort(edges.begin(), edges.end(), [](const Edge& e, const Edge& f) { return e.x0 < f.x0; });

  std::vector<double> xs;
  xs.reserve(edges.size() * 2);
  for (const Edge& e : edges) {
    xs.push_back(e.x0);
    xs.push_back(e.x1);
  }
  // Crossings: only edges whose x-ranges overlap can cross; the x0 order bounds the inner loop.
  for (size_t i = 0; i < edges.size(); ++i) {
    const Edge& e = edges[i];
    for (size_t j = i + 1; j < edges.size() && edges[j].x0 < e.x1; ++j) {
      const Edge& f = edges[j];
      const double lo = f.x0;  // >= e.x0 by the sort
      const double hi = std::min(e.x1, f.x1);
      if (!(lo < hi)) continue;
      const double d_lo = YAt(e, lo) - YAt(f, lo);
      const double d_hi = YAt(e, hi) - YAt(f, hi);
      if ((d_lo < 0 && d_hi > 0) || (d_lo > 0 && d_hi < 0)) {
        const double x = lo + (hi - lo) * (d_lo / (d_lo - d_hi));
        xs.push_back(std::clamp(x, lo, hi));
      }
    }
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());

  struct Crossing {
    double yl, yr;
    uint32_t ring, owner;
  };
  std::vector<const Edge*> active;
  std::vector<Crossing> cut;
  std::vector<uint8_t> parity(a.size() + b.size(), 0);
  size_t next = 0;
  for (size_t k = 0; k + 1 < xs.size(); ++k) {
    const double xl = xs[k], xr = xs[k + 1];
    while (next < edges.size() && edges[next].x0 <= xl) active.push_back(&edges[next++]);
    std::erase_if(active, [xl](const Edge* e) { return e->x1 <= xl; });
    cut.clear();
    for (const Edge* e : active) cut.push_back({YAt(*e, xl), YAt(*e, xr), e->ring, e->owner});
    std::sort(cut.begin(), cut.end(), [](const Crossing& p, const Crossing& q) {
      return p.yl + p.yr < q.yl + q.yr;
    });
    const double half_width = 0.5 * (xr - xl);
    int odd_rings[2] = {0, 0};
    for (size_t i = 0; i < cut.size(); ++i) {
      const Crossing& c = cut[i];
      uint8_t& bit = parity[c.ring];
      bit ^= 1;
      odd_rings[c.owner] += bit ? 1 : -1;
      if (i + 1 == cut.size()) break;
      const bool in_a = odd_rings[0] > 0, in_b = odd_rings[1] > 0;
      if (!in_a && !in_b) continue;
      const double area = half_width * ((cut[i + 1].yl - c.yl) + (cut[i + 1].yr - c.yr));
      if (in_a) result.area_a += area;
      if (in_b) result.area_b += area;
      if (in_a && in_b) result.intersection += area;
    }
  }
  result.area_a = std::max(0.0, result.area_a);
  result.area_b = std::max(0.0, result.area_b);
  result.intersection =
      std::clamp(result.intersection, 0.0, std::min(result.area_a, result.area_b));
  return result;
}

double Orient(Point2 a, Point2 b, Point2 c) {
  return (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
}

int Sign(double v) { return (v > 0) - (v < 0); }

// c, known to be collinear with [a, b], lies on the closed segment.
bool OnSegment(Point2 a, Point2 b, Point2 c) {
  return std::min(a.x, b.x) <= c.x && c.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= c.y &&
         c.y <= std::max(a.y, b.y);
}

// The closed segments [a, b] and [c, d] share at least one point.
bool SegmentsMeet(Point2 a, Point2 b, Point2 c, Point2 d) {
  const int o1 = Sign(Orient(a, b, c)), o2 = Sign(Orient(a, b, d));
  const int o3 = Sign(Orient(c, d, a)), o4 = Sign(Orient(c, d, b));
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;
  return (o1 == 0 && OnSegment(a, b, c)) || (o2 == 0 && OnSegment(a, b, d)) ||
         (o3 == 0 && OnSegment(c, d, a)) || (o4 == 0 && OnSegment(c, d, b));
}

}  // namespace

double SignedRingArea(std::span<const Point2> ring) {
  if (ring.size() < 3) return 0.0;
  // Relative to the first vertex, which keeps the products small for far-from-origin rings.
  const Point2 o = ring[0];
  double twice = 0.0;
  for (size_t i = 1; i + 1 < ring.size(); ++i) {
    twice += (ring[i].x - o.x) * (ring[i + 1].y - o.y) - (ring[i + 1].x - o.x) * (ring[i].y - o.y);
  }
  return 0.5 * twice;
}

double PolygonOverlap::Iou() const {
  const double u = Union();
  if (!(intersection > 0) || !(u > 0)) return 0.0;
  return std::min(1.0, intersection / u);
}

PolygonOverlap PolygonOverlapAreas(std::span<const Ring> a, std::span<const Ring> b) {
  return Sweep(a, b);
}

double PolygonArea(std::span<const Ring> rings) { return Sweep(rings, {}).area_a; }

double PolygonIntersectionArea(std::span<const Ring> a, std::span<const Ring> b) {
  return Sweep(a, b).intersection;
}

double PolygonIou(std::span<const Ring> a, std::span<const Ring> b) { return Sweep(a, b).Iou(); }

bool IsSimpleRing(std::span<const Point2> ring) {
  std::vector<Point2> p;
  p.reserve(ring.size());
  for (const Point2& v : ring) {
    if (p.empty() || !(v == p.back())) p.push_back(v);
  }
  while (p.size() > 1 && p.back() == p.front()) p.pop_back();
  const size_t n = p.size();
  if (n < 3) return false;

  // Edge i runs from p[i] to p[i + 1 mod n]. Visit them by their left end and test only the
  // pairs whose x-ranges overlap.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  auto min_x = [&](uint32_t i) { return std::min(p[i].x, p[(i + 1) % n].x); };
  auto max_x = [&](uint32_t i) { return std::max(p[i].x, p[(i + 1) % n].x); };
  std::sort(order.begin(), order.end(), [&](uint32_t i, uint32_t j) { return min_x(i) < min_x(j); });
  for (size_t s = 0; s < n; ++s) {
    const uint32_t i = order[s];
    const double right = max_x(i);
    const Point2 a = p[i], b = p[(i + 1) % n];
    for (size_t t = s + 1; t < n && min_x(order[t]) <= right; ++t) {
      const uint32_t j = order[t];
      const Point2 c = p[j], d = p[(j + 1) % n];
      if (std::max(c.y, d.y) < std::min(a.y, b.y) || std::max(a.y, b.y) < std::min(c.y, d.y)) {
        continue;
      }
      if ((i + 1) % n == j || (j + 1) % n == i) {
        // Adjacent: they share one vertex q; they overlap beyond it only when collinear and
        // leaving q in the same direction.
        const bool j_follows = (i + 1) % n == j;
        const Point2 q = j_follows ? b : a;
        const Point2 u = j_follows ? a : b;  // the far end of edge i
        const Point2 v = j_follows ? d : c;  // the far end of edge j
        if (Orient(u, q, v) == 0 && (u.x - q.x) * (v.x - q.x) + (u.y - q.y) * (v.y - q.y) > 0) {
          return false;
        }
        continue;
      }
      if (SegmentsMeet(a, b, c, d)) return false;
    }
  }
  return true;
}

}  // namespace gtops::geometry
