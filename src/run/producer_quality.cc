#include "run/producer_quality.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "ops/kpis.h"
#include "report/gaps.h"

namespace gtops {
namespace {

constexpr std::array<std::string_view, 4> kMetrics = {"recall", "precision", "class_accuracy",
                                                      "localization_accuracy"};

// Per task: numerator and denominator of each metric.
struct TaskCounts {
  std::array<int64_t, 4> num{}, den{};
};

ops::ScorecardMetric Ratio(std::string_view name, const std::vector<const TaskCounts*>& tasks, size_t m) {
  ops::ScorecardMetric out;
  out.name = std::string(name);
  double num = 0, den = 0;
  int64_t clusters = 0;
  for (const TaskCounts* t : tasks) {
    if (t->den[m] == 0) continue;
    num += static_cast<double>(t->num[m]);
    den += static_cast<double>(t->den[m]);
    ++clusters;
  }
  out.n = static_cast<int64_t>(den);
  if (den == 0) return out;
  const double r = num / den;
  double ss = 0;
  for (const TaskCounts* t : tasks) {
    if (t->den[m] == 0) continue;
    const double d = static_cast<double>(t->num[m]) - r * static_cast<double>(t->den[m]);
    ss += d * d;
  }
  out.value = r;
  const double k = static_cast<double>(clusters);
  const double var = k > 1 ? k / (k - 1) * ss / (den * den) : 0;
  if (var > 0) {
    const double half = 1.959963984540054 * std::sqrt(var);
    out.lo = std::max(0.0, r - half);
    out.hi = std::min(1.0, r + half);
  } else {  // no spread between tasks (or one task): Wilson on the tasks, the conservative size
    const ops::Rate w = ops::MakeRate(static_cast<int64_t>(std::llround(r * k)), clusters);
    out.lo = w.lo, out.hi = w.hi;
  }
  return out;
}

}  // namespace

Result<std::vector<ProducerQuality>> QualityOfProducer(Store& store, const ProgramConfig& config,
                                                       ops::ScorecardSubject subject, const std::string& id) {
  auto q = store.QueryReadOnly(
      "SELECT o.pipeline, o.task, coalesce(o.vendor, ''), coalesce(o.annotator, ''), "
      "sum(o.kind = 'paired'), sum(o.kind IN ('paired', 'missing')), sum(o.kind IN ('paired', 'extra', 'duplicate')), "
      "sum(o.kind = 'paired' AND o.wrong_class = 0), "
      "sum(o.kind = 'paired' AND o.position = 0 AND o.size = 0 AND o.heading = 0 AND o.heading_flip = 0) "
      "FROM outcomes o JOIN evaluation_runs e USING (evaluation_id) "
      "WHERE e.source = 'vendor' AND e.against = 'gold' AND e.batch = '' AND o.kind <> 'tag' "
      "GROUP BY o.pipeline, o.task, o.vendor, o.annotator ORDER BY o.pipeline");
  if (!q.ok()) return q.status();
  struct Row {
    std::string subject;
    TaskCounts counts;
  };
  std::map<std::string, std::vector<Row>> by_pipeline;
  for (const auto& cells : q->rows) {
    Row row;
    row.subject = subject == ops::ScorecardSubject::kVendor ? cells[2].value_or("") : cells[3].value_or("");
    auto at = [&](size_t i) { return cells[i] ? std::stoll(*cells[i]) : 0; };
    const int64_t paired = at(4), refs = at(5), labels = at(6), same_class = at(7), well_placed = at(8);
    row.counts.num = {paired, paired, same_class, well_placed};
    row.counts.den = {refs, labels, paired, paired};
    by_pipeline[cells[0].value_or("")].push_back(std::move(row));
  }
  std::vector<ProducerQuality> out;
  for (const auto& [pipeline, rows] : by_pipeline) {
    const PipelineSpec* spec = config.FindPipeline(pipeline);
    std::vector<const TaskCounts*> mine, others;
    for (const Row& r : rows) (r.subject == id ? mine : others).push_back(&r.counts);
    if (mine.empty()) continue;
    ProducerQuality pq;
    pq.pipeline = pipeline;
    pq.gold_tasks = static_cast<int64_t>(mine.size());
    const bool boxes = spec != nullptr && (spec->geometry == GeometryKind::kBox2d || spec->geometry == GeometryKind::kBox3d);
    for (size_t m = 0; m < kMetrics.size(); ++m) {
      if (kMetrics[m] == "localization_accuracy" && !boxes) continue;
      ops::ScorecardMetric metric = Ratio(kMetrics[m], mine, m);
      if (metric.n == 0) continue;
      metric.peers = Ratio(kMetrics[m], others, m).value;
      if (spec != nullptr) {
        for (const Target& t : spec->targets.pipeline) {
          if (t.metric != kMetrics[m]) continue;
          metric.target = t.value;
          const report::Judgement j = report::Judge(metric.value, metric.lo, metric.hi, t.value, true, pq.gold_tasks);
          metric.status = std::string(report::Name(j.status));
        }
      }
      pq.metrics.push_back(std::move(metric));
    }
    out.push_back(std::move(pq));
  }
  return out;
}

}  // namespace gtops
