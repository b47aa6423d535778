// For tests and the fuzz target: every field of a parsed record as text (doubles by their bits),
// to check that two ways of parsing a line give exactly the same record.
#pragma once

#include <fmt/format.h>

#include <bit>
#include <optional>
#include <string>

#include "io/record_parser.h"

namespace gtops::testing {

inline std::string Bits(double v) { return fmt::format("{:016x}", std::bit_cast<uint64_t>(v)); }
inline std::string Bits(const std::optional<double>& v) { return v ? Bits(*v) : "-"; }
inline std::string Text(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

inline std::string DescribeRecord(const ParsedRecord& r) {
  std::string s = fmt::format("kind={}\n", static_cast<int>(r.kind));
  if (r.kind == RecordKind::kLabels) {
    const LabelRecord& l = r.labels;
    s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n", l.pipeline, l.batch,
                     l.task, l.frame, Bits(l.timestamp), static_cast<int>(l.source), l.vendor,
                     l.annotator, l.model, l.spec_version, l.tool_version, l.labeled_at, l.sensor,
                     l.scene_json, l.ego_pose_json, l.ignore_json, l.tags_json, l.objects.size());
    for (const Object& o : l.objects) {
      // Only the geometry of the object's kind is meaningful (the other is left as it was).
      std::string box;
      if (o.kind == GeometryKind::kBox2d) {
        box = fmt::format("{} {} {} {}", Bits(o.box2d.x), Bits(o.box2d.y), Bits(o.box2d.w),
                          Bits(o.box2d.h));
      } else if (o.kind == GeometryKind::kBox3d) {
        box = fmt::format("{} {} {} {} {} {} {}", Bits(o.box3d.x), Bits(o.box3d.y),
                          Bits(o.box3d.z), Bits(o.box3d.l), Bits(o.box3d.w), Bits(o.box3d.h),
                          Bits(o.box3d.yaw));
      }
      s += fmt::format("  {}|{}|{}|{}|{}|{}|{}|{}|{}\n", o.id, o.track, o.cls,
                       static_cast<int>(o.kind), box, o.geometry_json, o.attributes_json,
                       Bits(o.score), Text(o.num_points));
    }
  } else if (r.kind == RecordKind::kEvent) {
    const Event& e = r.event;
    s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n", e.task, e.pipeline, e.batch,
                     e.vendor, e.annotator, e.reason, static_cast<int>(e.kind), e.at, e.at_epoch_ms,
                     e.due, Text(e.due_epoch_ms), Bits(e.cost_usd), Bits(e.work_s),
                     Text(e.object_count));
  } else {
    const Audit& a = r.audit;
    s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n", a.task, a.frame, a.pipeline,
                     a.batch, a.vendor, a.annotator, a.auditor, a.at, a.at_epoch_ms, a.pass,
                     Text(a.objects_reviewed), Bits(a.work_s), a.errors.size());
    for (const AuditError& e : a.errors) {
      s += fmt::format("  {}|{}|{}|{}|{}|{}|{}\n", static_cast<int>(e.type),
                       static_cast<int>(e.severity), e.object, e.cls, e.attribute, e.tag, e.note);
    }
  }
  s += fmt::format("hash={:016x}\n", r.content_hash);
  return s;
}

}  // namespace gtops::testing
