#include "quality/mot_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "quality/assignment.h"

namespace gtops::quality {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// py-motmetrics forbids a pair when its distance 1 - IoU exceeds this.
constexpr double kMaxDistance = 0.5;

double QuietDivide(double a, double b) { return b == 0.0 ? (a == 0.0 ? kNaN : a / b) : a / b; }

// TrackEval's _calculate_box_ious (xywh), operation for operation: HOTA's thresholds compare
// these values directly.
void BoxIous(const std::vector<TrackBox>& gt, const std::vector<TrackBox>& tr, double* out) {
  const std::size_t nt = tr.size();
  for (std::size_t i = 0; i < gt.size(); ++i) {
    const TrackBox& a = gt[i];
    const double ax1 = a.x + a.width, ay1 = a.y + a.height;
    const double area_a = (ax1 - a.x) * (ay1 - a.y);
    for (std::size_t j = 0; j < nt; ++j) {
      const TrackBox& b = tr[j];
      const double bx1 = b.x + b.width, by1 = b.y + b.height;
      const double area_b = (bx1 - b.x) * (by1 - b.y);
      double inter = std::max(std::min(ax1, bx1) - std::max(a.x, b.x), 0.0) *
                     std::max(std::min(ay1, by1) - std::max(a.y, b.y), 0.0);
      double uni = area_a + area_b - inter;
      if (area_a <= kEps || area_b <= kEps || uni <= kEps) inter = 0.0;
      if (uni <= kEps) uni = 1.0;
      out[i * nt + j] = inter / uni;
    }
  }
}

// Maps arbitrary int64 ids to 0, 1, 2, ... in order of first appearance.
class IdIndex {
 public:
  std::uint32_t Get(std::int64_t id) {
    auto [it, inserted] = map_.try_emplace(id, static_cast<std::uint32_t>(map_.size()));
    return it->second;
  }
  std::size_t size() const { return map_.size(); }

 private:
  std::unordered_map<std::int64_t, std::uint32_t> map_;
};

std::uint64_t PairKey(std::uint32_t g, std::uint32_t t) {
  return (static_cast<std::uint64_t>(g) << 32) | t;
}

// Per ground-truth object state of the CLEAR pass.
struct ObjectState {
  std::int64_t frames = 0;    // frames in which the object is present
  std::int64_t tracked = 0;   // of which matched
  std::int64_t last_hyp = 0;  // tracker id of its last match (py-motmetrics' m[o])
  bool has_last = false;
  bool seen_tracked = false;  // matched at least once so far
  bool in_miss_run = false;   // missed since its last match
  std::int64_t fragmentations = 0;
};

void FinishHota(HotaMetrics& h) {
  for (int a = 0; a < kHotaAlphaCount; ++a) {
    const double tp = static_cast<double>(h.tp[a]);
    const double fn = static_cast<double>(h.fn[a]);
    const double fp = static_cast<double>(h.fp[a]);
    h.det_re[a] = tp / std::max(1.0, tp + fn);
    h.det_pr[a] = tp / std::max(1.0, tp + fp);
    h.det_a[a] = tp / std::max(1.0, tp + fn + fp);
    h.hota[a] = std::sqrt(h.det_a[a] * h.ass_a[a]);
  }
  auto mean = [](const HotaMetrics::PerAlpha& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / kHotaAlphaCount;
  };
  h.hota_mean = mean(h.hota);
  h.det_a_mean = mean(h.det_a);
  h.ass_a_mean = mean(h.ass_a);
  h.det_re_mean = mean(h.det_re);
  h.det_pr_mean = mean(h.det_pr);
  h.ass_re_mean = mean(h.ass_re);
  h.ass_pr_mean = mean(h.ass_pr);
  h.loc_a_mean = mean(h.loc_a);
}

void FinishClear(ClearMotMetrics& c) {
  const double objects = static_cast<double>(c.num_objects);
  const double detections = static_cast<double>(c.num_matches + c.num_switches);
  c.mota = 1.0 - QuietDivide(static_cast<double>(c.num_misses + c.num_switches +
                                                 c.num_false_positives),
                             objects);
  c.motp = QuietDivide(c.distance_sum, detections);
  c.recall = QuietDivide(detections, objects);
  c.precision = QuietDivide(detections, detections + static_cast<double>(c.num_false_positives));
}

void FinishIdentity(IdentityMetrics& m, std::int64_t num_objects, std::int64_t num_predictions) {
  m.idfn = num_objects - m.idtp;
  m.idfp = num_predictions - m.idtp;
  const double tp = static_cast<double>(m.idtp);
  m.idf1 = QuietDivide(2.0 * tp, static_cast<double>(num_objects + num_predictions));
  m.idp = QuietDivide(tp, tp + static_cast<double>(m.idfp));
  m.idr = QuietDivide(tp, tp + static_cast<double>(m.idfn));
}

}  // namespace

double HotaAlpha(int a) { return 0.05 + static_cast<double>(a) * 0.05; }

TrackingMetrics EvaluateTracking(const TrackingSequence& sequence) {
  TrackingMetrics out;
  out.name = sequence.name;
  ClearMotMetrics& clear = out.clear;

  IdIndex gt_index, tr_index;
  std::vector<ObjectState> objects;
  std::vector<std::int64_t> gt_id_count, tr_id_count;

  // Every (gt id, tracker id) pair that ever overlaps: HOTA's potential matches and, for pairs
  // with IoU >= 0.5, the identity metrics' co-occurrence counts.
  std::unordered_map<std::uint64_t, std::uint32_t> pair_index;
  std::vector<std::uint32_t> pair_gt, pair_tr;
  std::vector<double> potential;
  std::vector<std::int64_t> cooccur;

  // Per-frame IoU matrices and their pair indices, kept for HOTA's second pass.
  std::vector<double> ious;
  std::vector<std::uint32_t> ious_pair;
  std::vector<std::size_t> frame_offset;
  frame_offset.reserve(sequence.frames.size() + 1);

  std::vector<std::uint32_t> gidx, tidx;
  std::vector<double> row_sum, col_sum, dist;
  std::vector<unsigned char> gt_done, tr_done;
  std::vector<std::size_t> rows_left, cols_left;
  AssignmentSolver solver;

  for (const TrackingFrame& f : sequence.frames) {
    const std::size_t ng = f.gt.size(), nt = f.tracker.size();
    ++clear.num_frames;
    clear.num_objects += static_cast<std::int64_t>(ng);
    clear.num_predictions += static_cast<std::int64_t>(nt);
    gidx.resize(ng);
    tidx.resize(nt);
    for (std::size_t i = 0; i < ng; ++i) {
      gidx[i] = gt_index.Get(f.gt[i].id);
      if (gidx[i] == objects.size()) {
        objects.emplace_back();
        gt_id_count.push_back(0);
      }
      ++gt_id_count[gidx[i]];
      ++objects[gidx[i]].frames;
    }
    for (std::size_t j = 0; j < nt; ++j) {
      tidx[j] = tr_index.Get(f.tracker[j].id);
      if (tidx[j] == tr_id_count.size()) tr_id_count.push_back(0);
      ++tr_id_count[tidx[j]];
    }

    const std::size_t base = ious.size();
    frame_offset.push_back(base);
    ious.resize(base + ng * nt);
    ious_pair.resize(base + ng * nt);
    double* iou = ious.data() + base;
    BoxIous(f.gt, f.tracker, iou);

    // HOTA first pass: similarity normalised by the row and column sums.
    row_sum.assign(ng, 0.0);
    col_sum.assign(nt, 0.0);
    for (std::size_t i = 0; i < ng; ++i) {
      for (std::size_t j = 0; j < nt; ++j) {
        row_sum[i] += iou[i * nt + j];
        col_sum[j] += iou[i * nt + j];
      }
    }
    for (std::size_t i = 0; i < ng; ++i) {
      for (std::size_t j = 0; j < nt; ++j) {
        const double s = iou[i * nt + j];
        std::uint32_t p = std::numeric_limits<std::uint32_t>::max();
        if (s > 0.0) {
          auto [it, inserted] =
              pair_index.try_emplace(PairKey(gidx[i], tidx[j]), static_cast<std::uint32_t>(pair_gt.size()));
          if (inserted) {
            pair_gt.push_back(gidx[i]);
            pair_tr.push_back(tidx[j]);
            potential.push_back(0.0);
            cooccur.push_back(0);
          }
          p = it->second;
          const double denom = col_sum[j] + row_sum[i] - s;
          if (denom > kEps) potential[p] += s / denom;
          if (1.0 - s <= kMaxDistance) ++cooccur[p];
        }
        ious_pair[base + i * nt + j] = p;
      }
    }

    // CLEAR: 1. keep last frame's matches that are still allowed.
    gt_done.assign(ng, 0);
    tr_done.assign(nt, 0);
    auto record_match = [&](std::size_t i, std::size_t j, bool is_switch) {
      ObjectState& o = objects[gidx[i]];
      gt_done[i] = 1;
      tr_done[j] = 1;
      clear.distance_sum += 1.0 - iou[i * nt + j];
      if (is_switch) {
        ++clear.num_switches;
      } else {
        ++clear.num_matches;
      }
      o.last_hyp = f.tracker[j].id;
      o.has_last = true;
    };
    if (ng > 0 && nt > 0) {
      for (std::size_t i = 0; i < ng; ++i) {
        const ObjectState& o = objects[gidx[i]];
        if (!o.has_last) continue;
        for (std::size_t j = 0; j < nt; ++j) {
          if (tr_done[j] || f.tracker[j].id != o.last_hyp) continue;
          if (1.0 - iou[i * nt + j] <= kMaxDistance) record_match(i, j, false);
          break;
        }
      }
      // 2. Assign the rest: most pairs, then least total distance.
      rows_left.clear();
      cols_left.clear();
      for (std::size_t i = 0; i < ng; ++i) {
        if (!gt_done[i]) rows_left.push_back(i);
      }
      for (std::size_t j = 0; j < nt; ++j) {
        if (!tr_done[j]) cols_left.push_back(j);
      }
      if (!rows_left.empty() && !cols_left.empty()) {
        dist.resize(rows_left.size() * cols_left.size());
        bool any_allowed = false;
        for (std::size_t r = 0; r < rows_left.size(); ++r) {
          for (std::size_t c = 0; c < cols_left.size(); ++c) {
            const double d = 1.0 - iou[rows_left[r] * nt + cols_left[c]];
            const bool allowed = d <= kMaxDistance;
            any_allowed |= allowed;
            dist[r * cols_left.size() + c] = allowed ? d : kForbiddenCost;
          }
        }
        if (any_allowed) {
          const Assignment& a = solver.Solve(dist, rows_left.size(), cols_left.size());
          for (std::size_t r = 0; r < rows_left.size(); ++r) {
            if (a.row_to_col[r] < 0) continue;
            const std::size_t i = rows_left[r];
            const std::size_t j = cols_left[static_cast<std::size_t>(a.row_to_col[r])];
            const ObjectState& o = objects[gidx[i]];
            record_match(i, j, o.has_last && o.last_hyp != f.tracker[j].id);
          }
        }
      }
    }
    // 3./4. The rest are misses and false positives; track state for MT/PT/ML and Frag.
    for (std::size_t i = 0; i < ng; ++i) {
      ObjectState& o = objects[gidx[i]];
      if (gt_done[i]) {
        ++o.tracked;
        if (o.in_miss_run) ++o.fragmentations;
        o.in_miss_run = false;
        o.seen_tracked = true;
      } else {
        ++clear.num_misses;
        if (o.seen_tracked) o.in_miss_run = true;
      }
    }
    for (std::size_t j = 0; j < nt; ++j) {
      if (!tr_done[j]) ++clear.num_false_positives;
    }
  }
  frame_offset.push_back(ious.size());

  clear.num_unique_objects = static_cast<std::int64_t>(objects.size());
  for (const ObjectState& o : objects) {
    const double ratio = static_cast<double>(o.tracked) / static_cast<double>(o.frames);
    if (ratio >= 0.8) {
      ++clear.mostly_tracked;
    } else if (ratio >= 0.2) {
      ++clear.partially_tracked;
    } else {
      ++clear.mostly_lost;
    }
    clear.num_fragmentations += o.fragmentations;
  }
  FinishClear(clear);

  // Identity: maximum-weight one-to-one map of ids on co-occurrence counts. Only ids with some
  // co-occurrence can contribute; the rest stay unmatched at no cost.
  {
    std::unordered_map<std::uint32_t, std::uint32_t> grow, tcol;
    for (std::size_t p = 0; p < cooccur.size(); ++p) {
      if (cooccur[p] == 0) continue;
      grow.try_emplace(pair_gt[p], static_cast<std::uint32_t>(grow.size()));
      tcol.try_emplace(pair_tr[p], static_cast<std::uint32_t>(tcol.size()));
    }
    std::vector<double> cost(grow.size() * tcol.size(), 0.0);
    for (std::size_t p = 0; p < cooccur.size(); ++p) {
      if (cooccur[p] == 0) continue;
      cost[grow[pair_gt[p]] * tcol.size() + tcol[pair_tr[p]]] = -static_cast<double>(cooccur[p]);
    }
    const Assignment& a = solver.Solve(cost, grow.size(), tcol.size());
    out.identity.idtp = static_cast<std::int64_t>(std::llround(-a.total_cost));
    FinishIdentity(out.identity, clear.num_objects, clear.num_predictions);
  }

  // HOTA second pass: per frame, match on similarity weighted by the global alignment score.
  HotaMetrics& h = out.hota;
  std::vector<double> alignment(potential.size());
  for (std::size_t p = 0; p < potential.size(); ++p) {
    alignment[p] = potential[p] / (static_cast<double>(gt_id_count[pair_gt[p]] + tr_id_count[pair_tr[p]]) -
                                   potential[p]);
  }
  std::vector<std::array<std::int32_t, kHotaAlphaCount>> matches(potential.size(),
                                                                 std::array<std::int32_t, kHotaAlphaCount>{});
  HotaMetrics::PerAlpha loc_sum{};
  std::array<double, kHotaAlphaCount> alpha_min{};
  for (int a = 0; a < kHotaAlphaCount; ++a) alpha_min[a] = HotaAlpha(a) - kEps;
  std::vector<double> score;
  for (std::size_t k = 0; k < sequence.frames.size(); ++k) {
    const TrackingFrame& f = sequence.frames[k];
    const std::size_t ng = f.gt.size(), nt = f.tracker.size();
    if (ng == 0 || nt == 0) {
      for (int a = 0; a < kHotaAlphaCount; ++a) {
        h.fp[a] += static_cast<std::int64_t>(nt);
        h.fn[a] += static_cast<std::int64_t>(ng);
      }
      continue;
    }
    const double* iou = ious.data() + frame_offset[k];
    const std::uint32_t* pairs = ious_pair.data() + frame_offset[k];
    score.resize(ng * nt);
    for (std::size_t e = 0; e < ng * nt; ++e) {
      score[e] = pairs[e] == std::numeric_limits<std::uint32_t>::max() ? -0.0 : -(alignment[pairs[e]] * iou[e]);
    }
    const Assignment& m = solver.Solve(score, ng, nt);
    std::array<std::int64_t, kHotaAlphaCount> tp{};
    for (std::size_t i = 0; i < ng; ++i) {
      if (m.row_to_col[i] < 0) continue;
      const std::size_t e = i * nt + static_cast<std::size_t>(m.row_to_col[i]);
      const double s = iou[e];
      if (pairs[e] == std::numeric_limits<std::uint32_t>::max()) continue;
      for (int a = 0; a < kHotaAlphaCount; ++a) {
        if (s < alpha_min[a]) break;  // alphas increase
        ++tp[a];
        loc_sum[a] += s;
        ++matches[pairs[e]][a];
      }
    }
    for (int a = 0; a < kHotaAlphaCount; ++a) {
      h.tp[a] += tp[a];
      h.fn[a] += static_cast<std::int64_t>(ng) - tp[a];
      h.fp[a] += static_cast<std::int64_t>(nt) - tp[a];
    }
  }
  for (int a = 0; a < kHotaAlphaCount; ++a) {
    double ass_a = 0.0, ass_re = 0.0, ass_pr = 0.0;
    for (std::size_t p = 0; p < matches.size(); ++p) {
      const double mc = matches[p][a];
      if (mc == 0.0) continue;
      const double gc = static_cast<double>(gt_id_count[pair_gt[p]]);
      const double tc = static_cast<double>(tr_id_count[pair_tr[p]]);
      ass_a += mc * (mc / std::max(1.0, gc + tc - mc));
      ass_re += mc * (mc / std::max(1.0, gc));
      ass_pr += mc * (mc / std::max(1.0, tc));
    }
    const double tp = std::max(1.0, static_cast<double>(h.tp[a]));
    h.ass_a[a] = ass_a / tp;
    h.ass_re[a] = ass_re / tp;
    h.ass_pr[a] = ass_pr / tp;
    h.loc_a[a] = std::max(1e-10, loc_sum[a]) / std::max(1e-10, static_cast<double>(h.tp[a]));
  }
  FinishHota(h);
  return out;
}

TrackingMetrics CombineTracking(std::span<const TrackingMetrics> sequences, std::string name) {
  TrackingMetrics out;
  out.name = std::move(name);
  ClearMotMetrics& c = out.clear;
  HotaMetrics& h = out.hota;
  HotaMetrics::PerAlpha ass_a{}, ass_re{}, ass_pr{}, loc{};
  for (const TrackingMetrics& s : sequences) {
    c.num_frames += s.clear.num_frames;
    c.num_objects += s.clear.num_objects;
    c.num_predictions += s.clear.num_predictions;
    c.num_unique_objects += s.clear.num_unique_objects;
    c.num_matches += s.clear.num_matches;
    c.num_switches += s.clear.num_switches;
    c.num_false_positives += s.clear.num_false_positives;
    c.num_misses += s.clear.num_misses;
    c.num_fragmentations += s.clear.num_fragmentations;
    c.mostly_tracked += s.clear.mostly_tracked;
    c.partially_tracked += s.clear.partially_tracked;
    c.mostly_lost += s.clear.mostly_lost;
    c.distance_sum += s.clear.distance_sum;
    out.identity.idtp += s.identity.idtp;
    for (int a = 0; a < kHotaAlphaCount; ++a) {
      h.tp[a] += s.hota.tp[a];
      h.fn[a] += s.hota.fn[a];
      h.fp[a] += s.hota.fp[a];
      const double tp = static_cast<double>(s.hota.tp[a]);
      ass_a[a] += s.hota.ass_a[a] * tp;
      ass_re[a] += s.hota.ass_re[a] * tp;
      ass_pr[a] += s.hota.ass_pr[a] * tp;
      loc[a] += s.hota.loc_a[a] * tp;
    }
  }
  FinishClear(c);
  FinishIdentity(out.identity, c.num_objects, c.num_predictions);
  for (int a = 0; a < kHotaAlphaCount; ++a) {
    const double tp = static_cast<double>(h.tp[a]);
    h.ass_a[a] = ass_a[a] / std::max(1.0, tp);
    h.ass_re[a] = ass_re[a] / std::max(1.0, tp);
    h.ass_pr[a] = ass_pr[a] / std::max(1.0, tp);
    h.loc_a[a] = std::max(1e-10, loc[a]) / std::max(1e-10, tp);
  }
  FinishHota(h);
  return out;
}

}  // namespace gtops::quality
