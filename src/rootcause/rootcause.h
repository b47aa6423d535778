// Root cause (docs/rootcause.md): the slices of each pipeline's outcomes that concentrate an error
// type, tested honestly, kept once each, with their evidence, the metric gap they cause and a
// suggested action; and the Markdown improvement plan built from them.
//
// The kernel (`Analyze`) takes fact tables and returns findings without I/O; `LoadFacts` is the
// thin loader that builds the fact tables from the store's `outcomes`.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "report/model.h"
#include "rootcause/slices.h"
#include "store/store.h"

namespace gtops::rootcause {

// The targets searched, one bit of FactTable::at_risk / error each (docs/rootcause.md lists the
// population at risk of each): the error types of FORMAT.md and the families `localisation`
// (position, size, heading, heading_flip, geometry) and `tracking` (id_switch, fragmentation).
struct TargetDef {
  std::string name;
  bool family = false;
  std::string metric;  // the metric its errors lower ("recall", ...), "" for none
  std::vector<std::string> members;  // a family's error types
};
const std::vector<TargetDef>& Targets();
int TargetIndex(std::string_view name);  // -1 when unknown

// The facts of one pipeline.
struct PipelineFacts {
  std::string pipeline;
  FactTable table;
};

// Reads the latest vendor-against-gold evaluation of each pipeline (or of `pipeline` only) from
// `outcomes` into fact tables: one row per outcome, the dimensions of docs/rootcause.md.
Result<std::vector<PipelineFacts>> LoadFacts(Store& store, const std::string& pipeline);

// One outcome row as the fact tables take it: LoadFacts reads them from `outcomes`, gtops run
// gives the rows it writes as it measures. Texts as stored, "" for none (NULL); views valid
// during FactsBuilder::Add only.
struct OutcomeFact {
  std::string_view kind;  // "paired", "missing", "extra", "duplicate", "ignored" or "tag"
  std::string_view vendor, annotator, batch, cls, spec_version, tool_version, tag_name;
  std::string_view attributes, scene;  // JSON objects: the context object's attributes; the scene
  std::string_view frame;
  std::string_view object;  // the first of the reference object's id, the label's id and the tag name that is not ""
  std::optional<std::string_view> labeled_at;  // the compared label set's
  std::optional<double> range_m, num_points, safety_weight;
  int64_t attributes_compared = 0;
  uint32_t errors = 0;  // ErrorBits of the outcome's error types
};
// The bits of OutcomeFact::errors for these error types (types root cause does not search: none).
uint32_t ErrorBits(std::span<const ErrorType> types);
// An outcome row about to be written, as LoadFacts would read it back; `labeled_at` is the compared
// label set's ("" for none). The views point into `row`.
OutcomeFact FactOf(const OutcomeRow& row, std::string_view labeled_at);

// Builds the fact tables of LoadFacts row by row: Add the rows of each pipeline in the order they
// were written, then Finish (the tables by pipeline name; the builder is empty again).
class FactsBuilder {
 public:
  FactsBuilder();
  ~FactsBuilder();
  FactsBuilder(FactsBuilder&&) noexcept;
  FactsBuilder& operator=(FactsBuilder&&) noexcept;
  void Add(std::string_view pipeline, const OutcomeFact& row);
  std::vector<PipelineFacts> Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the latest audit of each audited (task, frame) into fact tables (docs/rootcause.md,
// "Audits as evidence"): one row per vendor object the audit reviewed, its errors from the audit's
// `errors`, plus one row per `missing` error; the dimensions of LoadFacts and `auditor`.
Result<std::vector<PipelineFacts>> LoadAuditFacts(Store& store, const std::string& pipeline);

// Reads the findings of the latest `gtops check` of each pipeline into fact tables (docs/rootcause.md,
// "Findings as evidence"): one row per vendor object of the checked pipelines, its errors the
// findings on it with a calibrated probability of at least `min_probability`, plus one row per
// suspected missing object; the dimensions of LoadFacts.
Result<std::vector<PipelineFacts>> LoadFindingFacts(Store& store, const std::string& pipeline,
                                                    double min_probability = 0.5);

// A condition of a finding as written out: a value, or a range [lo, hi) with NaN for open ends.
struct ConditionOut {
  std::string key, value;
  bool range = false;
  double lo = 0, hi = 0;
};

struct RootCause {
  std::string pipeline, error_type;
  bool family = false;
  std::vector<ConditionOut> conditions;
  int64_t support = 0, errors = 0;
  double rate = 0, rate_lo = 0, rate_hi = 0;
  double baseline_rate = 0, baseline_lo = 0, baseline_hi = 0;  // the rest of the population at risk
  std::optional<double> lift;                                  // nullopt when the rest has no error
  double p_value = 0, log10_p = 0;
  double slice_q_value = 0;  // BH q of the slice among every slice of the search space
  double q_value = 0;        // BH q of the cause: its residual p among the causes and the search space
  int64_t population = 0, population_errors = 0;
  double excess_errors = 0;    // errors - support * baseline_rate
  double share_of_errors = 0;  // excess_errors / population_errors
  std::string metric;          // the metric its errors lower, "" for none
  std::optional<double> metric_value, metric_if_fixed, target;
  std::optional<bool> meets_target, meets_target_if_fixed;
  double safety_impact = 0;    // safety-weighted excess errors
  std::vector<std::string> examples;  // "frame/object"
  std::string action, action_reason;
  int rank = 0;  // within its pipeline, by safety-weighted impact
};

struct AnalyzeOptions {
  SearchOptions search;
  std::string error_type;  // "" = every target
  int threads = 0;         // searches in parallel; 0 = one per core
};

struct RootCauseReport {
  std::vector<RootCause> findings;  // by pipeline, then rank
  double tests = 0;                 // hypotheses of the search space (m of Benjamini–Hochberg)
  int64_t evaluated = 0;            // slices computed (the others count with p = 1)
  int64_t discoveries = 0;          // slices with q <= options.q before redundancy removal
  int64_t candidates = 0;           // causes after redundancy removal, before the cause-level BH
  double q = 0.05;
  std::vector<std::string> pipelines;  // analysed
  std::string evidence = "gold";       // what the facts came from: "gold" (LoadFacts) or "audits"
};

// Searches every table and target, applies Benjamini–Hochberg over every slice tested, removes
// redundancy, and measures each finding. `config` gives the metric targets (may be null).
Result<RootCauseReport> Analyze(const std::vector<PipelineFacts>& facts, const AnalyzeOptions& options,
                                const ProgramConfig* config);

// JSON of the report ({"findings": [...], "tests": m, ...}) as docs/rootcause.md shows it.
std::string RenderJson(const RootCauseReport& report);

// One line per finding for the terminal.
std::string RenderText(const RootCauseReport& report);

// A gate of the main job that failed, for the plan's post-mortem skeletons.
struct FailedGate {
  std::string pipeline, metric, slice, vendor;
  double value = 0, target = 0;
};

// The Markdown improvement plan: findings ranked by safety-weighted impact, each with its evidence
// and action, and a post-mortem skeleton per failed gate (docs/rootcause.md, "The plan").
std::string RenderPlan(const RootCauseReport& report, const std::vector<FailedGate>& failed, const std::string& title);

// For `gtops run`: fills result.root_causes with the `per_pipeline` top findings (by rank) of every
// pipeline that has a failing gap row, analysing those pipelines' outcomes together.
Status AddRootCauses(Store& store, const ProgramConfig& config, report::RunResult& result, int per_pipeline = 3);
// The same with the facts of the pipelines in `measured` given (built while they were measured:
// `facts` holds those with rows, at least the failing ones); the others' are read from the store.
Status AddRootCauses(Store& store, const ProgramConfig& config, report::RunResult& result,
                     const std::set<std::string>& measured, std::vector<PipelineFacts> facts, int per_pipeline = 3);

// The label of a finding's conditions: "vendor=bluepeak class=cyclist range_m=[40,null)".
std::string ConditionLabel(const RootCause& f);

}  // namespace gtops::rootcause
