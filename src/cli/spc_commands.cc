// `gtops spc [--pipeline P] [--json]`: statistical process control of every pipeline x vendor,
// batch after batch (docs/spc.md); the incidents found replace the store's current ones.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "config/config.h"
#include "core/time.h"
#include "ingest/ingest.h"
#include "run/ops_data.h"
#include "run/process_data.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

struct SpcArgs {
  CommonArgs common;
  std::string pipeline;
  bool charts = false;  // JSON: every chart's points too
};

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json ToJson(const Incident& i) {
  return ordered_json{{"pipeline", i.pipeline},
                      {"vendor", i.vendor},
                      {"annotator", i.annotator.empty() ? ordered_json(nullptr) : ordered_json(i.annotator)},
                      {"metric", i.metric},
                      {"chart", Name(i.chart)},
                      {"direction", i.direction},
                      {"since", i.since_batch},
                      {"since_time", FormatRfc3339(i.since_ms)},
                      {"last", i.last_batch},
                      {"detectors", i.detectors},
                      {"count_during", i.count_during},
                      {"n_during", i.n_during},
                      {"rate_during", Number(i.rate_during)},
                      {"count_outside", i.count_outside},
                      {"n_outside", i.n_outside},
                      {"rate_outside", Number(i.rate_outside)},
                      {"evidence", i.evidence}};
}

ordered_json ToJson(const SpcChart& c) {
  ordered_json points = ordered_json::array();
  for (const SpcPoint& p : c.points) {
    points.push_back(ordered_json{{"batch", p.batch}, {"time", FormatRfc3339(p.time_ms)}, {"n", p.n},
                                  {"count", p.count}, {"rate", Number(p.rate)}, {"lcl", Number(p.lcl)},
                                  {"ucl", Number(p.ucl)}, {"z", Number(p.z)}, {"ewma", Number(p.ewma)},
                                  {"ewma_lcl", Number(p.ewma_lcl)}, {"ewma_ucl", Number(p.ewma_ucl)},
                                  {"cusum_up", Number(p.cusum_up)}, {"cusum_down", Number(p.cusum_down)}});
  }
  ordered_json signals = ordered_json::array();
  for (const SpcSignal& s : c.signals) {
    signals.push_back(ordered_json{{"detector", s.detector}, {"direction", s.direction},
                                   {"from", c.points[static_cast<size_t>(s.start)].batch},
                                   {"to", c.points[static_cast<size_t>(s.end)].batch}});
  }
  return ordered_json{{"pipeline", c.series.pipeline}, {"vendor", c.series.vendor},
                      {"annotator", c.series.annotator.empty() ? ordered_json(nullptr) : ordered_json(c.series.annotator)},
                      {"metric", c.series.metric},    {"chart", Name(c.series.chart)},
                      {"unit", c.series.unit},         {"centre", Number(c.centre)}, {"dispersion", Number(c.dispersion)},
                      {"step_p", Number(c.step_p)},
                      {"points", points},              {"signals", signals}};
}

int RunSpc(const SpcArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  if (!args.pipeline.empty() && config->FindPipeline(args.pipeline) == nullptr) {
    return Fail(Status::Usage(fmt::format("spc: no pipeline '{}' in gtops.toml", args.pipeline)), json);
  }
  auto store = OpenExistingStore(args.common, false, "gtops run");
  if (!store.ok()) return Fail(store.status(), json);
  int64_t as_of_ms = 0;
  auto timelines = LoadTimelines(**store, *config, as_of_ms);
  if (!timelines.ok()) return Fail(timelines.status(), json);
  auto audits = LoadAudits(**store);
  if (!audits.ok()) return Fail(audits.status(), json);
  size_t series = 0;
  auto measured = MeasureProcessControl(**store, *timelines, *audits, args.pipeline,
                                        FormatRfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch()).count()), &series);
  if (!measured.ok()) return Fail(measured.status(), json);
  const SpcResult& result = *measured;

  if (json) {
    ordered_json incidents = ordered_json::array();
    for (const Incident& i : result.incidents) incidents.push_back(ToJson(i));
    ordered_json out{{"series", series}, {"charts", result.charts.size()},
                     {"annotator_charts", result.annotator_charts}, {"incidents", incidents}};
    if (args.charts) {
      ordered_json charts = ordered_json::array();
      for (const SpcChart& c : result.charts) charts.push_back(ToJson(c));
      out["chart_points"] = charts;
    }
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%zu series, %zu charted (%zu of annotators), %zu incidents\n", series, result.charts.size(),
              result.annotator_charts, result.incidents.size());
  for (const Incident& i : result.incidents) {
    const std::string who = i.annotator.empty() ? i.vendor : i.vendor + " / " + i.annotator;
    std::printf("%-18s %-11s %-22s %-4s since %s: %s\n", i.pipeline.c_str(), who.c_str(), i.metric.c_str(),
                i.direction.c_str(), i.since_batch.c_str(), i.evidence.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddSpcCommands(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<SpcArgs>();
  auto* cmd = app.add_subcommand(
      "spc", "Process control: p and u charts, EWMA, CUSUM and run rules per pipeline x vendor by batch; incidents");
  AddCommonOptions(cmd, args->common);
  cmd->add_option("--pipeline", args->pipeline, "Only this pipeline");
  cmd->add_flag("--charts", args->charts, "With --json: every chart's points and signals too");
  table.Add(cmd, [args] { return RunSpc(*args); });
}

}  // namespace gtops::cli
