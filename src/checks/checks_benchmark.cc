// The checks kernels from memory (docs/performance.md, "Automated checks"): vendor objects
// checked per second on one core, tasks of 4 frames with a vendor record and a model record of
// `objects` objects each (rules, tracks in world coordinates, model comparison), no gold.
#include <benchmark/benchmark.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "checks/checks.h"

namespace gtops::checks {
namespace {

PipelineSpec Lidar() {
  PipelineSpec p;
  p.id = "lidar";
  p.geometry = GeometryKind::kBox3d;
  p.tracking = true;
  p.match = {MatchRule::Kind::kBevIou, 0.3};
  p.tolerances.position_m = 0.3;
  p.tolerances.size_rel = 0.10;
  p.tolerances.heading_deg = 10.0;
  const char* names[] = {"car", "truck", "pedestrian", "cyclist"};
  const double lengths[] = {4.5, 8.0, 0.7, 1.8};
  for (int k = 0; k < 4; ++k) {
    ClassSpec c;
    c.name = names[k];
    c.safety_weight = k < 2 ? 3 : 5;
    c.size_l = Range{lengths[k] * 0.6, lengths[k] * 1.4};
    if (k >= 2) c.match = MatchRule{MatchRule::Kind::kCenterDistanceM, 1.0};
    c.required_attributes = {"moving"};
    p.classes.push_back(c);
  }
  return p;
}

// Tasks of 4 frames, `objects` tracked objects moving at up to 15 m/s over 100 m x 100 m, the
// ego moving at 10 m/s; vendor labels with small noise, model predictions noisier.
std::vector<FrameLabels> MakeTask(int objects, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> pos(-50, 50), vel(-15, 15), u(0, 1);
  std::normal_distribution<double> noise(0, 1);
  const char* names[] = {"car", "truck", "pedestrian", "cyclist"};
  const double lengths[] = {4.5, 8.0, 0.7, 1.8};
  struct T {
    double x, y, vx, vy;
    int cls;
  };
  std::vector<T> truth;
  for (int i = 0; i < objects; ++i) truth.push_back({pos(rng), pos(rng), vel(rng), vel(rng), i % 4});
  std::vector<FrameLabels> task;
  for (int f = 0; f < 4; ++f) {
    const double t = 0.5 * f;
    FrameLabels fl;
    fl.pipeline = "lidar";
    fl.task = fmt::format("t{}", seed);
    fl.frame = fmt::format("t{}/{}", seed, f);
    fl.timestamp = t;
    for (int src = 0; src < 2; ++src) {
      LabelRecord r;
      r.pipeline = "lidar";
      r.task = fl.task;
      r.frame = fl.frame;
      r.timestamp = t;
      r.source = src == 0 ? Source::kVendor : Source::kModel;
      r.vendor = "v";
      r.annotator = "a";
      r.model = "m";
      r.ego_pose_json = fmt::format("[{},0,0,0]", 10 * t);
      for (int i = 0; i < objects; ++i) {
        const T& o = truth[static_cast<size_t>(i)];
        const double s = src == 0 ? 0.03 : 0.12;
        Object b;
        b.id = fmt::format("o{}", i);
        b.track = fmt::format("trk{}", i);
        b.cls = names[o.cls];
        b.kind = GeometryKind::kBox3d;
        const double l = lengths[o.cls];
        b.box3d = {o.x + o.vx * t - 10 * t + s * noise(rng), o.y + o.vy * t + s * noise(rng), 0.8, l, 0.4 * l + 0.3,
                   1.6, std::atan2(o.vy, o.vx) + 0.02 * noise(rng)};
        b.attributes_json = R"({"moving":true,"occlusion":"none"})";
        if (src == 1) b.score = 0.5 + 0.5 * u(rng);
        r.objects.push_back(std::move(b));
      }
      fl.records.push_back(std::move(r));
    }
    task.push_back(std::move(fl));
  }
  return task;
}

void BM_CheckTasks(benchmark::State& state) {
  const PipelineSpec spec = Lidar();
  const int objects = static_cast<int>(state.range(0));
  std::vector<std::vector<FrameLabels>> tasks;
  for (uint64_t k = 0; k < 16; ++k) tasks.push_back(MakeTask(objects, k));
  TaskChecker checker(spec);
  std::vector<RawFinding> out;
  int64_t checked = 0;
  for (auto _ : state) {
    for (const auto& task : tasks) {
      out.clear();
      TaskCheckStats stats;
      checker.Check(task, out, stats);
      checked += stats.objects;
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.counters["objects/s"] = benchmark::Counter(static_cast<double>(checked), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CheckTasks)->Arg(20)->Arg(70)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops::checks
