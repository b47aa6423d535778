// `gtops ops` on a hand-written program whose tasks break the lifecycle in every way FORMAT.md's
// events can: each anomaly is reported on its task and counted, and no task is dropped.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using testing::RunGtops;

using nlohmann::json;
using testing::TempDir;

std::string Event(const std::string& task, const std::string& event, const std::string& at,
                  const std::string& extra = "") {
  return R"({"task":")" + task + R"(","pipeline":"lidar_cuboids","batch":"b1","vendor":"acme","event":")" +
         event + R"(","at":")" + at + "\"" + extra + "}\n";
}

TEST(OpsAnomalies, EveryKindIsReportedOnItsTaskAndCounted) {
  TempDir program;
  int status = -1;
  std::string out = RunGtops("init " + program.path(), status);
  ASSERT_EQ(status, 0) << out;
  {
    std::ofstream f(program / "data/events.jsonl");
    // ok: a clean life, accepted on time (due: created + 96 h).
    f << Event("ok", "created", "2026-11-02T00:00:00Z") << Event("ok", "assigned", "2026-11-02T01:00:00Z")
      << Event("ok", "submitted", "2026-11-02T05:00:00Z", R"(,"cost_usd":4.0,"object_count":10)")
      << Event("ok", "review_passed", "2026-11-02T06:00:00Z", R"(,"cost_usd":1.0)")
      << Event("ok", "accepted", "2026-11-02T07:00:00Z") << Event("ok", "delivered", "2026-11-02T08:00:00Z");
    // no_created.
    f << Event("nc", "assigned", "2026-11-02T01:00:00Z") << Event("nc", "submitted", "2026-11-02T02:00:00Z");
    // duplicate: two created events.
    f << Event("dup", "created", "2026-11-02T00:00:00Z") << Event("dup", "created", "2026-11-02T03:00:00Z");
    // submitted_before_assigned.
    f << Event("sba", "created", "2026-11-02T00:00:00Z") << Event("sba", "submitted", "2026-11-02T01:00:00Z")
      << Event("sba", "assigned", "2026-11-02T02:00:00Z");
    // delivered_without_accepted.
    f << Event("dwa", "created", "2026-11-02T00:00:00Z") << Event("dwa", "assigned", "2026-11-02T01:00:00Z")
      << Event("dwa", "submitted", "2026-11-02T02:00:00Z") << Event("dwa", "delivered", "2026-11-02T03:00:00Z");
    // out_of_order: a review with nothing submitted.
    f << Event("ooo", "created", "2026-11-02T00:00:00Z") << Event("ooo", "review_failed", "2026-11-02T01:00:00Z");
    // The latest event: everything open is judged at 2026-11-10 (past every due time).
    f << Event("late", "created", "2026-11-02T00:00:00Z") << Event("late", "assigned", "2026-11-10T00:00:00Z");
  }
  const std::string common = "--program " + program.path();
  out = RunGtops("ingest -q " + common, status);
  ASSERT_EQ(status, 0) << out;
  out = RunGtops("ops --json --anomalies " + common, status);
  ASSERT_EQ(status, 0) << out;
  const json j = json::parse(out);
  EXPECT_EQ(j["tasks"], 7);  // nothing dropped
  EXPECT_EQ(j["as_of"], "2026-11-10T00:00:00Z");
  const json& by_kind = j["anomalies"]["by_kind"];
  EXPECT_EQ(by_kind["no_created"], 1);
  EXPECT_EQ(by_kind["duplicate"], 1);
  EXPECT_EQ(by_kind["submitted_before_assigned"], 1);
  EXPECT_EQ(by_kind["delivered_without_accepted"], 1);
  EXPECT_EQ(by_kind["out_of_order"], 1);
  EXPECT_EQ(j["anomalies"]["tasks_with_anomalies"], 5);
  std::map<std::string, std::string> kind_of_task;
  for (const json& a : j["anomalies"]["tasks"]) kind_of_task[a["task"]] = a["kind"];
  EXPECT_EQ(kind_of_task["nc"], "no_created");
  EXPECT_EQ(kind_of_task["dup"], "duplicate");
  EXPECT_EQ(kind_of_task["sba"], "submitted_before_assigned");
  EXPECT_EQ(kind_of_task["dwa"], "delivered_without_accepted");
  EXPECT_EQ(kind_of_task["ooo"], "out_of_order");
  EXPECT_EQ(kind_of_task.count("ok"), 0u);

  ASSERT_EQ(j["kpis"].size(), 1u);
  const json& k = j["kpis"][0];
  EXPECT_EQ(k["tasks"], 7);
  EXPECT_EQ(k["tasks_accepted"], 1);
  // Due: every task with a created event (6); on time: only "ok".
  EXPECT_EQ(k["on_time_rate_n"], 6);
  EXPECT_DOUBLE_EQ(k["on_time_rate"].get<double>(), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(k["cost_per_accepted_task_usd"].get<double>(), 5.0);
  EXPECT_EQ(k["anomalies"], 5);
}

}  // namespace
}  // namespace gtops
