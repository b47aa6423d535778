#include <cmath>

#include <nlohmann/json.hpp>

#include "report/render.h"

namespace gtops::report {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }
ordered_json Text(const std::string& s) { return s.empty() ? ordered_json(nullptr) : ordered_json(s); }

ordered_json SliceJson(const std::vector<SliceCondition>& slice) {
  if (slice.empty()) return nullptr;
  ordered_json j = ordered_json::object();
  for (const SliceCondition& c : slice) {
    ordered_json v = ordered_json::parse(c.value_json, nullptr, /*allow_exceptions=*/false);
    j[c.field] = v.is_discarded() ? ordered_json(c.value_json) : v;
  }
  return j;
}

}  // namespace

std::string RenderGapsJson(const RunResult& result) {
  ordered_json j;
  j["program"] = result.program;
  j["run_id"] = result.run_id;
  j["generated_at"] = Text(result.generated_at);
  ordered_json gaps = ordered_json::array();
  for (const Gap& g : result.gaps) {
    ordered_json row;
    row["pipeline"] = g.pipeline;
    row["metric"] = g.metric;
    row["slice"] = SliceJson(g.slice);
    row["vendor"] = Text(g.vendor);
    row["target"] = Number(g.target);
    row["value"] = Number(g.value);
    row["ci"] = std::isfinite(g.lo) && std::isfinite(g.hi) ? ordered_json::array({g.lo, g.hi}) : ordered_json(nullptr);
    row["gap"] = Number(g.gap);
    row["status"] = Name(g.status);
    row["additional_audits"] = g.additional_audits ? ordered_json(*g.additional_audits) : ordered_json(nullptr);
    row["trend"] = Text(g.trend);
    row["higher_is_better"] = g.higher_is_better;
    row["n"] = g.n;
    row["clusters"] = g.clusters;
    row["method"] = Text(g.method);
    row["from"] = Text(g.from);
    gaps.push_back(std::move(row));
  }
  j["gaps"] = std::move(gaps);
  ordered_json summary = ordered_json::object();
  int64_t counts[4] = {0, 0, 0, 0};
  for (const Gap& g : result.gaps) ++counts[static_cast<int>(g.status)];
  summary["meets"] = counts[static_cast<int>(GapStatus::kMeets)];
  summary["fails"] = counts[static_cast<int>(GapStatus::kFails)];
  summary["inconclusive"] = counts[static_cast<int>(GapStatus::kInconclusive)];
  summary["no_data"] = counts[static_cast<int>(GapStatus::kNoData)];
  j["summary"] = std::move(summary);
  ordered_json alerts = ordered_json::array();
  for (const OpsAlert& a : result.alerts) {
    alerts.push_back({{"kind", a.kind}, {"level", a.level}, {"pipeline", Text(a.pipeline)}, {"vendor", Text(a.vendor)},
                      {"metric", a.metric}, {"since", a.since}, {"detected", Text(a.detected)},
                      {"baseline", Number(a.baseline)}, {"current", Number(a.current)}, {"tasks", a.tasks},
                      {"evidence", a.evidence}});
  }
  j["alerts"] = std::move(alerts);
  ordered_json incidents = ordered_json::array();
  for (const ProcessIncident& i : result.incidents) {
    incidents.push_back({{"pipeline", i.pipeline}, {"vendor", i.vendor}, {"metric", i.metric},
                         {"direction", i.direction}, {"since", i.since_batch}, {"since_time", i.since},
                         {"last", i.last_batch}, {"detectors", i.detectors}, {"rate_during", Number(i.rate_during)},
                         {"rate_outside", Number(i.rate_outside)}, {"n_during", i.n_during},
                         {"evidence", i.evidence}});
    if (!i.annotator.empty()) incidents.back()["annotator"] = i.annotator;  // an annotator's own shift
  }
  j["incidents"] = std::move(incidents);
  if (!result.root_causes.empty()) {
    ordered_json causes = ordered_json::array();
    for (const RootCauseRow& c : result.root_causes) {
      causes.push_back({{"pipeline", c.pipeline}, {"rank", c.rank}, {"error_type", c.error_type},
                        {"conditions", c.conditions}, {"errors", c.errors}, {"support", c.support},
                        {"rate", Number(c.rate)}, {"baseline_rate", Number(c.baseline_rate)},
                        {"share_of_errors", Number(c.share_of_errors)}, {"q_value", Number(c.q_value)},
                        {"action", c.action}});
    }
    j["root_causes"] = std::move(causes);
  }
  return j.dump(2) + "\n";
}

}  // namespace gtops::report
