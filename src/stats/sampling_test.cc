#include "stats/sampling.h"

#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace gtops::stats {
namespace {

// Brute force from the definition: P(X = x) by direct products, no logs.
double BinomialCdfDirect(int64_t n, int64_t c, double p) {
  double sum = 0;
  for (int64_t x = 0; x <= c && x <= n; ++x) {
    double choose = 1;
    for (int64_t i = 0; i < x; ++i) choose = choose * static_cast<double>(n - i) / static_cast<double>(i + 1);
    sum += choose * std::pow(p, static_cast<double>(x)) * std::pow(1 - p, static_cast<double>(n - x));
  }
  return sum;
}

TEST(AcceptanceCdf, BinomialMatchesHandComputation) {
  // n = 5, c = 1, p = 0.1: 0.9^5 + 5 * 0.1 * 0.9^4 = 0.59049 + 0.32805 = 0.91854.
  EXPECT_NEAR(AcceptanceCdf(5, 1, 0.1, kInfiniteLot), 0.91854, 1e-14);
  // c = 0: 0.9^5 = 0.59049.
  EXPECT_NEAR(AcceptanceCdf(5, 0, 0.1, kInfiniteLot), 0.59049, 1e-14);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, 5, 0.3, kInfiniteLot), 1.0);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, -1, 0.3, kInfiniteLot), 0.0);
  // A c far above n is answered without a table of c entries.
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, int64_t{1} << 60, 0.3, kInfiniteLot), 1.0);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, int64_t{1} << 60, 0.3, 100), 1.0);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, 0, 0.0, kInfiniteLot), 1.0);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, 4, 1.0, kInfiniteLot), 0.0);
}

TEST(AcceptanceCdf, HypergeometricMatchesHandComputation) {
  // N = 20, p = 0.1 -> D = 2; n = 5.
  // P(X = 0) = C(18,5) / C(20,5) = 8568 / 15504 = (15 * 14) / (20 * 19) = 210/380 = 21/38.
  EXPECT_NEAR(AcceptanceCdf(5, 0, 0.1, 20), 21.0 / 38.0, 1e-14);
  // P(X = 2) = C(2,2) C(18,3) / C(20,5) = 816 / 15504 = 1/19, so P(X <= 1) = 18/19.
  EXPECT_NEAR(AcceptanceCdf(5, 1, 0.1, 20), 18.0 / 19.0, 1e-14);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, 2, 0.1, 20), 1.0);
  // The whole lot inspected: accept exactly when D <= c. N = 10, p = 0.3 -> D = 3.
  EXPECT_DOUBLE_EQ(AcceptanceCdf(10, 2, 0.3, 10), 0.0);
  EXPECT_DOUBLE_EQ(AcceptanceCdf(10, 3, 0.3, 10), 1.0);
  // The support starts above 0 when the good items cannot fill the sample: N = 10, D = 8, n = 5
  // draws at least 3 defectives. P(X = 3) = C(8,3) C(2,2) / C(10,5) = 56 / 252 = 2/9.
  EXPECT_DOUBLE_EQ(AcceptanceCdf(5, 2, 0.8, 10), 0.0);
  EXPECT_NEAR(AcceptanceCdf(5, 3, 0.8, 10), 2.0 / 9.0, 1e-14);
}

TEST(AcceptanceCdf, LogSpaceSumsAgreeWithDirectSumsAndDoNotUnderflow) {
  for (int64_t n : {10, 50, 200}) {
    for (double p : {0.01, 0.05, 0.2, 0.5}) {
      for (int64_t c : {0, 1, 3, 9}) {
        EXPECT_NEAR(AcceptanceCdf(n, c, p, kInfiniteLot), BinomialCdfDirect(n, c, p), 1e-12) << n << " " << c << " " << p;
      }
    }
  }
  // (1 - 0.5)^5000 underflows a double; the log-space sum still gives a tiny positive value
  // rather than 0 and stays monotone in c.
  const double a = AcceptanceCdf(5000, 2000, 0.5, kInfiniteLot), b = AcceptanceCdf(5000, 2100, 0.5, kInfiniteLot);
  EXPECT_GT(a, 0);
  EXPECT_LT(a, b);
  // A large finite lot approaches the binomial.
  EXPECT_NEAR(AcceptanceCdf(100, 2, 0.02, 1'000'000), AcceptanceCdf(100, 2, 0.02, kInfiniteLot), 1e-4);
}

// The smallest n (and a c) meeting both risks, by scanning every n and c from the definition.
SinglePlan BruteForcePlan(const PlanRequest& r) {
  const int64_t n_max = r.lot_size == kInfiniteLot ? 2000 : r.lot_size;
  for (int64_t n = 1; n <= n_max; ++n) {
    for (int64_t c = 0; c < n; ++c) {
      if (AcceptanceCdf(n, c, r.ltpd, r.lot_size) > r.beta) break;
      if (AcceptanceCdf(n, c, r.aql, r.lot_size) >= 1 - r.alpha) return {n, c};
    }
  }
  return {-1, -1};
}

TEST(DesignSinglePlan, TextbookBinomialPlanAql1Ltpd5) {
  // Given AQL 1%, LTPD 5%, alpha 0.05, beta 0.10 and an infinite lot,
  PlanRequest r{0.01, 0.05, 0.05, 0.10, kInfiniteLot};
  auto plan = DesignSinglePlan(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  // then the plan is the textbook n = 132, c = 3 (e.g. Schilling's tables; also found below by
  // brute force): P(accept | 1%) = 0.95575, P(accept | 5%) = 0.09923.
  EXPECT_EQ(plan->n, 132);
  EXPECT_EQ(plan->c, 3);
  SinglePlan brute = BruteForcePlan(r);
  EXPECT_EQ(plan->n, brute.n);
  EXPECT_EQ(plan->c, brute.c);
  EXPECT_NEAR(AcceptProbability(*plan, 0.01, kInfiniteLot), 0.9557474941740328, 1e-12);
  EXPECT_NEAR(AcceptProbability(*plan, 0.05, kInfiniteLot), 0.09922830442578287, 1e-12);
}

TEST(DesignSinglePlan, FiniteLotsAgreeWithBruteForce) {
  // N = 1000: D = 10 at the AQL and 50 at the LTPD; by exact hypergeometric enumeration (Python's
  // math.comb) the first plan is n = 128, c = 3 (P(accept) 0.97099 at the AQL, 0.09679 at the LTPD).
  auto plan = DesignSinglePlan({0.01, 0.05, 0.05, 0.10, 1000});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->n, 128);
  EXPECT_EQ(plan->c, 3);
  for (const PlanRequest& r : {PlanRequest{0.02, 0.08, 0.05, 0.10, 200}, PlanRequest{0.01, 0.10, 0.05, 0.10, 50},
                               PlanRequest{0.005, 0.03, 0.10, 0.05, 3000}, PlanRequest{0.04, 0.15, 0.05, 0.10, kInfiniteLot}}) {
    auto p = DesignSinglePlan(r);
    ASSERT_TRUE(p.ok()) << p.status().message();
    SinglePlan brute = BruteForcePlan(r);
    EXPECT_EQ(p->n, brute.n) << r.lot_size;
    EXPECT_GE(AcceptProbability(*p, r.aql, r.lot_size), 1 - r.alpha);
    EXPECT_LE(AcceptProbability(*p, r.ltpd, r.lot_size), r.beta);
  }
}

TEST(DesignSinglePlan, RefusesBadRequestsWithTheOptionNamed) {
  auto same = DesignSinglePlan({0.05, 0.02});
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.status().code(), StatusCode::kUsage);
  EXPECT_EQ(same.status().message(), "--aql 0.05 must be below --ltpd 0.02");
  EXPECT_FALSE(DesignSinglePlan({0.01, 1.5}).ok());
  EXPECT_FALSE(DesignSinglePlan({0.01, 0.05, 0.7, 0.1}).ok());
  // A lot of 10: AQL 1% and LTPD 4% both round to 0 defectives.
  auto tiny = DesignSinglePlan({0.01, 0.04, 0.05, 0.1, 10});
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("--lot 10"), std::string::npos);
}

TEST(DoublePlan, AcceptProbabilityMatchesHandComputation) {
  // n1 = n2 = 2, c1 = 0, r1 = 2, c2 = 1, p = 0.1, infinite lot:
  // P(d1 = 0) = 0.81; P(d1 = 1) = 0.18, then accept when d2 = 0: 0.81; Pa = 0.81 + 0.18 * 0.81 = 0.9558.
  DoublePlan plan{2, 0, 2, 2, 1};
  DoubleOc oc = EvaluateDouble(plan, 0.1, kInfiniteLot);
  EXPECT_NEAR(oc.p_accept, 0.9558, 1e-14);
  EXPECT_NEAR(oc.p_accept_first, 0.81, 1e-14);
  EXPECT_NEAR(oc.p_second, 0.18, 1e-14);
  EXPECT_NEAR(oc.asn, 2 + 2 * 0.18, 1e-14);
  // Finite lot N = 10, p = 0.2 -> D = 2: P(d1 = 0) = C(8,2)/C(10,2) = 28/45; P(d1 = 1) = 16/45,
  // then the second 2 of the 8 left (1 defective) have none with C(7,2)/C(8,2) = 21/28 = 3/4.
  // Pa = 28/45 + 16/45 * 3/4 = 40/45 = 8/9.
  EXPECT_NEAR(AcceptProbability(plan, 0.2, 10), 8.0 / 9.0, 1e-14);
  // ATI = n1 Pa1 + (n1 + n2) Pa2 + N (1 - Pa) = 2 * 28/45 + 4 * 12/45 + 10 * 1/9 = 154/45.
  EXPECT_NEAR(AverageTotalInspection(plan, 0.2, 10), 154.0 / 45.0, 1e-12);
  // AOQ = p [Pa1 (N - n1) + Pa2 (N - n1 - n2)] / N = 0.2 (28/45 * 8 + 12/45 * 6) / 10 = 0.2 * 296/450.
  EXPECT_NEAR(AverageOutgoingQuality(plan, 0.2, 10), 0.2 * 296.0 / 450.0, 1e-12);
}

TEST(DesignDoublePlan, MeetsBothRisksWithASmallerAverageSampleThanTheSinglePlan) {
  PlanRequest r{0.01, 0.05, 0.05, 0.10, kInfiniteLot};
  auto plan = DesignDoublePlan(r);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->n1, plan->n2);
  EXPECT_EQ(plan->r1, plan->c2 + 1);
  EXPECT_GE(AcceptProbability(*plan, r.aql, r.lot_size), 1 - r.alpha);
  EXPECT_LE(AcceptProbability(*plan, r.ltpd, r.lot_size), r.beta);
  EXPECT_LT(EvaluateDouble(*plan, r.aql, r.lot_size).asn, 132);
  std::printf("double plan for AQL 1%%, LTPD 5%%: n1=n2=%lld c1=%lld r1=%lld c2=%lld, ASN at AQL %.1f\n",
              static_cast<long long>(plan->n1), static_cast<long long>(plan->c1), static_cast<long long>(plan->r1),
              static_cast<long long>(plan->c2), EvaluateDouble(*plan, r.aql, r.lot_size).asn);
}

// The double plan (n2 = n1, r1 = c2 + 1) of smallest n1 and then smallest ASN at the AQL, by
// trying every c1 < c2 < 2 n1 with the plan evaluator.
DoublePlan BruteForceDouble(const PlanRequest& r, int64_t n1_max) {
  for (int64_t n1 = 1; n1 <= n1_max; ++n1) {
    DoublePlan best{-1, -1, -1, -1, -1};
    double best_asn = 1e300;
    for (int64_t c1 = 0; c1 < 2 * n1; ++c1) {
      for (int64_t c2 = c1 + 1; c2 < 2 * n1; ++c2) {
        const DoublePlan plan{n1, c1, c2 + 1, n1, c2};
        if (AcceptProbability(plan, r.ltpd, r.lot_size) > r.beta) continue;
        const DoubleOc oc = EvaluateDouble(plan, r.aql, r.lot_size);
        if (oc.p_accept >= 1 - r.alpha && oc.asn < best_asn - 1e-9) best = plan, best_asn = oc.asn;
      }
    }
    if (best.n1 > 0) return best;
  }
  return {-1, -1, -1, -1, -1};
}

TEST(DesignDoublePlan, AgreesWithBruteForce) {
  // Found by the straightforward search before the bounded one: n1 = n2 = 69, c1 = 0, c2 = 3.
  auto textbook = DesignDoublePlan({0.01, 0.05, 0.05, 0.10, kInfiniteLot});
  ASSERT_TRUE(textbook.ok());
  EXPECT_EQ(textbook->n1, 69);
  EXPECT_EQ(textbook->c1, 0);
  EXPECT_EQ(textbook->c2, 3);
  for (const PlanRequest& r : {PlanRequest{0.02, 0.12, 0.05, 0.10, kInfiniteLot}, PlanRequest{0.02, 0.12, 0.05, 0.10, 300},
                               PlanRequest{0.05, 0.20, 0.10, 0.10, 120}}) {
    auto plan = DesignDoublePlan(r);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    const DoublePlan brute = BruteForceDouble(r, 80);
    EXPECT_EQ(plan->n1, brute.n1) << r.lot_size;
    EXPECT_EQ(plan->c1, brute.c1) << r.lot_size;
    EXPECT_EQ(plan->c2, brute.c2) << r.lot_size;
    EXPECT_NEAR(EvaluateDouble(*plan, r.aql, r.lot_size).asn, EvaluateDouble(brute, r.aql, r.lot_size).asn, 1e-9);
  }
}

// Simulates `lots` lots directly. A finite lot of N items with exactly D = round(p N) defectives
// in random positions (a partial Fisher-Yates shuffle picks them); the plan's samples are the
// first n1 items and the next n2. An infinite lot: the samples' defectives are binomial counts
// (std::binomial_distribution). Then the plan's rule is applied.
double SimulateAcceptance(const DoublePlan& plan, bool is_double, double p, int64_t lot_size, int lots,
                          std::mt19937_64& rng) {
  const int64_t D = std::llround(p * static_cast<double>(lot_size));
  std::vector<int64_t> positions(static_cast<size_t>(lot_size));
  std::iota(positions.begin(), positions.end(), 0);
  std::binomial_distribution<int64_t> first(plan.n1, p), second(std::max<int64_t>(plan.n2, 1), p);
  int accepted = 0;
  for (int lot = 0; lot < lots; ++lot) {
    int64_t d1 = 0, d2 = 0;
    if (lot_size == kInfiniteLot) {
      d1 = first(rng);
      d2 = plan.n2 > 0 ? second(rng) : 0;
    } else {
      for (int64_t j = 0; j < D; ++j) {
        std::uniform_int_distribution<int64_t> pick(j, lot_size - 1);
        std::swap(positions[static_cast<size_t>(j)], positions[static_cast<size_t>(pick(rng))]);
        const int64_t at = positions[static_cast<size_t>(j)];
        d1 += at < plan.n1;
        d2 += at >= plan.n1 && at < plan.n1 + plan.n2;
      }
    }
    if (!is_double) {
      accepted += d1 <= plan.c1;
      continue;
    }
    if (d1 <= plan.c1) { ++accepted; continue; }
    if (d1 >= plan.r1) continue;
    accepted += d1 + d2 <= plan.c2;
  }
  return static_cast<double>(accepted) / lots;
}

TEST(OcCurve, AgreesWithADirectSimulationOf100000Lots) {
  std::mt19937_64 rng(20261122);
  constexpr int kLots = 100000;
  const SinglePlan single{128, 3};
  const DoublePlan as_double{128, 3, 4, 0, 3};
  const DoublePlan dbl{60, 1, 4, 60, 4};
  for (int64_t lot : {kInfiniteLot, int64_t{1000}}) {
    for (double p : {0.01, 0.03, 0.05}) {
      const double exact = OcCurve(single, lot, {p})[0].p_accept;
      const double sim = SimulateAcceptance(as_double, false, p, lot, kLots, rng);
      const double se = std::sqrt(exact * (1 - exact) / kLots);
      EXPECT_NEAR(sim, exact, 4 * se + 1e-12) << "single lot " << lot << " p " << p;
      const double exact2 = OcCurve(dbl, lot, {p})[0].p_accept;
      const double sim2 = SimulateAcceptance(dbl, true, p, lot, kLots, rng);
      const double se2 = std::sqrt(exact2 * (1 - exact2) / kLots);
      EXPECT_NEAR(sim2, exact2, 4 * se2 + 1e-12) << "double lot " << lot << " p " << p;
    }
  }
}

TEST(OcGrid, SpansZeroToTwiceTheLtpdAndHoldsBothQualityLevels) {
  auto grid = OcGrid(0.013, 0.05, 11);
  EXPECT_DOUBLE_EQ(grid.front(), 0.0);
  EXPECT_DOUBLE_EQ(grid.back(), 0.1);
  EXPECT_EQ(grid.size(), 12u);  // 11 points, 0.013 added, 0.05 already there
  EXPECT_TRUE(std::is_sorted(grid.begin(), grid.end()));
}

TEST(Rectifying, AoqAndAtiFollowTheirFormulasAndTheAoqlIsTheirMaximum) {
  const SinglePlan plan{132, 3};
  // Infinite lot: AOQ = p Pa.
  EXPECT_NEAR(AverageOutgoingQuality(plan, 0.02, kInfiniteLot), 0.02 * AcceptProbability(plan, 0.02, kInfiniteLot), 1e-15);
  EXPECT_TRUE(std::isnan(AverageTotalInspection(plan, 0.02, kInfiniteLot)));
  // N = 1000, p = 0.02 (D = 20): AOQ = p Pa (N - n) / N, ATI = n + (1 - Pa)(N - n).
  const double pa = AcceptProbability(plan, 0.02, 1000);
  EXPECT_NEAR(AverageOutgoingQuality(plan, 0.02, 1000), 0.02 * pa * 868 / 1000, 1e-15);
  EXPECT_NEAR(AverageTotalInspection(plan, 0.02, 1000), 132 + (1 - pa) * 868, 1e-12);
  // The AOQL bounds AOQ on a fine grid and is reached.
  for (int64_t lot : {kInfiniteLot, int64_t{1000}, int64_t{100000}}) {
    const Aoql a = AverageOutgoingQualityLimit(plan, lot);
    double grid_max = 0;
    for (int i = 0; i <= 2000; ++i) grid_max = std::max(grid_max, AverageOutgoingQuality(plan, i / 20000.0, lot));
    EXPECT_GE(a.aoql, grid_max - 1e-12) << lot;
    EXPECT_LT(a.aoql, grid_max * 1.01) << lot;
    EXPECT_NEAR(AverageOutgoingQuality(plan, a.at_p, lot), a.aoql, 1e-12);
  }
  // n = 132, c = 3, infinite lot: Python's maximum over a 1e-5 grid of p * P(X <= 3 | 132, p)
  // (math.comb sums) is 0.0147187 at p = 0.0222.
  EXPECT_NEAR(AverageOutgoingQualityLimit(plan, kInfiniteLot).aoql, 0.0147187, 1e-6);
  EXPECT_NEAR(AverageOutgoingQualityLimit(plan, kInfiniteLot).at_p, 0.0222, 2e-4);
}

TEST(SampleSizeForRate, SmallestWilsonHalfWidthWithinTheMargin) {
  // Reference: Python, z = NormalDist().inv_cdf(0.975), scanning n upward:
  // p 0.1, margin 0.03 -> 388 (h(388) = 0.029962, h(387) = 0.0300006);
  // p 0.5, margin 0.05 -> 381; p 0, margin 0.02 -> 93.
  EXPECT_EQ(SampleSizeForRate(0.1, 0.03)->n_simple, 388);
  EXPECT_EQ(SampleSizeForRate(0.5, 0.05)->n_simple, 381);
  EXPECT_EQ(SampleSizeForRate(0.0, 0.02)->n_simple, 93);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  // 20 objects per task, ICC 0.05: design effect 1 + 19 * 0.05 = 1.95; 388 * 1.95 = 756.6 -> 757
  // objects, in ceil(757 / 20) = 38 tasks.
  auto s = SampleSizeForRate(0.1, 0.03, 0.95, 20, 0.05);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->design_effect, 1.95);
  EXPECT_EQ(s->n, 757);
  EXPECT_EQ(s->tasks, 38);
  EXPECT_FALSE(SampleSizeForRate(0.1, 0).ok());
  EXPECT_FALSE(SampleSizeForRate(0.1, 0.03, 1.2).ok());
}

TEST(Sprt, BoundariesAreWaldsFormulas) {
  auto t = MakeSprt(0.02, 0.08, 0.05, 0.10);
  ASSERT_TRUE(t.ok());
  // A = log(0.9 / 0.05) = 2.890372, B = log(0.1 / 0.95) = -2.251292,
  // g1 = log(4) = 1.386294, g2 = log(0.98 / 0.92) = 0.063179;
  // s = g2 / (g1 + g2) = 0.043587, h1 = A / (g1 + g2) = 1.994084, h0 = -B / (g1 + g2) = 1.553179.
  EXPECT_NEAR(t->a, 2.8903717578961645, 1e-12);
  EXPECT_NEAR(t->b, -2.251291798606495, 1e-12);
  EXPECT_NEAR(t->slope, 0.043587490190774375, 1e-12);
  EXPECT_NEAR(t->h1, 1.9940842181728404, 1e-12);
  EXPECT_NEAR(t->h0, 1.5531792524055084, 1e-12);
  EXPECT_NEAR(t->RejectLine(100), 1.9940842181728404 + 4.3587490190774375, 1e-10);
  // Wald's ASN: at p0 ((1-a) B + a A) / (p0 g1 - (1-p0) g2) = 58.33; at p1 45.02.
  EXPECT_NEAR(SprtExpectedAudits(*t, 0.02), 58.3282099006322, 1e-9);
  EXPECT_NEAR(SprtExpectedAudits(*t, 0.08), 45.02183122514809, 1e-9);
  EXPECT_NEAR(SprtAcceptProbability(*t, 0.02), 0.95, 1e-6);
  EXPECT_NEAR(SprtAcceptProbability(*t, 0.08), 0.10, 1e-6);
  // Two failures in the first two audits: LLR = 2 log 4 = 2.77 < A; a third: 4.16 >= A: reject.
  EXPECT_EQ(DecideSprt(*t, {true, true}).decision, AuditDecision::kContinue);
  SprtOutcome o = DecideSprt(*t, {true, true, true, false});
  EXPECT_EQ(o.decision, AuditDecision::kReject);
  EXPECT_EQ(o.audits, 3);
  // No failures: accept once n g2 >= -B, n >= 2.2513 / 0.063179 = 35.6, i.e. at 36 audits.
  EXPECT_EQ(DecideSprt(*t, std::vector<bool>(100, false)).audits, 36);
  EXPECT_EQ(DecideSprtCounts(*t, 35, 0), AuditDecision::kContinue);
  EXPECT_EQ(DecideSprtCounts(*t, 36, 0), AuditDecision::kAccept);
  EXPECT_FALSE(MakeSprt(0.08, 0.02).ok());
}

TEST(Sprt, RealisedErrorRatesAndSampleNumbersAgreeWithSimulation) {
  auto t = MakeSprt(0.02, 0.08, 0.05, 0.10);
  ASSERT_TRUE(t.ok());
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  constexpr int kRuns = 20000;
  for (double p : {0.02, 0.08}) {
    int rejected = 0;
    double audits = 0;
    for (int run = 0; run < kRuns; ++run) {
      double llr = 0;
      int64_t n = 0;
      while (llr > t->b && llr < t->a) {
        llr += u(rng) < p ? t->g1 : -t->g2;
        ++n;
      }
      rejected += llr >= t->a;
      audits += static_cast<double>(n);
    }
    const double rate = static_cast<double>(rejected) / kRuns, asn = audits / kRuns;
    std::printf("SPRT at p=%.2f: P(reject) %.4f, mean audits %.1f (Wald %.1f)\n", p, rate, asn,
                SprtExpectedAudits(*t, p));
    // Wald's boundaries bound the true errors by alpha / (1 - beta) and beta / (1 - alpha); with
    // overshoot they come out below alpha and beta. 4 Monte Carlo standard errors of slack.
    if (p == 0.02) EXPECT_LE(rate, 0.05 / 0.9 + 4 * std::sqrt(0.05 * 0.95 / kRuns));
    else EXPECT_LE(1 - rate, 0.10 / 0.95 + 4 * std::sqrt(0.1 * 0.9 / kRuns));
    // Wald's ASN ignores the overshoot past the boundaries: the simulation is close above it.
    EXPECT_GT(asn, 0.85 * SprtExpectedAudits(*t, p));
    EXPECT_LT(asn, 1.4 * SprtExpectedAudits(*t, p));
  }
}

std::vector<bool> Audits(int n, std::initializer_list<int> failed_at) {
  std::vector<bool> v(static_cast<size_t>(n), false);
  for (int i : failed_at) v[static_cast<size_t>(i)] = true;
  return v;
}

TEST(DecidePlan, SinglePlanAcceptsRejectsOrAsksForMore) {
  const SinglePlan plan{10, 1};
  // 4 audits, one failure: continue with 6 more.
  PlanDecision d = DecidePlan(plan, Audits(4, {2}));
  EXPECT_EQ(d.decision, AuditDecision::kContinue);
  EXPECT_EQ(d.audits_needed, 6);
  EXPECT_EQ(d.evidence, "1 of 4 audits failed so far (c = 1): audit 6 more");
  // A second failure: acceptance is out of reach, reject without the remaining audits.
  d = DecidePlan(plan, Audits(5, {2, 4}));
  EXPECT_EQ(d.decision, AuditDecision::kReject);
  EXPECT_EQ(d.evidence, "2 of 5 audits failed, more than c = 1: reject");
  // All 10 with one failure: accept; results beyond n are ignored.
  d = DecidePlan(plan, Audits(12, {3, 10, 11}));
  EXPECT_EQ(d.decision, AuditDecision::kAccept);
  EXPECT_EQ(d.audits_used, 10);
  EXPECT_EQ(d.failures, 1);
}

TEST(DecidePlan, DoublePlanFollowsBothStages) {
  const DoublePlan plan{5, 0, 3, 5, 2};
  EXPECT_EQ(DecidePlan(plan, Audits(5, {})).decision, AuditDecision::kAccept);        // d1 = 0 <= c1
  EXPECT_EQ(DecidePlan(plan, Audits(3, {0, 1, 2})).decision, AuditDecision::kReject);  // d1 = 3 >= r1 early
  PlanDecision d = DecidePlan(plan, Audits(5, {1}));                                   // c1 < d1 < r1
  EXPECT_EQ(d.decision, AuditDecision::kContinue);
  EXPECT_EQ(d.audits_needed, 5);
  EXPECT_EQ(DecidePlan(plan, Audits(10, {1, 7})).decision, AuditDecision::kAccept);      // 2 <= c2
  d = DecidePlan(plan, Audits(7, {1, 5, 6}));                                            // 3 > c2 early
  EXPECT_EQ(d.decision, AuditDecision::kReject);
  EXPECT_EQ(d.evidence, "both samples: 3 of 7 audits failed, more than c2 = 2: reject");
}

TEST(DecidePlan, SprtEvidenceNamesTheLines) {
  auto t = MakeSprt(0.02, 0.08, 0.05, 0.10);
  ASSERT_TRUE(t.ok());
  PlanDecision d = DecidePlan(*t, Audits(40, {}));
  EXPECT_EQ(d.decision, AuditDecision::kAccept);
  EXPECT_EQ(d.audits_used, 36);
  // At n = 36 the accept line is -1.553179 + 0.043587 * 36 = 0.0160; the reject line 3.5632.
  EXPECT_EQ(d.evidence, "0 of 36 audits failed (reject at 3.56, accept at 0.02 failures): at or below the accept line");
}

TEST(NeymanAllocation, ProportionalToSizeTimesStandardDeviationWithAtLeastOne) {
  // Weights 1000 * sqrt(.01 * .99) = 99.50, 1000 * sqrt(.25) = 500, 500 * sqrt(.04 * .96) = 97.98.
  // One each first, then 97 left shared 99.50 : 500 : 97.98 -> 13.8, 69.6, 13.6 -> 14, 69, 14
  // (largest remainders), so 15, 70, 15.
  std::vector<Stratum> strata = {{"a", 1000, 0.01}, {"b", 1000, 0.5}, {"c", 500, 0.04}, {"empty", 0, 0.2}};
  auto n = NeymanAllocation(strata, 100);
  EXPECT_EQ(n, (std::vector<int64_t>{15, 70, 15, 0}));
  // A cap binds: weights 1000 sqrt(1e-4 * 0.9999) = 10.00, 30 * 0.5 = 15, 5.00; after one each,
  // 97 * 15 / 30 = 48.5 > 29 places left in b: b is filled (30), a and c get 32 + 1 and 16 + 1 by
  // largest remainder, and the 18 refused by b's cap are shared 2 : 1 (12, 6).
  n = NeymanAllocation({{"a", 1000, 1e-4}, {"b", 30, 0.5}, {"c", 500, 1e-4}}, 100);
  EXPECT_EQ(n, (std::vector<int64_t>{46, 30, 24}));
  // Every anticipated rate 0: proportional to size.
  auto flat = NeymanAllocation({{"a", 300, 0}, {"b", 100, 0}}, 40);
  EXPECT_EQ(flat, (std::vector<int64_t>{30, 10}));
  // The budget is capped at the total.
  EXPECT_EQ(NeymanAllocation({{"a", 3, 0.1}, {"b", 2, 0.1}}, 50), (std::vector<int64_t>{3, 2}));
}

TEST(EstimateStratified, HandComputedRateVarianceAndInterval) {
  // Strata (N, n, x): (100, 10, 2), (300, 20, 1).
  // W = 0.25, 0.75; p_h = 0.2, 0.05; rate = 0.05 + 0.0375 = 0.0875.
  // Var = 0.0625 * 0.9 * 0.16 / 9 + 0.5625 * (1 - 20/300) * 0.0475 / 19
  //     = 0.001 + 0.5625 * 0.93333 * 0.0025 = 0.001 + 0.0013125 = 0.0023125.
  // Unreviewed: (90 * 0.2 + 280 * 0.05) / 370 = 32 / 370.
  auto e = EstimateStratified({{100, 10, 2}, {300, 20, 1}});
  EXPECT_NEAR(e.rate, 0.0875, 1e-15);
  EXPECT_NEAR(e.variance, 0.0023125, 1e-15);
  // Wilson on n_eff = 0.0875 * 0.9125 / 0.0023125 = 34.53, capped at the 30 audits made:
  // centre (0.0875 + z²/60) / (1 + z²/30) = 0.151525 / 1.128051 = 0.134324,
  // half 1.959964 / 1.128051 * sqrt(0.0875 * 0.9125 / 30 + z² / 3600) = 1.737478 * 0.061062 = 0.106094.
  EXPECT_NEAR(e.lo, 0.134324 - 0.106094, 2e-5);
  EXPECT_NEAR(e.hi, 0.134324 + 0.106094, 2e-5);
  EXPECT_NEAR(e.unreviewed_rate, 32.0 / 370.0, 1e-15);
  // Unreviewed: Var = (100 * 90 * 0.16 / 9 + 300 * 280 * 0.0475 / 19) / 370² = (160 + 210) / 136900
  // = 0.0027027; n_eff = 0.086486 * 0.913514 / 0.0027027 = 29.23 (under the 30 audits).
  {
    const double p = 32.0 / 370.0, n = p * (1 - p) / (370.0 / 136900.0), z = 1.959963984540054;
    const double centre = (p + z * z / (2 * n)) / (1 + z * z / n);
    const double half = z / (1 + z * z / n) * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
    EXPECT_NEAR(n, 29.23, 0.01);
    EXPECT_NEAR(e.unreviewed_lo, centre - half, 1e-12);
    EXPECT_NEAR(e.unreviewed_hi, centre + half, 1e-12);
  }
  EXPECT_EQ(e.unaudited_strata, 0);
  // No failure yet in one audit per stratum: the rate is 0 but the interval is not [0, 0].
  auto clean = EstimateStratified({{100, 1, 0}, {300, 1, 0}});
  EXPECT_EQ(clean.rate, 0);
  EXPECT_EQ(clean.lo, 0);
  EXPECT_NEAR(clean.hi, 1.959963984540054 * 1.959963984540054 / (2 + 1.959963984540054 * 1.959963984540054), 1e-12);
  // A census: known exactly.
  auto all = EstimateStratified({{10, 10, 2}, {5, 5, 0}});
  EXPECT_NEAR(all.rate, 2.0 / 15.0, 1e-15);
  EXPECT_EQ(all.lo, all.rate);
  EXPECT_EQ(all.hi, all.rate);
}

TEST(NeymanAllocation, BeatsProportionalAllocationInSimulation) {
  // Given three strata of a batch with very different error rates (exactly round(p N) bad tasks in
  // each) and a budget of 150 audits,
  const std::vector<Stratum> strata = {{"easy", 2000, 0.01}, {"night", 500, 0.30}, {"rain", 1000, 0.08}};
  const auto neyman = NeymanAllocation(strata, 150), prop = ProportionalAllocation(strata, 150);
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> u(0, 1);
  auto variance = [&](const std::vector<int64_t>& alloc) {
    constexpr int kReps = 20000;
    double sum = 0, sum2 = 0;
    const double truth_weighting = 3500;
    for (int rep = 0; rep < kReps; ++rep) {
      double est = 0;
      for (size_t h = 0; h < strata.size(); ++h) {
        int64_t left = strata[h].size, bad = std::llround(strata[h].p * static_cast<double>(strata[h].size)), x = 0;
        for (int64_t i = 0; i < alloc[h]; ++i, --left) {
          if (u(rng) * static_cast<double>(left) < static_cast<double>(bad)) ++x, --bad;
        }
        est += static_cast<double>(strata[h].size) / truth_weighting * static_cast<double>(x) / static_cast<double>(alloc[h]);
      }
      sum += est, sum2 += est * est;
    }
    const double mean = sum / kReps;
    return sum2 / kReps - mean * mean;
  };
  // when each allocation's estimate is simulated, then Neyman's variance is clearly smaller.
  const double vn = variance(neyman), vp = variance(prop);
  std::printf("Neyman %lld/%lld/%lld vs proportional %lld/%lld/%lld: variance ratio %.3f\n",
              static_cast<long long>(neyman[0]), static_cast<long long>(neyman[1]), static_cast<long long>(neyman[2]),
              static_cast<long long>(prop[0]), static_cast<long long>(prop[1]), static_cast<long long>(prop[2]), vn / vp);
  EXPECT_LT(vn / vp, 0.85);
}

TEST(DrawKey, IsAFixedFunctionOfSeedAndId) {
  // Given the documented algorithm (FNV-1a 64 of the id, XOR the seed, SplitMix64's mix),
  // then the key of "" under seed 0 is the mix of the FNV offset basis, computed here by hand,
  uint64_t z = 0xcbf29ce484222325ULL + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  EXPECT_EQ(DrawKey(0, ""), z ^ (z >> 31));
  // and keys differ across seeds and ids but not across calls.
  EXPECT_EQ(DrawKey(7, "task-001"), DrawKey(7, "task-001"));
  EXPECT_NE(DrawKey(7, "task-001"), DrawKey(8, "task-001"));
  EXPECT_NE(DrawKey(7, "task-001"), DrawKey(7, "task-002"));
}

TEST(DrawStratified, SameSeedSameSampleWhateverTheListingOrder) {
  // Given 200 tasks in two strata listed in two different orders,
  std::vector<std::string> ids;
  std::vector<size_t> stratum;
  for (int i = 0; i < 200; ++i) {
    ids.push_back(fmt::format("t{:03d}", i));
    stratum.push_back(i % 4 == 0 ? 1 : 0);
  }
  std::vector<std::string> rev(ids.rbegin(), ids.rend());
  std::vector<size_t> rev_stratum(stratum.rbegin(), stratum.rend());
  const std::vector<int64_t> alloc{12, 8};
  auto names = [](const std::vector<std::string>& list, const std::vector<size_t>& idx) {
    std::vector<std::string> out;
    for (size_t i : idx) out.push_back(list[i]);
    return out;
  };
  // when drawn with the same seed, then the same tasks come out in the same audit order,
  const auto a = names(ids, DrawStratified(ids, stratum, alloc, 42));
  const auto b = names(rev, DrawStratified(rev, rev_stratum, alloc, 42));
  EXPECT_EQ(a, b);
  // with the allocation met in each stratum and the keys ascending,
  ASSERT_EQ(a.size(), 20u);
  int in_one = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    in_one += std::stoi(a[i].substr(1)) % 4 == 0;
    if (i > 0) {
      EXPECT_LT(DrawKey(42, a[i - 1]), DrawKey(42, a[i]));
    }
  }
  EXPECT_EQ(in_one, 8);
  // and another seed draws another sample.
  EXPECT_NE(a, names(ids, DrawStratified(ids, stratum, alloc, 43)));
  // A stratum asked for more than it holds gives all it holds.
  EXPECT_EQ(DrawStratified(ids, stratum, {0, 500}, 1).size(), 50u);
}

TEST(DrawStratified, EveryTaskEquallyLikelyAcrossSeeds) {
  // Given 20 tasks and samples of 5 over 4000 seeds, each task is drawn about 1000 times
  // (binomial sd 27; 5 sd allowed): the hash order is a uniform random order.
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back("task-" + std::to_string(i));
  const std::vector<size_t> stratum(20, 0);
  std::vector<int> hits(20, 0);
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    for (size_t i : DrawStratified(ids, stratum, {5}, seed)) ++hits[i];
  }
  for (int h : hits) EXPECT_NEAR(h, 1000, 137);
}

TEST(StratifiedVariance, IsTheFormulaAndNeymanMinimisesIt) {
  const std::vector<Stratum> strata = {{"a", 600, 0.02}, {"b", 300, 0.25}, {"c", 100, 0.10}};
  const std::vector<int64_t> alloc{20, 20, 10};
  const double w[] = {0.6, 0.3, 0.1};
  double v = 0;
  for (size_t h = 0; h < 3; ++h) {
    const double N = static_cast<double>(strata[h].size), n = static_cast<double>(alloc[h]);
    v += w[h] * w[h] * (1 - n / N) * strata[h].p * (1 - strata[h].p) / n;
  }
  EXPECT_NEAR(StratifiedVariance(strata, alloc), v, 1e-15);
  EXPECT_LT(StratifiedVariance(strata, NeymanAllocation(strata, 50)),
            StratifiedVariance(strata, ProportionalAllocation(strata, 50)));
}

// The variance of the stratified estimate under an allocation, simulated: each stratum holds
// exactly round(p_h N_h) bad tasks and n_h are drawn without replacement. Returns the sample
// variance of the estimates and its standard error, sqrt((m4 - s^4) / R).
struct SimulatedVariance {
  double variance = 0, se = 0;
};
SimulatedVariance SimulateStratified(const std::vector<Stratum>& strata, const std::vector<int64_t>& alloc,
                                     int reps, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  double total = 0;
  for (const Stratum& s : strata) total += static_cast<double>(s.size);
  std::vector<double> est(static_cast<size_t>(reps));
  for (double& e : est) {
    e = 0;
    for (size_t h = 0; h < strata.size(); ++h) {
      int64_t left = strata[h].size, bad = std::llround(strata[h].p * static_cast<double>(strata[h].size)), x = 0;
      for (int64_t i = 0; i < alloc[h]; ++i, --left) {
        if (u(rng) * static_cast<double>(left) < static_cast<double>(bad)) ++x, --bad;
      }
      e += static_cast<double>(strata[h].size) / total * static_cast<double>(x) / static_cast<double>(alloc[h]);
    }
  }
  double mean = 0;
  for (double e : est) mean += e;
  mean /= reps;
  double m2 = 0, m4 = 0;
  for (double e : est) {
    const double d2 = (e - mean) * (e - mean);
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= reps;
  m4 /= reps;
  return {m2, std::sqrt(std::max(0.0, m4 - m2 * m2) / reps)};
}

TEST(NeymanAllocation, VarianceRatioAgainstProportionalWithItsMonteCarloError) {
  // Scenarios (docs/sampling.md, "Neyman against proportional allocation"): the simulated ratio
  // Var(Neyman) / Var(proportional), its Monte Carlo standard error (delta method over the two
  // independent simulations), and the ratio of the exact variances (StratifiedVariance).
  struct Scenario {
    const char* name;
    std::vector<Stratum> strata;
    int64_t budget;
  };
  const std::vector<Scenario> scenarios = {
      {"three strata 1% / 30% / 8%", {{"easy", 2000, 0.01}, {"night", 500, 0.30}, {"rain", 1000, 0.08}}, 150},
      {"one risky annotator 2% / 40%", {{"others", 900, 0.02}, {"new", 100, 0.40}}, 100},
      {"five annotators 1..20%", {{"a", 400, 0.01}, {"b", 400, 0.03}, {"c", 400, 0.05}, {"d", 400, 0.10},
                                  {"e", 400, 0.20}}, 120},
      {"equal rates 5%", {{"a", 600, 0.05}, {"b", 300, 0.05}, {"c", 100, 0.05}}, 100},
  };
  std::mt19937_64 rng(2026);
  constexpr int kReps = 20000;
  for (const Scenario& sc : scenarios) {
    const auto neyman = NeymanAllocation(sc.strata, sc.budget), prop = ProportionalAllocation(sc.strata, sc.budget);
    const SimulatedVariance vn = SimulateStratified(sc.strata, neyman, kReps, rng);
    const SimulatedVariance vp = SimulateStratified(sc.strata, prop, kReps, rng);
    const double ratio = vn.variance / vp.variance;
    const double se = ratio * std::sqrt(std::pow(vn.se / vn.variance, 2) + std::pow(vp.se / vp.variance, 2));
    const double exact = StratifiedVariance(sc.strata, neyman) / StratifiedVariance(sc.strata, prop);
    std::printf("%-30s n=%lld  Var(Neyman)/Var(proportional) = %.3f +- %.3f (simulated, %d lots each), %.3f (formula)\n",
                sc.name, static_cast<long long>(sc.budget), ratio, se, kReps, exact);
    // The simulation agrees with the formula within 4 Monte Carlo standard errors,
    EXPECT_NEAR(ratio, exact, 4 * se + 0.01) << sc.name;
    // and Neyman is never worse (equal rates: the same allocation, ratio 1 up to rounding).
    EXPECT_LT(ratio, 1 + 4 * se) << sc.name;
  }
}

TEST(DecideStratified, WeightsTheOversampledStratumDown) {
  // Neyman allocation drew 12 of stratum A (N = 180, anticipated clean) and 8 of B (N = 20, risky);
  // plan n = 20, c = 2. A: 0 of 12 failed, B: 3 of 8. Unweighted: 3 failures > c, reject.
  // Weighted: W = (0.9, 0.1), p_w = 0.9 * 0 + 0.1 * 3/8 = 0.0375; n p_w = 0.75 <= 2: accept.
  const SinglePlan plan{20, 2};
  EXPECT_EQ(DecidePlan(plan, std::vector<bool>{true, true, true, false, false, false, false, false, false, false, false,
                                               false, false, false, false, false, false, false, false, false})
                .decision,
            AuditDecision::kReject);
  WeightedDecision w = DecideStratified(plan, {{180, 12, 0}, {20, 8, 3}}, {12, 8});
  EXPECT_EQ(w.plan.decision, AuditDecision::kAccept);
  EXPECT_NEAR(w.estimate.rate, 0.0375, 1e-12);
  EXPECT_NEAR(w.weighted_failures, 0.75, 1e-12);
  EXPECT_EQ(w.plan.failures, 3);
  EXPECT_EQ(w.plan.audits_used, 20);
  EXPECT_NE(w.plan.evidence.find("unweighted 3 of 20 failed"), std::string::npos) << w.plan.evidence;
  // Half of A still outstanding: n p_w lies between 0.75 (they pass) and 20 (0.9 * 6/12 + 0.0375)
  // = 9.75 (they fail): continue, 6 audits needed.
  w = DecideStratified(plan, {{180, 6, 0}, {20, 8, 3}}, {12, 8});
  EXPECT_EQ(w.plan.decision, AuditDecision::kContinue);
  EXPECT_NEAR(w.low, 0.75, 1e-12);
  EXPECT_NEAR(w.high, 9.75, 1e-12);
  EXPECT_EQ(w.plan.audits_needed, 6);
  // B worse (7 of 8): even if A's outstanding audits pass, 20 * 0.1 * 7/8 = 1.75 <= 2, so not yet
  // a rejection; with a stricter c = 1 it is one: 1.75 > 1.
  w = DecideStratified(SinglePlan{20, 1}, {{180, 6, 0}, {20, 8, 7}}, {12, 8});
  EXPECT_EQ(w.plan.decision, AuditDecision::kReject);
  EXPECT_NEAR(w.low, 1.75, 1e-12);
  // Equal rates (proportional allocation): the weighted count is the unweighted one.
  w = DecideStratified(SinglePlan{20, 2}, {{150, 15, 3}, {50, 5, 1}}, {15, 5});
  EXPECT_NEAR(w.weighted_failures, 4.0, 1e-12);
  EXPECT_EQ(w.plan.decision, AuditDecision::kReject);
}

}  // namespace
}  // namespace gtops::stats

