#include "checks/run_checks.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"

namespace gtops::checks {
namespace {

// Bumped when the checks change what they find, so that stored findings go stale.
constexpr int kChecksVersion = 3;  // 3: findings below kProbabilityFloor not stored

std::string NowText() {
  using namespace std::chrono;
  return FormatRfc3339(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

const PipelineSpec* FindOrNull(const ProgramConfig& config, const std::string& pipeline) {
  return config.FindPipeline(pipeline);
}

Status UnknownPipeline(const std::string& pipeline) {
  return Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", pipeline));
}

}  // namespace

Result<std::string> ChecksFingerprint(Store& store, const ProgramConfig& config) {
  // The data version: the latest ingest run that stored anything and the label records.
  auto q = store.QueryReadOnly(
      "SELECT (SELECT coalesce(max(run_id), 0) FROM ingest_runs WHERE inserted + replaced > 0) || '/' || "
      "(SELECT count(*) FROM label_sets)");
  if (!q.ok()) return q.status();
  std::ifstream in(config.source_path, std::ios::binary | std::ios::ate);
  std::string text;
  if (in) {
    text.resize(static_cast<size_t>(std::max<std::streamoff>(0, in.tellg())));
    in.seekg(0);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  }
  return fmt::format("config:{:016x} data:{} checks:{}", std::hash<std::string>{}(text),
                     q->rows.at(0).at(0).value_or(""), kChecksVersion);
}

namespace {

// One pipeline's check: frames read through `reader`, findings written through `writer` while
// holding `write_lock` (the writer may be shared by threads; nullptr: compute only).
Result<CheckResult> CheckPipeline(Store& reader, const PipelineSpec& spec, const std::string& fingerprint,
                                  Store* writer, std::mutex& write_lock) {
  const auto start = std::chrono::steady_clock::now();
  TaskChecker checker(spec);
  TaskCheckStats stats;
  std::vector<RawFinding> raw;
  std::vector<FrameLabels> task;  // the current task's frames (ForEachFrame keeps them only per call)
  auto flush = [&] {
    if (!task.empty()) checker.Check(task, raw, stats);
    task.clear();
  };
  const bool whole_task = checker.NeedsWholeTask();
  Status s = reader.ForEachFrame(spec.id, [&](const FrameLabels& frame) -> Status {
    if (!whole_task) {  // no copy
      checker.Check(std::span<const FrameLabels>(&frame, 1), raw, stats);
      return Status::Ok();
    }
    if (!task.empty() && task.back().task != frame.task) flush();
    task.push_back(frame);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  flush();

  CheckResult result;
  result.calibration = Calibrate(raw);
  ApplyCalibration(result.calibration, raw);
  for (const RawFinding& f : raw) {  // what gold judged, stored or not
    if (f.confirmed) {
      ++result.confirmable;
      if (*f.confirmed) ++result.confirmed;
    }
  }
  result.below_floor = DropBelowFloor(raw, kProbabilityFloor);
  std::vector<FindingRow> rows;
  rows.reserve(raw.size());
  for (RawFinding& f : raw) {
    ++result.by_check[f.row.check];
    ++result.by_type[f.row.type];
    rows.push_back(std::move(f.row));
  }
  raw = {};
  result.run.pipeline = spec.id;
  result.run.fingerprint = fingerprint;
  result.run.finished_at = NowText();
  result.run.frames = stats.frames;
  result.run.records = stats.records;
  result.run.objects = stats.objects;
  result.run.findings = static_cast<int64_t>(rows.size());
  if (writer != nullptr) {
    std::lock_guard<std::mutex> lock(write_lock);
    GTOPS_RETURN_IF_ERROR(writer->SaveFindings(result.run, rows));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

Result<CheckResult> RunChecks(Store& store, const ProgramConfig& config, const std::string& pipeline, bool write) {
  const PipelineSpec* spec = FindOrNull(config, pipeline);
  if (spec == nullptr) return UnknownPipeline(pipeline);
  auto fingerprint = ChecksFingerprint(store, config);
  if (!fingerprint.ok()) return fingerprint.status();
  std::mutex write_lock;
  return CheckPipeline(store, *spec, *fingerprint, write ? &store : nullptr, write_lock);
}

Result<std::vector<CheckResult>> RunChecksParallel(Store& store, const ProgramConfig& config,
                                                   const std::vector<std::string>& pipelines, int threads,
                                                   bool write) {
  std::vector<const PipelineSpec*> specs;
  for (const std::string& p : pipelines) {
    const PipelineSpec* spec = FindOrNull(config, p);
    if (spec == nullptr) return UnknownPipeline(p);
    specs.push_back(spec);
  }
  auto fingerprint = ChecksFingerprint(store, config);
  if (!fingerprint.ok()) return fingerprint.status();
  // Largest first (the objects of the last check run; never checked: as listed), so that the
  // threads finish together.
  std::map<std::string, int64_t, std::less<>> last_objects;
  GTOPS_RETURN_IF_ERROR(store.ForEachRow("SELECT pipeline, objects FROM check_runs", [&](const QueryRow& r) {
    last_objects[std::string(r.Text(0))] = r.Int(1);
    return Status::Ok();
  }));
  std::vector<size_t> order(specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto cost = [&](size_t i) {
    auto it = last_objects.find(specs[i]->id);
    return it == last_objects.end() ? int64_t{0} : it->second;
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cost(a) > cost(b); });

  size_t n = threads > 0 ? static_cast<size_t>(threads) : std::max(1u, std::thread::hardware_concurrency());
  n = std::min(n, specs.size());
  std::vector<std::unique_ptr<Store>> readers;
  for (size_t t = 0; t < n && n > 1; ++t) {
    auto opened = OpenStore(StoreOptions{store.Location(), true});
    if (!opened.ok()) {
      readers.clear();
      break;
    }
    readers.push_back(std::move(*opened));
  }
  std::vector<std::optional<Result<CheckResult>>> results(specs.size());
  std::mutex write_lock;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](Store& reader) {
    while (!failed) {
      const size_t k = next++;
      if (k >= order.size()) return;
      const size_t i = order[k];
      results[i] = CheckPipeline(reader, *specs[i], *fingerprint, write ? &store : nullptr, write_lock);
      if (!results[i]->ok()) failed = true;
    }
  };
  if (readers.empty()) {
    work(store);  // one connection: reads and writes in turn
  } else {
    std::vector<std::thread> pool;
    for (auto& r : readers) pool.emplace_back(work, std::ref(*r));
    for (std::thread& t : pool) t.join();
  }
  std::vector<CheckResult> out;
  for (auto& r : results) {
    if (r && !r->ok()) return r->status();
  }
  for (auto& r : results) {
    if (r) out.push_back(std::move(**r));
  }
  return out;
}

Result<CheckResult> EnsureFindings(Store& store, const ProgramConfig& config, const std::string& pipeline) {
  if (FindOrNull(config, pipeline) == nullptr) return UnknownPipeline(pipeline);
  auto fingerprint = ChecksFingerprint(store, config);
  if (!fingerprint.ok()) return fingerprint.status();
  auto latest = store.LatestCheckRun(pipeline);
  if (!latest.ok()) return latest.status();
  if (*latest && (*latest)->fingerprint == *fingerprint) {
    CheckResult r;
    r.run = **latest;
    r.reused = true;
    return r;
  }
  return RunChecks(store, config, pipeline, true);
}

Result<Queue> LoadQueue(Store& store, const ProgramConfig& config, const std::string& pipeline,
                        const QueueOptions& options) {
  auto ensured = EnsureFindings(store, config, pipeline);
  if (!ensured.ok()) return ensured.status();
  std::vector<FindingRow> findings;
  GTOPS_RETURN_IF_ERROR(store.ForEachFinding(pipeline, [&](const FindingRow& f) {
    findings.push_back(f);
    return Status::Ok();
  }));
  return BuildQueue(pipeline, ensured->run.frames, findings, options);
}

Result<std::vector<AuditorStats>> AuditorCalibration(Store& store, const ProgramConfig& config,
                                                     const std::string& pipeline) {
  const PipelineSpec* spec = FindOrNull(config, pipeline);
  if (spec == nullptr) return UnknownPipeline(pipeline);
  // Frame audits of the pipeline with their errors.
  auto q = store.QueryReadOnly(fmt::format(
      "SELECT a.audit_id, a.frame, a.auditor, coalesce(a.annotator, ''), e.type, coalesce(e.object_id, '') "
      "FROM audits a LEFT JOIN audit_errors e USING (audit_id) WHERE a.pipeline = {} AND a.frame <> '' "
      "ORDER BY a.audit_id, e.ord",
      SqlQuote(pipeline)));
  if (!q.ok()) return q.status();
  struct Audit {
    std::string auditor, annotator;
    std::vector<std::pair<std::string, ErrorType>> errors;
  };
  std::unordered_map<std::string, std::vector<Audit>> by_frame;
  std::string last_id;
  for (const auto& row : q->rows) {
    const std::string id = row[0].value_or("");
    auto& audits = by_frame[row[1].value_or("")];
    if (id != last_id) {
      audits.push_back(Audit{row[2].value_or(""), row[3].value_or(""), {}});
      last_id = id;
    }
    if (row[4]) {
      auto type = ParseErrorType(*row[4]);
      if (type) audits.back().errors.emplace_back(row[5].value_or(""), *type);
    }
  }
  quality::FrameComparer comparer(*spec);
  quality::FrameComparison cmp;
  std::vector<AuditedFrame> frames;
  Status s = store.ForEachFrame(spec->id, [&](const FrameLabels& frame) -> Status {
    auto it = by_frame.find(frame.frame);
    if (it == by_frame.end()) return Status::Ok();
    const LabelRecord* gold = nullptr;
    for (const LabelRecord& r : frame.records) {
      if (r.source == Source::kGold) gold = &r;
    }
    if (gold == nullptr) return Status::Ok();
    for (const Audit& a : it->second) {
      const LabelRecord* audited = nullptr;
      for (const LabelRecord& r : frame.records) {
        if (r.source == Source::kVendor && (a.annotator.empty() || r.annotator == a.annotator)) {
          audited = &r;
          break;
        }
      }
      if (audited == nullptr) continue;
      comparer.Compare(*audited, *gold, cmp);
      AuditedFrame af;
      af.auditor = a.auditor;
      af.reported = a.errors;
      for (const quality::Outcome& o : cmp.outcomes) {
        std::string label = o.label >= 0 ? audited->objects[static_cast<size_t>(o.label)].id : std::string();
        if (o.kind == quality::OutcomeKind::kExtra) af.gold_errors.emplace_back(label, ErrorType::kExtra);
        if (o.kind == quality::OutcomeKind::kDuplicate) af.gold_errors.emplace_back(label, ErrorType::kDuplicate);
        for (int t = 0; t < kErrorTypeCount; ++t) {
          const auto type = static_cast<ErrorType>(t);
          if (quality::HasError(o.errors, type) && type != ErrorType::kExtra && type != ErrorType::kDuplicate) {
            af.gold_errors.emplace_back(type == ErrorType::kMissing ? std::string() : label, type);
          }
        }
      }
      frames.push_back(std::move(af));
    }
    return Status::Ok();
  }, "gold");
  if (!s.ok()) return s;
  return CalibrateAuditors(frames);
}

}  // namespace gtops::checks
