#include "quality/assignment.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace gtops::quality {
namespace {

// Forbidden pairs cost (1, 0) and allowed ones (0, c): minimising the pair lexicographically over
// complete assignments of the shorter side is the same as maximising the number of allowed pairs
// and then minimising their cost, without the big-M constant that would swamp small costs.
constexpr long long kInfForbidden = std::numeric_limits<long long>::max() / 4;

}  // namespace

const Assignment& AssignmentSolver::Solve(std::span<const double> costs, std::size_t rows,
                                          std::size_t cols) {
  assert(costs.size() == rows * cols);
  result_.row_to_col.assign(rows, -1);
  result_.col_to_row.assign(cols, -1);
  result_.num_pairs = 0;
  result_.total_cost = 0.0;
  if (rows == 0 || cols == 0) return result_;

  // Orient the problem so that every one of the n <= m rows is assigned.
  const bool transposed = rows > cols;
  const std::size_t n = transposed ? cols : rows;
  const std::size_t m = transposed ? rows : cols;
  dense_.resize(n * m);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double x = costs[r * cols + c];
      const Lex e = std::isfinite(x) ? Lex{0, x} : Lex{1, 0.0};
      if (transposed) {
        dense_[c * m + r] = e;
      } else {
        dense_[r * m + c] = e;
      }
    }
  }

  auto less = [](const Lex& a, const Lex& b) {
    return a.forbidden < b.forbidden || (a.forbidden == b.forbidden && a.cost < b.cost);
  };
  const Lex kInf{kInfForbidden, 0.0};

  // 1-based arrays; column 0 is the virtual start of each augmenting path.
  u_.assign(n + 1, Lex{0, 0.0});
  v_.assign(m + 1, Lex{0, 0.0});
  p_.assign(m + 1, 0);
  way_.assign(m + 1, 0);
  minv_.resize(m + 1);
  used_.resize(m + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    p_[0] = static_cast<int>(i);
    std::size_t j0 = 0;
    std::fill(minv_.begin(), minv_.end(), kInf);
    std::fill(used_.begin(), used_.end(), 0);
    do {
      used_[j0] = 1;
      const std::size_t i0 = static_cast<std::size_t>(p_[j0]);
      Lex delta = kInf;
      std::size_t j1 = 0;
      const Lex* row = &dense_[(i0 - 1) * m];
      for (std::size_t j = 1; j <= m; ++j) {
        if (used_[j]) continue;
        const Lex& a = row[j - 1];
        const Lex cur{a.forbidden - u_[i0].forbidden - v_[j].forbidden, a.cost - u_[i0].cost - v_[j].cost};
        if (less(cur, minv_[j])) {
          minv_[j] = cur;
          way_[j] = static_cast<int>(j0);
        }
        if (less(minv_[j], delta)) {
          delta = minv_[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used_[j]) {
          Lex& uu = u_[static_cast<std::size_t>(p_[j])];
          uu.forbidden += delta.forbidden;
          uu.cost += delta.cost;
          v_[j].forbidden -= delta.forbidden;
          v_[j].cost -= delta.cost;
        } else {
          minv_[j].forbidden -= delta.forbidden;
          minv_[j].cost -= delta.cost;
        }
      }
      j0 = j1;
    } while (p_[j0] != 0);
    do {
      const std::size_t j1 = static_cast<std::size_t>(way_[j0]);
      p_[j0] = p_[j1];
      j0 = j1;
    } while (j0 != 0);
  }

  for (std::size_t j = 1; j <= m; ++j) {
    if (p_[j] == 0) continue;
    const std::size_t i = static_cast<std::size_t>(p_[j]) - 1;
    const Lex& e = dense_[i * m + (j - 1)];
    if (e.forbidden != 0) continue;
    const std::size_t r = transposed ? j - 1 : i;
    const std::size_t c = transposed ? i : j - 1;
    result_.row_to_col[r] = static_cast<int>(c);
    result_.col_to_row[c] = static_cast<int>(r);
    ++result_.num_pairs;
    result_.total_cost += e.cost;
  }
  return result_;
}

std::size_t AssignmentSolver::ScratchBytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  return bytes(result_.row_to_col) + bytes(result_.col_to_row) + bytes(dense_) + bytes(u_) + bytes(v_) +
         bytes(minv_) + bytes(p_) + bytes(way_) + bytes(used_);
}

Assignment SolveAssignment(std::span<const double> costs, std::size_t rows, std::size_t cols) {
  AssignmentSolver solver;
  return solver.Solve(costs, rows, cols);
}

}  // namespace gtops::quality
