#include "store/wal_checkpointer.h"

#include <utility>

namespace gtops {

WalCheckpointer::WalCheckpointer(sqlite3* writer, std::string path, Options options)
    : writer_(writer), path_(std::move(path)), options_(options) {
  // Replaces SQLite's automatic checkpoint, which is itself a commit hook.
  sqlite3_wal_hook(writer_, &WalCheckpointer::OnCommit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (own_ != nullptr) sqlite3_close_v2(own_);
}

int64_t WalCheckpointer::background_checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return background_checkpoints_;
}

int64_t WalCheckpointer::background_frames() const {
  std::lock_guard<std::mutex> lock(mu_);
  return background_frames_;
}

bool WalCheckpointer::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return wake_.wait_for(lock, timeout, [this] { return !pending_ && !running_; });
}

int64_t WalCheckpointer::writer_checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writer_checkpoints_;
}

int WalCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema, int frames) {
  return static_cast<WalCheckpointer*>(self)->Committed(db, schema, frames);
}

int WalCheckpointer::Committed(sqlite3* db, const char* schema, int frames) {
  bool on_writer = frames >= options_.hard_limit_frames;
  if (!on_writer && frames < options_.soft_limit_frames) return SQLITE_OK;
  if (!on_writer) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_ && !thread_.joinable() && !StartThread()) failed_ = true;
    if (failed_) {
      on_writer = true;
    } else {
      pending_ = true;
    }
  }
  if (on_writer) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return !running_; });
      running_ = true;
    }
    // A commit's result does not depend on its checkpoint: a failure just leaves the log for later.
    (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      ++writer_checkpoints_;
    }
    wake_.notify_all();
  } else {
    wake_.notify_all();
  }
  return SQLITE_OK;
}

bool WalCheckpointer::StartThread() {
  // A fresh connection does not know the database is in WAL mode until it has read the header:
  // before that, sqlite3_wal_checkpoint_v2 returns SQLITE_OK and does nothing (log and checkpoint
  // counts -1). One read of the schema opens the log.
  if (sqlite3_open_v2(path_.c_str(), &own_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK ||
      sqlite3_exec(own_, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(own_);
    own_ = nullptr;
    return false;
  }
  thread_ = std::thread([this] { Loop(); });
  return true;
}

void WalCheckpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return (pending_ && !running_) || stop_; });
    if (stop_) return;
    pending_ = false;
    running_ = true;
    lock.unlock();
    int log_frames = -1;
    int copied_frames = -1;
    (void)sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied_frames);
    lock.lock();
    running_ = false;
    ++background_checkpoints_;
    if (copied_frames > 0) background_frames_ += copied_frames;
    wake_.notify_all();
  }
}

}  // namespace gtops
