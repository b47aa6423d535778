// Throughput of the nuScenes detection kernel (docs/performance.md, "nuScenes detection
// evaluation") on samples shaped like the bench workload (50 ground-truth boxes a sample over 10
// classes, 90% detected with 0.7 m of centre noise, up to 9 false positives a sample). Baseline:
// nuscenes-devkit's DetectionEval at 26 s for 1000 samples, whole process.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "quality/nuscenes_metrics.h"

namespace gtops::quality {
namespace {

std::vector<NuscenesSample> SyntheticSamples(int samples, int boxes) {
  std::mt19937_64 rng(0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto random_box = [&](int cls) {
    NuscenesBox b;
    b.translation = {unit(rng) * 100 - 50, unit(rng) * 100 - 50, unit(rng) * 2 - 1};
    b.size = {0.5 + 4.5 * unit(rng), 0.5 + 4.5 * unit(rng), 0.5 + 4.5 * unit(rng)};
    const double yaw = (unit(rng) * 2 - 1) * 3.14159;
    b.rotation = {std::cos(yaw / 2), 0, 0, std::sin(yaw / 2)};
    b.velocity = {3 * normal(rng), 3 * normal(rng)};
    b.detection_class = cls;
    b.attribute = cls < 8 ? static_cast<int>(unit(rng) * 3) + (cls < 5 ? 5 : cls == 5 ? 0 : 3) : -1;
    if (b.attribute > 7) b.attribute = 7;
    return b;
  };
  std::vector<NuscenesSample> out(static_cast<std::size_t>(samples));
  for (NuscenesSample& s : out) {
    for (int k = 0; k < boxes; ++k) {
      const NuscenesBox g = random_box(static_cast<int>(unit(rng) * kNuscenesClassCount));
      s.gt.push_back(g);
      if (unit(rng) < 0.9) {
        NuscenesBox p = g;
        p.translation[0] += 0.7 * normal(rng);
        p.translation[1] += 0.7 * normal(rng);
        p.score = std::round((0.2 + 0.8 * unit(rng)) * 1e4) / 1e4;
        s.pred.push_back(p);
      }
    }
    const int fps = static_cast<int>(unit(rng) * 10);
    for (int i = 0; i < fps; ++i) {
      NuscenesBox p = random_box(static_cast<int>(unit(rng) * kNuscenesClassCount));
      p.score = std::round(0.6 * unit(rng) * 1e4) / 1e4;
      s.pred.push_back(p);
    }
  }
  return out;
}

void BM_EvaluateNuscenesDetection(benchmark::State& state) {
  const std::vector<NuscenesSample> samples = SyntheticSamples(static_cast<int>(state.range(0)), 50);
  for (auto _ : state) benchmark::DoNotOptimize(EvaluateNuscenesDetection(samples).nd_score);
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetLabel("items = samples of 50 boxes");
}
BENCHMARK(BM_EvaluateNuscenesDetection)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops::quality
