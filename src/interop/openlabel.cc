#include "interop/openlabel.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "interop/json_values.h"

namespace gtops::interop {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

// Numbers as numbers, or as strings holding one (OSDaR23 timestamps).
bool Num(element e, double& v) { return JsonNumber(e, v, true); }

bool Numbers(element e, std::vector<double>& v) {
  v.clear();
  if (e.type() != element_type::ARRAY) return false;
  for (element x : array(e)) {
    double d;
    if (!Num(x, d)) return false;
    v.push_back(d);
  }
  return true;
}

// A `transform_data` / `pose_wrt_parent` value: matrix4x4, quaternion + translation, or
// euler_angles (+ sequence, ZYX only) + translation. nullopt when it is none of them.
std::optional<Transform> ParsePose(element e, std::string& why) {
  if (e.type() != element_type::OBJECT) {
    why = "not an object";
    return std::nullopt;
  }
  object o(e);
  std::vector<double> v, t;
  element x;
  Transform tr;
  if (!o["matrix4x4"].get(x)) {
    if (!Numbers(x, v) || v.size() != 16) {
      why = "matrix4x4 needs 16 numbers";
      return std::nullopt;
    }
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) tr.r[r][c] = v[r * 4 + c];
      tr.t[r] = v[r * 4 + 3];
    }
    return tr;
  }
  if (!o["translation"].get(x)) {
    if (!Numbers(x, t) || t.size() != 3) {
      why = "translation needs 3 numbers";
      return std::nullopt;
    }
    tr.t = {t[0], t[1], t[2]};
  }
  if (!o["quaternion"].get(x)) {
    if (!Numbers(x, v) || v.size() != 4) {
      why = "quaternion needs 4 numbers (x, y, z, w)";
      return std::nullopt;
    }
    tr.r = QuaternionToMatrix(v[3], v[0], v[1], v[2]);
    return tr;
  }
  if (!o["euler_angles"].get(x)) {
    std::string_view seq = "ZYX";
    element s;
    if (!o["sequence"].get(s) && s.type() == element_type::STRING) seq = std::string_view(s);
    if (!Numbers(x, v) || v.size() != 3 || seq != "ZYX") {
      why = "euler_angles needs 3 numbers in the ZYX sequence";
      return std::nullopt;
    }
    // Written as [yaw(z), pitch(y), roll(x)] in the ZYX sequence.
    tr.r = EulerZyxToMatrix(v[2], v[1], v[0]);
    return tr;
  }
  why = "no matrix4x4, quaternion or euler_angles";
  return std::nullopt;
}

struct CoordSystem {
  std::string parent;
  std::optional<Transform> pose;  // child -> parent
};

class Frames {
 public:
  std::map<std::string, CoordSystem> systems;

  // The transform cs -> ego with the frame's overrides; nullopt and `why` when there is none.
  std::optional<Transform> ToEgo(const std::string& cs, const std::string& ego,
                                 const std::map<std::string, Transform>& overrides, std::string& why) const {
    if (systems.count(cs) == 0) {
      why = fmt::format("coordinate system \"{}\" is not defined in coordinate_systems", cs);
      return std::nullopt;
    }
    auto up = [&](const std::string& from, std::vector<std::pair<std::string, Transform>>& chain) -> bool {
      // chain: (system reached, transform from `from` into it)
      Transform acc;
      std::string at = from;
      chain.emplace_back(at, acc);
      std::set<std::string> seen{at};
      while (true) {
        auto it = systems.find(at);
        if (it == systems.end() || it->second.parent.empty()) return true;
        std::optional<Transform> pose = it->second.pose;
        if (auto o = overrides.find(at); o != overrides.end()) pose = o->second;
        if (!pose) return false;
        acc = acc.Then(*pose);
        at = it->second.parent;
        if (!seen.insert(at).second) return false;
        chain.emplace_back(at, acc);
      }
    };
    std::vector<std::pair<std::string, Transform>> a, b;
    const bool a_ok = up(cs, a), b_ok = up(ego, b);
    for (const auto& [na, ta] : a) {
      for (const auto& [nb, tb] : b) {
        if (na == nb) return ta.Then(tb.Inverse());
      }
    }
    why = fmt::format("no transform from coordinate system \"{}\" to the ego frame \"{}\"{}", cs, ego,
                      a_ok && b_ok ? "" : " (a pose on the way is missing)");
    return std::nullopt;
  }
};

// text / num / boolean / vec entries of an object_data as (name, JSON value) attributes.
void CollectAttributes(object data, std::vector<std::pair<std::string, std::string>>& attrs) {
  for (const char* type : {"text", "num", "boolean", "vec"}) {
    array list;
    if (data[type].get(list)) continue;
    for (element item : list) {
      if (item.type() != element_type::OBJECT) continue;
      object io(item);
      std::string_view name;
      element val;
      if (io["name"].get(name) || io["val"].get(val)) continue;
      std::string v;
      switch (val.type()) {
        case element_type::STRING: v = Quoted(std::string_view(val)); break;
        case element_type::BOOL: v = bool(val) ? "true" : "false"; break;
        case element_type::ARRAY: {  // vec: gtops attribute values are scalars; written joined by ","
          std::string joined;
          for (element x : array(val)) {
            if (!joined.empty()) joined += ',';
            double d;
            if (x.type() == element_type::STRING) {
              joined += std::string_view(x);
            } else if (Num(x, d)) {
              joined += NumberText(d);
            }
          }
          v = Quoted(joined);
          break;
        }
        default: {
          double d;
          if (!Num(val, d)) continue;
          v = NumberText(d);
        }
      }
      auto it = std::find_if(attrs.begin(), attrs.end(), [&](const auto& p) { return p.first == name; });
      if (it != attrs.end()) {
        it->second = v;
      } else {
        attrs.emplace_back(std::string(name), v);
      }
    }
  }
}

}  // namespace

Status ConvertOpenlabel(std::string_view json, const OpenlabelInput& in, const ConvertContext& ctx,
                        ConvertOutput& out) {
  const GeometryKind geom = ctx.pipe.geometry;
  if (geom == GeometryKind::kMask || geom == GeometryKind::kTags) {
    return Status::BadInput(fmt::format("OpenLABEL import has no {} geometry (pipeline \"{}\")", Name(geom), ctx.pipe.id));
  }
  thread_local simdjson::dom::parser parser;  // buffers reused across files, as in ConvertCoco
  simdjson::padded_string padded(json);
  element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return Status::BadInput(fmt::format("not JSON: {}", simdjson::error_message(err)));
  }
  object root;
  if (doc.type() != element_type::OBJECT || object(doc)["openlabel"].get(root)) {
    return Status::BadInput("not an OpenLABEL file (no top-level \"openlabel\" object)");
  }
  Frames frames;
  object cs_obj;
  if (!root["coordinate_systems"].get(cs_obj)) {
    for (auto [name, e] : cs_obj) {
      CoordSystem cs;
      if (e.type() == element_type::OBJECT) {
        std::string_view parent;
        if (!object(e)["parent"].get(parent)) cs.parent = std::string(parent);
        element pose;
        if (!object(e)["pose_wrt_parent"].get(pose)) {
          std::string why;
          cs.pose = ParsePose(pose, why);
          if (!cs.pose) {
            out.issues.push_back(ConvertIssue{0, fmt::format("coordinate_systems.{}: pose_wrt_parent: {}", name, why),
                                              simdjson::minify(pose)});
          }
        }
      }
      frames.systems[std::string(name)] = cs;
    }
  }
  std::string ego = in.ego_frame;
  if (ego.empty()) {
    for (const char* c : {"vehicle-iso8855", "base"}) {
      if (frames.systems.count(c)) {
        ego = c;
        break;
      }
    }
  }
  if (ego.empty()) {
    for (const auto& [n, c] : frames.systems) {
      if (c.parent.empty()) {
        ego = n;
        break;
      }
    }
  }
  if (!ego.empty() && !frames.systems.empty() && frames.systems.count(ego) == 0) {
    return Status::Usage(fmt::format("ego frame \"{}\" is not a coordinate system of the file", ego));
  }
  // Objects: type and static attributes.
  struct ObjInfo {
    std::string type;
    std::vector<std::pair<std::string, std::string>> attrs;
  };
  std::map<std::string, ObjInfo> objects;
  object objs;
  if (!root["objects"].get(objs)) {
    for (auto [id, e] : objs) {
      ObjInfo info;
      if (e.type() == element_type::OBJECT) {
        std::string_view type;
        if (!object(e)["type"].get(type)) info.type = std::string(type);
        object data;
        if (!object(e)["object_data"].get(data)) CollectAttributes(data, info.attrs);
      }
      objects[std::string(id)] = std::move(info);
    }
  }
  const bool gold = ctx.options.source == Source::kGold;
  const bool model = ctx.options.source == Source::kModel;
  const std::string task = "openlabel:" + ctx.stem;
  object frames_obj;
  if (root["frames"].get(frames_obj)) return Status::Ok();  // no frames: nothing per frame
  // Frames in numeric order.
  std::vector<std::pair<int64_t, element>> ordered;
  for (auto [key, e] : frames_obj) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), n);
    if (ec != std::errc() || p != key.data() + key.size()) {
      out.issues.push_back(ConvertIssue{0, fmt::format("frames.{}: a frame key must be an integer", key), ""});
      continue;
    }
    ordered.emplace_back(n, e);
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t pos = 0;
  std::vector<double> v;
  struct ToEgoResult {
    std::optional<Transform> transform;
    std::string why;
  };
  std::vector<std::pair<std::string, ToEgoResult>> file_to_ego, frame_to_ego;
  std::string where;
  const std::string no_type;
  std::vector<std::pair<std::string, std::string>> attrs, oattrs;  // reused: their strings keep their room
  for (const auto& frame_entry : ordered) {
    const int64_t n = frame_entry.first;  // a plain variable: lambdas below capture it
    const element fe = frame_entry.second;
    ++pos;
    if (fe.type() != element_type::OBJECT) continue;
    object fo(fe);
    std::optional<double> timestamp;
    std::map<std::string, Transform> overrides;
    std::string ego_pose;
    object props;
    if (!fo["frame_properties"].get(props)) {
      element ts;
      double t = 0;
      if (!props["timestamp"].get(ts) && Num(ts, t)) timestamp = t;
      object transforms;
      if (!props["transforms"].get(transforms)) {
        for (auto [tname, te] : transforms) {
          if (te.type() != element_type::OBJECT) continue;
          std::string_view src, dst;
          element data;
          if (object(te)["src"].get(src) || object(te)["dst"].get(dst) ||
              object(te)["transform_src_to_dst"].get(data)) {
            continue;
          }
          std::string why;
          auto tr = ParsePose(data, why);
          if (!tr) {
            out.issues.push_back(ConvertIssue{pos, fmt::format("frames.{}.frame_properties.transforms.{}: {}", n, tname, why),
                                              simdjson::minify(data)});
            continue;
          }
          auto s = frames.systems.find(std::string(src));
          auto d = frames.systems.find(std::string(dst));
          if (s != frames.systems.end() && s->second.parent == dst) {
            overrides[std::string(src)] = *tr;
          } else if (d != frames.systems.end() && d->second.parent == src) {
            overrides[std::string(dst)] = tr->Inverse();
          }
          if (src == ego) {  // the ego's pose in its parent (odometry) frame
            const auto q = MatrixToQuaternion(tr->r);
            ego_pose = "[";
            for (double x : {tr->t[0], tr->t[1], tr->t[2], q[0], q[1], q[2], q[3]}) {
              if (ego_pose.size() > 1) ego_pose += ',';
              AppendNumber(x, ego_pose);
            }
            ego_pose += ']';
          }
        }
      }
    }
    if (!timestamp) timestamp = static_cast<double>(n) / ctx.options.fps;  // no clock: frame / fps
    // cs -> ego per coordinate system, worked out once: for the file while no frame overrides a
    // pose, else for this frame.
    if (!overrides.empty()) frame_to_ego.clear();
    auto& to_ego_cache = overrides.empty() ? file_to_ego : frame_to_ego;
    auto to_ego_of = [&](const std::string& cs) -> const ToEgoResult& {
      for (const auto& [name, result] : to_ego_cache) {
        if (name == cs) return result;
      }
      ToEgoResult r;
      r.transform = frames.ToEgo(cs, ego, overrides, r.why);
      return to_ego_cache.emplace_back(cs, std::move(r)).second;
    };
    // Records of this frame: one for 3D geometry, one per stream for 2D.
    std::map<std::string, size_t> records;
    const bool per_stream = geom == GeometryKind::kBox2d || geom == GeometryKind::kPolygon ||
                            (geom == GeometryKind::kPolyline && ctx.pipe.units == "px");
    size_t frame_record = 0;  // the one record of the frame when not per stream
    auto record = [&](const std::string& cs_name) -> ConvertedRecord& {
      if (!per_stream && !records.empty()) return out.records[frame_record];
      const std::string stream = cs_name.empty() ? std::string("camera") : cs_name;
      const std::string key = per_stream ? stream : std::string();
      auto [it, inserted] = records.emplace(key, out.records.size());
      if (inserted) {
        ConvertedRecord r;
        r.labels = ctx.NewRecord(task, per_stream ? fmt::format("{}/{}/{}", ctx.stem, n, stream)
                                                  : fmt::format("{}/{}", ctx.stem, n));
        r.labels.timestamp = timestamp;
        r.labels.sensor = per_stream ? stream : std::string();
        r.labels.ego_pose_json = ego_pose;
        r.position = pos;
        out.records.push_back(std::move(r));
      }
      frame_record = it->second;
      return out.records[it->second];
    };
    if (!per_stream) record("");
    object fobjs;
    if (fo["objects"].get(fobjs)) continue;
    for (auto [oid_view, oe] : fobjs) {
      const std::string oid(oid_view);
      object data;
      if (oe.type() != element_type::OBJECT || object(oe)["object_data"].get(data)) continue;
      auto info_it = objects.find(oid);
      const std::string& type = info_it != objects.end() ? info_it->second.type : no_type;
      const bool dont_care = type == "DontCare" || type == "dontcare";
      attrs.clear();
      if (info_it != objects.end()) attrs = info_it->second.attrs;
      CollectAttributes(data, attrs);
      for (auto [type_key, list] : data) {
        if (list.type() != element_type::ARRAY) continue;
        const std::string gtype(type_key);
        if (gtype == "text" || gtype == "num" || gtype == "boolean" || gtype == "vec") continue;
        int64_t k = -1;
        for (element item : array(list)) {
          ++k;
          if (item.type() != element_type::OBJECT) continue;
          object io(item);
          where.assign("frames.");
          AppendInt(n, where);
          where.append(".objects.").append(oid).append(".object_data.").append(gtype).append(1, '[');
          AppendInt(k, where);
          where += ']';
          auto issue = [&](std::string why) {
            out.issues.push_back(ConvertIssue{pos, fmt::format("{}: {}", where, why), simdjson::minify(item)});
          };
          std::string_view cs_view, name_view;
          const bool has_cs = !io["coordinate_system"].get(cs_view);
          if (io["name"].get(name_view)) name_view = gtype;
          const std::string cs(cs_view);
          element val;
          if (io["val"].get(val)) {
            issue("no val");
            continue;
          }
          // The transform of the item's coordinate system into the ego frame (identity without one).
          auto ego_transform = [&](Transform& t) {
            if (!has_cs) return true;
            const ToEgoResult& found = to_ego_of(cs);
            if (!found.transform) {
              issue(found.why);
              return false;
            }
            t = *found.transform;
            return true;
          };
          Object o;
          o.kind = geom;
          bool take = false;
          if (gtype == "cuboid" && geom == GeometryKind::kBox3d) {
            if (dont_care) {
              out.Skip("DontCare cuboid: not an object");
              continue;
            }
            if (!Numbers(val, v) || (v.size() != 10 && v.size() != 9)) {
              issue("a cuboid needs 10 numbers (quaternion form) or 9 (Euler form)");
              continue;
            }
            Transform to_ego;
            if (!ego_transform(to_ego)) continue;
            const Mat3 r = v.size() == 10 ? QuaternionToMatrix(v[6], v[3], v[4], v[5]) : EulerZyxToMatrix(v[3], v[4], v[5]);
            const Vec3 size = v.size() == 10 ? Vec3{v[7], v[8], v[9]} : Vec3{v[6], v[7], v[8]};
            o.box3d = CuboidToBox3d(to_ego.Apply(Vec3{v[0], v[1], v[2]}), Multiply(to_ego.r, r), size);
            take = true;
          } else if (gtype == "bbox" && geom == GeometryKind::kBox2d) {
            if (!Numbers(val, v) || v.size() != 4) {
              issue("a bbox needs 4 numbers [cx, cy, w, h]");
              continue;
            }
            const Box2d b{v[0] - v[2] / 2, v[1] - v[3] / 2, v[2], v[3]};
            if (dont_care) {
              if (!gold) {
                out.Skip("DontCare: ignore regions are only for gold records");
                continue;
              }
              std::string& ig = record(cs).labels.ignore_json;
              ig += ig.empty() ? "[" : ",";
              ig += fmt::format("[{},{},{},{}]", NumberText(b.x), NumberText(b.y), NumberText(b.w), NumberText(b.h));
              ++out.ignore_regions;
              continue;
            }
            o.box2d = b;
            take = true;
          } else if (gtype == "poly2d" && (geom == GeometryKind::kPolygon || (geom == GeometryKind::kPolyline && per_stream))) {
            bool closed = false;
            element c;
            if (!io["closed"].get(c) && c.type() == element_type::BOOL) closed = bool(c);
            std::string_view mode = "MODE_POLY2D_ABSOLUTE";
            element m;
            if (!io["mode"].get(m) && m.type() == element_type::STRING) mode = std::string_view(m);
            if (mode != "MODE_POLY2D_ABSOLUTE") {
              issue(fmt::format("poly2d mode {} (chain code) is not read; only MODE_POLY2D_ABSOLUTE", mode));
              continue;
            }
            if (closed != (geom == GeometryKind::kPolygon)) {
              out.Skip(closed ? "closed poly2d: pipeline geometry is polyline" : "open poly2d: pipeline geometry is polygon");
              continue;
            }
            if (!Numbers(val, v) || v.size() % 2 != 0) {
              issue("poly2d needs an even count of numbers");
              continue;
            }
            std::string g = "[";
            for (size_t i = 0; i + 1 < v.size(); i += 2) {
              g += i ? ",[" : "[";
              AppendNumber(v[i], g);
              g += ',';
              AppendNumber(v[i + 1], g);
              g += ']';
            }
            o.geometry_json = g + "]";
            take = true;
          } else if (gtype == "poly3d" && geom == GeometryKind::kPolyline && !per_stream) {
            if (!Numbers(val, v) || v.size() % 3 != 0) {
              issue("poly3d needs a multiple of 3 numbers");
              continue;
            }
            Transform to_ego;
            if (!ego_transform(to_ego)) continue;
            std::string g = "[";
            for (size_t i = 0; i + 2 < v.size(); i += 3) {
              const Vec3 p = to_ego.Apply(Vec3{v[i], v[i + 1], v[i + 2]});
              g += i ? ",[" : "[";
              AppendNumber(p[0], g);
              g += ',';
              AppendNumber(p[1], g);
              g += ',';
              AppendNumber(p[2], g);
              g += ']';
            }
            o.geometry_json = g + "]";
            take = true;
          }
          if (!take) {
            out.Skip(fmt::format("{}: pipeline geometry is {}", gtype, Name(geom)));
            continue;
          }
          if (dont_care) continue;
          const std::optional<std::string>& cls =
              ctx.MapClassLazy(type, pos, where, [item] { return simdjson::minify(item); }, out);
          if (!cls) continue;
          o.cls = *cls;
          o.track = oid;
          oattrs = attrs;
          object nested;
          if (!io["attributes"].get(nested)) CollectAttributes(nested, oattrs);
          if (model) {
            auto s = std::find_if(oattrs.begin(), oattrs.end(), [](const auto& p) { return p.first == "score"; });
            if (s != oattrs.end()) {
              double d = 0;
              auto [pp, ec] = std::from_chars(s->second.data(), s->second.data() + s->second.size(), d);
              if (ec == std::errc() && pp == s->second.data() + s->second.size()) o.score = d;
              oattrs.erase(s);
            }
          }
          ConvertedRecord& rec = record(cs);
          o.id = oid;
          for (const Object& other : rec.labels.objects) {
            if (other.id == o.id) {
              o.id = fmt::format("{}/{}", oid, name_view);
              break;
            }
          }
          o.attributes_json = ctx.AttributesJson(o.cls, oattrs, pos, where, out);
          rec.labels.objects.push_back(std::move(o));
          rec.object_positions.push_back(pos);
          rec.object_where.push_back(where);
        }
      }
    }
  }
  for (ConvertedRecord& r : out.records) {
    if (!r.labels.ignore_json.empty()) r.labels.ignore_json += ']';
  }
  return Status::Ok();
}

Result<std::string> OpenlabelJson(const std::vector<const LabelRecord*>& records, const PipelineSpec& pipe) {
  using nlohmann::ordered_json;
  const GeometryKind geom = pipe.geometry;
  if (geom == GeometryKind::kMask || geom == GeometryKind::kTags) {
    return Status::Usage(fmt::format("OpenLABEL export has no {} geometry", Name(geom)));
  }
  ordered_json objects = ordered_json::object(), frames = ordered_json::object();
  ordered_json streams = ordered_json::object();
  std::map<std::string, std::string> object_ids;  // track (or frame/id) -> OpenLABEL object id
  std::map<std::string, int64_t> frame_numbers;   // frame id without the stream -> number
  std::map<std::string, std::pair<int64_t, int64_t>> intervals;
  auto attr_data = [](const std::string& attributes_json, ordered_json& data) {
    if (attributes_json.empty()) return;
    auto a = nlohmann::json::parse(attributes_json, nullptr, false);
    if (!a.is_object()) return;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const char* type = it->is_boolean() ? "boolean" : it->is_number() ? "num" : "text";
      data[type].push_back(ordered_json{{"name", it.key()}, {"val", *it}});
    }
  };
  for (const LabelRecord* r : records) {
    std::string base = r->frame;
    if (!r->sensor.empty() && base.size() > r->sensor.size() + 1 &&
        base.compare(base.size() - r->sensor.size() - 1, std::string::npos, "/" + r->sensor) == 0) {
      base.resize(base.size() - r->sensor.size() - 1);
    }
    auto [fit, inserted] = frame_numbers.emplace(base, static_cast<int64_t>(frame_numbers.size()));
    const int64_t n = fit->second;
    const std::string fkey = fmt::format("{}", n);
    ordered_json& frame = frames[fkey];
    if (r->timestamp) frame["frame_properties"]["timestamp"] = *r->timestamp;
    frame["frame_properties"]["frame_id"] = base;
    const std::string stream = r->sensor.empty() ? std::string("camera") : r->sensor;
    if (geom != GeometryKind::kBox3d && !(geom == GeometryKind::kPolyline && pipe.units == "m")) {
      streams[stream] = ordered_json{{"type", "camera"}};
    }
    for (const Object& o : r->objects) {
      const std::string key = o.track.empty() ? base + "#" + o.id : o.track;
      auto [oit, new_object] = object_ids.emplace(key, fmt::format("{}", object_ids.size()));
      const std::string& oid = oit->second;
      if (new_object) {
        objects[oid] = ordered_json{{"name", o.track.empty() ? o.id : o.track}, {"type", o.cls}};
        intervals[oid] = {n, n};
      }
      intervals[oid].first = std::min(intervals[oid].first, n);
      intervals[oid].second = std::max(intervals[oid].second, n);
      ordered_json& data = frame["objects"][oid]["object_data"];
      ordered_json item;
      switch (o.kind) {
        case GeometryKind::kBox3d: {
          const Box3d& b = o.box3d;
          item = ordered_json{{"name", "shape"}, {"coordinate_system", "vehicle-iso8855"},
                              {"val", {b.x, b.y, b.z, 0.0, 0.0, std::sin(b.yaw / 2), std::cos(b.yaw / 2), b.l, b.w, b.h}}};
          data["cuboid"].push_back(item);
          break;
        }
        case GeometryKind::kBox2d: {
          const Box2d& b = o.box2d;
          item = ordered_json{{"name", "bbox-" + stream}, {"coordinate_system", stream},
                              {"val", {b.x + b.w / 2, b.y + b.h / 2, b.w, b.h}}};
          data["bbox"].push_back(item);
          break;
        }
        case GeometryKind::kPolygon:
        case GeometryKind::kPolyline: {
          auto g = nlohmann::json::parse(o.geometry_json, nullptr, false);
          const bool multi = g.is_array() && !g.empty() && g[0].is_array() && !g[0].empty() && g[0][0].is_array();
          std::vector<nlohmann::json> rings;
          if (multi) {
            for (const auto& rg : g) rings.push_back(rg);
          } else {
            rings.push_back(g);
          }
          const bool three_d = o.kind == GeometryKind::kPolyline && pipe.units == "m";
          int ring_no = 0;
          for (const auto& rg : rings) {
            ordered_json flat = ordered_json::array();
            for (const auto& pt : rg) {
              flat.push_back(pt[0].get<double>());
              flat.push_back(pt[1].get<double>());
              if (three_d) flat.push_back(pt.size() == 3 ? pt[2].get<double>() : 0.0);
            }
            const std::string name = fmt::format("{}{}", o.kind == GeometryKind::kPolygon ? "polygon" : "polyline",
                                                 ring_no++ ? fmt::format("-{}", ring_no) : std::string());
            if (three_d) {
              data["poly3d"].push_back(ordered_json{{"name", name}, {"coordinate_system", "vehicle-iso8855"},
                                                    {"closed", false}, {"val", flat}});
            } else {
              data["poly2d"].push_back(ordered_json{{"name", name}, {"coordinate_system", stream},
                                                    {"mode", "MODE_POLY2D_ABSOLUTE"},
                                                    {"closed", o.kind == GeometryKind::kPolygon}, {"val", flat}});
            }
          }
          break;
        }
        default: break;
      }
      attr_data(o.attributes_json, data);
      if (o.score) data["num"].push_back(ordered_json{{"name", "score"}, {"val", *o.score}});
    }
  }
  for (auto& [oid, iv] : intervals) {
    objects[oid]["frame_intervals"] = ordered_json::array({{{"frame_start", iv.first}, {"frame_end", iv.second}}});
  }
  ordered_json cs{{"vehicle-iso8855", {{"type", "local_cs"}, {"parent", ""}, {"children", ordered_json::array()}}}};
  for (auto it = streams.begin(); it != streams.end(); ++it) {
    cs["vehicle-iso8855"]["children"].push_back(it.key());
    cs[it.key()] = ordered_json{{"type", "sensor_cs"}, {"parent", "vehicle-iso8855"}, {"children", ordered_json::array()}};
  }
  ordered_json ol{{"metadata", {{"schema_version", "1.0.0"}, {"annotator", "gtops export"}}},
                  {"coordinate_systems", cs}};
  if (!streams.empty()) ol["streams"] = streams;
  ol["objects"] = objects;
  ol["frames"] = frames;
  if (!frame_numbers.empty()) {
    ol["frame_intervals"] = ordered_json::array(
        {{{"frame_start", 0}, {"frame_end", static_cast<int64_t>(frame_numbers.size()) - 1}}});
  }
  return ordered_json{{"openlabel", ol}}.dump();
}

}  // namespace gtops::interop
