// Audit sampling kernels (docs/sampling.md): acceptance sampling plans by attributes (single and
// double, exact hypergeometric or binomial), their OC curves, AOQ/AOQL and ATI under rectifying
// inspection; sample sizes to estimate a rate; Wald's SPRT; Neyman allocation over strata and the
// stratified estimate. Pure functions over values, no I/O; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gtops::stats {

// A lot of `lot_size` items; lot_size 0 means an infinite lot (or sampling from a process), where
// the number of defectives in a sample is binomial. In a finite lot the number of defectives is
// D = round(p N) and a sample's count is hypergeometric.
inline constexpr int64_t kInfiniteLot = 0;

// P(X <= c) for X the number of defectives in a sample of n at defective fraction p, exactly
// (summed in log space). c < 0 gives 0; n > lot_size (finite) is clamped to the lot.
double AcceptanceCdf(int64_t n, int64_t c, double p, int64_t lot_size);

// Single plan: inspect n, accept the lot when at most c are defective.
struct SinglePlan {
  int64_t n = 0, c = 0;
};

// Double plan: inspect n1 and count d1; accept when d1 <= c1, reject when d1 >= r1; otherwise
// inspect n2 more and accept when d1 + d2 <= c2.
struct DoublePlan {
  int64_t n1 = 0, c1 = 0, r1 = 1, n2 = 0, c2 = 0;
};

double AcceptProbability(const SinglePlan& plan, double p, int64_t lot_size);

// The parts of a double plan's acceptance probability, and its average sample number.
struct DoubleOc {
  double p_accept = 0;         // accept on the first or the second sample
  double p_accept_first = 0;   // accept on the first sample
  double p_second = 0;         // the second sample is drawn: c1 < d1 < r1
  double asn = 0;              // n1 + n2 p_second
};
DoubleOc EvaluateDouble(const DoublePlan& plan, double p, int64_t lot_size);
double AcceptProbability(const DoublePlan& plan, double p, int64_t lot_size);

// What a plan must achieve: P(accept | aql) >= 1 - alpha and P(accept | ltpd) <= beta.
struct PlanRequest {
  double aql = 0, ltpd = 0;
  double alpha = 0.05, beta = 0.10;
  int64_t lot_size = kInfiniteLot;
};

// Usage error when 0 < aql < ltpd < 1, 0 < alpha, beta < 0.5 and lot_size >= 0 do not hold
// (the message names the option: "--aql 0.05 must be below --ltpd 0.02").
Status ValidatePlanRequest(const PlanRequest& r);

// The single plan of smallest n meeting both risks (for that n, the largest c that still meets
// the consumer's side, which best protects the producer). Usage error when the request is
// invalid or no plan exists (a finite lot where round(aql N) = round(ltpd N), or an infinite lot
// needing more than 10^7 items).
Result<SinglePlan> DesignSinglePlan(const PlanRequest& r);

// A double plan with n2 = n1 and r1 = c2 + 1 meeting both risks: the smallest n1 for which some
// c1 < c2 does, and among those the one of smallest ASN at the AQL. Milliseconds for ordinary
// requests; slow (seconds to tens of seconds) when the AQL and LTPD are within 20% of each other.
Result<DoublePlan> DesignDoublePlan(const PlanRequest& r);

struct OcPoint {
  double p = 0, p_accept = 0;
};
// P(accept) at each p of `grid`.
std::vector<OcPoint> OcCurve(const SinglePlan& plan, int64_t lot_size, const std::vector<double>& grid);
std::vector<OcPoint> OcCurve(const DoublePlan& plan, int64_t lot_size, const std::vector<double>& grid);
// `points` evenly spaced p from 0 to min(1, 2 ltpd) (and aql, ltpd themselves), sorted.
std::vector<double> OcGrid(double aql, double ltpd, int points = 21);

// Rectifying inspection: rejected lots are inspected in full and defectives replaced. For a
// finite lot N: AOQ = p Pa (N - n) / N and ATI = n + (1 - Pa)(N - n); for a double plan
// AOQ = p [Pa1 (N - n1) + Pa2 (N - n1 - n2)] / N and ATI = n1 Pa1 + (n1 + n2) Pa2 + N (1 - Pa)
// (Pa1, Pa2: accepted on the first, on the second sample; p is the lot's D / N). An infinite lot has AOQ = p Pa and
// no ATI (NaN).
double AverageOutgoingQuality(const SinglePlan& plan, double p, int64_t lot_size);
double AverageOutgoingQuality(const DoublePlan& plan, double p, int64_t lot_size);
double AverageTotalInspection(const SinglePlan& plan, double p, int64_t lot_size);
double AverageTotalInspection(const DoublePlan& plan, double p, int64_t lot_size);

// The maximum of AOQ over p (the AOQL) and where it is reached. Finite lot: over D = 0..N
// (every D for N <= 20000, else a scan in steps then every D around the best); infinite lot: a
// scan of p then a golden-section refinement.
struct Aoql {
  double aoql = 0, at_p = 0;
};
Aoql AverageOutgoingQualityLimit(const SinglePlan& plan, int64_t lot_size);
Aoql AverageOutgoingQualityLimit(const DoublePlan& plan, int64_t lot_size);

// The standard normal quantile (inverse CDF) of q in (0, 1).
double NormalQuantile(double q);

// Sample size to estimate a rate: the smallest n whose Wilson interval at the anticipated rate p
// and the given confidence has half-width <= margin,
//   h(n) = z / (1 + z²/n) * sqrt(p (1 - p) / n + z² / (4 n²)),
// then, for a per-object rate with m objects per task and intra-task correlation icc, multiplied
// by the design effect 1 + (m - 1) icc (rounded up). `n` counts objects (or tasks when m = 1);
// `tasks` = ceil(n / m) is what to audit.
struct RateSampleSize {
  int64_t n_simple = 0;       // under simple random sampling
  double design_effect = 1;
  int64_t n = 0;              // n_simple * design effect, rounded up
  int64_t tasks = 0;          // ceil(n / m)
};
Result<RateSampleSize> SampleSizeForRate(double p, double margin, double confidence = 0.95,
                                         double objects_per_task = 1, double icc = 0);

// Wald's sequential probability ratio test of H0: p = p0 (a good batch: accept) against
// H1: p = p1 > p0 (a bad batch: reject), with error rates alpha (rejecting a good batch) and
// beta (accepting a bad one). After n audits with d failures the log-likelihood ratio is
// LLR = d g1 - (n - d) g2, g1 = log(p1/p0), g2 = log((1-p0)/(1-p1)); reject when LLR >= A,
// accept when LLR <= B, A = log((1-beta)/alpha), B = log(beta/(1-alpha)). In failures:
// reject when d >= h1 + s n, accept when d <= -h0 + s n, with s = g2/(g1+g2), h1 = A/(g1+g2),
// h0 = -B/(g1+g2).
struct Sprt {
  double p0 = 0, p1 = 0, alpha = 0.05, beta = 0.10;
  double a = 0, b = 0;           // A, B
  double g1 = 0, g2 = 0;
  double slope = 0, h0 = 0, h1 = 0;
  double RejectLine(int64_t n) const { return h1 + slope * static_cast<double>(n); }
  double AcceptLine(int64_t n) const { return -h0 + slope * static_cast<double>(n); }
};
Result<Sprt> MakeSprt(double p0, double p1, double alpha = 0.05, double beta = 0.10);

// What to do with a batch after the audits so far (SPRT and acceptance plans alike).
enum class AuditDecision { kContinue, kAccept, kReject };
const char* Name(AuditDecision d);  // "continue", "accept", "reject"

struct SprtOutcome {
  AuditDecision decision = AuditDecision::kContinue;
  int64_t audits = 0;    // audits used (up to the decision, or all of them)
  int64_t failures = 0;  // failures among those
  double llr = 0;
};
// Applies the test to audit results in order (true: the audit failed), stopping at the first
// decision.
SprtOutcome DecideSprt(const Sprt& t, const std::vector<bool>& failed);
// The decision after `audits` audits with `failures` failures (no earlier stop is assumed).
AuditDecision DecideSprtCounts(const Sprt& t, int64_t audits, int64_t failures);

// Wald's approximation of the expected number of audits when the true rate is p:
// E[N] = (Pa B + (1 - Pa) A) / E[z], E[z] = p g1 - (1 - p) g2, with Pa = 1 - alpha at p0 and
// beta at p1 (other p: Wald's OC via the parametric h). At p where E[z] = 0: -A B / (g1 g2).
double SprtExpectedAudits(const Sprt& t, double p);
// Wald's OC: P(accept | p) of the test (approximate: ignores the overshoot).
double SprtAcceptProbability(const Sprt& t, double p);

// The decision of an acceptance plan on the audit results so far, in audit order (true: failed),
// with the evidence in words ("4 of 60 audits failed, more than c = 3: reject").
// Single plan: reject as soon as more than c of the first n failed (acceptance is then out of
// reach: curtailed inspection), accept when the first n are audited with at most c failures,
// otherwise continue. Double plan: on the first n1, reject as soon as d1 >= r1; after them accept
// when d1 <= c1, reject when d1 >= r1; otherwise on the next n2 reject as soon as d1 + d2 > c2 and
// accept when all n1 + n2 are audited. Results beyond the plan's samples are ignored.
// `audits_needed` is how many more audits a continue needs at most (0 otherwise).
struct PlanDecision {
  AuditDecision decision = AuditDecision::kContinue;
  int64_t audits_used = 0, failures = 0;
  int64_t audits_needed = 0;
  std::string evidence;
};
PlanDecision DecidePlan(const SinglePlan& plan, const std::vector<bool>& failed);
PlanDecision DecidePlan(const DoublePlan& plan, const std::vector<bool>& failed);
// The SPRT's decision with the same evidence fields (audits_needed: 0, unknown in advance).
PlanDecision DecidePlan(const Sprt& t, const std::vector<bool>& failed);

// A stratum of a batch: its size and its anticipated error rate (history, automated QA).
struct Stratum {
  std::string name;
  int64_t size = 0;
  double p = 0;
};
// Neyman allocation of a budget of n audits: n_h proportional to N_h sqrt(p_h (1 - p_h)),
// rounded by largest remainder, at least 1 in every non-empty stratum when the budget allows
// (so every stratum has an estimate even when its anticipated rate is 0 or 1) and at most N_h
// (the excess is given to the others). When every stratum has p_h (1 - p_h) = 0 the allocation is
// proportional to N_h. The budget is capped at the total size.
std::vector<int64_t> NeymanAllocation(const std::vector<Stratum>& strata, int64_t budget);
// Proportional allocation (n_h proportional to N_h), with the same rounding and bounds.
std::vector<int64_t> ProportionalAllocation(const std::vector<Stratum>& strata, int64_t budget);

// The audited sample of a stratum: its size N_h, audits n_h and failures x_h.
struct StratumSample {
  int64_t size = 0, audited = 0, failed = 0;
};
// The stratified estimate of the batch's error rate p = sum W_h p_h (W_h = N_h / N, p_h = x_h/n_h)
// with variance sum W_h² (1 - n_h/N_h) p_h (1 - p_h) / (n_h - 1) (finite population correction;
// divisor 1 when n_h = 1) and the normal 95% interval clipped to [0, 1]. Strata with no audit
// are left out of the estimate and counted in `unaudited_strata` (their weight is then missing:
// the estimate covers the audited strata only). `unreviewed_rate` estimates the error rate of
// the tasks not audited: sum (N_h - n_h) p_h / sum (N_h - n_h).
struct StratifiedEstimate {
  double rate = 0, variance = 0, lo = 0, hi = 0;
  double unreviewed_rate = 0;
  double unreviewed_lo = 0, unreviewed_hi = 0;  // its 95% prediction interval (docs/sampling.md)
  int unaudited_strata = 0;
};
StratifiedEstimate EstimateStratified(const std::vector<StratumSample>& strata);

// The decision of a single plan (n, c) on a stratified sample drawn at unequal rates (Neyman
// allocation; docs/sampling.md, "Deciding on a stratified sample"): the design-weighted failures
// n p_w, p_w = sum W_h p_h over the audited strata (EstimateStratified), are compared with c.
// While drawn tasks are still unaudited, the bounds of n p_w with every one of them passing (low)
// or failing (high) decide early: reject when low > c, accept when high <= c, else continue.
// `audited[h]` holds stratum h's size N_h and its audits so far, `drawn[h]` the tasks drawn in it.
// With one stratum n p_w is the count of failures scaled to n audits.
struct WeightedDecision {
  PlanDecision plan;                   // decision, audits used, unweighted failures, evidence
  double weighted_failures = NAN;      // n p_w over the audits so far (NaN before the first)
  double low = NAN, high = NAN;        // its bounds over the outstanding drawn tasks
  StratifiedEstimate estimate;         // p_w with its interval
};
WeightedDecision DecideStratified(const SinglePlan& plan, const std::vector<StratumSample>& audited,
                                  const std::vector<int64_t>& drawn);

// Reproducible draws (docs/sampling.md, "Drawing the sample"). The draw key of an item is
// SplitMix64's output mix of seed XOR FNV-1a-64(id): a pure function of the seed and the id, the
// same on every machine and independent of the order the items are listed in.
uint64_t DrawKey(uint64_t seed, std::string_view id);

// A stratified sample without replacement: in stratum h (stratum_of[i] = h) the allocation[h]
// items of smallest (key, id); returned as indices into `ids` in audit order (ascending key, then
// id), the strata interleaved. A stratum asked for more than it holds gives all it holds.
std::vector<size_t> DrawStratified(const std::vector<std::string>& ids, const std::vector<size_t>& stratum_of,
                                   const std::vector<int64_t>& allocation, uint64_t seed);

// The sampling variance of the stratified estimate of p under an allocation, with the strata's
// true rates p_h: sum W_h² (1 - n_h/N_h) p_h (1 - p_h) / n_h (strata with n_h = 0 add nothing).
double StratifiedVariance(const std::vector<Stratum>& strata, const std::vector<int64_t>& allocation);

}  // namespace gtops::stats
