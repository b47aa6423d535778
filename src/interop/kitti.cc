#include "interop/kitti.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <numbers>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace gtops::interop {
namespace {

bool IsSpace(char c) {  // ' ', '\t' or '\r'
  return static_cast<unsigned char>(c) <= ' ' && ((uint64_t{1} << c) & ((uint64_t{1} << ' ') | (1u << '\t') | (1u << '\r'))) != 0;
}

// Splits `line` at runs of blanks into at most `max` fields; returns how many there were. With
// `values` and `read`, the fields other than `skip` that are plain decimals (ReadPlainDecimal) are
// read on the way: values[i] and read[i] = true for them; the others are left to ToDouble.
size_t SplitFields(std::string_view line, std::string_view* fields, size_t max, double* values = nullptr,
                   bool* read = nullptr, size_t skip = 0) {
  size_t n = 0;
  const char* p = line.data();
  const char* const end = p + line.size();
  while (true) {
    while (p != end && IsSpace(*p)) ++p;
    if (p == end) break;
    const char* const start = p;
    if (n < max && values != nullptr) {
      double v = 0;
      const char* q = n == skip ? nullptr : ReadPlainDecimal(p, end, v);
      read[n] = q != nullptr && (q == end || IsSpace(*q));
      if (read[n]) {
        values[n] = v;
        p = q;
      }
    }
    while (p != end && !IsSpace(*p)) ++p;
    if (n < max) fields[n] = std::string_view(start, static_cast<size_t>(p - start));
    ++n;
  }
  return n;
}

bool ToDouble(std::string_view s, double& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  return ParseDouble(s, v) && std::isfinite(v);
}

constexpr std::array<std::string_view, 8> kKittiTypes = {"Car", "Van", "Truck", "Pedestrian",
                                                         "Person_sitting", "Cyclist", "Tram", "Misc"};

}  // namespace

Result<KittiCalib> ParseKittiCalib(std::string_view text, std::string_view name) {
  KittiCalib calib;
  bool have_p2 = false, have_rect = false, have_velo = false;
  int64_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string_view f[16];
    const size_t n = SplitFields(line, f, 16);
    if (n == 0) continue;
    std::string_view key = f[0];
    if (!key.empty() && key.back() == ':') key.remove_suffix(1);
    size_t want = 0;
    if (key == "P2" || key == "Tr_velo_to_cam" || key == "Tr_velo_cam") want = 12;
    if (key == "R0_rect" || key == "R_rect") want = 9;
    if (want == 0) continue;
    if (n - 1 != want) {
      return Status::BadInput(fmt::format("{}:{}: {} needs {} numbers (got {})", name, line_no, key, want, n - 1));
    }
    double v[12];
    for (size_t i = 0; i < want; ++i) {
      if (!ToDouble(f[i + 1], v[i])) {
        return Status::BadInput(fmt::format("{}:{}: {}: \"{}\" is not a number", name, line_no, key, f[i + 1]));
      }
    }
    if (key == "P2") {
      std::copy(v, v + 12, calib.p2.begin());
      have_p2 = true;
    } else if (want == 9) {
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) calib.rect.r[r][c] = v[r * 3 + c];
      }
      have_rect = true;
    } else {
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) calib.velo_to_cam.r[r][c] = v[r * 4 + c];
        calib.velo_to_cam.t[r] = v[r * 4 + 3];
      }
      have_velo = true;
    }
  }
  if (!have_p2 || !have_rect || !have_velo) {
    return Status::BadInput(fmt::format("{}: calibration lacks {}", name,
                                        !have_p2 ? "P2" : !have_rect ? "R0_rect (or R_rect)"
                                                                     : "Tr_velo_to_cam (or Tr_velo_cam)"));
  }
  return calib;
}

Status ConvertKitti(std::string_view text, const KittiInput& in, const ConvertContext& ctx,
                    ConvertOutput& out) {
  const GeometryKind geom = ctx.pipe.geometry;
  if (geom != GeometryKind::kBox2d && geom != GeometryKind::kBox3d) {
    return Status::BadInput(fmt::format("KITTI labels are boxes: pipeline \"{}\" has geometry {}",
                                        ctx.pipe.id, Name(geom)));
  }
  if (geom == GeometryKind::kBox3d && in.calib == nullptr) {
    return Status::BadInput(fmt::format(
        "{}: a box3d pipeline needs the calibration (calib/{}.txt beside label_2, or --calib FILE)",
        in.sequence, in.sequence));
  }
  Transform rect_to_velo;
  if (in.calib) rect_to_velo = in.calib->RectToVelo();
  const bool gold = ctx.options.source == Source::kGold;
  const size_t off = in.tracking ? 2 : 0;
  const std::string task = "kitti:" + in.sequence;

  std::map<int64_t, size_t> frame_index;  // tracking: frame -> record
  int64_t last_frame = -1;                // tracking: the frame of the line before, and its record
  size_t last_record = 0;
  const size_t object_record = out.records.size();
  if (!in.tracking) {
    ConvertedRecord rec;
    rec.labels = ctx.NewRecord(task, in.sequence);
    rec.labels.sensor = geom == GeometryKind::kBox2d ? "image_2" : "";
    rec.position = 1;
    out.records.push_back(std::move(rec));
  }
  int64_t line_no = 0;
  std::string ignore;
  char num[48];
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string_view f[20];
    double v[20];
    bool read[20];
    const size_t n = SplitFields(line, f, 20, v, read, off);
    if (n == 0) continue;
    auto issue = [&](std::string reason) {
      out.issues.push_back(ConvertIssue{line_no, std::move(reason), std::string(line)});
    };
    if (n != 15 + off && n != 16 + off) {
      issue(fmt::format("expected {} fields ({}type truncated occluded alpha left top right bottom h w l "
                        "x y z rotation_y, then an optional score), got {}",
                        15 + off, in.tracking ? "frame track_id " : "", n));
      continue;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) {
      if (i == off || read[i]) continue;  // the type, or a number already read
      if (!ToDouble(f[i], v[i])) {
        issue(fmt::format("field {} \"{}\" is not a number", i + 1, f[i]));
        ok = false;
      }
    }
    if (!ok) continue;
    const std::string_view type = f[off];
    const double* d = v + off;  // d[1] truncated, d[2] occluded, d[3] alpha, d[4..7] bbox, ...
    ConvertedRecord* rec = in.tracking ? nullptr : &out.records[object_record];
    if (in.tracking) {
      const double fr = v[0];
      if (fr < 0 || fr != std::floor(fr)) {
        issue(fmt::format("frame \"{}\" is not a non-negative integer", f[0]));
        continue;
      }
      const auto frame = static_cast<int64_t>(fr);
      if (frame != last_frame) {
        auto [it, inserted] = frame_index.emplace(frame, out.records.size());
        if (inserted) {
          ConvertedRecord r;
          r.labels = ctx.NewRecord(task, fmt::format("{}/{:06d}", in.sequence, frame));
          r.labels.timestamp = static_cast<double>(frame) / ctx.options.fps;
          r.labels.sensor = geom == GeometryKind::kBox2d ? "image_2" : "";
          r.position = line_no;
          if (!out.records.empty()) {  // room for as many objects as the frame before had
            const size_t before = out.records.back().labels.objects.size();
            r.labels.objects.reserve(before);
            r.object_positions.reserve(before);
            r.object_where.reserve(before);
          }
          out.records.push_back(std::move(r));
        }
        last_frame = frame;
        last_record = it->second;
      }
      rec = &out.records[last_record];
    }
    if (type == "DontCare") {
      if (!gold) {
        out.Skip("DontCare: ignore regions are only for gold records");
      } else if (geom != GeometryKind::kBox2d) {
        out.Skip("DontCare: a 2D region, no ignore region of a box3d pipeline");
      } else {
        std::string& ig = rec->labels.ignore_json;
        ig += ig.empty() ? "[[" : ",[";
        AppendNumber(d[4], ig);
        ig += ',';
        AppendNumber(d[5], ig);
        ig += ',';
        AppendNumber(d[6] - d[4], ig);
        ig += ',';
        AppendNumber(d[7] - d[5], ig);
        ig += ']';
        ++out.ignore_regions;
      }
      continue;
    }
    const std::optional<std::string>& cls = ctx.MapClassLazy(type, line_no, "", [line] { return line; }, out);
    if (!cls) continue;
    std::vector<Object>& objects = rec->labels.objects;
    Object& o = objects.emplace_back();
    o.cls = *cls;
    {
      // The id: the object's number in its record (tracking: prefixed with the frame as written).
      char* p = num;
      if (in.tracking && f[0].size() < 16) {
        std::memcpy(p, f[0].data(), f[0].size());
        p += f[0].size();
        *p++ = '-';
      }
      p = std::to_chars(p, num + sizeof num, objects.size()).ptr;
      if (in.tracking && f[0].size() >= 16) o.id.assign(f[0]).append(1, '-');
      o.id.append(num, p);
    }
    if (in.tracking) o.track.assign(f[1]);
    o.kind = geom;
    if (geom == GeometryKind::kBox2d) {
      o.box2d = Box2d{d[4], d[5], d[6] - d[4], d[7] - d[5]};
    } else {
      const double h = d[8], w = d[9], l = d[10], ry = d[14];
      const Vec3 centre = rect_to_velo.Apply(Vec3{d[11], d[12] - h / 2, d[13]});
      const Vec3 head = rect_to_velo.Rotate(Vec3{std::cos(ry), 0, -std::sin(ry)});
      o.box3d = Box3d{centre[0], centre[1], centre[2], l, w, h, std::atan2(head[1], head[0])};
    }
    if (n == 16 + off) o.score = d[15];
    // The attributes: {"truncated":T,"occluded":O}, the numbers as AppendNumber writes them.
    char attrs[96];
    size_t len = 0;
    auto put = [&](std::string_view s) {
      std::memcpy(attrs + len, s.data(), s.size());
      len += s.size();
    };
    auto put_number = [&](double x) {
      if (x > -10000 && x < 10000 && x == static_cast<double>(static_cast<int>(x))) {
        len = static_cast<size_t>(std::to_chars(attrs + len, attrs + sizeof attrs, x == 0 ? 0 : static_cast<int>(x)).ptr - attrs);
      } else {
        std::string t;
        AppendNumber(x, t);
        put(t);  // at most 24 characters
      }
    };
    put("{\"truncated\":");
    const size_t truncated_at = len;
    put_number(d[1]);
    const size_t truncated_end = len;
    put(",\"occluded\":");
    const size_t occluded_at = len;
    put_number(d[2]);
    const size_t occluded_end = len;
    put("}");
    if (ctx.TakesAnyAttribute(o.cls)) {  // what AttributesJson writes, written directly
      o.attributes_json.assign(attrs, len);
    } else {
      o.attributes_json = ctx.AttributesJson(
          o.cls,
          {{"truncated", std::string_view(attrs + truncated_at, truncated_end - truncated_at)},
           {"occluded", std::string_view(attrs + occluded_at, occluded_end - occluded_at)}},
          line_no, "", out);
    }
    rec->object_positions.push_back(line_no);
    rec->object_where.emplace_back();
  }
  for (ConvertedRecord& r : out.records) {
    if (!r.labels.ignore_json.empty()) r.labels.ignore_json += ']';
  }
  return Status::Ok();
}

namespace {

std::string KittiType(const std::string& cls) {
  for (std::string_view t : kKittiTypes) {
    if (t.size() != cls.size()) continue;
    bool same = true;
    for (size_t i = 0; i < t.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(t[i])) == std::tolower(static_cast<unsigned char>(cls[i]));
    }
    if (same) return std::string(t);
  }
  std::string s = cls;
  for (char& c : s) {
    if (c == ' ') c = '_';
  }
  return s;
}

double AttrNumber(const std::string& attributes_json, const char* key, double fallback) {
  if (attributes_json.empty()) return fallback;
  auto j = nlohmann::json::parse(attributes_json, nullptr, false);
  if (j.is_discarded() || !j.contains(key) || !j[key].is_number()) return fallback;
  return j[key].get<double>();
}

// The trailing integer of a frame id ("0003/000005" -> 5), or nullopt.
std::optional<int64_t> TrailingInt(std::string_view s) {
  size_t i = s.size();
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;
  if (i == s.size()) return std::nullopt;
  int64_t v = 0;
  std::from_chars(s.data() + i, s.data() + s.size(), v);
  return v;
}

std::string Fixed(double v) { return fmt::format("{:.6f}", v == 0 ? 0.0 : v); }

}  // namespace

Result<std::string> KittiLines(const std::vector<const LabelRecord*>& records, GeometryKind geometry,
                               const KittiExportOptions& options) {
  if (geometry != GeometryKind::kBox2d && geometry != GeometryKind::kBox3d) {
    return Status::Usage(fmt::format("KITTI holds boxes: a {} pipeline cannot be exported to it", Name(geometry)));
  }
  if (geometry == GeometryKind::kBox3d && options.calib == nullptr) {
    return Status::Usage("KITTI export of box3d needs the calibration (--calib FILE)");
  }
  Transform velo_to_rect;
  if (options.calib) velo_to_rect = options.calib->velo_to_cam.Then(options.calib->rect);
  std::map<std::string, int64_t> track_ids;
  int64_t next_track = 0;
  for (const LabelRecord* r : records) {
    for (const Object& o : r->objects) {
      if (o.track.empty()) continue;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(o.track.data(), o.track.data() + o.track.size(), v);
      if (ec == std::errc() && p == o.track.data() + o.track.size() && v >= 0) {
        track_ids[o.track] = v;
        next_track = std::max(next_track, v + 1);
      }
    }
  }
  std::string out;
  int64_t index = 0;
  for (const LabelRecord* r : records) {
    int64_t frame = index++;
    if (auto t = TrailingInt(r->frame)) {
      frame = *t;
    } else if (r->timestamp) {
      frame = std::llround(*r->timestamp * options.fps);
    }
    const std::string prefix = options.tracking ? fmt::format("{} ", frame) : std::string();
    for (const Object& o : r->objects) {
      double trunc = AttrNumber(o.attributes_json, "truncated", 0);
      double occ = AttrNumber(o.attributes_json, "occluded", 3);
      std::string row = prefix;
      if (options.tracking) {
        int64_t tid = -1;
        if (!o.track.empty()) {
          auto [it, inserted] = track_ids.emplace(o.track, next_track);
          if (inserted) ++next_track;
          tid = it->second;
        }
        row += fmt::format("{} ", tid);
      }
      row += KittiType(o.cls);
      if (geometry == GeometryKind::kBox2d) {
        const Box2d& b = o.box2d;
        row += fmt::format(" {} {} -10 {} {} {} {} -1 -1 -1 -1000 -1000 -1000 -10",
                           options.tracking ? fmt::format("{}", std::llround(trunc)) : Fixed(trunc),
                           std::llround(occ), Fixed(b.x), Fixed(b.y), Fixed(b.x + b.w), Fixed(b.y + b.h));
      } else {
        const Box3d& b = o.box3d;
        const Vec3 c = velo_to_rect.Apply(Vec3{b.x, b.y, b.z});
        // The ry whose heading (cos ry, 0, -sin ry), carried into the Velodyne frame as the import
        // does, points along yaw there: with a, b the images of camera x and z, the heading c a - s b
        // has no component across yaw when c (a_y cos - a_x sin) = s (b_y cos - b_x sin).
        const Transform rect_to_velo = velo_to_rect.Inverse();
        const Vec3 a = rect_to_velo.Rotate(Vec3{1, 0, 0}), bz = rect_to_velo.Rotate(Vec3{0, 0, 1});
        const double cy = std::cos(b.yaw), sy = std::sin(b.yaw);
        double ry = std::atan2(a[1] * cy - a[0] * sy, bz[1] * cy - bz[0] * sy);
        const double along = (std::cos(ry) * a[0] - std::sin(ry) * bz[0]) * cy + (std::cos(ry) * a[1] - std::sin(ry) * bz[1]) * sy;
        if (along < 0) ry += std::numbers::pi;
        ry = WrapAngle(ry);
        const Vec3 loc{c[0], c[1] + b.h / 2, c[2]};
        const double alpha = WrapAngle(ry - std::atan2(loc[0], loc[2]));
        // The 2D box: the 8 corners projected with P2 (not clipped to the image).
        double l = 1e300, t = 1e300, rr = -1e300, bb = -1e300;
        bool behind = false;
        const double cr = std::cos(ry), sr = std::sin(ry);
        for (int k = 0; k < 8; ++k) {
          const double dx = (k & 1 ? 0.5 : -0.5) * b.l, dz = (k & 2 ? 0.5 : -0.5) * b.w;
          const double dy = k & 4 ? -b.h : 0;
          const Vec3 p{loc[0] + cr * dx + sr * dz, loc[1] + dy, loc[2] - sr * dx + cr * dz};
          const auto& m = options.calib->p2;
          const double u = m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3];
          const double v = m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7];
          const double w = m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11];
          if (w <= 1e-6) {
            behind = true;
            break;
          }
          l = std::min(l, u / w);
          rr = std::max(rr, u / w);
          t = std::min(t, v / w);
          bb = std::max(bb, v / w);
        }
        if (behind) l = t = rr = bb = -1;
        row += fmt::format(" {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
                           options.tracking ? fmt::format("{}", std::llround(trunc)) : Fixed(trunc),
                           std::llround(occ), Fixed(alpha), Fixed(l), Fixed(t), Fixed(rr), Fixed(bb),
                           Fixed(b.h), Fixed(b.w), Fixed(b.l), Fixed(loc[0]), Fixed(loc[1]),
                           Fixed(loc[2]), Fixed(WrapAngle(ry)));
      }
      if (o.score) row += " " + Fixed(*o.score);
      out += row;
      out += '\n';
    }
    if (!r->ignore_json.empty() && geometry == GeometryKind::kBox2d) {
      auto ig = nlohmann::json::parse(r->ignore_json, nullptr, false);
      if (ig.is_array()) {
        for (const auto& b : ig) {
          if (!b.is_array() || b.size() != 4) continue;
          const double x = b[0].get<double>(), y = b[1].get<double>();
          const double w = b[2].get<double>(), h = b[3].get<double>();
          out += prefix + (options.tracking ? "-1 " : "") +
                 fmt::format("DontCare -1 -1 -10 {} {} {} {} -1 -1 -1 -1000 -1000 -1000 -10\n", Fixed(x),
                             Fixed(y), Fixed(x + w), Fixed(y + h));
        }
      }
    }
  }
  return out;
}

}  // namespace gtops::interop
