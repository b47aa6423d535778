// End-to-end tests of `gtops sample plan`: the JSON of a textbook plan (checked against exact
// binomial and hypergeometric sums written out here, independent of the engine) and its usage
// errors.
#include <sys/wait.h>

#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace gtops {
namespace {

using nlohmann::json;
using testing::RunGtops;
using testing::ExitCode;

// P(X <= c), X ~ Binomial(n, p), by direct products.
double BinomialCdf(int n, int c, double p) {
  double sum = 0, choose = 1;
  for (int x = 0; x <= c; ++x) {
    sum += choose * std::pow(p, x) * std::pow(1 - p, n - x);
    choose = choose * (n - x) / (x + 1);
  }
  return sum;
}

TEST(SamplePlanCli, JsonOfTheTextbookBinomialPlan) {
  // Given AQL 1%, LTPD 5% and the default risks (0.05, 0.10) with no lot size,
  int status;
  const std::string out = RunGtops("sample plan --aql 0.01 --ltpd 0.05 --json", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json j = json::parse(out);
  // then the plan is n = 132, c = 3 with the risks of the binomial sums.
  EXPECT_TRUE(j["lot"].is_null());
  EXPECT_DOUBLE_EQ(j["aql"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(j["ltpd"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j["alpha"].get<double>(), 0.05);
  EXPECT_DOUBLE_EQ(j["beta"].get<double>(), 0.10);
  EXPECT_EQ(j["n"], 132);
  EXPECT_EQ(j["c"], 3);
  EXPECT_NEAR(j["producer_risk"].get<double>(), 1 - BinomialCdf(132, 3, 0.01), 1e-12);
  EXPECT_NEAR(j["consumer_risk"].get<double>(), BinomialCdf(132, 3, 0.05), 1e-12);
  EXPECT_NEAR(j["aoql"].get<double>(), 0.0147187, 1e-6);
  ASSERT_TRUE(j["oc"].is_array());
  ASSERT_GE(j["oc"].size(), 20u);
  double previous = 2;
  for (const json& point : j["oc"]) {
    const double p = point["p"].get<double>(), pa = point["p_accept"].get<double>();
    EXPECT_NEAR(pa, BinomialCdf(132, 3, p), 1e-12) << p;
    EXPECT_LE(pa, previous);
    previous = pa;
  }
}

TEST(SamplePlanCli, FiniteLotIsHypergeometric) {
  // A lot of 1000: D = 10 at the AQL, 50 at the LTPD; the exact hypergeometric plan is n = 128, c = 3
  // (Python math.comb enumeration: P(accept) 0.970987 at the AQL, 0.096791 at the LTPD).
  int status;
  const std::string out = RunGtops("sample plan --lot 1000 --aql 0.01 --ltpd 0.05 --json", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  const json j = json::parse(out);
  EXPECT_EQ(j["lot"], 1000);
  EXPECT_EQ(j["n"], 128);
  EXPECT_EQ(j["c"], 3);
  EXPECT_NEAR(j["producer_risk"].get<double>(), 1 - 0.9709869985600575, 1e-9);
  EXPECT_NEAR(j["consumer_risk"].get<double>(), 0.09679115677375613, 1e-9);
}

TEST(SamplePlanCli, TextShowsThePlanAndTheOcCurve) {
  int status;
  const std::string out = RunGtops("sample plan --lot 1000 --aql 0.01 --ltpd 0.05", status);
  ASSERT_EQ(ExitCode(status), 0) << out;
  EXPECT_NE(out.find("inspect n = 128, accept when at most c = 3 fail"), std::string::npos) << out;
  EXPECT_NE(out.find("OC curve"), std::string::npos);
  const std::string dbl = RunGtops("sample plan --aql 0.01 --ltpd 0.05 --double --json", status);
  ASSERT_EQ(ExitCode(status), 0) << dbl;
  const json j = json::parse(dbl);
  EXPECT_EQ(j["type"], "double");
  EXPECT_LE(j["consumer_risk"].get<double>(), 0.10);
  EXPECT_LE(j["producer_risk"].get<double>(), 0.05);
}

TEST(SamplePlanCli, UsageErrorsExitTwoWithTheOptionNamed) {
  int status;
  std::string out = RunGtops("sample plan --aql 0.05 --ltpd 0.02", status);
  EXPECT_EQ(ExitCode(status), 2);
  EXPECT_NE(out.find("gtops: --aql 0.05 must be below --ltpd 0.02"), std::string::npos) << out;
  out = RunGtops("sample plan --aql 0.01 --ltpd 1.5 --json", status);
  EXPECT_EQ(ExitCode(status), 2);
  const json j = json::parse(out);
  EXPECT_EQ(j["error"]["code"], "usage");
  EXPECT_EQ(j["error"]["message"], "--ltpd 1.5 must be in (0, 1)");
  out = RunGtops("sample plan --aql 0.01 --ltpd 0.05 --alpha 0.6", status);
  EXPECT_EQ(ExitCode(status), 2);
  EXPECT_NE(out.find("--alpha 0.6 must be in (0, 0.5)"), std::string::npos) << out;
  out = RunGtops("sample plan --lot 0 --aql 0.01 --ltpd 0.05", status);
  EXPECT_EQ(ExitCode(status), 2) << out;
  out = RunGtops("sample plan --aql 0.01", status);  // --ltpd missing
  EXPECT_EQ(ExitCode(status), 2) << out;
}

}  // namespace
}  // namespace gtops
