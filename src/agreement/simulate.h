// Simulated crowd answers with known truths and worker accuracies, for tests and benchmarks of
// truth inference (docs/agreement.md). Deterministic for a seed; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "agreement/truth.h"

namespace gtops::agreement {

struct SimulatedCrowd {
  AnswerSet answers;
  std::vector<int32_t> truth;     // items: the true class
  std::vector<double> accuracy;   // workers: the probability of answering the true class
};

// `items` items with true classes drawn uniformly from `classes`; each item is answered by
// `answers_per_item` distinct workers drawn uniformly; worker w answers the true class with
// probability accuracy[w] (drawn uniformly from [min_accuracy, max_accuracy]) and otherwise a
// uniformly drawn other class (the one-coin model).
SimulatedCrowd SimulateCrowd(int items, int workers, int classes, int answers_per_item, double min_accuracy,
                             double max_accuracy, uint64_t seed);

}  // namespace gtops::agreement
