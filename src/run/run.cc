#include "run/run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "evaluate/evaluate.h"
#include "evaluate/outcome_writer.h"
#include "ops/alerts.h"
#include "ops/kpis.h"
#include "report/gaps.h"
#include "report/render.h"
#include "run/ops_data.h"
#include "run/audit_sample.h"
#include "run/process_data.h"
#include "rootcause/rootcause.h"
#include "stats/control_chart.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;
using quality::MetricValue;
using quality::Outcome;
using quality::QualityAggregate;
using report::Gap;
using report::SliceCondition;

// Where each target metric is measured.
enum class MetricFrom { kGold, kAudits, kEvents };

MetricFrom FromOf(std::string_view metric) {
  if (metric == "audit_pass_rate") return MetricFrom::kAudits;
  if (metric == "on_time_rate" || metric == "rework_rate" || metric == "cost_per_accepted_task_usd") {
    return MetricFrom::kEvents;
  }
  return MetricFrom::kGold;
}

std::string_view FromName(MetricFrom f) {
  switch (f) {
    case MetricFrom::kGold: return report::kFromGold;
    case MetricFrom::kAudits: return report::kFromAudits;
    case MetricFrom::kEvents: return report::kFromEvents;
  }
  return "";
}

// The quality kernel's rate metric behind a target metric, for the per-batch p' chart.
std::optional<quality::RateMetric> RateOf(std::string_view metric) {
  using quality::RateMetric;
  for (int i = 0; i < quality::kRateMetricCount; ++i) {
    auto m = static_cast<RateMetric>(i);
    if (quality::Name(m) == metric) return m;
  }
  return std::nullopt;
}

// A measurement of one cell: value, interval and population.
struct Measurement {
  double value = NAN, lo = NAN, hi = NAN;
  int64_t n = 0, clusters = 0;
  int64_t successes = -1;  // proportions: the numerator (for control charts); -1 otherwise
  std::string method;
};

Measurement FromMetric(const MetricValue* m) {
  Measurement out;
  if (m == nullptr) return out;
  out.value = m->value, out.lo = m->lo, out.hi = m->hi;
  out.n = m->n, out.clusters = m->clusters;
  out.method = m->method;
  return out;
}

Measurement FromRate(const ops::Rate& r) {
  Measurement out;
  if (r.n == 0) return out;
  out.value = r.value, out.lo = r.lo, out.hi = r.hi;
  out.n = r.n, out.clusters = r.n;
  out.successes = r.successes;
  out.method = "wilson";
  return out;
}

const MetricValue* Find(const std::vector<MetricValue>& metrics, std::string_view name) {
  for (const MetricValue& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// ---- slices -------------------------------------------------------------------------------

std::string JsonText(const std::string& s) { return nlohmann::json(s).dump(); }

std::string NumberText(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

SliceCondition ToSliceCondition(const Condition& c) {
  SliceCondition s;
  s.field = c.field;
  if (const auto* str = std::get_if<std::string>(&c.value)) {
    s.value_json = JsonText(*str);
    s.label = c.field + "=" + *str;
  } else if (const auto* num = std::get_if<double>(&c.value)) {
    s.value_json = NumberText(*num);
    s.label = c.field + "=" + s.value_json;
  } else if (const auto* b = std::get_if<bool>(&c.value)) {
    s.value_json = *b ? "true" : "false";
    s.label = c.field + "=" + s.value_json;
  } else {
    const Range& r = std::get<Range>(c.value);
    const std::string lo = r.lo ? NumberText(*r.lo) : "null", hi = r.hi ? NumberText(*r.hi) : "null";
    s.value_json = "[" + lo + "," + hi + "]";
    s.label = c.field + "=[" + lo + "," + hi + ")";
  }
  return s;
}

// A value read from a record or outcome against a condition's value.
bool ValueMatches(const Condition& c, std::string_view text) {
  if (const auto* str = std::get_if<std::string>(&c.value)) return text == *str;
  if (const auto* b = std::get_if<bool>(&c.value)) return text == (*b ? "true" : "false");
  double v = 0;
  try {
    size_t used = 0;
    v = std::stod(std::string(text), &used);
    if (used == 0) return false;
  } catch (...) {
    return false;
  }
  if (const auto* num = std::get_if<double>(&c.value)) return v == *num;
  return std::get<Range>(c.value).Contains(v);
}

std::string WeekOf(const std::string& rfc3339) {
  auto ms = ParseRfc3339Ms(rfc3339);
  return ms ? IsoWeek(*ms) : std::string();
}

// Whether one outcome of a comparison of `r` falls in the slice `where`.
bool InSlice(const std::vector<Condition>& where, const LabelRecord& r, const Outcome& o) {
  for (const Condition& c : where) {
    if (c.field == "range_m") {
      if (std::isnan(o.range_m) || !std::get<Range>(c.value).Contains(o.range_m)) return false;
    } else if (c.field == "num_points") {
      if (o.num_points < 0 || !std::get<Range>(c.value).Contains(static_cast<double>(o.num_points))) return false;
    } else if (c.field == "week") {
      if (!ValueMatches(c, WeekOf(r.labeled_at))) return false;
    } else if (!ValueMatches(c, GroupValue(c.field, r, o))) {
      return false;
    }
  }
  return true;
}

// Whether a task falls in the slice, for the metrics of events and audits: only task-level
// fields can be judged; `measurable` is false when the slice names another field.
bool TaskInSlice(const std::vector<Condition>& where, const std::string& vendor, const std::string& batch,
                 const std::string& annotator, int64_t created_ms, bool& measurable) {
  measurable = true;
  for (const Condition& c : where) {
    std::string value;
    if (c.field == "vendor") {
      value = vendor;
    } else if (c.field == "batch") {
      value = batch;
    } else if (c.field == "annotator") {
      value = annotator;
    } else if (c.field == "week") {
      value = IsoWeek(created_ms);
    } else {
      measurable = false;
      return false;
    }
    if (!ValueMatches(c, value)) return false;
  }
  return true;
}

// ---- the cells a comparison feeds -------------------------------------------------------------

// Aggregates of one pipeline's comparisons, per vendor, class, batch, spec version and target slice.
struct PipelineCells {
  std::map<std::string, QualityAggregate> by_vendor, by_class, by_batch, by_spec;
  std::vector<QualityAggregate> slices;                         // one per slice target
  std::vector<std::map<std::string, QualityAggregate>> slice_by_vendor;
};

// ---- operations cells ---------------------------------------------------------------------

struct OpsCell {
  ops::Rate on_time_rate, rework_rate, audit_pass_rate;
  Measurement cost_per_accepted_task_usd;
};

// cost_per_accepted_task_usd = sum cost / tasks accepted, with a delta-method (linearisation)
// interval over tasks: var(R) = n / (n - 1) * sum (c_i - R a_i)^2 / (sum a)^2.
Measurement CostPerAccepted(const std::vector<const ops::TaskTimeline*>& tasks) {
  Measurement m;
  double cost = 0, accepted = 0;
  for (const ops::TaskTimeline* t : tasks) {
    cost += t->cost_usd();
    accepted += t->state == ops::TaskState::kAccepted ? 1 : 0;
  }
  if (accepted == 0 || tasks.empty()) return m;
  const double r = cost / accepted;
  double ss = 0;
  for (const ops::TaskTimeline* t : tasks) {
    const double d = t->cost_usd() - r * (t->state == ops::TaskState::kAccepted ? 1 : 0);
    ss += d * d;
  }
  const double n = static_cast<double>(tasks.size());
  const double se = n > 1 ? std::sqrt(n / (n - 1) * ss) / accepted : 0;
  m.value = r;
  m.lo = std::max(0.0, r - 1.959963984540054 * se);
  m.hi = r + 1.959963984540054 * se;
  m.n = static_cast<int64_t>(tasks.size());
  m.clusters = m.n;
  m.method = "delta";
  return m;
}

OpsCell MeasureOps(const std::vector<const ops::TaskTimeline*>& tasks, const std::vector<const ops::TaskAudit*>& audits,
                   int64_t as_of_ms) {
  OpsCell cell;
  std::vector<ops::TaskTimeline> copy;
  copy.reserve(tasks.size());
  for (const ops::TaskTimeline* t : tasks) copy.push_back(*t);
  std::vector<ops::TaskAudit> audit_copy;
  audit_copy.reserve(audits.size());
  for (const ops::TaskAudit* a : audits) audit_copy.push_back(*a);
  ops::KpiOptions options;
  options.as_of_ms = as_of_ms;
  auto rows = ops::ComputeKpis(copy, {}, options);
  if (!rows.empty()) {
    cell.on_time_rate = rows[0].on_time_rate;
    cell.rework_rate = rows[0].rework_rate;
  }
  int64_t pass = 0;
  for (const ops::TaskAudit* a : audits) pass += a->pass ? 1 : 0;
  cell.audit_pass_rate = ops::MakeRate(pass, static_cast<int64_t>(audits.size()));
  cell.cost_per_accepted_task_usd = CostPerAccepted(tasks);
  return cell;
}

Measurement OpsMeasure(const OpsCell& cell, std::string_view metric) {
  if (metric == "audit_pass_rate") return FromRate(cell.audit_pass_rate);
  if (metric == "on_time_rate") return FromRate(cell.on_time_rate);
  if (metric == "rework_rate") return FromRate(cell.rework_rate);
  if (metric == "cost_per_accepted_task_usd") return cell.cost_per_accepted_task_usd;
  return {};
}

// ---- the measurement of one pipeline ------------------------------------------------------------

struct BatchInfo {
  std::string batch, vendor, first_labeled_at;
  std::set<std::string> spec_versions;
};

// What process control and the root-cause search take from a pipeline's outcome rows, gathered
// while the rows are written (instead of reading them back from the store after).
struct MeasuredOutcomes {
  bool covered = false;  // the pipeline's vendor labels were compared with gold: `sums` holds its rows
  OutcomeSums sums;
  rootcause::FactsBuilder facts;
  std::vector<rootcause::PipelineFacts> failing_facts;  // the fact table, kept when a gap row fails
};

class PipelineRun {
 public:
  // `store` is read (and written through, unless `outcomes` is given: then only read).
  PipelineRun(Store& store, OutcomeQueue* outcomes, const ProgramConfig& config, const PipelineSpec& spec,
              const RunOptions& options, const std::vector<ops::TaskTimeline>& timelines,
              const std::vector<ops::TaskAudit>& audits, int64_t as_of_ms, report::RunResult& out,
              MeasuredOutcomes& measured)
      : store_(store), outcomes_(outcomes), config_(config), spec_(spec), options_(options), as_of_ms_(as_of_ms),
        out_(out), measured_(measured) {
    for (const ops::TaskTimeline& t : timelines) {
      if (t.pipeline != spec.id) continue;
      tasks_.push_back(&t);
      if (!t.annotator.empty()) primary_[t.task] = t.annotator;
      created_ms_[t.task] = t.created_ms.value_or(t.first_event_ms);
    }
    for (const ops::TaskAudit& a : audits) {
      if (a.pipeline == spec.id) audits_.push_back(&a);
    }
    trend_metrics_ = options.metrics;
    trend_metrics_.resamples = options.trend_resamples;
  }

  Status Measure();

 private:
  bool NeedsGold() const;
  Status EvaluateGold();
  Status LoadBatches();
  std::vector<Target> ClassTargets(const std::string& cls) const;
  void AddGap(const Target& t, const std::string& vendor, std::vector<SliceCondition> slice, const Measurement& m,
              MetricFrom from);
  void GoldRows();
  void OpsRows();
  void Trends();
  void SpecSplits();
  OpsCell OpsFor(const std::function<bool(const std::string& vendor, const std::string& batch,
                                          const std::string& annotator, int64_t created_ms)>& keep);
  std::vector<std::string> Vendors() const;

  Store& store_;
  OutcomeQueue* outcomes_;
  const ProgramConfig& config_;
  const PipelineSpec& spec_;
  const RunOptions& options_;
  int64_t as_of_ms_;
  report::RunResult& out_;
  MeasuredOutcomes& measured_;
  quality::MetricOptions trend_metrics_;
  std::vector<const ops::TaskTimeline*> tasks_;
  std::vector<const ops::TaskAudit*> audits_;
  std::unordered_map<std::string, std::string> primary_;  // task -> primary annotator
  std::unordered_map<std::string, int64_t> created_ms_;    // task -> creation (or first event)
  EvaluationResult overall_;
  PipelineCells cells_;
  std::vector<BatchInfo> batches_;  // delivery order
  std::map<std::string, std::vector<MetricValue>> vendor_metrics_, class_metrics_;
  report::PipelineSummary summary_;
  size_t first_gap_ = 0;
};

bool PipelineRun::NeedsGold() const {
  auto any_gold = [](const std::vector<Target>& ts) {
    return std::any_of(ts.begin(), ts.end(), [](const Target& t) { return FromOf(t.metric) == MetricFrom::kGold; });
  };
  if (any_gold(spec_.targets.pipeline)) return true;
  for (const auto& [cls, ts] : spec_.targets.by_class) {
    if (any_gold(ts)) return true;
  }
  for (const SliceTarget& s : spec_.targets.slices) {
    if (any_gold(s.targets)) return true;
  }
  return false;
}

Status PipelineRun::EvaluateGold() {
  const auto& slices = spec_.targets.slices;
  cells_.slices.resize(slices.size());
  cells_.slice_by_vendor.resize(slices.size());
  EvaluateOptions eo;
  eo.pipeline = spec_.id;
  eo.source = Source::kVendor;
  eo.against = Source::kGold;
  eo.metrics = options_.metrics;
  eo.write_outcomes = true;
  eo.outcome_queue = outcomes_;
  // Only the delivered labels: the task's primary annotator's, when the events name one (the
  // other annotators of an overlap set measure agreement, not the delivery).
  eo.keep_record = [this](const LabelRecord& r) {
    auto it = primary_.find(r.task);
    return it == primary_.end() || it->second == r.annotator;
  };
  eo.on_comparison = [this, &slices](const FrameLabels& frame, const LabelRecord& r,
                                     const quality::FrameComparison& cmp) {
    QualityAggregate& vendor = cells_.by_vendor[r.vendor];
    QualityAggregate& batch = cells_.by_batch[r.batch];
    QualityAggregate& spec = cells_.by_spec[r.spec_version];
    vendor.Add(cmp, frame.task);
    batch.Add(cmp, frame.task);
    spec.Add(cmp, frame.task);
    for (const Outcome& o : cmp.outcomes) {
      cells_.by_class[std::string(o.cls)].AddOutcome(cmp, o, frame.task);
      for (size_t i = 0; i < slices.size(); ++i) {
        if (!InSlice(slices[i].where, r, o)) continue;
        cells_.slices[i].AddOutcome(cmp, o, frame.task);
        cells_.slice_by_vendor[i][r.vendor].AddOutcome(cmp, o, frame.task);
      }
    }
  };
  // The rows as process control and the root-cause search read them from `outcomes`.
  eo.on_outcome_row = [this](const LabelRecord& r, const OutcomeRow& row) {
    measured_.sums.Add(row.pipeline, row.vendor, row.batch, row.annotator, row.kind, row.attributes_compared,
                       row.errors);
    measured_.facts.Add(row.pipeline, rootcause::FactOf(row, r.labeled_at));
  };
  auto result = EvaluatePipeline(store_, config_, eo);
  if (!result.ok()) return result.status();
  measured_.covered = true;
  measured_.sums.Cover(spec_.id);
  overall_ = std::move(*result);
  for (const auto& [v, agg] : cells_.by_vendor) vendor_metrics_[v] = quality::ComputeMetrics(agg, options_.metrics);
  for (const auto& [c, agg] : cells_.by_class) class_metrics_[c] = quality::ComputeMetrics(agg, options_.metrics);
  summary_.gold_frames = overall_.frames_compared;
  int64_t gold_tasks = 0;
  for (const MetricValue& m : overall_.metrics) gold_tasks = std::max(gold_tasks, m.clusters);
  summary_.gold_tasks = gold_tasks;
  return Status::Ok();
}

Status PipelineRun::LoadBatches() {
  // Delivery order: each batch's first labeled_at (then its id), over every vendor record.
  auto q = store_.QueryReadOnly(fmt::format(
      "SELECT batch, coalesce(min(vendor), ''), coalesce(min(labeled_at), ''), group_concat(DISTINCT spec_version) "
      "FROM label_sets WHERE pipeline = '{}' AND source = 'vendor' AND batch IS NOT NULL GROUP BY batch",
      spec_.id));  // pipeline ids are [A-Za-z0-9_-]: validated by the config
  if (!q.ok()) return q.status();
  for (const auto& row : q->rows) {
    BatchInfo b;
    b.batch = row[0].value_or("");
    b.vendor = row[1].value_or("");
    b.first_labeled_at = row[2].value_or("");
    std::string specs = row[3].value_or("");
    size_t start = 0;
    while (start <= specs.size() && !specs.empty()) {
      size_t comma = specs.find(',', start);
      if (comma == std::string::npos) comma = specs.size();
      if (comma > start) b.spec_versions.insert(specs.substr(start, comma - start));
      start = comma + 1;
    }
    batches_.push_back(std::move(b));
  }
  std::sort(batches_.begin(), batches_.end(), [](const BatchInfo& a, const BatchInfo& b) {
    return std::tie(a.first_labeled_at, a.batch) < std::tie(b.first_labeled_at, b.batch);
  });
  return Status::Ok();
}

std::vector<Target> PipelineRun::ClassTargets(const std::string& cls) const {
  std::vector<Target> out;
  auto it = spec_.targets.by_class.find(cls);
  for (const Target& t : spec_.targets.pipeline) {
    if (FromOf(t.metric) != MetricFrom::kGold) continue;
    bool overridden = false;
    if (it != spec_.targets.by_class.end()) {
      for (const Target& o : it->second) overridden = overridden || o.metric == t.metric;
    }
    if (!overridden) out.push_back(t);
  }
  if (it != spec_.targets.by_class.end()) {
    for (const Target& o : it->second) {
      if (FromOf(o.metric) == MetricFrom::kGold) out.push_back(o);
    }
  }
  return out;
}

void PipelineRun::AddGap(const Target& t, const std::string& vendor, std::vector<SliceCondition> slice,
                         const Measurement& m, MetricFrom from) {
  Gap g;
  g.pipeline = spec_.id;
  g.metric = t.metric;
  g.slice = std::move(slice);
  g.vendor = vendor;
  g.target = t.value;
  g.higher_is_better = MetricHigherIsBetter(t.metric);
  g.value = m.value, g.lo = m.lo, g.hi = m.hi;
  g.n = m.n, g.clusters = m.clusters;
  g.method = m.method;
  g.from = std::string(FromName(from));
  g.target_line = t.line;
  report::Judgement j = report::Judge(g.value, g.lo, g.hi, g.target, g.higher_is_better, g.clusters);
  g.status = j.status;
  g.gap = j.gap;
  g.additional_audits = j.additional_audits;
  out_.gaps.push_back(std::move(g));
}

std::vector<std::string> PipelineRun::Vendors() const {
  std::set<std::string> v;
  for (const auto& [vendor, agg] : cells_.by_vendor) v.insert(vendor);
  for (const ops::TaskTimeline* t : tasks_) {
    if (!t->vendor.empty()) v.insert(t->vendor);
  }
  for (const BatchInfo& b : batches_) v.insert(b.vendor);  // vendors that delivered, gold or not
  v.erase("");
  return {v.begin(), v.end()};
}

void PipelineRun::GoldRows() {
  for (const Target& t : spec_.targets.pipeline) {
    if (FromOf(t.metric) != MetricFrom::kGold) continue;
    AddGap(t, "", {}, FromMetric(Find(overall_.metrics, t.metric)), MetricFrom::kGold);
    for (const std::string& v : Vendors()) {
      auto it = vendor_metrics_.find(v);
      AddGap(t, v, {}, it == vendor_metrics_.end() ? Measurement{} : FromMetric(Find(it->second, t.metric)),
             MetricFrom::kGold);
    }
  }
  // Every class measured, and every class of the spec, with its targets.
  std::set<std::string> classes;
  for (const auto& [c, m] : class_metrics_) {
    if (!c.empty()) classes.insert(c);
  }
  for (const ClassSpec& c : spec_.classes) classes.insert(c.name);
  for (const std::string& c : classes) {
    Condition cond;
    cond.field = "class";
    cond.value = c;
    auto it = class_metrics_.find(c);
    for (const Target& t : ClassTargets(c)) {
      AddGap(t, "", {ToSliceCondition(cond)},
             it == class_metrics_.end() ? Measurement{} : FromMetric(Find(it->second, t.metric)), MetricFrom::kGold);
    }
  }
  const auto& slices = spec_.targets.slices;
  for (size_t i = 0; i < slices.size(); ++i) {
    std::string vendor;
    std::vector<SliceCondition> slice;
    for (const Condition& c : slices[i].where) {
      if (c.field == "vendor" && std::holds_alternative<std::string>(c.value)) {
        vendor = std::get<std::string>(c.value);
      } else {
        slice.push_back(ToSliceCondition(c));
      }
    }
    std::vector<MetricValue> all;
    if (i < cells_.slices.size() && !cells_.slices[i].empty()) all = quality::ComputeMetrics(cells_.slices[i], options_.metrics);
    std::map<std::string, std::vector<MetricValue>> per_vendor;
    if (vendor.empty() && i < cells_.slice_by_vendor.size()) {
      for (const auto& [v, agg] : cells_.slice_by_vendor[i]) per_vendor[v] = quality::ComputeMetrics(agg, options_.metrics);
    }
    for (const Target& t : slices[i].targets) {
      if (FromOf(t.metric) != MetricFrom::kGold) continue;
      AddGap(t, vendor, slice, FromMetric(Find(all, t.metric)), MetricFrom::kGold);
      if (!vendor.empty()) continue;
      for (const std::string& v : Vendors()) {
        auto it = per_vendor.find(v);
        AddGap(t, v, slice, it == per_vendor.end() ? Measurement{} : FromMetric(Find(it->second, t.metric)),
               MetricFrom::kGold);
      }
    }
  }
}

OpsCell PipelineRun::OpsFor(const std::function<bool(const std::string&, const std::string&, const std::string&,
                                                     int64_t)>& keep) {
  std::vector<const ops::TaskTimeline*> tasks;
  for (const ops::TaskTimeline* t : tasks_) {
    if (keep(t->vendor, t->batch, t->annotator, t->created_ms.value_or(t->first_event_ms))) tasks.push_back(t);
  }
  std::vector<const ops::TaskAudit*> audits;
  for (const ops::TaskAudit* a : audits_) {
    auto it = created_ms_.find(a->task);
    if (keep(a->vendor, a->batch, a->annotator, it == created_ms_.end() ? a->latest_at_ms : it->second)) audits.push_back(a);
  }
  return MeasureOps(tasks, audits, as_of_ms_);
}

void PipelineRun::OpsRows() {
  auto ops_targets = [](const std::vector<Target>& ts) {
    std::vector<Target> out;
    for (const Target& t : ts) {
      if (FromOf(t.metric) != MetricFrom::kGold) out.push_back(t);
    }
    return out;
  };
  const std::vector<Target> pipeline_targets = ops_targets(spec_.targets.pipeline);
  if (!pipeline_targets.empty()) {
    OpsCell all = OpsFor([](const std::string&, const std::string&, const std::string&, int64_t) { return true; });
    for (const Target& t : pipeline_targets) AddGap(t, "", {}, OpsMeasure(all, t.metric), FromOf(t.metric));
    for (const std::string& v : Vendors()) {
      OpsCell cell = OpsFor([&v](const std::string& vendor, const std::string&, const std::string&, int64_t) {
        return vendor == v;
      });
      for (const Target& t : pipeline_targets) AddGap(t, v, {}, OpsMeasure(cell, t.metric), FromOf(t.metric));
    }
  }
  for (const SliceTarget& s : spec_.targets.slices) {
    const std::vector<Target> targets = ops_targets(s.targets);
    if (targets.empty()) continue;
    std::string vendor;
    std::vector<SliceCondition> slice;
    for (const Condition& c : s.where) {
      if (c.field == "vendor" && std::holds_alternative<std::string>(c.value)) {
        vendor = std::get<std::string>(c.value);
      } else {
        slice.push_back(ToSliceCondition(c));
      }
    }
    bool measurable = true;
    OpsCell cell = OpsFor([&](const std::string& v, const std::string& b, const std::string& a, int64_t created) {
      bool ok = true;
      const bool in = TaskInSlice(s.where, v, b, a, created, ok);
      measurable = measurable && ok;
      return in;
    });
    for (const Target& t : targets) {
      AddGap(t, vendor, slice, measurable ? OpsMeasure(cell, t.metric) : Measurement{}, FromOf(t.metric));
      if (!measurable) out_.gaps.back().method = "not measurable: the slice names a field tasks do not have";
    }
  }
}

// The per-batch series of each pipeline target metric (all vendors: the batches in delivery
// order), with control limits.
void PipelineRun::Trends() {
  if (batches_.empty()) return;
  std::map<std::string, std::vector<MetricValue>> gold_by_batch;
  for (const auto& [b, agg] : cells_.by_batch) gold_by_batch[b] = quality::ComputeMetrics(agg, trend_metrics_);
  std::map<std::string, OpsCell> ops_by_batch;
  bool any_ops = std::any_of(spec_.targets.pipeline.begin(), spec_.targets.pipeline.end(),
                             [](const Target& t) { return FromOf(t.metric) != MetricFrom::kGold; });
  if (any_ops) {
    for (const BatchInfo& b : batches_) {
      ops_by_batch[b.batch] = OpsFor([&b](const std::string&, const std::string& batch, const std::string&, int64_t) {
        return batch == b.batch;
      });
    }
  }
  for (const Target& t : spec_.targets.pipeline) {
    const MetricFrom from = FromOf(t.metric);
    report::Trend trend;
    trend.pipeline = spec_.id;
    trend.metric = t.metric;
    trend.target = t.value;
    trend.higher_is_better = MetricHigherIsBetter(t.metric);
    const auto rate = RateOf(t.metric);
    const bool proportion = from == MetricFrom::kGold ? rate.has_value() : t.metric != "cost_per_accepted_task_usd";
    trend.chart = proportion ? "laney_p" : "xmr";
    std::vector<int64_t> successes, n;
    std::vector<double> values, lo, hi;
    std::string previous_specs;
    for (const BatchInfo& b : batches_) {
      report::BatchPoint p;
      p.batch = b.batch;
      std::string specs;
      for (const std::string& s : b.spec_versions) specs += (specs.empty() ? "" : "+") + s;
      p.spec_version = specs;
      p.spec_change = !previous_specs.empty() && specs != previous_specs;
      previous_specs = specs;
      p.delivered = b.first_labeled_at;
      Measurement m;
      int64_t x = 0;
      if (from == MetricFrom::kGold) {
        auto it = gold_by_batch.find(b.batch);
        if (it != gold_by_batch.end()) m = FromMetric(Find(it->second, t.metric));
        if (rate && !std::isnan(m.value)) x = std::llround(m.value * static_cast<double>(m.n));  // num / den
      } else {
        m = OpsMeasure(ops_by_batch[b.batch], t.metric);
        x = m.successes;
      }
      p.value = m.value, p.lo = m.lo, p.hi = m.hi, p.n = m.n;
      successes.push_back(std::isnan(m.value) ? 0 : x);
      n.push_back(std::isnan(m.value) ? 0 : m.n);
      values.push_back(m.value);
      lo.push_back(m.lo);
      hi.push_back(m.hi);
      trend.points.push_back(std::move(p));
    }
    if (std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) continue;
    const std::vector<stats::ChartPoint> chart = proportion ? stats::LaneyPChart(successes, n) : stats::IndividualsChart(values);
    for (size_t i = 0; i < chart.size(); ++i) {
      report::BatchPoint& p = trend.points[i];
      if (std::isnan(p.value)) continue;
      p.center = chart[i].center, p.lcl = chart[i].lcl, p.ucl = chart[i].ucl;
      p.out_of_control = chart[i].out_of_control;
    }
    // The trend word of the pipeline row, and of each vendor's row over its own batches.
    const std::string word = stats::TrendWord(stats::SlopeTrend(values, lo, hi), trend.higher_is_better);
    std::map<std::string, std::string> vendor_word;
    for (const std::string& v : Vendors()) {
      std::vector<double> vv, vl, vh;
      for (size_t i = 0; i < batches_.size(); ++i) {
        if (batches_[i].vendor != v) continue;
        vv.push_back(values[i]);
        vl.push_back(lo[i]);
        vh.push_back(hi[i]);
      }
      vendor_word[v] = stats::TrendWord(stats::SlopeTrend(vv, vl, vh), trend.higher_is_better);
    }
    for (size_t i = first_gap_; i < out_.gaps.size(); ++i) {
      Gap& g = out_.gaps[i];
      if (g.metric != t.metric || !g.slice.empty()) continue;
      g.trend = g.vendor.empty() ? word : vendor_word[g.vendor];
    }
    out_.trends.push_back(std::move(trend));
  }
}

void PipelineRun::SpecSplits() {
  if (cells_.by_spec.size() < 1) return;
  for (const auto& [spec_version, agg] : cells_.by_spec) {
    const std::vector<MetricValue> metrics = quality::ComputeMetrics(agg, trend_metrics_);
    for (const Target& t : spec_.targets.pipeline) {
      if (FromOf(t.metric) != MetricFrom::kGold) continue;
      const MetricValue* m = Find(metrics, t.metric);
      if (m == nullptr) continue;
      out_.spec_splits.push_back(report::SpecSplit{spec_.id, t.metric, spec_version, m->value, m->lo, m->hi, m->n});
    }
  }
}

Status PipelineRun::Measure() {
  first_gap_ = out_.gaps.size();
  summary_.pipeline = spec_.id;
  summary_.name = spec_.name;
  summary_.geometry = std::string(Name(spec_.geometry));
  summary_.tasks = static_cast<int64_t>(tasks_.size());
  summary_.audited_tasks = static_cast<int64_t>(audits_.size());
  if (options_.progress) options_.progress(spec_.id);
  GTOPS_RETURN_IF_ERROR(LoadBatches());
  if (NeedsGold()) GTOPS_RETURN_IF_ERROR(EvaluateGold());
  GoldRows();
  OpsRows();
  Trends();
  SpecSplits();
  report::StatusCounts counts;
  for (size_t i = first_gap_; i < out_.gaps.size(); ++i) counts.Add(out_.gaps[i].status);
  summary_.fails = counts.fails, summary_.inconclusive = counts.inconclusive;
  summary_.meets = counts.meets, summary_.no_data = counts.no_data;
  out_.pipelines.push_back(summary_);
  // The root-cause search looks at the pipelines with a failing row only.
  if (counts.fails > 0) measured_.failing_facts = measured_.facts.Finish();
  measured_.facts = rootcause::FactsBuilder();
  return Status::Ok();
}

// ---- audits: error rates by type --------------------------------------------------------------

Status AuditErrorRates(Store& store, report::RunResult& out) {
  auto totals = store.QueryReadOnly(
      "SELECT pipeline, coalesce(vendor, ''), count(DISTINCT task) FROM audits GROUP BY 1, 2 "
      "UNION ALL SELECT pipeline, NULL, count(DISTINCT task) FROM audits GROUP BY 1");
  if (!totals.ok()) return totals.status();
  auto errors = store.QueryReadOnly(
      "SELECT a.pipeline, coalesce(a.vendor, ''), e.type, count(DISTINCT a.task) FROM audits a "
      "JOIN audit_errors e USING (audit_id) GROUP BY 1, 2, 3 "
      "UNION ALL SELECT a.pipeline, NULL, e.type, count(DISTINCT a.task) FROM audits a "
      "JOIN audit_errors e USING (audit_id) GROUP BY 1, 3 ORDER BY 1, 2, 3");
  if (!errors.ok()) return errors.status();
  std::map<std::pair<std::string, std::string>, int64_t> audited;
  auto vendor_key = [](const std::optional<std::string>& v) { return v ? *v : std::string("\x1f"); };
  for (const auto& row : totals->rows) audited[{row[0].value_or(""), vendor_key(row[1])}] = std::stoll(row[2].value_or("0"));
  for (const auto& row : errors->rows) {
    report::AuditErrorRate r;
    r.pipeline = row[0].value_or("");
    const std::string key = vendor_key(row[1]);
    r.vendor = row[1] ? *row[1] : "";
    r.error_type = row[2].value_or("");
    r.tasks_with_error = std::stoll(row[3].value_or("0"));
    r.audited_tasks = audited[{r.pipeline, key}];
    ops::Rate rate = ops::MakeRate(r.tasks_with_error, r.audited_tasks);
    r.value = rate.value, r.lo = rate.lo, r.hi = rate.hi;
    out.audit_errors.push_back(std::move(r));
  }
  std::stable_sort(out.audit_errors.begin(), out.audit_errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.pipeline, a.vendor, a.error_type) < std::tie(b.pipeline, b.vendor, b.error_type);
  });
  return Status::Ok();
}

// ---- persistence ---------------------------------------------------------------------------

GapRow ToRow(const Gap& g) {
  GapRow r;
  r.pipeline = g.pipeline;
  r.metric = g.metric;
  if (!g.slice.empty()) {
    r.slice_json = "{";
    for (size_t i = 0; i < g.slice.size(); ++i) {
      r.slice_json += (i ? "," : "") + JsonText(g.slice[i].field) + ":" + g.slice[i].value_json;
    }
    r.slice_json += "}";
  }
  r.slice_label = g.SliceLabel();
  r.vendor = g.vendor;
  r.target = g.target;
  r.higher_is_better = g.higher_is_better;
  auto opt = [](double v) { return std::isfinite(v) ? std::optional<double>(v) : std::nullopt; };
  r.value = opt(g.value), r.lo = opt(g.lo), r.hi = opt(g.hi), r.gap = opt(g.gap);
  r.status = std::string(report::Name(g.status));
  r.additional_audits = g.additional_audits;
  r.trend = g.trend;
  r.method = g.method;
  r.from = g.from;
  r.n = g.n;
  r.clusters = g.clusters;
  r.target_line = g.target_line;
  return r;
}

report::GapStatus ParseStatus(std::string_view s) {
  if (s == "meets") return report::GapStatus::kMeets;
  if (s == "fails") return report::GapStatus::kFails;
  if (s == "inconclusive") return report::GapStatus::kInconclusive;
  return report::GapStatus::kNoData;
}

Gap FromRow(const GapRow& r) {
  Gap g;
  g.pipeline = r.pipeline;
  g.metric = r.metric;
  if (!r.slice_json.empty()) {
    auto j = nlohmann::ordered_json::parse(r.slice_json, nullptr, false);
    if (j.is_object()) {
      // The labels were written with the row: split them back in the same order.
      std::vector<std::string> labels;
      std::istringstream in(r.slice_label);
      for (std::string part; in >> part;) labels.push_back(part);
      size_t i = 0;
      for (const auto& [field, value] : j.items()) {
        SliceCondition c;
        c.field = field;
        c.value_json = value.dump();
        c.label = i < labels.size() ? labels[i] : field + "=" + c.value_json;
        ++i;
        g.slice.push_back(std::move(c));
      }
    }
  }
  g.vendor = r.vendor;
  g.target = r.target;
  g.higher_is_better = r.higher_is_better;
  g.value = r.value.value_or(NAN), g.lo = r.lo.value_or(NAN), g.hi = r.hi.value_or(NAN), g.gap = r.gap.value_or(NAN);
  g.status = ParseStatus(r.status);
  g.additional_audits = r.additional_audits;
  g.trend = r.trend;
  g.method = r.method;
  g.from = r.from;
  g.n = r.n;
  g.clusters = r.clusters;
  g.target_line = r.target_line;
  return g;
}

std::string Key(const std::string& pipeline, const std::string& metric, const std::string& vendor,
                const std::string& slice) {
  return pipeline + '\x1f' + metric + '\x1f' + vendor + '\x1f' + slice;
}

std::vector<report::Change> Changes(const std::vector<Gap>& now, const std::vector<GapRow>& before) {
  std::map<std::string, const GapRow*> old;
  for (const GapRow& r : before) old[Key(r.pipeline, r.metric, r.vendor, r.slice_label)] = &r;
  std::vector<report::Change> out;
  for (const Gap& g : now) {
    const std::string key = Key(g.pipeline, g.metric, g.vendor, g.SliceLabel());
    auto it = old.find(key);
    report::Change c;
    c.pipeline = g.pipeline, c.metric = g.metric, c.vendor = g.vendor, c.slice = g.SliceLabel();
    c.after_status = std::string(report::Name(g.status));
    c.after_value = g.value;
    if (it == old.end()) {
      out.push_back(std::move(c));
      continue;
    }
    c.before_status = it->second->status;
    c.before_value = it->second->value.value_or(NAN);
    old.erase(it);
    const bool same_value = (std::isnan(c.before_value) && std::isnan(c.after_value)) ||
                            std::fabs(c.before_value - c.after_value) <= 1e-9;
    if (c.before_status != c.after_status || !same_value) out.push_back(std::move(c));
  }
  for (const auto& [key, r] : old) {  // rows that are gone (a target removed)
    report::Change c;
    c.pipeline = r->pipeline, c.metric = r->metric, c.vendor = r->vendor, c.slice = r->slice_label;
    c.before_status = r->status;
    c.before_value = r->value.value_or(NAN);
    out.push_back(std::move(c));
  }
  return out;
}

std::string NowRfc3339() {
  using namespace std::chrono;
  return FormatRfc3339(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// What a run depends on: the config's text, the data (the last ingest run that stored
// anything), the options and this build. Equal fingerprints give equal results.
Result<std::string> Fingerprint(Store& store, const ProgramConfig& config, const RunOptions& options) {
  std::string text;
  if (!config.source_path.empty()) {
    std::ifstream in(config.source_path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto q = store.QueryReadOnly(
      "SELECT coalesce(max(run_id), 0), (SELECT count(*) FROM label_sets), (SELECT count(*) FROM events), "
      "(SELECT count(*) FROM audits) FROM ingest_runs WHERE inserted + replaced > 0");
  if (!q.ok()) return q.status();
  std::string data;
  for (const auto& cell : q->rows.at(0)) data += cell.value_or("") + "/";
  return fmt::format("config:{:016x} data:{} resamples:{} seed:{} trend:{} version:{}",
                     std::hash<std::string>{}(text), data, options.metrics.resamples, options.metrics.seed,
                     options.trend_resamples, GTOPS_VERSION);
}

Status WriteAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return Status::Usage(fmt::format("{}: cannot write", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::Usage(fmt::format("{}: cannot write: {}", path.string(), ec.message()));
  return Status::Ok();
}

// options.threads 0: GTOPS_RUN_THREADS when it is a number from 1 to 64, else one per core, at most 2.
size_t ThreadsFromEnvironment() {
  if (const char* env = std::getenv("GTOPS_RUN_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 64) return static_cast<size_t>(v);
  }
  return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 2);
}

// The pipelines of `config`, largest first: by the objects and records of their gold.
Result<std::vector<size_t>> LargestFirst(Store& store, const ProgramConfig& config) {
  auto q = store.QueryReadOnly(
      "SELECT pipeline, sum(object_count) + count(*) FROM label_sets WHERE source = 'gold' GROUP BY pipeline");
  if (!q.ok()) return q.status();
  std::map<std::string, int64_t> size;
  for (const auto& row : q->rows) size[row[0].value_or("")] = std::stoll(row[1].value_or("0"));
  std::vector<size_t> order(config.pipelines.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto size_of = [&](size_t i) {
    auto it = size.find(config.pipelines[i].id);
    return it == size.end() ? int64_t{0} : it->second;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return size_of(a) > size_of(b); });
  return order;
}

// Measures every pipeline into `out`, in config order. With several threads (options.threads),
// each measures one pipeline at a time through a read-only connection of its own, taking the
// largest pipelines first; the outcomes go through one queue that writes them with `store`. Each
// pipeline's rows are kept apart and appended in config order: the result does not depend on the
// number of threads.
Status MeasurePipelines(Store& store, const ProgramConfig& config, const RunOptions& options,
                        const std::vector<ops::TaskTimeline>& timelines, const std::vector<ops::TaskAudit>& audits,
                        int64_t as_of_ms, report::RunResult& out, std::vector<MeasuredOutcomes>& measured) {
  const size_t n = config.pipelines.size();
  std::vector<report::RunResult> parts(n);
  measured = std::vector<MeasuredOutcomes>(n);
  size_t threads = static_cast<size_t>(std::max(options.threads, 0));
  if (threads == 0) threads = ThreadsFromEnvironment();
  threads = std::min(threads, n);
  std::vector<std::unique_ptr<Store>> readers;
  for (size_t t = 0; t < threads && threads > 1; ++t) {
    auto opened = OpenStore(StoreOptions{store.Location(), true});
    if (!opened.ok()) break;
    readers.push_back(std::move(*opened));
  }
  if (readers.size() < 2) {
    for (size_t i = 0; i < n; ++i) {
      PipelineRun run(store, nullptr, config, config.pipelines[i], options, timelines, audits, as_of_ms, parts[i],
                      measured[i]);
      GTOPS_RETURN_IF_ERROR(run.Measure());
    }
  } else {
    auto order = LargestFirst(store, config);
    if (!order.ok()) return order.status();
    RunOptions shared = options;  // the progress callback, called by one thread at a time
    std::mutex progress_mu;
    if (options.progress) {
      shared.progress = [&progress_mu, &options](std::string_view stage) {
        std::lock_guard<std::mutex> lock(progress_mu);
        options.progress(stage);
      };
    }
    std::vector<Status> status(n);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    OutcomeQueue queue(store);
    auto work = [&](Store& reader) {
      for (size_t k = next++; k < n && !failed; k = next++) {
        const size_t i = (*order)[k];
        PipelineRun run(reader, &queue, config, config.pipelines[i], shared, timelines, audits, as_of_ms, parts[i],
                        measured[i]);
        status[i] = run.Measure();
        if (!status[i].ok()) failed = true;
      }
    };
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < readers.size(); ++t) helpers.emplace_back(work, std::ref(*readers[t]));
    work(*readers[0]);
    for (std::thread& t : helpers) t.join();
    const Status written = queue.Close();
    for (const Status& s : status) GTOPS_RETURN_IF_ERROR(s);
    GTOPS_RETURN_IF_ERROR(written);
  }
  for (report::RunResult& part : parts) {
    auto append = [](auto& to, auto& from) { std::move(from.begin(), from.end(), std::back_inserter(to)); };
    append(out.gaps, part.gaps);
    append(out.trends, part.trends);
    append(out.spec_splits, part.spec_splits);
    append(out.pipelines, part.pipelines);
  }
  return Status::Ok();
}

}  // namespace

Result<report::RunResult> MeasureProgram(Store& store, const ProgramConfig& config, const RunOptions& options) {
  report::RunResult out;
  out.program = config.name;
  out.generated_at = NowRfc3339();
  if (options.progress) options.progress("task timelines and audits");
  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(store, config, as_of_ms);
  if (!timelines.ok()) return timelines.status();
  auto audits = LoadAudits(store);
  if (!audits.ok()) return audits.status();
  std::vector<MeasuredOutcomes> measured;
  GTOPS_RETURN_IF_ERROR(MeasurePipelines(store, config, options, *timelines, *audits, as_of_ms, out, measured));
  // The outcome sums and failing pipelines' facts of the pipelines compared with gold; the others'
  // outcomes (an earlier evaluation's, if any) are read from the store.
  OutcomeSums sums;
  std::vector<rootcause::PipelineFacts> facts;
  for (MeasuredOutcomes& m : measured) {
    if (!m.covered) continue;
    sums.Merge(m.sums);
    std::move(m.failing_facts.begin(), m.failing_facts.end(), std::back_inserter(facts));
  }
  measured.clear();
#if defined(__GLIBC__)
  // What the measuring threads freed (their allocator arenas keep it) goes back to the system
  // before process control and the root-cause search (and any facts they read from the store):
  // the peak stays that of one stage.
  malloc_trim(0);
#endif
  GTOPS_RETURN_IF_ERROR(AuditErrorRates(store, out));
  ops::AlertOptions alert_options;
  alert_options.as_of_ms = as_of_ms;
  alert_options.config = &config;
  for (const ops::Alert& a : ops::DetectAlerts(*timelines, alert_options)) {
    out.alerts.push_back(report::OpsAlert{a.kind, a.level, a.pipeline, a.vendor, a.metric, a.since, a.detected,
                                          a.baseline, a.current, a.tasks, a.evidence});
  }
  // Process control and the root-cause search only read the store: process control runs on a
  // read-only connection of its own, on a second thread, beside the search.
  if (options.progress) options.progress("process control");
  std::optional<Result<SpcResult>> spc;
  std::unique_ptr<Store> spc_store;
  if (auto opened = OpenStore(StoreOptions{store.Location(), true}); opened.ok()) spc_store = std::move(*opened);
  std::thread spc_thread;
  {
    Store& from = spc_store ? *spc_store : store;
    auto measure_spc = [&spc, &from, &timelines, &audits, &sums] {
      spc = ChartProcessControl(from, *timelines, *audits, "", nullptr, &sums);
    };
    if (spc_store) {
      spc_thread = std::thread(measure_spc);
    } else {
      measure_spc();
    }
  }
  auto plans = AuditPlanViews(store);
  report::SortGaps(out.gaps);
  if (options.progress) options.progress("root causes of failing pipelines");
  const Status causes =
      plans.ok() ? rootcause::AddRootCauses(store, config, out, sums.covered(), std::move(facts)) : plans.status();
  if (spc_thread.joinable()) spc_thread.join();
  GTOPS_RETURN_IF_ERROR(causes);
  out.audit_plans = std::move(*plans);
  if (!spc->ok()) return spc->status();
  GTOPS_RETURN_IF_ERROR(SaveIncidents(store, "", **spc, out.generated_at));
  for (const Incident& i : (*spc)->incidents) out.incidents.push_back(ToReport(i));
  for (const SpcChart& c : (*spc)->charts) {  // the chart of each series with an incident
    const auto& incidents = (*spc)->incidents;
    const bool shifted = std::any_of(incidents.begin(), incidents.end(), [&](const Incident& i) {
      return i.pipeline == c.series.pipeline && i.vendor == c.series.vendor && i.annotator == c.series.annotator &&
             i.metric == c.series.metric;
    });
    if (shifted) out.incident_charts.push_back(ToReport(c));
  }
  return out;
}

Result<RunOutput> RunProgram(Store& store, const ProgramConfig& config, const RunOptions& options) {
  RunOutput output;
  output.report_dir = options.report_dir.empty() ? (fs::path(options.program_dir) / "report").string() : options.report_dir;
  const std::string started_at = NowRfc3339();
  if (options.ingest) {
    if (options.progress) options.progress("ingest");
    IngestOptions io;
    io.program_dir = options.program_dir;
    auto ingested = Ingest(store, config, io);
    if (!ingested.ok()) return ingested.status();
    output.ingest = std::move(*ingested);
    if (options.progress) options.progress("task timelines");
    auto refreshed = RefreshTimelines(store);
    if (!refreshed.ok()) return refreshed.status();
  }
  auto fingerprint = Fingerprint(store, config, options);
  if (!fingerprint.ok()) return fingerprint.status();
  auto latest = store.LatestRun(0);
  if (!latest.ok()) return latest.status();
  const bool report_exists = !options.write_report || fs::exists(fs::path(output.report_dir) / "index.html");
  if (!options.force && *latest && (*latest)->fingerprint == *fingerprint && report_exists) {
    auto table = LatestGapTable(store, config);
    if (!table.ok()) return table.status();
    output.result = std::move(*table);
    output.reused = true;
    return output;
  }

  auto measured = MeasureProgram(store, config, options);
  if (!measured.ok()) return measured.status();
  report::RunResult& result = *measured;
  result.records_new = output.ingest.totals.inserted + output.ingest.totals.replaced;
  result.records_quarantined = output.ingest.totals.quarantined;
  if (*latest) {
    result.previous_run_id = (*latest)->run_id;
    auto before = store.LoadGaps((*latest)->run_id);
    if (!before.ok()) return before.status();
    result.changes = Changes(result.gaps, *before);
  }
  RunRecord record;
  record.started_at = started_at;
  record.finished_at = NowRfc3339();
  record.fingerprint = *fingerprint;
  record.ingest_run_id = output.ingest.run_id;
  std::vector<GapRow> rows;
  rows.reserve(result.gaps.size());
  for (const Gap& g : result.gaps) rows.push_back(ToRow(g));
  const report::StatusCounts counts = report::CountStatuses(result.gaps);
  record.gaps = static_cast<int64_t>(result.gaps.size());
  record.fails = counts.fails, record.inconclusive = counts.inconclusive;
  record.meets = counts.meets, record.no_data = counts.no_data;
  auto run_id = store.SaveRun(record, rows);
  if (!run_id.ok()) return run_id.status();
  result.run_id = *run_id;
  if (options.write_report) {
    if (options.progress) options.progress("report");
    GTOPS_RETURN_IF_ERROR(WriteReport(result, output.report_dir));
  }
  output.result = std::move(result);
  return output;
}

Result<report::RunResult> LatestGapTable(Store& store, const ProgramConfig& config) {
  auto latest = store.LatestRun(0);
  if (!latest.ok()) return latest.status();
  if (!*latest) return Status::NotFound("no run yet: run `gtops run` first");
  auto rows = store.LoadGaps((*latest)->run_id);
  if (!rows.ok()) return rows.status();
  report::RunResult out;
  out.program = config.name;
  out.generated_at = (*latest)->finished_at;
  out.run_id = (*latest)->run_id;
  for (const GapRow& r : *rows) out.gaps.push_back(FromRow(r));
  for (const PipelineSpec& spec : config.pipelines) {
    report::PipelineSummary s;
    s.pipeline = spec.id;
    s.name = spec.name;
    s.geometry = std::string(Name(spec.geometry));
    report::StatusCounts counts;
    for (const Gap& g : out.gaps) {
      if (g.pipeline == spec.id) counts.Add(g.status);
    }
    s.fails = counts.fails, s.inconclusive = counts.inconclusive, s.meets = counts.meets, s.no_data = counts.no_data;
    out.pipelines.push_back(std::move(s));
  }
  return out;
}

Status WriteReport(const report::RunResult& result, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Usage(fmt::format("{}: cannot create: {}", dir, ec.message()));
  GTOPS_RETURN_IF_ERROR(WriteAtomically(fs::path(dir) / "gaps.json", report::RenderGapsJson(result)));
  GTOPS_RETURN_IF_ERROR(WriteAtomically(fs::path(dir) / "report.md", report::RenderMarkdown(result)));
  return WriteAtomically(fs::path(dir) / "index.html", report::RenderHtml(result));
}

}  // namespace gtops
