// Quality metrics with their cluster-bootstrap intervals (docs/performance.md, "Quality
// metrics"): ComputeMetrics on an aggregate the size of a large program's pipeline: 500,000
// paired box3d objects over 11,000 tasks (clusters of varied sizes, each with its own error
// level), 3% missing and 2% extra, two attributes per paired object, IoU and safety weights.
// All default metrics: rates, f1, mean_iou, the six error percentiles, the safety-weighted miss
// rate and the per-attribute accuracies, each with 1000 resamples.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "quality/metrics.h"

namespace gtops::quality {
namespace {

QualityAggregate MakeAggregate(int clusters, int paired, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> level(0, 0.5);
  std::exponential_distribution<double> size(1.0);
  const double mean_size = static_cast<double>(paired) / 0.95 / clusters;  // 95% paired
  QualityAggregate agg;
  FrameComparison frame;
  frame.geometry = GeometryKind::kBox3d;
  for (int c = 0; c < clusters; ++c) {
    frame.outcomes.clear();
    frame.attributes.clear();
    const int n = 1 + static_cast<int>(size(rng) * (mean_size - 1));
    const double scale = level(rng);  // the task's error level: values correlate within a task
    for (int i = 0; i < n; ++i) {
      Outcome o;
      double r = u(rng);
      o.kind = r < 0.03 ? OutcomeKind::kMissing : r < 0.05 ? OutcomeKind::kExtra : OutcomeKind::kPaired;
      o.range_m = 60 * u(rng);
      o.safety_weight = u(rng) < 0.3 ? 5 : 3;
      if (o.kind == OutcomeKind::kPaired) {
        o.iou = 0.5 + 0.5 * u(rng);
        // Rounded to centimetres, hundredths and tenths of a degree: ties, as in real labels.
        o.center_error_m = std::round(100 * scale * 0.05 * -std::log(u(rng))) / 100;
        o.size_error_rel = std::round(100 * scale * 0.02 * -std::log(u(rng))) / 100;
        o.heading_error_deg = std::round(10 * scale * 1.5 * -std::log(u(rng))) / 10;
        o.attribute_begin = static_cast<uint32_t>(frame.attributes.size());
        frame.attributes.push_back({"moving", u(rng) < 0.97});
        frame.attributes.push_back({"occlusion", u(rng) < 0.9});
        o.attribute_end = static_cast<uint32_t>(frame.attributes.size());
      }
      frame.outcomes.push_back(o);
    }
    agg.Add(frame, "task" + std::to_string(c));
  }
  return agg;
}

void BM_ComputeMetrics(benchmark::State& state) {
  const int clusters = static_cast<int>(state.range(0));
  const int paired = static_cast<int>(state.range(1));
  const QualityAggregate agg = MakeAggregate(clusters, paired, 17);
  const ClusterTotals total = agg.Total();
  for (auto _ : state) {
    auto metrics = ComputeMetrics(agg);
    benchmark::DoNotOptimize(metrics.data());
  }
  state.counters["values"] = static_cast<double>(total.position_error_m.size());
  state.counters["clusters"] = static_cast<double>(clusters);
}
BENCHMARK(BM_ComputeMetrics)->Args({11000, 500000})->Args({1000, 45000})->Args({100, 4500})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops::quality
