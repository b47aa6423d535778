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

// Every series of the program (of `pipeline` only when not empty), ordered by pipeline, vendor,
// metric; each series' batches in delivery order (the batch's first labeled_at, else its first
// task's creation).
Result<std::vector<SpcSeries>> LoadSpcSeries(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                             const std::vector<ops::TaskAudit>& audits, const std::string& pipeline);

// Charts every series and collects the incidents, in order of pipeline, vendor, since.
struct SpcResult {
  std::vector<SpcChart> charts;  // only the series that could be charted
  std::vector<Incident> incidents;
};
SpcResult RunProcessControl(const std::vector<SpcSeries>& series, const SpcOptions& options = {});

// Loads the series (of `pipeline` only when not empty), charts them, and makes the incidents found
// the store's current ones (Store::ReplaceIncidents at `now`). `series_count` receives the number
// of series read.
Result<SpcResult> MeasureProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                        const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                        const std::string& now, size_t* series_count = nullptr);

// An incident as the report shows it.
report::ProcessIncident ToReport(const Incident& incident);

}  // namespace gtops
