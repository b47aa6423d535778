// `gtops ops`: operational KPIs (throughput, WIP, lead and labeling time, on_time_rate,
// rework_rate, first_pass_yield, audit_pass_rate, cost) per any combination of pipeline, vendor,
// annotator, batch and ISO week, from the store's events and audits, with alerts; and
// `gtops forecast` (docs/kpis.md, docs/cli.md).
// Parses nothing (main.cc does), calls the engine (ops/), renders, returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "cli/commands.h"

namespace gtops::cli {

struct OpsArgs {
  CommonArgs common;
  std::vector<std::string> by;  // pipeline, vendor, annotator, batch, week
  std::string pipeline;         // only this pipeline
  std::string from, to;         // RFC 3339: only tasks created in [from, to)
  bool anomalies = false;       // list every task anomaly
};
int RunOps(const OpsArgs& args);

// `gtops forecast`: per pipeline, the open backlog and its expected completion date at the recent
// throughput, with a 95% interval (docs/kpis.md, "Forecast").
struct ForecastArgs {
  CommonArgs common;
  double window_days = 14;  // recent throughput window
};
int RunForecast(const ForecastArgs& args);

// `gtops scorecard vendor V` / `gtops scorecard annotator A`: each KPI per pipeline against the
// pipeline's target and the other vendors (annotators), with its trend (docs/kpis.md).
struct ScorecardArgs {
  CommonArgs common;
  bool annotator = false;  // false: a vendor's scorecard
  std::string id;
};
int RunScorecard(const ScorecardArgs& args);

}  // namespace gtops::cli
