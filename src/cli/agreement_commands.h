// `gtops agreement`: agreement of the annotators of each pipeline's overlap sets (categorical,
// geometric, the annotator matrix; by class, attribute, vendor); `gtops annotators`: one
// reliability table per pipeline from honeypots, overlap agreement and audits (docs/agreement.md;
// docs/cli.md). Parse nothing (main.cc does), call the engine (evaluate/agreement_sets.h,
// evaluate/annotators.h), render, return the exit code.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"

namespace gtops::cli {

struct AgreementArgs {
  CommonArgs common;
  std::string pipeline;         // "": every pipeline with overlap sets
  std::vector<std::string> by;  // "class", "attribute", "vendor" (comma-separated allowed); empty: class
};
int RunAgreement(const AgreementArgs& args);

struct AnnotatorsArgs {
  CommonArgs common;
  std::string pipeline;  // "": every pipeline
  std::string vendor;    // "": every vendor
};
int RunAnnotators(const AnnotatorsArgs& args);

}  // namespace gtops::cli
