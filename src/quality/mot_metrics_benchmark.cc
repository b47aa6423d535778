// Throughput of the tracking kernels (docs/performance.md, "Tracking evaluation"): the assignment
// solver on per-frame matrices and EvaluateTracking on one sequence shaped like one sequence of the
// MOT bench workload (1000 frames, 20 objects with lifetimes, 90% detected, jitter, id switches,
// one-frame false positives). Baseline: TrackEval (HOTA + CLEAR + Identity) at 6.2 s for ten such
// sequences, whole process.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "quality/assignment.h"
#include "quality/mot_metrics.h"

namespace gtops::quality {
namespace {

TrackingSequence SyntheticSequence(std::uint64_t seed, int frames, int objects) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  struct Object {
    int start, end;
    double x, y, vx, vy, w, h;
    std::int64_t track;
  };
  std::vector<Object> obj;
  std::int64_t next_track = objects + 1;
  for (int k = 0; k < objects; ++k) {
    const int start = 1 + static_cast<int>(unit(rng) * frames / 2);
    obj.push_back({start, std::min(start + frames / 4 + static_cast<int>(unit(rng) * frames * 3 / 4), frames + 1),
                   unit(rng) * 1700, unit(rng) * 800, 2 * normal(rng), 2 * normal(rng), 30 + unit(rng) * 90,
                   60 + unit(rng) * 240, k + 1});
  }
  TrackingSequence s{"SYN", {}};
  for (int f = 1; f <= frames; ++f) {
    TrackingFrame fr{f, {}, {}};
    for (int k = 0; k < objects; ++k) {
      Object& o = obj[static_cast<std::size_t>(k)];
      if (f < o.start || f >= o.end) continue;
      const double x = std::clamp(o.x + o.vx * (f - o.start), 0.0, 1920 - o.w);
      const double y = std::clamp(o.y + o.vy * (f - o.start), 0.0, 1080 - o.h);
      fr.gt.push_back({k + 1, x, y, o.w, o.h});
      if (unit(rng) < 0.002) o.track = next_track++;
      if (unit(rng) < 0.9) {
        fr.tracker.push_back({o.track, x + 0.05 * o.w * normal(rng), y + 0.05 * o.h * normal(rng),
                              o.w * (1 + 0.05 * normal(rng)), o.h * (1 + 0.05 * normal(rng))});
      }
    }
    if (unit(rng) < 0.005) std::swap(obj[0].track, obj[1].track);
    const int fps = static_cast<int>(unit(rng) * 2.0);
    for (int i = 0; i < fps; ++i) {
      fr.tracker.push_back({1000000 + f * 10 + i, unit(rng) * 1800, unit(rng) * 800, 30 + unit(rng) * 90,
                            60 + unit(rng) * 240});
    }
    s.frames.push_back(std::move(fr));
  }
  return s;
}

void BM_EvaluateTrackingSequence(benchmark::State& state) {
  const TrackingSequence s = SyntheticSequence(1, static_cast<int>(state.range(0)), 20);
  std::int64_t boxes = 0;
  for (const TrackingFrame& f : s.frames) boxes += static_cast<std::int64_t>(f.gt.size() + f.tracker.size());
  for (auto _ : state) benchmark::DoNotOptimize(EvaluateTracking(s));
  state.SetItemsProcessed(state.iterations() * boxes);
  state.counters["frames"] = static_cast<double>(s.frames.size());
}
BENCHMARK(BM_EvaluateTrackingSequence)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_SolveAssignment(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> costs(n * n);
  for (double& c : costs) c = unit(rng) < 0.7 ? kForbiddenCost : unit(rng) * 0.5;
  AssignmentSolver solver;
  for (auto _ : state) benchmark::DoNotOptimize(solver.Solve(costs, n, n).num_pairs);
}
BENCHMARK(BM_SolveAssignment)->Arg(10)->Arg(20)->Arg(100);

}  // namespace
}  // namespace gtops::quality
