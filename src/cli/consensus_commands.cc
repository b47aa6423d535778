// `gtops consensus`: the geometric and categorical consensus of each pipeline's overlap sets
// (issue 8; docs/agreement.md). Registered through cli/command_table.h.
#include "cli/command_table.h"

namespace gtops::cli {

void AddConsensusCommands(CLI::App& /*app*/, CommandTable& /*table*/) {}

}  // namespace gtops::cli
