#include "rootcause/significance.h"

#include <cmath>

#include <gtest/gtest.h>

namespace gtops::rootcause {
namespace {

TEST(Binomial, UpperTailsMatchHandSums) {
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(2, 3, 0.5)), 0.5, 1e-12);     // (3 + 1) / 8
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(3, 3, 0.1)), 0.001, 1e-15);   // 0.1^3
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(1, 2, 0.3)), 0.51, 1e-12);    // 1 - 0.7^2
  EXPECT_EQ(LogBinomialUpperTail(0, 5, 0.2), 0.0);
  EXPECT_TRUE(std::isinf(LogBinomialUpperTail(6, 5, 0.2)));
  // Far below double's range: 1000 successes in 1000 at p = 1e-3 is 1e-3000.
  EXPECT_NEAR(LogBinomialUpperTail(1000, 1000, 1e-3) / std::log(10.0), -3000.0, 1e-6);
}

TEST(Fisher, UpperTailsMatchHandSums) {
  // N = 10 objects, K = 4 errors, a slice of n = 3: P(X >= 2) = (C(4,2) C(6,1) + C(4,3)) / C(10,3) = 40/120.
  EXPECT_NEAR(std::exp(LogFisherUpperTail(2, 3, 4, 10)), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(std::exp(LogFisherUpperTail(3, 3, 4, 10)), 1.0 / 30.0, 1e-12);
  // The lady tasting tea: 8 cups, 4 with milk first, 4 chosen.
  EXPECT_NEAR(std::exp(LogFisherUpperTail(4, 4, 4, 8)), 1.0 / 70.0, 1e-12);
  EXPECT_NEAR(std::exp(LogFisherUpperTail(3, 4, 4, 8)), 17.0 / 70.0, 1e-12);
  EXPECT_EQ(LogFisherUpperTail(0, 4, 4, 8), 0.0);
  EXPECT_EQ(LogFisherUpperTail(1, 6, 4, 8), 0.0);  // at least 2 of 4 must fall in 6 of 8
  EXPECT_TRUE(std::isinf(LogFisherUpperTail(5, 4, 4, 8)));
  // A large table: 50 errors in a slice of 60 among 1,000,000 objects with 5,000 errors.
  const double lp = LogFisherUpperTail(50, 60, 5000, 1000000);
  EXPECT_LT(lp / std::log(10.0), -80);
  EXPECT_GT(lp / std::log(10.0), -120);
}

TEST(BenjaminiHochberg, QValuesAndCutoffByHand) {
  // p = 0.01, 0.04, 0.03, 0.5 (m = 4): sorted raw m p / i = 0.04, 0.06, 0.0533, 0.5; step-up minima
  // give q = 0.04, 0.0533, 0.0533, 0.5. Only 0.01 <= i 0.05 / 4 at its rank: cutoff 0.01.
  const std::vector<double> p = {0.01, 0.04, 0.03, 0.5};
  std::vector<double> lp;
  for (double v : p) lp.push_back(std::log(v));
  const std::vector<double> q = LogBenjaminiHochberg(lp);
  EXPECT_NEAR(std::exp(q[0]), 0.04, 1e-12);
  EXPECT_NEAR(std::exp(q[1]), 0.16 / 3, 1e-12);
  EXPECT_NEAR(std::exp(q[2]), 0.16 / 3, 1e-12);
  EXPECT_NEAR(std::exp(q[3]), 0.5, 1e-12);
  EXPECT_NEAR(std::exp(LogBhCutoff(lp, 0.05)), 0.01, 1e-12);
  EXPECT_NEAR(std::exp(LogBhCutoff(lp, 0.06)), 0.04, 1e-12);  // 0.04 <= 3 * 0.06 / 4
  EXPECT_TRUE(std::isinf(LogBhCutoff(lp, 0.001)));
  // Two more hypotheses that were never computed (p = 1): m = 6, q of 0.01 = 0.06.
  EXPECT_NEAR(std::exp(LogBenjaminiHochberg(lp, 2)[0]), 0.06, 1e-12);
  EXPECT_TRUE(std::isinf(LogBhCutoff(lp, 0.05, 2)));  // 0.01 > 0.05 / 6
  // q-values never exceed 1.
  EXPECT_EQ(LogBenjaminiHochberg({0.0, 0.0})[0], 0.0);
}

}  // namespace
}  // namespace gtops::rootcause
