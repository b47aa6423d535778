// The series that statistical process control charts, read from the store (docs/spc.md): per
// pipeline x vendor and batch, each error type's rate over the objects at risk (from the latest
// comparison of the vendor's labels with gold), the audit failure rate, and the rework and late
// rates of tasks (from the task timelines).
#pragma once

#include <array>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ops/kpis.h"
#include "ops/timeline.h"
#include "report/model.h"
#include "run/process_control.h"
#include "store/store.h"

namespace gtops {

// The fewest units at risk an annotator's batch needs to be a point of the annotator's series
// (docs/spc.md, "Annotators"); lighter batches are left out of it (the vendor's series keeps them).
inline constexpr int64_t kMinAnnotatorUnitsPerBatch = 20;

// What the error-type series take from the outcome rows of the latest comparison of each
// pipeline's vendor labels with gold: per (pipeline, vendor, batch, annotator), the rows at risk of
// each error type and those with it. LoadSpcSeries reads them from `outcomes`; gtops run adds the
// rows it writes as it measures (the pipelines it covers are then not read).
class OutcomeSums {
 public:
  // One outcome row (texts as stored, "" for none).
  void Add(std::string_view pipeline, std::string_view vendor, std::string_view batch, std::string_view annotator,
           std::string_view kind, int64_t attributes_compared, std::span<const ErrorType> errors);
  // `pipeline`'s rows are all here (also when it has none).
  void Cover(std::string_view pipeline) { covered_.emplace(pipeline); }
  // Adds `other`'s sums and pipelines.
  void Merge(const OutcomeSums& other);
  const std::set<std::string>& covered() const { return covered_; }

  // A row given as the flags of the error types charted (bit i: the i-th of docs/spc.md's outcome
  // metrics, in the order of the outcomes table's columns).
  void AddFlags(std::string_view pipeline, std::string_view vendor, std::string_view batch, std::string_view annotator,
                std::string_view kind, int64_t attributes_compared, uint32_t flags);
  using Group = std::array<std::string, 4>;  // pipeline, vendor, batch, annotator
  static constexpr size_t kSums = 28;        // per error type (at risk, with it), then objects and their errors
  const std::map<Group, std::array<int64_t, kSums>>& groups() const { return groups_; }

 private:
  std::map<Group, std::array<int64_t, kSums>> groups_;
  std::array<int64_t, kSums>* last_ = nullptr;  // the last row's group's (rows of a group mostly follow each other)
  Group last_group_;
  std::set<std::string> covered_;
};

// Every series of the program (of `pipeline` only when not empty), ordered by pipeline, vendor,
// annotator ("" first: the vendor's own series), metric; each series' batches in delivery order
// (the batch's first labeled_at, else its first task's creation). Annotator series exist for the
// outcome metrics, audit failures and rework (not lateness), with only their batches of at least
// kMinAnnotatorUnitsPerBatch units. The outcome sums of the pipelines `measured` covers are its
// (may be null: every pipeline's are read).
Result<std::vector<SpcSeries>> LoadSpcSeries(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                             const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                             const OutcomeSums* measured = nullptr);

// Charts every series and collects the incidents, in order of pipeline, vendor, since.
struct SpcResult {
  std::vector<SpcChart> charts;  // only the series that could be charted (vendors', then annotators')
  std::vector<Incident> incidents;
  size_t annotator_charts = 0;   // of them, annotator series (the Bonferroni factor of their step tests)
};
SpcResult RunProcessControl(const std::vector<SpcSeries>& series, const SpcOptions& options = {});

// Makes `result`'s incidents the store's current ones for `pipeline` ("" for all) at `now`
// (Store::ReplaceIncidents).
Status SaveIncidents(Store& store, const std::string& pipeline, const SpcResult& result, const std::string& now);

// Loads the series (of `pipeline` only when not empty) and charts them; reads the store only.
// `measured` as LoadSpcSeries takes it.
Result<SpcResult> ChartProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                      const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                      size_t* series_count = nullptr, const OutcomeSums* measured = nullptr);

// ChartProcessControl, then SaveIncidents. `series_count` receives the number of series read.
Result<SpcResult> MeasureProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                        const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                        const std::string& now, size_t* series_count = nullptr);

// The chart of a series as a trend of the report (vendor "v / annotator" for an annotator's):
// per batch the rate, its Laney limits and the centre line; out of control outside them.
report::Trend ToReport(const SpcChart& chart);

// An incident as the report shows it.
report::ProcessIncident ToReport(const Incident& incident);

}  // namespace gtops
