#include "ops/kpis.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/time.h"

namespace gtops::ops {
namespace {

constexpr int64_t kMsPerDay = 24 * 3600 * 1000;
constexpr double kZ95 = 1.959963984540054;

double Ratio(double num, double den) { return den > 0 ? num / den : NAN; }

struct Accumulator {
  KpiRow row;
  std::optional<int64_t> week_start_ms;
  std::vector<double> lead_h, labeling_h, latency_h;
  int64_t on_time = 0, due = 0, reworked = 0, reviewed = 0, first_pass = 0, closed = 0;
  int64_t rework_rounds = 0, audited = 0, audit_passed = 0;
  double labeling_work_s = 0;
};

int64_t Anchor(const TaskTimeline& t) { return t.created_ms.value_or(t.first_event_ms); }

}  // namespace

Result<GroupBy> ParseGroupBy(const std::vector<std::string>& keys) {
  GroupBy by;
  for (const std::string& raw : keys) {
    size_t start = 0;
    while (start <= raw.size()) {
      const size_t comma = raw.find(',', start);
      const std::string key = raw.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (key == "pipeline") {
        by.pipeline = true;
      } else if (key == "vendor") {
        by.vendor = true;
      } else if (key == "annotator") {
        by.annotator = true;
      } else if (key == "batch") {
        by.batch = true;
      } else if (key == "week") {
        by.week = true;
      } else if (!key.empty()) {
        return Status::Usage(fmt::format(
            "--by {}: unknown group key (use pipeline, vendor, annotator, batch, week)", key));
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return by;
}

Rate MakeRate(int64_t successes, int64_t n) {
  Rate r;
  r.successes = successes;
  r.n = n;
  if (n <= 0) return r;
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2 = kZ95 * kZ95;
  const double denom = 1.0 + z2 / nn;
  const double centre = (p + z2 / (2.0 * nn)) / denom;
  const double half = kZ95 * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
  r.value = p;
  r.lo = successes <= 0 ? 0.0 : std::max(0.0, centre - half);  // exact ends at p = 0 and p = 1
  r.hi = successes >= n ? 1.0 : std::min(1.0, centre + half);
  return r;
}

double NearestRank(std::vector<double>& values, double p) {
  if (values.empty()) return NAN;
  const double n = static_cast<double>(values.size());
  auto rank = static_cast<size_t>(std::ceil(p * n));
  rank = std::clamp<size_t>(rank, 1, values.size());
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(rank - 1), values.end());
  return values[rank - 1];
}

int64_t WeekStartMs(int64_t epoch_ms) {
  int64_t day = epoch_ms >= 0 ? epoch_ms / kMsPerDay : -((-epoch_ms + kMsPerDay - 1) / kMsPerDay);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is the days since Monday.
  const int64_t since_monday = ((day + 3) % 7 + 7) % 7;
  return (day - since_monday) * kMsPerDay;
}

std::vector<TaskAudit> AuditOutcomes(std::span<const Audit> audits) {
  // Latest audit per (task, frame); "" is the whole task.
  std::map<std::pair<std::string_view, std::string_view>, const Audit*> latest;
  for (const Audit& a : audits) {
    auto [it, inserted] = latest.try_emplace({a.task, a.frame}, &a);
    if (!inserted && (a.at_epoch_ms > it->second->at_epoch_ms ||
                      (a.at_epoch_ms == it->second->at_epoch_ms && !a.pass))) {
      it->second = &a;  // the later audit wins; at the same instant, a fail outweighs a pass
    }
  }
  std::vector<TaskAudit> out;
  for (const auto& [key, a] : latest) {
    if (out.empty() || out.back().task != a->task) {
      TaskAudit t;
      t.task = a->task;
      t.pipeline = a->pipeline;
      t.batch = a->batch;
      t.vendor = a->vendor;
      t.annotator = a->annotator;
      t.pass = true;
      out.push_back(std::move(t));
    }
    TaskAudit& t = out.back();
    t.pass = t.pass && a->pass;
    ++t.audited_frames;
    t.latest_at_ms = std::max(t.latest_at_ms, a->at_epoch_ms);
  }
  return out;
}

std::vector<KpiRow> ComputeKpis(std::span<const TaskTimeline> timelines, std::span<const TaskAudit> audits,
                                const KpiOptions& options) {
  const GroupBy& by = options.by;
  auto make_key = [&by](const std::string& pipeline, const std::string& vendor, const std::string& annotator,
                        const std::string& batch, int64_t week_ms) {
    KpiKey k;
    if (by.pipeline) k.pipeline = pipeline;
    if (by.vendor) k.vendor = vendor;
    if (by.annotator) k.annotator = annotator;
    if (by.batch) k.batch = batch;
    if (by.week) k.week = IsoWeek(week_ms);
    return k;
  };
  auto in_window = [&options](int64_t ms) {
    return (!options.from_ms || ms >= *options.from_ms) && (!options.to_ms || ms < *options.to_ms);
  };
  auto wanted = [&options](const std::string& pipeline) {
    return options.pipeline.empty() || pipeline == options.pipeline;
  };

  // The period that throughput is measured over: the window, else the data's span.
  std::optional<int64_t> data_start;
  for (const TaskTimeline& t : timelines) {
    if (!wanted(t.pipeline)) continue;
    data_start = data_start ? std::min(*data_start, Anchor(t)) : Anchor(t);
  }
  const int64_t period_start = options.from_ms.value_or(data_start.value_or(options.as_of_ms));
  const int64_t period_end = options.to_ms.value_or(options.as_of_ms);

  std::map<KpiKey, Accumulator> groups;
  auto group = [&](KpiKey key, int64_t week_ms) -> Accumulator& {
    Accumulator& acc = groups[key];
    if (by.week && !acc.week_start_ms) acc.week_start_ms = WeekStartMs(week_ms);
    acc.row.key = std::move(key);
    return acc;
  };

  std::map<std::string_view, const TaskTimeline*> by_task;
  for (const TaskTimeline& t : timelines) {
    if (!wanted(t.pipeline)) continue;
    by_task.emplace(t.task, &t);
    if (t.first_accepted_ms && *t.first_accepted_ms >= period_start && *t.first_accepted_ms < period_end) {
      Accumulator& acc =
          group(make_key(t.pipeline, t.vendor, t.annotator, t.batch, *t.first_accepted_ms), *t.first_accepted_ms);
      ++acc.row.completed;
      acc.row.completed_objects += t.object_count;
    }
    const int64_t anchor = Anchor(t);
    if (!in_window(anchor)) continue;
    Accumulator& acc = group(make_key(t.pipeline, t.vendor, t.annotator, t.batch, anchor), anchor);
    KpiRow& r = acc.row;
    ++r.tasks;
    switch (t.state) {
      case TaskState::kAccepted: ++r.tasks_accepted; break;
      case TaskState::kRejected: ++r.tasks_rejected; break;
      case TaskState::kCancelled: ++r.tasks_cancelled; break;
      case TaskState::kOpen:
        ++r.backlog;
        if (t.first_assigned_ms) ++r.wip;
        break;
    }
    if (t.lead_time_h) acc.lead_h.push_back(*t.lead_time_h);
    if (t.labeling_time_h) acc.labeling_h.push_back(*t.labeling_time_h);
    if (t.review_latency_h) acc.latency_h.push_back(*t.review_latency_h);
    if (t.sla != SlaState::kNotDue) {
      ++acc.due;
      if (t.sla == SlaState::kOnTime) ++acc.on_time;
    }
    if (t.Reviewed()) {
      ++acc.reviewed;
      if (t.review_failures > 0) ++acc.reworked;
      acc.rework_rounds += t.rework_rounds;
    }
    if (t.state == TaskState::kAccepted || t.state == TaskState::kRejected) {
      ++acc.closed;
      if (t.state == TaskState::kAccepted && t.review_failures == 0) ++acc.first_pass;
    }
    r.objects += t.object_count;
    r.cost_usd += t.cost_usd();
    r.cost_of_poor_quality_usd += t.cost_of_poor_quality_usd();
    acc.labeling_work_s += t.labeling_work_s;
    if (!t.anomalies.empty()) ++r.tasks_with_anomalies;
    r.anomalies += static_cast<int64_t>(t.anomalies.size());
  }

  for (const TaskAudit& a : audits) {
    auto it = by_task.find(a.task);
    if (it != by_task.end()) {
      const TaskTimeline& t = *it->second;
      const int64_t anchor = Anchor(t);
      if (!in_window(anchor)) continue;
      Accumulator& acc = group(make_key(t.pipeline, t.vendor, t.annotator, t.batch, anchor), anchor);
      ++acc.audited;
      if (a.pass) ++acc.audit_passed;
    } else {
      // An audited task without events: grouped by the audit's own fields and time.
      if (!wanted(a.pipeline) || !in_window(a.latest_at_ms)) continue;
      Accumulator& acc = group(make_key(a.pipeline, a.vendor, a.annotator, a.batch, a.latest_at_ms), a.latest_at_ms);
      ++acc.audited;
      if (a.pass) ++acc.audit_passed;
    }
  }

  std::vector<KpiRow> out;
  out.reserve(groups.size());
  for (auto& [key, acc] : groups) {
    KpiRow r = std::move(acc.row);
    int64_t start = period_start, end = period_end;
    if (acc.week_start_ms) {
      start = std::max(start, *acc.week_start_ms);
      end = std::min(end, *acc.week_start_ms + 7 * kMsPerDay);
    }
    r.days = end > start ? static_cast<double>(end - start) / kMsPerDay : 0.0;
    r.throughput_tasks_per_day = Ratio(static_cast<double>(r.completed), r.days);
    r.throughput_objects_per_day = Ratio(static_cast<double>(r.completed_objects), r.days);
    r.lead_time_p50_h = NearestRank(acc.lead_h, 0.5);
    r.lead_time_p90_h = NearestRank(acc.lead_h, 0.9);
    r.labeling_time_p50_h = NearestRank(acc.labeling_h, 0.5);
    r.labeling_time_p90_h = NearestRank(acc.labeling_h, 0.9);
    if (!acc.latency_h.empty()) {
      double sum = 0;
      for (double v : acc.latency_h) sum += v;
      r.review_latency_mean_h = sum / static_cast<double>(acc.latency_h.size());
    }
    r.on_time_rate = MakeRate(acc.on_time, acc.due);
    r.rework_rate = MakeRate(acc.reworked, acc.reviewed);
    r.first_pass_yield = MakeRate(acc.first_pass, acc.closed);
    r.audit_pass_rate = MakeRate(acc.audit_passed, acc.audited);
    r.mean_rework_rounds = Ratio(static_cast<double>(acc.rework_rounds), static_cast<double>(acc.reviewed));
    r.cost_per_task_usd = Ratio(r.cost_usd, static_cast<double>(r.tasks));
    r.cost_per_accepted_task_usd = Ratio(r.cost_usd, static_cast<double>(r.tasks_accepted));
    r.cost_per_object_usd = Ratio(r.cost_usd, static_cast<double>(r.objects));
    r.labeling_hours_per_1000_objects = Ratio(acc.labeling_work_s / 3600.0 * 1000.0, static_cast<double>(r.objects));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace gtops::ops
