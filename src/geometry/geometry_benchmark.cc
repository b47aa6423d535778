// Throughput of the geometry kernels. The headline is rotated 3D IoU in pairs per second on one
// core (docs/performance.md, "Geometry"); baseline: the Waymo Open Dataset metrics' C++ at about
// 2 million pairs per second.
#include <benchmark/benchmark.h>

#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "geometry/box_iou.h"
#include "geometry/polygon.h"
#include "geometry/polyline.h"
#include "geometry/rle.h"

namespace gtops::geometry {
namespace {

struct BoxPairs {
  std::vector<Box3d> a, b;
};

BoxPairs ReferencePairs() {
  BoxPairs pairs;
  std::ifstream in(std::string(GTOPS_SHARED_DIR) + "/reference/iou3d/pairs.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    Box3d a, b;
    s >> a.x >> a.y >> a.z >> a.l >> a.w >> a.h >> a.yaw >> b.x >> b.y >> b.z >> b.l >> b.w >> b.h >>
        b.yaw;
    if (!s.fail()) {
      pairs.a.push_back(a);
      pairs.b.push_back(b);
    }
  }
  return pairs;
}

Box3d RandomCar(std::mt19937_64& rng, double spread) {
  std::uniform_real_distribution<double> pos(-spread, spread), yaw(-std::numbers::pi, std::numbers::pi);
  std::uniform_real_distribution<double> l(3.8, 5.2), w(1.7, 2.1), h(1.4, 1.9);
  const double height = h(rng);
  return {pos(rng), pos(rng), 0.5 * height, l(rng), w(rng), height, yaw(rng)};
}

// A label of `ref`: centre off by up to `pos_err` metres, yaw by up to `yaw_err` radians, sizes by
// up to 10 %.
Box3d Perturb(std::mt19937_64& rng, const Box3d& ref, double pos_err, double yaw_err) {
  std::uniform_real_distribution<double> u(-1, 1);
  Box3d b = ref;
  b.x += pos_err * u(rng);
  b.y += pos_err * u(rng);
  b.z += 0.2 * pos_err * u(rng);
  b.l *= 1 + 0.1 * u(rng);
  b.w *= 1 + 0.1 * u(rng);
  b.h *= 1 + 0.1 * u(rng);
  b.yaw += yaw_err * u(rng);
  return b;
}

// Pairs of labels against their references: every pair overlaps (the clipping path).
BoxPairs OverlappingPairs(size_t n) {
  std::mt19937_64 rng(1);
  BoxPairs p;
  for (size_t i = 0; i < n; ++i) {
    p.a.push_back(RandomCar(rng, 50));
    p.b.push_back(Perturb(rng, p.a.back(), 0.8, 0.3));
  }
  return p;
}

// Independent random cars in a 12 m x 12 m patch: about half the pairs overlap.
BoxPairs MixedPairs(size_t n) {
  std::mt19937_64 rng(2);
  BoxPairs p;
  for (size_t i = 0; i < n; ++i) {
    p.a.push_back(RandomCar(rng, 3.0));
    p.b.push_back(RandomCar(rng, 3.0));
  }
  return p;
}

template <double (*kIou)(const Box3d&, const Box3d&)>
void RunPairs(benchmark::State& state, const BoxPairs& p) {
  const size_t n = p.a.size();
  size_t overlapping = 0;
  for (size_t i = 0; i < n; ++i) overlapping += kIou(p.a[i], p.b[i]) > 0;
  for (auto _ : state) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += kIou(p.a[i], p.b[i]);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["overlap_share"] = static_cast<double>(overlapping) / static_cast<double>(n);
}

double Iou3dBoxes(const Box3d& a, const Box3d& b) { return Iou3d(a, b); }
double BevIouBoxes(const Box3d& a, const Box3d& b) { return BevIou(a, b); }

void BM_Iou3d_ReferencePairs(benchmark::State& state) {
  static const BoxPairs p = ReferencePairs();
  RunPairs<Iou3dBoxes>(state, p);
}
BENCHMARK(BM_Iou3d_ReferencePairs);

void BM_Iou3d_Overlapping(benchmark::State& state) {
  static const BoxPairs p = OverlappingPairs(4096);
  RunPairs<Iou3dBoxes>(state, p);
}
BENCHMARK(BM_Iou3d_Overlapping);

void BM_Iou3d_Mixed(benchmark::State& state) {
  static const BoxPairs p = MixedPairs(4096);
  RunPairs<Iou3dBoxes>(state, p);
}
BENCHMARK(BM_Iou3d_Mixed);

void BM_BevIou_Overlapping(benchmark::State& state) {
  static const BoxPairs p = OverlappingPairs(4096);
  RunPairs<BevIouBoxes>(state, p);
}
BENCHMARK(BM_BevIou_Overlapping);

// Prepared boxes: the trigonometry done once per box, as in an N x M matching.
void BM_Iou3dPrepared_Overlapping(benchmark::State& state) {
  static const BoxPairs p = OverlappingPairs(4096);
  std::vector<PreparedBox3d> a, b;
  for (const Box3d& x : p.a) a.push_back(PrepareBox3d(x));
  for (const Box3d& x : p.b) b.push_back(PrepareBox3d(x));
  for (auto _ : state) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += Iou3d(a[i], b[i]);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * a.size()));
}
BENCHMARK(BM_Iou3dPrepared_Overlapping);

// One frame: N references spread over a 100 m x 100 m scene and N labels near them; the full
// N x N IoU matrix, as a matcher computes it (most pairs are far apart).
void BM_Iou3dMatrix_Frame(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(3);
  std::vector<Box3d> refs, labels;
  for (size_t i = 0; i < n; ++i) {
    refs.push_back(RandomCar(rng, 50));
    labels.push_back(Perturb(rng, refs.back(), 0.5, 0.1));
  }
  std::vector<double> out(n * n);
  for (auto _ : state) {
    Iou3dMatrix(labels, refs, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n * n));
}
BENCHMARK(BM_Iou3dMatrix_Frame)->Arg(50)->Arg(500);

void BM_Box2dIou(benchmark::State& state) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> pos(0, 200), size(10, 100);
  std::vector<Box2d> a(4096), b(4096);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = {pos(rng), pos(rng), size(rng), size(rng)};
    b[i] = {pos(rng), pos(rng), size(rng), size(rng)};
  }
  for (auto _ : state) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += Box2dIou(a[i], b[i]);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * a.size()));
}
BENCHMARK(BM_Box2dIou);

Ring Star(std::mt19937_64& rng, double cx, double cy, int n) {
  std::uniform_real_distribution<double> r(20, 60);
  Ring ring;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * std::numbers::pi * i / n;
    const double rad = r(rng);
    ring.push_back({cx + rad * std::cos(t), cy + rad * std::sin(t)});
  }
  return ring;
}

// Non-convex polygons of range(0) vertices each, overlapping.
void BM_PolygonIou(benchmark::State& state) {
  std::mt19937_64 rng(5);
  const int n = static_cast<int>(state.range(0));
  const std::vector<Ring> a{Star(rng, 100, 100, n)}, b{Star(rng, 110, 95, n)};
  for (auto _ : state) benchmark::DoNotOptimize(PolygonIou(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PolygonIou)->Arg(16)->Arg(64)->Arg(256);

// Two overlapping 640 x 480 masks of an elliptical object (runs per column).
void BM_RleIou(benchmark::State& state) {
  auto ellipse = [](double cx, double cy, double rx, double ry) {
    Rle rle{480, 640, {}};
    uint32_t zeros = 0;
    for (int x = 0; x < 640; ++x) {
      const double dx = (x - cx) / rx;
      if (std::abs(dx) >= 1) {
        zeros += 480;
        continue;
      }
      const double half = ry * std::sqrt(1 - dx * dx);
      const uint32_t y0 = static_cast<uint32_t>(std::max(0.0, cy - half));
      const uint32_t y1 = static_cast<uint32_t>(std::min(480.0, cy + half));
      rle.counts.push_back(zeros + y0);
      rle.counts.push_back(y1 - y0);
      zeros = 480 - y1;
    }
    rle.counts.push_back(zeros);
    return rle;
  };
  const Rle a = ellipse(300, 240, 150, 100), b = ellipse(330, 250, 140, 110);
  for (auto _ : state) benchmark::DoNotOptimize(RleIou(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RleIou);

// A 60 m lane against a label of it, resampled every 0.1 m.
void BM_MeanSymmetricDistance(benchmark::State& state) {
  std::vector<Point3> a, b;
  for (int i = 0; i <= 30; ++i) {
    const double x = 2.0 * i;
    a.push_back({x, 0.002 * x * x, 0});
    b.push_back({x + 0.1, 0.002 * x * x + 0.15, 0});
  }
  for (auto _ : state) benchmark::DoNotOptimize(MeanSymmetricDistance(a, b, 0.1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MeanSymmetricDistance);

}  // namespace
}  // namespace gtops::geometry
