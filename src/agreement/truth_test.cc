#include "agreement/truth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <gtest/gtest.h>

#include "agreement/simulate.h"

namespace gtops::agreement {
namespace {

constexpr int32_t kNo = 0, kYes = 1;

// crowd-kit's 5-worker, 5-task yes/no toy set (../shared/reference/README.md); w3 skipped t1.
AnswerSet CrowdKitToy() {
  const int32_t by_task[5][5] = {{kNo, kYes, -1, kYes, kNo},
                                 {kYes, kYes, kYes, kNo, kNo},
                                 {kYes, kNo, kNo, kYes, kNo},
                                 {kYes, kYes, kYes, kYes, kYes},
                                 {kYes, kNo, kNo, kNo, kNo}};
  AnswerSet s{5, 5, 2, {}};
  for (int32_t t = 0; t < 5; ++t)
    for (int32_t w = 0; w < 5; ++w)
      if (by_task[t][w] >= 0) s.answers.push_back({t, w, by_task[t][w]});
  return s;
}

TEST(DawidSkene, ReproducesTheCrowdKitToySet) {
  auto r = InferTruth(CrowdKitToy());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->label, (std::vector<int32_t>{kYes, kYes, kNo, kYes, kNo}));
  EXPECT_TRUE(r->converged);
  EXPECT_GT(r->iterations, 1);
  for (int i = 0; i < 5; ++i)
    EXPECT_NEAR(r->posterior[static_cast<size_t>(2 * i)] + r->posterior[static_cast<size_t>(2 * i + 1)], 1.0, 1e-12);
}

TEST(MajorityVote, TiesGoToTheLowestClassAndPosteriorsAreVoteShares) {
  auto r = InferTruth(CrowdKitToy(), {.model = TruthModel::kMajorityVote});
  ASSERT_TRUE(r.ok());
  // t1 ties 2-2: the lowest class (no) wins; the others follow their majorities.
  EXPECT_EQ(r->label, (std::vector<int32_t>{kNo, kYes, kNo, kYes, kNo}));
  EXPECT_EQ(r->posterior[0], 0.5);
  EXPECT_EQ(r->posterior[1], 0.5);
  EXPECT_NEAR(r->posterior[2 * 1 + 1], 0.6, 1e-15);
  EXPECT_EQ(r->iterations, 0);
  // w4 agrees with the shares 0.5 + 0.4 + 0.4 + 1 + 0.8 over 5 answers.
  EXPECT_NEAR(r->accuracy[3], 3.1 / 5, 1e-12);
}

TEST(DawidSkene, OneCoinAlsoReproducesTheToySet) {
  auto r = InferTruth(CrowdKitToy(), {.model = TruthModel::kOneCoinDawidSkene});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->label, (std::vector<int32_t>{kYes, kYes, kNo, kYes, kNo}));
}

double MeanAbsoluteError(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += std::fabs(a[i] - b[i]);
  return sum / static_cast<double>(a.size());
}

TEST(DawidSkene, RecoversKnownWorkerAccuraciesOfASimulatedCrowd) {
  // Given 10,000 items answered 5 times each by 40 workers of accuracy 0.5 to 0.95 (3 classes),
  auto crowd = SimulateCrowd(10000, 40, 3, 5, 0.5, 0.95, 7);
  // the empirical accuracy of each worker against the known truths (the best any method can do),
  std::vector<double> correct(40, 0), seen(40, 0);
  for (const Answer& a : crowd.answers.answers) {
    seen[static_cast<size_t>(a.worker)] += 1;
    correct[static_cast<size_t>(a.worker)] += a.label == crowd.truth[static_cast<size_t>(a.item)];
  }
  std::vector<double> empirical(40);
  for (size_t w = 0; w < 40; ++w) empirical[w] = correct[w] / seen[w];

  for (auto model : {TruthModel::kDawidSkene, TruthModel::kOneCoinDawidSkene, TruthModel::kMajorityVote}) {
    auto r = InferTruth(crowd.answers, {.model = model});
    ASSERT_TRUE(r.ok());
    double mae = MeanAbsoluteError(r->accuracy, crowd.accuracy);
    double mae_empirical = MeanAbsoluteError(r->accuracy, empirical);
    int right = 0, covered = 0;
    for (size_t i = 0; i < crowd.truth.size(); ++i) right += r->label[i] == crowd.truth[i];
    for (size_t w = 0; w < 40; ++w) covered += r->accuracy_lo[w] <= empirical[w] && empirical[w] <= r->accuracy_hi[w];
    const char* name = model == TruthModel::kDawidSkene ? "dawid-skene" : model == TruthModel::kOneCoinDawidSkene ? "one-coin" : "majority";
    std::printf("%-12s accuracy MAE vs true %.4f, vs empirical %.4f; labels right %.4f; intervals cover %d/40; %d iterations\n",
                name, mae, mae_empirical, right / 10000.0, covered, r->iterations);
    if (model == TruthModel::kMajorityVote) {
      // The baseline is biased: workers are scored against noisy votes.
      EXPECT_GT(mae, 0.05);
      continue;
    }
    // then EM recovers them within sampling error (about 0.01 per worker at 1,250 answers each).
    EXPECT_LT(mae, 0.02);
    EXPECT_LT(mae_empirical, 0.01);
    EXPECT_GE(covered, 34);
    EXPECT_GT(right, 9300);
    EXPECT_TRUE(r->converged);
  }
}

TEST(DawidSkene, PermutingAnswersChangesNothing) {
  auto crowd = SimulateCrowd(500, 10, 3, 3, 0.6, 0.9, 3);
  auto a = InferTruth(crowd.answers);
  std::reverse(crowd.answers.answers.begin(), crowd.answers.answers.end());
  auto b = InferTruth(crowd.answers);
  EXPECT_EQ(a->label, b->label);
  EXPECT_EQ(a->iterations, b->iterations);
  for (size_t i = 0; i < a->posterior.size(); ++i) EXPECT_NEAR(a->posterior[i], b->posterior[i], 1e-12);
}

TEST(DawidSkene, ConfusionRowsAreDistributionsAndUnansweredItemsGetThePriors) {
  AnswerSet s = CrowdKitToy();
  s.items = 6, s.workers = 6;  // item 5 and worker 5 have no answer
  auto r = InferTruth(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->label[5], -1);
  EXPECT_NEAR(r->posterior[10], r->priors[0], 1e-15);
  EXPECT_TRUE(std::isnan(r->accuracy[5]));
  EXPECT_EQ(r->answers_per_worker[2], 4);
  for (size_t row = 0; row < 6 * 2; ++row)
    EXPECT_NEAR(r->confusion[row * 2] + r->confusion[row * 2 + 1], 1.0, 1e-12);
  for (size_t w = 0; w < 5; ++w) {
    EXPECT_LE(r->accuracy_lo[w], r->accuracy[w]);
    EXPECT_GE(r->accuracy_hi[w], r->accuracy[w]);
  }
}

TEST(DawidSkene, StopsAtMaxIterationsAndSaysSo) {
  auto crowd = SimulateCrowd(300, 10, 3, 3, 0.4, 0.9, 5);
  auto r = InferTruth(crowd.answers, {.max_iterations = 1, .tolerance = 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->iterations, 1);
  EXPECT_FALSE(r->converged);
}

TEST(DawidSkene, RejectsAnswersOutOfRange) {
  AnswerSet s{2, 2, 2, {{0, 0, 1}, {1, 2, 0}}};
  auto r = InferTruth(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadInput);
  EXPECT_NE(r.status().message().find("answer 1 (item 1, worker 2, label 0)"), std::string::npos);
  EXPECT_FALSE(InferTruth(CrowdKitToy(), {.max_iterations = 0}).ok());
}

}  // namespace
}  // namespace gtops::agreement
