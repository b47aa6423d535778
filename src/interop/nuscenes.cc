#include "interop/nuscenes.h"

#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop/json_values.h"

namespace gtops::interop {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

bool Num(element e, double& v) { return JsonNumber(e, v); }

std::string Str(object o, const char* key) {
  std::string_view s;
  if (o[key].get(s)) return {};
  return std::string(s);
}

template <size_t N>
bool Numbers(object o, const char* key, std::array<double, N>& v) {
  array a;
  if (o[key].get(a) || a.size() != N) return false;
  size_t i = 0;
  for (element x : a) {
    if (!Num(x, v[i++])) return false;
  }
  return true;
}

// The ego pose (R_e, t_e) as a transform ego -> global.
Transform PoseTransform(const NuscenesPose& p) {
  Transform t;
  t.r = QuaternionToMatrix(p.q[0], p.q[1], p.q[2], p.q[3]);
  t.t = p.t;
  return t;
}

// Quaternion product a * b, (w, x, y, z).
std::array<double, 4> QMul(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  return {a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
          a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
          a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
          a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0]};
}

std::string PoseJson(const NuscenesPose& p) {
  std::string s = "[";
  for (double v : {p.t[0], p.t[1], p.t[2], p.q[0], p.q[1], p.q[2], p.q[3]}) {
    if (s.size() > 1) s += ',';
    AppendNumber(v, s);
  }
  return s + "]";
}

// A global box to gtops's box3d in the ego frame of `ego`.
Box3d GlobalToEgo(const Vec3& c, const std::array<double, 4>& q, const Vec3& size, const NuscenesPose& ego) {
  const Transform to_ego = PoseTransform(ego).Inverse();
  const Vec3 ce = to_ego.Apply(c);
  const std::array<double, 4> qe_inv{ego.q[0], -ego.q[1], -ego.q[2], -ego.q[3]};
  const auto qb = QMul(qe_inv, q);
  const Mat3 r = QuaternionToMatrix(qb[0], qb[1], qb[2], qb[3]);
  Box3d b;
  b.x = ce[0];
  b.y = ce[1];
  b.z = ce[2];
  b.w = size[0];
  b.l = size[1];
  b.h = size[2];
  b.yaw = WrapAngle(std::atan2(r[1][0], r[0][0]));
  return b;
}

}  // namespace

Result<NuscenesTables> ParseNuscenesTables(const std::map<std::string, std::string>& texts, std::string folder) {
  NuscenesTables t;
  t.folder = std::move(folder);
  simdjson::dom::parser parser;
  auto parse = [&](const std::string& name, bool required, const std::function<Status(object, size_t)>& fn) -> Status {
    auto it = texts.find(name);
    if (it == texts.end()) {
      if (required) return Status::BadInput(fmt::format("{}.json: missing (a required nuScenes table)", name));
      return Status::Ok();
    }
    simdjson::padded_string padded(it->second);
    element doc;
    if (auto err = parser.parse(padded).get(doc)) {
      return Status::BadInput(fmt::format("{}.json: not JSON: {}", name, simdjson::error_message(err)));
    }
    if (doc.type() != element_type::ARRAY) return Status::BadInput(fmt::format("{}.json: not a JSON array", name));
    size_t i = 0;
    for (element e : array(doc)) {
      if (e.type() != element_type::OBJECT) {
        return Status::BadInput(fmt::format("{}.json: {}[{}] is not an object", name, name, i));
      }
      GTOPS_RETURN_IF_ERROR(fn(object(e), i));
      ++i;
    }
    return Status::Ok();
  };
  std::map<std::string, std::string> category_names, sensor_channel, calib_sensor, instance_category_token;
  std::map<std::string, NuscenesPose> ego_poses;
  GTOPS_RETURN_IF_ERROR(parse("category", true, [&](object o, size_t) {
    category_names[Str(o, "token")] = Str(o, "name");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("attribute", false, [&](object o, size_t) {
    t.attribute_names[Str(o, "token")] = Str(o, "name");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("visibility", false, [&](object o, size_t) {
    t.visibility_levels[Str(o, "token")] = Str(o, "level");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("scene", false, [&](object o, size_t) {
    t.scene_names[Str(o, "token")] = Str(o, "name");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("sensor", false, [&](object o, size_t) {
    sensor_channel[Str(o, "token")] = Str(o, "channel");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("calibrated_sensor", false, [&](object o, size_t) {
    calib_sensor[Str(o, "token")] = Str(o, "sensor_token");
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("instance", true, [&](object o, size_t) {
    instance_category_token[Str(o, "token")] = Str(o, "category_token");
    return Status::Ok();
  }));
  for (const auto& [inst, cat] : instance_category_token) {
    auto it = category_names.find(cat);
    if (it != category_names.end()) t.instance_category[inst] = it->second;
  }
  GTOPS_RETURN_IF_ERROR(parse("ego_pose", true, [&](object o, size_t i) {
    NuscenesPose p;
    if (!Numbers(o, "translation", p.t) || !Numbers(o, "rotation", p.q)) {
      return Status::BadInput(fmt::format("ego_pose.json: ego_pose[{}]: needs translation[3] and rotation[4]", i));
    }
    ego_poses[Str(o, "token")] = p;
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("sample", true, [&](object o, size_t i) {
    NuscenesSample s;
    s.token = Str(o, "token");
    s.scene_token = Str(o, "scene_token");
    element ts;
    if (o["timestamp"].get(ts) || !Num(ts, s.timestamp)) {
      return Status::BadInput(fmt::format("sample.json: sample[{}]: needs a numeric timestamp", i));
    }
    t.sample_order.push_back(s.token);
    t.samples[s.token] = s;
    return Status::Ok();
  }));
  // The ego pose of a sample: its key-frame LIDAR_TOP sample_data's, else its first key frame's.
  std::map<std::string, int> rank;  // sample -> 0 LIDAR_TOP, 1 other key frame
  GTOPS_RETURN_IF_ERROR(parse("sample_data", true, [&](object o, size_t) {
    bool key = true;
    if (o["is_key_frame"].get(key)) key = true;
    if (!key) return Status::Ok();
    auto s = t.samples.find(Str(o, "sample_token"));
    if (s == t.samples.end()) return Status::Ok();
    auto pose = ego_poses.find(Str(o, "ego_pose_token"));
    if (pose == ego_poses.end()) return Status::Ok();
    std::string channel;
    if (auto c = calib_sensor.find(Str(o, "calibrated_sensor_token")); c != calib_sensor.end()) {
      if (auto ch = sensor_channel.find(c->second); ch != sensor_channel.end()) channel = ch->second;
    }
    const int r = channel == "LIDAR_TOP" ? 0 : 1;
    auto [it, inserted] = rank.emplace(s->first, r);
    if (inserted || r < it->second) {
      it->second = r;
      s->second.ego = pose->second;
    }
    return Status::Ok();
  }));
  GTOPS_RETURN_IF_ERROR(parse("sample_annotation", true, [&](object o, size_t i) {
    NuscenesAnnotation a;
    a.index = static_cast<int64_t>(i);
    a.raw = simdjson::minify(o);
    a.token = Str(o, "token");
    a.sample_token = Str(o, "sample_token");
    a.instance_token = Str(o, "instance_token");
    a.visibility_token = Str(o, "visibility_token");
    array attrs;
    if (!o["attribute_tokens"].get(attrs)) {
      for (element x : attrs) {
        std::string_view s;
        if (!x.get(s)) a.attribute_tokens.emplace_back(s);
      }
    }
    if (!Numbers(o, "translation", a.translation) || !Numbers(o, "size", a.size) ||
        !Numbers(o, "rotation", a.rotation)) {
      a.size = {0, 0, 0};  // reported when converted
    }
    element n;
    double v = 0;
    if (!o["num_lidar_pts"].get(n) && Num(n, v)) a.num_lidar_pts = static_cast<int64_t>(v);
    if (!o["num_radar_pts"].get(n) && Num(n, v)) a.num_radar_pts = static_cast<int64_t>(v);
    t.annotations.push_back(std::move(a));
    return Status::Ok();
  }));
  return t;
}

Result<NuscenesTables> ReadNuscenesTables(const std::string& folder) {
  std::map<std::string, std::string> texts;
  for (const char* name : {"sample", "sample_data", "ego_pose", "sample_annotation", "instance", "category",
                           "calibrated_sensor", "sensor", "attribute", "visibility", "scene"}) {
    const auto path = std::filesystem::path(folder) / (std::string(name) + ".json");
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::ostringstream ss;
    ss << in.rdbuf();
    texts[name] = std::move(ss).str();
  }
  auto t = ParseNuscenesTables(texts, folder);
  if (!t.ok()) return Status(t.status().code(), fmt::format("{}/{}", folder, t.status().message()));
  return t;
}

Status ConvertNuscenesTables(const NuscenesTables& t, const ConvertContext& ctx, ConvertOutput& out) {
  if (ctx.pipe.geometry != GeometryKind::kBox3d) {
    return Status::BadInput(fmt::format("nuScenes boxes are 3D: pipeline \"{}\" has geometry {}", ctx.pipe.id,
                                        Name(ctx.pipe.geometry)));
  }
  std::map<std::string, size_t, std::less<>> record_of;
  int64_t pos = 0;
  for (const std::string& token : t.sample_order) {
    ++pos;
    const NuscenesSample& s = t.samples.at(token);
    if (!s.ego) {
      out.issues.push_back(ConvertIssue{pos, fmt::format("sample[{}] ({}): no key-frame sample_data with an ego_pose: "
                                                         "its boxes cannot be put in the ego frame", pos - 1, token),
                                        token});
      continue;
    }
    auto scene = t.scene_names.find(s.scene_token);
    ConvertedRecord r;
    r.labels = ctx.NewRecord(
        "nuscenes:" + (scene != t.scene_names.end() && !scene->second.empty() ? scene->second : s.scene_token), token);
    r.labels.timestamp = s.timestamp / 1e6;
    r.labels.ego_pose_json = PoseJson(*s.ego);
    r.position = pos;
    record_of[token] = out.records.size();
    out.records.push_back(std::move(r));
  }
  for (const NuscenesAnnotation& a : t.annotations) {
    const int64_t p = a.index + 1;
    const std::string where = fmt::format("sample_annotation[{}] ({})", a.index, a.token);
    auto issue = [&](std::string why) {
      out.issues.push_back(ConvertIssue{p, fmt::format("{}: {}", where, why), a.raw});
    };
    auto s = t.samples.find(a.sample_token);
    if (s == t.samples.end()) {
      issue(fmt::format("sample_token {} is not in sample.json", a.sample_token));
      continue;
    }
    auto rec = record_of.find(a.sample_token);
    if (rec == record_of.end()) {
      issue("its sample has no ego pose");
      continue;
    }
    auto cat = t.instance_category.find(a.instance_token);
    if (cat == t.instance_category.end()) {
      issue(fmt::format("instance_token {} is not in instance.json (or its category is not in category.json)",
                        a.instance_token));
      continue;
    }
    auto cls = ctx.MapClass(cat->second, p, where, a.raw, out);
    if (!cls) continue;
    Object o;
    o.id = a.token;
    o.track = a.instance_token;
    o.cls = std::move(*cls);
    o.kind = GeometryKind::kBox3d;
    o.box3d = GlobalToEgo(a.translation, a.rotation, a.size, *s->second.ego);
    std::vector<std::pair<std::string, std::string>> attrs;
    std::string names;
    for (const std::string& tok : a.attribute_tokens) {
      auto n = t.attribute_names.find(tok);
      if (n == t.attribute_names.end()) {
        issue(fmt::format("attribute token {} is not in attribute.json (the attribute is dropped)", tok));
        continue;
      }
      if (!names.empty()) names += ',';
      names += n->second;
    }
    if (!names.empty()) attrs.emplace_back("attribute", Quoted(names));
    if (auto v = t.visibility_levels.find(a.visibility_token); v != t.visibility_levels.end()) {
      attrs.emplace_back("visibility", Quoted(v->second));
    }
    if (a.num_radar_pts >= 0) attrs.emplace_back("num_radar_pts", fmt::format("{}", a.num_radar_pts));
    o.attributes_json = ctx.AttributesJson(o.cls, attrs, p, where, out);
    if (a.num_lidar_pts >= 0) o.num_points = a.num_lidar_pts;
    ConvertedRecord& r = out.records[rec->second];
    r.labels.objects.push_back(std::move(o));
    r.object_positions.push_back(p);
    r.object_where.push_back(where);
  }
  return Status::Ok();
}

Status ConvertNuscenesResults(std::string_view json, const NuscenesTables* tables, const ConvertContext& ctx,
                              ConvertOutput& out) {
  if (ctx.pipe.geometry != GeometryKind::kBox3d) {
    return Status::BadInput(fmt::format("nuScenes boxes are 3D: pipeline \"{}\" has geometry {}", ctx.pipe.id,
                                        Name(ctx.pipe.geometry)));
  }
  if (tables == nullptr) {
    return Status::Usage("nuScenes results are in the global frame: give the tables (--tables DIR) for the "
                         "samples' ego poses");
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return Status::BadInput(fmt::format("not JSON: {}", simdjson::error_message(err)));
  }
  object results;
  if (doc.type() != element_type::OBJECT || object(doc)["results"].get(results)) {
    return Status::BadInput("not a nuScenes results file (no \"results\" object)");
  }
  int64_t sample_index = 0;
  for (auto [key, boxes] : results) {
    const int64_t pos = ++sample_index;
    const std::string token(key);
    auto s = tables->samples.find(token);
    const std::string swhere = fmt::format("results[\"{}\"]", token);
    if (s == tables->samples.end() || !s->second.ego) {
      out.issues.push_back(ConvertIssue{
          pos,
          fmt::format("{}: sample {} {}", swhere, token,
                      s == tables->samples.end() ? "is not in the tables' sample.json" : "has no ego pose in the tables"),
          std::string(simdjson::minify(boxes)).substr(0, 4096)});
      continue;
    }
    ConvertedRecord r;
    auto scene = tables->scene_names.find(s->second.scene_token);
    r.labels = ctx.NewRecord("nuscenes:" + (scene != tables->scene_names.end() ? scene->second : s->second.scene_token),
                             token);
    r.labels.timestamp = s->second.timestamp / 1e6;
    r.labels.ego_pose_json = PoseJson(*s->second.ego);
    r.position = pos;
    if (boxes.type() != element_type::ARRAY) {
      out.issues.push_back(ConvertIssue{pos, swhere + ": not an array of boxes", ""});
      continue;
    }
    int64_t i = 0;
    for (element b : array(boxes)) {
      const int64_t box_index = i++;
      const std::string where = fmt::format("{}[{}]", swhere, box_index);
      auto issue = [&](std::string why) {
        out.issues.push_back(ConvertIssue{pos, fmt::format("{}: {}", where, why), simdjson::minify(b)});
      };
      if (b.type() != element_type::OBJECT) {
        issue("not an object");
        continue;
      }
      object o(b);
      Vec3 c, size;
      std::array<double, 4> q;
      if (!Numbers(o, "translation", c) || !Numbers(o, "size", size) || !Numbers(o, "rotation", q)) {
        issue("needs translation[3], size[3] and rotation[4]");
        continue;
      }
      std::string name = Str(o, "detection_name");
      if (name.empty()) name = Str(o, "tracking_name");
      auto cls = ctx.MapClass(name, pos, where, simdjson::minify(b), out);
      if (!cls) continue;
      Object ob;
      ob.id = fmt::format("{}", box_index);
      ob.cls = std::move(*cls);
      ob.kind = GeometryKind::kBox3d;
      ob.box3d = GlobalToEgo(c, q, size, *s->second.ego);
      element e;
      double score = 0;
      if ((!o["detection_score"].get(e) || !o["tracking_score"].get(e)) && Num(e, score)) ob.score = score;
      const std::string track = Str(o, "tracking_id");
      if (!track.empty()) ob.track = track;
      std::vector<std::pair<std::string, std::string>> attrs;
      const std::string attr = Str(o, "attribute_name");
      if (!attr.empty()) attrs.emplace_back("attribute", Quoted(attr));
      std::array<double, 2> vel;
      if (Numbers(o, "velocity", vel)) {
        // Velocity is global: rotate it into the ego frame.
        const Transform to_ego = PoseTransform(*s->second.ego).Inverse();
        const Vec3 ve = to_ego.Rotate(Vec3{vel[0], vel[1], 0});
        attrs.emplace_back("vx", NumberText(ve[0]));
        attrs.emplace_back("vy", NumberText(ve[1]));
      }
      ob.attributes_json = ctx.AttributesJson(ob.cls, attrs, pos, where, out);
      r.labels.objects.push_back(std::move(ob));
      r.object_positions.push_back(pos);
      r.object_where.push_back(where);
    }
    out.records.push_back(std::move(r));
  }
  return Status::Ok();
}

Result<std::string> NuscenesResultsJson(const std::vector<const LabelRecord*>& records) {
  using nlohmann::ordered_json;
  ordered_json results = ordered_json::object();
  for (const LabelRecord* r : records) {
    NuscenesPose ego;
    auto pose = nlohmann::json::parse(r->ego_pose_json.empty() ? std::string("null") : r->ego_pose_json, nullptr, false);
    if (pose.is_array() && pose.size() == 7) {
      ego.t = {pose[0].get<double>(), pose[1].get<double>(), pose[2].get<double>()};
      ego.q = {pose[3].get<double>(), pose[4].get<double>(), pose[5].get<double>(), pose[6].get<double>()};
    } else if (pose.is_array() && pose.size() == 4) {
      const double yaw = pose[3].get<double>();
      ego.t = {pose[0].get<double>(), pose[1].get<double>(), pose[2].get<double>()};
      ego.q = {std::cos(yaw / 2), 0, 0, std::sin(yaw / 2)};
    } else {
      return Status::BadInput(fmt::format("frame {}: no ego_pose: nuScenes results are global, the box cannot be "
                                          "placed", r->frame));
    }
    const Transform to_global = PoseTransform(ego);
    ordered_json boxes = ordered_json::array();
    for (const Object& o : r->objects) {
      if (o.kind != GeometryKind::kBox3d) continue;
      const Box3d& b = o.box3d;
      const Vec3 c = to_global.Apply(Vec3{b.x, b.y, b.z});
      const std::array<double, 4> qb{std::cos(b.yaw / 2), 0, 0, std::sin(b.yaw / 2)};
      const auto q = QMul(ego.q, qb);
      auto attrs = nlohmann::json::parse(o.attributes_json.empty() ? std::string("{}") : o.attributes_json, nullptr,
                                         false);
      double vx = 0, vy = 0;
      std::string attribute;
      if (attrs.is_object()) {
        if (attrs.contains("vx") && attrs["vx"].is_number()) vx = attrs["vx"].get<double>();
        if (attrs.contains("vy") && attrs["vy"].is_number()) vy = attrs["vy"].get<double>();
        if (attrs.contains("attribute") && attrs["attribute"].is_string()) attribute = attrs["attribute"];
      }
      const Vec3 vg = to_global.Rotate(Vec3{vx, vy, 0});
      ordered_json box{{"sample_token", r->frame},
                       {"translation", {c[0], c[1], c[2]}},
                       {"size", {b.w, b.l, b.h}},
                       {"rotation", {q[0], q[1], q[2], q[3]}},
                       {"velocity", {vg[0], vg[1]}},
                       {"detection_name", o.cls},
                       {"detection_score", o.score ? *o.score : 1.0},
                       {"attribute_name", attribute}};
      if (!o.track.empty()) {
        box["tracking_id"] = o.track;
        box["tracking_name"] = o.cls;
        box["tracking_score"] = o.score ? *o.score : 1.0;
      }
      boxes.push_back(box);
    }
    results[r->frame] = boxes;
  }
  ordered_json doc{{"meta",
                    {{"use_camera", false}, {"use_lidar", true}, {"use_radar", false}, {"use_map", false},
                     {"use_external", false}}},
                   {"results", results}};
  return doc.dump();
}

}  // namespace gtops::interop
