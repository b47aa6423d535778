#include "core/records.h"

#include <array>
#include <utility>

namespace gtops {
namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<std::string_view, E>, N>& table,
                        std::string_view s) {
  for (const auto& [name, value] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string_view Reverse(const std::array<std::pair<std::string_view, E>, N>& table, E e) {
  for (const auto& [name, value] : table) {
    if (value == e) return name;
  }
  return "?";
}

constexpr std::array<std::pair<std::string_view, Source>, 4> kSources{{
    {"vendor", Source::kVendor}, {"gold", Source::kGold}, {"model", Source::kModel},
    {"consensus", Source::kConsensus}}};

constexpr std::array<std::pair<std::string_view, GeometryKind>, 6> kGeometries{{
    {"box2d", GeometryKind::kBox2d}, {"box3d", GeometryKind::kBox3d},
    {"polyline", GeometryKind::kPolyline}, {"polygon", GeometryKind::kPolygon},
    {"mask", GeometryKind::kMask}, {"tags", GeometryKind::kTags}}};

constexpr std::array<std::pair<std::string_view, RecordKind>, 3> kRecordKinds{{
    {"labels", RecordKind::kLabels}, {"event", RecordKind::kEvent}, {"audit", RecordKind::kAudit}}};

constexpr std::array<std::pair<std::string_view, ErrorType>, kErrorTypeCount> kErrorTypes{{
    {"missing", ErrorType::kMissing}, {"extra", ErrorType::kExtra},
    {"duplicate", ErrorType::kDuplicate}, {"wrong_class", ErrorType::kWrongClass},
    {"position", ErrorType::kPosition}, {"size", ErrorType::kSize},
    {"heading", ErrorType::kHeading}, {"heading_flip", ErrorType::kHeadingFlip},
    {"attribute", ErrorType::kAttribute}, {"id_switch", ErrorType::kIdSwitch},
    {"fragmentation", ErrorType::kFragmentation}, {"geometry", ErrorType::kGeometry},
    {"tag", ErrorType::kTag}, {"spec_violation", ErrorType::kSpecViolation}}};

constexpr std::array<std::pair<std::string_view, Severity>, 3> kSeverities{{
    {"minor", Severity::kMinor}, {"major", Severity::kMajor}, {"critical", Severity::kCritical}}};

constexpr std::array<std::pair<std::string_view, EventKind>, 9> kEventKinds{{
    {"created", EventKind::kCreated}, {"assigned", EventKind::kAssigned},
    {"submitted", EventKind::kSubmitted}, {"review_passed", EventKind::kReviewPassed},
    {"review_failed", EventKind::kReviewFailed}, {"accepted", EventKind::kAccepted},
    {"rejected", EventKind::kRejected}, {"delivered", EventKind::kDelivered},
    {"cancelled", EventKind::kCancelled}}};

}  // namespace

std::string_view Name(Source s) { return Reverse(kSources, s); }
std::string_view Name(GeometryKind g) { return Reverse(kGeometries, g); }
std::string_view Name(RecordKind k) { return Reverse(kRecordKinds, k); }
std::string_view Name(ErrorType t) { return Reverse(kErrorTypes, t); }
std::string_view Name(Severity s) { return Reverse(kSeverities, s); }
std::string_view Name(EventKind e) { return Reverse(kEventKinds, e); }

std::optional<Source> ParseSource(std::string_view s) { return Lookup(kSources, s); }
std::optional<GeometryKind> ParseGeometryKind(std::string_view s) { return Lookup(kGeometries, s); }
std::optional<ErrorType> ParseErrorType(std::string_view s) { return Lookup(kErrorTypes, s); }
std::optional<Severity> ParseSeverity(std::string_view s) { return Lookup(kSeverities, s); }
std::optional<EventKind> ParseEventKind(std::string_view s) { return Lookup(kEventKinds, s); }

const std::string& LabelRecord::producer() const {
  static const std::string kEmpty;
  switch (source) {
    case Source::kVendor: return annotator;
    case Source::kModel: return model;
    default: return kEmpty;
  }
}

}  // namespace gtops
