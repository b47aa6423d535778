#include "quality/nuscenes_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace gtops::quality {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kRecallPoints = 101;
constexpr double kMinPrecision = 0.1;
constexpr double kTpDistThreshold = 2.0;
constexpr int kTpDistIndex = 2;  // kNuscenesDistThresholds[2] == 2.0
constexpr int kFirstRecallIndex = 11;  // round(100 * min_recall) + 1 with min_recall 0.1
constexpr int kCone = 8;
constexpr int kBarrier = 9;

using Curve = std::array<double, kRecallPoints>;

constexpr std::array<std::string_view, kNuscenesClassCount> kClassNames = {
    "car",        "truck",      "bus",     "trailer",      "construction_vehicle",
    "pedestrian", "motorcycle", "bicycle", "traffic_cone", "barrier"};
constexpr std::array<std::string_view, kNuscenesAttributeCount> kAttributeNames = {
    "pedestrian.moving", "pedestrian.sitting_lying_down", "pedestrian.standing",
    "cycle.with_rider",  "cycle.without_rider",           "vehicle.moving",
    "vehicle.parked",    "vehicle.stopped"};

// numpy.interp: the largest j with xp[j] <= x decides (the last of equal xp), exact hits return
// fp[j], otherwise the line through j and j + 1. xp must be non-decreasing.
double Interp(double x, const std::vector<double>& xp, const std::vector<double>& fp, double left,
              double right) {
  const std::size_t n = xp.size();
  if (x < xp[0]) return left;
  if (x > xp[n - 1]) return right;
  const std::size_t j =
      static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
  if (j == n - 1 || xp[j] == x) return fp[j];
  const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  return slope * (x - xp[j]) + fp[j];
}

// The devkit's cummean: running mean ignoring NaN (0 before the first number); all NaN -> ones.
std::vector<double> CumMean(const std::vector<double>& x) {
  std::vector<double> out(x.size(), 1.0);
  if (std::all_of(x.begin(), x.end(), [](double v) { return std::isnan(v); })) return out;
  double sum = 0.0;
  std::int64_t count = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isnan(x[i])) {
      sum += x[i];
      ++count;
    }
    out[i] = count == 0 ? 0.0 : sum / static_cast<double>(count);
  }
  return out;
}

// pyquaternion's rotation of the x axis (after normalising unless already unit to 1e-14),
// then atan2: the devkit's quaternion_yaw.
double QuaternionYaw(const std::array<double, 4>& q) {
  double w = q[0], x = q[1], y = q[2], z = q[3];
  const double ss = w * w + x * x + y * y + z * z;
  if (!(std::fabs(1.0 - ss) < 1e-14)) {
    const double n = std::sqrt(ss);
    if (n > 0) {
      w /= n;
      x /= n;
      y /= n;
      z /= n;
    }
  }
  const double v0 = x * x + w * w + (-z) * z + y * (-y);
  const double v1 = y * x + z * w + w * z + (-x) * (-y);
  return std::atan2(v1, v0);
}

// Python's float %: the result takes the divisor's sign.
double PyMod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0) {
    if ((b < 0) != (m < 0)) m += b;
  } else {
    m = std::copysign(0.0, b);
  }
  return m;
}

double YawDiff(const NuscenesBox& gt, const NuscenesBox& pred, double period) {
  const double yaw_gt = QuaternionYaw(gt.rotation);
  const double yaw_pred = QuaternionYaw(pred.rotation);
  double diff = PyMod(yaw_gt - yaw_pred + period / 2, period) - period / 2;
  if (diff > std::numbers::pi) diff = diff - 2 * std::numbers::pi;
  return std::fabs(diff);
}

double CenterDistance(const NuscenesBox& gt, const NuscenesBox& pred) {
  const double dx = pred.translation[0] - gt.translation[0];
  const double dy = pred.translation[1] - gt.translation[1];
  return std::sqrt(dx * dx + dy * dy);
}

double VelocityL2(const NuscenesBox& gt, const NuscenesBox& pred) {
  const double dx = pred.velocity[0] - gt.velocity[0];
  const double dy = pred.velocity[1] - gt.velocity[1];
  return std::sqrt(dx * dx + dy * dy);
}

double ScaleIou(const NuscenesBox& gt, const NuscenesBox& pred) {
  const double inter = std::min(gt.size[0], pred.size[0]) * std::min(gt.size[1], pred.size[1]) *
                       std::min(gt.size[2], pred.size[2]);
  const double va = gt.size[0] * gt.size[1] * gt.size[2];
  const double vr = pred.size[0] * pred.size[1] * pred.size[2];
  return inter / (va + vr - inter);
}

double AttrAcc(const NuscenesBox& gt, const NuscenesBox& pred) {
  if (gt.attribute < 0) return kNaN;
  return gt.attribute == pred.attribute ? 1.0 : 0.0;
}

// The devkit's DetectionMetricData on the 101-point recall grid.
struct MetricData {
  Curve precision{};
  Curve confidence{};
  std::array<Curve, 5> tp_err{};  // trans, scale, orient, vel, attr
};

MetricData NoPredictions() {
  MetricData md;
  for (Curve& c : md.tp_err) c.fill(1.0);
  return md;
}

// Boxes of one class: where they are, in the devkit's global order.
struct ClassBoxes {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> gt_per_sample;  // [begin, end) in gt_refs
  std::vector<const NuscenesBox*> gt_refs;
  std::vector<std::array<double, 2>> gt_xy;  // beside gt_refs: the greedy loop reads only these
  std::vector<std::uint32_t> pred_sample;
  std::vector<const NuscenesBox*> pred;
};

// The predictions of one class in ranking order, their centres copied out so that the greedy
// matching, repeated per threshold, walks memory in order.
struct RankedPreds {
  std::vector<std::uint32_t> index;
  std::vector<std::array<double, 2>> xy;
  std::vector<double> score;
  std::vector<std::uint32_t> sample;
};

MetricData Accumulate(const ClassBoxes& boxes, int cls, double dist_th, const RankedPreds& ranked,
                      std::vector<unsigned char>& taken) {
  const std::size_t npos = boxes.gt_refs.size();
  if (npos == 0) return NoPredictions();
  taken.assign(npos, 0);
  std::vector<double> tp, fp, conf;
  const std::size_t n = ranked.index.size();
  tp.reserve(n);
  fp.reserve(n);
  conf.reserve(n);
  std::array<std::vector<double>, 5> err;
  std::vector<double> match_conf;
  const bool want_tp = dist_th == kTpDistThreshold;
  const double period = cls == kBarrier ? std::numbers::pi : 2 * std::numbers::pi;
  double tp_sum = 0.0, fp_sum = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const auto [begin, end] = boxes.gt_per_sample[ranked.sample[r]];
    const double px = ranked.xy[r][0], py = ranked.xy[r][1];
    double min_dist = std::numeric_limits<double>::infinity();
    std::uint32_t match = end;
    for (std::uint32_t g = begin; g < end; ++g) {
      if (taken[g]) continue;
      // The devkit's center_distance: norm of pred - gt over x and y.
      const double dx = px - boxes.gt_xy[g][0], dy = py - boxes.gt_xy[g][1];
      const double d = std::sqrt(dx * dx + dy * dy);
      if (d < min_dist) {
        min_dist = d;
        match = g;
      }
    }
    if (min_dist < dist_th) {
      taken[match] = 1;
      tp_sum += 1.0;
      if (want_tp) {
        const NuscenesBox& p = *boxes.pred[ranked.index[r]];
        const NuscenesBox& g = *boxes.gt_refs[match];
        err[0].push_back(CenterDistance(g, p));
        err[1].push_back(1.0 - ScaleIou(g, p));
        err[2].push_back(YawDiff(g, p, period));
        err[3].push_back(VelocityL2(g, p));
        err[4].push_back(1.0 - AttrAcc(g, p));
      }
      match_conf.push_back(ranked.score[r]);
    } else {
      fp_sum += 1.0;
    }
    tp.push_back(tp_sum);
    fp.push_back(fp_sum);
    conf.push_back(ranked.score[r]);
  }
  if (match_conf.empty()) return NoPredictions();

  MetricData md;
  std::vector<double> prec(tp.size()), rec(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) {
    prec[i] = tp[i] / (fp[i] + tp[i]);
    rec[i] = tp[i] / static_cast<double>(npos);
  }
  const double step = 1.0 / (kRecallPoints - 1);
  for (int i = 0; i < kRecallPoints; ++i) {
    const double r = i == kRecallPoints - 1 ? 1.0 : static_cast<double>(i) * step;
    md.precision[static_cast<std::size_t>(i)] = Interp(r, rec, prec, prec.front(), 0.0);
    md.confidence[static_cast<std::size_t>(i)] = Interp(r, rec, conf, conf.front(), 0.0);
  }
  if (!want_tp) return md;

  // Errors as functions of confidence: cumulative means along the ranking, read at each grid
  // point's interpolated confidence.
  std::vector<double> xp(match_conf.rbegin(), match_conf.rend());
  for (int k = 0; k < 5; ++k) {
    const std::vector<double> mean = CumMean(err[static_cast<std::size_t>(k)]);
    const std::vector<double> fpv(mean.rbegin(), mean.rend());
    for (int i = 0; i < kRecallPoints; ++i) {
      md.tp_err[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] =
          Interp(md.confidence[static_cast<std::size_t>(i)], xp, fpv, fpv.front(), fpv.back());
    }
  }
  return md;
}

double CalcAp(const MetricData& md) {
  double sum = 0.0;
  for (int i = kFirstRecallIndex; i < kRecallPoints; ++i) {
    sum += std::max(md.precision[static_cast<std::size_t>(i)] - kMinPrecision, 0.0);
  }
  return sum / (kRecallPoints - kFirstRecallIndex) / (1.0 - kMinPrecision);
}

double CalcTp(const MetricData& md, int metric) {
  int last = 0;
  for (int i = kRecallPoints - 1; i >= 0; --i) {
    if (md.confidence[static_cast<std::size_t>(i)] != 0.0) {
      last = i;
      break;
    }
  }
  if (last < kFirstRecallIndex) return 1.0;
  double sum = 0.0;
  for (int i = kFirstRecallIndex; i <= last; ++i) {
    sum += md.tp_err[static_cast<std::size_t>(metric)][static_cast<std::size_t>(i)];
  }
  return sum / (last - kFirstRecallIndex + 1);
}

double NanMean(const std::array<double, kNuscenesClassCount>& v) {
  double sum = 0.0;
  int n = 0;
  for (double x : v) {
    if (std::isnan(x)) continue;
    sum += x;
    ++n;
  }
  return n == 0 ? kNaN : sum / n;
}

}  // namespace

const std::array<std::string_view, kNuscenesClassCount>& NuscenesClassNames() { return kClassNames; }
const std::array<std::string_view, kNuscenesAttributeCount>& NuscenesAttributeNames() {
  return kAttributeNames;
}

std::optional<int> NuscenesClassIndex(std::string_view name) {
  for (int i = 0; i < kNuscenesClassCount; ++i) {
    if (kClassNames[static_cast<std::size_t>(i)] == name) return i;
  }
  return std::nullopt;
}

std::optional<int> NuscenesAttributeIndex(std::string_view name) {
  for (int i = 0; i < kNuscenesAttributeCount; ++i) {
    if (kAttributeNames[static_cast<std::size_t>(i)] == name) return i;
  }
  return std::nullopt;
}

NuscenesMetrics EvaluateNuscenesDetection(std::span<const NuscenesSample> samples) {
  NuscenesMetrics out;
  std::array<ClassBoxes, kNuscenesClassCount> classes;
  for (ClassBoxes& c : classes) c.gt_per_sample.resize(samples.size());
  for (std::size_t s = 0; s < samples.size(); ++s) {
    for (ClassBoxes& c : classes) {
      const auto at = static_cast<std::uint32_t>(c.gt_refs.size());
      c.gt_per_sample[s] = {at, at};
    }
    for (const NuscenesBox& b : samples[s].gt) {
      ClassBoxes& c = classes[static_cast<std::size_t>(b.detection_class)];
      c.gt_refs.push_back(&b);
      c.gt_xy.push_back({b.translation[0], b.translation[1]});
      ++c.gt_per_sample[s].second;
    }
    for (const NuscenesBox& b : samples[s].pred) {
      ClassBoxes& c = classes[static_cast<std::size_t>(b.detection_class)];
      c.pred.push_back(&b);
      c.pred_sample.push_back(static_cast<std::uint32_t>(s));
    }
    out.num_gt += static_cast<std::int64_t>(samples[s].gt.size());
    out.num_pred += static_cast<std::int64_t>(samples[s].pred.size());
  }

  std::vector<std::size_t> order;
  std::vector<std::pair<double, std::size_t>> keyed;
  RankedPreds ranked;
  std::vector<unsigned char> taken;
  std::array<double, kNuscenesClassCount> class_ap{};
  std::array<std::array<double, kNuscenesClassCount>, 5> class_tp{};
  for (int cls = 0; cls < kNuscenesClassCount; ++cls) {
    const ClassBoxes& boxes = classes[static_cast<std::size_t>(cls)];
    NuscenesClassMetrics& cm = out.per_class[static_cast<std::size_t>(cls)];
    // Score descending; ties: the later box first (the devkit sorts (score, index) and reverses).
    keyed.resize(boxes.pred.size());
    for (std::size_t i = 0; i < keyed.size(); ++i) keyed[i] = {boxes.pred[i]->score, i};
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second > b.second;
    });
    order.resize(keyed.size());
    for (std::size_t i = 0; i < keyed.size(); ++i) order[i] = keyed[i].second;
    ranked.index.resize(order.size());
    ranked.xy.resize(order.size());
    ranked.sample.resize(order.size());
    ranked.score.resize(order.size());
    for (std::size_t r = 0; r < order.size(); ++r) {
      const NuscenesBox& p = *boxes.pred[order[r]];
      ranked.index[r] = static_cast<std::uint32_t>(order[r]);
      ranked.xy[r] = {p.translation[0], p.translation[1]};
      ranked.sample[r] = boxes.pred_sample[order[r]];
      ranked.score[r] = p.score;
    }
    MetricData tp_data;
    for (std::size_t t = 0; t < kNuscenesDistThresholds.size(); ++t) {
      MetricData md = Accumulate(boxes, cls, kNuscenesDistThresholds[t], ranked, taken);
      cm.ap[t] = CalcAp(md);
      if (static_cast<int>(t) == kTpDistIndex) tp_data = md;
    }
    cm.mean_ap = (((cm.ap[0] + cm.ap[1]) + cm.ap[2]) + cm.ap[3]) / 4.0;
    std::array<double, 5> tp{};
    for (int k = 0; k < 5; ++k) {
      const bool not_applicable = (cls == kCone && (k == 2 || k == 3 || k == 4)) ||
                                  (cls == kBarrier && (k == 3 || k == 4));
      tp[static_cast<std::size_t>(k)] = not_applicable ? kNaN : CalcTp(tp_data, k);
      class_tp[static_cast<std::size_t>(k)][static_cast<std::size_t>(cls)] = tp[static_cast<std::size_t>(k)];
    }
    cm.trans_err = tp[0];
    cm.scale_err = tp[1];
    cm.orient_err = tp[2];
    cm.vel_err = tp[3];
    cm.attr_err = tp[4];
    class_ap[static_cast<std::size_t>(cls)] = cm.mean_ap;
  }
  out.mean_ap = NanMean(class_ap);
  out.mate = NanMean(class_tp[0]);
  out.mase = NanMean(class_tp[1]);
  out.maoe = NanMean(class_tp[2]);
  out.mave = NanMean(class_tp[3]);
  out.maae = NanMean(class_tp[4]);
  double tp_scores = 0.0;
  for (double e : {out.mate, out.mase, out.maoe, out.mave, out.maae}) tp_scores += std::max(0.0, 1.0 - e);
  out.nd_score = (5.0 * out.mean_ap + tp_scores) / 10.0;
  return out;
}

}  // namespace gtops::quality
