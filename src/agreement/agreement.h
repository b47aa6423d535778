// Agreement between annotators on categorical values: Cohen's kappa, Fleiss' kappa and
// Krippendorff's alpha (docs/agreement.md has every formula). Pure functions over values;
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace gtops::agreement {

inline constexpr int32_t kMissing = -1;

// Who said what: `units` x `coders` value codes, row-major (unit u, coder c at u * coders + c).
// A code is in [0, categories) or kMissing. Codes index the caller's own table of values (class
// names, attribute values, numbers); the metrics of Krippendorff's alpha that need numbers take
// them as `category_values`.
struct RatingMatrix {
  int units = 0;
  int coders = 0;
  int categories = 0;
  std::vector<int32_t> codes;

  int32_t at(int unit, int coder) const {
    return codes[static_cast<size_t>(unit) * static_cast<size_t>(coders) + static_cast<size_t>(coder)];
  }
};

// kBadInput when the sizes do not match or a code is outside [0, categories) and not kMissing.
Status Validate(const RatingMatrix& m);

struct Kappa {
  double kappa = 0;     // NaN when undefined (no pairable unit, or chance agreement 1)
  double observed = 0;  // observed agreement p_o (Fleiss: P-bar)
  double expected = 0;  // chance agreement p_e (Fleiss: P-bar_e)
  int64_t units = 0;    // units that entered the computation
};

// Cohen's kappa of coders a and b over the units both coded (units where either is missing are
// skipped). kBadInput for an invalid matrix or coder index.
Result<Kappa> CohenKappa(const RatingMatrix& m, int coder_a, int coder_b);

// Cohen's kappa of every pair of coders: coders x coders, row-major, 1 on the diagonal (NaN
// where a coder never coded or a pair shares no unit). The annotator-by-annotator agreement
// matrix.
Result<std::vector<double>> PairwiseCohenKappa(const RatingMatrix& m);

// Fleiss' kappa from a `units` x `categories` table of how many coders chose each category
// (row-major). Units may have different numbers of coders (the generalisation in
// docs/agreement.md); units with fewer than two are skipped. With a constant number of coders per
// unit this is Fleiss (1971) exactly.
Result<Kappa> FleissKappa(std::span<const int64_t> counts, int units, int categories);
Result<Kappa> FleissKappa(const RatingMatrix& m);

enum class AlphaMetric { kNominal, kOrdinal, kInterval, kRatio };

struct Alpha {
  double alpha = 0;               // NaN when undefined (fewer than two pairable values, D_e = 0)
  double observed_disagreement = 0;  // D_o
  double expected_disagreement = 0;  // D_e
  int64_t pairable_units = 0;     // units with at least two values
  int64_t pairable_values = 0;    // n: the values in those units
  std::vector<double> coincidence;  // categories x categories, row-major: o_ck
};

// Krippendorff's alpha through the coincidence matrix. `category_values` gives each code's
// number for the interval and ratio metrics and the order for the ordinal one (ordinal uses only
// the order and the marginals); empty means code c has value c. Units with fewer than two values
// are not pairable. Time O(units x coders + categories²), memory O(categories² x distinct
// numbers of values per unit): meant for tens of categories, not thousands of distinct numbers.
// kBadInput for an invalid matrix, a wrong number of category values, or a
// negative value under the ratio metric.
Result<Alpha> KrippendorffAlpha(const RatingMatrix& m, AlphaMetric metric,
                                std::span<const double> category_values = {});

}  // namespace gtops::agreement
