#include "evaluate/outcome_writer.h"

#include <cstring>
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

// ---- OutcomeQueue ------------------------------------------------------------------------------

namespace {

// The packed rows of a chunk: per row a flag byte (bit 0: the compared record's fields are the
// previous row's), those fields unless the flag says so, the row's own strings, a mask of the
// optional numbers present, the numbers, the error types and the attribute counts.
constexpr uint8_t kSameRecord = 1;

void PutBytes(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }

void PutString(std::string& out, const std::string& s) {
  const auto n = static_cast<uint32_t>(s.size());
  PutBytes(out, &n, sizeof n);
  out += s;
}

template <typename T>
void PutValue(std::string& out, T v) {
  PutBytes(out, &v, sizeof v);
}

// The fields of the compared record and of the frame, the same in each of its outcomes.
std::string* RecordField(OutcomeRow& r, int i) {
  std::string* fields[] = {&r.pipeline, &r.batch,   &r.task,         &r.frame,        &r.source,    &r.producer,
                           &r.vendor,   &r.annotator, &r.spec_version, &r.tool_version, &r.scene_json};
  return fields[i];
}
constexpr int kRecordFields = 11;

std::string* RowField(OutcomeRow& r, int i) {
  std::string* fields[] = {&r.kind,     &r.reference_id, &r.label_id,           &r.cls,
                           &r.label_cls, &r.tag_name,     &r.attributes_differing, &r.attributes_json};
  return fields[i];
}
constexpr int kRowFields = 8;

std::optional<double>* Number(OutcomeRow& r, int i) {
  std::optional<double>* numbers[] = {&r.range_m, &r.safety_weight,  &r.score,              &r.iou,
                                      &r.center_error_m, &r.size_error_rel, &r.heading_error_deg, &r.distance};
  return numbers[i];
}
constexpr int kNumbers = 8;

// Appends `row` to `out`; `last` holds the record fields of the previous row of the chunk.
void Pack(OutcomeRow& row, bool first_of_chunk, OutcomeRow& last, std::string& out) {
  bool same = !first_of_chunk;
  for (int i = 0; same && i < kRecordFields; ++i) same = *RecordField(row, i) == *RecordField(last, i);
  PutValue<uint8_t>(out, same ? kSameRecord : 0);
  if (!same) {
    for (int i = 0; i < kRecordFields; ++i) {
      PutString(out, *RecordField(row, i));
      *RecordField(last, i) = std::move(*RecordField(row, i));
    }
  }
  for (int i = 0; i < kRowFields; ++i) PutString(out, *RowField(row, i));
  uint16_t mask = 0;
  for (int i = 0; i < kNumbers; ++i) mask = static_cast<uint16_t>(mask | (Number(row, i)->has_value() ? 1u << i : 0u));
  if (row.num_points) mask = static_cast<uint16_t>(mask | (1u << kNumbers));
  PutValue(out, mask);
  for (int i = 0; i < kNumbers; ++i) {
    if (Number(row, i)->has_value()) PutValue(out, **Number(row, i));
  }
  if (row.num_points) PutValue(out, *row.num_points);
  PutValue(out, static_cast<uint8_t>(row.errors.size()));
  for (ErrorType e : row.errors) PutValue(out, static_cast<uint8_t>(e));
  PutValue(out, row.attributes_compared);
  PutValue(out, row.attributes_equal);
}

class Reader {
 public:
  explicit Reader(const std::string& s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool done() const { return p_ >= end_; }
  template <typename T>
  T Value() {
    T v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  void String(std::string& into) {
    const auto n = Value<uint32_t>();
    into.assign(p_, n);
    p_ += n;
  }

 private:
  const char* p_;
  const char* end_;
};

// Unpacks the rows of `chunk` into `rows` (resized; their strings' memory reused).
void Unpack(const std::string& chunk, std::vector<OutcomeRow>& rows) {
  Reader in(chunk);
  size_t n = 0;
  while (!in.done()) {
    if (n == rows.size()) rows.emplace_back();
    OutcomeRow& row = rows[n];
    if (in.Value<uint8_t>() & kSameRecord) {
      for (int i = 0; i < kRecordFields; ++i) *RecordField(row, i) = *RecordField(rows[n - 1], i);
    } else {
      for (int i = 0; i < kRecordFields; ++i) in.String(*RecordField(row, i));
    }
    for (int i = 0; i < kRowFields; ++i) in.String(*RowField(row, i));
    const auto mask = in.Value<uint16_t>();
    for (int i = 0; i < kNumbers; ++i) {
      if (mask & (1u << i)) {
        *Number(row, i) = in.Value<double>();
      } else {
        Number(row, i)->reset();
      }
    }
    if (mask & (1u << kNumbers)) {
      row.num_points = in.Value<int64_t>();
    } else {
      row.num_points.reset();
    }
    row.errors.resize(in.Value<uint8_t>());
    for (ErrorType& e : row.errors) e = static_cast<ErrorType>(in.Value<uint8_t>());
    row.attributes_compared = in.Value<int64_t>();
    row.attributes_equal = in.Value<int64_t>();
    ++n;
  }
  rows.resize(n);
}

}  // namespace

struct OutcomeQueue::Run {
  explicit Run(EvaluationRunInfo i) : info(std::move(i)) {}
  EvaluationRunInfo info;
  // Shared, under the queue's mutex.
  std::deque<std::string> chunks;  // packed rows, at most kBatchRows each
  bool finished = false;           // Finish was called: commit after the last chunk
  bool abandoned = false;          // the sink went away without Finish: roll back
  int64_t outcomes = 0;
  Status status;
  // The writing thread's.
  bool begun = false;
  int64_t evaluation_id = 0;
};

class OutcomeQueue::Sink final : public OutcomeSink {
 public:
  Sink(OutcomeQueue& queue, std::shared_ptr<Run> run) : queue_(queue), run_(std::move(run)) {}
  ~Sink() override {
    if (finished_) return;
    {
      std::lock_guard<std::mutex> lock(queue_.mu_);
      run_->abandoned = true;
    }
    queue_.changed_.notify_all();
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  Status Add(OutcomeRow row) override {
    Pack(row, rows_ == 0, last_, filling_);
    if (++rows_ < kBatchRows) return Status::Ok();
    std::unique_lock<std::mutex> lock(queue_.mu_);
    // Only the run being written waits for room; a later run's rows wait in memory.
    queue_.changed_.wait(lock, [this] {
      return queue_.runs_.front() != run_ || run_->chunks.size() < kMaxQueued || !run_->status.ok();
    });
    if (!run_->status.ok()) return run_->status;
    run_->chunks.push_back(std::move(filling_));
    lock.unlock();
    queue_.changed_.notify_all();
    filling_ = {};
    rows_ = 0;
    return Status::Ok();
  }

  Status Finish(int64_t outcomes) override {
    finished_ = true;
    std::unique_lock<std::mutex> lock(queue_.mu_);
    if (rows_ > 0) run_->chunks.push_back(std::move(filling_));
    run_->outcomes = outcomes;
    run_->finished = true;
    queue_.changed_.notify_all();
    return run_->status;  // later errors: OutcomeQueue::Close
  }

 private:
  OutcomeQueue& queue_;
  std::shared_ptr<Run> run_;
  std::string filling_;
  size_t rows_ = 0;  // in filling_
  OutcomeRow last_;  // the record fields of filling_'s last row
  bool finished_ = false;
};

OutcomeQueue::OutcomeQueue(Store& store) : store_(store) {
  thread_ = std::thread([this] { Loop(); });
}

OutcomeQueue::~OutcomeQueue() { (void)Close(); }

Status OutcomeQueue::Close() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  return error_;
}

std::unique_ptr<OutcomeSink> OutcomeQueue::Open(EvaluationRunInfo info) {
  auto run = std::make_shared<Run>(std::move(info));
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.push_back(run);
  }
  changed_.notify_all();
  return std::make_unique<Sink>(*this, std::move(run));
}

Status OutcomeQueue::Begin(Run& run) {
  if (run.begun) return Status::Ok();
  auto id = store_.BeginEvaluation(run.info);
  if (!id.ok()) return id.status();
  run.begun = true;
  run.evaluation_id = *id;
  return Status::Ok();
}

void OutcomeQueue::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] {
      if (closing_ || runs_.empty()) return closing_;
      const Run& r = *runs_.front();
      return !r.chunks.empty() || r.finished || r.abandoned;
    });
    if (runs_.empty()) break;  // closing, nothing left
    const std::shared_ptr<Run> run = runs_.front();
    if (closing_ && !run->finished) run->abandoned = true;  // its sink is gone or outlives Close
    if (run->abandoned) run->chunks.clear();
    if (!run->chunks.empty()) {
      const std::string chunk = std::move(run->chunks.front());
      run->chunks.pop_front();
      const bool failed = !run->status.ok();
      lock.unlock();
      changed_.notify_all();  // room in the queue
      Status s = failed ? Status::Ok() : Begin(*run);
      if (!failed && s.ok()) {
        Unpack(chunk, rows_);
        s = store_.PutOutcomes(run->evaluation_id, rows_);
      }
      lock.lock();
      if (!s.ok() && run->status.ok()) {
        run->status = s;
        changed_.notify_all();
      }
      continue;
    }
    const bool commit = run->finished && !run->abandoned && run->status.ok();
    const int64_t outcomes = run->outcomes;
    lock.unlock();
    Status s;
    if (commit) {
      s = Begin(*run);
      if (s.ok()) s = store_.CommitEvaluation(run->evaluation_id, outcomes);
    } else if (run->begun) {
      store_.AbortEvaluation();
    }
    lock.lock();
    if (!s.ok() && run->status.ok()) run->status = s;
    if (!run->status.ok() && !run->abandoned && error_.ok()) error_ = run->status;
    runs_.pop_front();
    changed_.notify_all();
  }
}

}  // namespace gtops
