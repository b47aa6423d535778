// Vendor and annotator scorecards: each operational KPI of one vendor (or annotator) per pipeline,
// against the pipeline's target and against the pipeline's other vendors (annotators), with its
// weekly trend (docs/kpis.md, "Scorecards"). Pure functions over values: no I/O, thread-safe.
#pragma once

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "ops/kpis.h"
#include "ops/timeline.h"

namespace gtops::ops {

enum class ScorecardSubject { kVendor, kAnnotator };

struct ScorecardMetric {
  std::string name;                    // "on_time_rate", "rework_rate", ...
  double value = NAN, lo = NAN, hi = NAN;  // lo, hi: the Wilson 95% interval of rates
  int64_t n = 0;                       // the rate's denominator (tasks for other metrics)
  std::optional<double> target;        // the pipeline's target, when gtops.toml sets one
  std::string status;                  // "meets", "fails", "inconclusive"; "" without a target
  double peers = NAN;                  // the same KPI over the pipeline's other vendors (annotators)
  std::vector<std::pair<std::string, double>> trend;  // (ISO week, value), the last 4 weeks with data
};

struct ScorecardRow {
  std::string pipeline;
  int64_t tasks = 0;
  std::vector<ScorecardMetric> metrics;
};

struct Scorecard {
  ScorecardSubject subject = ScorecardSubject::kVendor;
  std::string id;
  std::vector<ScorecardRow> pipelines;  // the pipelines the subject worked on, ordered by id
};

// The scorecard of vendor (or annotator) `id` over `timelines` and `audits`, judged at `as_of_ms`.
// Targets come from `config` (pipeline scope). Empty `pipelines` when the subject has no tasks.
Scorecard BuildScorecard(std::span<const TaskTimeline> timelines, std::span<const TaskAudit> audits,
                         const ProgramConfig& config, ScorecardSubject subject, const std::string& id,
                         int64_t as_of_ms);

}  // namespace gtops::ops
