// Time of the agreement kernels at the sizes of issue 8 (docs/performance.md, "Agreement"):
// Dawid–Skene on 20,000 items x 5 answers by 200 workers, 3 classes (target 0.05 s; baseline
// crowd-kit 0.9 s); Krippendorff's alpha on 5 coders x 100,000 units (target 0.01 s; baseline
// the numpy reference 0.05-0.19 s). Each also at a tenth of the size.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "agreement/agreement.h"
#include "agreement/simulate.h"
#include "agreement/truth.h"

namespace gtops::agreement {
namespace {

void RunTruth(benchmark::State& state, TruthModel model) {
  const int items = static_cast<int>(state.range(0));
  auto crowd = SimulateCrowd(items, 200, 3, 5, 0.55, 0.95, 11);
  int iterations = 0;
  for (auto _ : state) {
    auto r = InferTruth(crowd.answers, {.model = model});
    iterations = r->iterations;
    benchmark::DoNotOptimize(r->posterior.data());
  }
  state.counters["answers"] = static_cast<double>(crowd.answers.answers.size());
  state.counters["em_iterations"] = iterations;
}

void BM_DawidSkene(benchmark::State& state) { RunTruth(state, TruthModel::kDawidSkene); }
void BM_OneCoinDawidSkene(benchmark::State& state) { RunTruth(state, TruthModel::kOneCoinDawidSkene); }
void BM_MajorityVote(benchmark::State& state) { RunTruth(state, TruthModel::kMajorityVote); }
BENCHMARK(BM_DawidSkene)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OneCoinDawidSkene)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MajorityVote)->Arg(2000)->Arg(20000)->Unit(benchmark::kMillisecond);

// 5 coders, 5 ordered categories, 10% of the values missing; coders agree with a unit's latent
// value 70% of the time and are one category off otherwise.
RatingMatrix SimulatedRatings(int units) {
  std::mt19937_64 rng(5);
  RatingMatrix m{units, 5, 5, std::vector<int32_t>(static_cast<size_t>(units) * 5)};
  for (size_t u = 0; u < static_cast<size_t>(units); ++u) {
    int32_t latent = static_cast<int32_t>(rng() % 5);
    for (size_t c = 0; c < 5; ++c) {
      uint64_t r = rng() % 100;
      int32_t v = r < 10 ? kMissing : r < 80 ? latent : r < 90 ? latent - 1 : latent + 1;
      m.codes[u * 5 + c] = v == kMissing ? kMissing : std::clamp(v, 0, 4);
    }
  }
  return m;
}

void RunAlpha(benchmark::State& state, AlphaMetric metric) {
  auto m = SimulatedRatings(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto a = KrippendorffAlpha(m, metric);
    benchmark::DoNotOptimize(a->alpha);
  }
  state.counters["alpha"] = KrippendorffAlpha(m, metric)->alpha;
}

void BM_KrippendorffAlphaNominal(benchmark::State& state) { RunAlpha(state, AlphaMetric::kNominal); }
void BM_KrippendorffAlphaInterval(benchmark::State& state) { RunAlpha(state, AlphaMetric::kInterval); }
BENCHMARK(BM_KrippendorffAlphaNominal)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KrippendorffAlphaInterval)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_FleissKappa(benchmark::State& state) {
  auto m = SimulatedRatings(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(FleissKappa(m)->kappa);
}
BENCHMARK(BM_FleissKappa)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops::agreement
