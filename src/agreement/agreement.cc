#include "agreement/agreement.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include <fmt/format.h>

namespace gtops::agreement {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t Sz(int64_t v) { return static_cast<size_t>(v); }

Kappa KappaOf(double observed, double expected, int64_t units) {
  Kappa k;
  k.observed = observed, k.expected = expected, k.units = units;
  k.kappa = (units > 0 && expected < 1) ? (observed - expected) / (1 - expected) : kNaN;
  return k;
}

// Cohen's kappa from the two coders' joint counts over the units both coded: agree[c] counts
// units where both chose c, ma/mb are each coder's marginals on those units.
Kappa CohenFromCounts(const std::vector<int64_t>& agree, const std::vector<int64_t>& ma,
                      const std::vector<int64_t>& mb, int64_t n) {
  if (n == 0) return KappaOf(kNaN, kNaN, 0);
  int64_t same = 0, chance = 0;  // chance: sum of products of marginals, exact in integers
  for (size_t c = 0; c < agree.size(); ++c) same += agree[c], chance += ma[c] * mb[c];
  double dn = static_cast<double>(n);
  return KappaOf(static_cast<double>(same) / dn, static_cast<double>(chance) / (dn * dn), n);
}

// Cohen's kappa of two valid coders of a validated matrix.
Kappa CohenOfValid(const RatingMatrix& m, int coder_a, int coder_b) {
  std::vector<int64_t> agree(Sz(m.categories)), ma(Sz(m.categories)), mb(Sz(m.categories));
  int64_t n = 0;
  for (int u = 0; u < m.units; ++u) {
    int32_t a = m.at(u, coder_a), b = m.at(u, coder_b);
    if (a == kMissing || b == kMissing) continue;
    ++n, ++ma[Sz(a)], ++mb[Sz(b)];
    if (a == b) ++agree[Sz(a)];
  }
  return CohenFromCounts(agree, ma, mb, n);
}

}  // namespace

Status Validate(const RatingMatrix& m) {
  if (m.units < 0 || m.coders < 0 || m.categories < 0)
    return Status::BadInput("rating matrix: units, coders and categories must be >= 0");
  if (m.codes.size() != Sz(m.units) * Sz(m.coders))
    return Status::BadInput(fmt::format("rating matrix: {} codes for {} units x {} coders", m.codes.size(),
                                        m.units, m.coders));
  // In unsigned arithmetic kMissing + 1 wraps to 0, so one comparison checks both ends; without an
  // early exit the scan vectorises, and the offending code is looked for only when there is one.
  const uint32_t limit = static_cast<uint32_t>(m.categories) + 1;
  bool bad = false;
  for (int32_t c : m.codes) bad |= static_cast<uint32_t>(c) + 1u >= limit;
  if (!bad) return Status::Ok();
  for (size_t i = 0;; ++i) {
    int32_t c = m.codes[i];
    if (static_cast<uint32_t>(c) + 1u >= limit)
      return Status::BadInput(fmt::format("rating matrix: unit {} coder {}: code {} is outside [0, {}) and not missing",
                                          i / Sz(m.coders), i % Sz(m.coders), c, m.categories));
  }
}

Result<Kappa> CohenKappa(const RatingMatrix& m, int coder_a, int coder_b) {
  GTOPS_RETURN_IF_ERROR(Validate(m));
  if (coder_a < 0 || coder_a >= m.coders || coder_b < 0 || coder_b >= m.coders)
    return Status::BadInput(fmt::format("cohen kappa: coders {} and {} must be in [0, {})", coder_a, coder_b, m.coders));
  return CohenOfValid(m, coder_a, coder_b);
}

Result<std::vector<double>> PairwiseCohenKappa(const RatingMatrix& m) {
  GTOPS_RETURN_IF_ERROR(Validate(m));
  size_t c = Sz(m.coders);
  std::vector<double> out(c * c, kNaN);
  std::vector<bool> coded(c, false);
  for (size_t i = 0; i < m.codes.size(); ++i)
    if (m.codes[i] != kMissing) coded[i % c] = true;
  for (size_t a = 0; a < c; ++a) {
    if (coded[a]) out[a * c + a] = 1.0;
    for (size_t b = a + 1; b < c; ++b) {
      out[a * c + b] = out[b * c + a] = CohenOfValid(m, static_cast<int>(a), static_cast<int>(b)).kappa;
    }
  }
  return out;
}

Result<Kappa> FleissKappa(std::span<const int64_t> counts, int units, int categories) {
  if (units < 0 || categories < 0 || counts.size() != Sz(units) * Sz(categories))
    return Status::BadInput(fmt::format("fleiss kappa: {} counts for {} units x {} categories", counts.size(),
                                        units, categories));
  std::vector<double> totals(Sz(categories), 0.0);
  double sum_p = 0, values = 0;
  int64_t used = 0;
  for (size_t u = 0; u < Sz(units); ++u) {
    const int64_t* row = counts.data() + u * Sz(categories);
    int64_t m = 0, same_pairs = 0;
    for (size_t k = 0; k < Sz(categories); ++k) {
      if (row[k] < 0) return Status::BadInput(fmt::format("fleiss kappa: unit {}: negative count", u));
      m += row[k], same_pairs += row[k] * (row[k] - 1);
    }
    if (m < 2) continue;
    ++used;
    sum_p += static_cast<double>(same_pairs) / static_cast<double>(m * (m - 1));
    for (size_t k = 0; k < Sz(categories); ++k) totals[k] += static_cast<double>(row[k]);
    values += static_cast<double>(m);
  }
  if (used == 0) return KappaOf(kNaN, kNaN, 0);
  double expected = 0;
  for (double t : totals) expected += (t / values) * (t / values);
  return KappaOf(sum_p / static_cast<double>(used), expected, used);
}

Result<Kappa> FleissKappa(const RatingMatrix& m) {
  GTOPS_RETURN_IF_ERROR(Validate(m));
  std::vector<int64_t> counts(Sz(m.units) * Sz(m.categories), 0);
  for (size_t i = 0; i < m.codes.size(); ++i)
    if (m.codes[i] != kMissing) ++counts[(i / Sz(m.coders)) * Sz(m.categories) + Sz(m.codes[i])];
  return FleissKappa(counts, m.units, m.categories);
}

Result<Alpha> KrippendorffAlpha(const RatingMatrix& m, AlphaMetric metric, std::span<const double> category_values) {
  GTOPS_RETURN_IF_ERROR(Validate(m));
  const size_t k = Sz(m.categories);
  if (!category_values.empty() && category_values.size() != k)
    return Status::BadInput(fmt::format("krippendorff alpha: {} category values for {} categories",
                                        category_values.size(), k));
  std::vector<double> value(k);
  for (size_t c = 0; c < k; ++c) value[c] = category_values.empty() ? static_cast<double>(c) : category_values[c];
  if (metric == AlphaMetric::kRatio && std::any_of(value.begin(), value.end(), [](double v) { return v < 0; }))
    return Status::BadInput("krippendorff alpha: the ratio metric needs values >= 0");

  // Pairs are counted exactly in integers, bucketed by the unit's number of values m_u, and
  // weighted by 1 / (m_u - 1) only at the end: the result does not depend on the order of units
  // or coders, and the inner loop is integer increments.
  const size_t coders = Sz(m.coders);
  std::vector<int> bucket_of(coders + 1, -1);
  std::vector<int64_t> pairs;  // bucket x k x k
  std::vector<int> bucket_m;
  std::vector<int32_t> distinct(coders);  // the unit's distinct values and how often each occurs
  std::vector<int64_t> times(coders);
  Alpha out;
  for (size_t u = 0; u < Sz(m.units); ++u) {
    const int32_t* row = m.codes.data() + u * coders;
    size_t n_u = 0, d_u = 0;
    for (size_t c = 0; c < coders; ++c) {
      if (row[c] == kMissing) continue;
      ++n_u;
      size_t at = 0;
      while (at < d_u && distinct[at] != row[c]) ++at;
      if (at == d_u) distinct[d_u] = row[c], times[d_u++] = 0;
      ++times[at];
    }
    if (n_u < 2) continue;
    if (bucket_of[n_u] < 0) {
      bucket_of[n_u] = static_cast<int>(bucket_m.size());
      bucket_m.push_back(static_cast<int>(n_u));
      pairs.resize(pairs.size() + k * k, 0);
    }
    int64_t* o = pairs.data() + Sz(bucket_of[n_u]) * k * k;
    // Counting pairs per distinct value, not per pair of coders: units mostly agree, so this is
    // one or two increments instead of n_u (n_u - 1) (which also queue on the same cell).
    for (size_t i = 0; i < d_u; ++i) {
      int64_t* oi = o + Sz(distinct[i]) * k;
      oi[Sz(distinct[i])] += times[i] * (times[i] - 1);
      for (size_t j = 0; j < d_u; ++j)
        if (j != i) oi[Sz(distinct[j])] += times[i] * times[j];
    }
    ++out.pairable_units;
    out.pairable_values += static_cast<int64_t>(n_u);
  }
  out.coincidence.assign(k * k, 0.0);
  for (size_t b = 0; b < bucket_m.size(); ++b) {
    double w = 1.0 / (bucket_m[b] - 1);
    for (size_t i = 0; i < k * k; ++i) out.coincidence[i] += static_cast<double>(pairs[b * k * k + i]) * w;
  }
  std::vector<double> marginal(k, 0.0);
  for (size_t c = 0; c < k; ++c)
    for (size_t d = 0; d < k; ++d) marginal[c] += out.coincidence[c * k + d];
  const double n = static_cast<double>(out.pairable_values);

  // Ordinal distances use the categories' ranks: cumulative marginals in value order.
  std::vector<double> cumulative(k, 0.0);  // n_g summed over the categories up to c in value order
  if (metric == AlphaMetric::kOrdinal) {
    std::vector<size_t> order(k);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return value[a] < value[b]; });
    double run = 0;
    for (size_t c : order) run += marginal[c], cumulative[c] = run;
  }
  auto delta2 = [&](size_t c, size_t d) {
    if (c == d) return 0.0;
    switch (metric) {
      case AlphaMetric::kNominal:
        return 1.0;
      case AlphaMetric::kOrdinal: {
        // Sum of n_g from the lower to the higher category, minus half of the two ends.
        double lo = std::min(cumulative[c] - marginal[c], cumulative[d] - marginal[d]);
        double hi = std::max(cumulative[c], cumulative[d]);
        double s = hi - lo - (marginal[c] + marginal[d]) / 2;
        return s * s;
      }
      case AlphaMetric::kInterval:
        return (value[c] - value[d]) * (value[c] - value[d]);
      case AlphaMetric::kRatio: {
        double sum = value[c] + value[d];
        double r = sum > 0 ? (value[c] - value[d]) / sum : 0.0;
        return r * r;
      }
    }
    return 0.0;
  };
  double observed = 0, expected = 0;
  for (size_t c = 0; c < k; ++c)
    for (size_t d = 0; d < k; ++d) {
      double w = delta2(c, d);
      if (w == 0) continue;
      observed += out.coincidence[c * k + d] * w;
      expected += marginal[c] * marginal[d] * w;
    }
  if (n < 2 || expected == 0) {
    out.alpha = kNaN;
    return out;
  }
  out.observed_disagreement = observed / n;
  out.expected_disagreement = expected / (n * (n - 1));
  out.alpha = 1.0 - out.observed_disagreement / out.expected_disagreement;
  return out;
}

}  // namespace gtops::agreement
