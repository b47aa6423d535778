// End-to-end test of `gtops sample draw` and `gtops sample decide` on a copy of world-small: a
// batch's sample drawn with an acceptance plan and strata, written as an audit list and recorded
// with the batch; a second draw refused without --force and the same sample with it; decide
// replayed on the stored audits (checked against the audits counted here with SQL), then a
// reject once audits of drawn tasks fail (exit 6).
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
using testing::WorldSmall;
using testing::ExitCode;

class SampleWorldSmall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    program_ = *dir_ / "ws";
    std::filesystem::create_directories(program_);
    std::filesystem::copy_file(WorldSmall() + "/gtops.toml", program_ + "/gtops.toml");
    std::filesystem::copy(WorldSmall() + "/data", program_ + "/data", std::filesystem::copy_options::recursive);
    int status = 0;
    const std::string out = RunGtops("ingest --quiet --program " + program_, status);
    ASSERT_EQ(ExitCode(status), 0) << out;
  }
  static void TearDownTestSuite() { delete dir_; }

  static json Sql(const std::string& query) {
    int status = 0;
    const std::string out = RunGtops("sql --json --program " + program_ + " \"" + query + "\"", status);
    EXPECT_EQ(ExitCode(status), 0) << out;
    return json::parse(out)["rows"];
  }
  static json Run(const std::string& args, int expected_exit) {
    int status = 0;
    const std::string out = RunGtops(args + " --program " + program_ + " --json", status);
    EXPECT_EQ(ExitCode(status), expected_exit) << args << "\n" << out;
    return json::parse(out, nullptr, false);
  }

  static TempDir* dir_;
  static std::string program_;
};
TempDir* SampleWorldSmall::dir_ = nullptr;
std::string SampleWorldSmall::program_;

TEST_F(SampleWorldSmall, DrawRecordDecideAndRedrawOnlyWithForce) {
  // The lidar_cuboids batch with the most tasks, and its audited tasks.
  const json batches = Sql(
      "SELECT batch, count(*) AS n FROM tasks WHERE pipeline = 'lidar_cuboids' GROUP BY batch "
      "ORDER BY n DESC, batch LIMIT 1");
  ASSERT_EQ(batches.size(), 1u);
  const std::string batch = batches[0]["batch"];
  const int64_t lot = batches[0]["n"];
  const std::string draw = "sample draw --pipeline lidar_cuboids --batch " + batch +
                           " --aql 0.05 --ltpd 0.4 --stratify annotator,scene.time_of_day --seed 7";

  // Given a draw with an acceptance plan and strata,
  const std::string list = *dir_ / "audit.csv";
  const json d = Run(draw + " --out " + list, 0);
  ASSERT_TRUE(d.is_object());
  // then the plan is the single plan of `sample plan` for that lot,
  int status = 0;
  const json plan = json::parse(RunGtops("sample plan --json --aql 0.05 --ltpd 0.4 --lot " + std::to_string(lot), status));
  EXPECT_EQ(ExitCode(status), 0);
  EXPECT_EQ(d["kind"], "single");
  EXPECT_EQ(d["lot"], lot);
  EXPECT_EQ(d["n"], plan["n"]);
  EXPECT_EQ(d["c"], plan["c"]);
  // the strata cover the lot and share the n audits, history coming from the audits,
  int64_t sizes = 0, allocated = 0;
  for (const json& s : d["strata"]) {
    sizes += s["size"].get<int64_t>();
    allocated += s["allocated"].get<int64_t>();
    EXPECT_LE(s["allocated"].get<int64_t>(), s["size"].get<int64_t>());
    EXPECT_NE(s["name"].get<std::string>().find("annotator="), std::string::npos);
  }
  EXPECT_EQ(sizes, lot);
  EXPECT_EQ(allocated, d["n"].get<int64_t>());
  EXPECT_EQ(d["allocation"], "neyman");
  EXPECT_GT(d["evidence_tasks"].get<int64_t>(), 20);  // the pipeline's audited tasks
  // the audit list has one line per drawn task, in the recorded order, each task of the batch.
  std::ifstream in(list);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "ord,task,stratum,weight\r");  // RFC 4180: CRLF line ends
  std::vector<std::string> listed;
  while (std::getline(in, line) && !line.empty()) listed.push_back(line.substr(line.find(',') + 1, line.find(',', line.find(',') + 1) - line.find(',') - 1));
  ASSERT_EQ(listed.size(), d["tasks"].size());
  const json recorded = Sql("SELECT p.task, t.batch FROM audit_plan_tasks p JOIN tasks t USING (task) WHERE "
                            "p.pipeline = 'lidar_cuboids' AND p.batch = '" + batch + "' ORDER BY p.ord");
  ASSERT_EQ(recorded.size(), listed.size());
  std::set<std::string> unique;
  for (size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(recorded[i]["task"], listed[i]);
    EXPECT_EQ(recorded[i]["batch"], batch);
    unique.insert(listed[i]);
  }
  EXPECT_EQ(unique.size(), listed.size());

  // Drawing the batch again is refused without --force (exit 2, saying so),
  const std::string refused = RunGtops(draw + " --program " + program_, status);
  EXPECT_EQ(ExitCode(status), 2);
  EXPECT_NE(refused.find("--force"), std::string::npos) << refused;
  // with --force the same seed draws the same sample, another seed another one.
  const json same = Run(draw + " --force", 0);
  EXPECT_EQ(same["tasks"], d["tasks"]);
  EXPECT_TRUE(same["replaced"].get<bool>());
  const json other = Run("sample draw --pipeline lidar_cuboids --batch " + batch +
                             " --aql 0.05 --ltpd 0.4 --stratify annotator,scene.time_of_day --seed 8 --force",
                         0);
  EXPECT_NE(other["tasks"], d["tasks"]);
  Run(draw + " --force", 0);

  // Decide on the audits already stored: the evidence counts what SQL counts.
  const json audited = Sql(
      "SELECT count(*) AS audited, coalesce(sum(a.pass = 0), 0) AS failed FROM audit_plan_tasks p "
      "JOIN task_audits a USING (task) WHERE p.pipeline = 'lidar_cuboids' AND p.batch = '" + batch + "'");
  const int64_t n_audited = audited[0]["audited"], n_failed = audited[0]["failed"];
  const int64_t n = d["n"], c = d["c"];
  const std::string expected = n_failed > c ? "reject" : n_audited >= n ? "accept" : "continue";
  const json first = Run("sample decide --pipeline lidar_cuboids --batch " + batch, expected == "reject" ? 6 : 0);
  EXPECT_EQ(first["decision"], expected);
  EXPECT_EQ(first["audited"], n_audited);
  EXPECT_EQ(first["failures"], n_failed);
  // replayed, the same answer.
  EXPECT_EQ(Run("sample decide --pipeline lidar_cuboids --batch " + batch, expected == "reject" ? 6 : 0), first);

  // When c + 1 drawn tasks not yet audited fail a whole-task audit, the batch is rejected (exit 6).
  std::set<std::string> already;
  for (const json& r : Sql("SELECT task FROM task_audits WHERE pipeline = 'lidar_cuboids'")) already.insert(r["task"]);
  std::ofstream extra(program_ + "/data/audits-extra.jsonl");
  int64_t written = 0;
  for (const json& t : d["tasks"]) {
    const std::string task = t["task"];
    if (already.count(task) != 0 || written > c) continue;
    extra << json{{"task", task}, {"pipeline", "lidar_cuboids"}, {"batch", batch}, {"auditor", "qa-test"},
                  {"at", "2026-01-05T10:00:00Z"}, {"verdict", "fail"},
                  {"errors", json::array({{{"type", "missing"}, {"severity", "major"}}})}}
                 .dump()
          << "\n";
    ++written;
  }
  extra.close();
  ASSERT_EQ(written, c + 1);
  const std::string ingested = RunGtops("ingest --quiet --program " + program_, status);
  ASSERT_EQ(ExitCode(status), 0) << ingested;
  const json rejected = Run("sample decide --pipeline lidar_cuboids --batch " + batch, 6);
  EXPECT_EQ(rejected["decision"], "reject");
  EXPECT_GE(rejected["failures"].get<int64_t>(), c + 1);
  EXPECT_GT(rejected["estimate"]["rate"].get<double>(), 0);
  EXPECT_LE(rejected["estimate"]["lo"].get<double>(), rejected["estimate"]["rate"].get<double>());

  // A batch without a plan: exit 3, naming draw.
  const std::string none = RunGtops("sample decide --pipeline lidar_cuboids --batch nope --program " + program_, status);
  EXPECT_EQ(ExitCode(status), 3);
  EXPECT_NE(none.find("gtops sample draw"), std::string::npos) << none;
}

TEST_F(SampleWorldSmall, DrawTakesItsDefaultsFromGtopsTomlAndFlagsOverrideThem) {
  const std::string toml = program_ + "/gtops.toml";
  std::string original;
  {
    std::ifstream in(toml);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto write = [&](const std::string& extra) { std::ofstream(toml, std::ios::trunc) << original << extra; };
  const json batches = Sql(
      "SELECT batch FROM tasks WHERE pipeline = 'lidar_cuboids' GROUP BY batch ORDER BY count(*) DESC, batch LIMIT 1");
  ASSERT_EQ(batches.size(), 1u);
  const std::string draw = "sample draw --pipeline lidar_cuboids --batch " + batches[0]["batch"].get<std::string>();

  // Given [sampling] defaults, a draw without flags uses them;
  write("\n[sampling]\nn = 12\nc = 1\nseed = 5\nstratify = [\"annotator\"]\n");
  json d = Run(draw + " --force", 0);
  EXPECT_EQ(d["kind"], "single");
  EXPECT_EQ(d["n"], 12);
  EXPECT_EQ(d["c"], 1);
  EXPECT_EQ(d["seed"], 5);
  EXPECT_EQ(d["stratify"], "annotator");
  // flags override them one by one,
  d = Run(draw + " --force --n 8 --c 0 --seed 2 --stratify none", 0);
  EXPECT_EQ(d["n"], 8);
  EXPECT_EQ(d["c"], 0);
  EXPECT_EQ(d["seed"], 2);
  EXPECT_EQ(d["stratify"], "");
  // and decide gives weighted and unweighted figures of a stratified sample.
  Run(draw + " --force", 0);
  int decide_status = 0;
  const json decided = json::parse(RunGtops("sample decide --json --program " + program_ + " --pipeline lidar_cuboids --batch " +
                                                batches[0]["batch"].get<std::string>(),
                                            decide_status));
  EXPECT_TRUE(ExitCode(decide_status) == 0 || ExitCode(decide_status) == 6);
  ASSERT_TRUE(decided.contains("unweighted_rate"));
  if (decided["strata"].size() > 1) {
    EXPECT_TRUE(decided.contains("weighted")) << decided.dump();
  }
  // A bad value is reported with its line in gtops.toml, exit 4.
  write("\n[sampling]\naql = 2\nltpd = 0.05\n");
  int status = 0;
  const std::string out = RunGtops(draw + " --force --program " + program_, status);
  EXPECT_EQ(ExitCode(status), 4) << out;
  EXPECT_NE(out.find("gtops.toml:"), std::string::npos) << out;
  EXPECT_NE(out.find("sampling.aql: must be in (0, 1) (got 2)"), std::string::npos) << out;
  write("");
}

}  // namespace
}  // namespace gtops

namespace gtops {
namespace {

// `gtops sample size`: the documented example of docs/sampling.md (p 0.1, margin 0.03: 388 under
// simple random sampling; 20 objects per task and ICC 0.05: design effect 1.95, 757 objects, 38
// tasks), and a margin out of range is a usage error.
TEST(SampleSize, PerObjectRateWithDesignEffectAndBadMargin) {
  int status = 0;
  const std::string out = testing::RunGtops(
      "sample size --json --rate 0.1 --margin 0.03 --objects-per-task 20 --icc 0.05", status);
  ASSERT_EQ(testing::ExitCode(status), 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["n_simple"], 388);
  EXPECT_NEAR(j["design_effect"].get<double>(), 1.95, 1e-12);
  EXPECT_EQ(j["n"], 757);
  EXPECT_EQ(j["tasks"], 38);
  const std::string per_task = testing::RunGtops("sample size --rate 0 --margin 0.02", status);
  EXPECT_EQ(testing::ExitCode(status), 0);
  EXPECT_NE(per_task.find("audit 93 tasks"), std::string::npos) << per_task;
  const std::string bad = testing::RunGtops("sample size --margin 0.7", status);
  EXPECT_EQ(testing::ExitCode(status), 2) << bad;
  EXPECT_NE(bad.find("margin 0.7 must be in (0, 0.5)"), std::string::npos) << bad;
}

}  // namespace
}  // namespace gtops
