#include "run/ops_data.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>

#include <fmt/format.h>

namespace gtops {
namespace {

const std::string& Cell(const std::vector<std::optional<std::string>>& row, size_t i) {
  static const std::string kEmpty;
  return row[i] ? *row[i] : kEmpty;
}

}  // namespace

// The store's events, streamed one task at a time: memory is the timelines, not the events.
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms) {
  auto latest = store.QueryReadOnly("SELECT coalesce(max(at_ms), 0) FROM events");
  if (!latest.ok()) return latest.status();
  as_of_ms = std::stoll(Cell(latest->rows.at(0), 0));
  std::vector<ops::TaskTimeline> out;
  const ops::TimelineOptions options{as_of_ms, &config};
  std::vector<Event> task_events;
  auto flush = [&]() {
    if (task_events.empty()) return;
    out.push_back(ops::BuildTimeline(task_events, options));
    task_events.clear();
  };
  Status s = store.ForEachEvent([&](const Event& e) {
    if (!task_events.empty() && task_events.front().task != e.task) flush();
    task_events.push_back(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  flush();
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
