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

// `gtops sample size`: how many to audit to estimate a rate to a margin (docs/sampling.md).
struct SampleSizeArgs {
  double rate = 0.5;           // the anticipated rate (0.5: the most conservative)
  double margin = 0;           // the wanted half-width of the Wilson interval
  double confidence = 0.95;
  double objects_per_task = 1; // m: objects per audited task for a per-object rate (1: a per-task rate)
  double icc = 0;              // intra-task correlation of errors, for the design effect
  bool json = false;
};
int RunSampleSize(const SampleSizeArgs& args);

}  // namespace gtops::cli
