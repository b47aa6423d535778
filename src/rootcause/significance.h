// Exact one-sided tests and false-discovery control for root-cause slices (docs/rootcause.md):
// the binomial and hypergeometric (Fisher's exact test) upper tails, computed in log space so
// that p-values far below the smallest double still order correctly, and Benjamini–Hochberg
// q-values. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace gtops::rootcause {

// log P(X >= k) for X ~ Binomial(n, p). 0 when k <= 0; -inf when k > n or (p = 0 and k > 0).
double LogBinomialUpperTail(int64_t k, int64_t n, double p);

// Fisher's exact test, one-sided (the slice's error rate above the rest's): log P(X >= k) for
// X ~ Hypergeometric(population N, K errors in it, n drawn): the chance that a slice of n of the N
// objects at risk holds k or more of the K errors if errors fell on objects at random.
// Requires 0 <= n <= N, 0 <= K <= N; 0 when k <= max(0, n + K - N); -inf when k > min(n, K).
double LogFisherUpperTail(int64_t k, int64_t n, int64_t K, int64_t N);

// Benjamini–Hochberg over m = log_p.size() + untested tests, the `untested` ones with p = 1 (the
// hypotheses of a search that were never computed): the log q-value of each of `log_p`,
// q_(i) = min_{j >= i} min(1, m p_(j) / j) over the p-values in ascending order. Tests are
// rejected at level q when log q <= log(q).
std::vector<double> LogBenjaminiHochberg(const std::vector<double>& log_p, double untested = 0);

// The largest log p rejected by BH at level `q` (-inf when none is): every test with
// log p <= this is a discovery.
double LogBhCutoff(const std::vector<double>& log_p, double q, double untested = 0);

}  // namespace gtops::rootcause
