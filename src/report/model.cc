#include "report/model.h"

namespace gtops::report {

std::string_view Name(GapStatus s) {
  switch (s) {
    case GapStatus::kMeets: return "meets";
    case GapStatus::kFails: return "fails";
    case GapStatus::kInconclusive: return "inconclusive";
    case GapStatus::kNoData: return "no_data";
  }
  return "no_data";
}

std::string Gap::SliceLabel() const {
  std::string out;
  for (const SliceCondition& c : slice) {
    if (!out.empty()) out += ' ';
    out += c.label;
  }
  return out;
}

void StatusCounts::Add(GapStatus s) {
  switch (s) {
    case GapStatus::kFails: ++fails; break;
    case GapStatus::kInconclusive: ++inconclusive; break;
    case GapStatus::kMeets: ++meets; break;
    case GapStatus::kNoData: ++no_data; break;
  }
}

StatusCounts CountStatuses(const std::vector<Gap>& gaps) {
  StatusCounts c;
  for (const Gap& g : gaps) c.Add(g.status);
  return c;
}

}  // namespace gtops::report
