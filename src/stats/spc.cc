#include "stats/spc.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>

namespace gtops::stats {
namespace {

double PooledRate(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, size_t k) {
  int64_t sx = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (n[i] <= 0) continue;
    sx += failures[i];
    sn += n[i];
  }
  return sn > 0 ? static_cast<double>(sx) / static_cast<double>(sn) : NAN;
}

double Rate(int64_t x, int64_t n) { return static_cast<double>(x) / static_cast<double>(n); }

}  // namespace

namespace {

// EWMA of rates x_t / n_t around `centre` with per-unit variance `variance` (p0 (1 - p0) or u0).
std::vector<EwmaPoint> RateEwma(const std::vector<int64_t>& x, const std::vector<int64_t>& n, size_t k, double lambda,
                                double L, double centre, double variance, double dispersion) {
  std::vector<EwmaPoint> out(k);
  const double decay = (1 - lambda) * (1 - lambda);
  double z = centre, weight = 0;  // weight = sum lambda² (1-lambda)^{2(t-i)} / n_i
  for (size_t t = 0; t < k; ++t) {
    EwmaPoint& e = out[t];
    if (n[t] <= 0) {
      e.z = z, e.lcl = e.ucl = NAN;
      continue;
    }
    z = lambda * Rate(x[t], n[t]) + (1 - lambda) * z;
    weight = weight * decay + lambda * lambda / static_cast<double>(n[t]);
    const double half = L * dispersion * std::sqrt(variance * weight);
    e.z = z;
    e.lcl = centre - half;
    e.ucl = centre + half;
    e.signal = variance > 0 && (z < e.lcl || z > e.ucl);
  }
  return out;
}

// Tabular CUSUM over per-batch increments (NaN: no data, the sums stay): C+ += up_t, C- += down_t,
// each floored at 0, a signal above h, and both restart after a signal.
std::vector<CusumPoint> TabularCusum(const std::vector<double>& up_inc, const std::vector<double>& down_inc, double h) {
  const size_t len = up_inc.size();
  std::vector<CusumPoint> out(len);
  double up = 0, down = 0;
  int64_t up_start = -1, down_start = -1;
  for (size_t t = 0; t < len; ++t) {
    CusumPoint& c = out[t];
    if (!std::isnan(up_inc[t])) {
      if (up == 0) up_start = static_cast<int64_t>(t);
      if (down == 0) down_start = static_cast<int64_t>(t);
      up = std::max(0.0, up + up_inc[t]);
      down = std::max(0.0, down + down_inc[t]);
    }
    c.upper = up, c.lower = down;
    c.signal_up = up > h;
    c.signal_down = down > h;
    if (c.signal_up) c.shift_start = up_start, up = 0;
    if (c.signal_down) c.shift_start = c.signal_up ? std::min(up_start, down_start) : down_start, down = 0;
  }
  return out;
}

}  // namespace

std::vector<EwmaPoint> Ewma(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double lambda,
                            double L, double p0, double dispersion) {
  const size_t k = std::min(failures.size(), n.size());
  if (std::isnan(p0)) p0 = PooledRate(failures, n, k);
  return RateEwma(failures, n, k, lambda, L, p0, p0 * (1 - p0), dispersion);
}

std::vector<EwmaPoint> PoissonEwma(const std::vector<int64_t>& counts, const std::vector<int64_t>& units, double lambda,
                                   double L, double u0, double dispersion) {
  const size_t k = std::min(counts.size(), units.size());
  if (std::isnan(u0)) u0 = PooledRate(counts, units, k);
  return RateEwma(counts, units, k, lambda, L, u0, u0, dispersion);
}

std::vector<CusumPoint> Cusum(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double k,
                              double h, double p0, double dispersion) {
  const size_t len = std::min(failures.size(), n.size());
  if (std::isnan(p0)) p0 = PooledRate(failures, n, len);
  const double pq = p0 * (1 - p0);
  std::vector<double> up(len, NAN), down(len, NAN);
  for (size_t t = 0; t < len; ++t) {
    if (n[t] <= 0 || !(pq > 0)) continue;
    const double z = (Rate(failures[t], n[t]) - p0) / (dispersion * std::sqrt(pq / static_cast<double>(n[t])));
    up[t] = z - k;
    down[t] = -z - k;
  }
  return TabularCusum(up, down, h);
}

std::vector<CusumPoint> PoissonCusum(const std::vector<int64_t>& counts, const std::vector<int64_t>& units,
                                     double shift, double h, double u0, double dispersion) {
  const size_t len = std::min(counts.size(), units.size());
  if (std::isnan(u0)) u0 = PooledRate(counts, units, len);
  const double d2 = dispersion * dispersion, log_shift = std::log(shift);
  std::vector<double> up(len, NAN), down(len, NAN);
  for (size_t t = 0; t < len; ++t) {
    if (units[t] <= 0 || !(u0 > 0)) continue;
    const double c = static_cast<double>(counts[t]), m = static_cast<double>(units[t]) * u0;
    up[t] = (c * log_shift - m * (shift - 1)) / d2;
    down[t] = (m * (1 - 1 / shift) - c * log_shift) / d2;
  }
  return TabularCusum(up, down, h);
}

namespace {

// A rule over windows of `width` consecutive finite values: fires on each window where `hit` holds.
struct Rule {
  int number;
  const char* name;
  int width;
  bool (*hit)(const double* w, int width);
};

bool Beyond3(const double* w, int) { return std::fabs(w[0]) > 3; }
bool NineOneSide(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return v > 0; }) || std::all_of(w, w + n, [](double v) { return v < 0; });
}
bool SixTrend(const double* w, int n) {
  bool up = true, down = true;
  for (int i = 1; i < n; ++i) up = up && w[i] > w[i - 1], down = down && w[i] < w[i - 1];
  return up || down;
}
bool FourteenAlternating(const double* w, int n) {
  for (int i = 2; i < n; ++i) {
    if ((w[i] - w[i - 1]) * (w[i - 1] - w[i - 2]) >= 0) return false;
  }
  return true;
}
// At least k of the n points beyond `limit` sigma on one side, the last point among them (so that
// the signal ends on a point that is itself unusual).
bool KOfNBeyond(const double* w, int n, int k, double limit) {
  for (double side : {1.0, -1.0}) {
    if (side * w[n - 1] <= limit) continue;
    int beyond = 0;
    for (int i = 0; i < n; ++i) beyond += side * w[i] > limit;
    if (beyond >= k) return true;
  }
  return false;
}
bool TwoOfThree(const double* w, int n) { return KOfNBeyond(w, n, 2, 2); }
bool FourOfFive(const double* w, int n) { return KOfNBeyond(w, n, 4, 1); }
bool FifteenWithin(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return std::fabs(v) < 1; });
}
bool EightBeyond(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return std::fabs(v) > 1; }) &&
         std::any_of(w, w + n, [](double v) { return v > 1; }) && std::any_of(w, w + n, [](double v) { return v < -1; });
}

constexpr std::array<Rule, 8> kRules = {{
    {1, "beyond_3_sigma", 1, Beyond3},
    {2, "nine_one_side", 9, NineOneSide},
    {3, "six_trending", 6, SixTrend},
    {4, "fourteen_alternating", 14, FourteenAlternating},
    {5, "two_of_three_beyond_2_sigma", 3, TwoOfThree},
    {6, "four_of_five_beyond_1_sigma", 5, FourOfFive},
    {7, "fifteen_within_1_sigma", 15, FifteenWithin},
    {8, "eight_beyond_1_sigma", 8, EightBeyond},
}};

}  // namespace

std::vector<RuleSignal> NelsonRules(const std::vector<double>& z) {
  std::vector<RuleSignal> out;
  const int64_t len = static_cast<int64_t>(z.size());
  for (const Rule& rule : kRules) {
    bool open = false;
    RuleSignal current;
    for (int64_t end = rule.width - 1; end < len; ++end) {
      const int64_t start = end - rule.width + 1;
      const double* w = z.data() + start;
      const bool finite = std::all_of(w, w + rule.width, [](double v) { return std::isfinite(v); });
      const bool hit = finite && rule.hit(w, rule.width);
      if (hit && open && start <= current.end) {
        current.end = end;
      } else if (hit) {
        if (open) out.push_back(current);
        current = {rule.number, rule.name, start, end};
        open = true;
      }
    }
    if (open) out.push_back(current);
  }
  std::stable_sort(out.begin(), out.end(), [](const RuleSignal& a, const RuleSignal& b) {
    return a.start != b.start ? a.start < b.start : a.rule < b.rule;
  });
  return out;
}

std::vector<ChartPoint> UChart(const std::vector<int64_t>& counts, const std::vector<double>& units) {
  const size_t k = std::min(counts.size(), units.size());
  double sc = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (!(units[i] > 0)) continue;
    sc += static_cast<double>(counts[i]);
    sn += units[i];
  }
  const double u = sn > 0 ? sc / sn : NAN;
  std::vector<ChartPoint> out(k);
  for (size_t i = 0; i < k; ++i) {
    ChartPoint& c = out[i];
    c.center = u;
    if (!(units[i] > 0) || !(sn > 0)) {
      c.lcl = c.ucl = NAN;
      continue;
    }
    const double half = 3 * std::sqrt(u / units[i]);
    c.lcl = std::max(0.0, u - half);
    c.ucl = u + half;
    const double v = static_cast<double>(counts[i]) / units[i];
    c.out_of_control = v < c.lcl || v > c.ucl;
  }
  return out;
}

namespace {

// x ln(x / n) with 0 ln 0 = 0: the binomial log-likelihood of x of n at its own rate is
// XLogRate(x, n) + XLogRate(n - x, n).
double XLogRate(double x, double n) { return x > 0 ? x * std::log(x / n) : 0.0; }

double BinomialLl(double x, double n) { return XLogRate(x, n) + XLogRate(n - x, n); }

// The Poisson log-likelihood of x over exposure n at its own rate, less the -x that cancels in G.
double PoissonLl(double x, double n) { return XLogRate(x, n); }

enum class Model { kBinomial, kPoisson };

}  // namespace

namespace {

// The largest G over the runs of [first, last] and where it is; `tests` counts the runs. With
// `enough` finite, returns at the first run whose G reaches it (the bootstrap only asks whether a
// simulated series reaches the observed G).
StepChange MaxStep(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, size_t k, Model model,
                   int64_t& tests, double enough = std::numeric_limits<double>::infinity()) {
  const auto ll = model == Model::kBinomial ? BinomialLl : PoissonLl;
  // Prefix sums over the batches, and the number of batches with data.
  std::vector<double> cx(k + 1, 0), cn(k + 1, 0), cd(k + 1, 0);
  for (size_t i = 0; i < k; ++i) {
    const bool has = n[i] > 0;
    cx[i + 1] = cx[i] + (has ? static_cast<double>(failures[i]) : 0);
    cn[i + 1] = cn[i] + (has ? static_cast<double>(n[i]) : 0);
    cd[i + 1] = cd[i] + (has ? 1 : 0);
  }
  StepChange best;
  tests = 0;
  const double tx = cx[k], tn = cn[k], td = cd[k];
  if (td < 2 || tn <= 0) return best;
  const double null_ll = ll(tx, tn);
  for (size_t a = 0; a < k; ++a) {
    if (n[a] <= 0) continue;  // runs start and end on batches with data
    for (size_t b = a; b < k; ++b) {
      if (n[b] <= 0) continue;
      if (cd[b + 1] - cd[a] >= td) continue;  // the whole series: nothing outside
      ++tests;
      const double ix = cx[b + 1] - cx[a], in = cn[b + 1] - cn[a];
      const double ox = tx - ix, on = tn - in;
      const double g = 2 * (ll(ix, in) + ll(ox, on) - null_ll);
      if (g > best.g) {
        best.g = g;
        best.start = static_cast<int64_t>(a);
        best.end = static_cast<int64_t>(b);
        best.up = ix * on > ox * in;
        if (g >= enough) return best;
      }
    }
  }
  return best;
}

StepChange StepChangeOf(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, Model model,
                        double dispersion, int simulations, uint64_t seed, double decide_at) {
  const size_t k = std::min(failures.size(), n.size());
  int64_t tests = 0;
  StepChange best = MaxStep(failures, n, k, model, tests);
  if (best.start < 0) return best;
  // A single step is found as two complementary runs with the same G: report the later one, so
  // that the change is dated where it began.
  size_t first = 0, last = k - 1;
  while (n[first] <= 0) ++first;
  while (n[last] <= 0) --last;
  if (static_cast<size_t>(best.start) == first && static_cast<size_t>(best.end) < last) {
    size_t next = static_cast<size_t>(best.end) + 1;
    while (n[next] <= 0) ++next;
    best.start = static_cast<int64_t>(next);
    best.end = static_cast<int64_t>(last);
    best.up = !best.up;
  }
  const double d2 = std::max(dispersion, 1.0) * std::max(dispersion, 1.0);
  best.g /= d2;
  if (simulations <= 0) {
    best.p_adjusted = std::min(1.0, std::erfc(std::sqrt(best.g / 2)) * static_cast<double>(tests));
    return best;
  }
  // Parametric bootstrap of the largest G under no change: every batch binomial (Poisson) at the
  // pooled rate.
  int64_t sx = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (n[i] > 0) sx += failures[i], sn += n[i];
  }
  const double p0 = static_cast<double>(sx) / static_cast<double>(sn);
  std::mt19937_64 rng(seed);
  std::vector<int64_t> x(k, 0);
  int64_t as_large = 0;
  // Sequential stopping (Besag and Clifford 1991): once `stop` simulated series reach G, the full
  // bootstrap's p-value could not fall below decide_at, so the decision is known; p is then
  // stop / (series simulated).
  const double bound = decide_at * static_cast<double>(1 + simulations) - 1;
  const int64_t stop = decide_at > 0 ? std::max<int64_t>(1, static_cast<int64_t>(std::ceil(bound))) : 0;
  for (int rep = 0; rep < simulations; ++rep) {
    if (stop > 0 && as_large >= stop) {
      best.p_adjusted = static_cast<double>(as_large) / static_cast<double>(rep);
      return best;
    }
    for (size_t i = 0; i < k; ++i) {
      if (n[i] <= 0) {
        x[i] = 0;
      } else if (model == Model::kBinomial) {
        x[i] = std::binomial_distribution<int64_t>(n[i], p0)(rng);
      } else {
        x[i] = std::poisson_distribution<int64_t>(p0 * static_cast<double>(n[i]))(rng);
      }
    }
    int64_t t = 0;
    as_large += MaxStep(x, n, k, model, t, best.g).g >= best.g;
  }
  best.p_adjusted = static_cast<double>(1 + as_large) / static_cast<double>(1 + simulations);
  return best;
}

}  // namespace

StepChange FindStepChange(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double dispersion,
                          int simulations, uint64_t seed, double decide_at) {
  return StepChangeOf(failures, n, Model::kBinomial, dispersion, simulations, seed, decide_at);
}

StepChange FindPoissonStepChange(const std::vector<int64_t>& counts, const std::vector<int64_t>& units,
                                 double dispersion, int simulations, uint64_t seed, double decide_at) {
  return StepChangeOf(counts, units, Model::kPoisson, dispersion, simulations, seed, decide_at);
}

}  // namespace gtops::stats
