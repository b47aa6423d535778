// One work item of the demo generator: a range of scenes of one pipeline, written to that range's
// own files. Everything a scene needs is drawn from streams keyed by (seed, pipeline, scene), so
// items are independent and the output does not depend on how items are spread over threads.
// Memory is the state of one task (its frames and labels), reused from task to task.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "demo/json_line.h"
#include "demo/rng.h"
#include "demo/sink.h"
#include "demo/world.h"

namespace gtops::demo {

struct ItemTotals {
  int64_t label_records = 0, objects = 0, events = 0, audits = 0, audit_errors = 0, tasks = 0,
          gold_tasks = 0, errors_injected = 0;
  std::vector<int64_t> truth_objects;  // per vendor of the world
};

// Writes scenes [begin, end) of pipeline `pipe` as chunk `chunk`; errors.jsonl lines are
// appended to `errors` (the caller writes them out in item order).
Status WriteChunk(const World& world, int pipe, int chunk, int begin, int end,
                  std::string& errors, ItemTotals& totals);

}  // namespace gtops::demo
