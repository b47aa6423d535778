// Control charts for per-batch quality series and a trend test (docs/run.md, "Trends").
// Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gtops::stats {

struct ChartPoint {
  double center = 0, lcl = 0, ucl = 0;
  bool out_of_control = false;
};

// Laney's p' chart for a proportion per batch (successes x_i of n_i): centre p = sum x / sum n;
// per batch sigma_i = sqrt(p (1 - p) / n_i), z_i = (x_i / n_i - p) / sigma_i, and the between-
// batch dispersion sigma_z = mean |z_i - z_{i-1}| / 1.128 (the moving range of consecutive z);
// limits p +- 3 sigma_i sigma_z, clipped to [0, 1]. sigma_z corrects the plain p chart's limits
// for over-dispersion (objects cluster in tasks, so batches vary more than binomially); with
// fewer than 3 batches sigma_z is 1 (the plain p chart). Batches with n_i = 0 get NaN limits.
std::vector<ChartPoint> LaneyPChart(const std::vector<int64_t>& successes, const std::vector<int64_t>& n);

// Laney's sigma_z of those batches: mean |z_i - z_{i-1}| / 1.128 over the batches with data, 1 with
// fewer than 3 of them or a centre of 0 or 1.
double LaneyDispersion(const std::vector<int64_t>& successes, const std::vector<int64_t>& n);

// Laney's u' chart for a rate of counts per unit (c_i errors over n_i units: errors per object):
// centre u = sum c / sum n; per batch sigma_i = sqrt(u / n_i) (Poisson), z_i = (c_i / n_i - u) / sigma_i,
// sigma_z = mean |z_i - z_{i-1}| / 1.128 as for the p' chart (1 with fewer than 3 batches or u = 0);
// limits u +- 3 sigma_i sigma_z, the lower clipped at 0. Batches with n_i <= 0 get NaN limits.
std::vector<ChartPoint> LaneyUChart(const std::vector<int64_t>& counts, const std::vector<int64_t>& units);

// Laney's sigma_z of a u chart's batches (as LaneyDispersion, with the Poisson sigma_i).
double LaneyUDispersion(const std::vector<int64_t>& counts, const std::vector<int64_t>& units);

// Individuals (X-mR) chart for a non-proportion metric per batch: centre = mean, limits
// centre +- 2.66 mean moving range. NaN values are skipped (their points get NaN limits).
std::vector<ChartPoint> IndividualsChart(const std::vector<double>& values);

enum class TrendDirection { kUp, kDown, kFlat, kUnknown };

// Weighted least-squares slope of values over their order (0, 1, 2, ...), weights 1 / se_i^2
// where se_i = (hi_i - lo_i) / (2 * 1.96) is each batch's standard error read off its 95%
// interval; kUp or kDown when |slope / se(slope)| > 1.96, else kFlat. kUnknown with fewer than
// three usable batches (finite value and positive interval width).
TrendDirection SlopeTrend(const std::vector<double>& values, const std::vector<double>& lo,
                          const std::vector<double>& hi);

// "improving", "worsening", "stable" or "" for a direction and whether higher is better.
std::string TrendWord(TrendDirection d, bool higher_is_better);

}  // namespace gtops::stats
