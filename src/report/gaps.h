// The gap kernel (docs/run.md, "Status"): a measurement with its interval against a target gives
// a status, a signed gap and, when inconclusive, the additional audited tasks that would most
// likely settle it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "report/model.h"

namespace gtops::report {

struct Judgement {
  GapStatus status = GapStatus::kNoData;
  double gap = 0;  // value - target (higher is better) or target - value: negative is short
  std::optional<int64_t> additional_audits;
};

// `meets` when the whole interval [lo, hi] is on the right side of the target (the target itself
// counts as the right side: at least / at most), `fails` when the whole interval is on the wrong
// side, otherwise `inconclusive`. `no_data` when value is NaN.
//
// Additional audits: the interval's half-width on the target's side, h, shrinks as 1/sqrt(K)
// with the K tasks behind it. Were the point estimate to stay where it is, the interval would
// clear the target at K' = K (h / |value - target|)^2 tasks, so ceil(K' - K) more (at least 1).
// Null when value equals the target (no sample size settles it) or K is 0.
Judgement Judge(double value, double lo, double hi, double target, bool higher_is_better, int64_t clusters);

// Worst first: fails, then inconclusive, then no_data, then meets; within a status by the gap
// relative to the target's scale (|target|, or 1 for a target of 0), most negative first; then
// by pipeline, metric, vendor and slice for a stable order.
void SortGaps(std::vector<Gap>& gaps);

}  // namespace gtops::report
