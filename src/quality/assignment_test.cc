#include "quality/assignment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace gtops::quality {
namespace {

struct Best {
  int pairs = -1;
  double cost = 0.0;
};

// Every partial injective row -> column map on allowed entries; keeps the most pairs, then the
// least cost.
void BruteForce(const std::vector<double>& costs, std::size_t rows, std::size_t cols,
                std::size_t row, std::vector<bool>& col_used, int pairs, double cost, Best& best) {
  if (row == rows) {
    if (pairs > best.pairs || (pairs == best.pairs && cost < best.cost)) best = {pairs, cost};
    return;
  }
  BruteForce(costs, rows, cols, row + 1, col_used, pairs, cost, best);
  for (std::size_t c = 0; c < cols; ++c) {
    const double x = costs[row * cols + c];
    if (col_used[c] || !std::isfinite(x)) continue;
    col_used[c] = true;
    BruteForce(costs, rows, cols, row + 1, col_used, pairs + 1, cost + x, best);
    col_used[c] = false;
  }
}

void ExpectValid(const Assignment& a, const std::vector<double>& costs, std::size_t rows,
                 std::size_t cols) {
  ASSERT_EQ(a.row_to_col.size(), rows);
  ASSERT_EQ(a.col_to_row.size(), cols);
  int pairs = 0;
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const int c = a.row_to_col[r];
    if (c < 0) continue;
    ASSERT_LT(static_cast<std::size_t>(c), cols);
    EXPECT_EQ(a.col_to_row[static_cast<std::size_t>(c)], static_cast<int>(r));
    const double x = costs[r * cols + static_cast<std::size_t>(c)];
    EXPECT_TRUE(std::isfinite(x)) << "pair on a forbidden entry";
    ++pairs;
    total += x;
  }
  for (std::size_t c = 0; c < cols; ++c) {
    if (a.col_to_row[c] < 0) continue;
    EXPECT_EQ(a.row_to_col[static_cast<std::size_t>(a.col_to_row[c])], static_cast<int>(c));
  }
  EXPECT_EQ(a.num_pairs, pairs);
  EXPECT_NEAR(a.total_cost, total, 1e-12);
}

TEST(AssignmentTest, EmptyMatrices) {
  for (auto [r, c] : {std::pair<std::size_t, std::size_t>{0, 0}, {0, 3}, {4, 0}}) {
    std::vector<double> costs(r * c);
    const Assignment a = SolveAssignment(costs, r, c);
    EXPECT_EQ(a.num_pairs, 0);
    EXPECT_EQ(a.row_to_col.size(), r);
    EXPECT_EQ(a.col_to_row.size(), c);
  }
}

TEST(AssignmentTest, SquareMinimisesCost) {
  // Given the classic 3x3 example, when solved, then the optimum 5 = 1 + 2 + 2 is found.
  const std::vector<double> costs = {4, 1, 3,  //
                                     2, 0, 5,  //
                                     3, 2, 2};
  const Assignment a = SolveAssignment(costs, 3, 3);
  EXPECT_EQ(a.num_pairs, 3);
  EXPECT_DOUBLE_EQ(a.total_cost, 5.0);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{1, 0, 2}));
}

TEST(AssignmentTest, ForbiddenPairsAreNeverMade) {
  const double kNo = kForbiddenCost;
  const std::vector<double> costs = {kNo, kNo,  //
                                     0.3, kNo};
  const Assignment a = SolveAssignment(costs, 2, 2);
  EXPECT_EQ(a.num_pairs, 1);
  EXPECT_EQ(a.row_to_col, (std::vector<int>{-1, 0}));
  EXPECT_EQ(a.col_to_row, (std::vector<int>{1, -1}));
}

TEST(AssignmentTest, MorePairsBeatLowerCost) {
  // Given row 0 cheap on column 0 and row 1 allowed only there, when solved, then two pairs are
  // made (row 0 takes the expensive column 1) rather than the single cheapest one.
  const double kNo = std::nan("");
  const std::vector<double> costs = {0.0, 0.5,  //
                                     0.4, kNo};
  const Assignment a = SolveAssignment(costs, 2, 2);
  EXPECT_EQ(a.num_pairs, 2);
  EXPECT_DOUBLE_EQ(a.total_cost, 0.9);
}

TEST(AssignmentTest, NegativeCostsMaximiseScore) {
  const std::vector<double> scores = {-0.9, -0.8, -0.1,  //
                                      -0.85, -0.1, -0.0};
  const Assignment a = SolveAssignment(scores, 2, 3);
  EXPECT_EQ(a.num_pairs, 2);
  EXPECT_DOUBLE_EQ(a.total_cost, -0.8 - 0.85);  // beats the greedy -0.9 - 0.1
  EXPECT_EQ(a.row_to_col, (std::vector<int>{1, 0}));
}

TEST(AssignmentTest, MatchesBruteForceOnRandomMatrices) {
  std::mt19937_64 rng(12345);
  std::uniform_int_distribution<std::size_t> dim(1, 6);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  AssignmentSolver solver;  // reused across problems of changing shape
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t rows = dim(rng), cols = dim(rng);
    const double forbid = trial % 3 == 0 ? 0.0 : unit(rng) * 0.8;
    const bool integral = trial % 5 == 0;  // many ties
    std::vector<double> costs(rows * cols);
    for (double& x : costs) {
      x = integral ? std::floor(unit(rng) * 4) - 1 : unit(rng) * 2 - 0.5;
      if (unit(rng) < forbid) x = trial % 2 ? kForbiddenCost : std::nan("");
    }
    const Assignment& a = solver.Solve(costs, rows, cols);
    ExpectValid(a, costs, rows, cols);
    Best best;
    std::vector<bool> used(cols, false);
    BruteForce(costs, rows, cols, 0, used, 0, 0.0, best);
    ASSERT_EQ(a.num_pairs, best.pairs) << "trial " << trial;
    ASSERT_NEAR(a.total_cost, best.cost, 1e-9) << "trial " << trial;
  }
}

TEST(AssignmentTest, LargeRectangularIsOptimalAgainstTransposed) {
  // Metamorphic: the transposed problem has the same optimum.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::size_t rows = 40, cols = 70;
  std::vector<double> costs(rows * cols), transposed(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      double x = unit(rng);
      if (unit(rng) < 0.5) x = kForbiddenCost;
      costs[r * cols + c] = x;
      transposed[c * rows + r] = x;
    }
  }
  const Assignment a = SolveAssignment(costs, rows, cols);
  const Assignment b = SolveAssignment(transposed, cols, rows);
  ExpectValid(a, costs, rows, cols);
  ExpectValid(b, transposed, cols, rows);
  EXPECT_EQ(a.num_pairs, b.num_pairs);
  EXPECT_NEAR(a.total_cost, b.total_cost, 1e-9);
}

}  // namespace
}  // namespace gtops::quality
