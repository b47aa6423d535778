// Unit tests of the format converters with hand-computed coordinates (docs/formats.md).
#include <charconv>
#include <cmath>
#include <cstring>
#include <numbers>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "interop/coco.h"
#include "interop/convert.h"
#include "interop/cvat.h"
#include "interop/kitti.h"
#include "interop/nuscenes.h"
#include "interop/openlabel.h"

namespace gtops::interop {
namespace {

constexpr double kPi = std::numbers::pi;

PipelineSpec Pipe(GeometryKind g, std::vector<std::string> classes, std::string units = "m") {
  PipelineSpec p;
  p.id = "p";
  p.geometry = g;
  p.units = std::move(units);
  for (auto& c : classes) {
    ClassSpec cs;
    cs.name = c;
    p.classes.push_back(cs);
  }
  return p;
}

ImportOptions Gold() {
  ImportOptions o;
  o.pipeline = "p";
  o.source = Source::kGold;
  return o;
}

// The ideal KITTI rig: velo x forward -> camera z, velo y left -> camera -x, velo z up -> camera -y,
// camera 0.27 m behind and 0.08 m below... expressed as X_cam = R X_velo + t.
constexpr const char* kCalib =
    "P0: 700 0 600 0 0 700 180 0 0 0 1 0\n"
    "P2: 700 0 600 0 0 700 180 0 0 0 1 0\n"
    "R0_rect: 1 0 0 0 1 0 0 0 1\n"
    "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 -0.08 1 0 0 -0.27\n"
    "Tr_imu_to_velo: 1 0 0 0 0 1 0 0 0 0 1 0\n";

TEST(Kitti, ObjectBoxInVelodyneFrameThroughCalibration) {
  auto calib = ParseKittiCalib(kCalib, "calib.txt");
  ASSERT_TRUE(calib.ok()) << calib.status().message();
  const PipelineSpec pipe = Pipe(GeometryKind::kBox3d, {"car"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "000007");
  ConvertOutput out;
  KittiInput in;
  in.sequence = "000007";
  in.calib = &*calib;
  // loc is the bottom centre: (2, 1.5, 10) with h = 1.5 -> centre (2, 0.75, 10) in the camera.
  ASSERT_TRUE(ConvertKitti("Car 0.00 1 -1.77 100 150 200 250 1.5 1.8 4.0 2 1.5 10 0\n", in, ctx, out).ok());
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_EQ(out.records[0].labels.objects.size(), 1u);
  const Object& o = out.records[0].labels.objects[0];
  EXPECT_EQ(o.cls, "car");
  EXPECT_EQ(out.records[0].labels.frame, "000007");
  EXPECT_EQ(out.records[0].labels.task, "kitti:000007");
  // X_velo = R^T (X_cam - t): x = z_cam - t_z = 10 + 0.27, y = -x_cam = -2, z = -(y_cam - t_y) = -(0.75 + 0.08).
  EXPECT_NEAR(o.box3d.x, 10.27, 1e-12);
  EXPECT_NEAR(o.box3d.y, -2.0, 1e-12);
  EXPECT_NEAR(o.box3d.z, -0.83, 1e-12);
  EXPECT_DOUBLE_EQ(o.box3d.l, 4.0);
  EXPECT_DOUBLE_EQ(o.box3d.w, 1.8);
  EXPECT_DOUBLE_EQ(o.box3d.h, 1.5);
  // ry = 0 faces camera +x = velo -y: yaw = -ry - pi/2.
  EXPECT_NEAR(o.box3d.yaw, -kPi / 2, 1e-12);
  EXPECT_EQ(o.attributes_json, R"({"truncated":0,"occluded":1})");
}

TEST(Kitti, TrackingCalibWithoutColonsAndExportRoundTrip) {
  auto calib = ParseKittiCalib(
      "P2: 700 0 600 0 0 700 180 0 0 0 1 0\nR_rect 1 0 0 0 1 0 0 0 1\n"
      "Tr_velo_cam 0 -1 0 0 0 0 -1 -0.08 1 0 0 -0.27\n",
      "0001.txt");
  ASSERT_TRUE(calib.ok()) << calib.status().message();
  const PipelineSpec pipe = Pipe(GeometryKind::kBox3d, {"car"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "0001");
  ConvertOutput out;
  KittiInput in;
  in.sequence = "0001";
  in.tracking = true;
  in.calib = &*calib;
  ASSERT_TRUE(ConvertKitti("3 7 Car 0 2 0.3 100 150 200 250 1.5 1.8 4.0 2 1.5 10 0.5\n", in, ctx, out).ok());
  ASSERT_EQ(out.records.size(), 1u);
  const LabelRecord& r = out.records[0].labels;
  EXPECT_EQ(r.frame, "0001/000003");
  EXPECT_DOUBLE_EQ(*r.timestamp, 0.3);
  EXPECT_EQ(r.objects[0].track, "7");
  EXPECT_NEAR(r.objects[0].box3d.yaw, -0.5 - kPi / 2, 1e-12);
  KittiExportOptions eo;
  eo.tracking = true;
  eo.calib = &*calib;
  auto text = KittiLines({&r}, GeometryKind::kBox3d, eo);
  ASSERT_TRUE(text.ok());
  // Back in camera coordinates: bottom centre (2, 1.5, 10), ry 0.5; h w l as given.
  EXPECT_NE(text->find("3 7 Car 0 2 "), std::string::npos) << *text;
  EXPECT_NE(text->find(" 1.500000 1.800000 4.000000 2.000000 1.500000 10.000000 0.500000"), std::string::npos) << *text;
}

TEST(Kitti, BadLinesAreIssuesWithTheirLineAndTheRestIsKept) {
  const PipelineSpec pipe = Pipe(GeometryKind::kBox2d, {"car"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "000001");
  ConvertOutput out;
  KittiInput in;
  in.sequence = "000001";
  const char* text =
      "Car 0.00 0 -1.57 599.41 156.40 629.75 189.25 2.85 2.63 12.34 0.47 1.49 69.44 -1.56\n"
      "Car 0.00 0 -1.57 599.41 156.40 629.75 189.25 2.85 2.63 12.34 0.47 1.49 69.44\n"
      "Tram 0.00 0 -1.57 1 2 3 4 2.85 2.63 12.34 0.47 1.49 69.44 -1.56\n"
      "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n";
  ASSERT_TRUE(ConvertKitti(text, in, ctx, out).ok());
  ASSERT_EQ(out.issues.size(), 2u);
  EXPECT_EQ(out.issues[0].position, 2);
  EXPECT_NE(out.issues[0].reason.find("expected 15 fields"), std::string::npos);
  EXPECT_NE(out.issues[0].reason.find("got 14"), std::string::npos);
  EXPECT_EQ(out.issues[1].position, 3);
  EXPECT_NE(out.issues[1].reason.find("\"Tram\" maps to no class"), std::string::npos);
  ASSERT_EQ(out.records[0].labels.objects.size(), 1u);
  const Box2d& b = out.records[0].labels.objects[0].box2d;
  EXPECT_DOUBLE_EQ(b.x, 599.41);
  EXPECT_NEAR(b.w, 629.75 - 599.41, 1e-12);
  EXPECT_EQ(out.ignore_regions, 1);
  // [left, top, right - left, bottom - top] in doubles: 590.61 - 503.89 = 86.72000000000003.
  EXPECT_EQ(out.records[0].labels.ignore_json, "[[503.89,169.71,86.72000000000003,20.419999999999987]]");
  // A box3d pipeline without a calibration is refused outright.
  const PipelineSpec pipe3 = Pipe(GeometryKind::kBox3d, {"car"});
  ConvertContext ctx3(pipe3, opt, "000001");
  EXPECT_FALSE(ConvertKitti(text, in, ctx3, out).ok());
}

TEST(Coco, BoxesPolygonsMasksAndCrowds) {
  const char* json = R"({"images":[{"id":5,"width":10,"height":8},{"id":6,"width":4,"height":4}],
    "categories":[{"id":1,"name":"person"},{"id":3,"name":"car"},{"id":9,"name":"boat"}],
    "annotations":[
      {"id":11,"image_id":5,"category_id":1,"bbox":[1,2,3,4],"iscrowd":0,"segmentation":[[1,2,4,2,4,6,1,6]]},
      {"id":12,"image_id":5,"category_id":9,"bbox":[0,0,1,1],"iscrowd":0,"segmentation":[[0,0,1,0,1,1]]},
      {"id":13,"image_id":5,"category_id":3,"bbox":[2,2,2,2],"iscrowd":1,"segmentation":{"size":[8,10],"counts":[18,2,6,2,52]}},
      {"id":14,"image_id":7,"category_id":3,"bbox":[2,2,2,2],"iscrowd":0}]})";
  const ImportOptions opt = Gold();
  {
    const PipelineSpec pipe = Pipe(GeometryKind::kBox2d, {"person", "car"});
    ConvertContext ctx(pipe, opt, "x");
    ConvertOutput out;
    ASSERT_TRUE(ConvertCoco(json, nullptr, ctx, out).ok());
    ASSERT_EQ(out.records.size(), 2u);  // image 6 has no annotation: an empty frame
    EXPECT_EQ(out.records[0].labels.frame, "5");
    ASSERT_EQ(out.records[0].labels.objects.size(), 1u);
    EXPECT_EQ(out.records[0].labels.objects[0].id, "11");
    EXPECT_DOUBLE_EQ(out.records[0].labels.objects[0].box2d.h, 4);
    EXPECT_EQ(out.records[0].labels.ignore_json, "[[2,2,2,2]]");
    ASSERT_EQ(out.issues.size(), 2u);
    EXPECT_NE(out.issues[0].reason.find("annotations[1]: category \"boat\""), std::string::npos);
    EXPECT_NE(out.issues[1].reason.find("annotations[3]: image_id 7 is not in images"), std::string::npos);
  }
  {
    const PipelineSpec pipe = Pipe(GeometryKind::kPolygon, {"person", "car", "boat"});
    ConvertContext ctx(pipe, opt, "x");
    ConvertOutput out;
    ASSERT_TRUE(ConvertCoco(json, nullptr, ctx, out).ok());
    EXPECT_EQ(out.records[0].labels.objects[0].geometry_json, "[[1,2],[4,2],[4,6],[1,6]]");
  }
  {
    const PipelineSpec pipe = Pipe(GeometryKind::kMask, {"person", "car", "boat"});
    ImportOptions vendor = opt;
    vendor.source = Source::kModel;
    ConvertContext ctx(pipe, vendor, "x");
    ConvertOutput out;
    ASSERT_TRUE(ConvertCoco(json, nullptr, ctx, out).ok());
    // Polygon rasterised at the image size: 8 x 10 pixels in total.
    const std::string& g = out.records[0].labels.objects[0].geometry_json;
    EXPECT_EQ(g.rfind("{\"size\":[8,10],\"counts\":", 0), 0u) << g;
    EXPECT_EQ(out.skipped.begin()->second, 1);  // the crowd: not gold
  }
}

TEST(Nuscenes, GlobalBoxIntoTheEgoFrame) {
  // Ego at (100, 50, 0) heading +90 deg; a box at (100, 60, 1) heading 180 deg: 10 m ahead, yaw +90 deg.
  const double c45 = std::cos(kPi / 4), s45 = std::sin(kPi / 4);
  std::map<std::string, std::string> t;
  t["category"] = R"([{"token":"c1","name":"vehicle.car"}])";
  t["instance"] = R"([{"token":"i1","category_token":"c1"}])";
  t["sample"] = R"([{"token":"s1","scene_token":"sc","timestamp":1500000}])";
  t["ego_pose"] = fmt::format(R"([{{"token":"e1","translation":[100,50,0],"rotation":[{},0,0,{}]}}])", c45, s45);
  t["sample_data"] = R"([{"token":"d1","sample_token":"s1","ego_pose_token":"e1","is_key_frame":true}])";
  t["sample_annotation"] =
      R"([{"token":"a1","sample_token":"s1","instance_token":"i1","translation":[100,60,1],"size":[2,4,1.5],"rotation":[0,0,0,1],"num_lidar_pts":12,"attribute_tokens":[]},
          {"token":"a2","sample_token":"gone","instance_token":"i1","translation":[0,0,0],"size":[2,4,1.5],"rotation":[1,0,0,0],"attribute_tokens":[]}])";
  auto tables = ParseNuscenesTables(t, "mem");
  ASSERT_TRUE(tables.ok()) << tables.status().message();
  PipelineSpec pipe = Pipe(GeometryKind::kBox3d, {});
  ImportOptions opt = Gold();
  opt.class_map["vehicle.car"] = "car";
  ConvertContext ctx(pipe, opt, "x");
  ConvertOutput out;
  ASSERT_TRUE(ConvertNuscenesTables(*tables, ctx, out).ok());
  ASSERT_EQ(out.records.size(), 1u);
  const LabelRecord& r = out.records[0].labels;
  EXPECT_EQ(r.frame, "s1");
  EXPECT_DOUBLE_EQ(*r.timestamp, 1.5);
  ASSERT_EQ(r.objects.size(), 1u);
  const Object& o = r.objects[0];
  EXPECT_EQ(o.cls, "car");
  EXPECT_EQ(o.track, "i1");
  EXPECT_NEAR(o.box3d.x, 10, 1e-9);
  EXPECT_NEAR(o.box3d.y, 0, 1e-9);
  EXPECT_NEAR(o.box3d.z, 1, 1e-9);
  EXPECT_DOUBLE_EQ(o.box3d.l, 4);
  EXPECT_DOUBLE_EQ(o.box3d.w, 2);
  EXPECT_NEAR(o.box3d.yaw, kPi / 2, 1e-9);
  EXPECT_EQ(*o.num_points, 12);
  ASSERT_EQ(out.issues.size(), 1u);
  EXPECT_EQ(out.issues[0].position, 2);
  EXPECT_NE(out.issues[0].reason.find("sample_annotation[1] (a2): sample_token gone is not in sample.json"),
            std::string::npos);
  // Back out as a results file: global again.
  auto json = NuscenesResultsJson({&r});
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"sample_token\":\"s1\""), std::string::npos);
  auto j = nlohmann::json::parse(*json);
  const auto& box = j["results"]["s1"][0];
  EXPECT_NEAR(box["translation"][0].get<double>(), 100, 1e-9);
  EXPECT_NEAR(box["translation"][1].get<double>(), 60, 1e-9);
  EXPECT_NEAR(std::abs(box["rotation"][3].get<double>()), 1, 1e-9);  // heading 180 deg
  EXPECT_DOUBLE_EQ(box["size"][1].get<double>(), 4);
}

TEST(Openlabel, CuboidsThroughCoordinateSystems) {
  const double s45 = std::sin(kPi / 4), c45 = std::cos(kPi / 4);
  const std::string json = fmt::format(R"({{"openlabel":{{"metadata":{{"schema_version":"1.0.0"}},
    "coordinate_systems":{{"vehicle-iso8855":{{"type":"local_cs","parent":""}},
      "lidar":{{"type":"sensor_cs","parent":"vehicle-iso8855","pose_wrt_parent":{{"quaternion":[0,0,{},{}],"translation":[1,0,2]}}}},
      "cam":{{"type":"sensor_cs","parent":"vehicle-iso8855","pose_wrt_parent":{{"matrix4x4":[0,0,1,0, -1,0,0,0, 0,-1,0,0, 0,0,0,1]}}}}}},
    "objects":{{"7":{{"name":"a","type":"Car"}},"8":{{"name":"b","type":"Car"}}}},
    "frames":{{"3":{{"frame_properties":{{"timestamp":12.5}},"objects":{{
      "7":{{"object_data":{{"cuboid":[{{"name":"c","coordinate_system":"lidar","val":[1,0,0,0,0,0,1,4,2,1.5]}}],
                             "text":[{{"name":"state","val":"parked"}}]}}}},
      "8":{{"object_data":{{"cuboid":[{{"name":"c","coordinate_system":"cam","val":[0,0,10,0,{},0,4,1.5,1.8]}},
                                      {{"name":"d","coordinate_system":"nowhere","val":[0,0,10,0,0,0,1,4,1.5,1.8]}}]}}}}}}}}}}}}}})",
                                       s45, c45, -kPi / 2);
  const PipelineSpec pipe = Pipe(GeometryKind::kBox3d, {"car"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "seq");
  ConvertOutput out;
  ASSERT_TRUE(ConvertOpenlabel(json, OpenlabelInput{}, ctx, out).ok());
  ASSERT_EQ(out.records.size(), 1u);
  const LabelRecord& r = out.records[0].labels;
  EXPECT_EQ(r.frame, "seq/3");
  EXPECT_DOUBLE_EQ(*r.timestamp, 12.5);
  ASSERT_EQ(r.objects.size(), 2u);
  // lidar rotated +90 deg about z and shifted (1, 0, 2): (1, 0, 0) -> (1, 1, 2), heading +90 deg.
  const Box3d& a = r.objects[0].box3d;
  EXPECT_NEAR(a.x, 1, 1e-12);
  EXPECT_NEAR(a.y, 1, 1e-12);
  EXPECT_NEAR(a.z, 2, 1e-12);
  EXPECT_NEAR(a.yaw, kPi / 2, 1e-12);
  EXPECT_DOUBLE_EQ(a.l, 4);
  EXPECT_DOUBLE_EQ(a.w, 2);
  EXPECT_EQ(r.objects[0].track, "7");
  EXPECT_EQ(r.objects[0].attributes_json, R"({"state":"parked"})");
  // Euler cuboid in the camera (x right, y down, z forward), pitch -90 deg about camera y: the
  // object's x axis is camera +z = ego +x (yaw 0), its y axis camera-down (so h = sy = 1.5).
  const Box3d& b = r.objects[1].box3d;
  EXPECT_NEAR(b.x, 10, 1e-12);
  EXPECT_NEAR(b.y, 0, 1e-12);
  EXPECT_NEAR(b.yaw, 0, 1e-12);
  EXPECT_DOUBLE_EQ(b.l, 4);
  EXPECT_DOUBLE_EQ(b.h, 1.5);
  EXPECT_DOUBLE_EQ(b.w, 1.8);
  ASSERT_EQ(out.issues.size(), 1u);
  EXPECT_NE(out.issues[0].reason.find("frames.3.objects.8.object_data.cuboid[1]: coordinate system \"nowhere\" is "
                                      "not defined"),
            std::string::npos)
      << out.issues[0].reason;
}

TEST(Cvat, ImagesVideoInterpolationAndTruncation) {
  const PipelineSpec pipe = Pipe(GeometryKind::kBox2d, {"car"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "annotations");
  {
    ConvertOutput out;
    const char* xml = R"(<annotations><meta><task><labels><label><name>car</name><attributes><attribute>
      <name>n</name><input_type>number</input_type></attribute></attributes></label></labels></task></meta>
      <image id="0" name="a.png" width="10" height="10">
        <box label="car" occluded="1" xtl="1.00" ytl="2.00" xbr="4.50" ybr="6.00"><attribute name="n">3</attribute></box>
        <polygon label="car" points="1,1;2,2;3,1"/>
        <box label="" xtl="1" ytl="1" xbr="2" ybr="2"/>
      </image></annotations>)";
    ASSERT_TRUE(ConvertCvat(xml, ctx, out).ok());
    ASSERT_EQ(out.records.size(), 1u);
    ASSERT_EQ(out.records[0].labels.objects.size(), 1u);
    const Object& o = out.records[0].labels.objects[0];
    EXPECT_DOUBLE_EQ(o.box2d.w, 3.5);
    EXPECT_DOUBLE_EQ(o.box2d.h, 4);
    EXPECT_EQ(o.attributes_json, R"({"occluded":true,"n":3})");
    EXPECT_EQ(out.skipped.at("polygon: pipeline geometry is box2d"), 1);
    ASSERT_EQ(out.issues.size(), 1u);
    EXPECT_EQ(out.issues[0].position, 6);  // the empty label's line
  }
  {
    ConvertOutput out;
    const char* xml = R"(<annotations><meta><task><id>4</id><name>v</name><start_frame>0</start_frame>
      <stop_frame>4</stop_frame></task></meta>
      <track id="2" label="car">
        <box frame="0" outside="0" keyframe="1" xtl="0" ytl="0" xbr="10" ybr="10"/>
        <box frame="4" outside="0" keyframe="1" xtl="4" ytl="0" xbr="14" ybr="10"/>
      </track>
      <track id="3" label="car">
        <box frame="1" outside="0" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>
        <box frame="2" outside="1" keyframe="1" xtl="0" ytl="0" xbr="1" ybr="1"/>
      </track></annotations>)";
    ASSERT_TRUE(ConvertCvat(xml, ctx, out).ok());
    ASSERT_EQ(out.records.size(), 5u);
    EXPECT_EQ(out.records[2].labels.frame, "v/000002");
    // Track 2 interpolated at frame 2: x = 2; track 3 only on frame 1 (outside from frame 2).
    ASSERT_EQ(out.records[2].labels.objects.size(), 1u);
    EXPECT_DOUBLE_EQ(out.records[2].labels.objects[0].box2d.x, 2);
    EXPECT_EQ(out.records[1].labels.objects.size(), 2u);
    EXPECT_EQ(out.records[3].labels.objects.size(), 1u);
  }
  {
    ConvertOutput out;
    const char* xml = "<annotations>\n<image id=\"0\" name=\"a\"><box label=\"car\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/></image>\n"
                      "<image id=\"1\" name=\"b\"><box label=\"car\" xtl=\"1\" ytl=\"1\" xb";
    ASSERT_TRUE(ConvertCvat(xml, ctx, out).ok());
    ASSERT_EQ(out.records.size(), 1u);  // the complete image is kept
    ASSERT_EQ(out.issues.size(), 1u);
    EXPECT_EQ(out.issues[0].position, 3);
    EXPECT_NE(out.issues[0].reason.find("XML error"), std::string::npos);
  }
}

TEST(Convert, QuaternionsAndJson) {
  const Mat3 m = QuaternionToMatrix(std::cos(0.3), 0, 0, std::sin(0.3));
  auto q = MatrixToQuaternion(m);
  EXPECT_NEAR(q[0], std::cos(0.3), 1e-12);
  EXPECT_NEAR(q[3], std::sin(0.3), 1e-12);
  LabelRecord r;
  r.pipeline = "p";
  r.task = "t";
  r.frame = "f";
  r.source = Source::kGold;
  Object o;
  o.id = "1";
  o.cls = "car";
  o.kind = GeometryKind::kBox2d;
  o.box2d = Box2d{0.1, 2, 3, 4};
  r.objects.push_back(o);
  EXPECT_EQ(LabelsToJson(r),
            R"({"pipeline":"p","task":"t","frame":"f","source":"gold","objects":[{"id":"1","class":"car","box2d":[0.1,2,3,4]}]})");
}

TEST(Convert, ParseDoubleReadsWhatFromCharsReads) {
  // The fast path and the fall-back: the same acceptance and the very same doubles.
  std::vector<std::string> texts = {"0", "-0", "1.5", "-1.570000", "599.41", "0.1", "0.3", "123456789012345678",
                                    "9007199254740993", "0.12345678901234567890123", "1e2", "1E-2", ".5", "5.",
                                    "-", "", "+1", "1.5.2", "inf", "nan", "0x10", "1e400", "4.9e-324", "00012.50",
                                    "12345678.12345678", "1.7976931348623157e308", "0.000000000000000000000001"};
  uint64_t state = 42;
  for (int i = 0; i < 20000; ++i) {  // printed decimals of every length up to 19 digits
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const int decimals = static_cast<int>(state >> 60);
    const double v = static_cast<double>(state >> 20) / 1e6 * ((state & 1) ? -1 : 1);
    texts.push_back(fmt::format("{:.{}f}", v, decimals));
  }
  for (const std::string& t : texts) {
    double a = 7, b = 7;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), a);
    const bool want = ec == std::errc() && p == t.data() + t.size();
    ASSERT_EQ(ParseDouble(t, b), want) << t;
    EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0) << t;
  }
}

TEST(Cvat, PlainReaderGivesWhatExpatGives) {
  const PipelineSpec pipe = Pipe(GeometryKind::kBox2d, {"car", "a & b"});
  const ImportOptions opt = Gold();
  ConvertContext ctx(pipe, opt, "annotations");
  const std::string plain =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotations>\n<meta><task><id>4</id><name>t &amp; u</name></task></meta>\n"
      "<image id=\"0\" name='a &lt;1&gt;.png'>\n"
      "  <box label=\"car\" occluded=\"1\" xtl=\"1.25\" ytl = \"2\"\n     xbr=\"4.5\" ybr=\"6\"><attribute name=\"note\">x\ty &quot;z&quot;</attribute></box>\n"
      "  <box label=\"a &amp; b\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\" rotation=\"5\"/>\n"
      "  <box label=\"tree\" xtl=\"1\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/>\n"
      "  <box label=\"car\" xtl=\"x\" ytl=\"1\" xbr=\"2\" ybr=\"2\"/>\n"
      "</image>\n</annotations>\n";
  // The same document with a comment: expat reads it.
  std::string commented = plain;
  commented.insert(commented.find("<image"), "<!-- c -->");
  ConvertOutput a, b;
  ASSERT_TRUE(ConvertCvat(plain, ctx, a).ok());
  ASSERT_TRUE(ConvertCvat(commented, ctx, b).ok());
  ASSERT_EQ(a.records.size(), 1u);
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(LabelsToJson(a.records[0].labels), LabelsToJson(b.records[0].labels));
  EXPECT_EQ(a.records[0].position, b.records[0].position);
  EXPECT_EQ(a.records[0].object_positions, b.records[0].object_positions);
  EXPECT_EQ(a.records[0].labels.frame, "a <1>.png");
  ASSERT_EQ(a.issues.size(), 3u);  // rotated, unmapped class, coordinates not numbers
  ASSERT_EQ(b.issues.size(), 3u);
  for (size_t i = 0; i < a.issues.size(); ++i) {
    EXPECT_EQ(a.issues[i].position, b.issues[i].position);
    EXPECT_EQ(a.issues[i].reason, b.issues[i].reason);
    EXPECT_EQ(a.issues[i].raw, b.issues[i].raw);
  }
  // Broken XML is expat's to report, with its line.
  ConvertOutput c;
  ASSERT_TRUE(ConvertCvat("<annotations>\n<image id=\"0\" name=\"a\"><box label=\"car\" xtl=\"1\" xtl=\"2\"/></image>\n</annotations>", ctx, c).ok());
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_EQ(c.issues[0].position, 2);
  EXPECT_NE(c.issues[0].reason.find("duplicate attribute"), std::string::npos) << c.issues[0].reason;
}

}  // namespace
}  // namespace gtops::interop
