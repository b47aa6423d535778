#include "demo/mask_rle.h"

#include <algorithm>

#include "geometry/rle.h"

namespace gtops::demo {

void ColumnMaskCounts(std::span<const int> top, int h, std::vector<int64_t>& counts) {
  counts.clear();
  bool value = false;  // the value of the run being counted
  int64_t run = 0;
  auto add = [&](bool v, int64_t n) {
    if (n == 0) return;
    if (v != value) {
      counts.push_back(run);
      value = v;
      run = 0;
    }
    run += n;
  };
  for (int t : top) {
    const int clamped = std::clamp(t, 0, h);
    add(false, clamped);
    add(true, h - clamped);
  }
  counts.push_back(run);
}

std::string CocoRleString(std::span<const int64_t> counts) {
  std::vector<uint32_t> c;
  c.reserve(counts.size());
  for (int64_t v : counts) c.push_back(static_cast<uint32_t>(v));
  return geometry::EncodeRleCounts(c);
}

double ColumnMaskIou(std::span<const int> a, std::span<const int> b, int h) {
  int64_t inter = 0, uni = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t x = 0; x < n; ++x) {
    const int ta = std::clamp(a[x], 0, h), tb = std::clamp(b[x], 0, h);
    inter += h - std::max(ta, tb);
    uni += h - std::min(ta, tb);
  }
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

}  // namespace gtops::demo
