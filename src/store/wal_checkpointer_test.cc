// WAL checkpoints off the writing thread: the background thread checkpoints, the log stays
// bounded, and the database is whole.
#include "store/wal_checkpointer.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace gtops {
namespace {

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gtops-wal-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/w.db";
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                              nullptr),
              SQLITE_OK);
    Exec("PRAGMA page_size = 4096");
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = NORMAL");
    Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)");
  }
  void TearDown() override {
    sqlite3_close_v2(db_);
    std::filesystem::remove_all(dir_);
  }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  // `commits` transactions of 20 rows of 1 kB each (about 5 pages each).
  void Write(int commits) {
    const std::string value(1000, 'x');
    for (int c = 0; c < commits; ++c) {
      Exec("BEGIN IMMEDIATE");
      for (int i = 0; i < 20; ++i) Exec("INSERT INTO t (v) VALUES ('" + value + "')");
      Exec("COMMIT");
    }
  }
  int64_t Count() {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT count(*) FROM t", -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
  }
  std::string IntegrityCheck() {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, "PRAGMA integrity_check", -1, &s, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(s), SQLITE_ROW);
    std::string out(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    return out;
  }

  std::string dir_, path_;
  sqlite3* db_ = nullptr;
};

TEST_F(WalCheckpointerTest, CheckpointsInTheBackgroundAndKeepsTheLogBounded) {
  {
    WalCheckpointer checkpointer(db_, path_, WalCheckpointer::Options{50, 400});
    Write(400);  // ~2,000 pages of log without checkpoints
    // Commits past the soft limit woke the thread; past the hard limit the writer checkpointed.
    EXPECT_GT(checkpointer.background_checkpoints() + checkpointer.writer_checkpoints(), 0);
  }
  // The log restarts after a complete checkpoint: it never held all 2,000 pages at once.
  const auto wal = std::filesystem::file_size(path_ + "-wal");
  EXPECT_LT(wal, 600u * 4096u) << wal;
  EXPECT_EQ(Count(), 400 * 20);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

TEST_F(WalCheckpointerTest, TheBackgroundThreadAloneKeepsTheLogBounded) {
  // A hard limit the writer never reaches: the log stays short only if the background thread's
  // checkpoints copy frames (a connection that has not opened the log yet copies none).
  {
    WalCheckpointer checkpointer(db_, path_, WalCheckpointer::Options{50, 1 << 30});
    for (int round = 0; round < 40; ++round) {
      Write(10);  // ~60 pages: past the soft limit, so the thread is woken
      // Let the thread copy the round (bounded, for loaded sanitizer runs): the next round's first
      // commit then starts the log over.
      EXPECT_TRUE(checkpointer.WaitIdle(std::chrono::seconds(5)));
    }
    EXPECT_EQ(checkpointer.writer_checkpoints(), 0);
    EXPECT_GT(checkpointer.background_frames(), 0);
  }
  // A round is about 60 pages; without the thread's copies the log would hold all 2,000.
  EXPECT_LT(std::filesystem::file_size(path_ + "-wal"), 300u * 4096u);
  EXPECT_EQ(Count(), 400 * 20);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

TEST_F(WalCheckpointerTest, WithoutTheThreadTheWriterCheckpointsAtTheHardLimit) {
  // A soft limit above the hard one: every checkpoint is the writer's, as SQLite's own would be.
  WalCheckpointer checkpointer(db_, path_, WalCheckpointer::Options{1 << 30, 100});
  Write(100);
  EXPECT_EQ(checkpointer.background_checkpoints(), 0);
  EXPECT_GT(checkpointer.writer_checkpoints(), 0);
  EXPECT_LT(std::filesystem::file_size(path_ + "-wal"), 200u * 4096u);
  EXPECT_EQ(Count(), 100 * 20);
}

}  // namespace
}  // namespace gtops
