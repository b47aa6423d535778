// The store's reads and writes for the quality engine: frames of a pipeline in task and time
// order with every label record, and evaluation runs of outcomes.
#include <stdlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "store/store.h"

namespace gtops {
namespace {

class QualityStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-qstore-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto s = OpenStore(StoreOptions{dir_ + "/gtops.db", false});
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    ProgramConfig config;
    PipelineSpec p;
    p.id = "lidar";
    p.geometry = GeometryKind::kBox3d;
    p.match = {MatchRule::Kind::kBevIou, 0.3};
    config.pipelines.push_back(p);
    ASSERT_TRUE(store_->SyncConfig(config).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  static LabelRecord Record(const std::string& task, const std::string& frame, double t, Source source,
                            std::string annotator = "") {
    LabelRecord r;
    r.pipeline = "lidar";
    r.task = task;
    r.frame = frame;
    r.timestamp = t;
    r.source = source;
    if (source == Source::kVendor) r.batch = "b1", r.vendor = "acme", r.annotator = std::move(annotator);
    Object o;
    o.id = "o1";
    o.track = "k";
    o.cls = "car";
    o.kind = GeometryKind::kBox3d;
    o.box3d = {1, 2, 0.75, 4, 2, 1.5, 0.3};
    o.attributes_json = R"({"moving":true})";
    o.num_points = 12;
    r.objects.push_back(o);
    return r;
  }
  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(QualityStoreTest, FramesComeByTaskThenTimestampWithEveryRecord) {
  ASSERT_TRUE(store_->BeginFile("a.jsonl", 1).ok());
  // Written out of order: task t2 first, frames of t1 with their timestamps reversed.
  const LabelRecord records[] = {
      Record("t2", "s2/000", 5.0, Source::kVendor, "a1"), Record("t1", "s1/b", 1.0, Source::kVendor, "a1"),
      Record("t1", "s1/a", 2.0, Source::kVendor, "a1"),   Record("t1", "s1/a", 2.0, Source::kGold),
      Record("t1", "s1/a", 2.0, Source::kVendor, "a2"),
  };
  int64_t line = 1;
  for (const LabelRecord& r : records) {
    ASSERT_TRUE(store_->PutLabels(r, static_cast<uint64_t>(line), SourceLocation{"a.jsonl", line}).ok());
    ++line;
  }
  ASSERT_TRUE(store_->CommitFile(FileState{"a.jsonl", 1, 1}, FileTotals{5, 5, 0}).ok());

  std::vector<std::string> order;
  std::vector<size_t> sizes;
  Status s = store_->ForEachFrame("lidar", [&](const FrameLabels& f) {
    order.push_back(f.task + ":" + f.frame);
    sizes.push_back(f.records.size());
    if (f.frame == "s1/a") {
      EXPECT_EQ(f.records[0].source, Source::kGold);  // by source, then producer
      EXPECT_EQ(f.records[1].annotator, "a1");
      EXPECT_EQ(f.records[2].annotator, "a2");
      const Object& o = f.records[1].objects.at(0);
      EXPECT_EQ(o.track, "k");
      EXPECT_DOUBLE_EQ(o.box3d.yaw, 0.3);
      EXPECT_DOUBLE_EQ(o.box3d.l, 4.0);
      EXPECT_EQ(o.attributes_json, R"({"moving":true})");
      EXPECT_EQ(o.num_points, 12);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(order, (std::vector<std::string>{"t1:s1/b", "t1:s1/a", "t2:s2/000"}));
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 3, 1}));
}

TEST_F(QualityStoreTest, ANewEvaluationRunReplacesTheLastOne) {
  EvaluationRunInfo info{"lidar", "vendor", "gold", ""};
  OutcomeRow row;
  row.pipeline = "lidar", row.task = "t1", row.frame = "f", row.source = "vendor", row.producer = "a1";
  row.kind = "paired";
  row.errors = {ErrorType::kHeadingFlip, ErrorType::kAttribute};
  row.iou = 0.9;
  for (int run = 0; run < 2; ++run) {
    auto id = store_->BeginEvaluation(info);
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(store_->PutOutcome(*id, row).ok());
    ASSERT_TRUE(store_->PutOutcome(*id, row).ok());
    ASSERT_TRUE(store_->CommitEvaluation(*id, 2).ok());
  }
  auto q = store_->QueryReadOnly(
      "SELECT count(*), sum(heading_flip), sum(attribute), sum(heading), min(errors), "
      "(SELECT count(*) FROM evaluation_runs) FROM outcomes");
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(*q->rows[0][0], "2");
  EXPECT_EQ(*q->rows[0][1], "2");
  EXPECT_EQ(*q->rows[0][2], "2");
  EXPECT_EQ(*q->rows[0][3], "0");
  EXPECT_EQ(*q->rows[0][4], "heading_flip,attribute");
  EXPECT_EQ(*q->rows[0][5], "1");
}

// Rows written several per statement are the rows, in order: 8 + 8 + 5 single ones.
TEST_F(QualityStoreTest, OutcomesWrittenTogetherKeepEveryRowAndItsOrder) {
  auto id = store_->BeginEvaluation(EvaluationRunInfo{"lidar", "vendor", "gold", ""});
  ASSERT_TRUE(id.ok());
  std::vector<OutcomeRow> rows(21);
  for (size_t i = 0; i < rows.size(); ++i) {
    OutcomeRow& r = rows[i];
    r.pipeline = "lidar", r.task = "t" + std::to_string(i / 4), r.frame = "f" + std::to_string(i);
    r.source = "vendor", r.producer = "a1", r.kind = i % 3 == 0 ? "missing" : "paired";
    if (i % 2 == 0) r.batch = "b" + std::to_string(i);
    if (i % 3 != 0) r.iou = 0.5 + 0.01 * static_cast<double>(i);
    if (i % 5 == 0) r.errors = {ErrorType::kHeading, ErrorType::kSize};
    r.num_points = static_cast<int64_t>(i);
  }
  ASSERT_TRUE(store_->PutOutcomes(*id, rows).ok());
  ASSERT_TRUE(store_->CommitEvaluation(*id, static_cast<int64_t>(rows.size())).ok());
  auto q = store_->QueryReadOnly(
      "SELECT frame, coalesce(batch, '-'), kind, coalesce(iou, -1), errors, heading, size, num_points "
      "FROM outcomes ORDER BY rowid");
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_EQ(q->rows.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& c = q->rows[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(*c[0], rows[i].frame);
    EXPECT_EQ(*c[1], i % 2 == 0 ? "b" + std::to_string(i) : "-");
    EXPECT_EQ(*c[2], rows[i].kind);
    EXPECT_DOUBLE_EQ(std::stod(*c[3]), rows[i].iou.value_or(-1));
    EXPECT_EQ(*c[4], i % 5 == 0 ? "heading,size" : "");
    EXPECT_EQ(*c[5], i % 5 == 0 ? "1" : "0");
    EXPECT_EQ(*c[6], i % 5 == 0 ? "1" : "0");
    EXPECT_EQ(*c[7], std::to_string(i));
  }
}

TEST_F(QualityStoreTest, AnAbortedEvaluationLeavesNothing) {
  auto id = store_->BeginEvaluation(EvaluationRunInfo{"lidar", "vendor", "gold", ""});
  ASSERT_TRUE(id.ok());
  OutcomeRow row;
  row.kind = "missing";
  ASSERT_TRUE(store_->PutOutcome(*id, row).ok());
  store_->AbortEvaluation();
  auto q = store_->QueryReadOnly("SELECT (SELECT count(*) FROM outcomes) + (SELECT count(*) FROM evaluation_runs)");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q->rows[0][0], "0");
}

}  // namespace
}  // namespace gtops
