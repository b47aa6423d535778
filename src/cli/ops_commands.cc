#include "cli/ops_commands.h"

#include <cmath>
#include <cstdio>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/render.h"
#include "config/config.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "ops/alerts.h"
#include "ops/forecast.h"
#include "ops/kpis.h"
#include "ops/scorecard.h"
#include "ops/timeline.h"
#include "run/ops_data.h"
#include "run/producer_quality.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }
std::string Fmt(double v, int digits = 3) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-"; }

Result<std::optional<int64_t>> ParseInstant(const std::string& text, std::string_view option) {
  if (text.empty()) return std::optional<int64_t>();
  auto ms = ParseRfc3339Ms(text);
  if (!ms) return Status::Usage(fmt::format("{} {}: not an RFC 3339 date-time (e.g. 2026-11-01T00:00:00Z)", option, text));
  return std::optional<int64_t>(*ms);
}

void AddRate(ordered_json& j, const char* name, const ops::Rate& r) {
  j[name] = Number(r.value);
  j[std::string(name) + "_ci"] = ordered_json::array({Number(r.lo), Number(r.hi)});
  j[std::string(name) + "_n"] = r.n;
}

ordered_json KpiJson(const ops::KpiRow& r, const ops::GroupBy& by) {
  ordered_json j;
  if (by.pipeline) j["pipeline"] = r.key.pipeline;
  if (by.vendor) j["vendor"] = r.key.vendor;
  if (by.annotator) j["annotator"] = r.key.annotator;
  if (by.batch) j["batch"] = r.key.batch;
  if (by.week) j["week"] = r.key.week;
  j["tasks"] = r.tasks;
  j["tasks_accepted"] = r.tasks_accepted;
  j["tasks_rejected"] = r.tasks_rejected;
  j["tasks_cancelled"] = r.tasks_cancelled;
  j["wip"] = r.wip;
  j["backlog"] = r.backlog;
  j["days"] = r.days;
  j["completed"] = r.completed;
  j["throughput_tasks_per_day"] = Number(r.throughput_tasks_per_day);
  j["throughput_objects_per_day"] = Number(r.throughput_objects_per_day);
  j["lead_time_p50_h"] = Number(r.lead_time_p50_h);
  j["lead_time_p90_h"] = Number(r.lead_time_p90_h);
  j["labeling_time_p50_h"] = Number(r.labeling_time_p50_h);
  j["labeling_time_p90_h"] = Number(r.labeling_time_p90_h);
  j["review_latency_mean_h"] = Number(r.review_latency_mean_h);
  AddRate(j, "on_time_rate", r.on_time_rate);
  AddRate(j, "rework_rate", r.rework_rate);
  AddRate(j, "first_pass_yield", r.first_pass_yield);
  AddRate(j, "audit_pass_rate", r.audit_pass_rate);
  j["mean_rework_rounds"] = Number(r.mean_rework_rounds);
  j["objects"] = r.objects;
  j["cost_usd"] = r.cost_usd;
  j["cost_per_task_usd"] = Number(r.cost_per_task_usd);
  j["cost_per_accepted_task_usd"] = Number(r.cost_per_accepted_task_usd);
  j["cost_per_object_usd"] = Number(r.cost_per_object_usd);
  j["cost_of_poor_quality_usd"] = r.cost_of_poor_quality_usd;
  j["labeling_hours_per_1000_objects"] = Number(r.labeling_hours_per_1000_objects);
  j["anomalies"] = r.anomalies;
  return j;
}

}  // namespace

int RunOps(const OpsArgs& args) {
  const bool json = args.common.json;
  auto by = ops::ParseGroupBy(args.by);
  if (!by.ok()) return Fail(by.status(), json);
  auto from = ParseInstant(args.from, "--from");
  if (!from.ok()) return Fail(from.status(), json);
  auto to = ParseInstant(args.to, "--to");
  if (!to.ok()) return Fail(to.status(), json);
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  if (!args.pipeline.empty() && config->FindPipeline(args.pipeline) == nullptr) {
    return Fail(Status::Usage(fmt::format("--pipeline {}: no such pipeline in gtops.toml", args.pipeline)), json);
  }
  const std::string store_path = StorePath(args.common);
  auto store = OpenStore(StoreOptions{store_path, true});
  if (!store.ok()) return Fail(store.status(), json);

  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(**store, *config, as_of_ms);
  if (!timelines.ok()) return Fail(timelines.status(), json);
  auto audits = LoadAudits(**store);
  if (!audits.ok()) return Fail(audits.status(), json);

  ops::KpiOptions options;
  options.by = *by;
  options.as_of_ms = as_of_ms;
  options.from_ms = *from;
  options.to_ms = *to;
  options.pipeline = args.pipeline;
  ops::AlertOptions alert_options;
  alert_options.as_of_ms = as_of_ms;
  alert_options.config = &*config;
  // The alerts and the KPIs are independent reads of the timelines: one core each.
  std::vector<ops::Alert> alerts;
  std::thread alerts_thread([&] { alerts = ops::DetectAlerts(*timelines, alert_options); });
  const std::vector<ops::KpiRow> rows = ops::ComputeKpis(*timelines, *audits, options);
  const ops::AnomalyCounts anomalies = ops::CountAnomalies(*timelines);
  alerts_thread.join();
  if (!args.pipeline.empty()) {
    std::erase_if(alerts, [&](const ops::Alert& a) { return !a.pipeline.empty() && a.pipeline != args.pipeline; });
  }

  if (json) {
    ordered_json j;
    j["as_of"] = as_of_ms > 0 ? FormatRfc3339(as_of_ms) : "";
    j["tasks"] = timelines->size();
    ordered_json an;
    an["tasks_with_anomalies"] = anomalies.tasks_with_anomalies;
    ordered_json kinds = ordered_json::object();
    for (int k = 0; k < ops::kAnomalyKindCount; ++k) {
      kinds[std::string(ops::Name(static_cast<ops::AnomalyKind>(k)))] = anomalies.by_kind[k];
    }
    an["by_kind"] = kinds;
    if (args.anomalies) {
      ordered_json list = ordered_json::array();
      for (const ops::TaskTimeline& t : *timelines) {
        for (const ops::Anomaly& a : t.anomalies) {
          list.push_back({{"task", t.task}, {"kind", ops::Name(a.kind)}, {"event", Name(a.event)},
                          {"at", FormatRfc3339(a.at_ms)}, {"detail", a.detail}});
        }
      }
      an["tasks"] = list;
    }
    j["anomalies"] = an;
    ordered_json kpis = ordered_json::array();
    for (const ops::KpiRow& r : rows) kpis.push_back(KpiJson(r, *by));
    j["kpis"] = kpis;
    ordered_json alerts_json = ordered_json::array();
    for (const ops::Alert& a : alerts) {
      ordered_json aj;
      aj["kind"] = a.kind;
      aj["level"] = a.level;
      if (!a.pipeline.empty()) aj["pipeline"] = a.pipeline;
      aj["vendor"] = a.vendor;
      aj["since"] = a.since;
      aj["detected"] = a.detected;
      aj["metric"] = a.metric;
      aj["baseline"] = a.baseline;
      aj["current"] = a.current;
      aj["tasks"] = a.tasks;
      aj["cusum"] = a.statistic;
      aj["evidence"] = a.evidence;
      alerts_json.push_back(aj);
    }
    j["alerts"] = alerts_json;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }

  std::vector<std::string> header;
  if (by->pipeline) header.emplace_back("pipeline");
  if (by->vendor) header.emplace_back("vendor");
  if (by->annotator) header.emplace_back("annotator");
  if (by->batch) header.emplace_back("batch");
  if (by->week) header.emplace_back("week");
  for (const char* h : {"tasks", "done/day", "wip", "backlog", "lead_p50_h", "lead_p90_h", "label_p50_h",
                        "on_time", "rework", "fpy", "audit_pass", "$/accepted", "$/object", "copq_$"}) {
    header.emplace_back(h);
  }
  Table table(header);
  for (const ops::KpiRow& r : rows) {
    std::vector<std::string> cells;
    if (by->pipeline) cells.push_back(r.key.pipeline);
    if (by->vendor) cells.push_back(r.key.vendor);
    if (by->annotator) cells.push_back(r.key.annotator);
    if (by->batch) cells.push_back(r.key.batch);
    if (by->week) cells.push_back(r.key.week);
    cells.push_back(std::to_string(r.tasks));
    cells.push_back(Fmt(r.throughput_tasks_per_day, 2));
    cells.push_back(std::to_string(r.wip));
    cells.push_back(std::to_string(r.backlog));
    cells.push_back(Fmt(r.lead_time_p50_h, 1));
    cells.push_back(Fmt(r.lead_time_p90_h, 1));
    cells.push_back(Fmt(r.labeling_time_p50_h, 1));
    cells.push_back(Fmt(r.on_time_rate.value));
    cells.push_back(Fmt(r.rework_rate.value));
    cells.push_back(Fmt(r.first_pass_yield.value));
    cells.push_back(Fmt(r.audit_pass_rate.value));
    cells.push_back(Fmt(r.cost_per_accepted_task_usd, 2));
    cells.push_back(Fmt(r.cost_per_object_usd, 3));
    cells.push_back(Fmt(r.cost_of_poor_quality_usd, 2));
    table.Add(std::move(cells));
  }
  std::fputs(table.Render().c_str(), stdout);
  std::printf("%zu tasks as of %s; %lld with anomalies", timelines->size(),
              as_of_ms > 0 ? FormatRfc3339(as_of_ms).c_str() : "-",
              static_cast<long long>(anomalies.tasks_with_anomalies));
  std::string kinds;
  for (int k = 0; k < ops::kAnomalyKindCount; ++k) {
    if (anomalies.by_kind[k] == 0) continue;
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", anomalies.by_kind[k],
                         ops::Name(static_cast<ops::AnomalyKind>(k)));
  }
  std::printf("%s%s%s\n", kinds.empty() ? "" : " (", kinds.c_str(), kinds.empty() ? "" : ")");
  for (const ops::Alert& a : alerts) {
    std::printf("%s %s: %s%s%s since %s: %s\n", a.level.c_str(), a.kind.c_str(), a.pipeline.c_str(),
                a.pipeline.empty() ? "" : " x ", a.vendor.c_str(), a.since.c_str(), a.evidence.c_str());
  }
  return kExitOk;
}

int RunForecast(const ForecastArgs& args) {
  const bool json = args.common.json;
  if (!(args.window_days > 0)) return Fail(Status::Usage("--window-days must be > 0"), json);
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  const std::string store_path = StorePath(args.common);
  auto store = OpenStore(StoreOptions{store_path, true});
  if (!store.ok()) return Fail(store.status(), json);
  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(**store, *config, as_of_ms);
  if (!timelines.ok()) return Fail(timelines.status(), json);
  const std::vector<ops::Forecast> forecasts =
      ops::ForecastCompletion(*timelines, ops::ForecastOptions{as_of_ms, args.window_days});
  auto when = [](const std::optional<int64_t>& ms) { return ms ? FormatRfc3339(*ms) : std::string(); };
  if (json) {
    ordered_json j;
    j["as_of"] = as_of_ms > 0 ? FormatRfc3339(as_of_ms) : "";
    j["window_days"] = args.window_days;
    ordered_json list = ordered_json::array();
    for (const ops::Forecast& f : forecasts) {
      ordered_json fj;
      fj["pipeline"] = f.pipeline;
      fj["backlog"] = f.backlog;
      fj["accepted_recently"] = f.accepted_recently;
      fj["throughput_tasks_per_day"] = f.throughput_tasks_per_day;
      fj["expected"] = f.expected_ms ? ordered_json(when(f.expected_ms)) : ordered_json(nullptr);
      fj["interval"] = ordered_json::array({f.lo_ms ? ordered_json(when(f.lo_ms)) : ordered_json(nullptr),
                                            f.hi_ms ? ordered_json(when(f.hi_ms)) : ordered_json(nullptr)});
      list.push_back(fj);
    }
    j["forecasts"] = list;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  Table table({"pipeline", "backlog", "done/day", "expected", "earliest", "latest"});
  for (const ops::Forecast& f : forecasts) {
    table.Add({f.pipeline, std::to_string(f.backlog), Fmt(f.throughput_tasks_per_day, 2),
               f.expected_ms ? when(f.expected_ms) : "-", f.lo_ms ? when(f.lo_ms) : "-",
               f.hi_ms ? when(f.hi_ms) : "-"});
  }
  std::fputs(table.Render().c_str(), stdout);
  std::printf("as of %s; throughput over the last %g days\n", as_of_ms > 0 ? FormatRfc3339(as_of_ms).c_str() : "-",
              args.window_days);
  return kExitOk;
}

int RunScorecard(const ScorecardArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  const std::string store_path = StorePath(args.common);
  auto store = OpenStore(StoreOptions{store_path, true});
  if (!store.ok()) return Fail(store.status(), json);
  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(**store, *config, as_of_ms);
  if (!timelines.ok()) return Fail(timelines.status(), json);
  auto audits = LoadAudits(**store);
  if (!audits.ok()) return Fail(audits.status(), json);
  const auto subject = args.annotator ? ops::ScorecardSubject::kAnnotator : ops::ScorecardSubject::kVendor;
  ops::Scorecard card = ops::BuildScorecard(*timelines, *audits, *config, subject, args.id, as_of_ms);
  // The quality column: the subject's labels against gold, from the latest evaluations.
  auto quality = QualityOfProducer(**store, *config, subject, args.id);
  if (!quality.ok()) return Fail(quality.status(), json);
  for (ProducerQuality& pq : *quality) {
    for (ops::ScorecardRow& row : card.pipelines) {
      if (row.pipeline != pq.pipeline) continue;
      row.metrics.insert(row.metrics.begin(), pq.metrics.begin(), pq.metrics.end());
    }
  }
  const char* kind = args.annotator ? "annotator" : "vendor";
  if (card.pipelines.empty()) {
    return Fail(Status::NotFound(fmt::format("{} {}: no tasks in the store", kind, args.id)), json);
  }
  if (json) {
    ordered_json j;
    j[kind] = args.id;
    j["as_of"] = FormatRfc3339(as_of_ms);
    ordered_json rows = ordered_json::array();
    for (const ops::ScorecardRow& row : card.pipelines) {
      ordered_json rj;
      rj["pipeline"] = row.pipeline;
      rj["tasks"] = row.tasks;
      ordered_json metrics = ordered_json::object();
      for (const ops::ScorecardMetric& m : row.metrics) {
        ordered_json mj;
        mj["value"] = Number(m.value);
        if (std::isfinite(m.lo)) mj["ci"] = ordered_json::array({Number(m.lo), Number(m.hi)});
        mj["n"] = m.n;
        mj["target"] = m.target ? ordered_json(*m.target) : ordered_json(nullptr);
        mj["status"] = m.status.empty() ? ordered_json(nullptr) : ordered_json(m.status);
        mj["peers"] = Number(m.peers);
        ordered_json trend = ordered_json::array();
        for (const auto& [week, v] : m.trend) trend.push_back({{"week", week}, {"value", Number(v)}});
        mj["trend"] = trend;
        metrics[m.name] = mj;
      }
      rj["metrics"] = metrics;
      rows.push_back(rj);
    }
    j["pipelines"] = rows;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  for (const ops::ScorecardRow& row : card.pipelines) {
    std::printf("%s %s on %s (%lld tasks)\n", kind, args.id.c_str(), row.pipeline.c_str(),
                static_cast<long long>(row.tasks));
    Table table({"metric", "value", "ci", "target", "status", "peers", "trend"});
    for (const ops::ScorecardMetric& m : row.metrics) {
      std::string trend;
      for (const auto& [week, v] : m.trend) {
        if (!trend.empty()) trend += ' ';
        trend += Fmt(v, 2);
      }
      table.Add({m.name, Fmt(m.value), std::isfinite(m.lo) ? fmt::format("[{}, {}]", Fmt(m.lo), Fmt(m.hi)) : "",
                 m.target ? Fmt(*m.target) : "", m.status, Fmt(m.peers), trend});
    }
    std::fputs(table.Render().c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace gtops::cli
