// The gtops command line: CLI11 parsing only (kept in this one file: it is slow to compile).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "cli/commands.h"

#ifndef GTOPS_VERSION
#define GTOPS_VERSION "dev"
#endif

namespace {

void AddCommon(CLI::App* cmd, gtops::cli::CommonArgs& c, bool json = true) {
  cmd->add_option("--program", c.program, "Program folder (holds gtops.toml)")->capture_default_str();
  cmd->add_option("--store", c.store,
                  "Store location (default: PROGRAM/.gtops/gtops.db; postgresql://... for PostgreSQL)");
  if (json) cmd->add_flag("--json", c.json, "Print JSON instead of text");
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  try {
    if (*init_cmd) return RunInit(init);
    if (*ingest_cmd) return RunIngest(ingest);
    if (*status_cmd) return RunStatus(status);
    if (*sql_cmd) return RunSql(sql);
    if (*demo_cmd) return RunDemo(demo);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gtops: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
