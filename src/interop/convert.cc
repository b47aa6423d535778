#include "interop/convert.h"

#include <charconv>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "io/record_parser.h"

namespace gtops::interop {

ClassMapper::ClassMapper(const PipelineSpec& pipe, const std::map<std::string, std::string>& explicit_map)
    : pipe_(pipe), explicit_map_(explicit_map) {
  for (const ClassSpec& c : pipe.classes) by_key_.emplace(Key(c.name), c.name);
}

std::string ClassMapper::Key(std::string_view s) {
  std::string k;
  k.reserve(s.size());
  for (char c : s) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    k += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return k;
}

std::optional<std::string> ClassMapper::Map(std::string_view foreign) const {
  if (auto it = explicit_map_.find(std::string(foreign)); it != explicit_map_.end()) {
    if (pipe_.classes.empty() || pipe_.FindClass(it->second) != nullptr) return it->second;
    return std::nullopt;
  }
  if (pipe_.classes.empty()) {
    if (foreign.empty()) return std::nullopt;
    return std::string(foreign);
  }
  if (pipe_.FindClass(foreign) != nullptr) return std::string(foreign);
  if (auto it = by_key_.find(Key(foreign)); it != by_key_.end() && !foreign.empty()) return it->second;
  return std::nullopt;
}

std::string ConvertedRecord::ObjectWhere(size_t i) const {
  if (where_from_position) {
    return i < object_positions.size() ? fmt::format("{}[{}]", where_list, object_positions[i] - 1) : std::string();
  }
  return i < object_where.size() ? object_where[i] : std::string();
}

LabelRecord ConvertContext::NewRecord(std::string task, std::string frame) const {
  LabelRecord r;
  r.pipeline = options.pipeline;
  r.source = options.source;
  r.task = options.task.empty() ? std::move(task) : options.task;
  r.frame = std::move(frame);
  r.batch = options.batch;
  if (options.source == Source::kVendor) {
    r.vendor = options.vendor;
    r.annotator = options.annotator;
  }
  if (options.source == Source::kModel) r.model = options.model.empty() ? stem : options.model;
  return r;
}

const std::optional<std::string>& ConvertContext::CachedClass(std::string_view foreign) const {
  auto cached = class_cache.find(foreign);
  if (cached == class_cache.end()) cached = class_cache.emplace(std::string(foreign), classes.Map(foreign)).first;
  return cached->second;
}

void ConvertContext::ReportUnmapped(std::string_view foreign, int64_t position, std::string_view where,
                                    std::string_view raw, ConvertOutput& out) const {
  out.issues.push_back(ConvertIssue{
      position,
      fmt::format("{}{}category \"{}\" maps to no class of pipeline \"{}\" (add it to the pipeline's "
                  "classes or map it with --class-map)",
                  where, where.empty() ? "" : ": ", foreign, pipe.id),
      std::string(raw)});
}

std::optional<std::string> ConvertContext::MapClass(std::string_view foreign, int64_t position,
                                                    std::string_view where, std::string_view raw,
                                                    ConvertOutput& out) const {
  return MapClassLazy(foreign, position, where, [raw] { return raw; }, out);
}

namespace {

// `"name":` (escaped as AppendJsonString does; a plain name is copied as it is).
void AppendName(std::string_view name, std::string& out) {
  bool plain = true;
  for (char c : name) plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
  if (plain) {
    out.append(1, '"').append(name).append("\":");
  } else {
    AppendJsonString(name, out);
    out += ':';
  }
}

// (name, JSON value) pairs as an attributes object, without the attributes the class spec does
// not allow (each reported, the object kept); "" when none is left.
template <typename Pairs>
std::string AttributesJsonOf(const PipelineSpec& pipe, const std::string& cls, const Pairs& attrs, int64_t position,
                             std::string_view where, ConvertOutput& out) {
  if (attrs.size() == 0) return {};
  const ClassSpec* spec = pipe.FindClass(cls);
  const bool check = spec != nullptr && !spec->attributes.empty();
  size_t size = 2;
  for (const auto& [name, value] : attrs) size += std::string_view(name).size() + std::string_view(value).size() + 4;
  std::string json;
  json.reserve(size);
  json += '{';
  for (const auto& [name, value] : attrs) {
    if (check && spec->attributes.count(std::string(name)) == 0) {
      out.issues.push_back(ConvertIssue{
          position,
          fmt::format("{}{}attribute \"{}\" is not in the spec of class \"{}\" (dropped; the object is kept)",
                      where, where.empty() ? "" : ": ", name, cls),
          fmt::format("{{{}:{}}}", Quoted(name), value)});
      continue;
    }
    if (json.size() > 1) json += ',';
    AppendName(name, json);
    json += value;
  }
  json += '}';
  return json.size() > 2 ? json : std::string();
}

}  // namespace

std::string ConvertContext::AttributesJson(const std::string& cls,
                                           const std::vector<std::pair<std::string, std::string>>& attrs,
                                           int64_t position, std::string_view where,
                                           ConvertOutput& out) const {
  return AttributesJsonOf(pipe, cls, attrs, position, where, out);
}

std::string ConvertContext::AttributesJson(const std::string& cls,
                                           std::initializer_list<std::pair<std::string_view, std::string_view>> attrs,
                                           int64_t position, std::string_view where,
                                           ConvertOutput& out) const {
  return AttributesJsonOf(pipe, cls, attrs, position, where, out);
}

bool ParseDouble(std::string_view s, double& v) {
  const char* const end = s.data() + s.size();
  double fast;  // v stays as from_chars leaves it when the text is no number
  if (!s.empty() && ReadPlainDecimal(s.data(), end, fast) == end) {
    v = fast;
    return true;
  }
  auto [q, ec] = std::from_chars(s.data(), end, v);
  return ec == std::errc() && q == end;
}

void AppendInt(int64_t v, std::string& out) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? p : buf);
}

void AppendNumber(double v, std::string& out) {
  if (v == 0) v = 0;  // no "-0"
  // A whole number of at most 4 digits: to_chars writes it as that integer (its exponent form
  // is never shorter), so write the integer.
  if (v > -10000 && v < 10000 && v == static_cast<double>(static_cast<int>(v))) {
    AppendInt(static_cast<int>(v), out);
    return;
  }
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? p : buf);
}

std::string NumberText(double v) {
  std::string s;
  AppendNumber(v, s);
  return s;
}

std::string Quoted(std::string_view s) {
  std::string out;
  AppendJsonString(s, out);
  return out;
}

namespace {

void Field(std::string& j, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  j += ',';
  AppendJsonString(key, j);
  j += ':';
  AppendJsonString(value, j);
}

void RawField(std::string& j, std::string_view key, std::string_view raw) {
  if (raw.empty()) return;
  j += ',';
  AppendJsonString(key, j);
  j += ':';
  j += raw;
}

void Numbers(std::string& j, std::initializer_list<double> v) {
  j += '[';
  bool first = true;
  for (double x : v) {
    if (!first) j += ',';
    first = false;
    AppendNumber(x, j);
  }
  j += ']';
}

}  // namespace

std::string LabelsToJson(const LabelRecord& r) {
  std::string j;
  size_t size = 256 + r.ignore_json.size() + r.scene_json.size() + r.ego_pose_json.size() + r.tags_json.size();
  for (const Object& o : r.objects) size += 160 + o.geometry_json.size() + o.attributes_json.size();
  j.reserve(size);
  j += "{\"pipeline\":";
  AppendJsonString(r.pipeline, j);
  Field(j, "batch", r.batch);
  Field(j, "task", r.task);
  Field(j, "frame", r.frame);
  if (r.timestamp) {
    j += ",\"timestamp\":";
    AppendNumber(*r.timestamp, j);
  }
  Field(j, "source", Name(r.source));
  Field(j, "vendor", r.vendor);
  Field(j, "annotator", r.annotator);
  Field(j, "model", r.model);
  Field(j, "spec_version", r.spec_version);
  Field(j, "tool_version", r.tool_version);
  Field(j, "labeled_at", r.labeled_at);
  Field(j, "sensor", r.sensor);
  RawField(j, "scene", r.scene_json);
  RawField(j, "ego_pose", r.ego_pose_json);
  RawField(j, "ignore", r.ignore_json);
  RawField(j, "tags", r.tags_json);
  j += ",\"objects\":[";
  bool first = true;
  for (const Object& o : r.objects) {
    if (!first) j += ',';
    first = false;
    j += "{\"id\":";
    AppendJsonString(o.id, j);
    Field(j, "track", o.track);
    j += ",\"class\":";
    AppendJsonString(o.cls, j);
    j += ',';
    AppendJsonString(Name(o.kind), j);
    j += ':';
    switch (o.kind) {
      case GeometryKind::kBox2d: Numbers(j, {o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h}); break;
      case GeometryKind::kBox3d:
        Numbers(j, {o.box3d.x, o.box3d.y, o.box3d.z, o.box3d.l, o.box3d.w, o.box3d.h, o.box3d.yaw});
        break;
      default: j += o.geometry_json.empty() ? std::string("null") : o.geometry_json; break;
    }
    RawField(j, "attributes", o.attributes_json);
    if (o.score) {
      j += ",\"score\":";
      AppendNumber(*o.score, j);
    }
    if (o.num_points) {
      j += ",\"num_points\":";
      AppendInt(*o.num_points, j);
    }
    j += '}';
  }
  j += "]}";
  return j;
}

Vec3 Transform::Rotate(const Vec3& x) const {
  Vec3 y{};
  for (int i = 0; i < 3; ++i) y[i] = r[i][0] * x[0] + r[i][1] * x[1] + r[i][2] * x[2];
  return y;
}

Vec3 Transform::Apply(const Vec3& x) const {
  Vec3 y = Rotate(x);
  for (int i = 0; i < 3; ++i) y[i] += t[i];
  return y;
}

Transform Transform::Inverse() const {
  const Mat3& m = r;
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  Transform inv;
  const double d = det == 0 ? 0 : 1 / det;
  inv.r[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) * d;
  inv.r[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * d;
  inv.r[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * d;
  inv.r[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) * d;
  inv.r[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * d;
  inv.r[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * d;
  inv.r[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) * d;
  inv.r[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * d;
  inv.r[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * d;
  Vec3 rt = inv.Rotate(t);
  inv.t = {-rt[0], -rt[1], -rt[2]};
  return inv;
}

Transform Transform::Then(const Transform& next) const {
  Transform out;
  out.r = Multiply(next.r, r);
  out.t = next.Apply(t);
  return out;
}

Mat3 Multiply(const Mat3& a, const Mat3& b) {
  Mat3 c{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) c[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  }
  return c;
}

Mat3 QuaternionToMatrix(double w, double x, double y, double z) {
  const double n = std::sqrt(w * w + x * x + y * y + z * z);
  if (n > 0) {
    w /= n;
    x /= n;
    y /= n;
    z /= n;
  }
  return Mat3{{{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
               {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
               {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}}};
}

std::array<double, 4> MatrixToQuaternion(const Mat3& m) {
  const double tr = m[0][0] + m[1][1] + m[2][2];
  double w, x, y, z;
  if (tr > 0) {
    const double s = std::sqrt(tr + 1.0) * 2;
    w = 0.25 * s;
    x = (m[2][1] - m[1][2]) / s;
    y = (m[0][2] - m[2][0]) / s;
    z = (m[1][0] - m[0][1]) / s;
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    const double s = std::sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2;
    w = (m[2][1] - m[1][2]) / s;
    x = 0.25 * s;
    y = (m[0][1] + m[1][0]) / s;
    z = (m[0][2] + m[2][0]) / s;
  } else if (m[1][1] > m[2][2]) {
    const double s = std::sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2;
    w = (m[0][2] - m[2][0]) / s;
    x = (m[0][1] + m[1][0]) / s;
    y = 0.25 * s;
    z = (m[1][2] + m[2][1]) / s;
  } else {
    const double s = std::sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2;
    w = (m[1][0] - m[0][1]) / s;
    x = (m[0][2] + m[2][0]) / s;
    y = (m[1][2] + m[2][1]) / s;
    z = 0.25 * s;
  }
  return {w, x, y, z};
}

Mat3 EulerZyxToMatrix(double rx, double ry, double rz) {
  const double cx = std::cos(rx), sx = std::sin(rx), cy = std::cos(ry), sy = std::sin(ry);
  const double cz = std::cos(rz), sz = std::sin(rz);
  const Mat3 mz{{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}};
  const Mat3 my{{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}};
  const Mat3 mx{{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}};
  return Multiply(mz, Multiply(my, mx));
}

double WrapAngle(double a) {
  constexpr double kPi = std::numbers::pi;
  a = std::remainder(a, 2 * kPi);
  if (a <= -kPi) a += 2 * kPi;
  return a;
}

Box3d CuboidToBox3d(const Vec3& c, const Mat3& r, const Vec3& size) {
  int up = 0;
  for (int k = 1; k < 3; ++k) {
    if (std::abs(r[2][k]) > std::abs(r[2][up])) up = k;
  }
  const int a = up == 0 ? 1 : 0;
  const int b = up == 2 ? 1 : 2;
  Box3d box;
  box.x = c[0];
  box.y = c[1];
  box.z = c[2];
  box.l = size[a];
  box.w = size[b];
  box.h = size[up];
  box.yaw = WrapAngle(std::atan2(r[1][a], r[0][a]));
  return box;
}

}  // namespace gtops::interop
