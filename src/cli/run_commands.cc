#include "cli/run_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "ingest/ingest.h"
#include "report/gaps.h"
#include "report/render.h"
#include "run/run.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

namespace fs = std::filesystem;
using report::Gap;
using report::GapStatus;

bool UseColour() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr && term != nullptr &&
         std::string_view(term) != "dumb";
}

std::string Paint(std::string_view text, GapStatus s, bool colour) {
  if (!colour) return std::string(text);
  const char* code = s == GapStatus::kFails ? "31" : s == GapStatus::kInconclusive ? "33" : s == GapStatus::kMeets ? "32" : "90";
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 100) return fmt::format("{:.1f}", v);
  if (std::fabs(v) >= 10) return fmt::format("{:.2f}", v);
  return fmt::format("{:.3f}", v);
}

std::string Interval(const Gap& g) {
  if (!std::isfinite(g.lo) || !std::isfinite(g.hi)) return "-";
  return fmt::format("[{}, {}]", Num(g.lo), Num(g.hi));
}

std::string StatusText(const Gap& g) {
  std::string s(report::Name(g.status));
  if (g.status == GapStatus::kInconclusive && g.additional_audits) s += fmt::format(" (+{})", *g.additional_audits);
  return s;
}

std::string Fit(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

std::string What(const Gap& g) {
  std::string what = g.metric;
  if (!g.vendor.empty()) what += " vendor=" + g.vendor;
  if (!g.slice.empty()) what.append(" ").append(g.SliceLabel());  // not " " + ...: GCC 12's false -Wrestrict
  return what;
}

void PrintRowHeader() {
  std::printf("%-58s %8s %8s %-20s %8s  %-20s %s\n", "METRIC (SLICE)", "TARGET", "MEASURED", "95% CI", "GAP",
              "STATUS", "TREND");
}

void PrintRow(const Gap& g, bool colour, const char* indent) {
  const std::string status = fmt::format("{:<20}", StatusText(g));
  std::printf("%s%-*s %8s %8s %-20s %8s  %s %s\n", indent, static_cast<int>(58 - std::string_view(indent).size()),
              Fit(What(g), 58 - std::string_view(indent).size()).c_str(), Num(g.target).c_str(), Num(g.value).c_str(),
              Interval(g).c_str(), Num(g.gap).c_str(), Paint(status, g.status, colour).c_str(), g.trend.c_str());
}

// One line per pipeline: its worst row and its counts; pipelines worst first.
void PrintSummary(const report::RunResult& r, bool colour) {
  std::map<std::string, const Gap*> worst;
  std::vector<std::string> order;
  for (const Gap& g : r.gaps) {  // gaps are worst first
    if (worst.emplace(g.pipeline, &g).second) order.push_back(g.pipeline);
  }
  std::printf("%-16s %-50s %8s %8s %-18s %-20s %s\n", "PIPELINE", "WORST ROW", "TARGET", "MEASURED", "95% CI",
              "STATUS", "FAILS/INCONCL/MEETS");
  for (const std::string& p : order) {
    const Gap& g = *worst[p];
    int64_t f = 0, i = 0, m = 0;
    for (const report::PipelineSummary& s : r.pipelines) {
      if (s.pipeline == p) f = s.fails, i = s.inconclusive, m = s.meets;
    }
    const std::string status = fmt::format("{:<20}", StatusText(g));
    std::printf("%-16s %-50s %8s %8s %-18s %s %lld/%lld/%lld\n", Fit(p, 16).c_str(), Fit(What(g), 50).c_str(),
                Num(g.target).c_str(), Num(g.value).c_str(), Interval(g).c_str(), Paint(status, g.status, colour).c_str(),
                static_cast<long long>(f), static_cast<long long>(i), static_cast<long long>(m));
  }
  for (const report::PipelineSummary& s : r.pipelines) {
    if (!worst.count(s.pipeline)) std::printf("%-16s (no targets)\n", Fit(s.pipeline, 16).c_str());
  }
}

void PrintFull(const report::RunResult& r, bool colour) {
  std::string pipeline;
  PrintRowHeader();
  std::vector<const Gap*> rows;
  for (const Gap& g : r.gaps) rows.push_back(&g);
  std::stable_sort(rows.begin(), rows.end(), [](const Gap* a, const Gap* b) { return a->pipeline < b->pipeline; });
  for (const Gap* g : rows) {
    if (g->pipeline != pipeline) {
      pipeline = g->pipeline;
      std::printf("%s\n", pipeline.c_str());
    }
    PrintRow(*g, colour, "  ");
  }
}

bool GateFails(const report::StatusCounts& c, bool strict) { return c.fails > 0 || (strict && c.inconclusive > 0); }


}  // namespace

int RunRun(const RunArgs& in) {
  RunArgs args = in;
  if (!args.program_arg.empty()) args.common.program = args.program_arg;
  if (args.strict && !args.gate) args.gate = true;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), args.common.json);
  auto store = OpenStore(StoreOptions{StorePath(args.common), false});
  if (!store.ok()) return Fail(store.status(), args.common.json);

  RunOptions options;
  options.program_dir = args.common.program;
  options.ingest = !args.no_ingest;
  options.force = args.force;
  options.report_dir = args.report_dir;
  if (args.resamples < 0) return Fail(Status::Usage("--resamples must be >= 0"), args.common.json);
  options.metrics.resamples = args.resamples;
  options.threads = args.threads;
  const bool progress = !args.common.json && ::isatty(STDERR_FILENO);
  if (progress) {
    options.progress = [](std::string_view stage) { std::fprintf(stderr, "\r\033[K  %.*s ...", static_cast<int>(stage.size()), stage.data()); };
  }
  auto out = RunProgram(**store, *config, options);
  if (progress) std::fprintf(stderr, "\r\033[K");
  if (!out.ok()) return Fail(out.status(), args.common.json);
  if (!out->reused && !IsPostgresLocation(StorePath(args.common))) {
    const std::string quarantine = (fs::path(StorePath(args.common)).parent_path() / "quarantine.jsonl").string();
    Status s = WriteQuarantineFile(**store, quarantine);
    if (!s.ok()) return Fail(s, args.common.json);
  }
  const report::RunResult& r = out->result;
  const report::StatusCounts counts = report::CountStatuses(r.gaps);
  const std::string index = (fs::path(out->report_dir) / "index.html").string();

  if (args.common.json) {
    auto j = nlohmann::ordered_json::parse(report::RenderGapsJson(r));
    j["reused"] = out->reused;
    j["report"] = index;
    j["ingest"] = {{"records_read", out->ingest.totals.records_read},
                   {"accepted", out->ingest.totals.accepted},
                   {"quarantined", out->ingest.totals.quarantined},
                   {"new", out->ingest.totals.inserted},
                   {"replaced", out->ingest.totals.replaced}};
    std::puts(j.dump(2).c_str());
  } else {
    const bool colour = UseColour();
    const IngestRunTotals& t = out->ingest.totals;
    if (!args.no_ingest) {
      std::printf("ingest: %lld records read, %lld new, %lld replaced, %lld quarantined\n",
                  static_cast<long long>(t.records_read), static_cast<long long>(t.inserted),
                  static_cast<long long>(t.replaced), static_cast<long long>(t.quarantined));
    }
    std::printf("%s: %zu pipeline%s, %zu gap rows: %lld fail, %lld inconclusive, %lld meet, %lld no data (run %lld%s)\n\n",
                r.program.c_str(), r.pipelines.size(), r.pipelines.size() == 1 ? "" : "s", r.gaps.size(), static_cast<long long>(counts.fails),
                static_cast<long long>(counts.inconclusive), static_cast<long long>(counts.meets),
                static_cast<long long>(counts.no_data), static_cast<long long>(r.run_id),
                out->reused ? ", nothing new: the last run's results" : "");
    if (args.verbose) {
      PrintFull(r, colour);
    } else {
      PrintSummary(r, colour);
    }
    if (!r.alerts.empty()) {
      std::printf("\noperational alerts:\n");
      for (const report::OpsAlert& a : r.alerts) {
        std::printf("  %-5s %-13s %-16s %-12s since %s: %s\n", a.level.c_str(), a.kind.c_str(),
                    a.pipeline.empty() ? "all pipelines" : a.pipeline.c_str(), a.vendor.c_str(), a.since.c_str(),
                    a.evidence.c_str());
      }
    }
    std::printf("\nreport: %s%s\n", index.c_str(), args.verbose ? "" : "  (every row: --verbose or `gtops gaps`)");
    const size_t shown = std::min<size_t>(out->ingest.messages.size(), 10);
    for (size_t i = 0; i < shown; ++i) std::fprintf(stderr, "%s\n", out->ingest.messages[i].c_str());
  }
  if (args.gate && GateFails(counts, args.strict)) {
    if (!args.common.json) {
      std::fprintf(stderr, "gtops: gate failed: %lld targets fail%s\n", static_cast<long long>(counts.fails),
                   args.strict ? fmt::format(", {} inconclusive (--strict)", counts.inconclusive).c_str() : "");
    }
    return kExitGateFailed;
  }
  return out->ingest.totals.quarantined > 0 ? kExitBadInput : kExitOk;
}

int RunGaps(const GapsArgs& args) {
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), args.common.json);
  auto store = OpenStore(StoreOptions{StorePath(args.common), true});
  if (!store.ok()) return Fail(store.status(), args.common.json);
  auto table = LatestGapTable(**store, *config);
  if (!table.ok()) return Fail(table.status(), args.common.json);
  if (!args.status.empty() && args.status != "meets" && args.status != "fails" && args.status != "inconclusive" &&
      args.status != "no_data") {
    return Fail(Status::Usage(fmt::format("--status {}: use meets, fails, inconclusive or no_data", args.status)),
                args.common.json);
  }
  if (!args.pipeline.empty() && config->FindPipeline(args.pipeline) == nullptr) {
    return Fail(Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", args.pipeline)), args.common.json);
  }
  std::vector<Gap> rows;
  for (Gap& g : table->gaps) {
    if (!args.pipeline.empty() && g.pipeline != args.pipeline) continue;
    if (!args.status.empty() && report::Name(g.status) != args.status) continue;
    rows.push_back(std::move(g));
  }
  table->gaps = std::move(rows);
  const report::StatusCounts counts = report::CountStatuses(table->gaps);
  if (args.common.json) {
    std::fputs(report::RenderGapsJson(*table).c_str(), stdout);
  } else {
    std::printf("run %lld (%s): %zu gap rows: %lld fail, %lld inconclusive, %lld meet, %lld no data\n\n",
                static_cast<long long>(table->run_id), table->generated_at.c_str(), table->gaps.size(),
                static_cast<long long>(counts.fails), static_cast<long long>(counts.inconclusive),
                static_cast<long long>(counts.meets), static_cast<long long>(counts.no_data));
    PrintFull(*table, UseColour());
  }
  if (args.gate && GateFails(counts, args.strict)) return kExitGateFailed;
  return kExitOk;
}

}  // namespace gtops::cli
