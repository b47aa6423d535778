// Delivery forecasts: when will each pipeline's open backlog be done at its recent throughput?
// Pure functions over values: no I/O, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ops/timeline.h"

namespace gtops::ops {

struct Forecast {
  std::string pipeline;
  int64_t backlog = 0;           // tasks open at as_of (not accepted, rejected or cancelled)
  int64_t accepted_recently = 0; // tasks first accepted in the window
  double window_days = 0;
  double throughput_tasks_per_day = 0;  // accepted_recently / window_days
  // Completion instants (ms since the epoch, whole seconds): expected, and a 95% interval from the Poisson
  // interval of the throughput. nullopt when nothing was accepted in the window (no rate to
  // extrapolate) and there is a backlog; as_of itself when the backlog is empty.
  std::optional<int64_t> expected_ms, lo_ms, hi_ms;
};

struct ForecastOptions {
  int64_t as_of_ms = 0;
  double window_days = 14;  // recent throughput: tasks first accepted in (as_of - window, as_of]
};

// 95% interval of a Poisson mean given `k` events (Wilson-Hilferty approximation of the exact
// chi-square bounds; lower bound 0 for k = 0).
std::pair<double, double> PoissonInterval(int64_t k);

// One forecast per pipeline with tasks, ordered by pipeline.
std::vector<Forecast> ForecastCompletion(std::span<const TaskTimeline> timelines, const ForecastOptions& options);

}  // namespace gtops::ops
