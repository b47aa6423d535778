// Automated QA kernels (docs/quality-checks.md): rule checks that need no reference (spec
// conformance, size priors, box3d sanity, tracks in world coordinates, polylines and masks),
// model-assisted detection against model predictions of the same frames, the calibration of
// every check's evidence into a probability on gold frames, and the review queue.
//
// Kernels: frames in, findings out; no I/O, no global state. A TaskChecker keeps scratch buffers
// between tasks, so it is not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "quality/compare.h"
#include "store/store.h"

namespace gtops::checks {

// Severity of a suspected error, from its type and the class's safety weight
// (docs/quality-checks.md, "Severity and score").
Severity SeverityOf(ErrorType type, double safety_weight);
// minor 1, major 3, critical 10.
double SeverityFactor(Severity s);

// A finding before calibration: `row.evidence` set, `row.probability` and `row.score` not yet.
// `confirmed` is set on frames that have gold: whether the vendor-vs-gold comparison shows the
// suspected error (nullopt when gold cannot say, e.g. a spec violation, or there is no gold).
struct RawFinding {
  RawFinding() = default;
  RawFinding(FindingRow r) : row(std::move(r)) {}  // NOLINT: implicit, a finding not yet judged
  FindingRow row;
  std::optional<bool> confirmed;
  std::string stratum;  // calibrated separately within the check: the class, or for model_class
                        // the pair "label class>predicted class"
};

struct TaskCheckStats {
  int64_t frames = 0, records = 0, objects = 0;
};

// Runs every check on the frames of one task (in timestamp order, as Store::ForEachFrame gives
// them): the rule checks on each vendor record, the track checks per annotator across the
// frames, the model comparison where the frame has a model record, and, where the frame has
// gold, the confirmation of each finding against the gold comparison. Appends to `out`.
class TaskChecker {
 public:
  explicit TaskChecker(const PipelineSpec& pipeline);
  void Check(std::span<const FrameLabels> task, std::vector<RawFinding>& out, TaskCheckStats& stats);
  // Whether the checks look across the frames of a task (tracks, id switches against gold): if
  // not, checking each frame on its own finds the same, in the same order.
  bool NeedsWholeTask() const { return pipeline_.tracking; }

 private:
  struct Obs;  // one label of a track, in world coordinates
  void CheckRecord(const LabelRecord& r, std::vector<RawFinding>& out);
  void CheckBox3dSanity(const LabelRecord& r, std::vector<RawFinding>& out);
  void CheckBox2dSanity(const LabelRecord& r, std::vector<RawFinding>& out);
  void CheckLines(const LabelRecord& r, std::vector<RawFinding>& out);
  void CheckTracks(std::span<const FrameLabels> task, std::string_view producer,
                   std::vector<std::vector<RawFinding>>& per_frame);
  void CompareWithModel(const LabelRecord& r, const LabelRecord& model, std::vector<RawFinding>& out);
  void Confirm(const LabelRecord& r, const LabelRecord& gold, quality::TrackHistory* history,
               std::vector<RawFinding>& found, std::vector<RawFinding>& out);  // moves `found` to `out`

  const PipelineSpec& pipeline_;
  quality::FrameComparer model_comparer_;
  quality::FrameComparer gold_comparer_;
  quality::FrameComparison cmp_;
  std::vector<quality::JsonMember> members_;
  std::vector<RawFinding> found_;
  LabelRecord scratch_;
};

// The finding's row filled from its record's context (pipeline, task, frame, producer, ...)
// and its class's safety weight and severity.
FindingRow MakeFinding(const PipelineSpec& pipeline, const LabelRecord& r, int32_t object, ErrorType type,
                       std::string_view check, double evidence, std::string reason);

// Calibration (docs/quality-checks.md, "Calibration"): per check, findings binned by evidence;
// a bin's probability is the share of its gold-confirmed findings, smoothed towards the
// evidence by a Beta prior of `prior_strength` pseudo-findings, made non-decreasing in evidence
// (pool adjacent violators). Then per (check, stratum) the same, smoothed towards the check's
// bin instead of the evidence. Checks gold cannot confirm keep their evidence as probability.
struct CalibrationBin {
  double lo = 0, hi = 0;       // evidence range [lo, hi)
  int64_t findings = 0, confirmed = 0;
  double probability = 0;
};
struct CheckCalibration {
  std::string check;
  std::string stratum;  // "" for the check as a whole
  std::vector<CalibrationBin> bins;
};
struct CalibrationOptions {
  int bins = 5;
  double prior_strength = 4;
};
std::vector<CheckCalibration> Calibrate(const std::vector<RawFinding>& findings, const CalibrationOptions& options = {});
// Sets probability and score of each finding from the calibration.
void ApplyCalibration(const std::vector<CheckCalibration>& calibration, std::vector<RawFinding>& findings);

// Findings not worth storing (docs/quality-checks.md, "The probability floor"): removes every
// finding of each queue item (the findings of one frame, record, label or predicted geometry and
// suspected type, combined as 1 - prod(1 - p)) whose probability is below `floor`; keeps the
// order of the others; returns how many were removed. Items at or above the floor keep all their
// findings, so a queue with min_probability >= floor is the same with or without them.
int64_t DropBelowFloor(std::vector<RawFinding>& findings, double floor);

// The review queue (docs/quality-checks.md, "The review queue").
struct QueueItem {
  std::string pipeline, frame, task, producer;
  std::string object;  // label id; "" for a suspected missing object
  std::string cls;
  ErrorType suspected = ErrorType::kMissing;
  Severity severity = Severity::kMinor;
  double probability = 0, score = 0;
  std::vector<std::string> reasons;
  std::string geometry_json;  // a suspected missing object's predicted geometry; "" otherwise
};
struct QueueFrame {
  std::string frame;
  double score = 0;  // expected error weight: sum of its items' scores
  std::vector<QueueItem> items;  // best first
};
struct QueueOptions {
  std::optional<int64_t> budget_frames;  // the N top-ranked frames
  std::optional<double> budget_frac;     // or this fraction of the pipeline's checked frames
  double min_probability = 0.5;          // items less likely than this are left out
};
struct Queue {
  std::string pipeline;
  int64_t frames_checked = 0;
  int64_t budget_frames = 0;     // frames the budget allows
  std::vector<QueueFrame> frames;  // ranked, at most budget_frames
};
// Merges the findings of one (frame, record, label, type) into one item (probabilities combined
// as independent evidence: 1 - prod(1 - p)), ranks the frames by expected error weight, and cuts
// at the budget.
Queue BuildQueue(std::string_view pipeline, int64_t frames_checked, const std::vector<FindingRow>& findings,
                 const QueueOptions& options);

// Auditor calibration (docs/quality-checks.md): on frames that have both an audit and gold,
// each auditor's recall of the errors gold shows in the audited labels, and false-alarm rate.
struct AuditorStats {
  std::string auditor;
  int64_t frames = 0;
  int64_t gold_errors = 0, found = 0;     // errors gold shows; of them, reported by the auditor
  int64_t reported = 0, false_alarms = 0;  // errors the auditor reported; of them, not in gold
  double recall = 0, false_alarm_rate = 0;  // NaN when the denominator is 0
};
// One audited frame: the audited record's comparison with gold and the audit's errors.
struct AuditedFrame {
  std::string auditor;
  std::vector<std::pair<std::string, ErrorType>> gold_errors;  // (label id or "" for missing, type)
  std::vector<std::pair<std::string, ErrorType>> reported;     // (object or "", type)
};
std::vector<AuditorStats> CalibrateAuditors(const std::vector<AuditedFrame>& frames);

}  // namespace gtops::checks
