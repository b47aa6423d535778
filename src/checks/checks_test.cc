// Unit tests of the checks kernels on hand-made frames (docs/quality-checks.md).
#include "checks/checks.h"

#include <cmath>
#include <functional>
#include <numbers>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace gtops::checks {
namespace {

constexpr double kPi = std::numbers::pi;

ProgramConfig Config() {
  auto c = ParseConfig(R"toml(
[program]
name = "t"
[[vendors]]
id = "acme"
name = "Acme"
[[pipelines]]
id = "lidar"
name = "lidar"
geometry = "box3d"
tracking = true
match = { bev_iou = 0.3 }
tolerances = { position_m = 0.3, size_rel = 0.10, heading_deg = 10.0 }
  [[pipelines.classes]]
  name = "car"
  safety_weight = 3.0
  size_prior_m = { l = [2.5, 6.5], w = [1.1, 2.7], h = [0.9, 2.3] }
  required_attributes = ["moving"]
  attributes = { moving = [true, false] }
  [[pipelines.classes]]
  name = "pedestrian"
  safety_weight = 5.0
  match = { center_distance_m = 1.0 }
[[pipelines]]
id = "cam"
name = "cam"
geometry = "box2d"
match = { iou = 0.5 }
tolerances = { min_iou = 0.7 }
  [[pipelines.classes]]
  name = "car"
  [[pipelines.classes]]
  name = "cyclist"
  safety_weight = 5.0
)toml",
                       "gtops.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

Object Car(std::string id, std::string track, double x, double y, double yaw, double l = 4.5) {
  Object o;
  o.id = std::move(id);
  o.track = std::move(track);
  o.cls = "car";
  o.kind = GeometryKind::kBox3d;
  o.box3d = {x, y, 0.8, l, 1.9, 1.6, yaw};
  o.attributes_json = R"({"moving":true})";
  return o;
}

LabelRecord Record(std::string frame, double t, std::string pose, Source source = Source::kVendor) {
  LabelRecord r;
  r.pipeline = "lidar";
  r.task = "task-1";
  r.frame = std::move(frame);
  r.timestamp = t;
  r.source = source;
  if (source == Source::kVendor) {
    r.vendor = "acme";
    r.annotator = "acme-a1";
    r.batch = "b1";
  }
  if (source == Source::kModel) r.model = "det";
  r.ego_pose_json = std::move(pose);
  return r;
}

FrameLabels Frame(std::vector<LabelRecord> records) {
  FrameLabels f;
  f.pipeline = records.front().pipeline;
  f.task = records.front().task;
  f.frame = records.front().frame;
  f.timestamp = records.front().timestamp;
  f.records = std::move(records);
  return f;
}

std::vector<RawFinding> RunChecks(const PipelineSpec& spec, const std::vector<FrameLabels>& task) {
  TaskChecker checker(spec);
  std::vector<RawFinding> out;
  TaskCheckStats stats;
  checker.Check(task, out, stats);
  return out;
}

int Count(const std::vector<RawFinding>& f, std::string_view check, std::string_view frame = {},
          std::string_view object = {}) {
  int n = 0;
  for (const RawFinding& x : f) {
    if (x.row.check == check && (frame.empty() || x.row.frame == frame) &&
        (object.empty() || x.row.object_id == object)) {
      ++n;
    }
  }
  return n;
}

TEST(RuleChecks, SpecConformanceAndSizePrior) {
  ProgramConfig config = Config();
  LabelRecord r = Record("f0", 0, "");
  r.objects.push_back(Car("a", "", 10, 0, 0));
  r.objects.push_back(Car("b", "", 20, 5, 0, 9.0));  // 9 m long: outside [2.5, 6.5)
  r.objects.back().attributes_json = R"({"moving":"yes"})";
  r.objects.push_back(Car("c", "", 30, -5, 0));
  r.objects.back().cls = "tram";
  r.objects.push_back(Car("d", "", 40, 8, 0));
  r.objects.back().attributes_json = "";
  auto f = RunChecks(*config.FindPipeline("lidar"), {Frame({r})});
  EXPECT_EQ(Count(f, "size_prior", "f0", "b"), 1);
  EXPECT_EQ(Count(f, "size_prior", "f0", "a"), 0);
  EXPECT_EQ(Count(f, "spec_attribute_value", "f0", "b"), 1);
  EXPECT_EQ(Count(f, "spec_class", "f0", "c"), 1);
  EXPECT_EQ(Count(f, "spec_required_attribute", "f0", "d"), 1);
  EXPECT_EQ(Count(f, "spec_required_attribute", "f0", "a"), 0);
  for (const RawFinding& x : f) {
    if (x.row.object_id == "b" && x.row.check == "size_prior") {
      EXPECT_EQ(x.row.type, ErrorType::kSize);
      EXPECT_NE(x.row.reason.find("l 9.00 m"), std::string::npos) << x.row.reason;
    }
  }
}

TEST(RuleChecks, Box3dSanity) {
  ProgramConfig config = Config();
  LabelRecord r = Record("f0", 0, "");
  r.objects.push_back(Car("a", "", 10, 0, 0));
  r.objects.push_back(Car("b", "", 10.1, 0.05, 0.02));  // near duplicate of a
  r.objects.push_back(Car("c", "", 30, 10, 0));
  r.objects.back().num_points = 0;                       // empty, 31.6 m away
  r.objects.push_back(Car("d", "", 30, -10, 0));
  r.objects.back().box3d.z = 3.0;                        // floating: bottom 2.2 m above ground
  r.objects.push_back(Car("e", "", 50, 0, 0));
  r.objects.push_back(Car("f", "", 52, 0, kPi / 2));     // crosses e's rear
  auto f = RunChecks(*config.FindPipeline("lidar"), {Frame({r})});
  EXPECT_EQ(Count(f, "duplicate_box", "f0", "b"), 1);
  EXPECT_EQ(Count(f, "duplicate_box", "f0", "a"), 0);
  EXPECT_EQ(Count(f, "empty_box", "f0", "c"), 1);
  EXPECT_EQ(Count(f, "height_above_ground", "f0", "d"), 1);
  EXPECT_EQ(Count(f, "height_above_ground", "f0", "a"), 0);
  EXPECT_EQ(Count(f, "interpenetration"), 1);
}

// A car driving along world +x at 10 m/s while the ego drives at 8 m/s and turns: in the ego
// frame the car moves little and the ego's yaw changes, so only world coordinates show the track.
std::vector<FrameLabels> DrivingTask(int frames, const std::function<void(int, LabelRecord&)>& edit) {
  std::vector<FrameLabels> task;
  for (int k = 0; k < frames; ++k) {
    const double t = 0.5 * k;
    const double ex = 8 * t, ey = 1.0 * k, eyaw = 0.05 * k;
    LabelRecord r = Record("f" + std::to_string(k), t, fmt::format("[{},{},0,{}]", ex, ey, eyaw));
    const double wx = 20 + 10 * t, wy = 3;  // world position of the car
    const double c = std::cos(eyaw), s = std::sin(eyaw);
    const double x = c * (wx - ex) + s * (wy - ey), y = -s * (wx - ex) + c * (wy - ey);
    r.objects.push_back(Car("v" + std::to_string(k), "T1", x, y, -eyaw));
    edit(k, r);
    task.push_back(Frame({r}));
  }
  return task;
}

TEST(TrackChecks, CleanTrackInWorldCoordinatesHasNoFindings) {
  ProgramConfig config = Config();
  auto f = RunChecks(*config.FindPipeline("lidar"), DrivingTask(5, [](int, LabelRecord&) {}));
  for (const RawFinding& x : f) ADD_FAILURE() << x.row.check << " " << x.row.frame << " " << x.row.reason;
}

TEST(TrackChecks, HeadingFlipAgainstMotion) {
  ProgramConfig config = Config();
  auto task = DrivingTask(4, [](int k, LabelRecord& r) {
    if (k == 2) r.objects[0].box3d.yaw += kPi;
  });
  auto f = RunChecks(*config.FindPipeline("lidar"), task);
  EXPECT_EQ(Count(f, "track_heading_flip"), 1);
  EXPECT_EQ(Count(f, "track_heading_flip", "f2", "v2"), 1);
}

TEST(TrackChecks, PositionJumpDimensionsAndClassChange) {
  ProgramConfig config = Config();
  auto task = DrivingTask(5, [](int k, LabelRecord& r) {
    if (k == 2) r.objects[0].box3d.x += 1.0;
    if (k == 3) r.objects[0].box3d.l = 5.6;  // 24% longer than the others
    if (k == 4) r.objects[0].cls = "pedestrian";
  });
  auto f = RunChecks(*config.FindPipeline("lidar"), task);
  EXPECT_EQ(Count(f, "track_position_jump"), 1);
  EXPECT_EQ(Count(f, "track_position_jump", "f2"), 1);
  EXPECT_EQ(Count(f, "track_dimensions"), 1);
  EXPECT_EQ(Count(f, "track_dimensions", "f3"), 1);
  EXPECT_EQ(Count(f, "track_class_change"), 1);
  EXPECT_EQ(Count(f, "track_class_change", "f4"), 1);
}

TEST(TrackChecks, GapAndIdentitySwitch) {
  ProgramConfig config = Config();
  // Track T1 is missing in frame 2: a gap; in frame 3 and after it is labelled as T2.
  auto task = DrivingTask(5, [](int k, LabelRecord& r) {
    if (k >= 3) r.objects[0].track = "T2";
    if (k == 2) r.objects.clear();
  });
  auto f = RunChecks(*config.FindPipeline("lidar"), task);
  EXPECT_EQ(Count(f, "track_continuation"), 1);
  EXPECT_EQ(Count(f, "track_continuation", "f3", "v3"), 1);
  // Gap with a track present before and after.
  auto task2 = DrivingTask(5, [](int k, LabelRecord& r) {
    if (k == 2) r.objects.clear();
  });
  auto g = RunChecks(*config.FindPipeline("lidar"), task2);
  ASSERT_EQ(Count(g, "track_gap"), 1);
  for (const RawFinding& x : g) {
    if (x.row.check != "track_gap") continue;
    EXPECT_EQ(x.row.frame, "f2");
    EXPECT_TRUE(x.row.object_id.empty());
    EXPECT_EQ(x.row.type, ErrorType::kMissing);
    // Where the car is in frame 2's ego frame: world (30, 3), ego (8, 2, yaw 0.1).
    const double c = std::cos(0.1), s = std::sin(0.1);
    const double x2 = c * 22 + s * 1, y2 = -s * 22 + c * 1;
    EXPECT_NE(x.row.geometry_json.find(fmt::format("[{:.3f},{:.3f}", x2, y2)), std::string::npos)
        << x.row.geometry_json;
  }
}

TEST(TrackChecks, GapAndModelPredictionOfOneObjectAreOneQueueItem) {
  ProgramConfig config = Config();
  const PipelineSpec& spec = *config.FindPipeline("lidar");
  auto task = DrivingTask(5, [](int k, LabelRecord& r) {
    if (k == 2) r.objects.clear();
  });
  // The detector sees the car of the gap 0.3 m from the interpolated box, and another car that
  // no track explains.
  const double c = std::cos(0.1), s = std::sin(0.1);
  LabelRecord m = Record("f2", 1.0, "[8,2,0,0.1]", Source::kModel);
  m.objects = {Car("m1", "", c * 22 + s * 1 + 0.3, -s * 22 + c * 1, -0.1), Car("m2", "", 40, -12, 0)};
  for (Object& o : m.objects) o.score = 0.9;
  task[2].records.push_back(m);
  auto f = RunChecks(spec, task);
  ASSERT_EQ(Count(f, "track_gap"), 1);
  ASSERT_EQ(Count(f, "model_missing"), 2);
  std::string gap, near, far;
  for (const RawFinding& x : f) {
    if (x.row.check == "track_gap") gap = x.row.geometry_json;
    if (x.row.check == "model_missing") (x.row.geometry_json.find("40.000") != std::string::npos ? far : near) = x.row.geometry_json;
  }
  EXPECT_EQ(gap, near);  // the gap adopts the prediction's box
  EXPECT_NE(gap, far);
  std::vector<FindingRow> rows;
  for (RawFinding& x : f) {
    x.row.probability = 0.6;
    rows.push_back(x.row);
  }
  Queue q = BuildQueue("lidar", 5, rows, QueueOptions{});
  ASSERT_EQ(q.frames.size(), 1u);
  ASSERT_EQ(q.frames[0].items.size(), 2u);  // one item per suspected missing object
  EXPECT_NEAR(q.frames[0].items[0].probability, 1 - 0.4 * 0.4, 1e-12);
  EXPECT_EQ(q.frames[0].items[0].reasons.size(), 2u);
  EXPECT_NEAR(q.frames[0].items[1].probability, 0.6, 1e-12);
}

TEST(ModelChecks, MissingWrongClassExtraAndConfirmationOnGold) {
  ProgramConfig config = Config();
  const PipelineSpec& spec = *config.FindPipeline("cam");
  auto box = [](std::string id, std::string cls, double x, double y, std::optional<double> score = {}) {
    Object o;
    o.id = std::move(id);
    o.cls = std::move(cls);
    o.kind = GeometryKind::kBox2d;
    o.box2d = {x, y, 50, 40};
    o.score = score;
    return o;
  };
  LabelRecord v = Record("f0", 0, "");
  v.pipeline = "cam";
  v.objects = {box("a", "car", 100, 100), box("b", "car", 300, 100), box("c", "car", 600, 300)};
  LabelRecord m = Record("f0", 0, "", Source::kModel);
  m.pipeline = "cam";
  m.objects = {box("m1", "car", 101, 100, 0.9), box("m2", "cyclist", 302, 101, 0.8), box("m3", "car", 800, 100, 0.95),
               box("m4", "car", 900, 400, 0.1)};
  LabelRecord g = Record("f0", 0, "", Source::kGold);
  g.pipeline = "cam";
  g.objects = {box("g1", "car", 100, 100), box("g2", "cyclist", 300, 100), box("g3", "car", 800, 100)};
  auto f = RunChecks(spec, {Frame({v, m, g})});
  EXPECT_EQ(Count(f, "model_class", "f0", "b"), 1);
  EXPECT_EQ(Count(f, "model_extra", "f0", "c"), 1);
  ASSERT_EQ(Count(f, "model_missing"), 1);  // m4's score is below the minimum
  for (const RawFinding& x : f) {
    if (x.row.check == "model_missing") {
      EXPECT_EQ(x.row.geometry_json, R"({"box2d":[800.00,100.00,50.00,40.00]})");
      EXPECT_EQ(x.row.severity, Severity::kMajor);
      EXPECT_EQ(x.confirmed, std::optional<bool>(true));
    }
    if (x.row.check == "model_class") {
      EXPECT_EQ(x.confirmed, std::optional<bool>(true));
    }
    if (x.row.check == "model_extra") {
      EXPECT_EQ(x.confirmed, std::optional<bool>(true));  // gold has nothing at c either
    }
  }
}

RawFinding Raw(std::string check, double evidence, std::optional<bool> confirmed) {
  RawFinding f;
  f.row.check = std::move(check);
  f.row.evidence = evidence;
  f.row.safety_weight = 2;
  f.row.severity = Severity::kMajor;
  f.confirmed = confirmed;
  return f;
}

TEST(Calibration, SmoothedMonotoneShares) {
  std::vector<RawFinding> f;
  // Low evidence: 10 findings, 8 confirmed; high evidence: 10 findings, 2 confirmed: pooled.
  for (int i = 0; i < 10; ++i) f.push_back(Raw("x", 0.1, i < 8));
  for (int i = 0; i < 10; ++i) f.push_back(Raw("x", 0.9, i < 2));
  f.push_back(Raw("spec", 1.0, std::nullopt));
  auto cal = Calibrate(f, CalibrationOptions{5, 4});
  ASSERT_EQ(cal.size(), 1u);
  const auto& bins = cal[0].bins;
  for (size_t b = 1; b < bins.size(); ++b) EXPECT_LE(bins[b - 1].probability, bins[b].probability + 1e-12);
  // Everything pools into one block: (8 + 2 + 4 * (0.1 + 0.3 + 0.5 + 0.7 + 0.9)) / (20 + 20).
  EXPECT_NEAR(bins[0].probability, (10 + 4 * 2.5) / 40.0, 1e-12);
  ApplyCalibration(cal, f);
  EXPECT_NEAR(f[0].row.probability, 0.5, 1e-12);
  EXPECT_NEAR(f[0].row.score, 0.5 * 2 * 3, 1e-12);
  EXPECT_DOUBLE_EQ(f.back().row.probability, 1.0);  // not calibrated: its evidence
}

FindingRow Row(std::string frame, std::string object, ErrorType type, double p, double w = 1) {
  FindingRow r;
  r.pipeline = "lidar";
  r.frame = std::move(frame);
  r.producer = "a1";
  r.object_id = std::move(object);
  r.type = type;
  r.probability = p;
  r.safety_weight = w;
  r.severity = Severity::kMinor;
  r.check = "c";
  return r;
}

TEST(Queue, MergesRanksAndCuts) {
  std::vector<FindingRow> f = {Row("f1", "a", ErrorType::kSize, 0.5), Row("f1", "a", ErrorType::kSize, 0.5),
                               Row("f2", "b", ErrorType::kSize, 0.9, 2), Row("f3", "c", ErrorType::kSize, 0.2),
                               Row("f4", "d", ErrorType::kSize, 0.6)};
  QueueOptions o;
  o.min_probability = 0.3;
  Queue q = BuildQueue("lidar", 10, f, o);
  ASSERT_EQ(q.frames.size(), 3u);  // f3 is below the minimum probability
  EXPECT_EQ(q.frames[0].frame, "f2");
  EXPECT_NEAR(q.frames[0].score, 1.8, 1e-12);
  EXPECT_EQ(q.frames[1].frame, "f1");
  ASSERT_EQ(q.frames[1].items.size(), 1u);
  EXPECT_NEAR(q.frames[1].items[0].probability, 0.75, 1e-12);  // 1 - 0.5 * 0.5
  EXPECT_EQ(q.frames[1].items[0].reasons.size(), 2u);
  o.budget_frac = 0.2;
  q = BuildQueue("lidar", 10, f, o);
  EXPECT_EQ(q.budget_frames, 2);
  EXPECT_EQ(q.frames.size(), 2u);
}

TEST(Queue, ItemsOfOneFrameShareItsRankAndBudget) {
  // Frame names short enough for the small-string buffer: the frame is one entry however many
  // items it has, its score is the sum of theirs, and a budget of one frame takes all of them.
  std::vector<FindingRow> f = {Row("s/1", "a", ErrorType::kSize, 0.9), Row("s/2", "b", ErrorType::kSize, 0.8),
                               Row("s/1", "c", ErrorType::kHeading, 0.7), Row("s/1", "d", ErrorType::kPosition, 0.6)};
  QueueOptions o;
  Queue q = BuildQueue("lidar", 10, f, o);
  ASSERT_EQ(q.frames.size(), 2u);
  EXPECT_EQ(q.frames[0].frame, "s/1");
  EXPECT_EQ(q.frames[0].items.size(), 3u);
  EXPECT_NEAR(q.frames[0].score, 0.9 + 0.7 + 0.6, 1e-12);
  o.budget_frames = 1;
  q = BuildQueue("lidar", 10, f, o);
  ASSERT_EQ(q.frames.size(), 1u);
  EXPECT_EQ(q.frames[0].items.size(), 3u);
}

TEST(Queue, FloorDropsOnlyItemsBelowItAndKeepsTheQueue) {
  auto raw = [](FindingRow r) { return RawFinding(std::move(r)); };
  // f1/a: two findings of 0.03 combine to 0.0591, above 0.05: kept. f1/b: 0.04 alone: dropped.
  // f2/c: 0.01 and 0.6 of one item: kept, both. f2/d: 0.02: dropped. f3 recurs after f2: the
  // items are looked for across the whole list then.
  std::vector<RawFinding> f = {raw(Row("f1", "a", ErrorType::kExtra, 0.03)), raw(Row("f1", "b", ErrorType::kExtra, 0.04)),
                               raw(Row("f1", "a", ErrorType::kExtra, 0.03)), raw(Row("f2", "c", ErrorType::kSize, 0.01)),
                               raw(Row("f2", "d", ErrorType::kSize, 0.02)), raw(Row("f2", "c", ErrorType::kSize, 0.6))};
  std::vector<FindingRow> all;
  for (const RawFinding& x : f) all.push_back(x.row);
  std::vector<RawFinding> kept = f;
  EXPECT_EQ(DropBelowFloor(kept, 0.05), 2);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0].row.object_id, "a");
  EXPECT_EQ(kept[1].row.object_id, "a");
  EXPECT_EQ(kept[2].row.object_id, "c");
  EXPECT_EQ(kept[3].row.object_id, "c");
  // The queue at a minimum probability at or above the floor is the same.
  std::vector<FindingRow> rows;
  for (const RawFinding& x : kept) rows.push_back(x.row);
  QueueOptions o;
  o.min_probability = 0.05;
  const Queue a = BuildQueue("lidar", 10, all, o), b = BuildQueue("lidar", 10, rows, o);
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    EXPECT_EQ(a.frames[i].frame, b.frames[i].frame);
    EXPECT_EQ(a.frames[i].score, b.frames[i].score);
    ASSERT_EQ(a.frames[i].items.size(), b.frames[i].items.size());
    for (size_t k = 0; k < a.frames[i].items.size(); ++k) {
      EXPECT_EQ(a.frames[i].items[k].probability, b.frames[i].items[k].probability);
      EXPECT_EQ(a.frames[i].items[k].reasons, b.frames[i].items[k].reasons);
    }
  }
  // A frame that recurs (not contiguous): the same result.
  std::vector<RawFinding> g = f;
  g.push_back(raw(Row("f1", "b", ErrorType::kExtra, 0.5)));  // f1/b now has 0.5: kept
  EXPECT_EQ(DropBelowFloor(g, 0.05), 1);                      // only f2/d
  EXPECT_EQ(g.size(), 6u);
}

TEST(Auditors, RecallAndFalseAlarms) {
  std::vector<AuditedFrame> frames(2);
  frames[0].auditor = "qa1";
  frames[0].gold_errors = {{"o1", ErrorType::kHeadingFlip}, {"", ErrorType::kMissing}, {"o3", ErrorType::kSize}};
  frames[0].reported = {{"o1", ErrorType::kHeadingFlip}, {"", ErrorType::kMissing}, {"o9", ErrorType::kExtra}};
  frames[1].auditor = "qa1";
  frames[1].gold_errors = {{"o2", ErrorType::kWrongClass}};
  auto s = CalibrateAuditors(frames);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].frames, 2);
  EXPECT_EQ(s[0].gold_errors, 4);
  EXPECT_EQ(s[0].found, 2);
  EXPECT_DOUBLE_EQ(s[0].recall, 0.5);
  EXPECT_EQ(s[0].reported, 3);
  EXPECT_EQ(s[0].false_alarms, 1);
  EXPECT_NEAR(s[0].false_alarm_rate, 1.0 / 3, 1e-12);
}

}  // namespace
}  // namespace gtops::checks
