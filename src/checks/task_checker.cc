// TaskChecker: the rule checks, the track checks, the model comparison and the confirmation of
// findings on gold frames (docs/quality-checks.md).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "checks/checks.h"
#include "geometry/box_iou.h"
#include "geometry/polyline.h"
#include "geometry/rle.h"
#include "quality/json_lite.h"

namespace gtops::checks {
namespace {

using quality::ErrorBit;
using quality::JsonValue;
using quality::Outcome;
using quality::OutcomeKind;

constexpr double kPi = std::numbers::pi;

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

// How far `value` is beyond `tolerance`: 0 at the tolerance, 1 at three times it.
double Excess(double value, double tolerance) { return Clamp01((value / tolerance - 1.0) / 2.0); }

// Angle difference folded into [0, 180] degrees.
double AngleDeg(double a, double b) { return quality::HeadingErrorDeg(a, b); }
// Axial difference (a box's heading modulo the 180-degree flip), in [0, 90] degrees.
double AxialDeg(double a, double b) {
  double d = AngleDeg(a, b);
  return d > 90 ? 180 - d : d;
}

struct Pose {
  double x = 0, y = 0, yaw = 0;
};

// ego_pose [x, y, z, yaw] or [x, y, z, qw, qx, qy, qz]; identity when absent.
Pose ParsePose(std::string_view json) {
  Pose p;
  if (json.empty()) return p;
  JsonValue v = quality::ParseJson(json);
  if (v.items.size() == 4) {
    p = {v.items[0].number, v.items[1].number, v.items[3].number};
  } else if (v.items.size() == 7) {
    const double qw = v.items[3].number, qx = v.items[4].number, qy = v.items[5].number, qz = v.items[6].number;
    p = {v.items[0].number, v.items[1].number, std::atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz))};
  }
  return p;
}

std::string Box3dJson(const Box3d& b) {
  return fmt::format("{{\"box3d\":[{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.4f}]}}", b.x, b.y, b.z, b.l, b.w,
                     b.h, b.yaw);
}

std::string GeometryJson(const Object& o) {
  switch (o.kind) {
    case GeometryKind::kBox3d: return Box3dJson(o.box3d);
    case GeometryKind::kBox2d:
      return fmt::format("{{\"box2d\":[{:.2f},{:.2f},{:.2f},{:.2f}]}}", o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h);
    default: return fmt::format("{{\"{}\":{}}}", Name(o.kind), o.geometry_json);
  }
}

// The JSON token of an attribute value equals an allowed value.
bool Allowed(std::string_view token, const std::vector<AttributeValue>& allowed) {
  for (const AttributeValue& a : allowed) {
    if (const auto* s = std::get_if<std::string>(&a)) {
      if (token.size() >= 2 && token.front() == '"' && token.substr(1, token.size() - 2) == *s) return true;
    } else if (const auto* b = std::get_if<bool>(&a)) {
      if (token == (*b ? "true" : "false")) return true;
    } else if (const auto* d = std::get_if<double>(&a)) {
      if (quality::SameJsonValue(token, fmt::format("{}", *d))) return true;
    }
  }
  return false;
}

std::vector<geometry::Point3> ParseLine(std::string_view json) {
  std::vector<geometry::Point3> out;
  JsonValue v = quality::ParseJson(json);
  for (const JsonValue& p : v.items) {
    if (p.items.size() >= 2) out.push_back({p.items[0].number, p.items[1].number, 0});
  }
  return out;
}

double Cross(const geometry::Point3& o, const geometry::Point3& a, const geometry::Point3& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Proper crossing of segments ab and cd (touching end points do not count).
bool SegmentsCross(const geometry::Point3& a, const geometry::Point3& b, const geometry::Point3& c,
                   const geometry::Point3& d) {
  const double d1 = Cross(a, b, c), d2 = Cross(a, b, d), d3 = Cross(c, d, a), d4 = Cross(c, d, b);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

bool SelfCrossing(const std::vector<geometry::Point3>& line) {
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    for (size_t j = i + 2; j + 1 < line.size(); ++j) {
      if (SegmentsCross(line[i], line[i + 1], line[j], line[j + 1])) return true;
    }
  }
  return false;
}

bool LinesCross(const std::vector<geometry::Point3>& a, const std::vector<geometry::Point3>& b) {
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    for (size_t j = 0; j + 1 < b.size(); ++j) {
      if (SegmentsCross(a[i], a[i + 1], b[j], b[j + 1])) return true;
    }
  }
  return false;
}

// The box of a finding's geometry ({"box3d": [...]}); nullopt for any other geometry.
std::optional<Box3d> ParseBox3d(std::string_view json) {
  if (json.empty()) return std::nullopt;
  JsonValue v = quality::ParseJson(json);
  const JsonValue* b = v.Find("box3d");
  if (b == nullptr || b->items.size() != 7) return std::nullopt;
  return Box3d{b->items[0].number, b->items[1].number, b->items[2].number, b->items[3].number,
               b->items[4].number, b->items[5].number, b->items[6].number};
}

// One suspected missing object that two checks found: a track gap (interpolated box) and a
// model prediction no label covers, of the same record, within max(1 m, l/2) of each other (the
// distance track_gap uses for "labelled there"). Each gap takes the nearest free prediction and
// adopts its geometry (what the detector measured in this frame), so that the queue merges the
// two into one item whose probability combines both checks' evidence, instead of two items for
// one object.
void UnifyMissing(std::vector<RawFinding>& found) {
  struct Cand {
    double d;
    size_t gap, pred;
  };
  std::vector<Cand> cands;
  for (size_t i = 0; i < found.size(); ++i) {
    const FindingRow& g = found[i].row;
    if (g.check != "track_gap") continue;
    const auto gb = ParseBox3d(g.geometry_json);
    if (!gb) continue;
    for (size_t j = 0; j < found.size(); ++j) {
      const FindingRow& m = found[j].row;
      if (m.check != "model_missing" || m.producer != g.producer) continue;
      const auto mb = ParseBox3d(m.geometry_json);
      if (!mb) continue;
      const double d = geometry::BevCenterDistance(*gb, *mb);
      if (d < std::max(1.0, 0.5 * gb->l)) cands.push_back(Cand{d, i, j});
    }
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.d < b.d; });
  std::vector<bool> used(found.size(), false);
  for (const Cand& c : cands) {
    if (used[c.gap] || used[c.pred]) continue;
    used[c.gap] = used[c.pred] = true;
    FindingRow& g = found[c.gap].row;
    const FindingRow& m = found[c.pred].row;
    g.geometry_json = m.geometry_json;
    g.range_m = m.range_m;
    g.reason += fmt::format("; the model predicts it {:.2f} m from the interpolated box", c.d);
  }
}

double LineLength(const std::vector<geometry::Point3>& line) {
  double len = 0;
  for (size_t i = 0; i + 1 < line.size(); ++i) len += std::hypot(line[i + 1].x - line[i].x, line[i + 1].y - line[i].y);
  return len;
}

}  // namespace

Severity SeverityOf(ErrorType type, double safety_weight) {
  const bool high = safety_weight >= 4;
  switch (type) {
    case ErrorType::kMissing:
    case ErrorType::kWrongClass:
    case ErrorType::kHeadingFlip:
    case ErrorType::kIdSwitch:
    case ErrorType::kDuplicate: return high ? Severity::kCritical : Severity::kMajor;
    case ErrorType::kExtra: return high ? Severity::kMajor : Severity::kMinor;
    default: return Severity::kMinor;  // position, size, heading, geometry, attributes, tags, spec
  }
}

double SeverityFactor(Severity s) {
  switch (s) {
    case Severity::kMinor: return 1;
    case Severity::kMajor: return 3;
    case Severity::kCritical: return 10;
  }
  return 1;
}

FindingRow MakeFinding(const PipelineSpec& pipeline, const LabelRecord& r, int32_t object, ErrorType type,
                       std::string_view check, double evidence, std::string reason) {
  FindingRow f;
  f.pipeline = r.pipeline;
  f.task = r.task;
  f.frame = r.frame;
  f.source = std::string(Name(r.source));
  f.producer = r.producer();
  f.vendor = r.vendor;
  f.annotator = r.annotator;
  f.batch = r.batch;
  f.spec_version = r.spec_version;
  if (object >= 0) {
    const Object& o = r.objects[static_cast<size_t>(object)];
    f.object_id = o.id;
    f.track = o.track;
    f.cls = o.cls;
    if (o.kind == GeometryKind::kBox3d) f.range_m = std::hypot(o.box3d.x, o.box3d.y);
  }
  f.type = type;
  f.check = std::string(check);
  f.evidence = Clamp01(evidence);
  f.reason = std::move(reason);
  const ClassSpec* c = pipeline.FindClass(f.cls);
  f.safety_weight = c != nullptr ? c->safety_weight : 1.0;
  f.severity = SeverityOf(type, f.safety_weight);
  return f;
}

namespace {

// A wrong class matters as much as the more safety-relevant of the labelled class and the class
// the evidence says it is.
void RaiseWeightTo(const PipelineSpec& pipeline, FindingRow& f, std::string_view true_class) {
  const ClassSpec* c = pipeline.FindClass(true_class);
  if (c != nullptr && c->safety_weight > f.safety_weight) {
    f.safety_weight = c->safety_weight;
    f.severity = SeverityOf(f.type, f.safety_weight);
  }
}

}  // namespace

TaskChecker::TaskChecker(const PipelineSpec& pipeline)
    : pipeline_(pipeline), model_comparer_(pipeline), gold_comparer_(pipeline) {}

// ---- Rule checks on one record ----

void TaskChecker::CheckRecord(const LabelRecord& r, std::vector<RawFinding>& out) {
  const Tolerances& tol = pipeline_.tolerances;
  for (size_t i = 0; i < r.objects.size(); ++i) {
    const Object& o = r.objects[i];
    const auto idx = static_cast<int32_t>(i);
    const ClassSpec* c = pipeline_.FindClass(o.cls);
    if (c == nullptr) {
      out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kSpecViolation, "spec_class", 1.0,
                                fmt::format("class '{}' is not in the classes of {}", o.cls, pipeline_.id)));
      continue;
    }
    if (!c->required_attributes.empty() || !c->attributes.empty()) {
      members_.clear();
      quality::ParseFlatObject(o.attributes_json, members_);
      for (const std::string& req : c->required_attributes) {
        bool has = std::any_of(members_.begin(), members_.end(), [&](const auto& m) { return m.key == req; });
        if (!has) {
          out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kSpecViolation, "spec_required_attribute", 1.0,
                                    fmt::format("required attribute '{}' of {} is missing", req, o.cls)));
        }
      }
      for (const auto& m : members_) {
        auto it = c->attributes.find(std::string(m.key));
        if (it != c->attributes.end() && !Allowed(m.value, it->second)) {
          out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kSpecViolation, "spec_attribute_value", 1.0,
                                    fmt::format("attribute {} = {} is not an allowed value for {}", m.key, m.value,
                                                o.cls)));
        }
      }
    }
    if (o.kind == GeometryKind::kBox3d && (c->size_l || c->size_w || c->size_h)) {
      // How far outside the prior, relative to the nearer bound; the largest of l, w, h.
      const double size_rel = tol.size_rel.value_or(0.10);
      double worst = 0;
      std::string what;
      auto check = [&](const std::optional<Range>& range, double v, const char* dim) {
        if (!range || range->Contains(v)) return;
        double rel = 0;
        if (range->lo && v < *range->lo) rel = (*range->lo - v) / *range->lo;
        if (range->hi && v >= *range->hi) rel = (v - *range->hi) / *range->hi;
        if (rel > worst) {
          worst = rel;
          what = fmt::format("{} {:.2f} m outside the {} prior [{}, {})", dim, v, o.cls,
                             range->lo ? fmt::format("{:g}", *range->lo) : "-",
                             range->hi ? fmt::format("{:g}", *range->hi) : "-");
        }
      };
      check(c->size_l, o.box3d.l, "l");
      check(c->size_w, o.box3d.w, "w");
      check(c->size_h, o.box3d.h, "h");
      if (worst > 0) {
        out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kSize, "size_prior", 0.5 + 0.5 * Clamp01(worst / size_rel),
                                  what));
        // A box that fits another class's prior in every dimension may be that class.
        for (const ClassSpec& other : pipeline_.classes) {
          if (&other == c || !(other.size_l || other.size_w || other.size_h)) continue;
          auto fits = [](const std::optional<Range>& range, double v) { return !range || range->Contains(v); };
          if (fits(other.size_l, o.box3d.l) && fits(other.size_w, o.box3d.w) && fits(other.size_h, o.box3d.h)) {
            out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kWrongClass, "size_prior_class", 0.5,
                                      fmt::format("labelled {}, but its size fits {}: {}", o.cls, other.name, what)));
            out.back().stratum = fmt::format("{}>{}", o.cls, other.name);
            RaiseWeightTo(pipeline_, out.back().row, other.name);
            break;
          }
        }
      }
    }
  }
  switch (pipeline_.geometry) {
    case GeometryKind::kBox3d: CheckBox3dSanity(r, out); break;
    case GeometryKind::kBox2d: CheckBox2dSanity(r, out); break;
    case GeometryKind::kPolyline:
    case GeometryKind::kPolygon:
    case GeometryKind::kMask: CheckLines(r, out); break;
    case GeometryKind::kTags: break;
  }
}

void TaskChecker::CheckBox3dSanity(const LabelRecord& r, std::vector<RawFinding>& out) {
  constexpr double kNearM = 40;  // an empty box closer than this is suspicious
  std::vector<int32_t> order;
  order.reserve(r.objects.size());
  double max_radius = 0;
  for (size_t i = 0; i < r.objects.size(); ++i) {
    const Object& o = r.objects[i];
    const Box3d& b = o.box3d;
    const auto idx = static_cast<int32_t>(i);
    order.push_back(idx);
    max_radius = std::max(max_radius, 0.5 * std::hypot(b.l, b.w));
    const double range = std::hypot(b.x, b.y);
    if (o.num_points && *o.num_points == 0 && range < kNearM) {
      out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kExtra, "empty_box", 0.5 + 0.5 * (1 - range / kNearM),
                                fmt::format("no lidar points in the box at {:.1f} m", range)));
    }
    const double bottom = b.z - b.h / 2;
    if (std::abs(bottom) > 0.5) {
      out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kPosition, "height_above_ground",
                                Clamp01(std::abs(bottom) / 2),
                                fmt::format("box bottom {:.2f} m {} the ground", std::abs(bottom),
                                            bottom > 0 ? "above" : "below")));
    }
  }
  // Pairs: sorted by x, a window of the largest footprint.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return r.objects[static_cast<size_t>(a)].box3d.x < r.objects[static_cast<size_t>(b)].box3d.x;
  });
  for (size_t a = 0; a < order.size(); ++a) {
    const Object& oa = r.objects[static_cast<size_t>(order[a])];
    const double ra = 0.5 * std::hypot(oa.box3d.l, oa.box3d.w);
    for (size_t b = a + 1; b < order.size(); ++b) {
      const Object& ob = r.objects[static_cast<size_t>(order[b])];
      if (ob.box3d.x - oa.box3d.x > ra + max_radius) break;
      const double rb = 0.5 * std::hypot(ob.box3d.l, ob.box3d.w);
      if (std::hypot(ob.box3d.x - oa.box3d.x, ob.box3d.y - oa.box3d.y) > ra + rb) continue;
      const double inter = geometry::BevIntersectionArea(oa.box3d, ob.box3d);
      if (inter <= 0) continue;
      const double za = oa.box3d.z, zb = ob.box3d.z;
      const double z_overlap = std::min(za + oa.box3d.h / 2, zb + ob.box3d.h / 2) -
                               std::max(za - oa.box3d.h / 2, zb - ob.box3d.h / 2);
      if (z_overlap <= 0) continue;
      const double area_a = oa.box3d.l * oa.box3d.w, area_b = ob.box3d.l * ob.box3d.w;
      const double iou = inter / (area_a + area_b - inter);
      // The later label (by id order) of a near-duplicate pair; the smaller box of an
      // interpenetrating one.
      const bool a_first = oa.id < ob.id;
      if (iou >= 0.5) {
        const int32_t dup = a_first ? order[b] : order[a];
        const Object& other = a_first ? oa : ob;
        out.push_back(MakeFinding(pipeline_, r, dup, ErrorType::kDuplicate, "duplicate_box", iou,
                                  fmt::format("overlaps label {} ({}) with bird's-eye IoU {:.2f}", other.id,
                                              other.cls, iou)));
      } else {
        const double share = inter / std::min(area_a, area_b);
        if (share < 0.1) continue;
        const bool a_smaller = area_a < area_b;
        const int32_t small = a_smaller ? order[a] : order[b];
        const Object& other = a_smaller ? ob : oa;
        out.push_back(MakeFinding(pipeline_, r, small, ErrorType::kPosition, "interpenetration", share,
                                  fmt::format("{:.0f}% of its footprint inside label {} ({})", 100 * share, other.id,
                                              other.cls)));
      }
    }
  }
}

void TaskChecker::CheckBox2dSanity(const LabelRecord& r, std::vector<RawFinding>& out) {
  std::vector<int32_t> order(r.objects.size());
  double max_w = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = static_cast<int32_t>(i);
    max_w = std::max(max_w, r.objects[i].box2d.w);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return r.objects[static_cast<size_t>(a)].box2d.x < r.objects[static_cast<size_t>(b)].box2d.x;
  });
  for (size_t a = 0; a < order.size(); ++a) {
    const Object& oa = r.objects[static_cast<size_t>(order[a])];
    for (size_t b = a + 1; b < order.size(); ++b) {
      const Object& ob = r.objects[static_cast<size_t>(order[b])];
      if (ob.box2d.x > oa.box2d.x + oa.box2d.w) break;
      const double iou = geometry::Box2dIou(oa.box2d, ob.box2d);
      if (iou < 0.7) continue;
      const bool a_first = oa.id < ob.id;
      const Object& other = a_first ? oa : ob;
      out.push_back(MakeFinding(pipeline_, r, a_first ? order[b] : order[a], ErrorType::kDuplicate, "duplicate_box",
                                iou, fmt::format("overlaps label {} ({}) with IoU {:.2f}", other.id, other.cls, iou)));
    }
  }
}

void TaskChecker::CheckLines(const LabelRecord& r, std::vector<RawFinding>& out) {
  if (pipeline_.geometry == GeometryKind::kMask) {
    for (size_t i = 0; i < r.objects.size(); ++i) {
      JsonValue v = quality::ParseJson(r.objects[i].geometry_json);
      uint64_t area = 0;
      if (const JsonValue* counts = v.Find("counts")) {
        if (counts->type == JsonValue::Type::kString) {
          auto decoded = geometry::DecodeRleCounts(counts->text);
          if (decoded.ok()) area = geometry::RleArea(*decoded);
        } else {
          std::vector<uint32_t> c;
          for (const JsonValue& x : counts->items) c.push_back(static_cast<uint32_t>(x.number));
          area = geometry::RleArea(c);
        }
      }
      if (area == 0) {
        out.push_back(MakeFinding(pipeline_, r, static_cast<int32_t>(i), ErrorType::kGeometry, "empty_mask", 1.0,
                                  "the mask covers no pixel"));
      }
    }
    return;
  }
  if (pipeline_.geometry != GeometryKind::kPolyline) return;
  const double min_length = pipeline_.units == "px" ? 10.0 : 1.0;
  std::vector<std::vector<geometry::Point3>> lines;
  lines.reserve(r.objects.size());
  for (size_t i = 0; i < r.objects.size(); ++i) {
    lines.push_back(ParseLine(r.objects[i].geometry_json));
    const auto idx = static_cast<int32_t>(i);
    const double len = LineLength(lines.back());
    if (len < min_length) {
      out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kGeometry, "short_polyline", 1 - len / min_length,
                                fmt::format("polyline {:.2f} {} long", len, pipeline_.units)));
    }
    if (SelfCrossing(lines.back())) {
      out.push_back(MakeFinding(pipeline_, r, idx, ErrorType::kGeometry, "self_crossing", 0.9,
                                "the polyline crosses itself"));
    }
  }
  for (size_t a = 0; a < lines.size(); ++a) {
    for (size_t b = a + 1; b < lines.size(); ++b) {
      if (r.objects[a].cls != r.objects[b].cls || !LinesCross(lines[a], lines[b])) continue;
      for (size_t k : {a, b}) {
        const size_t other = k == a ? b : a;
        out.push_back(MakeFinding(pipeline_, r, static_cast<int32_t>(k), ErrorType::kGeometry, "lines_cross", 0.5,
                                  fmt::format("crosses {} {}", r.objects[other].cls, r.objects[other].id)));
      }
    }
  }
}

// ---- Track checks ----

struct TaskChecker::Obs {
  int frame = 0;  // index into the task's frames
  const LabelRecord* record = nullptr;
  int32_t object = 0;
  double t = 0;
  double x = 0, y = 0, yaw = 0;  // world
  const Box3d* box = nullptr;
};

void TaskChecker::CheckTracks(std::span<const FrameLabels> task, std::string_view producer,
                              std::vector<std::vector<RawFinding>>& per_frame) {
  const double position_m = pipeline_.tolerances.position_m.value_or(0.3);
  const double size_rel = pipeline_.tolerances.size_rel.value_or(0.10);
  const double heading_deg = pipeline_.tolerances.heading_deg.value_or(10.0);
  std::vector<const LabelRecord*> records(task.size(), nullptr);
  std::vector<Pose> poses(task.size());
  std::map<std::string_view, std::vector<Obs>> tracks;
  for (size_t f = 0; f < task.size(); ++f) {
    for (const LabelRecord& r : task[f].records) {
      if (r.source == Source::kVendor && r.producer() == producer) {
        records[f] = &r;
        break;
      }
    }
    if (records[f] == nullptr) continue;
    const LabelRecord& r = *records[f];
    poses[f] = ParsePose(r.ego_pose_json);
    const Pose& p = poses[f];
    const double c = std::cos(p.yaw), s = std::sin(p.yaw);
    const double t = r.timestamp.value_or(task[f].timestamp.value_or(static_cast<double>(f)));
    for (size_t i = 0; i < r.objects.size(); ++i) {
      const Object& o = r.objects[i];
      if (o.track.empty()) continue;
      const Box3d& b = o.box3d;
      tracks[o.track].push_back(Obs{static_cast<int>(f), &r, static_cast<int32_t>(i), t, p.x + c * b.x - s * b.y,
                                    p.y + s * b.x + c * b.y, p.yaw + b.yaw, &b});
    }
  }
  auto emit = [&](const Obs& o, ErrorType type, std::string_view check, double evidence, std::string reason) {
    per_frame[static_cast<size_t>(o.frame)].push_back(
        MakeFinding(pipeline_, *o.record, o.object, type, check, evidence, std::move(reason)));
  };
  auto cls_of = [](const Obs& o) -> const std::string& { return o.record->objects[static_cast<size_t>(o.object)].cls; };

  for (auto& entry : tracks) {
    const std::string_view track = entry.first;
    const std::vector<Obs>& obs = entry.second;  // (named: clang 14 lambdas cannot capture bindings)
    const size_t n = obs.size();
    // Class changes: the minority classes of the track.
    {
      std::map<std::string_view, int> counts;
      for (const Obs& o : obs) ++counts[cls_of(o)];
      if (counts.size() > 1) {
        auto best = std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; });
        const double share = static_cast<double>(best->second) / static_cast<double>(n);
        for (const Obs& o : obs) {
          if (cls_of(o) == best->first && share > 0.5) continue;
          emit(o, ErrorType::kWrongClass, "track_class_change", share > 0.5 ? share : 0.5,
               fmt::format("track {} is {} in {} of {} frames, {} here", track, best->first, best->second, n, cls_of(o)));
          RaiseWeightTo(pipeline_, per_frame[static_cast<size_t>(o.frame)].back().row, best->first);
        }
      }
    }
    // Dimensions of a rigid object changing along the track: against the track's median.
    if (n >= 3) {
      auto median = [&](auto get) {
        std::vector<double> v;
        for (const Obs& o : obs) v.push_back(get(*o.box));
        std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
        return v[v.size() / 2];
      };
      const double ml = median([](const Box3d& b) { return b.l; });
      const double mw = median([](const Box3d& b) { return b.w; });
      const double mh = median([](const Box3d& b) { return b.h; });
      for (const Obs& o : obs) {
        const double rel = std::max({std::abs(o.box->l - ml) / ml, std::abs(o.box->w - mw) / mw,
                                     std::abs(o.box->h - mh) / mh});
        if (rel > size_rel) {
          emit(o, ErrorType::kSize, "track_dimensions", 0.5 + 0.5 * Excess(rel, size_rel),
               fmt::format("size differs by {:.0f}% from the track's median {:.2f} x {:.2f} x {:.2f} m", 100 * rel, ml,
                           mw, mh));
        }
      }
    }
    // Heading flips: against the direction of motion when the track moves, else the majority.
    if (n >= 2) {
      const Obs& first = obs.front();
      const Obs& last = obs.back();
      const double dist = std::hypot(last.x - first.x, last.y - first.y);
      const double dt = last.t - first.t;
      const bool moving = dist >= 2.0 && dt > 0 && dist / dt >= 1.0;
      const double motion = std::atan2(last.y - first.y, last.x - first.x);
      for (size_t i = 0; i < n; ++i) {
        const Obs& o = obs[i];
        if (moving) {
          const double d = AngleDeg(o.yaw, motion);
          if (d > 150) {
            emit(o, ErrorType::kHeadingFlip, "track_heading_flip", 0.9,
                 fmt::format("heading points {:.0f} deg against the track's motion ({:.1f} m/s)", d, dist / dt));
          }
          continue;
        }
        int agree = 0, against = 0;
        for (size_t j = 0; j < n; ++j) {
          if (j == i) continue;
          const double d = AngleDeg(o.yaw, obs[j].yaw);
          if (d > 150) ++against;
          if (d < 30) ++agree;
        }
        if (against > agree) {
          emit(o, ErrorType::kHeadingFlip, "track_heading_flip",
               static_cast<double>(against) / static_cast<double>(agree + against),
               fmt::format("heading flipped by about 180 deg against {} of the track's other {} frames", against, n - 1));
        } else if (against > 0 && against == agree) {
          emit(o, ErrorType::kHeadingFlip, "track_heading_flip", 0.5,
               fmt::format("heading differs by about 180 deg from {} of the track's other {} frames (a tie)", against,
                           n - 1));
        }
      }
    }
    // Position and heading jumps: the label furthest from its neighbours' constant-velocity
    // interpolation (interior) or extrapolation (ends), when beyond the tolerance.
    if (n >= 3) {
      double worst = 0, worst_d = 0, worst_h = 0, worst_hd = 0;
      size_t at = 0, at_h = 0;
      for (size_t i = 0; i < n; ++i) {
        const Obs* a = nullptr;
        const Obs* b = nullptr;
        double weight = 1;
        if (i > 0 && i + 1 < n) {
          a = &obs[i - 1];
          b = &obs[i + 1];
        } else if (i == 0) {
          a = &obs[1];
          b = &obs[2];
          weight = 0.5;  // an extrapolation doubles a neighbour's error
        } else {
          a = &obs[n - 3];
          b = &obs[n - 2];
          weight = 0.5;
        }
        if (b->t == a->t) continue;
        const double u = (obs[i].t - a->t) / (b->t - a->t);
        const double px = a->x + u * (b->x - a->x), py = a->y + u * (b->y - a->y);
        const double d = std::hypot(obs[i].x - px, obs[i].y - py);
        if (d * weight > worst) {
          worst = d * weight;
          worst_d = d;
          at = i;
        }
        const double hd = AxialDeg(obs[i].yaw, a->yaw + u * std::remainder(b->yaw - a->yaw, kPi));
        if (hd * weight > worst_h) {
          worst_h = hd * weight;
          worst_hd = hd;
          at_h = i;
        }
      }
      if (worst > position_m) {
        const Obs& o = obs[at];
        emit(o, ErrorType::kPosition, "track_position_jump", 0.3 + 0.7 * Excess(worst, position_m),
             fmt::format("{:.2f} m off the track's path through its neighbouring frames", worst_d));
      }
      if (worst_h > heading_deg) {
        const Obs& o = obs[at_h];
        emit(o, ErrorType::kHeading, "track_heading_jump", 0.3 + 0.7 * Excess(worst_h, heading_deg),
             fmt::format("heading {:.0f} deg off the track's neighbouring frames", worst_hd));
      }
    }
    // Kinematic limits of the class (gtops.toml `kinematics`), between consecutive frames.
    if (const ClassSpec* c = pipeline_.FindClass(cls_of(obs.front())); c != nullptr && c->kinematics) {
      const Kinematics& k = *c->kinematics;
      double prev_speed = -1;
      for (size_t i = 1; i < n; ++i) {
        const double dt = obs[i].t - obs[i - 1].t;
        if (dt <= 0) continue;
        const double speed = std::hypot(obs[i].x - obs[i - 1].x, obs[i].y - obs[i - 1].y) / dt;
        if (k.max_speed_mps && speed > *k.max_speed_mps) {
          emit(obs[i], ErrorType::kPosition, "track_speed", 0.5 * Excess(speed, *k.max_speed_mps) + 0.3,
               fmt::format("moves at {:.1f} m/s, above the {} limit {:g}", speed, c->name, *k.max_speed_mps));
        }
        if (k.max_accel_mps2 && prev_speed >= 0) {
          const double accel = std::abs(speed - prev_speed) / dt;
          if (accel > *k.max_accel_mps2) {
            emit(obs[i], ErrorType::kPosition, "track_acceleration", 0.5 * Excess(accel, *k.max_accel_mps2) + 0.3,
                 fmt::format("accelerates at {:.1f} m/s2, above the {} limit {:g}", accel, c->name, *k.max_accel_mps2));
          }
        }
        prev_speed = speed;
        const double rate = AxialDeg(obs[i].yaw, obs[i - 1].yaw) / dt;
        if (k.max_yaw_rate_dps && rate > *k.max_yaw_rate_dps) {
          emit(obs[i], ErrorType::kHeading, "track_yaw_rate", 0.5 * Excess(rate, *k.max_yaw_rate_dps) + 0.3,
               fmt::format("turns at {:.0f} deg/s, above the {} limit {:g}", rate, c->name, *k.max_yaw_rate_dps));
        }
      }
    }
    // Gaps: present before and after, missing in between (and not labelled there under another
    // track): the interpolated box, in the ego frame of the missing frame.
    for (size_t i = 0; i + 1 < n; ++i) {
      const Obs& a = obs[i];
      const Obs& b = obs[i + 1];
      for (int f = a.frame + 1; f < b.frame; ++f) {
        const LabelRecord* r = records[static_cast<size_t>(f)];
        if (r == nullptr) continue;
        const double t = r->timestamp.value_or(static_cast<double>(f));
        const double u = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0.5;
        const double wx = a.x + u * (b.x - a.x), wy = a.y + u * (b.y - a.y);
        const double wyaw = a.yaw + u * std::remainder(b.yaw - a.yaw, 2 * kPi);
        const Pose& p = poses[static_cast<size_t>(f)];
        const double c = std::cos(p.yaw), s = std::sin(p.yaw);
        Box3d box = *a.box;
        box.x = c * (wx - p.x) + s * (wy - p.y);
        box.y = -s * (wx - p.x) + c * (wy - p.y);
        box.z = a.box->z + u * (b.box->z - a.box->z);
        box.yaw = std::remainder(wyaw - p.yaw, 2 * kPi);
        // Where the ego vehicle is, no object can be (tracks that pass through it leave the
        // sensor's view there).
        if (std::abs(box.x) < 2.5 + 0.5 * box.l && std::abs(box.y) < 1.0 + 0.5 * box.w) continue;
        bool labelled = false;
        for (const Object& o : r->objects) {
          if (geometry::BevCenterDistance(o.box3d, box) < std::max(1.0, 0.5 * box.l)) labelled = true;
        }
        if (labelled) continue;
        FindingRow row = MakeFinding(pipeline_, *r, -1, ErrorType::kMissing, "track_gap", 0.8,
                                     fmt::format("track {} ({}) is labelled in the frames before and after, not here",
                                                 track, cls_of(a)));
        row.cls = cls_of(a);
        row.track = std::string(track);
        row.range_m = std::hypot(box.x, box.y);
        row.geometry_json = Box3dJson(box);
        const ClassSpec* spec = pipeline_.FindClass(row.cls);
        row.safety_weight = spec != nullptr ? spec->safety_weight : 1.0;
        row.severity = SeverityOf(ErrorType::kMissing, row.safety_weight);
        per_frame[static_cast<size_t>(f)].push_back(std::move(row));
      }
    }
  }
  // Identity switches: a track that ends where another begins, continuing its path.
  std::vector<std::pair<std::string_view, const std::vector<Obs>*>> list;
  for (const auto& [track, obs] : tracks) list.emplace_back(track, &obs);
  for (const auto& [ta, pa] : list) {
    const Obs& end = pa->back();
    double vx = 0, vy = 0;
    if (pa->size() >= 2) {
      const Obs& prev = (*pa)[pa->size() - 2];
      if (end.t > prev.t) {
        vx = (end.x - prev.x) / (end.t - prev.t);
        vy = (end.y - prev.y) / (end.t - prev.t);
      }
    }
    const Obs* best = nullptr;
    double best_d = 0;
    std::string_view best_track;
    for (const auto& [tb, pb] : list) {
      const Obs& start = pb->front();
      if (tb == ta || start.frame <= end.frame || start.frame > end.frame + 2) continue;
      const double dt = start.t - end.t;
      double d = std::hypot(start.x - (end.x + vx * dt), start.y - (end.y + vy * dt));
      if (pb->size() >= 2 && (*pb)[1].t > start.t) {  // or back from the new track's own motion
        const Obs& next = (*pb)[1];
        const double ux = (next.x - start.x) / (next.t - start.t), uy = (next.y - start.y) / (next.t - start.t);
        d = std::min(d, std::hypot(end.x - (start.x - ux * dt), end.y - (start.y - uy * dt)));
      }
      const double limit = std::max(1.0, 0.25 * end.box->l);
      if (d < limit && (best == nullptr || d < best_d)) {
        best = &start;
        best_d = d;
        best_track = tb;
      }
    }
    if (best == nullptr) continue;
    const double limit = std::max(1.0, 0.25 * end.box->l);
    double evidence = 0.5 + 0.5 * (1 - best_d / limit);
    if (cls_of(*best) != cls_of(end)) evidence *= 0.7;
    if (best->frame > end.frame + 1) evidence *= 0.8;
    emit(*best, ErrorType::kIdSwitch, "track_continuation", evidence,
         fmt::format("track {} begins {:.2f} m from where track {} ({}) ended the frame before", best_track, best_d, ta,
                     cls_of(end)));
  }
}

// ---- Model comparison ----

void TaskChecker::CompareWithModel(const LabelRecord& r, const LabelRecord& model, std::vector<RawFinding>& out) {
  constexpr double kMinScore = 0.3;  // predictions below this are not evidence of a missing label
  const Tolerances& tol = pipeline_.tolerances;
  model_comparer_.Compare(r, model, cmp_);
  for (const Outcome& o : cmp_.outcomes) {
    const Object* pred = o.reference >= 0 ? &model.objects[static_cast<size_t>(o.reference)] : nullptr;
    const double score = pred != nullptr && pred->score ? *pred->score : 0;
    switch (o.kind) {
      case OutcomeKind::kMissing: {
        if (score < kMinScore) break;
        FindingRow row = MakeFinding(pipeline_, r, -1, ErrorType::kMissing, "model_missing", score,
                                     fmt::format("{} predicts a {} (score {:.2f}) that no label covers", model.model,
                                                 pred->cls, score));
        row.cls = pred->cls;
        if (pred->kind == GeometryKind::kBox3d) row.range_m = std::hypot(pred->box3d.x, pred->box3d.y);
        row.geometry_json = GeometryJson(*pred);
        const ClassSpec* spec = pipeline_.FindClass(row.cls);
        row.safety_weight = spec != nullptr ? spec->safety_weight : 1.0;
        row.severity = SeverityOf(ErrorType::kMissing, row.safety_weight);
        out.push_back(std::move(row));
        break;
      }
      case OutcomeKind::kExtra: {
        // How much any prediction overlaps the label: none at all is stronger evidence.
        const Object& lab = r.objects[static_cast<size_t>(o.label)];
        double overlap = 0;
        for (const Object& m : model.objects) {
          if (lab.kind == GeometryKind::kBox2d) overlap = std::max(overlap, geometry::Box2dIou(lab.box2d, m.box2d));
          if (lab.kind == GeometryKind::kBox3d) overlap = std::max(overlap, geometry::BevIou(lab.box3d, m.box3d));
        }
        out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kExtra, "model_extra", 1 - overlap,
                                  fmt::format("no prediction of {} matches this label (best overlap {:.2f})",
                                              model.model, overlap)));
        break;
      }
      case OutcomeKind::kDuplicate:
        out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kDuplicate, "model_duplicate", 0.6,
                                  fmt::format("a second label on an object of {} that another label covers",
                                              model.model)));
        break;
      case OutcomeKind::kPaired: {
        if (o.label_cls != o.cls && score >= kMinScore) {
          out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kWrongClass, "model_class", score,
                                    fmt::format("labelled {}, {} predicts {} (score {:.2f})", o.label_cls, model.model,
                                                o.cls, score)));
          out.back().stratum = fmt::format("{}>{}", o.label_cls, o.cls);
          RaiseWeightTo(pipeline_, out.back().row, o.cls);
        }
        if (pipeline_.geometry == GeometryKind::kBox3d) {
          const double heading_deg = tol.heading_deg.value_or(10.0);
          if (o.heading_error_deg > 150) {
            out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kHeadingFlip, "model_heading_flip", score,
                                      fmt::format("heading {:.0f} deg from {}'s (score {:.2f})", o.heading_error_deg,
                                                  model.model, score)));
          } else if (o.heading_error_deg > 1.5 * heading_deg) {
            out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kHeading, "model_heading",
                                      score * (0.5 + 0.5 * Excess(o.heading_error_deg, heading_deg)),
                                      fmt::format("heading {:.0f} deg from {}'s", o.heading_error_deg, model.model)));
          }
          const double position_m = tol.position_m.value_or(0.3);
          if (o.center_error_m > 1.5 * position_m) {
            out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kPosition, "model_position",
                                      score * (0.5 + 0.5 * Excess(o.center_error_m, position_m)),
                                      fmt::format("centre {:.2f} m from {}'s", o.center_error_m, model.model)));
          }
          const double size_rel = tol.size_rel.value_or(0.10);
          if (o.size_error_rel > 1.5 * size_rel) {
            out.push_back(MakeFinding(pipeline_, r, o.label, ErrorType::kSize, "model_size",
                                      score * (0.5 + 0.5 * Excess(o.size_error_rel, size_rel)),
                                      fmt::format("size {:.0f}% from {}'s", 100 * o.size_error_rel, model.model)));
          }
        } else if (!std::isnan(o.iou)) {
          const double min_iou = tol.min_iou.value_or(0.5);
          if (o.iou < min_iou) {
            const ErrorType type = quality::HasError(o.errors, ErrorType::kSize) ? ErrorType::kSize : ErrorType::kPosition;
            out.push_back(MakeFinding(pipeline_, r, o.label, type, "model_overlap",
                                      score * (0.5 + 0.5 * Clamp01((min_iou - o.iou) / min_iou)),
                                      fmt::format("IoU {:.2f} with {}'s prediction", o.iou, model.model)));
          }
        }
        break;
      }
      case OutcomeKind::kIgnored:
      case OutcomeKind::kTag: break;
    }
  }
}

// ---- Confirmation on gold frames ----

void TaskChecker::Confirm(const LabelRecord& r, const LabelRecord& gold, quality::TrackHistory* history,
                          std::vector<RawFinding>& found, std::vector<RawFinding>& out) {
  // Nothing to judge and no track history to keep: the comparison would change nothing.
  if (found.empty() && history == nullptr) return;
  gold_comparer_.Compare(r, gold, cmp_, history);
  if (history != nullptr) history->Observe(cmp_);
  std::vector<quality::ErrorMask> label_errors(r.objects.size(), 0);
  std::vector<bool> gold_missing(gold.objects.size(), false);
  for (const Outcome& o : cmp_.outcomes) {
    quality::ErrorMask m = o.errors;
    if (o.kind == OutcomeKind::kExtra) m |= ErrorBit(ErrorType::kExtra);
    if (o.kind == OutcomeKind::kDuplicate) m |= ErrorBit(ErrorType::kDuplicate);
    if (o.label >= 0) label_errors[static_cast<size_t>(o.label)] |= m;
    if (o.kind == OutcomeKind::kMissing && o.reference >= 0) gold_missing[static_cast<size_t>(o.reference)] = true;
  }
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < r.objects.size(); ++i) index.emplace(r.objects[i].id, i);
  // Suspected missing objects: does the predicted geometry pair with a gold object that no label covers?
  scratch_.pipeline = gold.pipeline;
  scratch_.objects.clear();
  std::vector<size_t> missing_at;
  for (size_t k = 0; k < found.size(); ++k) {
    const FindingRow& row = found[k].row;
    if (!row.object_id.empty() || row.type != ErrorType::kMissing) continue;
    JsonValue v = quality::ParseJson(row.geometry_json);
    Object o;
    o.id = fmt::format("m{}", k);
    o.cls = row.cls;
    o.kind = pipeline_.geometry;
    if (auto box = ParseBox3d(row.geometry_json)) {
      o.box3d = *box;
    } else if (const JsonValue* b2 = v.Find("box2d"); b2 != nullptr && b2->items.size() == 4) {
      o.box2d = {b2->items[0].number, b2->items[1].number, b2->items[2].number, b2->items[3].number};
    } else {
      continue;  // other geometries: not confirmed here
    }
    missing_at.push_back(k);
    scratch_.objects.push_back(std::move(o));
  }
  std::vector<std::optional<bool>> missing_confirmed(found.size());
  if (!scratch_.objects.empty()) {
    for (size_t k : missing_at) missing_confirmed[k] = false;
    gold_comparer_.Compare(scratch_, gold, cmp_);
    for (const Outcome& o : cmp_.outcomes) {
      if (o.kind == OutcomeKind::kPaired && o.label >= 0 && o.reference >= 0 &&
          gold_missing[static_cast<size_t>(o.reference)]) {
        missing_confirmed[missing_at[static_cast<size_t>(o.label)]] = true;
      }
    }
  }
  for (size_t k = 0; k < found.size(); ++k) {
    RawFinding& f = found[k];
    if (f.stratum.empty()) f.stratum = f.row.cls;
    if (f.row.type == ErrorType::kSpecViolation) {
      // gold says nothing about the spec
    } else if (f.row.object_id.empty()) {
      f.confirmed = missing_confirmed[k];
    } else if (auto it = index.find(f.row.object_id); it != index.end()) {
      f.confirmed = (label_errors[it->second] & ErrorBit(f.row.type)) != 0;
    }
    out.push_back(std::move(f));
  }
}

// ---- One task ----

void TaskChecker::Check(std::span<const FrameLabels> task, std::vector<RawFinding>& out, TaskCheckStats& stats) {
  // Findings per (frame, vendor record), so that each frame's are confirmed against its gold.
  std::vector<std::vector<RawFinding>> per_frame(task.size());
  std::vector<std::string_view> producers;
  for (size_t f = 0; f < task.size(); ++f) {
    const FrameLabels& frame = task[f];
    const LabelRecord* model = nullptr;
    for (const LabelRecord& r : frame.records) {
      if (r.source == Source::kModel && model == nullptr) model = &r;
    }
    bool any = false;
    for (const LabelRecord& r : frame.records) {
      if (r.source != Source::kVendor) continue;
      any = true;
      ++stats.records;
      stats.objects += static_cast<int64_t>(r.objects.size());
      CheckRecord(r, per_frame[f]);
      if (model != nullptr) CompareWithModel(r, *model, per_frame[f]);
      if (std::find(producers.begin(), producers.end(), r.producer()) == producers.end()) {
        producers.push_back(r.producer());
      }
    }
    if (any) ++stats.frames;
  }
  if (pipeline_.tracking && pipeline_.geometry == GeometryKind::kBox3d) {
    for (std::string_view p : producers) CheckTracks(task, p, per_frame);
    for (auto& found : per_frame) UnifyMissing(found);
  }
  std::map<std::string_view, quality::TrackHistory> histories;  // per producer, for id switches
  for (size_t f = 0; f < task.size(); ++f) {
    const LabelRecord* gold = nullptr;
    for (const LabelRecord& r : task[f].records) {
      if (r.source == Source::kGold) gold = &r;
    }
    if (gold == nullptr) {
      for (RawFinding& x : per_frame[f]) {
        if (x.stratum.empty()) x.stratum = x.row.cls;
        out.push_back(std::move(x));
      }
      continue;
    }
    // Group the frame's findings by the record they are about (each moved once).
    std::vector<bool> taken(per_frame[f].size(), false);
    for (const LabelRecord& r : task[f].records) {
      if (r.source != Source::kVendor) continue;
      found_.clear();
      for (size_t k = 0; k < per_frame[f].size(); ++k) {
        if (!taken[k] && per_frame[f][k].row.producer == r.producer()) {
          taken[k] = true;
          found_.push_back(std::move(per_frame[f][k]));
        }
      }
      Confirm(r, *gold, pipeline_.tracking ? &histories[r.producer()] : nullptr, found_, out);
    }
  }
}

}  // namespace gtops::checks
