// Task timelines built by hand: every measure and every anomaly kind, with the expected values
// worked out from the event times written here.
#include "ops/timeline.h"

#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

Event E(EventKind kind, const char* at, std::optional<double> cost = std::nullopt,
        std::optional<double> work_s = std::nullopt, std::optional<int64_t> objects = std::nullopt) {
  Event e;
  e.task = "t1";
  e.pipeline = "lidar";
  e.batch = "b1";
  e.vendor = "acme";
  e.kind = kind;
  e.at = at;
  e.at_epoch_ms = *ParseRfc3339Ms(at);
  e.cost_usd = cost;
  e.work_s = work_s;
  e.object_count = objects;
  if (kind == EventKind::kAssigned || kind == EventKind::kSubmitted) e.annotator = "acme-a1";
  return e;
}

int64_t Ms(const char* at) { return *ParseRfc3339Ms(at); }

ProgramConfig Config96h() {
  ProgramConfig c;
  PipelineSpec p;
  p.id = "lidar";
  p.sla_turnaround_hours = 96;
  c.pipelines.push_back(p);
  return c;
}

int Count(const TaskTimeline& t, AnomalyKind k) {
  return static_cast<int>(std::count_if(t.anomalies.begin(), t.anomalies.end(),
                                        [k](const Anomaly& a) { return a.kind == k; }));
}

// created 00:00; assigned 02:00; submitted 12:00 ($10, 3600 s, 40 objects); review_failed 18:00
// ($2, 600 s); rework submitted next day 06:00 ($4, 1800 s, 42 objects); review_passed 10:00 ($2,
// 600 s); accepted 11:00; delivered 12:00.
std::vector<Event> ReworkedTask() {
  using K = EventKind;
  return {E(K::kCreated, "2026-11-01T00:00:00Z"),
          E(K::kAssigned, "2026-11-01T02:00:00Z"),
          E(K::kSubmitted, "2026-11-01T12:00:00Z", 10.0, 3600.0, 40),
          E(K::kReviewFailed, "2026-11-01T18:00:00Z", 2.0, 600.0),
          E(K::kSubmitted, "2026-11-02T06:00:00Z", 4.0, 1800.0, 42),
          E(K::kReviewPassed, "2026-11-02T10:00:00Z", 2.0, 600.0),
          E(K::kAccepted, "2026-11-02T11:00:00Z"),
          E(K::kDelivered, "2026-11-02T12:00:00Z")};
}

TEST(TimelineTest, ReworkedTaskMeasures) {
  const ProgramConfig config = Config96h();
  const TaskTimeline t = BuildTimeline(ReworkedTask(), {Ms("2026-11-10T00:00:00Z"), &config});
  EXPECT_TRUE(t.anomalies.empty());
  EXPECT_EQ(t.task, "t1");
  EXPECT_EQ(t.annotator, "acme-a1");
  EXPECT_EQ(t.state, TaskState::kAccepted);
  ASSERT_TRUE(t.lead_time_h && t.labeling_time_h && t.review_latency_h && t.accept_time_h);
  EXPECT_DOUBLE_EQ(*t.lead_time_h, 36.0);        // 11-01 00:00 -> 11-02 12:00
  EXPECT_DOUBLE_EQ(*t.accept_time_h, 35.0);
  EXPECT_DOUBLE_EQ(*t.labeling_time_h, 10.0);    // 02:00 -> 12:00
  EXPECT_DOUBLE_EQ(*t.review_latency_h, 5.0);    // mean of 6 h and 4 h
  EXPECT_EQ(t.submissions, 2);
  EXPECT_EQ(t.reviews, 2);
  EXPECT_EQ(t.review_failures, 1);
  EXPECT_EQ(t.rework_rounds, 1);
  EXPECT_FALSE(t.first_review_passed);
  EXPECT_EQ(t.object_count, 42);
  EXPECT_DOUBLE_EQ(t.work_s, 6600.0);
  EXPECT_DOUBLE_EQ(t.labeling_work_s, 5400.0);
  EXPECT_DOUBLE_EQ(t.cost_labeling_usd, 10.0);
  EXPECT_DOUBLE_EQ(t.cost_rework_usd, 4.0);
  EXPECT_DOUBLE_EQ(t.cost_review_usd, 4.0);
  EXPECT_DOUBLE_EQ(t.cost_usd(), 18.0);
  EXPECT_DOUBLE_EQ(t.cost_of_poor_quality_usd(), 8.0);  // its review and rework cost
  ASSERT_TRUE(t.due_ms);
  EXPECT_EQ(*t.due_ms, Ms("2026-11-05T00:00:00Z"));      // created + 96 h
  EXPECT_EQ(t.sla, SlaState::kOnTime);
}

TEST(TimelineTest, ShuffledEventsGiveTheSameTimeline) {
  std::vector<Event> events = ReworkedTask();
  const TaskTimeline expected = BuildTimeline(events, {Ms("2026-11-10T00:00:00Z"), nullptr});
  std::mt19937 rng(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(events.begin(), events.end(), rng);
    const TaskTimeline t = BuildTimeline(events, {Ms("2026-11-10T00:00:00Z"), nullptr});
    EXPECT_TRUE(t.anomalies.empty());
    EXPECT_EQ(t.lead_time_h, expected.lead_time_h);
    EXPECT_EQ(t.review_latency_h, expected.review_latency_h);
    EXPECT_EQ(t.rework_rounds, 1);
    EXPECT_DOUBLE_EQ(t.cost_usd(), 18.0);
  }
}

TEST(TimelineTest, DueFromTheCreatedEventOverridesTheSla) {
  std::vector<Event> events = ReworkedTask();
  events[0].due = "2026-11-02T00:00:00Z";
  events[0].due_epoch_ms = Ms("2026-11-02T00:00:00Z");
  const ProgramConfig config = Config96h();
  const TaskTimeline t = BuildTimeline(events, {Ms("2026-11-10T00:00:00Z"), &config});
  EXPECT_EQ(*t.due_ms, Ms("2026-11-02T00:00:00Z"));
  EXPECT_EQ(t.sla, SlaState::kLate);  // accepted 11:00 on the due day
}

TEST(TimelineTest, AcceptedExactlyAtTheDueTimeIsOnTime) {
  std::vector<Event> events = ReworkedTask();
  events[0].due_epoch_ms = Ms("2026-11-02T11:00:00Z");
  const TaskTimeline t = BuildTimeline(events, {Ms("2026-11-10T00:00:00Z"), nullptr});
  EXPECT_EQ(t.sla, SlaState::kOnTime);
}

TEST(TimelineTest, OpenTaskIsOpenLateOnlyPastItsDueTime) {
  using K = EventKind;
  const std::vector<Event> events = {E(K::kCreated, "2026-11-01T00:00:00Z"),
                                     E(K::kAssigned, "2026-11-01T02:00:00Z")};
  const ProgramConfig config = Config96h();
  EXPECT_EQ(BuildTimeline(events, {Ms("2026-11-04T00:00:00Z"), &config}).sla, SlaState::kNotDue);
  const TaskTimeline late = BuildTimeline(events, {Ms("2026-11-06T00:00:00Z"), &config});
  EXPECT_EQ(late.sla, SlaState::kOpenLate);
  EXPECT_EQ(late.state, TaskState::kOpen);
  EXPECT_FALSE(late.lead_time_h);
  EXPECT_FALSE(late.labeling_time_h);
  // Without an SLA or `due`, nothing is due.
  EXPECT_EQ(BuildTimeline(events, {Ms("2026-11-06T00:00:00Z"), nullptr}).sla, SlaState::kNotDue);
}

TEST(TimelineTest, CancelledTaskIsNeverDue) {
  using K = EventKind;
  const ProgramConfig config = Config96h();
  const TaskTimeline t = BuildTimeline(
      std::vector<Event>{E(K::kCreated, "2026-11-01T00:00:00Z"), E(K::kCancelled, "2026-11-02T00:00:00Z")},
      {Ms("2026-11-20T00:00:00Z"), &config});
  EXPECT_EQ(t.state, TaskState::kCancelled);
  EXPECT_EQ(t.sla, SlaState::kNotDue);
}

TEST(TimelineTest, AnomalyNoCreated) {
  using K = EventKind;
  const ProgramConfig config = Config96h();
  const TaskTimeline t = BuildTimeline(
      std::vector<Event>{E(K::kAssigned, "2026-11-01T02:00:00Z"), E(K::kSubmitted, "2026-11-01T05:00:00Z", 3.0)},
      {Ms("2026-11-20T00:00:00Z"), &config});
  ASSERT_EQ(t.anomalies.size(), 1u);
  EXPECT_EQ(t.anomalies[0].kind, AnomalyKind::kNoCreated);
  EXPECT_FALSE(t.due_ms);  // no created: no SLA clock
  EXPECT_EQ(t.sla, SlaState::kNotDue);
  EXPECT_DOUBLE_EQ(*t.labeling_time_h, 3.0);  // what is there is still measured
  EXPECT_EQ(t.first_event_ms, Ms("2026-11-01T02:00:00Z"));
}

TEST(TimelineTest, AnomalyDuplicate) {
  using K = EventKind;
  std::vector<Event> events = ReworkedTask();
  events.push_back(events[2]);                               // the same submission again
  events.push_back(E(K::kCreated, "2026-11-01T01:00:00Z"));  // a second created
  const TaskTimeline t = BuildTimeline(events, {Ms("2026-11-10T00:00:00Z"), nullptr});
  EXPECT_EQ(Count(t, AnomalyKind::kDuplicate), 2);
  EXPECT_EQ(t.anomalies.size(), 2u);
  EXPECT_DOUBLE_EQ(t.cost_usd(), 18.0);  // the repeated submission is measured once
  EXPECT_EQ(t.submissions, 2);
  EXPECT_EQ(*t.created_ms, Ms("2026-11-01T00:00:00Z"));
}

TEST(TimelineTest, AnomalySubmittedBeforeAssigned) {
  using K = EventKind;
  const TaskTimeline t = BuildTimeline(
      std::vector<Event>{E(K::kCreated, "2026-11-01T00:00:00Z"), E(K::kSubmitted, "2026-11-01T01:00:00Z"),
                         E(K::kAssigned, "2026-11-01T02:00:00Z")},
      {Ms("2026-11-10T00:00:00Z"), nullptr});
  ASSERT_EQ(t.anomalies.size(), 1u);
  EXPECT_EQ(t.anomalies[0].kind, AnomalyKind::kSubmittedBeforeAssigned);
  EXPECT_EQ(t.anomalies[0].event, EventKind::kSubmitted);
  EXPECT_EQ(t.anomalies[0].at_ms, Ms("2026-11-01T01:00:00Z"));
}

TEST(TimelineTest, AnomalyDeliveredWithoutAccepted) {
  using K = EventKind;
  const TaskTimeline t = BuildTimeline(
      std::vector<Event>{E(K::kCreated, "2026-11-01T00:00:00Z"), E(K::kAssigned, "2026-11-01T02:00:00Z"),
                         E(K::kSubmitted, "2026-11-01T05:00:00Z"), E(K::kReviewPassed, "2026-11-01T06:00:00Z"),
                         E(K::kDelivered, "2026-11-01T08:00:00Z")},
      {Ms("2026-11-10T00:00:00Z"), nullptr});
  ASSERT_EQ(t.anomalies.size(), 1u);
  EXPECT_EQ(t.anomalies[0].kind, AnomalyKind::kDeliveredWithoutAccepted);
  EXPECT_EQ(t.state, TaskState::kOpen);
  EXPECT_DOUBLE_EQ(*t.lead_time_h, 8.0);
}

TEST(TimelineTest, AnomalyOutOfOrder) {
  using K = EventKind;
  // assigned before created; a review with nothing submitted; accepted before any submission.
  const TaskTimeline t = BuildTimeline(
      std::vector<Event>{E(K::kCreated, "2026-11-01T10:00:00Z"), E(K::kAssigned, "2026-11-01T09:00:00Z"),
                         E(K::kReviewPassed, "2026-11-01T11:00:00Z"), E(K::kAccepted, "2026-11-01T12:00:00Z")},
      {Ms("2026-11-10T00:00:00Z"), nullptr});
  EXPECT_EQ(Count(t, AnomalyKind::kOutOfOrder), 3);
  EXPECT_EQ(t.anomalies.size(), 3u);
}

TEST(TimelineTest, BuildTimelinesGroupsByTaskAndCountsAnomalies) {
  using K = EventKind;
  std::vector<Event> events = ReworkedTask();
  Event orphan = E(K::kAssigned, "2026-11-03T00:00:00Z");
  orphan.task = "t0";
  events.insert(events.begin() + 3, orphan);
  const std::vector<TaskTimeline> all = BuildTimelines(events, {Ms("2026-11-10T00:00:00Z"), nullptr});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].task, "t0");
  EXPECT_EQ(all[1].task, "t1");
  EXPECT_EQ(all[1].rework_rounds, 1);
  const AnomalyCounts c = CountAnomalies(all);
  EXPECT_EQ(c.tasks_with_anomalies, 1);
  EXPECT_EQ(c.by_kind[static_cast<int>(AnomalyKind::kNoCreated)], 1);
  EXPECT_EQ(Name(AnomalyKind::kDeliveredWithoutAccepted), "delivered_without_accepted");
}

}  // namespace
}  // namespace gtops::ops
