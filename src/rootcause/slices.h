// Slice discovery (docs/rootcause.md): over a fact table of objects at risk, find conjunctions of
// up to three conditions whose error rate is significantly above the rest of the population
// (Fisher's exact test, one-sided), control the false-discovery rate over everything tested
// (Benjamini–Hochberg), and keep each cause once, in its most informative form. Values in, values
// out: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gtops::rootcause {

inline constexpr uint16_t kAbsent = 0xFFFF;  // a row without a value in a dimension
inline constexpr int kMaxTargets = 32;

// One dimension to slice by. Categorical: `values[code]`. Numeric: the row's code is its band,
// band b holding cuts[b-1] <= value < cuts[b] (cuts ascending; band 0 and band cuts.size() open).
struct Dimension {
  std::string key;  // "vendor", "class", "scene.weather", "attr.state", "range_m", ...
  bool numeric = false;
  std::vector<std::string> values;
  std::vector<double> cuts;
};

// Band edges that follow the data: the 5%, 10%, ..., 95% quantiles of `values`, each rounded to
// two significant digits, distinct and ascending.
std::vector<double> QuantileCuts(std::vector<double> values, int bands = 20);
// The band of `v` under `cuts`.
uint16_t BandOf(const std::vector<double>& cuts, double v);

// The rows of one pipeline: a column of codes per dimension, and per row a bit per target (error
// type or family): at_risk (the row belongs to that target's population) and error (it has that
// error). `weight` (safety weight) and `example` (a "frame/object" text) are optional.
struct FactTable {
  std::vector<Dimension> dims;
  std::vector<std::vector<uint16_t>> codes;  // [dim][row]
  std::vector<uint32_t> at_risk, error;      // [row]
  std::vector<float> weight;                 // [row], empty: every row weighs 1
  std::vector<std::string> example;          // [row], empty: no examples
  size_t rows() const { return at_risk.size(); }
};

// A condition on one dimension: categorical `code`; numeric band == code, band >= code
// (value >= cuts[code-1]) or band < code (value < cuts[code-1]).
struct Condition {
  enum Op : uint8_t { kEq, kGe, kLt };
  uint16_t dim = 0;
  Op op = kEq;
  uint16_t code = 0;
  bool Holds(uint16_t row_code) const {
    if (row_code == kAbsent) return false;
    switch (op) {
      case kEq: return row_code == code;
      case kGe: return row_code >= code;
      case kLt: return row_code < code;
    }
    return false;
  }
  bool operator==(const Condition& o) const { return dim == o.dim && op == o.op && code == o.code; }
  bool operator<(const Condition& o) const {
    return dim != o.dim ? dim < o.dim : op != o.op ? op < o.op : code < o.code;
  }
};

// A numeric condition as the half-open range [lo, hi) it selects (NaN for an open end).
void ConditionRange(const Dimension& d, const Condition& c, double& lo, double& hi);

struct SearchOptions {
  int max_conditions = 3;
  int64_t min_support = 5;    // objects at risk in a slice for it to be tested
  int64_t min_errors = 3;     // errors in a slice for it to be tested
  double extend_p = 1e-3;     // a slice is refined further only when its raw p is at most this
  size_t beam = 16;           // ... and among the `beam` most significant of its level
  double q = 0.05;            // false-discovery rate
  double refine_p = 0.05;     // each condition of a kept slice must matter at this level
  size_t max_findings = 20;   // per table and target, after redundancy removal
};

// One tested slice of one table and target.
struct SliceTest {
  int table = 0, target = 0;
  std::vector<Condition> conditions;  // sorted by dimension
  int64_t support = 0, errors = 0;
  double log_p = 0;
};

// What one search covered.
struct SearchSpace {
  int64_t population = 0, errors = 0;  // the target's rows at risk and errors
  // The hypotheses that could be tested: conjunctions of 1..max_conditions single conditions on
  // distinct dimensions, each condition holding min_support rows at risk and min_errors errors (a
  // conjunction with a condition below that cannot reach min_errors). This is the m of
  // Benjamini–Hochberg; slices never computed count with p = 1.
  double hypotheses = 0;
};

// Level 1 of every target at once: [target][dimension][code] = (rows at risk, errors), counted in
// one pass over the table for all targets in `targets` (a bit mask); other targets stay empty.
// Dimensions are counted on `threads` threads (each dimension by one: the same counts).
using LevelOne = std::vector<std::vector<std::vector<std::pair<int64_t, int64_t>>>>;
LevelOne CountLevelOne(const FactTable& table, uint32_t targets, int threads = 1);

// The slices of `table` computed for `target` (bit index): levels 1..max_conditions, a slice of
// level l+1 being a slice of level l that may be refined (enough errors, raw p <= extend_p, in the
// beam) with one condition on another dimension. A slice is computed when it has min_support rows
// at risk and min_errors errors; its error rate at or below the rest's gets p = 1 (one-sided).
// `level_one` (from CountLevelOne, may be null) spares the first pass.
std::vector<SliceTest> SearchSlices(const FactTable& table, int table_index, int target,
                                    const SearchOptions& options, SearchSpace& space,
                                    const LevelOne* level_one = nullptr);

// A slice kept after false-discovery control and redundancy removal, with its evidence.
struct Finding {
  SliceTest test;
  double log_q = 0;
  int64_t population = 0, population_errors = 0;  // the target's totals in the table
  int64_t rest_support = 0, rest_errors = 0;      // outside the slice
  double residual_log_p = 0;   // the slice without the causes kept before it, against the rest
  double weight_errors = 0, weight_at_risk = 0;  // safety-weighted errors and rows in the slice
  std::vector<std::string> examples;             // up to 5 error rows
};

// The causes of one table and target: `discoveries` are its slices with q <= options.q, their
// q-values in `discovery_log_q`. In order of significance (fewer conditions first among equals),
// a discovery is kept when what it holds beyond the causes already kept is itself significant at
// the BH cutoff (`log_cutoff`) against the rows outside it and them:
// sub-slices of a kept cause and broad slices that are significant only through it drop out.
// A discovery of two or more conditions is passed over (its parent comes later) unless each of
// its conditions is significant within the parent without it: the slice's rate above the parent's
// other rows, Fisher one-sided p <= options.refine_p. `covered` are causes found already (for a
// family: its types' causes): their rows count as covered from the start.
std::vector<Finding> RemoveRedundancy(const FactTable& table, int target, const std::vector<SliceTest>& discoveries,
                                      const std::vector<double>& discovery_log_q, double log_cutoff,
                                      const SearchOptions& options,
                                      const std::vector<std::vector<Condition>>& covered = {});

}  // namespace gtops::rootcause
