// Statistical process control of per-batch error rates (docs/sampling.md, "Process control"):
// EWMA and two-sided CUSUM detectors for proportions with varying batch sizes, the Western
// Electric / Nelson run rules, and the u chart. Pure functions over values; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/control_chart.h"

namespace gtops::stats {

// EWMA of batch proportions x_t / n_t: z_0 = p0, z_t = lambda p_t + (1 - lambda) z_{t-1}, with
// the exact variance for varying n, Var z_t = p0 (1 - p0) sum_{i<=t} lambda² (1-lambda)^{2(t-i)} / n_i,
// and limits p0 +- L d sqrt(Var z_t) (time-varying: narrow at first, then steady). p0 is the given
// in-control rate, or sum x / sum n when NaN. Batches with n_t = 0 carry z forward and get NaN limits.
// d is the over-dispersion factor (Laney's sigma_z, LaneyDispersion; 1 for a binomial process).
struct EwmaPoint {
  double z = 0, lcl = 0, ucl = 0;
  bool signal = false;
};
std::vector<EwmaPoint> Ewma(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double lambda = 0.2,
                            double L = 3.0, double p0 = NAN, double dispersion = 1.0);

// Two-sided tabular CUSUM in standardised units: z_t = (p_t - p0) / (d sqrt(p0 (1 - p0) / n_t)),
// d the over-dispersion factor as for Ewma,
// C+_t = max(0, C+_{t-1} + z_t - k), C-_t = max(0, C-_{t-1} - z_t - k); a signal when either
// exceeds h. After a signal the sums restart from 0. `shift_start` of a signalling point is the
// first batch of the run that led to it (the batch after the sum was last 0).
struct CusumPoint {
  double upper = 0, lower = 0;
  bool signal_up = false, signal_down = false;
  int64_t shift_start = -1;
};
std::vector<CusumPoint> Cusum(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double k = 0.5,
                              double h = 4.0, double p0 = NAN, double dispersion = 1.0);

// The same detectors for Poisson counts over exposures (u charts: c_t errors over n_t objects),
// docs/spc.md "u charts". u0 is the given in-control rate per unit, or sum c / sum n when NaN; d the
// over-dispersion factor (LaneyUDispersion; 1 for a Poisson process).
//
// EWMA of the batch rates u_t = c_t / n_t: z_0 = u0, z_t = lambda u_t + (1 - lambda) z_{t-1}, with
// the exact variance for varying exposure, Var z_t = u0 sum_{i<=t} lambda² (1-lambda)^{2(t-i)} / n_i,
// and limits u0 +- L d sqrt(Var z_t) (the lower may be negative: a fall to 0 errors is then not
// a signal by itself).
std::vector<EwmaPoint> PoissonEwma(const std::vector<int64_t>& counts, const std::vector<int64_t>& units,
                                   double lambda = 0.2, double L = 3.0, double u0 = NAN, double dispersion = 1.0);

// Two-sided Poisson CUSUM with the batch's exposure (Lucas 1985, in log-likelihood-ratio units):
// for a rise to u1 = shift u0 and a fall to u0 / shift, the increments are the quasi-log-likelihood
// ratios of the batch,
//   C+_t = max(0, C+_{t-1} + (c_t ln(shift) - n_t u0 (shift - 1)) / d²),
//   C-_t = max(0, C-_{t-1} + (n_t u0 (1 - 1/shift) - c_t ln(shift)) / d²),
// a signal when either exceeds h (then both restart from 0, as Cusum). Per unit of exposure the
// reference value is u0 (shift - 1) / ln(shift) upward and u0 (1 - 1/shift) / ln(shift) downward:
// shifts smaller than those do not accumulate. `shift_start` as for Cusum.
std::vector<CusumPoint> PoissonCusum(const std::vector<int64_t>& counts, const std::vector<int64_t>& units,
                                     double shift = 1.5, double h = 5.0, double u0 = NAN, double dispersion = 1.0);

// Western Electric / Nelson run rules on standardised values z_t = (x_t - centre_t) / sigma_t
// (NaN values break every run):
//   1 a point beyond 3 sigma;                     2 nine in a row on one side of the centre;
//   3 six in a row increasing or decreasing;      4 fourteen in a row alternating up and down;
//   5 two of three beyond 2 sigma on one side;    6 four of five beyond 1 sigma on one side;
//   7 fifteen in a row within 1 sigma;            8 eight in a row beyond 1 sigma, either side.
// Overlapping windows of the same rule are one signal from the first window's start to the last
// window's end, in order of start then rule.
struct RuleSignal {
  int rule = 0;
  std::string name;  // "beyond_3_sigma", "nine_one_side", ...
  int64_t start = 0, end = 0;  // indices of the first and the last point of the pattern
};
std::vector<RuleSignal> NelsonRules(const std::vector<double>& z);
// Retrospective test for a sustained change of a proportion (an "epidemic" alternative: the rate
// differs on one run of consecutive batches [start, end] from the rest; a single step is a run that
// touches either end). For every run that leaves batches with data on both sides, the binomial
// likelihood-ratio statistic G = 2 (LL(rate inside, rate outside) - LL(pooled rate)) is divided by
// d² (quasi-likelihood scaling for over-dispersion d, as in Laney's chart) and referred to the
// chi-square distribution with 1 degree of freedom, p = erfc(sqrt(G / 2)); p_adjusted multiplies by
// the number of runs tested (Bonferroni), capped at 1. With `simulations` > 0 the p-value is instead
// a parametric bootstrap of the largest G under no change (every batch binomial at the pooled
// rate; seeded, so reproducible): (1 + #{simulated max G >= G}) / (1 + simulations), which is less
// conservative than Bonferroni over runs that overlap. With `decide_at` > 0 (the significance level
// the caller decides at) the bootstrap stops as soon as the p-value is certain not to fall below it
// (Besag and Clifford's sequential Monte Carlo p-value, h / L after L series of which h reached G,
// with h the least count that keeps the full bootstrap's p at or above decide_at): the decision
// p < decide_at is the full bootstrap's, and a clear no-change series costs a few dozen series
// instead of `simulations`. The run with the largest G is returned
// (start = end = -1 when no run could be tested). `up`: the rate inside is the higher one.
struct StepChange {
  int64_t start = -1, end = -1;
  double g = 0, p_adjusted = 1;
  bool up = false;
};
StepChange FindStepChange(const std::vector<int64_t>& failures, const std::vector<int64_t>& n,
                          double dispersion = 1.0, int simulations = 0, uint64_t seed = 1,
                          double decide_at = 0);

// The step test for Poisson counts over exposures: as FindStepChange with the Poisson
// log-likelihood, G = 2 (c_in ln(u_in / u) + c_out ln(u_out / u)) for the rates inside and outside
// the run and the pooled rate u, divided by d²; the bootstrap draws every batch Poisson(n_i u).
StepChange FindPoissonStepChange(const std::vector<int64_t>& counts, const std::vector<int64_t>& units,
                                 double dispersion = 1.0, int simulations = 0, uint64_t seed = 1,
                          double decide_at = 0);

// u chart of counts c_i over units n_i (errors per object, per frame): centre u = sum c / sum n,
// limits u +- 3 sqrt(u / n_i), the lower clipped at 0. Batches with n_i <= 0 get NaN limits.
std::vector<ChartPoint> UChart(const std::vector<int64_t>& counts, const std::vector<double>& units);

}  // namespace gtops::stats
