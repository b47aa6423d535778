#include "geometry/rle.h"

#include <algorithm>
#include <limits>

#include "geometry/box_iou.h"

namespace gtops::geometry {
namespace {

// Each character carries 5 bits of the count, a continuation bit (32) and, in its last
// character, the sign in bit 16. A 32-bit count's difference from an earlier one needs at most
// 34 bits with its sign: 7 characters. pycocotools never writes more.
constexpr int kMaxCharsPerCount = 7;
constexpr char kFirstChar = '0';
constexpr char kLastChar = '0' + 63;

// Walks the runs of 1s of a count list: [begin, end) pixel intervals in column-major order,
// empty runs skipped.
class OnesRuns {
 public:
  explicit OnesRuns(std::span<const uint32_t> counts) : counts_(counts) {}

  bool Next(uint64_t& begin, uint64_t& end) {
    while (j_ < counts_.size()) {
      const uint64_t c = counts_[j_];
      const bool ones = j_ % 2 == 1;
      ++j_;
      if (ones && c > 0) {
        begin = pos_;
        end = pos_ + c;
        pos_ = end;
        return true;
      }
      pos_ += c;
    }
    return false;
  }

 private:
  std::span<const uint32_t> counts_;
  size_t j_ = 0;
  uint64_t pos_ = 0;
};

}  // namespace

Result<std::vector<uint32_t>> DecodeRleCounts(std::string_view compressed) {
  std::vector<uint32_t> counts;
  counts.reserve(compressed.size());
  size_t p = 0;
  while (p < compressed.size()) {
    const size_t start = p;
    uint64_t bits = 0;
    int k = 0;
    bool more = true;
    while (more) {
      if (p == compressed.size()) {
        return Status::BadInput("mask counts: string ends inside a count (at character " +
                                std::to_string(start + 1) + ")");
      }
      const char ch = compressed[p];
      if (ch < kFirstChar || ch > kLastChar) {
        return Status::BadInput("mask counts: character " + std::to_string(p + 1) +
                                " is not a COCO RLE character ('0' to 'o')");
      }
      if (k == kMaxCharsPerCount) {
        return Status::BadInput("mask counts: count at character " + std::to_string(start + 1) +
                                " is longer than " + std::to_string(kMaxCharsPerCount) +
                                " characters");
      }
      const uint64_t c = static_cast<uint64_t>(ch - kFirstChar);
      bits |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) != 0;
      ++p;
      ++k;
      if (!more && (c & 0x10) != 0) bits |= ~uint64_t{0} << (5 * k);  // negative: sign-extend
    }
    int64_t x = static_cast<int64_t>(bits);
    if (counts.size() > 2) x += counts[counts.size() - 2];
    if (x < 0 || x > std::numeric_limits<uint32_t>::max()) {
      return Status::BadInput("mask counts: count " + std::to_string(counts.size() + 1) +
                              " decodes to " + std::to_string(x) +
                              ", outside 0 to 4294967295");
    }
    counts.push_back(static_cast<uint32_t>(x));
  }
  return counts;
}

std::string EncodeRleCounts(std::span<const uint32_t> counts) {
  std::string out;
  out.reserve(counts.size() * 2);
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t x = counts[i];
    if (i > 2) x -= counts[i - 2];
    bool more = true;
    while (more) {
      int c = static_cast<int>(x & 0x1f);
      x >>= 5;  // arithmetic shift (defined for negative values since C++20)
      more = (c & 0x10) != 0 ? x != -1 : x != 0;
      if (more) c |= 0x20;
      out.push_back(static_cast<char>(kFirstChar + c));
    }
  }
  return out;
}

Status ValidateRle(const Rle& rle) {
  uint64_t sum = 0;
  for (uint32_t c : rle.counts) sum += c;
  const uint64_t pixels = uint64_t{rle.h} * rle.w;
  if (sum != pixels) {
    return Status::BadInput("mask counts sum to " + std::to_string(sum) + ", not h x w = " +
                            std::to_string(pixels));
  }
  return Status::Ok();
}

uint64_t RleArea(std::span<const uint32_t> counts) {
  uint64_t area = 0;
  for (size_t j = 1; j < counts.size(); j += 2) area += counts[j];
  return area;
}

uint64_t RleIntersection(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  OnesRuns ra(a), rb(b);
  uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0, inter = 0;
  bool has_a = ra.Next(a0, a1), has_b = rb.Next(b0, b1);
  while (has_a && has_b) {
    const uint64_t lo = std::max(a0, b0), hi = std::min(a1, b1);
    if (hi > lo) inter += hi - lo;
    if (a1 <= b1) {
      has_a = ra.Next(a0, a1);
    } else {
      has_b = rb.Next(b0, b1);
    }
  }
  return inter;
}

RleBbox RleToBbox(const Rle& rle) {
  RleBbox box;
  if (rle.h == 0) return box;
  OnesRuns runs(rle.counts);
  uint64_t begin = 0, end = 0;
  uint64_t xs = std::numeric_limits<uint64_t>::max(), xe = 0;
  uint64_t ys = std::numeric_limits<uint64_t>::max(), ye = 0;
  bool any = false;
  while (runs.Next(begin, end)) {
    any = true;
    const uint64_t last = end - 1;
    const uint64_t x0 = begin / rle.h, x1 = last / rle.h;
    uint64_t y0 = begin % rle.h, y1 = last % rle.h;
    if (x0 != x1) {  // the run wraps into the next column: every row is covered somewhere
      y0 = 0;
      y1 = rle.h - 1;
    }
    xs = std::min(xs, x0);
    xe = std::max(xe, x1);
    ys = std::min({ys, y0, y1});
    ye = std::max({ye, y0, y1});
  }
  if (!any) return box;
  box.x = static_cast<double>(xs);
  box.y = static_cast<double>(ys);
  box.w = static_cast<double>(xe - xs + 1);
  box.h = static_cast<double>(ye - ys + 1);
  return box;
}

double RleIou(const Rle& dt, const Rle& gt, bool gt_is_crowd) {
  if (dt.h != gt.h || dt.w != gt.w) {
    // pycocotools compares bounding boxes first and only then sees the size mismatch.
    const RleBbox d = RleToBbox(dt), g = RleToBbox(gt);
    const double box_iou = Box2dIou({d.x, d.y, d.w, d.h}, {g.x, g.y, g.w, g.h}, gt_is_crowd);
    return box_iou > 0 ? -1.0 : 0.0;
  }
  const uint64_t inter = RleIntersection(dt.counts, gt.counts);
  if (inter == 0) return 0.0;
  const uint64_t area_dt = RleArea(dt.counts);
  const uint64_t uni = gt_is_crowd ? area_dt : area_dt + RleArea(gt.counts) - inter;
  return static_cast<double>(inter) / static_cast<double>(uni);
}

}  // namespace gtops::geometry
