#include "run/process_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <map>
#include <tuple>

#include "core/time.h"

namespace gtops {
namespace {

// The error types charted from outcomes, each with its population at risk (docs/spc.md):
// reference objects for `missing`, vendor labels for `extra` and `duplicate`, tag rows for `tag`,
// paired objects for the rest.
struct OutcomeMetric {
  const char* flag;
  const char* population;  // SQL condition of a unit at risk
  const char* unit;
};
constexpr OutcomeMetric kOutcomeMetrics[] = {
    {"missing", "kind IN ('paired', 'missing')", "reference objects"},
    {"extra", "kind IN ('paired', 'extra', 'duplicate')", "labels"},
    {"duplicate", "kind IN ('paired', 'extra', 'duplicate')", "labels"},
    {"wrong_class", "kind = 'paired'", "paired objects"},
    {"position", "kind = 'paired'", "paired objects"},
    {"size", "kind = 'paired'", "paired objects"},
    {"heading", "kind = 'paired'", "paired objects"},
    {"heading_flip", "kind = 'paired'", "paired objects"},
    {"attribute", "kind = 'paired' AND attributes_compared > 0", "paired objects with attributes"},
    {"id_switch", "kind = 'paired'", "paired objects"},
    {"fragmentation", "kind = 'paired'", "paired objects"},
    {"geometry", "kind = 'paired'", "paired objects"},
    {"tag", "kind = 'tag'", "tags"},
};

int64_t Int(const std::optional<std::string>& cell) { return cell ? std::stoll(*cell) : 0; }

using Key = std::tuple<std::string, std::string, std::string>;  // pipeline, vendor, metric

struct Accumulator {
  std::map<Key, std::string> units;
  std::map<Key, std::map<std::string, std::pair<int64_t, int64_t>>> counts;  // batch -> (n, count)

  void Add(const std::string& pipeline, const std::string& vendor, const std::string& metric, const char* unit,
           const std::string& batch, int64_t n, int64_t count) {
    if (batch.empty() || n <= 0) return;
    Key key{pipeline, vendor, metric};
    units[key] = unit;
    auto& c = counts[key][batch];
    c.first += n;
    c.second += count;
  }
};

}  // namespace

Result<std::vector<SpcSeries>> LoadSpcSeries(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                             const std::vector<ops::TaskAudit>& audits, const std::string& pipeline) {
  // Delivery time of each batch: its first labeled_at, else its first task's creation.
  std::map<std::string, int64_t> batch_time;
  auto times = store.QueryReadOnly(
      "SELECT batch, min(labeled_at) FROM label_sets WHERE source = 'vendor' AND batch IS NOT NULL "
      "AND labeled_at IS NOT NULL GROUP BY batch");
  if (!times.ok()) return times.status();
  for (const auto& row : times->rows) {
    if (!row[0] || !row[1]) continue;
    if (auto ms = ParseRfc3339Ms(*row[1])) batch_time[*row[0]] = *ms;
  }
  for (const ops::TaskTimeline& t : timelines) {
    if (t.batch.empty()) continue;
    // Only batches without labels: those keep their first labeled_at.
    batch_time.try_emplace(t.batch, t.created_ms.value_or(t.first_event_ms));
  }

  Accumulator acc;
  // Error types from the latest comparison of each pipeline's vendor labels with gold.
  std::string sums;
  for (const OutcomeMetric& m : kOutcomeMetrics) {
    sums += fmt::format(", sum({}), sum(({}) AND {} <> 0)", m.population, m.population, m.flag);
  }
  auto q = store.QueryReadOnly(fmt::format(
      "SELECT o.pipeline, coalesce(o.vendor, ''), coalesce(o.batch, ''){} FROM outcomes o "
      "WHERE o.evaluation_id IN (SELECT max(evaluation_id) FROM evaluation_runs "
      "WHERE source = 'vendor' AND against = 'gold' AND batch = '' GROUP BY pipeline) "
      "GROUP BY 1, 2, 3",
      sums));
  if (!q.ok()) return q.status();
  for (const auto& row : q->rows) {
    const std::string p = row[0].value_or(""), vendor = row[1].value_or(""), batch = row[2].value_or("");
    if (!pipeline.empty() && p != pipeline) continue;
    for (size_t i = 0; i < std::size(kOutcomeMetrics); ++i) {
      const OutcomeMetric& m = kOutcomeMetrics[i];
      acc.Add(p, vendor, std::string(m.flag) + "_rate", m.unit, batch, Int(row[3 + 2 * i]), Int(row[4 + 2 * i]));
    }
  }
  // Audit failures: audited tasks whose audit failed.
  for (const ops::TaskAudit& a : audits) {
    if (!pipeline.empty() && a.pipeline != pipeline) continue;
    acc.Add(a.pipeline, a.vendor, "audit_fail_rate", "audited tasks", a.batch, 1, a.pass ? 0 : 1);
  }
  // Rework and lateness of closed work: tasks that were reviewed (rework) or are due (late).
  for (const ops::TaskTimeline& t : timelines) {
    if (!pipeline.empty() && t.pipeline != pipeline) continue;
    if (t.reviews > 0) acc.Add(t.pipeline, t.vendor, "rework_rate", "reviewed tasks", t.batch, 1, t.rework_rounds > 0);
    if (t.sla != ops::SlaState::kNotDue) {
      acc.Add(t.pipeline, t.vendor, "late_rate", "tasks due", t.batch, 1, t.sla != ops::SlaState::kOnTime);
    }
  }

  std::vector<SpcSeries> out;
  for (const auto& [key, by_batch] : acc.counts) {
    SpcSeries s;
    std::tie(s.pipeline, s.vendor, s.metric) = key;
    s.unit = acc.units[key];
    for (const auto& [batch, c] : by_batch) {
      auto t = batch_time.find(batch);
      s.batches.push_back({batch, t == batch_time.end() ? 0 : t->second, c.first, c.second});
    }
    std::sort(s.batches.begin(), s.batches.end(),
              [](const SpcBatch& a, const SpcBatch& b) { return std::tie(a.time_ms, a.batch) < std::tie(b.time_ms, b.batch); });
    out.push_back(std::move(s));
  }
  return out;
}

SpcResult RunProcessControl(const std::vector<SpcSeries>& series, const SpcOptions& options) {
  SpcResult r;
  for (const SpcSeries& s : series) {
    SpcChart chart = ChartSeries(s, options);
    if (chart.points.empty()) continue;
    for (Incident& inc : IncidentsOf(chart)) r.incidents.push_back(std::move(inc));
    r.charts.push_back(std::move(chart));
  }
  std::stable_sort(r.incidents.begin(), r.incidents.end(), [](const Incident& a, const Incident& b) {
    return std::tie(a.pipeline, a.vendor, a.since_ms) < std::tie(b.pipeline, b.vendor, b.since_ms);
  });
  return r;
}

namespace {

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& x : items) out += (out.empty() ? "" : ",") + x;
  return out;
}

std::optional<double> Finite(double v) { return std::isfinite(v) ? std::optional<double>(v) : std::nullopt; }

}  // namespace

Result<SpcResult> MeasureProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                        const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                        const std::string& now, size_t* series_count) {
  auto series = LoadSpcSeries(store, timelines, audits, pipeline);
  if (!series.ok()) return series.status();
  if (series_count != nullptr) *series_count = series->size();
  SpcResult result = RunProcessControl(*series);
  std::vector<IncidentRow> rows;
  for (const Incident& i : result.incidents) {
    IncidentRow r;
    r.pipeline = i.pipeline;
    r.vendor = i.vendor;
    r.annotator = i.annotator;
    r.metric = i.metric;
    r.direction = i.direction;
    r.since_batch = i.since_batch;
    r.since = FormatRfc3339(i.since_ms);
    r.last_batch = i.last_batch;
    r.detectors = Joined(i.detectors);
    r.count_during = i.count_during;
    r.n_during = i.n_during;
    r.rate_during = Finite(i.rate_during);
    r.count_outside = i.count_outside;
    r.n_outside = i.n_outside;
    r.rate_outside = Finite(i.rate_outside);
    r.evidence = i.evidence;
    rows.push_back(std::move(r));
  }
  GTOPS_RETURN_IF_ERROR(store.ReplaceIncidents(pipeline, rows, now));
  return result;
}

report::ProcessIncident ToReport(const Incident& i) {
  report::ProcessIncident r;
  r.pipeline = i.pipeline;
  r.vendor = i.vendor;
  r.metric = i.metric;
  r.direction = i.direction;
  r.since_batch = i.since_batch;
  r.since = FormatRfc3339(i.since_ms);
  r.last_batch = i.last_batch;
  r.detectors = Joined(i.detectors);
  r.rate_during = i.rate_during;
  r.rate_outside = i.rate_outside;
  r.n_during = i.n_during;
  r.evidence = i.evidence;
  return r;
}

}  // namespace gtops
