// Truth inference for categorical answers without gold: majority vote and Dawid–Skene (full
// confusion matrices and one-coin), docs/agreement.md. Pure functions over values; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace gtops::agreement {

// One answer: worker `worker` gave class `label` to item `item`.
struct Answer {
  int32_t item = 0;
  int32_t worker = 0;
  int32_t label = 0;
};

// The answers of an overlap set. Items, workers and classes are dense codes [0, n); an item or
// worker without any answer is allowed. A worker should answer an item at most once (a repeat
// counts as a second, independent answer).
struct AnswerSet {
  int items = 0;
  int workers = 0;
  int classes = 0;
  std::vector<Answer> answers;
};

// kBadInput when a count is negative or an answer's code is out of range.
Status Validate(const AnswerSet& set);

enum class TruthModel { kMajorityVote, kDawidSkene, kOneCoinDawidSkene };

struct TruthOptions {
  TruthModel model = TruthModel::kDawidSkene;
  int max_iterations = 100;
  // EM stops once the log-likelihood improves by less than tolerance x (number of answers).
  double tolerance = 1e-7;
  // Dirichlet pseudo-count added to every confusion cell (and to both sides of a one-coin
  // accuracy) in the M-step, so that no probability is exactly 0.
  double smoothing = 0.01;
  double z = 1.959963984540054;  // of the workers' accuracy intervals (95%)
};

struct TruthResult {
  int items = 0, workers = 0, classes = 0;
  std::vector<double> posterior;   // items x classes, row-major; an unanswered item gets the priors
  std::vector<int32_t> label;      // argmax of the posterior (lowest class on ties); -1 if unanswered
  std::vector<double> priors;      // classes: P(true class)
  // workers x classes x classes: confusion[(w * classes + true) * classes + answered] =
  // P(answered | true) (majority vote: from the answers against the voted labels).
  std::vector<double> confusion;
  // Per worker: expected share of correct answers under the posteriors, its Wilson interval on
  // the expected counts (docs/agreement.md), and the number of answers. NaN without answers.
  std::vector<double> accuracy, accuracy_lo, accuracy_hi;
  std::vector<int64_t> answers_per_worker;
  int iterations = 0;           // EM iterations run (0 for majority vote)
  bool converged = true;        // false when max_iterations stopped EM
  double log_likelihood = 0;    // of the answers under the returned priors and confusions
};

// Majority vote: an item's posterior is its vote shares; the label is the most voted class, ties
// going to the lowest class code. Dawid–Skene (full or one-coin): EM started from the majority
// vote shares, stopped by TruthOptions. kBadInput for an invalid AnswerSet or options.
Result<TruthResult> InferTruth(const AnswerSet& set, const TruthOptions& options = {});

}  // namespace gtops::agreement
