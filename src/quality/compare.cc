#include "quality/compare.h"

#include <algorithm>
#include <bit>
#include <numbers>
#include <numeric>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace gtops::quality {
namespace {

using geometry::Point2;
using geometry::Point3;
using geometry::Ring;

std::vector<Point3> ParsePolyline(std::string_view json) {
  std::vector<Point3> out;
  JsonValue v = ParseJson(json);
  out.reserve(v.items.size());
  for (const JsonValue& p : v.items) {
    Point3 q;
    if (p.items.size() >= 2) {
      q.x = p.items[0].number;
      q.y = p.items[1].number;
      if (p.items.size() >= 3) q.z = p.items[2].number;
    }
    out.push_back(q);
  }
  return out;
}

Ring ToRing(const JsonValue& ring) {
  Ring r;
  r.reserve(ring.items.size());
  for (const JsonValue& p : ring.items) {
    if (p.items.size() >= 2) r.push_back({p.items[0].number, p.items[1].number});
  }
  return r;
}

// One ring [[x, y], ...] or several [[[x, y], ...], ...].
std::vector<Ring> ToRings(const JsonValue& v) {
  std::vector<Ring> rings;
  if (v.items.empty()) return rings;
  const JsonValue& first = v.items[0];
  bool multi = !first.items.empty() && first.items[0].type == JsonValue::Type::kArray;
  if (multi) {
    for (const JsonValue& ring : v.items) rings.push_back(ToRing(ring));
  } else {
    rings.push_back(ToRing(v));
  }
  return rings;
}

geometry::Rle ParseMask(std::string_view json) {
  geometry::Rle rle;
  JsonValue v = ParseJson(json);
  if (const JsonValue* size = v.Find("size"); size && size->items.size() == 2) {
    rle.h = static_cast<uint32_t>(size->items[0].number);
    rle.w = static_cast<uint32_t>(size->items[1].number);
  }
  if (const JsonValue* counts = v.Find("counts")) {
    if (counts->type == JsonValue::Type::kString) {
      auto decoded = geometry::DecodeRleCounts(counts->text);
      if (decoded.ok()) rle.counts = std::move(*decoded);
    } else {
      rle.counts.reserve(counts->items.size());
      for (const JsonValue& c : counts->items) rle.counts.push_back(static_cast<uint32_t>(c.number));
    }
  }
  return rle;
}

bool InsideRing(const Ring& ring, double x, double y) {  // even-odd rule
  bool inside = false;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const Point2& a = ring[i];
    const Point2& b = ring[j];
    if ((a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

Point2 RingsBoxCentre(const std::vector<Ring>& rings) {
  double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
  for (const Ring& r : rings) {
    for (const Point2& p : r) {
      x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
  }
  return {(x0 + x1) / 2, (y0 + y1) / 2};
}

}  // namespace

std::string_view Name(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::kPaired: return "paired";
    case OutcomeKind::kMissing: return "missing";
    case OutcomeKind::kExtra: return "extra";
    case OutcomeKind::kDuplicate: return "duplicate";
    case OutcomeKind::kIgnored: return "ignored";
    case OutcomeKind::kTag: return "tag";
  }
  return "?";
}

double HeadingErrorDeg(double yaw_a, double yaw_b) {
  double d = std::abs(yaw_a - yaw_b);
  // fmod is exact and returns d itself below the divisor: called only above it (it is slow).
  if (!(d < 2 * std::numbers::pi)) d = std::fmod(d, 2 * std::numbers::pi);
  if (d > std::numbers::pi) d = 2 * std::numbers::pi - d;
  return d * (180.0 / std::numbers::pi);
}

std::string_view TrackHistory::LastLabelTrack(std::string_view reference_track) const {
  auto it = last_.find(reference_track);
  return it == last_.end() ? std::string_view() : std::string_view(it->second.label_track);
}

void TrackHistory::Observe(FrameComparison& frame) {
  if (frame.labels == nullptr || frame.reference == nullptr) return;
  for (Outcome& o : frame.outcomes) {
    if (o.reference < 0 || (o.kind != OutcomeKind::kPaired && o.kind != OutcomeKind::kMissing)) {
      continue;
    }
    const std::string& ref_track = frame.reference->objects[static_cast<size_t>(o.reference)].track;
    if (ref_track.empty()) continue;
    auto it = last_.find(std::string_view(ref_track));
    if (it == last_.end()) it = last_.emplace(ref_track, State{}).first;
    State& s = it->second;
    if (o.kind == OutcomeKind::kMissing) {
      s.paired_last_seen = false;
      continue;
    }
    const std::string& lab_track = frame.labels->objects[static_cast<size_t>(o.label)].track;
    if (!s.label_track.empty()) {
      if (!lab_track.empty() && lab_track != s.label_track) o.errors |= ErrorBit(ErrorType::kIdSwitch);
      if (!s.paired_last_seen) o.errors |= ErrorBit(ErrorType::kFragmentation);
    }
    if (!lab_track.empty()) s.label_track = lab_track;
    s.paired_last_seen = true;
  }
}

FrameComparer::FrameComparer(const PipelineSpec& pipeline, CompareOptions options)
    : pipeline_(pipeline), options_(options) {
  default_class_.rule = pipeline.match;
  for (const ClassSpec& c : pipeline.classes) {
    classes_.push_back({c.name, c.match.value_or(pipeline.match), c.safety_weight});
  }
}

const FrameComparer::ClassInfo& FrameComparer::InfoOf(std::string_view cls) const {
  for (const ClassInfo& c : classes_) {
    // Size and first letter first: most candidates differ there (no call to memcmp).
    if (c.name.size() == cls.size() && (cls.empty() || c.name[0] == cls[0]) && c.name == cls) return c;
  }
  return default_class_;
}

void FrameComparer::ParseRegions(std::string_view ignore_json) {
  regions_.clear();
  if (ignore_json.empty()) return;
  JsonValue v = ParseJson(ignore_json);
  for (const JsonValue& item : v.items) {
    Region region;
    bool numbers = !item.items.empty() && item.items[0].type == JsonValue::Type::kNumber;
    if (numbers && item.items.size() == 4) {
      region.kind = Region::Kind::kBox2d;
      region.box2d = {item.items[0].number, item.items[1].number, item.items[2].number,
                      item.items[3].number};
    } else if (numbers && item.items.size() == 7) {
      region.kind = Region::Kind::kBox3d;
      const auto& n = item.items;
      region.box3d = {n[0].number, n[1].number, n[2].number, n[3].number,
                      n[4].number, n[5].number, n[6].number};
    } else if (!numbers) {
      region.kind = Region::Kind::kPolygon;
      region.rings = ToRings(item);
    } else {
      continue;
    }
    regions_.push_back(std::move(region));
  }
}

// "Inside" an ignore region: the object's centre lies in the region (borders included). The
// centre is the box centre (box2d, box3d bird's-eye), the centre of the bounding box of a polygon
// or a mask, the mean of a polyline's points.
bool FrameComparer::InsideIgnore(const Object& obj, int32_t index, bool is_reference) const {
  if (regions_.empty()) return false;
  double x = 0, y = 0;
  size_t i = static_cast<size_t>(index);
  switch (obj.kind) {
    case GeometryKind::kBox2d: x = obj.box2d.x + obj.box2d.w / 2, y = obj.box2d.y + obj.box2d.h / 2; break;
    case GeometryKind::kBox3d: x = obj.box3d.x, y = obj.box3d.y; break;
    case GeometryKind::kPolygon: {
      Point2 c = RingsBoxCentre(is_reference ? ref_poly_[i] : lab_poly_[i]);
      x = c.x, y = c.y;
      break;
    }
    case GeometryKind::kMask: {
      auto b = geometry::RleToBbox(is_reference ? ref_mask_[i] : lab_mask_[i]);
      x = b.x + b.w / 2, y = b.y + b.h / 2;
      break;
    }
    case GeometryKind::kPolyline: {
      const auto& line = is_reference ? ref_line_[i] : lab_line_[i];
      for (const Point3& p : line) x += p.x, y += p.y;
      if (!line.empty()) x /= static_cast<double>(line.size()), y /= static_cast<double>(line.size());
      break;
    }
    case GeometryKind::kTags: return false;
  }
  for (const Region& r : regions_) {
    switch (r.kind) {
      case Region::Kind::kBox2d:
        if (x >= r.box2d.x && x <= r.box2d.x + r.box2d.w && y >= r.box2d.y && y <= r.box2d.y + r.box2d.h) return true;
        break;
      case Region::Kind::kBox3d: {
        double dx = x - r.box3d.x, dy = y - r.box3d.y;
        double c = std::cos(r.box3d.yaw), s = std::sin(r.box3d.yaw);
        double u = c * dx + s * dy, v = -s * dx + c * dy;
        if (std::abs(u) <= r.box3d.l / 2 && std::abs(v) <= r.box3d.w / 2) return true;
        break;
      }
      case Region::Kind::kPolygon:
        for (const Ring& ring : r.rings) {
          if (ring.size() >= 3 && InsideRing(ring, x, y)) return true;
        }
        break;
    }
  }
  return false;
}

void FrameComparer::Prepare(const LabelRecord& labels, const LabelRecord& reference) {
  const size_t nr = reference.objects.size(), nl = labels.objects.size();
  ref_info_.resize(nr);
  for (size_t r = 0; r < nr; ++r) ref_info_[r] = &InfoOf(reference.objects[r].cls);
  switch (pipeline_.geometry) {
    case GeometryKind::kBox3d:
      ref_box3d_.resize(nr);
      lab_box3d_.resize(nl);
      for (size_t r = 0; r < nr; ++r) ref_box3d_[r] = geometry::PrepareBox3d(reference.objects[r].box3d);
      for (size_t l = 0; l < nl; ++l) lab_box3d_[l] = geometry::PrepareBox3d(labels.objects[l].box3d);
      break;
    case GeometryKind::kPolyline:
      ref_line_.clear(), lab_line_.clear();
      for (const Object& o : reference.objects) ref_line_.push_back(ParsePolyline(o.geometry_json));
      for (const Object& o : labels.objects) lab_line_.push_back(ParsePolyline(o.geometry_json));
      for (auto [lines, boxes] : {std::pair{&ref_line_, &ref_line_box_}, std::pair{&lab_line_, &lab_line_box_}}) {
        boxes->clear();
        for (const auto& line : *lines) {
          std::array<double, 4> b{INFINITY, INFINITY, -INFINITY, -INFINITY};
          for (const Point3& p : line) {
            b[0] = std::min(b[0], p.x), b[1] = std::min(b[1], p.y);
            b[2] = std::max(b[2], p.x), b[3] = std::max(b[3], p.y);
          }
          boxes->push_back(b);
        }
      }
      break;
    case GeometryKind::kPolygon:
      ref_poly_.clear(), lab_poly_.clear();
      for (const Object& o : reference.objects) ref_poly_.push_back(ToRings(ParseJson(o.geometry_json)));
      for (const Object& o : labels.objects) lab_poly_.push_back(ToRings(ParseJson(o.geometry_json)));
      break;
    case GeometryKind::kMask:
      ref_mask_.clear(), lab_mask_.clear();
      for (const Object& o : reference.objects) ref_mask_.push_back(ParseMask(o.geometry_json));
      for (const Object& o : labels.objects) lab_mask_.push_back(ParseMask(o.geometry_json));
      break;
    case GeometryKind::kBox2d:
    case GeometryKind::kTags:
      break;
  }
  ParseRegions(reference.ignore_json);
}

// The gate of the reference's match rule. IoU rules pass at IoU >= threshold (and > 0),
// distance rules at distance <= threshold. The cost is normalised into [0, 1] so that pairs
// under different rules (per-class overrides) compete in one assignment.
bool FrameComparer::Gate(const Object& ref, const Object& lab, int32_t r, int32_t l,
                         const MatchRule& rule, Edge& edge) const {
  const size_t ri = static_cast<size_t>(r), li = static_cast<size_t>(l);
  switch (rule.kind) {
    case MatchRule::Kind::kIou: {
      double iou = 0;
      if (pipeline_.geometry == GeometryKind::kBox2d) {
        iou = geometry::Box2dIou(lab.box2d, ref.box2d);
      } else if (pipeline_.geometry == GeometryKind::kPolygon) {
        iou = geometry::PolygonIou(ref_poly_[ri], lab_poly_[li]);
      } else if (pipeline_.geometry == GeometryKind::kMask) {
        iou = geometry::RleIou(lab_mask_[li], ref_mask_[ri]);
      } else if (pipeline_.geometry == GeometryKind::kBox3d) {
        iou = geometry::BevIou(ref_box3d_[ri], lab_box3d_[li]);
      }
      if (!(iou > 0 && iou >= rule.value)) return false;
      edge.iou = iou;
      edge.cost = 1 - iou;
      return true;
    }
    case MatchRule::Kind::kBevIou: {
      if (pipeline_.geometry != GeometryKind::kBox3d) return false;
      const auto& a = ref_box3d_[ri];
      const auto& b = lab_box3d_[li];
      double dx = a.x - b.x, dy = a.y - b.y, reach = a.radius + b.radius;
      if (dx * dx + dy * dy >= reach * reach) return false;  // footprints cannot overlap
      double iou = geometry::BevIou(a, b);
      if (!(iou > 0 && iou >= rule.value)) return false;
      edge.iou = iou;
      edge.cost = 1 - iou;
      return true;
    }
    case MatchRule::Kind::kCenterDistanceM: {
      double d = 0;
      if (pipeline_.geometry == GeometryKind::kBox3d) {
        // The prepared centres are the boxes' (copied): no access to the objects themselves.
        const auto& a = ref_box3d_[ri];
        const auto& b = lab_box3d_[li];
        double dx = a.x - b.x, dy = a.y - b.y;
        d = std::sqrt(dx * dx + dy * dy);
      } else if (pipeline_.geometry == GeometryKind::kBox2d) {
        d = std::hypot(ref.box2d.x + ref.box2d.w / 2 - lab.box2d.x - lab.box2d.w / 2,
                       ref.box2d.y + ref.box2d.h / 2 - lab.box2d.y - lab.box2d.h / 2);
      } else {
        return false;
      }
      if (!(d <= rule.value)) return false;
      edge.distance = d;
      edge.cost = rule.value > 0 ? d / rule.value : 0;
      return true;
    }
    case MatchRule::Kind::kPolylineMatchM: {
      if (pipeline_.geometry != GeometryKind::kPolyline) return false;
      const auto& rb = ref_line_box_[ri];
      const auto& lb = lab_line_box_[li];
      const double gx = std::max({0.0, rb[0] - lb[2], lb[0] - rb[2]});
      const double gy = std::max({0.0, rb[1] - lb[3], lb[1] - rb[3]});
      if (gx * gx + gy * gy > rule.value * rule.value) return false;  // lower bound already too far
      double d = geometry::MeanSymmetricDistanceAtMost(ref_line_[ri], lab_line_[li], rule.value);
      if (!(d <= rule.value)) return false;
      edge.distance = d;
      edge.cost = rule.value > 0 ? d / rule.value : 0;
      return true;
    }
    case MatchRule::Kind::kNone:
      return false;
  }
  return false;
}

namespace {

// True when an upper bound of the bird's-eye IoU of two non-degenerate boxes (in exact
// arithmetic) is below `limit`. The footprints' intersection I is at most the smaller footprint,
// lies within b's rectangle and a's bounding rectangle along b's axes, and within a's rectangle
// and b's bounding rectangle along a's axes; IoU = I / (A + B - I) increases with I. A and B are
// any types with the centre, yaw and half sizes of PreparedBox3d.
template <class A, class B>
[[gnu::always_inline]] inline bool BevIouBoundBelow(const A& a, const B& b, double limit) {
  const double area_a = 4 * a.half_l * a.half_w, area_b = 4 * b.half_l * b.half_w;
  auto iou_at_most = [&](double inter) { return inter / (area_a + area_b - inter); };
  double inter = std::min(area_a, area_b);
  if (iou_at_most(inter) < limit) return true;  // sizes too different
  const double dx = a.x - b.x, dy = a.y - b.y;
  const double cr = std::abs(a.cos_yaw * b.cos_yaw + a.sin_yaw * b.sin_yaw);
  const double sr = std::abs(a.sin_yaw * b.cos_yaw - a.cos_yaw * b.sin_yaw);
  auto overlap = [](double half_box, double half_other, double offset) {
    return std::max(0.0, std::min(std::min(2 * half_box, 2 * half_other), half_box + half_other - offset));
  };
  // In b's frame: a's centre and half extents along b's axes.
  const double bu = std::abs(b.cos_yaw * dx + b.sin_yaw * dy), bv = std::abs(b.cos_yaw * dy - b.sin_yaw * dx);
  inter = std::min(inter, overlap(b.half_l, cr * a.half_l + sr * a.half_w, bu) *
                              overlap(b.half_w, sr * a.half_l + cr * a.half_w, bv));
  // In a's frame.
  const double au = std::abs(a.cos_yaw * dx + a.sin_yaw * dy), av = std::abs(a.cos_yaw * dy - a.sin_yaw * dx);
  inter = std::min(inter, overlap(a.half_l, cr * b.half_l + sr * b.half_w, au) *
                              overlap(a.half_w, sr * b.half_l + cr * b.half_w, av));
  return iou_at_most(inter) < limit;
}

// A footprint for BevIouBoundBelow from the grid's arrays.
struct FootprintView {
  double x, y, cos_yaw, sin_yaw, half_l, half_w;
};

#if defined(__AVX2__)
// BevIouBoundBelow of one reference against four labels at once: Keep returns the movemask of
// the lanes whose bound is not below the limit (NaN keeps: the gate decides). The arithmetic is
// BevIouBoundBelow's with the division multiplied out; it may round differently from the scalar
// form, far below the bound's margin.
class BoundLanes {
 public:
  BoundLanes(const geometry::PreparedBox3d& a, double limit)
      : c_(_mm256_set1_pd(a.cos_yaw)), s_(_mm256_set1_pd(a.sin_yaw)), hl_(_mm256_set1_pd(a.half_l)),
        hw_(_mm256_set1_pd(a.half_w)), area_(_mm256_set1_pd(4 * a.half_l * a.half_w)),
        limit_(_mm256_set1_pd(limit)) {}

  // dx, dy: the reference's centre minus the labels'.
  [[gnu::always_inline]] unsigned Keep(__m256d dx, __m256d dy, const double* cos_yaw, const double* sin_yaw,
                                       const double* half_l, const double* half_w) const {
    const __m256d bc = _mm256_loadu_pd(cos_yaw), bs = _mm256_loadu_pd(sin_yaw);
    const __m256d bhl = _mm256_loadu_pd(half_l), bhw = _mm256_loadu_pd(half_w);
    const __m256d four = _mm256_set1_pd(4);
    const __m256d area_b = _mm256_mul_pd(_mm256_mul_pd(four, bhl), bhw);
    const __m256d cr = Abs(_mm256_add_pd(_mm256_mul_pd(c_, bc), _mm256_mul_pd(s_, bs)));
    const __m256d sr = Abs(_mm256_sub_pd(_mm256_mul_pd(s_, bc), _mm256_mul_pd(c_, bs)));
    // In b's frame: a's centre and half extents along b's axes; then in a's frame.
    const __m256d bu = Abs(_mm256_add_pd(_mm256_mul_pd(bc, dx), _mm256_mul_pd(bs, dy)));
    const __m256d bv = Abs(_mm256_sub_pd(_mm256_mul_pd(bc, dy), _mm256_mul_pd(bs, dx)));
    const __m256d au = Abs(_mm256_add_pd(_mm256_mul_pd(c_, dx), _mm256_mul_pd(s_, dy)));
    const __m256d av = Abs(_mm256_sub_pd(_mm256_mul_pd(c_, dy), _mm256_mul_pd(s_, dx)));
    const __m256d a_along_l = _mm256_add_pd(_mm256_mul_pd(cr, hl_), _mm256_mul_pd(sr, hw_));
    const __m256d a_along_w = _mm256_add_pd(_mm256_mul_pd(sr, hl_), _mm256_mul_pd(cr, hw_));
    const __m256d b_along_l = _mm256_add_pd(_mm256_mul_pd(cr, bhl), _mm256_mul_pd(sr, bhw));
    const __m256d b_along_w = _mm256_add_pd(_mm256_mul_pd(sr, bhl), _mm256_mul_pd(cr, bhw));
    __m256d inter = Min(area_, area_b);
    inter = Min(inter, _mm256_mul_pd(Overlap(bhl, a_along_l, bu), Overlap(bhw, a_along_w, bv)));
    inter = Min(inter, _mm256_mul_pd(Overlap(hl_, b_along_l, au), Overlap(hw_, b_along_w, av)));
    // iou <= inter / (area_a + area_b - inter), whose denominator is at least the larger area.
    const __m256d below = _mm256_cmp_pd(
        inter, _mm256_mul_pd(limit_, _mm256_sub_pd(_mm256_add_pd(area_, area_b), inter)), _CMP_LT_OQ);
    return static_cast<unsigned>(_mm256_movemask_pd(below)) ^ 0xFu;
  }

 private:
  static __m256d Abs(__m256d v) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v); }
  // NaN propagates (min and max return their second operand when one is NaN).
  static __m256d Min(__m256d a, __m256d b) { return _mm256_min_pd(a, b); }
  static __m256d Overlap(__m256d half_box, __m256d half_other, __m256d offset) {
    const __m256d two = _mm256_set1_pd(2);
    const __m256d m = _mm256_min_pd(_mm256_mul_pd(two, half_box), _mm256_mul_pd(two, half_other));
    return _mm256_max_pd(_mm256_setzero_pd(),
                         _mm256_min_pd(m, _mm256_sub_pd(_mm256_add_pd(half_box, half_other), offset)));
  }
  __m256d c_, s_, hl_, hw_, area_, limit_;
};
#endif

// Far below the rounding error of the exact IoU (about 1e-12 relative): a pair whose bound is
// this far under the threshold cannot pass the gate by rounding.
constexpr double kIouBoundMargin = 1e-4;
// Relative slack of the squared-distance rejects: far above rounding, far below anything real.
constexpr double kCircleSlack = 1 + 1e-9;

}  // namespace

// For box3d pairs: true when the pair certainly fails the gate of `rule` (the same verdict Gate
// would reach, found cheaply). Pairs it does not reject still go through Gate.
bool FrameComparer::CannotPass(int32_t r, int32_t l, const MatchRule& rule) const {
  if (rule.kind != MatchRule::Kind::kBevIou && rule.kind != MatchRule::Kind::kIou) return false;
  const auto& a = ref_box3d_[static_cast<size_t>(r)];
  const auto& b = lab_box3d_[static_cast<size_t>(l)];
  if (a.bev_degenerate || b.bev_degenerate) return true;  // BevIou is 0: the gate needs IoU > 0
  // BevIou's own bounding-circle reject (IoU 0), with a slack far above rounding (so that a
  // fused multiply-add here but not there cannot matter).
  const double dx = a.x - b.x, dy = a.y - b.y, reach = a.radius + b.radius;
  if (dx * dx + dy * dy > reach * reach * kCircleSlack) return true;
  return BevIouBoundBelow(a, b, rule.value - kIouBoundMargin);
}

// Grid over the labels' centres with about one label per cell (at most 2 n + 1 cells).
void FrameComparer::BuildGrid() {
  const size_t nl = lab_box3d_.size();
  double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
  for (const auto& b : lab_box3d_) {
    x0 = std::min(x0, b.x), y0 = std::min(y0, b.y), x1 = std::max(x1, b.x), y1 = std::max(y1, b.y);
  }
  const double w = x1 - x0, h = y1 - y0, n = static_cast<double>(nl);
  const double cell = std::max({std::sqrt(w * h / n), (w + h) / n, 1e-6});
  grid_x0_ = x0, grid_y0_ = y0, grid_inv_cell_ = 1 / cell;
  grid_nx_ = static_cast<int32_t>(std::min(n, std::floor(w * grid_inv_cell_))) + 1;
  grid_ny_ = static_cast<int32_t>(std::min(n, std::floor(h * grid_inv_cell_))) + 1;
  const size_t cells = static_cast<size_t>(grid_nx_) * static_cast<size_t>(grid_ny_);
  grid_start_.assign(cells + 1, 0);
  auto cell_of = [&](const geometry::PreparedBox3d& b) {
    return static_cast<size_t>(CellY(b.y)) * static_cast<size_t>(grid_nx_) + static_cast<size_t>(CellX(b.x));
  };
  for (const auto& b : lab_box3d_) ++grid_start_[cell_of(b) + 1];
  for (size_t c = 0; c < cells; ++c) grid_start_[c + 1] += grid_start_[c];
  for (auto* v : {&grid_x_, &grid_y_, &grid_r_, &grid_cos_, &grid_sin_, &grid_hl_, &grid_hw_}) {
    v->resize(nl + kGridPad);
    std::fill(v->begin() + static_cast<std::ptrdiff_t>(nl), v->end(), std::numeric_limits<double>::quiet_NaN());
  }
  grid_index_.resize(nl + kGridPad, 0);
  // grid_start_[c] serves as the fill position of cell c, then is shifted back.
  for (size_t l = 0; l < nl; ++l) {
    const auto& b = lab_box3d_[l];
    const size_t k = static_cast<size_t>(grid_start_[cell_of(b)]++);
    grid_x_[k] = b.x, grid_y_[k] = b.y;
    grid_r_[k] = b.bev_degenerate ? std::numeric_limits<double>::quiet_NaN() : b.radius;
    grid_cos_[k] = b.cos_yaw, grid_sin_[k] = b.sin_yaw, grid_hl_[k] = b.half_l, grid_hw_[k] = b.half_w;
    grid_index_[k] = static_cast<int32_t>(l);
  }
  for (size_t c = cells; c > 0; --c) grid_start_[c] = grid_start_[c - 1];
  grid_start_[0] = 0;
}

// The labels' rank order: std::sort of their indices by centre x, once per frame. (std::sort's
// moves depend only on the comparisons' outcomes: sorting (x, index) pairs by x gives the
// permutation that sorting the indices by x gives, ties included.)
void FrameComparer::RankLabels() {
  if (ranked_) return;
  ranked_ = true;
  const size_t nl = lab_box3d_.size();
  label_x_.resize(nl);
  for (size_t l = 0; l < nl; ++l) label_x_[l] = {lab_box3d_[l].x, static_cast<int32_t>(l)};
  std::sort(label_x_.begin(), label_x_.end(), [](const LabelX& a, const LabelX& b) { return a.x < b.x; });
  lab_rank_.resize(nl);
  for (size_t i = 0; i < nl; ++i) lab_rank_[static_cast<size_t>(label_x_[i].index)] = static_cast<int32_t>(i);
}

void FrameComparer::BuildEdges(const LabelRecord& labels, const LabelRecord& reference,
                               const TrackHistory* history) {
  edges_.clear();
  const int32_t nr = static_cast<int32_t>(reference.objects.size());
  const int32_t nl = static_cast<int32_t>(labels.objects.size());
  const bool box3d = pipeline_.geometry == GeometryKind::kBox3d;
  const bool prune = box3d && options_.prune_candidates;
  // box3d: a reference's candidates are taken in the labels' rank order (std::sort of the label
  // indices by centre x), whichever way they are found. Small frames are scanned whole in that
  // order; the grid pays from a few dozen labels on, and sorts each reference's few edges by x,
  // asking for the ranks only when two of them have the same x.
  constexpr int32_t kGridMinLabels = 24;
  const bool grid = prune && nl >= kGridMinLabels;
  ranked_ = false;
  if (box3d && !grid) RankLabels();
  double max_label_radius = 0;
  if (grid) {
    BuildGrid();
    for (const auto& b : lab_box3d_) max_label_radius = std::max(max_label_radius, b.radius);
  }
  for (int32_t r = 0; r < nr; ++r) {
    const Object& ref = reference.objects[static_cast<size_t>(r)];
    const MatchRule& rule = ref_info_[static_cast<size_t>(r)]->rule;
    std::string_view continuing;
    if (history != nullptr && !ref.track.empty()) continuing = history->LastLabelTrack(ref.track);
    auto consider = [&](int32_t l, bool prechecked) {
      if (prune && !prechecked && CannotPass(r, l, rule)) return;
      const Object& lab = labels.objects[static_cast<size_t>(l)];
      Edge e;
      e.ref = r, e.label = l;
      if (!Gate(ref, lab, r, l, rule, e)) return;
      if (!continuing.empty() && lab.track == continuing) e.cost -= 1;
      edges_.push_back(e);
    };
    if (!box3d) {
      for (int32_t l = 0; l < nl; ++l) consider(l, false);
      continue;
    }
    if (!grid) {
      for (const LabelX& lx : label_x_) consider(lx.index, false);
      continue;
    }
    // Every label the gate can pass has its centre within `reach` of the reference's along x and
    // y; the slack covers the rounding of the cell arithmetic.
    const auto& a = ref_box3d_[static_cast<size_t>(r)];
    double reach = 0;
    const bool iou_rule = rule.kind == MatchRule::Kind::kBevIou || rule.kind == MatchRule::Kind::kIou;
    if (rule.kind == MatchRule::Kind::kCenterDistanceM) {
      reach = rule.value;
    } else if (iou_rule) {
      reach = a.radius + max_label_radius;
    } else {
      continue;  // Gate passes no box3d pair under other rules
    }
    // A centre distance beyond the rule's by more than rounding fails its gate.
    const double distance_limit2 = rule.value * rule.value * kCircleSlack;
    const double bound_limit = rule.value - kIouBoundMargin;
    reach += 1e-9 * (reach + std::abs(a.x) + std::abs(a.y) + 1);
    const size_t begin = edges_.size();
    const int32_t cx0 = CellX(a.x - reach), cx1 = CellX(a.x + reach);
    const int32_t cy0 = CellY(a.y - reach), cy1 = CellY(a.y + reach);
    if (iou_rule && a.bev_degenerate) continue;  // BevIou is 0: the gate needs IoU > 0
    // A label within the distance limit (IoU rules: within the bounding circles, and not rejected
    // by the IoU bound, as in CannotPass) goes to the gate; most are not.
    const double ra = iou_rule ? a.radius : 0;
#if defined(__AVX2__)
    // Four labels at a time; the lanes past a row's last label are masked off (the arrays are
    // padded so that the loads stay inside).
    const __m256d vax = _mm256_set1_pd(a.x), vay = _mm256_set1_pd(a.y), vra = _mm256_set1_pd(ra);
    const __m256d vslack = _mm256_set1_pd(kCircleSlack), vlimit = _mm256_set1_pd(distance_limit2);
    const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    const BoundLanes bound(a, bound_limit);
#endif
    for (int32_t cy = cy0; cy <= cy1; ++cy) {
      const size_t row = static_cast<size_t>(cy) * static_cast<size_t>(grid_nx_);
      int32_t i = grid_start_[row + static_cast<size_t>(cx0)];
      const int32_t stop = grid_start_[row + static_cast<size_t>(cx1) + 1];
#if defined(__AVX2__)
      for (; i < stop; i += 4) {
        const size_t k = static_cast<size_t>(i);
        const __m256d dx = _mm256_sub_pd(vax, _mm256_loadu_pd(&grid_x_[k]));
        const __m256d dy = _mm256_sub_pd(vay, _mm256_loadu_pd(&grid_y_[k]));
        const __m256d d2 = _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy));
        const __m256d inside = _mm256_castsi256_pd(_mm256_cmpgt_epi64(_mm256_set1_epi64x(stop - i), lanes));
        unsigned mask;
        if (iou_rule) {
          const __m256d circles = _mm256_add_pd(vra, _mm256_loadu_pd(&grid_r_[k]));
          const __m256d limit = _mm256_mul_pd(_mm256_mul_pd(circles, circles), vslack);
          mask = static_cast<unsigned>(_mm256_movemask_pd(_mm256_and_pd(inside, _mm256_cmp_pd(d2, limit, _CMP_LE_OQ))));
          mask &= bound.Keep(dx, dy, &grid_cos_[k], &grid_sin_[k], &grid_hl_[k], &grid_hw_[k]);
        } else {
          mask = static_cast<unsigned>(_mm256_movemask_pd(_mm256_and_pd(inside, _mm256_cmp_pd(d2, vlimit, _CMP_LE_OQ))));
        }
        for (; mask != 0; mask &= mask - 1) consider(grid_index_[k + static_cast<size_t>(std::countr_zero(mask))], true);
      }
#else
      for (; i < stop; ++i) {
        const size_t k = static_cast<size_t>(i);
        const double dx = a.x - grid_x_[k], dy = a.y - grid_y_[k], d2 = dx * dx + dy * dy;
        const double circles = ra + grid_r_[k];
        if (!(d2 <= (iou_rule ? circles * circles * kCircleSlack : distance_limit2))) continue;
        if (iou_rule) {
          const FootprintView g{grid_x_[k], grid_y_[k], grid_cos_[k], grid_sin_[k], grid_hl_[k], grid_hw_[k]};
          if (BevIouBoundBelow(a, g, bound_limit)) continue;
        }
        consider(grid_index_[k], true);
      }
#endif
    }
    // Into rank order (insertion sort: a reference has few edges).
    auto after = [&](int32_t l, int32_t m) {  // label l comes after label m
      const double xl = lab_box3d_[static_cast<size_t>(l)].x, xm = lab_box3d_[static_cast<size_t>(m)].x;
      if (xl != xm) return xl > xm;
      RankLabels();
      return lab_rank_[static_cast<size_t>(l)] > lab_rank_[static_cast<size_t>(m)];
    };
    for (size_t i = begin + 1; i < edges_.size(); ++i) {
      const Edge e = edges_[i];
      size_t j = i;
      for (; j > begin && after(edges_[j - 1].label, e.label); --j) edges_[j] = edges_[j - 1];
      edges_[j] = e;
    }
  }
}

// Connected components of the gate graph are solved separately: most are one reference and one
// label, paired without the solver; the rest go to the assignment solver on their own submatrix.
void FrameComparer::PairOptimal(size_t num_refs, size_t num_labels) {
  const size_t n = num_refs + num_labels;
  parent_.resize(n);
  std::iota(parent_.begin(), parent_.end(), 0);
  auto find = [&](int32_t x) {
    while (parent_[static_cast<size_t>(x)] != x) {
      parent_[static_cast<size_t>(x)] = parent_[static_cast<size_t>(parent_[static_cast<size_t>(x)])];
      x = parent_[static_cast<size_t>(x)];
    }
    return x;
  };
  for (const Edge& e : edges_) {
    int32_t a = find(e.ref), b = find(static_cast<int32_t>(num_refs) + e.label);
    if (a != b) parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }
  // Edges per component (its root is always a reference: the smallest index in it).
  local_.assign(num_refs, 0);
  for (const Edge& e : edges_) ++local_[static_cast<size_t>(find(e.ref))];
  // The edges of components with several edges, by root and then edge index (a counting sort):
  // local_ becomes the position of each such root's next edge, and -1 for single-edge roots.
  int32_t total = 0;
  for (int32_t& c : local_) {
    const int32_t count = c;
    c = count >= 2 ? total : -1;
    if (count >= 2) total += count;
  }
  comp_edges_.resize(static_cast<size_t>(total));
  for (size_t i = 0; i < edges_.size(); ++i) {
    const Edge& e = edges_[i];
    const int32_t root = find(e.ref);
    int32_t& at = local_[static_cast<size_t>(root)];
    if (at < 0) {
      ref_pair_[static_cast<size_t>(e.ref)] = static_cast<int32_t>(i);
      lab_pair_[static_cast<size_t>(e.label)] = static_cast<int32_t>(i);
    } else {
      comp_edges_[static_cast<size_t>(at++)] = {root, static_cast<int32_t>(i)};
    }
  }
  if (comp_edges_.empty()) return;
  // Local row of each reference and column of each label within their component.
  ref_local_.assign(num_refs, -1);
  order_.assign(num_labels, -1);
  for (size_t begin = 0; begin < comp_edges_.size();) {
    size_t end = begin;
    while (end < comp_edges_.size() && comp_edges_[end].first == comp_edges_[begin].first) ++end;
    comp_refs_.clear(), comp_labels_.clear();
    for (size_t i = begin; i < end; ++i) {
      const Edge& e = edges_[static_cast<size_t>(comp_edges_[i].second)];
      if (ref_local_[static_cast<size_t>(e.ref)] < 0) {
        ref_local_[static_cast<size_t>(e.ref)] = static_cast<int32_t>(comp_refs_.size());
        comp_refs_.push_back(e.ref);
      }
      if (order_[static_cast<size_t>(e.label)] < 0) {
        order_[static_cast<size_t>(e.label)] = static_cast<int32_t>(comp_labels_.size());
        comp_labels_.push_back(e.label);
      }
    }
    const size_t rows = comp_refs_.size(), cols = comp_labels_.size();
    costs_.assign(rows * cols, kForbiddenCost);
    edge_at_.assign(rows * cols, -1);
    for (size_t i = begin; i < end; ++i) {
      const int32_t ei = comp_edges_[i].second;
      const Edge& e = edges_[static_cast<size_t>(ei)];
      size_t cell = static_cast<size_t>(ref_local_[static_cast<size_t>(e.ref)]) * cols +
                    static_cast<size_t>(order_[static_cast<size_t>(e.label)]);
      costs_[cell] = e.cost;
      edge_at_[cell] = ei;
    }
    const Assignment& a = solver_.Solve(costs_, rows, cols);
    for (size_t row = 0; row < rows; ++row) {
      int c = a.row_to_col[row];
      if (c < 0) continue;
      int32_t ei = edge_at_[row * cols + static_cast<size_t>(c)];
      const Edge& e = edges_[static_cast<size_t>(ei)];
      ref_pair_[static_cast<size_t>(e.ref)] = ei;
      lab_pair_[static_cast<size_t>(e.label)] = ei;
    }
    for (int32_t r : comp_refs_) ref_local_[static_cast<size_t>(r)] = -1;
    for (int32_t l : comp_labels_) order_[static_cast<size_t>(l)] = -1;
    begin = end;
  }
}

// COCO's greedy matching: labels by descending score (ties in input order), each takes the free
// gated reference of lowest cost (highest IoU).
void FrameComparer::PairGreedy(const LabelRecord& labels) {
  const size_t nl = labels.objects.size();
  order_.resize(nl);
  std::iota(order_.begin(), order_.end(), 0);
  std::stable_sort(order_.begin(), order_.end(), [&](int32_t a, int32_t b) {
    return labels.objects[static_cast<size_t>(a)].score.value_or(0) >
           labels.objects[static_cast<size_t>(b)].score.value_or(0);
  });
  // Edges grouped by label.
  std::stable_sort(edges_.begin(), edges_.end(), [](const Edge& a, const Edge& b) { return a.label < b.label; });
  local_.assign(nl + 1, 0);
  for (const Edge& e : edges_) ++local_[static_cast<size_t>(e.label) + 1];
  for (size_t l = 0; l < nl; ++l) local_[l + 1] += local_[l];
  for (int32_t l : order_) {
    int32_t best = -1;
    for (int32_t i = local_[static_cast<size_t>(l)]; i < local_[static_cast<size_t>(l) + 1]; ++i) {
      const Edge& e = edges_[static_cast<size_t>(i)];
      if (ref_pair_[static_cast<size_t>(e.ref)] >= 0) continue;
      if (best < 0 || e.cost < edges_[static_cast<size_t>(best)].cost) best = i;
    }
    if (best < 0) continue;
    ref_pair_[static_cast<size_t>(edges_[static_cast<size_t>(best)].ref)] = best;
    lab_pair_[static_cast<size_t>(l)] = best;
  }
}

void FrameComparer::Measure(const Object& ref, const Object& lab, const Edge& edge, Outcome& o) const {
  const Tolerances& tol = pipeline_.tolerances;
  if (ref.cls != lab.cls) o.errors |= ErrorBit(ErrorType::kWrongClass);
  switch (pipeline_.geometry) {
    case GeometryKind::kBox3d: {
      const Box3d& a = ref.box3d;
      const Box3d& b = lab.box3d;
      o.iou = std::isnan(edge.iou)
                  ? geometry::BevIou(ref_box3d_[static_cast<size_t>(edge.ref)], lab_box3d_[static_cast<size_t>(edge.label)])
                  : edge.iou;
      o.center_error_m = std::sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y));
      o.size_error_rel = std::max({std::abs(b.l - a.l) / a.l, std::abs(b.w - a.w) / a.w, std::abs(b.h - a.h) / a.h});
      o.heading_error_deg = HeadingErrorDeg(a.yaw, b.yaw);
      o.distance = o.center_error_m;
      if (tol.position_m && o.center_error_m > *tol.position_m) o.errors |= ErrorBit(ErrorType::kPosition);
      if (tol.size_rel && o.size_error_rel > *tol.size_rel) o.errors |= ErrorBit(ErrorType::kSize);
      if (o.heading_error_deg > 150.0) {
        o.errors |= ErrorBit(ErrorType::kHeadingFlip);
      } else if (tol.heading_deg && o.heading_error_deg > *tol.heading_deg) {
        o.errors |= ErrorBit(ErrorType::kHeading);
      }
      break;
    }
    case GeometryKind::kBox2d: {
      const Box2d& a = ref.box2d;
      const Box2d& b = lab.box2d;
      o.iou = std::isnan(edge.iou) ? geometry::Box2dIou(b, a) : edge.iou;
      double dcx = (b.x + b.w / 2) - (a.x + a.w / 2), dcy = (b.y + b.h / 2) - (a.y + a.h / 2);
      double dw = b.w - a.w, dh = b.h - a.h;
      o.distance = std::hypot(dcx, dcy);
      o.size_error_rel = std::max(std::abs(dw) / a.w, std::abs(dh) / a.h);
      if (tol.min_iou && o.iou < *tol.min_iou) {
        o.errors |= ErrorBit(o.distance > std::hypot(dw, dh) ? ErrorType::kPosition : ErrorType::kSize);
      }
      break;
    }
    case GeometryKind::kPolygon:
      o.iou = std::isnan(edge.iou) ? geometry::PolygonIou(ref_poly_[static_cast<size_t>(edge.ref)], lab_poly_[static_cast<size_t>(edge.label)]) : edge.iou;
      if (tol.min_iou && o.iou < *tol.min_iou) o.errors |= ErrorBit(ErrorType::kGeometry);
      break;
    case GeometryKind::kMask:
      o.iou = std::isnan(edge.iou) ? geometry::RleIou(lab_mask_[static_cast<size_t>(edge.label)], ref_mask_[static_cast<size_t>(edge.ref)]) : edge.iou;
      if (tol.min_iou && o.iou < *tol.min_iou) o.errors |= ErrorBit(ErrorType::kGeometry);
      break;
    case GeometryKind::kPolyline:
      o.distance = std::isnan(edge.distance) ? geometry::MeanSymmetricDistance(ref_line_[static_cast<size_t>(edge.ref)], lab_line_[static_cast<size_t>(edge.label)]) : edge.distance;
      if (tol.polyline_m && o.distance > *tol.polyline_m) o.errors |= ErrorBit(ErrorType::kGeometry);
      break;
    case GeometryKind::kTags:
      break;
  }
}

// The reference's attributes are the ones compared: each is equal when the label has the same
// key with the same value; a key the label lacks differs. Keys only the label has are not
// compared (the reference says nothing about them). A label with no attributes at all (model
// predictions usually) has nothing compared.
void FrameComparer::CompareAttributes(const Object& ref, const Object& lab, FrameComparison& out, Outcome& o) {
  o.attribute_begin = static_cast<uint32_t>(out.attributes.size());
  if (!ref.attributes_json.empty() && !lab.attributes_json.empty()) {
    ref_members_.clear(), lab_members_.clear();
    // Most references repeat a few attribute texts: the last one's members are kept as offsets.
    const std::string_view text = ref.attributes_json;
    if (text != attr_memo_) {
      attr_memo_.assign(text);
      attr_memo_members_.clear();
      ParseFlatObject(text, lab_members_);  // lab_members_ as scratch (cleared below)
      auto span = [&](std::string_view v) {
        return std::pair<uint32_t, uint32_t>(static_cast<uint32_t>(v.data() - text.data()), static_cast<uint32_t>(v.size()));
      };
      for (const JsonMember& m : lab_members_) attr_memo_members_.push_back({span(m.key), span(m.value)});
      lab_members_.clear();
    }
    if (ref.attributes_json == lab.attributes_json) {  // the same text: every value equal
      for (const auto& [key, value] : attr_memo_members_) out.attributes.push_back({text.substr(key.first, key.second), true});
      o.attribute_end = static_cast<uint32_t>(out.attributes.size());
      return;
    }
    for (const auto& [key, value] : attr_memo_members_) {
      ref_members_.push_back({text.substr(key.first, key.second), text.substr(value.first, value.second)});
    }
    ParseFlatObject(lab.attributes_json, lab_members_);
    for (const JsonMember& m : ref_members_) {
      bool equal = false;
      for (const JsonMember& n : lab_members_) {
        if (n.key == m.key) {
          equal = SameJsonValue(m.value, n.value);
          break;
        }
      }
      out.attributes.push_back({m.key, equal});
      if (!equal) o.errors |= ErrorBit(ErrorType::kAttribute);
    }
  }
  o.attribute_end = static_cast<uint32_t>(out.attributes.size());
}

void FrameComparer::CompareTags(const LabelRecord& labels, const LabelRecord& reference, FrameComparison& out) {
  ref_members_.clear(), lab_members_.clear();
  ParseFlatObject(reference.tags_json, ref_members_);
  ParseFlatObject(labels.tags_json, lab_members_);
  for (const JsonMember& m : ref_members_) {
    Outcome o;
    o.kind = OutcomeKind::kTag;
    o.tag = m.key;
    bool equal = false;
    for (const JsonMember& n : lab_members_) {
      if (n.key == m.key) {
        equal = SameJsonValue(m.value, n.value);
        break;
      }
    }
    if (!equal) o.errors |= ErrorBit(ErrorType::kTag);
    out.outcomes.push_back(o);
  }
}

size_t FrameComparer::ScratchBytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  size_t b = bytes(ref_box3d_) + bytes(lab_box3d_) + bytes(ref_info_) + bytes(edges_) + bytes(ref_pair_) +
             bytes(lab_pair_) + bytes(parent_) + bytes(comp_refs_) + bytes(comp_labels_) + bytes(local_) +
             bytes(costs_) + bytes(order_) + bytes(label_x_) + bytes(lab_rank_) + bytes(grid_start_) + bytes(grid_x_) + bytes(grid_y_) + bytes(grid_r_) + bytes(grid_cos_) + bytes(grid_sin_) + bytes(grid_hl_) + bytes(grid_hw_) + bytes(grid_index_) + bytes(comp_edges_) + bytes(ref_local_) + bytes(edge_at_) + bytes(ref_members_) + bytes(lab_members_) + attr_memo_.capacity() + bytes(attr_memo_members_) + bytes(regions_) + solver_.ScratchBytes();
  for (const auto* lines : {&ref_line_, &lab_line_}) {
    b += bytes(*lines);
    for (const auto& l : *lines) b += bytes(l);
  }
  for (const auto* polys : {&ref_poly_, &lab_poly_}) {
    b += bytes(*polys);
    for (const auto& p : *polys) {
      for (const auto& r : p) b += bytes(r);
    }
  }
  for (const auto* masks : {&ref_mask_, &lab_mask_}) {
    b += bytes(*masks);
    for (const auto& m : *masks) b += bytes(m.counts);
  }
  return b;
}

void FrameComparer::Compare(const LabelRecord& labels, const LabelRecord& reference,
                            FrameComparison& out, const TrackHistory* history) {
  out.labels = &labels;
  out.reference = &reference;
  out.geometry = pipeline_.geometry;
  out.tracking = pipeline_.tracking;
  out.outcomes.clear();
  out.attributes.clear();
  if (pipeline_.geometry == GeometryKind::kTags) {
    CompareTags(labels, reference, out);
    return;
  }
  const size_t nr = reference.objects.size(), nl = labels.objects.size();
  Prepare(labels, reference);
  BuildEdges(labels, reference, history);
  ref_pair_.assign(nr, -1);
  lab_pair_.assign(nl, -1);
  if (options_.method == MatchMethod::kGreedyByScore) {
    PairGreedy(labels);
  } else {
    PairOptimal(nr, nl);
  }

  auto context = [&](Outcome& o, const Object& obj, const ClassInfo& info) {
    o.cls = obj.cls;
    o.attributes_json = obj.attributes_json;
    o.safety_weight = info.safety_weight;
    if (obj.kind == GeometryKind::kBox3d) o.range_m = std::sqrt(obj.box3d.x * obj.box3d.x + obj.box3d.y * obj.box3d.y);
    if (obj.num_points) o.num_points = *obj.num_points;
  };

  out.outcomes.reserve(nr + nl);
  // The paired labels are visited in random order: their objects are fetched ahead (the lines
  // read below, then the attribute text), so that cache misses overlap instead of queueing.
  auto paired_label = [&](size_t r) -> const Object* {
    const int32_t e = r < nr ? ref_pair_[r] : -1;
    return e < 0 ? nullptr : &labels.objects[static_cast<size_t>(edges_[static_cast<size_t>(e)].label)];
  };
  constexpr size_t kFetchObject = 8, kFetchText = 4;
  for (size_t r = 0; r < nr; ++r) {
    if (const Object* ahead = paired_label(r + kFetchObject)) {
      __builtin_prefetch(&ahead->cls);
      __builtin_prefetch(&ahead->box3d);
      __builtin_prefetch(&ahead->attributes_json);
      __builtin_prefetch(&ahead->score);
    }
    if (const Object* ahead = paired_label(r + kFetchText)) __builtin_prefetch(ahead->attributes_json.data());
    const Object& ref = reference.objects[r];
    Outcome o;
    o.reference = static_cast<int32_t>(r);
    context(o, ref, *ref_info_[r]);
    int32_t e = ref_pair_[r];
    if (e >= 0) {
      const Edge& edge = edges_[static_cast<size_t>(e)];
      const Object& lab = labels.objects[static_cast<size_t>(edge.label)];
      o.kind = OutcomeKind::kPaired;
      o.label = edge.label;
      o.label_cls = lab.cls;
      if (lab.score) o.score = static_cast<float>(*lab.score);
      Measure(ref, lab, edge, o);
      CompareAttributes(ref, lab, out, o);
    } else if (InsideIgnore(ref, static_cast<int32_t>(r), true)) {
      o.kind = OutcomeKind::kIgnored;
    } else {
      o.kind = OutcomeKind::kMissing;
      o.errors = ErrorBit(ErrorType::kMissing);
    }
    out.outcomes.push_back(o);
  }
  // Unpaired labels: a duplicate when one of its gated references is paired with another label
  // (the best such reference by cost is named), else ignored inside an ignore region, else extra.
  // Edges are in reference-major order (label-major after greedy pairing): scan them once.
  order_.assign(nl, -1);
  for (size_t i = 0; i < edges_.size(); ++i) {
    const Edge& e = edges_[i];
    size_t l = static_cast<size_t>(e.label);
    if (lab_pair_[l] >= 0 || ref_pair_[static_cast<size_t>(e.ref)] < 0) continue;
    if (order_[l] < 0 || e.cost < edges_[static_cast<size_t>(order_[l])].cost) order_[l] = static_cast<int32_t>(i);
  }
  for (size_t l = 0; l < nl; ++l) {
    if (lab_pair_[l] >= 0) continue;
    const Object& lab = labels.objects[l];
    Outcome o;
    o.label = static_cast<int32_t>(l);
    o.label_cls = lab.cls;
    if (lab.score) o.score = static_cast<float>(*lab.score);
    if (order_[l] >= 0) {
      const Edge& edge = edges_[static_cast<size_t>(order_[l])];
      o.kind = OutcomeKind::kDuplicate;
      o.reference = edge.ref;
      context(o, reference.objects[static_cast<size_t>(edge.ref)], *ref_info_[static_cast<size_t>(edge.ref)]);
      o.errors = ErrorBit(ErrorType::kDuplicate);
      o.iou = edge.iou;
      o.distance = edge.distance;
    } else {
      context(o, lab, InfoOf(lab.cls));
      if (InsideIgnore(lab, static_cast<int32_t>(l), false)) {
        o.kind = OutcomeKind::kIgnored;
      } else {
        o.kind = OutcomeKind::kExtra;
        o.errors = ErrorBit(ErrorType::kExtra);
      }
    }
    out.outcomes.push_back(o);
  }
}

}  // namespace gtops::quality
