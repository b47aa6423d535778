// Checkpoints of a SQLite store's write-ahead log, off the writing thread.
//
// In WAL mode every committed page is written twice: appended to the log at commit, and copied
// into the database file by a checkpoint. SQLite's default runs that checkpoint inside the commit
// that grows the log past 1,000 pages, so the thread that writes also reads the log back, writes
// the database file and waits for its fsync. The WalCheckpointer takes that over: the writer's
// connection stops checkpointing, and its commit hook wakes a thread that runs PASSIVE checkpoints
// on a connection of its own while the writer goes on. A passive checkpoint copies only committed
// frames and never blocks the writer; SQLite's own locking keeps both connections consistent, and
// a crash at any point leaves a store that recovers like any WAL database.
//
// The log is bounded: when it reaches `hard_limit_frames` (the background thread has fallen
// behind, or a reader holds an old snapshot), the commit checkpoints on the writer's own thread as
// SQLite would, and the next write transaction starts the log over. Checkpoints never overlap: the
// writer waits for a background checkpoint in progress to end (two at once would make one of them
// return SQLITE_BUSY having copied nothing, and the log would grow past the bound).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace gtops {

class WalCheckpointer {
 public:
  struct Options {
    int soft_limit_frames = 1000;    // wake the background thread (SQLite's default threshold)
    int hard_limit_frames = 65536;   // checkpoint on the writer's thread (512 MiB of 8 KiB pages)
  };

  // Installs the commit hook on `writer` (a connection in WAL mode opened on `path`). The thread
  // and its connection start at the first commit that needs a checkpoint.
  WalCheckpointer(sqlite3* writer, std::string path, Options options);
  // Stops the thread and closes its connection; the writer's connection stays open (closing it
  // last checkpoints what is left, as SQLite always does).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run so far by the background thread and by the writer's thread (for tests and
  // diagnostics).
  int64_t background_checkpoints() const;
  int64_t writer_checkpoints() const;
  // The sum over the background checkpoints of the log frames each reported as checkpointed
  // (SQLite counts those since the log last started over, so a frame may be counted more than
  // once): zero means the thread never copied anything (for tests and diagnostics).
  int64_t background_frames() const;
  // Waits (at most `timeout`) until the background thread has nothing pending and is not
  // checkpointing; true if it is idle (for tests).
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames);
  int Committed(sqlite3* db, const char* schema, int frames);
  bool StartThread();
  void Loop();

  sqlite3* writer_;
  std::string path_;
  Options options_;
  sqlite3* own_ = nullptr;  // the background thread's connection
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool running_ = false;  // a checkpoint (the thread's or the writer's) is copying frames
  bool stop_ = false;
  bool failed_ = false;  // the thread could not start: checkpoint on the writer's thread
  int64_t background_checkpoints_ = 0;
  int64_t writer_checkpoints_ = 0;
  int64_t background_frames_ = 0;
};

}  // namespace gtops
