// KPI formulas (docs/kpis.md) on hand-built timelines whose every figure is worked out here.
#include "ops/kpis.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

int64_t Ms(const char* at) { return *ParseRfc3339Ms(at); }

TaskTimeline Task(const char* id, const char* vendor, const char* created) {
  TaskTimeline t;
  t.task = id;
  t.pipeline = "lidar";
  t.vendor = vendor;
  t.batch = "b1";
  t.annotator = std::string(vendor) + "-a1";
  t.created_ms = Ms(created);
  t.first_event_ms = *t.created_ms;
  return t;
}

// Four tasks of week 2026-W45 (Monday 2026-11-02):
// T1 acme: accepted on time, one review passed; lead 30 h, labeling 5 h; $8 + $2; 100 objects, 1 h.
// T2 acme: accepted late after one failed review and one rework; lead 50 h, labeling 7 h;
//          $8 labeling + $4 review + $3 rework; 50 objects, 1.5 h.
// T3 cortex: assigned, still open past its due time.
// T4 cortex: rejected after a failed review, past its due time; $5 + $1; 20 objects, 0.5 h.
std::vector<TaskTimeline> FourTasks() {
  TaskTimeline t1 = Task("T1", "acme", "2026-11-02T00:00:00Z");
  t1.state = TaskState::kAccepted;
  t1.first_assigned_ms = Ms("2026-11-02T01:00:00Z");
  t1.first_accepted_ms = Ms("2026-11-03T00:00:00Z");
  t1.sla = SlaState::kOnTime;
  t1.reviews = 1;
  t1.first_review_passed = true;
  t1.lead_time_h = 30;
  t1.labeling_time_h = 5;
  t1.cost_labeling_usd = 8;
  t1.cost_review_usd = 2;
  t1.object_count = 100;
  t1.labeling_work_s = 3600;

  TaskTimeline t2 = Task("T2", "acme", "2026-11-02T12:00:00Z");
  t2.state = TaskState::kAccepted;
  t2.first_assigned_ms = Ms("2026-11-02T13:00:00Z");
  t2.first_accepted_ms = Ms("2026-11-04T00:00:00Z");
  t2.sla = SlaState::kLate;
  t2.reviews = 2;
  t2.review_failures = 1;
  t2.rework_rounds = 1;
  t2.lead_time_h = 50;
  t2.labeling_time_h = 7;
  t2.cost_labeling_usd = 8;
  t2.cost_review_usd = 4;
  t2.cost_rework_usd = 3;
  t2.object_count = 50;
  t2.labeling_work_s = 5400;

  TaskTimeline t3 = Task("T3", "cortex", "2026-11-03T00:00:00Z");
  t3.first_assigned_ms = Ms("2026-11-03T01:00:00Z");
  t3.sla = SlaState::kOpenLate;

  TaskTimeline t4 = Task("T4", "cortex", "2026-11-03T00:00:00Z");
  t4.state = TaskState::kRejected;
  t4.first_assigned_ms = Ms("2026-11-03T01:00:00Z");
  t4.sla = SlaState::kLate;
  t4.reviews = 1;
  t4.review_failures = 1;
  t4.cost_labeling_usd = 5;
  t4.cost_review_usd = 1;
  t4.object_count = 20;
  t4.labeling_work_s = 1800;
  t4.anomalies.push_back(Anomaly{AnomalyKind::kDuplicate, EventKind::kCreated, 0, "x"});
  return {t1, t2, t3, t4};
}

std::vector<TaskAudit> Audits() {
  TaskAudit a1{"T1", "lidar", "b1", "acme", "acme-a1", true, 1, Ms("2026-11-05T00:00:00Z")};
  TaskAudit a2{"T2", "lidar", "b1", "acme", "acme-a1", false, 2, Ms("2026-11-05T00:00:00Z")};
  // An audit of a task without events: grouped by its own fields.
  TaskAudit a9{"T9", "lidar", "b1", "cortex", "cortex-a1", true, 1, Ms("2026-11-05T00:00:00Z")};
  return {a1, a2, a9};
}

KpiOptions AsOfNextMonday() {
  KpiOptions o;
  o.as_of_ms = Ms("2026-11-09T00:00:00Z");
  return o;
}

TEST(KpisTest, WilsonInterval) {
  const Rate r = MakeRate(8, 10);
  EXPECT_DOUBLE_EQ(r.value, 0.8);
  EXPECT_NEAR(r.lo, 0.490162, 1e-6);  // Wilson 95%, computed independently
  EXPECT_NEAR(r.hi, 0.943318, 1e-6);
  const Rate zero = MakeRate(0, 5);
  EXPECT_DOUBLE_EQ(zero.lo, 0.0);
  EXPECT_NEAR(zero.hi, 0.434482, 1e-6);  // never zero-width
  EXPECT_TRUE(std::isnan(MakeRate(0, 0).value));
}

TEST(KpisTest, NearestRankPercentile) {
  std::vector<double> v{10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_DOUBLE_EQ(NearestRank(v, 0.5), 5);
  EXPECT_DOUBLE_EQ(NearestRank(v, 0.9), 9);
  std::vector<double> empty;
  EXPECT_TRUE(std::isnan(NearestRank(empty, 0.5)));
}

TEST(KpisTest, WeekStartIsMondayUtc) {
  EXPECT_EQ(WeekStartMs(Ms("2026-11-04T13:00:00Z")), Ms("2026-11-02T00:00:00Z"));
  EXPECT_EQ(WeekStartMs(Ms("2026-11-02T00:00:00Z")), Ms("2026-11-02T00:00:00Z"));
  EXPECT_EQ(WeekStartMs(Ms("2026-11-08T23:59:59Z")), Ms("2026-11-02T00:00:00Z"));
}

TEST(KpisTest, ParseGroupBy) {
  auto by = ParseGroupBy({"pipeline,vendor", "week"});
  ASSERT_TRUE(by.ok());
  EXPECT_TRUE(by->pipeline && by->vendor && by->week);
  EXPECT_FALSE(by->annotator || by->batch);
  auto bad = ParseGroupBy({"vendor,class"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUsage);
  EXPECT_NE(bad.status().message().find("class"), std::string::npos);
}

TEST(KpisTest, AuditPassesWhenTheLatestAuditOfEachFramePasses) {
  auto audit = [](const char* task, const char* frame, const char* at, bool pass) {
    Audit a;
    a.task = task;
    a.frame = frame;
    a.pipeline = "lidar";
    a.vendor = "acme";
    a.at = at;
    a.at_epoch_ms = Ms(at);
    a.pass = pass;
    return a;
  };
  const std::vector<Audit> audits = {
      audit("A", "f1", "2026-11-02T00:00:00Z", false), audit("A", "f1", "2026-11-03T00:00:00Z", true),
      audit("A", "f2", "2026-11-02T00:00:00Z", true),  // A: both frames' latest pass
      audit("B", "f1", "2026-11-03T00:00:00Z", false), audit("B", "f1", "2026-11-02T00:00:00Z", true),
      audit("C", "", "2026-11-02T00:00:00Z", true)};  // C: the whole task
  const std::vector<TaskAudit> out = AuditOutcomes(audits);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].task, "A");
  EXPECT_TRUE(out[0].pass);
  EXPECT_EQ(out[0].audited_frames, 2);
  EXPECT_FALSE(out[1].pass);
  EXPECT_TRUE(out[2].pass);
  EXPECT_EQ(out[2].audited_frames, 1);
}

TEST(KpisTest, EveryFormulaUngrouped) {
  const auto rows = ComputeKpis(FourTasks(), Audits(), AsOfNextMonday());
  ASSERT_EQ(rows.size(), 1u);
  const KpiRow& r = rows[0];
  EXPECT_EQ(r.tasks, 4);
  EXPECT_EQ(r.tasks_accepted, 2);
  EXPECT_EQ(r.tasks_rejected, 1);
  EXPECT_EQ(r.backlog, 1);  // T3
  EXPECT_EQ(r.wip, 1);      // T3 is assigned
  // on_time_rate: T1 of the 4 due (T2 late, T3 open late, T4 rejected late).
  EXPECT_EQ(r.on_time_rate.successes, 1);
  EXPECT_EQ(r.on_time_rate.n, 4);
  EXPECT_DOUBLE_EQ(r.on_time_rate.value, 0.25);
  // rework_rate: T2 and T4 failed review, of the 3 reviewed.
  EXPECT_DOUBLE_EQ(r.rework_rate.value, 2.0 / 3.0);
  EXPECT_EQ(r.rework_rate.n, 3);
  // first_pass_yield: T1 accepted without a failed review, of the 3 closed (T1, T2, T4).
  EXPECT_DOUBLE_EQ(r.first_pass_yield.value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.mean_rework_rounds, 1.0 / 3.0);
  // audit_pass_rate: T1 and T9 pass, T2 fails.
  EXPECT_DOUBLE_EQ(r.audit_pass_rate.value, 2.0 / 3.0);
  EXPECT_EQ(r.audit_pass_rate.n, 3);
  // Nearest rank over lead times {30, 50} and labeling times {5, 7}.
  EXPECT_DOUBLE_EQ(r.lead_time_p50_h, 30);
  EXPECT_DOUBLE_EQ(r.lead_time_p90_h, 50);
  EXPECT_DOUBLE_EQ(r.labeling_time_p50_h, 5);
  EXPECT_DOUBLE_EQ(r.labeling_time_p90_h, 7);
  // Cost: 10 + 15 + 0 + 6 = 31 over 4 tasks, 2 accepted, 170 objects.
  EXPECT_DOUBLE_EQ(r.cost_usd, 31);
  EXPECT_DOUBLE_EQ(r.cost_per_task_usd, 7.75);
  EXPECT_DOUBLE_EQ(r.cost_per_accepted_task_usd, 15.5);
  EXPECT_DOUBLE_EQ(r.cost_per_object_usd, 31.0 / 170.0);
  // Cost of poor quality: T2's review + rework (4 + 3) and T4's review (1).
  EXPECT_DOUBLE_EQ(r.cost_of_poor_quality_usd, 8);
  // Labeling hours per 1,000 objects: (1 + 1.5 + 0.5) h / 170 objects * 1000.
  EXPECT_NEAR(r.labeling_hours_per_1000_objects, 3.0 / 170.0 * 1000.0, 1e-9);
  // Throughput over 2026-11-02 .. 11-09 (7 days): T1 and T2 accepted, 150 objects.
  EXPECT_DOUBLE_EQ(r.days, 7);
  EXPECT_EQ(r.completed, 2);
  EXPECT_DOUBLE_EQ(r.throughput_tasks_per_day, 2.0 / 7.0);
  EXPECT_DOUBLE_EQ(r.throughput_objects_per_day, 150.0 / 7.0);
  EXPECT_EQ(r.anomalies, 1);
  EXPECT_EQ(r.tasks_with_anomalies, 1);
}

TEST(KpisTest, GroupedByVendorAndWeek) {
  KpiOptions o = AsOfNextMonday();
  o.by.vendor = true;
  o.by.week = true;
  const auto rows = ComputeKpis(FourTasks(), Audits(), o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key.vendor, "acme");
  EXPECT_EQ(rows[0].key.week, "2026-W45");
  EXPECT_EQ(rows[0].key.pipeline, "");  // not grouped by it
  EXPECT_EQ(rows[0].tasks, 2);
  EXPECT_DOUBLE_EQ(rows[0].on_time_rate.value, 0.5);
  EXPECT_DOUBLE_EQ(rows[0].rework_rate.value, 0.5);
  EXPECT_DOUBLE_EQ(rows[0].audit_pass_rate.value, 0.5);
  EXPECT_EQ(rows[0].completed, 2);
  EXPECT_EQ(rows[1].key.vendor, "cortex");
  EXPECT_DOUBLE_EQ(rows[1].on_time_rate.value, 0.0);
  EXPECT_DOUBLE_EQ(rows[1].rework_rate.value, 1.0);
  EXPECT_DOUBLE_EQ(rows[1].first_pass_yield.value, 0.0);
  EXPECT_DOUBLE_EQ(rows[1].audit_pass_rate.value, 1.0);  // T9, from its own fields
  EXPECT_EQ(rows[1].completed, 0);
  EXPECT_DOUBLE_EQ(rows[1].throughput_tasks_per_day, 0.0);
}

TEST(KpisTest, ThroughputCountsATaskInTheWeekOfItsAcceptance) {
  std::vector<TaskTimeline> tasks = FourTasks();
  tasks[1].first_accepted_ms = Ms("2026-11-10T00:00:00Z");  // T2 accepted in W46
  KpiOptions o;
  o.as_of_ms = Ms("2026-11-12T00:00:00Z");
  o.by.week = true;
  const auto rows = ComputeKpis(tasks, {}, o);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key.week, "2026-W45");
  EXPECT_EQ(rows[0].tasks, 4);
  EXPECT_EQ(rows[0].completed, 1);
  EXPECT_DOUBLE_EQ(rows[0].days, 7);
  EXPECT_EQ(rows[1].key.week, "2026-W46");
  EXPECT_EQ(rows[1].tasks, 0);
  EXPECT_EQ(rows[1].completed, 1);
  EXPECT_DOUBLE_EQ(rows[1].days, 3);  // 11-09 .. as_of 11-12: a partial week
  EXPECT_DOUBLE_EQ(rows[1].throughput_tasks_per_day, 1.0 / 3.0);
}

TEST(KpisTest, WindowKeepsTasksCreatedInsideItAndPipelineFilter) {
  KpiOptions o = AsOfNextMonday();
  o.from_ms = Ms("2026-11-03T00:00:00Z");
  o.to_ms = Ms("2026-11-04T00:00:00Z");
  auto rows = ComputeKpis(FourTasks(), {}, o);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].tasks, 2);  // T3, T4
  EXPECT_EQ(rows[0].completed, 1);  // T1 accepted 11-03 00:00, inside the period
  EXPECT_DOUBLE_EQ(rows[0].days, 1);
  o.pipeline = "lanes";
  EXPECT_TRUE(ComputeKpis(FourTasks(), {}, o).empty());
}

}  // namespace
}  // namespace gtops::ops
