#include "demo/generator.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "core/time.h"
#include "demo/catalog.h"
#include "demo/json_line.h"
#include "demo/scene_gen.h"
#include "demo/world.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;
using demo::World;

Status WriteWholeFile(const std::string& path, std::string_view text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return Status::StoreError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    return Status::StoreError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  return Status::Ok();
}

// Creates the folders and removes data files of an earlier run that this run would not
// overwrite (a run with fewer scenes writes fewer chunks). Only the generator's own file names
// are touched.
Status PrepareFolders(const World& w) {
  static const std::regex kOwnFile(
      R"((labels|gold|model|events|audits)-\d{4}(-p\d+)?\.jsonl(\.gz|\.zst)?)");
  std::error_code ec;
  fs::create_directories(fs::path(w.dir) / "answers", ec);
  if (ec) return Status::StoreError(fmt::format("{}: cannot create: {}", w.dir, ec.message()));
  for (const std::string& id : DemoPipelineIds()) {
    const fs::path d = fs::path(w.dir) / "data" / id;
    if (fs::is_directory(d, ec)) {
      for (const fs::directory_entry& e : fs::directory_iterator(d, ec)) {
        if (e.is_regular_file(ec) && std::regex_match(e.path().filename().string(), kOwnFile)) {
          fs::remove(e.path(), ec);
        }
      }
    }
  }
  for (const demo::PipelineDef& p : w.defs) {
    fs::create_directories(fs::path(w.dir) / "data" / p.id, ec);
    if (ec) return Status::StoreError(fmt::format("{}/data/{}: cannot create: {}", w.dir, p.id, ec.message()));
  }
  return Status::Ok();
}

std::string FaultJson(const demo::FaultDef& f) {
  demo::JsonLine j;
  j.Char('{');
  j.KeyStr("id", f.id);
  j.KeyStr("kind", f.kind);
  j.KeyStr("pipeline", f.pipeline);
  j.KeyStr("error_type", Name(f.type));
  j.Key("conditions").Char('{');
  if (!f.vendor.empty()) j.KeyStr("vendor", f.vendor);
  if (!f.annotator.empty()) j.KeyStr("annotator", f.annotator);
  if (!f.cls.empty()) j.KeyStr("class", f.cls);
  if (!f.spec_version.empty()) j.KeyStr("spec_version", f.spec_version);
  for (const auto& [k, v] : f.scene) j.KeyStr("scene." + k, v);
  for (const auto& [k, v] : f.attr) j.KeyStr("attr." + k, v);
  if (f.has_range) {
    j.Key("range_m").Char('[').Fixed(f.range_lo, 3).Char(',');
    if (f.range_hi < 0) {
      j.Null();
    } else {
      j.Fixed(f.range_hi, 3);
    }
    j.Char(']');
  }
  j.Char('}');
  j.Key("rate").Fixed(f.rate, 4);
  if (!f.to_class.empty()) j.KeyStr("to_class", f.to_class);
  if (f.type == ErrorType::kAttribute) j.KeyStr("attribute", f.attribute).KeyStr("to_value", f.to_value);
  if (f.type == ErrorType::kTag) j.KeyStr("tag", f.attribute).KeyStr("to_value", f.to_value);
  j.KeyStr("note", f.note);
  j.Char('}');
  return j.str();
}

std::string KeyJson(const World& w, const DemoSummary& s,
                    const std::map<std::string, int64_t>& truth_objects) {
  const DemoOptions& o = *w.options;
  std::string out = "{\n";
  auto field = [&out](std::string_view name, std::string_view value, bool last = false) {
    out += fmt::format(" \"{}\": {}{}\n", name, value, last ? "" : ",");
  };
  field("generator", "\"gtops demo\"");
  field("seed", fmt::format("{}", o.seed));
  field("scenes", fmt::format("{}", o.scenes));
  field("objects_scale", fmt::format("{}", o.objects_scale));
  field("frames_per_task", fmt::format("{{\"tracking\": {}, \"other\": {}}}",
                                       o.frames_per_tracking_task, o.frames_per_task));
  field("program", fmt::format("{{\"start\": \"{}\", \"end\": \"{}\", \"spec_switch\": \"{}\"}}",
                               FormatRfc3339(demo::kStartMs), FormatRfc3339(demo::kNowMs),
                               FormatRfc3339(w.SpecSwitchMs())));
  out += " \"faults\": [";
  for (size_t i = 0; i < w.fault_defs.size(); ++i) {
    out += fmt::format("{}\n  {}", i == 0 ? "" : ",", FaultJson(w.fault_defs[i]));
  }
  out += w.fault_defs.empty() ? "],\n" : "\n ],\n";
  out += " \"ops_faults\": [";
  for (size_t i = 0; i < w.ops.size(); ++i) {
    const demo::OpsFaultDef& f = w.ops[i];
    auto at = [](double share) {
      return FormatRfc3339(demo::kStartMs +
                           static_cast<int64_t>(share * static_cast<double>(demo::kDurationMs)));
    };
    demo::JsonLine j;
    j.Char('{');
    j.KeyStr("id", f.id).KeyStr("kind", f.kind);
    if (!f.pipeline.empty()) j.KeyStr("pipeline", f.pipeline);
    j.KeyStr("vendor", f.vendor).KeyStr("from", at(f.from)).KeyStr("to", at(f.to));
    j.Key("factor").Fixed(f.factor, 2).KeyStr("note", f.note);
    j.Char('}');
    out += fmt::format("{}\n  {}", i == 0 ? "" : ",", j.str());
  }
  out += w.ops.empty() ? "],\n" : "\n ],\n";
  field("injected_errors", fmt::format("{}", s.errors_injected));
  out += " \"truth_objects\": {";
  bool first = true;
  for (const auto& [cell, n] : truth_objects) {
    out += fmt::format("{}\n  \"{}\": {}", first ? "" : ",", cell, n);
    first = false;
  }
  out += truth_objects.empty() ? "},\n" : "\n },\n";
  field("summary",
        fmt::format("{{\"label_records\": {}, \"objects\": {}, \"events\": {}, \"audits\": {}, "
                    "\"audit_errors\": {}, \"tasks\": {}, \"gold_tasks\": {}, "
                    "\"errors_injected\": {}}}",
                    s.label_records, s.objects, s.events, s.audits, s.audit_errors, s.tasks,
                    s.gold_tasks, s.errors_injected),
        true);
  out += "}\n";
  return out;
}

struct Item {
  int pipe = 0, chunk = 0, begin = 0, end = 0;
};

}  // namespace

std::vector<std::string> DemoPipelineIds() {
  std::vector<std::string> ids;
  for (const demo::PipelineDef& p : demo::Pipelines()) ids.push_back(p.id);
  return ids;
}

std::vector<std::string> DemoFaultKinds() {
  std::vector<std::string> kinds;
  for (const demo::FaultDef& f : demo::FaultCatalog()) kinds.push_back(f.kind);
  for (const demo::OpsFaultDef& f : demo::OpsFaultCatalog()) kinds.push_back(f.kind);
  return kinds;
}

Result<DemoSummary> WriteDemoProgram(const DemoOptions& options, const std::string& dir) {
  Result<World> built = demo::BuildWorld(options, dir);
  if (!built.ok()) return built.status();
  const World w = std::move(built).value();
  GTOPS_RETURN_IF_ERROR(PrepareFolders(w));
  GTOPS_RETURN_IF_ERROR(WriteWholeFile(dir + "/gtops.toml",
                                       demo::ConfigToml(w.defs, w.vendors, options.seed)));

  std::vector<Item> items;
  for (size_t p = 0; p < w.defs.size(); ++p) {
    for (int begin = 0, chunk = 0; begin < options.scenes; begin += w.scenes_per_chunk, ++chunk) {
      items.push_back({static_cast<int>(p), chunk, begin,
                       std::min(options.scenes, begin + w.scenes_per_chunk)});
    }
  }
  const std::string errors_path = dir + "/answers/errors.jsonl";
  FILE* errors_file = std::fopen(errors_path.c_str(), "wb");
  if (errors_file == nullptr) {
    return Status::StoreError(
        fmt::format("{}: cannot create: {}", errors_path, std::strerror(errno)));
  }

  // Workers take items in order; errors.jsonl receives each item's lines in item order, so the
  // file is the same whatever the thread count. Finished items wait in `pending` until their
  // turn: at most about one per thread.
  std::mutex mu;
  std::vector<std::string> pending(items.size());  // guarded by mu
  std::vector<bool> done(items.size(), false);      // guarded by mu
  size_t next_to_write = 0;                          // guarded by mu
  Status first_error;                                // guarded by mu
  bool write_failed = false;                         // guarded by mu
  DemoSummary summary;                               // guarded by mu
  std::map<std::string, int64_t> truth_objects;      // guarded by mu
  std::atomic<size_t> next_item{0};

  auto worker = [&]() {
    std::string errors;
    for (;;) {
      const size_t i = next_item.fetch_add(1);
      if (i >= items.size()) return;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!first_error.ok()) return;
      }
      const Item& it = items[i];
      errors.clear();
      demo::ItemTotals totals;
      Status st = demo::WriteChunk(w, it.pipe, it.chunk, it.begin, it.end, errors, totals);
      std::lock_guard<std::mutex> lock(mu);
      if (!st.ok()) {
        if (first_error.ok()) first_error = std::move(st);
        return;
      }
      summary.label_records += totals.label_records;
      summary.objects += totals.objects;
      summary.events += totals.events;
      summary.audits += totals.audits;
      summary.audit_errors += totals.audit_errors;
      summary.tasks += totals.tasks;
      summary.gold_tasks += totals.gold_tasks;
      summary.errors_injected += totals.errors_injected;
      const demo::PipelineDef& d = w.defs[static_cast<size_t>(it.pipe)];
      for (const std::string& v : d.vendors) {
        truth_objects[d.id + "|" + v] +=
            totals.truth_objects[static_cast<size_t>(w.VendorIndex(v))];
      }
      pending[i] = errors;
      done[i] = true;
      while (next_to_write < items.size() && done[next_to_write]) {
        const std::string& text = pending[next_to_write];
        if (!text.empty() && std::fwrite(text.data(), 1, text.size(), errors_file) != text.size()) {
          write_failed = true;
        }
        std::string().swap(pending[next_to_write]);
        ++next_to_write;
      }
    }
  };

  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, std::max(1, static_cast<int>(items.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();

  const bool close_failed = std::fclose(errors_file) != 0;
  if (!first_error.ok()) return first_error;
  if (write_failed || close_failed) {
    return Status::StoreError(fmt::format("{}: cannot write: {}", errors_path, std::strerror(errno)));
  }
  GTOPS_RETURN_IF_ERROR(WriteWholeFile(dir + "/answers/key.json", KeyJson(w, summary, truth_objects)));
  return summary;
}

}  // namespace gtops
