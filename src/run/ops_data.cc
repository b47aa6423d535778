#include "run/ops_data.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include <fmt/format.h>

namespace gtops {
namespace {

const std::string& Cell(const std::vector<std::optional<std::string>>& row, size_t i) {
  static const std::string kEmpty;
  return row[i] ? *row[i] : kEmpty;
}

// The timelines of the tasks in [from, to) of one store connection, streamed one task at a time:
// memory is the timelines, not the events.
Status ReadTimelines(Store& store, const std::string& from, const std::string& to, const ops::TimelineOptions& options,
                     std::vector<ops::TaskTimeline>& out) {
  std::vector<Event> task_events;
  auto flush = [&]() {
    if (task_events.empty()) return;
    out.push_back(ops::BuildTimeline(task_events, options));
    task_events.clear();
  };
  GTOPS_RETURN_IF_ERROR(store.ForEachEvent(from, to, [&](const Event& e) {
    if (!task_events.empty() && task_events.front().task != e.task) flush();
    task_events.push_back(e);
    return Status::Ok();
  }));
  flush();
  return Status::Ok();
}

}  // namespace

// The task key space is cut in two at the median task: the lower half is read on this connection,
// the upper half at the same time on a second read-only connection (SQLite readers do not block
// each other), and the two lists are joined in task order. One connection when a second cannot be
// opened (an in-memory store) or there are too few tasks to be worth it.
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms,
                                                     int64_t min_tasks_to_split) {
  auto latest = store.QueryReadOnly("SELECT coalesce(max(at_ms), 0) FROM events");
  if (!latest.ok()) return latest.status();
  as_of_ms = std::stoll(Cell(latest->rows.at(0), 0));
  const ops::TimelineOptions options{as_of_ms, &config};
  std::vector<ops::TaskTimeline> out;

  std::string mid;
  auto split = store.QueryReadOnly(fmt::format(
      "SELECT task FROM tasks WHERE (SELECT count(*) FROM tasks) >= {} ORDER BY task LIMIT 1 "
      "OFFSET (SELECT count(*) / 2 FROM tasks)",
      min_tasks_to_split));
  if (split.ok() && !split->rows.empty()) mid = Cell(split->rows[0], 0);
  std::unique_ptr<Store> second;
  if (!mid.empty() && std::thread::hardware_concurrency() > 1) {
    auto opened = OpenStore(StoreOptions{store.Location(), true});
    if (opened.ok()) second = std::move(*opened);
  }
  if (!second) {
    GTOPS_RETURN_IF_ERROR(ReadTimelines(store, "", "", options, out));
    return out;
  }
  std::vector<ops::TaskTimeline> upper;
  Status upper_status = Status::Ok();
  std::thread reader([&] { upper_status = ReadTimelines(*second, mid, "", options, upper); });
  const Status lower_status = ReadTimelines(store, "", mid, options, out);
  reader.join();
  GTOPS_RETURN_IF_ERROR(lower_status);
  GTOPS_RETURN_IF_ERROR(upper_status);
  out.reserve(out.size() + upper.size());
  std::move(upper.begin(), upper.end(), std::back_inserter(out));
  return out;
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
