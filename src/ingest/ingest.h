// Ingest: reads a program's input files into the store, one transaction per file, idempotently.
// A second thread reads and validates while the calling thread writes; memory is bounded by a
// few batches of records, whatever the input size.
// Every record read is either accepted (stored, replacing an older record of the same identity)
// or quarantined with its reason: records_read = accepted + quarantined, always.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace gtops {

struct IngestProgress {
  std::string file;             // the file being read (as displayed)
  uint64_t bytes_done = 0;      // bytes read of all files so far (compressed files: decompressed)
  uint64_t bytes_total = 0;     // on-disk size of all files to read
  int64_t records_read = 0;
  int64_t objects = 0;
};

struct IngestOptions {
  std::string program_dir = ".";
  // Files or folders to read; empty means the program's `[program] data` folders. Folders are
  // searched recursively for *.jsonl, *.jsonl.gz and *.jsonl.zst (".gtops" folders excluded).
  std::vector<std::string> paths;
  bool force = false;  // read files again even when size and modification time are unchanged
  // Called on the calling thread after every batch of records (about 2,000).
  std::function<void(const IngestProgress&)> progress;
  size_t max_messages = 100;  // quarantine messages kept in the report (all are in the store)
};

struct FileReport {
  std::string path;  // as displayed: relative to the program folder when inside it
  bool skipped = false;  // unchanged since the last complete ingest
  int64_t records_read = 0, accepted = 0, quarantined = 0, objects = 0;
};

struct IngestReport {
  int64_t run_id = 0;
  IngestRunTotals totals;
  std::vector<FileReport> files;
  std::vector<std::string> messages;  // "path:line: reason", the first max_messages
};

// Lists the input files for `options` (sorted, so runs are reproducible).
Result<std::vector<std::string>> ListInputFiles(const ProgramConfig& config,
                                                const IngestOptions& options);

// Ingests into `store`. A Status error means the run stopped (store failure, unreadable folder);
// files committed before it stay committed. Quarantined records are not an error here: the report
// counts them (the CLI turns them into its bad-input exit code).
Result<IngestReport> Ingest(Store& store, const ProgramConfig& config, const IngestOptions& options);

// Reads and validates like Ingest, but writes nothing: for checking a delivery before it is
// accepted. Files are never skipped; run_id is 0.
Result<IngestReport> CheckInput(const ProgramConfig& config, const IngestOptions& options);

// Writes every quarantined record of the store as JSONL ({"file","line","reason","raw"}) to
// `path`, atomically (a temporary file renamed over it).
Status WriteQuarantineFile(Store& store, const std::string& path);

// The default store location of a program: <program_dir>/.gtops/gtops.db.
std::string DefaultStorePath(const std::string& program_dir);

}  // namespace gtops
