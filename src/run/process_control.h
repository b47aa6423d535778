// Statistical process control of a GT program, batch after batch (docs/spc.md): each series is one
// rate of one pipeline x vendor (an error type's rate over the objects at risk, the audit failure
// rate, the rework and late rates of tasks; errors per object) with one point per batch in time
// order. A proportion is charted as Laney's p' chart, a count per unit (errors per object, rework
// rounds per task) as Laney's u' chart; EWMA, CUSUM and the step test run in the same
// over-dispersion-corrected units for the binomial or the Poisson model, and the Nelson run rules
// on the standardised points; signals that overlap in time and direction become one incident, dated
// by its first batch. Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gtops {

// How a series is charted: a proportion (failures of units at risk, each unit fails at most once:
// Laney's p' chart, binomial detectors) or a count per unit (errors over objects, Poisson counts
// over an exposure: Laney's u' chart, Poisson detectors).
enum class ChartType { kP, kU };
// "p" or "u" (`chart` in `gtops spc --json`).
const char* Name(ChartType type);

// One batch of a series: `count` failures (p) or errors (u) of `n` units at risk.
struct SpcBatch {
  std::string batch;
  int64_t time_ms = 0;  // when the batch began (orders the series)
  int64_t n = 0, count = 0;
};

struct SpcSeries {
  std::string pipeline, vendor, annotator;  // annotator "" for a vendor's series
  std::string metric;                       // "size_error_rate", "rework_rate", ...
  std::string unit;                         // what n counts: "objects", "labels", "tasks", ...
  ChartType chart = ChartType::kP;
  std::vector<SpcBatch> batches;            // in time order
};

struct SpcPoint {
  std::string batch;
  int64_t time_ms = 0, n = 0, count = 0;
  double rate = 0;             // count / n; NaN when n is 0
  double lcl = 0, ucl = 0;     // Laney p' (u') limits
  double z = 0;                // (rate - centre) / (dispersion sigma_i); NaN when n is 0
                               // (sigma_i = sqrt(centre (1 - centre) / n) for p, sqrt(centre / n) for u)
  double ewma = 0, ewma_lcl = 0, ewma_ucl = 0;
  double cusum_up = 0, cusum_down = 0;
};

// One detector's signal: a Nelson rule ("beyond_3_sigma", "nine_one_side", ...), "ewma", "cusum" or
// "step" (stats::FindStepChange),
// over the points [start, end] of the chart, in `direction` "up" or "down".
struct SpcSignal {
  std::string detector, direction;
  int64_t start = 0, end = 0;
};

struct SpcChart {
  SpcSeries series;
  double centre = 0, dispersion = 1;  // pooled rate (u: errors per unit); Laney's sigma_z
  double step_p = 1;                  // the step test's Bonferroni-adjusted p-value
  std::vector<SpcPoint> points;
  std::vector<SpcSignal> signals;
};

// Signals of one chart that overlap (or touch) in time and share a direction: one change of the
// process. `since` is its first batch (a CUSUM dates a shift to the batch after its sum was last
// 0); `last` its last signalling batch. Rates: during [since, last] and outside it.
struct Incident {
  std::string pipeline, vendor, annotator, metric, direction;
  ChartType chart = ChartType::kP;  // of the series it was found on
  std::string since_batch, last_batch;
  int64_t since_ms = 0, last_ms = 0;
  std::vector<std::string> detectors;  // sorted, unique
  int64_t n_during = 0, count_during = 0, n_outside = 0, count_outside = 0;
  double rate_during = 0, rate_outside = 0;  // NaN without units
  std::string evidence;                      // one sentence a quality owner can read
};

struct SpcOptions {
  double ewma_lambda = 0.2, ewma_L = 3.0;  // EWMA weight and limit width (sigmas)
  double cusum_k = 0.5, cusum_h = 5.0;     // CUSUM reference value and decision interval (sigmas)
  // u charts: the Poisson CUSUM's design shift (a rise to shift x centre, a fall to centre / shift)
  // and decision interval in log-likelihood-ratio units (stats::PoissonCusum).
  double u_cusum_shift = 1.5, u_cusum_h = 5.0;
  int min_batches = 5;                     // shorter series are not charted
  int64_t min_count = 5;                   // series with fewer failures in all are not charted
  double step_alpha = 0.05;                // the step test signals below this p-value
  int step_simulations = 2000;             // its parametric bootstrap (0: Bonferroni over runs)
  uint64_t seed = 1;                       // of that bootstrap
};

// The chart of one series (empty `points` when the series is too short or too sparse to chart).
SpcChart ChartSeries(const SpcSeries& series, const SpcOptions& options = {});

// The incidents of one chart, in order of `since`.
std::vector<Incident> IncidentsOf(const SpcChart& chart);

}  // namespace gtops
