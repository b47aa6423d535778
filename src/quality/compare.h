// Per-frame comparison of one source's labels with a reference (shared/FORMAT.md, "Error
// taxonomy and what it is measured against"): pairing under the pipeline's match rules, then one
// Outcome per reference object and per unpaired label with its error types, measured values and
// the context to slice by. Definitions in docs/metrics.md ("Comparison and outcomes").
//
// Kernel: no I/O, no global state. A FrameComparer keeps scratch buffers between frames, so it
// is not thread-safe: one comparer per thread. Memory is linear in the largest frame compared.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "geometry/box_iou.h"
#include "geometry/polygon.h"
#include "geometry/polyline.h"
#include "geometry/rle.h"
#include "quality/assignment.h"
#include "quality/json_lite.h"

namespace gtops::quality {

using ErrorMask = uint32_t;
constexpr ErrorMask ErrorBit(ErrorType t) { return ErrorMask{1} << static_cast<int>(t); }
inline bool HasError(ErrorMask m, ErrorType t) { return (m & ErrorBit(t)) != 0; }

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// What an outcome row is about.
enum class OutcomeKind : uint8_t {
  kPaired,     // a reference object and the label paired with it
  kMissing,    // a reference object with no label
  kExtra,      // a label with no reference object
  kDuplicate,  // an unpaired label that passes the gate with an already-paired reference object
  kIgnored,    // an unpaired label or reference object inside a gold ignore region: no error
  kTag,        // one frame-level tag of the reference (tags pipelines)
};
std::string_view Name(OutcomeKind k);  // "paired", "missing", "extra", ...

// One row of the fact table. Views point into the compared records (valid while they live).
struct Outcome {
  OutcomeKind kind = OutcomeKind::kPaired;
  int32_t reference = -1;       // index into the reference's objects (-1: none)
  int32_t label = -1;           // index into the labels' objects (-1: none)
  ErrorMask errors = 0;         // ErrorBit of each error type found
  std::string_view cls;         // the context class: the reference's; the label's for extra
  std::string_view label_cls;   // the label's class (paired, extra, duplicate)
  std::string_view attributes_json;  // the context object's attributes (attr.* slices)
  std::string_view tag;              // kTag: the tag's name
  double safety_weight = 1.0;   // of the context class (1 when the pipeline does not list it)
  double range_m = kNotMeasured;  // box3d: hypot(x, y) of the context object
  int64_t num_points = -1;        // of the context object; -1 when absent
  // Measured values (NaN when not measured for this geometry or kind):
  double iou = kNotMeasured;                // box2d IoU, box3d bird's-eye IoU, polygon/mask IoU
  double center_error_m = kNotMeasured;     // box3d: bird's-eye centre distance
  double size_error_rel = kNotMeasured;     // box3d: max over l, w, h; box2d: max over w, h
  double heading_error_deg = kNotMeasured;  // box3d: yaw difference folded into [0, 180]
  double distance = kNotMeasured;  // box2d centre offset (px); polyline mean symmetric distance
  float score = -1;                // the label's model score; -1 when absent
  uint32_t attribute_begin = 0, attribute_end = 0;  // FrameComparison::attributes of this pair
};

// One attribute value of a paired reference object compared with the label's.
struct AttributeCheck {
  std::string_view name;
  bool equal = false;
};

// The comparison of one frame. Reused between frames (Compare clears it, keeping capacity).
struct FrameComparison {
  const LabelRecord* labels = nullptr;
  const LabelRecord* reference = nullptr;
  GeometryKind geometry = GeometryKind::kBox3d;  // the pipeline's
  bool tracking = false;  // the pipeline has tracking = true
  std::vector<Outcome> outcomes;
  std::vector<AttributeCheck> attributes;
};

enum class MatchMethod {
  kOptimal,        // class-agnostic linear assignment: most pairs, then least total cost
  kGreedyByScore,  // COCO: labels by descending score each take the best free gated reference
};

struct CompareOptions {
  MatchMethod method = MatchMethod::kOptimal;
  // box3d: find candidate pairs through a grid over the labels' centres and reject pairs whose
  // bird's-eye IoU is bounded below the gate before computing it exactly. false gates every pair
  // (the straightforward path, kept for tests): the outcomes are the same either way.
  bool prune_candidates = true;
};

// Tracks of one task across its frames, for CLEAR-MOT id switches and fragmentations.
// Feed the frames of one task in timestamp order; Observe marks kIdSwitch / kFragmentation on
// the paired outcomes of the frame and remembers each reference track's label track, which
// Compare uses to keep a pairing that still passes the gate (CLEAR-MOT's continuity rule).
class TrackHistory {
 public:
  void Observe(FrameComparison& frame);
  void Clear() { last_.clear(); }
  // The label track that `reference_track` was last paired with; empty when never.
  std::string_view LastLabelTrack(std::string_view reference_track) const;

 private:
  struct State {
    std::string label_track;  // last paired label track
    bool paired_last_seen = false;  // whether the reference track was paired where last present
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, State, Hash, std::equal_to<>> last_;
};

// Compares frames of one pipeline. The pipeline spec must outlive the comparer.
class FrameComparer {
 public:
  explicit FrameComparer(const PipelineSpec& pipeline, CompareOptions options = {});

  // Compares `labels` (vendor, model, ...) with `reference` (the same frame's gold or another
  // source) and fills `out`. `history`, for tracking pipelines, prefers pairs that continue the
  // previous frames' pairing (may be null). Records are trusted (validated at ingest).
  void Compare(const LabelRecord& labels, const LabelRecord& reference, FrameComparison& out,
               const TrackHistory* history = nullptr);

  const PipelineSpec& pipeline() const { return pipeline_; }

  // Bytes of scratch memory held between frames: it grows to the largest frame compared and
  // does not grow with the number of frames.
  size_t ScratchBytes() const;

 private:
  struct ClassInfo {
    std::string name;
    MatchRule rule;
    double safety_weight = 1.0;
  };
  struct Edge {
    int32_t ref = 0, label = 0;
    double cost = 0;  // within the gate: 1 - IoU, or distance / threshold (lower is better),
                      // minus 1 for a pair that continues its tracks' pairing
    double iou = kNotMeasured;       // when the gate measured it
    double distance = kNotMeasured;  // when the gate measured it
  };
  struct Region {  // a gold ignore region
    enum class Kind { kBox2d, kBox3d, kPolygon } kind = Kind::kBox2d;
    Box2d box2d;
    Box3d box3d;
    std::vector<geometry::Ring> rings;
  };

  const ClassInfo& InfoOf(std::string_view cls) const;
  void Prepare(const LabelRecord& labels, const LabelRecord& reference);
  bool Gate(const Object& ref, const Object& lab, int32_t r, int32_t l, const MatchRule& rule,
            Edge& edge) const;
  bool CannotPass(int32_t r, int32_t l, const MatchRule& rule) const;
  void BuildGrid();
  void RankLabels();
  void BuildEdges(const LabelRecord& labels, const LabelRecord& reference,
                  const TrackHistory* history);
  void PairOptimal(size_t num_refs, size_t num_labels);
  void PairGreedy(const LabelRecord& labels);
  void Measure(const Object& ref, const Object& lab, const Edge& edge, Outcome& o) const;
  void CompareAttributes(const Object& ref, const Object& lab, FrameComparison& out, Outcome& o);
  void CompareTags(const LabelRecord& labels, const LabelRecord& reference, FrameComparison& out);
  void ParseRegions(std::string_view ignore_json);
  bool InsideIgnore(const Object& obj, int32_t index, bool is_reference) const;

  const PipelineSpec& pipeline_;
  CompareOptions options_;
  std::vector<ClassInfo> classes_;
  ClassInfo default_class_;

  // Scratch, per frame.
  std::vector<geometry::PreparedBox3d> ref_box3d_, lab_box3d_;
  std::vector<std::vector<geometry::Point3>> ref_line_, lab_line_;
  // Each polyline's bird's-eye bounding box (min x, min y, max x, max y): the distance between two
  // boxes is a lower bound of the lines' mean symmetric distance (every sampled point lies in its
  // line's box), so most pairs are rejected without computing it.
  std::vector<std::array<double, 4>> ref_line_box_, lab_line_box_;
  std::vector<std::vector<geometry::Ring>> ref_poly_, lab_poly_;
  std::vector<geometry::Rle> ref_mask_, lab_mask_;
  std::vector<const ClassInfo*> ref_info_;
  std::vector<Edge> edges_;
  std::vector<int32_t> ref_pair_, lab_pair_;  // index into edges_ of the pair, or -1
  std::vector<int32_t> parent_;
  std::vector<int32_t> comp_refs_, comp_labels_, local_;
  std::vector<double> costs_;
  std::vector<int32_t> edge_at_, ref_local_;
  std::vector<std::pair<int32_t, int32_t>> comp_edges_;  // (component root, edge) of components
                                                        // with several edges
  std::vector<int32_t> order_;
  // box3d candidates: each label's rank in x order (the order of a reference's candidates, which
  // decides between tied optima) and a grid over the labels' centres (cell c holds the grid
  // items grid_start_[c] .. grid_start_[c + 1] - 1; rows of cells are contiguous).
  struct LabelX {
    double x = 0;
    int32_t index = 0;
  };
  std::vector<LabelX> label_x_;  // the labels in rank order (when ranked_)
  std::vector<int32_t> lab_rank_;
  bool ranked_ = false;
  std::vector<int32_t> grid_start_;
  // The grid's items, one array per field (four labels at a time with AVX2): each label's
  // footprint (centre, bounding-circle radius, NaN when degenerate in bird's-eye view, yaw's
  // cosine and sine, half length and width) and its index. Padded with kGridPad NaN centres.
  static constexpr size_t kGridPad = 3;
  std::vector<double> grid_x_, grid_y_, grid_r_, grid_cos_, grid_sin_, grid_hl_, grid_hw_;
  std::vector<int32_t> grid_index_;
  double grid_x0_ = 0, grid_y0_ = 0, grid_inv_cell_ = 1;
  int32_t grid_nx_ = 1, grid_ny_ = 1;
  static int32_t GridCell(double v, double v0, double inv_cell, int32_t n) {
    // Clamped without branches (min and max; NaN gives cell 0).
    const double c = std::min(std::max(0.0, std::floor((v - v0) * inv_cell)), static_cast<double>(n - 1));
    return static_cast<int32_t>(c);
  }
  int32_t CellX(double x) const { return GridCell(x, grid_x0_, grid_inv_cell_, grid_nx_); }
  int32_t CellY(double y) const { return GridCell(y, grid_y0_, grid_inv_cell_, grid_ny_); }
  std::vector<Region> regions_;
  std::vector<JsonMember> ref_members_, lab_members_;
  // The last reference attribute text parsed and its members' (offset, size) of key and value.
  std::string attr_memo_;
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, std::pair<uint32_t, uint32_t>>> attr_memo_members_;
  AssignmentSolver solver_;
};

// Folds a yaw difference (radians) into [0, 180] degrees.
double HeadingErrorDeg(double yaw_a, double yaw_b);

}  // namespace gtops::quality
