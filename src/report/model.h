// The main job's result as values (gtops run, docs/run.md): the gap table, the per-batch trends
// with their control limits, the spec-version split, the audit error rates and what changed
// since the last run. The renderers (report/render.h) read it; the run module fills it.
// Plain values: no I/O, copyable, thread-compatible.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gtops::report {

enum class GapStatus { kMeets, kFails, kInconclusive, kNoData };
std::string_view Name(GapStatus s);  // "meets", "fails", "inconclusive", "no_data"

// Where a row's measurement comes from.
inline constexpr std::string_view kFromGold = "gold";      // outcomes of vendor labels vs gold
inline constexpr std::string_view kFromAudits = "audits";  // audit records
inline constexpr std::string_view kFromEvents = "events";  // task events (operations)

// One condition of a slice other than the vendor: field and value as JSON text
// ("\"pedestrian\"", "[0,30]", "true"), and a short label ("class=pedestrian", "range_m=[0,30)").
struct SliceCondition {
  std::string field;
  std::string value_json;
  std::string label;
};

// One row of the gap table: a metric of a pipeline (optionally of one vendor and/or one slice)
// against its target.
struct Gap {
  std::string pipeline;
  std::string metric;                  // a target metric name of FORMAT.md
  std::vector<SliceCondition> slice;   // empty: the whole pipeline (or the whole vendor)
  std::string vendor;                  // "": all vendors
  double target = NAN;
  bool higher_is_better = true;
  double value = NAN, lo = NAN, hi = NAN;  // the measurement and its 95% interval (NaN: no data)
  // value - target when higher is better, target - value otherwise: negative is short of target.
  double gap = NAN;
  GapStatus status = GapStatus::kNoData;
  std::optional<int64_t> additional_audits;  // inconclusive rows: tasks to add (docs/run.md)
  std::string trend;                   // "improving", "worsening", "stable", "" (too few batches)
  int64_t n = 0;                       // the population (objects, values, tasks)
  int64_t clusters = 0;                // tasks that contribute
  std::string method;                  // how the interval was computed: bootstrap, wilson, ...
  std::string from;                    // kFromGold, kFromAudits, kFromEvents
  int target_line = 0;                 // line of gtops.toml that sets the target

  std::string SliceLabel() const;      // "class=pedestrian range_m=[0,30)" or ""
};

// The rows of each status.
struct StatusCounts {
  int64_t fails = 0, inconclusive = 0, meets = 0, no_data = 0;
  void Add(GapStatus s);
};
StatusCounts CountStatuses(const std::vector<Gap>& gaps);

// One batch of a metric's trend, in delivery order.
struct BatchPoint {
  std::string batch;
  std::string spec_version;           // the batch's spec versions, "3.1" or "3.1+3.2"
  bool spec_change = false;           // its spec versions differ from the previous batch's
  std::string delivered;              // RFC 3339 of the batch's first label (delivery order)
  double value = NAN, lo = NAN, hi = NAN;
  int64_t n = 0;
  double center = NAN, lcl = NAN, ucl = NAN;  // control limits for this batch
  bool out_of_control = false;        // value outside [lcl, ucl]
};

struct Trend {
  std::string pipeline, metric;
  std::string vendor;                 // "": all vendors
  double target = NAN;
  bool higher_is_better = true;
  std::string chart;                  // "laney_p" (rates) or "xmr" (other metrics)
  std::vector<BatchPoint> points;
};

// A metric measured on the labels of one spec version.
struct SpecSplit {
  std::string pipeline, metric, spec_version;
  double value = NAN, lo = NAN, hi = NAN;
  int64_t n = 0;
};

// Audit error rate by type (FORMAT.md audits): audited tasks with at least one error of the type.
struct AuditErrorRate {
  std::string pipeline, vendor, error_type;  // vendor "": all
  int64_t tasks_with_error = 0, audited_tasks = 0;
  double value = NAN, lo = NAN, hi = NAN;     // Wilson 95%
};

// A gap row whose status or value moved since the previous run.
struct Change {
  std::string pipeline, metric, vendor, slice;  // slice: Gap::SliceLabel()
  std::string before_status, after_status;      // "" when the row did not exist
  double before_value = NAN, after_value = NAN;
};

// An operational alert of the program's events (ops::DetectAlerts, docs/kpis.md "Alerts").
struct OpsAlert {
  std::string kind;       // "sla_breach", "rework_spike", ...
  std::string level;      // "page" or "info"
  std::string pipeline;   // "" for a vendor-wide alert
  std::string vendor;
  std::string metric;
  std::string since, detected;  // ISO weeks
  double baseline = NAN, current = NAN;
  int64_t tasks = 0;
  std::string evidence;
};

// A shift that process control found in a pipeline x vendor series, batch after batch
// (gtops spc, docs/spc.md).
struct ProcessIncident {
  std::string pipeline, vendor, metric;
  std::string annotator;              // "" for a vendor's series
  std::string direction;              // "up" or "down"
  std::string since_batch, since;     // the first batch of the shift and when it began (RFC 3339)
  std::string last_batch;
  std::string detectors;              // comma-separated: step, cusum, ewma, beyond_3_sigma, ...
  double rate_during = NAN, rate_outside = NAN;
  int64_t n_during = 0;
  std::string evidence;
};

// A root cause of a failing pipeline: one finding of `gtops rootcause` (docs/rootcause.md).
struct RootCauseRow {
  std::string pipeline, error_type, conditions, action;
  int64_t errors = 0, support = 0;
  double rate = NAN, baseline_rate = NAN, q_value = NAN, share_of_errors = NAN;
  int rank = 0;  // within the pipeline
};

struct PipelineSummary {
  std::string pipeline, name, geometry;
  int64_t gold_frames = 0;        // frames compared with gold
  int64_t gold_tasks = 0;
  int64_t audited_tasks = 0;
  int64_t tasks = 0;              // tasks with events
  int64_t fails = 0, inconclusive = 0, meets = 0, no_data = 0;  // its gap rows
};

// An audit plan recorded with a batch (`gtops sample draw`, docs/sampling.md), its decision
// replayed on the audits at the run, and its operating characteristic curve.
struct AuditPlanView {
  std::string pipeline, batch, kind;  // kind: single, double, sprt, budget
  std::string plan;                   // "n = 13, c = 1", ...
  int64_t lot = 0, n = 0;
  double aql = NAN, ltpd = NAN, alpha = NAN, beta = NAN;
  std::string decision, evidence, created_at;
  std::vector<std::pair<double, double>> oc;  // (p, P(accept)), p ascending; empty for budget plans
};

struct RunResult {
  std::string program;            // the program's name
  std::string generated_at;       // RFC 3339, UTC
  int64_t run_id = 0;             // the store's run id
  int64_t previous_run_id = 0;    // 0: no earlier run
  int64_t records_new = 0;        // records the run's ingest stored (new or replaced)
  int64_t records_quarantined = 0;
  std::vector<PipelineSummary> pipelines;  // in gtops.toml's order
  std::vector<Gap> gaps;          // worst first (SortGaps)
  std::vector<Trend> trends;
  std::vector<SpecSplit> spec_splits;
  std::vector<AuditErrorRate> audit_errors;
  std::vector<Change> changes;
  std::vector<OpsAlert> alerts;   // operational alerts, kind then pipeline then vendor
  std::vector<ProcessIncident> incidents;  // process-control shifts, pipeline then vendor then since
  std::vector<RootCauseRow> root_causes;  // top causes of each failing pipeline (rootcause)
  std::vector<AuditPlanView> audit_plans;  // the most recently drawn audit plans (at most 12)
  std::vector<Trend> incident_charts;      // the p' chart of each incident's series (vendor "v / annotator")
};

}  // namespace gtops::report
