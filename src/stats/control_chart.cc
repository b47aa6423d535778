#include "stats/control_chart.h"

#include <algorithm>
#include <cmath>

namespace gtops::stats {

namespace {

// The pooled rate of the batches with data; NaN without any.
double PooledRate(const std::vector<int64_t>& successes, const std::vector<int64_t>& n, size_t k) {
  int64_t sx = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (n[i] <= 0) continue;
    sx += successes[i];
    sn += n[i];
  }
  return sn > 0 ? static_cast<double>(sx) / static_cast<double>(sn) : NAN;
}

// Moving-range dispersion of the standardised batches: z_i = (x_i / n_i - rate) / sqrt(variance / n_i),
// `variance` the per-unit variance at the centre (p (1 - p) binomial, u Poisson).
double Dispersion(const std::vector<int64_t>& successes, const std::vector<int64_t>& n, size_t k, double rate,
                  double variance) {
  // z scores of the batches with data, in order.
  std::vector<double> z;
  for (size_t i = 0; i < k; ++i) {
    if (n[i] <= 0 || !(variance > 0)) continue;
    const double sigma = std::sqrt(variance / static_cast<double>(n[i]));
    z.push_back((static_cast<double>(successes[i]) / static_cast<double>(n[i]) - rate) / sigma);
  }
  if (z.size() < 3) return 1;
  double mr = 0;
  for (size_t i = 1; i < z.size(); ++i) mr += std::fabs(z[i] - z[i - 1]);
  return mr / static_cast<double>(z.size() - 1) / 1.128;
}

// Laney's chart of a rate with per-unit variance `variance_of(centre)`, limits clipped to [0, max].
template <typename Variance>
std::vector<ChartPoint> LaneyChart(const std::vector<int64_t>& x, const std::vector<int64_t>& n, Variance variance_of,
                                   double max) {
  const size_t k = std::min(x.size(), n.size());
  std::vector<ChartPoint> out(k);
  const double p = PooledRate(x, n, k);
  if (std::isnan(p)) {
    for (ChartPoint& c : out) c.center = c.lcl = c.ucl = NAN;
    return out;
  }
  const double variance = variance_of(p);
  const double sigma_z = Dispersion(x, n, k, p, variance);
  for (size_t i = 0; i < k; ++i) {
    ChartPoint& c = out[i];
    c.center = p;
    if (n[i] <= 0) {
      c.lcl = c.ucl = NAN;
      continue;
    }
    const double half = 3 * std::sqrt(variance / static_cast<double>(n[i])) * sigma_z;
    c.lcl = std::max(0.0, p - half);
    c.ucl = std::min(max, p + half);
    const double v = static_cast<double>(x[i]) / static_cast<double>(n[i]);
    c.out_of_control = v < c.lcl || v > c.ucl;
  }
  return out;
}

double Binomial(double p) { return p * (1 - p); }
double Poisson(double u) { return u; }

}  // namespace

double LaneyDispersion(const std::vector<int64_t>& successes, const std::vector<int64_t>& n) {
  const size_t k = std::min(successes.size(), n.size());
  const double p = PooledRate(successes, n, k);
  return std::isnan(p) ? 1.0 : Dispersion(successes, n, k, p, Binomial(p));
}

std::vector<ChartPoint> LaneyPChart(const std::vector<int64_t>& successes, const std::vector<int64_t>& n) {
  return LaneyChart(successes, n, Binomial, 1.0);
}

double LaneyUDispersion(const std::vector<int64_t>& counts, const std::vector<int64_t>& units) {
  const size_t k = std::min(counts.size(), units.size());
  const double u = PooledRate(counts, units, k);
  return std::isnan(u) ? 1.0 : Dispersion(counts, units, k, u, Poisson(u));
}

std::vector<ChartPoint> LaneyUChart(const std::vector<int64_t>& counts, const std::vector<int64_t>& units) {
  return LaneyChart(counts, units, Poisson, HUGE_VAL);
}

std::vector<ChartPoint> IndividualsChart(const std::vector<double>& values) {
  std::vector<ChartPoint> out(values.size());
  double sum = 0, mr = 0;
  int count = 0, ranges = 0;
  double prev = NAN;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++count;
    if (std::isfinite(prev)) {
      mr += std::fabs(v - prev);
      ++ranges;
    }
    prev = v;
  }
  const double center = count > 0 ? sum / count : NAN;
  const double half = ranges > 0 ? 2.66 * mr / ranges : 0;
  for (size_t i = 0; i < values.size(); ++i) {
    ChartPoint& c = out[i];
    c.center = center;
    if (!std::isfinite(values[i])) {
      c.lcl = c.ucl = NAN;
      continue;
    }
    c.lcl = center - half;
    c.ucl = center + half;
    c.out_of_control = ranges > 0 && (values[i] < c.lcl || values[i] > c.ucl);
  }
  return out;
}

TrendDirection SlopeTrend(const std::vector<double>& values, const std::vector<double>& lo,
                          const std::vector<double>& hi) {
  double sw = 0, swx = 0, swy = 0, swxx = 0, swxy = 0;
  int used = 0;
  for (size_t i = 0; i < values.size() && i < lo.size() && i < hi.size(); ++i) {
    const double se = (hi[i] - lo[i]) / (2 * 1.959963984540054);
    if (!std::isfinite(values[i]) || !std::isfinite(se) || se <= 0) continue;
    const double w = 1 / (se * se), x = static_cast<double>(i), y = values[i];
    sw += w, swx += w * x, swy += w * y, swxx += w * x * x, swxy += w * x * y;
    ++used;
  }
  if (used < 3) return TrendDirection::kUnknown;
  const double sxx = swxx - swx * swx / sw;
  if (sxx <= 0) return TrendDirection::kUnknown;
  const double slope = (swxy - swx * swy / sw) / sxx;
  const double se_slope = std::sqrt(1 / sxx);
  const double z = slope / se_slope;
  if (z > 1.959963984540054) return TrendDirection::kUp;
  if (z < -1.959963984540054) return TrendDirection::kDown;
  return TrendDirection::kFlat;
}

std::string TrendWord(TrendDirection d, bool higher_is_better) {
  switch (d) {
    case TrendDirection::kUp: return higher_is_better ? "improving" : "worsening";
    case TrendDirection::kDown: return higher_is_better ? "worsening" : "improving";
    case TrendDirection::kFlat: return "stable";
    case TrendDirection::kUnknown: return "";
  }
  return "";
}

}  // namespace gtops::stats
