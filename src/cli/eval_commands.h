// `gtops eval ...`: scoring results against ground truth with the definitions of the field's
// reference tools (docs/metrics.md). Each command parses nothing (main.cc does), calls the engine,
// renders, and returns the process exit code.
#pragma once

#include <string>

namespace gtops::cli {

// `gtops eval coco GT.json DT.json`: COCO detection AP as pycocotools' COCOeval computes it.
struct EvalCocoArgs {
  std::string ground_truth;  // COCO ground-truth file
  std::string results;       // results file: a JSON array of detections
  std::string iou_type = "bbox";  // "bbox" or "segm"
  int threads = 0;                // 0: one per hardware thread
  bool json = false;
};
int RunEvalCoco(const EvalCocoArgs& args);

}  // namespace gtops::cli
