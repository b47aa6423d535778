#include "interop/importer.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "interop/coco.h"
#include "interop/cvat.h"
#include "interop/kitti.h"
#include "interop/nuscenes.h"
#include "interop/openlabel.h"
#include "interop/record_check.h"

namespace gtops::interop {
namespace fs = std::filesystem;

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "kitti") return Format::kKitti;
  if (name == "coco") return Format::kCoco;
  if (name == "nuscenes") return Format::kNuscenes;
  if (name == "openlabel") return Format::kOpenlabel;
  if (name == "cvat") return Format::kCvat;
  return std::nullopt;
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(fmt::format("{}: cannot read", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::NotFound(fmt::format("{}: read failed", path));
  return std::move(ss).str();
}

std::string DisplayPath(const fs::path& file, const fs::path& program_dir) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(file, ec);
  fs::path root = fs::weakly_canonical(program_dir, ec);
  fs::path rel = abs.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return abs.generic_string();
}

// The input units of a format: files, or (nuScenes tables) folders. Folders given for file
// formats are searched recursively for the format's files.
Result<std::vector<std::string>> ListInputs(Format format, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) return Status::NotFound(fmt::format("{}: no such file or folder", p));
    if (!fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    if (format == Format::kNuscenes) {
      if (fs::exists(fs::path(p) / "sample_annotation.json")) {
        out.push_back(p);
        continue;
      }
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_directory() && fs::exists(it->path() / "sample_annotation.json")) out.push_back(it->path().string());
      }
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const fs::path& f = it->path();
      const std::string ext = f.extension().string();
      const std::string parent = f.parent_path().filename().string();
      const bool take = format == Format::kKitti   ? ext == ".txt" && parent != "calib"
                        : format == Format::kCvat  ? ext == ".xml"
                                                   : ext == ".json";
      if (take) found.push_back(f.string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

// Writes converted records and issues of one input to the store in one transaction.
class Writer {
 public:
  Writer(Store& store, const ProgramConfig& config, ImportReport& report, size_t max_messages)
      : store_(store), check_(config), report_(report), max_messages_(max_messages) {}

  Status Write(const std::string& display, const FileState& state, ConvertOutput& out) {
    ImportFileReport fr;
    fr.path = display;
    fr.ignore_regions = out.ignore_regions;
    fr.skipped = out.skipped;
    GTOPS_RETURN_IF_ERROR(store_.BeginFile(display, report_.run_id));
    auto quarantine = [&](int64_t pos, const std::string& reason, const std::string& raw) -> Status {
      ++fr.quarantined;
      if (report_.messages.size() < max_messages_) {
        report_.messages.push_back(fmt::format("{}:{}: {}", display, pos, reason));
      }
      return store_.PutQuarantine(SourceLocation{display, pos}, reason, raw);
    };
    Status s = [&]() -> Status {
      for (const ConvertIssue& is : out.issues) GTOPS_RETURN_IF_ERROR(quarantine(is.position, is.reason, is.raw));
      for (ConvertedRecord& rec : out.records) {
        ++fr.records;
        check_.Check(rec, checked_);
        for (CheckOutcome::Item& item : checked_.quarantined) {
          GTOPS_RETURN_IF_ERROR(quarantine(item.position, item.reason, item.raw));
        }
        if (!checked_.accepted) continue;
        ++fr.accepted;
        fr.objects += static_cast<int64_t>(rec.labels.objects.size());
        auto r = store_.PutLabels(rec.labels, checked_.content_hash, SourceLocation{display, rec.position});
        if (!r.ok()) return r.status();
        if (*r == PutResult::kInserted) ++report_.inserted;
        if (*r == PutResult::kReplaced) ++report_.replaced;
        if (*r == PutResult::kUnchanged) ++report_.unchanged;
      }
      return Status::Ok();
    }();
    if (!s.ok()) {
      store_.AbortFile();
      return s;
    }
    // Items read = records accepted + items quarantined (issues, rejected objects and records).
    GTOPS_RETURN_IF_ERROR(store_.CommitFile(state, FileTotals{fr.accepted + fr.quarantined, fr.accepted, fr.quarantined}));
    report_.records += fr.records;
    report_.accepted += fr.accepted;
    report_.objects += fr.objects;
    report_.ignore_regions += fr.ignore_regions;
    report_.quarantined += fr.quarantined;
    for (const auto& [k, v] : fr.skipped) report_.skipped[k] += v;
    report_.files.push_back(std::move(fr));
    return Status::Ok();
  }

 private:
  Store& store_;
  RecordCheck check_;
  CheckOutcome checked_;
  ImportReport& report_;
  size_t max_messages_;
};

FileState StateOf(const std::string& path, const std::string& display) {
  FileState st{display, 0, 0};
  struct stat sb;
  if (::stat(path.c_str(), &sb) == 0) {
    st.size = static_cast<int64_t>(sb.st_size);
    st.mtime_ns = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
  }
  return st;
}

// Prefixes a converter's error with the file it concerns (unless it names it already).
Status InFile(const Status& s, const std::string& display) {
  if (s.ok() || s.message().rfind(display, 0) == 0) return s;
  return Status(s.code(), fmt::format("{}: {}", display, s.message()));
}

}  // namespace

Result<ImportReport> Import(Store& store, const ProgramConfig& config, const ImportRequest& request) {
  const PipelineSpec* pipe = config.FindPipeline(request.options.pipeline);
  if (pipe == nullptr) {
    return Status::Usage(fmt::format("pipeline \"{}\" is not in gtops.toml", request.options.pipeline));
  }
  if (request.options.source == Source::kConsensus) {
    return Status::Usage("--source consensus is written by gtops itself; import as vendor, gold or model");
  }
  if (request.options.source == Source::kVendor &&
      (request.options.vendor.empty() || request.options.annotator.empty() || request.options.batch.empty())) {
    return Status::Usage("--source vendor needs --vendor, --annotator and --batch (FORMAT.md)");
  }
  auto inputs = ListInputs(request.format, request.paths);
  if (!inputs.ok()) return inputs.status();
  if (inputs->empty()) return Status::NotFound("no input files found");

  // Shared side inputs, read once.
  std::unique_ptr<KittiCalib> shared_calib;
  if (!request.calib.empty()) {
    auto text = ReadFile(request.calib);
    if (!text.ok()) return text.status();
    auto c = ParseKittiCalib(*text, request.calib);
    if (!c.ok()) return c.status();
    shared_calib = std::make_unique<KittiCalib>(*c);
  }
  std::unique_ptr<CocoCategories> categories;
  if (!request.categories.empty()) {
    auto text = ReadFile(request.categories);
    if (!text.ok()) return text.status();
    auto c = ParseCocoCategories(*text, request.categories);
    if (!c.ok()) return c.status();
    categories = std::make_unique<CocoCategories>(std::move(*c));
  }
  std::unique_ptr<NuscenesTables> tables;
  if (!request.tables.empty()) {
    auto t = ReadNuscenesTables(request.tables);
    if (!t.ok()) return t.status();
    tables = std::make_unique<NuscenesTables>(std::move(*t));
  }

  ImportReport report;
  GTOPS_RETURN_IF_ERROR(store.SyncConfig(config));
  auto run = store.BeginIngestRun();
  if (!run.ok()) return run.status();
  report.run_id = *run;
  Writer writer(store, config, report, request.max_messages);

  Status status = [&]() -> Status {
    for (const std::string& input : *inputs) {
      const fs::path path(input);
      const std::string stem = path.stem().string();
      ConvertContext ctx(*pipe, request.options, stem);
      ConvertOutput out;
      std::string display = DisplayPath(path, request.program_dir);
      FileState state = StateOf(input, display);
      switch (request.format) {
        case Format::kKitti: {
          auto text = ReadFile(input);
          if (!text.ok()) return text.status();
          KittiInput in;
          in.sequence = stem;
          const std::string parent = path.parent_path().filename().string();
          if (parent == "label_02") {
            in.tracking = true;
          } else if (parent != "label_2") {
            // Outside the dataset layout: tracking files have 17 or 18 fields per line.
            std::string_view first(*text);
            first = first.substr(0, first.find('\n'));
            size_t fields = 0;
            bool in_field = false;
            for (char c : first) {
              const bool blank = c == ' ' || c == '\t' || c == '\r';
              if (!blank && !in_field) ++fields;
              in_field = !blank;
            }
            in.tracking = fields == 17 || fields == 18;
          }
          KittiCalib calib;
          if (shared_calib) {
            in.calib = shared_calib.get();
          } else {
            const fs::path cpath = path.parent_path().parent_path() / "calib" / path.filename();
            std::error_code ec;
            if (fs::exists(cpath, ec)) {
              auto ctext = ReadFile(cpath.string());
              if (!ctext.ok()) return ctext.status();
              auto c = ParseKittiCalib(*ctext, DisplayPath(cpath, request.program_dir));
              if (!c.ok()) return c.status();
              calib = *c;
              in.calib = &calib;
            }
          }
          GTOPS_RETURN_IF_ERROR(InFile(ConvertKitti(*text, in, ctx, out), display));
          break;
        }
        case Format::kCoco: {
          auto text = ReadFile(input);
          if (!text.ok()) return text.status();
          GTOPS_RETURN_IF_ERROR(InFile(ConvertCoco(*text, categories.get(), ctx, out), display));
          break;
        }
        case Format::kNuscenes: {
          std::error_code ec;
          if (fs::is_directory(path, ec)) {
            auto t = ReadNuscenesTables(input);
            if (!t.ok()) return t.status();
            const fs::path ann = path / "sample_annotation.json";
            display = DisplayPath(ann, request.program_dir);
            state = StateOf(ann.string(), display);
            GTOPS_RETURN_IF_ERROR(InFile(ConvertNuscenesTables(*t, ctx, out), display));
          } else {
            auto text = ReadFile(input);
            if (!text.ok()) return text.status();
            GTOPS_RETURN_IF_ERROR(InFile(ConvertNuscenesResults(*text, tables.get(), ctx, out), display));
          }
          break;
        }
        case Format::kOpenlabel: {
          auto text = ReadFile(input);
          if (!text.ok()) return text.status();
          OpenlabelInput in;
          in.ego_frame = request.ego_frame;
          GTOPS_RETURN_IF_ERROR(InFile(ConvertOpenlabel(*text, in, ctx, out), display));
          break;
        }
        case Format::kCvat: {
          auto text = ReadFile(input);
          if (!text.ok()) return text.status();
          GTOPS_RETURN_IF_ERROR(InFile(ConvertCvat(*text, ctx, out), display));
          break;
        }
      }
      GTOPS_RETURN_IF_ERROR(writer.Write(display, state, out));
    }
    return Status::Ok();
  }();
  IngestRunTotals totals;
  totals.files_read = static_cast<int64_t>(report.files.size());
  totals.records_read = report.accepted + report.quarantined;
  totals.accepted = report.accepted;
  totals.quarantined = report.quarantined;
  totals.inserted = report.inserted;
  totals.replaced = report.replaced;
  totals.unchanged = report.unchanged;
  totals.objects_written = report.objects;
  totals.status = status.ok() ? (report.quarantined > 0 ? "bad_input" : "ok") : "failed";
  Status fs = store.FinishIngestRun(report.run_id, totals);
  if (!status.ok()) return status;
  if (!fs.ok()) return fs;
  return report;
}

}  // namespace gtops::interop

namespace gtops::interop {
namespace {

Status WriteText(const std::string& path, const std::string& text) {
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::BadInput(fmt::format("{}: cannot write", tmp));
  fs::rename(tmp, path, ec);
  if (ec) return Status::BadInput(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  return Status::Ok();
}

std::string SafeName(std::string s) {
  for (char& c : s) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return s;
}

}  // namespace

Result<ExportReport> Export(Store& store, const ProgramConfig& config, const ExportRequest& request) {
  const PipelineSpec* pipe = config.FindPipeline(request.pipeline);
  if (pipe == nullptr) return Status::Usage(fmt::format("pipeline \"{}\" is not in gtops.toml", request.pipeline));
  auto source = ParseSource(request.source);
  if (!source) return Status::Usage(fmt::format("--source {}: expected gold, consensus, vendor or model", request.source));
  std::vector<LabelRecord> records;
  Status s = store.ForEachFrame(
      request.pipeline,
      [&](const FrameLabels& f) {
        for (const LabelRecord& r : f.records) {
          if (r.source != *source) continue;
          if (!request.batch.empty() && r.batch != request.batch) continue;
          records.push_back(r);
        }
        return Status::Ok();
      },
      request.source, request.source);
  if (!s.ok()) return s;
  ExportReport report;
  std::vector<const LabelRecord*> ptrs;
  for (const LabelRecord& r : records) {
    ptrs.push_back(&r);
    ++report.frames;
    report.objects += static_cast<int64_t>(r.objects.size());
  }
  switch (request.format) {
    case Format::kOpenlabel: {
      auto text = OpenlabelJson(ptrs, *pipe);
      if (!text.ok()) return text.status();
      GTOPS_RETURN_IF_ERROR(WriteText(request.out, *text));
      report.files.push_back(request.out);
      break;
    }
    case Format::kCoco: {
      auto text = CocoInstancesJson(ptrs, *pipe);
      if (!text.ok()) return text.status();
      GTOPS_RETURN_IF_ERROR(WriteText(request.out, *text));
      report.files.push_back(request.out);
      break;
    }
    case Format::kNuscenes: {
      if (pipe->geometry != GeometryKind::kBox3d) {
        return Status::Usage(fmt::format("nuScenes results hold 3D boxes: pipeline \"{}\" has geometry {}", pipe->id,
                                         Name(pipe->geometry)));
      }
      auto text = NuscenesResultsJson(ptrs);
      if (!text.ok()) return text.status();
      GTOPS_RETURN_IF_ERROR(WriteText(request.out, *text));
      report.files.push_back(request.out);
      break;
    }
    case Format::kKitti: {
      KittiExportOptions options;
      options.tracking = pipe->tracking;
      KittiCalib calib;
      if (!request.calib.empty()) {
        auto text = ReadFile(request.calib);
        if (!text.ok()) return text.status();
        auto c = ParseKittiCalib(*text, request.calib);
        if (!c.ok()) return c.status();
        calib = *c;
        options.calib = &calib;
      }
      if (options.tracking) {
        std::map<std::string, std::vector<const LabelRecord*>> by_task;
        for (const LabelRecord* r : ptrs) by_task[r->task].push_back(r);
        for (const auto& [task, rs] : by_task) {
          auto text = KittiLines(rs, pipe->geometry, options);
          if (!text.ok()) return text.status();
          std::string name = task.rfind("kitti:", 0) == 0 ? task.substr(6) : task;
          const std::string path = (fs::path(request.out) / "label_02" / (SafeName(name) + ".txt")).string();
          GTOPS_RETURN_IF_ERROR(WriteText(path, *text));
          report.files.push_back(path);
        }
      } else {
        for (const LabelRecord* r : ptrs) {
          auto text = KittiLines({r}, pipe->geometry, options);
          if (!text.ok()) return text.status();
          const std::string path = (fs::path(request.out) / "label_2" / (SafeName(r->frame) + ".txt")).string();
          GTOPS_RETURN_IF_ERROR(WriteText(path, *text));
          report.files.push_back(path);
        }
      }
      break;
    }
    case Format::kCvat:
      return Status::Usage("CVAT is an import format here; export to COCO or OpenLABEL");
  }
  return report;
}

}  // namespace gtops::interop
