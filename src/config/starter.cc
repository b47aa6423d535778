#include "config/config.h"

namespace gtops {

// Kept as one literal so that `gtops init` output and this source read the same. Every key of
// docs/config.md appears here, live or commented out; config_test.cc parses it.
std::string StarterConfigToml() {
  return R"toml(# gtops.toml: the configuration of one ground-truth labeling program.
#
# gtops reads this file on every command. Every problem is reported with its line, and unknown
# keys are errors, so a typo never goes unnoticed. The full reference is docs/config.md.
# Ranges are half-open: lo <= value < hi.

[program]
name = "My AV ground-truth program"
# Folders that `gtops ingest` reads recursively, relative to this file's folder
# (*.jsonl, *.jsonl.gz, *.jsonl.zst). Default: ["data"].
data = ["data"]

# One [[vendors]] block per labeling vendor or internal team. `id` is what records carry in
# their "vendor" field; `name` is for reports (default: the id).
[[vendors]]
id = "acme"
name = "Acme Annotation"
# Optional planned rates in USD, for cost targets and forecasts.
cost_per_task_usd = 3.0
cost_per_object_usd = 0.09

# One [[pipelines]] block per labeling pipeline. Records name it in their "pipeline" field.
[[pipelines]]
id = "lidar_cuboids"
name = "Lidar 3D cuboids"
# What is labeled: box2d | box3d | polyline | polygon | mask | tags.
geometry = "box3d"
# true when objects carry a "track" id across the frames of a task (enables id_switch_rate).
tracking = true
# The labeling spec's version, for slicing results by spec.
spec_version = "1.0"
# How a label is paired with a reference object: exactly one rule.
#   box2d, polygon, mask: iou = 0.5                (IoU at least this)
#   box3d:                bev_iou = 0.3            (bird's-eye IoU at least this)
#                         center_distance_m = 1.0  (centre distance at most this)
#   polyline:             polyline_match_m = 1.5   (mean symmetric distance at most this)
#   tags:                 no match rule
match = { bev_iou = 0.3 }
# When a paired label counts as wrong.
#   box3d: position_m, size_rel, heading_deg   box2d, polygon, mask: min_iou   polyline: polyline_m
tolerances = { position_m = 0.3, size_rel = 0.10, heading_deg = 10.0 }
# A task is due `turnaround_hours` after its `created` event, unless that event carries `due`.
sla = { turnaround_hours = 96 }
# Polyline pipelines only: units = "px" when the points are image pixels (default "m").

  # The classes of the labeling spec. A label of any other class is a spec violation.
  [[pipelines.classes]]
  name = "car"
  # How much an error on this class matters in rankings (default 1.0).
  safety_weight = 3.0
  # Box3d only: allowed length, width and height in metres, [lo, hi].
  size_prior_m = { l = [2.5, 6.5], w = [1.4, 2.6], h = [1.0, 2.4] }

  [[pipelines.classes]]
  name = "pedestrian"
  safety_weight = 5.0
  # A per-class match rule overrides the pipeline's (small objects pair better by distance).
  match = { center_distance_m = 1.0 }
  size_prior_m = { l = [0.2, 1.5], w = [0.2, 1.2], h = [0.8, 2.2] }
  # Attributes every label of this class must carry, and the values each may take.
  required_attributes = ["moving"]
  attributes = { moving = [true, false], occlusion = ["none", "partial", "heavy"] }
  # Box3d only: physical limits that tracks must respect.
  kinematics = { max_speed_mps = 4.0, max_accel_mps2 = 3.0, max_yaw_rate_dps = 180.0 }

  # The standard each vendor and class is held to. Rates and accuracies (in [0, 1]) must be at
  # least the target; id_switch_rate, rework_rate, *_p95_* errors and costs at most.
  # Metrics: recall, precision, f1, class_accuracy, attribute_accuracy, localization_accuracy,
  # geometry_accuracy, mean_iou, position_error_p95_m, size_error_p95_rel,
  # heading_error_p95_deg, tag_accuracy, id_switch_rate, audit_pass_rate, rework_rate,
  # on_time_rate, cost_per_accepted_task_usd.
  [pipelines.targets]
  recall = 0.98
  precision = 0.98
  class_accuracy = 0.98
  localization_accuracy = 0.95
  heading_error_p95_deg = 5.0
  id_switch_rate = 0.01
  audit_pass_rate = 0.90
  on_time_rate = 0.95

  # Overrides for one class (it must be listed in [[pipelines.classes]]).
  [pipelines.targets.by_class.pedestrian]
  recall = 0.99

  # A stricter target on a slice. `where` fields: vendor, annotator, batch, week ("2026-W07"),
  # class, spec_version, tool_version, "scene.<key>", "attr.<key>" (quoted: they contain a dot),
  # range_m and num_points as [lo, hi]. An open end is written inf or -inf: range_m = [30, inf].
  [[pipelines.targets.slices]]
  where = { class = "pedestrian", range_m = [0, 30] }
  recall = 0.995

# A second pipeline, for camera 2D boxes: uncomment and adapt.
# [[pipelines]]
# id = "camera_2d"
# name = "Front camera 2D boxes"
# geometry = "box2d"
# match = { iou = 0.5 }
# tolerances = { min_iou = 0.75 }
#
#   [[pipelines.classes]]
#   name = "car"
#
#   [pipelines.targets]
#   recall = 0.97
#   precision = 0.97
#
#   # This pipeline's own audit plan, over the [sampling] defaults below (key by key).
#   [pipelines.sampling]
#   n = 50                  # a fixed single plan: audit 50 tasks, accept when at most c fail
#   c = 1

# Defaults of `gtops sample draw` (flags on the command line override them; docs/sampling.md).
# The plan is designed from the risks (aql and ltpd, with alpha and beta) or fixed (n and c).
# [sampling]
# plan = "single"           # single, double or sprt (sequential)
# aql = 0.01                # acceptable quality level: a batch this good is accepted ...
# alpha = 0.05              # ... except with this producer's risk
# ltpd = 0.05               # lot tolerance percent defective: a batch this bad is rejected ...
# beta = 0.10               # ... except with this consumer's risk
# budget = 120              # tasks to audit (at least the plan's n; alone: no acceptance criterion)
# stratify = ["vendor", "annotator"]   # Neyman allocation over these (or class_mix, scene.<key>)
# seed = 1                  # the draw is reproducible from the seed
)toml";
}

}  // namespace gtops
