#include "run/process_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <map>
#include <tuple>

#include "core/time.h"

namespace gtops {
namespace {

// The error types charted from outcomes, each with its population at risk (docs/spc.md):
// reference objects for `missing`, vendor labels for `extra` and `duplicate`, tag rows for `tag`,
// paired objects for the rest.
enum class Population { kReference, kLabels, kPaired, kPairedWithAttributes, kTags };
struct OutcomeMetric {
  const char* flag;        // the outcomes column of the error type
  Population population;   // the outcome rows at risk
  const char* unit;
};
constexpr OutcomeMetric kOutcomeMetrics[] = {
    {"missing", Population::kReference, "reference objects"},
    {"extra", Population::kLabels, "labels"},
    {"duplicate", Population::kLabels, "labels"},
    {"wrong_class", Population::kPaired, "paired objects"},
    {"position", Population::kPaired, "paired objects"},
    {"size", Population::kPaired, "paired objects"},
    {"heading", Population::kPaired, "paired objects"},
    {"heading_flip", Population::kPaired, "paired objects"},
    {"attribute", Population::kPairedWithAttributes, "paired objects with attributes"},
    {"id_switch", Population::kPaired, "paired objects"},
    {"fragmentation", Population::kPaired, "paired objects"},
    {"geometry", Population::kPaired, "paired objects"},
    {"tag", Population::kTags, "tags"},
};

// The kinds of outcome rows (`ignored` and unknown kinds are at risk of nothing).
enum class Kind { kPaired, kMissing, kExtra, kDuplicate, kTag, kOther };
Kind KindOf(std::string_view kind) {
  if (kind == "paired") return Kind::kPaired;
  if (kind == "missing") return Kind::kMissing;
  if (kind == "extra") return Kind::kExtra;
  if (kind == "duplicate") return Kind::kDuplicate;
  if (kind == "tag") return Kind::kTag;
  return Kind::kOther;
}

// Whether an outcome row of this kind is at risk: reference objects are `paired` and `missing`
// rows; labels `paired`, `extra` and `duplicate` rows; tags `tag` rows.
bool AtRisk(Population p, Kind kind, int64_t attributes_compared) {
  switch (p) {
    case Population::kReference: return kind == Kind::kPaired || kind == Kind::kMissing;
    case Population::kLabels: return kind == Kind::kPaired || kind == Kind::kExtra || kind == Kind::kDuplicate;
    case Population::kPaired: return kind == Kind::kPaired;
    case Population::kPairedWithAttributes: return kind == Kind::kPaired && attributes_compared > 0;
    case Population::kTags: return kind == Kind::kTag;
  }
  return false;
}

using Key = std::tuple<std::string, std::string, std::string, std::string>;  // pipeline, vendor, annotator, metric

// The u-chart series of errors per object: every object error type (tag errors are not an
// object's: every flag of kOutcomeMetrics but the last) counted over the objects compared
// (reference objects and the vendor's labels without a reference: `paired`, `missing`, `extra`,
// `duplicate` rows). An object can have several errors.
bool IsObjectRow(Kind kind) {
  return AtRisk(Population::kReference, kind, 0) || AtRisk(Population::kLabels, kind, 0);
}
constexpr size_t kObjectFlags = std::size(kOutcomeMetrics) - 1;
static_assert(std::string_view(kOutcomeMetrics[kObjectFlags].flag) == "tag");

static_assert(OutcomeSums::kSums == 2 * std::size(kOutcomeMetrics) + 2);

struct Accumulator {
  std::map<Key, std::string> units;
  std::map<Key, ChartType> charts;
  std::map<Key, std::map<std::string, std::pair<int64_t, int64_t>>> counts;  // batch -> (n, count)

  // Adds to the vendor's series and, when `annotator` is not empty, to the annotator's.
  void Add(const std::string& pipeline, const std::string& vendor, const std::string& annotator,
           const std::string& metric, const char* unit, const std::string& batch, int64_t n, int64_t count,
           ChartType chart = ChartType::kP) {
    if (batch.empty() || n <= 0) return;
    for (const std::string* who : {&kNone, &annotator}) {
      if (who != &kNone && annotator.empty()) continue;
      Key key{pipeline, vendor, *who, metric};
      units[key] = unit;
      charts[key] = chart;
      auto& c = counts[key][batch];
      c.first += n;
      c.second += count;
    }
  }
  static const std::string kNone;
};
const std::string Accumulator::kNone;

}  // namespace

void OutcomeSums::AddFlags(std::string_view pipeline, std::string_view vendor, std::string_view batch,
                           std::string_view annotator, std::string_view kind_text, int64_t attributes_compared,
                           uint32_t flags) {
  const std::string_view group[] = {pipeline, vendor, batch, annotator};
  bool same = last_ != nullptr;
  for (size_t i = 0; i < 4 && same; ++i) same = group[i] == last_group_[i];
  if (!same) {
    for (size_t i = 0; i < 4; ++i) last_group_[i] = std::string(group[i]);
    auto [it, fresh] = groups_.try_emplace(last_group_);
    if (fresh) it->second.fill(0);
    last_ = &it->second;
  }
  std::array<int64_t, kSums>& sums = *last_;
  const Kind kind = KindOf(kind_text);
  int64_t object_errors = 0;
  for (size_t i = 0; i < std::size(kOutcomeMetrics); ++i) {
    const int64_t flag = (flags >> i) & 1u;
    if (i < kObjectFlags) object_errors += flag;
    if (!AtRisk(kOutcomeMetrics[i].population, kind, attributes_compared)) continue;
    ++sums[2 * i];
    if (flag != 0) ++sums[2 * i + 1];
  }
  if (IsObjectRow(kind)) {
    const size_t u = 2 * std::size(kOutcomeMetrics);
    ++sums[u];
    sums[u + 1] += object_errors;
  }
}

void OutcomeSums::Add(std::string_view pipeline, std::string_view vendor, std::string_view batch,
                      std::string_view annotator, std::string_view kind, int64_t attributes_compared,
                      std::span<const ErrorType> errors) {
  uint32_t flags = 0;
  for (ErrorType e : errors) {
    for (size_t i = 0; i < std::size(kOutcomeMetrics); ++i) {
      if (Name(e) == kOutcomeMetrics[i].flag) flags |= 1u << i;
    }
  }
  AddFlags(pipeline, vendor, batch, annotator, kind, attributes_compared, flags);
}

void OutcomeSums::Merge(const OutcomeSums& other) {
  for (const auto& [group, sums] : other.groups_) {
    auto [it, fresh] = groups_.try_emplace(group);
    if (fresh) it->second.fill(0);
    for (size_t i = 0; i < kSums; ++i) it->second[i] += sums[i];
  }
  covered_.insert(other.covered_.begin(), other.covered_.end());
}

Result<std::vector<SpcSeries>> LoadSpcSeries(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                             const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                             const OutcomeSums* measured) {
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
  // Error types from the latest comparison of each pipeline's vendor labels with gold: the rows
  // are summed per (pipeline, vendor, batch, annotator) here as they stream by (a GROUP BY would
  // sort every outcome row first). Rows of one group mostly follow each other. The query reads
  // the columns as they are: the populations are judged here (SQL expressions per row cost
  // several times the scan). The pipelines `measured` covers are not read.
  OutcomeSums sums;
  if (measured != nullptr) sums.Merge(*measured);
  std::string cols, skip;
  for (const OutcomeMetric& m : kOutcomeMetrics) cols += fmt::format(", o.{}", m.flag);
  for (const std::string& p : sums.covered()) skip += fmt::format("{}{}", skip.empty() ? "" : ", ", SqlQuote(p));
  constexpr int kFirstFlag = 6;  // columns: pipeline, vendor, batch, annotator, kind, attributes_compared, flags
  GTOPS_RETURN_IF_ERROR(store.ForEachRow(
      fmt::format("SELECT o.pipeline, coalesce(o.vendor, ''), coalesce(o.batch, ''), coalesce(o.annotator, ''), "
                  "o.kind, o.attributes_compared{} "
                  "FROM outcomes o WHERE o.evaluation_id IN (SELECT max(evaluation_id) FROM evaluation_runs "
                  "WHERE source = 'vendor' AND against = 'gold' AND batch = ''{} GROUP BY pipeline)",
                  cols, skip.empty() ? "" : " AND pipeline NOT IN (" + skip + ")"),
      [&](const QueryRow& row) -> Status {
        uint32_t flags = 0;
        for (size_t i = 0; i < std::size(kOutcomeMetrics); ++i) {
          if (row.Int(kFirstFlag + static_cast<int>(i)) != 0) flags |= 1u << i;
        }
        sums.AddFlags(row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5), flags);
        return Status::Ok();
      }));
  for (const auto& [group, sum] : sums.groups()) {
    const auto& [p, vendor, batch, annotator] = group;
    if (!pipeline.empty() && p != pipeline) continue;
    for (size_t i = 0; i < std::size(kOutcomeMetrics); ++i) {
      const OutcomeMetric& m = kOutcomeMetrics[i];
      acc.Add(p, vendor, annotator, std::string(m.flag) + "_rate", m.unit, batch, sum[2 * i], sum[2 * i + 1]);
    }
    const size_t u = 2 * std::size(kOutcomeMetrics);
    acc.Add(p, vendor, annotator, "errors_per_object", "objects", batch, sum[u], sum[u + 1], ChartType::kU);
  }
  // Audit failures: audited tasks whose audit failed.
  for (const ops::TaskAudit& a : audits) {
    if (!pipeline.empty() && a.pipeline != pipeline) continue;
    acc.Add(a.pipeline, a.vendor, a.annotator, "audit_fail_rate", "audited tasks", a.batch, 1, a.pass ? 0 : 1);
  }
  // Rework and lateness of closed work: tasks that were reviewed (rework) or are due (late).
  // Lateness is the vendor's (turnaround is not one annotator's doing): no annotator series.
  for (const ops::TaskTimeline& t : timelines) {
    if (!pipeline.empty() && t.pipeline != pipeline) continue;
    if (t.reviews > 0) {
      acc.Add(t.pipeline, t.vendor, t.annotator, "rework_rate", "reviewed tasks", t.batch, 1, t.rework_rounds > 0);
      acc.Add(t.pipeline, t.vendor, t.annotator, "rework_rounds_per_task", "reviewed tasks", t.batch, 1,
              t.rework_rounds, ChartType::kU);
    }
    if (t.sla != ops::SlaState::kNotDue) {
      acc.Add(t.pipeline, t.vendor, "", "late_rate", "tasks due", t.batch, 1, t.sla != ops::SlaState::kOnTime);
    }
  }

  std::vector<SpcSeries> out;
  for (const auto& [key, by_batch] : acc.counts) {
    SpcSeries s;
    std::tie(s.pipeline, s.vendor, s.annotator, s.metric) = key;
    s.unit = acc.units[key];
    s.chart = acc.charts[key];
    for (const auto& [batch, c] : by_batch) {
      // An annotator's batch with too few units at risk says little: left out of the series.
      if (!s.annotator.empty() && c.first < kMinAnnotatorUnitsPerBatch) continue;
      auto t = batch_time.find(batch);
      s.batches.push_back({batch, t == batch_time.end() ? 0 : t->second, c.first, c.second});
    }
    if (s.batches.empty()) continue;
    std::sort(s.batches.begin(), s.batches.end(),
              [](const SpcBatch& a, const SpcBatch& b) { return std::tie(a.time_ms, a.batch) < std::tie(b.time_ms, b.batch); });
    out.push_back(std::move(s));
  }
  return out;
}

SpcResult RunProcessControl(const std::vector<SpcSeries>& series, const SpcOptions& options) {
  SpcResult r;
  // Annotator series: the step test in its Bonferroni form (the bootstrap's smallest p, 1/2001,
  // could not survive the correction over many annotators), then Bonferroni over the annotator
  // charts; an annotator's incident needs that step, and is dropped when the vendor's own series
  // of the metric shifts the same way over an overlapping time (the vendor's change, not theirs).
  SpcOptions annotator_options = options;
  annotator_options.step_simulations = 0;
  std::vector<SpcChart> annotator_charts;
  for (const SpcSeries& s : series) {
    SpcChart chart = ChartSeries(s, s.annotator.empty() ? options : annotator_options);
    if (chart.points.empty()) continue;
    if (!s.annotator.empty()) {
      annotator_charts.push_back(std::move(chart));
      continue;
    }
    for (Incident& inc : IncidentsOf(chart)) r.incidents.push_back(std::move(inc));
    r.charts.push_back(std::move(chart));
  }
  const double m = static_cast<double>(annotator_charts.size());
  std::vector<Incident> from_annotators;
  for (SpcChart& chart : annotator_charts) {
    const bool step_holds = chart.step_p * m < options.step_alpha;
    for (Incident& inc : IncidentsOf(chart)) {
      if (!step_holds || std::find(inc.detectors.begin(), inc.detectors.end(), "step") == inc.detectors.end()) continue;
      const bool vendor_shift = std::any_of(r.incidents.begin(), r.incidents.end(), [&](const Incident& v) {
        return v.annotator.empty() && v.pipeline == inc.pipeline && v.vendor == inc.vendor && v.metric == inc.metric &&
               v.direction == inc.direction && v.since_ms <= inc.last_ms && inc.since_ms <= v.last_ms;
      });
      if (!vendor_shift) from_annotators.push_back(std::move(inc));
    }
    r.charts.push_back(std::move(chart));
  }
  for (Incident& inc : from_annotators) r.incidents.push_back(std::move(inc));
  std::stable_sort(r.incidents.begin(), r.incidents.end(), [](const Incident& a, const Incident& b) {
    return std::tie(a.pipeline, a.vendor, a.since_ms, a.annotator) < std::tie(b.pipeline, b.vendor, b.since_ms, b.annotator);
  });
  r.annotator_charts = static_cast<size_t>(m);
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

Result<SpcResult> ChartProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                      const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                      size_t* series_count, const OutcomeSums* measured) {
  auto series = LoadSpcSeries(store, timelines, audits, pipeline, measured);
  if (!series.ok()) return series.status();
  if (series_count != nullptr) *series_count = series->size();
  return RunProcessControl(*series);
}

Status SaveIncidents(Store& store, const std::string& pipeline, const SpcResult& result, const std::string& now) {
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
  return store.ReplaceIncidents(pipeline, rows, now);
}

Result<SpcResult> MeasureProcessControl(Store& store, const std::vector<ops::TaskTimeline>& timelines,
                                        const std::vector<ops::TaskAudit>& audits, const std::string& pipeline,
                                        const std::string& now, size_t* series_count) {
  auto result = ChartProcessControl(store, timelines, audits, pipeline, series_count);
  if (!result.ok()) return result.status();
  GTOPS_RETURN_IF_ERROR(SaveIncidents(store, pipeline, *result, now));
  return result;
}

report::ProcessIncident ToReport(const Incident& i) {
  report::ProcessIncident r;
  r.pipeline = i.pipeline;
  r.vendor = i.vendor;
  r.annotator = i.annotator;
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

report::Trend ToReport(const SpcChart& chart) {
  report::Trend t;
  t.pipeline = chart.series.pipeline;
  t.metric = chart.series.metric;
  t.vendor = chart.series.annotator.empty() ? chart.series.vendor : chart.series.vendor + " / " + chart.series.annotator;
  t.higher_is_better = false;
  t.chart = chart.series.chart == ChartType::kU ? "laney_u" : "laney_p";
  for (const SpcPoint& p : chart.points) {
    report::BatchPoint b;
    b.batch = p.batch;
    b.delivered = FormatRfc3339(p.time_ms);
    b.value = p.rate;
    b.n = p.n;
    b.center = chart.centre;
    b.lcl = p.lcl;
    b.ucl = p.ucl;
    b.out_of_control = std::isfinite(p.rate) && (p.rate < p.lcl || p.rate > p.ucl);
    t.points.push_back(std::move(b));
  }
  return t;
}

}  // namespace gtops

