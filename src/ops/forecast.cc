#include "ops/forecast.h"

#include <cmath>
#include <map>

namespace gtops::ops {
namespace {

constexpr double kMsPerDay = 24.0 * 3600.0 * 1000.0;
constexpr double kZ95 = 1.959963984540054;

}  // namespace

std::pair<double, double> PoissonInterval(int64_t k) {
  auto bound = [](double shape, double z) {  // chi-square quantile / 2 by Wilson-Hilferty
    const double c = 1.0 - 1.0 / (9.0 * shape) + z / (3.0 * std::sqrt(shape));
    return shape * c * c * c;
  };
  const double kk = static_cast<double>(k);
  const double lo = k == 0 ? 0.0 : bound(kk, -kZ95);
  return {lo, bound(kk + 1.0, kZ95)};
}

std::vector<Forecast> ForecastCompletion(std::span<const TaskTimeline> timelines, const ForecastOptions& options) {
  std::map<std::string, Forecast> by_pipeline;
  const double window_ms = options.window_days * kMsPerDay;
  for (const TaskTimeline& t : timelines) {
    Forecast& f = by_pipeline[t.pipeline];
    f.pipeline = t.pipeline;
    if (t.state == TaskState::kOpen) ++f.backlog;
    if (t.first_accepted_ms && *t.first_accepted_ms <= options.as_of_ms &&
        static_cast<double>(options.as_of_ms - *t.first_accepted_ms) < window_ms) {
      ++f.accepted_recently;
    }
  }
  std::vector<Forecast> out;
  for (auto& [pipeline, f] : by_pipeline) {
    f.window_days = options.window_days;
    f.throughput_tasks_per_day = static_cast<double>(f.accepted_recently) / options.window_days;
    if (f.backlog == 0) {
      f.expected_ms = f.lo_ms = f.hi_ms = options.as_of_ms;
    } else if (f.accepted_recently > 0) {
      const auto [k_lo, k_hi] = PoissonInterval(f.accepted_recently);
      const double backlog = static_cast<double>(f.backlog);
      auto at = [&](double per_day) {
        return options.as_of_ms + 1000 * static_cast<int64_t>(std::llround(backlog / per_day * kMsPerDay / 1000.0));  // whole seconds
      };
      f.expected_ms = at(f.throughput_tasks_per_day);
      f.lo_ms = at(k_hi / options.window_days);  // the fastest plausible rate finishes first
      if (k_lo > 0) f.hi_ms = at(k_lo / options.window_days);
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace gtops::ops
