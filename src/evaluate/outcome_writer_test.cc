// The outcome writer: every row written in one run, on a second thread or on the caller's, and
// a run not finished is rolled back.
#include "evaluate/outcome_writer.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace gtops {
namespace {

class OutcomeWriterTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-outcomes-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = OpenStore(StoreOptions{dir_ + "/gtops.db", false});
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static OutcomeRow Row(int i) {
    OutcomeRow r;
    r.pipeline = "lidar";
    r.task = "t" + std::to_string(i / 100);
    r.frame = "f" + std::to_string(i / 10);
    r.source = "vendor";
    r.producer = "acme/a1";
    r.kind = i % 7 == 0 ? "missing" : "paired";
    r.reference_id = "o" + std::to_string(i);
    r.cls = "car";
    return r;
  }
  int64_t Scalar(const std::string& sql) {
    auto q = store_->QueryReadOnly(sql);
    EXPECT_TRUE(q.ok()) << q.status().message();
    return q.ok() && !q->rows.empty() && q->rows[0][0] ? std::stoll(*q->rows[0][0]) : -1;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(OutcomeWriterTest, WritesEveryRowInOneRunAndRollsBackARunNotFinished) {
  const EvaluationRunInfo info{"lidar", "vendor", "gold", ""};
  constexpr int kRows = 10'000;  // several batches, more than the queue holds
  {
    OutcomeWriter writer(*store_, info, GetParam());
    for (int i = 0; i < kRows; ++i) ASSERT_TRUE(writer.Add(Row(i)).ok());
    ASSERT_TRUE(writer.Finish(kRows).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM outcomes"), kRows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM outcomes WHERE kind = 'missing'"), (kRows + 6) / 7);
  EXPECT_EQ(Scalar("SELECT outcomes FROM evaluation_runs"), kRows);
  {
    // A second run of the same comparison that is abandoned: the first run's rows stay.
    OutcomeWriter writer(*store_, info, GetParam());
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(writer.Add(Row(i)).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM outcomes"), kRows);
  EXPECT_EQ(Scalar("SELECT count(*) FROM evaluation_runs"), 1);
  {
    // A finished second run replaces the first.
    OutcomeWriter writer(*store_, info, GetParam());
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(writer.Add(Row(i)).ok());
    ASSERT_TRUE(writer.Finish(300).ok());
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM outcomes"), 300);
  EXPECT_EQ(Scalar("SELECT count(*) FROM evaluation_runs"), 1);
}

INSTANTIATE_TEST_SUITE_P(ThreadedAndNot, OutcomeWriterTest, ::testing::Bool());

}  // namespace
}  // namespace gtops
