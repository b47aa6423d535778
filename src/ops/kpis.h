// Operational KPIs over task timelines, per any combination of pipeline, vendor, annotator,
// batch and ISO week (formulas: docs/kpis.md), and the audit outcome of each audited task.
// Pure functions over values: no I/O, thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/records.h"
#include "core/status.h"
#include "ops/timeline.h"

namespace gtops::ops {

// The grouping keys of a KPI table; none set: one row for everything.
struct GroupBy {
  bool pipeline = false, vendor = false, annotator = false, batch = false, week = false;
};

// Parses group keys ("pipeline", "vendor", "annotator", "batch", "week"; each element may itself
// be comma-separated). kUsage naming the first unknown key.
Result<GroupBy> ParseGroupBy(const std::vector<std::string>& keys);

// A rate with its Wilson 95% interval; value, lo and hi are NaN when n is 0.
struct Rate {
  int64_t successes = 0, n = 0;
  double value = NAN, lo = NAN, hi = NAN;
};
Rate MakeRate(int64_t successes, int64_t n);

// Nearest-rank percentile (p in (0, 1]) of `values` (reordered); NaN when empty.
double NearestRank(std::vector<double>& values, double p);

// Monday 00:00 UTC of the ISO week holding `epoch_ms`.
int64_t WeekStartMs(int64_t epoch_ms);

// The audit outcome of one task (FORMAT.md): it passes when the latest audit of each audited
// frame (or of the whole task) passes.
struct TaskAudit {
  std::string task, pipeline, batch, vendor, annotator;
  bool pass = false;
  int audited_frames = 0;     // frames (or the whole task, counted as one) with an audit
  int64_t latest_at_ms = 0;   // the latest audit of the task
};

// One TaskAudit per audited task, ordered by task id.
std::vector<TaskAudit> AuditOutcomes(std::span<const Audit> audits);

// The values of the grouping keys; "" for a key that is not grouped by.
struct KpiKey {
  std::string pipeline, vendor, annotator, batch, week;
  auto operator<=>(const KpiKey&) const = default;
};

// One row of the KPI table. Tasks belong to the group of their creation week (the cohort);
// throughput counts tasks by the week of their first `accepted`. docs/kpis.md has each formula.
struct KpiRow {
  KpiKey key;
  int64_t tasks = 0;              // cohort: tasks created in the group
  int64_t tasks_accepted = 0;     // cohort tasks accepted
  int64_t tasks_rejected = 0, tasks_cancelled = 0;
  int64_t wip = 0;                // cohort tasks assigned and still open at as_of
  int64_t backlog = 0;            // cohort tasks still open at as_of (assigned or not)
  double days = 0;                // length of the group's period, for throughput
  int64_t completed = 0;          // tasks first accepted in the group's period
  int64_t completed_objects = 0;  // their objects
  double throughput_tasks_per_day = NAN, throughput_objects_per_day = NAN;
  double lead_time_p50_h = NAN, lead_time_p90_h = NAN;
  double labeling_time_p50_h = NAN, labeling_time_p90_h = NAN;
  double review_latency_mean_h = NAN;
  Rate on_time_rate, rework_rate, first_pass_yield, audit_pass_rate;
  double mean_rework_rounds = NAN;
  int64_t objects = 0;            // objects of the cohort's submissions
  double cost_usd = 0, cost_of_poor_quality_usd = 0;
  double cost_per_task_usd = NAN, cost_per_accepted_task_usd = NAN, cost_per_object_usd = NAN;
  double labeling_hours_per_1000_objects = NAN;
  int64_t anomalies = 0, tasks_with_anomalies = 0;
};

struct KpiOptions {
  GroupBy by;
  int64_t as_of_ms = 0;            // open tasks are judged at this instant (end of the period)
  std::optional<int64_t> from_ms;  // only tasks created at or after (cohort); throughput period start
  std::optional<int64_t> to_ms;    // only tasks created before; throughput period end
  std::string pipeline;            // only this pipeline ("" for all)
};

// The KPI table, rows ordered by key. Timelines and audits in any order.
std::vector<KpiRow> ComputeKpis(std::span<const TaskTimeline> timelines, std::span<const TaskAudit> audits,
                                const KpiOptions& options);

}  // namespace gtops::ops
