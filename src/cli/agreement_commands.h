// `gtops agreement`: categorical agreement of the annotators of each pipeline's overlap sets
// (docs/agreement.md, "gtops agreement"; docs/cli.md). Parses nothing (main.cc does), calls the
// engine (evaluate/agreement_sets.h), renders, returns the exit code.
#pragma once

#include <string>

#include "cli/commands.h"

namespace gtops::cli {

struct AgreementArgs {
  CommonArgs common;
  std::string pipeline;  // "": every pipeline with overlap sets
};
int RunAgreement(const AgreementArgs& args);

}  // namespace gtops::cli
