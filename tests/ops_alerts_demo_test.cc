// `gtops ops` alerts on generated programs with a throughput drop and a cost overrun injected
// (`gtops demo --faults throughput_drop,cost_overrun`): each fault of the answer key pages with the
// right kind, pipeline and vendor, from a week within one of its window's start, and nothing else
// pages except the SLA breach the parked work causes, which must say it began with the drop.
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "test_util.h"

namespace gtops {
namespace {

using nlohmann::json;
using testing::RunGtops;
using testing::TempDir;

constexpr int64_t kWeekMs = int64_t{7} * 24 * 3600 * 1000;

class OpsAlertsDemo : public ::testing::TestWithParam<int> {};

TEST_P(OpsAlertsDemo, ThroughputDropAndCostOverrunPageAndNothingUnrelatedDoes) {
  TempDir tmp;
  const std::string program = tmp / "program";
  int status = -1;
  std::string out = RunGtops(fmt::format("demo {} --scenes 300 --seed {} --pipelines cam_front_2d,lanes,cam_surround_2d "
                                         "--faults throughput_drop,cost_overrun",
                                         program, GetParam()),
                             status);
  ASSERT_EQ(status, 0) << out;
  std::ifstream key_file(program + "/answers/key.json");
  const json key = json::parse(key_file);
  ASSERT_EQ(key["ops_faults"].size(), 2u);

  out = RunGtops("ops --json --program " + program, status);
  ASSERT_EQ(status, 0) << out;
  const json alerts = json::parse(out)["alerts"];

  for (const json& fault : key["ops_faults"]) {
    const int64_t from = *ParseRfc3339Ms(fault["from"].get<std::string>());
    bool found = false;
    for (const json& a : alerts) {
      if (a["kind"] != fault["kind"] || a["level"] != "page") continue;
      EXPECT_EQ(a["pipeline"], fault["pipeline"]);
      EXPECT_EQ(a["vendor"], fault["vendor"]);
      // `since` is an ISO week: it holds the window's start or is the week after it.
      const std::string since = a["since"];
      EXPECT_TRUE(since == IsoWeek(from) || since == IsoWeek(from + kWeekMs)) << since << " vs " << fault["from"];
      found = true;
    }
    EXPECT_TRUE(found) << fault["kind"] << " not paged: " << alerts.dump(1);
  }
  std::string drop_vendor;
  for (const json& fault : key["ops_faults"]) {
    if (fault["kind"] == "throughput_drop") drop_vendor = fault["vendor"];
  }
  for (const json& a : alerts) {
    if (a["level"] != "page" || a["kind"] == "throughput_drop" || a["kind"] == "cost_overrun") continue;
    // The parked tasks run late: a vendor-wide SLA breach of the same vendor, told as the drop's.
    EXPECT_EQ(a["kind"], "sla_breach") << a.dump();
    EXPECT_EQ(a["vendor"], drop_vendor) << a.dump();
    EXPECT_NE(a["evidence"].get<std::string>().find("began with the throughput_drop"), std::string::npos)
        << a.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, OpsAlertsDemo, ::testing::Values(1, 2));

}  // namespace
}  // namespace gtops
