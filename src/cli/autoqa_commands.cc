// gtops commands of the autoqa module (registered through cli/command_table.h).
#include "cli/command_table.h"

namespace gtops::cli {

void AddAutoqaCommands(CLI::App& app, CommandTable& table) {
  (void)app;
  (void)table;
}

}  // namespace gtops::cli
