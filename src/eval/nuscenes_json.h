// Reader of the nuScenes detection results format for the detection metrics
// (quality/nuscenes_metrics.h):
//
//   {"meta": {...}, "results": {"<sample_token>": [{"translation": [x, y, z],
//     "size": [w, l, h], "rotation": [w, x, y, z], "velocity": [vx, vy],
//     "detection_name": "car", "detection_score": 0.7, "attribute_name": "vehicle.parked"}, ...]}}
//
// as nuscenes-devkit's DetectionBox reads it: detection_score defaults to -1 and attribute_name
// to "" (none); other members (sample_token, ego_translation, num_pts, ...) are ignored, except
// that a sample_token differing from its key is an error. Both ground truth and predictions use
// this format. Errors name the file and the box: `pred.json: results["s1"][3]: size: expected 3
// numbers`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "quality/nuscenes_metrics.h"

namespace gtops::eval {

using quality::NuscenesBox;
using quality::NuscenesSample;

// One file's boxes: sample tokens in file order, the boxes of each.
struct NuscenesResults {
  std::vector<std::string> tokens;
  std::vector<std::vector<NuscenesBox>> boxes;
};

// Parses the JSON text; `file_name` prefixes error messages. Rejects unknown detection or
// attribute names, non-finite numbers (velocity may be null: unknown) and negative sizes.
Result<NuscenesResults> ParseNuscenesResults(std::string_view json, std::string_view file_name);

// Pairs ground truth with predictions by sample token, in the predictions' order (which ranks
// equal scores). The two must cover the same samples, as the devkit requires.
Result<std::vector<NuscenesSample>> PairNuscenesSamples(NuscenesResults gt, NuscenesResults pred);

// Reads and pairs the two files (parsed on two threads).
Result<std::vector<NuscenesSample>> ReadNuscenesDetection(const std::string& gt_path,
                                                          const std::string& pred_path);

}  // namespace gtops::eval
