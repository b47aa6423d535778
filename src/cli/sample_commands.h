// `gtops sample plan`: an acceptance sampling plan for a delivered batch from AQL, LTPD, the two
// risks and the lot size, with what it guarantees (achieved risks, AOQL) and its OC curve
// (docs/sampling.md, docs/cli.md).
// Parses nothing (main.cc does), calls the engine (stats/sampling), renders, returns the exit code.
#pragma once

#include <cstdint>

#include "cli/commands.h"

namespace gtops::cli {

struct SamplePlanArgs {
  int64_t lot = 0;            // items in the lot; 0 (not given): an infinite lot, binomial
  double aql = 0, ltpd = 0;   // acceptable and lot-tolerance defective fractions
  double alpha = 0.05;        // producer's risk: rejecting a lot at the AQL
  double beta = 0.10;         // consumer's risk: accepting a lot at the LTPD
  bool double_plan = false;   // a double plan (n1, c1, r1, n2, c2) instead of a single one
  bool json = false;
};
int RunSamplePlan(const SamplePlanArgs& args);

}  // namespace gtops::cli
