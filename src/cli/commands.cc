#include "cli/commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/render.h"
#include "config/config.h"
#include "core/allocator.h"
#include "ingest/ingest.h"
#include "run/ops_data.h"
#include "store/store.h"

namespace gtops::cli {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

int ExitCodeOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kBadInput:
    case StatusCode::kNotFound: return kExitBadInput;
    case StatusCode::kBadConfig: return kExitBadConfig;
    case StatusCode::kStoreError: return kExitStoreError;
    case StatusCode::kGateFailed: return kExitGateFailed;
    case StatusCode::kUsage: return kExitUsage;
    case StatusCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

int Fail(const Status& s, bool json) {
  if (json) {
    ordered_json j;
    j["error"] = {{"code", StatusCodeName(s.code())}, {"message", s.message()}};
    std::puts(j.dump(2).c_str());
  } else {
    std::fprintf(stderr, "gtops: %s\n", s.message().c_str());
  }
  return ExitCodeOf(s);
}

std::string StorePath(const CommonArgs& c) {
  return c.store.empty() ? DefaultStorePath(c.program) : c.store;
}

Result<std::unique_ptr<Store>> OpenExistingStore(const CommonArgs& c, bool read_only, std::string_view first) {
  const std::string path = StorePath(c);
  if (!IsPostgresLocation(path) && !std::filesystem::exists(path)) {
    return Status::StoreError(fmt::format("{}: no store here yet: run `{}` first", path, first));
  }
  return OpenStore(StoreOptions{path, read_only});
}

namespace {

// Shows progress on stderr when it is a terminal; clears the line when done.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  ~ProgressLine() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  std::function<void(const IngestProgress&)> Callback() {
    if (!enabled_) return nullptr;
    return [this](const IngestProgress& p) {
      auto now = std::chrono::steady_clock::now();
      if (shown_ && now - last_ < std::chrono::milliseconds(200)) return;
      last_ = now;
      shown_ = true;
      const double pct = p.bytes_total ? 100.0 * static_cast<double>(p.bytes_done) /
                                             static_cast<double>(p.bytes_total)
                                       : 0.0;
      std::fprintf(stderr, "\r\033[Kingest %5.1f%%  %lld records  %s", std::min(pct, 100.0),
                   static_cast<long long>(p.records_read), p.file.c_str());
      std::fflush(stderr);
    };
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

ordered_json ReportJson(const IngestReport& r, const std::string& quarantine_file) {
  const IngestRunTotals& t = r.totals;
  ordered_json j;
  j["run_id"] = r.run_id;
  j["records_read"] = t.records_read;
  j["accepted"] = t.accepted;
  j["quarantined"] = t.quarantined;
  j["files_read"] = t.files_read;
  j["files_skipped"] = t.files_skipped;
  j["inserted"] = t.inserted;
  j["replaced"] = t.replaced;
  j["unchanged"] = t.unchanged;
  j["objects_written"] = t.objects_written;
  j["files"] = ordered_json::array();
  for (const FileReport& f : r.files) {
    j["files"].push_back({{"path", f.path}, {"skipped", f.skipped},
                          {"records_read", f.records_read}, {"accepted", f.accepted},
                          {"quarantined", f.quarantined}, {"objects", f.objects}});
  }
  j["messages"] = r.messages;
  j["quarantine_file"] = quarantine_file.empty() ? ordered_json(nullptr) : ordered_json(quarantine_file);
  return j;
}

// Loads the config, opens the store, ingests; prints the report. Shared by ingest and demo.
int IngestAndReport(const CommonArgs& common, const std::vector<std::string>& paths, bool force,
                    bool quiet, bool check) {
  auto config = LoadConfig(common.program);
  if (!config.ok()) return Fail(config.status(), common.json);
  IngestOptions options;
  options.program_dir = common.program;
  options.paths = paths;
  options.force = force;
  ProgressLine progress(!quiet && !common.json);
  options.progress = progress.Callback();
  const std::string store_path = StorePath(common);
  std::unique_ptr<Store> store;
  if (!check) {
    auto opened = OpenStore(StoreOptions{store_path, false});
    if (!opened.ok()) return Fail(opened.status(), common.json);
    store = std::move(*opened);
  }
  auto report = check ? CheckInput(*config, options) : Ingest(*store, *config, options);
  if (!report.ok()) return Fail(report.status(), common.json);
  TimelineRefresh timelines;
  if (!check) {
    auto refreshed = RefreshTimelines(*store);
    if (!refreshed.ok()) return Fail(refreshed.status(), common.json);
    timelines = *refreshed;
  }
  std::string quarantine_file;
  if (!check && !IsPostgresLocation(store_path)) {
    quarantine_file = (fs::path(store_path).parent_path() / "quarantine.jsonl").string();
    Status s = WriteQuarantineFile(*store, quarantine_file);
    if (!s.ok()) return Fail(s, common.json);
  }
  const IngestRunTotals& t = report->totals;
  if (common.json) {
    ordered_json j = ReportJson(*report, quarantine_file);
    if (!check) j["timelines_rebuilt"] = timelines.tasks;
    std::puts(j.dump(2).c_str());
  } else {
    if (!quiet) {
      for (const FileReport& f : report->files) {
        if (f.skipped) continue;
        std::printf("  %-50s %9lld read %9lld accepted %7lld quarantined\n", f.path.c_str(),
                    static_cast<long long>(f.records_read), static_cast<long long>(f.accepted),
                    static_cast<long long>(f.quarantined));
      }
    }
    std::printf("%s %lld records: %lld accepted, %lld quarantined (%lld files read, %lld unchanged "
                "and skipped; %lld new, %lld replaced, %lld identical)\n",
                check ? "checked" : "read",
                static_cast<long long>(t.records_read), static_cast<long long>(t.accepted),
                static_cast<long long>(t.quarantined), static_cast<long long>(t.files_read),
                static_cast<long long>(t.files_skipped), static_cast<long long>(t.inserted),
                static_cast<long long>(t.replaced), static_cast<long long>(t.unchanged));
    const size_t shown = std::min<size_t>(report->messages.size(), 20);
    for (size_t i = 0; i < shown; ++i) std::fprintf(stderr, "%s\n", report->messages[i].c_str());
    if (t.quarantined > static_cast<int64_t>(shown)) {
      std::fprintf(stderr, "... %lld more quarantined records: see %s or `gtops status --verbose`\n",
                   static_cast<long long>(t.quarantined - static_cast<int64_t>(shown)),
                   quarantine_file.c_str());
    }
  }
  return t.quarantined > 0 ? kExitBadInput : kExitOk;
}

}  // namespace

int RunInit(const InitArgs& args) {
  fs::path dir(args.dir);
  fs::path toml = dir / "gtops.toml";
  std::error_code ec;
  if (fs::exists(toml, ec) && !args.force) {
    return Fail(Status::Usage(fmt::format("{} exists already (use --force to overwrite)", toml.string())),
                false);
  }
  fs::create_directories(dir / "data", ec);
  if (ec) return Fail(Status::Usage(fmt::format("{}: cannot create: {}", dir.string(), ec.message())), false);
  std::ofstream out(toml);
  out << StarterConfigToml();
  out.close();
  if (!out) return Fail(Status::Usage(fmt::format("{}: cannot write", toml.string())), false);
  std::printf("wrote %s and %s/\nnext: edit gtops.toml, put deliveries (*.jsonl) under data/, then "
              "`gtops ingest --program %s`\n",
              toml.string().c_str(), (dir / "data").string().c_str(), args.dir.c_str());
  return kExitOk;
}

int RunIngest(const IngestArgs& args) {
  TuneAllocator();  // a file at a time: freed memory kept for the next file (core/allocator.h)
  return IngestAndReport(args.common, args.paths, args.force, args.quiet, args.check);
}

int RunStatus(const StatusArgs& args) {
  auto store = OpenStore(StoreOptions{StorePath(args.common), true});
  if (!store.ok()) return Fail(store.status(), args.common.json);
  auto sum = (*store)->Summarize();
  if (!sum.ok()) return Fail(sum.status(), args.common.json);
  std::vector<QuarantineRow> quarantined;
  const size_t limit = args.verbose ? SIZE_MAX : 20;
  Status qs = (*store)->ForEachQuarantined([&](const QuarantineRow& r) {
    if (quarantined.size() < limit) quarantined.push_back(r);
  });
  if (!qs.ok()) return Fail(qs, args.common.json);

  const StoreSummary& s = *sum;
  if (args.common.json) {
    ordered_json j;
    j["labels"] = s.labels;
    j["events"] = s.events;
    j["audits"] = s.audits;
    j["objects"] = s.objects;
    j["quarantined"] = s.quarantined;
    j["audit_errors"] = s.audit_errors;
    j["tasks"] = s.tasks;
    j["frames"] = s.frames;
    ordered_json pipes = ordered_json::array();
    for (const CountRow& p : s.by_pipeline) {
      ordered_json pj;
      pj["id"] = p.keys[0];
      pj["frames"] = p.frames;
      pj["labels"] = p.labels;
      pj["objects"] = p.objects;
      ordered_json sources = ordered_json::object();
      for (const CountRow& ps : s.by_pipeline_source) {
        if (ps.keys[0] == p.keys[0]) {
          sources[ps.keys[1]] = {{"labels", ps.labels}, {"objects", ps.objects}, {"frames", ps.frames}};
        }
      }
      pj["sources"] = sources;
      int64_t events = 0, audits = 0;
      for (const auto& [id, n] : s.events_by_pipeline) if (id == p.keys[0]) events = n;
      for (const auto& [id, n] : s.audits_by_pipeline) if (id == p.keys[0]) audits = n;
      pj["events"] = events;
      pj["audits"] = audits;
      pipes.push_back(pj);
    }
    j["pipelines"] = pipes;
    ordered_json vendors = ordered_json::array();
    for (const CountRow& v : s.by_vendor) {
      vendors.push_back({{"id", v.keys[0]}, {"labels", v.labels}, {"objects", v.objects},
                         {"frames", v.frames}});
    }
    j["vendors"] = vendors;
    ordered_json batches = ordered_json::array();
    for (const CountRow& b : s.by_batch) {
      batches.push_back({{"pipeline", b.keys[0]}, {"batch", b.keys[1]}, {"vendor", b.keys[2]},
                         {"labels", b.labels}, {"objects", b.objects}, {"frames", b.frames}});
    }
    j["batches"] = batches;
    ordered_json q = ordered_json::array();
    for (const QuarantineRow& r : quarantined) {
      q.push_back({{"file", r.file}, {"line", r.line}, {"reason", r.reason}});
    }
    j["quarantine"] = q;
    if (s.last_run) {
      const IngestRunTotals& t = *s.last_run;
      j["last_ingest"] = {{"status", t.status}, {"started_at", s.last_run_started_at},
                          {"finished_at", s.last_run_finished_at}, {"records_read", t.records_read},
                          {"accepted", t.accepted}, {"quarantined", t.quarantined}};
    } else {
      j["last_ingest"] = nullptr;
    }
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }

  std::printf("labels %lld  objects %lld  events %lld  audits %lld (%lld errors)  quarantined %lld\n",
              static_cast<long long>(s.labels), static_cast<long long>(s.objects),
              static_cast<long long>(s.events), static_cast<long long>(s.audits),
              static_cast<long long>(s.audit_errors), static_cast<long long>(s.quarantined));
  if (s.last_run) {
    std::printf("last ingest: %s, %s (%lld read, %lld accepted, %lld quarantined)\n",
                s.last_run_started_at.c_str(),
                s.last_run->status == "running" ? "interrupted or still running"
                                                : s.last_run->status.c_str(),
                static_cast<long long>(s.last_run->records_read),
                static_cast<long long>(s.last_run->accepted),
                static_cast<long long>(s.last_run->quarantined));
  }
  Table pt({"pipeline", "frames", "vendor", "gold", "model", "objects", "events", "audits"});
  for (const CountRow& p : s.by_pipeline) {
    int64_t by_source[3] = {0, 0, 0};
    for (const CountRow& ps : s.by_pipeline_source) {
      if (ps.keys[0] != p.keys[0]) continue;
      if (ps.keys[1] == "vendor") by_source[0] = ps.labels;
      if (ps.keys[1] == "gold") by_source[1] = ps.labels;
      if (ps.keys[1] == "model") by_source[2] = ps.labels;
    }
    int64_t events = 0, audits = 0;
    for (const auto& [id, n] : s.events_by_pipeline) if (id == p.keys[0]) events = n;
    for (const auto& [id, n] : s.audits_by_pipeline) if (id == p.keys[0]) audits = n;
    pt.Add({p.keys[0], std::to_string(p.frames), std::to_string(by_source[0]),
            std::to_string(by_source[1]), std::to_string(by_source[2]), std::to_string(p.objects),
            std::to_string(events), std::to_string(audits)});
  }
  std::printf("\n%s", pt.Render().c_str());
  Table vt({"vendor", "labels", "objects", "frames"});
  for (const CountRow& v : s.by_vendor) {
    vt.Add({v.keys[0], std::to_string(v.labels), std::to_string(v.objects), std::to_string(v.frames)});
  }
  std::printf("\n%s", vt.Render().c_str());
  if (args.verbose) {
    Table bt({"pipeline", "batch", "vendor", "labels", "objects", "frames"});
    for (const CountRow& b : s.by_batch) {
      bt.Add({b.keys[0], b.keys[1], b.keys[2], std::to_string(b.labels), std::to_string(b.objects),
              std::to_string(b.frames)});
    }
    std::printf("\n%s", bt.Render().c_str());
  }
  if (!quarantined.empty()) {
    std::printf("\nquarantined records:\n");
    for (const QuarantineRow& r : quarantined) {
      std::printf("  %s:%lld: %s\n", r.file.c_str(), static_cast<long long>(r.line), r.reason.c_str());
    }
    if (s.quarantined > static_cast<int64_t>(quarantined.size())) {
      std::printf("  ... %lld more (--verbose lists them all)\n",
                  static_cast<long long>(s.quarantined - static_cast<int64_t>(quarantined.size())));
    }
  }
  return kExitOk;
}

int RunSql(const SqlArgs& args) {
  auto store = OpenStore(StoreOptions{StorePath(args.common), true});
  if (!store.ok()) return Fail(store.status(), args.common.json);
  auto q = (*store)->QueryReadOnly(args.query);
  if (!q.ok()) return Fail(q.status(), args.common.json);
  if (args.common.json) {
    ordered_json rows = ordered_json::array();
    for (const auto& row : q->rows) {
      ordered_json r = ordered_json::object();
      for (size_t c = 0; c < row.size(); ++c) {
        if (!row[c]) {
          r[q->columns[c]] = nullptr;
        } else if (q->numeric[c]) {
          r[q->columns[c]] = ordered_json::parse(*row[c]);
        } else {
          r[q->columns[c]] = *row[c];
        }
      }
      rows.push_back(r);
    }
    std::puts(ordered_json{{"columns", q->columns}, {"rows", rows}}.dump(2).c_str());
  } else if (args.csv) {
    std::fputs(RenderCsv(q->columns, q->rows).c_str(), stdout);
  } else {
    Table t(q->columns);
    for (const auto& row : q->rows) {
      std::vector<std::string> cells;
      for (const auto& c : row) cells.push_back(c ? *c : "NULL");
      t.Add(cells);
    }
    std::fputs(t.Render().c_str(), stdout);
    std::printf("(%zu rows)\n", q->rows.size());
  }
  return kExitOk;
}

int RunDemo(const DemoArgs& args) {
  auto summary = WriteDemoProgram(args.options, args.dir);
  if (!summary.ok()) return Fail(summary.status(), args.json);
  const DemoSummary& d = *summary;
  if (!args.json) {
    std::printf("wrote demo program %s: %lld label records (%lld objects), %lld events, %lld audits, "
                "%lld tasks; answer key in %s/answers/\n",
                args.dir.c_str(), static_cast<long long>(d.label_records),
                static_cast<long long>(d.objects), static_cast<long long>(d.events),
                static_cast<long long>(d.audits), static_cast<long long>(d.tasks), args.dir.c_str());
  }
  if (args.no_ingest) {
    if (args.json) {
      std::puts(ordered_json{{"label_records", d.label_records}, {"objects", d.objects},
                             {"events", d.events}, {"audits", d.audits}, {"tasks", d.tasks}}
                    .dump(2).c_str());
    }
    return kExitOk;
  }
  CommonArgs common;
  common.program = args.dir;
  common.json = args.json;
  return IngestAndReport(common, {}, false, true, false);
}

}  // namespace gtops::cli
