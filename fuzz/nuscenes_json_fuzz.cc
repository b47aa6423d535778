// libFuzzer target: arbitrary bytes as a nuScenes detection results file, paired with itself as
// ground truth and predictions and evaluated (mAP, TP errors, NDS). Nothing may crash, hang, leak
// or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "eval/nuscenes_json.h"
#include "quality/nuscenes_metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto results = gtops::eval::ParseNuscenesResults(text, "results.json");
  if (!results.ok()) {
    if (results.status().message().empty()) std::abort();
    return 0;
  }
  auto samples = gtops::eval::PairNuscenesSamples(*results, *results);
  if (!samples.ok()) {
    if (samples.status().message().empty()) std::abort();
    return 0;
  }
  const auto metrics = gtops::quality::EvaluateNuscenesDetection(*samples);
  (void)metrics;
  return 0;
}
