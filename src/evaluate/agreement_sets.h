// Categorical agreement of the annotators of a pipeline's overlap sets (frames with vendor
// records of two or more annotators): the units (tags, or objects matched across the annotators
// by the quality engine) are built here and measured with the kernels of agreement/
// (docs/agreement.md, "gtops agreement").
//
// Orchestration only: reads the frames (Store::ForEachFrame), pairs objects with
// quality::FrameComparer, calls the agreement kernels. Not thread-safe (one store connection);
// memory is the pipeline's units (a few integers each).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace gtops {

struct AgreementPair {
  std::string a, b;     // annotator ids, a < b
  double kappa = 0;     // Cohen's kappa over the units both coded (NaN when undefined)
  int64_t units = 0;    // units both coded
};

struct AgreementClass {
  std::string cls;      // the majority value of the units (tags: "name=value")
  int64_t units = 0;    // pairable units (two values or more) whose majority value this is
  double observed = 0;  // mean share of agreeing pairs of values in those units
  double alpha = 0;     // one-vs-rest alpha: nominal alpha of every unit recoded to (cls, other)
};

// Krippendorff's alpha (nominal) of one attribute over the matched objects' values.
struct AgreementAttribute {
  std::string attribute;
  int64_t units = 0;    // matched objects (two or more annotators) with a value of it
  double alpha = 0;
  int64_t values = 0;   // distinct values seen
};

// Geometric agreement of one class over the overlap sets (docs/agreement.md, "Geometric agreement").
struct GeometryAgreement {
  std::string cls;             // "" for the whole pipeline
  int64_t matched = 0;         // pairs of objects matched between two annotators (every pair of annotators)
  int64_t unmatched = 0;       // objects of either annotator of a pair left unmatched
  double f1 = 0;               // 2 matched / (2 matched + unmatched); NaN without objects
  double mean_iou = 0;         // of the matched pairs (box3d: bird's-eye IoU); NaN when not measured
  int64_t clusters = 0;        // pivot objects matched by at least one other annotator
  int64_t members = 0;         // boxes in those clusters
  double centre_sd = 0;        // pooled within-cluster standard deviation (m, or px for box2d)
  double size_sd_rel = 0;      // the same of the relative sizes
  double heading_sd_deg = 0;   // the same of the headings (box3d; NaN otherwise)
};

// One cell of the annotator-by-annotator matrix (every pair that shares an overlap frame).
struct AgreementCell {
  std::string a, b;            // a < b
  int64_t frames = 0;          // overlap frames both labeled
  double kappa = 0;            // Cohen's kappa over the units both coded (NaN when undefined)
  int64_t kappa_units = 0;
  int64_t matched = 0, unmatched = 0;
  double f1 = 0;               // matched F1 (NaN for tags pipelines and empty frames)
};

// Agreement within one vendor: only the frames with two or more of that vendor's annotators.
struct VendorAgreement {
  std::string vendor;
  int64_t overlap_frames = 0, units = 0, annotators = 0;
  double alpha = 0;            // nominal (classes, or tag values)
  int64_t matched = 0, unmatched = 0;
  double f1 = 0;               // matched F1 over the vendor's annotator pairs
};

// One annotator's agreement with the others (docs/agreement.md, "gtops annotators").
struct AnnotatorAgreement {
  std::string annotator, vendor;
  int64_t overlap_frames = 0;
  int64_t partners = 0;        // other annotators sharing a unit with defined kappa
  int64_t kappa_units = 0;     // units shared with them
  double mean_kappa = 0;       // mean of those pairwise kappas weighted by shared units (NaN: none)
  int64_t matched = 0, unmatched = 0;
  double f1 = 0;               // pooled matched F1 over his pairs
  int64_t answers = 0;         // values in pairable units (Dawid–Skene's answers)
  double ds_accuracy = 0, ds_lo = 0, ds_hi = 0;  // Dawid–Skene accuracy and 95% interval (NaN: none)
};

struct AgreementTag {
  std::string tag;
  int64_t units = 0;
  double alpha = 0;     // Krippendorff's alpha (nominal) over this tag's units
};

struct PipelineAgreement {
  std::string pipeline;
  bool tags = false;             // a tags pipeline (units are tags, not objects)
  int64_t overlap_frames = 0;    // frames with vendor records of two or more annotators
  int64_t units = 0;
  double alpha = 0;              // Krippendorff's alpha, nominal (NaN when undefined)
  std::optional<double> fleiss_kappa;  // only when every unit has the same number of values
  std::vector<std::string> annotators;  // sorted
  std::vector<AgreementPair> pairwise;  // pairs with at least min_pair_units common units
  std::vector<AgreementClass> by_class;  // by majority value, sorted by name
  std::vector<AgreementTag> by_tag;      // tags pipelines only
  std::string geometry;                  // the pipeline's geometry ("box3d", ...)
  std::vector<AgreementAttribute> by_attribute;  // by name (object pipelines)
  std::vector<VendorAgreement> by_vendor;        // vendors with an overlap set of their own
  GeometryAgreement geometric;                   // the whole pipeline (object pipelines)
  std::vector<GeometryAgreement> geometric_by_class;  // by class name
  std::vector<AgreementCell> matrix;             // annotator pairs, sorted
  std::vector<AnnotatorAgreement> by_annotator;  // sorted by annotator
};

struct AgreementOptions {
  std::string pipeline;      // "": every pipeline of the program
  int64_t min_pair_units = 20;
};

// The agreement of one pipeline (overlap_frames 0 when it has no overlap set).
// NotFound for a pipeline that is not in gtops.toml; store errors as they come.
Result<PipelineAgreement> ComputePipelineAgreement(Store& store, const ProgramConfig& config,
                                                   const std::string& pipeline, int64_t min_pair_units = 20);

// options.pipeline, or every pipeline of the program that has overlap sets, in config order.
Result<std::vector<PipelineAgreement>> ComputeAgreement(Store& store, const ProgramConfig& config,
                                                        const AgreementOptions& options);

}  // namespace gtops
