// A hand-built RunResult for the renderers' tests: three pipelines, two vendors (acme, borealis),
// 24 gap rows of all four statuses (pipeline-level, per-vendor, per-class, a two-condition slice,
// rows from gold, audits and events, NaN values on the no_data rows), five trends of eight
// batches with one out-of-control batch and one spec change each, spec splits, audit error rates
// and changes since run 41. The counts the tests rely on are stated next to the data.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "report/model.h"

namespace gtops::report {
namespace fixture {

inline SliceCondition Class(const std::string& name) { return {"class", "\"" + name + "\"", "class=" + name}; }

inline Gap Row(const std::string& pipeline, const std::string& metric, const std::string& vendor,
               std::vector<SliceCondition> slice, double target, bool higher_is_better, double value, double lo,
               double hi, GapStatus status, const std::string& from, int64_t n, int64_t clusters) {
  return Gap{.pipeline = pipeline,
             .metric = metric,
             .slice = std::move(slice),
             .vendor = vendor,
             .target = target,
             .higher_is_better = higher_is_better,
             .value = value,
             .lo = lo,
             .hi = hi,
             .gap = higher_is_better ? value - target : target - value,  // NaN stays NaN
             .status = status,
             .additional_audits = {},
             .trend = "",
             .n = n,
             .clusters = clusters,
             .method = from == "gold" ? "bootstrap" : "wilson",
             .from = from,
             .target_line = 0};
}

// Eight batches `<prefix>-b01` ... `-b08` with constant limits; `ooc` is the one batch outside
// them and `spec_change` the first batch of spec `new_spec`.
inline Trend MakeTrend(const std::string& pipeline, const std::string& metric, const std::string& vendor,
                       double target, bool higher_is_better, const std::string& chart, const std::string& prefix,
                       const std::vector<double>& values, double half_width, double center, double lcl, double ucl,
                       size_t ooc, size_t spec_change, const std::string& old_spec, const std::string& new_spec) {
  Trend t{pipeline, metric, vendor, target, higher_is_better, chart, {}};
  for (size_t i = 0; i < values.size(); ++i) {
    t.points.push_back(BatchPoint{.batch = prefix + (i < 9 ? "-b0" : "-b") + std::to_string(i + 1),
                                  .spec_version = i < spec_change ? old_spec : new_spec,
                                  .spec_change = i == spec_change,
                                  .delivered = "2026-10-" + std::to_string(10 + i) + "T08:00:00Z",
                                  .value = values[i],
                                  .lo = values[i] - half_width,
                                  .hi = values[i] + half_width,
                                  .n = 280 + static_cast<int64_t>(i) * 15,
                                  .center = center,
                                  .lcl = lcl,
                                  .ucl = ucl,
                                  .out_of_control = i == ooc});
  }
  return t;
}

inline AuditErrorRate Audit(const std::string& pipeline, const std::string& vendor, const std::string& type,
                            int64_t with_error, int64_t audited, double lo, double hi) {
  return {pipeline, vendor, type, with_error, audited,
          static_cast<double>(with_error) / static_cast<double>(audited), lo, hi};
}

}  // namespace fixture

// Counts of SampleRunResult, stated by hand from the data below.
inline constexpr size_t kSampleGaps = 24;
inline constexpr size_t kSampleTrends = 5;
inline constexpr size_t kSampleOutOfControl = 5;     // one per trend
inline constexpr size_t kSampleComparisons = 6;      // (pipeline, metric) pairs with vendor or class rows
inline constexpr size_t kSampleWorstSlices = 6;      // vendor/slice rows that fail or are inconclusive
inline constexpr size_t kSampleHeatmapMetrics = 7;   // metrics with a pipeline-level row

inline RunResult SampleRunResult() {
  using fixture::Class;
  using fixture::Row;
  constexpr bool kHigher = true, kLower = false;
  constexpr GapStatus F = GapStatus::kFails, I = GapStatus::kInconclusive, N = GapStatus::kNoData,
                      M = GapStatus::kMeets;
  const std::string lidar = "lidar_cuboids", camera = "camera_boxes", lanes = "lane_lines";

  RunResult r;
  r.program = "Highway perception GT";
  r.generated_at = "2026-10-19T06:00:00Z";
  r.run_id = 42;
  r.previous_run_id = 41;
  r.records_new = 18234;
  r.records_quarantined = 17;
  r.pipelines = {
      {lidar, "Lidar cuboids", "box3d", 1840, 220, 500, 1900, 4, 1, 4, 0},
      {camera, "Camera 2D boxes", "box2d", 2610, 300, 610, 2480, 2, 2, 5, 0},
      {lanes, "Lane lines", "polyline", 930, 120, 610, 0, 0, 1, 3, 2},
  };

  const std::vector<SliceCondition> near_pedestrians = {Class("pedestrian"),
                                                         {"range_m", "[0,30]", "range_m=[0,30)"}};
  r.gaps = {
      // fails: 6 (4 per-vendor or slice rows)
      Row(camera, "rework_rate", "borealis", {}, 0.10, kLower, 0.162, 0.131, 0.198, F, "events", 480, 480),
      Row(lidar, "recall", "borealis", {}, 0.95, kHigher, 0.871, 0.842, 0.897, F, "gold", 2140, 61),
      Row(lidar, "recall", "", near_pedestrians, 0.99, kHigher, 0.934, 0.905, 0.958, F, "gold", 412, 48),
      Row(lidar, "recall", "", {Class("pedestrian")}, 0.99, kHigher, 0.948, 0.931, 0.962, F, "gold", 1380, 140),
      Row(camera, "audit_pass_rate", "", {}, 0.90, kHigher, 0.862, 0.838, 0.883, F, "audits", 610, 610),
      Row(lidar, "recall", "", {}, 0.95, kHigher, 0.921, 0.905, 0.936, F, "gold", 6420, 220),
      // inconclusive: 4 (2 per-vendor or slice rows)
      Row(camera, "precision", "acme", {}, 0.97, kHigher, 0.962, 0.944, 0.977, I, "gold", 3310, 150),
      Row(lanes, "geometry_accuracy", "", {}, 0.95, kHigher, 0.946, 0.931, 0.959, I, "gold", 1720, 120),
      Row(camera, "recall", "", {Class("cyclist")}, 0.95, kHigher, 0.957, 0.921, 0.979, I, "gold", 240, 95),
      Row(lidar, "heading_error_p95_deg", "", {}, 5.0, kLower, 4.71, 4.12, 5.38, I, "gold", 6010, 220),
      // no_data: 2
      Row(lanes, "on_time_rate", "", {}, 0.95, kHigher, NAN, NAN, NAN, N, "events", 0, 0),
      Row(lanes, "recall", "borealis", {}, 0.95, kHigher, NAN, NAN, NAN, N, "gold", 0, 0),
      // meets: 12
      Row(camera, "rework_rate", "acme", {}, 0.10, kLower, 0.048, 0.035, 0.064, M, "events", 2000, 2000),
      Row(camera, "rework_rate", "", {}, 0.10, kLower, 0.071, 0.058, 0.086, M, "events", 2480, 2480),
      Row(lidar, "precision", "acme", {}, 0.95, kHigher, 0.985, 0.977, 0.991, M, "gold", 4100, 159),
      Row(lidar, "precision", "", {}, 0.95, kHigher, 0.981, 0.974, 0.987, M, "gold", 6300, 220),
      Row(lanes, "audit_pass_rate", "", {}, 0.90, kHigher, 0.934, 0.915, 0.950, M, "audits", 610, 610),
      Row(camera, "recall", "", {Class("car")}, 0.95, kHigher, 0.981, 0.976, 0.985, M, "gold", 5120, 290),
      Row(lanes, "recall", "acme", {}, 0.95, kHigher, 0.974, 0.966, 0.981, M, "gold", 1610, 120),
      Row(lanes, "recall", "", {}, 0.95, kHigher, 0.972, 0.963, 0.979, M, "gold", 1610, 120),
      Row(lidar, "precision", "borealis", {}, 0.95, kHigher, 0.973, 0.962, 0.982, M, "gold", 2200, 61),
      Row(camera, "recall", "", {}, 0.95, kHigher, 0.968, 0.961, 0.974, M, "gold", 6050, 300),
      Row(lidar, "recall", "acme", {}, 0.95, kHigher, 0.962, 0.955, 0.968, M, "gold", 4280, 159),
      Row(camera, "precision", "", {}, 0.97, kHigher, 0.979, 0.974, 0.984, M, "gold", 6120, 300),
  };
  r.gaps[6].additional_audits = 143;
  r.gaps[7].additional_audits = 388;
  r.gaps[8].additional_audits = 210;
  r.gaps[9].additional_audits = 52;
  r.gaps[0].trend = "worsening";
  r.gaps[1].trend = "worsening";
  r.gaps[5].trend = "worsening";
  r.gaps[13].trend = "stable";
  r.gaps[9].trend = "improving";
  r.gaps[0].target_line = 41;

  using fixture::MakeTrend;
  r.trends = {
      MakeTrend(lidar, "recall", "", 0.95, kHigher, "laney_p", "lidar",
                {0.948, 0.952, 0.944, 0.950, 0.941, 0.918, 0.936, 0.933}, 0.012, 0.946, 0.930, 0.962, 5, 4, "3.1",
                "3.2"),
      MakeTrend(lidar, "recall", "borealis", 0.95, kHigher, "laney_p", "lidar-borealis",
                {0.905, 0.899, 0.912, 0.894, 0.881, 0.872, 0.861, 0.877}, 0.02, 0.900, 0.870, 0.930, 6, 4, "3.1",
                "3.2"),
      MakeTrend(lidar, "heading_error_p95_deg", "", 5.0, kLower, "xmr", "lidar",
                {4.5, 4.8, 4.4, 4.7, 6.3, 4.6, 4.9, 4.71}, 0.4, 4.6, 3.4, 5.8, 4, 3, "3.1", "3.2"),
      MakeTrend(camera, "rework_rate", "", 0.10, kLower, "laney_p", "cam",
                {0.064, 0.071, 0.069, 0.075, 0.112, 0.081, 0.066, 0.072}, 0.015, 0.070, 0.040, 0.100, 4, 2, "2.0",
                "2.1"),
      MakeTrend(lanes, "geometry_accuracy", "", 0.95, kHigher, "laney_p", "lanes",
                {0.951, 0.944, 0.948, 0.940, 0.946, 0.921, 0.949, 0.946}, 0.014, 0.945, 0.925, 0.965, 5, 6, "1.4",
                "1.5"),
  };

  r.spec_splits = {
      {lidar, "recall", "3.1", 0.947, 0.938, 0.955, 1180},
      {lidar, "recall", "3.2", 0.927, 0.915, 0.938, 1010},
      {camera, "rework_rate", "2.0", 0.068, 0.052, 0.087, 860},
      {camera, "rework_rate", "2.1", 0.074, 0.060, 0.090, 1620},
      {lanes, "geometry_accuracy", "1.4", 0.944, 0.929, 0.957, 1290},
      {lanes, "geometry_accuracy", "1.5", 0.952, 0.927, 0.969, 430},
  };
  using fixture::Audit;
  r.audit_errors = {
      Audit(lidar, "", "missing_object", 41, 500, 0.0610, 0.1094),
      Audit(lidar, "borealis", "heading_flip", 22, 200, 0.0738, 0.1609),
      Audit(camera, "", "wrong_class", 19, 610, 0.0200, 0.0481),
      Audit(lanes, "", "geometry", 33, 610, 0.0388, 0.0750),
  };
  r.changes = {
      {lidar, "recall", "", "", "meets", "fails", 0.953, 0.921},
      {lidar, "recall", "", "class=pedestrian range_m=[0,30)", "inconclusive", "fails", 0.961, 0.934},
      {camera, "rework_rate", "borealis", "", "", "fails", NAN, 0.162},
      {lanes, "on_time_rate", "", "", "meets", "no_data", 0.962, NAN},
  };
  return r;
}

}  // namespace gtops::report
