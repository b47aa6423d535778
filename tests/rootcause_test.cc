// End-to-end tests of `gtops rootcause` and `gtops plan` against injected truth: on world-small and
// on demo worlds whose fault conditions are drawn at random (`gtops demo --random-faults`), every
// systematic fault must be among the top 5 findings of its pipeline with its error type and the
// injected conditions, and at most 10% of the findings (all have q < 0.05) may be unrelated to
// every injected fault (docs/rootcause.md, "Measured against truth").
#include <sys/wait.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using nlohmann::json;
using testing::RunGtops;
using testing::TempDir;
using testing::ExitCode;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The vendor of an annotator id "<vendor>-NNN".
std::string VendorOf(const std::string& annotator) { return annotator.substr(0, annotator.rfind('-')); }

double Lo(const json& r) { return r[0].is_null() ? -INFINITY : r[0].get<double>(); }
double Hi(const json& r) { return r[1].is_null() ? INFINITY : r[1].get<double>(); }

// The finding names every injected condition (a range: a band within the injected range).
bool NamesConditions(const json& finding, const json& fault) {
  const json& got = finding["conditions"];
  for (const auto& [key, want] : fault["conditions"].items()) {
    if (!got.contains(key)) return false;
    if (want.is_array()) {
      if (!got[key].is_array() || Lo(got[key]) < Lo(want) || Hi(got[key]) > Hi(want)) return false;
    } else if (got[key] != want) {
      return false;
    }
  }
  return true;
}

bool TypeMatches(const json& finding, const json& fault) {
  const std::string t = finding["error_type"], want = fault["error_type"];
  if (t == want) return true;
  // A track missed in a frame and labelled again later is also a fragmentation: the demo's
  // errors.jsonl gives those lines the fault of the miss (docs/demo.md).
  if (want == "missing" && (t == "fragmentation" || t == "tracking")) return true;
  if (t == "localisation") {
    return want == "position" || want == "size" || want == "heading" || want == "heading_flip" || want == "geometry";
  }
  return t == "tracking" && (want == "id_switch" || want == "fragmentation");
}

// Related to a fault: its pipeline and error type (or family), no condition that contradicts the
// fault's, and at least one that agrees with it (an annotator's vendor agrees with the annotator).
bool Related(const json& finding, const json& fault) {
  if (finding["pipeline"] != fault["pipeline"] || !TypeMatches(finding, fault)) return false;
  const json& want = fault["conditions"];
  int agree = 0;
  for (const auto& [key, v] : finding["conditions"].items()) {
    if (want.contains(key)) {
      const json& w = want[key];
      if (w.is_array() != v.is_array()) return false;
      if (w.is_array() ? (Hi(v) <= Lo(w) || Lo(v) >= Hi(w)) : v != w) return false;
      ++agree;
    } else if (key == "vendor" && want.contains("annotator")) {
      if (v != VendorOf(want["annotator"])) return false;
      ++agree;
    } else if (key == "annotator" && want.contains("vendor")) {
      if (VendorOf(v) != want["vendor"]) return false;
    }
  }
  return agree > 0;
}

// Checks the findings of `rootcause --json` against the faults of answers/key.json.
void ExpectTruth(const json& rc, const json& key, const std::string& world) {
  ASSERT_TRUE(rc.contains("findings")) << world << ": " << rc.dump();
  for (const json& fault : key["faults"]) {
    bool found = false;
    for (const json& f : rc["findings"]) {
      if (f["pipeline"] == fault["pipeline"] && f["rank"].get<int>() <= 5 && f["error_type"] == fault["error_type"] &&
          NamesConditions(f, fault)) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << world << ": fault " << fault["id"] << " " << fault.dump() << " is not among the top 5";
  }
  int significant = 0, unrelated = 0;
  for (const json& f : rc["findings"]) {
    ASSERT_LT(f["q_value"].get<double>(), 0.05);
    ++significant;
    bool related = false;
    for (const json& fault : key["faults"]) related = related || Related(f, fault);
    if (!related) {
      ++unrelated;
      ADD_FAILURE() << world << ": unrelated finding (allowed up to 10%): " << f["pipeline"] << " " << f["error_type"]
                    << " " << f["conditions"].dump() << " q " << f["q_value"];
    }
  }
  EXPECT_LE(unrelated * 10, significant) << world << ": " << unrelated << " of " << significant << " unrelated";
}

TEST(RootcauseWorldSmall, EveryFaultInTheTopFiveAndFewUnrelatedFindings) {
  TempDir dir;
  int status = 0;
  const std::string store = dir / "gtops.db";
  const std::string run = RunGtops("run " + testing::WorldSmall() + " --store " + store + " --report " + (dir / "report") +
                                       " --json > " + (dir / "run.json"),
                                   status);
  ASSERT_TRUE(ExitCode(status) == 0 || ExitCode(status) == 6) << run;
  const json key = json::parse(ReadFile(testing::WorldSmall() + "/answers/key.json"));

  RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store + " --json > " + (dir / "rc.json"), status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(dir / "rc.json");
  const json rc = json::parse(ReadFile(dir / "rc.json"));
  ExpectTruth(rc, key, "world-small");
  // The JSON shape of the issue.
  const json& f = rc["findings"].at(0);
  for (const char* field : {"pipeline", "error_type", "conditions", "support", "errors", "rate", "baseline_rate", "lift",
                            "q_value", "rank", "share_of_errors", "metric", "safety_impact", "examples", "action"}) {
    EXPECT_TRUE(f.contains(field)) << field;
  }
  EXPECT_GE(rc["tests"].get<double>(), rc["evaluated"].get<double>());
  EXPECT_GT(rc["evaluated"].get<int>(), rc["discoveries"].get<int>());

  // One pipeline and one error type: F4 again, and nothing of other pipelines or types.
  const std::string one = RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store +
                                       " --pipeline traffic_lights --error-type attribute --json",
                                   status);
  ASSERT_EQ(ExitCode(status), 0) << one;
  const json tl = json::parse(one);
  ASSERT_FALSE(tl["findings"].empty());
  for (const json& x : tl["findings"]) {
    EXPECT_EQ(x["pipeline"], "traffic_lights");
    EXPECT_EQ(x["error_type"], "attribute");
  }
  EXPECT_EQ(tl["findings"][0]["conditions"], (json{{"vendor", "cortex"}, {"attr.state", "yellow"}}));

  // Audit errors as the evidence instead of gold: the causes the auditors' records show are the
  // injected ones (world-small's audits cover 15% of tasks: four of its six faults are visible).
  RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store + " --evidence audits --json > " +
               (dir / "rc-audits.json"),
           status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(dir / "rc-audits.json");
  const json audits = json::parse(ReadFile(dir / "rc-audits.json"));
  EXPECT_EQ(audits["evidence"], "audits");
  std::set<std::string> found;
  for (const json& x : audits["findings"]) {
    EXPECT_LT(x["q_value"].get<double>(), 0.05);
    bool related = false;
    for (const json& fault : key["faults"]) {
      if (Related(x, fault)) {
        related = true;
        found.insert(fault["id"].get<std::string>());
      }
    }
    EXPECT_TRUE(related) << "unrelated audit finding: " << x["pipeline"] << " " << x["error_type"] << " "
                         << x["conditions"].dump();
  }
  EXPECT_GE(found.size(), 4u) << audits.dump(1);

  // Automated QA findings as the evidence (every delivered object, no reference): the two lidar
  // faults with the most errors lead their pipeline, and the camera class confusion is found.
  RunGtops("check --program " + testing::WorldSmall() + " --store " + store, status);
  ASSERT_EQ(ExitCode(status), 0);
  RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store + " --evidence findings --json > " +
               (dir / "rc-findings.json"),
           status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(dir / "rc-findings.json");
  const json by_findings = json::parse(ReadFile(dir / "rc-findings.json"));
  EXPECT_EQ(by_findings["evidence"], "findings");
  std::set<std::string> found_by_findings;
  for (const json& x : by_findings["findings"]) {
    for (const json& fault : key["faults"]) {
      if (Related(x, fault)) found_by_findings.insert(fault["id"].get<std::string>());
    }
  }
  EXPECT_TRUE(found_by_findings.count("F2") && found_by_findings.count("F3")) << by_findings.dump(1);

  // Usage errors name the option.
  const std::string bad = RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store +
                                       " --error-type nosuch",
                                   status);
  EXPECT_EQ(ExitCode(status), 2) << bad;
  EXPECT_NE(bad.find("--error-type \"nosuch\""), std::string::npos) << bad;
  RunGtops("rootcause --program " + testing::WorldSmall() + " --store " + store + " --pipeline nosuch", status);
  EXPECT_EQ(ExitCode(status), 2);

  // The plan: every cause, and a post-mortem per failed gate of the run.
  const std::string plan_out = RunGtops("plan --program " + testing::WorldSmall() + " --store " + store + " -o " +
                                            (dir / "plan.md"),
                                        status);
  ASSERT_EQ(ExitCode(status), 0) << plan_out;
  const std::string plan = ReadFile(dir / "plan.md");
  EXPECT_NE(plan.find("# Improvement plan"), std::string::npos);
  EXPECT_NE(plan.find("vendor=cortex attr.state=yellow"), std::string::npos) << plan;
  EXPECT_NE(plan.find("spec clarification"), std::string::npos) << plan;
  EXPECT_NE(plan.find("annotator coaching"), std::string::npos) << plan;
  const json run_json = json::parse(ReadFile(dir / "run.json"), nullptr, false);
  int fails = 0;
  if (run_json.contains("gaps")) {
    for (const json& g : run_json["gaps"]) fails += g.value("status", "") == "fails" ? 1 : 0;
  }
  if (fails > 0) {
    EXPECT_NE(plan.find("## Post-mortems of failed gates"), std::string::npos) << plan;
    EXPECT_NE(plan.find("**How to verify**"), std::string::npos);
  }
}

// Demo worlds whose faults' vendors, annotators, scene values and range are drawn from the seed
// (docs/demo.md, "Random faults"), a few pipelines each so the test stays fast.
struct RandomWorld {
  uint64_t seed;
  const char* pipelines;
};

class RootcauseRandomWorld : public ::testing::TestWithParam<RandomWorld> {};

TEST_P(RootcauseRandomWorld, EveryFaultInTheTopFiveAndFewUnrelatedFindings) {
  const RandomWorld w = GetParam();
  TempDir dir;
  int status = 0;
  const std::string program = dir / "program";
  const std::string demo = RunGtops("demo " + program + " --seed " + std::to_string(w.seed) +
                                        " --faults random --scenes 200 --gold-fraction 0.5 --pipelines " + w.pipelines +
                                        " --no-ingest",
                                    status);
  ASSERT_EQ(ExitCode(status), 0) << demo;
  const std::string run = RunGtops("run " + program + " --store " + (dir / "gtops.db") + " --report " + (dir / "report"),
                                   status);
  ASSERT_TRUE(ExitCode(status) == 0 || ExitCode(status) == 6) << run;
  const json key = json::parse(ReadFile(program + "/answers/key.json"));
  ASSERT_FALSE(key["faults"].empty());
  RunGtops("rootcause --program " + program + " --store " + (dir / "gtops.db") + " --json > " + (dir / "rc.json"), status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(dir / "rc.json");
  ExpectTruth(json::parse(ReadFile(dir / "rc.json")), key, "seed " + std::to_string(w.seed) + " " + w.pipelines);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RootcauseRandomWorld,
                         // traffic_lights is left out: at 200 scenes its random fault (seed 101:
                         // northstar, night, yellow) has 8 gold objects and 4 errors, below what
                         // the search space's false-discovery control can confirm.
                         ::testing::Values(RandomWorld{101, "lidar_urban,cam_front_2d"},
                                           RandomWorld{202, "cam_surround_2d,scene_tags,lidar_vru"}));

}  // namespace
}  // namespace gtops
