// Hand-computed cases for every error type of FORMAT.md's taxonomy, and properties of the
// comparison (a frame against itself, shuffled objects).
#include "quality/compare.h"

#include <algorithm>
#include <memory>
#include <numbers>
#include <random>

#include <gtest/gtest.h>

namespace gtops::quality {
namespace {

constexpr double kPi = std::numbers::pi;

PipelineSpec Box3dPipeline() {
  PipelineSpec p;
  p.id = "lidar";
  p.geometry = GeometryKind::kBox3d;
  p.match = {MatchRule::Kind::kBevIou, 0.3};
  p.tolerances.position_m = 0.3;
  p.tolerances.size_rel = 0.10;
  p.tolerances.heading_deg = 10.0;
  ClassSpec car;
  car.name = "car";
  car.safety_weight = 3.0;
  ClassSpec ped;
  ped.name = "pedestrian";
  ped.safety_weight = 5.0;
  ped.match = MatchRule{MatchRule::Kind::kCenterDistanceM, 1.0};
  p.classes = {car, ped};
  return p;
}

PipelineSpec Box2dPipeline() {
  PipelineSpec p;
  p.id = "cam";
  p.geometry = GeometryKind::kBox2d;
  p.match = {MatchRule::Kind::kIou, 0.5};
  p.tolerances.min_iou = 0.75;
  ClassSpec car;
  car.name = "car";
  p.classes = {car};
  return p;
}

Object Car3d(std::string id, double x, double y, double yaw = 0, double l = 4, double w = 2, double h = 1.5) {
  Object o;
  o.id = std::move(id);
  o.cls = "car";
  o.kind = GeometryKind::kBox3d;
  o.box3d = {x, y, h / 2, l, w, h, yaw};
  return o;
}

Object Box2(std::string id, double x, double y, double w, double h, std::string cls = "car") {
  Object o;
  o.id = std::move(id);
  o.cls = std::move(cls);
  o.kind = GeometryKind::kBox2d;
  o.box2d = {x, y, w, h};
  return o;
}

LabelRecord Record(Source source, std::vector<Object> objects) {
  LabelRecord r;
  r.pipeline = "p";
  r.frame = "f";
  r.task = "t";
  r.source = source;
  r.objects = std::move(objects);
  return r;
}

ErrorMask Bits(std::initializer_list<ErrorType> types) {
  ErrorMask m = 0;
  for (ErrorType t : types) m |= ErrorBit(t);
  return m;
}

// The outcomes of one comparison, owning the compared records (outcomes view into them).
class Compared {
 public:
  Compared(const PipelineSpec& p, LabelRecord labels, LabelRecord gold, CompareOptions options)
      : state_(std::make_unique<State>(State{std::move(labels), std::move(gold), {}})) {
    FrameComparer comparer(p, options);
    comparer.Compare(state_->labels, state_->gold, state_->out);
  }
  const Outcome& operator[](size_t i) const { return state_->out.outcomes.at(i); }
  size_t size() const { return state_->out.outcomes.size(); }
  auto begin() const { return state_->out.outcomes.begin(); }
  auto end() const { return state_->out.outcomes.end(); }

 private:
  struct State {
    LabelRecord labels, gold;
    FrameComparison out;
  };
  std::unique_ptr<State> state_;
};

Compared CompareFrame(const PipelineSpec& p, LabelRecord labels, LabelRecord gold,
                      CompareOptions options = {}) {
  return Compared(p, std::move(labels), std::move(gold), options);
}

TEST(Compare, FrameAgainstItselfHasNoErrors) {
  PipelineSpec p = Box3dPipeline();
  LabelRecord gold = Record(Source::kGold, {Car3d("a", 10, 0), Car3d("b", 20, 5, 1.0), Car3d("c", 10.5, 2.2)});
  gold.objects[1].attributes_json = R"({"moving":true,"occlusion":"none"})";
  auto outcomes = CompareFrame(p, gold, gold);
  ASSERT_EQ(outcomes.size(), 3u);
  for (const Outcome& o : outcomes) {
    EXPECT_EQ(o.kind, OutcomeKind::kPaired);
    EXPECT_EQ(o.errors, 0u);
    EXPECT_EQ(o.reference, o.label);
    EXPECT_DOUBLE_EQ(o.iou, 1.0);
    EXPECT_DOUBLE_EQ(o.center_error_m, 0.0);
  }
}

TEST(Compare, MissingReferenceObject) {
  PipelineSpec p = Box3dPipeline();
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0)}),
                      Record(Source::kGold, {Car3d("g1", 10, 0), Car3d("g2", 30, 0)}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kMissing);
  EXPECT_EQ(outcomes[1].errors, Bits({ErrorType::kMissing}));
  EXPECT_EQ(outcomes[1].reference, 1);
  EXPECT_DOUBLE_EQ(outcomes[1].range_m, 30.0);
  EXPECT_DOUBLE_EQ(outcomes[1].safety_weight, 3.0);
}

TEST(Compare, ExtraLabelTakesTheLabelsContext) {
  PipelineSpec p = Box3dPipeline();
  Object ped = Car3d("v2", 0, 40, 0, 0.6, 0.6, 1.7);
  ped.cls = "pedestrian";
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0), ped}),
                      Record(Source::kGold, {Car3d("g1", 10, 0)}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kExtra);
  EXPECT_EQ(outcomes[1].errors, Bits({ErrorType::kExtra}));
  EXPECT_EQ(outcomes[1].cls, "pedestrian");
  EXPECT_DOUBLE_EQ(outcomes[1].range_m, 40.0);
  EXPECT_DOUBLE_EQ(outcomes[1].safety_weight, 5.0);
}

TEST(Compare, SecondLabelOnAPairedReferenceIsADuplicate) {
  PipelineSpec p = Box3dPipeline();
  // v1 is exact (IoU 1); v2 shifted 1 m along x: BEV IoU = 3*2 / (8*2 - 6) = 0.6, passes the gate.
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0), Car3d("v2", 11, 0)}),
                      Record(Source::kGold, {Car3d("g1", 10, 0)}));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kPaired);
  EXPECT_EQ(outcomes[0].label, 0);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kDuplicate);
  EXPECT_EQ(outcomes[1].errors, Bits({ErrorType::kDuplicate}));
  EXPECT_EQ(outcomes[1].reference, 0);
  EXPECT_NEAR(outcomes[1].iou, 0.6, 1e-12);
}

TEST(Compare, WrongClassIsPairedNotMissingAndExtra) {
  PipelineSpec p = Box3dPipeline();
  Object truck = Car3d("v1", 10, 0);
  truck.cls = "truck";
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {truck}), Record(Source::kGold, {Car3d("g1", 10, 0)}));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kPaired);
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kWrongClass}));
  EXPECT_EQ(outcomes[0].cls, "car");
  EXPECT_EQ(outcomes[0].label_cls, "truck");
}

TEST(Compare, Box3dPositionBeyondTolerance) {
  PipelineSpec p = Box3dPipeline();
  // Centre moved by (0.3, 0.4): 0.5 m > 0.3 m.
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10.3, 0.4)}), Record(Source::kGold, {Car3d("g1", 10, 0)}));
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kPosition}));
  EXPECT_NEAR(outcomes[0].center_error_m, 0.5, 1e-12);
  // Footprints 4 x 2 offset by (0.3, 0.4): intersection 3.7 * 1.6 = 5.92; union 16 - 5.92.
  EXPECT_NEAR(outcomes[0].iou, 5.92 / 10.08, 1e-12);
}

TEST(Compare, Box3dSizeBeyondTolerance) {
  PipelineSpec p = Box3dPipeline();
  // l 4 -> 4.6: 15 % > 10 %; w and h equal.
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0, 0, 4.6)}), Record(Source::kGold, {Car3d("g1", 10, 0)}));
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kSize}));
  EXPECT_NEAR(outcomes[0].size_error_rel, 0.15, 1e-12);
}

TEST(Compare, Box3dHeadingBeyondTolerance) {
  PipelineSpec p = Box3dPipeline();
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0, 20 * kPi / 180)}),
                      Record(Source::kGold, {Car3d("g1", 10, 0)}));
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kHeading}));
  EXPECT_NEAR(outcomes[0].heading_error_deg, 20.0, 1e-9);
}

TEST(Compare, Box3dFlipIsOnlyHeadingFlip) {
  PipelineSpec p = Box3dPipeline();
  // Gold yaw 170 deg, label -175 deg: difference 345 deg folds to 15 deg (heading, not flip).
  auto folded = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0, -175 * kPi / 180)}),
                    Record(Source::kGold, {Car3d("g1", 10, 0, 170 * kPi / 180)}));
  EXPECT_EQ(folded[0].errors, Bits({ErrorType::kHeading}));
  EXPECT_NEAR(folded[0].heading_error_deg, 15.0, 1e-9);
  // Yaw + 178 deg: a flip; never also `heading`.
  auto flip = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0, 0.3 + 178 * kPi / 180)}),
                  Record(Source::kGold, {Car3d("g1", 10, 0, 0.3)}));
  EXPECT_EQ(flip[0].errors, Bits({ErrorType::kHeadingFlip}));
  EXPECT_NEAR(flip[0].heading_error_deg, 178.0, 1e-9);
  // 150 deg exactly is `heading` (a flip is above 150).
  auto edge = CompareFrame(p, Record(Source::kVendor, {Car3d("v1", 10, 0, 150 * kPi / 180, 2, 2)}),
                  Record(Source::kGold, {Car3d("g1", 10, 0, 0, 2, 2)}));
  EXPECT_EQ(edge[0].errors, Bits({ErrorType::kHeading}));
}

TEST(Compare, Box2dPositionWhenCentresMoveMoreThanSizesChange) {
  PipelineSpec p = Box2dPipeline();
  // Shifted 20 px right: IoU 80*100 / (2*10000 - 8000) = 2/3 < 0.75; centre offset 20, size diff 0.
  auto shifted = CompareFrame(p, Record(Source::kVendor, {Box2(("v1"), 120, 100, 100, 100)}),
                     Record(Source::kGold, {Box2("g1", 100, 100, 100, 100)}));
  EXPECT_EQ(shifted[0].errors, Bits({ErrorType::kPosition}));
  EXPECT_NEAR(shifted[0].iou, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(shifted[0].distance, 20.0, 1e-12);
}

TEST(Compare, Box2dSizeWhenSizesChangeMoreThanCentresMove) {
  PipelineSpec p = Box2dPipeline();
  // Right edge pulled in 30 px: IoU 70/100 = 0.7; centre moves 15, width changes 30.
  auto shrunk = CompareFrame(p, Record(Source::kVendor, {Box2("v1", 100, 100, 70, 100)}),
                    Record(Source::kGold, {Box2("g1", 100, 100, 100, 100)}));
  EXPECT_EQ(shrunk[0].errors, Bits({ErrorType::kSize}));
  EXPECT_NEAR(shrunk[0].iou, 0.7, 1e-12);
  EXPECT_NEAR(shrunk[0].size_error_rel, 0.3, 1e-12);
}

TEST(Compare, AttributeDifferenceNamesTheAttribute) {
  PipelineSpec p = Box3dPipeline();
  Object g = Car3d("g1", 10, 0);
  g.attributes_json = R"({"moving": true, "occlusion": "partial", "lights": 1})";
  Object v = Car3d("v1", 10, 0);
  v.attributes_json = R"({"occlusion":"heavy","moving":true,"lights":1.0,"extra":"x"})";
  FrameComparer comparer(p);
  FrameComparison out;
  LabelRecord labels = Record(Source::kVendor, {v}), gold = Record(Source::kGold, {g});
  comparer.Compare(labels, gold, out);
  ASSERT_EQ(out.outcomes.size(), 1u);
  EXPECT_EQ(out.outcomes[0].errors, Bits({ErrorType::kAttribute}));
  ASSERT_EQ(out.outcomes[0].attribute_end - out.outcomes[0].attribute_begin, 3u);
  std::vector<std::string> differing;
  for (uint32_t i = out.outcomes[0].attribute_begin; i < out.outcomes[0].attribute_end; ++i) {
    if (!out.attributes[i].equal) differing.emplace_back(out.attributes[i].name);
  }
  EXPECT_EQ(differing, std::vector<std::string>{"occlusion"});
}

TEST(Compare, LabelWithoutAttributesHasNoneCompared) {
  PipelineSpec p = Box3dPipeline();
  Object g = Car3d("g1", 10, 0);
  g.attributes_json = R"({"moving":true})";
  auto outcomes = CompareFrame(p, Record(Source::kModel, {Car3d("m1", 10, 0)}), Record(Source::kGold, {g}));
  EXPECT_EQ(outcomes[0].errors, 0u);
  EXPECT_EQ(outcomes[0].attribute_end, outcomes[0].attribute_begin);
}

TEST(Compare, PolylineGeometryBeyondTolerance) {
  PipelineSpec p;
  p.geometry = GeometryKind::kPolyline;
  p.match = {MatchRule::Kind::kPolylineMatchM, 1.5};
  p.tolerances.polyline_m = 0.3;
  Object g, near, far;
  g.cls = near.cls = far.cls = "lane_solid";
  g.kind = near.kind = far.kind = GeometryKind::kPolyline;
  g.geometry_json = "[[0,0],[10,0]]";
  near.geometry_json = "[[0,0.1],[10,0.1]]";  // mean symmetric distance 0.1
  far.geometry_json = "[[0,0.5],[10,0.5]]";   // 0.5 > 0.3, within the 1.5 m match
  auto ok = CompareFrame(p, Record(Source::kVendor, {near}), Record(Source::kGold, {g}));
  EXPECT_EQ(ok[0].errors, 0u);
  EXPECT_NEAR(ok[0].distance, 0.1, 1e-9);
  auto bad = CompareFrame(p, Record(Source::kVendor, {far}), Record(Source::kGold, {g}));
  EXPECT_EQ(bad[0].kind, OutcomeKind::kPaired);
  EXPECT_EQ(bad[0].errors, Bits({ErrorType::kGeometry}));
  EXPECT_NEAR(bad[0].distance, 0.5, 1e-9);
}

TEST(Compare, PolygonGeometryBelowMinIou) {
  PipelineSpec p;
  p.geometry = GeometryKind::kPolygon;
  p.match = {MatchRule::Kind::kIou, 0.5};
  p.tolerances.min_iou = 0.75;
  Object g, v;
  g.cls = v.cls = "crosswalk";
  g.kind = v.kind = GeometryKind::kPolygon;
  g.geometry_json = "[[0,0],[10,0],[10,10],[0,10]]";
  v.geometry_json = "[[0,0],[7,0],[7,10],[0,10]]";  // IoU 0.7
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {v}), Record(Source::kGold, {g}));
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kGeometry}));
  EXPECT_NEAR(outcomes[0].iou, 0.7, 1e-12);
}

TEST(Compare, MaskGeometryBelowMinIou) {
  PipelineSpec p;
  p.geometry = GeometryKind::kMask;
  p.match = {MatchRule::Kind::kIou, 0.5};
  p.tolerances.min_iou = 0.85;
  Object g, v;
  g.cls = v.cls = "drivable";
  g.kind = v.kind = GeometryKind::kMask;
  // 1 x 10 masks: gold pixels 0..9 all set; label pixels 0..7: IoU 0.8.
  g.geometry_json = R"({"size":[1,10],"counts":[0,10]})";
  v.geometry_json = R"({"size":[1,10],"counts":[0,8,2]})";
  auto outcomes = CompareFrame(p, Record(Source::kVendor, {v}), Record(Source::kGold, {g}));
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kGeometry}));
  EXPECT_NEAR(outcomes[0].iou, 0.8, 1e-12);
}

TEST(Compare, TagsEachDifferingTagNamed) {
  PipelineSpec p;
  p.geometry = GeometryKind::kTags;
  LabelRecord gold = Record(Source::kGold, {}), labels = Record(Source::kVendor, {});
  gold.tags_json = R"({"weather":"rain","time_of_day":"night","road":"urban"})";
  labels.tags_json = R"({"weather":"clear","time_of_day":"night","road":"urban"})";
  auto outcomes = CompareFrame(p, labels, gold);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].tag, "weather");
  EXPECT_EQ(outcomes[0].errors, Bits({ErrorType::kTag}));
  EXPECT_EQ(outcomes[1].errors, 0u);
  EXPECT_EQ(outcomes[2].errors, 0u);
}

TEST(Compare, PerClassRuleOverridesThePipelines) {
  PipelineSpec p = Box3dPipeline();
  // Pedestrians 0.5 x 0.5 with centres 0.8 m apart: no footprint overlap, but within 1.0 m.
  Object g = Car3d("g1", 10, 0, 0, 0.5, 0.5, 1.7), v = Car3d("v1", 10.8, 0, 0, 0.5, 0.5, 1.7);
  g.cls = v.cls = "pedestrian";
  auto ped = CompareFrame(p, Record(Source::kVendor, {v}), Record(Source::kGold, {g}));
  ASSERT_EQ(ped.size(), 1u);
  EXPECT_EQ(ped[0].kind, OutcomeKind::kPaired);
  EXPECT_EQ(ped[0].errors, Bits({ErrorType::kPosition}));
  EXPECT_DOUBLE_EQ(ped[0].iou, 0.0);
  // The same boxes as cars use the pipeline's bev_iou 0.3: missing and extra.
  g.cls = v.cls = "car";
  auto car = CompareFrame(p, Record(Source::kVendor, {v}), Record(Source::kGold, {g}));
  ASSERT_EQ(car.size(), 2u);
  EXPECT_EQ(car[0].kind, OutcomeKind::kMissing);
  EXPECT_EQ(car[1].kind, OutcomeKind::kExtra);
}

TEST(Compare, OptimalAssignmentBeatsGreedyNearestFirst) {
  PipelineSpec p = Box2dPipeline();
  // g1 [0,100] and g2 [60,160] in x; v1 at 30 overlaps both, v2 at 90 only g2... a greedy pass
  // that lets v1 take its best (g2?) would lose a pair; the assignment makes two pairs.
  LabelRecord gold = Record(Source::kGold, {Box2("g1", 0, 0, 100, 100), Box2("g2", 40, 0, 100, 100)});
  LabelRecord labels = Record(Source::kVendor, {Box2("v1", 20, 0, 100, 100), Box2("v2", 60, 0, 100, 100)});
  // IoU(v1,g1)=80/120, IoU(v1,g2)=80/120, IoU(v2,g1)=40/160 (< 0.5, forbidden), IoU(v2,g2)=80/120.
  auto outcomes = CompareFrame(p, labels, gold);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].label, 0);
  EXPECT_EQ(outcomes[1].label, 1);
}

TEST(Compare, GreedyByScoreLetsTheHighestScoreChooseFirst) {
  PipelineSpec p = Box2dPipeline();
  LabelRecord gold = Record(Source::kGold, {Box2("g1", 0, 0, 100, 100), Box2("g2", 40, 0, 100, 100)});
  Object low = Box2("m1", 20, 0, 100, 100), high = Box2("m2", 45, 0, 100, 100);
  low.score = 0.4;
  high.score = 0.9;
  LabelRecord model = Record(Source::kModel, {low, high});
  // m2 (0.9) goes first and takes g2 (IoU 95/105); m1 then takes g1 (IoU 80/120).
  auto greedy = CompareFrame(p, model, gold, {MatchMethod::kGreedyByScore});
  ASSERT_EQ(greedy.size(), 2u);
  EXPECT_EQ(greedy[0].label, 0);
  EXPECT_EQ(greedy[1].label, 1);
  EXPECT_FLOAT_EQ(greedy[1].score, 0.9f);
  // A lone low-score box that only overlaps g2 loses it to the high-score one: duplicate.
  Object dup = Box2("m3", 42, 0, 100, 100);
  dup.score = 0.1;
  auto with_dup = CompareFrame(p, Record(Source::kModel, {dup, high}), Record(Source::kGold, {Box2("g2", 40, 0, 100, 100)}),
                      {MatchMethod::kGreedyByScore});
  ASSERT_EQ(with_dup.size(), 2u);
  EXPECT_EQ(with_dup[0].label, 1);
  EXPECT_EQ(with_dup[1].kind, OutcomeKind::kDuplicate);
}

TEST(Compare, UnpairedInsideIgnoreRegionIsNeitherExtraNorMissing) {
  PipelineSpec p = Box2dPipeline();
  LabelRecord gold = Record(Source::kGold, {Box2("g1", 0, 0, 50, 50)});
  gold.ignore_json = "[[500,500,200,100],[[900,0],[1000,0],[1000,100],[900,100]]]";
  // v2's centre (550, 525) is inside the box region, v3's (950, 50) inside the polygon, v4 outside.
  LabelRecord labels = Record(Source::kVendor, {Box2("v1", 0, 0, 50, 50), Box2("v2", 540, 515, 20, 20),
                                                Box2("v3", 940, 40, 20, 20), Box2("v4", 300, 300, 20, 20)});
  auto outcomes = CompareFrame(p, labels, gold);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::kIgnored);
  EXPECT_EQ(outcomes[1].errors, 0u);
  EXPECT_EQ(outcomes[2].kind, OutcomeKind::kIgnored);
  EXPECT_EQ(outcomes[3].kind, OutcomeKind::kExtra);
}

TEST(Compare, TrackingIdSwitchAndFragmentation) {
  PipelineSpec p = Box3dPipeline();
  p.tracking = true;
  FrameComparer comparer(p);
  TrackHistory history;
  auto gold_at = [](double x) {
    Object g = Car3d("g", x, 0);
    g.track = "G";
    return Record(Source::kGold, {g});
  };
  auto label_at = [](double x, std::string track) {
    Object v = Car3d("v", x, 0);
    v.track = std::move(track);
    return Record(Source::kVendor, {v});
  };
  // Frames: paired with A, paired with A, unlabelled, paired with A (fragmentation), paired with B
  // (id switch).
  std::vector<LabelRecord> gold = {gold_at(10), gold_at(11), gold_at(12), gold_at(13), gold_at(14)};
  std::vector<LabelRecord> labels = {label_at(10, "A"), label_at(11, "A"), Record(Source::kVendor, {}),
                                     label_at(13, "A"), label_at(14, "B")};
  std::vector<ErrorMask> seen;
  for (size_t i = 0; i < gold.size(); ++i) {
    FrameComparison out;
    comparer.Compare(labels[i], gold[i], out, &history);
    history.Observe(out);
    seen.push_back(out.outcomes[0].errors);
  }
  EXPECT_EQ(seen[0], 0u);
  EXPECT_EQ(seen[1], 0u);
  EXPECT_EQ(seen[2], Bits({ErrorType::kMissing}));
  EXPECT_EQ(seen[3], Bits({ErrorType::kFragmentation}));
  EXPECT_EQ(seen[4], Bits({ErrorType::kIdSwitch}));
}

TEST(Compare, TrackingKeepsAContinuingPairWithinTheGate) {
  PipelineSpec p = Box2dPipeline();
  p.tracking = true;
  FrameComparer comparer(p);
  TrackHistory history;
  Object g = Box2("g", 0, 0, 100, 100);
  g.track = "G";
  Object a = Box2("a", 0, 0, 100, 100), b = Box2("b", 30, 0, 100, 100);
  a.track = "A";
  b.track = "B";
  LabelRecord gold = Record(Source::kGold, {g});
  FrameComparison out;
  LabelRecord first = Record(Source::kVendor, {b});
  comparer.Compare(first, gold, out, &history);
  history.Observe(out);
  // Next frame: A fits better (IoU 1) but B (IoU 70/130 >= 0.5) continues: CLEAR-MOT keeps B.
  LabelRecord second = Record(Source::kVendor, {a, b});
  comparer.Compare(second, gold, out, &history);
  history.Observe(out);
  EXPECT_EQ(out.outcomes[0].label, 1);
  EXPECT_EQ(out.outcomes[0].errors & ErrorBit(ErrorType::kIdSwitch), 0u);
}

TEST(Compare, ShufflingObjectsChangesNoOutcome) {
  PipelineSpec p = Box3dPipeline();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-40, 40), n(-0.2, 0.2), yaw(-3, 3);
  std::vector<Object> gold_objs, label_objs;
  for (int i = 0; i < 40; ++i) {
    double x = u(rng), y = u(rng), a = yaw(rng);
    gold_objs.push_back(Car3d("g" + std::to_string(i), x, y, a));
    if (i % 7 != 0) label_objs.push_back(Car3d("v" + std::to_string(i), x + n(rng), y + n(rng), a + n(rng)));
  }
  label_objs.push_back(Car3d("x", 100, 100));
  auto summarize = [&](const LabelRecord& labels, const LabelRecord& gold) {
    std::vector<std::tuple<std::string, std::string, ErrorMask, double>> rows;
    for (const Outcome& o : CompareFrame(p, labels, gold)) {
      rows.emplace_back(o.reference >= 0 ? gold.objects[static_cast<size_t>(o.reference)].id : "",
                        o.label >= 0 ? labels.objects[static_cast<size_t>(o.label)].id : "", o.errors,
                        std::isnan(o.iou) ? -1.0 : o.iou);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  LabelRecord gold = Record(Source::kGold, gold_objs), labels = Record(Source::kVendor, label_objs);
  auto before = summarize(labels, gold);
  std::shuffle(gold.objects.begin(), gold.objects.end(), rng);
  std::shuffle(labels.objects.begin(), labels.objects.end(), rng);
  EXPECT_EQ(summarize(labels, gold), before);
}

TEST(Compare, HeadingErrorFoldsIntoZeroTo180) {
  EXPECT_NEAR(HeadingErrorDeg(0, 2 * kPi), 0.0, 1e-9);
  EXPECT_NEAR(HeadingErrorDeg(-kPi / 2, kPi / 2), 180.0, 1e-9);
  EXPECT_NEAR(HeadingErrorDeg(0.1, -0.1 + 4 * kPi), 0.2 * 180 / kPi, 1e-9);
}

}  // namespace
}  // namespace gtops::quality
