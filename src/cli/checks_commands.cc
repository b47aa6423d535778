// gtops commands of the checks module (registered through cli/command_table.h).
#include "cli/command_table.h"

namespace gtops::cli {

void AddChecksCommands(CLI::App& app, CommandTable& table) {
  (void)app;
  (void)table;
}

}  // namespace gtops::cli
