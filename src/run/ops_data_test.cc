// Timelines read from a store on two connections at once (the task ids cut at the median) are the
// timelines read on one: same tasks, same order, same derived figures.
#include "run/ops_data.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.h"
#include "ops/timeline_codec.h"

namespace gtops {
namespace {

// One ingest run of `events` (one file) into `store`.
void PutEvents(Store& store, const std::string& file, const std::vector<Event>& events, uint64_t hash_salt = 0) {
  auto run = store.BeginIngestRun();
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(store.BeginFile(file, *run).ok());
  int64_t line = 0;
  for (const Event& e : events) {
    ++line;
    const uint64_t hash = std::hash<std::string>{}(fmt::format("{}|{}|{}|{}|{}", e.task, Name(e.kind), e.at_epoch_ms,
                                                               e.cost_usd.value_or(-1), hash_salt));
    ASSERT_TRUE(store.PutEvent(e, hash, SourceLocation{file, line}).ok());
  }
  ASSERT_TRUE(store.CommitFile(FileState{file, 1, 1}, FileTotals{line, line, 0}).ok());
  IngestRunTotals totals;
  totals.status = "ok";
  ASSERT_TRUE(store.FinishIngestRun(*run, totals).ok());
}

Event MakeEvent(int task, EventKind kind, int64_t at_ms, std::optional<double> cost = std::nullopt) {
  Event e;
  e.task = fmt::format("t{:04d}", task);
  e.pipeline = task % 2 == 0 ? "lidar" : "camera";
  e.batch = fmt::format("b{}", task % 4);
  e.vendor = task % 5 == 0 ? "acme" : "cortex";
  e.annotator = e.vendor + "-a1";
  e.kind = kind;
  e.at_epoch_ms = at_ms;
  e.at = FormatRfc3339(at_ms);
  if (kind == EventKind::kCreated && task % 3 == 0) e.due_epoch_ms = at_ms + 20 * 3600'000;
  e.cost_usd = cost;
  return e;
}

// Every timeline rebuilt from all events, the way `gtops ops` computed them before stored timelines.
std::vector<ops::TaskTimeline> FromAllEvents(const std::vector<Event>& events, const ProgramConfig& config) {
  int64_t as_of = 0;
  for (const Event& e : events) as_of = std::max(as_of, e.at_epoch_ms);
  return ops::BuildTimelines(events, ops::TimelineOptions{as_of, &config});
}

void ExpectSameTimelines(const std::vector<ops::TaskTimeline>& want, const std::vector<ops::TaskTimeline>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].task, got[i].task);
    EXPECT_EQ(want[i].sla, got[i].sla) << want[i].task;
    // The encoding holds every other field.
    EXPECT_EQ(ops::EncodeTimeline(want[i]), ops::EncodeTimeline(got[i])) << want[i].task;
  }
}

int64_t Count(Store& store, const char* table) {
  auto q = store.QueryReadOnly(fmt::format("SELECT count(*) FROM {}", table));
  return q.ok() ? std::stoll(*q->rows.at(0).at(0)) : -1;
}

// Stored timelines: after each ingest only the tasks whose events changed are rebuilt, and what
// LoadTimelines gives is always what rebuilding every timeline from every event gives: before the
// refresh, after it, on one connection or two, with a damaged row, and when a task is marked
// again while its refresh is under way.
TEST(StoredTimelines, OnlyChangedTasksAreRebuiltAndLoadingEqualsRebuildingEverything) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-timelines-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  {
    auto opened = OpenStore(StoreOptions{dir + "/gtops.db", false});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Store& store = **opened;
    ProgramConfig config;
    PipelineSpec lidar;
    lidar.id = "lidar";
    lidar.sla_turnaround_hours = 10;
    config.pipelines.push_back(lidar);
    const int64_t t0 = *ParseRfc3339Ms("2026-03-02T08:00:00Z");
    auto load = [&](int64_t min_split) {
      int64_t as_of = 0;
      auto got = LoadTimelines(store, config, as_of, min_split);
      EXPECT_TRUE(got.ok()) << got.status().message();
      return got.ok() ? *got : std::vector<ops::TaskTimeline>();
    };

    // Delivery 1: 200 tasks, created / assigned / submitted.
    std::vector<Event> all;
    for (int task = 0; task < 200; ++task) {
      const int64_t at = t0 + task * 600'000;
      all.push_back(MakeEvent(task, EventKind::kCreated, at));
      all.push_back(MakeEvent(task, EventKind::kAssigned, at + 60'000, 0.5));
      all.push_back(MakeEvent(task, EventKind::kSubmitted, at + 3600'000, 4.0));
    }
    PutEvents(store, "d1.jsonl", all);
    EXPECT_EQ(Count(store, "timeline_marks"), 200);
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));  // nothing stored yet
    auto first = RefreshTimelines(store, /*chunk=*/64);
    ASSERT_TRUE(first.ok()) << first.status().message();
    EXPECT_EQ(first->tasks, 200);
    EXPECT_EQ(first->events, 600);
    EXPECT_EQ(Count(store, "timeline_marks"), 0);
    EXPECT_EQ(Count(store, "timeline_facts"), 200);
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));
    ExpectSameTimelines(FromAllEvents(all, config), load(1));

    // Delivery 2: reviews for 30 tasks (some failed), one replaced submission cost, 10 new tasks.
    std::vector<Event> second;
    for (int task = 0; task < 30; ++task) {
      const int64_t at = t0 + task * 600'000 + 7200'000;
      second.push_back(MakeEvent(task, task % 4 == 0 ? EventKind::kReviewFailed : EventKind::kReviewPassed, at, 1.0));
      if (task % 4 != 0) second.push_back(MakeEvent(task, EventKind::kAccepted, at + 60'000));
    }
    Event replaced = MakeEvent(150, EventKind::kSubmitted, t0 + 150 * 600'000 + 3600'000, 9.0);
    second.push_back(replaced);
    for (int task = 200; task < 210; ++task) second.push_back(MakeEvent(task, EventKind::kCreated, t0 + task * 600'000));
    PutEvents(store, "d2.jsonl", second);
    for (const Event& e : second) {
      auto same = std::find_if(all.begin(), all.end(), [&](const Event& x) {
        return x.task == e.task && x.kind == e.kind && x.at_epoch_ms == e.at_epoch_ms;
      });
      if (same != all.end()) {
        *same = e;
      } else {
        all.push_back(e);
      }
    }
    EXPECT_EQ(Count(store, "timeline_marks"), 41);  // 30 reviewed, 1 replaced, 10 new
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));  // marked ones from events
    ExpectSameTimelines(FromAllEvents(all, config), load(1));
    auto again = RefreshTimelines(store, 64);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again->tasks, 41);
    EXPECT_EQ(again->events, 30 * 4 + 22 + 3 + 10);  // only the changed tasks' events
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));
    auto nothing = RefreshTimelines(store, 64);
    ASSERT_TRUE(nothing.ok());
    EXPECT_EQ(nothing->tasks, 0);

    // A damaged row (or one of another encoding version) is rebuilt from its events.
    ASSERT_TRUE(store.SaveTimelines(std::vector<StoredTimeline>{{"t0007", std::string("\x7f garbage"), 0}}).ok());
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));

    // A task marked again after its refresh read the marks keeps its mark.
    Event late = MakeEvent(5, EventKind::kDelivered, t0 + 5 * 600'000 + 9000'000);
    PutEvents(store, "d3.jsonl", {late});
    all.push_back(late);
    auto marks = store.TimelineMarks();
    ASSERT_TRUE(marks.ok());
    ASSERT_EQ(marks->size(), 1u);
    Event later = MakeEvent(5, EventKind::kCancelled, t0 + 5 * 600'000 + 9900'000);
    PutEvents(store, "d4.jsonl", {later});  // marked again, with a larger mark
    all.push_back(later);
    ASSERT_TRUE(store.SaveTimelines(std::vector<StoredTimeline>{{"t0005", std::string("stale"), (*marks)[0].mark}}).ok());
    EXPECT_EQ(Count(store, "timeline_marks"), 1);
    ExpectSameTimelines(FromAllEvents(all, config), load(1'000'000));
  }
  std::filesystem::remove_all(dir);
}

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
