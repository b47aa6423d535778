// `gtops run`: the main job (ingest what is new, hold every pipeline to its targets, write the
// report), and `gtops gaps`: the last run's gap table from the store (docs/run.md, docs/cli.md).
// Parses nothing (main.cc does), calls the engine (run/), renders, returns the exit code.
#pragma once

#include <string>

#include "cli/commands.h"

namespace gtops::cli {

struct RunArgs {
  CommonArgs common;
  std::string program_arg;   // the positional PROGRAM (overrides --program)
  bool gate = false;         // exit 6 when a target fails with confidence
  bool strict = false;       // with --gate: inconclusive rows fail the gate too
  bool verbose = false;      // every gap row, not one line per pipeline
  bool force = false;        // measure again even when nothing is new
  bool no_ingest = false;
  std::string report_dir;    // default PROGRAM/report
  int resamples = 1000;
  int threads = 0;           // pipelines measured at once (0: GTOPS_RUN_THREADS, else one per core, at most 2)
};
int RunRun(const RunArgs& args);

struct GapsArgs {
  CommonArgs common;
  std::string pipeline;      // only this pipeline
  std::string status;        // only rows with this status
  bool gate = false, strict = false;
};
int RunGaps(const GapsArgs& args);

}  // namespace gtops::cli
