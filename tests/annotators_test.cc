// End-to-end tests of `gtops agreement --by class,attribute,vendor` and `gtops annotators` on
// world-small (docs/agreement.md): the breakdowns are consistent with each other, and the
// annotators that answers/key.json says were made weak are flagged on the rate their fault lowers.
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <map>
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

const json* FindBy(const json& array, const std::string& key, const std::string& value) {
  for (const json& x : array) {
    if (x[key] == value) return &x;
  }
  return nullptr;
}

// The honeypot rate that an injected error type lowers.
std::string MetricOf(const std::string& error_type) {
  static const std::map<std::string, std::string> m = {
      {"heading_flip", "localization_accuracy"}, {"heading", "localization_accuracy"},
      {"position", "localization_accuracy"},     {"size", "localization_accuracy"},
      {"extra", "precision"},                    {"missing", "recall"},
      {"wrong_class", "class_accuracy"},         {"attribute", "attribute_accuracy"},
      {"tag", "tag_accuracy"},                   {"geometry", "geometry_accuracy"}};
  auto it = m.find(error_type);
  return it == m.end() ? "" : it->second;
}

class AnnotatorsWorldSmall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    int status = 0;
    testing::RunGtops("ingest --program " + testing::WorldSmall() + " --store " + Store() + " --quiet", status);
    ASSERT_EQ(ExitCode(status), 0);
  }
  static void TearDownTestSuite() { delete tmp_; }
  static std::string Store() { return *tmp_ / "gtops.db"; }
  static std::string Args() { return " --program " + testing::WorldSmall() + " --store " + Store(); }
  static TempDir* tmp_;
};
TempDir* AnnotatorsWorldSmall::tmp_ = nullptr;

TEST_F(AnnotatorsWorldSmall, AgreementBreakdowns) {
  int status = 0;
  const std::string out = Stdout("agreement --by class,attribute,vendor --json" + Args(), status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json all = json::parse(out);
  ASSERT_EQ(all.size(), 12u);
  std::ifstream key_file(testing::WorldSmall() + "/answers/key.json");
  const json key = json::parse(key_file);
  for (const json& p : all) {
    SCOPED_TRACE(p["pipeline"].get<std::string>());
    // The fields of the categorical report are still there.
    for (const char* field : {"pipeline", "unit", "overlap_frames", "units", "alpha", "fleiss_kappa", "annotators",
                              "pairwise", "by_class", "matrix", "by_annotator", "by_vendor", "by_attribute"}) {
      EXPECT_TRUE(p.contains(field)) << field;
    }
    // The overlap sets of world-small are within one vendor: the vendors' sets partition them.
    int64_t vendor_frames = 0;
    for (const json& v : p["by_vendor"]) vendor_frames += v["overlap_frames"].get<int64_t>();
    EXPECT_EQ(vendor_frames, p["overlap_frames"].get<int64_t>());
    // The matrix: square, symmetric, one non-null kappa cell pair per listed pair with a defined kappa.
    const json& m = p["matrix"];
    const size_t n = p["annotators"].size();
    ASSERT_EQ(m["kappa"].size(), n);
    size_t cells = 0;
    for (size_t a = 0; a < n; ++a) {
      ASSERT_EQ(m["f1"][a].size(), n);
      EXPECT_TRUE(m["kappa"][a][a].is_null());
      for (size_t b = 0; b < n; ++b) {
        EXPECT_EQ(m["kappa"][a][b], m["kappa"][b][a]);
        cells += m["kappa"][a][b].is_null() ? 0 : 1;
      }
    }
    size_t defined = 0;
    for (const json& c : m["pairs"]) defined += c["kappa"].is_null() ? 0 : 1;
    EXPECT_EQ(cells, 2 * defined);
    ASSERT_EQ(p["by_annotator"].size(), n);

    if (p["unit"] == "tag") {
      EXPECT_FALSE(p.contains("geometric"));
      continue;
    }
    const json& g = p["geometric"];
    int64_t matched = 0;
    for (const json& c : p["geometric_by_class"]) matched += c["matched"].get<int64_t>();
    EXPECT_EQ(matched, g["matched"].get<int64_t>());
    EXPECT_GT(g["f1"].get<double>(), 0.9);
    if (p["geometry"] == "box3d" || p["geometry"] == "box2d") {
      EXPECT_GT(g["mean_iou"].get<double>(), 0.5);
      EXPECT_GT(g["centre_sd"].get<double>(), 0.0);
      EXPECT_EQ(g["heading_sd_deg"].is_null(), p["geometry"] == "box2d");
    }
    if (p["pipeline"] == "lidar_cuboids") {
      const json* occlusion = FindBy(p["by_attribute"], "attribute", "occlusion");
      ASSERT_NE(occlusion, nullptr);
      EXPECT_GT((*occlusion)["alpha"].get<double>(), 0.9);
      EXPECT_LE((*occlusion)["alpha"].get<double>(), 1.0);
    }
  }
  // An annotator who flips headings of one class makes that class's heading spread stand out.
  int checked = 0;
  for (const json& fault : key["faults"]) {
    if (fault["kind"] != "annotator_heading_flip") continue;
    const json* p = FindBy(all, "pipeline", fault["pipeline"].get<std::string>());
    ASSERT_NE(p, nullptr);
    const std::string cls = fault["conditions"]["class"];
    const json* flipped = FindBy((*p)["geometric_by_class"], "class", cls);
    ASSERT_NE(flipped, nullptr);
    for (const json& c : (*p)["geometric_by_class"]) {
      if (c["class"] != cls) {
        EXPECT_GT((*flipped)["heading_sd_deg"].get<double>(), 2 * c["heading_sd_deg"].get<double>());
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);

  testing::RunGtops("agreement --by colour" + Args(), status);
  EXPECT_EQ(ExitCode(status), 2);  // usage
}

TEST_F(AnnotatorsWorldSmall, WeakAnnotatorsFlagged) {
  int status = 0;
  const std::string out = Stdout("annotators --json" + Args(), status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json all = json::parse(out);
  ASSERT_EQ(all.size(), 12u);
  for (const json& p : all) {
    SCOPED_TRACE(p["pipeline"].get<std::string>());
    bool seen_unflagged = false;
    for (const json& r : p["annotators"]) {
      EXPECT_EQ(r["flagged"].get<bool>(), !r["flags"].empty());
      if (r["flagged"].get<bool>()) {
        EXPECT_FALSE(seen_unflagged) << "flagged rows come first";
      }
      seen_unflagged = seen_unflagged || !r["flagged"].get<bool>();
      for (const json& f : r["flags"]) EXPECT_LT(f["hi"].get<double>(), f["target"].get<double>());
      if (!r["honeypots"].is_null()) {
        const json& h = r["honeypots"];
        EXPECT_GT(h["frames"].get<int64_t>(), 0);
        EXPECT_EQ(h["accuracy"]["successes"], h["correct"]);
        if (h["accuracy"]["n"].get<int64_t>() > 0) {
          EXPECT_LE(h["accuracy"]["lo"].get<double>(), h["accuracy"]["value"].get<double>());
        } else {
          EXPECT_TRUE(h["accuracy"]["value"].is_null());  // gold frames without objects: no rate
        }
      }
    }
  }
  std::ifstream key_file(testing::WorldSmall() + "/answers/key.json");
  const json key = json::parse(key_file);
  int checked = 0;
  for (const json& fault : key["faults"]) {
    if (!fault["conditions"].contains("annotator")) continue;
    const std::string annotator = fault["conditions"]["annotator"];
    const std::string metric = MetricOf(fault["error_type"]);
    SCOPED_TRACE(annotator + " " + metric);
    const json* p = FindBy(all, "pipeline", fault["pipeline"].get<std::string>());
    ASSERT_NE(p, nullptr);
    const json* row = FindBy((*p)["annotators"], "annotator", annotator);
    ASSERT_NE(row, nullptr);
    EXPECT_TRUE((*row)["flagged"].get<bool>());
    bool flagged_on_metric = false;
    for (const json& f : (*row)["flags"]) flagged_on_metric = flagged_on_metric || (f["source"] == "honeypot" && f["metric"] == metric);
    EXPECT_TRUE(flagged_on_metric);
    // Below the pooled rate of the pipeline's other annotators.
    int64_t s = 0, n = 0;
    for (const json& r : (*p)["annotators"]) {
      if (r["annotator"] == annotator || r["honeypots"].is_null() || !r["honeypots"]["metrics"].contains(metric)) continue;
      s += r["honeypots"]["metrics"][metric]["successes"].get<int64_t>();
      n += r["honeypots"]["metrics"][metric]["n"].get<int64_t>();
    }
    ASSERT_GT(n, 0);
    EXPECT_LT((*row)["honeypots"]["metrics"][metric]["hi"].get<double>(), static_cast<double>(s) / static_cast<double>(n));
    ++checked;
  }
  EXPECT_GE(checked, 1);  // world-small's key has annotator faults (F3, F5)

  // --vendor keeps that vendor's annotators; an unknown vendor exits 3.
  const json one = json::parse(Stdout("annotators --pipeline camera_front_2d --vendor cortex --json" + Args(), status));
  ASSERT_EQ(ExitCode(status), 0);
  ASSERT_FALSE(one["annotators"].empty());
  for (const json& r : one["annotators"]) EXPECT_EQ(r["vendor"], "cortex");
  Stdout("annotators --vendor nobody" + Args(), status);
  EXPECT_EQ(ExitCode(status), 3);
}

}  // namespace
}  // namespace gtops
