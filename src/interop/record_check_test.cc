// The direct validation of converted records (interop/record_check.h) against the reference
// route (each record written as an interchange line and parsed by ingest's parser): many
// converted records, valid and mutated, must give the same decisions, messages, quarantined text,
// stored values and content hashes on both routes. This test is what pins the rules duplicated in
// record_check.cc to io/record_parser.cc.
#include "interop/record_check.h"

#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "interop/coco.h"
#include "interop/kitti.h"

namespace gtops::interop {
namespace {

PipelineSpec Pipe(std::string id, GeometryKind g, bool tracking = false) {
  PipelineSpec p;
  p.id = std::move(id);
  p.geometry = g;
  p.tracking = tracking;
  for (const char* name : {"car", "pedestrian", "cyclist"}) {
    ClassSpec cs;
    cs.name = name;
    p.classes.push_back(cs);
  }
  return p;
}

ProgramConfig Config() {
  ProgramConfig c;
  c.pipelines.push_back(Pipe("p3", GeometryKind::kBox3d));
  c.pipelines.push_back(Pipe("p2", GeometryKind::kBox2d));
  c.pipelines.push_back(Pipe("pt", GeometryKind::kBox3d, true));
  c.pipelines.push_back(Pipe("pl", GeometryKind::kPolyline));
  c.pipelines.push_back(Pipe("pg", GeometryKind::kPolygon));
  c.pipelines.push_back(Pipe("pm", GeometryKind::kMask));
  c.pipelines.push_back(Pipe("tg", GeometryKind::kTags));
  return c;
}

// Records as the converters give them: KITTI (box3d, tracking; box2d with DontCare regions) and
// COCO (box2d with a crowd region; polygons), plus hand-made ones for the other geometries.
std::vector<ConvertedRecord> BaseRecords(const ProgramConfig& config) {
  std::vector<ConvertedRecord> all;
  auto take = [&](ConvertOutput& out) {
    for (ConvertedRecord& r : out.records) all.push_back(std::move(r));
  };
  ImportOptions gold;
  gold.source = Source::kGold;
  {
    static const KittiCalib calib = *ParseKittiCalib(
        "P2: 721.5377 0 609.5593 44.85728 0 721.5377 172.854 0.2163791 0 0 1 0.002745884\n"
        "R0_rect: 0.9999239 0.00983776 -0.007445048 -0.009869795 0.9999421 -0.004278459 0.007402527 "
        "0.004351614 0.9999631\n"
        "Tr_velo_to_cam: 0.007533745 -0.9999714 -0.000616602 -0.004069766 0.01480249 0.0007280733 "
        "-0.9998902 -0.07631618 0.9998621 0.007523790 0.01480755 -0.2717806\n",
        "calib");
    ImportOptions o = gold;
    o.pipeline = "pt";
    ConvertContext ctx(*config.FindPipeline("pt"), o, "0001");
    KittiInput in;
    in.sequence = "0001";
    in.tracking = true;
    in.calib = &calib;
    ConvertOutput out;
    const char* text =
        "0 1 Car 0 0 -1.570000 300.00 150.00 380.00 200.00 1.520000 1.700000 4.100000 -10.000000 1.650000 "
        "5.000000 -1.570000\n"
        "0 2 Pedestrian 0.50 1 0.3 10.5 20.25 40 80 1.8 0.6 0.8 2.5 1.7 12.0 0.25\n"
        "0 3 Cyclist 0.00 2 0.1 100 100 140 180 1.7 0.5 1.9 -3.0 1.6 20.0 3.1\n"
        "1 1 Car 0 0 -1.570000 301.00 150.00 381.00 200.00 1.520000 1.700000 4.100000 -9.900000 1.650000 "
        "5.000000 -1.560000\n"
        "1 2 Pedestrian 0 3 0.3 11 20 41 80 1.8 0.6 0.8 2.6 1.7 12.0 -0.0\n";
    EXPECT_TRUE(ConvertKitti(text, in, ctx, out).ok());
    take(out);
  }
  {
    ImportOptions o = gold;
    o.pipeline = "p2";
    ConvertContext ctx(*config.FindPipeline("p2"), o, "000007");
    KittiInput in;
    in.sequence = "000007";
    ConvertOutput out;
    const char* text =
        "Car 0.00 0 -1.57 599.41 156.40 629.75 189.25 2.85 2.63 12.34 0.47 1.49 69.44 -1.56\n"
        "Pedestrian 0.25 1 0.2 10 20 30 60 1.8 0.6 0.8 1 1.7 10 0.3\n"
        "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10\n";
    EXPECT_TRUE(ConvertKitti(text, in, ctx, out).ok());
    take(out);
  }
  const char* coco = R"({"images":[{"id":5,"width":10,"height":8},{"id":6,"width":40,"height":40}],
    "categories":[{"id":1,"name":"pedestrian"},{"id":3,"name":"car"}],
    "annotations":[
      {"id":11,"image_id":5,"category_id":1,"bbox":[1,2,3,4],"iscrowd":0,"segmentation":[[1,2,4,2,4,6,1,6]]},
      {"id":12,"image_id":5,"category_id":3,"bbox":[0.5,0.25,1.125,1],"iscrowd":0,"segmentation":[[0,0,3,0,3,3]]},
      {"id":13,"image_id":5,"category_id":3,"bbox":[2,2,2,2],"iscrowd":1,"segmentation":{"size":[8,10],"counts":[18,2,6,2,52]}},
      {"id":14,"image_id":6,"category_id":3,"bbox":[2,2,20,10.5],"iscrowd":0,"segmentation":[[2,2,22,2,22,12]]}]})";
  for (const char* id : {"p2", "pg"}) {
    ImportOptions o = gold;
    o.pipeline = id;
    ConvertContext ctx(*config.FindPipeline(id), o, "coco");
    ConvertOutput out;
    EXPECT_TRUE(ConvertCoco(coco, nullptr, ctx, out).ok());
    for (ConvertedRecord& r : out.records) {
      for (size_t i = 0; i < r.labels.objects.size(); ++i) {
        EXPECT_EQ(r.ObjectWhere(i), fmt::format("annotations[{}]", r.object_positions[i] - 1));
      }
    }
    take(out);
  }
  {
    ConvertedRecord r;
    r.position = 3;
    r.labels.pipeline = "pl";
    r.labels.task = "t";
    r.labels.frame = "f";
    r.labels.source = Source::kGold;
    for (int i = 0; i < 3; ++i) {
      Object o;
      o.id = fmt::format("l{}", i);
      o.cls = "car";
      o.kind = GeometryKind::kPolyline;
      o.geometry_json = "[[0,0],[1.5,2],[3,4]]";
      r.labels.objects.push_back(o);
      r.object_positions.push_back(10 + i);
      r.object_where.push_back("");
    }
    all.push_back(r);
    r.labels.pipeline = "tg";
    r.labels.objects.clear();
    r.object_positions.clear();
    r.object_where.clear();
    r.labels.tags_json = R"({"weather":"rain","night":true,"visibility":0.5})";
    all.push_back(r);
  }
  return all;
}

// One random change of a record: a field made invalid, odd or merely different.
void Mutate(LabelRecord& r, std::mt19937& rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const double odd_numbers[] = {nan, -nan, inf, -inf, -0.0, 0.0, -1.5, 1e17, 1e18, 1.2345678901234567e20, 1e-7,
                                123456789.125, 0.1 + 0.2};
  auto odd = [&] { return odd_numbers[pick(std::size(odd_numbers))]; };
  const char* attrs[] = {R"({"occluded":0})", R"({"truncated":0.00,"occluded":1})", R"({"a":1e5})",
                         R"({"a":-0})",        R"({"a":[1]})",                      R"({"a":{"b":1}})",
                         R"({"a":null})",      R"({"a":1,"a":2})",                  R"({"b":1,"a":2,"b":3,"a":4})",
                         R"([1,2])",           R"("text")",                         R"({"a":)",
                         R"({ "a": 1 })",      R"({"a":"x\"y"})",                   R"({"a":true,"b":"s"})",
                         "{\"a\":\"\xff\"}",   R"({"a":12345678901234567890})",     R"({"a":1.50})"};
  const char* strings[] = {"", "x", "car", "Car", "truck", "\xc3\xa9t\xc3\xa9", "bad\xff", "q\"uote\n",
                           "\xed\xa0\x80", "2026-11-01T10:22:31Z", "yesterday"};
  auto str = [&] { return std::string(strings[pick(std::size(strings))]); };
  Object* o = r.objects.empty() ? nullptr : &r.objects[pick(r.objects.size())];
  switch (pick(o == nullptr ? 16 : 36)) {
    case 0: r.pipeline = pick(3) == 0 ? "" : pick(2) == 0 ? "nope" : "p2"; break;
    case 1: r.source = static_cast<Source>(pick(4)); break;
    case 2: r.task = str(); break;
    case 3: r.frame = str(); break;
    case 4: r.batch = str(); r.vendor = str(); r.annotator = str(); break;
    case 5: r.model = str(); break;
    case 6: r.timestamp = pick(3) == 0 ? std::nullopt : std::optional<double>(odd()); break;
    case 7: r.labeled_at = str(); break;
    case 8: r.scene_json = attrs[pick(std::size(attrs))]; break;
    case 9: {
      const char* poses[] = {"[1,2,3,0.5]", "[1,2,3,1,0,0,0]", "[1,2,3]", "[1,\"x\",3,4]", "{}", "[1,2,3,4.50]"};
      r.ego_pose_json = poses[pick(std::size(poses))];
      break;
    }
    case 10: {
      const char* regions[] = {"[[1,2,3,4]]", "[[1,2,-3,4]]", "[[1,2,3]]", "[[1,2,3,4,5,6,7]]", "[[1,2,3,4,5,-6,7]]",
                               "[]",          "{}",           "[[1,2,0.0,4]]", "[[0,0],[1,0],[1,1]]"};
      r.ignore_json = regions[pick(std::size(regions))];
      break;
    }
    case 11: r.tags_json = pick(2) == 0 ? std::string() : std::string(attrs[pick(std::size(attrs))]); break;
    case 12: r.sensor = str(); r.spec_version = str(); r.tool_version = str(); break;
    case 13: r.objects.clear(); break;
    case 14: r.pipeline = pick(2) == 0 ? "pt" : "p3"; break;
    case 15: r.pipeline = pick(2) == 0 ? "pl" : pick(2) == 0 ? "pm" : "tg"; break;
    case 16: o->id = str(); break;
    case 17: if (r.objects.size() > 1) o->id = r.objects[pick(r.objects.size())].id; break;
    case 18: o->cls = str(); break;
    case 19: o->track = pick(2) == 0 ? "" : "7"; break;
    case 20: o->kind = static_cast<GeometryKind>(pick(6)); break;
    case 21: o->box3d.l = odd(); break;
    case 22: o->box3d.w = -o->box3d.w; o->box3d.h = odd(); break;
    case 23: o->box3d.x = odd(); o->box3d.yaw = -0.0; break;
    case 24: o->box2d.w = odd(); break;
    case 25: o->box2d.h = -1; o->box2d.x = -0.0; break;
    case 26: o->box2d.y = odd(); break;
    case 27: o->attributes_json = attrs[pick(std::size(attrs))]; break;
    case 28: o->score = pick(4) == 0 ? std::nullopt : std::optional<double>(pick(2) == 0 ? odd() : 0.5); break;
    case 29: {
      const int64_t counts[] = {0, 12, -3, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                                int64_t{9200000000000000000}};
      o->num_points = counts[pick(std::size(counts))];
      break;
    }
    case 30: {
      const char* geometries[] = {"", "[[0,0],[1,1]]", "[[0,0],[4,0],[4,4],[0,4]]", "null", "[[0,0],[4,4],[4,0],[0,4]]"};
      o->geometry_json = geometries[pick(std::size(geometries))];
      break;
    }
    case 31: r.objects.push_back(*o); break;
    case 32: std::swap(r.objects.front(), r.objects.back()); break;
    case 33: o->id = fmt::format("n{}", rng() % 5); break;
    case 34: r.source = Source::kModel; r.model = "m"; o->score = 0.25; break;
    default: o->attributes_json = R"({"truncated":0.5,"occluded":2})"; break;
  }
}

struct Seen {
  CheckOutcome outcome;
  LabelRecord stored;
};

std::string Show(const CheckOutcome& o) {
  std::string s = fmt::format("accepted={} hash={:x}\n", o.accepted, o.content_hash);
  for (const auto& q : o.quarantined) s += fmt::format("  {} | {} | {}\n", q.position, q.reason, q.raw);
  return s;
}

// Field-by-field equality of two stored records (the geometry of the object's kind only).
void ExpectSameStored(const LabelRecord& a, const LabelRecord& b, const std::string& context) {
  EXPECT_EQ(LabelsToJson(a), LabelsToJson(b)) << context;
  ASSERT_EQ(a.objects.size(), b.objects.size()) << context;
  EXPECT_EQ(a.timestamp.has_value(), b.timestamp.has_value()) << context;
  if (a.timestamp && b.timestamp) {
    EXPECT_EQ(std::signbit(*a.timestamp), std::signbit(*b.timestamp)) << context;
  }
  EXPECT_EQ(a.scene_json, b.scene_json) << context;
  EXPECT_EQ(a.ego_pose_json, b.ego_pose_json) << context;
  EXPECT_EQ(a.ignore_json, b.ignore_json) << context;
  EXPECT_EQ(a.tags_json, b.tags_json) << context;
  for (size_t i = 0; i < a.objects.size(); ++i) {
    const Object &x = a.objects[i], &y = b.objects[i];
    EXPECT_EQ(x.kind, y.kind) << context;
    EXPECT_EQ(x.geometry_json, y.geometry_json) << context;
    EXPECT_EQ(x.attributes_json, y.attributes_json) << context;
    EXPECT_EQ(x.score.has_value(), y.score.has_value()) << context;
    if (x.kind == GeometryKind::kBox3d) {
      EXPECT_EQ(std::signbit(x.box3d.x), std::signbit(y.box3d.x)) << context;
      EXPECT_EQ(std::signbit(x.box3d.yaw), std::signbit(y.box3d.yaw)) << context;
    }
    if (x.kind == GeometryKind::kBox2d) {
      EXPECT_EQ(std::signbit(x.box2d.x), std::signbit(y.box2d.x)) << context;
    }
  }
  EXPECT_EQ(LabelsHash(a), LabelsHash(b)) << context;
}

TEST(RecordCheck, DirectRouteGivesWhatTheParserGivesOnValidAndMutatedRecords) {
  const ProgramConfig config = Config();
  const std::vector<ConvertedRecord> base = BaseRecords(config);
  ASSERT_GE(base.size(), 8u);
  RecordCheck direct(config, RecordCheck::Route::kDirect);
  RecordCheck parse(config, RecordCheck::Route::kParse);
  std::mt19937 rng(20261123);
  int accepted = 0, refused = 0, partly = 0, checked = 0;
  for (int round = 0; round < 6000; ++round) {
    ConvertedRecord rec = base[static_cast<size_t>(round) % base.size()];
    const int mutations = round < static_cast<int>(base.size()) ? 0 : 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) Mutate(rec.labels, rng);
    // Positions and places for objects a mutation added.
    while (rec.object_positions.size() < rec.labels.objects.size()) {
      rec.object_positions.push_back(100 + static_cast<int64_t>(rec.object_positions.size()));
      if (!rec.where_from_position) rec.object_where.push_back("");
    }
    const std::string context = LabelsToJson(rec.labels);
    ConvertedRecord a = rec, b = rec;
    CheckOutcome da, pb;
    direct.Check(a, da);
    parse.Check(b, pb);
    ++checked;
    ASSERT_EQ(Show(da), Show(pb)) << context;
    if (da.accepted) ExpectSameStored(a.labels, b.labels, context);
    if (HasFailure()) return;
    accepted += da.accepted && da.quarantined.empty();
    refused += !da.accepted;
    partly += da.accepted && !da.quarantined.empty();
  }
  // Every branch was exercised, and most records were settled without the parser (polygons,
  // non-finite and huge numbers, invalid UTF-8 and odd raw JSON go to it).
  EXPECT_GT(accepted, 500);
  EXPECT_GT(refused, 500);
  EXPECT_GT(partly, 100);
  EXPECT_LT(direct.parsed_records(), checked * 3 / 5);
  EXPECT_EQ(parse.parsed_records(), checked);
}

TEST(RecordCheck, ReimportGivesTheSameHashAndZeroIsStoredPositive) {
  const ProgramConfig config = Config();
  RecordCheck check(config);
  ConvertedRecord rec;
  rec.labels.pipeline = "p3";
  rec.labels.task = "t";
  rec.labels.frame = "f";
  rec.labels.source = Source::kGold;
  rec.labels.timestamp = -0.0;
  Object o;
  o.id = "a";
  o.cls = "car";
  o.kind = GeometryKind::kBox3d;
  o.box3d = Box3d{-0.0, 1, 2, 4, 2, 1.5, -0.0};
  o.attributes_json = R"({"truncated":0.00,"occluded":1})";
  rec.labels.objects.push_back(o);
  rec.object_positions.push_back(1);
  rec.object_where.push_back("");
  ConvertedRecord again = rec;
  CheckOutcome first, second;
  check.Check(rec, first);
  check.Check(again, second);
  ASSERT_TRUE(first.accepted);
  EXPECT_EQ(first.content_hash, second.content_hash);
  EXPECT_EQ(check.parsed_records(), 0);
  EXPECT_FALSE(std::signbit(rec.labels.objects[0].box3d.x));
  EXPECT_FALSE(std::signbit(*rec.labels.timestamp));
  EXPECT_EQ(rec.labels.objects[0].attributes_json, R"({"truncated":0,"occluded":1})");
  // A changed value changes the hash.
  ConvertedRecord moved = again;
  moved.labels.objects[0].box3d.x = 0.5;
  CheckOutcome third;
  check.Check(moved, third);
  EXPECT_NE(third.content_hash, first.content_hash);
}

}  // namespace
}  // namespace gtops::interop
