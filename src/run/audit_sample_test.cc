// Audit samples drawn from a store and decided on replay: strata from history (annotators with
// different audit failure rates get Neyman's share), the same seed draws the same sample, a
// recorded plan is replaced only with force, and decide replays the plan on the stored audits.
#include "run/audit_sample.h"

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace gtops {
namespace {

class AuditSampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-sample-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = OpenStore(StoreOptions{dir_ + "/gtops.db", false});
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    // History: batch b0, 40 tasks per annotator, audited: a1 fails 1 in 20, a2 fails 1 in 2.
    // The lot: batch b1, 150 tasks of a1 and 50 of a2, none audited yet.
    Begin("history.jsonl");
    for (int i = 0; i < 80; ++i) {
      const std::string ann = i < 40 ? "a1" : "a2";
      const std::string task = fmt::format("h{:03d}", i);
      Label(task, "b0", ann);
      const bool fail = ann == "a1" ? i % 20 == 0 : i % 2 == 0;
      AuditOf(task, "b0", ann, fail, 1000 + i);
    }
    for (int i = 0; i < 200; ++i) Label(fmt::format("t{:03d}", i), "b1", i < 150 ? "a1" : "a2");
    Commit("history.jsonl");
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Begin(const std::string& file) {
    auto run = store_->BeginIngestRun();
    ASSERT_TRUE(run.ok());
    run_ = *run;
    ASSERT_TRUE(store_->BeginFile(file, run_).ok());
    line_ = 0;
  }
  void Commit(const std::string& file) {
    ASSERT_TRUE(store_->CommitFile(FileState{file, 1, 1}, FileTotals{line_, line_, 0}).ok());
    IngestRunTotals totals;
    totals.status = "ok";
    ASSERT_TRUE(store_->FinishIngestRun(run_, totals).ok());
  }
  void Label(const std::string& task, const std::string& batch, const std::string& annotator) {
    LabelRecord r;
    r.pipeline = "lidar";
    r.task = task;
    r.frame = task + "/0";
    r.batch = batch;
    r.source = Source::kVendor;
    r.vendor = "acme";
    r.annotator = annotator;
    r.scene_json = R"({"time_of_day":"day"})";
    ++line_;
    ASSERT_TRUE(store_->PutLabels(r, static_cast<uint64_t>(line_), SourceLocation{"x", line_}).ok());
  }
  void AuditOf(const std::string& task, const std::string& batch, const std::string& annotator, bool fail,
               int64_t minute) {
    Audit a;
    a.task = task;
    a.pipeline = "lidar";
    a.batch = batch;
    a.vendor = "acme";
    a.annotator = annotator;
    a.auditor = "qa";
    a.at_epoch_ms = 1'760'000'000'000 + minute * 60'000;
    a.at = fmt::format("t+{}", minute);
    a.pass = !fail;
    ++line_;
    ASSERT_TRUE(store_->PutAudit(a, static_cast<uint64_t>(line_), SourceLocation{"x", line_}).ok());
  }

  DrawRequest Request() {
    DrawRequest r;
    r.pipeline = "lidar";
    r.batch = "b1";
    r.stratify = {"annotator"};
    r.seed = 11;
    r.plan = stats::PlanRequest{0.05, 0.25, 0.05, 0.10, stats::kInfiniteLot};
    r.now = "2026-01-01T00:00:00Z";
    return r;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  int64_t run_ = 0, line_ = 0;
};

TEST_F(AuditSampleTest, NeymanAllocationFromAuditHistoryAndAReproducibleDraw) {
  // Given the plan for AQL 5%, LTPD 25% on the lot of 200 and strata by annotator,
  auto drawn = DrawAuditSample(*store_, Request());
  ASSERT_TRUE(drawn.ok()) << drawn.status().message();
  const DrawResult& d = *drawn;
  auto plan = stats::DesignSinglePlan({0.05, 0.25, 0.05, 0.10, 200});
  ASSERT_TRUE(plan.ok());
  // then the sample is the single plan's n, recorded with its c,
  EXPECT_EQ(d.plan.kind, "single");
  EXPECT_EQ(d.plan.n, plan->n);
  EXPECT_EQ(d.plan.c, plan->c);
  EXPECT_EQ(d.plan.lot, 200);
  EXPECT_TRUE(d.saved);
  EXPECT_FALSE(d.replaced);
  // the strata rates are the audit history shrunk towards the pooled rate (2 + 20 of 80),
  ASSERT_EQ(d.strata.size(), 2u);
  EXPECT_EQ(d.strata[0].name, "annotator=a1");
  EXPECT_EQ(d.strata[0].history, 40);
  EXPECT_DOUBLE_EQ(d.strata[0].failures, 2);
  const double pooled = 22.0 / 80;
  EXPECT_DOUBLE_EQ(d.pooled_rate, pooled);
  EXPECT_DOUBLE_EQ(d.strata[0].rate, (2 + kHistoryPriorTasks * pooled) / (40 + kHistoryPriorTasks));
  EXPECT_DOUBLE_EQ(d.strata[1].rate, (20 + kHistoryPriorTasks * pooled) / (40 + kHistoryPriorTasks));
  // and the allocation is Neyman's: a2, a quarter of the lot, gets far more than a quarter.
  EXPECT_EQ(d.plan.allocation, "neyman");
  const auto neyman = stats::NeymanAllocation(
      {{"a1", 150, d.strata[0].rate}, {"a2", 50, d.strata[1].rate}}, d.plan.n);
  EXPECT_EQ(d.strata[0].allocated, neyman[0]);
  EXPECT_EQ(d.strata[1].allocated, neyman[1]);
  EXPECT_GT(static_cast<double>(neyman[1]), 0.3 * static_cast<double>(d.plan.n));
  ASSERT_EQ(static_cast<int64_t>(d.tasks.size()), d.plan.n);
  for (const AuditPlanTask& t : d.tasks) {
    const bool a2 = t.task >= "t150";
    EXPECT_EQ(t.stratum, a2 ? "annotator=a2" : "annotator=a1");
    EXPECT_DOUBLE_EQ(t.weight, a2 ? 50.0 / static_cast<double>(neyman[1]) : 150.0 / static_cast<double>(neyman[0]));
  }

  // Drawing again without force records nothing; with force and the same seed, the same sample.
  auto again = DrawAuditSample(*store_, Request());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->saved);
  DrawRequest forced = Request();
  forced.force = true;
  auto redrawn = DrawAuditSample(*store_, forced);
  ASSERT_TRUE(redrawn.ok());
  EXPECT_TRUE(redrawn->saved && redrawn->replaced);
  ASSERT_EQ(redrawn->tasks.size(), d.tasks.size());
  for (size_t i = 0; i < d.tasks.size(); ++i) EXPECT_EQ(redrawn->tasks[i].task, d.tasks[i].task);
  forced.seed = 12;
  auto other = DrawAuditSample(*store_, forced);
  ASSERT_TRUE(other.ok());
  std::set<std::string> a, b;
  for (const auto& t : d.tasks) a.insert(t.task);
  for (const auto& t : other->tasks) b.insert(t.task);
  EXPECT_NE(a, b);
}

TEST_F(AuditSampleTest, DecideReplaysTheRecordedPlanOnTheStoredAudits) {
  auto drawn = DrawAuditSample(*store_, Request());
  ASSERT_TRUE(drawn.ok()) << drawn.status().message();
  const int64_t c = *drawn->plan.c;
  // Nothing audited yet: continue, with the whole sample still needed.
  auto first = DecideAuditSample(*store_, "lidar", "b1");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->decision, "continue");
  EXPECT_EQ(first->evidence.audits_needed, drawn->plan.n);
  EXPECT_FALSE(std::isfinite(first->estimate.rate));

  // Audits of the first c + 1 drawn tasks, all failing, and of one task not drawn.
  Begin("audits.jsonl");
  std::set<std::string> drawn_ids;
  for (const auto& t : drawn->tasks) drawn_ids.insert(t.task);
  for (int64_t i = 0; i <= c; ++i) {
    const std::string& task = drawn->tasks[static_cast<size_t>(i)].task;
    AuditOf(task, "b1", task >= "t150" ? "a2" : "a1", true, 5000 + i);
  }
  for (int i = 0; i < 200; ++i) {
    const std::string task = fmt::format("t{:03d}", i);
    if (drawn_ids.count(task) == 0) {
      AuditOf(task, "b1", i < 150 ? "a1" : "a2", false, 4000);
      break;
    }
  }
  Commit("audits.jsonl");
  auto second = DecideAuditSample(*store_, "lidar", "b1");
  ASSERT_TRUE(second.ok());
  // then more than c of the plan's n failed: reject, the task outside the sample left out,
  EXPECT_EQ(second->decision, "reject");
  EXPECT_EQ(second->evidence.failures, c + 1);
  EXPECT_EQ(second->audits_outside, 1);
  // and the stratified estimate uses the audited strata only.
  int64_t audited = 0;
  for (const StratumDecision& s : second->strata) audited += s.audited;
  EXPECT_EQ(audited, c + 1);
  EXPECT_DOUBLE_EQ(second->estimate.rate, 1.0);
  // Replayed, the decision and its evidence are the same.
  auto third = DecideAuditSample(*store_, "lidar", "b1");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->decision, second->decision);
  EXPECT_EQ(third->evidence.evidence, second->evidence.evidence);

  EXPECT_EQ(DecideAuditSample(*store_, "lidar", "b9").status().code(), StatusCode::kNotFound);
}

TEST_F(AuditSampleTest, UsageErrorsNameTheOption) {
  DrawRequest r = Request();
  r.stratify = {"weather"};
  EXPECT_NE(DrawAuditSample(*store_, r).status().message().find("--stratify: unknown key 'weather'"),
            std::string::npos);
  r = Request();
  r.batch = "nope";
  EXPECT_EQ(DrawAuditSample(*store_, r).status().code(), StatusCode::kUsage);
  r = Request();
  r.budget = 3;
  EXPECT_NE(DrawAuditSample(*store_, r).status().message().find("--budget 3 is below"), std::string::npos);
  r = Request();
  r.plan.reset();
  EXPECT_EQ(DrawAuditSample(*store_, r).status().code(), StatusCode::kUsage);
  // A budget alone: no history needed, proportional allocation without it.
  r.budget = 20;
  r.stratify = {"scene.time_of_day"};
  auto b = DrawAuditSample(*store_, r);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->plan.kind, "budget");
  EXPECT_EQ(b->plan.n, 20);
  ASSERT_EQ(b->strata.size(), 1u);
  EXPECT_EQ(b->strata[0].name, "scene.time_of_day=day");
}

}  // namespace
}  // namespace gtops
