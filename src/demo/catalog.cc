#include "demo/catalog.h"

#include <fmt/format.h>

namespace gtops::demo {
namespace {

AttrDef Moving(bool required) {
  return {"moving", {"true", "false"}, {1, 1}, true, required};
}
AttrDef Occlusion(bool required) {
  return {"occlusion", {"none", "partial", "heavy"}, {0.6, 0.3, 0.1}, false, required};
}
AttrDef Truncated() { return {"truncated", {"false", "true"}, {0.88, 0.12}, true, false}; }
AttrDef Values(std::string name, std::vector<std::string> values, std::vector<double> weights,
               bool required = false) {
  return {std::move(name), std::move(values), std::move(weights), false, required};
}
AttrDef Flag(std::string name, double p_true, bool required = false) {
  return {std::move(name), {"true", "false"}, {p_true, 1 - p_true}, true, required};
}

ClassDef Box3dClass(std::string name, double weight, double freq, double l, double w, double h,
                    bool center, double moving, double max_speed, std::vector<AttrDef> attrs,
                    std::string confuse = "") {
  ClassDef c;
  c.name = std::move(name);
  c.safety_weight = weight;
  c.freq = freq;
  c.l = l;
  c.w = w;
  c.h = h;
  c.center_match = center;
  c.moving_prob = moving;
  c.max_speed_mps = max_speed;
  c.attrs = std::move(attrs);
  c.confuse_with = std::move(confuse);
  return c;
}

ClassDef Box2dClass(std::string name, double weight, double freq, double w, double h,
                    double mount, std::vector<AttrDef> attrs, std::string confuse = "") {
  ClassDef c;
  c.name = std::move(name);
  c.safety_weight = weight;
  c.freq = freq;
  c.w = w;
  c.h = h;
  c.mount_height_m = mount;
  c.attrs = std::move(attrs);
  c.confuse_with = std::move(confuse);
  return c;
}

ClassDef PlainClass(std::string name, double freq, std::vector<AttrDef> attrs,
                    std::string confuse = "") {
  ClassDef c;
  c.name = std::move(name);
  c.freq = freq;
  c.attrs = std::move(attrs);
  c.confuse_with = std::move(confuse);
  return c;
}

AttrDef LightState() {
  return Values("state", {"red", "yellow", "green", "off", "unknown"},
                {0.42, 0.12, 0.4, 0.03, 0.03}, true);
}

std::string TomlValue(const AttrDef& a, const std::string& v) {
  return a.boolean ? v : fmt::format("\"{}\"", v);
}

std::string Num(double v) { return fmt::format("{:.2f}", v); }

}  // namespace

int ClassDef::AttrIndex(const std::string& attr) const {
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (attrs[i].name == attr) return static_cast<int>(i);
  }
  return -1;
}

int PipelineDef::ClassIndex(const std::string& cls) const {
  for (size_t i = 0; i < classes.size(); ++i) {
    if (classes[i].name == cls) return static_cast<int>(i);
  }
  return -1;
}

std::vector<VendorDef> Vendors() {
  return {
      {"northstar", "Northstar Annotation", false, 15, 2.6, 0.08, 22, 0.12, "ns-label"},
      {"kestrel", "Kestrel Data Services", false, 14, 2.1, 0.07, 26, 0.15, "kd-studio"},
      {"meridian", "Meridian Labeling", false, 12, 2.9, 0.09, 18, 0.10, "meri-tool"},
      {"inhouse", "In-house GT team", true, 9, 4.2, 0.12, 12, 0.06, "gt-annotate"},
  };
}

std::vector<SceneKeyDef> SceneKeys() {
  return {
      {"weather", {"clear", "cloudy", "rain", "fog", "snow"}, {0.5, 0.18, 0.18, 0.08, 0.06}},
      {"time_of_day", {"day", "dusk", "night"}, {0.58, 0.14, 0.28}},
      {"location",
       {"sf-mission", "sf-soma", "pit-strip", "phx-chandler", "aus-east", "sea-ballard"},
       {0.2, 0.2, 0.15, 0.2, 0.15, 0.1}},
      {"road", {"urban", "suburban", "rural", "highway"}, {0.45, 0.3, 0.15, 0.1}},
  };
}

std::vector<std::string> HighwayLocations() { return {"us-101", "i-280", "i-10", "sr-87"}; }

std::vector<SceneKeyDef> TagKeys() {
  std::vector<SceneKeyDef> keys = SceneKeys();
  keys.erase(keys.begin() + 2);  // location is metadata, not a tag
  keys.push_back({"traffic_density", {"low", "medium", "high"}, {0.4, 0.4, 0.2}});
  return keys;
}

std::vector<PipelineDef> Pipelines() {
  std::vector<PipelineDef> ps;
  {
    PipelineDef p;
    p.id = "lidar_urban";
    p.name = "Lidar 3D cuboids and tracks, urban";
    p.tracking = true;
    p.objects_per_frame = 22;
    p.model = "pointpillars-r7";
    p.seconds_per_object = 14;
    p.vendors = {"northstar", "kestrel"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        Box3dClass("car", 3, 10, 4.6, 1.9, 1.6, false, 0.55, 16, {Moving(true), Occlusion(false)}, "van"),
        Box3dClass("van", 3, 2, 5.2, 2.0, 2.1, false, 0.5, 14, {Moving(true), Occlusion(false)}, "car"),
        Box3dClass("truck", 3, 1.5, 8.5, 2.5, 3.3, false, 0.4, 12, {Moving(true), Occlusion(false)}),
        Box3dClass("bus", 3, 0.8, 11.5, 2.6, 3.2, false, 0.5, 12, {Moving(true), Occlusion(false)}),
        Box3dClass("pedestrian", 5, 6, 0.7, 0.65, 1.72, true, 0.6, 2.2,
                   {Moving(true), Occlusion(false), Values("age_group", {"adult", "child"}, {0.88, 0.12})}),
        Box3dClass("cyclist", 5, 1.5, 1.8, 0.7, 1.7, true, 0.85, 7, {Moving(true), Occlusion(false)}, "motorcyclist"),
        Box3dClass("motorcyclist", 4, 0.7, 2.1, 0.8, 1.6, true, 0.85, 14, {Moving(true), Occlusion(false)}, "cyclist"),
        Box3dClass("traffic_cone", 1, 2.5, 0.4, 0.4, 0.7, true, 0, 0, {Occlusion(false)}),
        Box3dClass("animal", 2, 0.3, 1.0, 0.45, 0.8, true, 0.5, 3, {Moving(false), Occlusion(false)}),
    };
    p.classes[0].kinematics = true;
    p.classes[4].kinematics = true;
    p.classes[5].kinematics = true;
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "lidar_highway";
    p.name = "Lidar 3D cuboids and tracks, highway";
    p.tracking = true;
    p.sla_hours = 120;
    p.objects_per_frame = 16;
    p.highway = true;
    p.seconds_per_object = 11;
    p.vendors = {"meridian", "inhouse"};
    p.vendor_share = {0.6, 0.4};
    p.classes = {
        Box3dClass("car", 3, 10, 4.7, 1.9, 1.6, false, 1, 36, {Moving(true), Occlusion(false)}, "van"),
        Box3dClass("van", 3, 2, 5.3, 2.0, 2.1, false, 1, 34, {Moving(true), Occlusion(false)}, "car"),
        Box3dClass("truck", 3, 3, 16.0, 2.55, 3.9, false, 1, 30, {Moving(true), Occlusion(false)}),
        Box3dClass("motorcyclist", 4, 0.5, 2.2, 0.85, 1.6, true, 1, 38, {Moving(true), Occlusion(false)}),
        Box3dClass("emergency_vehicle", 3, 0.2, 6.0, 2.2, 2.6, false, 1, 38,
                   {Moving(true), Occlusion(false), Values("siren", {"on", "off"}, {0.6, 0.4}, true)}),
    };
    p.classes[0].kinematics = true;
    p.classes[2].kinematics = true;
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "lidar_vru";
    p.name = "Vulnerable road users (lidar)";
    p.objects_per_frame = 9;
    p.seconds_per_object = 24;
    p.vendors = {"meridian", "inhouse"};
    p.vendor_share = {0.55, 0.45};
    p.classes = {
        Box3dClass("pedestrian", 5, 8, 0.7, 0.65, 1.72, true, 0.6, 2.2,
                   {Occlusion(true), Values("pose", {"standing", "walking", "sitting"}, {0.35, 0.55, 0.1}),
                    Values("age_group", {"adult", "child"}, {0.87, 0.13})}),
        Box3dClass("cyclist", 5, 2, 1.8, 0.7, 1.7, true, 0.85, 7, {Occlusion(true)}, "wheelchair_user"),
        Box3dClass("wheelchair_user", 5, 0.3, 1.1, 0.7, 1.3, true, 0.7, 2, {Occlusion(true)}, "cyclist"),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "lidar_work_zone";
    p.name = "Work zone objects (lidar)";
    p.objects_per_frame = 11;
    p.seconds_per_object = 12;
    p.vendors = {"northstar", "meridian"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        Box3dClass("traffic_cone", 1, 8, 0.4, 0.4, 0.7, true, 0, 0, {Occlusion(false)}),
        Box3dClass("barrier", 1, 4, 2.0, 0.5, 1.0, true, 0, 0, {Occlusion(false)}),
        Box3dClass("worker", 5, 2, 0.7, 0.65, 1.75, true, 0.5, 2,
                   {Occlusion(false), Flag("high_vis_vest", 0.85, true)}),
        Box3dClass("construction_vehicle", 3, 1, 7.0, 2.6, 3.2, false, 0.3, 5, {Moving(true), Occlusion(false)}),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "lidar_parked";
    p.name = "Parked vehicles (lidar)";
    p.objects_per_frame = 10;
    p.seconds_per_object = 9;
    p.vendors = {"kestrel", "inhouse"};
    p.vendor_share = {0.6, 0.4};
    p.classes = {
        Box3dClass("car", 3, 8, 4.6, 1.9, 1.6, false, 0, 0, {Occlusion(false), Flag("door_open", 0.04)}, "van"),
        Box3dClass("van", 3, 2, 5.2, 2.0, 2.1, false, 0, 0, {Occlusion(false), Flag("door_open", 0.05)}, "car"),
        Box3dClass("truck", 3, 1, 8.5, 2.5, 3.3, false, 0, 0, {Occlusion(false), Flag("door_open", 0.08)}),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "cam_front_2d";
    p.name = "Front camera 2D boxes";
    p.geometry = GeometryKind::kBox2d;
    p.objects_per_frame = 12;
    p.model = "yolo-gt-v9";
    p.seconds_per_object = 7;
    p.vendors = {"northstar", "kestrel"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        Box2dClass("car", 3, 8, 1.9, 1.5, 0, {Occlusion(true), Truncated()}, "truck"),
        Box2dClass("truck", 3, 1.5, 2.5, 3.2, 0, {Occlusion(true), Truncated()}, "car"),
        Box2dClass("pedestrian", 5, 4, 0.6, 1.7, 0, {Occlusion(true), Truncated()}),
        Box2dClass("cyclist", 5, 1.2, 0.7, 1.75, 0, {Occlusion(true), Truncated()}),
        Box2dClass("traffic_sign", 1, 2, 0.75, 0.75, 2.2,
                   {Values("sign_type", {"stop", "yield", "speed_limit", "other"}, {0.25, 0.1, 0.3, 0.35})}),
        Box2dClass("traffic_light", 2, 2, 0.35, 0.95, 4.5, {LightState()}),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "cam_surround_2d";
    p.name = "Surround cameras 2D boxes";
    p.geometry = GeometryKind::kBox2d;
    p.objects_per_frame = 8;
    p.sensor = "surround";
    p.seconds_per_object = 7;
    p.vendors = {"meridian", "kestrel"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        Box2dClass("car", 3, 8, 1.9, 1.5, 0, {Occlusion(true), Truncated()}),
        Box2dClass("pedestrian", 5, 4, 0.6, 1.7, 0, {Occlusion(true), Truncated()}),
        Box2dClass("cyclist", 5, 1.2, 0.7, 1.75, 0, {Occlusion(true), Truncated()}, "motorcyclist"),
        Box2dClass("motorcyclist", 4, 0.8, 0.8, 1.6, 0, {Occlusion(true), Truncated()}, "cyclist"),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "traffic_lights";
    p.name = "Traffic light boxes and state";
    p.geometry = GeometryKind::kBox2d;
    p.objects_per_frame = 3.5;
    p.seconds_per_object = 10;
    p.vendors = {"inhouse", "northstar"};
    p.vendor_share = {0.45, 0.55};
    p.classes = {
        Box2dClass("traffic_light", 2, 1, 0.35, 0.95, 4.5,
                   {LightState(), Values("arrow", {"none", "left", "right", "straight"}, {0.75, 0.15, 0.05, 0.05})}),
    };
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "lanes";
    p.name = "Lane lines and road edges (metres)";
    p.geometry = GeometryKind::kPolyline;
    p.objects_per_frame = 5;
    p.seconds_per_object = 30;
    p.vendors = {"kestrel", "meridian"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        PlainClass("lane_solid", 1, {Values("color", {"white", "yellow"}, {0.7, 0.3}, true)}, "lane_dashed"),
        PlainClass("lane_dashed", 1, {Values("color", {"white", "yellow"}, {0.85, 0.15}, true)}, "lane_solid"),
        PlainClass("road_edge", 1, {}),
        PlainClass("stop_line", 1, {}),
    };
    p.classes[1].safety_weight = 1.5;
    p.classes[3].safety_weight = 2;
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "crosswalks";
    p.name = "Crosswalk polygons (front camera)";
    p.geometry = GeometryKind::kPolygon;
    p.objects_per_frame = 1.4;
    p.seconds_per_object = 45;
    p.vendors = {"northstar", "inhouse"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {
        PlainClass("crosswalk", 1, {Values("marking", {"zebra", "ladder", "transverse"}, {0.5, 0.3, 0.2})}),
    };
    p.classes[0].safety_weight = 2;
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "drivable_area";
    p.name = "Drivable area masks (front camera, 1/15 scale)";
    p.geometry = GeometryKind::kMask;
    p.objects_per_frame = 1;
    p.seconds_per_object = 150;
    p.vendors = {"meridian", "inhouse"};
    p.vendor_share = {0.5, 0.5};
    p.classes = {PlainClass("drivable", 1, {})};
    ps.push_back(std::move(p));
  }
  {
    PipelineDef p;
    p.id = "scene_tags";
    p.name = "Scene classification tags";
    p.geometry = GeometryKind::kTags;
    p.sla_hours = 48;
    p.objects_per_frame = 0;
    p.seconds_per_object = 0;
    p.vendors = {"kestrel", "northstar"};
    p.vendor_share = {0.5, 0.5};
    ps.push_back(std::move(p));
  }
  return ps;
}

std::vector<FaultDef> FaultCatalog() {
  std::vector<FaultDef> f;
  auto add = [&f](std::string kind, std::string pipeline, ErrorType type, double rate) -> FaultDef& {
    FaultDef d;
    d.kind = std::move(kind);
    d.pipeline = std::move(pipeline);
    d.type = type;
    d.rate = rate;
    f.push_back(std::move(d));
    return f.back();
  };
  {
    FaultDef& d = add("far_miss_rain", "lidar_urban", ErrorType::kMissing, 0.45);
    d.vendor = "kestrel";
    d.scene = {{"weather", "rain"}};
    d.has_range = true;
    d.range_lo = 40;
    d.note = "kestrel skips sparse far returns in rain";
  }
  {
    FaultDef& d = add("ghost_boxes", "cam_front_2d", ErrorType::kExtra, 0.5);
    d.annotator = "northstar-007";
    d.note = "one annotator boxes reflections and poster figures (rate per frame)";
  }
  {
    FaultDef& d = add("night_moto_as_cyclist", "cam_surround_2d", ErrorType::kWrongClass, 0.5);
    d.vendor = "meridian";
    d.cls = "motorcyclist";
    d.scene = {{"time_of_day", "night"}};
    d.to_class = "cyclist";
    d.note = "motorcyclists at night labelled as cyclists";
  }
  {
    FaultDef& d = add("spec_tractor_only", "lidar_highway", ErrorType::kSize, 0.7);
    d.cls = "truck";
    d.spec_version = "3.1";
    d.note = "spec 3.1 read as 'box the tractor only': trucks 20-30% short";
  }
  {
    FaultDef& d = add("annotator_flip", "lidar_urban", ErrorType::kHeadingFlip, 0.4);
    d.annotator = "northstar-004";
    d.cls = "car";
    d.note = "one annotator draws cars backwards";
  }
  {
    FaultDef& d = add("occluded_offset", "lidar_vru", ErrorType::kPosition, 0.6);
    d.vendor = "meridian";
    d.cls = "pedestrian";
    d.attr = {{"occlusion", "heavy"}};
    d.note = "heavily occluded pedestrians placed on the visible part: 0.45-0.8 m off";
  }
  {
    FaultDef& d = add("night_light_state", "traffic_lights", ErrorType::kAttribute, 0.6);
    d.vendor = "northstar";
    d.attr = {{"state", "yellow"}};
    d.scene = {{"time_of_day", "night"}};
    d.attribute = "state";
    d.to_value = "red";
    d.note = "yellow lights read as red at night (glare)";
  }
  {
    FaultDef& d = add("dusk_as_day", "scene_tags", ErrorType::kTag, 0.6);
    d.vendor = "kestrel";
    d.scene = {{"time_of_day", "dusk"}};
    d.attribute = "time_of_day";
    d.to_value = "day";
    d.note = "dusk scenes tagged as day";
  }
  {
    FaultDef& d = add("lane_shift_rain", "lanes", ErrorType::kGeometry, 0.5);
    d.vendor = "kestrel";
    d.cls = "lane_dashed";
    d.scene = {{"weather", "rain"}};
    d.note = "dashed lanes drawn on the wet-road reflection: 0.5-0.9 m lateral offset";
  }
  {
    FaultDef& d = add("mask_horizon_cut", "drivable_area", ErrorType::kGeometry, 0.5);
    d.vendor = "meridian";
    d.scene = {{"road", "rural"}};
    d.note = "far drivable area cut off on unmarked rural roads (IoU 0.55-0.75)";
  }
  {
    FaultDef& d = add("crosswalk_snow_shrink", "crosswalks", ErrorType::kGeometry, 0.5);
    d.vendor = "northstar";
    d.scene = {{"weather", "snow"}};
    d.note = "snow-covered crosswalks drawn to the visible stripes only (IoU 0.58-0.67)";
  }
  {
    FaultDef& d = add("night_track_swap", "lidar_highway", ErrorType::kIdSwitch, 0.3);
    d.vendor = "inhouse";
    d.cls = "car";
    d.scene = {{"time_of_day", "night"}};
    d.note = "track ids swapped on cars at night (rate per track and task)";
  }
  return f;
}

std::vector<OpsFaultDef> OpsFaultCatalog() {
  return {
      {"", "sla_breach", "", "meridian", 0.55, 0.8, 3.0,
       "meridian's queue triples: turnaround misses the SLA"},
      {"", "rework_spike", "lidar_urban", "northstar", 0.3, 0.55, 3.5,
       "review failures on northstar's lidar_urban tasks rise 3.5x"},
      {"", "throughput_drop", "cam_front_2d", "kestrel", 0.3, 0.7, 0.25,
       "kestrel's cam_front_2d team shrinks to a quarter: 75% of its new tasks wait until the window closes"},
      {"", "cost_overrun", "lanes", "meridian", 0.5, 0.8, 1.6,
       "meridian bills its lanes tasks 60% more for the same work"},
  };
}

std::string ConfigToml(const std::vector<PipelineDef>& pipelines,
                       const std::vector<VendorDef>& vendors, uint64_t seed) {
  std::string out;
  auto w = [&out](std::string_view s) {
    out.append(s);
    out.push_back('\n');
  };
  w("[program]");
  w(fmt::format("name = \"gtops demo program (seed {})\"", seed));
  w("data = [\"data\"]");
  for (const VendorDef& v : vendors) {
    w("");
    w("[[vendors]]");
    w(fmt::format("id = \"{}\"", v.id));
    w(fmt::format("name = \"{}\"", v.name));
    w(fmt::format("cost_per_task_usd = {}", Num(v.cost_per_task_usd)));
    w(fmt::format("cost_per_object_usd = {}", Num(v.cost_per_object_usd)));
  }
  for (const PipelineDef& p : pipelines) {
    w("");
    w("[[pipelines]]");
    w(fmt::format("id = \"{}\"", p.id));
    w(fmt::format("name = \"{}\"", p.name));
    w(fmt::format("geometry = \"{}\"", Name(p.geometry)));
    w(fmt::format("tracking = {}", p.tracking ? "true" : "false"));
    w("spec_version = \"3.2\"");
    switch (p.geometry) {
      case GeometryKind::kBox3d:
        w("match = { bev_iou = 0.3 }");
        w("tolerances = { position_m = 0.3, size_rel = 0.10, heading_deg = 10.0 }");
        break;
      case GeometryKind::kBox2d:
      case GeometryKind::kPolygon:
        w("match = { iou = 0.5 }");
        w("tolerances = { min_iou = 0.75 }");
        break;
      case GeometryKind::kMask:
        w("match = { iou = 0.5 }");
        w("tolerances = { min_iou = 0.85 }");
        break;
      case GeometryKind::kPolyline:
        w("match = { polyline_match_m = 1.5 }");
        w("tolerances = { polyline_m = 0.3 }");
        break;
      case GeometryKind::kTags: break;
    }
    w(fmt::format("sla = {{ turnaround_hours = {} }}", p.sla_hours));
    for (const ClassDef& c : p.classes) {
      w("");
      w("  [[pipelines.classes]]");
      w(fmt::format("  name = \"{}\"", c.name));
      w(fmt::format("  safety_weight = {:.1f}", c.safety_weight));
      if (p.geometry == GeometryKind::kBox3d) {
        w(fmt::format("  size_prior_m = {{ l = [{}, {}], w = [{}, {}], h = [{}, {}] }}",
                      Num(c.l * 0.6), Num(c.l * 1.4), Num(c.w * 0.6), Num(c.w * 1.4),
                      Num(c.h * 0.6), Num(c.h * 1.4)));
        if (c.center_match) w("  match = { center_distance_m = 1.0 }");
      }
      std::string required;
      std::string allowed;
      for (const AttrDef& a : c.attrs) {
        if (a.required) required += fmt::format("{}\"{}\"", required.empty() ? "" : ", ", a.name);
        std::string values;
        for (const std::string& v : a.values) {
          values += fmt::format("{}{}", values.empty() ? "" : ", ", TomlValue(a, v));
        }
        allowed += fmt::format("{}{} = [{}]", allowed.empty() ? "" : ", ", a.name, values);
      }
      if (!required.empty()) w(fmt::format("  required_attributes = [{}]", required));
      if (!allowed.empty()) w(fmt::format("  attributes = {{ {} }}", allowed));
      if (c.kinematics) {
        // Limits well above the truth's motion, so only label errors break them.
        w(fmt::format("  kinematics = {{ max_speed_mps = {:.1f}, max_accel_mps2 = {:.1f}, "
                      "max_yaw_rate_dps = {:.1f} }}",
                      c.max_speed_mps * 1.5 + 2, c.center_match ? 6.0 : 8.0,
                      c.center_match ? 240.0 : 90.0));
      }
    }
    w("");
    w("  [pipelines.targets]");
    switch (p.geometry) {
      case GeometryKind::kBox3d:
        w("  recall = 0.98\n  precision = 0.98\n  class_accuracy = 0.98");
        w("  localization_accuracy = 0.97\n  position_error_p95_m = 0.2");
        w("  size_error_p95_rel = 0.06\n  heading_error_p95_deg = 4.0\n  mean_iou = 0.8");
        w("  attribute_accuracy = 0.97");
        if (p.tracking) w("  id_switch_rate = 0.005");
        w("  audit_pass_rate = 0.8\n  rework_rate = 0.25\n  on_time_rate = 0.93");
        w(fmt::format("  cost_per_accepted_task_usd = {}",
                      p.tracking ? "15.0" : "6.0"));
        break;
      case GeometryKind::kBox2d:
        w("  recall = 0.98\n  precision = 0.98\n  f1 = 0.98\n  class_accuracy = 0.98");
        w("  localization_accuracy = 0.97\n  attribute_accuracy = 0.97");
        w("  audit_pass_rate = 0.85\n  rework_rate = 0.25\n  on_time_rate = 0.95");
        break;
      case GeometryKind::kPolyline:
      case GeometryKind::kPolygon:
      case GeometryKind::kMask:
        w("  recall = 0.97\n  precision = 0.97\n  class_accuracy = 0.98");
        w("  geometry_accuracy = 0.96");
        w("  audit_pass_rate = 0.85\n  rework_rate = 0.25\n  on_time_rate = 0.95");
        break;
      case GeometryKind::kTags:
        w("  tag_accuracy = 0.97\n  audit_pass_rate = 0.9\n  on_time_rate = 0.97");
        break;
    }
    // A stricter bar for the safety-critical classes, and for the slices that matter most.
    for (const ClassDef& c : p.classes) {
      if (c.safety_weight >= 5 && p.geometry != GeometryKind::kTags) {
        w("");
        w(fmt::format("  [pipelines.targets.by_class.{}]", c.name));
        w("  recall = 0.99");
      }
    }
    if (p.id == "lidar_urban") {
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { class = \"pedestrian\", range_m = [0, 30] }");
      w("  recall = 0.995");
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { \"scene.weather\" = \"rain\", range_m = [40, 200] }");
      w("  recall = 0.95");
    } else if (p.id == "lidar_vru") {
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { class = \"pedestrian\", \"scene.time_of_day\" = \"night\" }");
      w("  localization_accuracy = 0.97");
    } else if (p.id == "traffic_lights") {
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { \"attr.state\" = \"yellow\" }");
      w("  attribute_accuracy = 0.98");
    } else if (p.id == "lidar_highway") {
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { class = \"truck\", spec_version = \"3.1\" }");
      w("  localization_accuracy = 0.95");
    } else if (p.id == "cam_front_2d") {
      w("");
      w("  [[pipelines.targets.slices]]");
      w("  where = { vendor = \"kestrel\", \"scene.time_of_day\" = \"night\" }");
      w("  recall = 0.97");
    }
  }
  return out;
}

}  // namespace gtops::demo
