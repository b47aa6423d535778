// Ingesting the public test world: exact counts (computed independently from the files with
// Python's json module, and stated in the world's README), and idempotence.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::TempDir;
using testing::WorldSmall;

struct PipelineCounts {
  const char* id;
  int64_t vendor_labels, gold_labels, model_labels;
  int64_t vendor_objects, gold_objects, model_objects;
  int64_t events, audits;
};

// From the data files, counted with `python3 -c 'json.loads(...)'` per line.
constexpr PipelineCounts kExpected[] = {
    {"camera_front_2d", 674, 184, 600, 7396, 1950, 6660, 1903, 108},
    {"camera_side_2d", 666, 180, 0, 7252, 1949, 0, 1861, 82},
    {"construction", 706, 212, 0, 5129, 1582, 0, 1847, 122},
    {"crosswalks", 664, 180, 0, 955, 255, 0, 1811, 116},
    {"drivable_area", 694, 166, 0, 694, 166, 0, 1858, 70},
    {"lanes", 706, 196, 0, 3057, 834, 0, 1852, 92},
    {"lidar_cuboids", 1400, 348, 1200, 23951, 5803, 19590, 2065, 176},
    {"lidar_highway", 1324, 352, 0, 21280, 5545, 0, 1940, 172},
    {"parked_vehicles", 672, 160, 0, 4947, 1131, 0, 1851, 96},
    {"ped_intent", 674, 174, 0, 4827, 1253, 0, 1860, 80},
    {"scene_tags", 684, 166, 0, 0, 0, 0, 1819, 92},
    {"traffic_lights", 682, 182, 0, 1354, 363, 0, 1819, 74},
};

int64_t Scalar(Store& store, const std::string& sql) {
  auto q = store.QueryReadOnly(sql);
  EXPECT_TRUE(q.ok()) << q.status().message();
  if (!q.ok() || q->rows.empty() || !q->rows[0][0]) return -1;
  return std::stoll(*q->rows[0][0]);
}

class WorldSmallIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = LoadConfig(WorldSmall());
    ASSERT_TRUE(c.ok()) << c.status().message();
    config_ = std::move(*c);
    auto s = OpenStore(StoreOptions{tmp_ / "gtops.db", false});
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    options_.program_dir = WorldSmall();
  }

  TempDir tmp_;
  ProgramConfig config_;
  std::unique_ptr<Store> store_;
  IngestOptions options_;
};

TEST_F(WorldSmallIngest, CountsMatchTheData) {
  auto report = Ingest(*store_, config_, options_);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const IngestRunTotals& t = report->totals;
  // README: 13,846 label records, 22,486 events, 1,280 audits; 0 invalid.
  EXPECT_EQ(t.records_read, 13846 + 22486 + 1280);
  EXPECT_EQ(t.accepted, t.records_read);
  EXPECT_EQ(t.quarantined, 0);
  EXPECT_EQ(t.files_read, 5);

  auto sum = store_->Summarize();
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->labels, 13846);
  EXPECT_EQ(sum->objects, 127923);
  EXPECT_EQ(sum->events, 22486);
  EXPECT_EQ(sum->audits, 1280);
  EXPECT_EQ(sum->audit_errors, 302);
  EXPECT_EQ(sum->quarantined, 0);
  EXPECT_EQ(Scalar(*store_, "SELECT count(*) FROM objects"), 127923);
  EXPECT_EQ(Scalar(*store_, "SELECT count(DISTINCT task) FROM events"), 3600);
  EXPECT_EQ(Scalar(*store_, "SELECT count(DISTINCT task) FROM audits"), 553);
  EXPECT_EQ(Scalar(*store_, "SELECT count(DISTINCT task) FROM label_sets WHERE source = 'gold'"), 1075);

  for (const PipelineCounts& p : kExpected) {
    SCOPED_TRACE(p.id);
    auto count = [&](const char* what, const char* source) {
      return Scalar(*store_, fmt::format("SELECT {} FROM label_sets WHERE pipeline = '{}' AND "
                                         "source = '{}'", what, p.id, source));
    };
    EXPECT_EQ(count("count(*)", "vendor"), p.vendor_labels);
    EXPECT_EQ(count("count(*)", "gold"), p.gold_labels);
    EXPECT_EQ(count("count(*)", "model"), p.model_labels);
    EXPECT_EQ(count("coalesce(sum(object_count), 0)", "vendor"), p.vendor_objects);
    EXPECT_EQ(count("coalesce(sum(object_count), 0)", "gold"), p.gold_objects);
    EXPECT_EQ(count("coalesce(sum(object_count), 0)", "model"), p.model_objects);
    EXPECT_EQ(Scalar(*store_, fmt::format("SELECT count(*) FROM events WHERE pipeline = '{}'", p.id)),
              p.events);
    EXPECT_EQ(Scalar(*store_, fmt::format("SELECT count(*) FROM audits WHERE pipeline = '{}'", p.id)),
              p.audits);
  }
}

TEST_F(WorldSmallIngest, SecondRunChangesNothing) {
  auto first = Ingest(*store_, config_, options_);
  ASSERT_TRUE(first.ok());
  auto before = store_->Summarize();
  ASSERT_TRUE(before.ok());
  const int64_t hash_before = Scalar(
      *store_, "SELECT sum(content_hash % 1000003) + sum(label_set_id) FROM label_sets");

  // Unchanged files are skipped...
  auto second = Ingest(*store_, config_, options_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->totals.files_skipped, 5);
  EXPECT_EQ(second->totals.records_read, 0);

  // ...and read again with force, every record is found identical.
  options_.force = true;
  auto third = Ingest(*store_, config_, options_);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->totals.records_read, 13846 + 22486 + 1280);
  EXPECT_EQ(third->totals.unchanged, third->totals.records_read);
  EXPECT_EQ(third->totals.inserted, 0);
  EXPECT_EQ(third->totals.replaced, 0);

  auto after = store_->Summarize();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->labels, before->labels);
  EXPECT_EQ(after->objects, before->objects);
  EXPECT_EQ(after->events, before->events);
  EXPECT_EQ(after->audits, before->audits);
  EXPECT_EQ(after->audit_errors, before->audit_errors);
  EXPECT_EQ(Scalar(*store_, "SELECT count(*) FROM objects"), 127923);
  EXPECT_EQ(Scalar(*store_, "SELECT sum(content_hash % 1000003) + sum(label_set_id) FROM label_sets"),
            hash_before);
}

}  // namespace
}  // namespace gtops
