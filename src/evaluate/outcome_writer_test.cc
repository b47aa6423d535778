// The outcome writer: every row written in one run, on a second thread or on the caller's, and
// a run not finished is rolled back. The outcome queue: runs of several threads written one after
// the other, every field as it was given, a run whose sink went away rolled back.
#include "evaluate/outcome_writer.h"

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <thread>

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

// A row with every field set from `i` (some optional numbers missing, record fields shared by
// runs of rows, as an evaluation gives them).
OutcomeRow FullRow(const std::string& pipeline, int i) {
  OutcomeRow r;
  r.pipeline = pipeline;
  r.batch = i % 3 == 0 ? "" : "b" + std::to_string(i / 50);
  r.task = "t" + std::to_string(i / 20);
  r.frame = "f" + std::to_string(i / 5);
  r.source = "vendor";
  r.producer = "acme/a" + std::to_string(i / 5 % 3);
  r.vendor = "acme";
  r.annotator = "a" + std::to_string(i / 5 % 3);
  r.spec_version = "3.1";
  r.tool_version = "tool 2";
  r.kind = i % 4 == 0 ? "missing" : "paired";
  r.reference_id = "o" + std::to_string(i);
  if (i % 4 != 0) r.label_id = "l" + std::to_string(i);
  r.cls = "car";
  r.label_cls = i % 9 == 0 ? "van" : "car";
  if (i % 11 == 0) r.tag_name = "weather";
  if (i % 2 == 0) r.range_m = 0.5 * i;
  r.safety_weight = 3.0;
  if (i % 5 == 0) r.score = 0.25;
  r.iou = 1.0 / (i + 1);
  r.center_error_m = 0.125 * (i % 7);
  r.size_error_rel = 0.01 * (i % 3);
  if (i % 3 != 0) r.heading_error_deg = -2.5 * i;
  r.distance = 0.1 * i;
  if (i % 6 != 0) r.num_points = i * 7;
  if (i % 9 == 0) r.errors = {ErrorType::kWrongClass};
  if (i % 10 == 0) r.errors.push_back(ErrorType::kPosition);
  r.attributes_compared = i % 3;
  r.attributes_equal = i % 3 == 2 ? 1 : r.attributes_compared;
  if (i % 3 == 2) r.attributes_differing = "occlusion";
  r.attributes_json = i % 3 ? R"({"occlusion":"partial"})" : "";
  r.scene_json = R"({"weather":"rain","frame":")" + r.frame + "\"}";
  return r;
}

// The stored text of the rows of one pipeline's run, in order, every column but evaluation_id.
std::string StoredRows(Store& store, const std::string& pipeline) {
  auto q = store.QueryReadOnly("SELECT * FROM outcomes WHERE pipeline = '" + pipeline + "' ORDER BY rowid");
  EXPECT_TRUE(q.ok()) << q.status().message();
  std::string text;
  if (!q.ok()) return text;
  for (const auto& row : q->rows) {
    for (size_t c = 1; c < row.size(); ++c) text += row[c].value_or("NULL") + "|";
    text += "\n";
  }
  return text;
}

TEST(OutcomeQueueTest, WritesTheRunsOfSeveralThreadsAsTheWriterWouldAndRollsBackAnAbandonedRun) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-outcome-queue-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  constexpr int kRows = 4500;  // several batches
  std::string expected_a, expected_b;
  {
    // The reference: the same rows through the writer, one run after the other.
    auto store = OpenStore(StoreOptions{dir + "/writer.db", false});
    ASSERT_TRUE(store.ok()) << store.status().message();
    for (const std::string p : {"a", "b"}) {
      OutcomeWriter writer(**store, EvaluationRunInfo{p, "vendor", "gold", ""}, false);
      for (int i = 0; i < kRows; ++i) ASSERT_TRUE(writer.Add(FullRow(p, i)).ok());
      ASSERT_TRUE(writer.Finish(kRows).ok());
    }
    expected_a = StoredRows(**store, "a");
    expected_b = StoredRows(**store, "b");
  }
  auto store = OpenStore(StoreOptions{dir + "/queue.db", false});
  ASSERT_TRUE(store.ok()) << store.status().message();
  {
    OutcomeQueue queue(**store);
    auto a = queue.Open(EvaluationRunInfo{"a", "vendor", "gold", ""});
    auto b = queue.Open(EvaluationRunInfo{"b", "vendor", "gold", ""});
    auto dropped = queue.Open(EvaluationRunInfo{"c", "vendor", "gold", ""});
    // b is written after a: its rows wait while a's thread is still adding.
    std::thread second([&] {
      for (int i = 0; i < kRows; ++i) ASSERT_TRUE(b->Add(FullRow("b", i)).ok());
      ASSERT_TRUE(b->Finish(kRows).ok());
      for (int i = 0; i < 2500; ++i) ASSERT_TRUE(dropped->Add(FullRow("c", i)).ok());
      dropped.reset();  // without Finish: rolled back
    });
    for (int i = 0; i < kRows; ++i) ASSERT_TRUE(a->Add(FullRow("a", i)).ok());
    ASSERT_TRUE(a->Finish(kRows).ok());
    second.join();
    EXPECT_TRUE(queue.Close().ok());
  }
  EXPECT_EQ(StoredRows(**store, "a"), expected_a);
  EXPECT_EQ(StoredRows(**store, "b"), expected_b);
  EXPECT_EQ(StoredRows(**store, "c"), "");
  auto runs = (*store)->QueryReadOnly("SELECT pipeline, outcomes FROM evaluation_runs ORDER BY evaluation_id");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->rows.size(), 2u);  // in the order opened; c's run rolled back
  EXPECT_EQ(runs->rows[0][0].value_or(""), "a");
  EXPECT_EQ(runs->rows[1][0].value_or(""), "b");
  EXPECT_EQ(runs->rows[1][1].value_or(""), std::to_string(kRows));
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gtops
