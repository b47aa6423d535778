// Alerts on hand-built weekly series: a vendor whose lateness jumps, a pipeline x vendor whose
// rework jumps, throughput that falls while work waits, first-pass cost that rises, steady series
// and shared changes that must stay quiet, and the partial and wind-down weeks that must raise
// nothing.
#include "ops/alerts.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kWeek = 7 * 24 * kHour;

int64_t Ms(const char* at) { return *ParseRfc3339Ms(at); }

// `n` tasks of `vendor` on `pipeline` created in the week starting `week_ms`, of which `late` were
// accepted after their due time and `reworked` failed a review.
void AddWeek(std::vector<TaskTimeline>& out, const char* pipeline, const char* vendor, int64_t week_ms, int n,
             int late, int reworked) {
  for (int i = 0; i < n; ++i) {
    TaskTimeline t;
    t.task = fmt::format("{}-{}-{}-{}", pipeline, vendor, week_ms, i);
    t.pipeline = pipeline;
    t.vendor = vendor;
    t.created_ms = week_ms + i * kHour;
    t.first_event_ms = *t.created_ms;
    t.state = TaskState::kAccepted;
    t.sla = i < late ? SlaState::kLate : SlaState::kOnTime;
    t.reviews = 1;
    t.review_failures = i < reworked ? 1 : 0;
    out.push_back(std::move(t));
  }
}

const int64_t kW45 = Ms("2026-11-02T00:00:00Z");  // a Monday

// Eight complete weeks of two vendors on one pipeline: 40 tasks a week, 1 late, 4 reworked.
std::vector<TaskTimeline> Steady() {
  std::vector<TaskTimeline> out;
  for (int w = 0; w < 8; ++w) {
    AddWeek(out, "lidar", "acme", kW45 + w * kWeek, 40, 1, 4);
    AddWeek(out, "lidar", "cortex", kW45 + w * kWeek, 40, 1, 4);
  }
  return out;
}

AlertOptions EndOfWeek8() {
  AlertOptions o;
  o.as_of_ms = kW45 + 8 * kWeek;
  return o;
}

TEST(AlertsTest, SteadySeriesRaiseNothing) { EXPECT_TRUE(DetectAlerts(Steady(), EndOfWeek8()).empty()); }

TEST(AlertsTest, LatenessJumpIsAnSlaBreachOfTheVendorSinceItsWeek) {
  std::vector<TaskTimeline> tasks;
  for (int w = 0; w < 8; ++w) {
    AddWeek(tasks, "lidar", "acme", kW45 + w * kWeek, 40, 1, 4);
    AddWeek(tasks, "lidar", "cortex", kW45 + w * kWeek, 40, w >= 5 ? 20 : 1, 4);  // from W50
  }
  const std::vector<Alert> alerts = DetectAlerts(tasks, EndOfWeek8());
  ASSERT_EQ(alerts.size(), 1u);
  const Alert& a = alerts[0];
  EXPECT_EQ(a.kind, "sla_breach");
  EXPECT_EQ(a.level, "page");
  EXPECT_EQ(a.vendor, "cortex");
  EXPECT_EQ(a.pipeline, "");  // vendor-wide
  EXPECT_EQ(a.since, "2026-W50");
  EXPECT_EQ(a.detected, "2026-W50");
  EXPECT_EQ(a.metric, "on_time_rate");
  EXPECT_DOUBLE_EQ(a.current, 0.5);  // 20 of 40 late
  EXPECT_EQ(a.tasks, 40);
  EXPECT_GT(a.statistic, 8.0);
  EXPECT_NE(a.evidence.find("on_time_rate 0.500"), std::string::npos) << a.evidence;
}

TEST(AlertsTest, ReworkJumpIsAReworkSpikeOfThePipelineAndVendor) {
  std::vector<TaskTimeline> tasks = Steady();
  for (int w = 0; w < 8; ++w) {
    AddWeek(tasks, "lanes", "acme", kW45 + w * kWeek, 20, 0, w >= 3 && w < 6 ? 8 : 1);  // W48..W50
  }
  const std::vector<Alert> alerts = DetectAlerts(tasks, EndOfWeek8());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "rework_spike");
  EXPECT_EQ(alerts[0].pipeline, "lanes");
  EXPECT_EQ(alerts[0].vendor, "acme");
  EXPECT_EQ(alerts[0].since, "2026-W48");
  EXPECT_EQ(alerts[0].metric, "rework_rate");
  // p0: its better half of weeks (4 weeks of 1 in 20) shrunk by 20 tasks towards the program's
  // rework rate over every complete week, (16 * 4 + 5 * 1 + 3 * 8) / 800.
  EXPECT_NEAR(alerts[0].baseline, (4 + 20 * (93.0 / 800.0)) / 100.0, 1e-12);
  // CUSUM: 8 of 20 in W48 gives 6.2 (below h = 8), 8 more of 20 in W49 gives 12.4.
  EXPECT_EQ(alerts[0].detected, "2026-W49");
  EXPECT_EQ(alerts[0].tasks, 40);
}

TEST(AlertsTest, AChangeEveryVendorSharesIsNotOneVendors) {
  std::vector<TaskTimeline> tasks;
  for (int w = 0; w < 8; ++w) {
    const int reworked = w >= 3 && w < 6 ? 16 : 4;  // both vendors, the same weeks
    AddWeek(tasks, "lidar", "acme", kW45 + w * kWeek, 40, 1, reworked);
    AddWeek(tasks, "lidar", "cortex", kW45 + w * kWeek, 40, 1, reworked);
  }
  EXPECT_TRUE(DetectAlerts(tasks, EndOfWeek8()).empty());
}

TEST(AlertsTest, AVendorWorseSinceItsSeriesBeganIsNoChange) {
  std::vector<TaskTimeline> tasks;
  for (int w = 0; w < 8; ++w) {
    AddWeek(tasks, "lidar", "acme", kW45 + w * kWeek, 40, 1, 4);
    AddWeek(tasks, "lidar", "cortex", kW45 + w * kWeek, 40, 6, 12);  // always worse
  }
  EXPECT_TRUE(DetectAlerts(tasks, EndOfWeek8()).empty());
}

TEST(AlertsTest, PartialAndWindDownWeeksRaiseNothing) {
  std::vector<TaskTimeline> tasks = Steady();
  // A bad partial week at the end (as_of in its middle) ...
  AddWeek(tasks, "lidar", "acme", kW45 + 8 * kWeek, 40, 30, 30);
  AlertOptions o = EndOfWeek8();
  o.as_of_ms += 3 * 24 * kHour;
  EXPECT_TRUE(DetectAlerts(tasks, o).empty());
  // ... and a partial first week (the data begin on a Thursday).
  std::vector<TaskTimeline> early = Steady();
  AddWeek(early, "lidar", "acme", kW45 - 4 * 24 * kHour, 30, 25, 25);
  EXPECT_TRUE(DetectAlerts(early, EndOfWeek8()).empty());
}

}  // namespace
}  // namespace gtops::ops

namespace gtops::ops {
namespace {

ProgramConfig TargetsConfig(double on_time, double rework) {
  auto c = ParseConfig(fmt::format(R"toml(
[program]
name = "alerts"

[[pipelines]]
id = "lidar"
geometry = "box3d"
match = {{ bev_iou = 0.3 }}

  [pipelines.targets]
  on_time_rate = {}
  rework_rate = {}
)toml",
                                   on_time, rework),
                       "gtops.toml");
  EXPECT_TRUE(c.ok()) << c.status().message();
  return std::move(*c);
}

TEST(AlertsTest, AKpiOnTheWrongSideOfItsTargetSinceItsSeriesBeganIsAnInfoAlert) {
  // Steady(): each vendor 1 late of 40 (on time 0.975) and 4 reworked of 40 (0.1) every week, for
  // 8 weeks: worse than targets of 0.99 and 0.05 in every week, and pooled over 320 tasks with
  // Wilson intervals [0.951, 0.987] and [0.072, 0.138], wholly on the wrong side.
  const ProgramConfig config = TargetsConfig(0.99, 0.05);
  AlertOptions o = EndOfWeek8();
  o.config = &config;
  const std::vector<Alert> alerts = DetectAlerts(Steady(), o);
  ASSERT_EQ(alerts.size(), 4u);
  for (const Alert& a : alerts) {
    EXPECT_EQ(a.level, "info") << a.evidence;
    EXPECT_EQ(a.pipeline, "lidar");
    EXPECT_EQ(a.tasks, 320);
    EXPECT_EQ(a.since, "2026-W45");
    EXPECT_EQ(a.detected, "2026-W52");
  }
  EXPECT_EQ(alerts[0].kind, "sla_breach");
  EXPECT_NEAR(alerts[0].current, 0.975, 1e-12);
  EXPECT_DOUBLE_EQ(alerts[0].baseline, 0.99);
  EXPECT_EQ(alerts[2].kind, "rework_spike");
  EXPECT_NEAR(alerts[2].current, 0.1, 1e-12);
}

TEST(AlertsTest, NoInfoAlertWhenTheTargetIsMetOrTheGapIsNotSure) {
  AlertOptions o = EndOfWeek8();
  // Met: on time 0.975 >= 0.95, rework 0.1 <= 0.2.
  const ProgramConfig met = TargetsConfig(0.95, 0.2);
  o.config = &met;
  EXPECT_TRUE(DetectAlerts(Steady(), o).empty());
  // Worse in every week, but the pooled interval still reaches the target: on time 0.975 with
  // Wilson upper end 0.987 against 0.98; rework 0.1 with lower end 0.072 against 0.09.
  const ProgramConfig close = TargetsConfig(0.98, 0.09);
  o.config = &close;
  EXPECT_TRUE(DetectAlerts(Steady(), o).empty());
}

// `created` tasks of `vendor` created through the week starting `week_ms`, each accepted `delay`
// later, with a first-pass labeling cost of `cost` (+-5% in a fixed pattern).
void AddAccepted(std::vector<TaskTimeline>& out, const char* pipeline, const char* vendor, int64_t week_ms,
                 int created, int64_t delay, double cost = 10) {
  for (int i = 0; i < created; ++i) {
    TaskTimeline t;
    t.task = fmt::format("{}-{}-{}-{}-{}", pipeline, vendor, week_ms, delay, i);
    t.pipeline = pipeline;
    t.vendor = vendor;
    t.created_ms = week_ms + i * (kWeek / (created + 1));
    t.first_event_ms = *t.created_ms;
    t.first_accepted_ms = *t.created_ms + delay;
    t.closed_ms = t.first_accepted_ms;
    t.state = TaskState::kAccepted;
    t.sla = SlaState::kOnTime;
    t.cost_labeling_usd = cost * (0.95 + 0.1 * static_cast<double>(i % 5) / 4);
    out.push_back(std::move(t));
  }
}

// Two vendors, 30 tasks a week each for eight weeks, accepted a day after creation; in weeks 4
// and 5 `acme_parked` of acme's 30 wait until week 6 (its team shrank) and `acme_created` tasks
// are created for it in those weeks.
std::vector<TaskTimeline> Throughput(int acme_created, int acme_parked, int cortex_created = 30) {
  std::vector<TaskTimeline> out;
  for (int w = 0; w < 8; ++w) {
    const int64_t week = kW45 + w * kWeek;
    const bool hit = w == 4 || w == 5;
    AddAccepted(out, "lidar", "cortex", week, hit ? cortex_created : 30, 24 * kHour);
    if (!hit) {
      AddAccepted(out, "lidar", "acme", week, 30, 24 * kHour);
      continue;
    }
    AddAccepted(out, "lidar", "acme", week, acme_created - acme_parked, 24 * kHour);
    for (int i = 0; i < acme_parked; ++i) {  // accepted on the Tuesday of week 6
      std::vector<TaskTimeline> one;
      AddAccepted(one, "lidar", "acme", week + i * kHour, 1, kW45 + 6 * kWeek + 24 * kHour - week - i * kHour);
      one[0].task += fmt::format("-parked-{}", i);
      out.push_back(std::move(one[0]));
    }
  }
  return out;
}

std::vector<Alert> OfKind(const std::vector<Alert>& alerts, const std::string& kind) {
  std::vector<Alert> out;
  for (const Alert& a : alerts) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

TEST(AlertsTest, AVendorThatStopsFinishingTheWorkItHasIsAThroughputDrop) {
  const std::vector<Alert> alerts = OfKind(DetectAlerts(Throughput(30, 25), EndOfWeek8()), "throughput_drop");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].pipeline, "lidar");
  EXPECT_EQ(alerts[0].vendor, "acme");
  EXPECT_EQ(alerts[0].level, "page");
  EXPECT_EQ(alerts[0].since, IsoWeek(kW45 + 4 * kWeek));
  EXPECT_EQ(alerts[0].metric, "throughput_tasks_per_week");
  EXPECT_LT(alerts[0].current, 0.5 * alerts[0].baseline);
  EXPECT_GT(alerts[0].statistic, 8.0);
  EXPECT_NE(alerts[0].evidence.find("Poisson CUSUM"), std::string::npos) << alerts[0].evidence;
}

TEST(AlertsTest, LessWorkComingInIsNotAThroughputDrop) {
  // Every vendor of the pipeline gets a sixth of the work for two weeks: supply, not capacity.
  EXPECT_TRUE(OfKind(DetectAlerts(Throughput(5, 0, 5), EndOfWeek8()), "throughput_drop").empty());
  // Only acme gets less work, and finishes all of it: it had nothing more to do.
  EXPECT_TRUE(OfKind(DetectAlerts(Throughput(5, 0), EndOfWeek8()), "throughput_drop").empty());
  // A small dip (a quarter of the work late by a week) is not worth a page.
  EXPECT_TRUE(OfKind(DetectAlerts(Throughput(30, 7), EndOfWeek8()), "throughput_drop").empty());
}

TEST(AlertsTest, DearerFirstPassLabelingIsACostOverrunSinceItsWeek) {
  std::vector<TaskTimeline> tasks;
  for (int w = 0; w < 8; ++w) {
    const int64_t week = kW45 + w * kWeek;
    AddAccepted(tasks, "lidar", "cortex", week, 30, 24 * kHour, 10);
    AddAccepted(tasks, "lidar", "acme", week, 30, 24 * kHour, w >= 5 ? 14 : 10);
  }
  const std::vector<Alert> alerts = OfKind(DetectAlerts(tasks, EndOfWeek8()), "cost_overrun");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].vendor, "acme");
  EXPECT_EQ(alerts[0].since, IsoWeek(kW45 + 5 * kWeek));
  EXPECT_NEAR(alerts[0].baseline, 10, 0.2);  // geometric mean of the cheaper weeks
  // Tasks by acceptance week: week 5 also accepts the last day of week 4's cheaper tasks.
  EXPECT_NEAR(alerts[0].current, 14, 0.6);
}

TEST(AlertsTest, CostsThatEveryVendorSharesOrThatReworkAddsAreNoCostOverrun) {
  std::vector<TaskTimeline> tasks;
  for (int w = 0; w < 8; ++w) {
    const int64_t week = kW45 + w * kWeek;
    // Both vendors' tasks grow by 40% from week 5 (a spec change): shared, not acme's.
    AddAccepted(tasks, "lidar", "cortex", week, 30, 24 * kHour, w >= 5 ? 14 : 10);
    AddAccepted(tasks, "lidar", "acme", week, 30, 24 * kHour, w >= 5 ? 14 : 10);
    // A third pipeline's vendor reworks a lot from week 5: rework cost is rework_spike's.
    const size_t first = tasks.size();
    AddAccepted(tasks, "lanes", "acme", week, 30, 24 * kHour, 10);
    for (size_t i = first; i < tasks.size(); ++i) tasks[i].cost_rework_usd = w >= 5 ? 8 : 0;
  }
  EXPECT_TRUE(OfKind(DetectAlerts(tasks, EndOfWeek8()), "cost_overrun").empty());
}

}  // namespace
}  // namespace gtops::ops
