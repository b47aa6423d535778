#include "ops/scorecard.h"

#include <map>

namespace gtops::ops {
namespace {

struct Pick {
  const char* name;
  bool rate;
};

constexpr Pick kMetrics[] = {{"on_time_rate", true},          {"rework_rate", true},
                             {"first_pass_yield", true},      {"audit_pass_rate", true},
                             {"lead_time_p50_h", false},      {"throughput_tasks_per_day", false},
                             {"cost_per_accepted_task_usd", false}};

const Rate* RateOf(const KpiRow& r, std::string_view name) {
  if (name == "on_time_rate") return &r.on_time_rate;
  if (name == "rework_rate") return &r.rework_rate;
  if (name == "first_pass_yield") return &r.first_pass_yield;
  if (name == "audit_pass_rate") return &r.audit_pass_rate;
  return nullptr;
}

double ValueOf(const KpiRow& r, std::string_view name) {
  if (const Rate* rate = RateOf(r, name)) return rate->value;
  if (name == "lead_time_p50_h") return r.lead_time_p50_h;
  if (name == "throughput_tasks_per_day") return r.throughput_tasks_per_day;
  if (name == "cost_per_accepted_task_usd") return r.cost_per_accepted_task_usd;
  return NAN;
}

}  // namespace

Scorecard BuildScorecard(std::span<const TaskTimeline> timelines, std::span<const TaskAudit> audits,
                         const ProgramConfig& config, ScorecardSubject subject, const std::string& id,
                         int64_t as_of_ms) {
  const bool vendor = subject == ScorecardSubject::kVendor;
  auto who = [vendor](const auto& x) -> const std::string& { return vendor ? x.vendor : x.annotator; };
  std::vector<TaskTimeline> mine, others;
  std::map<std::string, bool> pipelines;
  for (const TaskTimeline& t : timelines) {
    if (who(t) == id) {
      mine.push_back(t);
      pipelines[t.pipeline] = true;
    }
  }
  for (const TaskTimeline& t : timelines) {
    if (who(t) != id && pipelines.count(t.pipeline) > 0) others.push_back(t);
  }
  std::vector<TaskAudit> my_audits, other_audits;
  for (const TaskAudit& a : audits) (who(a) == id ? my_audits : other_audits).push_back(a);

  KpiOptions by_pipeline;
  by_pipeline.as_of_ms = as_of_ms;
  by_pipeline.by.pipeline = true;
  KpiOptions by_week = by_pipeline;
  by_week.by.week = true;
  const std::vector<KpiRow> own = ComputeKpis(mine, my_audits, by_pipeline);
  const std::vector<KpiRow> peers = ComputeKpis(others, other_audits, by_pipeline);
  const std::vector<KpiRow> weekly = ComputeKpis(mine, my_audits, by_week);

  Scorecard card;
  card.subject = subject;
  card.id = id;
  for (const KpiRow& row : own) {
    if (row.tasks == 0) continue;
    ScorecardRow out;
    out.pipeline = row.key.pipeline;
    out.tasks = row.tasks;
    const PipelineSpec* spec = config.FindPipeline(row.key.pipeline);
    const KpiRow* peer = nullptr;
    for (const KpiRow& p : peers) {
      if (p.key.pipeline == row.key.pipeline) peer = &p;
    }
    for (const Pick& pick : kMetrics) {
      ScorecardMetric m;
      m.name = pick.name;
      m.value = ValueOf(row, pick.name);
      if (const Rate* rate = RateOf(row, pick.name)) {
        m.lo = rate->lo;
        m.hi = rate->hi;
        m.n = rate->n;
      } else {
        m.n = row.tasks;
      }
      if (peer != nullptr) m.peers = ValueOf(*peer, pick.name);
      if (spec != nullptr) {
        for (const Target& t : spec->targets.pipeline) {
          if (t.metric == pick.name) m.target = t.value;
        }
      }
      if (m.target && std::isfinite(m.value)) {
        const bool higher = MetricHigherIsBetter(pick.name);
        // A rate is judged by its interval; a number without one by its value.
        const double worst = pick.rate ? (higher ? m.lo : m.hi) : m.value;
        const double best = pick.rate ? (higher ? m.hi : m.lo) : m.value;
        const bool worst_ok = higher ? worst >= *m.target : worst <= *m.target;
        const bool best_ok = higher ? best >= *m.target : best <= *m.target;
        m.status = worst_ok ? "meets" : (best_ok ? "inconclusive" : "fails");
      }
      for (const KpiRow& w : weekly) {
        if (w.key.pipeline != row.key.pipeline) continue;
        const double v = ValueOf(w, pick.name);
        if (std::isfinite(v)) m.trend.emplace_back(w.key.week, v);
      }
      if (m.trend.size() > 4) m.trend.erase(m.trend.begin(), m.trend.end() - 4);
      out.metrics.push_back(std::move(m));
    }
    card.pipelines.push_back(std::move(out));
  }
  return card;
}

}  // namespace gtops::ops
