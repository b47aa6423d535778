// CombineReliability and the Wilson rates of annotator reliability, computed by hand
// (docs/agreement.md, "gtops annotators").
#include "evaluate/annotators.h"

#include <cmath>

#include <gtest/gtest.h>

namespace gtops {
namespace {

TEST(MakeRateInterval, Wilson) {
  const RateInterval r = MakeRateInterval(5, 10);
  EXPECT_DOUBLE_EQ(r.value, 0.5);
  EXPECT_NEAR(r.lo, 0.236593, 1e-6);  // Wilson 95% of 5/10
  EXPECT_NEAR(r.hi, 0.763407, 1e-6);
  const RateInterval none = MakeRateInterval(0, 0);
  EXPECT_TRUE(std::isnan(none.value) && std::isnan(none.lo) && std::isnan(none.hi));
}

PipelineSpec Spec() {
  PipelineSpec spec;
  spec.id = std::string("p");
  spec.geometry = GeometryKind::kBox3d;
  spec.targets.pipeline = {Target{"recall", 0.9, 1}, Target{"class_accuracy", 0.95, 2},
                           Target{"audit_pass_rate", 0.8, 3}};
  return spec;
}

AnnotatorHoneypots Honeypots(const std::string& annotator, const std::string& vendor, int64_t paired, int64_t refs) {
  AnnotatorHoneypots h;
  h.annotator = annotator;
  h.vendor = vendor;
  h.reference_objects = refs;
  h.metrics.push_back(HoneypotMetric{"recall", MakeRateInterval(paired, refs)});
  h.metrics.push_back(HoneypotMetric{"precision", MakeRateInterval(1, 10)});  // no target: never flagged
  return h;
}

TEST(CombineReliability, FlagsWholeIntervalBelowTarget) {
  const PipelineSpec spec = Spec();
  // a: recall 50/100, Wilson [0.404, 0.596] below 0.9. b: recall 95/100, [0.888, 0.978]: not below.
  const std::vector<AnnotatorHoneypots> honeypots = {Honeypots("a", "v1", 50, 100), Honeypots("b", "v1", 95, 100)};
  AnnotatorAgreement b_overlap;
  b_overlap.annotator = "b";
  b_overlap.vendor = "v1";
  b_overlap.answers = 40;
  b_overlap.ds_accuracy = 0.5, b_overlap.ds_lo = 0.4, b_overlap.ds_hi = 0.6;  // below class_accuracy 0.95
  AnnotatorAgreement d_overlap = b_overlap;
  d_overlap.annotator = "d";
  d_overlap.vendor = "v2";
  d_overlap.ds_accuracy = 0.97, d_overlap.ds_lo = 0.9, d_overlap.ds_hi = 0.99;  // interval holds the target
  const std::vector<AnnotatorAgreement> overlap = {b_overlap, d_overlap};
  // c: 2 of 10 audited tasks pass, Wilson [0.057, 0.510] below 0.8; d: 10 of 10.
  const std::vector<AnnotatorAudits> audits = {{"c", "v2", 10, 2}, {"d", "v2", 10, 10}};

  const PipelineReliability r = CombineReliability(spec, honeypots, overlap, audits);
  ASSERT_EQ(r.rows.size(), 4u);
  // One flag each for a, b, c: the larger shortfall (target - hi) first: b 0.95 - 0.6 = 0.35,
  // a 0.9 - 0.596 = 0.304, c 0.8 - 0.510 = 0.290; then the unflagged d.
  EXPECT_EQ(r.rows[0].annotator, "b");
  EXPECT_EQ(r.rows[1].annotator, "a");
  EXPECT_EQ(r.rows[2].annotator, "c");
  EXPECT_EQ(r.rows[3].annotator, "d");
  EXPECT_NEAR(r.rows[0].shortfall, 0.35, 1e-12);
  const ReliabilityRow& a = r.rows[1];
  const ReliabilityRow& b = r.rows[0];
  const ReliabilityRow& c = r.rows[2];
  const ReliabilityRow& d = r.rows[3];
  ASSERT_EQ(a.flags.size(), 1u);
  EXPECT_EQ(a.flags[0].source, "honeypot");
  EXPECT_EQ(a.flags[0].metric, "recall");
  EXPECT_NEAR(a.flags[0].hi, 0.596, 1e-3);
  EXPECT_DOUBLE_EQ(a.flags[0].target, 0.9);
  ASSERT_EQ(b.flags.size(), 1u);
  EXPECT_EQ(b.flags[0].source, "overlap");
  EXPECT_EQ(b.flags[0].metric, "class_accuracy");
  ASSERT_EQ(c.flags.size(), 1u);
  EXPECT_EQ(c.flags[0].source, "audit");
  EXPECT_NEAR(c.audits.hi, 0.5098, 1e-3);
  EXPECT_TRUE(d.flags.empty());
  EXPECT_EQ(d.shortfall, 0.0);
  EXPECT_EQ(d.audits.successes, 10);
  EXPECT_TRUE(d.overlap.has_value());
  EXPECT_FALSE(d.honeypots.has_value());
  EXPECT_EQ(c.audits.n, 10);
  EXPECT_TRUE(std::isnan(a.audits.value));  // no audits: NaN, n 0

  // Only vendor v2's annotators.
  const PipelineReliability v2 = CombineReliability(spec, honeypots, overlap, audits, "v2");
  ASSERT_EQ(v2.rows.size(), 2u);
  EXPECT_EQ(v2.rows[0].annotator, "c");
  EXPECT_EQ(v2.rows[1].annotator, "d");
}

}  // namespace
}  // namespace gtops
