// `gtops eval --pipeline` through the real binary on the public test world: the JSON contract of
// issue 3 and values that follow from the world's answer key (answers/errors.jsonl and the README:
// three tags per scene_tags frame).
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using testing::RunGtops;

using testing::TempDir;
using testing::WorldSmall;

class QualityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    common_ = "--program " + WorldSmall() + " --store " + (tmp_ / "gtops.db");
    int status = -1;
    std::string out = RunGtops("ingest -q " + common_, status);
    ASSERT_EQ(status, 0) << out;
  }
  TempDir tmp_;
  std::string common_;
};

TEST_F(QualityCli, TagAccuracyOfSceneTagsAsJson) {
  int status = -1;
  std::string out = RunGtops("eval --pipeline scene_tags --by vendor --json " + common_, status);
  ASSERT_EQ(status, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["pipeline"], "scene_tags");
  // 192 vendor records on the 166 gold frames, 3 tags each; the answer key injects 9 tag errors
  // into them: 1 - 9 / 576.
  const auto& tag = j["metrics"]["tag_accuracy"];
  EXPECT_EQ(tag["n"], 576);
  EXPECT_DOUBLE_EQ(tag["value"].get<double>(), 1.0 - 9.0 / 576.0);
  ASSERT_EQ(tag["ci"].size(), 2u);
  EXPECT_LT(tag["ci"][0].get<double>(), tag["value"].get<double>());
  EXPECT_GT(tag["ci"][1].get<double>(), tag["value"].get<double>());
  ASSERT_FALSE(j["groups"].empty());
  int64_t n = 0;  // the vendors' groups partition the tags
  for (const auto& g : j["groups"]) n += g["metrics"]["tag_accuracy"]["n"].get<int64_t>();
  EXPECT_EQ(n, 576);
}

TEST_F(QualityCli, OutcomesAreQueryableWithSql) {
  int status = -1;
  std::string out = RunGtops("eval --pipeline lidar_cuboids --resamples 100 " + common_, status);
  ASSERT_EQ(status, 0) << out;
  // The fact table holds the run: one row per reference object and unpaired label.
  out = RunGtops("sql --json " + common_ +
                " \"SELECT sum(missing) AS missing, sum(heading_flip) AS flips, count(*) AS n FROM outcomes\"",
            status);
  ASSERT_EQ(status, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_GT(j["rows"][0]["n"].get<int64_t>(), 6000);
  EXPECT_GT(j["rows"][0]["flips"].get<int64_t>(), 0);
  // Running it again replaces the run's outcomes, never duplicates them.
  const int64_t rows = j["rows"][0]["n"].get<int64_t>();
  RunGtops("eval --pipeline lidar_cuboids --resamples 100 " + common_, status);
  out = RunGtops("sql --json " + common_ + " \"SELECT count(*) AS n FROM outcomes\"", status);
  EXPECT_EQ(nlohmann::json::parse(out)["rows"][0]["n"].get<int64_t>(), rows);
}

TEST_F(QualityCli, EvalWithoutPipelineOrSubcommandIsAUsageError) {
  int status = -1;
  std::string out = RunGtops("eval " + common_, status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("--pipeline"), std::string::npos) << out;
  out = RunGtops("eval --pipeline lanes --by colour " + common_, status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
}

}  // namespace
}  // namespace gtops
