#include "evaluate/outcome_writer.h"

#include <utility>

namespace gtops {

OutcomeWriter::OutcomeWriter(Store& store, EvaluationRunInfo info, bool threaded)
    : store_(store), info_(std::move(info)) {
  filling_.reserve(kBatchRows);
  if (threaded) thread_ = std::thread([this] { Loop(); });
}

OutcomeWriter::~OutcomeWriter() {
  if (finished_) return;
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;  // without commit_: the thread rolls back
    }
    changed_.notify_all();
    thread_.join();
  } else if (begun_) {
    store_.AbortEvaluation();
  }
}

Status OutcomeWriter::Begin() {
  auto id = store_.BeginEvaluation(info_);
  if (!id.ok()) return id.status();
  evaluation_id_ = *id;
  begun_ = true;
  return Status::Ok();
}

Status OutcomeWriter::WriteBatch(std::vector<OutcomeRow>& rows) {
  GTOPS_RETURN_IF_ERROR(store_.PutOutcomes(evaluation_id_, rows));
  rows.clear();
  return Status::Ok();
}

Status OutcomeWriter::Error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

Status OutcomeWriter::Add(OutcomeRow row) {
  filling_.push_back(std::move(row));
  if (filling_.size() < kBatchRows) return Status::Ok();
  if (!thread_.joinable()) {
    if (!begun_) GTOPS_RETURN_IF_ERROR(Begin());
    return WriteBatch(filling_);
  }
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.size() < kMaxQueued || !error_.ok(); });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(filling_));
  lock.unlock();
  changed_.notify_all();
  filling_ = {};
  filling_.reserve(kBatchRows);
  return Status::Ok();
}

Status OutcomeWriter::Finish(int64_t outcomes) {
  finished_ = true;
  if (!thread_.joinable()) {
    if (!begun_) GTOPS_RETURN_IF_ERROR(Begin());
    Status s = WriteBatch(filling_);
    if (!s.ok()) {
      store_.AbortEvaluation();
      return s;
    }
    return store_.CommitEvaluation(evaluation_id_, outcomes);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!filling_.empty()) queue_.push_back(std::move(filling_));
    outcomes_ = outcomes;
    commit_ = true;
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
  return error_;
}

void OutcomeWriter::Loop() {
  Status begun = Begin();
  std::unique_lock<std::mutex> lock(mu_);
  if (!begun.ok()) error_ = begun;
  changed_.notify_all();
  for (;;) {
    changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
    if (queue_.empty()) break;  // closing, nothing left
    std::vector<OutcomeRow> rows = std::move(queue_.front());
    queue_.pop_front();
    const bool failed = !error_.ok();
    lock.unlock();
    changed_.notify_all();  // room in the queue
    Status s = failed ? Status::Ok() : WriteBatch(rows);
    lock.lock();
    if (!s.ok() && error_.ok()) {
      error_ = s;
      changed_.notify_all();
    }
  }
  const bool commit = commit_ && error_.ok();
  const int64_t outcomes = outcomes_;
  lock.unlock();
  if (!begun_) return;
  if (commit) {
    Status s = store_.CommitEvaluation(evaluation_id_, outcomes);
    if (!s.ok()) {
      lock.lock();
      error_ = s;
    }
  } else {
    store_.AbortEvaluation();
  }
}

}  // namespace gtops
