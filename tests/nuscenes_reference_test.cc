// shared/reference/nuscenes-nd-score: nuscenes-devkit's DetectionEval (detection_cvpr_2019,
// without range and point filters) on the devkit's own seeded random boxes.
#include <gtest/gtest.h>

#include <string>

#include "eval/nuscenes_json.h"
#include "quality/nuscenes_metrics.h"

namespace gtops {
namespace {

const std::string kDir = std::string(GTOPS_SHARED_DIR) + "/reference/nuscenes-nd-score";

TEST(NuscenesReferenceTest, DevkitScoresToOneBillionth) {
  auto samples = eval::ReadNuscenesDetection(kDir + "/gt.json", kDir + "/pred.json");
  ASSERT_TRUE(samples.ok()) << samples.status().message();
  const quality::NuscenesMetrics m = quality::EvaluateNuscenesDetection(*samples);
  EXPECT_EQ(m.num_gt, 900);
  EXPECT_EQ(m.num_pred, 7500);
  EXPECT_NEAR(m.mean_ap, 0.03252407137825664, 1e-9);
  EXPECT_NEAR(m.nd_score, 0.09935553928797666, 1e-9);
  EXPECT_NEAR(m.mate, 1.307616585704357, 1e-9);
  EXPECT_NEAR(m.mase, 0.8349830962574011, 1e-9);
  EXPECT_NEAR(m.maoe, 0.7255479846417405, 1e-9);
  EXPECT_NEAR(m.mave, 2.1003983950915357, 1e-9);
  EXPECT_NEAR(m.maae, 0.608533883112375, 1e-9);
}

}  // namespace
}  // namespace gtops
