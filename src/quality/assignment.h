// Linear assignment (the Hungarian method, shortest augmenting paths with potentials in the
// Jonker–Volgenant form): pairs rows with columns of a cost matrix, each at most once.
//
// The matrix may be rectangular and may forbid pairs (an entry that is not finite: +-infinity or
// NaN). The
// solution maximises first the number of pairs on allowed entries and then, among assignments
// with that many pairs, minimises the total cost: the semantics of py-motmetrics' CLEAR-MOT
// matching (its forbidden pairs) and of scipy.optimize.linear_sum_assignment when nothing is
// forbidden (then min(rows, cols) pairs are always made). Costs may be negative (maximise a score
// by passing its negation). Which optimum is returned when several tie is unspecified.
//
// Pure kernel: no global state, safe to call from many threads at once. O(r^2 c) time for
// r = min(rows, cols), c = max(rows, cols); O(r + c) memory besides the matrix view.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace gtops::quality {

// A conventional forbidden entry (any non-finite value forbids the pair).
inline constexpr double kForbiddenCost = std::numeric_limits<double>::infinity();

struct Assignment {
  std::vector<int> row_to_col;  // column of each row, or -1 when the row is unassigned
  std::vector<int> col_to_row;  // row of each column, or -1
  int num_pairs = 0;            // assigned pairs (all on allowed entries)
  double total_cost = 0.0;      // sum of the costs of the assigned pairs
};

// Solves the assignment for the `rows` x `cols` matrix `costs` given row-major
// (costs[r * cols + c]); costs.size() must equal rows * cols (a programmer error otherwise).
// Either dimension may be 0.
Assignment SolveAssignment(std::span<const double> costs, std::size_t rows, std::size_t cols);

// Reusable workspace: the same solver without per-call allocation once the buffers have grown,
// for inner loops that solve many small problems (per-frame matching). Not thread-safe: one
// solver per thread. The returned reference stays valid until the next Solve.
class AssignmentSolver {
 public:
  const Assignment& Solve(std::span<const double> costs, std::size_t rows, std::size_t cols);

  // Bytes held between calls: grows to the largest problem solved, not with the number solved.
  std::size_t ScratchBytes() const;

 private:
  // A cost compared lexicographically: forbidden pairs used, then the sum of allowed costs.
  struct Lex {
    long long forbidden;
    double cost;
  };

  Assignment result_;
  std::vector<Lex> dense_;  // the matrix oriented so that rows <= cols
  std::vector<Lex> u_, v_, minv_;
  std::vector<int> p_, way_;
  std::vector<unsigned char> used_;
};

}  // namespace gtops::quality
