// Multi-object tracking metrics of one sequence of frames: CLEAR-MOT (MOTA, MOTP, FP, FN, IDSW,
// Frag, MT/PT/ML) and the identity metrics (IDF1, IDP, IDR) with py-motmetrics' semantics, and
// HOTA (DetA, AssA, LocA and their parts, alpha = 0.05 ... 0.95) with TrackEval's. Definitions
// in docs/metrics.md.
//
// Pure kernels: values in, values out, no I/O; safe to call from many threads on different inputs.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gtops::quality {

// An image box [x, y, width, height] (pixels, no +1) with its track id.
struct TrackBox {
  std::int64_t id = 0;
  double x = 0.0;
  double y = 0.0;
  double width = 0.0;
  double height = 0.0;
};

// The boxes of one frame. Ids are unique within `gt` and within `tracker` (the readers check it;
// with duplicates the results are defined but meaningless).
struct TrackingFrame {
  std::int64_t frame = 0;
  std::vector<TrackBox> gt;
  std::vector<TrackBox> tracker;
};

// Frames in time order (every frame where either side has a box; frames with neither may be
// left out: they change nothing).
struct TrackingSequence {
  std::string name;
  std::vector<TrackingFrame> frames;
};

// CLEAR-MOT. A ground-truth box and a tracker box may match when IoU >= 0.5; a match of the
// previous frame is kept while it remains allowed, the rest are assigned to maximise the number of
// matches and then minimise the sum of (1 - IoU). Rates are NaN when their denominator is 0.
struct ClearMotMetrics {
  std::int64_t num_frames = 0;
  std::int64_t num_objects = 0;         // ground-truth boxes
  std::int64_t num_predictions = 0;     // tracker boxes
  std::int64_t num_unique_objects = 0;  // ground-truth ids
  std::int64_t num_matches = 0;         // matches that are not identity switches
  std::int64_t num_switches = 0;        // IDSW: an object matched to another id than its last
  std::int64_t num_false_positives = 0;
  std::int64_t num_misses = 0;
  std::int64_t num_fragmentations = 0;  // tracked -> missed transitions later tracked again
  std::int64_t mostly_tracked = 0;      // objects matched in >= 80% of their frames
  std::int64_t partially_tracked = 0;   // in [20%, 80%)
  std::int64_t mostly_lost = 0;         // < 20%
  double distance_sum = 0.0;            // sum of (1 - IoU) over matches and switches
  double mota = 0.0;                    // 1 - (FN + IDSW + FP) / num_objects
  double motp = 0.0;                    // distance_sum / (num_matches + num_switches)
  double recall = 0.0;
  double precision = 0.0;
};

// Identity metrics: the one-to-one map between ground-truth ids and tracker ids that maximises
// the number of frames in which they overlap with IoU >= 0.5 (IDTP).
struct IdentityMetrics {
  std::int64_t idtp = 0;
  std::int64_t idfp = 0;
  std::int64_t idfn = 0;
  double idf1 = 0.0;  // 2 IDTP / (num_objects + num_predictions)
  double idp = 0.0;   // IDTP / num_predictions
  double idr = 0.0;   // IDTP / num_objects
};

inline constexpr int kHotaAlphaCount = 19;

// alpha_a = 0.05 + a * 0.05 (a = 0 ... 18), computed as numpy's arange does.
double HotaAlpha(int a);

// HOTA per localisation threshold alpha and their means over the 19 thresholds.
struct HotaMetrics {
  using PerAlpha = std::array<double, kHotaAlphaCount>;
  std::array<std::int64_t, kHotaAlphaCount> tp{}, fn{}, fp{};
  PerAlpha hota{}, det_a{}, ass_a{}, det_re{}, det_pr{}, ass_re{}, ass_pr{}, loc_a{};
  // Means over alpha.
  double hota_mean = 0.0, det_a_mean = 0.0, ass_a_mean = 0.0, det_re_mean = 0.0,
         det_pr_mean = 0.0, ass_re_mean = 0.0, ass_pr_mean = 0.0, loc_a_mean = 0.0;
};

struct TrackingMetrics {
  std::string name;
  ClearMotMetrics clear;
  IdentityMetrics identity;
  HotaMetrics hota;
};

// All metrics of one sequence.
TrackingMetrics EvaluateTracking(const TrackingSequence& sequence);

// The metrics of several sequences taken together, as py-motmetrics' OVERALL row (counts
// summed, rates from the sums) and TrackEval's COMBINED_SEQ (HOTA counts summed, AssA/AssRe/
// AssPr/LocA averaged weighted by each sequence's HOTA TP).
TrackingMetrics CombineTracking(std::span<const TrackingMetrics> sequences, std::string name);

}  // namespace gtops::quality
