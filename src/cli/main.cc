// The gtops command line: CLI11 parsing only (kept in this one file: it is slow to compile).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/command_table.h"
#include "cli/commands.h"
#include "cli/eval_commands.h"
#include "cli/eval_tracking_commands.h"
#include "cli/ops_commands.h"
#include "cli/quality_commands.h"
#include "cli/run_commands.h"

#ifndef GTOPS_VERSION
#define GTOPS_VERSION "dev"
#endif

namespace {

void AddCommon(CLI::App* cmd, gtops::cli::CommonArgs& c, bool json = true) {
  gtops::cli::AddCommonOptions(cmd, c, json);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace gtops::cli;
  CLI::App app{"gtops: quality and operations of ground-truth labeling"};
  app.set_version_flag("--version", std::string("gtops ") + GTOPS_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad input, 4 bad config, "
             "5 store error, 6 gate failed (docs/cli.md).");

  InitArgs init;
  auto* init_cmd = app.add_subcommand("init", "Write a starter program (a commented gtops.toml and data/)");
  init_cmd->add_option("DIR", init.dir, "Folder to create the program in")->required();
  init_cmd->add_flag("--force", init.force, "Overwrite an existing gtops.toml");

  IngestArgs ingest;
  auto* ingest_cmd = app.add_subcommand(
      "ingest", "Read input files (.jsonl, .jsonl.gz, .jsonl.zst) into the store, quarantining bad records");
  AddCommon(ingest_cmd, ingest.common);
  ingest_cmd->add_option("PATH", ingest.paths,
                         "Files or folders to read (default: the program's data folders)");
  ingest_cmd->add_flag("--force", ingest.force, "Read files again even when unchanged since the last ingest");
  ingest_cmd->add_flag("--quiet,-q", ingest.quiet, "No progress and no per-file lines");
  ingest_cmd->add_flag("--check", ingest.check,
                       "Only read and validate (e.g. a delivery before accepting it): write nothing");

  StatusArgs status;
  auto* status_cmd = app.add_subcommand(
      "status", "Counts per pipeline, source, vendor and batch; quarantined records with reasons");
  AddCommon(status_cmd, status.common);
  status_cmd->add_flag("--verbose,-v", status.verbose, "Also list batches and every quarantined record");

  SqlArgs sql;
  auto* sql_cmd = app.add_subcommand("sql", "Run a read-only SQL query against the store (docs/schema.md)");
  AddCommon(sql_cmd, sql.common);
  sql_cmd->add_flag("--csv", sql.csv, "Print CSV");
  sql_cmd->add_option("QUERY", sql.query, "One SQL statement (SELECT, WITH, ...)")->required();

  DemoArgs demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "Write a realistic demo program with injected faults and its answer key, then ingest it");
  demo_cmd->add_option("DIR", demo.dir, "Folder to write the program in")->required();
  demo_cmd->add_option("--seed", demo.options.seed, "Random seed")->capture_default_str();
  demo_cmd->add_option("--scenes", demo.options.scenes, "Scenes (the scale)")->capture_default_str();
  demo_cmd->add_option("--objects-scale", demo.options.objects_scale, "Multiply objects per frame")
      ->capture_default_str();
  demo_cmd->add_option("--frames-per-task", demo.options.frames_per_task)->capture_default_str();
  demo_cmd->add_option("--frames-per-tracking-task", demo.options.frames_per_tracking_task)
      ->capture_default_str();
  demo_cmd->add_option("--gold-fraction", demo.options.gold_fraction)->capture_default_str();
  demo_cmd->add_option("--audit-fraction", demo.options.audit_fraction)->capture_default_str();
  demo_cmd->add_option("--overlap-fraction", demo.options.overlap_fraction)->capture_default_str();
  demo_cmd->add_option("--faults", demo.options.faults,
                       "Fault kinds to inject (default: all; 'none' for none)")->delimiter(',');
  demo_cmd->add_option("--pipelines", demo.options.pipelines, "Pipelines to write (default: all 12)")
      ->delimiter(',');
  demo_cmd->add_option("--compression", demo.options.compression, "'', gz or zst");
  demo_cmd->add_option("--threads", demo.options.threads, "Worker threads (0: one per core)");
  demo_cmd->add_flag("--no-ingest", demo.no_ingest, "Only write the files");
  demo_cmd->add_flag("--json", demo.json, "Print JSON instead of text");

  OpsArgs ops;
  auto* ops_cmd = app.add_subcommand(
      "ops", "Operational KPIs: throughput, WIP, lead time, on_time_rate, rework_rate, cost (docs/kpis.md)");
  AddCommon(ops_cmd, ops.common);
  ops_cmd->add_option("--by", ops.by, "Group keys, comma-separated: pipeline, vendor, annotator, batch, week")
      ->delimiter(',');
  ops_cmd->add_option("--pipeline", ops.pipeline, "Only this pipeline");
  ops_cmd->add_option("--from", ops.from, "Only tasks created at or after this RFC 3339 time");
  ops_cmd->add_option("--to", ops.to, "Only tasks created before this RFC 3339 time");
  ops_cmd->add_flag("--anomalies", ops.anomalies, "List every task anomaly (with --json)");

  ForecastArgs forecast;
  auto* forecast_cmd = app.add_subcommand(
      "forecast", "Each pipeline's open backlog and its expected completion date at recent throughput");
  AddCommon(forecast_cmd, forecast.common);
  forecast_cmd->add_option("--window-days", forecast.window_days, "Days of recent throughput")->capture_default_str();

  auto* scorecard_cmd = app.add_subcommand("scorecard", "A vendor's or annotator's KPIs against targets and peers");
  scorecard_cmd->require_subcommand(1);
  ScorecardArgs scorecard_vendor, scorecard_annotator;
  scorecard_annotator.annotator = true;
  auto* scorecard_vendor_cmd = scorecard_cmd->add_subcommand("vendor", "Scorecard of one vendor");
  scorecard_vendor_cmd->add_option("VENDOR", scorecard_vendor.id, "Vendor id")->required();
  AddCommon(scorecard_vendor_cmd, scorecard_vendor.common);
  auto* scorecard_annotator_cmd = scorecard_cmd->add_subcommand("annotator", "Scorecard of one annotator");
  scorecard_annotator_cmd->add_option("ANNOTATOR", scorecard_annotator.id, "Annotator id")->required();
  AddCommon(scorecard_annotator_cmd, scorecard_annotator.common);

  RunArgs run;
  auto* run_cmd = app.add_subcommand(
      "run", "The main job: ingest what is new, hold every pipeline to its targets, write the report");
  run_cmd->add_option("PROGRAM", run.program_arg, "Program folder (same as --program)");
  AddCommon(run_cmd, run.common);
  run_cmd->add_flag("--gate", run.gate, "Exit 6 when any target fails with confidence");
  run_cmd->add_flag("--strict", run.strict, "With --gate: inconclusive targets fail the gate too");
  run_cmd->add_flag("--verbose,-v", run.verbose, "Every gap row, not one line per pipeline");
  run_cmd->add_flag("--force", run.force, "Measure again even when nothing is new");
  run_cmd->add_flag("--no-ingest", run.no_ingest, "Do not ingest first");
  run_cmd->add_option("--report", run.report_dir, "Report folder (default: PROGRAM/report)");
  run_cmd->add_option("--resamples", run.resamples, "Cluster-bootstrap resamples of the intervals")->capture_default_str();
  run_cmd->add_option("--threads", run.threads,
                      "Pipelines measured at once (0: GTOPS_RUN_THREADS, else one per core, at most 2)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();

  GapsArgs gaps;
  auto* gaps_cmd = app.add_subcommand("gaps", "The last run's gap table, from the store (no evaluation)");
  AddCommon(gaps_cmd, gaps.common);
  gaps_cmd->add_option("--pipeline", gaps.pipeline, "Only this pipeline");
  gaps_cmd->add_option("--status", gaps.status, "Only rows with this status: meets, fails, inconclusive, no_data");
  gaps_cmd->add_flag("--gate", gaps.gate, "Exit 6 when any listed target fails");
  gaps_cmd->add_flag("--strict", gaps.strict, "With --gate: inconclusive rows fail the gate too");

  auto* eval_cmd = app.add_subcommand("eval", "Score results against ground truth as the field's reference tools do");
  // With no sub-subcommand, `gtops eval --pipeline P` evaluates a pipeline of the program.
  eval_cmd->require_subcommand(0, 1);
  EvalQualityArgs eval_quality;
  AddCommon(eval_cmd, eval_quality.common);
  eval_cmd->add_option("--pipeline", eval_quality.pipeline, "Pipeline to evaluate (quality against the reference)");
  eval_cmd->add_option("--batch", eval_quality.batch, "Only the labels of this batch");
  eval_cmd->add_option("--source", eval_quality.source, "What is compared: vendor or model")
      ->check(CLI::IsMember({"vendor", "model"}))->capture_default_str();
  eval_cmd->add_option("--against", eval_quality.against,
                       "The reference: gold, consensus (stored by `gtops consensus --write`) or model "
                       "(vendor: a model against the vendor labels)")
      ->check(CLI::IsMember({"gold", "consensus", "model", "vendor"}))->capture_default_str();
  eval_cmd->add_flag("--distortion", eval_quality.distortion,
                     "How label noise moves a model's metrics: the model against gold and against "
                     "the vendor labels of the same frames");
  eval_cmd->add_option("--by", eval_quality.by,
                       "Group keys, comma-separated: vendor, annotator, batch, class, spec_version, "
                       "tool_version, task, producer, range_m, scene.<key>, attr.<key>")
      ->delimiter(',');
  eval_cmd->add_option("--resamples", eval_quality.resamples, "Cluster-bootstrap resamples")->capture_default_str();

  EvalCocoArgs eval_coco;
  auto* eval_coco_cmd = eval_cmd->add_subcommand(
      "coco", "COCO detection AP/AR (pycocotools COCOeval semantics) of a results file");
  eval_coco_cmd->add_option("GT", eval_coco.ground_truth, "COCO ground-truth JSON")->required();
  eval_coco_cmd->add_option("DT", eval_coco.results, "Results JSON (an array of detections)")->required();
  eval_coco_cmd->add_option("--iou-type", eval_coco.iou_type, "bbox or segm")
      ->check(CLI::IsMember({"bbox", "segm"}))->capture_default_str();
  eval_coco_cmd->add_option("--threads", eval_coco.threads, "Worker threads (0: one per core)");
  eval_coco_cmd->add_flag("--json", eval_coco.json, "Print JSON instead of text");

  EvalMotArgs eval_mot;
  auto* eval_mot_cmd = eval_cmd->add_subcommand(
      "mot", "Multi-object tracking: CLEAR-MOT and IDF1 (py-motmetrics), HOTA (TrackEval) per sequence");
  eval_mot_cmd->add_option("GT_DIR", eval_mot.gt_dir, "Folder of sequences: <seq>/gt.txt (MOTChallenge 2D)")
      ->required();
  eval_mot_cmd->add_option("TEST_DIR", eval_mot.tracker_dir,
                           "Tracker results: <seq>/test.txt or <seq>.txt (may be GT_DIR)")->required();
  eval_mot_cmd->add_flag("--json", eval_mot.json, "Print JSON instead of text");

  EvalNuscenesArgs eval_nusc;
  auto* eval_nusc_cmd = eval_cmd->add_subcommand(
      "nuscenes", "nuScenes detection mAP, TP errors and NDS (nuscenes-devkit, detection_cvpr_2019)");
  eval_nusc_cmd->add_option("GT", eval_nusc.gt_path, "Ground truth in the detection results format")
      ->required();
  eval_nusc_cmd->add_option("PRED", eval_nusc.pred_path, "Predictions (detection results JSON)")->required();
  eval_nusc_cmd->add_flag("--json", eval_nusc.json, "Print JSON instead of text");

  CommandTable table;
  AddRootcauseCommands(app, table);
  AddInteropCommands(app, table);
  AddChecksCommands(app, table);
  AddSpcCommands(app, table);
  AddAgreementCommands(app, table);
  AddConsensusCommands(app, table);
  AddSampleCommands(app, table);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  try {
    for (auto& [cmd, run_command] : table.entries) {
      if (*cmd) return run_command();
    }
    if (*init_cmd) return RunInit(init);
    if (*ingest_cmd) return RunIngest(ingest);
    if (*status_cmd) return RunStatus(status);
    if (*sql_cmd) return RunSql(sql);
    if (*demo_cmd) return RunDemo(demo);
    if (*run_cmd) return RunRun(run);
    if (*gaps_cmd) return RunGaps(gaps);
    if (*ops_cmd) return RunOps(ops);
    if (*forecast_cmd) return RunForecast(forecast);
    if (*scorecard_vendor_cmd) return RunScorecard(scorecard_vendor);
    if (*scorecard_annotator_cmd) return RunScorecard(scorecard_annotator);
    if (*eval_coco_cmd) return RunEvalCoco(eval_coco);
    if (*eval_mot_cmd) return RunEvalMot(eval_mot);
    if (*eval_nusc_cmd) return RunEvalNuscenes(eval_nusc);
    if (*eval_cmd) {
      if (eval_quality.pipeline.empty()) {
        return Fail(gtops::Status::Usage("eval: give --pipeline P, or one of coco, mot, nuscenes (see gtops eval --help)"),
                    eval_quality.common.json);
      }
      return RunEvalQuality(eval_quality);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gtops: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
