// The SQLite backend of Store. One connection, prepared statements, one transaction per input
// file; WAL journal so that readers never block on an ingest and a killed process leaves the last
// committed state intact.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/wal_checkpointer.h"

namespace gtops {
namespace {

constexpr std::string_view kPostgresPrefix1 = "postgresql://";
constexpr std::string_view kPostgresPrefix2 = "postgres://";

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return FormatRfc3339(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

// A prepared statement. Bind indices are 1-based, as in SQLite.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  Status Prepare(sqlite3* db, std::string_view sql) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &s_, nullptr) != SQLITE_OK) {
      return Status::StoreError(fmt::format("cannot prepare statement: {} ({})", sqlite3_errmsg(db),
                                            sql.substr(0, 80)));
    }
    return Status::Ok();
  }
  sqlite3_stmt* get() const { return s_; }

  // Every statement binds all of its parameters on every use, so bindings are not cleared.
  void Reset() { sqlite3_reset(s_); }
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void TextOrNull(int i, std::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      Text(i, v);
    }
  }
  void Blob(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void Real(int i, double v) { sqlite3_bind_double(s_, i, v); }
  void Null(int i) { sqlite3_bind_null(s_, i); }
  template <typename T>
  void Opt(int i, const std::optional<T>& v) {
    if (!v) {
      Null(i);
    } else if constexpr (std::is_floating_point_v<T>) {
      Real(i, *v);
    } else {
      Int(i, *v);
    }
  }

  // Steps once: SQLITE_ROW or SQLITE_DONE, or an error Status.
  Result<int> Step(sqlite3* db) {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    return Status::StoreError(fmt::format("store write failed: {}", sqlite3_errmsg(db)));
  }
  int64_t ColInt(int c) const { return sqlite3_column_int64(s_, c); }
  double ColReal(int c) const { return sqlite3_column_double(s_, c); }
  bool ColNull(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::optional<double> ColOptReal(int c) const {
    return ColNull(c) ? std::nullopt : std::optional<double>(ColReal(c));
  }
  // The column's bytes, valid until the next step or reset.
  std::string_view ColBytes(int c) const {
    const void* p = sqlite3_column_blob(s_, c);
    return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string_view();
  }
  std::string ColText(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

#define GTOPS_STEP(stmt)                      \
  do {                                        \
    auto rc_ = (stmt).Step(db_);              \
    if (!rc_.ok()) return rc_.status();       \
  } while (0)

class SqliteStore : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override {
    if (in_file_) AbortFile();
    // The checkpointing thread first, then the statements, then the connection (whose close
    // checkpoints what is left).
    checkpointer_.reset();
    stmts_.clear();
    sqlite3_close_v2(db_);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Exec(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::StoreError(fmt::format("{}: {}", path_, msg));
    }
    return Status::Ok();
  }

  Status Init(bool read_only) {
    sqlite3_busy_timeout(db_, 10000);
    sqlite3_extended_result_codes(db_, 1);
    Stmt v;
    GTOPS_RETURN_IF_ERROR(v.Prepare(db_, "PRAGMA user_version"));
    auto rc = v.Step(db_);
    if (!rc.ok()) {
      return Status::StoreError(fmt::format("{}: not a readable SQLite store ({})", path_,
                                            sqlite3_errmsg(db_)));
    }
    const int64_t version = v.ColInt(0);
    v.Reset();  // ends the statement's read transaction
    const int64_t current = SchemaVersion();
    if (version > current) {
      return Status::StoreError(fmt::format(
          "{}: the store has schema version {}, newer than this gtops understands ({}): "
          "upgrade gtops to open it", path_, version, current));
    }
    if (version == 0) {
      Stmt t;
      GTOPS_RETURN_IF_ERROR(t.Prepare(db_, "SELECT count(*) FROM sqlite_master"));
      GTOPS_STEP(t);
      const int64_t tables = t.ColInt(0);
      t.Reset();
      if (tables > 0) {
        return Status::StoreError(fmt::format(
            "{}: this SQLite database is not a gtops store (it has tables but no gtops schema "
            "version)", path_));
      }
    }
    if (read_only) {
      if (version < current) {
        return Status::StoreError(fmt::format(
            "{}: the store has schema version {}; run `gtops ingest` to migrate it to {}", path_,
            version, current));
      }
      // Readers scan large tables (frames, outcomes) beside the writer: the same page cache as it.
      GTOPS_RETURN_IF_ERROR(Exec("PRAGMA cache_size = -65536"));
      return Exec("PRAGMA query_only = ON");
    }
    // The page size must be set before WAL mode, which freezes it (it was set after, and new
    // stores kept SQLite's 4096 bytes).
    if (version == 0) GTOPS_RETURN_IF_ERROR(Exec("PRAGMA page_size = 8192"));
    GTOPS_RETURN_IF_ERROR(Exec("PRAGMA journal_mode = WAL"));
    GTOPS_RETURN_IF_ERROR(Exec("PRAGMA synchronous = NORMAL"));
    GTOPS_RETURN_IF_ERROR(Exec("PRAGMA cache_size = -65536"));
    GTOPS_RETURN_IF_ERROR(Exec("PRAGMA temp_store = FILE"));
    checkpointer_ = std::make_unique<WalCheckpointer>(db_, path_, WalCheckpointer::Options{});
    if (version < current) {
      GTOPS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
      auto migrations = SchemaMigrations();
      for (int64_t i = version; i < current; ++i) {
        Status s = Exec(migrations[static_cast<size_t>(i)]);
        if (!s.ok()) {
          (void)Exec("ROLLBACK");
          return Status::StoreError(fmt::format("migrating the store to schema version {} failed: {}",
                                                i + 1, s.message()));
        }
      }
      // A migration may edit the schema text in place (writable_schema, version 10): a new schema
      // cookie makes every connection, this one included, parse the schema again.
      Stmt cookie;
      GTOPS_RETURN_IF_ERROR(cookie.Prepare(db_, "PRAGMA schema_version"));
      GTOPS_STEP(cookie);
      const int64_t schema_cookie = cookie.ColInt(0);
      cookie.Reset();
      GTOPS_RETURN_IF_ERROR(Exec(fmt::format("PRAGMA schema_version = {}", schema_cookie + 1)));
      GTOPS_RETURN_IF_ERROR(Exec(fmt::format("PRAGMA user_version = {}", current)));
      GTOPS_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return Status::Ok();
  }

  Status SyncConfig(const ProgramConfig& config) override;
  Result<int64_t> BeginIngestRun() override;
  Status FinishIngestRun(int64_t run_id, const IngestRunTotals& t) override;
  Result<std::optional<FileState>> GetFileState(const std::string& path) override;
  Status BeginFile(const std::string& path, int64_t run_id) override;
  Result<PutResult> PutLabels(const LabelRecord& r, uint64_t hash, SourceLocation at) override;
  Result<PutResult> PutEvent(const Event& e, uint64_t hash, SourceLocation at) override;
  Status PutEvents(std::span<const EventToPut> events, std::string_view file,
                   std::span<PutResult> results) override;
  Result<PutResult> PutAudit(const Audit& a, uint64_t hash, SourceLocation at) override;
  Status PutQuarantine(SourceLocation at, std::string_view reason, std::string_view raw) override;
  Status CommitFile(const FileState& state, const FileTotals& totals) override;
  void AbortFile() override;
  Result<StoreSummary> Summarize() override;
  Status ForEachQuarantined(const std::function<void(const QuarantineRow&)>& fn) override;
  Result<QueryResult> QueryReadOnly(std::string_view sql) override;
  Status ForEachRow(std::string_view sql, const std::function<Status(const QueryRow&)>& fn) override;
  // Prepares one read-only statement of a user's or a loader's SQL (QueryReadOnly, ForEachRow).
  Result<std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> PrepareReadOnly(std::string_view sql);
  Status ForEachFrame(std::string_view pipeline, const std::function<Status(const FrameLabels&)>& fn,
                      std::string_view require_source, std::string_view only_source) override;
  Result<int64_t> BeginEvaluation(const EvaluationRunInfo& info) override;
  Status PutOutcomes(int64_t evaluation_id, std::span<const OutcomeRow> rows) override;
  Status CommitEvaluation(int64_t evaluation_id, int64_t outcomes) override;
  void AbortEvaluation() override;
  Status ForEachEvent(std::string_view from_task, std::string_view to_task,
                      const std::function<Status(const Event&)>& fn) override;
  Status ForEachEventOfTasks(std::span<const std::string> tasks,
                             const std::function<Status(const Event&)>& fn) override;
  Result<std::vector<TimelineMark>> TimelineMarks(std::string_view from_task, std::string_view to_task,
                                                  int64_t limit) override;
  Status ForEachStoredTimeline(std::string_view from_task, std::string_view to_task,
                               const std::function<Status(std::string_view, std::string_view)>& fn) override;
  Status SaveTimelines(std::span<const StoredTimeline> rows) override;
  const std::string& Location() const override { return path_; }
  Result<int64_t> SaveRun(const RunRecord& run, const std::vector<GapRow>& gaps) override;
  Result<std::optional<RunRecord>> LatestRun(int64_t before) override;
  Result<std::vector<GapRow>> LoadGaps(int64_t run_id) override;
  Status ReplaceIncidents(std::string_view pipeline, const std::vector<IncidentRow>& rows,
                          std::string_view now) override;
  Result<std::vector<IncidentRow>> LoadIncidents() override;
  Status SaveFindings(const CheckRunInfo& run, const std::vector<FindingRow>& findings) override;
  Result<std::optional<CheckRunInfo>> LatestCheckRun(std::string_view pipeline) override;
  Status ForEachFinding(std::string_view pipeline, const std::function<Status(const FindingRow&)>& fn) override;
  Result<bool> SaveAuditPlan(const AuditPlanRow& plan, const std::vector<AuditPlanTask>& tasks,
                             bool replace) override;
  Result<std::optional<AuditPlan>> LoadAuditPlan(std::string_view pipeline, std::string_view batch) override;

 private:
  // A cached prepared statement, reset and ready to bind.
  // `sql` is the statement's text, or a function making it (called only the first time).
  template <typename Sql>
  Result<Stmt*> Prepared(int id, Sql&& sql) {
    if (static_cast<size_t>(id) >= stmts_.size()) stmts_.resize(static_cast<size_t>(id) + 1);
    auto& slot = stmts_[static_cast<size_t>(id)];
    if (!slot) {
      slot = std::make_unique<Stmt>();
      if constexpr (std::is_invocable_v<Sql>) {
        GTOPS_RETURN_IF_ERROR(slot->Prepare(db_, sql()));
      } else {
        GTOPS_RETURN_IF_ERROR(slot->Prepare(db_, sql));
      }
    } else {
      slot->Reset();
    }
    return slot.get();
  }

  // Runs `write` in one write transaction: committed when it returns ok, rolled back otherwise.
  Status InTransaction(const std::function<Status()>& write) {
    GTOPS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = write();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  Status InsertObjects(int64_t label_set_id, const std::vector<Object>& objects);
  // The stored event of `e`'s key: its content hash and where it was read from.
  struct EventStamp {
    uint64_t hash = 0;
    int64_t file_id = 0, line = 0, run_id = 0;
  };
  Result<EventStamp> FindEvent(const Event& e);
  // An event whose INSERT found its key stored with `stored_hash`: replaces the stored row when
  // the hashes differ (kReplaced), or leaves it (kUnchanged).
  Result<PutResult> ReplaceEvent(const Event& e, uint64_t hash, int64_t line, uint64_t stored_hash);
  // After an event was inserted or replaced: its task's stored timeline is stale, and its context
  // rows are upserted.
  Status EventWritten(const Event& e);
  Status UpsertContext(const std::string& pipeline, const std::string& task,
                       const std::string& batch, const std::string& vendor);

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<WalCheckpointer> checkpointer_;  // writable stores: WAL checkpoints off the writing thread
  std::vector<std::unique_ptr<Stmt>> stmts_;
  // The transaction ended: what it wrote is known when it committed, forgotten when it rolled back.
  void EndContext(bool committed) {
    last_dirty_task_.clear();
    objects_max_key_.reset();
    known_tasks_.End(committed);
    known_batches_.End(committed);
    if (!committed) has_last_context_ = false;
  }

  bool in_file_ = false;
  // The open file was committed before in this ingest run (the same file listed twice): rows of
  // this file, line and run may be stored already, so PutEvents cannot tell its own inserts by them.
  bool file_seen_in_run_ = false;
  std::string last_dirty_task_;  // the last task PutEvent marked in timeline_marks (this transaction)
  // What this connection knows to be stored of the context rows (UpsertContext), as ContextFacts:
  // per task and per batch. Upserting a row again changes nothing when it is stored with every
  // column the record would fill (the upserts only insert and fill NULLs, and nothing deletes
  // tasks or batches), so such upserts are skipped. One map holds the facts of the committed
  // transactions and of the open one: a transaction that learned something and did not commit
  // makes it forget them all (rare: it only costs lookups), and past about kMaxKnownContexts
  // entries the map starts over at the end of a transaction.
  enum ContextFacts : uint8_t { kStored = 1, kHasBatch = 2, kHasVendor = 4 };
  struct ContextKnowledge {
    std::unordered_map<std::string, uint8_t> known;
    bool learned = false;  // in the open transaction
    // Whether the row of `key` is known stored with every column of `fills` filled.
    bool Covers(const std::string& key, uint8_t fills) const {
      auto it = known.find(key);
      return it != known.end() && (it->second & kStored) && (it->second | fills) == it->second;
    }
    // The row of `key` was upserted with the columns of `fills` (in the open transaction).
    void Learn(const std::string& key, uint8_t fills) {
      known[key] |= kStored | fills;
      learned = true;
    }
    void End(bool commit) {
      if ((!commit && learned) || known.size() > kMaxKnownContexts) known.clear();
      learned = false;
    }
  };
  static constexpr size_t kMaxKnownContexts = size_t{1} << 17;
  ContextKnowledge known_tasks_, known_batches_;
  // The context UpsertContext handled last (known to be stored), when has_last_context_.
  bool has_last_context_ = false;
  std::string last_task_, last_batch_, last_vendor_;
  int64_t file_id_ = 0;
  int64_t run_id_ = 0;
  // In a file transaction: at least the largest object key stored (keys are only added by this
  // connection while it holds the write lock; deletes leave it an upper bound). Unset outside.
  std::optional<int64_t> objects_max_key_;
  // Evaluation writes (BeginEvaluation .. CommitEvaluation).
  bool in_evaluation_ = false;
  std::unique_ptr<Stmt> outcome_insert_, outcomes_insert_;  // one row, kOutcomeRows rows
};

// Objects are keyed by label set and position, packed into the rowid so that the objects of a
// new label set are appended at the end of the table (SQLite's fastest insert) and the objects of
// one label set are a contiguous key range.
int64_t ObjectKey(int64_t label_set_id, int64_t ord) { return label_set_id * kMaxObjectsPerRecord + ord; }

// The most rows of one multi-row object INSERT (a statement is prepared per row count as used).
constexpr int kMaxObjectRows = 32;

enum StmtId {
  kFindLabelSet, kInsertLabelSet, kUpdateLabelSet, kDeleteObjects, kUpsertFrame,
  kUpsertTask, kUpsertBatch, kFindEvent, kUpdateEvent, kFindAudit, kInsertAudit,
  kUpdateAudit, kDeleteAuditErrors, kInsertAuditError, kInsertQuarantine, kFileId, kInsertFile,
  kDeleteFileQuarantine, kCommitFile, kGetFileState, kMarkTimelineDirty, kMaxObjectKey,
  kInsertObjectsBase,  // then one statement per key mode (explicit, append), object shape (ObjectShape) and
                       // row count (1 .. kMaxObjectRows)
};

constexpr std::string_view kLabelSetColumns =
    "pipeline, frame, source, producer, task, batch, vendor, annotator, model, timestamp, "
    "spec_version, tool_version, labeled_at, sensor, scene, ego_pose, ignore_regions, tags, "
    "object_count, content_hash, file_id, line, run_id";

void BindLabelSet(Stmt& s, const LabelRecord& r, uint64_t hash, int64_t file_id, int64_t line,
                  int64_t run_id) {
  s.Text(1, r.pipeline);
  s.Text(2, r.frame);
  s.Text(3, Name(r.source));
  s.Text(4, r.producer());
  s.Text(5, r.task);
  s.TextOrNull(6, r.batch);
  s.TextOrNull(7, r.vendor);
  s.TextOrNull(8, r.annotator);
  s.TextOrNull(9, r.model);
  s.Opt(10, r.timestamp);
  s.TextOrNull(11, r.spec_version);
  s.TextOrNull(12, r.tool_version);
  s.TextOrNull(13, r.labeled_at);
  s.TextOrNull(14, r.sensor);
  s.TextOrNull(15, r.scene_json);
  s.TextOrNull(16, r.ego_pose_json);
  s.TextOrNull(17, r.ignore_json);
  s.TextOrNull(18, r.tags_json);
  s.Int(19, static_cast<int64_t>(r.objects.size()));
  s.Int(20, static_cast<int64_t>(hash));
  s.Int(21, file_id);
  s.Int(22, line);
  s.Int(23, run_id);
}

Status SqliteStore::UpsertContext(const std::string& pipeline, const std::string& task,
                                  const std::string& batch, const std::string& vendor) {
  // Records of one task usually follow each other: the context handled last needs no lookup.
  if (has_last_context_ && task == last_task_ && batch == last_batch_ && vendor == last_vendor_) {
    return Status::Ok();
  }
  const uint8_t fills = (batch.empty() ? 0 : kHasBatch) | (vendor.empty() ? 0 : kHasVendor);
  if (!known_tasks_.Covers(task, fills)) {
    auto t = Prepared(kUpsertTask,
                      "INSERT INTO tasks (task, pipeline, batch, vendor) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT (task) DO UPDATE SET batch = coalesce(batch, excluded.batch), "
                      "vendor = coalesce(vendor, excluded.vendor) "
                      "WHERE (batch IS NULL AND excluded.batch IS NOT NULL) "
                      "OR (vendor IS NULL AND excluded.vendor IS NOT NULL)");
    if (!t.ok()) return t.status();
    (*t)->Text(1, task);
    (*t)->Text(2, pipeline);
    (*t)->TextOrNull(3, batch);
    (*t)->TextOrNull(4, vendor);
    GTOPS_STEP(**t);
    known_tasks_.Learn(task, fills);
  }
  if (!batch.empty()) {
    const uint8_t batch_fills = vendor.empty() ? 0 : kHasVendor;
    if (!known_batches_.Covers(batch, batch_fills)) {
      auto b = Prepared(kUpsertBatch,
                        "INSERT INTO batches (batch, pipeline, vendor) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (batch) DO UPDATE SET vendor = excluded.vendor "
                        "WHERE vendor IS NULL AND excluded.vendor IS NOT NULL");
      if (!b.ok()) return b.status();
      (*b)->Text(1, batch);
      (*b)->Text(2, pipeline);
      (*b)->TextOrNull(3, vendor);
      GTOPS_STEP(**b);
      known_batches_.Learn(batch, batch_fills);
    }
  }
  has_last_context_ = true;
  last_task_ = task;
  last_batch_ = batch;
  last_vendor_ = vendor;
  return Status::Ok();
}

// The geometry columns (x, y, z, l, w, h, yaw, range_m, geometry) an object of each kind fills;
// the others are NULL literals in its INSERT, so that a row binds only what it stores.
enum class ObjectShape { kBox3d, kBox2d, kJson };
constexpr int kObjectShapes = 3;
ObjectShape ShapeOf(GeometryKind k) {
  return k == GeometryKind::kBox3d ? ObjectShape::kBox3d
         : k == GeometryKind::kBox2d ? ObjectShape::kBox2d
                                     : ObjectShape::kJson;
}
// Bound geometry columns of each shape, in the column order of `objects`.
constexpr std::array<std::array<bool, 9>, kObjectShapes> kShapeColumns{{
    {true, true, true, true, true, true, true, true, false},          // box3d: x..yaw, range_m
    {true, true, false, false, true, true, false, false, false},      // box2d: x, y, w, h
    {false, false, false, false, false, false, false, false, true},   // the others: geometry
}};
// Parameters of one object row: object_id, track, class, the shape's geometry columns,
// attributes, score, num_points. A statement binds three more once: the first row's key, the label
// set and the first row's ord.
constexpr int ShapeParams(ObjectShape shape) {
  int n = 3 + 3;
  for (bool b : kShapeColumns[static_cast<size_t>(shape)]) n += b ? 1 : 0;
  return n;
}
constexpr int kObjectStmtParams = 3;

// The multi-row INSERTs (objects, events, outcomes) are `INSERT OR FAIL`. A statement that may
// stop half-way with a constraint error (NOT NULL, CHECK, a key) must otherwise undo its own rows:
// SQLite keeps a statement journal for it, the first content of every page the statement changes
// (the table's last leaf and the B-tree's right edge, for an append), and spills that journal to a
// temporary file past 64 KiB: 137 MB written to /var/tmp while ingesting the 1.01 M-object program,
// about a tenth of every byte written (strace). With OR FAIL the rows the statement inserted before
// the error stay, and the caller rolls the whole transaction back on any error (AbortFile,
// AbortEvaluation), so nothing else changes.
//
// Row i > 0 of a statement: key ?1 + i (NULL when appending: the largest key + 1, see
// InsertObjects), label set ?2, ord ?3 + i.
std::string ObjectInsertSql(ObjectShape shape, int rows, bool append) {
  std::string q =
      "INSERT OR FAIL INTO objects (object_key, label_set_id, ord, object_id, track, class, x, y, z, l, "
      "w, h, yaw, range_m, geometry, attributes, score, num_points) VALUES ";
  int p = kObjectStmtParams;
  for (int i = 0; i < rows; ++i) {
    if (i == 0) {
      q += "(?1,?2,?3";
    } else {
      q += append ? fmt::format(",(NULL,?2,?3+{}", i) : fmt::format(",(?1+{0},?2,?3+{0}", i);
    }
    for (int c = 0; c < 3; ++c) q += fmt::format(",?{}", ++p);
    for (bool bound : kShapeColumns[static_cast<size_t>(shape)]) {
      q += bound ? fmt::format(",?{}", ++p) : std::string(",NULL");
    }
    for (int c = 0; c < 3; ++c) q += fmt::format(",?{}", ++p);
    q += ")";
  }
  return q;
}

// Objects go in by multi-row INSERTs of up to kMaxObjectRows rows: a record's objects of one shape
// (usually all of them) by one statement step, whatever their count. The key, label set and ord
// are bound once per statement (the rows after the first compute theirs).
//
// A label set whose key range lies above every stored object (a new label set: the common case)
// is appended: its first object goes in with its key, the others with a NULL key, which SQLite
// turns into the largest key + 1, the same key, found at the end of the table without searching
// the B-tree (an explicit key costs a search from the root for every row: about 11 % of the
// instructions of a row's insert, callgrind). The keys are checked after the inserts.
Status SqliteStore::InsertObjects(int64_t label_set_id, const std::vector<Object>& objects) {
  const int64_t first_key = ObjectKey(label_set_id, 0);
  const bool append = objects_max_key_ && first_key > *objects_max_key_;
  // Binds one object's own columns at parameter `b` + 1 (as ShapeParams(shape) parameters).
  auto bind = [&](Stmt& o, int b, const Object& ob) {
    o.Text(b + 1, ob.id);
    o.TextOrNull(b + 2, ob.track);
    o.Text(b + 3, ob.cls);
    int next = b + 4;
    if (ob.kind == GeometryKind::kBox3d) {
      const Box3d& x = ob.box3d;
      for (double v : {x.x, x.y, x.z, x.l, x.w, x.h, x.yaw, std::hypot(x.x, x.y)}) o.Real(next++, v);
    } else if (ob.kind == GeometryKind::kBox2d) {
      for (double v : {ob.box2d.x, ob.box2d.y, ob.box2d.w, ob.box2d.h}) o.Real(next++, v);
    } else {
      o.Text(next++, ob.geometry_json);
    }
    o.TextOrNull(next, ob.attributes_json);
    o.Opt(next + 1, ob.score);
    o.Opt(next + 2, ob.num_points);
  };
  const auto n = static_cast<int64_t>(objects.size());
  int64_t ord = 0;
  while (ord < n) {
    const ObjectShape shape = ShapeOf(objects[static_cast<size_t>(ord)].kind);
    // The run of objects of this shape, at most kMaxObjectRows: one statement step.
    int rows = 1;
    while (rows < kMaxObjectRows && ord + rows < n &&
           ShapeOf(objects[static_cast<size_t>(ord + rows)].kind) == shape) {
      ++rows;
    }
    const int id = kInsertObjectsBase +
                   ((append ? kObjectShapes : 0) + static_cast<int>(shape)) * kMaxObjectRows + rows - 1;
    auto st = Prepared(id, [&] { return ObjectInsertSql(shape, rows, append); });
    if (!st.ok()) return st.status();
    Stmt& o = **st;
    if (append && ord > 0) {
      o.Null(1);
    } else {
      o.Int(1, ObjectKey(label_set_id, ord));
    }
    o.Int(2, label_set_id);
    o.Int(3, ord);
    for (int i = 0; i < rows; ++i, ++ord) {
      bind(o, kObjectStmtParams + i * ShapeParams(shape), objects[static_cast<size_t>(ord)]);
    }
    GTOPS_STEP(o);
  }
  if (n > 0 && objects_max_key_) {
    const int64_t last_key = ObjectKey(label_set_id, n - 1);
    if (append && sqlite3_last_insert_rowid(db_) != last_key) {
      return Status::Internal(fmt::format("objects of label set {} were appended at key {}, not {}",
                                          label_set_id, sqlite3_last_insert_rowid(db_), last_key));
    }
    objects_max_key_ = std::max(*objects_max_key_, last_key);
  }
  return Status::Ok();
}

Result<PutResult> SqliteStore::PutLabels(const LabelRecord& r, uint64_t hash, SourceLocation at) {
  // Insert first: a new identity (the common case) costs one statement; a conflict falls back to
  // comparing content and replacing.
  auto ins = Prepared(kInsertLabelSet,
                      [&] { return fmt::format("INSERT INTO label_sets ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                  "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
                                  "?20, ?21, ?22, ?23) ON CONFLICT (pipeline, frame, source, "
                                  "producer) DO NOTHING",
                                  kLabelSetColumns); });
  if (!ins.ok()) return ins.status();
  BindLabelSet(**ins, r, hash, file_id_, at.line, run_id_);
  GTOPS_STEP(**ins);
  int64_t id = 0;
  PutResult result = PutResult::kInserted;
  if (sqlite3_changes(db_) == 1) {
    id = sqlite3_last_insert_rowid(db_);
  } else {
    auto find = Prepared(kFindLabelSet,
                         "SELECT label_set_id, content_hash FROM label_sets "
                         "WHERE pipeline = ?1 AND frame = ?2 AND source = ?3 AND producer = ?4");
    if (!find.ok()) return find.status();
    Stmt& f = **find;
    f.Text(1, r.pipeline);
    f.Text(2, r.frame);
    f.Text(3, Name(r.source));
    f.Text(4, r.producer());
    auto rc = f.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) return Status::StoreError("label set vanished during its replacement");
    id = f.ColInt(0);
    const auto stored_hash = static_cast<uint64_t>(f.ColInt(1));
    f.Reset();
    if (stored_hash == hash) return PutResult::kUnchanged;
    result = PutResult::kReplaced;
    auto del = Prepared(kDeleteObjects, "DELETE FROM objects WHERE object_key BETWEEN ?1 AND ?2");
    if (!del.ok()) return del.status();
    (*del)->Int(1, ObjectKey(id, 0));
    (*del)->Int(2, ObjectKey(id, kMaxObjectsPerRecord - 1));
    GTOPS_STEP(**del);
    auto up = Prepared(kUpdateLabelSet,
                       [&] { return fmt::format("UPDATE label_sets SET ({}) = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                   "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
                                   "?22, ?23) WHERE label_set_id = ?24",
                                   kLabelSetColumns); });
    if (!up.ok()) return up.status();
    BindLabelSet(**up, r, hash, file_id_, at.line, run_id_);
    (*up)->Int(24, id);
    GTOPS_STEP(**up);
  }
  GTOPS_RETURN_IF_ERROR(InsertObjects(id, r.objects));
  GTOPS_RETURN_IF_ERROR(UpsertContext(r.pipeline, r.task, r.batch, r.vendor));
  return result;
}

constexpr std::string_view kEventWriteColumns =
    "task, pipeline, batch, vendor, annotator, event, at, at_ms, due, due_ms, cost_usd, work_s, "
    "object_count, reason, content_hash, file_id, line, run_id";
constexpr int kEventParams = 18;
// The most rows of one multi-row event INSERT (a statement is prepared per row count as used).
constexpr int kMaxEventRows = 32;
constexpr int kInsertEventsBase = kInsertObjectsBase + 2 * kObjectShapes * kMaxObjectRows;

// Binds an event's columns (kEventWriteColumns) at parameters `b` + 1 .. `b` + kEventParams.
void BindEvent(Stmt& s, int b, const Event& e, uint64_t hash, int64_t file_id, int64_t line,
               int64_t run_id) {
  s.Text(b + 1, e.task);
  s.Text(b + 2, e.pipeline);
  s.TextOrNull(b + 3, e.batch);
  s.TextOrNull(b + 4, e.vendor);
  s.TextOrNull(b + 5, e.annotator);
  s.Text(b + 6, Name(e.kind));
  s.Text(b + 7, e.at);
  s.Int(b + 8, e.at_epoch_ms);
  s.TextOrNull(b + 9, e.due);
  s.Opt(b + 10, e.due_epoch_ms);
  s.Opt(b + 11, e.cost_usd);
  s.Opt(b + 12, e.work_s);
  s.Opt(b + 13, e.object_count);
  s.TextOrNull(b + 14, e.reason);
  s.Int(b + 15, static_cast<int64_t>(hash));
  s.Int(b + 16, file_id);
  s.Int(b + 17, line);
  s.Int(b + 18, run_id);
}

std::string EventInsertSql(int rows) {
  std::string q = fmt::format("INSERT OR FAIL INTO events ({}) VALUES ", kEventWriteColumns);
  int p = 0;
  for (int i = 0; i < rows; ++i) {
    q += i ? ",(" : "(";
    for (int c = 0; c < kEventParams; ++c) q += fmt::format("{}?{}", c ? "," : "", ++p);
    q += ")";
  }
  q += " ON CONFLICT (task, event, at_ms) DO NOTHING";
  return q;
}

Result<SqliteStore::EventStamp> SqliteStore::FindEvent(const Event& e) {
  auto find = Prepared(kFindEvent,
                       "SELECT content_hash, file_id, line, run_id FROM events "
                       "WHERE task = ?1 AND event = ?2 AND at_ms = ?3");
  if (!find.ok()) return find.status();
  Stmt& f = **find;
  f.Text(1, e.task);
  f.Text(2, Name(e.kind));
  f.Int(3, e.at_epoch_ms);
  auto rc = f.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc != SQLITE_ROW) return Status::StoreError("event vanished during its insert");
  const EventStamp stamp{static_cast<uint64_t>(f.ColInt(0)), f.ColInt(1), f.ColInt(2), f.ColInt(3)};
  f.Reset();
  return stamp;
}

Result<PutResult> SqliteStore::ReplaceEvent(const Event& e, uint64_t hash, int64_t line, uint64_t stored_hash) {
  if (stored_hash == hash) return PutResult::kUnchanged;
  auto up = Prepared(kUpdateEvent,
                     [&] { return fmt::format("UPDATE events SET ({}) = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                 "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
                                 "WHERE task = ?1 AND event = ?6 AND at_ms = ?8", kEventWriteColumns); });
  if (!up.ok()) return up.status();
  BindEvent(**up, 0, e, hash, file_id_, line, run_id_);
  GTOPS_STEP(**up);
  return PutResult::kReplaced;
}

Status SqliteStore::EventWritten(const Event& e) {
  // The task's stored timeline is stale now. Events of a task mostly arrive together: one mark each.
  if (e.task != last_dirty_task_) {
    auto mark = Prepared(kMarkTimelineDirty, "INSERT OR REPLACE INTO timeline_marks (task) VALUES (?1)");
    if (!mark.ok()) return mark.status();
    (*mark)->Text(1, e.task);
    GTOPS_STEP(**mark);
    last_dirty_task_ = e.task;
  }
  return UpsertContext(e.pipeline, e.task, e.batch, e.vendor);
}

Result<PutResult> SqliteStore::PutEvent(const Event& e, uint64_t hash, SourceLocation at) {
  auto ins = Prepared(kInsertEventsBase, [&] { return EventInsertSql(1); });
  if (!ins.ok()) return ins.status();
  BindEvent(**ins, 0, e, hash, file_id_, at.line, run_id_);
  GTOPS_STEP(**ins);
  PutResult result = PutResult::kInserted;
  if (sqlite3_changes(db_) != 1) {
    auto stored = FindEvent(e);
    if (!stored.ok()) return stored.status();
    auto replaced = ReplaceEvent(e, hash, at.line, stored->hash);
    if (!replaced.ok()) return replaced.status();
    result = *replaced;
    if (result == PutResult::kUnchanged) return result;
  }
  GTOPS_RETURN_IF_ERROR(EventWritten(e));
  return result;
}

// Events go in by multi-row INSERTs of up to kMaxEventRows rows (`ON CONFLICT DO NOTHING`). When
// the statement inserted fewer rows than it had, each of its events is looked up in order: a
// stored row with the event's own hash, file, line and run is the one this statement inserted
// (no other can have them: a file's lines are written once per run, and a file listed twice in a
// run goes row by row); any other is handled as PutEvent handles a conflict, against what the
// events before it left stored.
Status SqliteStore::PutEvents(std::span<const EventToPut> events, std::string_view file,
                              std::span<PutResult> results) {
  if (results.size() != events.size()) return Status::Internal("PutEvents: one result per event");
  if (file_seen_in_run_) return Store::PutEvents(events, file, results);
  size_t i = 0;
  while (i < events.size()) {
    const int rows = static_cast<int>(std::min<size_t>(events.size() - i, kMaxEventRows));
    auto st = Prepared(kInsertEventsBase + rows - 1, [&] { return EventInsertSql(rows); });
    if (!st.ok()) return st.status();
    Stmt& s = **st;
    for (int r = 0; r < rows; ++r) {
      const EventToPut& e = events[i + static_cast<size_t>(r)];
      BindEvent(s, r * kEventParams, *e.event, e.hash, file_id_, e.line, run_id_);
    }
    GTOPS_STEP(s);
    const bool all_inserted = sqlite3_changes(db_) == rows;
    for (int r = 0; r < rows; ++r, ++i) {
      const EventToPut& e = events[i];
      PutResult result = PutResult::kInserted;
      if (!all_inserted) {
        auto stored = FindEvent(*e.event);
        if (!stored.ok()) return stored.status();
        const bool own = stored->hash == e.hash && stored->file_id == file_id_ && stored->line == e.line &&
                         stored->run_id == run_id_;
        if (!own) {
          auto replaced = ReplaceEvent(*e.event, e.hash, e.line, stored->hash);
          if (!replaced.ok()) return replaced.status();
          result = *replaced;
        }
      }
      results[i] = result;
      if (result != PutResult::kUnchanged) GTOPS_RETURN_IF_ERROR(EventWritten(*e.event));
    }
  }
  return Status::Ok();
}

Result<PutResult> SqliteStore::PutAudit(const Audit& a, uint64_t hash, SourceLocation at) {
  auto find = Prepared(kFindAudit,
                       "SELECT audit_id, content_hash FROM audits "
                       "WHERE task = ?1 AND frame = ?2 AND auditor = ?3 AND at_ms = ?4");
  if (!find.ok()) return find.status();
  Stmt& f = **find;
  f.Text(1, a.task);
  f.Text(2, a.frame);
  f.Text(3, a.auditor);
  f.Int(4, a.at_epoch_ms);
  auto rc = f.Step(db_);
  if (!rc.ok()) return rc.status();
  int64_t id = 0;
  PutResult result = PutResult::kInserted;
  if (*rc == SQLITE_ROW) {
    id = f.ColInt(0);
    if (static_cast<uint64_t>(f.ColInt(1)) == hash) return PutResult::kUnchanged;
    result = PutResult::kReplaced;
  }
  f.Reset();
  constexpr std::string_view kCols =
      "task, frame, pipeline, batch, vendor, annotator, auditor, at, at_ms, verdict, "
      "objects_reviewed, work_s, error_count, content_hash, file_id, line, run_id";
  auto st = result == PutResult::kReplaced
                ? Prepared(kUpdateAudit,
                           [&] { return fmt::format("UPDATE audits SET ({}) = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                       "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
                                       "WHERE audit_id = ?18", kCols); })
                : Prepared(kInsertAudit,
                           [&] { return fmt::format("INSERT INTO audits ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                       "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                                       kCols); });
  if (!st.ok()) return st.status();
  Stmt& s = **st;
  s.Text(1, a.task);
  s.Text(2, a.frame);
  s.Text(3, a.pipeline);
  s.TextOrNull(4, a.batch);
  s.TextOrNull(5, a.vendor);
  s.TextOrNull(6, a.annotator);
  s.Text(7, a.auditor);
  s.Text(8, a.at);
  s.Int(9, a.at_epoch_ms);
  s.Text(10, a.pass ? "pass" : "fail");
  s.Opt(11, a.objects_reviewed);
  s.Opt(12, a.work_s);
  s.Int(13, static_cast<int64_t>(a.errors.size()));
  s.Int(14, static_cast<int64_t>(hash));
  s.Int(15, file_id_);
  s.Int(16, at.line);
  s.Int(17, run_id_);
  if (result == PutResult::kReplaced) s.Int(18, id);
  GTOPS_STEP(s);
  if (result == PutResult::kReplaced) {
    auto del = Prepared(kDeleteAuditErrors, "DELETE FROM audit_errors WHERE audit_id = ?1");
    if (!del.ok()) return del.status();
    (*del)->Int(1, id);
    GTOPS_STEP(**del);
  } else {
    id = sqlite3_last_insert_rowid(db_);
  }
  auto ins = Prepared(kInsertAuditError,
                      "INSERT INTO audit_errors (audit_id, ord, type, severity, object_id, class, "
                      "attribute, tag, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!ins.ok()) return ins.status();
  int64_t ord = 0;
  for (const AuditError& err : a.errors) {
    Stmt& e = **ins;
    e.Reset();
    e.Int(1, id);
    e.Int(2, ord++);
    e.Text(3, Name(err.type));
    e.Text(4, Name(err.severity));
    e.TextOrNull(5, err.object);
    e.TextOrNull(6, err.cls);
    e.TextOrNull(7, err.attribute);
    e.TextOrNull(8, err.tag);
    e.TextOrNull(9, err.note);
    GTOPS_STEP(e);
  }
  GTOPS_RETURN_IF_ERROR(UpsertContext(a.pipeline, a.task, a.batch, a.vendor));
  return result;
}

Status SqliteStore::PutQuarantine(SourceLocation at, std::string_view reason, std::string_view raw) {
  auto st = Prepared(kInsertQuarantine,
                     "INSERT INTO quarantine (file_id, line, reason, raw, run_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st.ok()) return st.status();
  Stmt& s = **st;
  s.Int(1, file_id_);
  s.Int(2, at.line);
  s.Text(3, reason);
  s.Blob(4, raw);
  s.Int(5, run_id_);
  GTOPS_STEP(s);
  return Status::Ok();
}

Status SqliteStore::BeginFile(const std::string& path, int64_t run_id) {
  if (in_file_) return Status::Internal("BeginFile inside an open file transaction");
  GTOPS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  in_file_ = true;
  EndContext(false);
  run_id_ = run_id;
  auto ins = Prepared(kInsertFile, "INSERT INTO ingest_files (path) VALUES (?1) "
                                   "ON CONFLICT (path) DO NOTHING");
  if (!ins.ok()) return ins.status();
  (*ins)->Text(1, path);
  GTOPS_STEP(**ins);
  auto id = Prepared(kFileId, "SELECT file_id, run_id FROM ingest_files WHERE path = ?1");
  if (!id.ok()) return id.status();
  (*id)->Text(1, path);
  GTOPS_STEP(**id);
  file_id_ = (*id)->ColInt(0);
  file_seen_in_run_ = !(*id)->ColNull(1) && (*id)->ColInt(1) == run_id;
  (*id)->Reset();
  auto del = Prepared(kDeleteFileQuarantine, "DELETE FROM quarantine WHERE file_id = ?1");
  if (!del.ok()) return del.status();
  (*del)->Int(1, file_id_);
  GTOPS_STEP(**del);
  auto max_key = Prepared(kMaxObjectKey, "SELECT coalesce(max(object_key), -1) FROM objects");
  if (!max_key.ok()) return max_key.status();
  GTOPS_STEP(**max_key);
  objects_max_key_ = (*max_key)->ColInt(0);
  (*max_key)->Reset();
  return Status::Ok();
}

Status SqliteStore::CommitFile(const FileState& state, const FileTotals& totals) {
  auto st = Prepared(kCommitFile,
                     "UPDATE ingest_files SET size = ?2, mtime_ns = ?3, complete = 1, run_id = ?4, "
                     "records_read = ?5, accepted = ?6, quarantined = ?7 WHERE file_id = ?1");
  if (!st.ok()) return st.status();
  Stmt& s = **st;
  s.Int(1, file_id_);
  s.Int(2, state.size);
  s.Int(3, state.mtime_ns);
  s.Int(4, run_id_);
  s.Int(5, totals.records_read);
  s.Int(6, totals.accepted);
  s.Int(7, totals.quarantined);
  GTOPS_STEP(s);
  GTOPS_RETURN_IF_ERROR(Exec("COMMIT"));
  in_file_ = false;
  EndContext(true);
  return Status::Ok();
}

void SqliteStore::AbortFile() {
  if (!in_file_) return;
  for (auto& s : stmts_) {
    if (s) sqlite3_reset(s->get());
  }
  (void)Exec("ROLLBACK");
  in_file_ = false;
  EndContext(false);
}

Result<std::optional<FileState>> SqliteStore::GetFileState(const std::string& path) {
  auto st = Prepared(kGetFileState,
                     "SELECT size, mtime_ns FROM ingest_files WHERE path = ?1 AND complete = 1");
  if (!st.ok()) return st.status();
  Stmt& s = **st;
  s.Text(1, path);
  auto rc = s.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc != SQLITE_ROW) return std::optional<FileState>();
  FileState f{path, s.ColInt(0), s.ColInt(1)};
  s.Reset();
  return std::optional<FileState>(f);
}

Result<int64_t> SqliteStore::BeginIngestRun() {
  // Runs that never finished died with their process.
  GTOPS_RETURN_IF_ERROR(Exec("UPDATE ingest_runs SET status = 'interrupted' WHERE status = 'running'"));
  Stmt s;
  GTOPS_RETURN_IF_ERROR(s.Prepare(db_, "INSERT INTO ingest_runs (started_at, status) VALUES (?1, 'running')"));
  const std::string now = NowRfc3339();
  s.Text(1, now);
  GTOPS_STEP(s);
  return sqlite3_last_insert_rowid(db_);
}

Status SqliteStore::FinishIngestRun(int64_t run_id, const IngestRunTotals& t) {
  Stmt s;
  GTOPS_RETURN_IF_ERROR(s.Prepare(
      db_, "UPDATE ingest_runs SET finished_at = ?2, status = ?3, files_read = ?4, "
           "files_skipped = ?5, records_read = ?6, accepted = ?7, quarantined = ?8, inserted = ?9, "
           "replaced = ?10, unchanged = ?11, objects_written = ?12 WHERE run_id = ?1"));
  const std::string now = NowRfc3339();
  s.Int(1, run_id);
  s.Text(2, now);
  s.Text(3, t.status);
  s.Int(4, t.files_read);
  s.Int(5, t.files_skipped);
  s.Int(6, t.records_read);
  s.Int(7, t.accepted);
  s.Int(8, t.quarantined);
  s.Int(9, t.inserted);
  s.Int(10, t.replaced);
  s.Int(11, t.unchanged);
  s.Int(12, t.objects_written);
  GTOPS_STEP(s);
  return Status::Ok();
}


Status SqliteStore::SyncConfig(const ProgramConfig& c) {
  GTOPS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    GTOPS_RETURN_IF_ERROR(Exec("DELETE FROM program; DELETE FROM vendors; DELETE FROM pipelines; "
                               "DELETE FROM classes; DELETE FROM targets;"));
    Stmt p;
    GTOPS_RETURN_IF_ERROR(p.Prepare(db_, "INSERT INTO program (id, name, config_path, data_dirs, "
                                         "synced_at) VALUES (1, ?1, ?2, ?3, ?4)"));
    std::string dirs = "[";
    for (size_t i = 0; i < c.data.size(); ++i) {
      dirs += fmt::format("{}\"{}\"", i ? "," : "", c.data[i]);
    }
    dirs += "]";
    const std::string now = NowRfc3339();
    p.Text(1, c.name);
    p.TextOrNull(2, c.source_path);
    p.Text(3, dirs);
    p.Text(4, now);
    GTOPS_STEP(p);
    Stmt v;
    GTOPS_RETURN_IF_ERROR(v.Prepare(db_, "INSERT INTO vendors VALUES (?1, ?2, ?3, ?4)"));
    for (const VendorSpec& vs : c.vendors) {
      v.Reset();
      v.Text(1, vs.id);
      v.TextOrNull(2, vs.name);
      v.Opt(3, vs.cost_per_task_usd);
      v.Opt(4, vs.cost_per_object_usd);
      GTOPS_STEP(v);
    }
    Stmt pl, cl, tg;
    GTOPS_RETURN_IF_ERROR(pl.Prepare(
        db_, "INSERT INTO pipelines VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
    GTOPS_RETURN_IF_ERROR(cl.Prepare(
        db_, "INSERT INTO classes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
             "?14, ?15, ?16)"));
    GTOPS_RETURN_IF_ERROR(tg.Prepare(
        db_, "INSERT INTO targets (pipeline, scope, class, slice, metric, value, config_line) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const PipelineSpec& ps : c.pipelines) {
      pl.Reset();
      pl.Text(1, ps.id);
      pl.TextOrNull(2, ps.name);
      pl.Text(3, Name(ps.geometry));
      pl.Int(4, ps.tracking ? 1 : 0);
      pl.TextOrNull(5, ps.spec_version);
      pl.Text(6, ps.units);
      if (ps.match.kind != MatchRule::Kind::kNone) {
        pl.Text(7, Name(ps.match.kind));
        pl.Real(8, ps.match.value);
      }
      pl.Opt(9, ps.tolerances.position_m);
      pl.Opt(10, ps.tolerances.size_rel);
      pl.Opt(11, ps.tolerances.heading_deg);
      pl.Opt(12, ps.tolerances.min_iou);
      pl.Opt(13, ps.tolerances.polyline_m);
      pl.Opt(14, ps.sla_turnaround_hours);
      GTOPS_STEP(pl);
      for (const ClassSpec& cs : ps.classes) {
        cl.Reset();
        cl.Text(1, ps.id);
        cl.Text(2, cs.name);
        cl.Real(3, cs.safety_weight);
        if (cs.match) {
          cl.Text(4, Name(cs.match->kind));
          cl.Real(5, cs.match->value);
        }
        int col = 6;
        for (const auto* r : {&cs.size_l, &cs.size_w, &cs.size_h}) {
          if (*r && (*r)->lo) cl.Real(col, *(*r)->lo);
          if (*r && (*r)->hi) cl.Real(col + 1, *(*r)->hi);
          col += 2;
        }
        std::string req = "[";
        for (size_t i = 0; i < cs.required_attributes.size(); ++i) {
          req += fmt::format("{}\"{}\"", i ? "," : "", cs.required_attributes[i]);
        }
        req += "]";
        cl.Text(12, req);
        std::string allowed = "{";
        bool first_attr = true;
        for (const auto& [name, values] : cs.attributes) {
          allowed += fmt::format("{}\"{}\":[", first_attr ? "" : ",", name);
          first_attr = false;
          for (size_t i = 0; i < values.size(); ++i) {
            if (i) allowed += ",";
            if (const auto* s = std::get_if<std::string>(&values[i])) {
              allowed += fmt::format("\"{}\"", *s);
            } else if (const auto* d = std::get_if<double>(&values[i])) {
              allowed += fmt::format("{}", *d);
            } else {
              allowed += std::get<bool>(values[i]) ? "true" : "false";
            }
          }
          allowed += "]";
        }
        allowed += "}";
        cl.Text(13, allowed);
        if (cs.kinematics) {
          cl.Opt(14, cs.kinematics->max_speed_mps);
          cl.Opt(15, cs.kinematics->max_accel_mps2);
          cl.Opt(16, cs.kinematics->max_yaw_rate_dps);
        }
        GTOPS_STEP(cl);
      }
      auto put_target = [&](const Target& t, std::string_view scope, std::string_view cls,
                            std::string_view slice) -> Status {
        tg.Reset();
        tg.Text(1, ps.id);
        tg.Text(2, scope);
        tg.TextOrNull(3, cls);
        tg.TextOrNull(4, slice);
        tg.Text(5, t.metric);
        tg.Real(6, t.value);
        tg.Int(7, t.line);
        GTOPS_STEP(tg);
        return Status::Ok();
      };
      for (const Target& t : ps.targets.pipeline) {
        GTOPS_RETURN_IF_ERROR(put_target(t, "pipeline", "", ""));
      }
      for (const auto& [cls, targets] : ps.targets.by_class) {
        for (const Target& t : targets) GTOPS_RETURN_IF_ERROR(put_target(t, "class", cls, ""));
      }
      for (const SliceTarget& sl : ps.targets.slices) {
        std::string where = "{";
        for (size_t i = 0; i < sl.where.size(); ++i) {
          const Condition& cond = sl.where[i];
          where += fmt::format("{}\"{}\":", i ? "," : "", cond.field);
          if (const auto* s = std::get_if<std::string>(&cond.value)) {
            where += fmt::format("\"{}\"", *s);
          } else if (const auto* d = std::get_if<double>(&cond.value)) {
            where += fmt::format("{}", *d);
          } else if (const auto* b = std::get_if<bool>(&cond.value)) {
            where += *b ? "true" : "false";
          } else {
            const Range& r = std::get<Range>(cond.value);
            where += fmt::format("[{},{}]", r.lo ? fmt::format("{}", *r.lo) : "null",
                                 r.hi ? fmt::format("{}", *r.hi) : "null");
          }
        }
        where += "}";
        for (const Target& t : sl.targets) GTOPS_RETURN_IF_ERROR(put_target(t, "slice", "", where));
      }
    }
    return Status::Ok();
  };
  Status s = body();
  if (!s.ok()) {
    (void)Exec("ROLLBACK");
    return s;
  }
  return Exec("COMMIT");
}

Result<StoreSummary> SqliteStore::Summarize() {
  StoreSummary sum;
  auto scalar = [&](std::string_view sql, int64_t& out) -> Status {
    Stmt s;
    GTOPS_RETURN_IF_ERROR(s.Prepare(db_, sql));
    GTOPS_STEP(s);
    out = s.ColInt(0);
    return Status::Ok();
  };
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM label_sets", sum.labels));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT coalesce(sum(object_count), 0) FROM label_sets", sum.objects));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM events", sum.events));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM audits", sum.audits));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM audit_errors", sum.audit_errors));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM quarantine", sum.quarantined));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM tasks", sum.tasks));
  GTOPS_RETURN_IF_ERROR(scalar("SELECT count(*) FROM frames", sum.frames));
  auto rows = [&](std::string_view sql, size_t nkeys, std::vector<CountRow>& out) -> Status {
    Stmt s;
    GTOPS_RETURN_IF_ERROR(s.Prepare(db_, sql));
    for (;;) {
      auto rc = s.Step(db_);
      if (!rc.ok()) return rc.status();
      if (*rc != SQLITE_ROW) break;
      CountRow r;
      for (size_t k = 0; k < nkeys; ++k) r.keys.push_back(s.ColText(static_cast<int>(k)));
      r.labels = s.ColInt(static_cast<int>(nkeys));
      r.objects = s.ColInt(static_cast<int>(nkeys) + 1);
      r.frames = s.ColInt(static_cast<int>(nkeys) + 2);
      out.push_back(std::move(r));
    }
    return Status::Ok();
  };
  GTOPS_RETURN_IF_ERROR(rows(
      "SELECT p.pipeline, count(s.label_set_id), coalesce(sum(s.object_count), 0), "
      "count(DISTINCT s.frame) FROM pipelines p LEFT JOIN label_sets s USING (pipeline) "
      "GROUP BY p.pipeline ORDER BY p.rowid", 1, sum.by_pipeline));
  GTOPS_RETURN_IF_ERROR(rows(
      "SELECT pipeline, source, count(*), sum(object_count), count(DISTINCT frame) FROM label_sets "
      "GROUP BY pipeline, source ORDER BY pipeline, source", 2, sum.by_pipeline_source));
  GTOPS_RETURN_IF_ERROR(rows(
      "SELECT vendor, count(*), sum(object_count), count(DISTINCT pipeline || char(0) || frame) "
      "FROM label_sets WHERE source = 'vendor' GROUP BY vendor ORDER BY vendor", 1, sum.by_vendor));
  GTOPS_RETURN_IF_ERROR(rows(
      "SELECT pipeline, batch, vendor, count(*), sum(object_count), count(DISTINCT frame) "
      "FROM label_sets WHERE source = 'vendor' GROUP BY pipeline, batch, vendor "
      "ORDER BY pipeline, batch", 3, sum.by_batch));
  auto pairs = [&](std::string_view sql, std::vector<std::pair<std::string, int64_t>>& out) -> Status {
    Stmt s;
    GTOPS_RETURN_IF_ERROR(s.Prepare(db_, sql));
    for (;;) {
      auto rc = s.Step(db_);
      if (!rc.ok()) return rc.status();
      if (*rc != SQLITE_ROW) break;
      out.emplace_back(s.ColText(0), s.ColInt(1));
    }
    return Status::Ok();
  };
  GTOPS_RETURN_IF_ERROR(pairs("SELECT pipeline, count(*) FROM events GROUP BY pipeline ORDER BY pipeline",
                              sum.events_by_pipeline));
  GTOPS_RETURN_IF_ERROR(pairs("SELECT pipeline, count(*) FROM audits GROUP BY pipeline ORDER BY pipeline",
                              sum.audits_by_pipeline));
  Stmt last;
  GTOPS_RETURN_IF_ERROR(last.Prepare(
      db_, "SELECT status, files_read, files_skipped, records_read, accepted, quarantined, "
           "inserted, replaced, unchanged, objects_written, started_at, coalesce(finished_at, '') "
           "FROM ingest_runs ORDER BY run_id DESC LIMIT 1"));
  auto rc = last.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc == SQLITE_ROW) {
    IngestRunTotals t;
    t.status = last.ColText(0);
    t.files_read = last.ColInt(1);
    t.files_skipped = last.ColInt(2);
    t.records_read = last.ColInt(3);
    t.accepted = last.ColInt(4);
    t.quarantined = last.ColInt(5);
    t.inserted = last.ColInt(6);
    t.replaced = last.ColInt(7);
    t.unchanged = last.ColInt(8);
    t.objects_written = last.ColInt(9);
    sum.last_run = t;
    sum.last_run_started_at = last.ColText(10);
    sum.last_run_finished_at = last.ColText(11);
  }
  return sum;
}

Status SqliteStore::ForEachQuarantined(const std::function<void(const QuarantineRow&)>& fn) {
  Stmt s;
  GTOPS_RETURN_IF_ERROR(s.Prepare(db_, "SELECT f.path, q.line, q.reason, q.raw FROM quarantine q "
                                       "JOIN ingest_files f USING (file_id) ORDER BY f.path, q.line"));
  for (;;) {
    auto rc = s.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    QuarantineRow r;
    r.file = s.ColText(0);
    r.line = s.ColInt(1);
    r.reason = s.ColText(2);
    const void* blob = sqlite3_column_blob(s.get(), 3);
    r.raw.assign(static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(s.get(), 3)));
    fn(r);
  }
  return Status::Ok();
}

Result<std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>> SqliteStore::PrepareReadOnly(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, &tail) != SQLITE_OK) {
    return Status::Usage(fmt::format("SQL error: {}", sqlite3_errmsg(db_)));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (raw == nullptr) return Status::Usage("SQL error: the query is empty");
  std::string_view rest(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return Status::Usage("SQL error: give one statement at a time");
  }
  if (!sqlite3_stmt_readonly(raw)) {
    return Status::Usage("gtops sql is read-only: this statement would change the store "
                         "(use SELECT, WITH or read-only PRAGMAs)");
  }
  return stmt;
}

namespace {

class SqliteRow final : public QueryRow {
 public:
  explicit SqliteRow(sqlite3_stmt* s) : s_(s) {}
  bool Null(int c) const override { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string_view Text(int c) const override {
    const auto* t = sqlite3_column_text(s_, c);
    return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, c)))
             : std::string_view();
  }
  std::optional<double> Number(int c) const override {
    switch (sqlite3_column_type(s_, c)) {
      case SQLITE_INTEGER:
      case SQLITE_FLOAT:
        return sqlite3_column_double(s_, c);
      case SQLITE_TEXT: {
        // As strtod reads the text (the form QueryReadOnly's callers parsed).
        const std::string text(Text(c));
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        return end != text.c_str() ? std::optional<double>(v) : std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }
  int64_t Int(int c) const override { return sqlite3_column_int64(s_, c); }

 private:
  sqlite3_stmt* s_;
};

}  // namespace

Status SqliteStore::ForEachRow(std::string_view sql, const std::function<Status(const QueryRow&)>& fn) {
  auto stmt = PrepareReadOnly(sql);
  if (!stmt.ok()) return stmt.status();
  sqlite3_stmt* raw = stmt->get();
  const SqliteRow row(raw);
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc != SQLITE_ROW) return Status::Usage(fmt::format("SQL error: {}", sqlite3_errmsg(db_)));
    GTOPS_RETURN_IF_ERROR(fn(row));
  }
}

Result<QueryResult> SqliteStore::QueryReadOnly(std::string_view sql) {
  auto stmt = PrepareReadOnly(sql);
  if (!stmt.ok()) return stmt.status();
  sqlite3_stmt* raw = stmt->get();
  QueryResult q;
  const int n = sqlite3_column_count(raw);
  for (int c = 0; c < n; ++c) q.columns.emplace_back(sqlite3_column_name(raw, c));
  q.numeric.assign(static_cast<size_t>(n), true);
  for (;;) {
    int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return Status::Usage(fmt::format("SQL error: {}", sqlite3_errmsg(db_)));
    std::vector<std::optional<std::string>> row;
    row.reserve(static_cast<size_t>(n));
    for (int c = 0; c < n; ++c) {
      const int type = sqlite3_column_type(raw, c);
      if (type == SQLITE_NULL) {
        row.emplace_back();
        continue;
      }
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) q.numeric[static_cast<size_t>(c)] = false;
      if (type == SQLITE_FLOAT) {
        row.emplace_back(fmt::format("{}", sqlite3_column_double(raw, c)));
      } else {
        const auto* t = sqlite3_column_text(raw, c);
        row.emplace_back(std::string(reinterpret_cast<const char*>(t),
                                     static_cast<size_t>(sqlite3_column_bytes(raw, c))));
      }
    }
    q.rows.push_back(std::move(row));
  }
  return q;
}


// The quality engine's reads and writes (ForEachFrame, outcomes): their own statements, apart
// from the ingest path's.

Status SqliteStore::ForEachFrame(std::string_view pipeline, const std::function<Status(const FrameLabels&)>& fn,
                                 std::string_view require_source, std::string_view only_source) {
  Stmt geo;
  GTOPS_RETURN_IF_ERROR(geo.Prepare(db_, "SELECT geometry FROM pipelines WHERE pipeline = ?1"));
  geo.Text(1, pipeline);
  GTOPS_STEP(geo);
  GeometryKind kind = GeometryKind::kBox3d;
  if (auto k = ParseGeometryKind(geo.ColText(0))) kind = *k;
  geo.Reset();

  Stmt sets, objs;
  GTOPS_RETURN_IF_ERROR(sets.Prepare(
      db_,
      "SELECT label_set_id, frame, task, source, batch, vendor, annotator, model, timestamp, "
      "spec_version, tool_version, labeled_at, sensor, scene, ego_pose, ignore_regions, tags "
      "FROM label_sets l WHERE pipeline = ?1 AND (?2 = '' OR EXISTS (SELECT 1 FROM label_sets r "
      "WHERE r.pipeline = l.pipeline AND r.frame = l.frame AND r.source = ?2)) "
      "AND (?2 = '' OR ?3 = '' OR source IN (?2, ?3)) "
      "ORDER BY task, frame, source, producer"));
  GTOPS_RETURN_IF_ERROR(objs.Prepare(
      db_,
      "SELECT object_id, track, class, x, y, z, l, w, h, yaw, geometry, attributes, score, "
      "num_points FROM objects WHERE object_key BETWEEN ?1 AND ?2 ORDER BY object_key"));
  sets.Text(1, pipeline);
  sets.Text(2, require_source.empty() ? std::string_view("") : require_source);  // never a NULL
  sets.Text(3, only_source.empty() ? std::string_view("") : only_source);

  std::vector<FrameLabels> task_frames;
  auto flush = [&]() -> Status {
    std::stable_sort(task_frames.begin(), task_frames.end(), [](const FrameLabels& a, const FrameLabels& b) {
      double ta = a.timestamp.value_or(0), tb = b.timestamp.value_or(0);
      return ta != tb ? ta < tb : a.frame < b.frame;
    });
    for (const FrameLabels& f : task_frames) GTOPS_RETURN_IF_ERROR(fn(f));
    task_frames.clear();
    return Status::Ok();
  };
  while (true) {
    auto rc = sets.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    LabelRecord r;
    const int64_t id = sets.ColInt(0);
    r.pipeline = std::string(pipeline);
    r.frame = sets.ColText(1);
    r.task = sets.ColText(2);
    r.source = ParseSource(sets.ColText(3)).value_or(Source::kVendor);
    r.batch = sets.ColText(4);
    r.vendor = sets.ColText(5);
    r.annotator = sets.ColText(6);
    r.model = sets.ColText(7);
    if (!sets.ColNull(8)) r.timestamp = sets.ColReal(8);
    r.spec_version = sets.ColText(9);
    r.tool_version = sets.ColText(10);
    r.labeled_at = sets.ColText(11);
    r.sensor = sets.ColText(12);
    r.scene_json = sets.ColText(13);
    r.ego_pose_json = sets.ColText(14);
    r.ignore_json = sets.ColText(15);
    r.tags_json = sets.ColText(16);
    objs.Reset();
    objs.Int(1, ObjectKey(id, 0));
    objs.Int(2, ObjectKey(id, kMaxObjectsPerRecord - 1));
    while (true) {
      auto orc = objs.Step(db_);
      if (!orc.ok()) return orc.status();
      if (*orc != SQLITE_ROW) break;
      Object o;
      o.id = objs.ColText(0);
      o.track = objs.ColText(1);
      o.cls = objs.ColText(2);
      o.kind = kind;
      if (kind == GeometryKind::kBox3d) {
        o.box3d = {objs.ColReal(3), objs.ColReal(4), objs.ColReal(5), objs.ColReal(6),
                   objs.ColReal(7), objs.ColReal(8), objs.ColReal(9)};
      } else if (kind == GeometryKind::kBox2d) {
        o.box2d = {objs.ColReal(3), objs.ColReal(4), objs.ColReal(7), objs.ColReal(8)};
      } else {
        o.geometry_json = objs.ColText(10);
      }
      o.attributes_json = objs.ColText(11);
      if (!objs.ColNull(12)) o.score = objs.ColReal(12);
      if (!objs.ColNull(13)) o.num_points = objs.ColInt(13);
      r.objects.push_back(std::move(o));
    }
    if (!task_frames.empty() && task_frames.back().task != r.task) GTOPS_RETURN_IF_ERROR(flush());
    if (task_frames.empty() || task_frames.back().frame != r.frame) {
      FrameLabels f;
      f.pipeline = r.pipeline;
      f.task = r.task;
      f.frame = r.frame;
      task_frames.push_back(std::move(f));
    }
    FrameLabels& f = task_frames.back();
    if (r.timestamp && (!f.timestamp || *r.timestamp < *f.timestamp)) f.timestamp = r.timestamp;
    f.records.push_back(std::move(r));
  }
  sets.Reset();
  return flush();
}

Result<int64_t> SqliteStore::BeginEvaluation(const EvaluationRunInfo& info) {
  GTOPS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  in_evaluation_ = true;
  Stmt del, ins;
  auto fail = [&](Status s) {
    AbortEvaluation();
    return s;
  };
  Status s = del.Prepare(db_,
                         "DELETE FROM outcomes WHERE evaluation_id IN (SELECT evaluation_id FROM "
                         "evaluation_runs WHERE pipeline = ?1 AND source = ?2 AND against = ?3 AND "
                         "batch = ?4)");
  if (!s.ok()) return fail(s);
  for (int pass = 0; pass < 2; ++pass) {
    del.Text(1, info.pipeline);
    del.Text(2, info.source);
    del.Text(3, info.against);
    del.Text(4, info.batch);
    auto rc = del.Step(db_);
    if (!rc.ok()) return fail(rc.status());
    del.Reset();
    if (pass == 0) {
      s = del.Prepare(db_, "DELETE FROM evaluation_runs WHERE pipeline = ?1 AND source = ?2 AND "
                           "against = ?3 AND batch = ?4");
      if (!s.ok()) return fail(s);
    }
  }
  s = ins.Prepare(db_, "INSERT INTO evaluation_runs (pipeline, source, against, batch, started_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s.ok()) return fail(s);
  ins.Text(1, info.pipeline);
  ins.Text(2, info.source);
  ins.Text(3, info.against);
  ins.Text(4, info.batch);
  std::string now = NowRfc3339();
  ins.Text(5, now);
  auto rc = ins.Step(db_);
  if (!rc.ok()) return fail(rc.status());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

// Outcomes go in by multi-row INSERTs of kOutcomeRows rows (then one row at a time for the rest),
// as objects do.
Status SqliteStore::PutOutcomes(int64_t evaluation_id, std::span<const OutcomeRow> rows) {
  constexpr int kColumns = 45;
  constexpr int kOutcomeRows = 8;
  auto prepare = [&](std::unique_ptr<Stmt>& stmt, int n) -> Status {
    if (stmt) return Status::Ok();
    std::string sql =
        "INSERT OR FAIL INTO outcomes (evaluation_id, pipeline, batch, task, frame, source, producer, "
        "vendor, annotator, spec_version, tool_version, kind, reference_id, label_id, class, "
        "label_class, tag_name, range_m, num_points, safety_weight, score, iou, center_error_m, "
        "size_error_rel, heading_error_deg, distance, missing, extra, duplicate, wrong_class, "
        "position, size, heading, heading_flip, attribute, id_switch, fragmentation, geometry, "
        "tag, errors, attributes_compared, attributes_equal, attributes_differing, attributes, "
        "scene) VALUES ";
    for (int r = 0; r < n; ++r) {
      sql += r ? ",(" : "(";
      for (int c = 1; c <= kColumns; ++c) sql += fmt::format("{}?{}", c > 1 ? "," : "", r * kColumns + c);
      sql += ")";
    }
    stmt = std::make_unique<Stmt>();
    return stmt->Prepare(db_, sql);
  };
  // Columns 27..39: one 0/1 flag per error type, in the order of the columns.
  constexpr ErrorType kFlags[] = {
      ErrorType::kMissing, ErrorType::kExtra, ErrorType::kDuplicate, ErrorType::kWrongClass,
      ErrorType::kPosition, ErrorType::kSize, ErrorType::kHeading, ErrorType::kHeadingFlip,
      ErrorType::kAttribute, ErrorType::kIdSwitch, ErrorType::kFragmentation, ErrorType::kGeometry,
      ErrorType::kTag};
  std::array<std::string, kOutcomeRows> errors;  // bound without a copy: alive until the step
  auto bind = [&](Stmt& s, int row, const OutcomeRow& o) {
    const int b = row * kColumns;
    s.Int(b + 1, evaluation_id);
    s.Text(b + 2, o.pipeline);
    s.TextOrNull(b + 3, o.batch);
    s.Text(b + 4, o.task);
    s.Text(b + 5, o.frame);
    s.Text(b + 6, o.source);
    s.Text(b + 7, o.producer);
    s.TextOrNull(b + 8, o.vendor);
    s.TextOrNull(b + 9, o.annotator);
    s.TextOrNull(b + 10, o.spec_version);
    s.TextOrNull(b + 11, o.tool_version);
    s.Text(b + 12, o.kind);
    s.TextOrNull(b + 13, o.reference_id);
    s.TextOrNull(b + 14, o.label_id);
    s.TextOrNull(b + 15, o.cls);
    s.TextOrNull(b + 16, o.label_cls);
    s.TextOrNull(b + 17, o.tag_name);
    s.Opt(b + 18, o.range_m);
    s.Opt(b + 19, o.num_points);
    s.Opt(b + 20, o.safety_weight);
    s.Opt(b + 21, o.score);
    s.Opt(b + 22, o.iou);
    s.Opt(b + 23, o.center_error_m);
    s.Opt(b + 24, o.size_error_rel);
    s.Opt(b + 25, o.heading_error_deg);
    s.Opt(b + 26, o.distance);
    for (int i = 0; i < 13; ++i) {
      const bool has = std::find(o.errors.begin(), o.errors.end(), kFlags[i]) != o.errors.end();
      s.Int(b + 27 + i, has ? 1 : 0);
    }
    std::string& text = errors[static_cast<size_t>(row)];
    text.clear();
    for (ErrorType t : o.errors) {
      if (!text.empty()) text += ',';
      text += Name(t);
    }
    s.Text(b + 40, text);
    s.Int(b + 41, o.attributes_compared);
    s.Int(b + 42, o.attributes_equal);
    s.TextOrNull(b + 43, o.attributes_differing);
    s.TextOrNull(b + 44, o.attributes_json);
    s.TextOrNull(b + 45, o.scene_json);
  };
  size_t at = 0;
  if (rows.size() >= kOutcomeRows) {
    GTOPS_RETURN_IF_ERROR(prepare(outcomes_insert_, kOutcomeRows));
    for (; at + kOutcomeRows <= rows.size(); at += kOutcomeRows) {
      Stmt& s = *outcomes_insert_;
      s.Reset();
      for (int r = 0; r < kOutcomeRows; ++r) bind(s, r, rows[at + static_cast<size_t>(r)]);
      GTOPS_STEP(s);
    }
  }
  if (at < rows.size()) GTOPS_RETURN_IF_ERROR(prepare(outcome_insert_, 1));
  for (; at < rows.size(); ++at) {
    Stmt& s = *outcome_insert_;
    s.Reset();
    bind(s, 0, rows[at]);
    GTOPS_STEP(s);
  }
  return Status::Ok();
}

Status SqliteStore::CommitEvaluation(int64_t evaluation_id, int64_t outcomes) {
  Stmt up;
  GTOPS_RETURN_IF_ERROR(up.Prepare(db_, "UPDATE evaluation_runs SET finished_at = ?1, outcomes = ?2 "
                                        "WHERE evaluation_id = ?3"));
  std::string now = NowRfc3339();
  up.Text(1, now);
  up.Int(2, outcomes);
  up.Int(3, evaluation_id);
  GTOPS_STEP(up);
  up.Reset();
  outcome_insert_.reset();
  in_evaluation_ = false;
  return Exec("COMMIT");
}

void SqliteStore::AbortEvaluation() {
  outcome_insert_.reset();
  if (in_evaluation_) (void)Exec("ROLLBACK");
  in_evaluation_ = false;
}

namespace {

constexpr std::string_view kEventColumns =
    "task, pipeline, batch, vendor, annotator, event, at_ms, due_ms, cost_usd, work_s, object_count";

// Steps `q` (selecting kEventColumns in primary-key order: task, event, at_ms) to the end, calling
// `fn` for each event, the events of a task in time order (at_ms, then the event's name: SQL's
// ORDER BY task, at_ms, event). A task's few events are sorted here: SQLite's sorter for the right
// part of that ORDER BY doubled the cost of reading the events.
Status StepEvents(sqlite3* db, Stmt& q, const std::function<Status(const Event&)>& fn) {
  std::vector<Event> task;  // the current task's events: task[0, used); reused for the next task
  size_t used = 0;
  auto flush = [&]() -> Status {
    std::sort(task.begin(), task.begin() + static_cast<std::ptrdiff_t>(used), [](const Event& a, const Event& b) {
      return a.at_epoch_ms != b.at_epoch_ms ? a.at_epoch_ms < b.at_epoch_ms : Name(a.kind) < Name(b.kind);
    });
    for (size_t i = 0; i < used; ++i) GTOPS_RETURN_IF_ERROR(fn(task[i]));
    used = 0;
    return Status::Ok();
  };
  while (true) {
    auto rc = q.Step(db);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    const std::string_view id = q.ColBytes(0);
    if (used > 0 && task[0].task != id) GTOPS_RETURN_IF_ERROR(flush());
    if (used == task.size()) task.emplace_back();
    Event& e = task[used++];
    e.task.assign(id);
    e.pipeline.assign(q.ColBytes(1));
    e.batch.assign(q.ColBytes(2));
    e.vendor.assign(q.ColBytes(3));
    e.annotator.assign(q.ColBytes(4));
    auto kind = ParseEventKind(q.ColBytes(5));
    if (!kind) return Status::StoreError(fmt::format("events: task {}: unknown event '{}'", e.task, q.ColText(5)));
    e.kind = *kind;
    e.at_epoch_ms = q.ColInt(6);
    e.due_epoch_ms = q.ColNull(7) ? std::nullopt : std::optional<int64_t>(q.ColInt(7));
    e.cost_usd = q.ColNull(8) ? std::nullopt : std::optional<double>(q.ColReal(8));
    e.work_s = q.ColNull(9) ? std::nullopt : std::optional<double>(q.ColReal(9));
    e.object_count = q.ColNull(10) ? std::nullopt : std::optional<int64_t>(q.ColInt(10));
  }
  return flush();
}

}  // namespace

Status SqliteStore::ForEachEvent(std::string_view from_task, std::string_view to_task,
                                 const std::function<Status(const Event&)>& fn) {
  Stmt q;
  // The primary key (task, event, at_ms) gives the tasks in order without a sort (and the range
  // without a scan); StepEvents orders the events within a task.
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_, fmt::format("SELECT {} FROM events WHERE task >= ?1{} ORDER BY task, event, at_ms",
                                                   kEventColumns, to_task.empty() ? "" : " AND task < ?2")));
  q.Text(1, from_task.empty() ? std::string_view("") : from_task);  // a null pointer would bind NULL
  if (!to_task.empty()) q.Text(2, to_task);
  return StepEvents(db_, q, fn);
}

Status SqliteStore::ForEachEventOfTasks(std::span<const std::string> tasks,
                                        const std::function<Status(const Event&)>& fn) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(
      q.Prepare(db_, fmt::format("SELECT {} FROM events WHERE task = ?1 ORDER BY event, at_ms", kEventColumns)));
  for (const std::string& task : tasks) {
    q.Reset();
    q.Text(1, task);
    GTOPS_RETURN_IF_ERROR(StepEvents(db_, q, fn));
  }
  return Status::Ok();
}

// Stored task timelines.

Result<std::vector<TimelineMark>> SqliteStore::TimelineMarks(std::string_view from_task, std::string_view to_task,
                                                              int64_t limit) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_, fmt::format("SELECT task, mark FROM timeline_marks WHERE task >= ?1{} ORDER BY task{}",
                                                   to_task.empty() ? "" : " AND task < ?2",
                                                   limit > 0 ? fmt::format(" LIMIT {}", limit) : "")));
  q.Text(1, from_task.empty() ? std::string_view("") : from_task);  // a null pointer would bind NULL
  if (!to_task.empty()) q.Text(2, to_task);
  std::vector<TimelineMark> out;
  while (true) {
    auto rc = q.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    out.push_back(TimelineMark{q.ColText(0), q.ColInt(1)});
  }
  return out;
}

Status SqliteStore::ForEachStoredTimeline(std::string_view from_task, std::string_view to_task,
                                          const std::function<Status(std::string_view, std::string_view)>& fn) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_, fmt::format("SELECT task, data FROM timeline_facts WHERE task >= ?1{} ORDER BY task",
                                                   to_task.empty() ? "" : " AND task < ?2")));
  q.Text(1, from_task.empty() ? std::string_view("") : from_task);  // a null pointer would bind NULL
  if (!to_task.empty()) q.Text(2, to_task);
  while (true) {
    auto rc = q.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    const std::string_view task = q.ColBytes(0);
    GTOPS_RETURN_IF_ERROR(fn(task, q.ColBytes(1)));
  }
  return Status::Ok();
}

Status SqliteStore::SaveTimelines(std::span<const StoredTimeline> rows) {
  return InTransaction([&]() -> Status {
    Stmt put, unmark;
    GTOPS_RETURN_IF_ERROR(put.Prepare(db_, "INSERT INTO timeline_facts (task, data) VALUES (?1, ?2) "
                                           "ON CONFLICT (task) DO UPDATE SET data = excluded.data"));
    GTOPS_RETURN_IF_ERROR(unmark.Prepare(db_, "DELETE FROM timeline_marks WHERE task = ?1 AND mark = ?2"));
    for (const StoredTimeline& row : rows) {
      put.Reset();
      put.Text(1, row.task);
      put.Blob(2, row.data);
      GTOPS_STEP(put);
      unmark.Reset();
      unmark.Text(1, row.task);
      unmark.Int(2, row.mark);
      GTOPS_STEP(unmark);
    }
    return Status::Ok();
  });
}

// The main job's runs and gap tables.

Result<int64_t> SqliteStore::SaveRun(const RunRecord& run, const std::vector<GapRow>& gaps) {
  int64_t run_id = 0;
  // Not inside GTOPS_RETURN_IF_ERROR: the macro's variable would shadow the lambda's (g++ -Wshadow).
  const Status written = InTransaction([&]() -> Status {
    Stmt r, g;
    GTOPS_RETURN_IF_ERROR(r.Prepare(db_,
        "INSERT INTO runs (started_at, finished_at, fingerprint, ingest_run_id, gaps, fails, "
        "inconclusive, meets, no_data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    r.Text(1, run.started_at);
    r.Text(2, run.finished_at);
    r.Text(3, run.fingerprint);
    if (run.ingest_run_id > 0) {
      r.Int(4, run.ingest_run_id);
    } else {
      r.Null(4);
    }
    r.Int(5, run.gaps);
    r.Int(6, run.fails);
    r.Int(7, run.inconclusive);
    r.Int(8, run.meets);
    r.Int(9, run.no_data);
    GTOPS_STEP(r);
    run_id = sqlite3_last_insert_rowid(db_);
    GTOPS_RETURN_IF_ERROR(g.Prepare(db_,
        "INSERT INTO gaps (run_id, ord, pipeline, metric, slice, slice_label, vendor, target, "
        "higher_is_better, value, lo, hi, gap, status, additional_audits, trend, n, clusters, method, "
        "source, target_line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "?16, ?17, ?18, ?19, ?20, ?21)"));
    int64_t ord = 0;
    for (const GapRow& row : gaps) {
      g.Reset();
      g.Int(1, run_id);
      g.Int(2, ord++);
      g.Text(3, row.pipeline);
      g.Text(4, row.metric);
      g.TextOrNull(5, row.slice_json);
      g.TextOrNull(6, row.slice_label);
      g.TextOrNull(7, row.vendor);
      g.Real(8, row.target);
      g.Int(9, row.higher_is_better ? 1 : 0);
      g.Opt(10, row.value);
      g.Opt(11, row.lo);
      g.Opt(12, row.hi);
      g.Opt(13, row.gap);
      g.Text(14, row.status);
      g.Opt(15, row.additional_audits);
      g.TextOrNull(16, row.trend);
      g.Int(17, row.n);
      g.Int(18, row.clusters);
      g.TextOrNull(19, row.method);
      g.Text(20, row.from);
      g.Int(21, row.target_line);
      GTOPS_STEP(g);
    }
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return run_id;
}

Result<std::optional<RunRecord>> SqliteStore::LatestRun(int64_t before) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT run_id, started_at, finished_at, fingerprint, coalesce(ingest_run_id, 0), gaps, fails, "
      "inconclusive, meets, no_data FROM runs WHERE ?1 = 0 OR run_id < ?1 ORDER BY run_id DESC LIMIT 1"));
  q.Int(1, before);
  auto rc = q.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc != SQLITE_ROW) return std::optional<RunRecord>();
  RunRecord r;
  r.run_id = q.ColInt(0);
  r.started_at = q.ColText(1);
  r.finished_at = q.ColText(2);
  r.fingerprint = q.ColText(3);
  r.ingest_run_id = q.ColInt(4);
  r.gaps = q.ColInt(5);
  r.fails = q.ColInt(6);
  r.inconclusive = q.ColInt(7);
  r.meets = q.ColInt(8);
  r.no_data = q.ColInt(9);
  return std::optional<RunRecord>(std::move(r));
}

Result<std::vector<GapRow>> SqliteStore::LoadGaps(int64_t run_id) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT pipeline, metric, slice, slice_label, vendor, target, higher_is_better, value, lo, hi, gap, "
      "status, additional_audits, trend, n, clusters, method, source, target_line FROM gaps "
      "WHERE run_id = ?1 ORDER BY ord"));
  q.Int(1, run_id);
  std::vector<GapRow> out;
  auto real = [&](int c) { return q.ColNull(c) ? std::optional<double>() : std::optional<double>(q.ColReal(c)); };
  while (true) {
    auto rc = q.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    GapRow g;
    g.pipeline = q.ColText(0);
    g.metric = q.ColText(1);
    g.slice_json = q.ColText(2);
    g.slice_label = q.ColText(3);
    g.vendor = q.ColText(4);
    g.target = q.ColReal(5);
    g.higher_is_better = q.ColInt(6) != 0;
    g.value = real(7);
    g.lo = real(8);
    g.hi = real(9);
    g.gap = real(10);
    g.status = q.ColText(11);
    if (!q.ColNull(12)) g.additional_audits = q.ColInt(12);
    g.trend = q.ColText(13);
    g.n = q.ColInt(14);
    g.clusters = q.ColInt(15);
    g.method = q.ColText(16);
    g.from = q.ColText(17);
    g.target_line = static_cast<int>(q.ColInt(18));
    out.push_back(std::move(g));
  }
  return out;
}

// Process-control incidents.

Status SqliteStore::ReplaceIncidents(std::string_view pipeline, const std::vector<IncidentRow>& rows,
                                     std::string_view now) {
  return InTransaction([&]() -> Status {
    Stmt mark, up, sweep;
    // Rows of this computation get last_found = now; the others of its scope are swept at the end.
    GTOPS_RETURN_IF_ERROR(up.Prepare(db_,
        "INSERT INTO incidents (pipeline, vendor, annotator, metric, direction, since_batch, since, last_batch, "
        "detectors, count_during, n_during, rate_during, count_outside, n_outside, rate_outside, evidence, "
        "first_found, last_found) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
        "?17, ?17) ON CONFLICT (pipeline, vendor, annotator, metric, direction, since_batch) DO UPDATE SET "
        "since = excluded.since, last_batch = excluded.last_batch, detectors = excluded.detectors, "
        "count_during = excluded.count_during, n_during = excluded.n_during, rate_during = excluded.rate_during, "
        "count_outside = excluded.count_outside, n_outside = excluded.n_outside, "
        "rate_outside = excluded.rate_outside, evidence = excluded.evidence, last_found = excluded.last_found"));
    for (const IncidentRow& r : rows) {
      up.Reset();
      up.Text(1, r.pipeline);
      up.Text(2, r.vendor);
      up.Text(3, r.annotator);
      up.Text(4, r.metric);
      up.Text(5, r.direction);
      up.Text(6, r.since_batch);
      up.Text(7, r.since);
      up.Text(8, r.last_batch);
      up.Text(9, r.detectors);
      up.Int(10, r.count_during);
      up.Int(11, r.n_during);
      up.Opt(12, r.rate_during);
      up.Int(13, r.count_outside);
      up.Int(14, r.n_outside);
      up.Opt(15, r.rate_outside);
      up.Text(16, r.evidence);
      up.Text(17, now);
      GTOPS_STEP(up);
    }
    GTOPS_RETURN_IF_ERROR(sweep.Prepare(db_,
        "DELETE FROM incidents WHERE last_found <> ?1 AND (?2 = '' OR pipeline = ?2)"));
    sweep.Text(1, now);
    sweep.Text(2, pipeline);
    GTOPS_STEP(sweep);
    return Status::Ok();
  });
}

Result<std::vector<IncidentRow>> SqliteStore::LoadIncidents() {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT pipeline, vendor, annotator, metric, direction, since_batch, since, last_batch, detectors, "
      "count_during, n_during, rate_during, count_outside, n_outside, rate_outside, evidence, first_found, "
      "last_found FROM incidents ORDER BY pipeline, vendor, since, metric, direction"));
  std::vector<IncidentRow> out;
  for (;;) {
    auto rc = q.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    IncidentRow r;
    r.pipeline = q.ColText(0);
    r.vendor = q.ColText(1);
    r.annotator = q.ColText(2);
    r.metric = q.ColText(3);
    r.direction = q.ColText(4);
    r.since_batch = q.ColText(5);
    r.since = q.ColText(6);
    r.last_batch = q.ColText(7);
    r.detectors = q.ColText(8);
    r.count_during = q.ColInt(9);
    r.n_during = q.ColInt(10);
    r.rate_during = q.ColOptReal(11);
    r.count_outside = q.ColInt(12);
    r.n_outside = q.ColInt(13);
    r.rate_outside = q.ColOptReal(14);
    r.evidence = q.ColText(15);
    r.first_found = q.ColText(16);
    r.last_found = q.ColText(17);
    out.push_back(std::move(r));
  }
  return out;
}

// Audit plans.

Result<bool> SqliteStore::SaveAuditPlan(const AuditPlanRow& plan, const std::vector<AuditPlanTask>& tasks,
                                        bool replace) {
  bool saved = false;
  // Not inside GTOPS_RETURN_IF_ERROR: the macro's variable would shadow the lambda's (g++ -Wshadow).
  const Status written = InTransaction([&]() -> Status {
    Stmt exists, del_plan, del_tasks, ins, task;
    GTOPS_RETURN_IF_ERROR(exists.Prepare(db_, "SELECT 1 FROM audit_plans WHERE pipeline = ?1 AND batch = ?2"));
    exists.Text(1, plan.pipeline);
    exists.Text(2, plan.batch);
    auto rc = exists.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc == SQLITE_ROW && !replace) return Status::Ok();
    GTOPS_RETURN_IF_ERROR(del_plan.Prepare(db_, "DELETE FROM audit_plans WHERE pipeline = ?1 AND batch = ?2"));
    GTOPS_RETURN_IF_ERROR(del_tasks.Prepare(db_, "DELETE FROM audit_plan_tasks WHERE pipeline = ?1 AND batch = ?2"));
    for (Stmt* d : {&del_plan, &del_tasks}) {
      d->Text(1, plan.pipeline);
      d->Text(2, plan.batch);
      GTOPS_STEP(*d);
    }
    GTOPS_RETURN_IF_ERROR(ins.Prepare(db_,
        "INSERT INTO audit_plans (pipeline, batch, kind, lot, n, c, n1, c1, r1, n2, c2, aql, ltpd, alpha, beta, "
        "budget, seed, stratify, allocation, strata, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"));
    ins.Text(1, plan.pipeline);
    ins.Text(2, plan.batch);
    ins.Text(3, plan.kind);
    ins.Int(4, plan.lot);
    ins.Int(5, plan.n);
    ins.Opt(6, plan.c);
    ins.Opt(7, plan.n1);
    ins.Opt(8, plan.c1);
    ins.Opt(9, plan.r1);
    ins.Opt(10, plan.n2);
    ins.Opt(11, plan.c2);
    ins.Opt(12, plan.aql);
    ins.Opt(13, plan.ltpd);
    ins.Opt(14, plan.alpha);
    ins.Opt(15, plan.beta);
    ins.Opt(16, plan.budget);
    ins.Int(17, plan.seed);
    ins.Text(18, plan.stratify);
    ins.Text(19, plan.allocation);
    ins.Text(20, plan.strata_json);
    ins.Text(21, plan.created_at);
    GTOPS_STEP(ins);
    GTOPS_RETURN_IF_ERROR(task.Prepare(db_,
        "INSERT INTO audit_plan_tasks (pipeline, batch, ord, task, stratum, weight) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    for (size_t i = 0; i < tasks.size(); ++i) {
      task.Reset();
      task.Text(1, plan.pipeline);
      task.Text(2, plan.batch);
      task.Int(3, static_cast<int64_t>(i));
      task.Text(4, tasks[i].task);
      task.Text(5, tasks[i].stratum);
      task.Real(6, tasks[i].weight);
      GTOPS_STEP(task);
    }
    saved = true;
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return saved;
}

Result<std::optional<AuditPlan>> SqliteStore::LoadAuditPlan(std::string_view pipeline, std::string_view batch) {
  Stmt q, t;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT kind, lot, n, c, n1, c1, r1, n2, c2, aql, ltpd, alpha, beta, budget, seed, stratify, allocation, "
      "strata, created_at FROM audit_plans WHERE pipeline = ?1 AND batch = ?2"));
  q.Text(1, pipeline);
  q.Text(2, batch);
  auto rc = q.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc != SQLITE_ROW) return std::optional<AuditPlan>();
  auto opt_int = [&q](int c) { return q.ColNull(c) ? std::nullopt : std::optional<int64_t>(q.ColInt(c)); };
  AuditPlan out;
  AuditPlanRow& p = out.plan;
  p.pipeline = std::string(pipeline);
  p.batch = std::string(batch);
  p.kind = q.ColText(0);
  p.lot = q.ColInt(1);
  p.n = q.ColInt(2);
  p.c = opt_int(3);
  p.n1 = opt_int(4);
  p.c1 = opt_int(5);
  p.r1 = opt_int(6);
  p.n2 = opt_int(7);
  p.c2 = opt_int(8);
  p.aql = q.ColOptReal(9);
  p.ltpd = q.ColOptReal(10);
  p.alpha = q.ColOptReal(11);
  p.beta = q.ColOptReal(12);
  p.budget = opt_int(13);
  p.seed = q.ColInt(14);
  p.stratify = q.ColText(15);
  p.allocation = q.ColText(16);
  p.strata_json = q.ColText(17);
  p.created_at = q.ColText(18);
  GTOPS_RETURN_IF_ERROR(t.Prepare(db_,
      "SELECT task, stratum, weight FROM audit_plan_tasks WHERE pipeline = ?1 AND batch = ?2 ORDER BY ord"));
  t.Text(1, pipeline);
  t.Text(2, batch);
  for (;;) {
    auto r = t.Step(db_);
    if (!r.ok()) return r.status();
    if (*r != SQLITE_ROW) break;
    out.tasks.push_back({t.ColText(0), t.ColText(1), t.ColReal(2)});
  }
  return std::optional<AuditPlan>(std::move(out));
}

// The automated checks' findings.

Status SqliteStore::SaveFindings(const CheckRunInfo& run, const std::vector<FindingRow>& findings) {
  return InTransaction([&]() -> Status {
    Stmt del, r, f;
    GTOPS_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM findings WHERE pipeline = ?1"));
    del.Text(1, run.pipeline);
    GTOPS_STEP(del);
    GTOPS_RETURN_IF_ERROR(r.Prepare(db_,
        "INSERT OR REPLACE INTO check_runs (pipeline, fingerprint, finished_at, frames, records, objects, "
        "findings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    r.Text(1, run.pipeline);
    r.Text(2, run.fingerprint);
    r.Text(3, run.finished_at);
    r.Int(4, run.frames);
    r.Int(5, run.records);
    r.Int(6, run.objects);
    r.Int(7, static_cast<int64_t>(findings.size()));
    GTOPS_STEP(r);
    GTOPS_RETURN_IF_ERROR(f.Prepare(db_,
        "INSERT INTO findings (pipeline, ord, task, frame, source, producer, vendor, annotator, batch, "
        "spec_version, object_id, track, class, range_m, type, severity, check_name, origin, evidence, "
        "probability, safety_weight, score, reason, geometry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"));
    int64_t ord = 0;
    for (const FindingRow& x : findings) {
      f.Reset();
      f.Text(1, run.pipeline);
      f.Int(2, ord++);
      f.Text(3, x.task);
      f.Text(4, x.frame);
      f.Text(5, x.source);
      f.TextOrNull(6, x.producer);
      f.TextOrNull(7, x.vendor);
      f.TextOrNull(8, x.annotator);
      f.TextOrNull(9, x.batch);
      f.TextOrNull(10, x.spec_version);
      f.TextOrNull(11, x.object_id);
      f.TextOrNull(12, x.track);
      f.TextOrNull(13, x.cls);
      f.Opt(14, x.range_m);
      f.Text(15, Name(x.type));
      f.Text(16, Name(x.severity));
      f.Text(17, x.check);
      f.Text(18, x.from_model ? "model" : "rule");
      f.Real(19, x.evidence);
      f.Real(20, x.probability);
      f.Real(21, x.safety_weight);
      f.Real(22, x.score);
      f.Text(23, x.reason);
      f.TextOrNull(24, x.geometry_json);
      GTOPS_STEP(f);
    }
    return Status::Ok();
  });
}

Result<std::optional<CheckRunInfo>> SqliteStore::LatestCheckRun(std::string_view pipeline) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT pipeline, fingerprint, finished_at, frames, records, objects, findings FROM check_runs "
      "WHERE pipeline = ?1"));
  q.Text(1, pipeline);
  auto rc = q.Step(db_);
  if (!rc.ok()) return rc.status();
  if (*rc != SQLITE_ROW) return std::optional<CheckRunInfo>();
  CheckRunInfo r;
  r.pipeline = q.ColText(0);
  r.fingerprint = q.ColText(1);
  r.finished_at = q.ColText(2);
  r.frames = q.ColInt(3);
  r.records = q.ColInt(4);
  r.objects = q.ColInt(5);
  r.findings = q.ColInt(6);
  return std::optional<CheckRunInfo>(std::move(r));
}

Status SqliteStore::ForEachFinding(std::string_view pipeline, const std::function<Status(const FindingRow&)>& fn) {
  Stmt q;
  GTOPS_RETURN_IF_ERROR(q.Prepare(db_,
      "SELECT pipeline, task, frame, source, producer, vendor, annotator, batch, spec_version, object_id, "
      "track, class, range_m, type, severity, check_name, origin, evidence, probability, safety_weight, "
      "score, reason, geometry FROM findings WHERE pipeline = ?1 ORDER BY ord"));
  q.Text(1, pipeline);
  FindingRow x;
  while (true) {
    auto rc = q.Step(db_);
    if (!rc.ok()) return rc.status();
    if (*rc != SQLITE_ROW) break;
    x.pipeline = q.ColText(0);
    x.task = q.ColText(1);
    x.frame = q.ColText(2);
    x.source = q.ColText(3);
    x.producer = q.ColText(4);
    x.vendor = q.ColText(5);
    x.annotator = q.ColText(6);
    x.batch = q.ColText(7);
    x.spec_version = q.ColText(8);
    x.object_id = q.ColText(9);
    x.track = q.ColText(10);
    x.cls = q.ColText(11);
    x.range_m = q.ColNull(12) ? std::nullopt : std::optional<double>(q.ColReal(12));
    auto type = ParseErrorType(q.ColText(13));
    auto severity = ParseSeverity(q.ColText(14));
    if (!type || !severity) {
      return Status::StoreError(fmt::format("findings: {} {}: unknown type or severity", x.frame, x.object_id));
    }
    x.type = *type;
    x.severity = *severity;
    x.check = q.ColText(15);
    x.from_model = q.ColText(16) == "model";
    x.evidence = q.ColReal(17);
    x.probability = q.ColReal(18);
    x.safety_weight = q.ColReal(19);
    x.score = q.ColReal(20);
    x.reason = q.ColText(21);
    x.geometry_json = q.ColText(22);
    GTOPS_RETURN_IF_ERROR(fn(x));
  }
  return Status::Ok();
}

}  // namespace

bool IsPostgresLocation(std::string_view location) {
  return location.starts_with(kPostgresPrefix1) || location.starts_with(kPostgresPrefix2);
}

int Store::SchemaVersion() { return static_cast<int>(SchemaMigrations().size()); }

Status Store::PutEvents(std::span<const EventToPut> events, std::string_view file,
                        std::span<PutResult> results) {
  if (results.size() != events.size()) return Status::Internal("PutEvents: one result per event");
  for (size_t i = 0; i < events.size(); ++i) {
    auto r = PutEvent(*events[i].event, events[i].hash, SourceLocation{file, events[i].line});
    if (!r.ok()) return r.status();
    results[i] = *r;
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  static std::once_flag configured;
  std::call_once(configured, [] {
    // No global memory statistics: they take a mutex on every allocation.
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
  const std::string& loc = options.location;
  if (IsPostgresLocation(loc)) {
    return Status::StoreError(fmt::format(
        "{}: this build of gtops has no PostgreSQL backend yet; use a SQLite store path", loc));
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (options.read_only) {
    if (!fs::exists(loc, ec)) {
      return Status::StoreError(fmt::format("{}: no store here yet: run `gtops ingest` first", loc));
    }
  } else {
    fs::path parent = fs::path(loc).parent_path();
    if (!parent.empty()) {
      fs::create_directories(parent, ec);
      if (ec) {
        return Status::StoreError(fmt::format("{}: cannot create the store's folder: {}", loc,
                                              ec.message()));
      }
    }
  }
  sqlite3* db = nullptr;
  const int flags = options.read_only ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(loc.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status::StoreError(fmt::format("{}: cannot open the store: {}", loc, msg));
  }
  auto store = std::make_unique<SqliteStore>(db, loc);
  GTOPS_RETURN_IF_ERROR(store->Init(options.read_only));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace gtops
