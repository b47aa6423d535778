// The operations data of a program read from the store: task timelines (from events) and the
// audit outcome of each audited task, as the ops kernels take them.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "ops/kpis.h"
#include "ops/timeline.h"
#include "store/store.h"

namespace gtops {

// One timeline per task, ordered by task id; `as_of_ms` receives the latest event's time (the
// instant open tasks are judged at). With at least `min_tasks_to_split` tasks, the upper half of
// the task ids is read at the same time on a second read-only connection.
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms,
                                                     int64_t min_tasks_to_split = 20000);

// One TaskAudit per audited task (ops::AuditOutcomes), ordered by task id.
Result<std::vector<ops::TaskAudit>> LoadAudits(Store& store);

}  // namespace gtops
