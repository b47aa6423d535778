// Import throughput of the format converters (docs/performance.md, "Import"), one core, inputs
// generated in memory: BM_Convert_* is the converter alone (text in, label records out);
// BM_ConvertValidate_* adds what `gtops import` does before the store: each record validated
// (interop/record_check.h, the direct route) and its content hash; BM_ConvertParse_* validates by
// the reference route instead (each record written as an interchange line and parsed by ingest's
// parser). Counters: objects per second.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "interop/coco.h"
#include "interop/convert.h"
#include "interop/cvat.h"
#include "interop/kitti.h"
#include "interop/openlabel.h"
#include "interop/record_check.h"

namespace gtops::interop {
namespace {

constexpr int kFrames = 500;
constexpr int kPerFrame = 40;  // 20,000 objects per input

ProgramConfig Config(GeometryKind g) {
  ProgramConfig c;
  PipelineSpec p;
  p.id = "p";
  p.geometry = g;
  for (const char* name : {"car", "pedestrian", "cyclist"}) {
    ClassSpec cs;
    cs.name = name;
    p.classes.push_back(cs);
  }
  c.pipelines.push_back(p);
  return c;
}

ImportOptions Gold() {
  ImportOptions o;
  o.pipeline = "p";
  o.source = Source::kGold;
  return o;
}

double Jitter(int i, int k) { return std::fmod(i * 7.31 + k * 3.17, 10.0); }

std::string KittiTracking() {
  std::string s;
  const char* types[] = {"Car", "Pedestrian", "Cyclist"};
  for (int f = 0; f < kFrames; ++f) {
    for (int k = 0; k < kPerFrame; ++k) {
      s += fmt::format("{} {} {} 0 {} -1.570000 {:.2f} {:.2f} {:.2f} {:.2f} 1.520000 1.700000 4.100000 {:.6f} "
                       "1.650000 {:.6f} {:.6f}\n",
                       f, k, types[k % 3], k % 3, 300 + Jitter(f, k) * 10, 150 + Jitter(k, f), 380 + Jitter(f, k) * 10,
                       200 + Jitter(k, f), -10 + Jitter(f, k) * 2, 5 + k + Jitter(k, f), -1.57 + 0.01 * k);
    }
  }
  return s;
}

constexpr const char* kCalib =
    "P2: 721.5377 0 609.5593 44.85728 0 721.5377 172.854 0.2163791 0 0 1 0.002745884\n"
    "R0_rect: 0.9999239 0.00983776 -0.007445048 -0.009869795 0.9999421 -0.004278459 0.007402527 0.004351614 0.9999631\n"
    "Tr_velo_to_cam: 0.007533745 -0.9999714 -0.000616602 -0.004069766 0.01480249 0.0007280733 -0.9998902 "
    "-0.07631618 0.9998621 0.007523790 0.01480755 -0.2717806\n";

std::string CocoInstances() {
  std::string s = "{\"images\":[";
  for (int f = 0; f < kFrames; ++f) s += fmt::format("{}{{\"id\":{},\"width\":1280,\"height\":720}}", f ? "," : "", f + 1);
  s += "],\"categories\":[{\"id\":1,\"name\":\"car\"},{\"id\":2,\"name\":\"pedestrian\"},{\"id\":3,\"name\":\"cyclist\"}],"
       "\"annotations\":[";
  int id = 0;
  for (int f = 0; f < kFrames; ++f) {
    for (int k = 0; k < kPerFrame; ++k) {
      s += fmt::format("{}{{\"id\":{},\"image_id\":{},\"category_id\":{},\"bbox\":[{:.2f},{:.2f},{:.2f},{:.2f}],"
                       "\"area\":100.5,\"iscrowd\":0}}",
                       id ? "," : "", id + 1, f + 1, k % 3 + 1, 10 + Jitter(f, k) * 50, 20 + Jitter(k, f) * 30,
                       5 + Jitter(f, k), 8 + Jitter(k, f));
      ++id;
    }
  }
  return s + "]}";
}

std::string Openlabel() {
  std::string s = "{\"openlabel\":{\"metadata\":{\"schema_version\":\"1.0.0\"},\"coordinate_systems\":{"
                  "\"vehicle-iso8855\":{\"type\":\"local_cs\",\"parent\":\"\"},\"LIDAR\":{\"type\":\"sensor_cs\","
                  "\"parent\":\"vehicle-iso8855\",\"pose_wrt_parent\":{\"quaternion\":[0,0,0.0087,0.99996],"
                  "\"translation\":[1.2,0,1.8]}}},\"objects\":{";
  for (int k = 0; k < kPerFrame; ++k) s += fmt::format("{}\"{}\":{{\"name\":\"o{}\",\"type\":\"car\"}}", k ? "," : "", k, k);
  s += "},\"frames\":{";
  for (int f = 0; f < kFrames; ++f) {
    s += fmt::format("{}\"{}\":{{\"frame_properties\":{{\"timestamp\":{}}},\"objects\":{{", f ? "," : "", f, f * 0.1);
    for (int k = 0; k < kPerFrame; ++k) {
      s += fmt::format("{}\"{}\":{{\"object_data\":{{\"cuboid\":[{{\"name\":\"shape\",\"coordinate_system\":\"LIDAR\","
                       "\"val\":[{:.4f},{:.4f},-0.8,0,0,{:.4f},{:.4f},4.2,1.8,1.5]}}],"
                       "\"text\":[{{\"name\":\"state\",\"val\":\"moving\"}}]}}}}",
                       k ? "," : "", k, 5 + k + Jitter(f, k), -5 + Jitter(k, f), std::sin(0.01 * k), std::cos(0.01 * k));
    }
    s += "}}";
  }
  return s + "}}}";
}

std::string CvatImages() {
  std::string s = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n<version>1.1</version>\n";
  for (int f = 0; f < kFrames; ++f) {
    s += fmt::format("<image id=\"{}\" name=\"frame_{:06d}.png\" width=\"1280\" height=\"720\">\n", f, f);
    for (int k = 0; k < kPerFrame; ++k) {
      s += fmt::format("<box label=\"car\" source=\"manual\" occluded=\"{}\" xtl=\"{:.2f}\" ytl=\"{:.2f}\" "
                       "xbr=\"{:.2f}\" ybr=\"{:.2f}\" z_order=\"0\">\n</box>\n",
                       k % 2, 10 + Jitter(f, k) * 50, 20 + Jitter(k, f) * 30, 70 + Jitter(f, k) * 50,
                       60 + Jitter(k, f) * 30);
    }
    s += "</image>\n";
  }
  return s + "</annotations>\n";
}

enum class Validate { kNo, kDirect, kParse };

template <typename Fn>
void Run(benchmark::State& state, GeometryKind g, Validate validate, Fn convert) {
  const ProgramConfig config = Config(g);
  const ImportOptions opt = Gold();
  ConvertContext ctx(config.pipelines[0], opt, "bench");
  RecordCheck check(config, validate == Validate::kParse ? RecordCheck::Route::kParse : RecordCheck::Route::kDirect);
  CheckOutcome checked;
  int64_t objects = 0;
  for (auto _ : state) {
    ConvertOutput out;
    convert(ctx, out);
    for (ConvertedRecord& r : out.records) {
      objects += static_cast<int64_t>(r.labels.objects.size());
      if (validate != Validate::kNo) {
        check.Check(r, checked);
        if (!checked.accepted) state.SkipWithError("record rejected");
      }
    }
    if (validate == Validate::kDirect && check.parsed_records() > 0) state.SkipWithError("record not checked directly");
    if (!out.issues.empty()) state.SkipWithError(out.issues[0].reason.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.counters["objects_per_s"] = benchmark::Counter(static_cast<double>(objects), benchmark::Counter::kIsRate);
}

void KittiBench(benchmark::State& state, Validate validate) {
  static const std::string text = KittiTracking();
  static const KittiCalib calib = *ParseKittiCalib(kCalib, "calib");
  KittiInput in;
  in.tracking = true;
  in.sequence = "0001";
  in.calib = &calib;
  Run(state, GeometryKind::kBox3d, validate, [&](const ConvertContext& ctx, ConvertOutput& out) {
    if (!ConvertKitti(text, in, ctx, out).ok()) std::abort();
  });
}
void BM_Convert_Kitti(benchmark::State& state) { KittiBench(state, Validate::kNo); }
void BM_ConvertValidate_Kitti(benchmark::State& state) { KittiBench(state, Validate::kDirect); }
void BM_ConvertParse_Kitti(benchmark::State& state) { KittiBench(state, Validate::kParse); }

void CocoBench(benchmark::State& state, Validate validate) {
  static const std::string text = CocoInstances();
  Run(state, GeometryKind::kBox2d, validate, [&](const ConvertContext& ctx, ConvertOutput& out) {
    if (!ConvertCoco(text, nullptr, ctx, out).ok()) std::abort();
  });
}
void BM_Convert_Coco(benchmark::State& state) { CocoBench(state, Validate::kNo); }
void BM_ConvertValidate_Coco(benchmark::State& state) { CocoBench(state, Validate::kDirect); }
void BM_ConvertParse_Coco(benchmark::State& state) { CocoBench(state, Validate::kParse); }

void OpenlabelBench(benchmark::State& state, Validate validate) {
  static const std::string text = Openlabel();
  Run(state, GeometryKind::kBox3d, validate, [&](const ConvertContext& ctx, ConvertOutput& out) {
    if (!ConvertOpenlabel(text, OpenlabelInput{}, ctx, out).ok()) std::abort();
  });
}
void BM_Convert_Openlabel(benchmark::State& state) { OpenlabelBench(state, Validate::kNo); }
void BM_ConvertValidate_Openlabel(benchmark::State& state) { OpenlabelBench(state, Validate::kDirect); }
void BM_ConvertParse_Openlabel(benchmark::State& state) { OpenlabelBench(state, Validate::kParse); }

void CvatBench(benchmark::State& state, Validate validate) {
  static const std::string text = CvatImages();
  Run(state, GeometryKind::kBox2d, validate, [&](const ConvertContext& ctx, ConvertOutput& out) {
    if (!ConvertCvat(text, ctx, out).ok()) std::abort();
  });
}
void BM_Convert_Cvat(benchmark::State& state) { CvatBench(state, Validate::kNo); }
void BM_ConvertValidate_Cvat(benchmark::State& state) { CvatBench(state, Validate::kDirect); }
void BM_ConvertParse_Cvat(benchmark::State& state) { CvatBench(state, Validate::kParse); }

BENCHMARK(BM_Convert_Kitti)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertValidate_Kitti)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertParse_Kitti)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Convert_Coco)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertValidate_Coco)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertParse_Coco)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Convert_Openlabel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertValidate_Openlabel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertParse_Openlabel)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Convert_Cvat)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertValidate_Cvat)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConvertParse_Cvat)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gtops::interop
