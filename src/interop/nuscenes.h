// nuScenes tables and detection results (docs/formats.md "nuScenes").
//
// Boxes are given in the global frame: centre `translation` (m), `size` = [width, length, height],
// `rotation` a quaternion [w, x, y, z] about global axes. The ego pose of a sample (ego_pose of its
// key-frame LIDAR_TOP sample_data; the first key-frame sample_data when there is no LIDAR_TOP) maps
// ego to global: X_global = R_e X_ego + t_e. A box goes to the ego frame as c_ego = R_e^T (c - t_e),
// q_ego = q_e^-1 q, yaw = heading of the box's +x axis (its length) in the ego x-y plane.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "interop/convert.h"

namespace gtops::interop {

struct NuscenesPose {
  Vec3 t{0, 0, 0};
  std::array<double, 4> q{1, 0, 0, 0};  // w, x, y, z
};

struct NuscenesAnnotation {
  std::string token, sample_token, instance_token, visibility_token;
  std::vector<std::string> attribute_tokens;
  Vec3 translation{}, size{};
  std::array<double, 4> rotation{1, 0, 0, 0};
  int64_t num_lidar_pts = -1, num_radar_pts = -1;
  int64_t index = 0;  // position in sample_annotation.json (0-based)
  std::string raw;
};

struct NuscenesSample {
  std::string token, scene_token;
  double timestamp = 0;  // microseconds
  std::optional<NuscenesPose> ego;  // from the key-frame sample_data's ego_pose
};

// The tables an import reads, resolved: samples with their ego poses, names of categories (by
// instance), attributes and visibility levels, scene names.
struct NuscenesTables {
  std::string folder;
  std::map<std::string, NuscenesSample, std::less<>> samples;
  std::vector<std::string> sample_order;                      // tokens as listed
  std::map<std::string, std::string, std::less<>> instance_category;  // instance -> category name
  std::map<std::string, std::string, std::less<>> attribute_names;
  std::map<std::string, std::string, std::less<>> visibility_levels;
  std::map<std::string, std::string, std::less<>> scene_names;
  std::vector<NuscenesAnnotation> annotations;
};

// Parses the tables from their JSON texts (table name -> text; sample, sample_data, ego_pose,
// sample_annotation and instance, category required; calibrated_sensor, sensor, attribute,
// visibility, scene optional). BadInput "<table>.json: ..." for a table that does not parse.
Result<NuscenesTables> ParseNuscenesTables(const std::map<std::string, std::string>& texts, std::string folder);
// Reads the tables of a folder (v1.0-mini/ and the like).
Result<NuscenesTables> ReadNuscenesTables(const std::string& folder);

// One record per sample (frame = sample token, task "nuscenes:<scene name>", timestamp s), objects
// from sample_annotation (track = instance token, class = category name, attributes "attribute"
// (names joined by ",") and "visibility", num_points = num_lidar_pts when >= 0). An annotation
// whose sample, instance or sample ego pose is missing is an issue at sample_annotation[i].
Status ConvertNuscenesTables(const NuscenesTables& t, const ConvertContext& ctx, ConvertOutput& out);

// A detection (or tracking) results file; `tables` give the samples' ego poses (required).
Status ConvertNuscenesResults(std::string_view json, const NuscenesTables* tables, const ConvertContext& ctx,
                              ConvertOutput& out);

// Label records of a box3d pipeline with ego poses [x, y, z, qw, qx, qy, qz] (or [x, y, z, yaw])
// as a detection results file: frames are the sample tokens; boxes back in the global frame;
// detection_score the score (1 when absent); velocity from attributes "vx", "vy" (else 0).
Result<std::string> NuscenesResultsJson(const std::vector<const LabelRecord*>& records);

}  // namespace gtops::interop
