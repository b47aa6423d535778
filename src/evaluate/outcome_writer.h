// Writes the outcome rows of one evaluation run to the store, overlapping the comparison.
//
// Writing the outcomes table (one row per reference object and per unpaired label, ~45 columns)
// costs about as much as reading and comparing the frames. The writer takes the rows in batches
// and writes them on a thread of its own, which owns `store`'s connection for the run: it begins
// the evaluation (removing the rows of the earlier run), inserts every row and commits, in one
// transaction as before. Meanwhile the caller reads the frames through a second, read-only
// connection (WAL readers do not wait for the writer). When no second connection can be opened
// (an in-memory store), the rows are written on the caller's thread as they come.
//
// At most kMaxQueued batches wait: memory stays bounded whatever the run's size.
//
// OutcomeQueue does the same for several evaluations that run at the same time (gtops run
// measures two pipelines at once): one thread owns the write connection and writes the runs one
// after the other, each in its own transaction, in the order they were opened. The rows of the run
// being written wait in at most kMaxQueued batches, as above; the rows of a run opened later wait
// in memory until the runs before it are committed, packed (about 150 bytes per row: the fields of
// the compared record are kept once per run of rows that share them).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace gtops {

// Where an evaluation's outcome rows go: Add each row, then Finish with the count (without
// Finish: the run is rolled back).
class OutcomeSink {
 public:
  virtual ~OutcomeSink() = default;
  // An error of the store is returned by the next call after it happened.
  virtual Status Add(OutcomeRow row) = 0;
  virtual Status Finish(int64_t outcomes) = 0;
};

class OutcomeWriter final : public OutcomeSink {
 public:
  // `threaded`: write on a thread of its own (the caller then must not use `store` until Finish
  // or the destructor returns).
  OutcomeWriter(Store& store, EvaluationRunInfo info, bool threaded);
  // Without Finish: the run is rolled back.
  ~OutcomeWriter() override;
  OutcomeWriter(const OutcomeWriter&) = delete;
  OutcomeWriter& operator=(const OutcomeWriter&) = delete;

  // Takes one row. An error of the store (here or on the writing thread) is returned by the next
  // call after it happened; the run is then rolled back.
  Status Add(OutcomeRow row) override;
  // Writes what is left and commits the run with its count of outcomes.
  Status Finish(int64_t outcomes) override;

 private:
  static constexpr size_t kBatchRows = 2048;
  static constexpr size_t kMaxQueued = 4;

  Status WriteBatch(std::vector<OutcomeRow>& rows);  // on the writing thread (or the caller's)
  Status Begin();
  void Loop();
  Status Error();

  Store& store_;
  EvaluationRunInfo info_;
  int64_t evaluation_id_ = 0;
  bool begun_ = false;
  bool finished_ = false;
  std::vector<OutcomeRow> filling_;
  // Shared with the writing thread.
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::vector<OutcomeRow>> queue_;
  bool closing_ = false;
  bool commit_ = false;
  int64_t outcomes_ = 0;
  Status error_;
  std::thread thread_;
};

// The evaluation runs of several threads through one connection, written in the order they were
// opened. Thread-safe; `store` is used by the queue's thread only, until the destructor returns.
class OutcomeQueue {
 public:
  explicit OutcomeQueue(Store& store);
  ~OutcomeQueue();  // Close
  OutcomeQueue(const OutcomeQueue&) = delete;
  OutcomeQueue& operator=(const OutcomeQueue&) = delete;

  // A new run, written after every run opened before it. Its sink's Finish returns at once (with
  // the errors so far): the run is committed when the runs before it are.
  std::unique_ptr<OutcomeSink> Open(EvaluationRunInfo info);
  // Waits until every finished run is committed (a run whose sink went away without Finish is
  // rolled back) and returns the first error of a finished run. Every sink must be finished or
  // destroyed first.
  Status Close();

 private:
  struct Run;
  class Sink;
  static constexpr size_t kBatchRows = 2048;
  static constexpr size_t kMaxQueued = 4;

  void Loop();
  Status Begin(Run& run);  // on the writing thread; once per run

  Store& store_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Run>> runs_;  // the front one is being written
  bool closing_ = false;
  Status error_;                  // the first failed run's
  std::vector<OutcomeRow> rows_;  // the writing thread's unpacked batch (its strings reused)
  std::thread thread_;
};

}  // namespace gtops
