#include "rootcause/slices.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <list>
#include <map>
#include <set>
#include <thread>

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


// A set of table rows, one bit per row.
using Bits = std::vector<uint64_t>;

size_t Words(size_t rows) { return (rows + 63) / 64; }

// The rows where `c` holds (Condition::Holds on every row, one sequential pass over its column).
Bits ConditionBits(const FactTable& t, const Condition& c) {
  const size_t rows = t.rows();
  Bits out(Words(rows), 0);
  const uint16_t* col = t.codes[c.dim].data();
  const auto fill = [&](auto holds) {
    for (size_t w = 0; w < out.size(); ++w) {
      const size_t base = w * 64, end = std::min(rows, base + 64);
      uint64_t x = 0;
      for (size_t r = base; r < end; ++r) x |= static_cast<uint64_t>(holds(col[r])) << (r - base);
      out[w] = x;
    }
  };
  const uint16_t code = c.code;
  switch (c.op) {
    case Condition::kEq: fill([code](uint16_t v) { return v == code && v != kAbsent; }); break;
    case Condition::kGe: fill([code](uint16_t v) { return v >= code && v != kAbsent; }); break;
    case Condition::kLt: fill([code](uint16_t v) { return v < code; }); break;
  }
  return out;
}

// The bitmaps of recently used conditions (least recently used dropped beyond `capacity`; the
// `capacity` - 1 most recent stay valid).
class BitsCache {
 public:
  BitsCache(const FactTable& t, size_t capacity) : table_(t), capacity_(std::max<size_t>(capacity, 4)) {}
  const Bits& Get(const Condition& c) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == c) {
        entries_.splice(entries_.begin(), entries_, it);
        return entries_.front().second;
      }
    }
    if (entries_.size() >= capacity_) entries_.pop_back();
    entries_.emplace_front(c, ConditionBits(table_, c));
    return entries_.front().second;
  }

 private:
  const FactTable& table_;
  size_t capacity_;
  std::list<std::pair<Condition, Bits>> entries_;
};

// base & every condition's rows.
Bits Intersect(BitsCache& cache, const Bits& base, const std::vector<Condition>& conds) {
  Bits out = base;
  for (const Condition& c : conds) {
    const Bits& b = cache.Get(c);
    for (size_t w = 0; w < out.size(); ++w) out[w] &= b[w];
  }
  return out;
}

// The rows of `bits`, ascending.
std::vector<uint32_t> RowsOf(const Bits& bits) {
  std::vector<uint32_t> out;
  size_t count = 0;
  for (uint64_t w : bits) count += static_cast<size_t>(__builtin_popcountll(w));
  out.reserve(count);
  for (size_t w = 0; w < bits.size(); ++w) {
    for (uint64_t x = bits[w]; x != 0; x &= x - 1) out.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(x))));
  }
  return out;
}

// Per-code counts of the dimensions `ds` over the rows `all` (n) and `err` (k), split into
// `slots` by `all_slot` / `err_slot` (the slot of each row; unused when slots == 1). Dimension
// ds[j] is at offset[j] of n and k: [slot * (codes + 1) + code], code `codes` taking absent and
// out-of-range codes.
void CountJoint(const FactTable& t, const std::vector<size_t>& ds, size_t slots, const std::vector<uint32_t>& all,
                const std::vector<uint16_t>& all_slot, const std::vector<uint32_t>& err,
                const std::vector<uint16_t>& err_slot, std::vector<uint32_t>& n, std::vector<uint32_t>& k,
                std::vector<size_t>& offset) {
  offset.clear();
  size_t total = 0;
  for (size_t d : ds) {
    offset.push_back(total);
    total += slots * (CodeCount(t.dims[d]) + 1);
  }
  n.assign(total, 0);
  k.assign(total, 0);
  std::vector<uint32_t> part;
  for (size_t j = 0; j < ds.size(); ++j) {
    const size_t codes = CodeCount(t.dims[ds[j]]), stride = codes + 1;
    const uint16_t* col = t.codes[ds[j]].data();
    uint32_t* hn = n.data() + offset[j];
    uint32_t* hk = k.data() + offset[j];
    const auto code = [&](uint32_t r) { return std::min<size_t>(col[r], codes); };
    if (slots == 1) {
      // Four interleaved histograms so that runs of one code do not wait on each other's stores.
      part.assign(4 * stride, 0);
      size_t i = 0;
      for (; i + 4 <= all.size(); i += 4) {
        ++part[code(all[i])];
        ++part[stride + code(all[i + 1])];
        ++part[2 * stride + code(all[i + 2])];
        ++part[3 * stride + code(all[i + 3])];
      }
      for (; i < all.size(); ++i) ++part[code(all[i])];
      for (size_t c = 0; c < stride; ++c) hn[c] = part[c] + part[stride + c] + part[2 * stride + c] + part[3 * stride + c];
      for (uint32_t r : err) ++hk[code(r)];
    } else {
      for (size_t i = 0; i < all.size(); ++i) ++hn[all_slot[i] * stride + code(all[i])];
      for (size_t i = 0; i < err.size(); ++i) ++hk[err_slot[i] * stride + code(err[i])];
    }
  }
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

LevelOne CountLevelOne(const FactTable& table, uint32_t targets, int threads) {
  const size_t rows = table.rows(), dims = table.dims.size();
  // Rows fall into a few populations (distinct at_risk masks): count rows per population once.
  std::vector<uint32_t> masks;
  std::vector<uint8_t> population(rows);
  std::vector<uint32_t> error_rows, error_bits;  // rows with an error of a chosen target, and those targets
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t m = table.at_risk[r] & targets;
    auto it = std::find(masks.begin(), masks.end(), m);
    if (it == masks.end()) {
      if (masks.size() == 255) return {};  // too many populations: let each search count for itself
      masks.push_back(m);
      it = masks.end() - 1;
    }
    population[r] = static_cast<uint8_t>(it - masks.begin());
    if (const uint32_t e = table.error[r] & m; e != 0) {
      error_rows.push_back(static_cast<uint32_t>(r));
      error_bits.push_back(e);
    }
  }
  LevelOne out(kMaxTargets);
  for (int t = 0; t < kMaxTargets; ++t) {
    if ((targets >> t & 1u) != 0) out[static_cast<size_t>(t)].resize(dims);
  }
  // One dimension at a time, dimensions shared out among the threads (each fills its own cells).
  const auto count_dim = [&](size_t d) {
    const size_t codes = CodeCount(table.dims[d]);
    std::vector<uint32_t> n(masks.size() * codes, 0);
    std::vector<std::vector<int64_t>> k(kMaxTargets);
    const uint16_t* col = table.codes[d].data();
    for (size_t r = 0; r < rows; ++r) {
      const uint16_t c = col[r];
      if (c < codes) ++n[population[r] * codes + c];
    }
    for (size_t i = 0; i < error_rows.size(); ++i) {
      const uint16_t c = col[error_rows[i]];
      if (c >= codes) continue;
      for (uint32_t e = error_bits[i]; e != 0; e &= e - 1) {
        const auto t = static_cast<size_t>(__builtin_ctz(e));
        if (k[t].empty()) k[t].assign(codes, 0);
        ++k[t][c];
      }
    }
    for (int t = 0; t < kMaxTargets; ++t) {
      if ((targets >> t & 1u) == 0) continue;
      std::vector<std::pair<int64_t, int64_t>>& per_code = out[static_cast<size_t>(t)][d];
      per_code.assign(codes, {0, 0});
      for (size_t p = 0; p < masks.size(); ++p) {
        if ((masks[p] >> t & 1u) == 0) continue;
        for (size_t c = 0; c < codes; ++c) per_code[c].first += n[p * codes + c];
      }
      if (!k[static_cast<size_t>(t)].empty()) {
        for (size_t c = 0; c < codes; ++c) per_code[c].second = k[static_cast<size_t>(t)][c];
      }
    }
  };
  std::atomic<size_t> next{0};
  const auto work = [&]() {
    for (size_t d = next++; d < dims; d = next++) count_dim(d);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(threads, static_cast<int>(dims)); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return out;
}

std::vector<SliceTest> SearchSlices(const FactTable& table, int table_index, int target,
                                    const SearchOptions& options, SearchSpace& space, const LevelOne* level_one) {
  int64_t& population = space.population;
  int64_t& errors = space.errors;
  space.hypotheses = 0;
  const uint32_t bit = uint32_t{1} << target;
  std::vector<uint32_t> rows, error_rows;
  Bits at_risk(Words(table.rows()), 0), erring(Words(table.rows()), 0);
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) == 0) continue;
    rows.push_back(static_cast<uint32_t>(r));
    at_risk[r / 64] |= uint64_t{1} << (r % 64);
    if ((table.error[r] & bit) != 0) {
      error_rows.push_back(static_cast<uint32_t>(r));
      erring[r / 64] |= uint64_t{1} << (r % 64);
    }
  }
  population = static_cast<int64_t>(rows.size());
  errors = static_cast<int64_t>(error_rows.size());
  std::vector<SliceTest> tests;
  if (errors < options.min_errors) return tests;
  const int64_t N = population, K = errors;
  const size_t dims = table.dims.size();
  BitsCache cache(table, 32);

  const double log_extend = std::log(options.extend_p);
  std::set<std::vector<Condition>> seen;
  std::vector<size_t> level;  // indices into tests of the current level's refinable slices
  std::vector<uint32_t> n_counts, k_counts;
  std::vector<size_t> offsets;
  const std::vector<uint16_t> no_slots;
  {
    std::vector<double> per_dim(dims, 0);
    std::vector<std::pair<Condition, Counts>> items;
    const bool counted = level_one != nullptr && level_one->size() > static_cast<size_t>(target) &&
                         (*level_one)[static_cast<size_t>(target)].size() == dims;
    std::vector<size_t> all_dims(dims);
    for (size_t d = 0; d < dims; ++d) all_dims[d] = d;
    if (!counted) CountJoint(table, all_dims, 1, rows, no_slots, error_rows, no_slots, n_counts, k_counts, offsets);
    for (size_t d = 0; d < dims; ++d) {
      std::vector<Counts> pc;
      if (counted) {
        for (const auto& [n, k] : (*level_one)[static_cast<size_t>(target)][d]) pc.push_back(Counts{n, k});
      } else {
        for (size_t c = 0; c < CodeCount(table.dims[d]); ++c) {
          pc.push_back(Counts{n_counts[offsets[d] + c], k_counts[offsets[d] + c]});
        }
      }
      ExpandItems(table.dims[d], static_cast<uint16_t>(d), pc, items);
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

    // Each parent's counts over every other dimension. Parents that differ only in their condition
    // on one dimension D (bands of a numeric field, values of one field) share one pass over the
    // rows of their other conditions, counting per code of D; a parent's counts are then the sum
    // over the codes its condition on D admits. All counts are integers: the same as one pass per
    // parent.
    using Key = std::pair<std::vector<Condition>, uint16_t>;  // the other conditions, D
    std::map<Key, size_t> key_count;
    const auto key_of = [&](size_t i, size_t j) {
      std::vector<Condition> rest = tests[i].conditions;
      rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(j));
      return Key{std::move(rest), tests[i].conditions[j].dim};
    };
    for (size_t i : refinable) {
      for (size_t j = 0; j < tests[i].conditions.size(); ++j) ++key_count[key_of(i, j)];
    }
    std::map<Key, std::vector<size_t>> groups;  // positions in `refinable`
    for (size_t pos = 0; pos < refinable.size(); ++pos) {
      const size_t i = refinable[pos];
      size_t best = 0, best_count = 0;
      for (size_t j = 0; j < tests[i].conditions.size(); ++j) {
        const size_t c = key_count[key_of(i, j)];
        if (c > best_count) best = j, best_count = c;
      }
      groups[key_of(i, best)].push_back(pos);
    }
    std::vector<std::vector<std::pair<Condition, Counts>>> items(refinable.size());
    const auto count_items = [&](const std::vector<size_t>& members, const Bits& bits, const std::vector<Condition>& base,
                                 int joint) {
      std::vector<uint32_t> all = RowsOf(bits), err;
      for (uint32_t r : all) {
        if ((erring[r / 64] >> (r % 64) & 1u) != 0) err.push_back(r);
      }
      std::vector<uint16_t> all_slot, err_slot;
      size_t slots = 1;
      if (joint >= 0) {
        const size_t codes = CodeCount(table.dims[static_cast<size_t>(joint)]);
        slots = codes + 2;
        const std::vector<uint16_t>& col = table.codes[static_cast<size_t>(joint)];
        const auto slot = [&](uint32_t r) {
          const uint16_t c = col[r];
          return static_cast<uint16_t>(c < codes ? c : c == kAbsent ? codes + 1 : codes);
        };
        for (uint32_t r : all) all_slot.push_back(slot(r));
        for (uint32_t r : err) err_slot.push_back(slot(r));
      }
      std::vector<bool> used(dims, false);
      for (const Condition& c : base) used[c.dim] = true;
      if (joint >= 0) used[static_cast<size_t>(joint)] = true;
      std::vector<size_t> counted_dims;
      for (size_t d = 0; d < dims; ++d) {
        if (!used[d]) counted_dims.push_back(d);
      }
      CountJoint(table, counted_dims, slots, all, all_slot, err, err_slot, n_counts, k_counts, offsets);
      for (size_t j = 0; j < counted_dims.size(); ++j) {
        const size_t d = counted_dims[j], stride = CodeCount(table.dims[d]) + 1;
        for (size_t pos : members) {
          int first = 0, last = 0;
          if (joint >= 0) {
            const size_t i = refinable[pos];
            const auto on = std::find_if(tests[i].conditions.begin(), tests[i].conditions.end(),
                                         [&](const Condition& c) { return c.dim == joint; });
            std::tie(first, last) = CodeInterval(*on, static_cast<int>(slots) - 2);
            if (on->op == Condition::kGe) last = static_cast<int>(slots) - 2;  // out-of-range codes are >= too
          }
          std::vector<Counts> pc(stride - 1);
          for (int sl = first; sl <= last; ++sl) {
            const size_t at = offsets[j] + static_cast<size_t>(sl) * stride;
            for (size_t c = 0; c + 1 < stride; ++c) {
              pc[c].n += n_counts[at + c];
              pc[c].k += k_counts[at + c];
            }
          }
          ExpandItems(table.dims[d], static_cast<uint16_t>(d), pc, items[pos]);
        }
      }
    };
    for (const auto& [key, members] : groups) {
      if (members.size() > 1) {
        int64_t sum = 0;
        for (size_t pos : members) sum += tests[refinable[pos]].support;
        Bits base = Intersect(cache, at_risk, key.first);
        int64_t base_rows = 0;
        for (uint64_t w : base) base_rows += __builtin_popcountll(w);
        if (sum > base_rows) {  // one pass over the shared rows costs less than one per parent
          count_items(members, base, key.first, key.second);
          continue;
        }
      }
      for (size_t pos : members) {
        const std::vector<Condition>& conds = tests[refinable[pos]].conditions;
        count_items({pos}, Intersect(cache, at_risk, conds), conds, -1);
      }
    }
    std::vector<size_t> next;
    for (size_t pos = 0; pos < refinable.size(); ++pos) {
      const size_t i = refinable[pos];
      const int64_t parent_n = tests[i].support;
      for (const auto& [cond, c] : items[pos]) {
        if (c.n < options.min_support || c.k < options.min_errors || c.n == parent_n) continue;
        std::vector<Condition> conds = tests[i].conditions;
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
  const size_t words = Words(table.rows());
  Bits at_risk(words, 0), erring(words, 0);
  for (size_t r = 0; r < table.rows(); ++r) {
    if ((table.at_risk[r] & bit) == 0) continue;
    at_risk[r / 64] |= uint64_t{1} << (r % 64);
    if ((table.error[r] & bit) != 0) erring[r / 64] |= uint64_t{1} << (r % 64);
  }
  const auto count = [](const Bits& b) {
    int64_t n = 0;
    for (uint64_t w : b) n += __builtin_popcountll(w);
    return n;
  };
  const auto count_and = [](const Bits& a, const Bits& b) {
    int64_t n = 0;
    for (size_t w = 0; w < a.size(); ++w) n += __builtin_popcountll(a[w] & b[w]);
    return n;
  };
  const int64_t N = count(at_risk), K = count(erring);

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

  size_t most_conditions = 0;  // the bitmaps of one discovery's conditions are used together
  for (const SliceTest& slice : discoveries) most_conditions = std::max(most_conditions, slice.conditions.size());
  BitsCache cache(table, std::max<size_t>(64, most_conditions + 1));
  Bits covered(words, 0);
  for (const std::vector<Condition>& c : precovered) {
    const Bits in = Intersect(cache, at_risk, c);
    for (size_t w = 0; w < words; ++w) covered[w] |= in[w];
  }
  int64_t cov_n = count(covered), cov_k = count_and(covered, erring);
  const double log_refine = std::log(options.refine_p);
  std::vector<Finding> kept;
  std::vector<const uint64_t*> cond_bits;
  for (size_t i : order) {
    if (kept.size() >= options.max_findings || passed >= kMaxPassedInARow) break;
    const SliceTest& s = discoveries[i];
    ++passed;
    // Inside a kept cause (or a cause known before): nothing of its own. No scan needed.
    if (std::any_of(kept.begin(), kept.end(), [&](const Finding& k) { return Implies(table, s.conditions, k.test.conditions); }) ||
        std::any_of(precovered.begin(), precovered.end(), [&](const auto& c) { return Implies(table, s.conditions, c); })) {
      continue;
    }
    // The slice's rows, and per condition the rows failing only that condition (as bit counts).
    const size_t nc = s.conditions.size();
    cond_bits.clear();
    for (const Condition& c : s.conditions) cond_bits.push_back(cache.Get(c).data());
    Bits members(words);
    int64_t rn = 0, rk = 0, in_cov_n = 0, in_cov_k = 0;
    std::vector<int64_t> other_n(nc, 0), other_k(nc, 0);
    for (size_t w = 0; w < words; ++w) {
      uint64_t all = at_risk[w];
      for (const uint64_t* b : cond_bits) all &= b[w];
      members[w] = all;
      const uint64_t e = erring[w], cov = covered[w];
      rn += __builtin_popcountll(all & ~cov);
      rk += __builtin_popcountll(all & ~cov & e);
      in_cov_n += __builtin_popcountll(all & cov);
      in_cov_k += __builtin_popcountll(all & cov & e);
      if (nc < 2) continue;
      for (size_t j = 0; j < nc; ++j) {
        uint64_t only = at_risk[w] & ~cond_bits[j][w];
        for (size_t o = 0; o < nc; ++o) {
          if (o != j) only &= cond_bits[o][w];
        }
        other_n[j] += __builtin_popcountll(only);
        other_k[j] += __builtin_popcountll(only & e);
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
    // Kept: its weights and examples in row order, and its rows covered from now on.
    double w_err = 0, w_all = 0;
    std::vector<std::string> examples;
    for (size_t w = 0; w < words; ++w) {
      for (uint64_t x = members[w]; x != 0; x &= x - 1) {
        const size_t r = w * 64 + static_cast<size_t>(__builtin_ctzll(x));
        const double wt = table.weight.empty() ? 1.0 : static_cast<double>(table.weight[r]);
        w_all += wt;
        if ((erring[w] >> (r % 64) & 1u) != 0) {
          w_err += wt;
          if (!table.example.empty() && examples.size() < 5) examples.push_back(table.example[r]);
        }
      }
      cov_n += __builtin_popcountll(members[w] & ~covered[w]);
      cov_k += __builtin_popcountll(members[w] & ~covered[w] & erring[w]);
      covered[w] |= members[w];
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
