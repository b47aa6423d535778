// libFuzzer target: arbitrary bytes as a COCO ground-truth file and, after the first NUL byte, as
// a results file against it; each accepted pair is evaluated (bbox and segm). Every input must be
// read or refused with a message; nothing may crash, hang, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "eval/coco_json.h"
#include "quality/coco_eval.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = bytes.find('\0');
  const std::string_view gt_text = bytes.substr(0, split);
  const std::string_view dt_text = split == std::string_view::npos ? std::string_view("[]") : bytes.substr(split + 1);
  for (auto type : {gtops::quality::CocoIouType::kBbox, gtops::quality::CocoIouType::kSegm}) {
    auto gt = gtops::eval::ParseCocoGroundTruth(gt_text, "gt.json", type);
    if (!gt.ok()) {
      if (gt.status().message().empty()) std::abort();
      continue;
    }
    auto dt = gtops::eval::ParseCocoResults(dt_text, "dt.json", *gt, type);
    if (!dt.ok()) {
      if (dt.status().message().empty()) std::abort();
      continue;
    }
    gtops::quality::CocoEvalOptions options;
    options.iou_type = type;
    options.threads = 1;
    auto result = gtops::quality::EvaluateCoco(gt->set, *dt, options);
    if (!result.ok() && result.status().message().empty()) std::abort();
  }
  return 0;
}
