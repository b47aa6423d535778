// End-to-end tests of `gtops consensus` (docs/agreement.md, "Consensus") on world-small: the
// consensus of every object pipeline's overlap sets compared with gold, written twice into the
// store without duplicates, and evaluated against by `gtops eval --against consensus`.
#include <sys/wait.h>

#include <algorithm>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::TempDir;
using testing::ExitCode;
using testing::Stdout;

TEST(ConsensusCli, WorldSmall) {
  TempDir tmp;
  const std::string at = " --program " + testing::WorldSmall() + " --store " + tmp / "gtops.db";
  int status = 0;
  testing::RunGtops("ingest --quiet" + at, status);
  ASSERT_EQ(ExitCode(status), 0);

  // Every object pipeline: clusters split into accepted and rejected; where gold exists the
  // consensus is close to it, and for boxes closer than the single annotators' records.
  std::string out = Stdout("consensus --json" + at, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json all = json::parse(out);
  ASSERT_EQ(all.size(), 11u);  // the 12 pipelines but scene_tags (tags)
  int64_t frames = 0;
  for (const json& p : all) {
    SCOPED_TRACE(p["pipeline"].get<std::string>());
    frames += p["overlap_frames"].get<int64_t>();
    EXPECT_EQ(p["accepted"].get<int64_t>() + p["rejected"].get<int64_t>(), p["clusters"].get<int64_t>());
    EXPECT_LE(p["dropped_objects"].get<int64_t>(), p["labels"].get<int64_t>());
    for (const json& a : p["annotators"]) {
      EXPECT_LE(a["lo"].get<double>(), a["class_accuracy"].get<double>());
      EXPECT_GE(a["hi"].get<double>(), a["class_accuracy"].get<double>());
    }
    const json& gold = p["against_gold"];
    ASSERT_FALSE(gold.is_null());
    const json& c = gold["consensus"];
    const json& single = gold["single_annotators"];
    EXPECT_GT(c["f1"].get<double>(), 0.98);
    EXPECT_GT(c["recall"].get<double>(), 0.98);
    EXPECT_GT(c["precision"].get<double>(), 0.98);
    const std::string geometry = p["geometry"];
    if (geometry == "box3d" || geometry == "box2d") {
      EXPECT_GT(c["mean_iou"].get<double>(), single["mean_iou"].get<double>());
      EXPECT_LT(c["mean_distance"].get<double>(), single["mean_distance"].get<double>());
    }
  }
  EXPECT_EQ(frames, 750);  // world-small's 810 overlap frames but scene_tags' 60

  // Truth inference in the open: each annotator's confusion matrix (rows: true class, summing to
  // 1), and with --posteriors the class posterior of every accepted cluster.
  out = Stdout("consensus --json --posteriors --pipeline camera_front_2d" + at, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json cam = json::parse(out);  // one pipeline: one object
  const size_t classes = cam["classes"].size();
  ASSERT_GE(classes, 2u);
  for (const json& a : cam["annotators"]) {
    ASSERT_EQ(a["confusion"].size(), classes);
    for (const json& row : a["confusion"]) {
      double sum = 0;
      for (const json& v : row) sum += v.get<double>();
      EXPECT_NEAR(sum, 1.0, 1e-9);
    }
  }
  ASSERT_EQ(cam["posteriors"].size(), cam["accepted"].get<size_t>());
  for (const json& item : cam["posteriors"]) {
    double sum = 0, best = 0;
    for (const json& v : item["posterior"]) {
      sum += v.get<double>();
      best = std::max(best, v.get<double>());
    }
    EXPECT_NEAR(sum, 1.0, 1e-9);
    EXPECT_DOUBLE_EQ(item["probability"].get<double>(), best);
  }

  // Written twice: the second run changes nothing and the store holds one set per overlap frame.
  const std::string write = "consensus --write --json --pipeline camera_front_2d" + at;
  out = Stdout(write, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  json first = json::parse(out);
  const int64_t sets = first["overlap_frames"].get<int64_t>();
  EXPECT_GT(sets, 0);
  EXPECT_EQ(first["written"]["inserted"].get<int64_t>(), sets);
  out = Stdout(write, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  json second = json::parse(out);
  EXPECT_EQ(second["written"]["inserted"].get<int64_t>(), 0);
  EXPECT_EQ(second["written"]["unchanged"].get<int64_t>(), sets);
  out = Stdout("sql --json \"SELECT count(*) AS n, count(DISTINCT frame) AS f FROM label_sets WHERE source = "
               "'consensus'\"" + at, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json rows = json::parse(out)["rows"];
  ASSERT_EQ(rows.size(), 1u) << out;
  EXPECT_EQ(rows[0]["n"].get<int64_t>(), sets);
  EXPECT_EQ(rows[0]["f"].get<int64_t>(), sets);

  // The quality engine evaluates the vendor labels against the stored consensus.
  out = Stdout("eval --pipeline camera_front_2d --against consensus --json" + at, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json eval = json::parse(out);
  EXPECT_EQ(eval["frames"].get<int64_t>(), sets);
  EXPECT_GT(eval["metrics"]["recall"]["value"].get<double>(), 0.95);

  // Bad input: an unknown pipeline, a tags pipeline, a negative quorum.
  Stdout("consensus --pipeline nope" + at, status);
  EXPECT_NE(ExitCode(status), 0);
  Stdout("consensus --pipeline scene_tags" + at, status);
  EXPECT_NE(ExitCode(status), 0);
  Stdout("consensus --quorum -1" + at, status);
  EXPECT_NE(ExitCode(status), 0);
}

}  // namespace
}  // namespace gtops
