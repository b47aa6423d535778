#include "agreement/simulate.h"

#include <algorithm>
#include <random>

namespace gtops::agreement {

SimulatedCrowd SimulateCrowd(int items, int workers, int classes, int answers_per_item, double min_accuracy,
                             double max_accuracy, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Draws from the raw engine, so the answers are the same with every standard library.
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  auto below = [&](int n) { return static_cast<int32_t>(uniform() * n); };
  SimulatedCrowd s;
  s.answers.items = items, s.answers.workers = workers, s.answers.classes = classes;
  for (int w = 0; w < workers; ++w) s.accuracy.push_back(min_accuracy + (max_accuracy - min_accuracy) * uniform());
  s.answers.answers.reserve(static_cast<size_t>(items) * static_cast<size_t>(answers_per_item));
  std::vector<int32_t> chosen;
  for (int i = 0; i < items; ++i) {
    int32_t truth = below(classes);
    s.truth.push_back(truth);
    chosen.clear();
    while (static_cast<int>(chosen.size()) < std::min(answers_per_item, workers)) {
      int32_t w = below(workers);
      if (std::find(chosen.begin(), chosen.end(), w) != chosen.end()) continue;
      chosen.push_back(w);
      int32_t label = truth;
      if (classes > 1 && uniform() >= s.accuracy[static_cast<size_t>(w)]) {
        label = below(classes - 1);
        if (label >= truth) ++label;
      }
      s.answers.answers.push_back({i, w, label});
    }
  }
  return s;
}

}  // namespace gtops::agreement
