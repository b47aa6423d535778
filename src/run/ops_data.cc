#include "run/ops_data.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "ops/timeline_codec.h"

namespace gtops {
namespace {

const std::string& Cell(const std::vector<std::optional<std::string>>& row, size_t i) {
  static const std::string kEmpty;
  return row[i] ? *row[i] : kEmpty;
}

bool ByTask(const ops::TaskTimeline& a, const ops::TaskTimeline& b) { return a.task < b.task; }

// The timeline facts (ops::BuildTimelineFacts) of `tasks` (sorted, distinct) from their events,
// in task order, `on_timeline` called for each as soon as it is built: by one scan of the events
// of [from, to) when `scan` (tasks not listed are skipped), else by one lookup per task.
Status BuildFromEvents(Store& store, std::span<const std::string> tasks, bool scan, std::string_view from,
                       std::string_view to, int64_t& events_read,
                       const std::function<Status(ops::TaskTimeline&&)>& on_timeline) {
  if (tasks.empty()) return Status::Ok();
  std::vector<Event> task_events;
  auto flush = [&]() -> Status {
    if (task_events.empty()) return Status::Ok();
    Status s = on_timeline(ops::BuildTimelineFacts(task_events));
    task_events.clear();
    return s;
  };
  size_t next = 0;  // the first listed task not before the current event's (scan)
  auto on_event = [&](const Event& e) -> Status {
    if (!task_events.empty() && task_events.front().task != e.task) GTOPS_RETURN_IF_ERROR(flush());
    if (scan) {
      while (next < tasks.size() && tasks[next] < e.task) ++next;
      if (next == tasks.size() || tasks[next] != e.task) return Status::Ok();
    }
    task_events.push_back(e);
    ++events_read;
    return Status::Ok();
  };
  GTOPS_RETURN_IF_ERROR(scan ? store.ForEachEvent(from, to, on_event) : store.ForEachEventOfTasks(tasks, on_event));
  return flush();
}

// Rebuilding from events by one scan of a range beats one lookup per task when more than this
// share of the range's tasks is to be rebuilt.
constexpr size_t kScanShare = 8;

// Appends to `out` the timeline facts of the tasks in [from, to) of one store connection, in task
// order: stored rows where the task is not marked and the row decodes, the others rebuilt from
// their events. `expected`: about how many tasks the range holds (for reserving).
Status ReadTimelines(Store& store, const std::string& from, const std::string& to,
                     std::span<const std::string> marked_all, size_t expected, std::vector<ops::TaskTimeline>& out) {
  const auto lo = std::lower_bound(marked_all.begin(), marked_all.end(), from);
  const auto hi = to.empty() ? marked_all.end() : std::lower_bound(lo, marked_all.end(), to);
  const std::span<const std::string> marked(lo, hi);

  const size_t start = out.size();
  out.reserve(start + expected);
  std::vector<std::string> undecodable;  // rows of another encoding version, or damaged
  size_t m = 0;
  GTOPS_RETURN_IF_ERROR(store.ForEachStoredTimeline(from, to, [&](std::string_view task, std::string_view data) {
    while (m < marked.size() && marked[m] < task) ++m;
    if (m < marked.size() && marked[m] == task) return Status::Ok();
    auto t = ops::DecodeTimeline(task, data);
    if (t.ok()) {
      out.push_back(std::move(*t));
    } else {
      undecodable.emplace_back(task);
    }
    return Status::Ok();
  }));
  const size_t stored = out.size() - start;

  std::vector<std::string> rebuild;
  rebuild.reserve(marked.size() + undecodable.size());
  std::merge(marked.begin(), marked.end(), undecodable.begin(), undecodable.end(), std::back_inserter(rebuild));
  if (rebuild.empty()) return Status::Ok();
  std::vector<ops::TaskTimeline> fresh;
  const bool scan = rebuild.size() * kScanShare > stored + rebuild.size();
  int64_t events_read = 0;
  GTOPS_RETURN_IF_ERROR(BuildFromEvents(store, rebuild, scan, from, to, events_read, [&](ops::TaskTimeline&& t) {
    fresh.push_back(std::move(t));
    return Status::Ok();
  }));
  std::vector<ops::TaskTimeline> merged;
  merged.reserve(stored + fresh.size());
  std::merge(std::make_move_iterator(out.begin() + static_cast<std::ptrdiff_t>(start)),
             std::make_move_iterator(out.end()), std::make_move_iterator(fresh.begin()),
             std::make_move_iterator(fresh.end()), std::back_inserter(merged), ByTask);
  out.resize(start);
  std::move(merged.begin(), merged.end(), std::back_inserter(out));
  return Status::Ok();
}

// The number of tasks and, when there are at least `min_tasks`, the median task id (else "").
std::pair<int64_t, std::string> CountAndMedianTask(Store& store, int64_t min_tasks) {
  auto count = store.QueryReadOnly("SELECT count(*) FROM tasks");
  const int64_t n = count.ok() && !count->rows.empty() ? std::stoll(Cell(count->rows[0], 0)) : 0;
  if (n < min_tasks || n == 0) return {n, {}};
  auto split = store.QueryReadOnly(fmt::format("SELECT task FROM tasks ORDER BY task LIMIT 1 OFFSET {}", n / 2));
  if (split.ok() && !split->rows.empty()) return {n, Cell(split->rows[0], 0)};
  return {n, {}};
}

// A second, read-only connection to the store, or null (an in-memory store, one core).
std::unique_ptr<Store> SecondConnection(Store& store) {
  if (std::thread::hardware_concurrency() < 2) return nullptr;
  auto opened = OpenStore(StoreOptions{store.Location(), true});
  return opened.ok() ? std::move(*opened) : nullptr;
}

}  // namespace

// The task key space is cut in two at the median task: the lower half is read on this connection,
// the upper half at the same time on a second read-only connection (SQLite readers do not block
// each other), and the two lists are joined in task order. One connection when a second cannot be
// opened (an in-memory store) or there are too few tasks to be worth it.
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms,
                                                     int64_t min_tasks_to_split) {
  auto marks = store.TimelineMarks();
  if (!marks.ok()) return marks.status();
  std::vector<std::string> marked;
  marked.reserve(marks->size());
  for (TimelineMark& mark : *marks) marked.push_back(std::move(mark.task));

  std::vector<ops::TaskTimeline> out;
  const std::pair<int64_t, std::string> count_mid = CountAndMedianTask(store, min_tasks_to_split);
  const std::string& mid = count_mid.second;
  const auto expected = static_cast<size_t>(count_mid.first);
  std::unique_ptr<Store> second = mid.empty() ? nullptr : SecondConnection(store);
  if (!second) {
    GTOPS_RETURN_IF_ERROR(ReadTimelines(store, "", "", marked, expected, out));
  } else {
    out.reserve(expected);  // the upper half is appended below without growing
    std::vector<ops::TaskTimeline> upper;
    Status upper_status = Status::Ok();
    std::thread reader([&] { upper_status = ReadTimelines(*second, mid, "", marked, expected - expected / 2, upper); });
    const Status lower_status = ReadTimelines(store, "", mid, marked, expected / 2, out);
    reader.join();
    GTOPS_RETURN_IF_ERROR(lower_status);
    GTOPS_RETURN_IF_ERROR(upper_status);
    out.reserve(out.size() + upper.size());
    std::move(upper.begin(), upper.end(), std::back_inserter(out));
  }

  // The latest event of the data: the instant open tasks are judged at.
  as_of_ms = 0;
  for (const ops::TaskTimeline& t : out) as_of_ms = std::max(as_of_ms, t.last_event_ms);
  const ops::TimelineOptions options{as_of_ms, &config};
  for (ops::TaskTimeline& t : out) ops::FinishTimeline(t, options);
  return out;
}

namespace {

// Chunks of encoded rows passed from the threads that rebuild timelines to the one that writes
// them; at most `capacity` chunks wait, so memory stays a few chunks.
class RowQueue {
 public:
  explicit RowQueue(size_t capacity, int producers) : capacity_(capacity), producers_(producers) {}
  // False when the consumer gave up (a write failed): stop producing.
  bool Push(std::vector<StoredTimeline>&& chunk) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return chunks_.size() < capacity_ || closed_; });
    if (closed_) return false;
    chunks_.push_back(std::move(chunk));
    ready_.notify_one();
    return true;
  }
  void ProducerDone() {
    std::lock_guard lock(mu_);
    --producers_;
    ready_.notify_all();
  }
  // The next chunk, or nothing once every producer is done and the queue is empty.
  std::optional<std::vector<StoredTimeline>> Pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !chunks_.empty() || producers_ == 0; });
    if (chunks_.empty()) return std::nullopt;
    auto chunk = std::move(chunks_.front());
    chunks_.pop_front();
    space_.notify_one();
    return chunk;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    chunks_.clear();
    space_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::vector<StoredTimeline>> chunks_;
  size_t capacity_;
  int producers_;
  bool closed_ = false;
};

}  // namespace

// The smallest task id after `task`: paging cursors (task ids are compared bytewise).
std::string After(const std::string& task) { return task + std::string(1, '\0'); }

Result<TimelineRefresh> RefreshTimelines(Store& store, int64_t chunk) {
  auto counted = store.QueryReadOnly("SELECT count(*) FROM timeline_marks");
  if (!counted.ok()) return counted.status();
  const int64_t marked = std::stoll(Cell(counted->rows.at(0), 0));
  TimelineRefresh done;
  if (marked == 0) return done;
  const int64_t page = std::max<int64_t>(chunk, 1);

  // Rebuilds the timelines of the marked tasks in [from, to) on `reader`, a page of marks at a
  // time (memory is a page, not the marks), by one lookup per task or, with `scan`, by scanning
  // each page's stretch of events; hands each page's rows to `emit` after the page's reads.
  auto produce = [&](Store& reader, std::string from, const std::string& to, bool scan, int64_t& events_read,
                     const std::function<bool(std::vector<StoredTimeline>&&)>& emit) -> Status {
    while (true) {
      auto marks = reader.TimelineMarks(from, to, page);
      if (!marks.ok()) return marks.status();
      if (marks->empty()) return Status::Ok();
      std::vector<std::string> tasks;
      tasks.reserve(marks->size());
      for (const TimelineMark& m : *marks) tasks.push_back(m.task);
      from = After(tasks.back());
      std::vector<StoredTimeline> rows;
      rows.reserve(tasks.size());
      size_t i = 0;  // the marks are in task order, as the timelines come
      GTOPS_RETURN_IF_ERROR(BuildFromEvents(reader, tasks, scan, tasks.front(), from, events_read,
                                            [&](ops::TaskTimeline&& t) -> Status {
                                              while (i < tasks.size() && tasks[i] < t.task) ++i;
                                              rows.push_back(StoredTimeline{t.task, ops::EncodeTimeline(t),
                                                                            (*marks)[i].mark});
                                              return Status::Ok();
                                            }));
      if (!emit(std::move(rows))) return Status::Internal("refresh stopped");
      if (static_cast<int64_t>(marks->size()) < page) return Status::Ok();
    }
  };

  // Few marked tasks (or no second connection): look each up, then write on this connection once
  // the page's reads are done.
  std::unique_ptr<Store> second;
  if (marked >= page) second = SecondConnection(store);
  if (!second) {
    Status write_status = Status::Ok();
    GTOPS_RETURN_IF_ERROR(produce(store, "", "", false, done.events, [&](std::vector<StoredTimeline>&& rows) {
      write_status = store.SaveTimelines(rows);
      done.tasks += static_cast<int64_t>(rows.size());
      return write_status.ok();
    }));
    GTOPS_RETURN_IF_ERROR(write_status);
    return done;
  }

  // Many: two readers (the marked tasks cut at their median, each half on its own connection; by
  // scans when the marked tasks are a large share of the store's) rebuild while this connection
  // writes.
  std::unique_ptr<Store> third = SecondConnection(store);
  std::string mid;
  if (third) {
    auto median = store.QueryReadOnly(
        fmt::format("SELECT task FROM timeline_marks ORDER BY task LIMIT 1 OFFSET {}", marked / 2));
    if (median.ok() && !median->rows.empty()) mid = Cell(median->rows[0], 0);
  }
  if (mid.empty()) third.reset();
  RowQueue queue(4, third ? 2 : 1);
  Status reader_status[2] = {Status::Ok(), Status::Ok()};
  int64_t reader_events[2] = {0, 0};
  auto stored = store.QueryReadOnly("SELECT count(*) FROM timeline_facts");
  const int64_t stored_rows = stored.ok() ? std::stoll(Cell(stored->rows.at(0), 0)) : 0;
  const bool scan = marked * static_cast<int64_t>(kScanShare) > stored_rows + marked;
  auto run_reader = [&](int k, Store& reader, const std::string& from, const std::string& to) {
    reader_status[k] = produce(reader, from, to, scan, reader_events[k],
                               [&](std::vector<StoredTimeline>&& rows) { return queue.Push(std::move(rows)); });
    queue.ProducerDone();
  };
  std::thread lower([&] { run_reader(0, *second, "", mid); });
  std::optional<std::thread> upper;
  if (third) upper.emplace([&] { run_reader(1, *third, mid, ""); });
  Status write_status = Status::Ok();
  while (auto rows = queue.Pop()) {
    write_status = store.SaveTimelines(*rows);
    if (!write_status.ok()) {
      queue.Close();
      break;
    }
    done.tasks += static_cast<int64_t>(rows->size());
  }
  lower.join();
  if (upper) upper->join();
  GTOPS_RETURN_IF_ERROR(write_status);
  GTOPS_RETURN_IF_ERROR(reader_status[0]);
  GTOPS_RETURN_IF_ERROR(reader_status[1]);
  done.events = reader_events[0] + reader_events[1];
  return done;
}

Result<std::vector<ops::TaskAudit>> LoadAudits(Store& store) {
  auto q = store.QueryReadOnly(
      "SELECT task, frame, pipeline, batch, vendor, annotator, at_ms, verdict FROM audits");
  if (!q.ok()) return q.status();
  std::vector<Audit> audits;
  audits.reserve(q->rows.size());
  for (const auto& row : q->rows) {
    Audit a;
    a.task = Cell(row, 0);
    a.frame = Cell(row, 1);
    a.pipeline = Cell(row, 2);
    a.batch = Cell(row, 3);
    a.vendor = Cell(row, 4);
    a.annotator = Cell(row, 5);
    a.at_epoch_ms = std::stoll(Cell(row, 6));
    a.pass = Cell(row, 7) == "pass";
    audits.push_back(std::move(a));
  }
  return ops::AuditOutcomes(audits);
}

}  // namespace gtops
