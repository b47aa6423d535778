// gtops commands of the checks module (registered through cli/command_table.h):
// `gtops check`, `gtops queue`, `gtops auditors` (docs/quality-checks.md, docs/cli.md).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checks/run_checks.h"
#include "cli/command_table.h"
#include "config/config.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

struct ChecksArgs {
  CommonArgs common;
  std::string pipeline;
  std::optional<int64_t> budget;
  std::optional<double> budget_frac;
  double min_probability = 0.5;
  int threads = 0;  // gtops check: 0 = one per hardware thread
};

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

// Opens the program's config and store (read-write: checks write findings).
Status Open(const ChecksArgs& args, ProgramConfig& config, std::unique_ptr<Store>& store) {
  auto c = LoadConfig(args.common.program);
  if (!c.ok()) return c.status();
  config = std::move(*c);
  auto s = OpenExistingStore(args.common, false);
  if (!s.ok()) return s.status();
  store = std::move(*s);
  return Status::Ok();
}

std::vector<std::string> Pipelines(const ChecksArgs& args, const ProgramConfig& config) {
  if (!args.pipeline.empty()) return {args.pipeline};
  std::vector<std::string> out;
  for (const PipelineSpec& p : config.pipelines) out.push_back(p.id);
  return out;
}

int RunCheck(const ChecksArgs& args) {
  const bool json = args.common.json;
  ProgramConfig config;
  std::unique_ptr<Store> store;
  if (Status s = Open(args, config, store); !s.ok()) return Fail(s, json);
  ordered_json all = ordered_json::array();
  auto results = checks::RunChecksParallel(*store, config, Pipelines(args, config), args.threads, true);
  if (!results.ok()) return Fail(results.status(), json);
  for (const checks::CheckResult& result : *results) {
    const checks::CheckResult* r = &result;
    const std::string& p = r->run.pipeline;
    if (json) {
      ordered_json by_type = ordered_json::object();
      for (const auto& [t, n] : r->by_type) by_type[std::string(Name(t))] = n;
      ordered_json by_check = ordered_json::object();
      for (const auto& [c, n] : r->by_check) by_check[c] = n;
      ordered_json calibration = ordered_json::array();
      for (const checks::CheckCalibration& c : r->calibration) {
        ordered_json bins = ordered_json::array();
        for (const checks::CalibrationBin& b : c.bins) {
          bins.push_back(ordered_json{{"evidence", {b.lo, b.hi}}, {"findings", b.findings},
                                      {"confirmed", b.confirmed}, {"probability", b.probability}});
        }
        calibration.push_back(ordered_json{{"check", c.check}, {"bins", bins}});
      }
      all.push_back(ordered_json{{"pipeline", p},
                                 {"frames", r->run.frames},
                                 {"records", r->run.records},
                                 {"objects", r->run.objects},
                                 {"findings", r->run.findings},
                                 {"below_floor", r->below_floor},
                                 {"by_type", by_type},
                                 {"by_check", by_check},
                                 {"gold_judged", r->confirmable},
                                 {"gold_confirmed", r->confirmed},
                                 {"calibration", calibration},
                                 {"seconds", r->seconds}});
      continue;
    }
    std::printf("%s: %lld frames, %lld records, %lld objects checked in %.2f s: %lld findings", p.c_str(),
                static_cast<long long>(r->run.frames), static_cast<long long>(r->run.records),
                static_cast<long long>(r->run.objects), r->seconds, static_cast<long long>(r->run.findings));
    if (r->below_floor > 0) {
      std::printf(" (and %lld below probability %g, not stored)", static_cast<long long>(r->below_floor),
                  checks::kProbabilityFloor);
    }
    if (r->confirmable > 0) {
      std::printf(" (%lld of %lld on gold frames confirmed by gold)", static_cast<long long>(r->confirmed),
                  static_cast<long long>(r->confirmable));
    }
    std::printf("\n");
    std::string line;
    for (const auto& [c, n] : r->by_check) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", c, n);
    if (!line.empty()) std::printf("  by check: %s\n", line.c_str());
  }
  if (json) std::puts((args.pipeline.empty() ? all : all.at(0)).dump(2).c_str());
  return kExitOk;
}

int RunQueue(const ChecksArgs& args) {
  const bool json = args.common.json;
  if (args.budget && args.budget_frac) {
    return Fail(Status::Usage("--budget and --budget-frac: give one of them"), json);
  }
  if (args.budget && *args.budget < 0) return Fail(Status::Usage("--budget must be at least 0"), json);
  if (args.budget_frac && !(*args.budget_frac >= 0 && *args.budget_frac <= 1)) {
    return Fail(Status::Usage("--budget-frac must lie in [0, 1]"), json);
  }
  if (!(args.min_probability >= 0 && args.min_probability <= 1)) {
    return Fail(Status::Usage("--min-probability must lie in [0, 1]"), json);
  }
  ProgramConfig config;
  std::unique_ptr<Store> store;
  if (Status s = Open(args, config, store); !s.ok()) return Fail(s, json);
  checks::QueueOptions options;
  options.budget_frames = args.budget;
  options.budget_frac = args.budget_frac;
  options.min_probability = args.min_probability;
  auto q = checks::LoadQueue(*store, config, args.pipeline, options);
  if (!q.ok()) return Fail(q.status(), json);
  if (json) {
    ordered_json items = ordered_json::array();
    int rank = 0;
    for (const checks::QueueFrame& f : q->frames) {
      ++rank;
      for (const checks::QueueItem& it : f.items) {
        ordered_json geometry = nullptr;
        if (!it.geometry_json.empty()) geometry = ordered_json::parse(it.geometry_json, nullptr, false);
        items.push_back(ordered_json{{"pipeline", it.pipeline},
                                     {"frame", it.frame},
                                     {"object", it.object.empty() ? ordered_json(nullptr) : ordered_json(it.object)},
                                     {"suspected", std::string(Name(it.suspected))},
                                     {"score", Number(it.score)},
                                     {"reasons", it.reasons},
                                     {"geometry", geometry},
                                     {"probability", Number(it.probability)},
                                     {"severity", std::string(Name(it.severity))},
                                     {"class", it.cls},
                                     {"task", it.task},
                                     {"producer", it.producer},
                                     {"frame_rank", rank},
                                     {"frame_score", Number(f.score)}});
      }
    }
    ordered_json out{{"pipeline", q->pipeline},
                     {"frames_checked", q->frames_checked},
                     {"budget_frames", q->budget_frames},
                     {"items", items}};
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s: %zu frames of %lld checked (budget %lld)\n", q->pipeline.c_str(), q->frames.size(),
              static_cast<long long>(q->frames_checked), static_cast<long long>(q->budget_frames));
  int rank = 0;
  for (const checks::QueueFrame& f : q->frames) {
    std::printf("%4d  %-32s  expected error weight %.2f\n", ++rank, f.frame.c_str(), f.score);
    for (const checks::QueueItem& it : f.items) {
      std::printf("      %-14s %-10s %-8s p %.2f  %s  %s\n", std::string(Name(it.suspected)).c_str(),
                  it.object.empty() ? "(missing)" : it.object.c_str(), std::string(Name(it.severity)).c_str(),
                  it.probability, it.producer.c_str(), it.reasons.empty() ? "" : it.reasons.front().c_str());
    }
  }
  return kExitOk;
}

int RunAuditors(const ChecksArgs& args) {
  const bool json = args.common.json;
  ProgramConfig config;
  std::unique_ptr<Store> store;
  if (Status s = Open(args, config, store); !s.ok()) return Fail(s, json);
  ordered_json all = ordered_json::array();
  for (const std::string& p : Pipelines(args, config)) {
    auto r = checks::AuditorCalibration(*store, config, p);
    if (!r.ok()) return Fail(r.status(), json);
    if (r->empty()) continue;
    if (!json) std::printf("%s\n", p.c_str());
    for (const checks::AuditorStats& a : *r) {
      if (json) {
        all.push_back(ordered_json{{"pipeline", p},
                                   {"auditor", a.auditor},
                                   {"frames", a.frames},
                                   {"gold_errors", a.gold_errors},
                                   {"found", a.found},
                                   {"recall", Number(a.recall)},
                                   {"reported", a.reported},
                                   {"false_alarms", a.false_alarms},
                                   {"false_alarm_rate", Number(a.false_alarm_rate)}});
      } else {
        std::printf("  %-16s %4lld frames  recall %s (%lld of %lld gold errors)  false alarms %s (%lld of %lld)\n",
                    a.auditor.c_str(), static_cast<long long>(a.frames),
                    std::isfinite(a.recall) ? fmt::format("{:.2f}", a.recall).c_str() : "-",
                    static_cast<long long>(a.found), static_cast<long long>(a.gold_errors),
                    std::isfinite(a.false_alarm_rate) ? fmt::format("{:.2f}", a.false_alarm_rate).c_str() : "-",
                    static_cast<long long>(a.false_alarms), static_cast<long long>(a.reported));
      }
    }
  }
  if (json) std::puts(all.dump(2).c_str());
  return kExitOk;
}

}  // namespace

void AddChecksCommands(CLI::App& app, CommandTable& table) {
  auto check = std::make_shared<ChecksArgs>();
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Run the automated checks (rules, tracks, model comparison) and store their findings");
  AddCommonOptions(check_cmd, check->common);
  check_cmd->add_option("--pipeline", check->pipeline, "Pipeline id (default: every pipeline)");
  check_cmd->add_option("--threads", check->threads,
                        "Pipelines checked at once, each on a read-only store connection (default 0: one per "
                        "hardware thread)")
      ->check(CLI::NonNegativeNumber);
  table.Add(check_cmd, [check] { return RunCheck(*check); });

  auto queue = std::make_shared<ChecksArgs>();
  CLI::App* queue_cmd = app.add_subcommand(
      "queue", "The review queue: frames ranked by expected error weight, with the suspected errors in them");
  AddCommonOptions(queue_cmd, queue->common);
  queue_cmd->add_option("--pipeline", queue->pipeline, "Pipeline id")->required();
  auto* budget = queue_cmd->add_option("--budget", queue->budget, "Review budget: this many frames");
  auto* frac = queue_cmd->add_option("--budget-frac", queue->budget_frac,
                                     "Review budget: this fraction of the pipeline's checked frames");
  budget->excludes(frac);
  queue_cmd->add_option("--min-probability", queue->min_probability,
                        "Leave out items less likely than this to be errors")
      ->capture_default_str();
  table.Add(queue_cmd, [queue] { return RunQueue(*queue); });

  auto auditors = std::make_shared<ChecksArgs>();
  CLI::App* auditors_cmd = app.add_subcommand(
      "auditors", "Auditor calibration: each auditor's recall of gold's errors and false-alarm rate");
  AddCommonOptions(auditors_cmd, auditors->common);
  auditors_cmd->add_option("--pipeline", auditors->pipeline, "Pipeline id (default: every pipeline)");
  table.Add(auditors_cmd, [auditors] { return RunAuditors(*auditors); });
}

}  // namespace gtops::cli
