#include "report/gaps.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace gtops::report {

Judgement Judge(double value, double lo, double hi, double target, bool higher_is_better, int64_t clusters) {
  Judgement j;
  if (std::isnan(value)) {
    j.gap = NAN;
    return j;
  }
  if (std::isnan(lo) || std::isnan(hi)) lo = hi = value;
  j.gap = higher_is_better ? value - target : target - value;
  // Distance of each end from the target, positive on the right side.
  const double good_lo = higher_is_better ? lo - target : target - hi;
  const double good_hi = higher_is_better ? hi - target : target - lo;
  if (good_lo >= 0) {
    j.status = GapStatus::kMeets;
  } else if (good_hi < 0) {
    j.status = GapStatus::kFails;
  } else {
    j.status = GapStatus::kInconclusive;
    const double d = std::fabs(value - target);
    // The half-width on the side that crosses the target.
    const double h = (value >= target) ? value - lo : hi - value;
    if (d > 0 && clusters > 0 && h > 0) {
      const double k = static_cast<double>(clusters);
      const double needed = k * (h / d) * (h / d);
      j.additional_audits = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(needed - k)));
    }
  }
  return j;
}

namespace {
int Rank(GapStatus s) {
  switch (s) {
    case GapStatus::kFails: return 0;
    case GapStatus::kInconclusive: return 1;
    case GapStatus::kNoData: return 2;
    case GapStatus::kMeets: return 3;
  }
  return 4;
}
double RelativeGap(const Gap& g) {
  if (std::isnan(g.gap)) return 0;
  const double scale = std::fabs(g.target) > 0 ? std::fabs(g.target) : 1.0;
  return g.gap / scale;
}
}  // namespace

void SortGaps(std::vector<Gap>& gaps) {
  std::stable_sort(gaps.begin(), gaps.end(), [](const Gap& a, const Gap& b) {
    const int ra = Rank(a.status), rb = Rank(b.status);
    if (ra != rb) return ra < rb;
    const double ga = RelativeGap(a), gb = RelativeGap(b);
    if (ga != gb) return ga < gb;
    return std::tie(a.pipeline, a.metric, a.vendor) < std::tie(b.pipeline, b.metric, b.vendor) ||
           (std::tie(a.pipeline, a.metric, a.vendor) == std::tie(b.pipeline, b.metric, b.vendor) &&
            a.SliceLabel() < b.SliceLabel());
  });
}

}  // namespace gtops::report
