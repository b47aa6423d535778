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
