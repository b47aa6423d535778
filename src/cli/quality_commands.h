// `gtops eval --pipeline P`: a pipeline's labels compared with their reference (vendor or model
// against gold or model), the outcomes written to the store, and the quality metrics with their
// 95% intervals, overall and per group (docs/metrics.md, docs/cli.md). Parses nothing (main.cc
// does), calls the engine (evaluate/), renders, returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"

namespace gtops::cli {

struct EvalQualityArgs {
  CommonArgs common;
  std::string pipeline;
  std::string batch;
  std::string source = "vendor";   // vendor | model
  std::string against = "gold";    // gold | model
  std::vector<std::string> by;     // group keys, e.g. vendor,class
  int resamples = 1000;            // bootstrap resamples
  bool distortion = false;         // the model against gold and against vendor labels
};
int RunEvalQuality(const EvalQualityArgs& args);

}  // namespace gtops::cli
