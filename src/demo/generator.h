// `gtops demo`: a synthetic AV ground-truth program with known faults, written in the
// interchange format (shared/FORMAT.md) with its answer key. docs/demo.md describes the world,
// the faults and the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace gtops {

struct DemoOptions {
  uint64_t seed = 7;
  int scenes = 240;                    // drive-log scenes; each pipeline labels each once
  int frames_per_task = 2;             // non-tracking pipelines
  int frames_per_tracking_task = 4;    // tracking pipelines
  double gold_fraction = 0.3;          // of labeled tasks
  double audit_fraction = 0.15;        // of labeled tasks, independent of gold
  double overlap_fraction = 0.1;       // of labeled tasks: 1-2 more annotators of the vendor
  bool model_predictions = true;
  std::vector<std::string> faults;     // fault kinds; empty = all (DemoFaultKinds); "none" = none;
                                       // "random" among them = random_faults
  bool random_faults = false;          // draw each fault's vendor, annotator, scene values and
                                       // range from the seed (docs/demo.md, "Random faults")
  std::string compression;             // "", "gz" or "zst"
  int objects_scale = 1;               // multiplies objects per frame
  std::vector<std::string> pipelines;  // empty = all 12 (DemoPipelineIds)
  int threads = 0;                     // worker threads; 0 = one per core. Output is the same.
  int64_t split_bytes = int64_t{512} << 20;  // a data file rolls over to a new part past this
};

// What was written. label_records counts vendor, gold and model records; objects the objects in
// them; audit_errors the errors listed in audits; errors_injected the lines of errors.jsonl.
struct DemoSummary {
  int64_t label_records = 0, objects = 0, events = 0, audits = 0, audit_errors = 0, tasks = 0,
          gold_tasks = 0, errors_injected = 0;
};

// Writes DIR/gtops.toml, DIR/data/<pipeline>/{labels,gold,model,events,audits}-NNNN.jsonl[.gz|.zst]
// and DIR/answers/{key.json,errors.jsonl}, creating DIR as needed and replacing files of the same
// names. Deterministic: the same options give the same bytes, whatever `threads` is. Memory stays
// bounded by a few scenes per thread, whatever the size. kUsage for an unknown pipeline, fault
// kind or compression or an out-of-range number; kStoreError when a file cannot be written.
// Thread-safe (no shared state); it runs its own worker threads.
Result<DemoSummary> WriteDemoProgram(const DemoOptions& options, const std::string& dir);

// The names DemoOptions accepts: the 12 pipeline ids, and the fault kinds (object-level and ops).
std::vector<std::string> DemoPipelineIds();
std::vector<std::string> DemoFaultKinds();

}  // namespace gtops
