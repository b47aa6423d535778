// Audit plans in the store (schema v8): saved with their drawn tasks, replaced only when asked,
// loaded back in audit order.
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/store.h"

namespace gtops {
namespace {

class AuditPlanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-plan-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

AuditPlanRow Plan(int64_t n) {
  AuditPlanRow p;
  p.pipeline = "lidar";
  p.batch = "b1";
  p.kind = "single";
  p.lot = 500;
  p.n = n;
  p.c = 2;
  p.aql = 0.01;
  p.ltpd = 0.08;
  p.alpha = 0.05;
  p.beta = 0.10;
  p.seed = 42;
  p.stratify = "vendor";
  p.allocation = "neyman";
  p.strata_json = R"([{"name":"vendor=acme","size":500}])";
  p.created_at = "2026-01-01T00:00:00Z";
  return p;
}

TEST_F(AuditPlanStoreTest, SavedPlanLoadsBackAndIsReplacedOnlyWhenAsked) {
  auto store = OpenStore(StoreOptions{dir_ + "/gtops.db", false});
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto none = (*store)->LoadAuditPlan("lidar", "b1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  std::vector<AuditPlanTask> tasks{{"t9", "vendor=acme", 250}, {"t1", "vendor=acme", 250}};
  auto saved = (*store)->SaveAuditPlan(Plan(2), tasks, false);
  ASSERT_TRUE(saved.ok()) << saved.status().message();
  EXPECT_TRUE(*saved);
  auto again = (*store)->SaveAuditPlan(Plan(1), {{"t5", "vendor=acme", 500}}, false);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // refused without replace: the first plan stands

  auto loaded = (*store)->LoadAuditPlan("lidar", "b1");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  const AuditPlan& p = **loaded;
  EXPECT_EQ(p.plan.kind, "single");
  EXPECT_EQ(p.plan.n, 2);
  EXPECT_EQ(p.plan.c, 2);
  EXPECT_FALSE(p.plan.n1.has_value());
  EXPECT_DOUBLE_EQ(*p.plan.ltpd, 0.08);
  EXPECT_EQ(p.plan.seed, 42);
  ASSERT_EQ(p.tasks.size(), 2u);
  EXPECT_EQ(p.tasks[0].task, "t9");  // audit order, not id order
  EXPECT_EQ(p.tasks[1].task, "t1");

  auto replaced = (*store)->SaveAuditPlan(Plan(1), {{"t5", "vendor=acme", 500}}, true);
  ASSERT_TRUE(replaced.ok());
  EXPECT_TRUE(*replaced);
  loaded = (*store)->LoadAuditPlan("lidar", "b1");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->plan.n, 1);
  ASSERT_EQ((*loaded)->tasks.size(), 1u);
  EXPECT_EQ((*loaded)->tasks[0].task, "t5");
}

}  // namespace
}  // namespace gtops
