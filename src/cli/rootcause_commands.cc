// gtops commands of the rootcause module (registered through cli/command_table.h): `rootcause`
// (the slices that concentrate errors) and `plan` (the Markdown improvement plan). docs/rootcause.md.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "cli/command_table.h"
#include "config/config.h"
#include "rootcause/rootcause.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

namespace fs = std::filesystem;

struct RootcauseArgs {
  CommonArgs common;
  std::string pipeline, error_type;
  std::string evidence = "gold";  // gold: outcomes of comparisons with gold; audits: audit errors; findings
  std::string output;  // plan: the Markdown file ("-" for stdout)
};

// The analysis shared by both commands: config, store, facts, findings.
struct Analysis {
  ProgramConfig config;
  std::unique_ptr<Store> store;
  rootcause::RootCauseReport report;
};

Result<Analysis> Analyse(const RootcauseArgs& args) {
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return config.status();
  if (!args.pipeline.empty() && config->FindPipeline(args.pipeline) == nullptr) {
    return Status::Usage(fmt::format("--pipeline \"{}\" is not a pipeline of gtops.toml", args.pipeline));
  }
  auto store = OpenExistingStore(args.common, true, "gtops run");
  if (!store.ok()) return store.status();
  const bool audits = args.evidence == "audits", findings = args.evidence == "findings";
  auto facts = audits     ? rootcause::LoadAuditFacts(**store, args.pipeline)
               : findings ? rootcause::LoadFindingFacts(**store, args.pipeline)
                          : rootcause::LoadFacts(**store, args.pipeline);
  if (!facts.ok()) return facts.status();
  if (facts->empty()) {
    if (audits) {
      return Status::NotFound(fmt::format("no audited vendor labels{}: ingest audit records first",
                                          args.pipeline.empty() ? "" : " for " + args.pipeline));
    }
    if (findings) {
      return Status::NotFound(fmt::format("no automated QA findings{}: run `gtops check` first",
                                          args.pipeline.empty() ? "" : " for " + args.pipeline));
    }
    return Status::NotFound(fmt::format("no outcomes against gold{}: run `gtops run` or `gtops eval --pipeline P` first",
                                        args.pipeline.empty() ? "" : " for " + args.pipeline));
  }
  rootcause::AnalyzeOptions options;
  options.error_type = args.error_type;
  auto report = rootcause::Analyze(*facts, options, &*config);
  if (!report.ok()) return report.status();
  report->evidence = args.evidence;
  return Analysis{std::move(*config), std::move(*store), std::move(*report)};
}

int RunRootcause(const RootcauseArgs& args) {
  auto a = Analyse(args);
  if (!a.ok()) return Fail(a.status(), args.common.json);
  std::fputs(args.common.json ? rootcause::RenderJson(a->report).c_str() : rootcause::RenderText(a->report).c_str(),
             stdout);
  return kExitOk;
}

int RunPlan(const RootcauseArgs& args) {
  auto a = Analyse(args);
  if (!a.ok()) return Fail(a.status(), false);
  std::vector<rootcause::FailedGate> failed;
  auto run = a->store->LatestRun();
  if (!run.ok()) return Fail(run.status(), false);
  if (*run) {
    auto gaps = a->store->LoadGaps((*run)->run_id);
    if (!gaps.ok()) return Fail(gaps.status(), false);
    for (const GapRow& g : *gaps) {
      if (g.status != "fails" || !g.value) continue;
      if (!args.pipeline.empty() && g.pipeline != args.pipeline) continue;
      failed.push_back(rootcause::FailedGate{g.pipeline, g.metric, g.slice_label, g.vendor, *g.value, g.target});
    }
  }
  const std::string title = args.pipeline.empty() ? "Improvement plan" : "Improvement plan: " + args.pipeline;
  const std::string text = rootcause::RenderPlan(a->report, failed, title);
  if (args.output == "-") {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  const std::string path = args.output.empty() ? (fs::path(args.common.program) / "report" / "plan.md").string()
                                               : args.output;
  std::error_code ec;
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Fail(Status::StoreError(fmt::format("{}: cannot write the plan", path)), false);
  std::printf("plan: %s (%zu causes, %zu failed gates)\n", path.c_str(), a->report.findings.size(), failed.size());
  return kExitOk;
}

}  // namespace

void AddRootcauseCommands(CLI::App& app, CommandTable& table) {
  auto rc = std::make_shared<RootcauseArgs>();
  auto* rc_cmd = app.add_subcommand(
      "rootcause", "The slices (vendor, annotator, class, scene, ... up to three conditions) that concentrate errors, "
                   "tested with Fisher's exact test and Benjamini-Hochberg");
  AddCommonOptions(rc_cmd, rc->common);
  rc_cmd->add_option("--pipeline", rc->pipeline, "Only this pipeline");
  rc_cmd->add_option("--error-type", rc->error_type,
                     "Only this error type (missing, extra, wrong_class, size, ...) or family (localisation, tracking)");
  rc_cmd->add_option("--evidence", rc->evidence,
                     "gold: outcomes of the comparisons with gold; audits: the errors auditors recorded on the objects "
                     "they reviewed; findings: automated QA findings (gtops check) with probability >= 0.5")
      ->check(CLI::IsMember({"gold", "audits", "findings"}))
      ->capture_default_str();
  table.Add(rc_cmd, [rc] { return RunRootcause(*rc); });

  auto plan = std::make_shared<RootcauseArgs>();
  auto* plan_cmd = app.add_subcommand(
      "plan", "Write the Markdown improvement plan: causes ranked by safety-weighted impact, post-mortems of failed gates");
  AddCommonOptions(plan_cmd, plan->common, false);
  plan_cmd->add_option("--pipeline", plan->pipeline, "Only this pipeline");
  plan_cmd->add_option("-o,--output", plan->output, "Markdown file (default PROGRAM/report/plan.md; - for stdout)");
  plan_cmd->add_option("--evidence", plan->evidence, "gold, audits or findings (as for rootcause)")
      ->check(CLI::IsMember({"gold", "audits", "findings"}))
      ->capture_default_str();
  table.Add(plan_cmd, [plan] { return RunPlan(*plan); });
}

}  // namespace gtops::cli
