// The main job (gtops run, docs/run.md): ingest what is new, measure every pipeline against its
// targets — object metrics from vendor labels against gold, audit pass rates and error rates from
// audits, operational rates from task events — and produce the gap table with intervals and
// statuses, the per-batch trends with control limits, the spec-version split, and what changed
// since the previous run; persist the gap table in the store and write the report.
//
// Orchestration only: the metrics are the quality and ops kernels', the statuses the report
// kernel's, the control charts the stats kernel's. Not thread-safe (`store` is used by one thread at
// a time; the threads of RunOptions::threads read through connections of their own).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/status.h"
#include "ingest/ingest.h"
#include "quality/metrics.h"
#include "report/model.h"
#include "store/store.h"

namespace gtops {

struct RunOptions {
  std::string program_dir = ".";
  bool ingest = true;               // ingest what is new first
  bool force = false;               // measure again even when nothing changed since the last run
  std::string report_dir;           // "" : <program_dir>/report; written unless write_report is false
  bool write_report = true;
  quality::MetricOptions metrics;   // intervals of the gap rows
  int trend_resamples = 200;        // bootstrap resamples of the per-batch and per-spec points
  // Pipelines measured at once, each on a thread with a read-only connection of its own, their
  // outcomes written one run after the other through `store`: 0 = the environment's
  // GTOPS_RUN_THREADS if set (1-64), else one per core, at most 2; 1 =
  // one after the other on the calling thread (also when no second connection can be opened, e.g.
  // an in-memory store). The result is the same either way.
  int threads = 0;
  // Called with a short description of each stage ("ingest", "lidar_cuboids: gold", ...).
  std::function<void(std::string_view)> progress;
};

struct RunOutput {
  report::RunResult result;
  // Nothing changed since the last run (same config, data and options) and its report exists:
  // the gap table is the last run's, read from the store, and the report was left as it was.
  bool reused = false;
  IngestReport ingest;              // this run's ingest (empty when options.ingest is false)
  std::string report_dir;           // where the report is
};

Result<RunOutput> RunProgram(Store& store, const ProgramConfig& config, const RunOptions& options);

// Measures every pipeline of `config` from the store (no ingest, nothing written): the result
// without run ids or changes.
Result<report::RunResult> MeasureProgram(Store& store, const ProgramConfig& config, const RunOptions& options);

// The gap table of the latest run, from the store (gtops gaps); kNotFound when there is no run.
Result<report::RunResult> LatestGapTable(Store& store, const ProgramConfig& config);

// Writes report/index.html, report/report.md and report/gaps.json into `dir` (created as
// needed), each atomically (a temporary file renamed over it).
Status WriteReport(const report::RunResult& result, const std::string& dir);

}  // namespace gtops
