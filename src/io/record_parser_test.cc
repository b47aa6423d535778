// RecordParser against the rules of shared/FORMAT.md, one test per rule: given a valid record
// (accepted), when exactly that rule is broken, then the record is rejected and the reason names
// the field (and, inside `objects`, the object's id). The records and the expected message
// fragments are written by hand from FORMAT.md; nothing is taken from the parser's own output.
#include "io/record_parser.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "io/record_parser_test_util.h"

namespace gtops {
namespace {

using ::testing::HasSubstr;

// One pipeline per geometry; `lidar` tracks, `boxes3d` does not.
constexpr std::string_view kToml = R"toml(
[program]
name = "parser test program"

[[vendors]]
id = "acme"

[[pipelines]]
id = "lidar"
geometry = "box3d"
tracking = true
match = { bev_iou = 0.3 }

[[pipelines]]
id = "boxes3d"
geometry = "box3d"
match = { center_distance_m = 1.0 }

[[pipelines]]
id = "cam"
geometry = "box2d"
match = { iou = 0.5 }

[[pipelines]]
id = "lanes"
geometry = "polyline"
match = { polyline_match_m = 0.5 }

[[pipelines]]
id = "areas"
geometry = "polygon"
match = { iou = 0.5 }

[[pipelines]]
id = "masks"
geometry = "mask"
match = { iou = 0.5 }

[[pipelines]]
id = "scene_tags"
geometry = "tags"
)toml";

// Valid records, one per kind and geometry (FORMAT.md's examples, adapted to the config above).
constexpr std::string_view kLidarVendor =
    R"({"pipeline":"lidar","batch":"b7","task":"t-123","frame":"scene-42/017",)"
    R"("timestamp":1730455351.2,"source":"vendor","vendor":"acme","annotator":"acme-a117",)"
    R"("spec_version":"3.2","labeled_at":"2026-11-01T10:22:31Z",)"
    R"("scene":{"weather":"rain","night":true,"speed_limit":50},"ego_pose":[1021.4,-33.2,0.0,1.571],)"
    R"("objects":[{"id":"o1","track":"trk-1","class":"car","box3d":[12.1,-3.4,0.9,4.5,1.9,1.6,0.1],)"
    R"("attributes":{"moving":true,"occlusion":"partial","lights":2},"num_points":57},)"
    R"({"id":"o7","track":"trk-9","class":"pedestrian","box3d":[5.0,2.0,0.9,0.7,0.6,1.75,1.52]}]})";

constexpr std::string_view kLidarModel =
    R"({"pipeline":"lidar","task":"t-123","frame":"scene-42/017","timestamp":1730455351.2,)"
    R"("source":"model","model":"pp-v3","objects":[)"
    R"({"id":"p1","class":"car","box3d":[12.0,-3.3,0.9,4.4,1.9,1.6,0.1],"score":0.93},)"
    R"({"id":"o7","class":"pedestrian","box3d":[5.0,2.0,0.9,0.7,0.6,1.75,1.52],"score":0.41}]})";

constexpr std::string_view kLidarGold =
    R"({"pipeline":"lidar","task":"t-123","frame":"scene-42/017","timestamp":1730455351.2,)"
    R"("source":"gold","ignore":[[30.0,4.0,0.5,6.0,6.0,2.0,0.0]],)"
    R"("objects":[{"id":"o7","track":"g-1","class":"pedestrian","box3d":[5.0,2.0,0.9,0.7,0.6,1.75,1.52]}]})";

constexpr std::string_view kBoxes3dVendor =
    R"({"pipeline":"boxes3d","batch":"b1","task":"t-1","frame":"f-1","source":"vendor",)"
    R"("vendor":"acme","annotator":"a1","objects":[{"id":"o7","class":"car",)"
    R"("box3d":[1.0,2.0,0.8,4.0,1.8,1.6,0.0]}]})";

constexpr std::string_view kCamVendor =
    R"({"pipeline":"cam","batch":"b1","task":"t-2","frame":"f-2/CAM_FRONT","sensor":"CAM_FRONT",)"
    R"("source":"vendor","vendor":"acme","annotator":"a1",)"
    R"("objects":[{"id":"o7","class":"car","box2d":[10,20,30.5,40]}]})";

constexpr std::string_view kCamGold =
    R"({"pipeline":"cam","task":"t-2","frame":"f-2/CAM_FRONT","source":"gold",)"
    R"("ignore":[[0,0,50,50]],"objects":[{"id":"o7","class":"car","box2d":[10,20,30.5,40]}]})";

constexpr std::string_view kLanesVendor =
    R"({"pipeline":"lanes","batch":"b1","task":"t-3","frame":"f-3","source":"vendor",)"
    R"("vendor":"acme","annotator":"a1","objects":[)"
    R"({"id":"l1","class":"lane","polyline":[[0,0],[10,0.5],[20,1.5]]},)"
    R"({"id":"o7","class":"curb","polyline":[[0,3,0.1],[15,3.5,0.2]]}]})";

constexpr std::string_view kAreasVendor =
    R"({"pipeline":"areas","batch":"b1","task":"t-4","frame":"f-4","source":"vendor",)"
    R"("vendor":"acme","annotator":"a1","objects":[)"
    R"({"id":"a1","class":"road","polygon":[[0,0],[10,0],[10,10],[0,10]]},)"
    R"({"id":"o7","class":"road","polygon":[[[0,0],[4,0],[4,4]],[[10,10],[14,10],[14,14],[10,14]]]}]})";

// Mask counts, COCO column-major RLE: [1, 2, 3] sums to 2 x 3. The compressed string for
// [1, 2, 3, 4] (2 x 5) is "1232": each count is one 5-bit group + '0', and the 4th is stored as
// the difference from the 2nd (4 - 2 = 2), by hand from COCO's rleToString.
constexpr std::string_view kMasksVendor =
    R"({"pipeline":"masks","batch":"b1","task":"t-5","frame":"f-5","source":"vendor",)"
    R"("vendor":"acme","annotator":"a1","objects":[)"
    R"({"id":"m1","class":"car","mask":{"size":[2,3],"counts":[1,2,3]}},)"
    R"({"id":"o7","class":"car","mask":{"size":[2,5],"counts":"1232"}}]})";

constexpr std::string_view kTagsVendor =
    R"({"pipeline":"scene_tags","batch":"b1","task":"t-6","frame":"f-6","source":"vendor",)"
    R"("vendor":"acme","annotator":"a1","tags":{"weather":"rain","lanes":2,"night":false},)"
    R"("objects":[]})";

constexpr std::string_view kEvent =
    R"({"task":"t-123","pipeline":"lidar","batch":"b7","event":"submitted",)"
    R"("at":"2026-11-02T08:00:00Z","vendor":"acme","annotator":"acme-a117","cost_usd":4.20,)"
    R"("work_s":1260,"object_count":42})";

constexpr std::string_view kCreatedEvent =
    R"({"task":"t-123","pipeline":"lidar","event":"created","at":"2026-11-01T08:00:00Z",)"
    R"("due":"2026-11-05T08:00:00+01:00"})";

constexpr std::string_view kAudit =
    R"({"task":"t-123","frame":"scene-42/017","pipeline":"lidar","batch":"b7","vendor":"acme",)"
    R"("annotator":"acme-a117","auditor":"qa-03","at":"2026-11-03T09:12:00Z","verdict":"fail",)"
    R"("objects_reviewed":42,"work_s":300,"errors":[{"object":"o7","type":"heading_flip",)"
    R"("severity":"major"},{"type":"missing","class":"cyclist","severity":"critical",)"
    R"("note":"behind parked van"}]})";

// `base` with the only occurrence of `from` replaced by `to` (the test fails when `from` does not
// occur exactly once, so a test cannot silently break nothing).
std::string With(std::string_view base, std::string_view from, std::string_view to) {
  std::string s(base);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "\"" << from << "\" not in " << base;
  if (at == std::string::npos) return s;
  EXPECT_EQ(s.find(from, at + 1), std::string::npos) << "\"" << from << "\" twice in " << base;
  s.replace(at, from.size(), to);
  return s;
}

std::string Without(std::string_view base, std::string_view field) { return With(base, field, ""); }

class RecordParserTest : public ::testing::Test {
 protected:
  static const ProgramConfig& Config() {
    static const ProgramConfig config = [] {
      auto c = ParseConfig(kToml, "test.toml");
      EXPECT_TRUE(c.ok()) << c.status().message();
      return c.ok() ? std::move(*c) : ProgramConfig{};
    }();
    return config;
  }

  // The reason of the rejection, or "<accepted>". The line is passed without padding, so the
  // parser must copy it (the padded path is tested separately).
  std::string Reason(std::string_view line) {
    Status s = parser_.Parse(line, line.size(), record_);
    if (s.ok()) return "<accepted>";
    EXPECT_EQ(s.code(), StatusCode::kBadInput);
    return s.message();
  }

  void ExpectAccepted(std::string_view line) { EXPECT_EQ(Reason(line), "<accepted>") << line; }

  // Rejected, with every fragment in the reason.
  template <typename... Fragments>
  void ExpectRejected(std::string_view line, const Fragments&... fragments) {
    const std::string reason = Reason(line);
    EXPECT_NE(reason, "<accepted>") << line;
    for (std::string_view fragment : {std::string_view(fragments)...}) {
      EXPECT_THAT(reason, HasSubstr(std::string(fragment))) << line;
    }
  }

  RecordParser parser_{Config()};
  ParsedRecord record_;
};

// ---- valid records -------------------------------------------------------------------------

TEST_F(RecordParserTest, ValidRecordsOfEveryKindAndGeometryAreAccepted) {
  for (std::string_view line : {kLidarVendor, kLidarModel, kLidarGold, kBoxes3dVendor, kCamVendor,
                                kCamGold, kLanesVendor, kAreasVendor, kMasksVendor, kTagsVendor,
                                kEvent, kCreatedEvent, kAudit}) {
    ExpectAccepted(line);
  }
}

TEST_F(RecordParserTest, ValidLabelRecordIsReadFieldByField) {
  ASSERT_EQ(Reason(kLidarVendor), "<accepted>");
  ASSERT_EQ(record_.kind, RecordKind::kLabels);
  const LabelRecord& r = record_.labels;
  EXPECT_EQ(r.pipeline, "lidar");
  EXPECT_EQ(r.batch, "b7");
  EXPECT_EQ(r.task, "t-123");
  EXPECT_EQ(r.frame, "scene-42/017");
  EXPECT_EQ(r.source, Source::kVendor);
  EXPECT_EQ(r.vendor, "acme");
  EXPECT_EQ(r.annotator, "acme-a117");
  ASSERT_TRUE(r.timestamp.has_value());
  EXPECT_DOUBLE_EQ(*r.timestamp, 1730455351.2);
  ASSERT_EQ(r.objects.size(), 2u);
  const Object& o = r.objects[1];
  EXPECT_EQ(o.id, "o7");
  EXPECT_EQ(o.track, "trk-9");
  EXPECT_EQ(o.cls, "pedestrian");
  EXPECT_DOUBLE_EQ(o.box3d.x, 5.0);
  EXPECT_DOUBLE_EQ(o.box3d.l, 0.7);
  EXPECT_DOUBLE_EQ(o.box3d.w, 0.6);
  EXPECT_DOUBLE_EQ(o.box3d.h, 1.75);
  EXPECT_DOUBLE_EQ(o.box3d.yaw, 1.52);
  EXPECT_EQ(r.objects[0].num_points, 57);
  EXPECT_FALSE(r.objects[0].score.has_value());
}

TEST_F(RecordParserTest, ValidEventAndAuditAreReadFieldByField) {
  ASSERT_EQ(Reason(kEvent), "<accepted>");
  ASSERT_EQ(record_.kind, RecordKind::kEvent);
  EXPECT_EQ(record_.event.kind, EventKind::kSubmitted);
  EXPECT_EQ(record_.event.at_epoch_ms, 1793606400000);  // 2026-11-02T08:00:00Z, by `date -d`
  EXPECT_EQ(record_.event.object_count, 42);
  ASSERT_TRUE(record_.event.cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*record_.event.cost_usd, 4.20);

  ASSERT_EQ(Reason(kCreatedEvent), "<accepted>");
  ASSERT_TRUE(record_.event.due_epoch_ms.has_value());
  EXPECT_EQ(*record_.event.due_epoch_ms, 1793862000000);  // 2026-11-05T07:00:00Z, by `date -d`

  ASSERT_EQ(Reason(kAudit), "<accepted>");
  ASSERT_EQ(record_.kind, RecordKind::kAudit);
  EXPECT_FALSE(record_.audit.pass);
  ASSERT_EQ(record_.audit.errors.size(), 2u);
  EXPECT_EQ(record_.audit.errors[0].type, ErrorType::kHeadingFlip);
  EXPECT_EQ(record_.audit.errors[0].object, "o7");
  EXPECT_EQ(record_.audit.errors[1].severity, Severity::kCritical);
}

TEST_F(RecordParserTest, PaddedAndUnpaddedLinesParseAlike) {
  std::string padded(kLidarVendor);
  padded.append(64, '\0');
  ParsedRecord in_place;
  ASSERT_TRUE(parser_.Parse(std::string_view(padded.data(), kLidarVendor.size()), padded.size(),
                            in_place).ok());
  ASSERT_EQ(Reason(kLidarVendor), "<accepted>");
  EXPECT_EQ(in_place.content_hash, record_.content_hash);
  EXPECT_EQ(in_place.labels.objects.size(), 2u);
}

TEST_F(RecordParserTest, UnknownFieldsAreIgnored) {
  ExpectAccepted(With(kLidarVendor, R"("frame":)", R"("x_future":{"a":[1,{}]},"frame":)"));
  ExpectAccepted(With(kLidarVendor, R"("class":"pedestrian")", R"("class":"pedestrian","note":null)"));
}

// ---- the line as a whole -------------------------------------------------------------------

TEST_F(RecordParserTest, InvalidJsonIsRejected) {
  ExpectRejected(R"({"pipeline":"lidar","objects":[)", "invalid JSON");
  ExpectRejected(R"({"pipeline":'lidar'})", "invalid JSON");
  ExpectRejected(std::string(kEvent) + ",", "invalid JSON");
}

TEST_F(RecordParserTest, NonObjectRecordIsRejected) {
  ExpectRejected("[1,2,3]", "must be a JSON object", "array");
  ExpectRejected(R"("objects")", "must be a JSON object", "string");
  ExpectRejected("42", "must be a JSON object", "number");
  ExpectRejected("null", "must be a JSON object");
}

TEST_F(RecordParserTest, RecordWithoutDiscriminatingKeyIsRejected) {
  ExpectRejected(Without(kEvent, R"("event":"submitted",)"), "no discriminating key", "\"objects\"",
                 "\"event\"", "\"verdict\"");
}

TEST_F(RecordParserTest, RecordWithSeveralDiscriminatingKeysIsRejected) {
  ExpectRejected(With(kEvent, R"("event":)", R"("objects":[],"event":)"),
                 "more than one discriminating key", "\"objects\"", "\"event\"");
  ExpectRejected(With(kAudit, R"("verdict":)", R"("event":"created","verdict":)"),
                 "more than one discriminating key", "\"event\"", "\"verdict\"");
}

TEST_F(RecordParserTest, DuplicateKeyIsRejected) {
  ExpectRejected(With(kLidarVendor, R"("frame":)", R"("task":"t-9","frame":)"),
                 R"(duplicate key "task")");
  ExpectRejected(With(kLidarVendor, R"("class":"pedestrian")", R"("class":"pedestrian","class":"car")"),
                 "objects[1]", R"(duplicate key "class")");
  ExpectRejected(With(kAudit, R"("severity":"major")", R"("severity":"major","type":"size")"),
                 "errors[0]", R"(duplicate key "type")");
}

// A key inside a map-valued field given twice makes its value ambiguous: which weather was it?
TEST_F(RecordParserTest, DuplicateKeyInsideSceneAttributesTagsOrMaskIsRejected) {
  ExpectRejected(With(kLidarVendor, R"("weather":"rain")", R"("weather":"rain","weather":"snow")"),
                 "scene", R"(duplicate key "weather")");
  ExpectRejected(With(kLidarVendor, R"("moving":true)", R"("moving":true,"moving":false)"),
                 R"(object "o1")", R"(duplicate key "moving")");
  ExpectRejected(With(kTagsVendor, R"("lanes":2)", R"("lanes":2,"lanes":3)"), "tags",
                 R"(duplicate key "lanes")");
  ExpectRejected(With(kMasksVendor, R"("counts":"1232")", R"("counts":"1232","size":[5,2])"),
                 R"(object "o7")", R"(duplicate key "size")");
}

// ---- labels: record fields -----------------------------------------------------------------

TEST_F(RecordParserTest, LabelsRequirePipeline) {
  ExpectRejected(Without(kLidarVendor, R"("pipeline":"lidar",)"), R"(missing required field "pipeline")");
}

TEST_F(RecordParserTest, LabelsRequireTask) {
  ExpectRejected(Without(kLidarVendor, R"("task":"t-123",)"), R"(missing required field "task")");
}

TEST_F(RecordParserTest, LabelsRequireFrame) {
  ExpectRejected(Without(kLidarVendor, R"("frame":"scene-42/017",)"), R"(missing required field "frame")");
}

TEST_F(RecordParserTest, LabelsRequireSource) {
  ExpectRejected(Without(kLidarVendor, R"("source":"vendor",)"), R"(missing required field "source")");
}

TEST_F(RecordParserTest, RequiredStringMustNotBeEmpty) {
  ExpectRejected(With(kLidarVendor, R"("frame":"scene-42/017")", R"("frame":"")"),
                 R"(field "frame" must not be empty)");
}

TEST_F(RecordParserTest, ObjectsMustBeAnArray) {
  ExpectRejected(With(kTagsVendor, R"("objects":[])", R"("objects":{})"),
                 R"(field "objects" must be an array (got object))");
}

TEST_F(RecordParserTest, StringFieldOfWrongTypeIsRejected) {
  ExpectRejected(With(kLidarVendor, R"("task":"t-123")", R"("task":123)"),
                 R"(field "task" must be a string (got number))");
  ExpectRejected(With(kLidarVendor, R"("spec_version":"3.2")", R"("spec_version":3.2)"),
                 R"(field "spec_version" must be a string (got number))");
  ExpectRejected(With(kCamVendor, R"("sensor":"CAM_FRONT")", R"("sensor":["CAM_FRONT"])"),
                 R"(field "sensor" must be a string (got array))");
}

TEST_F(RecordParserTest, TimestampMustBeANumber) {
  ExpectRejected(With(kLidarVendor, R"("timestamp":1730455351.2)", R"("timestamp":"1730455351.2")"),
                 R"(field "timestamp" must be a number (got string))");
}

TEST_F(RecordParserTest, UnknownPipelineIsRejected) {
  ExpectRejected(With(kLidarVendor, R"("pipeline":"lidar")", R"("pipeline":"radar")"),
                 R"(unknown pipeline "radar")");
  ExpectRejected(With(kEvent, R"("pipeline":"lidar")", R"("pipeline":"radar")"),
                 R"(unknown pipeline "radar")");
  ExpectRejected(With(kAudit, R"("pipeline":"lidar")", R"("pipeline":"radar")"),
                 R"(unknown pipeline "radar")");
}

TEST_F(RecordParserTest, SourceMustBeVendorGoldOrModel) {
  ExpectRejected(With(kLidarGold, R"("source":"gold")", R"("source":"expert")"),
                 R"(field "source")", R"("expert")");
  ExpectRejected(With(kLidarGold, R"("source":"gold")", R"("source":"Gold")"), R"(field "source")");
}

TEST_F(RecordParserTest, ConsensusSourceIsRefusedInInput) {
  ExpectRejected(With(kLidarGold, R"("source":"gold")", R"("source":"consensus")"),
                 R"(field "source")", R"("consensus")");
}

TEST_F(RecordParserTest, VendorRecordsRequireBatch) {
  ExpectRejected(Without(kLidarVendor, R"("batch":"b7",)"), R"(missing required field "batch")");
  ExpectAccepted(kLidarGold);  // gold records carry no batch
}

TEST_F(RecordParserTest, VendorRecordsRequireVendor) {
  ExpectRejected(Without(kLidarVendor, R"("vendor":"acme",)"), R"(missing required field "vendor")");
}

TEST_F(RecordParserTest, VendorRecordsRequireAnnotator) {
  ExpectRejected(Without(kLidarVendor, R"("annotator":"acme-a117",)"),
                 R"(missing required field "annotator")");
}

TEST_F(RecordParserTest, ModelRecordsRequireModel) {
  ExpectRejected(Without(kLidarModel, R"("model":"pp-v3",)"), R"(missing required field "model")");
}

TEST_F(RecordParserTest, TrackingPipelinesRequireTimestamp) {
  ExpectRejected(Without(kLidarVendor, R"("timestamp":1730455351.2,)"),
                 R"(missing required field "timestamp")", R"("lidar")");
  ExpectRejected(Without(kLidarModel, R"("timestamp":1730455351.2,)"),
                 R"(missing required field "timestamp")");
  ExpectAccepted(kBoxes3dVendor);  // no timestamp, not tracking
}

TEST_F(RecordParserTest, LabeledAtMustBeRfc3339) {
  ExpectRejected(With(kLidarVendor, "2026-11-01T10:22:31Z", "2026-11-01 10:22"),
                 R"(field "labeled_at")", "RFC 3339", "2026-11-01 10:22");
  ExpectRejected(With(kLidarVendor, "2026-11-01T10:22:31Z", "2026-11-01T10:22:31"),  // no offset
                 R"(field "labeled_at")", "RFC 3339");
  ExpectRejected(With(kLidarVendor, "2026-11-01T10:22:31Z", "2026-02-30T10:22:31Z"),
                 R"(field "labeled_at")", "RFC 3339");
  ExpectAccepted(With(kLidarVendor, "2026-11-01T10:22:31Z", "2026-11-01T10:22:31.250-07:00"));
}

TEST_F(RecordParserTest, SceneValuesMustBeScalars) {
  ExpectRejected(With(kLidarVendor, R"("weather":"rain")", R"("weather":["rain"])"),
                 R"(scene "weather" must be a string, number or boolean (got array))");
  ExpectRejected(With(kLidarVendor, R"("weather":"rain")", R"("weather":null)"),
                 R"(scene "weather")", "null");
  ExpectRejected(With(kLidarVendor, R"("scene":{)", R"("scene":"rain","x":{)"),
                 R"(field "scene" must be an object (got string))");
}

TEST_F(RecordParserTest, EgoPoseHasFourOrSevenNumbers) {
  ExpectAccepted(With(kLidarVendor, "[1021.4,-33.2,0.0,1.571]", "[1021.4,-33.2,0.0,1,0,0,0]"));
  ExpectRejected(With(kLidarVendor, "[1021.4,-33.2,0.0,1.571]", "[1021.4,-33.2,0.0]"),
                 R"(field "ego_pose")", "[x, y, z, yaw] or [x, y, z, qw, qx, qy, qz]");
  ExpectRejected(With(kLidarVendor, "[1021.4,-33.2,0.0,1.571]", "[1021.4,-33.2,0.0,1.571,0]"),
                 R"(field "ego_pose")");
  ExpectRejected(With(kLidarVendor, "[1021.4,-33.2,0.0,1.571]", R"([1021.4,-33.2,0.0,"north"])"),
                 "ego_pose value 4 must be a number (got string)");
}

TEST_F(RecordParserTest, IgnoreRegionsOnlyOnGold) {
  ExpectRejected(With(kLidarVendor, R"("objects":)", R"("ignore":[],"objects":)"),
                 R"(field "ignore" is only for gold records (source is "vendor"))");
  ExpectRejected(With(kLidarModel, R"("objects":)", R"("ignore":[],"objects":)"),
                 R"(field "ignore" is only for gold records (source is "model"))");
}

TEST_F(RecordParserTest, IgnoreRegionsAreInThePipelinesGeometry) {
  ExpectRejected(With(kCamGold, "[[0,0,50,50]]", "[[0,0,50,-5]]"),
                 "ignore region 1 height must be > 0 (got -5)");
  ExpectRejected(With(kLidarGold, "[[30.0,4.0,0.5,6.0,6.0,2.0,0.0]]", "[[30.0,4.0,0.5,6.0]]"),
                 "ignore region 1 must have 7 numbers (got 4)");
  ExpectRejected(With(kCamGold, "[[0,0,50,50]]", R"({"box2d":[0,0,5,5]})"),
                 R"(field "ignore" must be an array)");
}

TEST_F(RecordParserTest, TagsAreRequiredForTagsPipelines) {
  ExpectRejected(Without(kTagsVendor, R"("tags":{"weather":"rain","lanes":2,"night":false},)"),
                 R"(missing required field "tags")", R"("scene_tags")");
}

TEST_F(RecordParserTest, TagsAreRefusedOnOtherPipelines) {
  ExpectRejected(With(kBoxes3dVendor, R"("objects":)", R"("tags":{"weather":"rain"},"objects":)"),
                 R"(field "tags" is only for pipelines with geometry "tags")", R"("boxes3d")");
}

TEST_F(RecordParserTest, TagsValuesMustBeScalars) {
  ExpectRejected(With(kTagsVendor, R"("lanes":2)", R"("lanes":{"n":2})"),
                 R"(tags "lanes" must be a string, number or boolean (got object))");
}

TEST_F(RecordParserTest, TagsPipelinesHaveNoObjects) {
  ExpectRejected(With(kTagsVendor, R"("objects":[])",
                      R"("objects":[{"id":"o7","class":"car","box2d":[1,1,2,2]}])"),
                 R"(object "o7")", "objects must be empty");
}

// ---- labels: objects -----------------------------------------------------------------------

TEST_F(RecordParserTest, ObjectMustBeAnObject) {
  ExpectRejected(With(kBoxes3dVendor, R"("objects":[)", R"("objects":[7,)"),
                 "objects[0] must be an object (got number)");
}

TEST_F(RecordParserTest, ObjectRequiresId) {
  ExpectRejected(Without(kLidarVendor, R"("id":"o7",)"), "objects[1]", R"(missing required field "id")");
  ExpectRejected(With(kLidarVendor, R"("id":"o7")", R"("id":7)"), "objects[1]",
                 R"(field "id" must be a string (got number))");
}

TEST_F(RecordParserTest, ObjectRequiresClass) {
  ExpectRejected(Without(kLidarVendor, R"("class":"pedestrian",)"), R"(object "o7")",
                 R"(missing required field "class")");
}

TEST_F(RecordParserTest, ClassNotInThePipelineIsAccepted) {
  ExpectAccepted(With(kLidarVendor, R"("class":"pedestrian")", R"("class":"unicorn")"));
}

TEST_F(RecordParserTest, ObjectIdsAreUniqueWithinARecord) {
  ExpectRejected(With(kLidarVendor, R"("id":"o1")", R"("id":"o7")"), R"(object "o7")",
                 "duplicate object id");
}

TEST_F(RecordParserTest, TrackIsRequiredOnVendorAndGoldOfTrackingPipelines) {
  ExpectRejected(Without(kLidarVendor, R"("track":"trk-9",)"), R"(object "o7")",
                 R"(missing required field "track")");
  ExpectRejected(Without(kLidarGold, R"("track":"g-1",)"), R"(object "o7")",
                 R"(missing required field "track")");
}

TEST_F(RecordParserTest, TrackIsOptionalForModelAndForNonTrackingPipelines) {
  ExpectAccepted(kLidarModel);     // no track
  ExpectAccepted(kBoxes3dVendor);  // no track, not tracking
  ExpectRejected(With(kLidarModel, R"("id":"p1",)", R"("id":"p1","track":5,)"), R"(object "p1")",
                 R"(field "track" must be a string (got number))");
}

TEST_F(RecordParserTest, ObjectWithoutGeometryIsRejected) {
  ExpectRejected(Without(kLidarVendor, R"(,"box3d":[5.0,2.0,0.9,0.7,0.6,1.75,1.52])"),
                 R"(object "o7")", "missing geometry", R"("box3d")");
}

TEST_F(RecordParserTest, ObjectWithSeveralGeometriesIsRejected) {
  ExpectRejected(With(kCamVendor, R"("box2d":)", R"("polygon":[[0,0],[1,0],[1,1]],"box2d":)"),
                 R"(object "o7")", "more than one geometry key");
}

TEST_F(RecordParserTest, GeometryOfAnotherPipelineIsRejected) {
  ExpectRejected(With(kCamVendor, R"("box2d":[10,20,30.5,40])", R"("box3d":[1,2,0.5,4,2,1.5,0])"),
                 R"(object "o7")", R"(geometry "box3d" does not match pipeline "cam")", R"("box2d")");
}

TEST_F(RecordParserTest, Box2dHasFourNumbers) {
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,30.5]"), R"(object "o7")",
                 "box2d must have 4 numbers (got 3)");
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,30.5,40,1]"), R"(object "o7")",
                 "box2d must have 4 numbers (got 5)");
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", R"([10,"20",30.5,40])"), R"(object "o7")",
                 "box2d value 2 must be a number (got string)");
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", R"({"x":10})"), R"(object "o7")",
                 "box2d must be an array of 4 numbers (got object)");
}

TEST_F(RecordParserTest, Box2dSizesArePositive) {
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,0,40]"), R"(object "o7")",
                 "box2d width must be > 0 (got 0)");
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,30.5,-4]"), R"(object "o7")",
                 "box2d height must be > 0 (got -4)");
  ExpectAccepted(With(kCamVendor, "[10,20,30.5,40]", "[-10,-20,30.5,40]"));  // corner may be < 0
}

TEST_F(RecordParserTest, Box3dHasSevenNumbers) {
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,0.7,0.6,1.75]"),
                 R"(object "o7")", "box3d must have 7 numbers (got 6)");
}

TEST_F(RecordParserTest, Box3dSizesArePositive) {
  // The example of STYLE.md, to the letter.
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,-1.2,0.6,1.75,1.52]"),
                 R"(object "o7": box3d length must be > 0 (got -1.2))");
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,0.7,0,1.75,1.52]"),
                 R"(object "o7": box3d width must be > 0 (got 0))");
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,0.7,0.6,-0.5,1.52]"),
                 R"(object "o7": box3d height must be > 0 (got -0.5))");
}

TEST_F(RecordParserTest, PolylineHasAtLeastTwoPoints) {
  ExpectRejected(With(kLanesVendor, "[[0,3,0.1],[15,3.5,0.2]]", "[[0,3,0.1]]"), R"(object "o7")",
                 "polyline must have at least 2 points (got 1)");
  ExpectRejected(With(kLanesVendor, "[[0,3,0.1],[15,3.5,0.2]]", "[]"), R"(object "o7")",
                 "polyline must have at least 2 points (got 0)");
}

TEST_F(RecordParserTest, PolylinePointsHaveTwoOrThreeCoordinatesAlike) {
  ExpectRejected(With(kLanesVendor, "[[0,3,0.1],[15,3.5,0.2]]", "[[0,3,0.1],[15,3.5]]"),
                 R"(object "o7")", "polyline point 2 has 2 coordinates but point 1 has 3");
  ExpectRejected(With(kLanesVendor, "[[0,3,0.1],[15,3.5,0.2]]", "[[0,3,0.1,1],[15,3.5,0.2,1]]"),
                 R"(object "o7")", "polyline point 1 must be [x, y] or [x, y, z] (got 4 values)");
  ExpectRejected(With(kLanesVendor, "[[0,3,0.1],[15,3.5,0.2]]", R"([[0,3],[15,"a"]])"),
                 R"(object "o7")", "polyline point 2 must hold numbers (got string)");
}

TEST_F(RecordParserTest, PolygonRingHasAtLeastThreePoints) {
  ExpectRejected(With(kAreasVendor, "[[0,0],[10,0],[10,10],[0,10]]", "[[0,0],[10,0]]"),
                 R"(object "a1")", "polygon must have at least 3 points (got 2)");
  ExpectRejected(With(kAreasVendor, "[[0,0],[10,0],[10,10],[0,10]]", "[]"), R"(object "a1")",
                 "polygon must not be empty");
  ExpectRejected(With(kAreasVendor, "[[0,0],[10,0],[10,10],[0,10]]", "[[0,0,1],[10,0,1],[10,10,1]]"),
                 R"(object "a1")", "polygon point 1 must be [x, y] (got 3 values)");
}

TEST_F(RecordParserTest, PolygonRingMustBeSimple) {
  // A bow tie: edge (0,0)-(10,10) crosses edge (10,0)-(0,10).
  ExpectRejected(With(kAreasVendor, "[[0,0],[10,0],[10,10],[0,10]]", "[[0,0],[10,10],[10,0],[0,10]]"),
                 R"(object "a1")", "polygon is not a simple ring");
  // Three collinear points enclose nothing.
  ExpectRejected(With(kAreasVendor, "[[0,0],[10,0],[10,10],[0,10]]", "[[0,0],[5,0],[10,0]]"),
                 R"(object "a1")", "polygon is not a simple ring");
}

TEST_F(RecordParserTest, MultiRingPolygonChecksEveryRing) {
  ExpectAccepted(kAreasVendor);
  ExpectRejected(With(kAreasVendor, "[[10,10],[14,10],[14,14],[10,14]]", "[[10,10],[14,10]]"),
                 R"(object "o7")", "polygon ring 2 must have at least 3 points (got 2)");
  ExpectRejected(With(kAreasVendor, "[[10,10],[14,10],[14,14],[10,14]]", "[[10,10],[14,14],[14,10],[10,14]]"),
                 R"(object "o7")", "polygon ring 2 is not a simple ring");
}

TEST_F(RecordParserTest, MaskHasSizeAndCounts) {
  ExpectRejected(With(kMasksVendor, R"({"size":[2,5],"counts":"1232"})", R"({"counts":"1232"})"),
                 R"(object "o7")", R"(mask is missing "size")");
  ExpectRejected(With(kMasksVendor, R"({"size":[2,5],"counts":"1232"})", R"({"size":[2,5]})"),
                 R"(object "o7")", R"(mask is missing "counts")");
  ExpectRejected(With(kMasksVendor, R"({"size":[2,5],"counts":"1232"})", R"([2,5])"),
                 R"(object "o7")", "mask must be an object");
}

TEST_F(RecordParserTest, MaskSizeIsTwoPositiveIntegers) {
  ExpectRejected(With(kMasksVendor, R"("size":[2,5])", R"("size":[0,5])"), R"(object "o7")",
                 "mask size must be two positive integers");
  ExpectRejected(With(kMasksVendor, R"("size":[2,5])", R"("size":[2.5,4])"), R"(object "o7")",
                 "mask size must be two positive integers");
  ExpectRejected(With(kMasksVendor, R"("size":[2,5])", R"("size":[10])"), R"(object "o7")",
                 "mask size must have 2 numbers (got 1)");
}

TEST_F(RecordParserTest, MaskCountsArraySumsToHeightTimesWidth) {
  ExpectRejected(With(kMasksVendor, "[1,2,3]", "[1,2,2]"), R"(object "m1")",
                 "mask counts add up to 5, not h x w = 6");
  ExpectRejected(With(kMasksVendor, "[1,2,3]", "[1,2,4]"), R"(object "m1")",
                 "mask counts add up to more than h x w = 6");
  ExpectRejected(With(kMasksVendor, "[1,2,3]", "[1,-2,7]"), R"(object "m1")",
                 "mask counts value 2 must be >= 0");
  ExpectRejected(With(kMasksVendor, "[1,2,3]", "[1,2.5,2.5]"), R"(object "m1")",
                 "mask counts value 2 must be a non-negative integer");
}

TEST_F(RecordParserTest, MaskCountsStringSumsToHeightTimesWidth) {
  // "1232" decodes to 1+2+3+4 = 10; "1231" to [1,2,3,3] = 9 (the last is 1 + counts[1] = 3).
  ExpectRejected(With(kMasksVendor, R"("counts":"1232")", R"("counts":"1231")"), R"(object "o7")",
                 "mask counts add up to 9, not h x w = 10");
  ExpectRejected(With(kMasksVendor, R"("counts":"1232")", R"("counts":12)"), R"(object "o7")",
                 "mask counts must be an RLE string or an array of integers (got number)");
}

TEST_F(RecordParserTest, MaskCountsStringMustDecode) {
  // '0' + 32 = 'P' has the continuation bit set: the string ends inside a count.
  ExpectRejected(With(kMasksVendor, R"("counts":"1232")", R"("counts":"123P")"), R"(object "o7")");
}

TEST_F(RecordParserTest, NumbersMustBeFinite) {
  // JSON has no literal for infinity: 1e999 overflows a double and is refused, with the literal.
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,1e999,0.6,1.75,1.52]"),
                 "1e999", "finite");
  ExpectRejected(With(kLidarVendor, "1730455351.2", "-1e400"), "-1e400", "finite");
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,NaN,0.6,1.75,1.52]"),
                 "invalid JSON", "NaN is not a JSON number", "finite");
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]",
                      "[5.0,2.0,0.9,Infinity,0.6,1.75,1.52]"),
                 "invalid JSON", "Infinity is not a JSON number");
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]",
                      "[5.0,2.0,0.9,-Infinity,0.6,1.75,1.52]"),
                 "invalid JSON", "-Infinity is not a JSON number");
}

TEST_F(RecordParserTest, MalformedNumbersAreNamed) {
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,30.5,040]"), "malformed number 040",
                 R"(field "box2d")");
  ExpectRejected(With(kCamVendor, "[10,20,30.5,40]", "[10,20,30.5,123456789012345678901234567890]"),
                 "integer 123456789012345678901234567890", R"(field "box2d")", "64 bits");
}

TEST_F(RecordParserTest, ScoreIsRequiredForModelRecords) {
  ExpectRejected(Without(kLidarModel, R"(,"score":0.41)"), R"(object "o7")",
                 R"(missing required field "score")");
}

TEST_F(RecordParserTest, ScoreLiesInZeroToOne) {
  ExpectAccepted(With(kLidarModel, R"("score":0.41)", R"("score":0)"));
  ExpectAccepted(With(kLidarModel, R"("score":0.41)", R"("score":1)"));
  ExpectRejected(With(kLidarModel, R"("score":0.41)", R"("score":1.01)"), R"(object "o7")",
                 "score must be in [0, 1] (got 1.01)");
  ExpectRejected(With(kLidarModel, R"("score":0.41)", R"("score":-0.1)"), R"(object "o7")",
                 "score must be in [0, 1] (got -0.1)");
  ExpectRejected(With(kLidarModel, R"("score":0.41)", R"("score":"high")"), R"(object "o7")",
                 R"(field "score" must be a number (got string))");
}

TEST_F(RecordParserTest, ScoreIsRefusedOutsideModelRecords) {
  ExpectRejected(With(kLidarVendor, R"("class":"pedestrian")", R"("class":"pedestrian","score":0.5)"),
                 R"(object "o7")", R"("score" is only for model records (source is "vendor"))");
  ExpectRejected(With(kLidarGold, R"("class":"pedestrian")", R"("class":"pedestrian","score":1)"),
                 R"(object "o7")", R"("score" is only for model records (source is "gold"))");
}

TEST_F(RecordParserTest, NumPointsIsANonNegativeInteger) {
  ExpectAccepted(With(kLidarVendor, R"("num_points":57)", R"("num_points":0)"));
  ExpectRejected(With(kLidarVendor, R"("num_points":57)", R"("num_points":-1)"), R"(object "o1")",
                 R"(field "num_points" must be >= 0 (got -1))");
  ExpectRejected(With(kLidarVendor, R"("num_points":57)", R"("num_points":5.5)"), R"(object "o1")",
                 R"(field "num_points" must be an integer (got 5.5))");
  ExpectRejected(With(kLidarVendor, R"("num_points":57)", R"("num_points":"57")"), R"(object "o1")",
                 R"(field "num_points" must be an integer (got string))");
  ExpectRejected(With(kLidarVendor, R"("num_points":57)", R"("num_points":18446744073709551615)"),
                 R"(object "o1")", R"(field "num_points" is too large)");
}

TEST_F(RecordParserTest, AttributeValuesMustBeScalars) {
  ExpectRejected(With(kLidarVendor, R"("occlusion":"partial")", R"("occlusion":["partial"])"),
                 R"(object "o1")", R"(attribute "occlusion" must be a string, number or boolean (got array))");
  ExpectRejected(With(kLidarVendor, R"("attributes":{)", R"("attributes":7,"x":{)"), R"(object "o1")",
                 R"(field "attributes" must be an object (got number))");
}

// ---- event ---------------------------------------------------------------------------------

TEST_F(RecordParserTest, EventRequiresTask) {
  ExpectRejected(Without(kEvent, R"("task":"t-123",)"), R"(missing required field "task")");
}

TEST_F(RecordParserTest, EventRequiresPipeline) {
  ExpectRejected(Without(kEvent, R"("pipeline":"lidar",)"), R"(missing required field "pipeline")");
}

TEST_F(RecordParserTest, EventRequiresAt) {
  ExpectRejected(Without(kEvent, R"("at":"2026-11-02T08:00:00Z",)"), R"(missing required field "at")");
}

TEST_F(RecordParserTest, EventKindIsOneOfTheNine) {
  for (std::string_view kind : {"created", "assigned", "submitted", "review_passed", "review_failed",
                                "accepted", "rejected", "delivered", "cancelled"}) {
    ExpectAccepted(With(kEvent, R"("event":"submitted")", fmt::format(R"("event":"{}")", kind)));
  }
  ExpectRejected(With(kEvent, R"("event":"submitted")", R"("event":"approved")"),
                 R"(field "event" must be one of)", R"((got "approved"))");
  ExpectRejected(With(kEvent, R"("event":"submitted")", R"("event":3)"),
                 R"(field "event" must be a string (got number))");
}

TEST_F(RecordParserTest, EventTimesAreRfc3339) {
  ExpectRejected(With(kEvent, "2026-11-02T08:00:00Z", "yesterday"), R"(field "at")", "RFC 3339",
                 "yesterday");
  ExpectRejected(With(kCreatedEvent, "2026-11-05T08:00:00+01:00", "2026-11-05"), R"(field "due")",
                 "RFC 3339");
  ExpectRejected(With(kEvent, "2026-11-02T08:00:00Z", "2026-13-02T08:00:00Z"), R"(field "at")");
  ExpectRejected(With(kEvent, "2026-11-02T08:00:00Z", "2026-11-02T24:00:00Z"), R"(field "at")");
}

TEST_F(RecordParserTest, EventCostAndWorkAreNonNegative) {
  ExpectRejected(With(kEvent, R"("cost_usd":4.20)", R"("cost_usd":-4.2)"),
                 R"(field "cost_usd" must be >= 0 (got -4.2))");
  ExpectRejected(With(kEvent, R"("work_s":1260)", R"("work_s":-1)"),
                 R"(field "work_s" must be >= 0 (got -1))");
  ExpectRejected(With(kEvent, R"("cost_usd":4.20)", R"("cost_usd":"4.20")"),
                 R"(field "cost_usd" must be a number (got string))");
  ExpectAccepted(With(kEvent, R"("cost_usd":4.20)", R"("cost_usd":0)"));
}

TEST_F(RecordParserTest, EventObjectCountIsAnInteger) {
  ExpectRejected(With(kEvent, R"("object_count":42)", R"("object_count":4.5)"),
                 R"(field "object_count" must be an integer (got 4.5))");
  ExpectRejected(With(kEvent, R"("object_count":42)", R"("object_count":-3)"),
                 R"(field "object_count" must be >= 0 (got -3))");
  ExpectRejected(With(kEvent, R"("object_count":42)", R"("object_count":true)"),
                 R"(field "object_count" must be an integer (got boolean))");
}

TEST_F(RecordParserTest, EventOptionalStringsMustBeStrings) {
  ExpectRejected(With(kEvent, R"("annotator":"acme-a117")", R"("annotator":117)"),
                 R"(field "annotator" must be a string (got number))");
  ExpectRejected(With(kEvent, R"("batch":"b7")", R"("batch":null)"),
                 R"(field "batch" must be a string (got null))");
}

// ---- audit ---------------------------------------------------------------------------------

TEST_F(RecordParserTest, AuditRequiresTask) {
  ExpectRejected(Without(kAudit, R"("task":"t-123",)"), R"(missing required field "task")");
}

TEST_F(RecordParserTest, AuditRequiresPipeline) {
  ExpectRejected(Without(kAudit, R"("pipeline":"lidar",)"), R"(missing required field "pipeline")");
}

TEST_F(RecordParserTest, AuditRequiresAuditor) {
  ExpectRejected(Without(kAudit, R"("auditor":"qa-03",)"), R"(missing required field "auditor")");
}

TEST_F(RecordParserTest, AuditRequiresAt) {
  ExpectRejected(Without(kAudit, R"("at":"2026-11-03T09:12:00Z",)"), R"(missing required field "at")");
  ExpectRejected(With(kAudit, "2026-11-03T09:12:00Z", "03/11/2026 09:12"), R"(field "at")", "RFC 3339");
}

TEST_F(RecordParserTest, AuditRequiresErrors) {
  ExpectRejected(With(kAudit, R"(,"errors":[)", R"(,"errs":[)"), R"(missing required field "errors")");
  ExpectAccepted(With(kAudit, R"(,"errors":[{"object":"o7","type":"heading_flip",)"
                             R"("severity":"major"},{"type":"missing","class":"cyclist",)"
                             R"("severity":"critical","note":"behind parked van"}])",
                      R"(,"errors":[])"));  // may be empty
  ExpectRejected(With(kAudit, R"("errors":[{"object")", R"("errors":{"a":1},"x":[{"object")"),
                 R"(field "errors" must be an array (got object))");
}

TEST_F(RecordParserTest, AuditFrameIsOptional) {
  ExpectAccepted(Without(kAudit, R"("frame":"scene-42/017",)"));
}

TEST_F(RecordParserTest, VerdictIsPassOrFail) {
  ExpectRejected(With(kAudit, R"("verdict":"fail")", R"("verdict":"FAIL")"),
                 R"(field "verdict" must be "pass" or "fail" (got "FAIL"))");
  ExpectRejected(With(kAudit, R"("verdict":"fail")", R"("verdict":false)"),
                 R"(field "verdict" must be a string (got boolean))");
}

TEST_F(RecordParserTest, AuditErrorTypeIsInTheTaxonomy) {
  for (std::string_view type : {"missing", "extra", "duplicate", "wrong_class", "position", "size",
                                "heading", "heading_flip", "attribute", "id_switch",
                                "fragmentation", "geometry", "tag", "spec_violation"}) {
    ExpectAccepted(With(kAudit, R"("type":"heading_flip")", fmt::format(R"("type":"{}")", type)));
  }
  ExpectRejected(With(kAudit, R"("type":"heading_flip")", R"("type":"flipped")"), "errors[0]",
                 R"(error type "flipped" is not in the taxonomy)");
  ExpectRejected(Without(kAudit, R"("type":"heading_flip",)"), "errors[0]",
                 R"(missing required field "type")");
}

TEST_F(RecordParserTest, AuditErrorSeverityIsMinorMajorOrCritical) {
  ExpectRejected(With(kAudit, R"("severity":"critical")", R"("severity":"blocker")"), "errors[1]",
                 R"(severity must be "minor", "major" or "critical" (got "blocker"))");
  ExpectRejected(Without(kAudit, R"(,"severity":"major")"), "errors[0]",
                 R"(missing required field "severity")");
}

TEST_F(RecordParserTest, AuditErrorMustBeAnObject) {
  ExpectRejected(With(kAudit, R"({"object":"o7",)", R"("heading_flip",{"object":"o7",)"), "errors[0]",
                 "must be an object (got string)");
}

TEST_F(RecordParserTest, AuditCountsAreNonNegative) {
  ExpectRejected(With(kAudit, R"("objects_reviewed":42)", R"("objects_reviewed":-1)"),
                 R"(field "objects_reviewed" must be >= 0 (got -1))");
  ExpectRejected(With(kAudit, R"("objects_reviewed":42)", R"("objects_reviewed":4.2)"),
                 R"(field "objects_reviewed" must be an integer (got 4.2))");
  ExpectRejected(With(kAudit, R"("work_s":300)", R"("work_s":-300)"),
                 R"(field "work_s" must be >= 0 (got -300))");
}

// ---- robustness ----------------------------------------------------------------------------

TEST_F(RecordParserTest, DeepNestingIsRejectedWithoutCrashing) {
  std::string deep = R"({"objects":[],"x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  ExpectRejected(deep, "nested too deeply");
}

TEST_F(RecordParserTest, ByteOrderMarkIsNamed) {
  ExpectRejected("\xEF\xBB\xBF" + std::string(kEvent), "byte order mark");
}

TEST_F(RecordParserTest, UnquotedWordIsNamed) {
  ExpectRejected(With(kEvent, R"("submitted")", "submitted"), "invalid JSON", "unexpected word submitted");
}

TEST_F(RecordParserTest, InvalidUtf8IsRejected) {
  ExpectRejected(With(kLidarVendor, "acme-a117", "acme-\xff\xfe"), "UTF-8");
  ExpectRejected(With(kLidarVendor, "acme-a117", "acme-\xc3"), "UTF-8");  // cut inside a character
}

TEST_F(RecordParserTest, ParserIsReusableAfterAFailure) {
  ExpectRejected(With(kLidarVendor, "[5.0,2.0,0.9,0.7,0.6,1.75,1.52]", "[5.0,2.0,0.9,-1.2,0.6,1.75,1.52]"),
                 R"(object "o7")");
  // The previous object prefix must not leak into a record-level reason.
  EXPECT_EQ(Reason(Without(kEvent, R"("task":"t-123",)")), R"(missing required field "task")");
  ExpectAccepted(kLidarVendor);
}

// ---- the fast path and the DOM path --------------------------------------------------------

// Most lines go through JsonTape, the others through simdjson's DOM: whichever way a line goes, the
// outcome (the record, field by field, or the reason) must be the one the DOM path alone gives.
void ExpectSameOnBothPaths(RecordParser& fast, RecordParser& dom, std::string_view line) {
  ParsedRecord a, b;
  const Status s = fast.Parse(line, line.size(), a);
  const Status t = dom.Parse(line, line.size(), b);
  ASSERT_EQ(s.ok(), t.ok()) << line << "\n" << s.message() << "\n" << t.message();
  if (s.ok()) {
    EXPECT_EQ(testing::DescribeRecord(a), testing::DescribeRecord(b)) << line;
  } else {
    EXPECT_EQ(s.message(), t.message()) << line;
  }
}

// Every line of a program's .jsonl files (at most `max_lines` per file); returns how many.
size_t CompareProgram(const std::string& dir, size_t max_lines) {
  auto config = LoadConfig(dir);
  EXPECT_TRUE(config.ok()) << dir;
  if (!config.ok()) return 0;
  RecordParser fast(*config), dom(*config);
  dom.SetFastPath(false);
  size_t lines = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".jsonl") continue;
    std::ifstream in(e.path());
    std::string line;
    for (size_t n = 0; n < max_lines && std::getline(in, line); ++n, ++lines) {
      ExpectSameOnBothPaths(fast, dom, line);
    }
  }
  return lines;
}

TEST(RecordParserPaths, WorldSmallGivesTheSameRecordsOnBothPaths) {
  EXPECT_GT(CompareProgram(std::string(GTOPS_SHARED_DIR) + "/fixtures/world-small", 600), 2000u);
}

TEST(RecordParserPaths, MalformedCorpusGivesTheSameReasonsOnBothPaths) {
  EXPECT_GT(CompareProgram(std::string(GTOPS_SOURCE_DIR) + "/tests/malformed", 100000), 100u);
}

TEST_F(RecordParserTest, DamagedRecordsGiveTheSameOutcomeOnBothPaths) {
  RecordParser dom(Config());
  dom.SetFastPath(false);
  const std::vector<std::string_view> lines = {kLidarVendor, kLidarModel, kLidarGold, kBoxes3dVendor,
                                               kCamVendor, kCamGold, kLanesVendor, kAreasVendor,
                                               kMasksVendor, kTagsVendor, kEvent, kCreatedEvent,
                                               kAudit};
  for (std::string_view line : lines) ExpectSameOnBothPaths(parser_, dom, line);
  std::mt19937_64 rng(5);
  const std::string alphabet = "{}[],:\"\\ -.0123456789eEtfnrulsa\x80\xc3\xa9";
  int accepted = 0;
  for (int i = 0; i < 6000; ++i) {
    std::string s(lines[rng() % lines.size()]);
    const size_t at = rng() % s.size();
    switch (rng() % 3) {
      case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
      case 1: s.erase(at, 1 + rng() % 2); break;
      default: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
    }
    ExpectSameOnBothPaths(parser_, dom, s);
    accepted += parser_.Parse(s, s.size(), record_).ok();
  }
  EXPECT_GT(accepted, 500);  // the damage leaves many lines valid: both outcomes are compared
}

}  // namespace
}  // namespace gtops
