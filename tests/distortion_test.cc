// How label noise distorts a model's evaluation (gtops eval --distortion): the model against gold
// and against the vendor labels of the same frames.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "evaluate/evaluate.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::TempDir;

int64_t Scalar(Store& store, const std::string& sql) {
  auto q = store.QueryReadOnly(sql);
  EXPECT_TRUE(q.ok()) << q.status().message();
  return q.ok() && !q->rows.empty() && q->rows[0][0] ? std::stoll(*q->rows[0][0]) : -1;
}

const MetricShift* Find(const DistortionResult& d, const std::string& name) {
  for (const MetricShift& m : d.shifts) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

TEST(LabelNoiseDistortion, VendorErrorsMakeAnAccurateModelLookWorse) {
  // Given world-small, whose lidar_cuboids vendor labels carry injected size and heading-flip
  // faults (answers/key.json F2, F3) while its model is scored against gold too,
  TempDir tmp;
  auto config = LoadConfig(testing::WorldSmall());
  ASSERT_TRUE(config.ok());
  auto store = OpenStore(StoreOptions{tmp / "s.db", false});
  ASSERT_TRUE(store.ok());
  IngestOptions io;
  io.program_dir = testing::WorldSmall();
  ASSERT_TRUE(Ingest(**store, *config, io).ok());
  // when the model is evaluated against gold and against the vendor labels of the same frames,
  quality::MetricOptions mo;
  mo.resamples = 50;
  auto d = EvaluateLabelNoiseDistortion(**store, *config, "lidar_cuboids", "", mo);
  ASSERT_TRUE(d.ok()) << d.status().message();
  // then both use exactly the frames that have gold, vendor labels and the model's,
  const int64_t frames = Scalar(**store,
      "SELECT count(*) FROM (SELECT frame FROM label_sets WHERE pipeline = 'lidar_cuboids' "
      "GROUP BY frame HAVING sum(source = 'gold') > 0 AND sum(source = 'vendor') > 0 "
      "AND sum(source = 'model') > 0)");
  EXPECT_GT(frames, 0);
  EXPECT_EQ(d->against_gold.frames_compared, frames);
  EXPECT_EQ(d->against_vendor.frames_compared, frames);
  // each shift is the difference of the two values,
  for (const MetricShift& m : d->shifts) {
    EXPECT_DOUBLE_EQ(m.shift, m.against_vendor - m.against_gold) << m.name;
  }
  // and the vendor's localisation errors pull the model's localisation accuracy down.
  const MetricShift* loc = Find(*d, "localization_accuracy");
  ASSERT_NE(loc, nullptr);
  EXPECT_LT(loc->shift, -0.02) << loc->against_gold << " vs " << loc->against_vendor;
}

TEST(LabelNoiseDistortion, VendorLabelsEqualToGoldMoveNothing) {
  // Given a program whose vendor labels are exactly its gold labels,
  TempDir tmp;
  std::filesystem::create_directories(tmp / "p/data");
  std::ofstream(tmp / "p/gtops.toml") << R"(
[program]
name = "distortion"
[[vendors]]
id = "acme"
[[pipelines]]
id = "lidar"
geometry = "box3d"
match = { bev_iou = 0.3 }
tolerances = { position_m = 0.3, size_rel = 0.1, heading_deg = 10.0 }
  [[pipelines.classes]]
  name = "car"
)";
  std::ofstream data(tmp / "p/data/labels.jsonl");
  for (int f = 0; f < 30; ++f) {
    std::string objects, model;
    for (int k = 0; k < 4; ++k) {
      const double x = 5.0 + 8.0 * k + 0.1 * f, y = (k % 2 ? 3.0 : -3.0);
      objects += fmt::format("{}{{\"id\":\"o{}\",\"class\":\"car\",\"box3d\":[{},{},0.8,4.5,1.9,1.6,0.1]}}",
                             k ? "," : "", k, x, y);
      if (k < 3) {  // the model misses one car and is a little off on the others
        model += fmt::format("{}{{\"id\":\"m{}\",\"class\":\"car\",\"score\":0.9,"
                             "\"box3d\":[{},{},0.8,4.4,1.9,1.6,0.15]}}", k ? "," : "", k, x + 0.2, y);
      }
    }
    const std::string head = fmt::format("\"pipeline\":\"lidar\",\"task\":\"t{}\",\"frame\":\"f{}\"", f / 3, f);
    data << "{" << head << ",\"source\":\"gold\",\"objects\":[" << objects << "]}\n";
    data << "{" << head << ",\"source\":\"vendor\",\"batch\":\"b\",\"vendor\":\"acme\","
         << "\"annotator\":\"a1\",\"objects\":[" << objects << "]}\n";
    data << "{" << head << ",\"source\":\"model\",\"model\":\"det\",\"objects\":[" << model << "]}\n";
  }
  data.close();
  auto config = LoadConfig(tmp / "p");
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto store = OpenStore(StoreOptions{tmp / "p/s.db", false});
  ASSERT_TRUE(store.ok());
  IngestOptions io;
  io.program_dir = tmp / "p";
  auto report = Ingest(**store, *config, io);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->totals.quarantined, 0) << report->messages[0];
  // when the distortion is measured, then every metric is the same against both references.
  quality::MetricOptions mo;
  mo.resamples = 50;
  auto d = EvaluateLabelNoiseDistortion(**store, *config, "lidar", "", mo);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->against_gold.frames_compared, 30);
  ASSERT_FALSE(d->shifts.empty());
  for (const MetricShift& m : d->shifts) EXPECT_EQ(m.shift, 0.0) << m.name;
  const MetricShift* recall = Find(*d, "recall");
  ASSERT_NE(recall, nullptr);
  EXPECT_DOUBLE_EQ(recall->against_gold, 0.75);  // 3 of 4 cars in every frame
}

}  // namespace
}  // namespace gtops
