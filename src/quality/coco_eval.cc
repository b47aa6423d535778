#include "quality/coco_eval.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include <fmt/format.h>

// Bit-for-bit agreement with pycocotools needs every product rounded before it is added:
// pycocotools' C and numpy code are built without fused multiply-add, while GCC would otherwise
// fuse across statements (-ffp-contract=fast is its default even in ISO C++ mode).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace gtops::quality {
namespace {

constexpr int T = kCocoIouThresholds;
constexpr int R = kCocoRecallPoints;
constexpr int A = kCocoAreaRanges;
constexpr int M = kCocoMaxDets;
constexpr int kMaxDetsPerImage = kCocoMaxDetsValues[M - 1];

// COCOeval's areaRng: [0, 1e5^2], [0, 32^2], [32^2, 96^2], [96^2, 1e5^2], both ends inclusive.
constexpr std::array<double, A> kAreaLo = {0, 0, 1024, 9216};
constexpr std::array<double, A> kAreaHi = {1e10, 1024, 9216, 1e10};

// np.spacing(1): COCOeval adds it to tp + fp before dividing.
constexpr double kEps = std::numeric_limits<double>::epsilon();

bool OutOfRange(double area, int a) { return area < kAreaLo[a] || area > kAreaHi[a]; }

// Per-detection outcome at one area range and IoU threshold.
enum DtState : uint8_t { kFalsePositive = 0, kTruePositive = 1, kIgnored = 2 };

// One detection kept for accumulation (the first 100 of its image and category by score).
struct DtEval {
  double score = 0;
  uint8_t rank = 0;  // position in its image's score order: kept for maxDets m when rank < m
  uint8_t state[A][T] = {};
};

// Image and category ids to dense indices: a direct table when the ids are dense enough, a
// sorted vector otherwise.
class IdIndex {
 public:
  explicit IdIndex(const std::vector<int64_t>& sorted_ids) : ids_(sorted_ids) {
    if (ids_.empty()) return;
    const int64_t lo = ids_.front(), hi = ids_.back();
    if (hi - lo < static_cast<int64_t>(4 * ids_.size() + 1024)) {
      base_ = lo;
      table_.assign(static_cast<size_t>(hi - lo + 1), kMissing);
      for (size_t i = 0; i < ids_.size(); ++i) table_[static_cast<size_t>(ids_[i] - lo)] = static_cast<uint32_t>(i);
    }
  }

  static constexpr uint32_t kMissing = std::numeric_limits<uint32_t>::max();

  uint32_t Find(int64_t id) const {
    if (!table_.empty()) {
      if (id < base_ || id - base_ >= static_cast<int64_t>(table_.size())) return kMissing;
      return table_[static_cast<size_t>(id - base_)];
    }
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) return kMissing;
    return static_cast<uint32_t>(it - ids_.begin());
  }

 private:
  const std::vector<int64_t>& ids_;
  int64_t base_ = 0;
  std::vector<uint32_t> table_;
};

// Runs fn(task, worker) for task in [0, n) on up to `threads` threads (the caller's included).
template <typename Fn>
void ParallelFor(size_t n, int threads, const Fn& fn) {
  const size_t workers = std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<size_t> next{0};
  auto run = [&](int worker) {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i, worker);
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(run, static_cast<int>(w));
  run(0);
  for (std::thread& t : pool) t.join();
}

// numpy's float64 add.reduce over a contiguous array: pairwise summation (8 accumulators below
// 128 values) inside blocks of 8192 (the iterator's buffer), the blocks added in order. np.mean
// divides this by the count; reproducing it keeps the statistics identical, not just close.
double PairwiseSum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2) + PairwiseSum(a + n2, n - n2);
}

// np.mean(v[v > -1]) of the values gathered in order, -1 when none is defined.
double NumpyMeanOfDefined(const std::vector<double>& v) {
  if (v.empty()) return -1;
  constexpr size_t kBlock = 8192;
  double sum = 0;
  for (size_t i = 0; i < v.size(); i += kBlock) sum += PairwiseSum(v.data() + i, std::min(kBlock, v.size() - i));
  return sum / static_cast<double>(v.size());
}

// maskUtils.iou for two boxes [x, y, w, h] (bbIou), in its operation order.
struct PreparedBox {
  double x0, y0, x1, y1, area;
};

PreparedBox Prepare(const Box2d& b) {
  const double x1 = b.w + b.x;
  const double y1 = b.h + b.y;
  const double area = b.w * b.h;
  return {b.x, b.y, x1, y1, area};
}

// fmin/fmax for values that are never NaN (JSON has no NaN), without a libm call.
double Min(double a, double b) { return b < a ? b : a; }
double Max(double a, double b) { return a < b ? b : a; }

double BoxIou(const PreparedBox& d, const PreparedBox& g, bool crowd) {
  const double w = Min(d.x1, g.x1) - Max(d.x0, g.x0);
  if (w <= 0) return 0;
  const double h = Min(d.y1, g.y1) - Max(d.y0, g.y0);
  if (h <= 0) return 0;
  const double inter = w * h;
  const double sum = d.area + g.area;
  const double uni = crowd ? d.area : sum - inter;
  return inter / uni;
}

// maskUtils.iou for two masks. pycocotools gives -1 for masks of different sizes whose boxes
// overlap and 0 otherwise; both are below every threshold, so 0 here.
double MaskIou(const geometry::Rle& d, uint64_t d_area, const geometry::Rle& g, uint64_t g_area,
               bool crowd) {
  if (d.h != g.h || d.w != g.w) return 0;
  const uint64_t inter = geometry::RleIntersection(d.counts, g.counts);
  if (inter == 0) return 0;
  const uint64_t uni = crowd ? d_area : d_area + g_area - inter;
  return static_cast<double>(inter) / static_cast<double>(uni);
}

// Scratch space of one worker, reused from group to group.
struct Scratch {
  std::vector<uint32_t> dt;        // detection indices, sorted by score
  std::vector<double> ious;        // D x G, rows = detections in score order
  std::vector<uint64_t> gt_area;   // mask pixel counts
  std::vector<uint64_t> dt_area;
  std::vector<PreparedBox> gt_box, dt_box;
  std::vector<uint8_t> gt_crowd;            // by ground truth (file order)
  std::vector<uint8_t> gt_always_ignored;   // crowd or flagged ignore
  std::vector<uint8_t> gt_counts;           // id != 0
  std::vector<double> gt_area_value;
  std::vector<double> row_max;              // best IoU of each detection
  std::vector<uint32_t> perm;               // ground truth in evaluation order (ignored last)
  std::vector<uint8_t> gt_ignore;           // by position in perm
  std::vector<uint8_t> perm_crowd;          // by position in perm
  std::vector<uint8_t> gt_taken;            // by position in perm
  std::vector<int32_t> match;               // [A][T][D]: matched ground truth or -1
  std::vector<int64_t> npig;       // [K][A] counted ground truth, per worker
};

struct Groups {
  size_t num_images = 0, num_categories = 0;
  std::vector<uint32_t> gt_start, gt_order;  // per group (k * I + i): annotations in file order
  std::vector<uint32_t> dt_start, dt_order;  // per group: detections in input order
  std::vector<uint32_t> kept_start;          // per group: offset of its kept detections
};

// Stable counting sort of items into groups; `group_of` gives a group or kNone.
template <typename GroupOf>
void Bucket(size_t n_items, size_t n_groups, const GroupOf& group_of, std::vector<uint32_t>& start,
            std::vector<uint32_t>& order) {
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> group(n_items);
  start.assign(n_groups + 1, 0);
  for (size_t n = 0; n < n_items; ++n) {
    group[n] = group_of(n);
    if (group[n] != kNone) ++start[group[n] + 1];
  }
  for (size_t g = 0; g < n_groups; ++g) start[g + 1] += start[g];
  order.resize(start[n_groups]);
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  for (size_t n = 0; n < n_items; ++n) {
    if (group[n] != kNone) order[fill[group[n]]++] = static_cast<uint32_t>(n);
  }
}

// COCOeval.evaluateImg for one image and category at every area range (matching is done once
// at 100 detections: it is greedy in score order, so the first 1 or 10 match the same way).
void EvaluateGroup(const CocoGroundTruthSet& gt, std::span<const CocoDetection> dts,
                   CocoIouType iou_type, const Groups& groups, size_t g, Scratch& s,
                   DtEval* out) {
  const uint32_t* gts = groups.gt_order.data() + groups.gt_start[g];
  const size_t G = groups.gt_start[g + 1] - groups.gt_start[g];
  const size_t n_dt = groups.dt_start[g + 1] - groups.dt_start[g];
  if (G == 0 && n_dt == 0) return;
  const size_t k = g / groups.num_images;

  s.dt.assign(groups.dt_order.begin() + groups.dt_start[g], groups.dt_order.begin() + groups.dt_start[g + 1]);
  auto higher = [&](uint32_t a, uint32_t b) { return dts[a].score > dts[b].score; };
  if (s.dt.size() <= 32) {  // insertion sort: stable, and no buffer to allocate
    for (size_t i = 1; i < s.dt.size(); ++i) {
      const uint32_t x = s.dt[i];
      size_t j = i;
      for (; j > 0 && higher(x, s.dt[j - 1]); --j) s.dt[j] = s.dt[j - 1];
      s.dt[j] = x;
    }
  } else {
    std::stable_sort(s.dt.begin(), s.dt.end(), higher);
  }
  const size_t D = std::min<size_t>(n_dt, kMaxDetsPerImage);

  s.ious.assign(D * G, 0.0);
  if (iou_type == CocoIouType::kBbox) {
    s.gt_box.resize(G);
    for (size_t j = 0; j < G; ++j) s.gt_box[j] = Prepare(gt.annotations[gts[j]].bbox);
    for (size_t d = 0; d < D; ++d) {
      const PreparedBox db = Prepare(dts[s.dt[d]].bbox);
      for (size_t j = 0; j < G; ++j) {
        s.ious[d * G + j] = BoxIou(db, s.gt_box[j], gt.annotations[gts[j]].iscrowd);
      }
    }
  } else {
    s.gt_area.resize(G);
    for (size_t j = 0; j < G; ++j) s.gt_area[j] = geometry::RleArea(gt.annotations[gts[j]].mask);
    for (size_t d = 0; d < D; ++d) {
      const geometry::Rle& dm = dts[s.dt[d]].mask;
      const uint64_t d_area = geometry::RleArea(dm);
      for (size_t j = 0; j < G; ++j) {
        const CocoGroundTruth& ann = gt.annotations[gts[j]];
        s.ious[d * G + j] = MaskIou(dm, d_area, ann.mask, s.gt_area[j], ann.iscrowd);
      }
    }
  }

  for (size_t d = 0; d < D; ++d) {
    out[d].score = dts[s.dt[d]].score;
    out[d].rank = static_cast<uint8_t>(d);
  }

  const std::array<double, T>& thresholds = CocoIouThresholds();
  // What matching needs of each ground truth, gathered once.
  s.gt_crowd.resize(G);
  s.gt_area_value.resize(G);
  s.gt_counts.resize(G);
  s.gt_always_ignored.resize(G);
  for (size_t j = 0; j < G; ++j) {
    const CocoGroundTruth& ann = gt.annotations[gts[j]];
    s.gt_crowd[j] = ann.iscrowd;
    s.gt_area_value[j] = ann.area;
    // COCOeval stores the matched ground truth's id and reads 0 as "no match".
    s.gt_counts[j] = ann.id != 0;
    s.gt_always_ignored[j] = ann.ignore || ann.iscrowd;
  }
  // A detection whose best IoU is below a threshold matches nothing at that threshold.
  s.row_max.assign(D, 0.0);
  for (size_t d = 0; d < D; ++d) {
    for (size_t j = 0; j < G; ++j) s.row_max[d] = std::max(s.row_max[d], s.ious[d * G + j]);
  }

  s.perm.resize(G);
  s.gt_ignore.resize(G);
  s.perm_crowd.resize(G);
  s.gt_taken.resize(G);
  s.match.resize(static_cast<size_t>(A) * T * D);
  std::array<uint64_t, A> signature{};
  for (int a = 0; a < A; ++a) {
    // Ground truth with ignored objects last, each part in file order (a stable argsort).
    size_t pos = 0;
    uint64_t sig = 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t j = 0; j < G; ++j) {
        const bool ig = s.gt_always_ignored[j] || OutOfRange(s.gt_area_value[j], a);
        if (ig != (pass == 1)) continue;
        if (ig && j < 64) sig |= uint64_t{1} << j;
        s.perm[pos] = static_cast<uint32_t>(j);
        s.gt_ignore[pos] = ig;
        s.perm_crowd[pos] = s.gt_crowd[j];
        ++pos;
      }
      if (pass == 0) s.npig[k * A + a] += static_cast<int64_t>(pos);
    }
    signature[a] = sig;
    int32_t* match = s.match.data() + static_cast<size_t>(a) * T * D;
    // The same ignored set as an earlier area range gives the same matches.
    int same_as = -1;
    if (G <= 64) {
      for (int b = 0; b < a && same_as < 0; ++b) {
        if (signature[b] == sig) same_as = b;
      }
    }
    if (same_as >= 0) {
      std::copy_n(s.match.data() + static_cast<size_t>(same_as) * T * D, static_cast<size_t>(T) * D, match);
    } else {
      for (int t = 0; t < T; ++t) {
        std::fill(s.gt_taken.begin(), s.gt_taken.end(), uint8_t{0});
        const double thr = std::min(thresholds[t], 1 - 1e-10);
        for (size_t d = 0; d < D; ++d) {
          int32_t& out_match = match[static_cast<size_t>(t) * D + d];
          out_match = -1;
          if (s.row_max[d] < thr) continue;
          const double* row = s.ious.data() + d * G;
          double best = thr;
          ptrdiff_t m = -1;
          for (size_t p = 0; p < G; ++p) {
            if (s.gt_taken[p] && !s.perm_crowd[p]) continue;
            if (m > -1 && !s.gt_ignore[static_cast<size_t>(m)] && s.gt_ignore[p]) break;
            const double iou = row[s.perm[p]];
            if (iou < best) continue;
            best = iou;
            m = static_cast<ptrdiff_t>(p);
          }
          if (m == -1) continue;
          s.gt_taken[static_cast<size_t>(m)] = 1;
          out_match = static_cast<int32_t>(s.perm[static_cast<size_t>(m)]);
        }
      }
    }
    for (size_t d = 0; d < D; ++d) {
      const bool out_of_range = OutOfRange(dts[s.dt[d]].area, a);
      for (int t = 0; t < T; ++t) {
        const int32_t j = match[static_cast<size_t>(t) * D + d];
        uint8_t state;
        if (j < 0) {
          state = out_of_range ? kIgnored : kFalsePositive;
        } else {
          const auto jj = static_cast<size_t>(j);
          const bool ig = s.gt_always_ignored[jj] || OutOfRange(s.gt_area_value[jj], a);
          if (ig || (!s.gt_counts[jj] && out_of_range)) {
            state = kIgnored;
          } else {
            state = s.gt_counts[jj] ? kTruePositive : kFalsePositive;
          }
        }
        out[d].state[a][t] = state;
      }
    }
  }
}

// COCOeval.accumulate for one category: precision at the recall points and final recall for
// every IoU threshold, area range and maxDets.
void AccumulateCategory(const DtEval* dts, size_t n, const int64_t* npig, size_t k, CocoEvalResult& res) {
  // Detections of all images in image order, then score order within the image: a stable sort
  // by descending score gives numpy's mergesort order.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return dts[a].score > dts[b].score; });
  // The outcomes laid out per (area range, threshold) in score order, for sequential passes.
  std::vector<uint8_t> rank(n);
  std::vector<uint8_t> states(static_cast<size_t>(A) * T * n);
  for (size_t p = 0; p < n; ++p) {
    const DtEval& e = dts[order[p]];
    rank[p] = e.rank;
    for (int a = 0; a < A; ++a) {
      for (int t = 0; t < T; ++t) states[(static_cast<size_t>(a) * T + t) * n + p] = e.state[a][t];
    }
  }
  const std::array<double, R>& rec_thrs = CocoRecallPoints();
  std::vector<uint32_t> fp_at_tp(n + 1);  // false positives seen when the c-th true positive came
  std::vector<double> env(n + 1);         // precision at the c-th true positive, then its envelope
  std::array<size_t, R> tp_needed{};
  for (int a = 0; a < A; ++a) {
    const int64_t np = npig[a];
    if (np == 0) continue;  // precision and recall stay -1
    const double npd = static_cast<double>(np);
    // COCOeval's recall after c true positives is c / npig; searchsorted(rc, recThrs, 'left')
    // finds, for each recall point, the first detection where it is reached: the c-th true
    // positive for the least c with c / npig >= point (the first detection for the point 0).
    {
      size_t c = 0;
      for (int r = 0; r < R; ++r) {
        while (static_cast<double>(c) / npd < rec_thrs[r]) ++c;
        tp_needed[r] = c;
      }
    }
    for (int m = 0; m < M; ++m) {
      const int max_det = kCocoMaxDetsValues[m];
      for (int t = 0; t < T; ++t) {
        const uint8_t* st = states.data() + (static_cast<size_t>(a) * T + t) * n;
        // Ignored detections change neither tp nor fp and are skipped.
        uint32_t tp = 0, fp = 0;
        bool any = false;
        for (size_t p = 0; p < n; ++p) {
          const uint8_t v = st[p];
          const bool counted = rank[p] < max_det && v != kIgnored;
          any |= counted;
          const bool is_tp = counted && v == kTruePositive;
          fp += static_cast<uint32_t>(counted && v == kFalsePositive);
          fp_at_tp[tp] = fp;
          tp += static_cast<uint32_t>(is_tp);
        }
        res.recall[res.RecallIndex(t, k, a, m)] = any ? static_cast<double>(tp) / npd : 0;
        // Precision tp / (tp + fp + eps) at each true positive. Between two true positives
        // precision only falls, so the monotone envelope (the maximum to the right) at any
        // detection equals the maximum over the true positives from there on.
        for (uint32_t c = 1; c <= tp; ++c) {
          const double tpd = c;
          const double denom = static_cast<double>(fp_at_tp[c - 1]) + tpd + kEps;
          env[c] = tpd / denom;
        }
        env[0] = 0;  // the point 0 with no true positive at all: precision 0 everywhere
        for (uint32_t c = tp; c >= 1; --c) {
          if (c < tp && env[c + 1] > env[c]) env[c] = env[c + 1];
        }
        if (tp >= 1 && env[1] > env[0]) env[0] = env[1];
        for (int r = 0; r < R; ++r) {
          const size_t c = tp_needed[r];
          // No detection reaches the point: it and every later point stay 0 (COCOeval's
          // IndexError). Without any counted detection even the point 0 is 0.
          const double q = !any || c > tp ? 0.0 : env[c];
          res.precision[res.PrecisionIndex(t, r, k, a, m)] = q;
        }
      }
    }
  }
}

// COCOeval.summarize's _summarize: the mean of the defined values over the selected slice, in
// numpy's element order (IoU threshold, recall point, category).
double Summarize(const CocoEvalResult& res, bool ap, int t_only, int a, int m,
                 std::vector<double>& buf, size_t k_only = std::numeric_limits<size_t>::max()) {
  buf.clear();
  const size_t K = res.category_ids.size();
  const size_t k_lo = k_only == std::numeric_limits<size_t>::max() ? 0 : k_only;
  const size_t k_hi = k_only == std::numeric_limits<size_t>::max() ? K : k_only + 1;
  for (int t = 0; t < T; ++t) {
    if (t_only >= 0 && t != t_only) continue;
    if (ap) {
      for (int r = 0; r < R; ++r) {
        for (size_t k = k_lo; k < k_hi; ++k) {
          const double v = res.precision[res.PrecisionIndex(t, r, k, a, m)];
          if (v > -1) buf.push_back(v);
        }
      }
    } else {
      for (size_t k = k_lo; k < k_hi; ++k) {
        const double v = res.recall[res.RecallIndex(t, k, a, m)];
        if (v > -1) buf.push_back(v);
      }
    }
  }
  return NumpyMeanOfDefined(buf);
}

// The index of `value` among the IoU thresholds (np.where(iouThr == p.iouThrs)), or T when it is
// not one of them exactly.
int ThresholdIndex(double value) {
  const std::array<double, T>& thr = CocoIouThresholds();
  for (int t = 0; t < T; ++t) {
    if (thr[t] == value) return t;
  }
  return T;
}

}  // namespace

const char* CocoIouTypeName(CocoIouType type) { return type == CocoIouType::kSegm ? "segm" : "bbox"; }

const std::array<double, kCocoIouThresholds>& CocoIouThresholds() {
  // np.linspace(.5, 0.95, 10): i * step + start, the last value set to stop.
  static const std::array<double, T> kThresholds = [] {
    std::array<double, T> v{};
    const double delta = 0.95 - 0.5;
    const double step = delta / (T - 1);
    for (int i = 0; i < T; ++i) {
      const double scaled = i * step;
      v[i] = scaled + 0.5;
    }
    v[T - 1] = 0.95;
    return v;
  }();
  return kThresholds;
}

const std::array<double, kCocoRecallPoints>& CocoRecallPoints() {
  static const std::array<double, R> kPoints = [] {
    std::array<double, R> v{};
    const double step = 1.0 / (R - 1);
    for (int i = 0; i < R; ++i) {
      const double scaled = i * step;
      v[i] = scaled + 0.0;
    }
    v[R - 1] = 1.0;
    return v;
  }();
  return kPoints;
}

Result<CocoEvalResult> EvaluateCoco(const CocoGroundTruthSet& gt,
                                    std::span<const CocoDetection> detections,
                                    const CocoEvalOptions& options) {
  std::vector<int64_t> image_ids = gt.image_ids;
  std::sort(image_ids.begin(), image_ids.end());
  image_ids.erase(std::unique(image_ids.begin(), image_ids.end()), image_ids.end());
  std::vector<CocoCategory> categories = gt.categories;
  std::stable_sort(categories.begin(), categories.end(),
                   [](const CocoCategory& a, const CocoCategory& b) { return a.id < b.id; });
  categories.erase(std::unique(categories.begin(), categories.end(),
                               [](const CocoCategory& a, const CocoCategory& b) { return a.id == b.id; }),
                   categories.end());
  std::vector<int64_t> category_ids;
  category_ids.reserve(categories.size());
  for (const CocoCategory& c : categories) category_ids.push_back(c.id);

  const IdIndex image_index(image_ids), category_index(category_ids);
  const size_t I = image_ids.size(), K = category_ids.size();
  constexpr uint32_t kNone = IdIndex::kMissing;
  if (K != 0 && I > (size_t{kNone} - 1) / K) {
    return Status::BadInput("too many images x categories to evaluate (" + std::to_string(I) +
                            " x " + std::to_string(K) + ")");
  }
  for (size_t n = 0; n < detections.size(); ++n) {
    const CocoDetection& d = detections[n];
    if (image_index.Find(d.image_id) == kNone) {
      return Status::BadInput("detection " + std::to_string(n + 1) + ": image_id " +
                              std::to_string(d.image_id) +
                              " is not an image of the ground truth (pycocotools refuses such "
                              "results too)");
    }
    if (std::isnan(d.score)) {
      return Status::BadInput("detection " + std::to_string(n + 1) + ": score is NaN");
    }
  }

  Groups groups;
  groups.num_images = I;
  groups.num_categories = K;
  const size_t n_groups = I * K;
  auto group_of = [&](int64_t image_id, int64_t category_id) -> uint32_t {
    const uint32_t i = image_index.Find(image_id), k = category_index.Find(category_id);
    if (i == kNone || k == kNone) return kNone;
    return static_cast<uint32_t>(k * I + i);
  };
  Bucket(gt.annotations.size(), n_groups,
         [&](size_t n) { return group_of(gt.annotations[n].image_id, gt.annotations[n].category_id); },
         groups.gt_start, groups.gt_order);
  Bucket(detections.size(), n_groups,
         [&](size_t n) { return group_of(detections[n].image_id, detections[n].category_id); },
         groups.dt_start, groups.dt_order);
  groups.kept_start.assign(n_groups + 1, 0);
  for (size_t g = 0; g < n_groups; ++g) {
    const uint32_t n = groups.dt_start[g + 1] - groups.dt_start[g];
    groups.kept_start[g + 1] = groups.kept_start[g] + std::min<uint32_t>(n, kMaxDetsPerImage);
  }
  std::vector<DtEval> kept(groups.kept_start[n_groups]);

  int threads = options.threads;
  if (threads <= 0) threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));

  // Evaluation in chunks of groups of similar work, each worker with its own scratch space.
  // Groups are visited image by image (h = i * K + k), the order of most files, so that the
  // annotations and detections are read roughly in memory order.
  auto group_at = [&](size_t h) { return (h % K) * I + h / K; };
  constexpr size_t kChunkWork = 4096;
  std::vector<size_t> chunk_start{0};
  size_t work = 0;
  for (size_t h = 0; h < n_groups; ++h) {
    const size_t g = group_at(h);
    work += 1 + (groups.gt_start[g + 1] - groups.gt_start[g]) + (groups.dt_start[g + 1] - groups.dt_start[g]);
    if (work >= kChunkWork) {
      chunk_start.push_back(h + 1);
      work = 0;
    }
  }
  if (chunk_start.back() != n_groups) chunk_start.push_back(n_groups);
  std::vector<Scratch> scratch(static_cast<size_t>(threads));
  for (Scratch& s : scratch) s.npig.assign(K * A, 0);
  ParallelFor(chunk_start.size() - 1, threads, [&](size_t c, int worker) {
    Scratch& s = scratch[static_cast<size_t>(worker)];
    for (size_t h = chunk_start[c]; h < chunk_start[c + 1]; ++h) {
      const size_t g = group_at(h);
      EvaluateGroup(gt, detections, options.iou_type, groups, g, s, kept.data() + groups.kept_start[g]);
    }
  });
  std::vector<int64_t> npig(K * A, 0);
  for (const Scratch& s : scratch) {
    for (size_t i = 0; i < npig.size(); ++i) npig[i] += s.npig[i];
  }

  CocoEvalResult res;
  res.iou_type = options.iou_type;
  res.category_ids = category_ids;
  res.precision.assign(static_cast<size_t>(T) * R * K * A * M, -1.0);
  res.recall.assign(static_cast<size_t>(T) * K * A * M, -1.0);
  ParallelFor(K, threads, [&](size_t k, int) {
    const size_t lo = groups.kept_start[k * I], hi = groups.kept_start[(k + 1) * I];
    AccumulateCategory(kept.data() + lo, hi - lo, npig.data() + k * A, k, res);
  });

  std::vector<double> buf;
  const int t50 = ThresholdIndex(.5), t75 = ThresholdIndex(.75);
  res.stats[0] = Summarize(res, true, -1, 0, 2, buf);
  res.stats[1] = t50 < T ? Summarize(res, true, t50, 0, 2, buf) : -1;
  res.stats[2] = t75 < T ? Summarize(res, true, t75, 0, 2, buf) : -1;
  res.stats[3] = Summarize(res, true, -1, 1, 2, buf);
  res.stats[4] = Summarize(res, true, -1, 2, 2, buf);
  res.stats[5] = Summarize(res, true, -1, 3, 2, buf);
  res.stats[6] = Summarize(res, false, -1, 0, 0, buf);
  res.stats[7] = Summarize(res, false, -1, 0, 1, buf);
  res.stats[8] = Summarize(res, false, -1, 0, 2, buf);
  res.stats[9] = Summarize(res, false, -1, 1, 2, buf);
  res.stats[10] = Summarize(res, false, -1, 2, 2, buf);
  res.stats[11] = Summarize(res, false, -1, 3, 2, buf);

  res.per_category.resize(K);
  for (size_t k = 0; k < K; ++k) {
    CocoCategoryResult& c = res.per_category[k];
    c.category_id = categories[k].id;
    c.name = categories[k].name;
    c.num_gt = npig[k * A];
    c.num_detections = groups.dt_start[(k + 1) * I] - groups.dt_start[k * I];
    c.ap = Summarize(res, true, -1, 0, 2, buf, k);
    c.ap50 = t50 < T ? Summarize(res, true, t50, 0, 2, buf, k) : -1;
    c.ap75 = t75 < T ? Summarize(res, true, t75, 0, 2, buf, k) : -1;
    c.ar100 = Summarize(res, false, -1, 0, 2, buf, k);
  }
  return res;
}

std::string FormatCocoSummary(const CocoEvalResult& result) {
  struct Line {
    bool ap;
    const char* iou;
    const char* area;
    int max_dets;
  };
  static constexpr std::array<Line, 12> kLines = {{
      {true, "0.50:0.95", "all", 100},   {true, "0.50", "all", 100},
      {true, "0.75", "all", 100},        {true, "0.50:0.95", "small", 100},
      {true, "0.50:0.95", "medium", 100}, {true, "0.50:0.95", "large", 100},
      {false, "0.50:0.95", "all", 1},    {false, "0.50:0.95", "all", 10},
      {false, "0.50:0.95", "all", 100},  {false, "0.50:0.95", "small", 100},
      {false, "0.50:0.95", "medium", 100}, {false, "0.50:0.95", "large", 100},
  }};
  std::string out;
  for (size_t i = 0; i < kLines.size(); ++i) {
    const Line& l = kLines[i];
    out += fmt::format(" {:<18} {} @[ IoU={:<9} | area={:>6} | maxDets={:>3} ] = {:0.3f}\n",
                       l.ap ? "Average Precision" : "Average Recall", l.ap ? "(AP)" : "(AR)", l.iou,
                       l.area, l.max_dets, result.stats[i]);
  }
  return out;
}

}  // namespace gtops::quality
