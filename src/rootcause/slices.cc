#include "rootcause/slices.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "rootcause/significance.h"

namespace gtops::rootcause {
namespace {

// Rounds to two significant digits (38.73 -> 39, 0.0123 -> 0.012, 1234 -> 1200).
double RoundTwoDigits(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, std::floor(std::log10(std::fabs(v))) - 1);
  return std::round(v / scale) * scale;
}

// Codes a dimension can take: categorical values, or numeric bands.
size_t CodeCount(const Dimension& d) { return d.numeric ? d.cuts.size() + 1 : d.values.size(); }

struct Counts {
  int64_t n = 0, k = 0;
};

// The items (single conditions) of dimension `dim` with their counts, from per-code counts.
void ExpandItems(const Dimension& d, uint16_t dim, const std::vector<Counts>& per_code,
                 std::vector<std::pair<Condition, Counts>>& out) {
  for (size_t c = 0; c < per_code.size(); ++c) {
    out.push_back({Condition{dim, Condition::kEq, static_cast<uint16_t>(c)}, per_code[c]});
  }
  if (!d.numeric) return;
  const size_t bands = per_code.size();
  Counts below;
  Counts total;
  for (const Counts& c : per_code) total.n += c.n, total.k += c.k;
  for (size_t b = 1; b < bands; ++b) {
    below.n += per_code[b - 1].n;
    below.k += per_code[b - 1].k;
    out.push_back({Condition{dim, Condition::kLt, static_cast<uint16_t>(b)}, below});
    out.push_back({Condition{dim, Condition::kGe, static_cast<uint16_t>(b)}, Counts{total.n - below.n, total.k - below.k}});
  }
}

bool Holds(const FactTable& t, const std::vector<Condition>& conds, uint32_t row) {
  for (const Condition& c : conds) {
    if (!c.Holds(t.codes[c.dim][row])) return false;
  }
  return true;
}

double SliceLogP(int64_t k, int64_t n, int64_t K, int64_t N) {
  // One-sided: a slice at or below the rest's rate cannot be a cause (its exact p is >= ~1/2).
  if (static_cast<double>(k) * static_cast<double>(N - n) <= static_cast<double>(K - k) * static_cast<double>(n)) {
    return 0;
  }
  return LogFisherUpperTail(k, n, K, N);
}

// The codes a condition admits as an interval [first, last] (numeric bands are ordered).
std::pair<int, int> CodeInterval(const Condition& c, int codes) {
  switch (c.op) {
    case Condition::kEq: return {c.code, c.code};
    case Condition::kGe: return {c.code, codes - 1};
    case Condition::kLt: return {0, c.code - 1};
  }
  return {0, -1};
}

// True when every row of `narrow` is a row of `broad`: each condition of `broad` is implied by a
// condition of `narrow` on the same dimension.
bool Implies(const FactTable& t, const std::vector<Condition>& narrow, const std::vector<Condition>& broad) {
  for (const Condition& b : broad) {
    bool implied = false;
    for (const Condition& n : narrow) {
      if (n.dim != b.dim) continue;
      const int codes = static_cast<int>(CodeCount(t.dims[n.dim]));
      const auto [na, nz] = CodeInterval(n, codes);
      const auto [ba, bz] = CodeInterval(b, codes);
      implied = ba <= na && nz <= bz;
    }
    if (!implied) return false;
  }
  return true;
}

}  // namespace

std::vector<double> QuantileCuts(std::vector<double> values, int bands) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  std::vector<double> cuts;
  if (values.empty() || bands < 2) return cuts;
  std::sort(values.begin(), values.end());
  for (int i = 1; i < bands; ++i) {
    const size_t at = static_cast<size_t>(static_cast<double>(values.size()) * i / bands);
    const double c = RoundTwoDigits(values[std::min(at, values.size() - 1)]);
    if (c > values.front() && (cuts.empty() || c > cuts.back())) cuts.push_back(c);
  }
  return cuts;
}

uint16_t BandOf(const std::vector<double>& cuts, double v) {
  if (!std::isfinite(v)) return kAbsent;
  return static_cast<uint16_t>(std::upper_bound(cuts.begin(), cuts.end(), v) - cuts.begin());
}

void ConditionRange(const Dimension& d, const Condition& c, double& lo, double& hi) {
  lo = hi = std::numeric_limits<double>::quiet_NaN();
  if (!d.numeric) return;
  const auto cut = [&](int i) {
    return i < 0 || i >= static_cast<int>(d.cuts.size()) ? std::numeric_limits<double>::quiet_NaN()
                                                        : d.cuts[static_cast<size_t>(i)];
  };
  const int code = c.code;
  switch (c.op) {
    case Condition::kEq: lo = cut(code - 1), hi = cut(code); break;
    case Condition::kGe: lo = cut(code - 1); break;
    case Condition::kLt: hi = cut(code - 1); break;
  }
}

LevelOne CountLevelOne(const FactTable& table, uint32_t targets) {
  const size_t rows = table.rows(), dims = table.dims.size();
  // Rows fall into a few populations (distinct at_risk masks): count rows per population once.
  std::vector<uint32_t> masks;
  std::vector<uint8_t> population(rows);
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t m = table.at_risk[r] & targets;
    auto it = std::find(masks.begin(), masks.end(), m);
    if (it == masks.end()) {
      if (masks.size() == 255) return {};  // too many populations: let each search count for itself
      masks.push_back(m);
      it = masks.end() - 1;
    }
    population[r] = static_cast<uint8_t>(it - masks.begin());
  }
  LevelOne out(kMaxTargets);
  for (size_t d = 0; d < dims; ++d) {
    const size_t codes = CodeCount(table.dims[d]);
    std::vector<int64_t> n(masks.size() * codes, 0);
    std::vector<std::vector<int64_t>> k(kMaxTargets);
    const std::vector<uint16_t>& col = table.codes[d];
    for (size_t r = 0; r < rows; ++r) {
      const uint16_t c = col[r];
      if (c == kAbsent || c >= codes) continue;
      ++n[population[r] * codes + c];
      uint32_t e = table.error[r] & table.at_risk[r] & targets;
      while (e != 0) {
        const int t = __builtin_ctz(e);
        e &= e - 1;
        if (k[static_cast<size_t>(t)].empty()) k[static_cast<size_t>(t)].assign(codes, 0);
        ++k[static_cast<size_t>(t)][c];
      }
    }
    for (int t = 0; t < kMaxTargets; ++t) {
      if ((targets >> t & 1u) == 0) continue;
      auto& per_code = out[static_cast<size_t>(t)];
      per_code.resize(dims);
      per_code[d].assign(codes, {0, 0});
      for (size_t p = 0; p < masks.size(); ++p) {
        if ((masks[p] >> t & 1u) == 0) continue;
        for (size_t c = 0; c < codes; ++c) per_code[d][c].first += n[p * codes + c];
      }
      if (!k[static_cast<size_t>(t)].empty()) {
        for (size_t c = 0; c < codes; ++c) per_code[d][c].second = k[static_cast<size_t>(t)][c];
      }
    }
  }
  return out;
}

std::vector<SliceTest> SearchSlices(const FactTable& table, int table_index, int target,
                                    const SearchOptions& options, SearchSpace& space, const LevelOne* level_one) {
  int64_t& population = space.population;
  int64_t& errors = space.errors;
  space.hypotheses = 0;
  const uint32_t bit = uint32_t{1} << target;
  std::vector<uint32_t> rows;
  std::vector<uint8_t> err;
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) == 0) continue;
    rows.push_back(static_cast<uint32_t>(r));
    err.push_back((table.error[r] & bit) != 0 ? 1 : 0);
  }
  population = static_cast<int64_t>(rows.size());
  errors = 0;
  for (uint8_t e : err) errors += e;
  std::vector<SliceTest> tests;
  if (errors < options.min_errors) return tests;
  const int64_t N = population, K = errors;
  const size_t dims = table.dims.size();

  // Counts of every item on the rows at `positions` (indices into rows), over dimensions not used.
  std::vector<std::vector<Counts>> per_code(dims);
  auto histogram = [&](const std::vector<uint32_t>* positions, const std::vector<bool>& used) {
    std::vector<std::pair<Condition, Counts>> items;
    for (size_t d = 0; d < dims; ++d) {
      if (used[d]) continue;
      std::vector<Counts>& pc = per_code[d];
      pc.assign(CodeCount(table.dims[d]), Counts{});
      const std::vector<uint16_t>& col = table.codes[d];
      const size_t count = positions != nullptr ? positions->size() : rows.size();
      for (size_t i = 0; i < count; ++i) {
        const size_t p = positions != nullptr ? (*positions)[i] : i;
        const uint16_t c = col[rows[p]];
        if (c == kAbsent || c >= pc.size()) continue;
        ++pc[c].n;
        pc[c].k += err[p];
      }
      ExpandItems(table.dims[d], static_cast<uint16_t>(d), pc, items);
    }
    return items;
  };

  const double log_extend = std::log(options.extend_p);
  std::set<std::vector<Condition>> seen;
  std::vector<size_t> level;  // indices into tests of the current level's refinable slices
  {
    std::vector<bool> used(dims, false);
    std::vector<double> per_dim(dims, 0);
    std::vector<std::pair<Condition, Counts>> items;
    const bool counted = level_one != nullptr && level_one->size() > static_cast<size_t>(target) &&
                         (*level_one)[static_cast<size_t>(target)].size() == dims;
    if (counted) {
      for (size_t d = 0; d < dims; ++d) {
        std::vector<Counts> pc;
        for (const auto& [n, k] : (*level_one)[static_cast<size_t>(target)][d]) pc.push_back(Counts{n, k});
        ExpandItems(table.dims[d], static_cast<uint16_t>(d), pc, items);
      }
    } else {
      items = histogram(nullptr, used);
    }
    for (const auto& [cond, c] : items) {
      if (c.n < options.min_support || c.k < options.min_errors) continue;
      per_dim[cond.dim] += 1;
      SliceTest t{table_index, target, {cond}, c.n, c.k, SliceLogP(c.k, c.n, K, N)};
      tests.push_back(std::move(t));
      level.push_back(tests.size() - 1);
    }
    // Elementary symmetric sums e_1 .. e_max of the per-dimension counts: conjunctions of
    // conditions on distinct dimensions.
    std::vector<double> e(static_cast<size_t>(options.max_conditions) + 1, 0);
    e[0] = 1;
    for (double c : per_dim) {
      for (size_t j = e.size() - 1; j >= 1; --j) e[j] += e[j - 1] * c;
    }
    for (size_t j = 1; j < e.size(); ++j) space.hypotheses += e[j];
  }
  for (int depth = 1; depth < options.max_conditions; ++depth) {
    // The refinable slices of this level: significant enough, the beam's best.
    std::vector<size_t> refinable;
    for (size_t i : level) {
      if (tests[i].log_p <= log_extend && tests[i].errors < tests[i].support) refinable.push_back(i);
    }
    std::stable_sort(refinable.begin(), refinable.end(),
                     [&](size_t a, size_t b) { return tests[a].log_p < tests[b].log_p; });
    if (refinable.size() > options.beam) refinable.resize(options.beam);
    std::vector<size_t> next;
    for (size_t i : refinable) {
      const std::vector<Condition> parent = tests[i].conditions;
      const int64_t parent_n = tests[i].support;
      std::vector<uint32_t> positions;
      for (size_t p = 0; p < rows.size(); ++p) {
        if (Holds(table, parent, rows[p])) positions.push_back(static_cast<uint32_t>(p));
      }
      std::vector<bool> used(dims, false);
      for (const Condition& c : parent) used[c.dim] = true;
      for (const auto& [cond, c] : histogram(&positions, used)) {
        if (c.n < options.min_support || c.k < options.min_errors || c.n == parent_n) continue;
        std::vector<Condition> conds = parent;
        conds.push_back(cond);
        std::sort(conds.begin(), conds.end());
        if (!seen.insert(conds).second) continue;
        tests.push_back(SliceTest{table_index, target, std::move(conds), c.n, c.k, SliceLogP(c.k, c.n, K, N)});
        next.push_back(tests.size() - 1);
      }
    }
    level = std::move(next);
    if (level.empty()) break;
  }
  return tests;
}

std::vector<Finding> RemoveRedundancy(const FactTable& table, int target, const std::vector<SliceTest>& discoveries,
                                      const std::vector<double>& discovery_log_q, double log_cutoff,
                                      const SearchOptions& options,
                                      const std::vector<std::vector<Condition>>& precovered) {
  const uint32_t bit = uint32_t{1} << target;
  std::vector<uint32_t> rows;
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) != 0) rows.push_back(static_cast<uint32_t>(r));
  }
  int64_t N = static_cast<int64_t>(rows.size()), K = 0;
  for (uint32_t r : rows) K += (table.error[r] & bit) != 0 ? 1 : 0;

  std::vector<size_t> order(discoveries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const SliceTest& x = discoveries[a];
    const SliceTest& y = discoveries[b];
    if (x.log_p != y.log_p) return x.log_p < y.log_p;
    if (x.conditions.size() != y.conditions.size()) return x.conditions.size() < y.conditions.size();
    return x.errors > y.errors;
  });
  constexpr size_t kMaxExamined = 500;
  constexpr size_t kMaxPassedInARow = 64;  // stop after this many discoveries in a row add nothing
  if (order.size() > kMaxExamined) order.resize(kMaxExamined);
  size_t passed = 0;

  std::vector<uint8_t> covered(rows.size(), 0);
  int64_t cov_n = 0, cov_k = 0;
  for (size_t p = 0; p < rows.size(); ++p) {
    for (const std::vector<Condition>& c : precovered) {
      if (Holds(table, c, rows[p])) {
        covered[p] = 1;
        ++cov_n;
        cov_k += (table.error[rows[p]] & bit) != 0 ? 1 : 0;
        break;
      }
    }
  }
  const double log_refine = std::log(options.refine_p);
  std::vector<Finding> kept;
  for (size_t i : order) {
    if (kept.size() >= options.max_findings || passed >= kMaxPassedInARow) break;
    const SliceTest& s = discoveries[i];
    ++passed;
    // Inside a kept cause (or a cause known before): nothing of its own. No scan needed.
    if (std::any_of(kept.begin(), kept.end(), [&](const Finding& k) { return Implies(table, s.conditions, k.test.conditions); }) ||
        std::any_of(precovered.begin(), precovered.end(), [&](const auto& c) { return Implies(table, s.conditions, c); })) {
      continue;
    }
    int64_t rn = 0, rk = 0, in_cov_n = 0, in_cov_k = 0;
    double w_err = 0, w_all = 0;
    std::vector<std::string> examples;
    std::vector<uint32_t> members;
    const size_t nc = s.conditions.size();
    std::vector<int64_t> other_n(nc, 0), other_k(nc, 0);  // rows failing only condition j
    for (size_t p = 0; p < rows.size(); ++p) {
      const uint32_t r = rows[p];
      size_t failed = 0, which = 0;
      for (size_t j = 0; j < nc && failed < 2; ++j) {
        if (!s.conditions[j].Holds(table.codes[s.conditions[j].dim][r])) ++failed, which = j;
      }
      const bool e = (table.error[r] & bit) != 0;
      if (failed == 1) {
        ++other_n[which];
        other_k[which] += e ? 1 : 0;
      }
      if (failed != 0) continue;
      members.push_back(static_cast<uint32_t>(p));
      const double w = table.weight.empty() ? 1.0 : static_cast<double>(table.weight[r]);
      w_all += w;
      if (e) {
        w_err += w;
        if (!table.example.empty() && examples.size() < 5) examples.push_back(table.example[r]);
      }
      if (covered[p] != 0) {
        ++in_cov_n;
        in_cov_k += e ? 1 : 0;
      } else {
        ++rn;
        rk += e ? 1 : 0;
      }
    }
    bool informative = true;
    for (size_t j = 0; nc > 1 && j < nc; ++j) {
      const double lp = SliceLogP(s.errors, s.support, s.errors + other_k[j], s.support + other_n[j]);
      if (lp > log_refine) informative = false;
    }
    if (!informative) continue;
    const int64_t rest_n = N - s.support - (cov_n - in_cov_n);
    const int64_t rest_k = K - s.errors - (cov_k - in_cov_k);
    double residual = 0;
    if (rn > 0 && rk >= options.min_errors && rn >= options.min_support) {
      residual = SliceLogP(rk, rn, rk + rest_k, rn + rest_n);
    }
    if (!(rk >= options.min_errors && rn >= options.min_support && residual <= log_cutoff)) continue;
    passed = 0;
    for (uint32_t p : members) {
      if (covered[p] == 0) {
        covered[p] = 1;
        ++cov_n;
        cov_k += (table.error[rows[p]] & bit) != 0 ? 1 : 0;
      }
    }
    Finding f;
    f.test = s;
    f.log_q = discovery_log_q[i];
    f.population = N;
    f.population_errors = K;
    f.rest_support = N - s.support;
    f.rest_errors = K - s.errors;
    f.residual_log_p = residual;
    f.weight_errors = w_err;
    f.weight_at_risk = w_all;
    f.examples = std::move(examples);
    kept.push_back(std::move(f));
  }
  return kept;
}

}  // namespace gtops::rootcause
