// The store: the relational model of a program (docs/schema.md) behind a narrow interface, so
// that callers do not know which database holds it. SQLite is the embedded default; a
// PostgreSQL backend implements the same interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "core/status.h"

namespace gtops {

// Where a record came from: the input file and its 1-based line.
struct SourceLocation {
  std::string_view file;
  int64_t line = 0;
};

// What an identity-keyed write did (FORMAT.md "Identity"): the same key again replaces the old
// record when its content differs, and changes nothing when it is the same.
enum class PutResult { kInserted, kReplaced, kUnchanged };

// An event with its content hash and input line, for Store::PutEvents.
struct EventToPut {
  const Event* event = nullptr;
  uint64_t hash = 0;
  int64_t line = 0;
};

// What the store remembers of an ingested input file, to skip it when it has not changed.
struct FileState {
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

struct FileTotals {
  int64_t records_read = 0, accepted = 0, quarantined = 0;
};

struct IngestRunTotals {
  int64_t files_read = 0, files_skipped = 0, records_read = 0, accepted = 0, quarantined = 0;
  int64_t inserted = 0, replaced = 0, unchanged = 0, objects_written = 0;
  std::string status;  // "ok", "bad_input" (some records quarantined), "failed"
};

struct CountRow {
  std::vector<std::string> keys;  // the group's values (pipeline, source, vendor, batch, ...)
  int64_t labels = 0, objects = 0, frames = 0;
};

struct QuarantineRow {
  std::string file;
  int64_t line = 0;
  std::string reason;
  std::string raw;
};

struct StoreSummary {
  int64_t labels = 0, objects = 0, events = 0, audits = 0, audit_errors = 0, quarantined = 0;
  int64_t tasks = 0, frames = 0;
  std::vector<CountRow> by_pipeline;         // keys: pipeline
  std::vector<CountRow> by_pipeline_source;  // keys: pipeline, source
  std::vector<CountRow> by_vendor;           // keys: vendor (vendor records)
  std::vector<CountRow> by_batch;            // keys: pipeline, batch, vendor (vendor records)
  std::vector<std::pair<std::string, int64_t>> events_by_pipeline;
  std::vector<std::pair<std::string, int64_t>> audits_by_pipeline;
  std::optional<IngestRunTotals> last_run;
  std::string last_run_started_at, last_run_finished_at;
};

// A query's result as text cells (NULL as nullopt), for `gtops sql`.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<bool> numeric;  // per column: every non-null cell was a number
};

// One row of Store::ForEachRow, valid during the call only: typed access to its columns (0-based),
// without copying them.
class QueryRow {
 public:
  virtual ~QueryRow() = default;
  virtual bool Null(int column) const = 0;
  virtual std::string_view Text(int column) const = 0;  // "" for NULL; numbers as SQLite writes them
  virtual std::optional<double> Number(int column) const = 0;  // nullopt for NULL and non-numeric text
  virtual int64_t Int(int column) const = 0;  // 0 for NULL
};

// One frame of a pipeline with every label record of it (all sources), for the quality engine.
struct FrameLabels {
  std::string pipeline, task, frame;
  std::optional<double> timestamp;  // the smallest of its records'
  std::vector<LabelRecord> records;  // ordered by source, then producer
};

// What an evaluation run compares (docs/schema.md, `evaluation_runs`).
struct EvaluationRunInfo {
  std::string pipeline;
  std::string source;   // "vendor" or "model"
  std::string against;  // "gold" or "model"
  std::string batch;    // "" for all batches
};

// One row of the `outcomes` table (docs/schema.md): what one comparison found about one
// reference object or unpaired label. Optional values are NULL when not measured.
struct OutcomeRow {
  std::string pipeline, batch, task, frame, source, producer, vendor, annotator;
  std::string spec_version, tool_version;
  std::string kind;  // "paired", "missing", "extra", "duplicate", "ignored", "tag"
  std::string reference_id, label_id, cls, label_cls, tag_name;
  std::optional<double> range_m, safety_weight, score, iou, center_error_m, size_error_rel;
  std::optional<double> heading_error_deg, distance;
  std::optional<int64_t> num_points;
  std::vector<ErrorType> errors;
  int64_t attributes_compared = 0, attributes_equal = 0;
  std::string attributes_differing;  // comma-separated attribute names
  std::string attributes_json, scene_json;  // the context object's attributes; the frame's scene
};

// One row of the `gaps` table (docs/schema.md): a gap of the main job's gap table.
struct GapRow {
  std::string pipeline, metric;
  std::string slice_json;   // a JSON object of the slice's conditions, "" for none
  std::string slice_label;  // "class=pedestrian range_m=[0,30)"
  std::string vendor;       // "" for all vendors
  double target = 0;
  bool higher_is_better = true;
  std::optional<double> value, lo, hi, gap;
  std::string status;       // "meets", "fails", "inconclusive", "no_data"
  std::optional<int64_t> additional_audits;
  std::string trend, method, from;
  int64_t n = 0, clusters = 0;
  int target_line = 0;
};

// One row of the `incidents` table (docs/schema.md, docs/spc.md): a shift that process control
// found in one series (pipeline x vendor x metric), dated by its first batch.
struct IncidentRow {
  std::string pipeline, vendor, annotator, metric, direction;  // direction "up" or "down"
  std::string since_batch, since, last_batch;                  // since: RFC 3339
  std::string detectors;                                       // comma-separated
  int64_t count_during = 0, n_during = 0, count_outside = 0, n_outside = 0;
  std::optional<double> rate_during, rate_outside;
  std::string evidence;
  std::string first_found, last_found;  // RFC 3339; filled by the store
};

// One run of the main job (docs/schema.md, `runs`).
struct RunRecord {
  int64_t run_id = 0;
  std::string started_at, finished_at;
  std::string fingerprint;  // what the run saw: config, data version, options (docs/run.md)
  int64_t ingest_run_id = 0;
  int64_t gaps = 0, fails = 0, inconclusive = 0, meets = 0, no_data = 0;
};

// One row of the `findings` table (docs/schema.md, docs/quality-checks.md): what an automated
// check suspects about one label (or, for a suspected missing object, about a frame).
struct FindingRow {
  std::string pipeline, task, frame;
  std::string source;  // the checked record's source ("vendor")
  std::string producer, vendor, annotator, batch, spec_version;
  std::string object_id;  // the label's id; "" for a suspected missing object
  std::string track, cls;
  std::optional<double> range_m;
  ErrorType type = ErrorType::kSpecViolation;
  Severity severity = Severity::kMinor;
  std::string check;   // the check that found it ("size_prior", "model_missing", ...)
  bool from_model = false;  // origin: a model comparison (true) or a rule (false)
  double evidence = 0;      // the check's raw evidence in [0, 1]
  double probability = 0;   // calibrated probability that the error is real
  double safety_weight = 1;
  double score = 0;         // probability x safety weight x severity factor
  std::string reason;       // for a human
  std::string geometry_json;  // a suspected missing object's predicted geometry ({"box3d": [...]}); "" otherwise
};

// The latest check run of a pipeline (`check_runs`).
struct CheckRunInfo {
  std::string pipeline, fingerprint, finished_at;
  int64_t frames = 0, records = 0, objects = 0, findings = 0;
};

// One row of `audit_plans` (docs/schema.md, docs/sampling.md): the audit plan recorded with a
// batch by `gtops sample draw`. Plan fields that do not apply to `kind` are nullopt.
struct AuditPlanRow {
  std::string pipeline, batch;
  std::string kind;  // "single", "double", "sprt", "budget" (no acceptance criterion)
  int64_t lot = 0;   // tasks in the batch
  int64_t n = 0;     // tasks drawn
  std::optional<int64_t> c, n1, c1, r1, n2, c2;
  std::optional<double> aql, ltpd, alpha, beta;
  std::optional<int64_t> budget;
  int64_t seed = 0;
  std::string stratify;    // the stratification keys, comma-separated ("" for none)
  std::string allocation;  // "none", "neyman", "proportional"
  std::string strata_json; // JSON array of the strata (name, size, rate, history, allocated)
  std::string created_at;  // RFC 3339
};

// One drawn task of an audit plan (`audit_plan_tasks`), in audit order.
struct AuditPlanTask {
  std::string task, stratum;
  double weight = 1;  // N_h / n_h: the tasks of its stratum that it stands for
};

// A recorded plan with its drawn tasks in audit order.
struct AuditPlan {
  AuditPlanRow plan;
  std::vector<AuditPlanTask> tasks;
};

// A task marked as having a stale (or no) stored timeline.
struct TimelineMark {
  std::string task;
  int64_t mark = 0;
};

// A task's stored timeline row and the mark it answers.
struct StoredTimeline {
  std::string task;
  std::string data;
  int64_t mark = 0;
};

// `text` as an SQL string literal ('it''s'), for statements built around a value.
inline std::string SqlQuote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

class Store {
 public:
  virtual ~Store() = default;

  // The schema version this build writes and reads.
  static int SchemaVersion();

  // Replaces the program's configuration tables (program, vendors, pipelines, classes, targets)
  // with `config`, in one transaction.
  virtual Status SyncConfig(const ProgramConfig& config) = 0;

  // Ingest runs: begun (and committed) before the first file, finished after the last. A run
  // that never finishes (the process died) stays "running" and is reported as interrupted.
  virtual Result<int64_t> BeginIngestRun() = 0;
  virtual Status FinishIngestRun(int64_t run_id, const IngestRunTotals& totals) = 0;

  // The state recorded when `path` was last ingested completely; nullopt when never.
  virtual Result<std::optional<FileState>> GetFileState(const std::string& path) = 0;

  // One input file in one transaction: BeginFile, the Put calls, then CommitFile (or AbortFile).
  // BeginFile drops the quarantine rows of the file's previous ingest (they are re-created).
  virtual Status BeginFile(const std::string& path, int64_t run_id) = 0;
  virtual Result<PutResult> PutLabels(const LabelRecord& r, uint64_t hash, SourceLocation at) = 0;
  virtual Result<PutResult> PutEvent(const Event& e, uint64_t hash, SourceLocation at) = 0;
  // Events of one file in the order read, as PutEvent one after the other would write them
  // (results[i]: what writing events[i] did; results.size() == events.size()). A backend may write
  // several per statement; this default calls PutEvent for each.
  virtual Status PutEvents(std::span<const EventToPut> events, std::string_view file,
                           std::span<PutResult> results);
  virtual Result<PutResult> PutAudit(const Audit& a, uint64_t hash, SourceLocation at) = 0;
  virtual Status PutQuarantine(SourceLocation at, std::string_view reason, std::string_view raw) = 0;
  virtual Status CommitFile(const FileState& state, const FileTotals& totals) = 0;
  virtual void AbortFile() = 0;

  virtual Result<StoreSummary> Summarize() = 0;
  virtual Status ForEachQuarantined(const std::function<void(const QuarantineRow&)>& fn) = 0;

  // Runs one read-only SQL statement; a statement that would write is refused (kUsage).
  virtual Result<QueryResult> QueryReadOnly(std::string_view sql) = 0;
  // Runs one read-only SQL statement and calls `fn` for each row as it is read (memory holds one
  // row); stops at, and returns, the first non-ok Status of `fn`. Refused like QueryReadOnly.
  virtual Status ForEachRow(std::string_view sql, const std::function<Status(const QueryRow&)>& fn) = 0;

  // Calls `fn` for every frame of `pipeline` that has label records, the frames of one task
  // together and in timestamp order (then by frame id); tasks in id order. Holds one task's
  // records in memory at a time. Stops at, and returns, the first non-ok Status of `fn`.
  // With `require_source` ("gold", "model", ...), only the frames that have a record of that
  // source (an evaluation's reference), read without touching the others; with `only_source`
  // too, only the records of those two sources are read (an evaluation reads what it compares).
  virtual Status ForEachFrame(std::string_view pipeline, const std::function<Status(const FrameLabels&)>& fn,
                              std::string_view require_source = {}, std::string_view only_source = {}) = 0;

  // Calls `fn` for every event of the tasks in [from_task, to_task) (to_task "": no upper bound),
  // the events of one task together (tasks in id order), each task's in time order (at_ms, then
  // the event's name); holds one task's events in memory at a time. Stops at the first non-ok
  // Status of `fn`. The times come as epoch milliseconds only: the text forms `at` and `due`, and
  // `reason`, are left empty.
  virtual Status ForEachEvent(std::string_view from_task, std::string_view to_task,
                              const std::function<Status(const Event&)>& fn) = 0;

  // The events of the given tasks (`tasks` sorted by id, no duplicates), as ForEachEvent gives them.
  virtual Status ForEachEventOfTasks(std::span<const std::string> tasks,
                                     const std::function<Status(const Event&)>& fn) = 0;

  // Stored task timelines (docs/kpis.md, "Stored timelines"): one opaque row per task
  // (ops/timeline_codec.h), valid while the task is not marked. Ingest marks a task (with a number
  // larger than any before) when one of its events is inserted or replaced.
  // The marked tasks in [from_task, to_task) (to_task "": no upper bound), in id order, at most
  // `limit` of them (0: all). To page, pass the last task seen followed by a NUL character as the
  // next `from_task` (the smallest id after it).
  virtual Result<std::vector<TimelineMark>> TimelineMarks(std::string_view from_task = {}, std::string_view to_task = {},
                                                          int64_t limit = 0) = 0;
  // `fn(task, data)` for every stored row of the tasks in [from_task, to_task) (to_task "": no upper
  // bound), in task order, marked tasks included (the caller skips them).
  virtual Status ForEachStoredTimeline(std::string_view from_task, std::string_view to_task,
                                       const std::function<Status(std::string_view, std::string_view)>& fn) = 0;
  // Writes (replaces) these rows and removes each task's mark if it is still `mark` (a task marked
  // again since stays marked), in one transaction.
  virtual Status SaveTimelines(std::span<const StoredTimeline> rows) = 0;

  // Where this store was opened (a file path): another connection to the same store opens it.
  virtual const std::string& Location() const = 0;

  // Outcomes of one evaluation run, in one transaction: BeginEvaluation (which removes the rows
  // of earlier runs of the same pipeline, source, against and batch), PutOutcome for each row,
  // then CommitEvaluation (or AbortEvaluation). Returns the run's evaluation_id. PutOutcomes
  // writes rows in order, several per statement.
  virtual Result<int64_t> BeginEvaluation(const EvaluationRunInfo& info) = 0;
  virtual Status PutOutcomes(int64_t evaluation_id, std::span<const OutcomeRow> rows) = 0;
  Status PutOutcome(int64_t evaluation_id, const OutcomeRow& row) { return PutOutcomes(evaluation_id, {&row, 1}); }
  virtual Status CommitEvaluation(int64_t evaluation_id, int64_t outcomes) = 0;
  virtual void AbortEvaluation() = 0;

  // The main job's runs: SaveRun writes the run and its gap rows in one transaction and returns
  // its run_id; LatestRun gives the newest run with run_id < before (before 0: the newest of
  // all), nullopt when there is none; LoadGaps the gap rows of a run in their order.
  virtual Result<int64_t> SaveRun(const RunRecord& run, const std::vector<GapRow>& gaps) = 0;
  virtual Result<std::optional<RunRecord>> LatestRun(int64_t before = 0) = 0;
  virtual Result<std::vector<GapRow>> LoadGaps(int64_t run_id) = 0;

  // Process-control incidents: ReplaceIncidents makes `rows` the current incidents (of `pipeline`
  // only, when not empty) in one transaction: rows already stored keep their first_found, every
  // row gets last_found = `now`, stored rows not in `rows` are deleted. LoadIncidents returns the
  // current ones ordered by pipeline, vendor, since.
  virtual Status ReplaceIncidents(std::string_view pipeline, const std::vector<IncidentRow>& rows,
                                  std::string_view now) = 0;
  virtual Result<std::vector<IncidentRow>> LoadIncidents() = 0;

  // Automated checks: SaveFindings replaces the pipeline's findings and check run in one
  // transaction; LatestCheckRun gives the run (nullopt when the pipeline was never checked);
  // ForEachFinding calls `fn` for the pipeline's findings in the order they were saved.
  virtual Status SaveFindings(const CheckRunInfo& run, const std::vector<FindingRow>& findings) = 0;
  virtual Result<std::optional<CheckRunInfo>> LatestCheckRun(std::string_view pipeline) = 0;
  virtual Status ForEachFinding(std::string_view pipeline,
                                const std::function<Status(const FindingRow&)>& fn) = 0;

  // Audit plans: SaveAuditPlan records `plan` and its drawn tasks (ord 0, 1, ... in audit order)
  // in one transaction; when the batch already has a plan it is replaced only with `replace`,
  // and otherwise nothing is written and false is returned. LoadAuditPlan gives the batch's plan
  // and its tasks in order (nullopt when there is none).
  virtual Result<bool> SaveAuditPlan(const AuditPlanRow& plan, const std::vector<AuditPlanTask>& tasks,
                                     bool replace) = 0;
  virtual Result<std::optional<AuditPlan>> LoadAuditPlan(std::string_view pipeline, std::string_view batch) = 0;
};

struct StoreOptions {
  std::string location;    // a file path (SQLite) or a postgresql:// URL
  bool read_only = false;  // open for reading only (status, sql): never creates or migrates
};

// True for a postgresql:// (or postgres://) URL, which selects the PostgreSQL backend.
bool IsPostgresLocation(std::string_view location);

// Opens (creating and migrating as needed, unless read-only) the store at `options.location`.
// kStoreError when it cannot be opened, is corrupt, or has a newer schema than this build.
Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options);

}  // namespace gtops
