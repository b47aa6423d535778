#include "io/geometry_checks.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

namespace gtops {
namespace {

double Cross(const Point2& o, const Point2& a, const Point2& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

int Sign(double v) { return (v > 0) - (v < 0); }

bool OnSegment(const Point2& p, const Point2& a, const Point2& b) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// Closed segments ab and cd share at least one point.
bool SegmentsTouch(const Point2& a, const Point2& b, const Point2& c, const Point2& d) {
  const int d1 = Sign(Cross(c, d, a)), d2 = Sign(Cross(c, d, b));
  const int d3 = Sign(Cross(a, b, c)), d4 = Sign(Cross(a, b, d));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 == 0 && OnSegment(a, c, d)) || (d2 == 0 && OnSegment(b, c, d)) ||
         (d3 == 0 && OnSegment(c, a, b)) || (d4 == 0 && OnSegment(d, a, b));
}

bool Same(const Point2& a, const Point2& b) { return a.x == b.x && a.y == b.y; }

}  // namespace

bool IsSimpleRing(std::span<const Point2> input) {
  // Repeated consecutive points (and an explicit closing point) add no edge.
  std::vector<Point2> p;
  p.reserve(input.size());
  for (const Point2& q : input) {
    if (p.empty() || !Same(p.back(), q)) p.push_back(q);
  }
  while (p.size() > 1 && Same(p.front(), p.back())) p.pop_back();
  const size_t n = p.size();
  if (n < 3) return false;
  auto edge_a = [&](size_t i) -> const Point2& { return p[i]; };
  auto edge_b = [&](size_t i) -> const Point2& { return p[(i + 1) % n]; };

  // Sweep along x: edges sorted by their left end; each edge is checked against the edges still
  // open (right end not left of its left end).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  auto min_x = [&](size_t i) { return std::min(edge_a(i).x, edge_b(i).x); };
  auto max_x = [&](size_t i) { return std::max(edge_a(i).x, edge_b(i).x); };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return min_x(a) < min_x(b); });
  std::vector<size_t> active;
  for (size_t i : order) {
    const double x = min_x(i);
    active.erase(std::remove_if(active.begin(), active.end(), [&](size_t j) { return max_x(j) < x; }),
                 active.end());
    for (size_t j : active) {
      const bool adjacent = (j + 1) % n == i || (i + 1) % n == j;
      if (adjacent) {
        // They share one vertex; the ring folds back when the edges overlap along a line.
        const size_t first = (j + 1) % n == i ? j : i;  // edge ending where the other starts
        const size_t second = first == j ? i : j;
        const Point2& a = edge_a(first);
        const Point2& v = edge_b(first);
        const Point2& c = edge_b(second);
        if (Cross(a, v, c) == 0 &&
            ((a.x - v.x) * (c.x - v.x) + (a.y - v.y) * (c.y - v.y)) > 0) {
          return false;
        }
        if (n == 3) continue;
        continue;
      }
      if (SegmentsTouch(edge_a(i), edge_b(i), edge_a(j), edge_b(j))) return false;
    }
    active.push_back(i);
  }
  return true;
}

bool SumCompressedRle(std::string_view s, uint64_t* sum, std::string* why) {
  // pycocotools rleFrString: 6-bit groups from characters '0' + value, 5 payload bits each, 0x20
  // continues, 0x10 of the last group is the sign; counts after the second are deltas of the
  // count two places before.
  std::vector<int64_t> counts;
  size_t p = 0;
  uint64_t total = 0;
  while (p < s.size()) {
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p >= s.size()) {
        *why = "the RLE string ends inside a count";
        return false;
      }
      const int c = static_cast<unsigned char>(s[p]) - 48;
      if (c < 0 || c > 63) {
        *why = fmt::format("character {} of the RLE string is not valid", p + 1);
        return false;
      }
      if (k > 12) {
        *why = "a count of the RLE string is too long";
        return false;
      }
      x |= static_cast<int64_t>(c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10) != 0) x |= -(int64_t{1} << (5 * k));
    }
    if (counts.size() > 2) x += counts[counts.size() - 2];
    if (x < 0) {
      *why = fmt::format("count {} of the RLE string is negative ({})", counts.size() + 1, x);
      return false;
    }
    counts.push_back(x);
    total += static_cast<uint64_t>(x);
    if (total > (uint64_t{1} << 50)) {
      *why = "the RLE counts are too large";
      return false;
    }
  }
  *sum = total;
  return true;
}

}  // namespace gtops
