// The demo world compiled for generation: the chosen pipelines, vendors and annotators, and the
// faults resolved to indices so a condition test is a few integer compares. Built once per
// WriteDemoProgram call and read-only afterwards, so worker threads share it freely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "demo/catalog.h"
#include "demo/sink.h"

namespace gtops {
struct DemoOptions;
}

namespace gtops::demo {

inline constexpr int64_t kHourMs = 3600 * 1000;
inline constexpr int64_t kDayMs = 24 * kHourMs;
inline constexpr int64_t kStartMs = int64_t{1772409600} * 1000;  // 2026-03-02T00:00:00Z, a Monday
inline constexpr int64_t kDurationMs = 56 * kDayMs;  // tasks are created over eight weeks
inline constexpr int64_t kNowMs = kStartMs + 57 * kDayMs;  // the data stands as of this instant
inline constexpr double kSpecSwitchShare = 0.42;  // spec 3.2 replaces 3.1 at this share of time
inline constexpr double kToolSwitchShare = 0.7;   // every vendor's tool updates here
inline constexpr int kMaxAttrs = 4;
inline constexpr int kSceneKeys = 4;  // weather, time_of_day, location, road

// A fault with its conditions as indices. Class-dependent parts (attributes) are resolved per
// class of the pipeline: -1 in attr_by_class means the class cannot match.
struct CompiledFault {
  std::string id;
  const FaultDef* def = nullptr;
  int pipeline = -1;
  ErrorType type = ErrorType::kMissing;
  int vendor = -1, cls = -1, spec = -1;  // spec: 0 = "3.1", 1 = "3.2"
  std::string annotator;
  std::vector<std::pair<int, int>> scene;                   // (scene key, value)
  std::vector<std::vector<std::pair<int, int>>> attr_by_class;  // (attr, value) per class
  std::vector<bool> class_ok;                               // attr conditions satisfiable
  bool has_range = false;
  double range_lo = 0, range_hi = 1e300;
  double rate = 0;
  int to_class = -1;
  std::vector<std::pair<int, int>> target_by_class;  // attribute faults: (attr, new value)
  int tag = -1, tag_value = -1;                       // tag faults
};

struct PipelineRt {
  const PipelineDef* def = nullptr;
  uint64_t key = 0;
  std::vector<int> vendors;  // world vendor indices
  std::vector<double> shares;
  std::vector<double> class_freq;
  std::vector<int> confuse;  // background wrong_class target per class, -1 = none
  std::vector<const CompiledFault*> faults;
};

struct World {
  const DemoOptions* options = nullptr;
  Compression compression = Compression::kNone;
  std::string dir;
  std::vector<VendorDef> vendors;
  std::vector<std::vector<std::string>> annotators;  // per vendor
  std::vector<PipelineDef> defs;                     // the chosen pipelines
  std::vector<PipelineRt> pipes;
  std::vector<SceneKeyDef> scene_keys, tag_keys;
  std::vector<std::string> highway_locations;
  std::vector<FaultDef> fault_defs;                  // the chosen faults, ids set
  std::vector<CompiledFault> faults;
  std::vector<OpsFaultDef> ops;                      // the chosen ops faults, ids set
  int scenes_per_chunk = 1;

  int VendorIndex(const std::string& id) const;
  int64_t SpecSwitchMs() const;
};

// Validates the options and builds the world.
Result<World> BuildWorld(const DemoOptions& options, const std::string& dir);

}  // namespace gtops::demo
