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
std::optional<double> Real(const std::vector<std::optional<std::string>>& row, size_t i) {
  if (!row[i]) return std::nullopt;
  return std::stod(*row[i]);
}

}  // namespace

// The store's events, one timeline per task (rows come ordered by task).
Result<std::vector<ops::TaskTimeline>> LoadTimelines(Store& store, const ProgramConfig& config, int64_t& as_of_ms) {
  auto q = store.QueryReadOnly(
      "SELECT task, pipeline, batch, vendor, annotator, event, at_ms, due_ms, cost_usd, work_s, "
      "object_count FROM events ORDER BY task, at_ms");
  if (!q.ok()) return q.status();
  as_of_ms = 0;
  std::vector<Event> task_events;
  for (const auto& row : q->rows) {
    Event e;
    e.task = Cell(row, 0);
    e.pipeline = Cell(row, 1);
    e.batch = Cell(row, 2);
    e.vendor = Cell(row, 3);
    e.annotator = Cell(row, 4);
    auto kind = ParseEventKind(Cell(row, 5));
    if (!kind) return Status::StoreError(fmt::format("events: task {}: unknown event '{}'", e.task, Cell(row, 5)));
    e.kind = *kind;
    e.at_epoch_ms = std::stoll(Cell(row, 6));
    if (row[7]) e.due_epoch_ms = std::stoll(*row[7]);
    e.cost_usd = Real(row, 8);
    e.work_s = Real(row, 9);
    if (row[10]) e.object_count = std::stoll(*row[10]);
    as_of_ms = std::max(as_of_ms, e.at_epoch_ms);
    task_events.push_back(std::move(e));
  }
  std::vector<ops::TaskTimeline> out;
  ops::TimelineOptions options{as_of_ms, &config};
  size_t begin = 0;
  for (size_t i = 1; i <= task_events.size(); ++i) {
    if (i == task_events.size() || task_events[i].task != task_events[begin].task) {
      out.push_back(ops::BuildTimeline(std::span(task_events).subspan(begin, i - begin), options));
      begin = i;
    }
  }
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
