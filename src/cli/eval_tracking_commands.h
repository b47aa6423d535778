// `gtops eval mot` and `gtops eval nuscenes`: read the files (eval/), compute the metrics
// (quality/), render a table or JSON, return the exit code (docs/cli.md, docs/metrics.md).
#pragma once

#include <string>

#include "cli/commands.h"

namespace gtops::cli {

struct EvalMotArgs {
  std::string gt_dir;       // <seq>/gt.txt per sequence
  std::string tracker_dir;  // <seq>/test.txt or <seq>.txt per sequence (may equal gt_dir)
  bool json = false;
};
int RunEvalMot(const EvalMotArgs& args);

struct EvalNuscenesArgs {
  std::string gt_path;
  std::string pred_path;
  bool json = false;
};
int RunEvalNuscenes(const EvalNuscenesArgs& args);

}  // namespace gtops::cli
