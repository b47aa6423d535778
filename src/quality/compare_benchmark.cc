// Vendor-vs-gold comparison of box3d frames from memory (docs/performance.md, "Quality
// comparison"): objects (gold + vendor) compared per second on one core, with the pipeline rules
// of world-small's lidar_cuboids (bev_iou 0.3 for vehicles, centre distance 1 m for pedestrians
// and cyclists), two attributes per object, tracks, about 3% missing and 2% extra labels.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "quality/compare.h"
#include "quality/metrics.h"

namespace gtops::quality {
namespace {

PipelineSpec LidarPipeline(bool tracking) {
  PipelineSpec p;
  p.id = "lidar_cuboids";
  p.geometry = GeometryKind::kBox3d;
  p.tracking = tracking;
  p.match = {MatchRule::Kind::kBevIou, 0.3};
  p.tolerances.position_m = 0.3;
  p.tolerances.size_rel = 0.10;
  p.tolerances.heading_deg = 10.0;
  for (const char* name : {"car", "truck", "bus"}) {
    ClassSpec c;
    c.name = name;
    c.safety_weight = 3;
    p.classes.push_back(c);
  }
  for (const char* name : {"pedestrian", "cyclist"}) {
    ClassSpec c;
    c.name = name;
    c.safety_weight = 5;
    c.match = MatchRule{MatchRule::Kind::kCenterDistanceM, 1.0};
    p.classes.push_back(c);
  }
  return p;
}

struct FramePair {
  LabelRecord gold, vendor;
};

// `frames` frames of `objects` gold objects each, spread over `side` m x `side` m around the ego
// vehicle, and a vendor record with small noise (3 cm, 1 degree, 1 % size), 3 % missing, 2 % extra.
std::vector<FramePair> MakeFrames(int frames, int objects, uint64_t seed, double side = 100) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pos(-side / 2, side / 2), yaw(-std::numbers::pi, std::numbers::pi), u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  const char* kinds[] = {"car", "car", "car", "truck", "pedestrian", "pedestrian", "cyclist", "bus"};
  std::vector<FramePair> out(static_cast<size_t>(frames));
  for (int f = 0; f < frames; ++f) {
    FramePair& fp = out[static_cast<size_t>(f)];
    fp.gold.source = Source::kGold;
    fp.vendor.source = Source::kVendor;
    for (int i = 0; i < objects; ++i) {
      Object g;
      g.id = "g" + std::to_string(i);
      g.track = "t" + std::to_string(i);
      g.cls = kinds[rng() % 8];
      bool vru = g.cls == "pedestrian" || g.cls == "cyclist";
      double l = vru ? 0.8 : (g.cls == "car" ? 4.5 : 9.0), w = vru ? 0.7 : 2.0, h = vru ? 1.7 : 2.0;
      g.box3d = {pos(rng), pos(rng), h / 2, l, w, h, yaw(rng)};
      g.attributes_json = R"({"moving":true,"occlusion":"none"})";
      fp.gold.objects.push_back(g);
      if (u(rng) < 0.03) continue;
      Object v = g;
      v.id = "v" + std::to_string(i);
      v.box3d.x += 0.03 * noise(rng);
      v.box3d.y += 0.03 * noise(rng);
      v.box3d.yaw += 0.017 * noise(rng);
      v.box3d.l *= 1 + 0.01 * noise(rng);
      fp.vendor.objects.push_back(v);
    }
    int extras = static_cast<int>(std::lround(0.02 * objects));
    for (int e = 0; e < extras; ++e) {
      Object x;
      x.id = "x" + std::to_string(e);
      x.cls = "car";
      x.box3d = {pos(rng), pos(rng), 0.75, 4.5, 2.0, 1.5, yaw(rng)};
      fp.vendor.objects.push_back(x);
    }
    std::shuffle(fp.vendor.objects.begin(), fp.vendor.objects.end(), rng);
  }
  return out;
}

int64_t CountObjects(const std::vector<FramePair>& frames) {
  int64_t n = 0;
  for (const FramePair& f : frames) n += static_cast<int64_t>(f.gold.objects.size() + f.vendor.objects.size());
  return n;
}

// Compare only: pairing, error taxonomy, measured values, attributes.
// Compares every frame pair once per iteration; returns the comparer's scratch bytes.
size_t CompareAll(benchmark::State& state, const std::vector<FramePair>& frames) {
  PipelineSpec p = LidarPipeline(false);
  FrameComparer comparer(p);
  FrameComparison out;
  for (auto _ : state) {
    for (const FramePair& f : frames) {
      comparer.Compare(f.vendor, f.gold, out);
      benchmark::DoNotOptimize(out.outcomes.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * CountObjects(frames));
  return comparer.ScratchBytes();
}

void BM_CompareBox3d(benchmark::State& state) {
  const int objects = static_cast<int>(state.range(0));
  const size_t scratch = CompareAll(state, MakeFrames(256, objects, 7));
  state.counters["scratch_bytes"] = static_cast<double>(scratch);
}
BENCHMARK(BM_CompareBox3d)->Arg(10)->Arg(40)->Arg(100)->Arg(400)->Arg(1000);

// The same with the area growing with the objects (100 objects per 100 m x 100 m, as the sparse
// case above): many objects without the boxes piling up on each other. In BM_CompareBox3d the
// square stays 100 m wide, so at 1000 objects the boxes cover about 70 % of it and overlap.
void BM_CompareBox3dSpread(benchmark::State& state) {
  const int objects = static_cast<int>(state.range(0));
  CompareAll(state, MakeFrames(256, objects, 7, 100 * std::sqrt(objects / 100.0)));
}
BENCHMARK(BM_CompareBox3dSpread)->Arg(400)->Arg(1000);

// Compare and aggregate into the metric partial (what an evaluation run does per frame).
void BM_CompareAndAggregateBox3d(benchmark::State& state) {
  const auto frames = MakeFrames(256, static_cast<int>(state.range(0)), 11);
  PipelineSpec p = LidarPipeline(false);
  FrameComparer comparer(p);
  FrameComparison out;
  for (auto _ : state) {
    QualityAggregate agg;
    int task = 0;
    for (const FramePair& f : frames) {
      comparer.Compare(f.vendor, f.gold, out);
      agg.Add(out, std::to_string(task++ / 4));
    }
    benchmark::DoNotOptimize(agg);
  }
  state.SetItemsProcessed(state.iterations() * CountObjects(frames));
}
BENCHMARK(BM_CompareAndAggregateBox3d)->Arg(40);

// Memory does not grow with the number of frames: the comparer's scratch after 256 and after
// 2560 frames of the same largest size.
void BM_CompareBox3dRunLength(benchmark::State& state) {
  const auto frames = MakeFrames(256, 40, 13);
  PipelineSpec p = LidarPipeline(false);
  const int64_t repeats = state.range(0);
  size_t scratch = 0;
  for (auto _ : state) {
    FrameComparer comparer(p);
    FrameComparison out;
    for (int64_t r = 0; r < repeats; ++r) {
      for (const FramePair& f : frames) comparer.Compare(f.vendor, f.gold, out);
    }
    scratch = comparer.ScratchBytes() + out.outcomes.capacity() * sizeof(Outcome) +
              out.attributes.capacity() * sizeof(AttributeCheck);
  }
  state.SetItemsProcessed(state.iterations() * repeats * CountObjects(frames));
  state.counters["frames"] = static_cast<double>(repeats * 256);
  state.counters["memory_bytes"] = static_cast<double>(scratch);
}
BENCHMARK(BM_CompareBox3dRunLength)->Arg(1)->Arg(10);

}  // namespace
}  // namespace gtops::quality
