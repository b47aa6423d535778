#include "stats/spc.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace gtops::stats {
namespace {

double PooledRate(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, size_t k) {
  int64_t sx = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (n[i] <= 0) continue;
    sx += failures[i];
    sn += n[i];
  }
  return sn > 0 ? static_cast<double>(sx) / static_cast<double>(sn) : NAN;
}

double Rate(int64_t x, int64_t n) { return static_cast<double>(x) / static_cast<double>(n); }

}  // namespace

std::vector<EwmaPoint> Ewma(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double lambda,
                            double L, double p0) {
  const size_t k = std::min(failures.size(), n.size());
  if (std::isnan(p0)) p0 = PooledRate(failures, n, k);
  std::vector<EwmaPoint> out(k);
  const double pq = p0 * (1 - p0), decay = (1 - lambda) * (1 - lambda);
  double z = p0, weight = 0;  // weight = sum lambda² (1-lambda)^{2(t-i)} / n_i
  for (size_t t = 0; t < k; ++t) {
    EwmaPoint& e = out[t];
    if (n[t] <= 0) {
      e.z = z, e.lcl = e.ucl = NAN;
      continue;
    }
    z = lambda * Rate(failures[t], n[t]) + (1 - lambda) * z;
    weight = weight * decay + lambda * lambda / static_cast<double>(n[t]);
    const double half = L * std::sqrt(pq * weight);
    e.z = z;
    e.lcl = p0 - half;
    e.ucl = p0 + half;
    e.signal = pq > 0 && (z < e.lcl || z > e.ucl);
  }
  return out;
}

std::vector<CusumPoint> Cusum(const std::vector<int64_t>& failures, const std::vector<int64_t>& n, double k,
                              double h, double p0) {
  const size_t len = std::min(failures.size(), n.size());
  if (std::isnan(p0)) p0 = PooledRate(failures, n, len);
  std::vector<CusumPoint> out(len);
  const double pq = p0 * (1 - p0);
  double up = 0, down = 0;
  int64_t up_start = -1, down_start = -1;
  for (size_t t = 0; t < len; ++t) {
    CusumPoint& c = out[t];
    if (n[t] > 0 && pq > 0) {
      const double z = (Rate(failures[t], n[t]) - p0) / std::sqrt(pq / static_cast<double>(n[t]));
      if (up == 0) up_start = static_cast<int64_t>(t);
      if (down == 0) down_start = static_cast<int64_t>(t);
      up = std::max(0.0, up + z - k);
      down = std::max(0.0, down - z - k);
    }
    c.upper = up, c.lower = down;
    c.signal_up = up > h;
    c.signal_down = down > h;
    if (c.signal_up) c.shift_start = up_start, up = 0;
    if (c.signal_down) c.shift_start = c.signal_up ? std::min(up_start, down_start) : down_start, down = 0;
  }
  return out;
}

namespace {

// A rule over windows of `width` consecutive finite values: fires on each window where `hit` holds.
struct Rule {
  int number;
  const char* name;
  int width;
  bool (*hit)(const double* w, int width);
};

bool Beyond3(const double* w, int) { return std::fabs(w[0]) > 3; }
bool NineOneSide(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return v > 0; }) || std::all_of(w, w + n, [](double v) { return v < 0; });
}
bool SixTrend(const double* w, int n) {
  bool up = true, down = true;
  for (int i = 1; i < n; ++i) up = up && w[i] > w[i - 1], down = down && w[i] < w[i - 1];
  return up || down;
}
bool FourteenAlternating(const double* w, int n) {
  for (int i = 2; i < n; ++i) {
    if ((w[i] - w[i - 1]) * (w[i - 1] - w[i - 2]) >= 0) return false;
  }
  return true;
}
// At least k of the n points beyond `limit` sigma on one side, the last point among them (so that
// the signal ends on a point that is itself unusual).
bool KOfNBeyond(const double* w, int n, int k, double limit) {
  for (double side : {1.0, -1.0}) {
    if (side * w[n - 1] <= limit) continue;
    int beyond = 0;
    for (int i = 0; i < n; ++i) beyond += side * w[i] > limit;
    if (beyond >= k) return true;
  }
  return false;
}
bool TwoOfThree(const double* w, int n) { return KOfNBeyond(w, n, 2, 2); }
bool FourOfFive(const double* w, int n) { return KOfNBeyond(w, n, 4, 1); }
bool FifteenWithin(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return std::fabs(v) < 1; });
}
bool EightBeyond(const double* w, int n) {
  return std::all_of(w, w + n, [](double v) { return std::fabs(v) > 1; }) &&
         std::any_of(w, w + n, [](double v) { return v > 1; }) && std::any_of(w, w + n, [](double v) { return v < -1; });
}

constexpr std::array<Rule, 8> kRules = {{
    {1, "beyond_3_sigma", 1, Beyond3},
    {2, "nine_one_side", 9, NineOneSide},
    {3, "six_trending", 6, SixTrend},
    {4, "fourteen_alternating", 14, FourteenAlternating},
    {5, "two_of_three_beyond_2_sigma", 3, TwoOfThree},
    {6, "four_of_five_beyond_1_sigma", 5, FourOfFive},
    {7, "fifteen_within_1_sigma", 15, FifteenWithin},
    {8, "eight_beyond_1_sigma", 8, EightBeyond},
}};

}  // namespace

std::vector<RuleSignal> NelsonRules(const std::vector<double>& z) {
  std::vector<RuleSignal> out;
  const int64_t len = static_cast<int64_t>(z.size());
  for (const Rule& rule : kRules) {
    bool open = false;
    RuleSignal current;
    for (int64_t end = rule.width - 1; end < len; ++end) {
      const int64_t start = end - rule.width + 1;
      const double* w = z.data() + start;
      const bool finite = std::all_of(w, w + rule.width, [](double v) { return std::isfinite(v); });
      const bool hit = finite && rule.hit(w, rule.width);
      if (hit && open && start <= current.end) {
        current.end = end;
      } else if (hit) {
        if (open) out.push_back(current);
        current = {rule.number, rule.name, start, end};
        open = true;
      }
    }
    if (open) out.push_back(current);
  }
  std::stable_sort(out.begin(), out.end(), [](const RuleSignal& a, const RuleSignal& b) {
    return a.start != b.start ? a.start < b.start : a.rule < b.rule;
  });
  return out;
}

std::vector<ChartPoint> UChart(const std::vector<int64_t>& counts, const std::vector<double>& units) {
  const size_t k = std::min(counts.size(), units.size());
  double sc = 0, sn = 0;
  for (size_t i = 0; i < k; ++i) {
    if (!(units[i] > 0)) continue;
    sc += static_cast<double>(counts[i]);
    sn += units[i];
  }
  const double u = sn > 0 ? sc / sn : NAN;
  std::vector<ChartPoint> out(k);
  for (size_t i = 0; i < k; ++i) {
    ChartPoint& c = out[i];
    c.center = u;
    if (!(units[i] > 0) || !(sn > 0)) {
      c.lcl = c.ucl = NAN;
      continue;
    }
    const double half = 3 * std::sqrt(u / units[i]);
    c.lcl = std::max(0.0, u - half);
    c.ucl = u + half;
    const double v = static_cast<double>(counts[i]) / units[i];
    c.out_of_control = v < c.lcl || v > c.ucl;
  }
  return out;
}

}  // namespace gtops::stats
