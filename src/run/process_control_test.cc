#include "run/process_control.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "stats/control_chart.h"

namespace gtops {
namespace {

// "b<i>", built by appending (GCC 12 warns falsely, -Wrestrict, on "b" + std::to_string(i)).
std::string BatchName(size_t i) {
  std::string name = "b";
  name += std::to_string(i);
  return name;
}

SpcSeries Series(const std::vector<int64_t>& count, const std::vector<int64_t>& n) {
  SpcSeries s;
  s.pipeline = std::string("p");
  s.vendor = std::string("v");
  s.metric = std::string("size_rate");
  s.unit = std::string("paired objects");
  for (size_t i = 0; i < count.size(); ++i) {
    s.batches.push_back({BatchName(i), static_cast<int64_t>(i) * 86400000, n[i], count[i]});
  }
  return s;
}

TEST(ProcessControl, AStepDownIsOneIncidentDatedWhereItBegan) {
  // 10% errors for four batches, then 0.5%: one shift down from b4 (its mirror, "b0-b3 above the
  // centre", is the same change and is not reported twice).
  const SpcChart chart = ChartSeries(Series({30, 28, 31, 29, 1, 2, 1, 1, 2, 1}, std::vector<int64_t>(10, 300)));
  ASSERT_EQ(chart.points.size(), 10u);
  EXPECT_NEAR(chart.centre, 126.0 / 3000, 1e-12);
  const auto incidents = IncidentsOf(chart);
  ASSERT_EQ(incidents.size(), 1u);
  const Incident& i = incidents[0];
  EXPECT_EQ(i.direction, "down");
  EXPECT_EQ(i.since_batch, "b4");
  EXPECT_EQ(i.last_batch, "b9");
  EXPECT_EQ(i.count_during, 8);
  EXPECT_EQ(i.n_during, 1800);
  EXPECT_EQ(i.count_outside, 118);
  EXPECT_NEAR(i.rate_outside, 118.0 / 1200, 1e-12);
  EXPECT_NE(std::find(i.detectors.begin(), i.detectors.end(), "step"), i.detectors.end());
  EXPECT_NE(i.evidence.find("from batch b4 to b9"), std::string::npos) << i.evidence;
}

TEST(ProcessControl, ASpikeInTheMiddleIsFoundWithItsEnd) {
  const SpcChart chart =
      ChartSeries(Series({1, 2, 1, 5, 6, 5, 5, 1, 2, 1}, std::vector<int64_t>(10, 15)));
  const auto incidents = IncidentsOf(chart);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].direction, "up");
  EXPECT_EQ(incidents[0].since_batch, "b3");
  EXPECT_EQ(incidents[0].last_batch, "b6");
}

TEST(ProcessControl, AStableProcessRaisesNothingAndShortSeriesAreNotCharted) {
  EXPECT_TRUE(IncidentsOf(ChartSeries(Series({5, 6, 4, 5, 7, 5, 4, 6, 5, 5}, std::vector<int64_t>(10, 100)))).empty());
  EXPECT_TRUE(ChartSeries(Series({5, 6, 4}, {100, 100, 100})).points.empty());     // too few batches
  EXPECT_TRUE(ChartSeries(Series({0, 1, 0, 0, 1}, std::vector<int64_t>(5, 100))).points.empty());  // too few errors
  EXPECT_TRUE(ChartSeries(Series({0, 0, 0, 0, 0}, std::vector<int64_t>(5, 100)), {.min_count = 0}).points.empty());
}

SpcSeries USeries(const std::vector<int64_t>& count, const std::vector<int64_t>& n) {
  SpcSeries s = Series(count, n);
  s.metric = "errors_per_object";
  s.unit = "objects";
  s.chart = ChartType::kU;
  return s;
}

TEST(ProcessControl, AUChartFindsAFallOfErrorsPerObjectWithVaryingExposure) {
  // About 30 errors per 100 objects (several per object at times) for six batches of 80 to 200
  // objects, then about 12 per 100: one incident down from b6, on the u chart's detectors.
  const std::vector<int64_t> n = {80, 150, 200, 120, 90, 160, 140, 100, 180, 110, 130, 170};
  const std::vector<int64_t> c = {25, 44, 61, 35, 28, 47, 17, 12, 21, 14, 15, 20};
  const SpcChart chart = ChartSeries(USeries(c, n));
  ASSERT_EQ(chart.points.size(), 12u);
  EXPECT_NEAR(chart.centre, 339.0 / 1630, 1e-12);
  // The u chart's per-batch limits: centre +- 3 sigma_z sqrt(centre / n_i) (Laney's sigma_z as
  // measured; the detectors use it floored at 1, `dispersion`).
  EXPECT_NEAR(chart.points[0].ucl, chart.centre + 3 * stats::LaneyUDispersion(c, n) * std::sqrt(chart.centre / 80),
              1e-12);
  const auto incidents = IncidentsOf(chart);
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].direction, "down");
  EXPECT_EQ(incidents[0].chart, ChartType::kU);
  EXPECT_EQ(incidents[0].since_batch, "b6");
  EXPECT_EQ(incidents[0].count_during, 99);
  EXPECT_NE(std::find(incidents[0].detectors.begin(), incidents[0].detectors.end(), "cusum"),
            incidents[0].detectors.end());
  EXPECT_NE(incidents[0].evidence.find("per 100"), std::string::npos) << incidents[0].evidence;
  // A rate above 1 per unit is charted as a u chart, never as a proportion.
  EXPECT_FALSE(ChartSeries(USeries({150, 160, 140, 155, 145}, std::vector<int64_t>(5, 100))).points.empty());
}

TEST(ProcessControl, UChartsOfStableProcessesRarelyRaiseAnIncident) {
  // 300 in-control Poisson series of 20 batches (exposure 50..400 objects, 0.08 errors per object)
  // charted with every detector: the share with any incident is the false-signal rate per series
  // (docs/spc.md, "u charts": 15 of these 300, 5.0%; the step test alone is designed for 5%).
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int64_t> exposure(50, 400);
  SpcOptions options;
  options.step_simulations = 300;  // the test's budget; the p-value's resolution is still 1/301
  int with_incident = 0, batches_flagged = 0;
  constexpr int kSeries = 300;
  for (int rep = 0; rep < kSeries; ++rep) {
    std::vector<int64_t> c(20), n(20);
    for (size_t i = 0; i < n.size(); ++i) {
      n[i] = exposure(rng);
      c[i] = std::poisson_distribution<int64_t>(0.08 * static_cast<double>(n[i]))(rng);
    }
    options.seed = static_cast<uint64_t>(rep) + 1;
    const auto incidents = IncidentsOf(ChartSeries(USeries(c, n), options));
    with_incident += !incidents.empty();
    for (const Incident& i : incidents) {
      for (size_t b = 0; b < n.size(); ++b) {
        if (BatchName(b) == i.since_batch) batches_flagged += 1;
      }
    }
  }
  std::printf("u charts, in-control series with an incident: %d of %d (%d incidents)\n", with_incident, kSeries,
              batches_flagged);
  EXPECT_LE(with_incident, kSeries * 12 / 100);
}

}  // namespace
}  // namespace gtops
