// Audit samples of delivered batches (docs/sampling.md, `gtops sample draw` / `decide`): a batch's
// tasks read from the store as the lot, the sample size from an acceptance plan (or a budget), the
// strata and their error rates from history (audits, gold comparisons, automated QA findings),
// Neyman allocation, a seeded draw, and the plan recorded with the batch (`audit_plans`); then the
// decision replayed from the recorded plan and the audits stored since.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "report/model.h"
#include "stats/sampling.h"
#include "store/store.h"

namespace gtops {

struct DrawRequest {
  std::string pipeline, batch;
  std::optional<int64_t> budget;            // tasks to audit (without a plan: required)
  std::vector<std::string> stratify;        // vendor, annotator, class_mix, scene.<key>
  int64_t seed = 1;                         // >= 0
  std::optional<stats::PlanRequest> plan;   // aql, ltpd, alpha, beta (lot_size: filled from the batch)
  std::optional<stats::SinglePlan> fixed;   // a fixed single plan (n, c) instead of `plan`
  std::string plan_kind = "single";         // "single", "double", "sprt" (with `plan`)
  bool force = false;                       // replace a recorded plan
  std::string now;                          // RFC 3339, recorded as created_at
};

// A stratum of the batch with what history says of it.
struct DrawStratum {
  std::string name;            // "vendor=acme annotator=a03", or "all"
  int64_t size = 0;            // tasks of the batch in it
  int64_t history = 0;         // tasks of the pipeline in it with evidence (audit, gold, findings)
  double failures = 0;         // their failures (findings: expected failures)
  double rate = 0;             // the anticipated rate used to allocate (shrunk towards the pooled rate)
  int64_t allocated = 0;
};

struct DrawResult {
  AuditPlanRow plan;
  std::vector<AuditPlanTask> tasks;  // in audit order
  std::vector<DrawStratum> strata;
  double pooled_rate = NAN;          // over all evidence of the pipeline; NaN without any
  int64_t evidence_tasks = 0;
  bool saved = false;                // false: a plan was recorded already and `force` was not given
  bool replaced = false;             // a recorded plan was replaced (--force)
};

// The prior weight (in tasks) with which a stratum's rate is shrunk towards the pooled rate:
// rate_h = (failures_h + kHistoryPriorTasks * pooled) / (history_h + kHistoryPriorTasks).
inline constexpr double kHistoryPriorTasks = 5;

// Draws the batch's audit sample and records it (unless a plan exists and !force: then nothing is
// written and `saved` is false). kUsage for an unknown stratification key, a batch without tasks,
// a budget below the plan's n, or neither a budget nor a plan (each message names the option).
Result<DrawResult> DrawAuditSample(Store& store, const DrawRequest& request);

// One drawn task and what its audits say.
struct AuditedTask {
  std::string task, stratum;
  int64_t ord = 0;
  bool audited = false, failed = false;
  int64_t at_ms = 0;  // its latest audit
};

struct StratumDecision {
  std::string name;
  int64_t size = 0, drawn = 0, audited = 0, failed = 0;
};

struct DecideResult {
  AuditPlan recorded;
  std::vector<AuditedTask> tasks;         // the drawn tasks, in audit order (audit time, then draw order)
  std::string decision;                   // "accept", "reject", "continue", or "estimate" (budget plans)
  stats::PlanDecision evidence;           // of the plan (budget plans: audits and failures only)
  std::optional<stats::Sprt> sprt;        // SPRT plans
  std::optional<stats::WeightedDecision> weighted;  // single plans on a sample of several strata
  std::vector<StratumDecision> strata;
  stats::StratifiedEstimate estimate;
  int64_t audits_outside = 0;             // audited tasks of the batch that were not drawn (ignored)
};

// Replays the decision of the batch's recorded plan on the audits in the store. kNotFound when
// the batch has no plan.
Result<DecideResult> DecideAuditSample(Store& store, const std::string& pipeline, const std::string& batch);

// The `max` most recently drawn plans of the program (of every pipeline), newest first, each with
// its decision replayed now and its OC curve for the report: single and double plans exact over
// the lot (hypergeometric), SPRT by Wald's approximation, at 41 points from 0 to 2 LTPD
// (stats::OcGrid); budget plans have none.
Result<std::vector<report::AuditPlanView>> AuditPlanViews(Store& store, size_t max = 12);

}  // namespace gtops
