// Calibration of the checks' evidence, the review queue and auditor calibration
// (docs/quality-checks.md).
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "checks/checks.h"

namespace gtops::checks {

namespace {

struct Block {
  double sum = 0, weight = 0;
  size_t first = 0, last = 0;
};

// Beta-smoothed share per bin towards `prior(bin)`, then pool adjacent violators (weights:
// findings + prior strength), so that probability never falls as evidence rises.
void Smooth(CheckCalibration& c, double strength, const std::function<double(size_t)>& prior) {
  std::vector<Block> blocks;
  for (size_t b = 0; b < c.bins.size(); ++b) {
    const CalibrationBin& bin = c.bins[b];
    const double w = static_cast<double>(bin.findings) + strength;
    const double p = (static_cast<double>(bin.confirmed) + strength * prior(b)) / w;
    blocks.push_back(Block{p * w, w, b, b});
    while (blocks.size() >= 2) {
      Block& last = blocks.back();
      Block& prev = blocks[blocks.size() - 2];
      if (prev.sum / prev.weight <= last.sum / last.weight) break;
      prev.sum += last.sum;
      prev.weight += last.weight;
      prev.last = last.last;
      blocks.pop_back();
    }
  }
  for (const Block& blk : blocks) {
    for (size_t b = blk.first; b <= blk.last; ++b) c.bins[b].probability = blk.sum / blk.weight;
  }
}

// A queue item: one (frame, record, label or predicted geometry, suspected type).
using ItemKey = std::tuple<std::string_view, std::string_view, std::string_view, std::string_view, int>;

ItemKey KeyOf(const FindingRow& f) {
  return ItemKey{f.frame, f.producer, f.object_id,
                 f.object_id.empty() ? std::string_view(f.geometry_json) : std::string_view(), static_cast<int>(f.type)};
}

int BinOf(double evidence, size_t bins) {
  return std::min(static_cast<int>(bins) - 1, static_cast<int>(evidence * static_cast<double>(bins)));
}

}  // namespace

std::vector<CheckCalibration> Calibrate(const std::vector<RawFinding>& findings, const CalibrationOptions& options) {
  const int nbins = std::max(1, options.bins);
  std::map<std::pair<std::string, std::string>, CheckCalibration> by_key;
  auto add = [&](const std::string& check, const std::string& stratum, const RawFinding& f) {
    CheckCalibration& c = by_key[{check, stratum}];
    if (c.bins.empty()) {
      c.check = check;
      c.stratum = stratum;
      for (int b = 0; b < nbins; ++b) {
        c.bins.push_back(CalibrationBin{static_cast<double>(b) / nbins, static_cast<double>(b + 1) / nbins, 0, 0, 0});
      }
    }
    CalibrationBin& bin = c.bins[static_cast<size_t>(BinOf(f.row.evidence, c.bins.size()))];
    ++bin.findings;
    if (*f.confirmed) ++bin.confirmed;
  };
  for (const RawFinding& f : findings) {
    if (!f.confirmed) continue;
    add(f.row.check, "", f);
    if (!f.stratum.empty()) add(f.row.check, f.stratum, f);
  }
  // Each check first (the map orders "" before any stratum of it), then its strata.
  std::vector<CheckCalibration> out;
  out.reserve(by_key.size());
  size_t parent = 0;
  for (auto& [key, c] : by_key) {
    if (key.second.empty()) {
      Smooth(c, options.prior_strength, [nbins](size_t b) { return (static_cast<double>(b) + 0.5) / nbins; });
      parent = out.size();
    } else {
      Smooth(c, options.prior_strength, [&](size_t b) { return out[parent].bins[b].probability; });
    }
    out.push_back(c);
  }
  return out;
}

void ApplyCalibration(const std::vector<CheckCalibration>& calibration, std::vector<RawFinding>& findings) {
  std::map<std::pair<std::string_view, std::string_view>, const CheckCalibration*> by_key;
  for (const CheckCalibration& c : calibration) by_key.emplace(std::make_pair(std::string_view(c.check), std::string_view(c.stratum)), &c);
  for (RawFinding& f : findings) {
    FindingRow& r = f.row;
    r.probability = r.evidence;
    auto it = by_key.find({r.check, f.stratum});
    if (it == by_key.end()) it = by_key.find({r.check, std::string_view()});
    if (it != by_key.end()) {
      const auto& bins = it->second->bins;
      r.probability = bins[static_cast<size_t>(BinOf(r.evidence, bins.size()))].probability;
    }
    r.score = r.probability * r.safety_weight * SeverityFactor(r.severity);
  }
}

int64_t DropBelowFloor(std::vector<RawFinding>& findings, double floor) {
  // An item's findings share its frame. TaskChecker appends each frame's findings together, so
  // items are looked for within runs of one frame (all findings at once if a frame recurs).
  std::vector<std::pair<size_t, size_t>> runs;
  std::unordered_set<std::string_view> frames;
  for (size_t b = 0; b < findings.size();) {
    size_t e = b + 1;
    while (e < findings.size() && findings[e].row.frame == findings[b].row.frame) ++e;
    if (!frames.insert(findings[b].row.frame).second) {
      runs.assign(1, {0, findings.size()});
      break;
    }
    runs.emplace_back(b, e);
    b = e;
  }
  std::vector<bool> drop(findings.size(), false);
  int64_t dropped = 0;
  std::vector<size_t> idx;
  for (const auto& [b, e] : runs) {
    bool any_low = false;
    for (size_t i = b; i < e && !any_low; ++i) any_low = findings[i].row.probability < floor;
    if (!any_low) continue;
    idx.resize(e - b);
    for (size_t i = b; i < e; ++i) idx[i - b] = i;
    // Grouped by item, each item's findings in their order (as BuildQueue combines them).
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t x, size_t y) { return KeyOf(findings[x].row) < KeyOf(findings[y].row); });
    for (size_t g = 0; g < idx.size();) {
      const ItemKey key = KeyOf(findings[idx[g]].row);
      size_t h = g;
      double miss = 1;
      while (h < idx.size() && KeyOf(findings[idx[h]].row) == key) {
        miss *= 1 - std::clamp(findings[idx[h]].row.probability, 0.0, 1.0);
        ++h;
      }
      if (1 - miss < floor) {
        for (size_t k = g; k < h; ++k) drop[idx[k]] = true;
        dropped += static_cast<int64_t>(h - g);
      }
      g = h;
    }
  }
  frames.clear();  // its views point into the findings moved below
  size_t w = 0;
  for (size_t i = 0; i < findings.size(); ++i) {
    if (drop[i]) continue;
    if (w != i) findings[w] = std::move(findings[i]);
    ++w;
  }
  findings.resize(w);
  return dropped;
}

Queue BuildQueue(std::string_view pipeline, int64_t frames_checked, const std::vector<FindingRow>& findings,
                 const QueueOptions& options) {
  // One item per (frame, record, label or predicted geometry, type).
  std::map<ItemKey, size_t> index;
  struct Acc {
    QueueItem item;
    double miss = 1;  // product of (1 - p)
    double weight = 1;
  };
  std::vector<Acc> acc;
  for (const FindingRow& f : findings) {
    auto [it, inserted] = index.emplace(KeyOf(f), acc.size());
    if (inserted) {
      Acc a;
      a.item.pipeline = f.pipeline;
      a.item.frame = f.frame;
      a.item.task = f.task;
      a.item.producer = f.producer;
      a.item.object = f.object_id;
      a.item.cls = f.cls;
      a.item.suspected = f.type;
      a.item.severity = f.severity;
      a.item.geometry_json = f.geometry_json;
      a.weight = f.safety_weight;
      acc.push_back(std::move(a));
    }
    Acc& a = acc[it->second];
    a.miss *= 1 - std::clamp(f.probability, 0.0, 1.0);
    a.weight = std::max(a.weight, f.safety_weight);
    a.item.severity = std::max(a.item.severity, f.severity);
    a.item.reasons.push_back(fmt::format("{} (p {:.2f}): {}", f.check, f.probability, f.reason));
  }
  // Keyed by value: the items' own strings move into the frames below.
  std::map<std::string, QueueFrame> frames;
  for (Acc& a : acc) {
    a.item.probability = 1 - a.miss;
    if (a.item.probability < options.min_probability) continue;
    a.item.score = a.item.probability * a.weight * SeverityFactor(a.item.severity);
    QueueFrame& fr = frames[a.item.frame];
    fr.frame = a.item.frame;
    fr.items.push_back(std::move(a.item));
  }
  Queue q;
  q.pipeline = std::string(pipeline);
  q.frames_checked = frames_checked;
  for (auto& [name, fr] : frames) {
    std::stable_sort(fr.items.begin(), fr.items.end(),
                     [](const QueueItem& a, const QueueItem& b) { return a.score > b.score; });
    // The k-th item of the same suspected type and class in a frame adds score / k: repeats of
    // one pattern in a frame are most often one systematic cause, which one review shows.
    std::map<std::pair<ErrorType, std::string_view>, int> seen;
    for (const QueueItem& it : fr.items) fr.score += it.score / ++seen[{it.suspected, it.cls}];
    q.frames.push_back(std::move(fr));
  }
  std::stable_sort(q.frames.begin(), q.frames.end(),
                   [](const QueueFrame& a, const QueueFrame& b) { return a.score > b.score; });
  int64_t budget = static_cast<int64_t>(q.frames.size());
  if (options.budget_frames) budget = *options.budget_frames;
  if (options.budget_frac) budget = static_cast<int64_t>(std::ceil(*options.budget_frac * static_cast<double>(frames_checked)));
  q.budget_frames = std::max<int64_t>(0, budget);
  if (static_cast<int64_t>(q.frames.size()) > q.budget_frames) q.frames.resize(static_cast<size_t>(q.budget_frames));
  return q;
}

std::vector<AuditorStats> CalibrateAuditors(const std::vector<AuditedFrame>& frames) {
  std::map<std::string, AuditorStats> by;
  for (const AuditedFrame& f : frames) {
    AuditorStats& s = by[f.auditor];
    s.auditor = f.auditor;
    ++s.frames;
    std::vector<bool> used(f.reported.size(), false);
    for (const auto& g : f.gold_errors) {
      ++s.gold_errors;
      for (size_t k = 0; k < f.reported.size(); ++k) {
        if (!used[k] && f.reported[k] == g) {
          used[k] = true;
          ++s.found;
          break;
        }
      }
    }
    s.reported += static_cast<int64_t>(f.reported.size());
    for (bool u : used) s.false_alarms += u ? 0 : 1;
  }
  std::vector<AuditorStats> out;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (auto& [name, s] : by) {
    s.recall = s.gold_errors > 0 ? static_cast<double>(s.found) / static_cast<double>(s.gold_errors) : kNaN;
    s.false_alarm_rate = s.reported > 0 ? static_cast<double>(s.false_alarms) / static_cast<double>(s.reported) : kNaN;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gtops::checks
