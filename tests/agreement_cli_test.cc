// End-to-end tests of `gtops agreement` (docs/agreement.md, "gtops agreement"): the overlap sets
// of world-small (810 frames, README) and a hand-built program whose alpha is computed by hand.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunCommand;
using testing::TempDir;
using testing::ExitCode;
using testing::Stdout;

TEST(AgreementCli, WorldSmallOverlapSets) {
  TempDir tmp;
  const std::string store = tmp / "gtops.db";
  int status = 0;
  testing::RunGtops("ingest --program " + testing::WorldSmall() + " --store " + store + " --quiet", status);
  ASSERT_EQ(ExitCode(status), 0);

  const std::string out = Stdout("agreement --program " + testing::WorldSmall() + " --store " + store + " --json", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json all = json::parse(out);
  ASSERT_TRUE(all.is_array());
  int64_t frames = 0;
  bool saw_tags = false;
  for (const json& p : all) {
    SCOPED_TRACE(p["pipeline"].get<std::string>());
    frames += p["overlap_frames"].get<int64_t>();
    if (p["alpha"].is_null()) {
      // Undefined (D_e = 0): every value of the pipeline's overlap sets is one class
      // (traffic_lights, crosswalks, drivable_area).
      EXPECT_EQ(p["by_class"].size(), 1u);
    } else {
      EXPECT_GT(p["alpha"].get<double>(), 0.0);
      EXPECT_LE(p["alpha"].get<double>(), 1.0);
    }
    EXPECT_GE(p["annotators"].size(), 2u);
    for (const json& q : p["pairwise"]) {
      EXPECT_GE(q["units"].get<int64_t>(), 20);
      EXPECT_LT(q["a"].get<std::string>(), q["b"].get<std::string>());
    }
    if (p["pipeline"] == "scene_tags") {
      saw_tags = true;
      EXPECT_EQ(p["unit"], "tag");
      EXPECT_EQ(p["units"].get<int64_t>(), 3 * p["overlap_frames"].get<int64_t>());
      EXPECT_EQ(p["by_tag"].size(), 3u);
    }
  }
  EXPECT_EQ(frames, 810);
  EXPECT_TRUE(saw_tags);
  EXPECT_EQ(all.size(), 12u);

  // One pipeline: the same numbers as in the list.
  const json one = json::parse(
      Stdout("agreement --program " + testing::WorldSmall() + " --store " + store + " --pipeline scene_tags --json", status));
  ASSERT_EQ(ExitCode(status), 0);
  for (const json& p : all) {
    if (p["pipeline"] == "scene_tags") {
      EXPECT_EQ(one, p);
    }
  }

  // Text output: a line per pipeline.
  const std::string text = testing::RunGtops("agreement --program " + testing::WorldSmall() + " --store " + store, status);
  EXPECT_EQ(ExitCode(status), 0) << text;
  EXPECT_NE(text.find("scene_tags: "), std::string::npos) << text;

  // Unknown pipeline: exit 3 with a message.
  const std::string bad = testing::RunGtops(
      "agreement --program " + testing::WorldSmall() + " --store " + store + " --pipeline nosuch", status);
  EXPECT_EQ(ExitCode(status), 3);
  EXPECT_NE(bad.find("nosuch"), std::string::npos) << bad;
}

// Two annotators on two frames of a box2d pipeline. Frame 1: two objects, both say car, then
// pedestrian/pedestrian. Frame 2: car/car and car/pedestrian, and b draws a cyclist a has not.
// Units: 4 paired objects + 1 unpaired (pairable: the 4). Coincidences: car-car 4, ped-ped 2,
// car-ped 1, ped-car 1; n_car = 5, n_ped = 3, n = 8. D_o = 2/8, D_e = 2*5*3/(8*7) = 30/56,
// alpha = 1 - (2/8)/(30/56) = 1 - 14/30 = 8/15.
TEST(AgreementCli, HandComputedAlphaOfATinyProgram) {
  TempDir tmp;
  const fs::path program = tmp / "p";
  fs::create_directories(program / "data");
  std::ofstream(program / "gtops.toml") << R"(
[program]
name = "agreement"
[[vendors]]
id = "acme"
[[pipelines]]
id = "cam"
geometry = "box2d"
match = { iou = 0.5 }
  [[pipelines.classes]]
  name = "car"
  [[pipelines.classes]]
  name = "pedestrian"
  [[pipelines.classes]]
  name = "cyclist"
)";
  auto record = [](const std::string& frame, const std::string& annotator, const std::string& objects) {
    return R"({"pipeline":"cam","batch":"b1","task":"t-)" + frame + R"(","frame":")" + frame +
           R"(","source":"vendor","vendor":"acme","annotator":")" + annotator + R"(","objects":[)" + objects + "]}\n";
  };
  auto box = [](const std::string& id, const std::string& cls, int x) {
    return R"({"id":")" + id + R"(","class":")" + cls + R"(","box2d":[)" + std::to_string(x) + ",10,50,50]}";
  };
  {
    std::ofstream data(program / "data/labels.jsonl");
    data << record("f1", "ann-a", box("a0", "car", 10) + "," + box("a1", "pedestrian", 100))
         << record("f1", "ann-b", box("b0", "car", 12) + "," + box("b1", "pedestrian", 101))
         << record("f2", "ann-a", box("a0", "car", 10) + "," + box("a1", "car", 100))
         << record("f2", "ann-b", box("b1", "pedestrian", 102) + "," + box("b0", "car", 11) + "," +
                                      box("b2", "cyclist", 400));
  }
  const std::string store = tmp / "s.db";
  int status = 0;
  const std::string ingest =
      testing::RunGtops("ingest --program " + program.string() + " --store " + store + " --quiet", status);
  ASSERT_EQ(ExitCode(status), 0) << ingest;
  const std::string out =
      Stdout("agreement --program " + program.string() + " --store " + store + " --pipeline cam --json", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json p = json::parse(out);
  EXPECT_EQ(p["pipeline"], "cam");
  EXPECT_EQ(p["overlap_frames"], 2);
  EXPECT_EQ(p["units"], 5);
  EXPECT_NEAR(p["alpha"].get<double>(), 8.0 / 15.0, 1e-12);
  EXPECT_TRUE(p["fleiss_kappa"].is_null());  // the cyclist unit has one value, the others two
  EXPECT_EQ(p["annotators"], json::array({"ann-a", "ann-b"}));
  EXPECT_TRUE(p["pairwise"].empty());  // 4 common units < 20
  // Majority class (ties: the first name): car units 3 (one disagrees: 2/3 agree), pedestrian 1.
  ASSERT_EQ(p["by_class"].size(), 2u);
  EXPECT_EQ(p["by_class"][0]["class"], "car");
  EXPECT_EQ(p["by_class"][0]["units"], 3);
  EXPECT_NEAR(p["by_class"][0]["observed"].get<double>(), 2.0 / 3.0, 1e-12);
  EXPECT_EQ(p["by_class"][1]["class"], "pedestrian");
  EXPECT_EQ(p["by_class"][1]["units"], 1);
  EXPECT_NEAR(p["by_class"][1]["observed"].get<double>(), 1.0, 1e-12);
}

}  // namespace
}  // namespace gtops
