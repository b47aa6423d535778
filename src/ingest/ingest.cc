#include "ingest/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "io/line_reader.h"
#include "io/record_parser.h"

namespace gtops {
namespace fs = std::filesystem;

namespace {

bool IsInputFile(const std::string& name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".jsonl") || ends(".jsonl.gz") || ends(".jsonl.zst");
}

// The name a file is stored and shown under: relative to the program folder when inside it.
std::string DisplayPath(const fs::path& file, const fs::path& program_dir) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(file, ec);
  fs::path root = fs::weakly_canonical(program_dir, ec);
  fs::path rel = abs.lexically_relative(root);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return abs.generic_string();
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

std::string DefaultStorePath(const std::string& program_dir) {
  return (fs::path(program_dir) / ".gtops" / "gtops.db").string();
}

Result<std::vector<std::string>> ListInputFiles(const ProgramConfig& config,
                                                const IngestOptions& options) {
  std::vector<std::string> roots;
  if (options.paths.empty()) {
    for (const std::string& d : config.data) roots.push_back((fs::path(options.program_dir) / d).string());
  } else {
    roots = options.paths;
  }
  std::vector<std::string> files;
  for (const std::string& root : roots) {
    std::error_code ec;
    auto st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      if (options.paths.empty()) continue;  // a configured data folder that does not exist yet
      return Status::NotFound(fmt::format("{}: no such file or folder", root));
    }
    if (fs::is_regular_file(st)) {
      if (!IsInputFile(root)) {
        return Status::BadInput(fmt::format(
            "{}: not an input file (expected .jsonl, .jsonl.gz or .jsonl.zst)", root));
      }
      files.push_back(root);
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
    if (ec) return Status::BadInput(fmt::format("{}: cannot read folder: {}", root, ec.message()));
    for (; it != end; it.increment(ec)) {
      if (ec) return Status::BadInput(fmt::format("{}: cannot read folder: {}", root, ec.message()));
      if (it->is_directory() && it->path().filename() == ".gtops") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && IsInputFile(it->path().filename().string())) {
        files.push_back(it->path().string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Result<IngestReport> Ingest(Store& store, const ProgramConfig& config, const IngestOptions& options) {
  auto listed = ListInputFiles(config, options);
  if (!listed.ok()) return listed.status();
  GTOPS_RETURN_IF_ERROR(store.SyncConfig(config));
  auto run = store.BeginIngestRun();
  if (!run.ok()) return run.status();

  IngestReport report;
  report.run_id = *run;
  IngestRunTotals& totals = report.totals;
  IngestProgress progress;
  for (const std::string& f : *listed) {
    struct stat sb;
    if (::stat(f.c_str(), &sb) == 0) progress.bytes_total += static_cast<uint64_t>(sb.st_size);
  }

  RecordParser parser(config);
  ParsedRecord rec;
  auto fail_run = [&](const Status& s) -> Status {
    totals.status = "failed";
    (void)store.FinishIngestRun(report.run_id, totals);
    return s;
  };

  for (const std::string& file : *listed) {
    FileReport fr;
    fr.path = DisplayPath(file, options.program_dir);
    progress.file = fr.path;
    struct stat sb;
    if (::stat(file.c_str(), &sb) != 0) {
      return fail_run(Status::BadInput(fmt::format("{}: cannot stat file", fr.path)));
    }
    const FileState state{fr.path, static_cast<int64_t>(sb.st_size),
                          static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec};
    if (!options.force) {
      auto prev = store.GetFileState(fr.path);
      if (!prev.ok()) return fail_run(prev.status());
      if (*prev && (*prev)->size == state.size && (*prev)->mtime_ns == state.mtime_ns) {
        fr.skipped = true;
        ++totals.files_skipped;
        progress.bytes_done += static_cast<uint64_t>(sb.st_size);
        report.files.push_back(fr);
        continue;
      }
    }
    auto source = OpenByteSource(file);
    if (!source.ok()) return fail_run(source.status());
    LineReader reader(std::move(*source));
    Status s = store.BeginFile(fr.path, report.run_id);
    if (!s.ok()) return fail_run(s);

    auto quarantine = [&](int64_t line, std::string_view reason, std::string_view raw) -> Status {
      ++fr.quarantined;
      if (report.messages.size() < options.max_messages) {
        report.messages.push_back(fmt::format("{}:{}: {}", fr.path, line, reason));
      }
      return store.PutQuarantine(SourceLocation{fr.path, line}, reason, raw);
    };

    const uint64_t bytes_before = progress.bytes_done;
    Line line;
    bool done = false;
    while (!done) {
      Status put = Status::Ok();
      switch (reader.Read(line)) {
        case LineReader::Next::kEnd:
          done = true;
          break;
        case LineReader::Next::kTooLong:
          ++fr.records_read;
          put = quarantine(line.number, "line is longer than 256 MiB: not read", "");
          break;
        case LineReader::Next::kStreamError:
          ++fr.records_read;
          put = quarantine(line.number,
                           fmt::format("{}; the rest of the file cannot be read",
                                       reader.stream_error().message()),
                           line.text);
          done = true;
          break;
        case LineReader::Next::kLine: {
          if (IsBlank(line.text)) break;
          ++fr.records_read;
          Status ps = parser.Parse(line.text, line.capacity, rec);
          if (!ps.ok()) {
            put = quarantine(line.number, ps.message(), line.text);
            break;
          }
          const SourceLocation at{fr.path, line.number};
          Result<PutResult> r = PutResult::kUnchanged;
          switch (rec.kind) {
            case RecordKind::kLabels:
              r = store.PutLabels(rec.labels, rec.content_hash, at);
              break;
            case RecordKind::kEvent:
              r = store.PutEvent(rec.event, rec.content_hash, at);
              break;
            case RecordKind::kAudit:
              r = store.PutAudit(rec.audit, rec.content_hash, at);
              break;
          }
          if (!r.ok()) {
            put = r.status();
            break;
          }
          ++fr.accepted;
          if (*r == PutResult::kInserted) ++totals.inserted;
          if (*r == PutResult::kReplaced) ++totals.replaced;
          if (*r == PutResult::kUnchanged) ++totals.unchanged;
          if (rec.kind == RecordKind::kLabels) {
            fr.objects += static_cast<int64_t>(rec.labels.objects.size());
            if (*r != PutResult::kUnchanged) {
              totals.objects_written += static_cast<int64_t>(rec.labels.objects.size());
            }
          }
          break;
        }
      }
      if (!put.ok()) {
        store.AbortFile();
        return fail_run(put);
      }
      if (options.progress && (fr.records_read & 0xffff) == 0 && fr.records_read > 0) {
        progress.bytes_done = bytes_before + reader.bytes_read();
        progress.records_read = totals.records_read + fr.records_read;
        options.progress(progress);
      }
    }
    s = store.CommitFile(state, FileTotals{fr.records_read, fr.accepted, fr.quarantined});
    if (!s.ok()) {
      store.AbortFile();
      return fail_run(s);
    }
    progress.bytes_done = bytes_before + static_cast<uint64_t>(sb.st_size);
    progress.objects += fr.objects;
    ++totals.files_read;
    totals.records_read += fr.records_read;
    totals.accepted += fr.accepted;
    totals.quarantined += fr.quarantined;
    report.files.push_back(fr);
  }
  totals.status = totals.quarantined > 0 ? "bad_input" : "ok";
  GTOPS_RETURN_IF_ERROR(store.FinishIngestRun(report.run_id, totals));
  return report;
}

Status WriteQuarantineFile(Store& store, const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::StoreError(fmt::format("{}: cannot write", tmp));
  bool write_ok = true;
  Status s = store.ForEachQuarantined([&](const QuarantineRow& r) {
    // Raw bytes that are not UTF-8 cannot sit in a JSON string: they go out as hex.
    std::string raw_field;
    if (ValidUtf8(r.raw)) {
      raw_field = fmt::format("\"raw\":\"{}\"", JsonEscape(r.raw));
    } else {
      raw_field = "\"raw_hex\":\"";
      for (unsigned char c : r.raw) raw_field += fmt::format("{:02x}", c);
      raw_field += "\"";
    }
    std::string line = fmt::format("{{\"file\":\"{}\",\"line\":{},\"reason\":\"{}\",{}}}\n",
                                   JsonEscape(r.file), r.line, JsonEscape(r.reason), raw_field);
    write_ok = write_ok && std::fwrite(line.data(), 1, line.size(), f) == line.size();
  });
  write_ok = (std::fclose(f) == 0) && write_ok;
  if (!s.ok()) return s;
  if (!write_ok) return Status::StoreError(fmt::format("{}: write failed", tmp));
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::StoreError(fmt::format("{}: cannot rename into place: {}", path, ec.message()));
  return Status::Ok();
}

}  // namespace gtops
