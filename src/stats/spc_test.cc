#include "stats/spc.h"

#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "stats/control_chart.h"

namespace gtops::stats {
namespace {

TEST(Ewma, ExactTimeVaryingLimitsForVaryingBatchSizes) {
  // p0 = 0.1, lambda 0.2, L 3, n = 100 then 400:
  // Var z1 = 0.09 * 0.04 / 100 = 3.6e-5 -> UCL 0.1 + 3 * 0.006 = 0.118;
  // Var z2 = 0.09 * (0.04 * 0.64 / 100 + 0.04 / 400) = 3.204e-5 -> UCL 0.1169812.
  auto e = Ewma({10, 40}, {100, 400}, 0.2, 3.0, 0.1);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NEAR(e[0].ucl, 0.118, 1e-12);
  EXPECT_NEAR(e[0].lcl, 0.082, 1e-12);
  EXPECT_NEAR(e[1].ucl, 0.1169811660377019, 1e-12);
  EXPECT_NEAR(e[1].z, 0.1, 1e-15);
  EXPECT_FALSE(e[0].signal || e[1].signal);
}

// In control at 10/200 = 0.05 for 30 batches, then 14/200 = 0.07 for 20: a shift of 1.3 sigma of
// one batch (sigma = sqrt(0.05 * 0.95 / 200) = 0.0154), well inside the 3-sigma limits.
struct StepSeries {
  std::vector<int64_t> x, n;
  StepSeries() {
    for (int i = 0; i < 50; ++i) {
      x.push_back(i < 30 ? 10 : 14);
      n.push_back(200);
    }
  }
};

TEST(Ewma, DetectsASmallStepShiftThatTheShewhartChartMisses) {
  StepSeries s;
  // The plain p chart (Laney's with sigma_z = 1 is not forced here: use the individual limits
  // p0 +- 3 sigma at p0 = 0.05): 0.05 + 3 * 0.0154 = 0.0962 > 0.07, so no point is beyond.
  const double sigma = std::sqrt(0.05 * 0.95 / 200);
  for (size_t i = 0; i < s.x.size(); ++i) EXPECT_LT(static_cast<double>(s.x[i]) / 200, 0.05 + 3 * sigma);
  auto e = Ewma(s.x, s.n, 0.2, 3.0, 0.05);
  for (int i = 0; i < 30; ++i) EXPECT_FALSE(e[static_cast<size_t>(i)].signal) << i;
  int first = -1;
  for (int i = 30; i < 50 && first < 0; ++i) if (e[static_cast<size_t>(i)].signal) first = i;
  // z_t - 0.05 = 0.02 (1 - 0.8^k) after k shifted batches; the steady UCL is
  // 3 * sigma * sqrt(0.2 / 1.8) = 0.01540 above: crossed when 1 - 0.8^k > 0.770, k = 7 (index 36).
  EXPECT_EQ(first, 36);
}

TEST(Cusum, DetectsTheStepAndNamesWhereItBegan) {
  StepSeries s;
  auto c = Cusum(s.x, s.n, 0.5, 4.0, 0.05);
  // Each shifted batch adds z - k = 0.02 / 0.015411 - 0.5 = 0.7978: C+ exceeds 4 after 6 batches
  // (4.787 at index 35), and the run began at index 30.
  int first = -1;
  for (size_t i = 0; i < c.size() && first < 0; ++i) if (c[i].signal_up) first = static_cast<int>(i);
  EXPECT_EQ(first, 35);
  EXPECT_EQ(c[35].shift_start, 30);
  for (int i = 0; i < 30; ++i) EXPECT_DOUBLE_EQ(c[static_cast<size_t>(i)].upper, 0.0);
}

// Mean run length to the first signal on in-control binomial batches (n = 1000, p = 0.1).
template <typename Detect>
double InControlRunLength(Detect detect, int runs, int length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::binomial_distribution<int64_t> batch(1000, 0.1);
  double total = 0;
  for (int r = 0; r < runs; ++r) {
    std::vector<int64_t> x(static_cast<size_t>(length)), n(static_cast<size_t>(length), 1000);
    for (auto& v : x) v = batch(rng);
    total += static_cast<double>(detect(x, n));
  }
  return total / runs;
}

TEST(Detectors, StayQuietOnInControlDataAtTheDesignedRate) {
  constexpr int kRuns = 400, kLength = 3000;
  const double ewma_arl = InControlRunLength(
      [](const auto& x, const auto& n) {
        auto e = Ewma(x, n, 0.2, 3.0, 0.1);
        for (size_t i = 0; i < e.size(); ++i) if (e[i].signal) return i + 1;
        return e.size();
      },
      kRuns, kLength, 11);
  const double cusum_arl = InControlRunLength(
      [](const auto& x, const auto& n) {
        auto c = Cusum(x, n, 0.5, 4.0, 0.1);
        for (size_t i = 0; i < c.size(); ++i) if (c[i].signal_up || c[i].signal_down) return i + 1;
        return c.size();
      },
      kRuns, kLength, 12);
  // Designed in-control ARLs for normal data (Montgomery, Introduction to SQC): EWMA lambda 0.2,
  // L 3: about 562; two-sided CUSUM k 0.5, h 4: 168 (one-sided 336). Binomial batches are
  // slightly skewed; the estimate over 400 runs has a standard error of about 5%.
  std::printf("in-control ARL: EWMA %.0f (designed ~562), CUSUM %.0f (designed ~168)\n", ewma_arl, cusum_arl);
  EXPECT_GT(ewma_arl, 562 * 0.7);
  EXPECT_LT(ewma_arl, 562 * 1.4);
  EXPECT_GT(cusum_arl, 168 * 0.7);
  EXPECT_LT(cusum_arl, 168 * 1.4);
}

std::vector<int> Rules(const std::vector<RuleSignal>& signals) {
  std::vector<int> out;
  for (const RuleSignal& s : signals) out.push_back(s.rule);
  return out;
}

const RuleSignal* Find(const std::vector<RuleSignal>& signals, int rule) {
  for (const RuleSignal& s : signals) if (s.rule == rule) return &s;
  return nullptr;
}

void ExpectRule(const std::vector<double>& z, int rule, int64_t start, int64_t end, const char* name) {
  auto signals = NelsonRules(z);
  const RuleSignal* s = Find(signals, rule);
  ASSERT_NE(s, nullptr) << "rule " << rule;
  EXPECT_EQ(s->start, start) << "rule " << rule;
  EXPECT_EQ(s->end, end) << "rule " << rule;
  EXPECT_EQ(s->name, name);
}

TEST(NelsonRules, EachRuleFiresOnAConstructedSeries) {
  auto zeros = [] { return std::vector<double>(30, 0.0); };
  auto z = zeros();
  z[7] = 3.5;
  ExpectRule(z, 1, 7, 7, "beyond_3_sigma");
  z = zeros();
  for (int i = 10; i <= 18; ++i) z[static_cast<size_t>(i)] = 0.5;
  ExpectRule(z, 2, 10, 18, "nine_one_side");
  z = zeros();
  for (int i = 0; i < 6; ++i) z[static_cast<size_t>(5 + i)] = -0.5 + 0.2 * i;  // -0.5 .. 0.5 rising
  ExpectRule(z, 3, 5, 10, "six_trending");
  z = zeros();
  for (int i = 3; i <= 16; ++i) z[static_cast<size_t>(i)] = i % 2 ? 0.5 : -0.5;
  // Alternating from 0 (index 2) up to 0.5, down, ..., -0.5 at 16, up to 0 at 17; then flat.
  ExpectRule(z, 4, 2, 17, "fourteen_alternating");
  z = zeros();
  z[12] = 2.5, z[14] = 2.5;
  ExpectRule(z, 5, 12, 14, "two_of_three_beyond_2_sigma");
  z = zeros();
  z[20] = z[21] = z[23] = z[24] = 1.5;
  ExpectRule(z, 6, 20, 24, "four_of_five_beyond_1_sigma");
  z.assign(30, 0);
  for (size_t i = 0; i < 30; ++i) z[i] = i % 2 ? 1.5 : -1.5;
  for (int i = 5; i <= 19; ++i) z[static_cast<size_t>(i)] = 0.2;
  ExpectRule(z, 7, 5, 19, "fifteen_within_1_sigma");
  z = zeros();
  for (int i = 8; i <= 15; ++i) z[static_cast<size_t>(i)] = i % 2 ? 1.5 : -1.5;
  ExpectRule(z, 8, 8, 15, "eight_beyond_1_sigma");
}

TEST(NelsonRules, QuietOnAFlatOrOrdinarySeries) {
  // A flat series at the centre breaks no rule but the stratification rule 7 (fifteen within
  // 1 sigma is itself a signal: limits too wide for the data).
  auto flat = NelsonRules(std::vector<double>(30, 0.0));
  EXPECT_EQ(Rules(flat), std::vector<int>{7});
  // An ordinary in-control pattern: no run on one side longer than 2, no trend, no alternation
  // longer than 5, only 1 of 5 beyond 1 sigma on each side, nothing beyond 2 sigma.
  std::vector<double> z;
  for (int i = 0; i < 40; ++i) z.push_back(std::vector<double>{1.5, -0.4, 0.3, -1.5, 0.6}[static_cast<size_t>(i % 5)]);
  EXPECT_TRUE(NelsonRules(z).empty()) << NelsonRules(z).front().name;
  // NaN breaks every run.
  std::vector<double> gap(30, 0.5);
  for (size_t i = 4; i < 30; i += 5) gap[i] = NAN;
  for (const RuleSignal& s : NelsonRules(gap)) EXPECT_NE(s.rule, 2);
}

TEST(UChart, LimitsPerUnitCount) {
  // Counts 3, 5, 2 over 10, 20, 10 units: u = 10 / 40 = 0.25;
  // 10 units: 0.25 +- 3 sqrt(0.025) = [0 (clipped), 0.7243416]; 20 units: +- 3 sqrt(0.0125) -> 0.5854102.
  auto u = UChart({3, 5, 2}, {10, 20, 10});
  EXPECT_DOUBLE_EQ(u[0].center, 0.25);
  EXPECT_DOUBLE_EQ(u[0].lcl, 0.0);
  EXPECT_NEAR(u[0].ucl, 0.7243416490252569, 1e-12);
  EXPECT_NEAR(u[1].ucl, 0.5854101966249685, 1e-12);
  EXPECT_FALSE(u[0].out_of_control);
  auto spike = UChart({1, 1, 1, 1, 12}, {10, 10, 10, 10, 10});
  EXPECT_TRUE(spike[4].out_of_control);  // 1.2 > 0.32 + 3 sqrt(0.032) = 0.857
  EXPECT_TRUE(std::isnan(UChart({1}, {0})[0].ucl));
}

TEST(LaneyUChart, PoissonSigmaTimesTheMovingRangeDispersion) {
  // Counts 3, 5, 2, 6 over 10, 20, 10, 20 units: u = 16 / 60; z_i = (c_i/n_i - u) / sqrt(u / n_i)
  // = 0.2041, -0.1443, -0.4082, 0.2887; sigma_z = (0.3485 + 0.2639 + 0.6969) / 3 / 1.128 = 0.38691;
  // limits u +- 3 sigma_z sqrt(u / n_i).
  auto u = LaneyUChart({3, 5, 2, 6}, {10, 20, 10, 20});
  EXPECT_NEAR(LaneyUDispersion({3, 5, 2, 6}, {10, 20, 10, 20}), 0.38690776027023355, 1e-12);
  EXPECT_NEAR(u[0].center, 16.0 / 60, 1e-15);
  EXPECT_NEAR(u[0].ucl, 0.4562119847036966, 1e-12);
  EXPECT_NEAR(u[1].ucl, 0.4006954463928114, 1e-12);
  EXPECT_NEAR(u[1].lcl, 0.13263788694052195, 1e-12);
  EXPECT_TRUE(std::isnan(LaneyUChart({1, 2}, {0, 5})[0].ucl));
  // Counts above the units (several errors per object) are fine for a u chart.
  EXPECT_NEAR(LaneyUChart({30, 25, 35}, {10, 10, 10})[0].center, 3.0, 1e-15);
}

TEST(PoissonEwma, ExactTimeVaryingLimitsForVaryingExposure) {
  // u0 = 0.1, lambda 0.2, L 3, exposure 100 then 400:
  // Var z1 = 0.1 * 0.04 / 100 = 4e-5 -> UCL 0.1 + 3 * 0.0063246 = 0.1189737;
  // Var z2 = 0.1 * (0.04 * 0.64 / 100 + 0.04 / 400) = 3.56e-5 -> UCL 0.1178997.
  auto e = PoissonEwma({10, 40}, {100, 400}, 0.2, 3.0, 0.1);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_NEAR(e[0].ucl, 0.11897366596101028, 1e-12);
  EXPECT_NEAR(e[0].lcl, 0.1 - 0.01897366596101028, 1e-12);
  EXPECT_NEAR(e[1].ucl, 0.11789972066821156, 1e-12);
  EXPECT_FALSE(e[0].signal || e[1].signal);
  // Over-dispersion 2 doubles the half-width.
  EXPECT_NEAR(PoissonEwma({10}, {100}, 0.2, 3.0, 0.1, 2.0)[0].ucl, 0.1 + 2 * 0.01897366596101028, 1e-12);
}

TEST(PoissonCusum, LogLikelihoodRatioIncrementsWithTheBatchExposure) {
  // u0 = 0.05, 200 objects a batch (10 errors expected), shift 1.5: an in-control batch of 10 adds
  // 10 ln 1.5 - 10 * 0.5 = -0.945 upward and 10 (1 - 1/1.5) - 10 ln 1.5 = -0.721 downward (both stay
  // 0); a batch of 15 (the 50% rise) adds 15 ln 1.5 - 5 = 1.08198: C+ passes h = 5 on the fifth
  // shifted batch (5.4099), dated to the first.
  std::vector<int64_t> c, n(40, 200);
  for (int i = 0; i < 40; ++i) c.push_back(i < 30 ? 10 : 15);
  auto cu = PoissonCusum(c, n, 1.5, 5.0, 0.05);
  for (int i = 0; i < 30; ++i) {
    EXPECT_DOUBLE_EQ(cu[static_cast<size_t>(i)].upper, 0.0);
    EXPECT_DOUBLE_EQ(cu[static_cast<size_t>(i)].lower, 0.0);
  }
  EXPECT_NEAR(cu[30].upper, 1.0819766216224656, 1e-12);
  EXPECT_FALSE(cu[33].signal_up);
  EXPECT_TRUE(cu[34].signal_up);
  EXPECT_NEAR(cu[34].upper, 5.409883108112328, 1e-12);
  EXPECT_EQ(cu[34].shift_start, 30);
  // The exposure scales the evidence: the same rate over 1,000 objects a batch signals on the first.
  std::vector<int64_t> big_c(10, 75), big_n(10, 1000);
  EXPECT_TRUE(PoissonCusum(big_c, big_n, 1.5, 5.0, 0.05)[0].signal_up);
  // A fall to a third: the lower sum.
  std::vector<int64_t> low(10, 3);
  EXPECT_TRUE(PoissonCusum(low, std::vector<int64_t>(10, 200), 1.5, 5.0, 0.05)[2].signal_down);
}

// Mean run length to the first signal on in-control Poisson batches: u0 = 0.05 errors per object,
// exposures uniform on 100..1000 objects (5 to 50 errors expected per batch).
template <typename Detect>
double PoissonRunLength(Detect detect, double u, int runs, int length, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> exposure(100, 1000);
  double total = 0;
  for (int r = 0; r < runs; ++r) {
    std::vector<int64_t> c(static_cast<size_t>(length)), n(static_cast<size_t>(length));
    for (size_t i = 0; i < n.size(); ++i) {
      n[i] = exposure(rng);
      c[i] = std::poisson_distribution<int64_t>(u * static_cast<double>(n[i]))(rng);
    }
    total += static_cast<double>(detect(c, n));
  }
  return total / runs;
}

TEST(PoissonDetectors, InControlRunLengthsMatchTheDesign) {
  const auto ewma = [](const auto& c, const auto& n) {
    auto e = PoissonEwma(c, n, 0.2, 3.0, 0.05);
    for (size_t i = 0; i < e.size(); ++i) if (e[i].signal) return i + 1;
    return e.size();
  };
  const auto cusum = [](const auto& c, const auto& n) {
    auto s = PoissonCusum(c, n, 1.5, 5.0, 0.05);
    for (size_t i = 0; i < s.size(); ++i) if (s[i].signal_up || s[i].signal_down) return i + 1;
    return s.size();
  };
  const double ewma_arl = PoissonRunLength(ewma, 0.05, 250, 4000, 21);
  const double cusum_arl = PoissonRunLength(cusum, 0.05, 250, 4000, 22);
  // In-control ARLs (docs/spc.md, "u charts"): EWMA lambda 0.2, L 3 is designed for ~562 on normal
  // data (Lucas & Saccucci 1990); our simulation of these exposures (1,000 runs) gives 586. The
  // two-sided Poisson CUSUM with shift 1.5 and h = 5 has ARL0 >= e^5 = 148 per side (Lorden's bound
  // for a likelihood-ratio CUSUM); simulated here: 395 two-sided (1,000 runs). 250 runs: a
  // standard error of about 6%.
  std::printf("Poisson in-control ARL: EWMA %.0f (expected ~586), CUSUM %.0f (expected ~395)\n", ewma_arl, cusum_arl);
  EXPECT_GT(ewma_arl, 586 * 0.75);
  EXPECT_LT(ewma_arl, 586 * 1.3);
  EXPECT_GT(cusum_arl, 395 * 0.75);
  EXPECT_LT(cusum_arl, 395 * 1.3);
  EXPECT_GT(cusum_arl, std::exp(5.0));
  // A 50% rise is found within a few batches (out-of-control ARL).
  const double ewma_arl1 = PoissonRunLength(ewma, 0.075, 200, 200, 23);
  const double cusum_arl1 = PoissonRunLength(cusum, 0.075, 200, 200, 24);
  std::printf("Poisson ARL at a 50%% rise: EWMA %.2f, CUSUM %.2f\n", ewma_arl1, cusum_arl1);
  EXPECT_LT(ewma_arl1, 5);
  EXPECT_LT(cusum_arl1, 5);
}

TEST(PoissonStepChange, LikelihoodRatioAndCalibration) {
  // 0, 0, 5, 5 errors over 10 objects each: the run [2, 3] (10 over 20) against 0 over 20, pooled
  // u = 0.25: G = 2 (10 ln(0.5 / 0.25)) = 20 ln 2 = 13.8629; 9 runs: p = 9 erfc(sqrt(G / 2)) = 0.0017697.
  StepChange s = FindPoissonStepChange({0, 0, 5, 5}, {10, 10, 10, 10});
  EXPECT_EQ(s.start, 2);
  EXPECT_EQ(s.end, 3);
  EXPECT_TRUE(s.up);
  EXPECT_NEAR(s.g, 13.862943611198906, 1e-9);
  EXPECT_NEAR(s.p_adjusted, 0.0017697389004188804, 1e-10);
  // Under no change the bootstrap p-value is uniform: P(p <= 0.05) ~ 0.05 (200 series of 10
  // batches, so within 0.05 +- 3 sqrt(0.05 0.95 / 200) = [0.004, 0.096]).
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int64_t> exposure(20, 80);
  int below = 0;
  for (int rep = 0; rep < 200; ++rep) {
    std::vector<int64_t> c(10), n(10);
    for (size_t i = 0; i < n.size(); ++i) {
      n[i] = exposure(rng);
      c[i] = std::poisson_distribution<int64_t>(0.1 * static_cast<double>(n[i]))(rng);
    }
    below += FindPoissonStepChange(c, n, 1.0, 300, static_cast<uint64_t>(rep)).p_adjusted <= 0.05;
  }
  EXPECT_GE(below, 1);
  EXPECT_LE(below, 19);
}

TEST(StepChange, FindsTheRunAndItsLikelihoodRatio) {
  // 0, 0, 5, 5 of 10 each: the run [2, 3] (10 of 20) against 0 of 20; pooled 10 of 40.
  // G = 2 (20 ln 0.5 - (10 ln 0.25 + 30 ln 0.75)) = 17.2609243; 9 runs tested (10 minus the whole);
  // p = 9 erfc(sqrt(G / 2)) = 2.93237e-4. The complementary run [0, 1] has the same G: the later
  // run is reported, dated where the change began.
  StepChange s = FindStepChange({0, 0, 5, 5}, {10, 10, 10, 10});
  EXPECT_EQ(s.start, 2);
  EXPECT_EQ(s.end, 3);
  EXPECT_TRUE(s.up);
  EXPECT_NEAR(s.g, 17.260924347106855, 1e-9);
  EXPECT_NEAR(s.p_adjusted, 2.932369285228373e-4, 1e-10);
  // Over-dispersion 2 divides G by 4: p = 9 erfc(sqrt(G / 8)) = 0.339954.
  EXPECT_NEAR(FindStepChange({0, 0, 5, 5}, {10, 10, 10, 10}, 2.0).p_adjusted, 0.33995376299406543, 1e-9);
}

TEST(StepChange, FindsASpikeInTheMiddleAndSkipsEmptyBatches) {
  StepChange s = FindStepChange({1, 0, 1, 8, 0, 9, 1, 0}, {20, 20, 20, 20, 0, 20, 20, 20});
  EXPECT_EQ(s.start, 3);
  EXPECT_EQ(s.end, 5);
  EXPECT_TRUE(s.up);
  EXPECT_LT(s.p_adjusted, 1e-4);
}

TEST(StepChange, QuietOnAStableProcessAtItsNominalRate) {
  // 2000 in-control series of 12 batches of 50 at p = 0.1: a significant run at 0.01 in at most
  // ~1% of them (Bonferroni makes it conservative).
  std::mt19937_64 rng(11);
  std::binomial_distribution<int64_t> draw(50, 0.1);
  int alarms = 0;
  for (int rep = 0; rep < 2000; ++rep) {
    std::vector<int64_t> x(12), n(12, 50);
    for (auto& v : x) v = draw(rng);
    alarms += FindStepChange(x, n).p_adjusted < 0.01;
  }
  EXPECT_LE(alarms, 20);
  EXPECT_EQ(FindStepChange({3}, {10}).start, -1);  // one batch: nothing to test
}

TEST(StepChange, SimulatedPValueIsCalibratedAndLessConservative) {
  // Under no change the simulated p-value is uniform: P(p <= 0.05) ~ 0.05 (300 series, so within
  // 0.05 +- 3 sqrt(0.05 0.95 / 300) = [0.012, 0.088]); Bonferroni's is smaller for the same series.
  std::mt19937_64 rng(5);
  std::binomial_distribution<int64_t> draw(15, 0.15);
  int below = 0, bonferroni_below = 0;
  for (int rep = 0; rep < 300; ++rep) {
    std::vector<int64_t> x(10), n(10, 15);
    for (auto& v : x) v = draw(rng);
    below += FindStepChange(x, n, 1.0, 400, static_cast<uint64_t>(rep)).p_adjusted <= 0.05;
    bonferroni_below += FindStepChange(x, n).p_adjusted <= 0.05;
  }
  EXPECT_GE(below, 4);
  EXPECT_LE(below, 26);
  EXPECT_LE(bonferroni_below, below);
  // A tripled rate in the middle third of 10 batches of 15 (0.1 -> 0.3) is found by simulation.
  StepChange s = FindStepChange({1, 2, 1, 5, 5, 4, 5, 1, 2, 1}, std::vector<int64_t>(10, 15), 1.0, 2000);
  EXPECT_EQ(s.start, 3);
  EXPECT_EQ(s.end, 6);
  EXPECT_TRUE(s.up);
  EXPECT_LT(s.p_adjusted, 0.05);
}

TEST(StepChange, SequentialStopKeepsTheFullBootstrapsDecision) {
  // Series with and without a change (binomial and Poisson): stopping the bootstrap once its
  // p-value cannot fall below alpha gives the same run, the same decision at alpha, a p-value at or
  // above alpha whenever it stopped early, and the full p-value itself whenever that is below alpha.
  std::mt19937_64 rng(17);
  int stopped_early = 0, significant = 0;
  for (int rep = 0; rep < 60; ++rep) {
    const double high = rep % 3 == 0 ? 0.35 : 0.15;  // a third of the series have a raised run
    std::vector<int64_t> x(12), n(12, 20);
    for (size_t i = 0; i < x.size(); ++i) {
      std::binomial_distribution<int64_t> draw(20, i >= 5 && i <= 8 ? high : 0.15);
      x[i] = draw(rng);
    }
    for (const bool poisson : {false, true}) {
      const auto seed = static_cast<uint64_t>(rep);
      const StepChange full = poisson ? FindPoissonStepChange(x, n, 1.0, 500, seed)
                                      : FindStepChange(x, n, 1.0, 500, seed);
      const StepChange seq = poisson ? FindPoissonStepChange(x, n, 1.0, 500, seed, 0.05)
                                     : FindStepChange(x, n, 1.0, 500, seed, 0.05);
      EXPECT_EQ(seq.start, full.start);
      EXPECT_EQ(seq.end, full.end);
      EXPECT_DOUBLE_EQ(seq.g, full.g);
      EXPECT_EQ(seq.p_adjusted < 0.05, full.p_adjusted < 0.05) << rep;
      if (full.p_adjusted < 0.05) {
        EXPECT_DOUBLE_EQ(seq.p_adjusted, full.p_adjusted);
        ++significant;
      } else {
        EXPECT_GE(seq.p_adjusted, 0.05);
        stopped_early += seq.p_adjusted != full.p_adjusted;
      }
    }
  }
  EXPECT_GT(significant, 5);
  EXPECT_GT(stopped_early, 20);
}

}  // namespace
}  // namespace gtops::stats
