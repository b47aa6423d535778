// What the demo world is made of: its vendors, its twelve pipelines with their classes and
// attribute vocabularies, the scene conditions, and the catalogue of faults it can inject. Plain
// data built on each call; ConfigToml renders the program's gtops.toml from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/records.h"

namespace gtops::demo {

struct AttrDef {
  std::string name;
  std::vector<std::string> values;  // as written in JSON: "true"/"false" for booleans
  std::vector<double> weights;      // how often each value is true
  bool boolean = false;
  bool required = false;
};

struct ClassDef {
  std::string name;
  double safety_weight = 1.0;
  double freq = 1.0;                 // relative frequency among the pipeline's objects
  double l = 0, w = 0, h = 0;        // box3d: mean size (m); box2d: physical width, height (m)
  bool center_match = false;         // box3d: per-class `center_distance_m = 1.0`
  double moving_prob = 0;            // share of objects in motion
  double max_speed_mps = 0;          // of truth motion; kinematics limits are written above it
  bool kinematics = false;           // write `kinematics` for this class
  double mount_height_m = 0;         // box2d: height of the object's bottom above the road
  std::string confuse_with;          // background wrong_class target ("" = none)
  std::vector<AttrDef> attrs;

  int AttrIndex(const std::string& attr) const;
};

struct PipelineDef {
  std::string id, name;
  GeometryKind geometry = GeometryKind::kBox3d;
  bool tracking = false;
  int sla_hours = 96;
  double objects_per_frame = 10;     // mean, before DemoOptions::objects_scale
  bool highway = false;              // its own highway drive logs
  std::string sensor;                // box2d: "" for a single camera, "surround" for several
  std::string model;                 // the model whose predictions are written ("" = none)
  double seconds_per_object = 20;    // hands-on labeling time
  std::vector<std::string> vendors;  // two vendors share the work
  std::vector<double> vendor_share;
  std::vector<ClassDef> classes;

  int ClassIndex(const std::string& cls) const;
};

struct VendorDef {
  std::string id, name;
  bool internal = false;
  int annotators = 10;
  double cost_per_task_usd = 0, cost_per_object_usd = 0;
  double queue_hours = 20;           // mean wait between assignment and work
  double review_fail = 0.1;          // base chance a review fails
  std::string tool;                  // labeling tool; its version changes during the program
};

// Scene conditions: each key with its values and how often each occurs.
struct SceneKeyDef {
  std::string key;
  std::vector<std::string> values;
  std::vector<double> weights;
};

// A systematic fault: an error type injected at `rate` where all conditions hold. Conditions
// describe the reference object and its frame (a cyclist labelled as a pedestrian has
// class = cyclist).
struct FaultDef {
  std::string id, kind, pipeline;
  ErrorType type = ErrorType::kMissing;
  std::string vendor, annotator, cls, spec_version;
  std::vector<std::pair<std::string, std::string>> scene;  // scene.<key> = value
  std::vector<std::pair<std::string, std::string>> attr;   // attr.<key> = value
  bool has_range = false;
  double range_lo = 0, range_hi = -1;                      // range_hi < 0: open
  double rate = 0;
  std::string to_class;                                    // wrong_class
  std::string attribute, to_value;                         // attribute / tag: name, new value
  std::string note;
};

// An operations fault over a share [from, to) of the program's time.
struct OpsFaultDef {
  std::string id, kind, pipeline, vendor;  // pipeline "" = all of the vendor's pipelines
  double from = 0, to = 0;
  double factor = 1;
  std::string note;
};

std::vector<VendorDef> Vendors();
std::vector<PipelineDef> Pipelines();
std::vector<SceneKeyDef> SceneKeys();        // weather, time_of_day, location, road
std::vector<std::string> HighwayLocations();
// Frame-level tags of the scene_tags pipeline: the scene keys except location, and density.
std::vector<SceneKeyDef> TagKeys();
std::vector<FaultDef> FaultCatalog();        // every object-level fault kind, ids unset
std::vector<OpsFaultDef> OpsFaultCatalog();  // every ops fault kind, ids unset

// The program's gtops.toml for these pipelines and vendors.
std::string ConfigToml(const std::vector<PipelineDef>& pipelines,
                       const std::vector<VendorDef>& vendors, uint64_t seed);

}  // namespace gtops::demo
