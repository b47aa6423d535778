// shared/reference/mot-tud: py-motmetrics' CLEAR and identity numbers and TrackEval's HOTA on the
// TUD-Campus and TUD-Stadtmitte results (shared/reference/README.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eval/mot_text.h"
#include "quality/mot_metrics.h"

namespace gtops {
namespace {

using eval::ReadMotFolders;
using quality::EvaluateTracking;
using quality::TrackingMetrics;
using quality::TrackingSequence;

const std::string kDir = std::string(GTOPS_SHARED_DIR) + "/reference/mot-tud";

struct Expected {
  const char* name;
  double mota, motp, idf1;
  std::int64_t fp, fn, idsw, frag, mt, pt, ml;
  double hota, det_a, ass_a;
};

constexpr Expected kTable[] = {
    {"TUD-Campus", 0.526462, 0.277201, 0.557659, 13, 150, 7, 7, 1, 6, 1, 0.391397437845,
     0.418047030143, 0.369120681208},
    {"TUD-Stadtmitte", 0.564014, 0.345904, 0.644619, 45, 452, 7, 6, 5, 4, 1, 0.397849016993,
     0.392267572369, 0.408840751811},
};

TEST(MotReferenceTest, TudSequencesMatchPyMotmetricsAndTrackEval) {
  Result<std::vector<TrackingSequence>> seqs = ReadMotFolders(kDir, kDir);
  ASSERT_TRUE(seqs.ok()) << seqs.status().message();
  ASSERT_EQ(seqs->size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    const Expected& e = kTable[k];
    const TrackingMetrics m = EvaluateTracking((*seqs)[k]);
    SCOPED_TRACE(e.name);
    EXPECT_EQ(m.name, e.name);
    EXPECT_EQ(m.clear.num_false_positives, e.fp);
    EXPECT_EQ(m.clear.num_misses, e.fn);
    EXPECT_EQ(m.clear.num_switches, e.idsw);
    EXPECT_EQ(m.clear.num_fragmentations, e.frag);
    EXPECT_EQ(m.clear.mostly_tracked, e.mt);
    EXPECT_EQ(m.clear.partially_tracked, e.pt);
    EXPECT_EQ(m.clear.mostly_lost, e.ml);
    // Printed to 6 digits.
    EXPECT_NEAR(m.clear.mota, e.mota, 5e-7);
    EXPECT_NEAR(m.clear.motp, e.motp, 5e-7);
    EXPECT_NEAR(m.identity.idf1, e.idf1, 5e-7);
    // Printed to 12 digits.
    EXPECT_NEAR(m.hota.hota_mean, e.hota, 1e-11);
    EXPECT_NEAR(m.hota.det_a_mean, e.det_a, 1e-11);
    EXPECT_NEAR(m.hota.ass_a_mean, e.ass_a, 1e-11);
  }
}

}  // namespace
}  // namespace gtops
