// Timelines read from a store on two connections at once (the task ids cut at the median) are the
// timelines read on one: same tasks, same order, same derived figures.
#include "run/ops_data.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.h"

namespace gtops {
namespace {

TEST(LoadTimelines, TwoConnectionsGiveWhatOneGives) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-ops-data-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  {
    auto opened = OpenStore(StoreOptions{dir + "/gtops.db", false});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Store& store = **opened;
    auto run = store.BeginIngestRun();
    ASSERT_TRUE(run.ok());
    ASSERT_TRUE(store.BeginFile("events.jsonl", *run).ok());
    const int64_t t0 = *ParseRfc3339Ms("2026-03-02T08:00:00Z");
    int64_t line = 0;
    for (int task = 0; task < 301; ++task) {
      const EventKind kinds[] = {EventKind::kCreated, EventKind::kAssigned, EventKind::kSubmitted,
                                 task % 3 == 0 ? EventKind::kReviewFailed : EventKind::kAccepted};
      for (int k = 0; k < 4; ++k) {
        Event e;
        e.task = fmt::format("t{:04d}", task);
        e.pipeline = task % 2 == 0 ? "lidar" : "camera";
        e.batch = "b1";
        e.vendor = task % 5 == 0 ? "acme" : "cortex";
        e.annotator = e.vendor + "-a1";
        e.kind = kinds[k];
        e.at_epoch_ms = t0 + task * 3600'000 + k * 600'000;
        e.at = FormatRfc3339(e.at_epoch_ms);
        if (k == 2) e.cost_usd = 1.5 + task % 7;
        ++line;
        ASSERT_TRUE(store.PutEvent(e, static_cast<uint64_t>(line), SourceLocation{"events.jsonl", line}).ok());
      }
    }
    ASSERT_TRUE(store.CommitFile(FileState{"events.jsonl", 1, 1}, FileTotals{line, line, 0}).ok());
    IngestRunTotals totals;
    totals.status = "ok";
    ASSERT_TRUE(store.FinishIngestRun(*run, totals).ok());

    const ProgramConfig config;
    int64_t as_of_one = 0, as_of_two = 0;
    auto one = LoadTimelines(store, config, as_of_one, /*min_tasks_to_split=*/1'000'000);
    auto two = LoadTimelines(store, config, as_of_two, /*min_tasks_to_split=*/1);
    ASSERT_TRUE(one.ok()) << one.status().message();
    ASSERT_TRUE(two.ok()) << two.status().message();
    EXPECT_EQ(as_of_one, as_of_two);
    ASSERT_EQ(one->size(), 301u);
    ASSERT_EQ(two->size(), one->size());
    for (size_t i = 0; i < one->size(); ++i) {
      const ops::TaskTimeline &a = (*one)[i], &b = (*two)[i];
      EXPECT_EQ(a.task, b.task);
      EXPECT_EQ(a.vendor, b.vendor);
      EXPECT_EQ(a.state, b.state);
      EXPECT_EQ(a.review_failures, b.review_failures);
      EXPECT_EQ(a.first_accepted_ms, b.first_accepted_ms);
      EXPECT_DOUBLE_EQ(a.cost_usd(), b.cost_usd());
    }
    EXPECT_TRUE(std::is_sorted(two->begin(), two->end(),
                               [](const ops::TaskTimeline& x, const ops::TaskTimeline& y) { return x.task < y.task; }));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gtops
