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

class OutcomeWriter {
 public:
  // `threaded`: write on a thread of its own (the caller then must not use `store` until Finish
  // or the destructor returns).
  OutcomeWriter(Store& store, EvaluationRunInfo info, bool threaded);
  // Without Finish: the run is rolled back.
  ~OutcomeWriter();
  OutcomeWriter(const OutcomeWriter&) = delete;
  OutcomeWriter& operator=(const OutcomeWriter&) = delete;

  // Takes one row. An error of the store (here or on the writing thread) is returned by the next
  // call after it happened; the run is then rolled back.
  Status Add(OutcomeRow row);
  // Writes what is left and commits the run with its count of outcomes.
  Status Finish(int64_t outcomes);

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

}  // namespace gtops
