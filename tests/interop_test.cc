// End-to-end tests of `gtops import` / `gtops export` on the real sample files of
// shared/reference/interop (read in place; see SOURCES.md and FORMATS.md there for the counts).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <numbers>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "interop/importer.h"
#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;
using gtops::testing::TempDir;

const std::string kRef = std::string(GTOPS_SHARED_DIR) + "/reference/interop";

constexpr const char* kToml = R"(
[program]
name = "interop test"

[[pipelines]]
id = "cam"
name = "2D boxes"
geometry = "box2d"
match = { iou = 0.5 }
  [[pipelines.classes]]
  name = "car"
  [[pipelines.classes]]
  name = "van"
  [[pipelines.classes]]
  name = "truck"
  [[pipelines.classes]]
  name = "pedestrian"
  [[pipelines.classes]]
  name = "cyclist"
  [[pipelines.classes]]
  name = "misc"

[[pipelines]]
id = "lidar"
name = "3D boxes"
geometry = "box3d"
match = { bev_iou = 0.3 }
  [[pipelines.classes]]
  name = "car"
  [[pipelines.classes]]
  name = "van"
  [[pipelines.classes]]
  name = "truck"
  [[pipelines.classes]]
  name = "pedestrian"
  [[pipelines.classes]]
  name = "cyclist"
  [[pipelines.classes]]
  name = "misc"

[[pipelines]]
id = "cam_track"
name = "2D tracks"
geometry = "box2d"
tracking = true
match = { iou = 0.5 }

[[pipelines]]
id = "lidar_track"
name = "3D tracks"
geometry = "box3d"
tracking = true
match = { bev_iou = 0.3 }

[[pipelines]]
id = "any3d"
name = "3D boxes of any class"
geometry = "box3d"
match = { bev_iou = 0.3 }

[[pipelines]]
id = "any2d"
name = "2D boxes of any class"
geometry = "box2d"
match = { iou = 0.5 }

[[pipelines]]
id = "poly"
name = "polygons"
geometry = "polygon"
match = { iou = 0.5 }

[[pipelines]]
id = "masks"
name = "masks"
geometry = "mask"
match = { iou = 0.5 }

[[pipelines]]
id = "lines"
name = "image polylines"
geometry = "polyline"
units = "px"
match = { polyline_match_m = 5.0 }
)";

// A program folder with its config and an open store.
struct Program {
  TempDir dir;
  ProgramConfig config;
  std::unique_ptr<Store> store;
  Program() {
    auto c = ParseConfig(kToml, "gtops.toml");
    if (!c.ok()) throw std::runtime_error(c.status().message());
    config = *c;
    std::ofstream(dir / "gtops.toml") << kToml;
    auto s = OpenStore(StoreOptions{dir / "gtops.db", false});
    if (!s.ok()) throw std::runtime_error(s.status().message());
    store = std::move(*s);
  }
  Result<interop::ImportReport> Import(const std::string& format, std::vector<std::string> paths,
                                       const std::string& pipeline, Source source = Source::kGold,
                                       std::function<void(interop::ImportRequest&)> tweak = nullptr) {
    interop::ImportRequest req;
    req.format = *interop::ParseFormat(format);
    req.paths = std::move(paths);
    req.program_dir = dir.path();
    req.options.pipeline = pipeline;
    req.options.source = source;
    if (tweak) tweak(req);
    return interop::Import(*store, config, req);
  }
  Result<interop::ExportReport> Export(const std::string& format, const std::string& pipeline,
                                       const std::string& out, const std::string& calib = "",
                                       const std::string& source = "gold") {
    interop::ExportRequest req;
    req.format = *interop::ParseFormat(format);
    req.pipeline = pipeline;
    req.source = source;
    req.out = out;
    req.calib = calib;
    return interop::Export(*store, config, req);
  }
  // One column of a query as doubles (NULL as NaN).
  std::vector<std::vector<double>> Rows(const std::string& sql) {
    auto q = store->QueryReadOnly(sql);
    EXPECT_TRUE(q.ok()) << q.status().message();
    std::vector<std::vector<double>> out;
    if (!q.ok()) return out;
    for (const auto& row : q->rows) {
      out.emplace_back();
      for (const auto& cell : row) out.back().push_back(cell ? std::stod(*cell) : std::nan(""));
    }
    return out;
  }
  double Scalar(const std::string& sql) {
    auto r = Rows(sql);
    return r.empty() || r[0].empty() ? std::nan("") : r[0][0];
  }
  std::string Text(const std::string& sql) {
    auto q = store->QueryReadOnly(sql);
    if (!q.ok() || q->rows.empty() || !q->rows[0][0]) return {};
    return *q->rows[0][0];
  }
};

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// Boxes of a pipeline in a stable order: time, frame, position in the record. n = 4: box2d
// (x, y, w, h); n = 7: box3d.
std::string BoxQuery(const std::string& pipeline, int n) {
  std::string s = n == 4 ? "SELECT x, y, w, h" : "SELECT x, y, z, l, w, h, yaw";
  return s + " FROM objects JOIN label_sets USING (label_set_id) WHERE pipeline = '" + pipeline +
         "' ORDER BY timestamp, frame, ord";
}

void ExpectSameBoxes(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t k = 0; k < a[i].size(); ++k) {
      double d = std::abs(a[i][k] - b[i][k]);
      if (k == 6) d = std::abs(std::remainder(a[i][k] - b[i][k], 2 * std::numbers::pi));
      EXPECT_LE(d, tol) << "row " << i << " column " << k << ": " << a[i][k] << " vs " << b[i][k];
    }
  }
}

TEST(InteropKitti, ObjectLabelsIntoLidarFrameThroughCalib) {
  Program p;
  auto r = p.Import("kitti", {kRef + "/kitti/object/training/label_2"}, "lidar");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 3);
  EXPECT_EQ(r->objects, 6);  // 10 rows less 4 DontCare
  EXPECT_EQ(r->skipped.at("DontCare: a 2D region, no ignore region of a box3d pipeline"), 4);
  // 000001's Car, by hand (python, from calib/000001.txt): X_velo = Tr^-1 (R0^-1 (x, y - h/2, z)).
  auto car = p.Rows("SELECT x, y, z, l, w, h, yaw FROM objects JOIN label_sets USING (label_set_id) "
                    "WHERE frame = '000001' AND class = 'car'");
  ASSERT_EQ(car.size(), 1u);
  EXPECT_NEAR(car[0][0], 58.772076, 1e-5);
  EXPECT_NEAR(car[0][1], 16.550812, 1e-5);
  EXPECT_NEAR(car[0][2], -0.841203, 1e-5);
  EXPECT_DOUBLE_EQ(car[0][3], 3.69);
  EXPECT_DOUBLE_EQ(car[0][4], 1.87);
  EXPECT_DOUBLE_EQ(car[0][5], 1.67);
  EXPECT_NEAR(car[0][6], -3.140672, 1e-5);

  // 2D: DontCare rows become the gold record's ignore regions.
  auto r2 = p.Import("kitti", {kRef + "/kitti/object/training/label_2"}, "cam");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->objects, 6);
  EXPECT_EQ(r2->ignore_regions, 4);
  EXPECT_EQ(p.Text("SELECT ignore_regions FROM label_sets WHERE pipeline = 'cam' AND frame = '000001'").substr(0, 21),
            "[[503.89,169.71,86.72");
}

TEST(InteropKitti, ExportRoundTripWithCalib) {
  Program p;
  const std::string calib = kRef + "/kitti/object/training/calib/000001.txt";
  auto r = p.Import("kitti", {kRef + "/kitti/object/training/label_2/000001.txt"}, "lidar");
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto e = p.Export("kitti", "lidar", p.dir / "out", calib);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->objects, 3);
  Program q;
  auto r2 = q.Import("kitti", {p.dir / "out/label_2/000001.txt"}, "lidar", Source::kGold,
                     [&](interop::ImportRequest& req) { req.calib = calib; });
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2->quarantined, 0);
  ExpectSameBoxes(p.Rows(BoxQuery("lidar", 7)), q.Rows(BoxQuery("lidar", 7)), 2e-6);
  // 2D round trip, ignore regions included.
  ASSERT_TRUE(p.Import("kitti", {kRef + "/kitti/object/training/label_2"}, "cam").ok());
  ASSERT_TRUE(p.Export("kitti", "cam", p.dir / "out2").ok());
  ASSERT_TRUE(q.Import("kitti", {p.dir / "out2/label_2"}, "cam").ok());
  ExpectSameBoxes(p.Rows(BoxQuery("cam", 4)), q.Rows(BoxQuery("cam", 4)), 1e-6);
  EXPECT_EQ(p.Text("SELECT group_concat(ignore_regions) FROM label_sets WHERE pipeline = 'cam'"),
            q.Text("SELECT group_concat(ignore_regions) FROM label_sets WHERE pipeline = 'cam'"));
}

TEST(InteropKitti, TrackingSequences) {
  Program p;
  auto r = p.Import("kitti", {kRef + "/kitti/tracking/training/label_02/0003.txt"}, "cam_track");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 144);
  EXPECT_EQ(r->objects, 388);  // Car 363 + Van 25
  EXPECT_EQ(r->ignore_regions, 473);
  EXPECT_EQ(p.Scalar("SELECT count(DISTINCT track) FROM objects JOIN label_sets USING (label_set_id) "
                     "WHERE pipeline = 'cam_track'"),
            9);
  EXPECT_DOUBLE_EQ(p.Scalar("SELECT timestamp FROM label_sets WHERE frame = '0003/000005'"), 0.5);
  // 0001 with its tracking calib (keys without colons), into the lidar frame.
  auto r1 = p.Import("kitti", {kRef + "/kitti/tracking/training/label_02/0001.txt"}, "lidar_track");
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1->quarantined, 0) << Join(r1->messages);
  EXPECT_EQ(r1->accepted, 447);  // 447 frames; 21 have DontCare rows only: frames with no objects
  EXPECT_EQ(r1->objects, 3030);  // Car 2681, Van 140, Pedestrian 112, Truck 77, Misc 20
  EXPECT_EQ(p.Scalar("SELECT count(DISTINCT track) FROM objects JOIN label_sets USING (label_set_id) "
                     "WHERE pipeline = 'lidar_track'"),
            98);
  // Without a calibration a box3d import says what is missing.
  auto bad = p.Import("kitti", {kRef + "/kitti/tracking/training/label_02/0003.txt"}, "lidar_track");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("needs the calibration"), std::string::npos);
}

// Importing the same files again changes nothing: every record is "unchanged" (the content hash
// of an imported record is defined on its validated values, docs/formats.md), for KITTI (box3d
// through the calibration, attributes rewritten to their compact form), COCO boxes and polygons.
TEST(InteropReimport, SameFilesTwiceAreUnchanged) {
  Program p;
  const std::string kitti = kRef + "/kitti/tracking/training/label_02/0003.txt";
  const std::string coco = kRef + "/coco/instances_train2017.json";
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> runs{
      {"kitti", {kitti, "cam_track"}}, {"coco", {coco, "any2d"}}, {"coco", {coco, "poly"}}};
  for (const auto& [format, input] : runs) {
    auto first = p.Import(format, {input.first}, input.second);
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_GT(first->accepted, 0);
    EXPECT_EQ(first->inserted, first->accepted) << input.second;
    const double objects = p.Scalar("SELECT count(*) FROM objects");
    auto second = p.Import(format, {input.first}, input.second);
    ASSERT_TRUE(second.ok()) << second.status().message();
    EXPECT_EQ(second->accepted, first->accepted) << input.second;
    EXPECT_EQ(second->quarantined, first->quarantined) << input.second;
    EXPECT_EQ(second->unchanged, first->accepted) << input.second;
    EXPECT_EQ(second->inserted, 0) << input.second;
    EXPECT_EQ(second->replaced, 0) << input.second;
    EXPECT_EQ(p.Scalar("SELECT count(*) FROM objects"), objects) << input.second;
  }
}

TEST(InteropCoco, InstancesBoxesPolygonsMasksAndRoundTrips) {
  Program p;
  const std::string file = kRef + "/coco/instances_train2017.json";
  auto r = p.Import("coco", {file}, "any2d");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 32);
  EXPECT_EQ(r->objects, 284);
  EXPECT_EQ(r->ignore_regions, 4);
  EXPECT_EQ(p.Scalar("SELECT count(*) FROM objects JOIN label_sets USING (label_set_id) "
                     "WHERE pipeline = 'any2d' AND class = 'person'"),
            81);  // person 84 in SOURCES.md, 3 of them crowds (ignore regions)
  // Two real polygons are not simple rings (FORMAT.md requires it): quarantined with their place.
  auto poly = p.Import("coco", {file}, "poly");
  ASSERT_TRUE(poly.ok());
  EXPECT_EQ(poly->objects, 282);
  EXPECT_EQ(poly->quarantined, 2);
  ASSERT_EQ(poly->messages.size(), 2u);
  EXPECT_NE(poly->messages[0].find("instances_train2017.json:1: annotations[0]: object \"22328\": polygon is not a "
                                   "simple ring"),
            std::string::npos)
      << poly->messages[0];
  EXPECT_NE(poly->messages[1].find("instances_train2017.json:107: annotations[106]"), std::string::npos);
  auto masks = p.Import("coco", {file}, "masks");
  ASSERT_TRUE(masks.ok());
  EXPECT_EQ(masks->objects, 284);
  EXPECT_EQ(masks->quarantined, 0) << Join(masks->messages);

  Program q;
  for (const char* pipe : {"any2d", "poly", "masks"}) {
    const std::string out = p.dir / (std::string(pipe) + ".json");
    auto e = p.Export("coco", pipe, out);
    ASSERT_TRUE(e.ok()) << e.status().message();
    auto back = q.Import("coco", {out}, pipe);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->objects, std::string(pipe) == "poly" ? 282 : 284) << pipe;
    EXPECT_EQ(back->ignore_regions, 4) << pipe;
    const std::string sql = std::string("SELECT frame, class, x, y, w, h, geometry FROM objects JOIN label_sets "
                                        "USING (label_set_id) WHERE pipeline = '") + pipe + "' ORDER BY frame, ord";
    auto a = p.store->QueryReadOnly(sql), b = q.store->QueryReadOnly(sql);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->rows, b->rows) << pipe;
  }
}

TEST(InteropNuscenes, TablesIntoEgoFrameAndResultsRoundTrip) {
  Program p;
  const std::string tables = kRef + "/nuscenes/lyft_v1.01-train_mmdet3d/v1.01-train";
  auto r = p.Import("nuscenes", {tables}, "any3d");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 1);
  EXPECT_EQ(r->objects, 4);
  // Annotation c18679b6...: yaw in the ego frame of the LIDAR_TOP ego pose, by hand (python):
  // heading (first column of R(q_box)) rotated by R(q_ego)^T, atan2 -> -0.445364035 rad
  // (the planar difference of the two yaws, ignoring the ego's 2.8 deg roll, is -0.44627).
  auto box = p.Rows("SELECT x, y, z, l, w, h, yaw, num_points FROM objects WHERE object_id LIKE 'c18679b6%'");
  ASSERT_EQ(box.size(), 1u);
  EXPECT_NEAR(box[0][6], -0.445364035, 1e-8);
  EXPECT_NEAR(box[0][0], -36.089956223507365, 1e-8);
  EXPECT_NEAR(box[0][1], 8.831722762424468, 1e-8);
  EXPECT_NEAR(box[0][2], 0.6142791768102094, 1e-8);
  EXPECT_DOUBLE_EQ(box[0][3], 4.495);  // size [w, l, h] = [2.046, 4.495, 1.849]
  EXPECT_DOUBLE_EQ(box[0][4], 2.046);
  EXPECT_TRUE(std::isnan(box[0][7]));  // Lyft's num_lidar_pts -1: not a count
  EXPECT_EQ(p.Scalar("SELECT count(DISTINCT track) FROM objects JOIN label_sets USING (label_set_id) "
                     "WHERE pipeline = 'any3d'"),
            4);

  // Round trip: results format (global frame) and back through the tables' ego poses.
  const std::string out = p.dir / "results.json";
  auto e = p.Export("nuscenes", "any3d", out);
  ASSERT_TRUE(e.ok()) << e.status().message();
  Program q;
  auto back = q.Import("nuscenes", {out}, "any3d", Source::kModel,
                       [&](interop::ImportRequest& req) { req.tables = tables; });
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->objects, 4);
  ExpectSameBoxes(p.Rows(BoxQuery("any3d", 7)), q.Rows(BoxQuery("any3d", 7)), 1e-9);
}

TEST(InteropNuscenes, RealDetectionResults) {
  // results_nusc.json refers to nuScenes v1.0-mini samples whose tables are not available; the
  // test writes tables giving each of its 81 samples one ego pose: at (600, 1600, 0), heading 30 deg.
  const std::string file = kRef + "/nuscenes/results_nusc.json";
  std::ifstream in(file);
  auto res = nlohmann::json::parse(in);
  TempDir t;
  nlohmann::json sample = nlohmann::json::array(), sd = nlohmann::json::array();
  const double half = std::numbers::pi / 12;
  nlohmann::json ego = nlohmann::json::array(
      {{{"token", "e"}, {"translation", {600.0, 1600.0, 0.0}}, {"rotation", {std::cos(half), 0.0, 0.0, std::sin(half)}},
        {"timestamp", 0}}});
  int i = 0;
  for (auto it = res["results"].begin(); it != res["results"].end(); ++it, ++i) {
    sample.push_back({{"token", it.key()}, {"scene_token", "mini"}, {"timestamp", 1000000 * i}});
    sd.push_back({{"token", "sd" + std::to_string(i)}, {"sample_token", it.key()}, {"ego_pose_token", "e"},
                  {"is_key_frame", true}});
  }
  std::ofstream(t / "sample.json") << sample.dump();
  std::ofstream(t / "sample_data.json") << sd.dump();
  std::ofstream(t / "ego_pose.json") << ego.dump();
  for (const char* name : {"sample_annotation", "instance", "category"}) std::ofstream(t / (std::string(name) + ".json")) << "[]";
  Program p;
  auto r = p.Import("nuscenes", {file}, "any3d", Source::kModel,
                    [&](interop::ImportRequest& req) { req.tables = t.path(); });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 81);
  EXPECT_EQ(r->objects, 905);
  EXPECT_EQ(p.Scalar("SELECT count(*) FROM objects WHERE class = 'car'"), 851);
  // The first box of sample 0a0d6b8c...: global (650.78146578680, 1603.17570051968), heading
  // 2 atan2(qz, qw) of [-0.94107, -0.01571, -0.02048, 0.33721]; in the ego frame: rotated by -30 deg.
  const auto& b0 = res["results"]["0a0d6b8c2e884134a3b48df43d54c36a"][0];
  const double dx = b0["translation"][0].get<double>() - 600, dy = b0["translation"][1].get<double>() - 1600;
  const double c = std::cos(2 * half), s = std::sin(2 * half);
  auto box = p.Rows("SELECT x, y, yaw, score FROM objects JOIN label_sets USING (label_set_id) "
                    "WHERE frame = '0a0d6b8c2e884134a3b48df43d54c36a' AND object_id = '0'");
  ASSERT_EQ(box.size(), 1u);
  EXPECT_NEAR(box[0][0], c * dx + s * dy, 1e-9);
  EXPECT_NEAR(box[0][1], -s * dx + c * dy, 1e-9);
  EXPECT_NEAR(box[0][3], 0.94122314453125, 1e-12);
  // The box quaternion tilts slightly (x, y components): its heading is close to the planar yaw.
  const double yaw_global = 2 * std::atan2(0.3372144029311713, -0.9410739927025331);
  EXPECT_NEAR(std::remainder(box[0][2] - (yaw_global - 2 * half), 2 * std::numbers::pi), 0, 2e-3);
}

TEST(InteropOpenlabel, AsamCuboidsOsdarAndVcd) {
  Program p;
  auto r = p.Import("openlabel", {kRef + "/openlabel/openlabel100_example_cuboids.json"}, "any3d");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  EXPECT_EQ(r->accepted, 141);
  EXPECT_EQ(r->objects, 475);
  EXPECT_EQ(p.Scalar("SELECT count(DISTINCT track) FROM objects JOIN label_sets USING (label_set_id) "
                     "WHERE pipeline = 'any3d'"),
            8);
  // Object 2 of frame 538: quaternion (0, 0, -0.99961, 0.02802) -> yaw = 2 atan2(qz, qw).
  auto o2 = p.Rows("SELECT x, yaw, l, w, h FROM objects JOIN label_sets USING (label_set_id) "
                   "WHERE frame = 'openlabel100_example_cuboids/538' AND track = '2'");
  ASSERT_EQ(o2.size(), 1u);
  EXPECT_NEAR(o2[0][0], 0.1495213508605957, 1e-12);
  EXPECT_NEAR(std::remainder(o2[0][1] - 2 * std::atan2(-0.9996073246002197, 0.028022272512316704), 2 * std::numbers::pi),
              0, 1e-9);
  EXPECT_NEAR(o2[0][2], 3.883598804473877, 1e-12);
  EXPECT_FALSE(p.Text("SELECT ego_pose FROM label_sets WHERE frame = 'openlabel100_example_cuboids/538'").empty());

  // OSDaR23: lidar cuboids (ego frame "base"), camera and radar bboxes as per-stream frames.
  auto os = p.Import("openlabel", {kRef + "/openlabel/1_calibration_1.1_labels.json"}, "lidar_track");
  ASSERT_TRUE(os.ok()) << os.status().message();
  EXPECT_EQ(os->objects, 151);
  EXPECT_EQ(os->accepted, 10);
  EXPECT_EQ(os->quarantined, 0) << Join(os->messages);
  auto os2 = p.Import("openlabel", {kRef + "/openlabel/1_calibration_1.1_labels.json"}, "any2d");
  ASSERT_TRUE(os2.ok()) << os2.status().message();
  EXPECT_EQ(os2->objects, 1209);
  EXPECT_EQ(os2->quarantined, 0) << Join(os2->messages);

  // VCD's KITTI tracking 0003: Euler cuboids in CAM_LEFT, DontCare object -1.
  const std::string vcd = kRef + "/openlabel/openlabel100_kitti_tracking_0003.json";
  auto v3 = p.Import("openlabel", {vcd}, "lidar_track", Source::kGold,
                     [](interop::ImportRequest& req) { req.ego_frame = "VELO_TOP"; });
  ASSERT_TRUE(v3.ok()) << v3.status().message();
  EXPECT_EQ(v3->quarantined, 0) << Join(v3->messages);
  EXPECT_EQ(v3->accepted, 144);
  EXPECT_EQ(v3->objects, 388);
  EXPECT_EQ(v3->skipped.at("DontCare cuboid: not an object"), 144);
  // Track 0, frame 0: [3.4, 0.84, 4.75, 0, -1.57, 0, 4.09, 1.38, 1.51] in CAM_LEFT. Through the
  // file's CAM_LEFT -> VELO_TOP matrix by hand: x = 0.000235*3.4 + 0.010449*0.84 + 0.999945*4.75
  // + 0.272903 = 5.031, y = -0.999944*3.4 + 0.010565*0.84 + 0.000124*4.75 - 0.001969 = -3.393;
  // the object's up axis is camera y, so h = 1.38, l = 4.09, w = 1.51; heading camera +z -> yaw ~ 0.
  auto t0 = p.Rows("SELECT x, y, l, w, h, yaw FROM objects JOIN label_sets USING (label_set_id) "
                   "WHERE pipeline = 'lidar_track' AND frame = 'openlabel100_kitti_tracking_0003/0' AND track = '0'");
  ASSERT_EQ(t0.size(), 1u);
  EXPECT_NEAR(t0[0][0], 5.031, 2e-3);
  EXPECT_NEAR(t0[0][1], -3.393, 2e-3);
  EXPECT_DOUBLE_EQ(t0[0][2], 4.09);
  EXPECT_DOUBLE_EQ(t0[0][3], 1.51);
  EXPECT_DOUBLE_EQ(t0[0][4], 1.38);
  EXPECT_NEAR(t0[0][5], 0, 0.02);
  auto v2 = p.Import("openlabel", {vcd}, "cam_track");
  ASSERT_TRUE(v2.ok()) << v2.status().message();
  EXPECT_EQ(v2->objects, 388 + 388);  // CAM_LEFT and CAM_RIGHT
  EXPECT_EQ(v2->ignore_regions, 473);

  // Round trip of the ASAM cuboids.
  const std::string out = p.dir / "cuboids.json";
  ASSERT_TRUE(p.Export("openlabel", "any3d", out).ok());
  Program q;
  auto back = q.Import("openlabel", {out}, "any3d");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->objects, 475);
  ExpectSameBoxes(p.Rows(BoxQuery("any3d", 7)), q.Rows(BoxQuery("any3d", 7)), 1e-9);
  // ... and of the 2D boxes with their streams.
  const std::string out2 = p.dir / "boxes.json";
  ASSERT_TRUE(p.Export("openlabel", "cam_track", out2).ok());
  auto back2 = q.Import("openlabel", {out2}, "cam_track");
  ASSERT_TRUE(back2.ok()) << back2.status().message();
  EXPECT_EQ(back2->objects, 776);
  EXPECT_EQ(back2->ignore_regions, 0);  // ignore regions are not carried by the OpenLABEL export
  ExpectSameBoxes(p.Rows(BoxQuery("cam_track", 4)), q.Rows(BoxQuery("cam_track", 4)), 1e-9);
}

TEST(InteropCvat, ImagesAndVideo) {
  Program p;
  auto r = p.Import("cvat", {kRef + "/cvat/for_images/export_project/annotations.xml"}, "any2d");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->accepted, 6);
  EXPECT_EQ(r->objects, 3);
  EXPECT_EQ(r->skipped.at("polygon: pipeline geometry is box2d"), 3);
  EXPECT_EQ(r->skipped.at("points: pipeline geometry is box2d"), 3);
  EXPECT_EQ(r->quarantined, 0) << Join(r->messages);
  auto rp = p.Import("cvat", {kRef + "/cvat/for_images/export_project/annotations.xml"}, "poly");
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(rp->objects, 3);
  auto rl = p.Import("cvat", {kRef + "/cvat/for_images/export_project/annotations.xml"}, "lines");
  ASSERT_TRUE(rl.ok());
  EXPECT_EQ(rl->objects, 3);
  // train.xml: its polygon has an empty label, which maps to no class: quarantined with its line.
  auto tr = p.Import("cvat", {kRef + "/cvat/for_images/export_task/train.xml"}, "poly");
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->accepted, 2);
  EXPECT_EQ(tr->objects, 0);
  ASSERT_EQ(tr->messages.size(), 1u);
  EXPECT_NE(tr->messages[0].find("train.xml:53: category \"\" maps to no class"), std::string::npos) << tr->messages[0];
  // Video: start 10, stop 19, step 3: frames 10, 13, 16, 19 (the task's size is 4; FORMATS.md lists
  // three); the box track is outside from frame 13.
  auto v = p.Import("cvat", {kRef + "/cvat/for_video/annotations.xml"}, "cam_track");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->accepted, 4);
  EXPECT_EQ(v->objects, 1);
  EXPECT_EQ(v->quarantined, 0) << Join(v->messages);
  auto box = p.Rows("SELECT x, y, w, h, timestamp FROM objects JOIN label_sets USING (label_set_id) "
                    "WHERE pipeline = 'cam_track'");
  ASSERT_EQ(box.size(), 1u);
  EXPECT_EQ(box[0], (std::vector<double>{3, 4, 7, 1, 1.0}));
  EXPECT_EQ(p.Text("SELECT attributes FROM objects JOIN label_sets USING (label_set_id) WHERE pipeline = 'cam_track'"),
            "{\"occluded\":true}");
}

// Bad input: each a clear error with its location; nothing else lost.
TEST(InteropBadInput, LocatedErrorsAndTheRestKept) {
  Program p;
  TempDir t;
  {  // a KITTI line with 14 fields
    std::ifstream in(kRef + "/kitti/object/training/label_2/000001.txt");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const size_t nl = text.find('\n', text.find('\n') + 1);  // end of line 2
    const size_t cut = text.rfind(' ', nl);
    text.erase(cut, nl - cut);
    fs::create_directories(t / "label_2");
    std::ofstream(t / "label_2/000001.txt") << text;
    auto r = p.Import("kitti", {t / "label_2/000001.txt"}, "cam");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->quarantined, 1);
    EXPECT_EQ(r->objects, 2);
    ASSERT_EQ(r->messages.size(), 1u);
    EXPECT_NE(r->messages[0].find("000001.txt:2: expected 15 fields"), std::string::npos) << r->messages[0];
    EXPECT_NE(r->messages[0].find("got 14"), std::string::npos);
  }
  {  // truncated XML
    std::ifstream in(kRef + "/cvat/for_images/export_project/annotations.xml");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const size_t cut = text.find("name=\"img1.jpg\"");
    ASSERT_NE(cut, std::string::npos);
    std::ofstream(t / "cut.xml") << text.substr(0, cut + 40);
    auto r = p.Import("cvat", {t / "cut.xml"}, "poly");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->quarantined, 1);
    EXPECT_GE(r->accepted, 1);  // the images complete before the cut
    ASSERT_FALSE(r->messages.empty());
    EXPECT_NE(r->messages.back().find("cut.xml:"), std::string::npos);
    EXPECT_NE(r->messages.back().find("XML error"), std::string::npos) << r->messages.back();
  }
  {  // an OpenLABEL coordinate system never defined
    std::ifstream in(kRef + "/openlabel/openlabel100_example_cuboids.json");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string needle = "\"coordinate_system\": \"vehicle-iso8855\"";
    const size_t at = text.find(needle);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, needle.size(), "\"coordinate_system\": \"vehicle-iso9999\"");
    std::ofstream(t / "undefined_cs.json") << text;
    auto r = p.Import("openlabel", {t / "undefined_cs.json"}, "any3d");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->quarantined, 1);
    EXPECT_EQ(r->objects, 474);
    ASSERT_EQ(r->messages.size(), 1u);
    EXPECT_NE(r->messages[0].find("frames.538.objects.2.object_data.cuboid[0]: coordinate system \"vehicle-iso9999\" "
                                  "is not defined"),
              std::string::npos)
        << r->messages[0];
  }
  {  // a nuScenes annotation whose sample is missing
    const std::string src = kRef + "/nuscenes/lyft_v1.01-train_mmdet3d/v1.01-train";
    fs::create_directories(t / "lyft");
    for (const auto& f : fs::directory_iterator(src)) fs::copy_file(f.path(), t / ("lyft/" + f.path().filename().string()));
    std::ifstream in(t / "lyft/sample_annotation.json");
    auto anns = nlohmann::json::parse(in);
    anns[2]["sample_token"] = "0000missing";
    std::ofstream(t / "lyft/sample_annotation.json") << anns.dump();
    auto r = p.Import("nuscenes", {t / "lyft"}, "any3d");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->quarantined, 1);
    EXPECT_EQ(r->objects, 3);
    ASSERT_EQ(r->messages.size(), 1u);
    EXPECT_NE(r->messages[0].find("sample_annotation.json:3: sample_annotation[2]"), std::string::npos) << r->messages[0];
    EXPECT_NE(r->messages[0].find("sample_token 0000missing is not in sample.json"), std::string::npos);
  }
  // Counts balance in the store: quarantined rows carry the file and position.
  EXPECT_EQ(p.Scalar("SELECT count(*) FROM quarantine"), 4);
}

TEST(InteropCli, ImportExitCodesAndExport) {
  TempDir d;
  std::ofstream(d / "gtops.toml") << kToml;
  int status = 0;
  std::string out = gtops::testing::RunGtops(
      "import kitti " + kRef + "/kitti/object/training/label_2 --pipeline cam --source vendor --vendor v "
      "--annotator a --batch b1 --program " + d.path(), status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("imported 3 frames with 6 objects"), std::string::npos) << out;
  EXPECT_NE(out.find("not imported: 4 x DontCare: ignore regions are only for gold records"), std::string::npos) << out;
  out = gtops::testing::RunGtops("import cvat " + kRef + "/cvat/for_images/export_task/train.xml --pipeline poly "
                                 "--source gold --program " + d.path(), status);
  EXPECT_EQ(WEXITSTATUS(status), 3) << out;  // quarantined items: bad-input exit code
  EXPECT_NE(out.find("train.xml:53: category \"\" maps to no class"), std::string::npos) << out;
  out = gtops::testing::RunGtops("import kitti x --pipeline cam --source vendor --program " + d.path(), status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;  // vendor without --vendor: usage
  out = gtops::testing::RunGtops("export coco " + (d / "out.json") + " --pipeline cam --source vendor --json --program " +
                                     d.path(), status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("\"objects\": 6"), std::string::npos) << out;
}

}  // namespace
}  // namespace gtops
