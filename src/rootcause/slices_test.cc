#include "rootcause/slices.h"

#include <cmath>

#include <gtest/gtest.h>

#include "rootcause/significance.h"

namespace gtops::rootcause {
namespace {

// A small deterministic generator (splitmix64) for synthetic tables.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

// 20,000 rows: vendor (3 values), class (4), weather (5), range_m banded; background error rate 1%,
// and `fault` (when set) raising it to 50% for vendor 1, class 2 and range >= 40.
FactTable Synthetic(bool fault, uint64_t seed) {
  FactTable t;
  t.dims = {Dimension{"vendor", false, {"a", "b", "c"}, {}}, Dimension{"class", false, {"car", "van", "truck", "bus"}, {}},
            Dimension{"scene.weather", false, {"clear", "rain", "fog", "snow", "cloudy"}, {}},
            Dimension{"range_m", true, {}, {}}};
  Rng rng{seed};
  const size_t n = 20000;
  std::vector<double> range(n);
  t.codes.assign(4, std::vector<uint16_t>(n));
  for (size_t r = 0; r < n; ++r) {
    t.codes[0][r] = static_cast<uint16_t>(rng.Next() % 3);
    t.codes[1][r] = static_cast<uint16_t>(rng.Next() % 4);
    t.codes[2][r] = static_cast<uint16_t>(rng.Next() % 5);
    range[r] = 80 * rng.Uniform();
  }
  t.dims[3].cuts = QuantileCuts(range);
  for (size_t r = 0; r < n; ++r) {
    t.codes[3][r] = BandOf(t.dims[3].cuts, range[r]);
    const bool in = fault && t.codes[0][r] == 1 && t.codes[1][r] == 2 && range[r] >= 40;
    t.at_risk.push_back(1);
    t.error.push_back(rng.Uniform() < (in ? 0.5 : 0.01) ? 1 : 0);
  }
  return t;
}

std::string Describe(const FactTable& t, const Finding& f) {
  std::string out;
  for (const Condition& c : f.test.conditions) {
    double lo = 0, hi = 0;
    ConditionRange(t.dims[c.dim], c, lo, hi);
    out += t.dims[c.dim].key + (t.dims[c.dim].numeric ? "[" + std::to_string(lo) + "," + std::to_string(hi) + ")"
                                                      : "=" + t.dims[c.dim].values[c.code]) + " ";
  }
  return out + std::to_string(f.test.errors) + "/" + std::to_string(f.test.support) + " log p " +
         std::to_string(f.test.log_p) + " residual " + std::to_string(f.residual_log_p);
}

struct Outcome {
  std::vector<SliceTest> tests;
  std::vector<Finding> findings;
};

Outcome SearchAndKeep(const FactTable& t) {
  SearchOptions o;
  SearchSpace space;
  Outcome out;
  out.tests = SearchSlices(t, 0, 0, o, space);
  EXPECT_GE(space.hypotheses, static_cast<double>(out.tests.size()));
  std::vector<double> lp;
  for (const SliceTest& s : out.tests) lp.push_back(s.log_p);
  const auto untested = static_cast<size_t>(space.hypotheses) - lp.size();
  const std::vector<double> lq = LogBenjaminiHochberg(lp, untested);
  const double cutoff = LogBhCutoff(lp, o.q, untested);
  std::vector<SliceTest> disc;
  std::vector<double> disc_q;
  for (size_t i = 0; i < out.tests.size(); ++i) {
    if (lq[i] <= std::log(o.q)) disc.push_back(out.tests[i]), disc_q.push_back(lq[i]);
  }
  out.findings = RemoveRedundancy(t, 0, disc, disc_q, cutoff, o);
  return out;
}

TEST(QuantileCuts, FollowTheDataRoundedToTwoDigits) {
  std::vector<double> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i * 0.1);  // 0 .. 99.9
  const std::vector<double> cuts = QuantileCuts(v);
  ASSERT_EQ(cuts.size(), 19u);
  EXPECT_DOUBLE_EQ(cuts.front(), 5);
  EXPECT_DOUBLE_EQ(cuts[7], 40);
  EXPECT_DOUBLE_EQ(cuts.back(), 95);
  EXPECT_EQ(BandOf(cuts, 4.99), 0);
  EXPECT_EQ(BandOf(cuts, 5), 1);
  EXPECT_EQ(BandOf(cuts, 120), 19);
  EXPECT_EQ(BandOf(cuts, NAN), kAbsent);
  EXPECT_TRUE(QuantileCuts({3, 3, 3}).empty());
}

TEST(SearchSlices, FindsTheInjectedConjunctionOnceWithABandInsideItsRange) {
  const FactTable t = Synthetic(true, 1);
  const Outcome out = SearchAndKeep(t);
  ASSERT_FALSE(out.findings.empty());
  const Finding& top = out.findings.front();
  ASSERT_EQ(top.test.conditions.size(), 3u);
  EXPECT_EQ(top.test.conditions[0].dim, 0);
  EXPECT_EQ(top.test.conditions[0].code, 1);
  EXPECT_EQ(top.test.conditions[1].dim, 1);
  EXPECT_EQ(top.test.conditions[1].code, 2);
  const Condition& range = top.test.conditions[2];
  double lo = 0, hi = 0;
  ConditionRange(t.dims[3], range, lo, hi);
  EXPECT_GE(lo, 36);  // within a band of the injected 40 (bands are 4 m wide)
  EXPECT_LE(lo, 44);
  EXPECT_TRUE(std::isnan(hi));
  // The cause is reported once: no other finding overlaps it.
  for (size_t i = 1; i < out.findings.size(); ++i) {
    ADD_FAILURE() << "first: " << Describe(t, top) << "; another: " << Describe(t, out.findings[i]);
  }
  // Every tested slice had the minimum support and errors.
  for (const SliceTest& s : out.tests) {
    EXPECT_GE(s.support, 5);
    EXPECT_GE(s.errors, 3);
  }
}

TEST(SearchSlices, LevelOneCountedForAllTargetsAtOnceGivesTheSameSlices) {
  FactTable t = Synthetic(true, 2);
  // A second target on every other row, with its own errors.
  for (size_t r = 0; r < t.rows(); ++r) {
    if (r % 2 == 0) t.at_risk[r] |= 2;
    if (r % 2 == 0 && (r / 2) % 37 == 0) t.error[r] |= 2;
  }
  const LevelOne one = CountLevelOne(t, 3);
  for (int target = 0; target < 2; ++target) {
    SearchSpace a, b;
    const std::vector<SliceTest> alone = SearchSlices(t, 0, target, SearchOptions{}, a);
    const std::vector<SliceTest> shared = SearchSlices(t, 0, target, SearchOptions{}, b, &one);
    ASSERT_EQ(alone.size(), shared.size());
    for (size_t i = 0; i < alone.size(); ++i) {
      EXPECT_EQ(alone[i].conditions, shared[i].conditions);
      EXPECT_EQ(alone[i].support, shared[i].support);
      EXPECT_EQ(alone[i].errors, shared[i].errors);
    }
    EXPECT_EQ(a.hypotheses, b.hypotheses);
    EXPECT_EQ(a.population, b.population);
  }
}

TEST(SearchSlices, NoFindingsWithoutAFault) {
  // At q = 0.05, a world without a cause shows one with a chance of at most 5%; seed 3 of these
  // five does (class=bus weather=clear range_m>=28: 20 errors of 666, p = 1.1e-5).
  int false_findings = 0;
  std::string seen;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const FactTable t = Synthetic(false, seed);
    for (const Finding& f : SearchAndKeep(t).findings) {
      ++false_findings;
      seen += "seed " + std::to_string(seed) + ": " + Describe(t, f) + "\n";
    }
  }
  EXPECT_LE(false_findings, 1) << seen;
}

TEST(RemoveRedundancy, DropsABroadSliceThatIsSignificantOnlyThroughANarrowOne) {
  // vendor a: 100 rows with 40 errors, all in its 50 class-x rows; elsewhere 1 error in 400.
  FactTable t;
  t.dims = {Dimension{"vendor", false, {"a", "b"}, {}}, Dimension{"class", false, {"x", "y"}, {}}};
  t.codes.assign(2, {});
  auto add = [&](uint16_t v, uint16_t c, int rows, int errors) {
    for (int i = 0; i < rows; ++i) {
      t.codes[0].push_back(v);
      t.codes[1].push_back(c);
      t.at_risk.push_back(1);
      t.error.push_back(i < errors ? 1 : 0);
    }
  };
  add(0, 0, 50, 40);
  add(0, 1, 50, 0);
  add(1, 0, 200, 1);
  add(1, 1, 200, 0);
  const Outcome out = SearchAndKeep(t);
  ASSERT_EQ(out.findings.size(), 1u);
  ASSERT_EQ(out.findings[0].test.conditions.size(), 2u);  // vendor a and class x, not vendor a alone
  EXPECT_EQ(out.findings[0].test.support, 50);
  EXPECT_EQ(out.findings[0].test.errors, 40);
  EXPECT_EQ(out.findings[0].rest_support, 450);
  EXPECT_EQ(out.findings[0].rest_errors, 1);
  // p of the kept slice: Fisher's upper tail of 40 of 50 with 41 errors among 500.
  EXPECT_DOUBLE_EQ(out.findings[0].test.log_p, LogFisherUpperTail(40, 50, 41, 500));
}

}  // namespace
}  // namespace gtops::rootcause
