// gtops.toml: the program's configuration (shared/FORMAT.md, "gtops.toml"). LoadConfig validates
// the whole file and reports every problem with its line; unknown keys are errors, never ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace gtops {

struct MatchRule {
  enum class Kind { kNone, kIou, kBevIou, kCenterDistanceM, kPolylineMatchM };
  Kind kind = Kind::kNone;
  double value = 0;
};
std::string_view Name(MatchRule::Kind k);  // "iou", "bev_iou", "center_distance_m", ...

struct Tolerances {
  std::optional<double> position_m, size_rel, heading_deg;  // box3d
  std::optional<double> min_iou;                            // box2d, polygon, mask
  std::optional<double> polyline_m;                         // polyline
};

struct Range {  // half-open [lo, hi); nullopt for an open end
  std::optional<double> lo, hi;
  bool Contains(double v) const { return (!lo || v >= *lo) && (!hi || v < *hi); }
};

// An allowed attribute value: string, number or bool.
using AttributeValue = std::variant<std::string, double, bool>;

struct Kinematics {
  std::optional<double> max_speed_mps, max_accel_mps2, max_yaw_rate_dps;
};

struct ClassSpec {
  std::string name;
  double safety_weight = 1.0;
  std::optional<MatchRule> match;  // per-class override of the pipeline's rule
  std::optional<Range> size_l, size_w, size_h;  // size_prior_m
  std::vector<std::string> required_attributes;
  std::map<std::string, std::vector<AttributeValue>> attributes;  // allowed values
  std::optional<Kinematics> kinematics;
  int line = 0;
};

// One condition of a slice's `where`: a value to equal, or a numeric range.
struct Condition {
  std::string field;  // "vendor", "class", "scene.weather", "attr.moving", "range_m", ...
  std::variant<std::string, double, bool, Range> value;
  int line = 0;
};

// The metric names `targets` accepts (FORMAT.md), in FORMAT.md's order.
std::span<const std::string_view> TargetMetricNames();
// True when the measured value must be at least the target (rates and accuracies); false when it
// must be at most the target (id_switch_rate, rework_rate, *_p95_*, costs). False for unknown names.
bool MetricHigherIsBetter(std::string_view metric);

struct Target {
  std::string metric;  // one of the metric names of FORMAT.md
  double value = 0;
  int line = 0;
};

struct SliceTarget {
  std::vector<Condition> where;
  std::vector<Target> targets;
  int line = 0;
};

struct Targets {
  std::vector<Target> pipeline;
  std::map<std::string, std::vector<Target>> by_class;
  std::vector<SliceTarget> slices;
};

// Defaults of `gtops sample draw` ([sampling], and a pipeline's [pipelines.sampling] overrides;
// docs/config.md "Sampling"). Every field is optional: flags on the command line override, then
// the pipeline's table, then [sampling]. The plan is either risk-based (aql and ltpd, with alpha
// and beta) or fixed (n and c, a single plan); a table gives one or the other.
struct SamplingSpec {
  std::optional<std::string> plan;                 // "single", "double", "sprt"
  std::optional<double> aql, ltpd, alpha, beta;    // in (0, 1); aql < ltpd
  std::optional<int64_t> n, c;                     // fixed single plan: 1 <= n, 0 <= c < n
  std::optional<int64_t> budget;                   // >= 1
  std::optional<std::vector<std::string>> stratify;  // vendor, annotator, class_mix, scene.<key>
  std::optional<int64_t> seed;                     // >= 0
  int line = 0;                                    // of its table (0: not written)
};

struct PipelineSpec {
  std::string id, name;
  GeometryKind geometry = GeometryKind::kBox3d;
  bool tracking = false;
  std::string spec_version;
  std::string units = "m";  // polylines: "m" or "px"
  MatchRule match;
  Tolerances tolerances;
  std::optional<double> sla_turnaround_hours;
  std::vector<ClassSpec> classes;
  Targets targets;
  SamplingSpec sampling;  // [pipelines.sampling]: overrides of [sampling]
  int line = 0;

  const ClassSpec* FindClass(std::string_view name) const;
};

struct VendorSpec {
  std::string id, name;
  std::optional<double> cost_per_task_usd, cost_per_object_usd;
  int line = 0;
};

struct ProgramConfig {
  std::string name;
  std::vector<std::string> data;  // folders read by ingest, relative to the program folder
  std::vector<VendorSpec> vendors;
  std::vector<PipelineSpec> pipelines;
  SamplingSpec sampling;          // [sampling]: defaults of `gtops sample draw`
  std::string source_path;        // the gtops.toml it was read from ("" when parsed from text)

  const PipelineSpec* FindPipeline(std::string_view id) const;
  const VendorSpec* FindVendor(std::string_view id) const;
  // The sampling defaults of a pipeline: [sampling] with the pipeline's own keys over it, key by
  // key, except that a plan is risk-based or fixed: the pipeline's n or c drops the defaults' aql
  // and ltpd, its aql or ltpd drops their n and c.
  SamplingSpec SamplingFor(std::string_view pipeline_id) const;
};

// Parses and validates gtops.toml text. `source_name` prefixes messages ("gtops.toml:12: ...").
// On error the Status (kBadConfig) lists every problem found, one per line, each
// "<source_name>:<line>: <what is wrong>" (docs/config.md). Numeric ranges are written [lo, hi]
// (inf / -inf for an open end) or { lo = ..., hi = ... }. Never throws; safe to call from any thread.
Result<ProgramConfig> ParseConfig(std::string_view toml_text, std::string_view source_name);

// Reads `<program_dir>/gtops.toml`; kBadConfig when it is missing or invalid.
Result<ProgramConfig> LoadConfig(const std::string& program_dir);

// The commented starter gtops.toml that `gtops init` writes (it parses without error).
std::string StarterConfigToml();

}  // namespace gtops
