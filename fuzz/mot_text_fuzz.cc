// libFuzzer target: arbitrary bytes as a MOTChallenge ground-truth file and, after the first NUL
// byte, as the tracker's file; an accepted pair is grouped into a sequence and evaluated (CLEAR,
// identity, HOTA). Nothing may crash, hang, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "eval/mot_text.h"
#include "quality/mot_metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t split = bytes.find('\0');
  const std::string_view gt_text = bytes.substr(0, split);
  const std::string_view test_text = split == std::string_view::npos ? gt_text : bytes.substr(split + 1);
  auto gt = gtops::eval::ParseMotText(gt_text, "gt.txt", true);
  auto test = gtops::eval::ParseMotText(test_text, "test.txt", false);
  if (!gt.ok() && gt.status().message().empty()) std::abort();
  if (!test.ok() && test.status().message().empty()) std::abort();
  if (!gt.ok() || !test.ok()) return 0;
  const auto sequence = gtops::eval::BuildTrackingSequence("fuzz", *gt, *test);
  const auto metrics = gtops::quality::EvaluateTracking(sequence);
  (void)metrics;
  return 0;
}
