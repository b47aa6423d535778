// How a command group registers itself with the command line without editing main.cc: it adds its
// subcommands to the CLI11 app and, for each, the function that runs it once parsed. Arguments live
// in shared_ptrs captured by those functions, so they outlive parsing.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <utility>
#include <vector>

#include "cli/commands.h"

namespace gtops::cli {

struct CommandTable {
  std::vector<std::pair<CLI::App*, std::function<int()>>> entries;
  void Add(CLI::App* cmd, std::function<int()> run) { entries.emplace_back(cmd, std::move(run)); }
};

// --program, --store and (when `json`) --json, as every store-reading command has them.
inline void AddCommonOptions(CLI::App* cmd, CommonArgs& c, bool json = true) {
  cmd->add_option("--program", c.program, "Program folder (holds gtops.toml)")->capture_default_str();
  cmd->add_option("--store", c.store,
                  "Store location (default: PROGRAM/.gtops/gtops.db; postgresql://... for PostgreSQL)");
  if (json) cmd->add_flag("--json", c.json, "Print JSON instead of text");
}

// Command groups, each in its own file.
void AddRootcauseCommands(CLI::App& app, CommandTable& table);  // rootcause, plan (issue 7)
void AddInteropCommands(CLI::App& app, CommandTable& table);    // import, export (issue 10)
void AddChecksCommands(CLI::App& app, CommandTable& table);     // check, queue (issue 6)
void AddSpcCommands(CLI::App& app, CommandTable& table);        // spc (issue 9)
void AddAgreementCommands(CLI::App& app, CommandTable& table);  // agreement, annotators (issue 8)
void AddConsensusCommands(CLI::App& app, CommandTable& table);  // consensus (issue 8)
void AddSampleCommands(CLI::App& app, CommandTable& table);     // sample plan, draw, decide (issue 9)

}  // namespace gtops::cli
