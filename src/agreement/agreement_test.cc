#include "agreement/agreement.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace gtops::agreement {
namespace {

constexpr int32_t M = kMissing;

// Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the 4 coders x 12 units
// example of ../shared/reference/README.md; values 1..5 as codes 0..4.
RatingMatrix Krippendorff2011() {
  const int32_t by_coder[4][12] = {{0, 1, 2, 2, 1, 0, 3, 0, 1, M, M, M},
                                   {0, 1, 2, 2, 1, 1, 3, 0, 1, 4, M, 2},
                                   {M, 2, 2, 2, 1, 2, 3, 1, 1, 4, 0, M},
                                   {0, 1, 2, 2, 1, 3, 3, 0, 1, 4, 0, M}};
  RatingMatrix m{12, 4, 5, std::vector<int32_t>(48)};
  for (int u = 0; u < 12; ++u)
    for (int c = 0; c < 4; ++c) m.codes[static_cast<size_t>(u * 4 + c)] = by_coder[c][u];
  return m;
}
const std::vector<double> kOneToFive = {1, 2, 3, 4, 5};

TEST(KrippendorffAlpha, ReproducesKrippendorff2011ForEveryMetric) {
  auto m = Krippendorff2011();
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kNominal, kOneToFive)->alpha, 0.743421052631579, 1e-12);
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kOrdinal, kOneToFive)->alpha, 0.815387503754881, 1e-12);
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kInterval, kOneToFive)->alpha, 0.849107142857143, 1e-12);
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kRatio, kOneToFive)->alpha, 0.797402774711612, 1e-12);
  auto nominal = KrippendorffAlpha(m, AlphaMetric::kNominal, kOneToFive);
  EXPECT_EQ(nominal->pairable_units, 11);  // unit 12 has a single value
  EXPECT_EQ(nominal->pairable_values, 40);
}

TEST(KrippendorffAlpha, OrdinalAndNominalUseOnlyTheOrderOfTheValues) {
  auto m = Krippendorff2011();
  const std::vector<double> spread = {1, 2, 30, 400, 5000};
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kOrdinal, spread)->alpha, 0.815387503754881, 1e-12);
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kNominal, spread)->alpha, 0.743421052631579, 1e-12);
}

TEST(KrippendorffAlpha, ReproducesTheDawidSkeneToySet) {
  // Items x workers of the crowd-kit toy set (no = 0, yes = 1; w3 skipped t1).
  RatingMatrix m{5, 5, 2, {0, 1, M, 1, 0,  1, 1, 1, 0, 0,  1, 0, 0, 1, 0,  1, 1, 1, 1, 1,  1, 0, 0, 0, 0}};
  EXPECT_NEAR(KrippendorffAlpha(m, AlphaMetric::kNominal)->alpha, 0.14219114219114215, 1e-12);
}

TEST(KrippendorffAlpha, PerfectAgreementGivesOneForEveryMetric) {
  RatingMatrix m{6, 3, 4, {0, 0, 0, 1, 1, M, 2, 2, 2, 3, M, 3, 1, 1, 1, 0, 0, 0}};
  for (auto metric : {AlphaMetric::kNominal, AlphaMetric::kOrdinal, AlphaMetric::kInterval, AlphaMetric::kRatio})
    EXPECT_DOUBLE_EQ(KrippendorffAlpha(m, metric, std::vector<double>{1, 2, 3, 4})->alpha, 1.0);
}

TEST(KrippendorffAlpha, NoVariationAndNoPairableUnitAreUndefined) {
  RatingMatrix same{3, 2, 2, {1, 1, 1, 1, 1, 1}};
  EXPECT_TRUE(std::isnan(KrippendorffAlpha(same, AlphaMetric::kNominal)->alpha));
  RatingMatrix lonely{3, 2, 2, {1, M, M, 0, 1, M}};
  auto a = KrippendorffAlpha(lonely, AlphaMetric::kNominal);
  EXPECT_TRUE(std::isnan(a->alpha));
  EXPECT_EQ(a->pairable_units, 0);
}

RatingMatrix Permuted(const RatingMatrix& m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int> units(static_cast<size_t>(m.units)), coders(static_cast<size_t>(m.coders));
  std::iota(units.begin(), units.end(), 0), std::iota(coders.begin(), coders.end(), 0);
  std::shuffle(units.begin(), units.end(), rng), std::shuffle(coders.begin(), coders.end(), rng);
  RatingMatrix p = m;
  for (int u = 0; u < m.units; ++u)
    for (int c = 0; c < m.coders; ++c)
      p.codes[static_cast<size_t>(u * m.coders + c)] = m.at(units[static_cast<size_t>(u)], coders[static_cast<size_t>(c)]);
  return p;
}

TEST(Agreement, PermutingUnitsAndCodersChangesNothing) {
  auto m = Krippendorff2011();
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto p = Permuted(m, seed);
    for (auto metric : {AlphaMetric::kNominal, AlphaMetric::kOrdinal, AlphaMetric::kInterval, AlphaMetric::kRatio})
      EXPECT_EQ(KrippendorffAlpha(p, metric, kOneToFive)->alpha, KrippendorffAlpha(m, metric, kOneToFive)->alpha);
    EXPECT_EQ(FleissKappa(p)->kappa, FleissKappa(m)->kappa);
  }
}

TEST(CohenKappa, ReproducesTheHandComputedTwoByTwo) {
  // Two readers of 50 proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15.
  // p_o = 35/50 = 0.7; A says yes 25 times, B 30: p_e = (25*30 + 25*20)/50^2 = 0.5;
  // kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
  RatingMatrix m{0, 2, 2, {}};
  auto add = [&](int a, int b, int times) {
    for (int i = 0; i < times; ++i) m.codes.push_back(a), m.codes.push_back(b), ++m.units;
  };
  add(1, 1, 20), add(1, 0, 5), add(0, 1, 10), add(0, 0, 15);
  auto k = CohenKappa(m, 0, 1);
  ASSERT_TRUE(k.ok());
  EXPECT_NEAR(k->observed, 0.7, 1e-15);
  EXPECT_NEAR(k->expected, 0.5, 1e-15);
  EXPECT_NEAR(k->kappa, 0.4, 1e-15);
  // Units that only one reader coded are skipped.
  add(1, M, 7), add(M, 0, 3);
  EXPECT_NEAR(CohenKappa(m, 0, 1)->kappa, 0.4, 1e-15);
  EXPECT_EQ(CohenKappa(m, 0, 1)->units, 50);
}

TEST(CohenKappa, PairwiseMatrixIsSymmetricWithOnesOnTheDiagonal) {
  auto m = Krippendorff2011();
  auto pairs = PairwiseCohenKappa(m);
  ASSERT_TRUE(pairs.ok());
  for (int a = 0; a < 4; ++a) {
    EXPECT_EQ((*pairs)[static_cast<size_t>(a * 4 + a)], 1.0);
    for (int b = 0; b < 4; ++b) {
      EXPECT_EQ((*pairs)[static_cast<size_t>(a * 4 + b)], (*pairs)[static_cast<size_t>(b * 4 + a)]);
      if (a != b) {
        EXPECT_EQ((*pairs)[static_cast<size_t>(a * 4 + b)], CohenKappa(m, a, b)->kappa);
      }
    }
  }
  // Coders A and D disagree only on unit 6 of the 9 both coded: p_o = 8/9; marginals A
  // {1:3, 2:3, 3:2, 4:1}, D {1:2, 2:3, 3:2, 4:2}: p_e = (6 + 9 + 4 + 2)/81 = 21/81;
  // kappa = (72/81 - 21/81) / (60/81) = 0.85.
  EXPECT_NEAR((*pairs)[0 * 4 + 3], 0.85, 1e-15);
}

TEST(FleissKappa, ReproducesTheHandComputedFourteenRaterExample) {
  // Fleiss' worked example as in most textbooks: 10 subjects, 14 raters, 5 categories.
  // P_i = sum_j n_ij (n_ij - 1) / (14 * 13): P-bar = 172/455; p_j = column sums / 140 =
  // (20, 28, 39, 21, 32)/140: P_e = 417/1960; kappa = (P-bar - P_e)/(1 - P_e) = 4211/20059.
  const std::vector<int64_t> counts = {0, 0, 0, 0, 14, 0, 2, 6, 4, 2, 0, 0, 3, 5, 6, 0, 3, 9, 2, 0,
                                       2, 2, 8, 1, 1,  7, 7, 0, 0, 0, 3, 2, 6, 3, 0, 2, 5, 3, 2, 2,
                                       6, 5, 2, 1, 0,  0, 2, 2, 3, 7};
  auto k = FleissKappa(counts, 10, 5);
  ASSERT_TRUE(k.ok());
  EXPECT_NEAR(k->observed, 172.0 / 455.0, 1e-15);
  EXPECT_NEAR(k->expected, 417.0 / 1960.0, 1e-15);
  EXPECT_NEAR(k->kappa, 4211.0 / 20059.0, 1e-15);
}

TEST(FleissKappa, TwoCodersWithoutMissingValuesIsScottsPi) {
  // Fleiss' kappa with two coders is Scott's pi: on the 2x2 of CohenKappa above, the pooled
  // marginals are yes 55/100, no 45/100: p_e = 0.3025 + 0.2025 = 0.505, pi = (0.7 - 0.505)/0.495.
  RatingMatrix m{0, 2, 2, {}};
  auto add = [&](int a, int b, int times) {
    for (int i = 0; i < times; ++i) m.codes.push_back(a), m.codes.push_back(b), ++m.units;
  };
  add(1, 1, 20), add(1, 0, 5), add(0, 1, 10), add(0, 0, 15);
  EXPECT_NEAR(FleissKappa(m)->kappa, 0.195 / 0.495, 1e-14);
}

TEST(Agreement, PerfectAgreementGivesKappaOne) {
  RatingMatrix m{4, 3, 3, {0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 1, 1}};
  EXPECT_DOUBLE_EQ(CohenKappa(m, 0, 2)->kappa, 1.0);
  EXPECT_DOUBLE_EQ(FleissKappa(m)->kappa, 1.0);
}

TEST(Agreement, RejectsCodesOutOfRangeAndWrongSizes) {
  RatingMatrix bad{2, 2, 2, {0, 1, 2, 0}};
  auto a = KrippendorffAlpha(bad, AlphaMetric::kNominal);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kBadInput);
  EXPECT_NE(a.status().message().find("unit 1 coder 0: code 2"), std::string::npos) << a.status().message();
  EXPECT_FALSE(CohenKappa(RatingMatrix{2, 2, 2, {0, 1, 0}}, 0, 1).ok());
  EXPECT_FALSE(FleissKappa(RatingMatrix{1, 2, 2, {0, 2147483647}}).ok());
  EXPECT_FALSE(FleissKappa(RatingMatrix{1, 2, 2, {0, -2}}).ok());
  EXPECT_FALSE(CohenKappa(RatingMatrix{1, 2, 2, {0, 1}}, 0, 2).ok());
  EXPECT_FALSE(KrippendorffAlpha(RatingMatrix{1, 2, 2, {0, 1}}, AlphaMetric::kInterval, std::vector<double>{1}).ok());
  EXPECT_FALSE(KrippendorffAlpha(RatingMatrix{1, 2, 2, {0, 1}}, AlphaMetric::kRatio, std::vector<double>{-1, 1}).ok());
}

}  // namespace
}  // namespace gtops::agreement
