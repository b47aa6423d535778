#include "demo/scene_gen.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "core/time.h"
#include "demo/generator.h"
#include "demo/mask_rle.h"

namespace gtops::demo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180;
// A pinhole front camera: focal length and principal point in pixels, mounted kCamH above the road.
constexpr double kFocal = 1400, kImgW = 1920, kImgH = 1080, kHorizonY = 540, kCamH = 1.6;
constexpr int kMaskH = 72, kMaskW = 128;  // drivable-area masks at 1/15 of the image
constexpr double kTrackDt = 0.5;          // seconds between frames of a tracking task
constexpr double kKeyframeDt = 4.0;       // seconds between frames of other tasks
constexpr double kSeparationM = 1.3;      // free gap between reference objects (unambiguous pairing)
constexpr int kNoError = -1;
constexpr std::array<const char*, 5> kSurroundCams = {"CAM_FRONT_LEFT", "CAM_FRONT_RIGHT",
                                                      "CAM_BACK_LEFT", "CAM_BACK_RIGHT",
                                                      "CAM_BACK"};
constexpr std::array<const char*, 6> kFailReasons = {
    "missing objects", "loose boxes", "wrong attributes", "heading errors",
    "track breaks", "spec not followed"};

double WrapAngle(double a) {
  a = std::fmod(a, 2 * kPi);
  if (a > kPi) a -= 2 * kPi;
  if (a <= -kPi) a += 2 * kPi;
  return a;
}

double Box2dIou(const double* a, const double* b) {
  const double ix = std::max(0.0, std::min(a[0] + a[2], b[0] + b[2]) - std::max(a[0], b[0]));
  const double iy = std::max(0.0, std::min(a[1] + a[3], b[1] + b[3]) - std::max(a[1], b[1]));
  const double inter = ix * iy;
  const double uni = a[2] * a[3] + b[2] * b[3] - inter;
  return uni <= 0 ? 0 : inter / uni;
}

// Bird's-eye IoU of two box3d (x, y, ., l, w, ., yaw): the intersection of the two rectangles by
// clipping one with the other's edges (both convex, counter-clockwise).
double BevIou(const double* a, const double* b) {
  auto corners = [](const double* box, double* out) {
    const double c = std::cos(box[6]), s = std::sin(box[6]);
    const double dx[4] = {0.5, -0.5, -0.5, 0.5}, dy[4] = {0.5, 0.5, -0.5, -0.5};
    for (int i = 0; i < 4; ++i) {
      const double lx = dx[i] * box[3], ly = dy[i] * box[4];
      out[2 * i] = box[0] + c * lx - s * ly;
      out[2 * i + 1] = box[1] + s * lx + c * ly;
    }
  };
  double pa[8], pb[8];
  corners(a, pa);
  corners(b, pb);
  double poly[32], next[32];
  int n = 4;
  std::copy(pa, pa + 8, poly);
  for (int e = 0; e < 4 && n > 0; ++e) {
    const double ax = pb[2 * e], ay = pb[2 * e + 1];
    const double bx = pb[2 * ((e + 1) % 4)], by = pb[2 * ((e + 1) % 4) + 1];
    auto side = [&](double px, double py) { return (bx - ax) * (py - ay) - (by - ay) * (px - ax); };
    int m = 0;
    for (int i = 0; i < n; ++i) {
      const double px = poly[2 * i], py = poly[2 * i + 1];
      const double qx = poly[2 * ((i + 1) % n)], qy = poly[2 * ((i + 1) % n) + 1];
      const double sp = side(px, py), sq = side(qx, qy);
      if (sp >= 0) {
        next[2 * m] = px;
        next[2 * m + 1] = py;
        ++m;
      }
      if ((sp >= 0) != (sq >= 0) && m < 15) {
        const double t = sp / (sp - sq);
        next[2 * m] = px + t * (qx - px);
        next[2 * m + 1] = py + t * (qy - py);
        ++m;
      }
    }
    n = m;
    std::copy(next, next + 2 * m, poly);
  }
  double inter = 0;
  for (int i = 0; i < n; ++i) {
    const int j = (i + 1) % n;
    inter += poly[2 * i] * poly[2 * j + 1] - poly[2 * j] * poly[2 * i + 1];
  }
  inter = std::abs(inter) / 2;
  const double uni = a[3] * a[4] + b[3] * b[4] - inter;
  return uni <= 0 ? 0 : inter / uni;
}

bool Box2dNear(const double* a, const double* b, double margin) {
  return a[0] < b[0] + b[2] + margin && b[0] < a[0] + a[2] + margin &&
         a[1] < b[1] + b[3] + margin && b[1] < a[1] + a[3] + margin;
}

struct Scene {
  int index = 0;
  std::string log;
  int cond[kSceneKeys] = {};
  std::string location;
  int density = 0;
  std::string json;
  double t0 = 0;
  double ego[3] = {};
  double ego_speed = 0;
};

// A reference object in one frame.
struct TObj {
  int cls = 0;
  double b[7] = {};  // box3d; box2d in b[0..3]
  double range = 0;
  int attr[kMaxAttrs] = {};
  int num_points = 0;
  int off = 0, len = 0;  // shape in the frame's pool: polyline/polygon points, mask columns
  int split = 0;         // polygon with two rings: points in the first ring
};

struct Frame {
  std::string id;
  const char* sensor = nullptr;
  double timestamp = 0;
  double ego[4] = {};
  std::vector<TObj> objs;
  std::vector<double> pts;
  std::vector<int> cols;
  bool crowd = false;
  double crowd_box[7] = {};  // ignore region: box3d, or box2d in [0..3]
  int light_state = 0;
};

// A moving reference object of a box3d task, in the task's local frame (the ego frame of the
// first frame; the ego drives along +x).
struct Actor {
  int cls = 0;
  double x = 0, y = 0, yaw = 0, v = 0, l = 0, w = 0, h = 0, z = 0, radius = 0;
  int attr[kMaxAttrs] = {};
  double X(double t) const { return x + v * std::cos(yaw) * t; }
  double Y(double t) const { return y + v * std::sin(yaw) * t; }
};

// Objects by grid cell, to test the free gap around a candidate in constant time.
class Grid {
 public:
  void Reset(double extent, double cell) {
    extent_ = extent;
    cell_ = cell;
    n_ = static_cast<int>(2 * extent / cell) + 1;
    head_.assign(static_cast<size_t>(n_) * static_cast<size_t>(n_), -1);
    next_.clear();
    xs_.clear();
    ys_.clear();
    rs_.clear();
  }
  bool Free(double x, double y, double r) const {
    const int cx = Cell(x), cy = Cell(y);
    for (int gx = std::max(0, cx - 1); gx <= std::min(n_ - 1, cx + 1); ++gx) {
      for (int gy = std::max(0, cy - 1); gy <= std::min(n_ - 1, cy + 1); ++gy) {
        for (int i = head_[Index(gx, gy)]; i >= 0; i = next_[static_cast<size_t>(i)]) {
          const auto k = static_cast<size_t>(i);
          const double need = r + rs_[k] + kSeparationM;
          const double dx = x - xs_[k], dy = y - ys_[k];
          if (dx * dx + dy * dy < need * need) return false;
        }
      }
    }
    return true;
  }
  void Add(double x, double y, double r) {
    const size_t cell = Index(Cell(x), Cell(y));
    next_.push_back(head_[cell]);
    head_[cell] = static_cast<int>(xs_.size());
    xs_.push_back(x);
    ys_.push_back(y);
    rs_.push_back(r);
  }

 private:
  int Cell(double v) const {
    return std::clamp(static_cast<int>(std::floor((v + extent_) / cell_)), 0, n_ - 1);
  }
  size_t Index(int gx, int gy) const {
    return static_cast<size_t>(gx) * static_cast<size_t>(n_) + static_cast<size_t>(gy);
  }
  double extent_ = 0, cell_ = 1;
  int n_ = 1;
  std::vector<int> head_, next_;
  std::vector<double> xs_, ys_, rs_;
};

struct Label {
  int truth = -1;  // -1: an extra or a crowd member
  int cls = 0;
  double b[7] = {};
  int attr[kMaxAttrs] = {};
  int num_points = 0;
  int off = 0, len = 0, split = 0;  // shape in the label pool
  uint64_t track = 0;
  double score = 0;
};

struct InjectedError {
  ErrorType type = ErrorType::kMissing;
  int fault = -1;  // index into the world's faults, -1 for background
  int truth = -1;
  int label = -1;  // index into labels_, -1 for missing and tag errors
  int cls = -1;
  int detail = -1;  // attribute or tag index
};

struct Decision {
  int type = kNoError;  // ErrorType as int
  int fault = -1;
};

struct Timeline {
  bool labeled = false;
  bool cancelled = false;
  int64_t first_submit = 0, last_submit = 0;
};

class ChunkGen {
 public:
  ChunkGen(const World& w, int pipe, int chunk, std::string& errors, ItemTotals& totals)
      : w_(w),
        p_(w.pipes[static_cast<size_t>(pipe)]),
        d_(*p_.def),
        errors_(errors),
        totals_(totals),
        labels_file_(Dir(w, d_), fmt::format("labels-{:04}", chunk), w.compression,
                     w.options->split_bytes),
        gold_file_(Dir(w, d_), fmt::format("gold-{:04}", chunk), w.compression,
                   w.options->split_bytes),
        model_file_(Dir(w, d_), fmt::format("model-{:04}", chunk), w.compression,
                    w.options->split_bytes),
        events_file_(Dir(w, d_), fmt::format("events-{:04}", chunk), w.compression,
                     w.options->split_bytes),
        audits_file_(Dir(w, d_), fmt::format("audits-{:04}", chunk), w.compression,
                     w.options->split_bytes) {
    geometry_ = d_.geometry;
    tracking_ = d_.tracking;
    frames_per_task_ = tracking_ ? w.options->frames_per_tracking_task
                                 : w.options->frames_per_task;
    scale_ = w.options->objects_scale;
    totals_.truth_objects.assign(w.vendors.size(), 0);
    for (const ClassDef& c : d_.classes) {
      max_radius_ = std::max(max_radius_, 0.5 * std::hypot(c.l * 1.2, c.w * 1.2));
    }
  }

  Status Run(int begin, int end) {
    for (int s = begin; s < end; ++s) Task(s);
    for (RecordFile* f : {&labels_file_, &gold_file_, &model_file_, &events_file_, &audits_file_}) {
      GTOPS_RETURN_IF_ERROR(f->Close());
    }
    return Status::Ok();
  }

 private:
  static std::string Dir(const World& w, const PipelineDef& d) {
    return fmt::format("{}/data/{}", w.dir, d.id);
  }

  // ---- scenes and truth -------------------------------------------------------------------

  void MakeScene(int s) {
    const bool hw = d_.highway;
    Rng rng(Mix(w_.options->seed ^ (hw ? 0x4857ULL : 0x5343ULL), static_cast<uint64_t>(s)));
    scene_.index = s;
    scene_.log = fmt::format("{}-{:06}", hw ? "hwy" : "drv", s);
    for (int k = 0; k < kSceneKeys; ++k) {
      scene_.cond[k] = rng.Pick(w_.scene_keys[static_cast<size_t>(k)].weights);
    }
    if (hw) {
      scene_.cond[2] = -1;
      scene_.cond[3] = 3;  // highway
      scene_.location = w_.highway_locations[static_cast<size_t>(
          rng.Below(static_cast<int>(w_.highway_locations.size())))];
    } else {
      // Locations have their own road mix: the suburbs have few highways in their logs.
      if (scene_.cond[3] == 3 && rng.Chance(0.6)) scene_.cond[3] = 1;
      scene_.location = w_.scene_keys[2].values[static_cast<size_t>(scene_.cond[2])];
    }
    scene_.density = rng.Pick(w_.tag_keys[3].weights);
    scene_.t0 = 1767225600.0 + s * 1200.0 + std::floor(rng.Uniform(0, 900));
    scene_.ego[0] = rng.Uniform(-2500, 2500);
    scene_.ego[1] = rng.Uniform(-2500, 2500);
    scene_.ego[2] = rng.Uniform(-kPi, kPi);
    scene_.ego_speed = hw ? rng.Uniform(24, 31) : (rng.Chance(0.3) ? 0 : rng.Uniform(3, 12));
    JsonLine& j = scratch_;
    j.Clear();
    j.Char('{');
    j.KeyStr("weather", SceneValue(0));
    j.KeyStr("time_of_day", SceneValue(1));
    j.KeyStr("location", scene_.location);
    j.KeyStr("road", SceneValue(3));
    j.Char('}');
    scene_.json = j.str();
  }

  const std::string& SceneValue(int k) const {
    return w_.scene_keys[static_cast<size_t>(k)].values[static_cast<size_t>(scene_.cond[k])];
  }

  double WeatherPointFactor() const {
    switch (scene_.cond[0]) {
      case 2: return 0.75;  // rain
      case 3: return 0.6;   // fog
      case 4: return 0.7;   // snow
      default: return 1.0;
    }
  }

  void SetupFrames() {
    const int n = frames_per_task_;
    frames_.resize(static_cast<size_t>(n));
    const double dt = tracking_ ? kTrackDt : kKeyframeDt;
    for (int f = 0; f < n; ++f) {
      Frame& fr = frames_[static_cast<size_t>(f)];
      fr.objs.clear();
      fr.pts.clear();
      fr.cols.clear();
      fr.crowd = false;
      const double t = f * dt;
      fr.timestamp = scene_.t0 + t;
      fr.ego[0] = scene_.ego[0] + std::cos(scene_.ego[2]) * scene_.ego_speed * t;
      fr.ego[1] = scene_.ego[1] + std::sin(scene_.ego[2]) * scene_.ego_speed * t;
      fr.ego[2] = 0;
      fr.ego[3] = scene_.ego[2];
      fr.sensor = nullptr;
      if (geometry_ == GeometryKind::kBox2d || geometry_ == GeometryKind::kPolygon ||
          geometry_ == GeometryKind::kMask) {
        fr.sensor = d_.sensor == "surround"
                        ? kSurroundCams[static_cast<size_t>((scene_.index + f) % 5)]
                        : (d_.id == "traffic_lights" ? "CAM_FRONT_TELE" : "CAM_FRONT");
      }
      if (tracking_) {
        fr.id = fmt::format("{}/{:02}", scene_.log, f);
      } else if (d_.sensor == "surround") {
        fr.id = fmt::format("{}/{:03}/{}", scene_.log, f * 8, fr.sensor);
      } else {
        fr.id = fmt::format("{}/{:03}", scene_.log, f * 8);
      }
    }
  }

  int Count(Rng& rng, double mean, int cap) const {
    const double m = mean * scale_ * rng.Uniform(0.6, 1.4);
    return std::min(cap, static_cast<int>(std::lround(m)));
  }

  void DrawAttrs(Rng& rng, const ClassDef& c, double range, double speed, int* attr) const {
    for (size_t a = 0; a < c.attrs.size() && a < kMaxAttrs; ++a) {
      const AttrDef& def = c.attrs[a];
      if (def.name == "moving") {
        attr[a] = speed > 0 ? 0 : 1;
      } else if (def.name == "occlusion") {
        const double far = std::min(1.0, range / 80.0);
        const double heavy = 0.05 + 0.2 * far, partial = 0.25 + 0.1 * far;
        const double u = rng.Uniform();
        attr[a] = u < heavy ? 2 : (u < heavy + partial ? 1 : 0);
      } else {
        attr[a] = rng.Pick(def.weights);
      }
    }
  }

  int NumPoints(Rng& rng, const ClassDef& c, double range, const int* attr, double l, double w,
                double h) const {
    double occl = 1;
    const int oi = c.AttrIndex("occlusion");
    if (oi >= 0) occl = attr[oi] == 2 ? 0.2 : (attr[oi] == 1 ? 0.5 : 1.0);
    const double area = (l + w) * h;
    const double n = 1800.0 * area / (range * range + 9.0) * occl * WeatherPointFactor() *
                     rng.Uniform(0.8, 1.2);
    return std::max(1, static_cast<int>(std::lround(n)));
  }

  // Box3d: actors placed in the task's local frame with a free gap at every frame time, then
  // seen from the ego at each frame.
  void TruthBox3d(Rng& rng) {
    const int nf = frames_per_task_;
    const int groups = tracking_ ? 1 : nf;  // non-tracking frames are independent snapshots
    const double sq = std::sqrt(static_cast<double>(scale_));
    for (int g = 0; g < groups; ++g) {
      const int frames_here = tracking_ ? nf : 1;
      const double t_base = tracking_ ? 0 : g * kKeyframeDt;
      const double ego_x0 = scene_.ego_speed * t_base;
      const double extent = (d_.highway ? 130.0 * scale_ : 80.0 * sq) + 60;
      grids_.resize(static_cast<size_t>(frames_here));
      for (Grid& grid : grids_) grid.Reset(extent, 2 * max_radius_ + kSeparationM + 0.1);
      actors_.clear();
      // A crowd (an ignore region in gold) in some frames of the pipelines with pedestrians.
      bool crowd = false;
      double crowd_x = 0, crowd_y = 0;
      if (d_.ClassIndex("pedestrian") >= 0 && rng.Chance(0.06)) {
        const double r = rng.Uniform(20, 45), a = rng.Uniform(-kPi, kPi);
        crowd_x = ego_x0 + r * std::cos(a);
        crowd_y = r * std::sin(a);
        bool ok = true;
        for (int f = 0; f < frames_here; ++f) ok = ok && grids_[static_cast<size_t>(f)].Free(crowd_x, crowd_y, 3.2);
        if (ok) {
          crowd = true;
          for (int f = 0; f < frames_here; ++f) grids_[static_cast<size_t>(f)].Add(crowd_x, crowd_y, 3.2);
        }
      }
      const int n = Count(rng, d_.objects_per_frame, 1 << 20);
      for (int i = 0; i < n; ++i) {
        for (int attempt = 0; attempt < 25; ++attempt) {
          if (PlaceActor(rng, sq, ego_x0, frames_here)) break;
        }
      }
      for (int f = 0; f < frames_here; ++f) {
        Frame& fr = frames_[static_cast<size_t>(tracking_ ? f : g)];
        const double t = tracking_ ? f * kTrackDt : 0;
        const double ex = ego_x0 + scene_.ego_speed * t;
        for (const Actor& a : actors_) {
          TObj o;
          o.cls = a.cls;
          o.b[0] = a.X(t) - ex;
          o.b[1] = a.Y(t);
          o.b[2] = a.z;
          o.b[3] = a.l;
          o.b[4] = a.w;
          o.b[5] = a.h;
          o.b[6] = WrapAngle(a.yaw);
          o.range = std::hypot(o.b[0], o.b[1]);
          std::copy(a.attr, a.attr + kMaxAttrs, o.attr);
          o.num_points = NumPoints(rng, d_.classes[static_cast<size_t>(a.cls)], o.range, a.attr,
                                   a.l, a.w, a.h);
          fr.objs.push_back(o);
        }
        if (crowd) {
          fr.crowd = true;
          const double b[7] = {crowd_x - ex, crowd_y, 0.9, 6.0, 6.0, 1.8, 0.0};
          std::copy(b, b + 7, fr.crowd_box);
        }
      }
    }
  }

  bool PlaceActor(Rng& rng, double sq, double ego_x0, int frames_here) {
    Actor a;
    a.cls = rng.Pick(p_.class_freq);
    const ClassDef& c = d_.classes[static_cast<size_t>(a.cls)];
    a.l = c.l * (1 + rng.Noise(0.07));
    a.w = c.w * (1 + rng.Noise(0.07));
    a.h = c.h * (1 + rng.Noise(0.06));
    a.z = a.h / 2 + rng.Noise(0.02);
    a.radius = 0.5 * std::hypot(a.l, a.w);
    const bool moving = c.max_speed_mps > 0 && rng.Chance(c.moving_prob);
    const bool vehicle = !c.center_match;
    if (d_.highway) {
      static constexpr double kLanes[] = {-8.75, -5.25, -1.75, 1.75, 5.25, 8.75};
      a.y = kLanes[rng.Below(6)] + rng.Noise(0.2);
      a.x = ego_x0 + rng.Uniform(-60, 110) * scale_;
      a.yaw = rng.Noise(0.015);
      a.v = std::clamp(scene_.ego_speed + rng.Uniform(-6, 6), 15.0, c.max_speed_mps * 0.95);
    } else if (d_.id == "lidar_parked") {
      const double side = rng.Chance(0.5) ? 1 : -1;
      a.y = side * rng.Uniform(4.2, 6.5) * (1 + (sq - 1) * rng.Uniform());
      a.x = ego_x0 + rng.Uniform(-50, 60) * sq;
      a.yaw = (rng.Chance(0.5) ? 0 : kPi) + rng.Noise(0.03);
    } else if (d_.id == "lidar_vru") {
      if (rng.Chance(0.2)) {
        a.x = ego_x0 + rng.Uniform(5, 30);
        a.y = rng.Uniform(-5, 5) * sq;
        a.yaw = (rng.Chance(0.5) ? kPi / 2 : -kPi / 2) + rng.Noise(0.2);
      } else {
        a.x = ego_x0 + rng.Uniform(-35, 45) * sq;
        a.y = (rng.Chance(0.5) ? 1 : -1) * rng.Uniform(3.5, 14) * sq;
        a.yaw = (rng.Chance(0.5) ? 0 : kPi) + rng.Noise(0.3);
      }
    } else {
      const double rmax = (d_.id == "lidar_work_zone" ? 50.0 : 75.0) * sq, rmin = 4;
      const double r = std::sqrt(rng.Uniform(rmin * rmin, rmax * rmax));
      const double ang = rng.Uniform(-kPi, kPi);
      a.x = ego_x0 + r * std::cos(ang);
      a.y = r * std::sin(ang);
      a.yaw = vehicle ? rng.Below(4) * kPi / 2 + rng.Noise(0.05) : rng.Uniform(-kPi, kPi);
    }
    if (moving && !d_.highway) a.v = rng.Uniform(0.35, 0.9) * c.max_speed_mps;
    if (!moving && !d_.highway) a.v = 0;
    const double range0 = std::hypot(a.x - ego_x0, a.y);
    for (int f = 0; f < frames_here; ++f) {
      const double t = tracking_ ? f * kTrackDt : 0;
      const double x = a.X(t), y = a.Y(t);
      const double ex = ego_x0 + scene_.ego_speed * t;
      if (std::hypot(x - ex, y) < a.radius + 3.0) return false;
      if (!grids_[static_cast<size_t>(f)].Free(x, y, a.radius)) return false;
    }
    for (int f = 0; f < frames_here; ++f) {
      const double t = tracking_ ? f * kTrackDt : 0;
      grids_[static_cast<size_t>(f)].Add(a.X(t), a.Y(t), a.radius);
    }
    DrawAttrs(rng, c, range0, a.v, a.attr);
    actors_.push_back(a);
    return true;
  }

  // Box2d: objects on the road plane (or mounted above it) seen by a pinhole camera, boxes kept
  // apart so every label pairs with one reference only.
  void TruthBox2d(Rng& rng, Frame& fr) {
    const int n = Count(rng, d_.objects_per_frame, 60);
    const int light_class = d_.ClassIndex("traffic_light");
    fr.light_state = rng.Pick(std::array<double, 3>{0.45, 0.13, 0.42});  // red, yellow, green
    if (d_.ClassIndex("pedestrian") >= 0 && rng.Chance(0.06)) {
      const double cw = rng.Uniform(90, 160), ch = rng.Uniform(60, 100);
      fr.crowd_box[0] = rng.Uniform(100, kImgW - 100 - cw);
      fr.crowd_box[1] = kHorizonY + rng.Uniform(0, 60) - ch * 0.6;
      fr.crowd_box[2] = cw;
      fr.crowd_box[3] = ch;
      fr.crowd = true;
    }
    for (int i = 0; i < n; ++i) {
      for (int attempt = 0; attempt < 25; ++attempt) {
        TObj o;
        o.cls = rng.Pick(p_.class_freq);
        const ClassDef& c = d_.classes[static_cast<size_t>(o.cls)];
        const bool light = o.cls == light_class;
        const double d = light ? rng.Uniform(15, 70) : 6 + 74 * std::pow(rng.Uniform(), 1.4);
        const double lat = rng.Uniform(-1, 1) * std::min(d * 0.6, light ? 9.0 : 16.0);
        const bool vehicle = c.name == "car" || c.name == "truck";
        const double W = c.w * (vehicle ? 1 + 0.9 * rng.Uniform() : 1) * (1 + rng.Noise(0.06));
        const double H = c.h * (1 + rng.Noise(0.06));
        const double w = kFocal * W / d, h = kFocal * H / d;
        const double xc = kImgW / 2 + kFocal * lat / d;
        const double bottom = kHorizonY + kFocal * (kCamH - c.mount_height_m) / d;
        double x0 = xc - w / 2, y0 = bottom - h, x1 = xc + w / 2, y1 = bottom;
        const double full = w * h;
        x0 = std::max(0.0, x0);
        y0 = std::max(0.0, y0);
        x1 = std::min(kImgW, x1);
        y1 = std::min(kImgH, y1);
        if (x1 - x0 < 5 || y1 - y0 < 8) continue;
        const double visible = (x1 - x0) * (y1 - y0);
        if (visible < 0.5 * full) continue;
        o.b[0] = x0;
        o.b[1] = y0;
        o.b[2] = x1 - x0;
        o.b[3] = y1 - y0;
        bool free = !(fr.crowd && Box2dNear(o.b, fr.crowd_box, 4));
        for (size_t k = 0; free && k < fr.objs.size(); ++k) free = !Box2dNear(o.b, fr.objs[k].b, 3);
        if (!free) continue;
        DrawAttrs(rng, c, d, 0, o.attr);
        const int ti = c.AttrIndex("truncated");
        if (ti >= 0) o.attr[ti] = visible < full * 0.999 ? 1 : 0;
        const int si = c.AttrIndex("state");
        if (si >= 0 && rng.Chance(0.85)) o.attr[si] = fr.light_state;
        o.range = d;
        fr.objs.push_back(o);
        break;
      }
    }
  }

  void TruthPolyline(Rng& rng, Frame& fr) {
    const int lanes = std::min(200, (2 + rng.Below(3)) * scale_);
    const int ego_lane = rng.Below(std::min(lanes, 4));
    const double y_off = rng.Noise(0.15), slope = rng.Noise(0.015), curv = rng.Uniform(-0.0012, 0.0012);
    const int center = lanes >= 2 && rng.Chance(0.35) ? 1 + rng.Below(lanes - 1) : -1;
    auto lane_y = [&](int k, double x) {
      const double edge = (k == 0 ? -0.3 : (k == lanes ? 0.3 : 0));
      return (k - ego_lane - 0.5) * 3.5 + edge + y_off + slope * x + curv * x * x;
    };
    const int solid = d_.ClassIndex("lane_solid"), dashed = d_.ClassIndex("lane_dashed");
    const int edge_cls = d_.ClassIndex("road_edge"), stop = d_.ClassIndex("stop_line");
    for (int k = 0; k <= lanes; ++k) {
      TObj o;
      if (k == 0 || k == lanes) {
        o.cls = edge_cls;
      } else if (k == center) {
        o.cls = solid;
        o.attr[0] = 1;  // yellow
      } else {
        o.cls = rng.Chance(0.15) ? solid : dashed;
        o.attr[0] = 0;  // white
      }
      o.off = static_cast<int>(fr.pts.size());
      for (int i = 0; i <= 12; ++i) {
        const double x = i * 5.0;
        fr.pts.push_back(x);
        fr.pts.push_back(lane_y(k, x));
      }
      o.len = 13;
      fr.objs.push_back(o);
    }
    if (rng.Chance(0.35)) {
      TObj o;
      o.cls = stop;
      const double xs = rng.Uniform(12, 45);
      const int far_k = std::min(lanes, ego_lane + 1);
      const double ya = lane_y(0, xs) + 0.3, yb = lane_y(far_k, xs) - 0.3;
      if (yb - ya > 2.5) {
        o.off = static_cast<int>(fr.pts.size());
        fr.pts.insert(fr.pts.end(), {xs, ya, xs, (ya + yb) / 2, xs, yb});
        o.len = 3;
        fr.objs.push_back(o);
      }
    }
  }

  void TruthPolygon(Rng& rng, Frame& fr) {
    const int n = std::min(2, static_cast<int>(rng.Chance(0.55)) + static_cast<int>(rng.Chance(0.35)));
    double depth = rng.Uniform(6, 9);
    for (int i = 0; i < n; ++i) {
      if (depth > 17) break;
      TObj o;
      o.cls = 0;
      DrawAttrs(rng, d_.classes[0], depth, 0, o.attr);
      const double left = -rng.Uniform(5, 9), right = rng.Uniform(5, 9);
      const bool split = rng.Chance(0.2);
      o.off = static_cast<int>(fr.pts.size());
      auto ring = [&](double l, double r) {
        const double dn = depth, df = depth + 4;
        const double yn = kHorizonY + kFocal * kCamH / dn, yf = kHorizonY + kFocal * kCamH / df;
        auto px = [](double lat, double dd) {
          return std::clamp(kImgW / 2 + kFocal * lat / dd, 0.0, kImgW);
        };
        fr.pts.insert(fr.pts.end(), {px(l, dn), yn, px(r, dn), yn, px(r, df), yf, px(l, df), yf});
      };
      if (split) {
        ring(left, -0.8);
        ring(0.8, right);
        o.len = 8;
        o.split = 4;
      } else {
        ring(left, right);
        o.len = 4;
      }
      o.range = depth;
      fr.objs.push_back(o);
      depth += rng.Uniform(7, 9);
    }
  }

  void TruthMask(Rng& rng, Frame& fr) {
    TObj o;
    o.cls = 0;
    o.off = static_cast<int>(fr.cols.size());
    o.len = kMaskW;
    const double hy = rng.Uniform(28, 38), cx = rng.Uniform(44, 84), k = rng.Uniform(0.45, 1.1);
    const double bend = rng.Noise(0.004);
    for (int x = 0; x < kMaskW; ++x) {
      const double dx = x - cx;
      const double t = hy + k * std::abs(dx) + bend * dx * dx;
      fr.cols.push_back(std::clamp(static_cast<int>(std::lround(t)), 0, kMaskH));
    }
    fr.objs.push_back(o);
  }

  void MakeTruth(Rng& rng) {
    SetupFrames();
    if (geometry_ == GeometryKind::kBox3d) {
      TruthBox3d(rng);
      return;
    }
    for (Frame& fr : frames_) {
      switch (geometry_) {
        case GeometryKind::kBox2d: TruthBox2d(rng, fr); break;
        case GeometryKind::kPolyline: TruthPolyline(rng, fr); break;
        case GeometryKind::kPolygon: TruthPolygon(rng, fr); break;
        case GeometryKind::kMask: TruthMask(rng, fr); break;
        case GeometryKind::kBox3d:
        case GeometryKind::kTags: break;
      }
    }
  }

  int TagValue(int tag) const {
    switch (tag) {
      case 0: return scene_.cond[0];
      case 1: return scene_.cond[1];
      case 2: return scene_.cond[3];
      default: return scene_.density;
    }
  }

  // ---- task life (events) -----------------------------------------------------------------

  bool OpsActive(const std::string& kind, int64_t at) const {
    for (const OpsFaultDef& o : w_.ops) {
      if (o.kind != kind) continue;
      if (w_.vendors[static_cast<size_t>(vendor_)].id != o.vendor) continue;
      if (!o.pipeline.empty() && o.pipeline != d_.id) continue;
      const int64_t from = kStartMs + static_cast<int64_t>(o.from * static_cast<double>(kDurationMs));
      const int64_t to = kStartMs + static_cast<int64_t>(o.to * static_cast<double>(kDurationMs));
      if (at >= from && at < to) return true;
    }
    return false;
  }

  // The end of the first window of an ops fault of this kind (the data's end when there is none).
  int64_t OpsWindowEnd(const std::string& kind) const {
    for (const OpsFaultDef& o : w_.ops) {
      if (o.kind == kind) return kStartMs + static_cast<int64_t>(o.to * static_cast<double>(kDurationMs));
    }
    return kNowMs;
  }

  double OpsFactor(const std::string& kind) const {
    for (const OpsFaultDef& o : w_.ops) {
      if (o.kind == kind) return o.factor;
    }
    return 1;
  }

  // Writes one event unless it lies after the end of the data; false when it does.
  bool Event(const char* kind, int64_t at) {
    if (at > kNowMs) return false;
    JsonLine& j = line_;
    j.Clear();
    j.Char('{');
    j.KeyStr("task", task_);
    j.KeyStr("pipeline", d_.id);
    j.KeyStr("batch", batch_);
    j.KeyStr("vendor", w_.vendors[static_cast<size_t>(vendor_)].id);
    j.KeyStr("event", kind);
    j.KeyStr("at", FormatRfc3339(at));
    return true;
  }
  void EndEvent() {
    line_.Char('}');
    events_file_.Append(line_.view());
    ++totals_.events;
  }

  Timeline Events(Rng& rng, int64_t objects) {
    Timeline tl;
    const VendorDef& v = w_.vendors[static_cast<size_t>(vendor_)];
    const int64_t due = created_ + d_.sla_hours * kHourMs;
    if (Event("created", created_)) {
      line_.KeyStr("due", FormatRfc3339(due));
      EndEvent();
    }
    auto hours = [](double h) { return static_cast<int64_t>(h * static_cast<double>(kHourMs)); };
    if (rng.Chance(0.012)) {
      if (Event("cancelled", created_ + hours(rng.Uniform(2, 30)))) EndEvent();
      tl.cancelled = true;
      return tl;
    }
    int64_t t = created_ + hours(0.2 + rng.Exponential(3));
    if (!Event("assigned", t)) return tl;
    line_.KeyStr("annotator", *annotator_);
    EndEvent();
    if (rng.Chance(0.008)) {
      if (Event("cancelled", t + hours(rng.Uniform(2, 20)))) EndEvent();
      tl.cancelled = true;
      return tl;
    }
    double queue = rng.Exponential(v.queue_hours);
    if (OpsActive("sla_breach", created_)) queue = queue * OpsFactor("sla_breach") + 30;
    if (OpsActive("throughput_drop", created_) && !rng.Chance(OpsFactor("throughput_drop"))) {
      // Parked: the task waits for the team to come back at the window's end.
      queue += static_cast<double>(OpsWindowEnd("throughput_drop") - created_) / static_cast<double>(kHourMs) +
               rng.Exponential(12);
    }
    const double work_s = static_cast<double>(objects) * d_.seconds_per_object *
                              rng.Uniform(0.75, 1.3) +
                          (geometry_ == GeometryKind::kTags ? 45 : 120) * frames_per_task_;
    const double label_cost = (v.cost_per_task_usd +
                               v.cost_per_object_usd * static_cast<double>(objects)) *
                              rng.Uniform(0.95, 1.05) *
                              (OpsActive("cost_overrun", created_) ? OpsFactor("cost_overrun") : 1.0);
    const double review_cost = 0.5 + 0.015 * static_cast<double>(objects);
    t += hours(queue) + static_cast<int64_t>(work_s * 1000);
    double this_work = work_s, this_cost = label_cost;
    for (int attempt = 0;; ++attempt) {
      if (!Event("submitted", t)) return tl;
      line_.KeyStr("annotator", *annotator_);
      line_.Key("work_s").Int(std::lround(this_work));
      line_.Key("cost_usd").Fixed(this_cost, 2);
      line_.Key("object_count").Int(objects);
      EndEvent();
      if (!tl.labeled) tl.first_submit = t;
      tl.labeled = true;
      tl.last_submit = t;
      t += hours(0.5 + rng.Exponential(6));
      double p_fail = v.review_fail * (attempt > 0 ? 0.5 : 1.0);
      if (OpsActive("rework_spike", t)) p_fail *= OpsFactor("rework_spike");
      const bool fail = rng.Chance(std::min(0.9, p_fail));
      if (!Event(fail ? "review_failed" : "review_passed", t)) return tl;
      line_.Key("cost_usd").Fixed(review_cost, 2);
      line_.Key("work_s").Int(std::lround(60 + 4 * static_cast<double>(objects)));
      if (fail) line_.KeyStr("reason", kFailReasons[static_cast<size_t>(rng.Below(6))]);
      EndEvent();
      if (!fail) break;
      if (attempt == 2) {
        if (Event("rejected", t + hours(rng.Uniform(0.5, 3)))) EndEvent();
        return tl;
      }
      this_work = work_s * rng.Uniform(0.2, 0.4);
      this_cost = label_cost * 0.3;
      t += hours(rng.Exponential(8)) + static_cast<int64_t>(this_work * 1000);
    }
    t += hours(rng.Uniform(0.2, 6));
    if (!Event("accepted", t)) return tl;
    EndEvent();
    t += hours(rng.Uniform(4, 72));
    if (Event("delivered", t)) EndEvent();
    return tl;
  }

  // ---- labels -------------------------------------------------------------------------------

  bool FaultMatches(const CompiledFault& f, const TObj& o) const {
    if (f.cls >= 0 && f.cls != o.cls) return false;
    if (!f.class_ok[static_cast<size_t>(o.cls)]) return false;
    for (const auto& [a, v] : f.attr_by_class[static_cast<size_t>(o.cls)]) {
      if (o.attr[a] != v) return false;
    }
    if (f.has_range && !(o.range >= f.range_lo && o.range < f.range_hi)) return false;
    return true;
  }

  // The faults whose annotator, vendor, spec and scene conditions hold for this record set.
  void SelectActiveFaults(const std::string& annotator) {
    active_.clear();
    for (const CompiledFault* f : p_.faults) {
      if (f->vendor >= 0 && f->vendor != vendor_) continue;
      if (!f->annotator.empty() && f->annotator != annotator) continue;
      if (f->spec >= 0 && f->spec != spec_) continue;
      bool ok = true;
      for (const auto& [k, v] : f->scene) ok = ok && scene_.cond[k] == v;
      if (ok) active_.push_back(f);
    }
  }

  bool Feasible(ErrorType t, const TObj& o) const {
    const ClassDef& c = d_.classes[static_cast<size_t>(o.cls)];
    switch (t) {
      case ErrorType::kWrongClass: return p_.confuse[static_cast<size_t>(o.cls)] >= 0;
      case ErrorType::kAttribute: return !c.attrs.empty();
      case ErrorType::kSize:
      case ErrorType::kPosition:
        return geometry_ == GeometryKind::kBox3d || geometry_ == GeometryKind::kBox2d;
      case ErrorType::kHeading:
      case ErrorType::kHeadingFlip: return geometry_ == GeometryKind::kBox3d;
      case ErrorType::kGeometry:
        return geometry_ == GeometryKind::kPolyline || geometry_ == GeometryKind::kPolygon ||
               geometry_ == GeometryKind::kMask;
      case ErrorType::kMissing: return true;
      default: return false;
    }
  }

  Decision Decide(Rng& rng, const TObj& o) {
    for (const CompiledFault* f : active_) {
      if (f->type == ErrorType::kExtra || f->type == ErrorType::kIdSwitch ||
          f->type == ErrorType::kTag) {
        continue;
      }
      if (!FaultMatches(*f, o)) continue;
      if (rng.Chance(f->rate)) {
        return {static_cast<int>(f->type), static_cast<int>(f - w_.faults.data())};
      }
    }
    // Background: a low rate of every type the geometry allows.
    struct Rate {
      ErrorType type;
      double rate;
    };
    static constexpr Rate kBox3d[] = {{ErrorType::kMissing, 0.004}, {ErrorType::kWrongClass, 0.002},
                                      {ErrorType::kPosition, 0.002}, {ErrorType::kSize, 0.002},
                                      {ErrorType::kHeading, 0.001}, {ErrorType::kHeadingFlip, 0.0005},
                                      {ErrorType::kAttribute, 0.003}};
    static constexpr Rate kBox2d[] = {{ErrorType::kMissing, 0.004}, {ErrorType::kWrongClass, 0.002},
                                      {ErrorType::kPosition, 0.002}, {ErrorType::kSize, 0.002},
                                      {ErrorType::kAttribute, 0.003}};
    static constexpr Rate kShape[] = {{ErrorType::kMissing, 0.004}, {ErrorType::kWrongClass, 0.002},
                                      {ErrorType::kGeometry, 0.005}, {ErrorType::kAttribute, 0.002}};
    static constexpr Rate kMask[] = {{ErrorType::kMissing, 0.001}, {ErrorType::kGeometry, 0.006}};
    std::span<const Rate> rates;
    switch (geometry_) {
      case GeometryKind::kBox3d: rates = kBox3d; break;
      case GeometryKind::kBox2d: rates = kBox2d; break;
      case GeometryKind::kPolyline:
      case GeometryKind::kPolygon: rates = kShape; break;
      case GeometryKind::kMask: rates = kMask; break;
      case GeometryKind::kTags: break;
    }
    double u = rng.Uniform();
    for (const Rate& r : rates) {
      if (u < r.rate) {
        return Feasible(r.type, o) ? Decision{static_cast<int>(r.type), -1} : Decision{};
      }
      u -= r.rate;
    }
    return {};
  }

  uint64_t TrackKey(int truth, int epoch) const {
    return Mix(Mix(annot_key_, static_cast<uint64_t>(truth) + 1), static_cast<uint64_t>(epoch));
  }

  // The honest label of a reference object: small noise, well inside every tolerance.
  void Honest(Rng& rng, const Frame& fr, const TObj& o, Label& l) {
    l.cls = o.cls;
    std::copy(o.attr, o.attr + kMaxAttrs, l.attr);
    l.num_points = o.num_points;
    switch (geometry_) {
      case GeometryKind::kBox3d:
        l.b[0] = o.b[0] + rng.Noise(0.03);
        l.b[1] = o.b[1] + rng.Noise(0.03);
        l.b[2] = o.b[2] + rng.Noise(0.02);
        l.b[3] = o.b[3] * (1 + rng.Noise(0.01));
        l.b[4] = o.b[4] * (1 + rng.Noise(0.01));
        l.b[5] = o.b[5] * (1 + rng.Noise(0.01));
        l.b[6] = WrapAngle(o.b[6] + rng.Noise(0.6 * kDeg));
        break;
      case GeometryKind::kBox2d: {
        const double sigma = 0.01 * std::min(o.b[2], o.b[3]) + 0.1;
        for (int attempt = 0; attempt < 4; ++attempt) {
          const double x0 = o.b[0] + rng.Noise(sigma), y0 = o.b[1] + rng.Noise(sigma);
          const double x1 = o.b[0] + o.b[2] + rng.Noise(sigma);
          const double y1 = o.b[1] + o.b[3] + rng.Noise(sigma);
          l.b[0] = x0;
          l.b[1] = y0;
          l.b[2] = x1 - x0;
          l.b[3] = y1 - y0;
          if (Box2dIou(l.b, o.b) >= 0.9) return;
        }
        std::copy(o.b, o.b + 4, l.b);
        break;
      }
      case GeometryKind::kPolyline:
      case GeometryKind::kPolygon: {
        const double sigma = geometry_ == GeometryKind::kPolyline ? 0.025 : 0.25;
        l.off = static_cast<int>(lpts_.size());
        l.len = o.len;
        l.split = o.split;
        for (int i = 0; i < o.len * 2; ++i) {
          double v = fr.pts[static_cast<size_t>(o.off + i)] + rng.Noise(sigma, 2.4);
          if (geometry_ == GeometryKind::kPolygon) v = std::clamp(v, 0.0, i % 2 == 0 ? kImgW : kImgH);
          lpts_.push_back(v);
        }
        break;
      }
      case GeometryKind::kMask: {
        l.off = static_cast<int>(lcols_.size());
        l.len = o.len;
        const auto truth = std::span<const int>(fr.cols).subspan(static_cast<size_t>(o.off),
                                                                 static_cast<size_t>(o.len));
        for (int x = 0; x < o.len; ++x) {
          int t = truth[static_cast<size_t>(x)];
          if (t < kMaskH && rng.Chance(0.2)) t = std::clamp(t + (rng.Chance(0.5) ? 1 : -1), 0, kMaskH);
          lcols_.push_back(t);
        }
        const auto label = std::span<const int>(lcols_).subspan(static_cast<size_t>(l.off));
        if (ColumnMaskIou(label, truth, kMaskH) < 0.93) {
          std::copy(truth.begin(), truth.end(), lcols_.begin() + l.off);
        }
        break;
      }
      case GeometryKind::kTags: break;
    }
  }

  // Turns an honest label into one with the given error; false when it cannot be done here
  // (the label then stays honest and no error is recorded).
  bool Inject(Rng& rng, const Frame& fr, const TObj& o, ErrorType type, int fault, Label& l,
              int& detail) {
    const ClassDef& c = d_.classes[static_cast<size_t>(o.cls)];
    const CompiledFault* f = fault >= 0 ? &w_.faults[static_cast<size_t>(fault)] : nullptr;
    switch (type) {
      case ErrorType::kWrongClass: {
        const int to = f != nullptr && f->to_class >= 0 ? f->to_class
                                                       : p_.confuse[static_cast<size_t>(o.cls)];
        if (to < 0 || to == o.cls) return false;
        const ClassDef& tc = d_.classes[static_cast<size_t>(to)];
        int attr[kMaxAttrs] = {};
        for (size_t a = 0; a < tc.attrs.size() && a < kMaxAttrs; ++a) {
          const int same = c.AttrIndex(tc.attrs[a].name);
          attr[a] = same >= 0 ? l.attr[same] : 0;
        }
        std::copy(attr, attr + kMaxAttrs, l.attr);
        l.cls = to;
        return true;
      }
      case ErrorType::kAttribute: {
        int a = -1, value = -1;
        if (f != nullptr) {
          std::tie(a, value) = f->target_by_class[static_cast<size_t>(o.cls)];
          if (a < 0 || value < 0 || value == o.attr[a]) return false;
        } else {
          std::vector<int>& choices = attr_choices_;
          choices.clear();
          for (size_t k = 0; k < c.attrs.size() && k < kMaxAttrs; ++k) {
            if (c.attrs[k].values.size() >= 2) choices.push_back(static_cast<int>(k));
          }
          if (choices.empty()) return false;
          a = choices[static_cast<size_t>(rng.Below(static_cast<int>(choices.size())))];
          const int nv = static_cast<int>(c.attrs[static_cast<size_t>(a)].values.size());
          value = (o.attr[a] + 1 + rng.Below(nv - 1)) % nv;
        }
        l.attr[a] = value;
        detail = a;
        return true;
      }
      case ErrorType::kPosition:
        if (geometry_ == GeometryKind::kBox3d) {
          // Beyond position_m (0.3) but paired: under 1 m for centre-distance classes, and along
          // the heading for the bev_iou classes (long boxes keep IoU above 0.5).
          if (c.center_match) {
            const double m = rng.Uniform(0.45, 0.8), a = rng.Uniform(-kPi, kPi);
            l.b[0] = o.b[0] + m * std::cos(a);
            l.b[1] = o.b[1] + m * std::sin(a);
          } else {
            const double m = rng.Uniform(0.45, 0.9) * (rng.Chance(0.5) ? 1 : -1);
            l.b[0] = o.b[0] + m * std::cos(o.b[6]);
            l.b[1] = o.b[1] + m * std::sin(o.b[6]);
            if (BevIou(l.b, o.b) < 0.4) {
              std::copy(o.b, o.b + 2, l.b);
              return false;
            }
          }
          return true;
        } else {
          // IoU in [0.57, 0.68]: under min_iou 0.75, above the match's 0.5; same size.
          const double t = rng.Uniform(0.57, 0.68), keep = 2 * t / (1 + t);
          std::copy(o.b, o.b + 4, l.b);
          const double sign = rng.Chance(0.5) ? 1 : -1;
          if (o.b[2] >= o.b[3]) {
            l.b[0] += sign * o.b[2] * (1 - keep);
          } else {
            l.b[1] += sign * o.b[3] * (1 - keep);
          }
          return true;
        }
      case ErrorType::kSize:
        if (geometry_ == GeometryKind::kBox3d) {
          if (f != nullptr) {
            l.b[3] = o.b[3] * rng.Uniform(0.7, 0.8);  // the truck cut to its tractor
          } else {
            const double factor = rng.Chance(0.5) ? rng.Uniform(0.72, 0.84) : rng.Uniform(1.18, 1.3);
            const int dim = 3 + rng.Pick(std::array<double, 3>{0.6, 0.2, 0.2});
            l.b[dim] = o.b[dim] * factor;
            if (dim == 5) l.b[2] = o.b[2] * factor;  // still resting on the ground
          }
          return true;
        } else {
          const double t = rng.Uniform(0.57, 0.68);
          const double s = rng.Chance(0.5) ? std::sqrt(t) : 1 / std::sqrt(t);
          l.b[2] = o.b[2] * s;
          l.b[3] = o.b[3] * s;
          l.b[0] = o.b[0] + (o.b[2] - l.b[2]) / 2;
          l.b[1] = o.b[1] + (o.b[3] - l.b[3]) / 2;
          return true;
        }
      case ErrorType::kHeading: {
        // 15-30 degrees off; less for long boxes (a 16 m truck turned 30 degrees no longer pairs
        // under bev_iou 0.3), never under 13.
        const double sign = rng.Chance(0.5) ? 1 : -1;
        for (double deg = rng.Uniform(15, 30); deg >= 13; deg -= 1.5) {
          l.b[6] = WrapAngle(o.b[6] + sign * deg * kDeg);
          if (c.center_match || BevIou(l.b, o.b) >= 0.4) return true;
        }
        l.b[6] = o.b[6];
        return false;
      }
      case ErrorType::kHeadingFlip:
        l.b[6] = WrapAngle(o.b[6] + kPi + rng.Noise(0.6 * kDeg));
        return true;
      case ErrorType::kGeometry: return InjectGeometry(rng, fr, o, l);
      default: return false;
    }
  }

  bool InjectGeometry(Rng& rng, const Frame& fr, const TObj& o, Label& l) {
    switch (geometry_) {
      case GeometryKind::kPolyline: {
        // A lateral offset of 0.5-0.9 m: beyond polyline_m (0.3), within the match's 1.5 m and
        // well short of the next line 3.5 m away.
        const double m = rng.Uniform(0.5, 0.9) * (rng.Chance(0.5) ? 1 : -1);
        const bool stop = d_.classes[static_cast<size_t>(o.cls)].name == "stop_line";
        for (int i = 0; i < l.len; ++i) lpts_[static_cast<size_t>(l.off + 2 * i + (stop ? 0 : 1))] += m;
        return true;
      }
      case GeometryKind::kPolygon: {
        // Each ring shrunk about its centroid: IoU = s^2 in [0.58, 0.67].
        const double s = rng.Uniform(0.76, 0.82);
        auto shrink = [&](int first, int count) {
          double cx = 0, cy = 0;
          for (int i = 0; i < count; ++i) {
            cx += fr.pts[static_cast<size_t>(o.off + 2 * (first + i))];
            cy += fr.pts[static_cast<size_t>(o.off + 2 * (first + i) + 1)];
          }
          cx /= count;
          cy /= count;
          for (int i = 0; i < count; ++i) {
            const auto src = static_cast<size_t>(o.off + 2 * (first + i));
            const auto dst = static_cast<size_t>(l.off + 2 * (first + i));
            lpts_[dst] = cx + s * (fr.pts[src] - cx);
            lpts_[dst + 1] = cy + s * (fr.pts[src + 1] - cy);
          }
        };
        if (o.split > 0) {
          shrink(0, o.split);
          shrink(o.split, o.len - o.split);
        } else {
          shrink(0, o.len);
        }
        return true;
      }
      case GeometryKind::kMask: {
        // Cut the far part of the road: the smallest cut that brings IoU under 0.75, kept only
        // when IoU stays above 0.55 (so the label still pairs under the match's 0.5).
        const auto truth = std::span<const int>(fr.cols).subspan(static_cast<size_t>(o.off),
                                                                 static_cast<size_t>(o.len));
        const int top = *std::min_element(truth.begin(), truth.end());
        const double target = rng.Uniform(0.6, 0.75);
        for (int cut = 1; top + cut < kMaskH; ++cut) {
          for (int x = 0; x < o.len; ++x) {
            lcols_[static_cast<size_t>(l.off + x)] = std::max(truth[static_cast<size_t>(x)], top + cut);
          }
          const double iou = ColumnMaskIou(
              std::span<const int>(lcols_).subspan(static_cast<size_t>(l.off), static_cast<size_t>(o.len)),
              truth, kMaskH);
          if (iou <= target) {
            if (iou >= 0.55) return true;
            break;
          }
        }
        std::copy(truth.begin(), truth.end(), lcols_.begin() + l.off);
        return false;
      }
      default: return false;
    }
  }

  // An extra label away from every reference object (so it pairs with none, and lies outside
  // the gold ignore region).
  bool Ghost(Rng& rng, const Frame& fr, Label& l) {
    l.truth = -1;
    l.cls = rng.Pick(p_.class_freq);
    const ClassDef& c = d_.classes[static_cast<size_t>(l.cls)];
    for (size_t a = 0; a < c.attrs.size() && a < kMaxAttrs; ++a) l.attr[a] = rng.Pick(c.attrs[a].weights);
    for (int attempt = 0; attempt < 20; ++attempt) {
      switch (geometry_) {
        case GeometryKind::kBox3d: {
          const double r = rng.Uniform(8, 60), a = rng.Uniform(-kPi, kPi);
          l.b[0] = r * std::cos(a);
          l.b[1] = r * std::sin(a);
          l.b[3] = c.l * rng.Uniform(0.9, 1.1);
          l.b[4] = c.w * rng.Uniform(0.9, 1.1);
          l.b[5] = c.h * rng.Uniform(0.9, 1.1);
          l.b[2] = l.b[5] / 2;
          l.b[6] = rng.Uniform(-kPi, kPi);
          const double rad = 0.5 * std::hypot(l.b[3], l.b[4]);
          bool free = true;
          for (const TObj& o : fr.objs) {
            const double need = rad + 0.5 * std::hypot(o.b[3], o.b[4]) + 2.5;
            free = free && std::hypot(o.b[0] - l.b[0], o.b[1] - l.b[1]) > need;
          }
          if (fr.crowd) free = free && std::hypot(fr.crowd_box[0] - l.b[0], fr.crowd_box[1] - l.b[1]) > rad + 6;
          if (!free) continue;
          l.num_points = std::max(1, static_cast<int>(rng.Uniform(1, 12)));
          return true;
        }
        case GeometryKind::kBox2d: {
          l.b[2] = rng.Uniform(20, 140);
          l.b[3] = rng.Uniform(20, 140);
          l.b[0] = rng.Uniform(0, kImgW - l.b[2]);
          l.b[1] = rng.Uniform(kHorizonY - 200, kImgH - l.b[3]);
          bool free = !(fr.crowd && Box2dNear(l.b, fr.crowd_box, 4));
          for (const TObj& o : fr.objs) free = free && !Box2dNear(l.b, o.b, 3);
          if (!free) continue;
          return true;
        }
        case GeometryKind::kPolyline: {
          double ymax = 0;
          for (size_t i = 1; i < fr.pts.size(); i += 2) ymax = std::max(ymax, std::abs(fr.pts[i]));
          const double side = rng.Chance(0.5) ? 1 : -1;
          const double y = side * (ymax + rng.Uniform(5, 9)), x = rng.Uniform(5, 30);
          l.off = static_cast<int>(lpts_.size());
          lpts_.insert(lpts_.end(), {x, y, x + 6, y + 0.1, x + 12, y + 0.3});
          l.len = 3;
          return true;
        }
        case GeometryKind::kPolygon: {
          const double h = 15, y0 = rng.Uniform(kHorizonY + 10, kImgH - h - 5);
          bool free = true;
          for (const TObj& o : fr.objs) {
            double lo = 1e9, hi = -1e9;
            for (int i = 0; i < o.len; ++i) {
              const double y = fr.pts[static_cast<size_t>(o.off + 2 * i + 1)];
              lo = std::min(lo, y);
              hi = std::max(hi, y);
            }
            free = free && (y0 + h + 3 < lo || y0 - 3 > hi);
          }
          if (!free) continue;
          const double x0 = rng.Uniform(50, kImgW - 200);
          l.off = static_cast<int>(lpts_.size());
          lpts_.insert(lpts_.end(), {x0, y0 + h, x0 + 130, y0 + h, x0 + 120, y0, x0 + 10, y0});
          l.len = 4;
          l.split = 0;
          return true;
        }
        default: return false;
      }
    }
    return false;
  }

  // Plans the errors of one annotator over the task's frames (missing, localisation, class,
  // attribute per object and frame; id switches per track), so that track effects
  // (fragmentation, switches) can be derived before anything is written.
  void Plan(Rng& rng) {
    const int nf = frames_per_task_;
    plan_offsets_.assign(static_cast<size_t>(nf) + 1, 0);
    size_t total = 0;
    for (int f = 0; f < nf; ++f) {
      plan_offsets_[static_cast<size_t>(f)] = total;
      total += frames_[static_cast<size_t>(f)].objs.size();
    }
    plan_offsets_[static_cast<size_t>(nf)] = total;
    plan_.assign(total, Decision{});
    for (int f = 0; f < nf; ++f) {
      const Frame& fr = frames_[static_cast<size_t>(f)];
      for (size_t o = 0; o < fr.objs.size(); ++o) {
        plan_[plan_offsets_[static_cast<size_t>(f)] + o] = Decide(rng, fr.objs[o]);
      }
    }
    switch_frame_.assign(tracking_ && nf > 0 ? frames_[0].objs.size() : 0, -1);
    switch_fault_.assign(switch_frame_.size(), -1);
    for (size_t o = 0; o < switch_frame_.size(); ++o) {
      int fault = -1;
      bool hit = false;
      for (const CompiledFault* f : active_) {
        if (f->type != ErrorType::kIdSwitch || !FaultMatches(*f, frames_[0].objs[o])) continue;
        if (rng.Chance(f->rate)) {
          fault = static_cast<int>(f - w_.faults.data());
          hit = true;
          break;
        }
      }
      if (!hit) hit = rng.Chance(0.003);
      if (!hit) continue;
      // A switch needs the track labelled in the frame before and at the switch.
      const int k = 1 + rng.Below(nf - 1);
      if (Missing(k - 1, o) || Missing(k, o)) continue;
      switch_frame_[o] = k;
      switch_fault_[o] = fault;
    }
  }

  bool Missing(int f, size_t o) const {
    return plan_[plan_offsets_[static_cast<size_t>(f)] + o].type ==
           static_cast<int>(ErrorType::kMissing);
  }

  void ErrorLine(const Frame& fr, const InjectedError& e, const std::string* label_id,
                 bool overlap) {
    JsonLine& j = err_line_;
    j.Clear();
    j.Char('{');
    j.KeyStr("pipeline", d_.id);
    j.KeyStr("task", task_);
    j.KeyStr("frame", fr.id);
    j.KeyStr("type", Name(e.type));
    j.Key("fault");
    if (e.fault >= 0) {
      j.Str(w_.faults[static_cast<size_t>(e.fault)].id);
    } else {
      j.Null();
    }
    j.KeyStr("vendor", w_.vendors[static_cast<size_t>(vendor_)].id);
    j.KeyStr("annotator", *annotator_);
    if (e.truth >= 0 && geometry_ != GeometryKind::kTags) {
      j.Key("object").Raw("\"o").Int(e.truth).Char('"');
      j.Key("gold_object");
      if (gold_) {
        j.Raw("\"g").Int(e.truth).Char('"');
      } else {
        j.Null();
      }
    } else {
      j.Key("object").Null();
      j.Key("gold_object").Null();
    }
    if (label_id != nullptr) j.KeyStr("label", *label_id);
    if (e.cls >= 0) j.KeyStr("class", d_.classes[static_cast<size_t>(e.cls)].name);
    if (e.type == ErrorType::kAttribute) {
      j.KeyStr("attribute", d_.classes[static_cast<size_t>(e.cls)].attrs[static_cast<size_t>(e.detail)].name);
    }
    if (e.type == ErrorType::kTag) j.KeyStr("tag", w_.tag_keys[static_cast<size_t>(e.detail)].key);
    if (overlap) j.Key("overlap").Bool(true);
    j.Char('}');
    errors_.append(j.view());
    errors_.push_back('\n');
    ++totals_.errors_injected;
  }

  void LabelId(uint32_t salt, int pos, std::string& out) const {
    uint32_t v = static_cast<uint32_t>(pos + 1) * 0x9E3779B1u + salt;
    char tmp[8];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
      v /= 36;
    } while (v != 0);
    out.assign(1, 'v');
    while (n > 0) out.push_back(tmp[--n]);
  }

  void AppendHeader(JsonLine& j, const Frame& fr, const char* source) {
    j.Clear();
    j.Char('{');
    j.KeyStr("pipeline", d_.id);
    if (std::string_view(source) == "vendor") j.KeyStr("batch", batch_);
    j.KeyStr("task", task_);
    j.KeyStr("frame", fr.id);
    j.Key("timestamp").Fixed(fr.timestamp, 2);
    if (fr.sensor != nullptr) j.KeyStr("sensor", fr.sensor);
    j.KeyStr("source", source);
    j.Key("scene").Raw(scene_.json);
    if (geometry_ == GeometryKind::kBox3d || geometry_ == GeometryKind::kPolyline) {
      j.Key("ego_pose").Char('[');
      j.Fixed(fr.ego[0], 3).Char(',').Fixed(fr.ego[1], 3).Char(',').Fixed(fr.ego[2], 3).Char(',');
      j.Fixed(fr.ego[3], 4).Char(']');
    }
  }

  void AppendAttrs(JsonLine& j, int cls, const int* attr) {
    const ClassDef& c = d_.classes[static_cast<size_t>(cls)];
    if (c.attrs.empty()) return;
    j.Key("attributes").Char('{');
    for (size_t a = 0; a < c.attrs.size() && a < kMaxAttrs; ++a) {
      const AttrDef& def = c.attrs[a];
      j.Key(def.name);
      const std::string& v = def.values[static_cast<size_t>(attr[a])];
      if (def.boolean) {
        j.Raw(v);
      } else {
        j.Str(v);
      }
    }
    j.Char('}');
  }

  void AppendGeometry(JsonLine& j, const Label& l, std::span<const double> pts,
                      std::span<const int> cols, bool rle_string) {
    switch (geometry_) {
      case GeometryKind::kBox3d:
        j.Key("box3d").Char('[');
        for (int i = 0; i < 6; ++i) j.Fixed(l.b[i], 3).Char(',');
        j.Fixed(l.b[6], 4).Char(']');
        break;
      case GeometryKind::kBox2d:
        j.Key("box2d").Char('[');
        j.Fixed(l.b[0], 1).Char(',').Fixed(l.b[1], 1).Char(',');
        j.Fixed(std::max(l.b[2], 0.1), 1).Char(',').Fixed(std::max(l.b[3], 0.1), 1).Char(']');
        break;
      case GeometryKind::kPolyline:
        j.Key("polyline").Char('[');
        for (int i = 0; i < l.len; ++i) {
          j.Char('[').Fixed(pts[static_cast<size_t>(l.off + 2 * i)], 3).Char(',');
          j.Fixed(pts[static_cast<size_t>(l.off + 2 * i + 1)], 3).Raw("],");
        }
        j.TrimComma();
        j.Char(']');
        break;
      case GeometryKind::kPolygon: {
        j.Key("polygon").Char('[');
        auto ring = [&](int first, int count) {
          j.Char('[');
          for (int i = first; i < first + count; ++i) {
            j.Char('[').Fixed(pts[static_cast<size_t>(l.off + 2 * i)], 1).Char(',');
            j.Fixed(pts[static_cast<size_t>(l.off + 2 * i + 1)], 1).Raw("],");
          }
          j.TrimComma();
          j.Char(']');
        };
        if (l.split > 0) {
          ring(0, l.split);
          j.Char(',');
          ring(l.split, l.len - l.split);
        } else {
          // One ring: the points themselves, without the extra level of nesting.
          for (int i = 0; i < l.len; ++i) {
            j.Char('[').Fixed(pts[static_cast<size_t>(l.off + 2 * i)], 1).Char(',');
            j.Fixed(pts[static_cast<size_t>(l.off + 2 * i + 1)], 1).Raw("],");
          }
          j.TrimComma();
        }
        j.Char(']');
        break;
      }
      case GeometryKind::kMask: {
        ColumnMaskCounts(cols.subspan(static_cast<size_t>(l.off), static_cast<size_t>(l.len)),
                         kMaskH, counts_);
        j.Key("mask").Raw("{\"size\":[").Int(kMaskH).Char(',').Int(kMaskW).Raw("],\"counts\":");
        if (rle_string) {
          j.Str(CocoRleString(counts_));
        } else {
          j.Char('[');
          for (int64_t c : counts_) j.Int(c).Char(',');
          j.TrimComma();
          j.Char(']');
        }
        j.Char('}');
        break;
      }
      case GeometryKind::kTags: break;
    }
  }

  void AppendTrack(JsonLine& j, uint64_t key) {
    char buf[13];
    buf[0] = 't';
    for (int i = 12; i >= 1; --i) {
      buf[i] = "0123456789abcdef"[key & 15];
      key >>= 4;
    }
    j.Key("track").Char('"').Raw(std::string_view(buf, sizeof buf)).Char('"');
  }

  // Labels of one annotator for the whole task: writes the records and the errors.jsonl lines;
  // for the primary annotator also keeps each frame's errors for the audits.
  void Annotate(int annot_index, bool primary) {
    const std::string& annotator =
        w_.annotators[static_cast<size_t>(vendor_)][static_cast<size_t>(annot_index)];
    annotator_ = &annotator;
    annot_key_ = Mix(Mix(p_.key, static_cast<uint64_t>(scene_.index) * 8 + 3), HashName(annotator));
    Rng rng(annot_key_);
    SelectActiveFaults(annotator);
    const int nf = frames_per_task_;
    if (primary) audit_errors_.assign(static_cast<size_t>(nf), {});
    if (primary) audit_objects_.assign(static_cast<size_t>(nf), 0);
    if (geometry_ == GeometryKind::kTags) {
      AnnotateTags(rng, primary);
      return;
    }
    Plan(rng);
    const VendorDef& v = w_.vendors[static_cast<size_t>(vendor_)];
    const std::string tool = fmt::format("{} {}", v.tool, tool_new_ ? "5.1" : "5.0");
    // Fragmentation: a track missing in some frame and labelled again later.
    std::vector<int>& last_present = scratch_ints_;
    last_present.assign(tracking_ ? frames_[0].objs.size() : 0, -1);
    std::vector<int>& gap_fault = scratch_ints2_;
    gap_fault.assign(last_present.size(), -2);  // -2: no gap open
    for (int f = 0; f < nf; ++f) {
      const Frame& fr = frames_[static_cast<size_t>(f)];
      labels_.clear();
      lpts_.clear();
      lcols_.clear();
      errs_.clear();
      const size_t base = plan_offsets_[static_cast<size_t>(f)];
      for (size_t o = 0; o < fr.objs.size(); ++o) {
        const TObj& t = fr.objs[o];
        const Decision dcs = plan_[base + o];
        if (dcs.type == static_cast<int>(ErrorType::kMissing)) {
          errs_.push_back({ErrorType::kMissing, dcs.fault, static_cast<int>(o), -1, t.cls, -1});
          if (tracking_ && last_present[o] >= 0 && gap_fault[o] == -2) gap_fault[o] = dcs.fault;
          continue;
        }
        Label l;
        l.truth = static_cast<int>(o);
        Honest(rng, fr, t, l);
        int detail = -1;
        if (dcs.type != kNoError) {
          const auto type = static_cast<ErrorType>(dcs.type);
          if (Inject(rng, fr, t, type, dcs.fault, l, detail)) {
            errs_.push_back({type, dcs.fault, static_cast<int>(o), static_cast<int>(labels_.size()),
                             t.cls, detail});
          }
        }
        if (tracking_) {
          const int k = switch_frame_[o];
          const bool switched = k >= 0 && f >= k;
          l.track = TrackKey(static_cast<int>(o), switched ? 1 : 0);
          if (k == f) {
            errs_.push_back({ErrorType::kIdSwitch, switch_fault_[o], static_cast<int>(o),
                             static_cast<int>(labels_.size()), t.cls, -1});
          }
          if (gap_fault[o] != -2) {
            errs_.push_back({ErrorType::kFragmentation, gap_fault[o], static_cast<int>(o),
                             static_cast<int>(labels_.size()), t.cls, -1});
            gap_fault[o] = -2;
          }
          last_present[o] = f;
        }
        labels_.push_back(l);
      }
      // Extras: the frame-level faults first, then the background rate.
      int extras = 0, extra_fault = -1;
      for (const CompiledFault* fl : active_) {
        if (fl->type != ErrorType::kExtra) continue;
        if (rng.Chance(fl->rate)) {
          extras = 1 + static_cast<int>(rng.Chance(fl->rate * 0.5));
          extra_fault = static_cast<int>(fl - w_.faults.data());
          break;
        }
      }
      if (extras == 0 && geometry_ != GeometryKind::kMask && rng.Chance(0.01)) extras = 1;
      for (int e = 0; e < extras * scale_; ++e) {
        Label l;
        if (!Ghost(rng, fr, l)) continue;
        l.track = TrackKey(100000 + 1000 * f + e, 7);
        errs_.push_back({ErrorType::kExtra, extra_fault, -1, static_cast<int>(labels_.size()), l.cls, -1});
        labels_.push_back(l);
      }
      // Members of a crowd: labelled by some annotators, inside the gold ignore region.
      if (fr.crowd) {
        const int ped = d_.ClassIndex("pedestrian");
        const int members = rng.Chance(0.5) ? rng.Between(1, 2) : 0;
        for (int m = 0; m < members; ++m) {
          Label l;
          l.cls = ped;
          if (geometry_ == GeometryKind::kBox3d) {
            l.b[0] = fr.crowd_box[0] + rng.Uniform(-1.8, 1.8);
            l.b[1] = fr.crowd_box[1] + (m == 0 ? -1.2 : 1.2);
            l.b[3] = 0.7;
            l.b[4] = 0.65;
            l.b[5] = 1.7;
            l.b[2] = 0.85;
            l.b[6] = rng.Uniform(-kPi, kPi);
            l.num_points = rng.Between(3, 30);
          } else {
            const double* c = fr.crowd_box;
            l.b[2] = c[2] * 0.3;
            l.b[3] = c[3] * 0.8;
            l.b[0] = c[0] + (m == 0 ? 0.1 : 0.6) * c[2];
            l.b[1] = c[1] + 0.1 * c[3];
          }
          const ClassDef& pc = d_.classes[static_cast<size_t>(ped)];
          DrawAttrs(rng, pc, 30, 0, l.attr);
          l.track = TrackKey(200000 + m, 9);
          labels_.push_back(l);
        }
      }
      // Vendor label order and ids say nothing about the reference.
      const size_t m = labels_.size();
      perm_.resize(m);
      for (size_t i = 0; i < m; ++i) perm_[i] = static_cast<int>(i);
      for (size_t i = m; i > 1; --i) std::swap(perm_[i - 1], perm_[static_cast<size_t>(rng.Below(static_cast<int>(i)))]);
      pos_of_.resize(m);
      for (size_t p = 0; p < m; ++p) pos_of_[static_cast<size_t>(perm_[p])] = static_cast<int>(p);
      const auto salt = static_cast<uint32_t>(rng.Next());
      JsonLine& j = line_;
      AppendHeader(j, fr, "vendor");
      j.KeyStr("vendor", v.id);
      j.KeyStr("annotator", annotator);
      j.KeyStr("spec_version", spec_ == 0 ? "3.1" : "3.2");
      j.KeyStr("tool_version", tool);
      j.KeyStr("labeled_at", labeled_at_);
      j.Key("objects").Char('[');
      for (size_t p = 0; p < m; ++p) {
        const Label& l = labels_[static_cast<size_t>(perm_[p])];
        LabelId(salt, static_cast<int>(p), id_);
        j.Raw("{\"id\":").Str(id_);
        if (tracking_) AppendTrack(j, l.track);
        j.KeyStr("class", d_.classes[static_cast<size_t>(l.cls)].name);
        AppendGeometry(j, l, lpts_, lcols_, v.internal);
        AppendAttrs(j, l.cls, l.attr);
        if (geometry_ == GeometryKind::kBox3d) j.Key("num_points").Int(l.num_points);
        j.Raw("},");
      }
      j.TrimComma();
      j.Raw("]}");
      labels_file_.Append(j.view());
      ++totals_.label_records;
      totals_.objects += static_cast<int64_t>(m);
      if (primary) {
        totals_.truth_objects[static_cast<size_t>(vendor_)] += static_cast<int64_t>(fr.objs.size());
        audit_objects_[static_cast<size_t>(f)] = static_cast<int>(m);
      }
      for (const InjectedError& e : errs_) {
        const std::string* label = nullptr;
        if (e.label >= 0) {
          LabelId(salt, pos_of_[static_cast<size_t>(e.label)], id_);
          label = &id_;
        }
        ErrorLine(fr, e, label, !primary);
        if (primary) {
          audit_errors_[static_cast<size_t>(f)].push_back(
              {e.type, e.cls, e.detail, label != nullptr ? *label : std::string()});
        }
      }
    }
  }

  void AnnotateTags(Rng& rng, bool primary) {
    const VendorDef& v = w_.vendors[static_cast<size_t>(vendor_)];
    const std::string tool = fmt::format("{} {}", v.tool, tool_new_ ? "5.1" : "5.0");
    const int nt = static_cast<int>(w_.tag_keys.size());
    for (int f = 0; f < frames_per_task_; ++f) {
      const Frame& fr = frames_[static_cast<size_t>(f)];
      errs_.clear();
      int tags[8] = {};
      for (int k = 0; k < nt; ++k) {
        const int truth = TagValue(k);
        tags[k] = truth;
        int fault = -1;
        int to = -1;
        for (const CompiledFault* fl : active_) {
          if (fl->type != ErrorType::kTag || fl->tag != k || fl->tag_value == truth) continue;
          if (rng.Chance(fl->rate)) {
            fault = static_cast<int>(fl - w_.faults.data());
            to = fl->tag_value;
            break;
          }
        }
        if (fault < 0 && rng.Chance(0.004)) {
          const int nv = static_cast<int>(w_.tag_keys[static_cast<size_t>(k)].values.size());
          to = (truth + 1 + rng.Below(nv - 1)) % nv;
        }
        if (to >= 0) {
          tags[k] = to;
          errs_.push_back({ErrorType::kTag, fault, -1, -1, -1, k});
        }
      }
      JsonLine& j = line_;
      AppendHeader(j, fr, "vendor");
      j.KeyStr("vendor", v.id);
      j.KeyStr("annotator", *annotator_);
      j.KeyStr("spec_version", spec_ == 0 ? "3.1" : "3.2");
      j.KeyStr("tool_version", tool);
      j.KeyStr("labeled_at", labeled_at_);
      AppendTags(j, tags);
      j.Raw(",\"objects\":[]}");
      labels_file_.Append(j.view());
      ++totals_.label_records;
      if (primary) {
        totals_.truth_objects[static_cast<size_t>(vendor_)] += nt;
        audit_objects_[static_cast<size_t>(f)] = nt;
      }
      for (const InjectedError& e : errs_) {
        ErrorLine(fr, e, nullptr, !primary);
        if (primary) audit_errors_[static_cast<size_t>(f)].push_back({e.type, -1, e.detail, {}});
      }
    }
  }

  void AppendTags(JsonLine& j, const int* tags) {
    j.Key("tags").Char('{');
    for (size_t k = 0; k < w_.tag_keys.size(); ++k) {
      j.KeyStr(w_.tag_keys[k].key, w_.tag_keys[k].values[static_cast<size_t>(tags[k])]);
    }
    j.Char('}');
  }

  // ---- gold, model, audits -----------------------------------------------------------------

  void WriteGold() {
    for (const Frame& fr : frames_) {
      JsonLine& j = line_;
      AppendHeader(j, fr, "gold");
      if (geometry_ == GeometryKind::kTags) {
        int tags[8] = {};
        for (size_t k = 0; k < w_.tag_keys.size(); ++k) tags[k] = TagValue(static_cast<int>(k));
        AppendTags(j, tags);
        j.Raw(",\"objects\":[]}");
        gold_file_.Append(j.view());
        ++totals_.label_records;
        continue;
      }
      if (fr.crowd) {
        j.Key("ignore").Raw("[[");
        const int n = geometry_ == GeometryKind::kBox3d ? 7 : 4;
        for (int i = 0; i < n; ++i) j.Fixed(fr.crowd_box[i], geometry_ == GeometryKind::kBox3d ? 3 : 1).Char(',');
        j.TrimComma();
        j.Raw("]]");
      }
      j.Key("objects").Char('[');
      for (size_t o = 0; o < fr.objs.size(); ++o) {
        const TObj& t = fr.objs[o];
        Label l;
        l.cls = t.cls;
        std::copy(t.b, t.b + 7, l.b);
        l.off = t.off;
        l.len = t.len;
        l.split = t.split;
        j.Raw("{\"id\":\"g").Int(static_cast<int64_t>(o)).Char('"');
        if (tracking_) j.Key("track").Char('"').Raw(scene_.log).Raw("-t").Int(static_cast<int64_t>(o)).Char('"');
        j.KeyStr("class", d_.classes[static_cast<size_t>(t.cls)].name);
        AppendGeometry(j, l, fr.pts, fr.cols, true);
        AppendAttrs(j, t.cls, t.attr);
        if (geometry_ == GeometryKind::kBox3d) j.Key("num_points").Int(t.num_points);
        j.Raw("},");
      }
      j.TrimComma();
      j.Raw("]}");
      gold_file_.Append(j.view());
      ++totals_.label_records;
      totals_.objects += static_cast<int64_t>(fr.objs.size());
    }
  }

  // Model predictions: noisier than people, misses far and occluded objects, adds a few
  // low-score false positives, and scores its detections.
  void WriteModel(Rng& rng) {
    for (const Frame& fr : frames_) {
      JsonLine& j = line_;
      AppendHeader(j, fr, "model");
      j.KeyStr("model", d_.model);
      j.Key("objects").Char('[');
      int n = 0;
      auto emit = [&](const Label& l, int track) {
        j.Raw("{\"id\":\"m").Int(n).Char('"');
        if (tracking_ && track >= 0) j.Key("track").Raw("\"mt").Int(track).Char('"');
        j.KeyStr("class", d_.classes[static_cast<size_t>(l.cls)].name);
        AppendGeometry(j, l, {}, {}, false);
        j.Key("score").Fixed(l.score, 3);
        j.Raw("},");
        ++n;
      };
      for (size_t o = 0; o < fr.objs.size(); ++o) {
        const TObj& t = fr.objs[o];
        const ClassDef& c = d_.classes[static_cast<size_t>(t.cls)];
        const int oi = c.AttrIndex("occlusion");
        const int occl = oi >= 0 ? t.attr[oi] : 0;
        const double weather = scene_.cond[0] == 3 ? 0.1 : (scene_.cond[0] >= 2 ? 0.05 : 0);
        const double p_detect = 0.98 - 0.004 * t.range - (occl == 2 ? 0.3 : occl == 1 ? 0.05 : 0) - weather;
        if (!rng.Chance(p_detect)) continue;
        Label l;
        l.cls = rng.Chance(0.03) && p_.confuse[static_cast<size_t>(t.cls)] >= 0
                    ? p_.confuse[static_cast<size_t>(t.cls)]
                    : t.cls;
        if (geometry_ == GeometryKind::kBox3d) {
          l.b[0] = t.b[0] + rng.Noise(0.12);
          l.b[1] = t.b[1] + rng.Noise(0.12);
          l.b[2] = t.b[2] + rng.Noise(0.06);
          for (int k = 3; k < 6; ++k) l.b[k] = t.b[k] * (1 + rng.Noise(0.05));
          l.b[6] = WrapAngle(t.b[6] + rng.Noise(3 * kDeg) + (rng.Chance(0.02) ? kPi : 0));
        } else {
          const double s = 0.03 * std::min(t.b[2], t.b[3]) + 0.5;
          const double x0 = t.b[0] + rng.Noise(s), y0 = t.b[1] + rng.Noise(s);
          l.b[0] = x0;
          l.b[1] = y0;
          l.b[2] = std::max(2.0, t.b[0] + t.b[2] + rng.Noise(s) - x0);
          l.b[3] = std::max(2.0, t.b[1] + t.b[3] + rng.Noise(s) - y0);
        }
        l.score = std::clamp(0.93 - 0.005 * t.range - 0.15 * occl + rng.Noise(0.06), 0.05, 0.995);
        emit(l, static_cast<int>(o));
      }
      const int fps = (static_cast<int>(rng.Chance(0.5)) + static_cast<int>(rng.Chance(0.2))) * scale_;
      for (int k = 0; k < fps; ++k) {
        Label l;
        if (!Ghost(rng, fr, l)) continue;
        l.score = rng.Uniform(0.05, 0.55);
        emit(l, -1);
      }
      j.TrimComma();
      j.Raw("]}");
      model_file_.Append(j.view());
      ++totals_.label_records;
      totals_.objects += n;
    }
  }

  struct AuditItem {
    ErrorType type;
    int cls;
    int detail;
    std::string label;
  };

  const char* SeverityOf(const AuditItem& e) const {
    const double weight = e.cls >= 0 ? d_.classes[static_cast<size_t>(e.cls)].safety_weight : 1;
    switch (e.type) {
      case ErrorType::kMissing: return weight >= 4 ? "critical" : "major";
      case ErrorType::kWrongClass:
      case ErrorType::kHeadingFlip:
      case ErrorType::kIdSwitch: return weight >= 4 ? "critical" : "major";
      case ErrorType::kAttribute:
      case ErrorType::kTag:
      case ErrorType::kFragmentation: return "minor";
      default: return weight >= 4 ? "major" : "minor";
    }
  }

  // Human QA of the primary annotator's labels: finds most injected errors (not all), now and
  // then reports one that is not there.
  void WriteAudits(Rng& rng, const Timeline& tl) {
    const bool whole_task = rng.Chance(0.2);
    const int nf = frames_per_task_;
    const int64_t at = tl.first_submit + static_cast<int64_t>(rng.Uniform(4, 60) * static_cast<double>(kHourMs));
    if (at > kNowMs) return;
    const int auditor = 1 + rng.Below(8);
    std::vector<AuditItem> found;
    auto write = [&](int f_or_all) {
      JsonLine& j = line_;
      j.Clear();
      j.Char('{');
      j.KeyStr("task", task_);
      if (f_or_all >= 0) j.KeyStr("frame", frames_[static_cast<size_t>(f_or_all)].id);
      j.KeyStr("pipeline", d_.id);
      j.KeyStr("batch", batch_);
      j.KeyStr("vendor", w_.vendors[static_cast<size_t>(vendor_)].id);
      j.KeyStr("annotator", *primary_annotator_);
      char buf[8];
      j.KeyStr("auditor", std::string_view(buf, static_cast<size_t>(fmt::format_to(buf, "qa-{:02}", auditor) - buf)));
      j.KeyStr("at", FormatRfc3339(at + (f_or_all < 0 ? 0 : f_or_all) * 240000));
      int minor = 0;
      bool serious = false;
      for (const AuditItem& e : found) {
        const std::string_view sev = SeverityOf(e);
        if (sev == "minor") {
          ++minor;
        } else {
          serious = true;
        }
      }
      const bool pass = !serious && minor < 3;
      j.KeyStr("verdict", pass ? "pass" : "fail");
      int reviewed = 0;
      for (int f = 0; f < nf; ++f) {
        if (f_or_all < 0 || f == f_or_all) reviewed += audit_objects_[static_cast<size_t>(f)];
      }
      j.Key("objects_reviewed").Int(reviewed);
      j.Key("work_s").Int(30 + 4 * reviewed);
      j.Key("errors").Char('[');
      for (const AuditItem& e : found) {
        j.Char('{');
        j.KeyStr("type", Name(e.type));
        j.KeyStr("severity", SeverityOf(e));
        if (!e.label.empty()) j.KeyStr("object", e.label);
        if (e.cls >= 0) j.KeyStr("class", d_.classes[static_cast<size_t>(e.cls)].name);
        if (e.type == ErrorType::kAttribute && e.cls >= 0) {
          j.KeyStr("attribute", d_.classes[static_cast<size_t>(e.cls)].attrs[static_cast<size_t>(e.detail)].name);
        }
        if (e.type == ErrorType::kTag) j.KeyStr("tag", w_.tag_keys[static_cast<size_t>(e.detail)].key);
        j.Raw("},");
      }
      j.TrimComma();
      j.Raw("]}");
      audits_file_.Append(j.view());
      ++totals_.audits;
      totals_.audit_errors += static_cast<int64_t>(found.size());
    };
    auto review = [&](int f) {
      for (const AuditItem& e : audit_errors_[static_cast<size_t>(f)]) {
        const double p = e.type == ErrorType::kMissing ? 0.75 : 0.88;
        if (rng.Chance(p)) found.push_back(e);
      }
      if (rng.Chance(0.02) && geometry_ != GeometryKind::kTags && audit_objects_[static_cast<size_t>(f)] > 0) {
        // A false report: the auditor flags a label that is in fact fine.
        found.push_back({geometry_ == GeometryKind::kBox3d || geometry_ == GeometryKind::kBox2d
                             ? ErrorType::kPosition
                             : ErrorType::kGeometry,
                         -1, -1, std::string()});
      }
    };
    if (whole_task) {
      for (int f = 0; f < nf; ++f) review(f);
      write(-1);
      return;
    }
    bool any = false;
    for (int f = 0; f < nf; ++f) {
      if (!(rng.Chance(0.7) || (!any && f == nf - 1))) continue;
      any = true;
      found.clear();
      review(f);
      write(f);
    }
  }

  // ---- one task -----------------------------------------------------------------------------

  void Task(int s) {
    MakeScene(s);
    Rng task_rng(Mix(p_.key, static_cast<uint64_t>(s) * 8 + 0));
    Rng truth_rng(Mix(p_.key, static_cast<uint64_t>(s) * 8 + 1));
    Rng event_rng(Mix(p_.key, static_cast<uint64_t>(s) * 8 + 2));
    Rng model_rng(Mix(p_.key, static_cast<uint64_t>(s) * 8 + 4));
    Rng audit_rng(Mix(p_.key, static_cast<uint64_t>(s) * 8 + 5));

    vendor_ = p_.vendors[static_cast<size_t>(task_rng.Pick(p_.shares))];
    const auto& pool = w_.annotators[static_cast<size_t>(vendor_)];
    const int pool_size = static_cast<int>(pool.size());
    // Some annotators work more than others.
    const int primary = std::min(pool_size - 1, static_cast<int>(pool_size * std::pow(task_rng.Uniform(), 1.3)));
    const double scenes = w_.options->scenes;
    created_ = kStartMs + static_cast<int64_t>((s + task_rng.Uniform()) / scenes * static_cast<double>(kDurationMs));
    spec_ = created_ < w_.SpecSwitchMs() ? 0 : 1;
    tool_new_ = created_ >= kStartMs + static_cast<int64_t>(kToolSwitchShare * static_cast<double>(kDurationMs));
    task_ = fmt::format("{}:{}", d_.id, scene_.log);
    batch_ = fmt::format("{}-{}-b{:03}", d_.id, w_.vendors[static_cast<size_t>(vendor_)].id,
                         (created_ - kStartMs) / (kDayMs * 7 / 2));
    ++totals_.tasks;

    MakeTruth(truth_rng);
    int64_t objects = 0;
    for (const Frame& fr : frames_) {
      objects += geometry_ == GeometryKind::kTags ? static_cast<int64_t>(w_.tag_keys.size())
                                                  : static_cast<int64_t>(fr.objs.size());
    }
    primary_annotator_ = &pool[static_cast<size_t>(primary)];
    annotator_ = primary_annotator_;
    const Timeline tl = Events(event_rng, objects);
    if (!tl.labeled) return;
    labeled_at_ = FormatRfc3339(tl.last_submit);

    gold_ = task_rng.Chance(w_.options->gold_fraction);
    const bool audited = task_rng.Chance(w_.options->audit_fraction);
    int overlap = 0;
    if (task_rng.Chance(w_.options->overlap_fraction) && pool_size >= 3) {
      overlap = task_rng.Chance(0.55) ? 1 : 2;
    }
    Annotate(primary, true);
    const int first_offset = 1 + task_rng.Below(pool_size - 1);
    int second_offset = 1 + task_rng.Below(pool_size - 2);
    if (second_offset >= first_offset) ++second_offset;
    for (int k = 1; k <= overlap; ++k) {
      Annotate((primary + (k == 1 ? first_offset : second_offset)) % pool_size, false);
    }
    annotator_ = primary_annotator_;
    if (gold_) {
      ++totals_.gold_tasks;
      WriteGold();
    }
    if (w_.options->model_predictions && !d_.model.empty()) WriteModel(model_rng);
    if (audited) WriteAudits(audit_rng, tl);
  }

  const World& w_;
  const PipelineRt& p_;
  const PipelineDef& d_;
  std::string& errors_;
  ItemTotals& totals_;
  RecordFile labels_file_, gold_file_, model_file_, events_file_, audits_file_;
  GeometryKind geometry_;
  bool tracking_ = false;
  int frames_per_task_ = 1;
  int scale_ = 1;
  double max_radius_ = 1;

  Scene scene_;
  std::vector<Frame> frames_;
  std::vector<Actor> actors_;
  std::vector<Grid> grids_;
  int vendor_ = 0;
  int spec_ = 0;
  bool tool_new_ = false;
  bool gold_ = false;
  int64_t created_ = 0;
  std::string task_, batch_, labeled_at_, id_;
  const std::string* annotator_ = nullptr;
  const std::string* primary_annotator_ = nullptr;
  uint64_t annot_key_ = 0;

  std::vector<const CompiledFault*> active_;
  std::vector<Decision> plan_;
  std::vector<size_t> plan_offsets_;
  std::vector<int> switch_frame_, switch_fault_;
  std::vector<Label> labels_;
  std::vector<double> lpts_;
  std::vector<int> lcols_;
  std::vector<InjectedError> errs_;
  std::vector<int> perm_, pos_of_, scratch_ints_, scratch_ints2_, attr_choices_;
  std::vector<int64_t> counts_;
  std::vector<std::vector<AuditItem>> audit_errors_;
  std::vector<int> audit_objects_;
  JsonLine line_, err_line_, scratch_;
};

}  // namespace

Status WriteChunk(const World& world, int pipe, int chunk, int begin, int end,
                  std::string& errors, ItemTotals& totals) {
  ChunkGen gen(world, pipe, chunk, errors, totals);
  return gen.Run(begin, end);
}

}  // namespace gtops::demo
