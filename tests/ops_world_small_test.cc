// `gtops ops` through the real binary on the public test world: the operational faults of its
// answer key (answers/key.json, `ops_faults`) show in the KPIs, the figures agree with counts made
// independently from the event file (Python's json module), and the store's SQL views agree with
// the ops engine.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::RunGtops;

using nlohmann::json;
using testing::TempDir;
using testing::WorldSmall;

class OpsWorldSmall : public ::testing::Test {
 protected:
  void SetUp() override {
    common_ = "--program " + WorldSmall() + " --store " + (tmp_ / "gtops.db");
    int status = -1;
    const std::string out = RunGtops("ingest -q " + common_, status);
    ASSERT_EQ(status, 0) << out;
    std::ifstream key(WorldSmall() + "/answers/key.json");
    ASSERT_TRUE(key.good());
    key_ = json::parse(key);
    ASSERT_EQ(key_["ops_faults"].size(), 2u);
  }

  json Ops(const std::string& args) {
    int status = -1;
    const std::string out = RunGtops("ops --json " + args + " " + common_, status);
    EXPECT_EQ(status, 0) << out;
    return json::parse(out);
  }

  const json& Fault(const std::string& kind) {
    for (const json& f : key_["ops_faults"]) {
      if (f["kind"] == kind) return f;
    }
    ADD_FAILURE() << "no " << kind << " in answers/key.json";
    return key_;
  }

  TempDir tmp_;
  std::string common_;
  json key_;
};

TEST_F(OpsWorldSmall, TotalsMatchTheEventFile) {
  const json j = Ops("");
  EXPECT_EQ(j["tasks"], 3600);
  EXPECT_EQ(j["as_of"], "2025-12-28T23:53:15Z");  // the latest event
  EXPECT_EQ(j["anomalies"]["tasks_with_anomalies"], 0);  // the world's lifecycles are clean
  ASSERT_EQ(j["kpis"].size(), 1u);
  const json& all = j["kpis"][0];
  EXPECT_FALSE(all.contains("vendor"));  // not grouped by it
  EXPECT_EQ(all["tasks"], 3600);
  EXPECT_EQ(all["tasks_accepted"], 3572);  // 3,572 `accepted` events, one per task
  EXPECT_EQ(all["completed"], 3572);
  EXPECT_NEAR(all["cost_usd"].get<double>(), 14998.27, 1e-6);  // the sum of every cost_usd
}

TEST_F(OpsWorldSmall, AlertsNameExactlyTheInjectedFaults) {
  const json j = Ops("");
  // Nothing but the two faults pages someone; `info` alerts (a KPI behind its target since its
  // series began) page nobody.
  json pages = json::array();
  for (const json& a : j["alerts"]) {
    if (a["level"] == "page") {
      pages.push_back(a);
    } else {
      EXPECT_EQ(a["level"], "info") << a.dump();
      std::printf("info %s: %s\n", a["kind"].get<std::string>().c_str(), a["evidence"].get<std::string>().c_str());
    }
  }
  ASSERT_EQ(pages.size(), 2u) << j["alerts"].dump(2);
  for (const json& a : pages) {
    const json& fault = Fault(a["kind"]);
    EXPECT_EQ(a["vendor"], fault["vendor"]) << a.dump();
    if (fault.contains("pipeline")) {
      EXPECT_EQ(a["pipeline"], fault["pipeline"]) << a.dump();
    } else {
      EXPECT_FALSE(a.contains("pipeline")) << a.dump();
    }
    // The change began in the fault's window: the week of `from` or the one after it.
    const std::string since = a["since"];
    std::printf("%s: %s\n", a["kind"].get<std::string>().c_str(), a["evidence"].get<std::string>().c_str());
    EXPECT_TRUE(since == (a["kind"] == "sla_breach" ? "2025-W50" : "2025-W47")) << since;  // from: 12-08, 11-19
    EXPECT_FALSE(a["evidence"].get<std::string>().empty());
  }
}

TEST_F(OpsWorldSmall, SlaBreachVendorIsLateInsideItsWindow) {
  const json& fault = Fault("sla_breach");
  const std::string vendor = fault["vendor"];
  const json j = Ops("--by vendor --from " + fault["from"].get<std::string>() + " --to " +
                     fault["to"].get<std::string>());
  ASSERT_EQ(j["kpis"].size(), 4u);
  double faulty = -1, others_min = 2, others_min_lo = 2, faulty_hi = -1;
  for (const json& row : j["kpis"]) {
    const double rate = row["on_time_rate"];
    if (row["vendor"] == vendor) {
      faulty = rate;
      faulty_hi = row["on_time_rate_ci"][1];
      // Counted with Python from events.jsonl: 151 of the 294 tasks of the window due.
      EXPECT_EQ(row["on_time_rate_n"], 294);
      EXPECT_NEAR(rate, 151.0 / 294.0, 1e-12);
    } else {
      others_min = std::min(others_min, rate);
      others_min_lo = std::min(others_min_lo, row["on_time_rate_ci"][0].get<double>());
    }
  }
  std::printf("sla_breach %s on_time_rate in window %.3f (95%% CI hi %.3f); others min %.3f (CI lo %.3f)\n",
              vendor.c_str(), faulty, faulty_hi, others_min, others_min_lo);
  EXPECT_LT(faulty, others_min - 0.3);
  EXPECT_LT(faulty_hi, others_min_lo);  // the intervals do not overlap
  // Before the window the same vendor is on time.
  const json before = Ops("--by vendor --to " + fault["from"].get<std::string>());
  for (const json& row : before["kpis"]) {
    if (row["vendor"] == vendor) {
      EXPECT_GT(row["on_time_rate"].get<double>(), 0.9);
    }
  }
}

TEST_F(OpsWorldSmall, ReworkSpikeStandsAboveItsBaseline) {
  const json& fault = Fault("rework_spike");
  const std::string pipeline = fault["pipeline"], vendor = fault["vendor"];
  const std::string from = fault["from"], to = fault["to"];
  auto rework = [&](const json& j) {
    for (const json& row : j["kpis"]) {
      if (row["pipeline"] == pipeline && row["vendor"] == vendor) return row;
    }
    ADD_FAILURE() << "no row for " << pipeline << " x " << vendor;
    return json();
  };
  const std::string by = "--by pipeline,vendor --pipeline " + pipeline;
  const json inside = rework(Ops(by + " --from " + from + " --to " + to));
  const json before = rework(Ops(by + " --to " + from));
  const json after = rework(Ops(by + " --from " + to));
  const double in_rate = inside["rework_rate"], before_rate = before["rework_rate"];
  const double after_rate = after["rework_rate"];
  std::printf("rework_spike %s x %s rework_rate in window %.3f (n %d, CI lo %.3f); before %.3f (CI hi %.3f); after %.3f\n",
              pipeline.c_str(), vendor.c_str(), in_rate, inside["rework_rate_n"].get<int>(),
              inside["rework_rate_ci"][0].get<double>(), before_rate, before["rework_rate_ci"][1].get<double>(),
              after_rate);
  EXPECT_GT(in_rate, 2.5 * before_rate);
  EXPECT_GT(in_rate, 2.5 * after_rate);
  EXPECT_GT(inside["rework_rate_ci"][0].get<double>(), before["rework_rate_ci"][1].get<double>());
  // The same pipeline's other vendor in the window is at its usual level.
  const json others = Ops(by + " --from " + from + " --to " + to);
  for (const json& row : others["kpis"]) {
    if (row["vendor"] != vendor) {
      EXPECT_LT(row["rework_rate"].get<double>(), in_rate / 2.5);
    }
  }
}

TEST_F(OpsWorldSmall, SqlViewsAgreeWithTheEngine) {
  const json j = Ops("--by vendor,week");
  std::map<std::pair<std::string, std::string>, json> engine;
  for (const json& row : j["kpis"]) engine[{row["vendor"], row["week"]}] = row;

  auto store = OpenStore(StoreOptions{tmp_ / "gtops.db", true});
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto q = (*store)->QueryReadOnly(
      "SELECT vendor, week, tasks, tasks_accepted, on_time_rate, rework_rate, first_pass_yield, "
      "audit_pass_rate, cost_usd, cost_of_poor_quality_usd FROM kpis_by_vendor_week");
  ASSERT_TRUE(q.ok()) << q.status().message();
  ASSERT_FALSE(q->rows.empty());
  int64_t tasks = 0;
  for (const auto& row : q->rows) {
    const auto it = engine.find({*row[0], *row[1]});
    ASSERT_NE(it, engine.end()) << *row[0] << " " << *row[1];
    const json& e = it->second;
    SCOPED_TRACE(*row[0] + " " + *row[1]);
    EXPECT_EQ(std::stoll(*row[2]), e["tasks"].get<int64_t>());
    EXPECT_EQ(std::stoll(*row[3]), e["tasks_accepted"].get<int64_t>());
    auto same = [](const std::optional<std::string>& sql, const json& v) {
      if (!sql) {
        EXPECT_TRUE(v.is_null());
      } else {
        EXPECT_NEAR(std::stod(*sql), v.get<double>(), 1e-9);
      }
    };
    same(row[4], e["on_time_rate"]);
    same(row[5], e["rework_rate"]);
    same(row[6], e["first_pass_yield"]);
    same(row[7], e["audit_pass_rate"]);
    same(row[8], e["cost_usd"]);
    same(row[9], e["cost_of_poor_quality_usd"]);
    tasks += std::stoll(*row[2]);
  }
  EXPECT_EQ(tasks, 3600);
  auto timelines = (*store)->QueryReadOnly("SELECT count(*), sum(state = 'accepted') FROM task_timelines");
  ASSERT_TRUE(timelines.ok());
  EXPECT_EQ(*timelines->rows[0][0], "3600");
  EXPECT_EQ(*timelines->rows[0][1], "3572");
}

TEST_F(OpsWorldSmall, ForecastCoversTheOpenBacklog) {
  int status = -1;
  const std::string out = RunGtops("forecast --json " + common_, status);
  ASSERT_EQ(status, 0) << out;
  const json j = json::parse(out);
  ASSERT_EQ(j["forecasts"].size(), 12u);  // one per pipeline
  int64_t backlog = 0;
  for (const json& f : j["forecasts"]) {
    backlog += f["backlog"].get<int64_t>();
    ASSERT_FALSE(f["expected"].is_null()) << f.dump();  // every pipeline accepted tasks lately
    EXPECT_LE(f["interval"][0].get<std::string>(), f["expected"].get<std::string>());
    EXPECT_GE(f["interval"][1].get<std::string>(), f["expected"].get<std::string>());
  }
  EXPECT_EQ(backlog, 3600 - 3572);  // tasks without an `accepted` event (none rejected or cancelled)
}

TEST_F(OpsWorldSmall, ScorecardShowsTheSlaBreachVendorFailingItsTarget) {
  const std::string breach = Fault("sla_breach")["vendor"];
  for (const std::string& vendor : {breach, std::string("acme")}) {
    int status = -1;
    const std::string out = RunGtops("scorecard vendor " + vendor + " --json " + common_, status);
    ASSERT_EQ(status, 0) << out;
    const json j = json::parse(out);
    EXPECT_EQ(j["vendor"], vendor);
    ASSERT_FALSE(j["pipelines"].empty());
    for (const json& p : j["pipelines"]) {
      const json& on_time = p["metrics"]["on_time_rate"];
      EXPECT_EQ(on_time["target"], 0.95);  // gtops.toml
      // The breaching vendor fails the target on every pipeline; acme meets it everywhere.
      EXPECT_EQ(on_time["status"], vendor == breach ? "fails" : "meets") << p["pipeline"];
    }
  }
  int status = -1;
  RunGtops("scorecard vendor nobody " + common_, status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST_F(OpsWorldSmall, UnknownGroupKeyIsAUsageError) {
  int status = -1;
  const std::string out = RunGtops("ops --by vendor,class " + common_, status);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;
  EXPECT_NE(out.find("class"), std::string::npos);
}

}  // namespace
}  // namespace gtops
