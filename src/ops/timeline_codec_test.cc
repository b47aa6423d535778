// The stored form of task timelines: every field survives a round trip (random event histories,
// anomalies included), and anything that is not an encoding is an error, never a crash.
#include "ops/timeline_codec.h"

#include <random>

#include <gtest/gtest.h>

namespace gtops::ops {
namespace {

// Random event histories of one task: any kinds in any order, duplicates, missing values.
std::vector<Event> RandomEvents(std::mt19937_64& rng) {
  std::vector<Event> events;
  const int n = static_cast<int>(rng() % 12) + 1;
  const int64_t t0 = 1'780'000'000'000 + static_cast<int64_t>(rng() % 1'000'000'000);
  for (int i = 0; i < n; ++i) {
    Event e;
    e.task = "task-1";
    e.pipeline = rng() % 2 ? "lidar_cuboids" : "a_pipeline_with_a_name_longer_than_sixteen";
    e.batch = rng() % 3 ? "b7" : "";
    e.vendor = "acme";
    e.annotator = rng() % 2 ? "acme-a3" : "";
    e.kind = static_cast<EventKind>(rng() % 9);
    e.at_epoch_ms = t0 + static_cast<int64_t>(rng() % 400'000'000) - 100'000'000;
    if (rng() % 3 == 0) e.due_epoch_ms = t0 + static_cast<int64_t>(rng() % 900'000'000);
    if (rng() % 2) e.cost_usd = static_cast<double>(rng() % 10'000) / 100.0;
    if (rng() % 2) e.work_s = static_cast<double>(rng() % 100'000) / 7.0;
    if (rng() % 3 == 0) e.object_count = static_cast<int64_t>(rng() % 500);
    events.push_back(e);
    if (rng() % 8 == 0) events.push_back(e);  // an exact duplicate
  }
  return events;
}

void ExpectSame(const TaskTimeline& a, const TaskTimeline& b) {
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.pipeline, b.pipeline);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_EQ(a.vendor, b.vendor);
  EXPECT_EQ(a.annotator, b.annotator);
  EXPECT_EQ(a.first_event_ms, b.first_event_ms);
  EXPECT_EQ(a.last_event_ms, b.last_event_ms);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.first_assigned_ms, b.first_assigned_ms);
  EXPECT_EQ(a.first_submitted_ms, b.first_submitted_ms);
  EXPECT_EQ(a.first_reviewed_ms, b.first_reviewed_ms);
  EXPECT_EQ(a.first_accepted_ms, b.first_accepted_ms);
  EXPECT_EQ(a.delivered_ms, b.delivered_ms);
  EXPECT_EQ(a.closed_ms, b.closed_ms);
  EXPECT_EQ(a.due_ms, b.due_ms);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.sla, b.sla);
  EXPECT_EQ(a.submissions, b.submissions);
  EXPECT_EQ(a.reviews, b.reviews);
  EXPECT_EQ(a.review_failures, b.review_failures);
  EXPECT_EQ(a.rework_rounds, b.rework_rounds);
  EXPECT_EQ(a.first_review_passed, b.first_review_passed);
  EXPECT_EQ(a.object_count, b.object_count);
  EXPECT_EQ(a.work_s, b.work_s);
  EXPECT_EQ(a.labeling_work_s, b.labeling_work_s);
  EXPECT_EQ(a.cost_labeling_usd, b.cost_labeling_usd);
  EXPECT_EQ(a.cost_review_usd, b.cost_review_usd);
  EXPECT_EQ(a.cost_rework_usd, b.cost_rework_usd);
  EXPECT_EQ(a.cost_other_usd, b.cost_other_usd);
  EXPECT_EQ(a.lead_time_h, b.lead_time_h);
  EXPECT_EQ(a.labeling_time_h, b.labeling_time_h);
  EXPECT_EQ(a.review_latency_h, b.review_latency_h);
  EXPECT_EQ(a.accept_time_h, b.accept_time_h);
  ASSERT_EQ(a.anomalies.size(), b.anomalies.size());
  for (size_t i = 0; i < a.anomalies.size(); ++i) {
    EXPECT_EQ(a.anomalies[i].kind, b.anomalies[i].kind);
    EXPECT_EQ(a.anomalies[i].event, b.anomalies[i].event);
    EXPECT_EQ(a.anomalies[i].at_ms, b.anomalies[i].at_ms);
    EXPECT_EQ(a.anomalies[i].detail, b.anomalies[i].detail);
  }
}

TEST(TimelineCodec, EveryFieldSurvivesARoundTripAndFinishingGivesWhatBuildingGives) {
  std::mt19937_64 rng(2026);
  ProgramConfig config;
  PipelineSpec p;
  p.id = "lidar_cuboids";
  p.sla_turnaround_hours = 30;
  config.pipelines.push_back(p);
  int with_anomalies = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::vector<Event> events = RandomEvents(rng);
    const TaskTimeline facts = BuildTimelineFacts(events);
    if (!facts.anomalies.empty()) ++with_anomalies;
    auto decoded = DecodeTimeline(facts.task, EncodeTimeline(facts));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    ExpectSame(facts, *decoded);
    // Stored facts finished at load time are the timeline built in one go.
    const TimelineOptions options{facts.last_event_ms + static_cast<int64_t>(rng() % 200'000'000), &config};
    FinishTimeline(*decoded, options);
    ExpectSame(BuildTimeline(events, options), *decoded);
  }
  EXPECT_GT(with_anomalies, 500);  // the histories exercise the anomaly list
}

TEST(TimelineCodec, ExtremeInstantsAndCountsRoundTrip) {
  TaskTimeline t;
  t.task = "x";
  t.first_event_ms = INT64_MIN;
  t.last_event_ms = INT64_MAX;
  t.created_ms = INT64_MAX;
  t.due_ms = 0;
  t.object_count = -1;
  t.submissions = INT32_MAX;
  t.work_s = -0.0;
  t.cost_other_usd = 1e300;
  t.anomalies.push_back(Anomaly{AnomalyKind::kNoCreated, EventKind::kCancelled, INT64_MIN, "é"});
  auto decoded = DecodeTimeline("x", EncodeTimeline(t));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  ExpectSame(t, *decoded);
}

TEST(TimelineCodec, WhatIsNotAnEncodingIsAnError) {
  std::mt19937_64 rng(7);
  TaskTimeline t = BuildTimelineFacts(RandomEvents(rng));
  t.anomalies.push_back(Anomaly{AnomalyKind::kDuplicate, EventKind::kAccepted, t.first_event_ms, "twice"});
  const std::string good = EncodeTimeline(t);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodeTimeline("t", good.substr(0, n)).ok()) << "truncated at " << n;
  }
  EXPECT_FALSE(DecodeTimeline("t", good + "x").ok());
  std::string other = good;
  other[0] = static_cast<char>(kTimelineCodecVersion + 1);
  auto wrong_version = DecodeTimeline("t", other);
  ASSERT_FALSE(wrong_version.ok());
  EXPECT_NE(wrong_version.status().message().find("version"), std::string::npos);
  // Random bytes and random damage decode to an error or to something, never to a crash.
  for (int i = 0; i < 20000; ++i) {
    std::string damaged = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    if (i % 2) damaged[0] = static_cast<char>(kTimelineCodecVersion);
    (void)DecodeTimeline("t", damaged);
    std::string noise(rng() % 64, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    if (!noise.empty()) noise[0] = static_cast<char>(kTimelineCodecVersion);
    (void)DecodeTimeline("t", noise);
  }
}

}  // namespace
}  // namespace gtops::ops
