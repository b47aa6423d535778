#include "rootcause/significance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace gtops::rootcause {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double LogChoose(int64_t n, int64_t k) {
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  return std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1);
}

// log of sum_{x >= k} t_x where log t_k = `log_first` and t_{x+1} / t_x = ratio(x), up to `last`.
// Terms are summed relative to the first; the sum stops once a term past the mode adds nothing.
template <typename Ratio>
double LogTailSum(double log_first, int64_t k, int64_t last, Ratio ratio) {
  double sum = 1, term = 1;
  for (int64_t x = k; x < last; ++x) {
    const double r = ratio(x);
    term *= r;
    sum += term;
    if (r < 1 && term < sum * 1e-17) break;
    if (term > 1e280) {  // renormalise (only before the mode, when k lies far below it)
      log_first += std::log(term);
      sum /= term;
      term = 1;
    }
  }
  return log_first + std::log(sum);
}

}  // namespace

double LogBinomialUpperTail(int64_t k, int64_t n, double p) {
  if (k <= 0) return 0;
  if (k > n || p <= 0) return kNegInf;
  if (p >= 1) return 0;
  const double lp = std::log(p), lq = std::log1p(-p);
  const double log_first = LogChoose(n, k) + static_cast<double>(k) * lp + static_cast<double>(n - k) * lq;
  const double odds = p / (1 - p);
  const double v = LogTailSum(log_first, k, n, [&](int64_t x) {
    return static_cast<double>(n - x) / static_cast<double>(x + 1) * odds;
  });
  return std::min(0.0, v);
}

double LogFisherUpperTail(int64_t k, int64_t n, int64_t K, int64_t N) {
  const int64_t lo = std::max<int64_t>(0, n + K - N), hi = std::min(n, K);
  if (k <= lo) return 0;
  if (k > hi) return kNegInf;
  const double log_first = LogChoose(K, k) + LogChoose(N - K, n - k) - LogChoose(N, n);
  const double v = LogTailSum(log_first, k, hi, [&](int64_t x) {
    return static_cast<double>(K - x) * static_cast<double>(n - x) /
           (static_cast<double>(x + 1) * static_cast<double>(N - K - n + x + 1));
  });
  return std::min(0.0, v);
}

std::vector<double> LogBenjaminiHochberg(const std::vector<double>& log_p, double untested) {
  const size_t m = log_p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return log_p[a] < log_p[b]; });
  std::vector<double> log_q(m, 0.0);
  const double log_m = std::log(static_cast<double>(m) + untested);
  double running = 0;  // min over j >= i, capped at log 1
  for (size_t i = m; i-- > 0;) {
    const double v = log_m + log_p[order[i]] - std::log(static_cast<double>(i + 1));
    running = std::min(running, v);
    log_q[order[i]] = running;
  }
  return log_q;
}

double LogBhCutoff(const std::vector<double>& log_p, double q, double untested) {
  std::vector<double> sorted = log_p;
  std::sort(sorted.begin(), sorted.end());
  const double m = static_cast<double>(sorted.size()) + untested, log_q = std::log(q);
  for (size_t i = sorted.size(); i-- > 0;) {
    if (sorted[i] <= log_q + std::log(static_cast<double>(i + 1)) - std::log(m)) return sorted[i];
  }
  return kNegInf;
}

}  // namespace gtops::rootcause
