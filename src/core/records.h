// The value types of the interchange format (shared/FORMAT.md): label records with their objects,
// task events and audits, and the shared vocabulary (sources, geometry kinds, error types,
// severities). Plain values: no I/O, no invariants beyond what the reader validated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gtops {

enum class Source { kVendor, kGold, kModel, kConsensus };
enum class GeometryKind { kBox2d, kBox3d, kPolyline, kPolygon, kMask, kTags };
enum class RecordKind { kLabels, kEvent, kAudit };

enum class ErrorType {
  kMissing, kExtra, kDuplicate, kWrongClass, kPosition, kSize, kHeading, kHeadingFlip,
  kAttribute, kIdSwitch, kFragmentation, kGeometry, kTag, kSpecViolation,
};
inline constexpr int kErrorTypeCount = 14;

enum class Severity { kMinor, kMajor, kCritical };

enum class EventKind {
  kCreated, kAssigned, kSubmitted, kReviewPassed, kReviewFailed, kAccepted, kRejected,
  kDelivered, kCancelled,
};

// Names as written in the format ("vendor", "box3d", "heading_flip", "review_failed", ...).
std::string_view Name(Source s);
std::string_view Name(GeometryKind g);
std::string_view Name(RecordKind k);
std::string_view Name(ErrorType t);
std::string_view Name(Severity s);
std::string_view Name(EventKind e);

// Parse a name; nullopt when it is not one of the format's names.
std::optional<Source> ParseSource(std::string_view s);
std::optional<GeometryKind> ParseGeometryKind(std::string_view s);
std::optional<ErrorType> ParseErrorType(std::string_view s);
std::optional<Severity> ParseSeverity(std::string_view s);
std::optional<EventKind> ParseEventKind(std::string_view s);

// [x, y, w, h]: image pixels, (x, y) the top-left corner.
struct Box2d {
  double x = 0, y = 0, w = 0, h = 0;
};

// [x, y, z, l, w, h, yaw]: metres in the ego frame, (x, y, z) the centre, yaw about +z.
struct Box3d {
  double x = 0, y = 0, z = 0, l = 0, w = 0, h = 0, yaw = 0;
};

struct Object {
  std::string id;
  std::string track;           // empty when absent
  std::string cls;             // the class name as written
  GeometryKind kind = GeometryKind::kBox3d;
  Box2d box2d;                 // set when kind == kBox2d
  Box3d box3d;                 // set when kind == kBox3d
  std::string geometry_json;   // polyline, polygon, mask: the validated value as written
  std::string attributes_json; // the attributes object as written; empty when absent
  std::optional<double> score;
  std::optional<int64_t> num_points;
};

// The most objects one label record may hold (the store packs the position into 20 bits).
inline constexpr int64_t kMaxObjectsPerRecord = int64_t{1} << 20;

// The labels of one frame from one source.
struct LabelRecord {
  std::string pipeline, batch, task, frame;
  std::optional<double> timestamp;
  Source source = Source::kVendor;
  std::string vendor, annotator, model;
  std::string spec_version, tool_version, labeled_at, sensor;
  std::string scene_json;     // the scene object as written; empty when absent
  std::string ego_pose_json;  // the ego_pose array as written; empty when absent
  std::string ignore_json;    // gold ignore regions as written; empty when absent
  std::string tags_json;      // frame-level tags as written; empty when absent
  std::vector<Object> objects;

  // The producer part of the identity key: the annotator for vendor records, the model for model
  // records, empty otherwise (FORMAT.md: a part the record lacks counts as the empty string).
  const std::string& producer() const;
};

struct Event {
  std::string task, pipeline, batch, vendor, annotator, reason;
  EventKind kind = EventKind::kCreated;
  std::string at;    // RFC 3339 as written
  int64_t at_epoch_ms = 0;
  std::string due;   // RFC 3339 as written; empty when absent
  std::optional<int64_t> due_epoch_ms;
  std::optional<double> cost_usd;
  std::optional<double> work_s;
  std::optional<int64_t> object_count;
};

struct AuditError {
  ErrorType type = ErrorType::kMissing;
  Severity severity = Severity::kMinor;
  std::string object, cls, attribute, tag, note;  // empty when absent
};

struct Audit {
  std::string task, frame, pipeline, batch, vendor, annotator, auditor;
  std::string at;  // RFC 3339 as written
  int64_t at_epoch_ms = 0;
  bool pass = false;
  std::optional<int64_t> objects_reviewed;
  std::optional<double> work_s;
  std::vector<AuditError> errors;
};

}  // namespace gtops
