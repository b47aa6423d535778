// Operational alerts: a KPI of a vendor (and pipeline) that moves beyond its own recent behaviour,
// found by a Bernoulli CUSUM on its weekly series (docs/kpis.md, "Alerts"). Pure functions over
// values: no I/O, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "ops/timeline.h"

namespace gtops::ops {

struct Alert {
  std::string kind;      // "sla_breach" (per vendor), "rework_spike", "throughput_drop", "cost_overrun"
                         // (per pipeline and vendor)
  std::string level;     // "page": a change the detector found in the KPI's own series;
                         // "info": a KPI on the wrong side of its target since its series began
  std::string pipeline;  // "" for a vendor-wide alert
  std::string vendor;
  std::string since;     // the ISO week the change began (the CUSUM's change point)
  int64_t since_ms = 0;  // the start (Monday 00:00 UTC) of that week
  std::string detected;  // the ISO week the CUSUM crossed its threshold
  std::string metric;    // "on_time_rate", "rework_rate", "throughput_tasks_per_week" or
                         // "cost_per_accepted_task_usd"
  double baseline = 0;   // page: the metric over the series' better half of weeks (shrunk towards the
                         // program's); info: the target
  double current = 0;    // the metric from `since` to `detected`
  int64_t tasks = 0;     // tasks behind `current`
  double statistic = 0;  // the CUSUM at detection
  std::string evidence;  // a sentence for people
};

struct AlertOptions {
  int64_t as_of_ms = 0;       // the end of the data: the week holding it is partial
  int min_weeks = 3;          // complete weeks a series needs before it is watched
  double prior_tasks = 20;    // shrinkage of a baseline towards the program-wide rate, in tasks
  double threshold = 8.0;     // the CUSUM's decision interval h (log-likelihood ratio, every detector)
  double min_weekly_tasks = 5;  // throughput_drop: weeks with less in-control work than this are skipped
  double cost_shift = 0.25;   // cost_overrun: the rise of the geometric mean cost per task worth paging
  // With a config, `info` alerts too: a pipeline x vendor KPI (on_time_rate, rework_rate) that has
  // been on the wrong side of its pipeline target in every complete week since its series began,
  // its pooled Wilson 95% interval wholly on the wrong side (docs/kpis.md, "Alerts").
  const ProgramConfig* config = nullptr;
};

// Alerts over complete weeks (a partial week, and the weeks after the last task was created,
// raise nothing): pages first (sla_breach, rework_spike, throughput_drop, cost_overrun), then info
// alerts, each kind in pipeline, vendor order. A series alerts at most once per kind.
std::vector<Alert> DetectAlerts(std::span<const TaskTimeline> timelines, const AlertOptions& options);

}  // namespace gtops::ops
