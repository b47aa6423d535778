// gtops commands of the interop module (registered through cli/command_table.h): `gtops import`
// and `gtops export` (docs/formats.md).
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "config/config.h"
#include "core/allocator.h"
#include "ingest/ingest.h"
#include "interop/importer.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using nlohmann::ordered_json;

struct ImportArgs {
  CommonArgs common;
  std::string format;
  std::vector<std::string> paths;
  std::string pipeline, source, vendor, annotator, batch, model, task;
  std::vector<std::string> class_map;
  double fps = 10;
  std::string calib, tables, categories, ego_frame;
};

struct ExportArgs {
  CommonArgs common;
  std::string format, pipeline, source = "gold", batch, out, calib;
};

Result<interop::Format> FormatOf(const std::string& name) {
  auto f = interop::ParseFormat(name);
  if (!f) return Status::Usage(fmt::format("unknown format \"{}\" (kitti, coco, nuscenes, openlabel, cvat)", name));
  return *f;
}

int RunImport(const ImportArgs& a) {
  TuneAllocator();  // a file at a time: freed memory kept for the next file (core/allocator.h)
  const bool json = a.common.json;
  auto format = FormatOf(a.format);
  if (!format.ok()) return Fail(format.status(), json);
  auto config = LoadConfig(a.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  auto source = ParseSource(a.source);
  if (!source) return Fail(Status::Usage(fmt::format("--source {}: expected vendor, gold or model", a.source)), json);
  interop::ImportRequest req;
  req.format = *format;
  req.paths = a.paths;
  req.program_dir = a.common.program;
  req.calib = a.calib;
  req.tables = a.tables;
  req.categories = a.categories;
  req.ego_frame = a.ego_frame;
  interop::ImportOptions& o = req.options;
  o.pipeline = a.pipeline;
  o.source = *source;
  o.vendor = a.vendor;
  o.annotator = a.annotator;
  o.batch = a.batch;
  o.model = a.model;
  o.task = a.task;
  o.fps = a.fps;
  if (!(a.fps > 0)) return Fail(Status::Usage("--fps must be > 0"), json);
  for (const std::string& m : a.class_map) {
    const size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
      return Fail(Status::Usage(fmt::format("--class-map {}: expected FOREIGN=CLASS", m)), json);
    }
    o.class_map[m.substr(0, eq)] = m.substr(eq + 1);
  }
  const std::string store_path = StorePath(a.common);
  auto store = OpenStore(StoreOptions{store_path, false});
  if (!store.ok()) return Fail(store.status(), json);
  auto report = interop::Import(**store, *config, req);
  if (!report.ok()) return Fail(report.status(), json);
  std::string quarantine_file;
  if (!IsPostgresLocation(store_path)) {
    quarantine_file = (std::filesystem::path(store_path).parent_path() / "quarantine.jsonl").string();
    Status s = WriteQuarantineFile(**store, quarantine_file);
    if (!s.ok()) return Fail(s, json);
  }
  const interop::ImportReport& r = *report;
  if (json) {
    ordered_json j{{"run_id", r.run_id},         {"records", r.records},
                   {"accepted", r.accepted},     {"objects", r.objects},
                   {"ignore_regions", r.ignore_regions}, {"quarantined", r.quarantined},
                   {"inserted", r.inserted},     {"replaced", r.replaced},
                   {"unchanged", r.unchanged},   {"skipped", r.skipped}};
    j["files"] = ordered_json::array();
    for (const interop::ImportFileReport& f : r.files) {
      j["files"].push_back(ordered_json{{"path", f.path}, {"records", f.records}, {"accepted", f.accepted},
                                        {"objects", f.objects}, {"ignore_regions", f.ignore_regions},
                                        {"quarantined", f.quarantined}, {"skipped", f.skipped}});
    }
    j["messages"] = r.messages;
    j["quarantine_file"] = quarantine_file.empty() ? ordered_json(nullptr) : ordered_json(quarantine_file);
    std::puts(j.dump(2).c_str());
  } else {
    for (const interop::ImportFileReport& f : r.files) {
      std::printf("  %-50s %7lld frames %9lld objects %6lld ignore %6lld quarantined\n", f.path.c_str(),
                  static_cast<long long>(f.accepted), static_cast<long long>(f.objects),
                  static_cast<long long>(f.ignore_regions), static_cast<long long>(f.quarantined));
    }
    std::printf("imported %lld frames with %lld objects and %lld ignore regions; %lld quarantined (%lld new, "
                "%lld replaced, %lld identical)\n",
                static_cast<long long>(r.accepted), static_cast<long long>(r.objects),
                static_cast<long long>(r.ignore_regions), static_cast<long long>(r.quarantined),
                static_cast<long long>(r.inserted), static_cast<long long>(r.replaced),
                static_cast<long long>(r.unchanged));
    for (const auto& [why, n] : r.skipped) std::printf("  not imported: %lld x %s\n", static_cast<long long>(n), why.c_str());
    const size_t shown = std::min<size_t>(r.messages.size(), 20);
    for (size_t i = 0; i < shown; ++i) std::fprintf(stderr, "%s\n", r.messages[i].c_str());
    if (r.quarantined > static_cast<int64_t>(shown)) {
      std::fprintf(stderr, "... %lld more quarantined items: see %s\n",
                   static_cast<long long>(r.quarantined - static_cast<int64_t>(shown)), quarantine_file.c_str());
    }
  }
  return r.quarantined > 0 ? kExitBadInput : kExitOk;
}

int RunExport(const ExportArgs& a) {
  const bool json = a.common.json;
  auto format = FormatOf(a.format);
  if (!format.ok()) return Fail(format.status(), json);
  auto config = LoadConfig(a.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  auto store = OpenExistingStore(a.common, true, "gtops ingest` or `gtops import");
  if (!store.ok()) return Fail(store.status(), json);
  interop::ExportRequest req;
  req.format = *format;
  req.pipeline = a.pipeline;
  req.source = a.source;
  req.batch = a.batch;
  req.out = a.out;
  req.calib = a.calib;
  auto report = interop::Export(**store, *config, req);
  if (!report.ok()) return Fail(report.status(), json);
  if (json) {
    std::puts(ordered_json{{"frames", report->frames}, {"objects", report->objects}, {"files", report->files}}
                  .dump(2)
                  .c_str());
  } else {
    std::printf("exported %lld frames with %lld objects to %zu file(s) under %s\n",
                static_cast<long long>(report->frames), static_cast<long long>(report->objects),
                report->files.size(), a.out.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddInteropCommands(CLI::App& app, CommandTable& table) {
  auto imp = std::make_shared<ImportArgs>();
  CLI::App* ic = app.add_subcommand("import", "Import labels from KITTI, COCO, nuScenes, OpenLABEL or CVAT (docs/formats.md)");
  AddCommonOptions(ic, imp->common);
  ic->add_option("FORMAT", imp->format, "kitti, coco, nuscenes, openlabel or cvat")->required();
  ic->add_option("PATH", imp->paths, "Files or folders to import")->required();
  ic->add_option("--pipeline", imp->pipeline, "Pipeline of gtops.toml the labels belong to")->required();
  ic->add_option("--source", imp->source, "vendor, gold or model")->required();
  ic->add_option("--vendor", imp->vendor, "Vendor id (source vendor)");
  ic->add_option("--annotator", imp->annotator, "Annotator (source vendor)");
  ic->add_option("--batch", imp->batch, "Delivery batch (required for source vendor)");
  ic->add_option("--model", imp->model, "Model name (source model; default: the file's stem)");
  ic->add_option("--task", imp->task, "Task id for every record (default: <format>:<sequence, scene or image>)");
  ic->add_option("--class-map", imp->class_map, "FOREIGN=CLASS: map a foreign category onto a pipeline class");
  ic->add_option("--fps", imp->fps, "Frame rate for frames without a clock (KITTI tracking, CVAT video)")->capture_default_str();
  ic->add_option("--calib", imp->calib, "KITTI: one calibration file for every label file");
  ic->add_option("--tables", imp->tables, "nuScenes results: the table folder (ego poses of the samples)");
  ic->add_option("--categories", imp->categories, "COCO results: an instances file naming the category ids");
  ic->add_option("--ego-frame", imp->ego_frame, "OpenLABEL: the coordinate system of gtops's ego frame");
  table.Add(ic, [imp] { return RunImport(*imp); });

  auto exp = std::make_shared<ExportArgs>();
  CLI::App* ec = app.add_subcommand("export", "Export labels to OpenLABEL, KITTI, nuScenes results or COCO (docs/formats.md)");
  AddCommonOptions(ec, exp->common);
  ec->add_option("FORMAT", exp->format, "openlabel, kitti, nuscenes or coco")->required();
  ec->add_option("OUT", exp->out, "Output file (a folder for KITTI)")->required();
  ec->add_option("--pipeline", exp->pipeline, "Pipeline to export")->required();
  ec->add_option("--source", exp->source, "gold, consensus, vendor or model")->capture_default_str();
  ec->add_option("--batch", exp->batch, "Only this batch");
  ec->add_option("--calib", exp->calib, "KITTI box3d: the calibration back to camera coordinates");
  table.Add(ec, [exp] { return RunExport(*exp); });
}

}  // namespace gtops::cli
