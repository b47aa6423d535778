// The subcommands of `gtops`: each parses nothing (main.cc does, with CLI11), calls the engine,
// renders, and returns the process exit code (docs/cli.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"
#include "demo/generator.h"

namespace gtops::cli {

enum ExitCode {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitBadInput = 3,
  kExitBadConfig = 4,
  kExitStoreError = 5,
  kExitGateFailed = 6,
};

// The exit code of a Status, the same for every command.
int ExitCodeOf(const Status& s);

// Prints "gtops: <message>" on stderr (or a JSON error object on stdout with --json) and returns
// the exit code of `s`.
int Fail(const Status& s, bool json);

struct CommonArgs {
  std::string program = ".";
  std::string store;  // empty: <program>/.gtops/gtops.db
  bool json = false;
};

// The store a command opens: --store, else <program>/.gtops/gtops.db.
std::string StorePath(const CommonArgs& c);

// Opens the program's store (StorePath), which must already exist: kStoreError "PATH: no store
// here yet: run `FIRST` first" when it does not, so that a read never creates an empty store.
Result<std::unique_ptr<Store>> OpenExistingStore(const CommonArgs& c, bool read_only,
                                                 std::string_view first = "gtops ingest");

struct InitArgs {
  std::string dir;
  bool force = false;
};
int RunInit(const InitArgs& args);

struct IngestArgs {
  CommonArgs common;
  std::vector<std::string> paths;
  bool force = false;
  bool quiet = false;
  bool check = false;  // validate only; write nothing
};
int RunIngest(const IngestArgs& args);

struct StatusArgs {
  CommonArgs common;
  bool verbose = false;
};
int RunStatus(const StatusArgs& args);

struct SqlArgs {
  CommonArgs common;
  std::string query;
  bool csv = false;
};
int RunSql(const SqlArgs& args);

struct DemoArgs {
  std::string dir;
  DemoOptions options;
  bool no_ingest = false;
  bool json = false;
};
int RunDemo(const DemoArgs& args);

}  // namespace gtops::cli
