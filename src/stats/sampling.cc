#include "stats/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace gtops::stats {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr int64_t kMaxInfiniteLotSample = 10'000'000;

double LogAddExp(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  return std::max(a, b) + std::log1p(std::exp(-std::fabs(a - b)));
}

double LogChoose(double n, double k) { return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1); }

int64_t Defectives(double p, int64_t lot_size) {
  return std::clamp<int64_t>(std::llround(p * static_cast<double>(lot_size)), 0, lot_size);
}

// In a finite lot p is taken as the lot's actual fraction D / N, D = round(p N), as everywhere.
double LotFraction(double p, int64_t lot_size) {
  return lot_size == kInfiniteLot ? p : static_cast<double>(Defectives(p, lot_size)) / static_cast<double>(lot_size);
}

// log P(X <= x) for x = 0..c, X ~ Binomial(n, p). Terms from the pmf at 0 by the ratio
// pmf(x+1)/pmf(x) = (n-x)/(x+1) * p/(1-p), summed with log-add-exp so that nothing underflows.
std::vector<double> LogBinomialCdfRow(int64_t n, int64_t c, double p) {
  std::vector<double> row(static_cast<size_t>(std::max<int64_t>(c + 1, 0)), 0.0);
  if (p <= 0) return row;
  if (p >= 1) {  // every item defective: X = n
    for (int64_t x = 0; x <= c && x < n; ++x) row[static_cast<size_t>(x)] = kNegInf;
    return row;
  }
  const double log_odds = std::log(p) - std::log1p(-p);
  double term = static_cast<double>(n) * std::log1p(-p);
  double sum = term;
  for (int64_t x = 0; x <= c && x < n; ++x) {
    if (x > 0) {
      term += std::log(static_cast<double>(n - x + 1) / static_cast<double>(x)) + log_odds;
      sum = LogAddExp(sum, term);
    }
    row[static_cast<size_t>(x)] = std::min(sum, 0.0);
  }
  return row;
}

// log P(X <= x) for x = 0..c, X hypergeometric: n drawn from N items of which D are defective.
// The support starts at lo = max(0, n - (N - D)); pmf(x+1)/pmf(x) = (D-x)(n-x) / ((x+1)(N-D-n+x+1)).
std::vector<double> LogHypergeometricCdfRow(int64_t n, int64_t c, int64_t D, int64_t N) {
  std::vector<double> row(static_cast<size_t>(std::max<int64_t>(c + 1, 0)), 0.0);
  n = std::min(n, N);
  const int64_t lo = std::max<int64_t>(0, n - (N - D));
  const int64_t hi = std::min(n, D);
  auto d = [](int64_t v) { return static_cast<double>(v); };
  double term = LogChoose(d(D), d(lo)) + LogChoose(d(N - D), d(n - lo)) - LogChoose(d(N), d(n));
  double sum = term;
  for (int64_t x = 0; x <= c; ++x) {
    if (x >= hi) break;  // the rest stay 0
    if (x < lo) {
      row[static_cast<size_t>(x)] = kNegInf;
      continue;
    }
    if (x > lo) {
      term += std::log(d(D - x + 1) * d(n - x + 1) / (d(x) * d(N - D - n + x)));
      sum = LogAddExp(sum, term);
    }
    row[static_cast<size_t>(x)] = std::min(sum, 0.0);
  }
  return row;
}

// The scalar forms answer c >= n (or >= D) without building a row of c + 1 entries.
double LogBinomialCdf(int64_t n, int64_t c, double p) {
  if (c < 0) return kNegInf;
  if (c >= n) return 0;
  return LogBinomialCdfRow(n, c, p)[static_cast<size_t>(c)];
}

double LogHypergeometricCdf(int64_t n, int64_t c, int64_t D, int64_t N) {
  if (c < 0) return kNegInf;
  if (c >= std::min(std::min(n, N), D)) return 0;
  return LogHypergeometricCdfRow(n, c, D, N)[static_cast<size_t>(c)];
}

double LogCdf(int64_t n, int64_t c, double p, int64_t lot_size) {
  if (lot_size == kInfiniteLot) return LogBinomialCdf(n, c, p);
  return LogHypergeometricCdf(n, c, Defectives(p, lot_size), lot_size);
}

std::vector<double> LogCdfRow(int64_t n, int64_t c, double p, int64_t lot_size) {
  if (lot_size == kInfiniteLot) return LogBinomialCdfRow(n, c, p);
  return LogHypergeometricCdfRow(n, c, Defectives(p, lot_size), lot_size);
}

// pmf of the first sample's defectives, 0..k, for the double plan.
std::vector<double> FirstSamplePmf(int64_t n1, int64_t k, double p, int64_t lot_size) {
  const std::vector<double> row = LogCdfRow(n1, k, p, lot_size);
  std::vector<double> pmf(row.size());
  double prev = 0;
  for (size_t x = 0; x < row.size(); ++x) {
    const double cdf = std::exp(row[x]);
    pmf[x] = std::max(0.0, cdf - prev);
    prev = cdf;
  }
  return pmf;
}

// P(second sample has <= k defectives | d1 in the first), exactly: binomial (independent) or
// hypergeometric from the N - n1 items left, of which D - d1 are defective.
double SecondCdf(const DoublePlan& plan, int64_t d1, int64_t k, double p, int64_t lot_size) {
  if (lot_size == kInfiniteLot) return std::exp(LogBinomialCdf(plan.n2, k, p));
  const int64_t D = Defectives(p, lot_size);
  if (d1 > D) return 0;
  const int64_t left = lot_size - plan.n1;
  if (left <= 0) return 1;
  return std::exp(LogHypergeometricCdf(std::min(plan.n2, left), k, D - d1, left));
}

bool MeetsProducer(double p_accept, const PlanRequest& r) { return p_accept >= 1 - r.alpha; }
bool MeetsConsumer(double p_accept, const PlanRequest& r) { return p_accept <= r.beta; }

std::string Num(double v) { return fmt::format("{:g}", v); }

}  // namespace

double AcceptanceCdf(int64_t n, int64_t c, double p, int64_t lot_size) {
  return std::exp(LogCdf(n, c, p, lot_size));
}

double AcceptProbability(const SinglePlan& plan, double p, int64_t lot_size) {
  return AcceptanceCdf(plan.n, plan.c, p, lot_size);
}

DoubleOc EvaluateDouble(const DoublePlan& plan, double p, int64_t lot_size) {
  DoubleOc oc;
  const int64_t last = std::min(plan.r1 - 1, plan.c2);  // d1 above c2 cannot be accepted
  const std::vector<double> pmf = FirstSamplePmf(plan.n1, std::max(plan.c1, plan.r1 - 1), p, lot_size);
  for (int64_t d1 = 0; d1 <= plan.c1 && d1 < static_cast<int64_t>(pmf.size()); ++d1) {
    oc.p_accept_first += pmf[static_cast<size_t>(d1)];
  }
  double second_accept = 0;
  for (int64_t d1 = plan.c1 + 1; d1 < plan.r1 && d1 < static_cast<int64_t>(pmf.size()); ++d1) {
    const double w = pmf[static_cast<size_t>(d1)];
    oc.p_second += w;
    if (d1 <= last) second_accept += w * SecondCdf(plan, d1, plan.c2 - d1, p, lot_size);
  }
  oc.p_accept = std::min(1.0, oc.p_accept_first + second_accept);
  oc.asn = static_cast<double>(plan.n1) + static_cast<double>(plan.n2) * oc.p_second;
  return oc;
}

double AcceptProbability(const DoublePlan& plan, double p, int64_t lot_size) {
  return EvaluateDouble(plan, p, lot_size).p_accept;
}

Status ValidatePlanRequest(const PlanRequest& r) {
  if (!(r.aql > 0 && r.aql < 1)) return Status::Usage(fmt::format("--aql {} must be in (0, 1)", Num(r.aql)));
  if (!(r.ltpd > 0 && r.ltpd < 1)) return Status::Usage(fmt::format("--ltpd {} must be in (0, 1)", Num(r.ltpd)));
  if (!(r.aql < r.ltpd)) {
    return Status::Usage(fmt::format("--aql {} must be below --ltpd {}", Num(r.aql), Num(r.ltpd)));
  }
  if (!(r.alpha > 0 && r.alpha < 0.5)) {
    return Status::Usage(fmt::format("--alpha {} must be in (0, 0.5)", Num(r.alpha)));
  }
  if (!(r.beta > 0 && r.beta < 0.5)) return Status::Usage(fmt::format("--beta {} must be in (0, 0.5)", Num(r.beta)));
  if (r.lot_size < 0) return Status::Usage(fmt::format("--lot {} must be >= 1 (or omitted: an infinite lot)", r.lot_size));
  return Status::Ok();
}

// For a fixed c both acceptance probabilities fall as n grows, so the smallest n meeting the
// consumer's side, n_c, is found by bisection, and it grows with c. If the producer's side fails
// at n_c it fails for every larger n with that c. Hence the first c whose n_c meets the producer's
// side gives the smallest n of all: O(c² log n) instead of a scan over n.
Result<SinglePlan> DesignSinglePlan(const PlanRequest& r) {
  GTOPS_RETURN_IF_ERROR(ValidatePlanRequest(r));
  const bool finite = r.lot_size != kInfiniteLot;
  if (finite && Defectives(r.aql, r.lot_size) >= Defectives(r.ltpd, r.lot_size)) {
    return Status::Usage(fmt::format("--lot {}: AQL and LTPD give the same number of defectives ({}) in so small a lot; "
                                     "no plan can tell them apart",
                                     r.lot_size, Defectives(r.aql, r.lot_size)));
  }
  const int64_t n_max = finite ? r.lot_size : kMaxInfiniteLotSample;
  auto consumer_ok = [&](int64_t n, int64_t c) { return MeetsConsumer(AcceptanceCdf(n, c, r.ltpd, r.lot_size), r); };
  int64_t lo_n = 1;
  for (int64_t c = 0;; ++c) {
    if (!consumer_ok(n_max, c)) break;  // no n meets the consumer's side with this c, nor with a larger one
    int64_t lo = std::max(lo_n, c + 1), hi = n_max;
    // Exponential search first: plans are far smaller than the cap.
    int64_t probe = lo;
    while (probe < hi && !consumer_ok(probe, c)) {
      lo = probe + 1;
      probe = std::min(hi, probe * 2);
    }
    hi = probe;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (consumer_ok(mid, c)) hi = mid; else lo = mid + 1;
    }
    const int64_t n = lo;
    lo_n = n;
    if (MeetsProducer(AcceptanceCdf(n, c, r.aql, r.lot_size), r)) {
      SinglePlan plan{n, c};
      while (plan.c + 1 < n && consumer_ok(n, plan.c + 1)) ++plan.c;
      return plan;
    }
  }
  return Status::Usage(fmt::format("--aql {} and --ltpd {} are too close: no plan of at most {} items meets both risks",
                                   Num(r.aql), Num(r.ltpd), n_max));
}

namespace {

// The double plans (n1, c1, r1 = c2 + 1, n2 = n1, c2) of one n1 at one p, for defectives up to k:
// the first sample's pmf and the second sample's cdf given d1 (one shared row for an infinite
// lot), so that each plan's P(accept) is an O(c2) sum.
class DoubleFamily {
 public:
  DoubleFamily(int64_t n1, int64_t k, double p, int64_t lot_size) : pmf1_(FirstSamplePmf(n1, k, p, lot_size)) {
    if (lot_size == kInfiniteLot) {
      cdf2_.push_back(Exp(LogBinomialCdfRow(n1, k, p)));
      return;
    }
    const int64_t D = Defectives(p, lot_size), left = lot_size - n1;
    for (int64_t d1 = 0; d1 <= k; ++d1) {
      cdf2_.push_back(d1 > D ? std::vector<double>(static_cast<size_t>(k + 1), 0.0)
                             : Exp(LogHypergeometricCdfRow(std::min(n1, left), k, D - d1, left)));
    }
  }
  // Pa = sum_{d1 <= c1} pmf1 + sum_{c1 < d1 <= c2} pmf1(d1) P(d2 <= c2 - d1 | d1).
  double Accept(int64_t c1, int64_t c2) const {
    double pa = 0;
    for (int64_t d1 = 0; d1 <= c2; ++d1) {
      const double w = pmf1_[static_cast<size_t>(d1)];
      pa += d1 <= c1 ? w : w * cdf2_[cdf2_.size() == 1 ? 0 : static_cast<size_t>(d1)][static_cast<size_t>(c2 - d1)];
    }
    return std::min(1.0, pa);
  }
  // P(c1 < d1 < r1 = c2 + 1): the second sample is drawn.
  double Second(int64_t c1, int64_t c2) const {
    double w = 0;
    for (int64_t d1 = c1 + 1; d1 <= c2; ++d1) w += pmf1_[static_cast<size_t>(d1)];
    return w;
  }

 private:
  static std::vector<double> Exp(std::vector<double> v) {
    for (double& x : v) x = std::exp(x);
    return v;
  }
  std::vector<double> pmf1_;
  std::vector<std::vector<double>> cdf2_;
};

}  // namespace

// Search over n1 upward. Every double plan with r1 = c2 + 1 accepts whenever d1 + d2 <= c2 and
// only when d1 <= c2, so P(d1 + d2 <= c2) <= Pa <= P(d1 <= c2): a c2 whose single plan of 2 n1
// items already accepts a lot at the LTPD with probability above beta cannot meet the consumer's
// side, which bounds c2 by k (and the tables by k). For each c1 the consumer's probability rises
// with c2, so the largest c2 meeting it is found by bisection, and then the producer's side is
// checked (it too rises with c2).
Result<DoublePlan> DesignDoublePlan(const PlanRequest& r) {
  GTOPS_RETURN_IF_ERROR(ValidatePlanRequest(r));
  auto single = DesignSinglePlan(r);
  if (!single.ok()) return single.status();
  // A double plan never needs more items per stage than the single plan (n1 = n2 = n is already
  // over-protective), so n1 runs up to the single plan's n.
  const int64_t n1_max = r.lot_size == kInfiniteLot ? single->n : std::min(single->n, r.lot_size / 2);
  int64_t k_prev = 0;
  for (int64_t n1 = 1; n1 <= n1_max; ++n1) {
    // k: the first c2 that cannot meet the consumer's side. It does not fall as n1 grows (the
    // cdf at a fixed c falls with the sample size), so a row a little past the last k is
    // usually enough; the full row otherwise.
    int64_t k = 0;
    for (int64_t row_end : {std::min(2 * n1 - 1, 2 * k_prev + 64), 2 * n1 - 1}) {
      const std::vector<double> both = LogCdfRow(2 * n1, row_end, r.ltpd, r.lot_size);
      k = 0;
      while (k <= row_end && std::exp(both[static_cast<size_t>(k)]) <= r.beta) ++k;
      if (k <= row_end) break;
    }
    k_prev = k;
    if (k <= 1) continue;  // no c1 < c2 < k
    // And Pa <= P(d1 <= c2) <= P(d1 <= k - 1) at the AQL: when that is short of 1 - alpha no
    // plan of this n1 meets the producer's side (this skips most n1 below the answer cheaply).
    if (!MeetsProducer(std::exp(LogCdfRow(n1, k - 1, r.aql, r.lot_size)[static_cast<size_t>(k - 1)]), r)) continue;
    const DoubleFamily at_ltpd(n1, k, r.ltpd, r.lot_size), at_aql(n1, k, r.aql, r.lot_size);
    bool found = false;
    DoublePlan best;
    double best_asn = std::numeric_limits<double>::infinity();
    for (int64_t c1 = 0; c1 + 1 < k; ++c1) {
      if (!MeetsConsumer(at_ltpd.Accept(c1, c1 + 1), r)) break;  // a larger c1 only accepts more
      int64_t lo = c1 + 1, hi = k - 1;  // the largest c2 in [lo, hi] meeting the consumer's side
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo + 1) / 2;
        if (MeetsConsumer(at_ltpd.Accept(c1, mid), r)) lo = mid; else hi = mid - 1;
      }
      if (!MeetsProducer(at_aql.Accept(c1, lo), r)) continue;
      const double asn = static_cast<double>(n1) * (1 + at_aql.Second(c1, lo));
      if (asn < best_asn) best = {n1, c1, lo + 1, n1, lo}, best_asn = asn, found = true;
    }
    if (found) return best;
  }
  return Status::Usage(fmt::format("--aql {} and --ltpd {}: no double plan with n1 = n2 <= {} meets both risks",
                                   Num(r.aql), Num(r.ltpd), n1_max));
}

std::vector<OcPoint> OcCurve(const SinglePlan& plan, int64_t lot_size, const std::vector<double>& grid) {
  std::vector<OcPoint> out;
  out.reserve(grid.size());
  for (double p : grid) out.push_back({p, AcceptProbability(plan, p, lot_size)});
  return out;
}

std::vector<OcPoint> OcCurve(const DoublePlan& plan, int64_t lot_size, const std::vector<double>& grid) {
  std::vector<OcPoint> out;
  out.reserve(grid.size());
  for (double p : grid) out.push_back({p, AcceptProbability(plan, p, lot_size)});
  return out;
}

std::vector<double> OcGrid(double aql, double ltpd, int points) {
  const double top = std::min(1.0, 2 * ltpd);
  std::vector<double> grid;
  for (int i = 0; i < points; ++i) grid.push_back(top * i / std::max(1, points - 1));
  grid.push_back(aql);
  grid.push_back(ltpd);
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end(), [](double a, double b) { return std::fabs(a - b) < 1e-12; }),
             grid.end());
  return grid;
}

double AverageOutgoingQuality(const SinglePlan& plan, double p, int64_t lot_size) {
  const double pa = AcceptProbability(plan, p, lot_size);
  if (lot_size == kInfiniteLot) return p * pa;
  const double N = static_cast<double>(lot_size);
  return LotFraction(p, lot_size) * pa * std::max(0.0, N - static_cast<double>(plan.n)) / N;
}

double AverageOutgoingQuality(const DoublePlan& plan, double p, int64_t lot_size) {
  const DoubleOc oc = EvaluateDouble(plan, p, lot_size);
  if (lot_size == kInfiniteLot) return p * oc.p_accept;
  const double N = static_cast<double>(lot_size);
  const double n1 = static_cast<double>(plan.n1), n2 = static_cast<double>(plan.n2);
  const double second = oc.p_accept - oc.p_accept_first;
  return LotFraction(p, lot_size) * (oc.p_accept_first * std::max(0.0, N - n1) + second * std::max(0.0, N - n1 - n2)) / N;
}

double AverageTotalInspection(const SinglePlan& plan, double p, int64_t lot_size) {
  if (lot_size == kInfiniteLot) return NAN;
  const double pa = AcceptProbability(plan, p, lot_size);
  const double n = static_cast<double>(std::min(plan.n, lot_size));
  return n + (1 - pa) * (static_cast<double>(lot_size) - n);
}

double AverageTotalInspection(const DoublePlan& plan, double p, int64_t lot_size) {
  if (lot_size == kInfiniteLot) return NAN;
  const DoubleOc oc = EvaluateDouble(plan, p, lot_size);
  const double n1 = static_cast<double>(plan.n1), n2 = static_cast<double>(plan.n2);
  const double second = oc.p_accept - oc.p_accept_first;
  return n1 * oc.p_accept_first + (n1 + n2) * second + static_cast<double>(lot_size) * (1 - oc.p_accept);
}

namespace {

template <typename Plan>
Aoql MaxAoq(const Plan& plan, int64_t lot_size) {
  Aoql best;
  if (lot_size != kInfiniteLot) {
    const double N = static_cast<double>(lot_size);
    auto at = [&](int64_t d) { return AverageOutgoingQuality(plan, static_cast<double>(d) / N, lot_size); };
    auto scan = [&](int64_t from, int64_t to, int64_t step) {
      for (int64_t d = from; d <= to; d += step) {
        const double aoq = at(d);
        if (aoq > best.aoql) best = {aoq, static_cast<double>(d) / N};
        // AOQ <= Pa and Pa falls with d: once Pa is negligible against the best, nothing beyond wins.
        if (d > 0 && aoq < best.aoql * 1e-6 && AcceptProbability(plan, static_cast<double>(d) / N, lot_size) < best.aoql * 1e-6) break;
      }
    };
    const int64_t step = std::max<int64_t>(1, lot_size / 20000);
    scan(0, lot_size, step);
    if (step > 1) {
      const int64_t d0 = std::llround(best.at_p * N);
      scan(std::max<int64_t>(0, d0 - step), std::min(lot_size, d0 + step), 1);
    }
    return best;
  }
  auto f = [&](double p) { return AverageOutgoingQuality(plan, p, lot_size); };
  constexpr int kSteps = 20000;
  int at = 0;
  for (int i = 1; i <= kSteps; ++i) {
    const double p = static_cast<double>(i) / kSteps;
    const double v = f(p);
    if (v > best.aoql) best = {v, p}, at = i;
    if (AcceptProbability(plan, p, lot_size) < best.aoql * 1e-6) break;
  }
  double a = static_cast<double>(std::max(0, at - 1)) / kSteps, b = static_cast<double>(std::min(kSteps, at + 1)) / kSteps;
  const double phi = (std::sqrt(5.0) - 1) / 2;
  for (int it = 0; it < 100 && b - a > 1e-12; ++it) {
    const double x1 = b - phi * (b - a), x2 = a + phi * (b - a);
    if (f(x1) < f(x2)) a = x1; else b = x2;
  }
  const double p = (a + b) / 2;
  if (f(p) > best.aoql) best = {f(p), p};
  return best;
}

}  // namespace

Aoql AverageOutgoingQualityLimit(const SinglePlan& plan, int64_t lot_size) { return MaxAoq(plan, lot_size); }
Aoql AverageOutgoingQualityLimit(const DoublePlan& plan, int64_t lot_size) { return MaxAoq(plan, lot_size); }

double NormalQuantile(double q) {
  if (!(q > 0 && q < 1)) return NAN;
  // Bisection on Phi(x) = erfc(-x / sqrt 2) / 2: monotone, 200 halvings reach double precision.
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    const double mid = (lo + hi) / 2;
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

Result<RateSampleSize> SampleSizeForRate(double p, double margin, double confidence, double objects_per_task,
                                         double icc) {
  if (!(p >= 0 && p <= 1)) return Status::Usage(fmt::format("anticipated rate {} must be in [0, 1]", Num(p)));
  if (!(margin > 0 && margin < 0.5)) return Status::Usage(fmt::format("margin {} must be in (0, 0.5)", Num(margin)));
  if (!(confidence > 0 && confidence < 1)) {
    return Status::Usage(fmt::format("confidence {} must be in (0, 1)", Num(confidence)));
  }
  if (!(objects_per_task >= 1)) return Status::Usage(fmt::format("objects per task {} must be >= 1", Num(objects_per_task)));
  if (!(icc >= 0 && icc <= 1)) return Status::Usage(fmt::format("ICC {} must be in [0, 1]", Num(icc)));
  const double z = NormalQuantile(1 - (1 - confidence) / 2), z2 = z * z;
  auto half = [&](int64_t n_int) {
    const double n = static_cast<double>(n_int);
    return z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  };
  // h(n) falls with n (its square is a ratio of a falling numerator and a rising denominator), so
  // bisect for the first n with h(n) <= margin.
  int64_t lo = 1, hi = 1;
  while (half(hi) > margin) hi *= 2;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (half(mid) <= margin) hi = mid; else lo = mid + 1;
  }
  RateSampleSize s;
  s.n_simple = lo;
  s.design_effect = 1 + (objects_per_task - 1) * icc;
  s.n = static_cast<int64_t>(std::ceil(static_cast<double>(lo) * s.design_effect - 1e-9));
  s.tasks = static_cast<int64_t>(std::ceil(static_cast<double>(s.n) / objects_per_task - 1e-9));
  return s;
}

Result<Sprt> MakeSprt(double p0, double p1, double alpha, double beta) {
  if (!(p0 > 0 && p0 < p1 && p1 < 1)) {
    return Status::Usage(fmt::format("SPRT rates must satisfy 0 < p0 < p1 < 1 (got p0 {}, p1 {})", Num(p0), Num(p1)));
  }
  if (!(alpha > 0 && alpha < 0.5 && beta > 0 && beta < 0.5)) {
    return Status::Usage(fmt::format("SPRT risks must be in (0, 0.5) (got alpha {}, beta {})", Num(alpha), Num(beta)));
  }
  Sprt t;
  t.p0 = p0, t.p1 = p1, t.alpha = alpha, t.beta = beta;
  t.a = std::log((1 - beta) / alpha);
  t.b = std::log(beta / (1 - alpha));
  t.g1 = std::log(p1 / p0);
  t.g2 = std::log((1 - p0) / (1 - p1));
  t.slope = t.g2 / (t.g1 + t.g2);
  t.h1 = t.a / (t.g1 + t.g2);
  t.h0 = -t.b / (t.g1 + t.g2);
  return t;
}

const char* Name(AuditDecision d) {
  switch (d) {
    case AuditDecision::kAccept: return "accept";
    case AuditDecision::kReject: return "reject";
    case AuditDecision::kContinue: break;
  }
  return "continue";
}

AuditDecision DecideSprtCounts(const Sprt& t, int64_t audits, int64_t failures) {
  const double llr = static_cast<double>(failures) * t.g1 - static_cast<double>(audits - failures) * t.g2;
  if (llr >= t.a) return AuditDecision::kReject;
  if (llr <= t.b) return AuditDecision::kAccept;
  return AuditDecision::kContinue;
}

SprtOutcome DecideSprt(const Sprt& t, const std::vector<bool>& failed) {
  SprtOutcome out;
  for (bool f : failed) {
    ++out.audits;
    if (f) ++out.failures;
    out.llr += f ? t.g1 : -t.g2;
    if (out.llr >= t.a) { out.decision = AuditDecision::kReject; break; }
    if (out.llr <= t.b) { out.decision = AuditDecision::kAccept; break; }
  }
  return out;
}

namespace {

int64_t Failures(const std::vector<bool>& failed, int64_t from, int64_t to) {
  int64_t d = 0;
  for (int64_t i = from; i < to && i < static_cast<int64_t>(failed.size()); ++i) d += failed[static_cast<size_t>(i)];
  return d;
}

PlanDecision Decided(AuditDecision decision, int64_t used, int64_t failures, int64_t needed, std::string evidence) {
  return {decision, used, failures, needed, std::move(evidence)};
}

}  // namespace

PlanDecision DecidePlan(const SinglePlan& plan, const std::vector<bool>& failed) {
  const int64_t used = std::min<int64_t>(plan.n, static_cast<int64_t>(failed.size()));
  const int64_t d = Failures(failed, 0, used);
  if (d > plan.c) {
    return Decided(AuditDecision::kReject, used, d, 0,
                   fmt::format("{} of {} audits failed, more than c = {}: reject", d, used, plan.c));
  }
  if (used == plan.n) {
    return Decided(AuditDecision::kAccept, used, d, 0,
                   fmt::format("{} of {} audits failed, at most c = {}: accept", d, used, plan.c));
  }
  return Decided(AuditDecision::kContinue, used, d, plan.n - used,
                 fmt::format("{} of {} audits failed so far (c = {}): audit {} more", d, used, plan.c, plan.n - used));
}

PlanDecision DecidePlan(const DoublePlan& plan, const std::vector<bool>& failed) {
  const int64_t size = static_cast<int64_t>(failed.size());
  const int64_t used1 = std::min(plan.n1, size);
  const int64_t d1 = Failures(failed, 0, used1);
  if (d1 >= plan.r1) {
    return Decided(AuditDecision::kReject, used1, d1, 0,
                   fmt::format("first sample: {} of {} audits failed, at least r1 = {}: reject", d1, used1, plan.r1));
  }
  if (used1 < plan.n1) {
    return Decided(AuditDecision::kContinue, used1, d1, plan.n1 - used1,
                   fmt::format("first sample: {} of {} audits failed so far (c1 = {}, r1 = {}): audit {} more", d1,
                               used1, plan.c1, plan.r1, plan.n1 - used1));
  }
  if (d1 <= plan.c1) {
    return Decided(AuditDecision::kAccept, used1, d1, 0,
                   fmt::format("first sample: {} of {} audits failed, at most c1 = {}: accept", d1, used1, plan.c1));
  }
  const int64_t used = std::min(plan.n1 + plan.n2, size);
  const int64_t d = d1 + Failures(failed, plan.n1, used);
  if (d > plan.c2) {
    return Decided(AuditDecision::kReject, used, d, 0,
                   fmt::format("both samples: {} of {} audits failed, more than c2 = {}: reject", d, used, plan.c2));
  }
  if (used == plan.n1 + plan.n2) {
    return Decided(AuditDecision::kAccept, used, d, 0,
                   fmt::format("both samples: {} of {} audits failed, at most c2 = {}: accept", d, used, plan.c2));
  }
  const int64_t more = plan.n1 + plan.n2 - used;
  return Decided(AuditDecision::kContinue, used, d, more,
                 fmt::format("second sample: {} of {} audits failed so far (c2 = {}): audit {} more", d, used, plan.c2,
                             more));
}

PlanDecision DecidePlan(const Sprt& t, const std::vector<bool>& failed) {
  const SprtOutcome o = DecideSprt(t, failed);
  const char* what = o.decision == AuditDecision::kReject   ? "at or above the reject line"
                     : o.decision == AuditDecision::kAccept ? "at or below the accept line"
                                                            : "between the lines: continue";
  return Decided(o.decision, o.audits, o.failures, 0,
                 fmt::format("{} of {} audits failed (reject at {:.2f}, accept at {:.2f} failures): {}", o.failures,
                             o.audits, t.RejectLine(o.audits), t.AcceptLine(o.audits), what));
}

namespace {

// Wald's OC through the parameter h: p(h) = (1 - r2^h) / (r1^h - r2^h) with r1 = p1/p0,
// r2 = (1-p1)/(1-p0), and L(h) = (A'^h - 1) / (A'^h - B'^h), A' = e^A, B' = e^B. p(h) falls
// with h (h = 1 at p0, -1 at p1, 0 at the slope s), so h is found by bisection.
double WaldH(const Sprt& t, double p) {
  auto p_of = [&](double h) {
    if (std::fabs(h) < 1e-12) return t.slope;
    return -std::expm1(-h * t.g2) / (std::exp(h * t.g1) - std::exp(-h * t.g2));
  };
  double lo = -60, hi = 60;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    if (p_of(mid) > p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double SprtAcceptProbability(const Sprt& t, double p) {
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const double h = WaldH(t, p);
  if (std::fabs(h) < 1e-9) return t.a / (t.a - t.b);
  const double ea = std::exp(h * t.a), eb = std::exp(h * t.b);
  return (ea - 1) / (ea - eb);
}

double SprtExpectedAudits(const Sprt& t, double p) {
  const double ez = p * t.g1 - (1 - p) * t.g2;
  if (std::fabs(ez) < 1e-12) return -t.a * t.b / (t.g1 * t.g2);
  double pa;
  if (p == t.p0) pa = 1 - t.alpha;
  else if (p == t.p1) pa = t.beta;
  else pa = SprtAcceptProbability(t, p);
  return (pa * t.b + (1 - pa) * t.a) / ez;
}

namespace {

// Gives one audit to every non-empty stratum when the budget allows, then shares the rest in
// proportion to `weight`, rounded by largest remainder and capped at each stratum's size; what a
// cap refuses is shared again among the strata with room.
std::vector<int64_t> Allocate(const std::vector<Stratum>& strata, int64_t budget, const std::vector<double>& weight) {
  const size_t k = strata.size();
  std::vector<int64_t> n(k, 0);
  int64_t total = 0, non_empty = 0;
  for (const Stratum& s : strata) {
    total += std::max<int64_t>(0, s.size);
    if (s.size > 0) ++non_empty;
  }
  budget = std::clamp<int64_t>(budget, 0, total);
  if (budget == 0) return n;
  // The minimum of one per non-empty stratum when the budget allows.
  if (budget >= non_empty) {
    for (size_t h = 0; h < k; ++h) n[h] = strata[h].size > 0 ? 1 : 0;
    budget -= non_empty;
  }
  // Share what is left by weight among strata with room, repeating while caps bind.
  while (budget > 0) {
    // Weights of the strata with room; when all of those are 0, their remaining room instead.
    bool by_room = true;
    for (size_t h = 0; h < k; ++h) {
      if (n[h] < strata[h].size && weight[h] > 0) by_room = false;
    }
    std::vector<double> share(k, 0);
    double wsum = 0;
    for (size_t h = 0; h < k; ++h) {
      if (n[h] >= strata[h].size) continue;
      share[h] = by_room ? static_cast<double>(strata[h].size - n[h]) : weight[h];
      wsum += share[h];
    }
    for (double& v : share) v = static_cast<double>(budget) * v / wsum;
    std::vector<size_t> order(k);
    std::iota(order.begin(), order.end(), 0);
    int64_t given = 0;
    std::vector<int64_t> add(k, 0);
    for (size_t h = 0; h < k; ++h) {
      add[h] = std::min<int64_t>(static_cast<int64_t>(std::floor(share[h])), strata[h].size - n[h]);
      given += add[h];
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return share[a] - std::floor(share[a]) > share[b] - std::floor(share[b]);
    });
    for (size_t h : order) {
      if (given >= budget) break;
      if (share[h] > 0 && n[h] + add[h] < strata[h].size) ++add[h], ++given;
    }
    for (size_t h = 0; h < k; ++h) n[h] += add[h];
    if (given == 0) break;  // no room anywhere (cannot happen: budget <= total)
    budget -= given;
  }
  return n;
}

}  // namespace

std::vector<int64_t> NeymanAllocation(const std::vector<Stratum>& strata, int64_t budget) {
  std::vector<double> w;
  for (const Stratum& s : strata) {
    const double p = std::clamp(s.p, 0.0, 1.0);
    w.push_back(static_cast<double>(std::max<int64_t>(0, s.size)) * std::sqrt(p * (1 - p)));
  }
  if (std::all_of(w.begin(), w.end(), [](double v) { return v <= 0; })) return ProportionalAllocation(strata, budget);
  return Allocate(strata, budget, w);
}

std::vector<int64_t> ProportionalAllocation(const std::vector<Stratum>& strata, int64_t budget) {
  std::vector<double> w;
  for (const Stratum& s : strata) w.push_back(static_cast<double>(std::max<int64_t>(0, s.size)));
  return Allocate(strata, budget, w);
}

StratifiedEstimate EstimateStratified(const std::vector<StratumSample>& strata) {
  StratifiedEstimate e;
  double total = 0;
  for (const StratumSample& s : strata) {
    if (s.audited > 0) total += static_cast<double>(s.size);
  }
  double unreviewed = 0, unreviewed_failed = 0, audited = 0, unreviewed_var = 0;
  bool census = true;  // every audited stratum audited in full: the rate is known exactly
  for (const StratumSample& s : strata) {
    if (s.audited <= 0) {
      if (s.size > 0) ++e.unaudited_strata;
      continue;
    }
    const double N = static_cast<double>(s.size), n = static_cast<double>(s.audited);
    audited += n;
    census = census && n >= N;
    const double p = static_cast<double>(s.failed) / n;
    const double w = N / total;
    e.rate += w * p;
    e.variance += w * w * std::max(0.0, 1 - n / N) * p * (1 - p) / std::max(1.0, n - 1);
    unreviewed += std::max(0.0, N - n);
    unreviewed_failed += std::max(0.0, N - n) * p;
    // The unreviewed failures' total predicted from the stratum's sample: N (N − n) S² / n with
    // S² = n p(1 − p) / (n − 1), the variance of the expansion estimate of the stratum's total.
    unreviewed_var += N * std::max(0.0, N - n) * p * (1 - p) / std::max(1.0, n - 1);
  }
  if (total <= 0) return {NAN, NAN, NAN, NAN, NAN, NAN, NAN, e.unaudited_strata};
  const double z = 1.959963984540054, z2 = z * z;
  // Wilson's interval around `rate` on `n_eff` (capped at the audits made).
  auto wilson = [&](double rate, double n_eff, double& lo, double& hi) {
    const double pq = rate * (1 - rate);
    const double centre = (rate + z2 / (2 * n_eff)) / (1 + z2 / n_eff);
    const double half = z / (1 + z2 / n_eff) * std::sqrt(pq / n_eff + z2 / (4 * n_eff * n_eff));
    lo = std::max(0.0, centre - half);
    hi = std::min(1.0, centre + half);
  };
  if (census) {
    e.lo = e.hi = e.rate;
  } else {
    // Wilson's interval on the effective sample size n_eff = p̂(1 − p̂) / Var (Kish; Korn and
    // Graubard use it the same way), capped at the audits made; at p̂ = 0 or 1, or Var = 0, n_eff is
    // the audits made: a batch with no failure yet still has an upper bound above 0.
    const double pq = e.rate * (1 - e.rate);
    const double n_eff = pq > 0 && e.variance > 0 ? std::min(audited, pq / e.variance) : audited;
    wilson(e.rate, n_eff, e.lo, e.hi);
  }
  e.unreviewed_rate = e.unreviewed_lo = e.unreviewed_hi = NAN;
  if (unreviewed > 0) {
    e.unreviewed_rate = unreviewed_failed / unreviewed;
    const double var = unreviewed_var / (unreviewed * unreviewed);
    const double pq = e.unreviewed_rate * (1 - e.unreviewed_rate);
    const double n_eff = pq > 0 && var > 0 ? std::min(audited, pq / var) : audited;
    wilson(e.unreviewed_rate, n_eff, e.unreviewed_lo, e.unreviewed_hi);
  }
  return e;
}

uint64_t DrawKey(uint64_t seed, std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64
  for (const char ch : id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  uint64_t z = (seed ^ h) + 0x9e3779b97f4a7c15ULL;  // SplitMix64's step and output mix
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::vector<size_t> DrawStratified(const std::vector<std::string>& ids, const std::vector<size_t>& stratum_of,
                                   const std::vector<int64_t>& allocation, uint64_t seed) {
  std::vector<uint64_t> key(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) key[i] = DrawKey(seed, ids[i]);
  auto before = [&](size_t a, size_t b) { return std::tie(key[a], ids[a]) < std::tie(key[b], ids[b]); };
  std::vector<std::vector<size_t>> members(allocation.size());
  for (size_t i = 0; i < ids.size() && i < stratum_of.size(); ++i) {
    if (stratum_of[i] < members.size()) members[stratum_of[i]].push_back(i);
  }
  std::vector<size_t> drawn;
  for (size_t h = 0; h < members.size(); ++h) {
    std::vector<size_t>& m = members[h];
    const size_t take = static_cast<size_t>(std::clamp<int64_t>(allocation[h], 0, static_cast<int64_t>(m.size())));
    std::partial_sort(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(take), m.end(), before);
    drawn.insert(drawn.end(), m.begin(), m.begin() + static_cast<std::ptrdiff_t>(take));
  }
  std::sort(drawn.begin(), drawn.end(), before);
  return drawn;
}

double StratifiedVariance(const std::vector<Stratum>& strata, const std::vector<int64_t>& allocation) {
  double total = 0;
  for (const Stratum& s : strata) total += static_cast<double>(s.size);
  if (total <= 0) return NAN;
  double v = 0;
  for (size_t h = 0; h < strata.size() && h < allocation.size(); ++h) {
    if (allocation[h] <= 0 || strata[h].size <= 0) continue;
    const double N = static_cast<double>(strata[h].size), n = static_cast<double>(allocation[h]);
    const double w = N / total;
    v += w * w * std::max(0.0, 1 - n / N) * strata[h].p * (1 - strata[h].p) / n;
  }
  return v;
}

WeightedDecision DecideStratified(const SinglePlan& plan, const std::vector<StratumSample>& audited,
                                  const std::vector<int64_t>& drawn) {
  WeightedDecision out;
  out.estimate = EstimateStratified(audited);
  const double n = static_cast<double>(plan.n);
  std::vector<StratumSample> all_pass = audited, all_fail = audited;
  int64_t used = 0, failures = 0, outstanding = 0;
  for (size_t h = 0; h < audited.size(); ++h) {
    const int64_t left = h < drawn.size() ? std::max<int64_t>(0, drawn[h] - audited[h].audited) : 0;
    used += audited[h].audited;
    failures += audited[h].failed;
    outstanding += left;
    all_pass[h].audited += left;
    all_fail[h].audited += left;
    all_fail[h].failed += left;
  }
  if (std::isfinite(out.estimate.rate)) out.weighted_failures = n * out.estimate.rate;
  out.low = n * EstimateStratified(all_pass).rate;
  out.high = n * EstimateStratified(all_fail).rate;
  const double c = static_cast<double>(plan.c);
  const double unweighted = used > 0 ? static_cast<double>(failures) / static_cast<double>(used) : NAN;
  const std::string figures = fmt::format(
      "weighted error rate {:.2f}% [{:.2f}%, {:.2f}%] over {} audits, n x rate = {:.2f} weighted failures against "
      "c = {}; unweighted {} of {} failed ({:.2f}%)",
      100 * out.estimate.rate, 100 * out.estimate.lo, 100 * out.estimate.hi, used, out.weighted_failures, plan.c,
      failures, used, 100 * unweighted);
  // A small tolerance: n p_w of a census is exact up to rounding.
  constexpr double kEps = 1e-9;
  AuditDecision d = AuditDecision::kContinue;
  std::string why;
  if (out.low > c + kEps) {
    d = AuditDecision::kReject;
    why = outstanding > 0 ? fmt::format("even if the {} outstanding audits pass, {:.2f} > c: reject", outstanding, out.low)
                          : "more than c: reject";
  } else if (out.high <= c + kEps) {
    d = AuditDecision::kAccept;
    why = outstanding > 0 ? fmt::format("even if the {} outstanding audits fail, {:.2f} <= c: accept", outstanding,
                                        out.high)
                          : "at most c: accept";
  } else {
    why = fmt::format("between {:.2f} and {:.2f} once the {} outstanding audits are in: audit them", out.low, out.high,
                      outstanding);
  }
  out.plan = Decided(d, used, failures, d == AuditDecision::kContinue ? outstanding : 0,
                     fmt::format("stratified sample: {}; {}", figures, why));
  return out;
}

}  // namespace gtops::stats
