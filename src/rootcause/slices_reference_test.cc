// SearchSlices and RemoveRedundancy against the row-by-row implementation they replaced (kept here
// as the oracle): on random tables, with absent and out-of-range codes, several targets, numeric
// bands, weights, examples and causes known before, both give exactly the same slices, counts,
// p-values, order and findings (docs/performance.md, "Root cause").
#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rootcause/significance.h"
#include "rootcause/slices.h"

namespace gtops::rootcause {
namespace {

// ---- The oracle: one scan of the population per refined slice and per examined discovery. ----

size_t RefCodeCount(const Dimension& d) { return d.numeric ? d.cuts.size() + 1 : d.values.size(); }

struct RefCounts {
  int64_t n = 0, k = 0;
};

void RefExpandItems(const Dimension& d, uint16_t dim, const std::vector<RefCounts>& per_code,
                    std::vector<std::pair<Condition, RefCounts>>& out) {
  for (size_t c = 0; c < per_code.size(); ++c) {
    out.push_back({Condition{dim, Condition::kEq, static_cast<uint16_t>(c)}, per_code[c]});
  }
  if (!d.numeric) return;
  RefCounts below, total;
  for (const RefCounts& c : per_code) total.n += c.n, total.k += c.k;
  for (size_t b = 1; b < per_code.size(); ++b) {
    below.n += per_code[b - 1].n;
    below.k += per_code[b - 1].k;
    out.push_back({Condition{dim, Condition::kLt, static_cast<uint16_t>(b)}, below});
    out.push_back({Condition{dim, Condition::kGe, static_cast<uint16_t>(b)}, RefCounts{total.n - below.n, total.k - below.k}});
  }
}

bool RefHolds(const FactTable& t, const std::vector<Condition>& conds, uint32_t row) {
  for (const Condition& c : conds) {
    if (!c.Holds(t.codes[c.dim][row])) return false;
  }
  return true;
}

double RefLogP(int64_t k, int64_t n, int64_t K, int64_t N) {
  if (static_cast<double>(k) * static_cast<double>(N - n) <= static_cast<double>(K - k) * static_cast<double>(n)) return 0;
  return LogFisherUpperTail(k, n, K, N);
}

bool RefImplies(const FactTable& t, const std::vector<Condition>& narrow, const std::vector<Condition>& broad) {
  const auto interval = [](const Condition& c, int codes) {
    return c.op == Condition::kEq ? std::pair<int, int>{c.code, c.code}
           : c.op == Condition::kGe ? std::pair<int, int>{c.code, codes - 1}
                                    : std::pair<int, int>{0, c.code - 1};
  };
  for (const Condition& b : broad) {
    bool implied = false;
    for (const Condition& n : narrow) {
      if (n.dim != b.dim) continue;
      const int codes = static_cast<int>(RefCodeCount(t.dims[n.dim]));
      const auto [na, nz] = interval(n, codes);
      const auto [ba, bz] = interval(b, codes);
      implied = ba <= na && nz <= bz;
    }
    if (!implied) return false;
  }
  return true;
}

std::vector<SliceTest> RefSearch(const FactTable& table, int target, const SearchOptions& options, SearchSpace& space) {
  space = SearchSpace{};
  const uint32_t bit = uint32_t{1} << target;
  std::vector<uint32_t> rows;
  std::vector<uint8_t> err;
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) == 0) continue;
    rows.push_back(static_cast<uint32_t>(r));
    err.push_back((table.error[r] & bit) != 0 ? 1 : 0);
  }
  space.population = static_cast<int64_t>(rows.size());
  for (uint8_t e : err) space.errors += e;
  std::vector<SliceTest> tests;
  if (space.errors < options.min_errors) return tests;
  const int64_t N = space.population, K = space.errors;
  const size_t dims = table.dims.size();
  auto histogram = [&](const std::vector<uint32_t>* positions, const std::vector<bool>& used) {
    std::vector<std::pair<Condition, RefCounts>> items;
    for (size_t d = 0; d < dims; ++d) {
      if (used[d]) continue;
      std::vector<RefCounts> pc(RefCodeCount(table.dims[d]));
      const size_t count = positions != nullptr ? positions->size() : rows.size();
      for (size_t i = 0; i < count; ++i) {
        const size_t p = positions != nullptr ? (*positions)[i] : i;
        const uint16_t c = table.codes[d][rows[p]];
        if (c == kAbsent || c >= pc.size()) continue;
        ++pc[c].n;
        pc[c].k += err[p];
      }
      RefExpandItems(table.dims[d], static_cast<uint16_t>(d), pc, items);
    }
    return items;
  };
  std::set<std::vector<Condition>> seen;
  std::vector<size_t> level;
  {
    std::vector<double> per_dim(dims, 0);
    for (const auto& [cond, c] : histogram(nullptr, std::vector<bool>(dims, false))) {
      if (c.n < options.min_support || c.k < options.min_errors) continue;
      per_dim[cond.dim] += 1;
      tests.push_back(SliceTest{0, target, {cond}, c.n, c.k, RefLogP(c.k, c.n, K, N)});
      level.push_back(tests.size() - 1);
    }
    std::vector<double> e(static_cast<size_t>(options.max_conditions) + 1, 0);
    e[0] = 1;
    for (double c : per_dim) {
      for (size_t j = e.size() - 1; j >= 1; --j) e[j] += e[j - 1] * c;
    }
    for (size_t j = 1; j < e.size(); ++j) space.hypotheses += e[j];
  }
  for (int depth = 1; depth < options.max_conditions; ++depth) {
    std::vector<size_t> refinable;
    for (size_t i : level) {
      if (tests[i].log_p <= std::log(options.extend_p) && tests[i].errors < tests[i].support) refinable.push_back(i);
    }
    std::stable_sort(refinable.begin(), refinable.end(), [&](size_t a, size_t b) { return tests[a].log_p < tests[b].log_p; });
    if (refinable.size() > options.beam) refinable.resize(options.beam);
    std::vector<size_t> next;
    for (size_t i : refinable) {
      const std::vector<Condition> parent = tests[i].conditions;
      std::vector<uint32_t> positions;
      for (size_t p = 0; p < rows.size(); ++p) {
        if (RefHolds(table, parent, rows[p])) positions.push_back(static_cast<uint32_t>(p));
      }
      std::vector<bool> used(dims, false);
      for (const Condition& c : parent) used[c.dim] = true;
      for (const auto& [cond, c] : histogram(&positions, used)) {
        if (c.n < options.min_support || c.k < options.min_errors || c.n == tests[i].support) continue;
        std::vector<Condition> conds = parent;
        conds.push_back(cond);
        std::sort(conds.begin(), conds.end());
        if (!seen.insert(conds).second) continue;
        tests.push_back(SliceTest{0, target, std::move(conds), c.n, c.k, RefLogP(c.k, c.n, K, N)});
        next.push_back(tests.size() - 1);
      }
    }
    level = std::move(next);
    if (level.empty()) break;
  }
  return tests;
}

std::vector<Finding> RefRemoveRedundancy(const FactTable& table, int target, const std::vector<SliceTest>& discoveries,
                                         const std::vector<double>& discovery_log_q, double log_cutoff,
                                         const SearchOptions& options, const std::vector<std::vector<Condition>>& precovered) {
  const uint32_t bit = uint32_t{1} << target;
  std::vector<uint32_t> rows;
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) != 0) rows.push_back(static_cast<uint32_t>(r));
  }
  const int64_t N = static_cast<int64_t>(rows.size());
  int64_t K = 0;
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
  if (order.size() > 500) order.resize(500);
  size_t passed = 0;
  std::vector<uint8_t> covered(rows.size(), 0);
  int64_t cov_n = 0, cov_k = 0;
  for (size_t p = 0; p < rows.size(); ++p) {
    for (const std::vector<Condition>& c : precovered) {
      if (RefHolds(table, c, rows[p])) {
        covered[p] = 1;
        ++cov_n;
        cov_k += (table.error[rows[p]] & bit) != 0 ? 1 : 0;
        break;
      }
    }
  }
  std::vector<Finding> kept;
  for (size_t i : order) {
    if (kept.size() >= options.max_findings || passed >= 64) break;
    const SliceTest& s = discoveries[i];
    ++passed;
    if (std::any_of(kept.begin(), kept.end(), [&](const Finding& k) { return RefImplies(table, s.conditions, k.test.conditions); }) ||
        std::any_of(precovered.begin(), precovered.end(), [&](const auto& c) { return RefImplies(table, s.conditions, c); })) {
      continue;
    }
    int64_t rn = 0, rk = 0, in_cov_n = 0, in_cov_k = 0;
    double w_err = 0, w_all = 0;
    std::vector<std::string> examples;
    std::vector<uint32_t> members;
    const size_t nc = s.conditions.size();
    std::vector<int64_t> other_n(nc, 0), other_k(nc, 0);
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
      if (RefLogP(s.errors, s.support, s.errors + other_k[j], s.support + other_n[j]) > std::log(options.refine_p)) {
        informative = false;
      }
    }
    if (!informative) continue;
    const int64_t rest_n = N - s.support - (cov_n - in_cov_n);
    const int64_t rest_k = K - s.errors - (cov_k - in_cov_k);
    double residual = 0;
    if (rn > 0 && rk >= options.min_errors && rn >= options.min_support) residual = RefLogP(rk, rn, rk + rest_k, rn + rest_n);
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

// ---- Random tables. ----

struct Rng {
  std::mt19937_64 engine;
  size_t Below(size_t n) { return static_cast<size_t>(engine() % n); }
};

// 3 to 7 dimensions (categorical of 2 to 9 values, numeric of 3 to 12 bands), a few absent and
// out-of-range codes, three targets of different populations, 1% to 5% background errors and up
// to three injected slices of one to three conditions with a high error rate, weights, examples.
FactTable RandomTable(uint64_t seed) {
  Rng rng{std::mt19937_64(seed)};
  FactTable t;
  const size_t dims = 3 + rng.Below(5), rows = 1500 + rng.Below(2500);
  for (size_t d = 0; d < dims; ++d) {
    Dimension dim;
    dim.key = "d" + std::to_string(d);
    dim.numeric = rng.Below(3) == 0;
    if (dim.numeric) {
      const size_t bands = 3 + rng.Below(10);
      for (size_t b = 1; b < bands; ++b) dim.cuts.push_back(static_cast<double>(b));
    } else {
      for (size_t v = 0, n = 2 + rng.Below(8); v < n; ++v) dim.values.push_back("v" + std::to_string(v));
    }
    t.dims.push_back(std::move(dim));
  }
  t.codes.assign(dims, std::vector<uint16_t>(rows));
  for (size_t d = 0; d < dims; ++d) {
    const size_t codes = t.dims[d].numeric ? t.dims[d].cuts.size() + 1 : t.dims[d].values.size();
    for (size_t r = 0; r < rows; ++r) {
      const size_t u = rng.Below(200);
      t.codes[d][r] = u == 0 ? kAbsent : u == 1 ? static_cast<uint16_t>(codes + rng.Below(3)) : static_cast<uint16_t>(rng.Below(codes));
    }
  }
  struct Fault {
    std::vector<Condition> conds;
    int target;
    size_t per_mille;
  };
  std::vector<Fault> faults;
  for (size_t f = 0, n = rng.Below(4); f < n; ++f) {
    Fault fault{{}, static_cast<int>(rng.Below(3)), 200 + rng.Below(500)};
    std::set<size_t> used;
    for (size_t c = 0, m = 1 + rng.Below(3); c < m && c < dims; ++c) {
      size_t d = rng.Below(dims);
      while (used.count(d) != 0) d = (d + 1) % dims;
      used.insert(d);
      const Dimension& dim = t.dims[d];
      const size_t codes = dim.numeric ? dim.cuts.size() + 1 : dim.values.size();
      Condition cond{static_cast<uint16_t>(d), Condition::kEq, static_cast<uint16_t>(rng.Below(codes))};
      if (dim.numeric && rng.Below(2) == 0) {
        cond.op = rng.Below(2) == 0 ? Condition::kGe : Condition::kLt;
        cond.code = static_cast<uint16_t>(1 + rng.Below(codes - 1));
      }
      fault.conds.push_back(cond);
    }
    faults.push_back(std::move(fault));
  }
  const size_t background = 10 + rng.Below(40);
  for (size_t r = 0; r < rows; ++r) {
    uint32_t risk = 1;
    if (rng.Below(4) != 0) risk |= 2;
    if (rng.Below(3) == 0) risk |= 4;
    uint32_t err = 0;
    for (int b = 0; b < 3; ++b) {
      if (rng.Below(1000) < background) err |= 1u << b;
    }
    for (const Fault& f : faults) {
      if (RefHolds(t, f.conds, static_cast<uint32_t>(r)) && rng.Below(1000) < f.per_mille) err |= 1u << f.target;
    }
    t.at_risk.push_back(risk);
    t.error.push_back(err & risk);
    t.weight.push_back(0.5f + static_cast<float>(rng.Below(8)) * 0.25f);
    t.example.push_back("f" + std::to_string(r / 10) + "/o" + std::to_string(r));
  }
  return t;
}

void ExpectSameTests(const std::vector<SliceTest>& a, const std::vector<SliceTest>& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].conditions, b[i].conditions) << where << " slice " << i;
    EXPECT_EQ(a[i].support, b[i].support) << where << " slice " << i;
    EXPECT_EQ(a[i].errors, b[i].errors) << where << " slice " << i;
    EXPECT_EQ(a[i].log_p, b[i].log_p) << where << " slice " << i;
    EXPECT_EQ(a[i].target, b[i].target) << where << " slice " << i;
  }
}

TEST(SlicesReference, SameSlicesAndFindingsAsTheRowByRowScanOnRandomTables) {
  size_t refined = 0, findings = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const FactTable t = RandomTable(seed);
    const LevelOne one = CountLevelOne(t, 7, 2);  // dimensions shared out between two threads
    SearchOptions o;
    o.extend_p = seed % 2 == 0 ? 0.05 : 1e-3;  // refine many slices, or only the strong ones
    o.beam = seed % 3 == 0 ? 4 : 16;
    std::vector<std::vector<Condition>> covered;  // target 0's findings, known before target 1 and 2
    for (int target = 0; target < 3; ++target) {
      const std::string where = "seed " + std::to_string(seed) + " target " + std::to_string(target);
      SearchSpace ref_space, space, counted_space;
      const std::vector<SliceTest> ref = RefSearch(t, target, o, ref_space);
      const std::vector<SliceTest> got = SearchSlices(t, 0, target, o, space);
      const std::vector<SliceTest> counted = SearchSlices(t, 0, target, o, counted_space, &one);
      ExpectSameTests(ref, got, where);
      ExpectSameTests(ref, counted, where + " (level one counted)");
      EXPECT_EQ(ref_space.population, space.population) << where;
      EXPECT_EQ(ref_space.errors, space.errors) << where;
      EXPECT_EQ(ref_space.hypotheses, space.hypotheses) << where;
      for (const SliceTest& s : ref) refined += s.conditions.size() > 1 ? 1 : 0;

      std::vector<double> log_p;
      for (const SliceTest& s : ref) log_p.push_back(s.log_p);
      const double untested = ref_space.hypotheses - static_cast<double>(ref.size());
      const std::vector<double> log_q = LogBenjaminiHochberg(log_p, untested);
      const double cutoff = LogBhCutoff(log_p, o.q, untested);
      std::vector<SliceTest> disc;
      std::vector<double> disc_q;
      for (size_t i = 0; i < ref.size(); ++i) {
        if (log_q[i] <= std::log(o.q)) disc.push_back(ref[i]), disc_q.push_back(log_q[i]);
      }
      const std::vector<std::vector<Condition>> before = target == 0 ? std::vector<std::vector<Condition>>{} : covered;
      const std::vector<Finding> want = RefRemoveRedundancy(t, target, disc, disc_q, cutoff, o, before);
      const std::vector<Finding> have = RemoveRedundancy(t, target, disc, disc_q, cutoff, o, before);
      ASSERT_EQ(want.size(), have.size()) << where;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(want[i].test.conditions, have[i].test.conditions) << where;
        EXPECT_EQ(want[i].test.log_p, have[i].test.log_p) << where;
        EXPECT_EQ(want[i].log_q, have[i].log_q) << where;
        EXPECT_EQ(want[i].population, have[i].population) << where;
        EXPECT_EQ(want[i].population_errors, have[i].population_errors) << where;
        EXPECT_EQ(want[i].rest_support, have[i].rest_support) << where;
        EXPECT_EQ(want[i].rest_errors, have[i].rest_errors) << where;
        EXPECT_EQ(want[i].residual_log_p, have[i].residual_log_p) << where;
        EXPECT_EQ(want[i].weight_errors, have[i].weight_errors) << where;
        EXPECT_EQ(want[i].weight_at_risk, have[i].weight_at_risk) << where;
        EXPECT_EQ(want[i].examples, have[i].examples) << where;
      }
      findings += want.size();
      if (target == 0) {
        for (const Finding& f : want) covered.push_back(f.test.conditions);
      }
    }
  }
  // The tables exercise refinement and redundancy removal, not only level 1.
  EXPECT_GT(refined, 1000u);
  EXPECT_GT(findings, 20u);
}

}  // namespace
}  // namespace gtops::rootcause
