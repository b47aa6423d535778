// gtops commands of the interop module (registered through cli/command_table.h).
#include "cli/command_table.h"

namespace gtops::cli {

void AddInteropCommands(CLI::App& app, CommandTable& table) {
  (void)app;
  (void)table;
}

}  // namespace gtops::cli
