// gtops run gathers what process control and the root-cause search take from the outcome rows
// while it writes them (rootcause::FactsBuilder, OutcomeSums) instead of reading them back from the
// store: on world-small, both equal what LoadFacts and LoadSpcSeries read back.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "evaluate/evaluate.h"
#include "rootcause/rootcause.h"
#include "run/ops_data.h"
#include "run/process_data.h"
#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::TempDir;

// Table `a` equals `b`, cell by cell.
void ExpectSameTable(const rootcause::FactTable& a, const rootcause::FactTable& b, const std::string& pipeline) {
  SCOPED_TRACE(pipeline);
  ASSERT_EQ(a.dims.size(), b.dims.size());
  for (size_t d = 0; d < a.dims.size(); ++d) {
    EXPECT_EQ(a.dims[d].key, b.dims[d].key);
    EXPECT_EQ(a.dims[d].numeric, b.dims[d].numeric);
    EXPECT_EQ(a.dims[d].values, b.dims[d].values);
    EXPECT_EQ(a.dims[d].cuts, b.dims[d].cuts);
    EXPECT_TRUE(a.codes[d] == b.codes[d]) << a.dims[d].key;
  }
  EXPECT_TRUE(a.at_risk == b.at_risk);
  EXPECT_TRUE(a.error == b.error);
  EXPECT_TRUE(a.weight == b.weight);
  EXPECT_TRUE(a.example == b.example);
}

void ExpectSameSeries(const std::vector<SpcSeries>& a, const std::vector<SpcSeries>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].pipeline + " " + a[i].vendor + " " + a[i].annotator + " " + a[i].metric);
    EXPECT_EQ(a[i].pipeline, b[i].pipeline);
    EXPECT_EQ(a[i].vendor, b[i].vendor);
    EXPECT_EQ(a[i].annotator, b[i].annotator);
    EXPECT_EQ(a[i].metric, b[i].metric);
    EXPECT_EQ(a[i].unit, b[i].unit);
    ASSERT_EQ(a[i].batches.size(), b[i].batches.size());
    for (size_t k = 0; k < a[i].batches.size(); ++k) {
      EXPECT_EQ(a[i].batches[k].batch, b[i].batches[k].batch);
      EXPECT_EQ(a[i].batches[k].time_ms, b[i].batches[k].time_ms);
      EXPECT_EQ(a[i].batches[k].n, b[i].batches[k].n);
      EXPECT_EQ(a[i].batches[k].count, b[i].batches[k].count);
    }
  }
}

TEST(RunMeasuredOutcomes, EqualWhatProcessControlAndRootCauseReadBackFromTheStore) {
  TempDir dir;
  const std::string db = dir / "gtops.db";
  int status = 0;
  const std::string ingested =
      testing::RunGtops("ingest --program " + testing::WorldSmall() + " --store " + db + " --quiet", status);
  ASSERT_EQ(testing::ExitCode(status), 0) << ingested;
  auto config = LoadConfig(testing::WorldSmall());
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto store = OpenStore(StoreOptions{db, false});
  ASSERT_TRUE(store.ok()) << store.status().message();

  // Every pipeline compared with gold and written, as gtops run does; the first pipeline's rows
  // also summed apart (the others then come from the store).
  rootcause::FactsBuilder facts;
  OutcomeSums sums, first_only;
  for (const PipelineSpec& spec : config->pipelines) {
    EvaluateOptions eo;
    eo.pipeline = spec.id;
    eo.source = Source::kVendor;
    eo.against = Source::kGold;
    const bool first = &spec == &config->pipelines.front();
    eo.on_outcome_row = [&](const LabelRecord& r, const OutcomeRow& row) {
      sums.Add(row.pipeline, row.vendor, row.batch, row.annotator, row.kind, row.attributes_compared, row.errors);
      if (first) {
        first_only.Add(row.pipeline, row.vendor, row.batch, row.annotator, row.kind, row.attributes_compared, row.errors);
      }
      facts.Add(row.pipeline, rootcause::FactOf(row, r.labeled_at));
    };
    auto evaluated = EvaluatePipeline(**store, *config, eo);
    ASSERT_TRUE(evaluated.ok()) << evaluated.status().message();
    sums.Cover(spec.id);
    if (first) first_only.Cover(spec.id);
  }

  auto stored = rootcause::LoadFacts(**store, "");
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  const std::vector<rootcause::PipelineFacts> built = facts.Finish();
  ASSERT_EQ(built.size(), stored->size());
  size_t errors = 0;
  for (size_t i = 0; i < built.size(); ++i) {
    EXPECT_EQ(built[i].pipeline, (*stored)[i].pipeline);
    ExpectSameTable(built[i].table, (*stored)[i].table, built[i].pipeline);
    for (uint32_t e : built[i].table.error) errors += e != 0;
  }
  EXPECT_GT(errors, 100u);  // world-small's injected errors are in the tables

  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(**store, *config, as_of_ms);
  ASSERT_TRUE(timelines.ok()) << timelines.status().message();
  auto audits = LoadAudits(**store);
  ASSERT_TRUE(audits.ok()) << audits.status().message();
  auto read = LoadSpcSeries(**store, *timelines, *audits, "");
  auto summed = LoadSpcSeries(**store, *timelines, *audits, "", &sums);
  auto partly = LoadSpcSeries(**store, *timelines, *audits, "", &first_only);
  ASSERT_TRUE(read.ok() && summed.ok() && partly.ok());
  EXPECT_GT(read->size(), 100u);
  ExpectSameSeries(*summed, *read);
  ExpectSameSeries(*partly, *read);
}

}  // namespace
}  // namespace gtops
