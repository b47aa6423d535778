// The series that statistical process control charts, read from the store (docs/spc.md): per
// pipeline x vendor and batch, each error type's rate over the objects at risk (from the latest
// comparison of the vendor's labels with gold), the audit failure rate, and the rework and late
// rates of tasks (from the task timelines).
#pragma once

#include <string>
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

// Every series of the program (of `pipeline` only when not empty), ordered by pipeline, vendor,
// annotator ("" first: the vendor's own series), metric; each series' batches in delivery order
// (the batch's first labeled_at, else its first task's creation). Annotator series exist for the
// outcome metrics, audit failures and rework (not lateness), with only their batches of at least
// kMinAnnotatorUnitsPerBatch units.
Result<std::vector<SpcSeries>> LoadSpcSeries(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                             const std::vector<ops::TaskAudit>& audits, const std::string& pipeline);

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
Result<SpcResult> ChartProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                      const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                      size_t* series_count = nullptr);

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
