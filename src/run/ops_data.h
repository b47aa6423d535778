// The operations data of a program read from the store: task timelines (stored per task, rebuilt
// from events where they changed) and the audit outcome of each audited task, as the ops kernels
// take them.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "ops/kpis.h"
#include "ops/timeline.h"
#include "store/store.h"

namespace gtops {

// One finished timeline per task, ordered by task id; `as_of_ms` receives the latest event's time
// (the instant open tasks are judged at). Stored timelines are read as they are; the tasks marked
// since (new or replaced events) and rows that do not decode are rebuilt from their events, so the
// result is always that of rebuilding every timeline from the events. With at least
// `min_tasks_to_split` tasks, the upper half of the task ids is read at the same time on a second
// read-only connection.
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms,
                                                     int64_t min_tasks_to_split = 20000);

// What RefreshTimelines did.
struct TimelineRefresh {
  int64_t tasks = 0;   // timelines rebuilt and stored
  int64_t events = 0;  // events read to rebuild them
};

// Rebuilds from their events, and stores, the timelines of the marked tasks (those whose events
// changed since their row was written), in transactions of at most `chunk` tasks: memory is one
// chunk (the marks too are read a chunk at a time), and an interruption leaves the rest marked
// (still correct, read from events). Ingest calls
// it at its end. With many marked tasks, the events are read on a second connection by one scan.
Result<TimelineRefresh> RefreshTimelines(Store& store, int64_t chunk = 20000);

// One TaskAudit per audited task (ops::AuditOutcomes), ordered by task id.
Result<std::vector<ops::TaskAudit>> LoadAudits(Store& store);

}  // namespace gtops
