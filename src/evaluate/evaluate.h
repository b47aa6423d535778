// Evaluation of a pipeline from the store: reads its frames (Store::ForEachFrame), compares each
// compared-source record with the frame's reference under the pipeline's rules
// (quality::FrameComparer), writes the outcomes (Store outcomes table) and aggregates the
// metrics overall and per group (docs/metrics.md).
//
// Orchestration only: the comparison and the metrics are the quality kernels'. Not thread-safe
// (one store connection); memory is one task's records plus the aggregates.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "quality/compare.h"
#include "quality/metrics.h"
#include "store/store.h"

namespace gtops {

class OutcomeQueue;  // evaluate/outcome_writer.h

struct EvaluateOptions {
  std::string pipeline;
  std::string batch;              // "": every batch; else only compared records of this batch
  Source source = Source::kVendor;   // what is compared: kVendor or kModel
  // The reference: kGold, kConsensus (the label sets `gtops consensus --write` stored) or kModel; kVendor (for a model only) takes the frame's first vendor
  // record, by annotator id, as the reference (in an overlap set: one of its annotators).
  Source against = Source::kGold;
  // Frames are skipped unless they hold records of each of these sources (e.g. gold and vendor:
  // to compare evaluations of the same frames against different references).
  std::vector<Source> require_sources;
  std::vector<std::string> by;    // group keys: vendor, annotator, batch, class, spec_version,
                                  // tool_version, task, producer, range_m (20 m bands),
                                  // scene.<key>, attr.<key>
  // Compared records for which this returns false are skipped (e.g. the overlap annotators of a
  // task, to measure only the delivered labels); may be empty (every record is compared).
  std::function<bool(const LabelRecord& compared)> keep_record;
  bool write_outcomes = true;     // write the outcomes table (one evaluation run)
  // With write_outcomes: the run goes through this queue, which owns the write connection (then
  // `store` is only read: it may be a read-only connection) and commits the run later (its
  // errors: OutcomeQueue::Close). Null: written through `store` before EvaluatePipeline returns.
  OutcomeQueue* outcome_queue = nullptr;
  quality::MetricOptions metrics;
  // With write_outcomes: called with each outcome row (and the compared record it is of) before
  // it is written, in the order of the rows (e.g. to sum what a reader of the run's rows would);
  // may be empty.
  std::function<void(const LabelRecord& compared, const OutcomeRow& row)> on_outcome_row;
  // Called after each compared record (for tests and tools that inspect outcomes); may be empty.
  std::function<void(const FrameLabels& frame, const LabelRecord& compared,
                     const quality::FrameComparison& comparison)>
      on_comparison;
};

struct EvaluationGroup {
  std::vector<std::pair<std::string, std::string>> by;  // (key, value) in the order of `by`
  std::vector<quality::MetricValue> metrics;
  std::array<int64_t, kErrorTypeCount> errors{};       // outcomes with each error type
};

struct EvaluationResult {
  std::string pipeline;
  int64_t frames_compared = 0;   // frames with a reference and at least one compared record
  int64_t records_compared = 0;  // compared label records
  int64_t outcomes = 0;
  std::vector<quality::MetricValue> metrics;
  std::array<int64_t, kErrorTypeCount> errors{};
  std::vector<EvaluationGroup> groups;  // ordered by their values
};

// Usage error for an unknown group key, unknown pipeline or source/against pair that makes no
// sense (model against model); store errors as they come.
Result<EvaluationResult> EvaluatePipeline(Store& store, const ProgramConfig& config,
                                          const EvaluateOptions& options);

// How label noise distorts a model's evaluation: the model evaluated against gold and against the
// vendor labels of the same frames (frames that have gold, vendor labels and the model's).
struct MetricShift {
  std::string name;
  double against_gold = 0, against_vendor = 0;
  double shift = 0;  // against_vendor - against_gold
};
struct DistortionResult {
  EvaluationResult against_gold, against_vendor;
  std::vector<MetricShift> shifts;  // metrics present in both, in against_gold's order
};
Result<DistortionResult> EvaluateLabelNoiseDistortion(Store& store, const ProgramConfig& config,
                                                      const std::string& pipeline,
                                                      const std::string& batch,
                                                      const quality::MetricOptions& metrics);

// The value of group key `key` for one outcome ("" when it has none), e.g. "vendor",
// "scene.weather", "attr.occlusion", "range_m" ("[20,40)").
std::string GroupValue(std::string_view key, const LabelRecord& compared,
                       const quality::Outcome& outcome);

// True when `key` is a group key EvaluatePipeline understands.
bool IsGroupKey(std::string_view key);

}  // namespace gtops
