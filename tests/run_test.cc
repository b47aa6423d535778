// End-to-end tests of the main job (`gtops run`, `gtops gaps`) on the small fixed program of
// tests/golden/run-small (hand-counted figures: see its make_program.py) and on world-small
// (the injected faults and the interval coverage of the true rates).
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chromium_util.h"
#include "test_util.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunGtops;
using testing::TempDir;

const std::string kGolden = std::string(GTOPS_SOURCE_DIR) + "/tests/golden/run-small";

using testing::chromium_detail::ReadFile;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh copy of the small program in `dir`.
std::string CopySmallProgram(const TempDir& dir) {
  const std::string program = dir / "program";
  fs::copy(kGolden + "/program", program, fs::copy_options::recursive);
  return program;
}

using testing::ExitCode;

const json* FindRow(const json& gaps, const std::string& pipeline, const std::string& metric, const std::string& vendor,
                    const json& slice) {
  for (const json& r : gaps) {
    const std::string v = r["vendor"].is_null() ? "" : r["vendor"].get<std::string>();
    if (r["pipeline"] == pipeline && r["metric"] == metric && v == vendor && r["slice"] == slice) return &r;
  }
  return nullptr;
}

// Output of the tool with what changes from run to run (temporary paths, clock times) replaced.
std::string Normalize(std::string text, const std::string& program) {
  size_t at;
  while ((at = text.find(program)) != std::string::npos) text.replace(at, program.size(), "PROGRAM");
  text = std::regex_replace(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)"), "TIME");
  return text;
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = kGolden + "/expected/" + name;
  if (std::getenv("GTOPS_UPDATE_GOLDEN") != nullptr) {
    fs::create_directories(kGolden + "/expected");
    WriteFile(path, actual);
  }
  EXPECT_EQ(actual, ReadFile(path)) << "golden file " << path
                                    << " differs (GTOPS_UPDATE_GOLDEN=1 rewrites it after a deliberate change)";
}

TEST(RunSmallProgram, MeasuresTheHandCountedFiguresAndWritesTheReport) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  int status = 0;
  RunGtops("run " + program + " --resamples 200 --json > " + dir / "run.json", status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(dir / "run.json");
  const json run = json::parse(ReadFile(dir / "run.json"));
  const json& gaps = run["gaps"];
  ASSERT_EQ(gaps.size(), 25u);  // 5 targets x (pipeline + 2 vendors), 3 gold x 3 classes, 1 slice

  struct Expect {
    std::string metric, vendor;
    json slice;
    double value;
    int64_t n;
  };
  const json none = nullptr;
  const Expect expected[] = {
      {"recall", "alpha", none, 1.0, 60},
      {"recall", "beta", none, 54.0 / 60, 60},
      {"recall", "", none, 114.0 / 120, 120},
      {"precision", "beta", none, 54.0 / 57, 57},
      {"class_accuracy", "beta", none, 52.0 / 54, 54},
      {"recall", "", json{{"class", "cyclist"}}, 18.0 / 24, 24},
      {"class_accuracy", "beta", json{{"scene.time_of_day", "night"}}, 26.0 / 27, 27},
      {"on_time_rate", "beta", none, 8.0 / 12, 12},
      {"on_time_rate", "alpha", none, 1.0, 12},
      {"audit_pass_rate", "beta", none, 0.5, 4},
      {"audit_pass_rate", "", none, 0.75, 8},
  };
  for (const Expect& e : expected) {
    const json* row = FindRow(gaps, "cam", e.metric, e.vendor, e.slice);
    ASSERT_NE(row, nullptr) << e.metric << " " << e.vendor << " " << e.slice.dump();
    EXPECT_NEAR((*row)["value"].get<double>(), e.value, 1e-12) << e.metric << " " << e.vendor;
    EXPECT_EQ((*row)["n"].get<int64_t>(), e.n) << e.metric << " " << e.vendor;
    const double lo = (*row)["ci"][0], hi = (*row)["ci"][1];
    EXPECT_LE(lo, e.value);
    EXPECT_GE(hi, e.value);
  }
  // recall of beta sits exactly on its target: no number of audits settles it.
  const json* on_target = FindRow(gaps, "cam", "recall", "beta", none);
  EXPECT_EQ((*on_target)["status"], "inconclusive");
  EXPECT_TRUE((*on_target)["additional_audits"].is_null());
  // Worst first: the rows that fail lead the table.
  EXPECT_EQ(gaps[0]["status"], "fails");
  EXPECT_EQ(run["summary"]["fails"].get<int>() + run["summary"]["inconclusive"].get<int>() +
                run["summary"]["meets"].get<int>() + run["summary"]["no_data"].get<int>(),
            25);

  for (const char* f : {"index.html", "report.md", "gaps.json"}) {
    EXPECT_TRUE(fs::exists(program + "/report/" + f)) << f;
  }
  // gaps.json and `gtops gaps --json` hold the same rows.
  const json file = json::parse(ReadFile(program + "/report/gaps.json"));
  const std::string from_store = RunGtops("gaps --json --program " + program, status);
  ASSERT_EQ(ExitCode(status), 0) << from_store;
  EXPECT_EQ(json::parse(from_store)["gaps"], file["gaps"]);
  EXPECT_EQ(file["gaps"], gaps);
}

TEST(RunSmallProgram, GoldenTerminalAndJsonOutput) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  int status = 0;
  const std::string text = RunGtops("run " + program + " --resamples 200 --verbose", status);
  EXPECT_EQ(ExitCode(status), 0) << text;
  ExpectGolden("run-verbose.txt", Normalize(text, program));
  const std::string summary = RunGtops("run " + program + " --resamples 200", status);
  ExpectGolden("run-again.txt", Normalize(summary, program));
  const std::string js = RunGtops("gaps --json --program " + program, status);
  ExpectGolden("gaps.json", Normalize(js, program));
}

TEST(RunSmallProgram, GateFailsOnlyOnConfidentFailuresUnlessStrict) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  int status = 0;
  std::string out = RunGtops("run " + program + " --resamples 200 --gate", status);
  EXPECT_EQ(ExitCode(status), 6) << out;
  EXPECT_NE(out.find("gate failed: 2 targets fail"), std::string::npos) << out;
  // `gtops gaps --gate` judges the stored table the same way.
  RunGtops("gaps --gate --program " + program, status);
  EXPECT_EQ(ExitCode(status), 6);

  // With targets every cell meets or is inconclusive about, the gate passes, unless --strict.
  std::string toml = ReadFile(program + "/gtops.toml");
  toml = std::regex_replace(toml, std::regex(R"(on_time_rate = 0\.9)"), "on_time_rate = 0.3");
  toml = std::regex_replace(toml, std::regex(R"(recall = 0\.95)"), "recall = 0.5");
  toml = std::regex_replace(toml, std::regex(R"(audit_pass_rate = 0\.8)"), "audit_pass_rate = 0.1");
  WriteFile(program + "/gtops.toml", toml);
  out = RunGtops("run " + program + " --resamples 200 --gate", status);
  EXPECT_EQ(ExitCode(status), 0) << out;
  out = RunGtops("run " + program + " --resamples 200 --gate --strict", status);
  EXPECT_EQ(ExitCode(status), 6) << out;
  EXPECT_NE(out.find("inconclusive (--strict)"), std::string::npos) << out;
}

TEST(RunSmallProgram, NothingNewReusesTheLastRunAndNewDataShowsWhatChanged) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  int status = 0;
  RunGtops("run " + program + " --resamples 200 --json > " + dir / "1.json", status);
  ASSERT_EQ(ExitCode(status), 0);
  RunGtops("run " + program + " --resamples 200 --json > " + dir / "2.json", status);
  ASSERT_EQ(ExitCode(status), 0);
  const json first = json::parse(ReadFile(dir / "1.json")), second = json::parse(ReadFile(dir / "2.json"));
  EXPECT_FALSE(first["reused"].get<bool>());
  EXPECT_TRUE(second["reused"].get<bool>());
  EXPECT_EQ(first["gaps"], second["gaps"]);
  EXPECT_EQ(second["run_id"], first["run_id"]);

  // A new delivery for alpha: a task that misses two of five objects.
  std::ofstream more(program + "/data/more.jsonl");
  more << R"({"pipeline":"cam","task":"cam:alpha-99","frame":"alpha-99/000","source":"gold","objects":[)"
       << R"({"id":"g0","class":"car","box2d":[10,10,50,50]},{"id":"g1","class":"car","box2d":[100,10,50,50]},)"
       << R"({"id":"g2","class":"car","box2d":[200,10,50,50]},{"id":"g3","class":"car","box2d":[300,10,50,50]},)"
       << R"({"id":"g4","class":"car","box2d":[400,10,50,50]}]})" << "\n"
       << R"({"pipeline":"cam","batch":"cam-alpha-b9","task":"cam:alpha-99","frame":"alpha-99/000","source":"vendor",)"
       << R"("vendor":"alpha","annotator":"alpha-a1","labeled_at":"2026-03-30T12:00:00Z","objects":[)"
       << R"({"id":"v0","class":"car","box2d":[10,10,50,50]},{"id":"v1","class":"car","box2d":[100,10,50,50]},)"
       << R"({"id":"v2","class":"car","box2d":[200,10,50,50]}]})" << "\n";
  more.close();
  RunGtops("run " + program + " --resamples 200 --json > " + dir / "3.json", status);
  ASSERT_EQ(ExitCode(status), 0);
  const json third = json::parse(ReadFile(dir / "3.json"));
  EXPECT_FALSE(third["reused"].get<bool>());
  EXPECT_GT(third["run_id"].get<int>(), first["run_id"].get<int>());
  const json* alpha = FindRow(third["gaps"], "cam", "recall", "alpha", nullptr);
  ASSERT_NE(alpha, nullptr);
  EXPECT_NEAR((*alpha)["value"].get<double>(), 63.0 / 65, 1e-12);
  // The report says what changed: alpha's recall moved from 1.
  const std::string md = ReadFile(program + "/report/report.md");
  EXPECT_NE(md.find("recall"), std::string::npos);
  const std::string text = RunGtops("run " + program + " --resamples 200 --force --verbose", status);
  EXPECT_EQ(ExitCode(status), 0) << text;
}

TEST(RunSmallProgram, ScorecardQualityColumnComesFromTheRunsOutcomes) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  int status = 0;
  RunGtops("run " + program + " --resamples 200", status);
  ASSERT_EQ(ExitCode(status), 0);
  const std::string out = RunGtops("scorecard vendor beta --json --program " + program, status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json card = json::parse(out);
  ASSERT_EQ(card["pipelines"].size(), 1u);
  const json& m = card["pipelines"][0]["metrics"];
  // Hand counts (make_program.py): beta recall 54/60, precision 54/57, class_accuracy 52/54;
  // the peers (alpha) are perfect.
  EXPECT_NEAR(m["recall"]["value"].get<double>(), 54.0 / 60, 1e-12);
  EXPECT_EQ(m["recall"]["n"].get<int64_t>(), 60);
  EXPECT_NEAR(m["recall"]["peers"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(m["precision"]["value"].get<double>(), 54.0 / 57, 1e-12);
  EXPECT_NEAR(m["class_accuracy"]["value"].get<double>(), 52.0 / 54, 1e-12);
  EXPECT_EQ(m["recall"]["target"].get<double>(), 0.9);
  for (const char* metric : {"recall", "precision", "class_accuracy", "localization_accuracy"}) {
    const double lo = m[metric]["ci"][0], hi = m[metric]["ci"][1], v = m[metric]["value"];
    EXPECT_LE(lo, v) << metric;
    EXPECT_GE(hi, v) << metric;
  }
  // The KPIs of events are still there, after the quality column.
  EXPECT_TRUE(m.contains("on_time_rate"));
}

TEST(RunSmallProgram, WithoutGoldOrEventsEveryRowSaysNoDataAndTheGatePasses) {
  TempDir dir;
  const std::string program = CopySmallProgram(dir);
  // Keep the vendor labels only: no gold, no events, no audits.
  std::ifstream in(program + "/data/labels.jsonl");
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.find(R"("source":"gold")") == std::string::npos) kept += line + "\n";
  }
  in.close();
  WriteFile(program + "/data/labels.jsonl", kept);
  fs::remove(program + "/data/events.jsonl");
  fs::remove(program + "/data/audits.jsonl");
  int status = 0;
  const std::string out = RunGtops("run " + program + " --gate --strict --json", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json run = json::parse(out);
  // The same 25 rows (both vendors are known from their deliveries), none measured.
  EXPECT_EQ(run["gaps"].size(), 25u);
  for (const json& r : run["gaps"]) {
    EXPECT_EQ(r["status"], "no_data") << r.dump();
    EXPECT_TRUE(r["value"].is_null());
  }
  EXPECT_TRUE(fs::exists(program + "/report/index.html"));
}

TEST(RunSmallProgram, BadConfigNamesTheLineOfGtopsToml) {
  struct Case {
    std::string from, to, expect;
  };
  const Case cases[] = {
      {"precision = 0.9", "precison = 0.9", "unknown metric \"precison\""},
      {"recall = 0.9\n", "recall = 1.5\n", "must be in [0, 1]"},
      {R"(where = { vendor = "beta", "scene.time_of_day" = "night" })", R"(where = { vendr = "beta" })",
       "vendr"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string program = CopySmallProgram(dir);
    std::string toml = ReadFile(program + "/gtops.toml");
    const size_t at = toml.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    const int line = 1 + static_cast<int>(std::count(toml.begin(), toml.begin() + static_cast<long>(at), '\n'));
    toml.replace(at, c.from.size(), c.to);
    WriteFile(program + "/gtops.toml", toml);
    int status = 0;
    const std::string out = RunGtops("run " + program, status);
    EXPECT_EQ(ExitCode(status), 4) << out;
    EXPECT_NE(out.find("gtops.toml:" + std::to_string(line) + ":"), std::string::npos) << c.to << "\n" << out;
    EXPECT_NE(out.find(c.expect), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(program + "/report")) << "nothing is written on a bad config";
  }
}

// ---- world-small ----------------------------------------------------------------------------

std::string MetricOf(const std::string& error_type) {
  if (error_type == "missing") return "recall";
  if (error_type == "extra" || error_type == "duplicate") return "precision";
  if (error_type == "wrong_class") return "class_accuracy";
  if (error_type == "position" || error_type == "size" || error_type == "heading" || error_type == "heading_flip") {
    return "localization_accuracy";
  }
  if (error_type == "attribute") return "attribute_accuracy";
  if (error_type == "tag") return "tag_accuracy";
  if (error_type == "geometry") return "geometry_accuracy";
  return "id_switch_rate";
}

class RunWorldSmall : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    int status = 0;
    // Two pipelines measured at once (RunOptions::threads); EqualsTheRunOfOneThread runs it again
    // with one.
    const std::string out = testing::RunCommand("GTOPS_RUN_THREADS=2 " + std::string(GTOPS_BINARY) + " run " +
                                                    testing::WorldSmall() + " --store " + (*dir_ / "gtops.db") +
                                                    " --report " + (*dir_ / "report") + " --json > " +
                                                    (*dir_ / "run.json") + " 2>&1",
                                                status);
    exit_ = ExitCode(status);
    run_ = new json(json::parse(ReadFile(*dir_ / "run.json"), nullptr, false));
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
  }
  static TempDir* dir_;
  static json* run_;
  static int exit_;
};
TempDir* RunWorldSmall::dir_ = nullptr;
json* RunWorldSmall::run_ = nullptr;
int RunWorldSmall::exit_ = -1;

TEST_F(RunWorldSmall, EveryPipelineHasItsGapRows) {
  ASSERT_EQ(exit_, 0);
  ASSERT_FALSE(run_->is_discarded());
  std::set<std::string> pipelines;
  for (const json& r : (*run_)["gaps"]) pipelines.insert(r["pipeline"]);
  EXPECT_EQ(pipelines.size(), 12u);
  for (const char* f : {"index.html", "report.md", "gaps.json"}) EXPECT_TRUE(fs::exists(*dir_ / "report" + "/" + f));
}

// Text without its RFC 3339 times and with `dir` as DIR: what two runs of the same data share.
std::string Comparable(std::string text, const std::string& dir) {
  text = std::regex_replace(text, std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]+Z)"), "TIME");
  for (size_t at; !dir.empty() && (at = text.find(dir)) != std::string::npos;) text.replace(at, dir.size(), "DIR");
  return text;
}

TEST_F(RunWorldSmall, EqualsTheRunOfOneThread) {
  ASSERT_EQ(exit_, 0);
  TempDir one;
  int status = 0;
  // --threads 1 wins over the environment's 2.
  testing::RunCommand("GTOPS_RUN_THREADS=2 " + std::string(GTOPS_BINARY) + " run " + testing::WorldSmall() +
                          " --threads 1 --store " + (one / "gtops.db") + " --report " + (one / "report") + " --json > " +
                          (one / "run.json") + " 2>&1",
                      status);
  ASSERT_EQ(ExitCode(status), 0) << ReadFile(one / "run.json");
  EXPECT_EQ(Comparable(ReadFile(one / "run.json"), one.path()), Comparable(ReadFile(*dir_ / "run.json"), dir_->path()));
  for (const char* f : {"gaps.json", "report.md", "index.html"}) {
    EXPECT_EQ(Comparable(ReadFile(one / "report/" + f), one.path()),
              Comparable(ReadFile(*dir_ / "report/" + f), dir_->path()))
        << f;
  }
  // The stored outcomes, run by run (the runs' ids follow the order they were measured in).
  const std::string outcomes =
      "sql --csv --store {} \"SELECT e.pipeline, e.outcomes, o.* FROM outcomes o JOIN evaluation_runs e "
      "USING (evaluation_id) ORDER BY e.pipeline, o.rowid\" | cut -d, -f1,2,4-";
  auto stored = [&](const std::string& db) {
    std::string args = outcomes;
    args.replace(args.find("{}"), 2, db);
    int s = 0;
    std::string text = RunGtops(args, s);
    EXPECT_EQ(ExitCode(s), 0) << text;
    return text;
  };
  const std::string sequential = stored(one / "gtops.db");
  EXPECT_GT(std::count(sequential.begin(), sequential.end(), '\n'), 1000);
  EXPECT_TRUE(sequential == stored(*dir_ / "gtops.db"));  // not printed: thousands of lines
  // The gap rows without their run's id; the incidents as they are (their times aside).
  for (const std::string query : {"\"SELECT * FROM gaps\" | cut -d, -f2-", "\"SELECT * FROM incidents\""}) {
    const std::string sql = "sql --csv --store {} " + query;
    auto rows = [&](const std::string& db) {
      std::string args = sql;
      args.replace(args.find("{}"), 2, db);
      int s = 0;
      return Comparable(RunGtops(args, s), "");
    };
    EXPECT_EQ(rows(one / "gtops.db"), rows(*dir_ / "gtops.db")) << query;
  }
}

TEST_F(RunWorldSmall, TheOperationalFaultsAreTheAlertsOfTheRunAndItsReport) {
  ASSERT_EQ(exit_, 0);
  const json key = json::parse(ReadFile(testing::WorldSmall() + "/answers/key.json"));
  std::set<std::string> expected, raised;
  for (const json& f : key["ops_faults"]) {
    expected.insert(f["kind"].get<std::string>() + "|" + f.value("pipeline", "") + "|" + f["vendor"].get<std::string>());
  }
  for (const json& a : (*run_)["alerts"]) {
    if (a["level"] != "page") continue;
    raised.insert(a["kind"].get<std::string>() + "|" + (a["pipeline"].is_null() ? "" : a["pipeline"].get<std::string>()) +
                  "|" + a["vendor"].get<std::string>());
  }
  EXPECT_EQ(raised, expected);
  const std::string md = ReadFile(*dir_ / "report/report.md");
  EXPECT_NE(md.find("## Operational alerts"), std::string::npos);
  EXPECT_NE(md.find("sla_breach"), std::string::npos);
  EXPECT_NE(md.find("rework_spike"), std::string::npos);
}

TEST_F(RunWorldSmall, TheReportOpensInChromiumWithEveryChartDrawn) {
  ASSERT_EQ(exit_, 0);
  ASSERT_TRUE(fs::exists(testing::kChromium))
      << testing::kChromium << " is missing: Chromium is a declared dependency; run scripts/install-deps";
  const std::string html = *dir_ / "report/index.html";
  const std::string page = ReadFile(html);
  // Self-contained: nothing to fetch.
  for (const char* external : {"http://", "https://", "src=", "<link", "@import", "url("}) {
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  }
  size_t svgs = 0;
  for (size_t at = page.find("<svg class=\"chart\""); at != std::string::npos;
       at = page.find("<svg class=\"chart\"", at + 1)) {
    ++svgs;
  }
  EXPECT_GT(svgs, 12u);  // the heatmap, a trend per pipeline target, the comparisons
  fs::create_directories(*dir_ / "chromium");
  const testing::ChromiumCheck check = testing::CheckInChromium(html, *dir_ / "chromium");
  ASSERT_TRUE(check.ran) << check.detail;
  EXPECT_EQ(check.errors, 0) << check.error_text;
  EXPECT_EQ(check.resources, 0);
  EXPECT_EQ(check.charts, static_cast<int>(svgs));
  EXPECT_EQ(check.empty_charts, 0);
  EXPECT_TRUE(check.png_ok) << check.detail;
}

TEST_F(RunWorldSmall, EachInjectedFaultShowsInItsMetricAsFailingOrInconclusive) {
  ASSERT_EQ(exit_, 0);
  const json key = json::parse(ReadFile(testing::WorldSmall() + "/answers/key.json"));
  // annotator -> vendor, from the answer key's error list.
  std::map<std::string, std::string> vendor_of;
  std::ifstream errors(testing::WorldSmall() + "/answers/errors.jsonl");
  for (std::string line; std::getline(errors, line);) {
    const json e = json::parse(line);
    vendor_of[e["annotator"]] = e["vendor"];
  }
  for (const json& fault : key["faults"]) {
    const std::string pipeline = fault["pipeline"], metric = MetricOf(fault["error_type"]);
    const json& cond = fault["conditions"];
    std::string vendor;
    if (cond.contains("vendor")) vendor = cond["vendor"];
    if (cond.contains("annotator")) vendor = vendor_of[cond["annotator"]];
    const std::string cls = cond.contains("class") ? cond["class"].get<std::string>() : "";
    bool flagged = false;
    std::string seen;
    for (const json& r : (*run_)["gaps"]) {
      if (r["pipeline"] != pipeline || r["metric"] != metric) continue;
      const std::string v = r["vendor"].is_null() ? "" : r["vendor"].get<std::string>();
      const bool vendor_row = !vendor.empty() && v == vendor && r["slice"].is_null();
      const bool class_row = !cls.empty() && v.empty() && r["slice"] == json{{"class", cls}};
      if (!vendor_row && !class_row) continue;
      seen += r.dump() + "\n";
      flagged = flagged || r["status"] == "fails" || r["status"] == "inconclusive";
    }
    EXPECT_TRUE(flagged) << fault.dump() << "\nrows:\n" << seen;
  }
}

TEST_F(RunWorldSmall, IntervalsContainTheTrueRecallAndPrecisionOfAtLeastNinetyPercentOfCells) {
  ASSERT_EQ(exit_, 0);
  const std::string world = testing::WorldSmall();
  const json key = json::parse(ReadFile(world + "/answers/key.json"));
  // Primary annotators (the `assigned` events) and their labels per pipeline|vendor.
  std::map<std::string, std::string> primary;
  std::ifstream events(world + "/data/events.jsonl");
  for (std::string line; std::getline(events, line);) {
    const json e = json::parse(line);
    if (e["event"] == "assigned" && !primary.count(e["task"])) primary[e["task"]] = e.value("annotator", "");
  }
  std::map<std::string, int64_t> labels, missing, extra;
  std::ifstream records(world + "/data/labels.jsonl");
  for (std::string line; std::getline(records, line);) {
    const json r = json::parse(line);
    if (r["source"] != "vendor" || primary[r["task"]] != r["annotator"]) continue;
    labels[r["pipeline"].get<std::string>() + "|" + r["vendor"].get<std::string>()] += static_cast<int64_t>(r["objects"].size());
  }
  std::ifstream errors(world + "/answers/errors.jsonl");
  for (std::string line; std::getline(errors, line);) {
    const json e = json::parse(line);
    if (e.value("overlap", false)) continue;
    const std::string cell = e["pipeline"].get<std::string>() + "|" + e["vendor"].get<std::string>();
    if (e["type"] == "missing") ++missing[cell];
    if (e["type"] == "extra" || e["type"] == "duplicate") ++extra[cell];
  }
  int cells = 0, covered = 0;
  std::string outside;
  for (const auto& [cell, truth] : key["truth_objects"].items()) {
    const std::string pipeline = cell.substr(0, cell.find('|')), vendor = cell.substr(cell.find('|') + 1);
    if (pipeline == "scene_tags") continue;  // tags: tag_accuracy instead
    const double true_recall = 1.0 - static_cast<double>(missing[cell]) / truth.get<double>();
    const double true_precision = 1.0 - static_cast<double>(extra[cell]) / static_cast<double>(labels[cell]);
    for (const auto& [metric, truth_value] : {std::pair{"recall", true_recall}, std::pair{"precision", true_precision}}) {
      const json* row = FindRow((*run_)["gaps"], pipeline, metric, vendor, nullptr);
      ASSERT_NE(row, nullptr) << cell << " " << metric;
      ++cells;
      const double lo = (*row)["ci"][0], hi = (*row)["ci"][1];
      if (lo <= truth_value && truth_value <= hi) {
        ++covered;
      } else {
        outside += cell + " " + metric + " true " + std::to_string(truth_value) + " ci " + (*row)["ci"].dump() + "\n";
      }
    }
  }
  EXPECT_EQ(cells, 44);  // 22 cells x (recall, precision)
  const double coverage = static_cast<double>(covered) / cells;
  std::printf("interval coverage of the true recall and precision: %d of %d cells (%.1f%%)\n%s", covered, cells,
              100 * coverage, outside.c_str());
  EXPECT_GE(coverage, 0.90) << outside;
}

}  // namespace
}  // namespace gtops
