// `gtops consensus`: the consensus label set of each overlap set (a frame with vendor records of
// two or more annotators) of a pipeline, its comparison with gold where the frame has gold, and
// its writing into the store as source `consensus` (docs/agreement.md, "Consensus").
//
// Orchestration of the quality engine's matching (quality::FrameComparer, every pair of the
// frame's annotators) and the agreement kernels (ClusterObjects, FuseBoxes / FuseBoxes2d /
// Medoid, InferTruth). ClusterOverlapFrame and FuseCluster are pure (no I/O); ComputeConsensus
// reads the store (and writes it with `write`). Not thread-safe; memory is the pipeline's overlap
// frames (their vendor and gold records) while it runs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agreement/consensus_cluster.h"
#include "agreement/truth.h"
#include "config/config.h"
#include "core/records.h"
#include "core/status.h"
#include "quality/compare.h"
#include "store/store.h"

namespace gtops {

// One overlap set: the vendor records of the frame, one per annotator (the first record of each,
// ordered by annotator id), its gold record when it has one, and the clusters of its objects.
struct OverlapFrame {
  std::vector<LabelRecord> records;
  std::optional<LabelRecord> gold;
  std::vector<agreement::MatchEdge> edges;  // the pairs the matching found, annotator a < b
  std::vector<agreement::ObjectCluster> clusters;
};

// The matching cost of a paired outcome: 1 - IoU when the comparison measured an IoU (else 1),
// plus 0.001 x the distance it measured (polyline distance, box2d centre offset, or box3d centre
// distance), so that pairs gated by distance alone are still ordered.
double MatchCost(const quality::Outcome& paired);

// Matches every pair of the frame's records (the lower annotator's record as the reference, the
// pipeline's match rules, class-agnostic optimal pairing) and clusters the objects with
// agreement::ClusterObjects under `quorum` (<= 0: strict majority of the frame's annotators).
Status ClusterOverlapFrame(quality::FrameComparer& comparer, OverlapFrame& frame, int quorum);

// The fused geometry of one cluster as an object (kind and geometry set; id, class, track and
// attributes left to the caller). `weights`: one per record of the frame (the annotators'
// reliabilities). box3d: FuseBoxes; box2d: FuseBoxes2d; polyline, polygon, mask: the medoid of the
// members under the edges' costs (a pair of members the matching did not pair counts as the
// largest cost in the cluster, or 1 when there is none).
Result<Object> FuseCluster(GeometryKind geometry, const OverlapFrame& frame, const agreement::ObjectCluster& cluster,
                           std::span<const double> weights);

// How a label set compares with gold on the frames that have both.
struct GoldAgreement {
  std::string who;  // "consensus", or the annotator id
  int64_t frames = 0;
  int64_t gold_objects = 0, labels = 0, matched = 0, class_correct = 0;
  double precision = 0, recall = 0, f1 = 0;  // NaN when undefined
  double mean_iou = 0;            // over matched pairs with an IoU; NaN when none
  double mean_centre_error_m = 0; // box3d; NaN otherwise
  double mean_distance = 0;       // box2d centre offset (px), polyline distance; NaN otherwise
};

struct AnnotatorWeight {
  std::string annotator;
  int64_t answers = 0;               // class answers (objects in accepted clusters)
  double accuracy = 0, lo = 0, hi = 0;  // Dawid–Skene class accuracy and its Wilson interval
  double weight = 1;                 // the weight used to fuse geometry and vote attributes
  // Dawid–Skene's class confusion of this annotator: classes x classes, row = true class, column
  // = the class answered, P(answered | true) (PipelineConsensus::classes gives the order).
  std::vector<double> confusion;
};

// The class posterior of one accepted cluster (an item of the class model).
struct ClassPosterior {
  std::string frame;
  int32_t cluster = 0;            // the cluster's index in its frame
  std::string cls;                // the class chosen (argmax)
  double probability = 0;         // its posterior probability
  std::vector<double> posterior;  // over PipelineConsensus::classes
};

struct PipelineConsensus {
  std::string pipeline;
  GeometryKind geometry = GeometryKind::kBox3d;
  int quorum = 0;                    // as asked (<= 0: majority)
  int64_t overlap_frames = 0;
  int64_t labels = 0;                // vendor objects in the overlap frames
  int64_t clusters = 0, accepted = 0, rejected = 0;
  int64_t missing_votes = 0;         // over accepted clusters: frame annotators without a member
  int64_t dropped_objects = 0;       // members of rejected clusters (extra votes)
  int64_t class_overruled = 0;       // accepted clusters whose Dawid–Skene class is not the plain majority's
  int ds_iterations = 0;
  bool ds_converged = true;
  std::vector<AnnotatorWeight> annotators;
  std::vector<std::string> classes;        // the class codes of the class model, in order
  std::vector<ClassPosterior> posteriors;  // one per accepted cluster, in frame order
  int64_t gold_frames = 0;           // overlap frames with gold
  std::optional<GoldAgreement> consensus_vs_gold;
  std::vector<GoldAgreement> annotators_vs_gold;  // each annotator's own records on those frames
  std::optional<GoldAgreement> single_vs_gold;    // all annotators' records pooled
  int64_t written = 0, inserted = 0, replaced = 0, unchanged = 0;  // with write
  std::vector<LabelRecord> records;  // the consensus label sets, one per overlap frame
};

struct ConsensusOptions {
  std::string pipeline;  // "": every pipeline of the program with overlap sets (tags pipelines skipped)
  int quorum = 0;        // <= 0: strict majority of each frame's annotators
  bool write = false;    // write the label sets into the store as source `consensus`
  bool keep_records = false;  // keep PipelineConsensus::records (tests)
  agreement::TruthOptions truth;  // the Dawid–Skene model of classes and attribute values
};

// NotFound for an unknown pipeline; Usage for a tags pipeline asked by name; store errors as
// they come.
Result<std::vector<PipelineConsensus>> ComputeConsensus(Store& store, const ProgramConfig& config,
                                                        const ConsensusOptions& options);

}  // namespace gtops
