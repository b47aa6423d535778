// Task timelines: one labeling task's life rebuilt from its `event` records (shared/FORMAT.md),
// validated, with the per-task operational measures the KPIs aggregate (docs/kpis.md). Pure
// functions over values: no I/O, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"

namespace gtops::ops {

// What can be wrong with a task's events. A timeline with anomalies is still built from what is
// there (nothing is dropped); the anomalies say what to distrust.
enum class AnomalyKind {
  kNoCreated,                // the task has no `created` event
  kDuplicate,                // the same step twice where the lifecycle allows it once (or the
                             // same event at the same instant twice)
  kSubmittedBeforeAssigned,  // a `submitted` earlier than the task's first `assigned`
  kDeliveredWithoutAccepted, // a `delivered` with no `accepted` at or before it
  kOutOfOrder,               // any other step before its precondition: an event before
                             // `created`, a review with no submission pending, an `accepted`
                             // before any `review_passed`
};
inline constexpr int kAnomalyKindCount = 5;

// "no_created", "duplicate", "submitted_before_assigned", "delivered_without_accepted",
// "out_of_order".
std::string_view Name(AnomalyKind k);

struct Anomaly {
  AnomalyKind kind = AnomalyKind::kOutOfOrder;
  EventKind event = EventKind::kCreated;  // the event that shows it
  int64_t at_ms = 0;
  std::string detail;                     // a sentence for people: what was seen
};

enum class TaskState { kOpen, kAccepted, kRejected, kCancelled };
std::string_view Name(TaskState s);  // "open", "accepted", "rejected", "cancelled"

// Where a task stands against its due time at `as_of`.
enum class SlaState {
  kNotDue,    // no due time (no `created`, no `due`, no SLA), or open and not yet due
  kOnTime,    // first `accepted` at or before the due time
  kLate,      // first `accepted` after the due time, or rejected (never accepted) once it passed
  kOpenLate,  // still open past its due time (counts as late)
};
std::string_view Name(SlaState s);  // "not_due", "on_time", "late", "open_late"

struct TaskTimeline {
  std::string task, pipeline, batch, vendor;
  std::string annotator;  // the primary annotator: the first `assigned` event's (else a submitter's)

  int64_t first_event_ms = 0;  // the earliest event of any kind
  int64_t last_event_ms = 0;   // the latest event of any kind
  std::optional<int64_t> created_ms, first_assigned_ms, first_submitted_ms, first_reviewed_ms;
  std::optional<int64_t> first_accepted_ms, delivered_ms, closed_ms;  // closed: accepted, rejected or cancelled
  // `due` of the created event, else (FinishTimeline) created + the pipeline's SLA turnaround.
  std::optional<int64_t> due_ms;
  TaskState state = TaskState::kOpen;
  SlaState sla = SlaState::kNotDue;

  int submissions = 0;      // `submitted` events
  int reviews = 0;          // `review_passed` + `review_failed`
  int review_failures = 0;  // `review_failed`
  int rework_rounds = 0;    // `submitted` events that follow a `review_failed`
  bool first_review_passed = false;

  int64_t object_count = 0;  // of the latest submission that carried one
  double work_s = 0;         // hands-on seconds of every step
  double labeling_work_s = 0;  // of the submissions (first pass and rework)
  double cost_labeling_usd = 0, cost_review_usd = 0, cost_rework_usd = 0, cost_other_usd = 0;

  // Derived durations in hours; nullopt when an end is missing.
  std::optional<double> lead_time_h;            // created -> delivered
  std::optional<double> labeling_time_h;        // first assigned -> first submitted
  std::optional<double> review_latency_h;       // mean over reviews of submission -> its review
  std::optional<double> accept_time_h;          // created -> first accepted

  std::vector<Anomaly> anomalies;

  double cost_usd() const { return cost_labeling_usd + cost_review_usd + cost_rework_usd + cost_other_usd; }
  // The cost of poor quality (docs/kpis.md): review and rework cost of a task that failed review.
  double cost_of_poor_quality_usd() const {
    return review_failures > 0 ? cost_review_usd + cost_rework_usd : 0.0;
  }
  bool Reviewed() const { return reviews > 0; }
};

struct TimelineOptions {
  // The instant at which open tasks are judged (open-late); usually the latest event of the data.
  int64_t as_of_ms = 0;
  // Pipelines' SLA turnaround (`sla.turnaround_hours`); may be null: then only `due` is used.
  const ProgramConfig* config = nullptr;
};

// Builds the timeline of one task from all of its events, in any order (they are sorted by
// time, ties by lifecycle order, then by kind). Every event must have the same `task`. Never
// fails: problems are reported in `anomalies`. BuildTimelineFacts then FinishTimeline.
TaskTimeline BuildTimeline(std::span<const Event> events, const TimelineOptions& options);

// The part of a timeline that depends on the task's events alone (not on the configuration or the
// instant of judgement): what the store keeps per task (timeline_codec.h). `due_ms` is the created
// event's `due` only and `sla` is left kNotDue.
TaskTimeline BuildTimelineFacts(std::span<const Event> events);

// Completes a timeline of BuildTimelineFacts: the due time from the pipeline's SLA turnaround when
// the created event gave none, and the SLA state at `options.as_of_ms`.
void FinishTimeline(TaskTimeline& t, const TimelineOptions& options);

// Builds the timelines of many tasks: groups `events` by task (in any order) and returns one
// timeline per task, ordered by task id.
std::vector<TaskTimeline> BuildTimelines(std::span<const Event> events, const TimelineOptions& options);

// Anomalies over timelines, counted per kind (index: AnomalyKind) and tasks with at least one.
struct AnomalyCounts {
  int64_t by_kind[kAnomalyKindCount] = {};
  int64_t tasks_with_anomalies = 0;
};
AnomalyCounts CountAnomalies(std::span<const TaskTimeline> timelines);

}  // namespace gtops::ops
