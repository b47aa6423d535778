// Orchestration of the checks kernels and the store (docs/quality-checks.md): frames read with
// Store::ForEachFrame, each task checked, the evidence calibrated on the gold frames, findings
// written to the `findings` table; the review queue and auditor calibration read from it.
// This is the API that root cause and gaps use for the checks' signal: EnsureFindings, then
// Store::ForEachFinding.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "checks/checks.h"
#include "config/config.h"
#include "store/store.h"

namespace gtops::checks {

// Findings whose queue item is less likely than this are not stored (docs/quality-checks.md,
// "The probability floor").
inline constexpr double kProbabilityFloor = 0.05;

struct CheckResult {
  CheckRunInfo run;
  std::vector<CheckCalibration> calibration;
  std::map<std::string, int64_t> by_check;  // stored findings per check
  std::map<ErrorType, int64_t> by_type;     // stored findings per suspected type
  int64_t below_floor = 0;                  // findings found but not stored (below kProbabilityFloor)
  int64_t confirmable = 0, confirmed = 0;   // findings on gold frames gold can judge; confirmed of them
  double seconds = 0;
  bool reused = false;  // the stored findings were current: nothing was run
};

// What a check run depends on: the config text, the data (latest ingest that stored anything,
// label records), and the checks' version.
Result<std::string> ChecksFingerprint(Store& store, const ProgramConfig& config);

// Runs every check on `pipeline` and replaces its findings (write = false: compute only).
Result<CheckResult> RunChecks(Store& store, const ProgramConfig& config, const std::string& pipeline,
                              bool write = true);

// The same for several pipelines on up to `threads` threads (0: one per hardware thread, at most
// one per pipeline): each thread reads frames through a read-only connection of its own, the
// findings are written through `store` one pipeline at a time. Pipelines are started largest
// first (by the objects of their last check run), the results come in the order of `pipelines`.
// Without read-only connections (they fail to open), one thread on `store`. Stops at the first
// error (pipelines already written stay written).
Result<std::vector<CheckResult>> RunChecksParallel(Store& store, const ProgramConfig& config,
                                                   const std::vector<std::string>& pipelines, int threads,
                                                   bool write = true);

// Runs the checks when the pipeline's findings are missing or stale (fingerprint differs).
Result<CheckResult> EnsureFindings(Store& store, const ProgramConfig& config, const std::string& pipeline);

// The review queue of a pipeline from its stored findings (EnsureFindings first).
Result<Queue> LoadQueue(Store& store, const ProgramConfig& config, const std::string& pipeline,
                        const QueueOptions& options);

// Auditor calibration over the frames of `pipeline` that have both an audit and gold.
Result<std::vector<AuditorStats>> AuditorCalibration(Store& store, const ProgramConfig& config,
                                                     const std::string& pipeline);

}  // namespace gtops::checks
