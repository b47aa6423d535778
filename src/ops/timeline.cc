#include "ops/timeline.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;

// Lifecycle order, to sort events of the same instant the way they must have happened.
int Rank(EventKind k) {
  switch (k) {
    case EventKind::kCreated: return 0;
    case EventKind::kAssigned: return 1;
    case EventKind::kSubmitted: return 2;
    case EventKind::kReviewPassed:
    case EventKind::kReviewFailed: return 3;
    case EventKind::kAccepted:
    case EventKind::kRejected: return 4;
    case EventKind::kDelivered: return 5;
    case EventKind::kCancelled: return 6;
  }
  return 7;
}

bool OnceOnly(EventKind k) {
  return k == EventKind::kCreated || k == EventKind::kAccepted || k == EventKind::kRejected ||
         k == EventKind::kDelivered || k == EventKind::kCancelled;
}

double Hours(int64_t from_ms, int64_t to_ms) { return static_cast<double>(to_ms - from_ms) / kMsPerHour; }

void SetIfEmpty(std::string& field, const std::string& value) {
  if (field.empty()) field = value;
}

}  // namespace

std::string_view Name(AnomalyKind k) {
  switch (k) {
    case AnomalyKind::kNoCreated: return "no_created";
    case AnomalyKind::kDuplicate: return "duplicate";
    case AnomalyKind::kSubmittedBeforeAssigned: return "submitted_before_assigned";
    case AnomalyKind::kDeliveredWithoutAccepted: return "delivered_without_accepted";
    case AnomalyKind::kOutOfOrder: return "out_of_order";
  }
  return "?";
}

std::string_view Name(TaskState s) {
  switch (s) {
    case TaskState::kOpen: return "open";
    case TaskState::kAccepted: return "accepted";
    case TaskState::kRejected: return "rejected";
    case TaskState::kCancelled: return "cancelled";
  }
  return "?";
}

std::string_view Name(SlaState s) {
  switch (s) {
    case SlaState::kNotDue: return "not_due";
    case SlaState::kOnTime: return "on_time";
    case SlaState::kLate: return "late";
    case SlaState::kOpenLate: return "open_late";
  }
  return "?";
}

TaskTimeline BuildTimelineFacts(std::span<const Event> events) {
  TaskTimeline t;
  std::vector<const Event*> order;
  order.reserve(events.size());
  for (const Event& e : events) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Event* a, const Event* b) {
    if (a->at_epoch_ms != b->at_epoch_ms) return a->at_epoch_ms < b->at_epoch_ms;
    if (Rank(a->kind) != Rank(b->kind)) return Rank(a->kind) < Rank(b->kind);
    return a->kind < b->kind;  // the same timeline whatever order the events came in
  });

  auto report = [&t](AnomalyKind kind, const Event& e, std::string detail) {
    t.anomalies.push_back(Anomaly{kind, e.kind, e.at_epoch_ms, std::move(detail)});
  };

  // The created event may come later in time than others (out of order): find it first.
  for (const Event* e : order) {
    if (e->kind == EventKind::kCreated) {
      t.created_ms = e->at_epoch_ms;
      if (e->due_epoch_ms) t.due_ms = e->due_epoch_ms;
      break;
    }
  }

  int seen[9] = {};
  std::optional<int64_t> pending_submission_ms;  // a submission waiting for its review
  bool rework_pending = false;                   // a review failed; the next submission is rework
  bool reviewed_passed = false;
  int64_t latency_ms_sum = 0;
  int latency_n = 0;
  const Event* previous = nullptr;
  std::optional<TaskState> final_state;

  for (const Event* ep : order) {
    const Event& e = *ep;
    if (t.task.empty()) {
      t.task = e.task;
      t.first_event_ms = e.at_epoch_ms;
    }
    t.last_event_ms = e.at_epoch_ms;
    SetIfEmpty(t.pipeline, e.pipeline);
    SetIfEmpty(t.batch, e.batch);
    SetIfEmpty(t.vendor, e.vendor);
    const std::string_view name = Name(e.kind);

    if (previous != nullptr && previous->kind == e.kind && previous->at_epoch_ms == e.at_epoch_ms) {
      report(AnomalyKind::kDuplicate, e,
             fmt::format("{} at {} appears twice", name, FormatRfc3339(e.at_epoch_ms)));
      continue;  // the same step recorded twice: measured once
    }
    previous = ep;
    const int index = static_cast<int>(e.kind);
    if (OnceOnly(e.kind) && seen[index] > 0) {
      report(AnomalyKind::kDuplicate, e,
             fmt::format("a second {} at {}", name, FormatRfc3339(e.at_epoch_ms)));
    }
    ++seen[index];
    if (t.created_ms && e.kind != EventKind::kCreated && e.at_epoch_ms < *t.created_ms) {
      report(AnomalyKind::kOutOfOrder, e,
             fmt::format("{} at {} is before created at {}", name, FormatRfc3339(e.at_epoch_ms),
                         FormatRfc3339(*t.created_ms)));
    }
    if (e.work_s) t.work_s += *e.work_s;
    const double cost = e.cost_usd.value_or(0.0);

    switch (e.kind) {
      case EventKind::kCreated:
        break;
      case EventKind::kAssigned:
        if (!t.first_assigned_ms) {
          t.first_assigned_ms = e.at_epoch_ms;
          if (!e.annotator.empty()) t.annotator = e.annotator;
        }
        t.cost_other_usd += cost;
        break;
      case EventKind::kSubmitted:
        if (!t.first_assigned_ms) {
          report(AnomalyKind::kSubmittedBeforeAssigned, e,
                 fmt::format("submitted at {} before any assigned", FormatRfc3339(e.at_epoch_ms)));
        }
        if (t.annotator.empty()) t.annotator = e.annotator;
        if (!t.first_submitted_ms) t.first_submitted_ms = e.at_epoch_ms;
        ++t.submissions;
        if (rework_pending) {
          ++t.rework_rounds;
          t.cost_rework_usd += cost;
          rework_pending = false;
        } else {
          t.cost_labeling_usd += cost;
        }
        if (e.work_s) t.labeling_work_s += *e.work_s;
        if (e.object_count) t.object_count = *e.object_count;
        pending_submission_ms = e.at_epoch_ms;
        break;
      case EventKind::kReviewPassed:
      case EventKind::kReviewFailed: {
        const bool passed = e.kind == EventKind::kReviewPassed;
        t.cost_review_usd += cost;
        if (!pending_submission_ms) {
          report(AnomalyKind::kOutOfOrder, e,
                 fmt::format("{} at {} with no submission to review", name, FormatRfc3339(e.at_epoch_ms)));
        } else {
          latency_ms_sum += e.at_epoch_ms - *pending_submission_ms;
          ++latency_n;
          pending_submission_ms.reset();
        }
        if (t.reviews == 0) {
          t.first_review_passed = passed;
          t.first_reviewed_ms = e.at_epoch_ms;
        }
        ++t.reviews;
        if (passed) {
          reviewed_passed = true;
        } else {
          ++t.review_failures;
          rework_pending = true;
          reviewed_passed = false;
        }
        break;
      }
      case EventKind::kAccepted:
        if (t.submissions == 0) {
          report(AnomalyKind::kOutOfOrder, e,
                 fmt::format("accepted at {} before any submission", FormatRfc3339(e.at_epoch_ms)));
        } else if (!reviewed_passed && t.reviews > 0) {
          report(AnomalyKind::kOutOfOrder, e,
                 fmt::format("accepted at {} after a failed review with no review_passed since",
                             FormatRfc3339(e.at_epoch_ms)));
        }
        if (!t.first_accepted_ms) t.first_accepted_ms = e.at_epoch_ms;
        if (!t.closed_ms) t.closed_ms = e.at_epoch_ms;
        final_state = TaskState::kAccepted;
        t.cost_other_usd += cost;
        break;
      case EventKind::kRejected:
      case EventKind::kCancelled:
        if (!t.closed_ms) t.closed_ms = e.at_epoch_ms;
        final_state = e.kind == EventKind::kRejected ? TaskState::kRejected : TaskState::kCancelled;
        t.cost_other_usd += cost;
        break;
      case EventKind::kDelivered:
        if (!t.first_accepted_ms) {
          report(AnomalyKind::kDeliveredWithoutAccepted, e,
                 fmt::format("delivered at {} with no accepted before it", FormatRfc3339(e.at_epoch_ms)));
        }
        if (!t.delivered_ms) t.delivered_ms = e.at_epoch_ms;
        t.cost_other_usd += cost;
        break;
    }
  }

  if (!t.created_ms && !events.empty()) {
    const Event& first = *order.front();
    t.anomalies.insert(t.anomalies.begin(),
                       Anomaly{AnomalyKind::kNoCreated, first.kind, first.at_epoch_ms,
                               fmt::format("no created event (first event: {} at {})", Name(first.kind),
                                           FormatRfc3339(first.at_epoch_ms))});
  }
  if (final_state) t.state = *final_state;

  if (t.created_ms && t.delivered_ms) t.lead_time_h = Hours(*t.created_ms, *t.delivered_ms);
  if (t.created_ms && t.first_accepted_ms) t.accept_time_h = Hours(*t.created_ms, *t.first_accepted_ms);
  if (t.first_assigned_ms && t.first_submitted_ms) {
    t.labeling_time_h = Hours(*t.first_assigned_ms, *t.first_submitted_ms);
  }
  if (latency_n > 0) t.review_latency_h = static_cast<double>(latency_ms_sum) / latency_n / kMsPerHour;
  return t;
}

void FinishTimeline(TaskTimeline& t, const TimelineOptions& options) {
  if (!t.due_ms && t.created_ms && options.config != nullptr) {
    const PipelineSpec* p = options.config->FindPipeline(t.pipeline);
    if (p != nullptr && p->sla_turnaround_hours) {
      t.due_ms = *t.created_ms + static_cast<int64_t>(*p->sla_turnaround_hours * kMsPerHour);
    }
  }
  t.sla = SlaState::kNotDue;
  if (t.due_ms) {
    if (t.first_accepted_ms) {
      t.sla = *t.first_accepted_ms <= *t.due_ms ? SlaState::kOnTime : SlaState::kLate;
    } else if (t.state == TaskState::kRejected) {
      t.sla = *t.due_ms < options.as_of_ms ? SlaState::kLate : SlaState::kNotDue;
    } else if (t.state == TaskState::kOpen && *t.due_ms < options.as_of_ms) {
      t.sla = SlaState::kOpenLate;
    }
  }
}

TaskTimeline BuildTimeline(std::span<const Event> events, const TimelineOptions& options) {
  TaskTimeline t = BuildTimelineFacts(events);
  FinishTimeline(t, options);
  return t;
}

std::vector<TaskTimeline> BuildTimelines(std::span<const Event> events, const TimelineOptions& options) {
  std::map<std::string_view, std::vector<Event>> by_task;
  for (const Event& e : events) by_task[e.task].push_back(e);
  std::vector<TaskTimeline> out;
  out.reserve(by_task.size());
  for (const auto& [task, task_events] : by_task) out.push_back(BuildTimeline(task_events, options));
  return out;
}

AnomalyCounts CountAnomalies(std::span<const TaskTimeline> timelines) {
  AnomalyCounts c;
  for (const TaskTimeline& t : timelines) {
    if (!t.anomalies.empty()) ++c.tasks_with_anomalies;
    for (const Anomaly& a : t.anomalies) ++c.by_kind[static_cast<int>(a.kind)];
  }
  return c;
}

}  // namespace gtops::ops
