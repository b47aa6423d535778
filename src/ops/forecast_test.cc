// Completion forecasts on hand-built timelines, and the Poisson interval against the exact
// chi-square bounds (published tables).
#include "ops/forecast.h"

#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

constexpr int64_t kDay = 24 * 3600 * 1000;

TaskTimeline Task(const std::string& pipeline, TaskState state, std::optional<int64_t> accepted_ms) {
  TaskTimeline t;
  t.task = pipeline + std::to_string(accepted_ms.value_or(0));
  t.pipeline = pipeline;
  t.state = state;
  t.first_accepted_ms = accepted_ms;
  return t;
}

TEST(ForecastTest, PoissonIntervalIsCloseToTheExactBounds) {
  // Exact 95% bounds: k = 5: [1.623, 11.668]; k = 20: [12.217, 30.889]; k = 0: [0, 3.689].
  auto [lo5, hi5] = PoissonInterval(5);
  EXPECT_NEAR(lo5, 1.623, 0.02);
  EXPECT_NEAR(hi5, 11.668, 0.05);
  auto [lo20, hi20] = PoissonInterval(20);
  EXPECT_NEAR(lo20, 12.217, 0.05);
  EXPECT_NEAR(hi20, 30.889, 0.05);
  auto [lo0, hi0] = PoissonInterval(0);
  EXPECT_EQ(lo0, 0.0);
  EXPECT_NEAR(hi0, 3.689, 0.05);
}

TEST(ForecastTest, BacklogOverRecentThroughput) {
  const int64_t as_of = *ParseRfc3339Ms("2026-11-30T00:00:00Z");
  std::vector<TaskTimeline> tasks;
  // lidar: 7 accepted in the last 14 days (0.5 a day), 2 before; 3 open: done in 6 days.
  for (int i = 0; i < 7; ++i) tasks.push_back(Task("lidar", TaskState::kAccepted, as_of - (i * 2) * kDay));
  for (int i = 0; i < 2; ++i) tasks.push_back(Task("lidar", TaskState::kAccepted, as_of - (20 + i) * kDay));
  for (int i = 0; i < 3; ++i) tasks.push_back(Task("lidar", TaskState::kOpen, std::nullopt));
  // lanes: nothing open. tags: open, nothing accepted lately.
  tasks.push_back(Task("lanes", TaskState::kAccepted, as_of - 30 * kDay));
  tasks.push_back(Task("tags", TaskState::kOpen, std::nullopt));
  tasks.push_back(Task("tags", TaskState::kRejected, std::nullopt));

  const std::vector<Forecast> f = ForecastCompletion(tasks, {as_of, 14});
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].pipeline, "lanes");
  EXPECT_EQ(f[0].backlog, 0);
  EXPECT_EQ(f[0].expected_ms, as_of);

  EXPECT_EQ(f[1].pipeline, "lidar");
  EXPECT_EQ(f[1].backlog, 3);
  EXPECT_EQ(f[1].accepted_recently, 7);
  EXPECT_DOUBLE_EQ(f[1].throughput_tasks_per_day, 0.5);
  EXPECT_EQ(f[1].expected_ms, as_of + 6 * kDay);
  ASSERT_TRUE(f[1].lo_ms && f[1].hi_ms);
  const auto [k_lo, k_hi] = PoissonInterval(7);
  EXPECT_NEAR(static_cast<double>(*f[1].lo_ms - as_of) / kDay, 3.0 / (k_hi / 14.0), 1.0 / 86400);  // whole seconds
  EXPECT_NEAR(static_cast<double>(*f[1].hi_ms - as_of) / kDay, 3.0 / (k_lo / 14.0), 1.0 / 86400);
  EXPECT_LT(*f[1].lo_ms, *f[1].expected_ms);
  EXPECT_GT(*f[1].hi_ms, *f[1].expected_ms);

  EXPECT_EQ(f[2].pipeline, "tags");
  EXPECT_EQ(f[2].backlog, 1);  // the rejected task is closed
  EXPECT_FALSE(f[2].expected_ms);
}

}  // namespace
}  // namespace gtops::ops
