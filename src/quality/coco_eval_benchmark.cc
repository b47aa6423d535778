// Throughput of COCO detection evaluation (evaluate + accumulate + summarize, no JSON) on a
// synthetic workload shaped like shared/bench's gen_coco_synth.py: images of 20 boxes in 10
// categories, 1% crowd, 85% detected with jitter plus 0-5 false positives (docs/performance.md,
// "COCO evaluation"). Baseline: pycocotools 19.9 s and faster-coco-eval 3.3 s for the whole
// 5,000-image process.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "geometry/rle_poly.h"
#include "quality/coco_eval.h"

namespace gtops::quality {
namespace {

struct Workload {
  CocoGroundTruthSet gt;
  std::vector<CocoDetection> dt;
};

Workload Make(int images) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, 0.08);
  Workload w;
  for (int c = 1; c <= 10; ++c) w.gt.categories.push_back({c, "c"});
  int64_t id = 1;
  for (int i = 1; i <= images; ++i) {
    w.gt.image_ids.push_back(i);
    for (int k = 0; k < 20; ++k) {
      const double bw = 8 + 192 * u(rng), bh = 8 + 192 * u(rng);
      const double x = (640 - bw) * u(rng), y = (480 - bh) * u(rng);
      const auto cat = static_cast<int64_t>(1 + 10 * u(rng));
      CocoGroundTruth g;
      g.id = id++;
      g.image_id = i;
      g.category_id = cat;
      g.bbox = {x, y, bw, bh};
      g.area = bw * bh;
      g.iscrowd = u(rng) < 0.01;
      w.gt.annotations.push_back(g);
      if (u(rng) < 0.85) {
        CocoDetection d;
        d.image_id = i;
        d.category_id = u(rng) < 0.95 ? cat : static_cast<int64_t>(1 + 10 * u(rng));
        d.bbox = {x + jitter(rng) * bw, y + jitter(rng) * bh, bw * (1 + jitter(rng)), bh * (1 + jitter(rng))};
        d.area = d.bbox.w * d.bbox.h;
        d.score = 0.3 + 0.7 * u(rng);
        w.dt.push_back(d);
      }
    }
    const int fps = static_cast<int>(6 * u(rng));
    for (int f = 0; f < fps; ++f) {
      CocoDetection d;
      d.image_id = i;
      d.category_id = static_cast<int64_t>(1 + 10 * u(rng));
      const double bw = 8 + 192 * u(rng), bh = 8 + 192 * u(rng);
      d.bbox = {(640 - bw) * u(rng), (480 - bh) * u(rng), bw, bh};
      d.area = bw * bh;
      d.score = 0.7 * u(rng);
      w.dt.push_back(d);
    }
  }
  return w;
}

// Args: images, threads.
void BM_EvaluateCocoBbox(benchmark::State& state) {
  const Workload w = Make(static_cast<int>(state.range(0)));
  CocoEvalOptions options;
  options.threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    Result<CocoEvalResult> r = EvaluateCoco(w.gt, w.dt, options);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(w.dt.size()));
  state.counters["detections"] = static_cast<double>(w.dt.size());
}
BENCHMARK(BM_EvaluateCocoBbox)
    ->Args({500, 1})
    ->Args({5000, 1})
    ->Args({5000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// pycocotools' polygon rasterisation (annToRLE) of a 40-vertex polygon about 150 pixels across in
// a 640 x 480 image.
void BM_RleFromPolygon(benchmark::State& state) {
  std::vector<double> xy;
  for (int i = 0; i < 40; ++i) {
    const double a = 2 * 3.141592653589793 * i / 40, r = 60 + 15 * ((i * 7) % 5);
    xy.push_back(320 + r * std::cos(a));
    xy.push_back(240 + r * std::sin(a));
  }
  for (auto _ : state) benchmark::DoNotOptimize(geometry::RleFromPolygon(xy, 480, 640));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RleFromPolygon);

}  // namespace
}  // namespace gtops::quality
