// The SQLite store: schema versions, identity-keyed writes, transactions, read-only queries.
#include "store/store.h"
#include "store/schema.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gtops {
namespace {

// prefix + i, built by appending (GCC 12 warns falsely, -Wrestrict, on "t" + std::to_string(i)).
template <typename Int>
std::string Numbered(std::string prefix, Int i) {
  prefix += std::to_string(i);
  return prefix;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/gtops.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open(bool read_only = false) {
    auto s = OpenStore(StoreOptions{path_, read_only});
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  int64_t Scalar(Store& store, const std::string& sql) {
    auto q = store.QueryReadOnly(sql);
    EXPECT_TRUE(q.ok()) << q.status().message();
    return q.ok() && !q->rows.empty() && q->rows[0][0] ? std::stoll(*q->rows[0][0]) : -1;
  }

  static LabelRecord Labels(const std::string& frame, int objects) {
    LabelRecord r;
    r.pipeline = "lidar";
    r.frame = frame;
    r.task = "t1";
    r.batch = "b1";
    r.source = Source::kVendor;
    r.vendor = "acme";
    r.annotator = "a1";
    for (int i = 0; i < objects; ++i) {
      Object o;
      o.id = Numbered("o", i);
      o.cls = "car";
      o.kind = GeometryKind::kBox3d;
      o.box3d = Box3d{3.0 + i, 4.0, 0.8, 4.5, 1.9, 1.6, 0.1};
      r.objects.push_back(o);
    }
    return r;
  }

  std::string dir_, path_;
};

TEST_F(StoreTest, NewStoreHasCurrentSchemaVersion) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(Scalar(*store, "PRAGMA user_version"), Store::SchemaVersion());
  EXPECT_EQ(Scalar(*store, "PRAGMA page_size"), 8192);  // set before WAL mode froze it
}

// Schema version 10: no CHECK constraint lists three or more values, since SQLite builds a
// temporary table of such a list for every row it writes. The constraints still hold.
TEST_F(StoreTest, CheckConstraintsAreComparisonsNotValueLists) {
  { auto store = Open(); }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  auto scalar = [&](const std::string& sql) -> std::string {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  };
  // Only two-value lists are left (SQLite compares those directly).
  sqlite3_stmt* tables = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_schema WHERE type = 'table'", -1, &tables, nullptr),
            SQLITE_OK);
  while (sqlite3_step(tables) == SQLITE_ROW) {
    const std::string name(reinterpret_cast<const char*>(sqlite3_column_text(tables, 0)));
    const std::string sql(reinterpret_cast<const char*>(sqlite3_column_text(tables, 1)));
    for (size_t at = sql.find("IN ("); at != std::string::npos; at = sql.find("IN (", at + 1)) {
      const size_t end = sql.find(')', at);
      const auto commas = std::count(sql.begin() + static_cast<std::ptrdiff_t>(at),
                                     sql.begin() + static_cast<std::ptrdiff_t>(end), ',');
      EXPECT_LE(commas, 1) << name << ": " << sql.substr(at, end - at + 1);
    }
  }
  sqlite3_finalize(tables);
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%source = ''vendor'' OR source = ''gold''%'"),
            "1");
  // The insert programs open no temporary table.
  for (const char* insert :
       {"INSERT INTO label_sets (pipeline, frame, source, producer, task, object_count, content_hash, file_id, "
        "line, run_id) VALUES ('p', 'f', 'vendor', 'a', 't', 0, 0, 0, 0, 0)",
        "INSERT INTO outcomes (evaluation_id, pipeline, task, frame, source, producer, kind, errors) "
        "VALUES (1, 'p', 't', 'f', 'vendor', 'a', 'paired', '')"}) {
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, (std::string("EXPLAIN ") + insert).c_str(), -1, &s, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    int ephemeral = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      ephemeral += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 1))) == "OpenEphemeral";
    }
    sqlite3_finalize(s);
    EXPECT_EQ(ephemeral, 0) << insert;
  }
  // The constraints hold.
  EXPECT_EQ(sqlite3_exec(db,
                         "INSERT INTO label_sets (pipeline, frame, source, producer, task, object_count, "
                         "content_hash, file_id, line, run_id) VALUES ('p', 'f', 'bogus', 'a', 't', 0, 0, 0, 0, 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(sqlite3_exec(db,
                         "INSERT INTO label_sets (pipeline, frame, source, producer, task, object_count, "
                         "content_hash, file_id, line, run_id) VALUES ('p', 'f', 'gold', 'a', 't', 0, 0, 0, 0, 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(scalar("PRAGMA integrity_check"), "ok");
  sqlite3_close(db);
}

TEST_F(StoreTest, NewerSchemaVersionIsRefusedWithClearMessage) {
  { auto store = Open(); }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore(StoreOptions{path_, false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kStoreError);
  EXPECT_NE(s.status().message().find("schema version 99, newer than this gtops"), std::string::npos)
      << s.status().message();
}

TEST_F(StoreTest, OlderStoreIsMigratedForwardKeepingItsData) {
  // A store written by a build that knew only schema version 1.
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string v1(SchemaMigrations()[0]);
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO vendors (vendor) VALUES ('acme'); PRAGMA user_version = 1",
                         nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  // A read-only open does not migrate: it says what to do.
  auto ro = OpenStore(StoreOptions{path_, true});
  if (Store::SchemaVersion() > 1) {
    ASSERT_FALSE(ro.ok());
    EXPECT_NE(ro.status().message().find("run `gtops ingest` to migrate"), std::string::npos);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(Scalar(*store, "PRAGMA user_version"), Store::SchemaVersion());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM vendors WHERE vendor = 'acme'"), 1);
}

TEST_F(StoreTest, ForeignSqliteDatabaseIsRefused) {
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = OpenStore(StoreOptions{path_, false});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a gtops store"), std::string::npos);
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingStoreSaysToIngest) {
  auto s = OpenStore(StoreOptions{path_, true});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("run `gtops ingest` first"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(StoreTest, PostgresUrlIsReportedNotSilentlyOpenedAsFile) {
  auto s = OpenStore(StoreOptions{"postgresql://localhost/gtops", false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kStoreError);
}

TEST_F(StoreTest, SameIdentitySameContentIsUnchangedDifferentContentReplaces) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  auto first = store->PutLabels(Labels("f1", 3), 111, {"a.jsonl", 1});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, PutResult::kInserted);
  auto again = store->PutLabels(Labels("f1", 3), 111, {"a.jsonl", 2});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, PutResult::kUnchanged);
  // A corrected record (other content, same identity) replaces the old one and its objects.
  auto corrected = store->PutLabels(Labels("f1", 2), 222, {"a.jsonl", 3});
  ASSERT_TRUE(corrected.ok());
  EXPECT_EQ(*corrected, PutResult::kReplaced);
  ASSERT_TRUE(store->CommitFile(FileState{"a.jsonl", 10, 20}, FileTotals{3, 3, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM label_sets"), 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects"), 2);
  EXPECT_EQ(Scalar(*store, "SELECT object_count FROM label_sets"), 2);
  EXPECT_EQ(Scalar(*store, "SELECT line FROM label_sets"), 3);
}

TEST_F(StoreTest, OtherAnnotatorOfSameFrameIsAnotherLabelSet) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  LabelRecord b = Labels("f1", 1);
  b.annotator = "a2";
  ASSERT_TRUE(store->PutLabels(Labels("f1", 1), 1, {"a.jsonl", 1}).ok());
  ASSERT_TRUE(store->PutLabels(b, 1, {"a.jsonl", 2}).ok());
  ASSERT_TRUE(store->CommitFile(FileState{"a.jsonl", 1, 1}, FileTotals{2, 2, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM label_sets"), 2);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM frames"), 1);
}

TEST_F(StoreTest, AbortedFileLeavesNothingBehind) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  ASSERT_TRUE(store->PutLabels(Labels("f1", 4), 1, {"a.jsonl", 1}).ok());
  ASSERT_TRUE(store->PutQuarantine({"a.jsonl", 2}, "bad", "{").ok());
  store->AbortFile();
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM label_sets"), 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects"), 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM quarantine"), 0);
  auto state = store->GetFileState("a.jsonl");
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
}

// New label sets are appended with NULL keys (SQLite's largest key + 1); a replaced one, in the
// middle of the table, with explicit keys. Either way every object sits at label_set_id * 2^20 +
// ord, in order, whatever the row counts of the multi-row inserts (32, 8, 1) and the geometries.
TEST_F(StoreTest, ObjectKeysOfAppendedAndReplacedLabelSets) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto mixed = [](const std::string& frame, int objects) {
    LabelRecord r = Labels(frame, objects);
    for (size_t i = 0; i < r.objects.size(); i += 5) {  // a shape change in the middle of a run
      r.objects[i].kind = GeometryKind::kPolyline;
      r.objects[i].geometry_json = "[[0,0],[1,1]]";
    }
    return r;
  };
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  ASSERT_TRUE(store->PutLabels(Labels("f1", 45), 1, {"a.jsonl", 1}).ok());
  ASSERT_TRUE(store->PutLabels(mixed("f2", 41), 2, {"a.jsonl", 2}).ok());
  ASSERT_TRUE(store->PutLabels(Labels("f3", 0), 3, {"a.jsonl", 3}).ok());
  ASSERT_TRUE(store->CommitFile(FileState{"a.jsonl", 1, 1}, FileTotals{3, 3, 0}).ok());
  ASSERT_TRUE(store->BeginFile("b.jsonl", 1).ok());
  auto replaced = store->PutLabels(mixed("f1", 70), 4, {"b.jsonl", 1});  // the first label set
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(*replaced, PutResult::kReplaced);
  ASSERT_TRUE(store->PutLabels(Labels("f4", 9), 5, {"b.jsonl", 2}).ok());
  ASSERT_TRUE(store->CommitFile(FileState{"b.jsonl", 1, 1}, FileTotals{2, 2, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects"), 70 + 41 + 9);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects WHERE object_key != label_set_id * 1048576 + ord"), 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM label_sets s WHERE object_count != (SELECT count(*) "
                           "FROM objects o WHERE o.label_set_id = s.label_set_id AND o.ord < s.object_count)"),
            0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects WHERE object_id != 'o' || ord"), 0);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM object_labels WHERE frame = 'f1' AND geometry IS NOT NULL"), 14);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM objects WHERE geometry IS NULL AND x IS NULL"), 0);
}

// The store skips context upserts it knows to change nothing; what a rolled-back file wrote is not
// known, and a later record still fills a task's or batch's missing batch and vendor.
TEST_F(StoreTest, ContextRowsAfterRollbackAndLaterFills) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  ASSERT_TRUE(store->PutLabels(Labels("f1", 1), 1, {"a.jsonl", 1}).ok());
  store->AbortFile();
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM tasks"), 0);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  LabelRecord bare = Labels("f1", 1);
  bare.batch.clear();
  bare.vendor.clear();
  bare.source = Source::kGold;
  bare.annotator.clear();
  ASSERT_TRUE(store->PutLabels(bare, 1, {"a.jsonl", 1}).ok());
  ASSERT_TRUE(store->CommitFile(FileState{"a.jsonl", 1, 1}, FileTotals{1, 1, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM tasks WHERE task = 't1' AND batch IS NULL AND vendor IS NULL"), 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM batches"), 0);
  ASSERT_TRUE(store->BeginFile("b.jsonl", 1).ok());
  LabelRecord batch_only = Labels("f2", 1);
  batch_only.vendor.clear();
  ASSERT_TRUE(store->PutLabels(batch_only, 2, {"b.jsonl", 1}).ok());
  ASSERT_TRUE(store->PutLabels(Labels("f3", 1), 3, {"b.jsonl", 2}).ok());
  ASSERT_TRUE(store->CommitFile(FileState{"b.jsonl", 1, 1}, FileTotals{2, 2, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM tasks WHERE task = 't1' AND batch = 'b1' AND vendor = 'acme'"), 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM batches WHERE batch = 'b1' AND vendor = 'acme'"), 1);
}

TEST_F(StoreTest, EventIdentityIsTaskEventAndInstant) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("e.jsonl", 1).ok());
  Event e;
  e.task = "t1";
  e.pipeline = "lidar";
  e.kind = EventKind::kSubmitted;
  e.at = "2026-11-01T10:00:00Z";
  e.at_epoch_ms = 1793527200000;
  auto a = store->PutEvent(e, 5, {"e.jsonl", 1});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, PutResult::kInserted);
  e.at = "2026-11-01T12:00:00+02:00";  // the same instant written differently
  e.cost_usd = 4.2;
  auto b = store->PutEvent(e, 6, {"e.jsonl", 2});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, PutResult::kReplaced);
  ASSERT_TRUE(store->CommitFile(FileState{"e.jsonl", 1, 1}, FileTotals{2, 2, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM events"), 1);
}

// PutEvents writes several events per statement: the results and the stored rows are those of
// PutEvent called for each in order, with keys already stored, keys repeated inside one call,
// more events than one statement holds, and the same file read twice in one ingest run.
TEST_F(StoreTest, PutEventsEqualsPutEventOneByOne) {
  auto event = [](const std::string& task, EventKind kind, int64_t minute) {
    Event e;
    e.task = task;
    e.pipeline = "lidar";
    e.batch = "b1";
    e.kind = kind;
    e.at_epoch_ms = 1793527200000 + minute * 60000;
    e.at = std::to_string(minute);
    return e;
  };
  // (event, hash): the first file, then a second file with new, identical, corrected and
  // repeated keys.
  std::vector<std::pair<Event, uint64_t>> first, second;
  for (int i = 0; i < 40; ++i) first.emplace_back(event(Numbered("t", i / 4), EventKind::kSubmitted, i), 100 + i);
  second.emplace_back(event("t0", EventKind::kSubmitted, 0), 100);     // identical
  second.emplace_back(event("t0", EventKind::kSubmitted, 1), 999);     // corrected
  second.emplace_back(event("t20", EventKind::kAccepted, 5), 7);       // new
  second.emplace_back(event("t20", EventKind::kAccepted, 5), 7);       // the new one again
  second.emplace_back(event("t20", EventKind::kAccepted, 5), 8);       // and corrected
  second.emplace_back(event("t1", EventKind::kSubmitted, 4), 104);     // identical
  second.emplace_back(event("t21", EventKind::kCreated, 1), 9);        // new
  second.emplace_back(event("t0", EventKind::kSubmitted, 1), 1000);    // corrected again
  const std::vector<std::pair<Event, uint64_t>> third = {{event("t30", EventKind::kCreated, 1), 31},
                                                          {event("t0", EventKind::kSubmitted, 0), 100}};
  auto write = [&](Store& store, bool batched, int64_t run, const std::string& file,
                   const std::vector<std::pair<Event, uint64_t>>& events) {
    std::vector<PutResult> results(events.size(), PutResult::kUnchanged);
    EXPECT_TRUE(store.BeginFile(file, run).ok());
    if (batched) {
      std::vector<EventToPut> puts;
      for (size_t i = 0; i < events.size(); ++i) {
        puts.push_back(EventToPut{&events[i].first, events[i].second, static_cast<int64_t>(i + 1)});
      }
      EXPECT_TRUE(store.PutEvents(puts, file, results).ok());
    } else {
      for (size_t i = 0; i < events.size(); ++i) {
        auto r = store.PutEvent(events[i].first, events[i].second, {file, static_cast<int64_t>(i + 1)});
        EXPECT_TRUE(r.ok());
        if (r.ok()) results[i] = *r;
      }
    }
    EXPECT_TRUE(store.CommitFile(FileState{file, 1, 1}, FileTotals{}).ok());
    return results;
  };
  auto rows = [&](Store& store) {
    auto q = store.QueryReadOnly(
        "SELECT task, event, at_ms, at, content_hash, file_id, line, run_id FROM events ORDER BY 1, 2, 3");
    EXPECT_TRUE(q.ok());
    std::vector<std::string> out;
    for (const auto& row : q->rows) {
      std::string line;
      for (const auto& cell : row) line += (cell ? *cell : "NULL") + "|";
      out.push_back(line);
    }
    auto marks = store.QueryReadOnly("SELECT task FROM timeline_marks ORDER BY mark");
    EXPECT_TRUE(marks.ok());
    for (const auto& row : marks->rows) out.push_back("mark " + row[0].value_or(""));
    return out;
  };
  std::vector<std::vector<PutResult>> results[2];
  std::vector<std::string> stored[2];
  for (int batched = 0; batched < 2; ++batched) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = Open();
    ASSERT_TRUE(store);
    results[batched].push_back(write(*store, batched, 1, "e1.jsonl", first));
    results[batched].push_back(write(*store, batched, 2, "e2.jsonl", second));
    // The same file twice in one run: the second read finds rows with its own run, file and line.
    results[batched].push_back(write(*store, batched, 3, "e3.jsonl", third));
    results[batched].push_back(write(*store, batched, 3, "e3.jsonl", third));
    stored[batched] = rows(*store);
  }
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(stored[1], stored[0]);
  EXPECT_EQ(results[0][0], std::vector<PutResult>(first.size(), PutResult::kInserted));
  const std::vector<PutResult> second_results = {
      PutResult::kUnchanged, PutResult::kReplaced, PutResult::kInserted, PutResult::kUnchanged,
      PutResult::kReplaced,  PutResult::kUnchanged, PutResult::kInserted, PutResult::kReplaced};
  EXPECT_EQ(results[1][1], second_results);
  EXPECT_EQ(results[1][2], (std::vector<PutResult>{PutResult::kInserted, PutResult::kUnchanged}));
  EXPECT_EQ(results[1][3], (std::vector<PutResult>{PutResult::kUnchanged, PutResult::kUnchanged}));
  EXPECT_EQ(std::count_if(stored[1].begin(), stored[1].end(), [](const std::string& r) { return !r.starts_with("mark"); }),
            40 + 3);
}

TEST_F(StoreTest, AuditReplacementReplacesItsErrors) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->BeginFile("a.jsonl", 1).ok());
  Audit au;
  au.task = "t1";
  au.pipeline = "lidar";
  au.auditor = "qa1";
  au.at = "2026-11-01T10:00:00Z";
  au.at_epoch_ms = 1;
  au.errors.resize(3);
  ASSERT_TRUE(store->PutAudit(au, 1, {"a.jsonl", 1}).ok());
  au.errors.resize(1);
  auto r = store->PutAudit(au, 2, {"a.jsonl", 2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, PutResult::kReplaced);
  ASSERT_TRUE(store->CommitFile(FileState{"a.jsonl", 1, 1}, FileTotals{2, 2, 0}).ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM audits"), 1);
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM audit_errors"), 1);
}

TEST_F(StoreTest, SqlIsReadOnly) {
  { auto store = Open(); }
  auto store = Open(/*read_only=*/true);
  ASSERT_TRUE(store);
  for (const char* sql : {"DELETE FROM label_sets", "INSERT INTO vendors (vendor) VALUES ('x')",
                          "DROP TABLE objects", "CREATE TABLE x (y)", "PRAGMA user_version = 5"}) {
    auto q = store->QueryReadOnly(sql);
    ASSERT_FALSE(q.ok()) << sql;
    EXPECT_EQ(q.status().code(), StatusCode::kUsage);
    EXPECT_NE(q.status().message().find("read-only"), std::string::npos) << q.status().message();
  }
  auto two = store->QueryReadOnly("SELECT 1; SELECT 2");
  ASSERT_FALSE(two.ok());
  auto ok = store->QueryReadOnly("SELECT count(*) AS n FROM objects");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->columns[0], "n");
  EXPECT_EQ(Scalar(*store, "PRAGMA user_version"), Store::SchemaVersion());
}

TEST_F(StoreTest, ForEachRowStreamsTypedCellsAndIsReadOnly) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<std::string> seen;
  Status s = store->ForEachRow(
      "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 3) "
      "SELECT 'a' || value, value * 1.5, value, NULL, '2.25x' FROM n",
      [&](const QueryRow& row) -> Status {
        seen.push_back(std::string(row.Text(0)));
        EXPECT_DOUBLE_EQ(*row.Number(1), 1.5 * static_cast<double>(row.Int(2)));
        EXPECT_TRUE(row.Null(3));
        EXPECT_EQ(row.Text(3), "");
        EXPECT_FALSE(row.Number(3).has_value());
        EXPECT_EQ(row.Int(3), 0);
        EXPECT_DOUBLE_EQ(*row.Number(4), 2.25);  // as strtod reads the text
        EXPECT_FALSE(row.Number(0).has_value());
        return Status::Ok();
      });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2", "a3"}));
  // The callback's error stops the scan and comes back.
  int calls = 0;
  s = store->ForEachRow("WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 10) SELECT v FROM n",
                        [&](const QueryRow&) -> Status { return ++calls == 2 ? Status::NotFound("stop") : Status::Ok(); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(calls, 2);
  // Writes are refused as by QueryReadOnly.
  s = store->ForEachRow("DELETE FROM label_sets", [](const QueryRow&) { return Status::Ok(); });
  EXPECT_EQ(s.code(), StatusCode::kUsage);
}

TEST_F(StoreTest, InterruptedRunIsMarkedByTheNextRun) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto run1 = store->BeginIngestRun();
  ASSERT_TRUE(run1.ok());
  // The process "dies": the run is never finished.
  auto run2 = store->BeginIngestRun();
  ASSERT_TRUE(run2.ok());
  EXPECT_EQ(Scalar(*store, "SELECT count(*) FROM ingest_runs WHERE status = 'interrupted'"), 1);
}

}  // namespace
}  // namespace gtops
