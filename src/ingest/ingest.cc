#include "ingest/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
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

// Strict UTF-8 (RFC 3629): overlong forms, surrogates and code points above U+10FFFF are not
// UTF-8, and a JSON reader of the quarantine file would refuse them inside a string.
bool ValidUtf8(std::string_view s) {
  static constexpr uint32_t kMinCodePoint[] = {0, 0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7Fu >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b >> 6) != 2) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (n > 1 && (cp < kMinCodePoint[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      return false;
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

namespace {

// One line's outcome, handed from the reading thread to the writing thread.
struct Item {
  int64_t line = 0;
  bool ok = false;
  ParsedRecord rec;    // when ok
  std::string reason;  // when !ok
  std::string raw;     // when !ok: the line as read
};

// A run of items of one file. Batches are recycled, so the records' strings keep their capacity.
struct Batch {
  std::vector<Item> items;
  size_t used = 0;
  size_t file = 0;           // index in the list of files to read
  bool file_end = false;     // the last batch of its file
  Status file_error;         // the file could not be opened
  uint64_t bytes_read = 0;   // of the file, after this batch
  Item& Next() {
    if (used == items.size()) items.emplace_back();
    return items[used++];
  }
};

// Small batches: the records of the batches in flight stay in the caches. A record is written by
// the reading thread and read by the writing one (or, checking only, rewritten by the reading
// thread once its batch comes back), and its objects and strings keep their capacity between
// uses; with 3 batches of 1,024 records (about 15 MB of records in flight) every use was a walk
// through memory that had left the caches: the parser's copies into the record and the store's
// copies out of it were the slowest part of each. With batches of 64 records (4 in flight: about
// 1.3 MB) the 10.09 M-object program's `ingest --check` takes about a fifth less CPU time
// (docs/performance.md, session 10).
constexpr size_t kBatchItems = 64;
constexpr size_t kBatchBytes = 256u << 10;
constexpr size_t kBatches = 4;  // memory bound: kBatches x (kBatchItems records or kBatchBytes)
// A side that found its queue empty sleeps until this many batches wait in it (or the input ended):
// with small batches, waking the other thread for every one cost more than the hand-off itself
// (futex wake-ups were 9 % of the reading thread's time when checking only).
constexpr size_t kWakeAt = kBatches / 2;

// A bounded single-producer single-consumer hand-off of batches. Each side takes without waiting
// while its queue holds a batch; once it has waited, it is woken when kWakeAt batches are ready
// for it (with kBatches >= 2 x kWakeAt - 1 one of the two queues always holds that many when
// both sides wait, so neither waits for the other forever), or when the reading side is done.
class BatchQueue {
 public:
  BatchQueue() {
    for (size_t i = 0; i < kBatches; ++i) free_.push_back(std::make_unique<Batch>());
  }
  std::unique_ptr<Batch> TakeFree() { return Take(free_, reader_waits_); }
  std::unique_ptr<Batch> TakeFull() { return Take(full_, writer_waits_); }
  void PutFull(std::unique_ptr<Batch> b) { Put(full_, writer_waits_, std::move(b)); }
  void PutFree(std::unique_ptr<Batch> b) { Put(free_, reader_waits_, std::move(b)); }
  // The reading side puts nothing more: a waiting writer takes what is left.
  void ReaderDone() {
    std::lock_guard<std::mutex> lock(mu_);
    reader_done_ = true;
    cv_.notify_all();
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

 private:
  std::unique_ptr<Batch> Take(std::deque<std::unique_ptr<Batch>>& q, bool& waits) {
    std::unique_lock<std::mutex> lock(mu_);
    if (q.empty()) {
      waits = true;
      cv_.wait(lock, [&] { return cancelled_ || reader_done_ || q.size() >= kWakeAt; });
      waits = false;
    }
    if (cancelled_ || q.empty()) return nullptr;
    auto b = std::move(q.front());
    q.pop_front();
    return b;
  }
  void Put(std::deque<std::unique_ptr<Batch>>& q, bool waits, std::unique_ptr<Batch> b) {
    std::lock_guard<std::mutex> lock(mu_);
    q.push_back(std::move(b));
    if (waits && q.size() >= kWakeAt) cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Batch>> free_;  // guarded by mu_
  std::deque<std::unique_ptr<Batch>> full_;  // guarded by mu_
  bool reader_waits_ = false;                // guarded by mu_: the reading side waits for free_
  bool writer_waits_ = false;                // guarded by mu_: the writing side waits for full_
  bool reader_done_ = false;                 // guarded by mu_
  bool cancelled_ = false;                   // guarded by mu_
};
static_assert(kBatches >= 2 * kWakeAt - 1 && kWakeAt >= 1);

// The reading thread: reads and validates the files in order, one batch at a time.
void ReadFiles(const std::vector<std::string>& files, const ProgramConfig& config,
               BatchQueue& queue) {
  RecordParser parser(config);
  for (size_t f = 0; f < files.size(); ++f) {
    auto batch = queue.TakeFree();
    if (!batch) return;
    auto start = [&](std::unique_ptr<Batch>& b) {
      b->used = 0;
      b->file = f;
      b->file_end = false;
      b->file_error = Status::Ok();
    };
    start(batch);
    auto source = OpenByteSource(files[f]);
    if (!source.ok()) {
      batch->file_error = source.status();
      batch->file_end = true;
      queue.PutFull(std::move(batch));
      continue;
    }
    LineReader reader(std::move(*source));
    size_t bytes = 0;
    Line line;
    bool done = false;
    while (!done) {
      switch (reader.Read(line)) {
        case LineReader::Next::kEnd:
          done = true;
          break;
        case LineReader::Next::kTooLong: {
          Item& it = batch->Next();
          it.line = line.number;
          it.ok = false;
          it.reason = "line is longer than 256 MiB: not read";
          it.raw.clear();
          break;
        }
        case LineReader::Next::kStreamError: {
          Item& it = batch->Next();
          it.line = line.number;
          it.ok = false;
          it.reason = fmt::format("{}; the rest of the file cannot be read",
                                  reader.stream_error().message());
          it.raw.assign(line.text);
          done = true;
          break;
        }
        case LineReader::Next::kLine: {
          if (IsBlank(line.text)) break;
          Item& it = batch->Next();
          it.line = line.number;
          Status ps = parser.Parse(line.text, line.capacity, it.rec);
          it.ok = ps.ok();
          if (!it.ok) {
            it.reason = ps.message();
            it.raw.assign(line.text);
          }
          bytes += line.text.size();
          break;
        }
      }
      if (done || batch->used >= kBatchItems || bytes >= kBatchBytes) {
        batch->file_end = done;
        batch->bytes_read = reader.bytes_read();
        queue.PutFull(std::move(batch));
        if (done) break;
        batch = queue.TakeFree();
        if (!batch) return;
        start(batch);
        bytes = 0;
      }
    }
  }
}

struct FileToRead {
  std::string path;     // as listed
  FileReport report;    // path as displayed
  FileState state;
};

// Reads `files` with a second thread and writes what it validated to `store` (nullptr: check
// only), one transaction per file.
Status ReadAndWrite(std::vector<FileToRead>& files, const ProgramConfig& config, Store* store,
                    const IngestOptions& options, IngestReport& report, IngestProgress& progress) {
  std::vector<std::string> paths;
  for (const FileToRead& f : files) paths.push_back(f.path);
  BatchQueue queue;
  std::thread reader([&] {
    ReadFiles(paths, config, queue);
    queue.ReaderDone();
  });
  IngestRunTotals& totals = report.totals;
  std::vector<EventToPut> events;
  std::vector<PutResult> event_results;

  auto write_file = [&](FileToRead& f) -> Status {
    FileReport& fr = f.report;
    progress.file = fr.path;
    const uint64_t bytes_before = progress.bytes_done;
    if (store) GTOPS_RETURN_IF_ERROR(store->BeginFile(fr.path, report.run_id));
    for (;;) {
      auto batch = queue.TakeFull();
      if (!batch) return Status::Internal("the reading thread stopped early");
      if (!batch->file_error.ok()) {
        Status err = batch->file_error;
        queue.PutFree(std::move(batch));
        return err;
      }
      auto count = [&](PutResult r, int64_t objects) {
        if (r == PutResult::kInserted) ++totals.inserted;
        if (r == PutResult::kReplaced) ++totals.replaced;
        if (r == PutResult::kUnchanged) ++totals.unchanged;
        if (r != PutResult::kUnchanged) totals.objects_written += objects;
      };
      for (size_t i = 0; i < batch->used; ++i) {
        Item& it = batch->items[i];
        ++fr.records_read;
        const SourceLocation at{fr.path, it.line};
        if (!it.ok) {
          ++fr.quarantined;
          if (report.messages.size() < options.max_messages) {
            report.messages.push_back(fmt::format("{}:{}: {}", fr.path, it.line, it.reason));
          }
          if (store) GTOPS_RETURN_IF_ERROR(store->PutQuarantine(at, it.reason, it.raw));
          continue;
        }
        ++fr.accepted;
        const ParsedRecord& rec = it.rec;
        if (rec.kind == RecordKind::kEvent) {
          // A run of events goes to the store at once (several rows per statement).
          events.clear();
          events.push_back(EventToPut{&rec.event, rec.content_hash, it.line});
          while (i + 1 < batch->used && batch->items[i + 1].ok &&
                 batch->items[i + 1].rec.kind == RecordKind::kEvent) {
            const Item& next = batch->items[++i];
            ++fr.records_read;
            ++fr.accepted;
            events.push_back(EventToPut{&next.rec.event, next.rec.content_hash, next.line});
          }
          if (!store) continue;
          event_results.resize(events.size());
          GTOPS_RETURN_IF_ERROR(store->PutEvents(events, fr.path, event_results));
          for (PutResult r : event_results) count(r, 0);
          continue;
        }
        const int64_t objects = rec.kind == RecordKind::kLabels
                                    ? static_cast<int64_t>(rec.labels.objects.size())
                                    : 0;
        fr.objects += objects;
        if (!store) continue;
        Result<PutResult> r = rec.kind == RecordKind::kLabels
                                  ? store->PutLabels(rec.labels, rec.content_hash, at)
                                  : store->PutAudit(rec.audit, rec.content_hash, at);
        if (!r.ok()) return r.status();
        count(*r, objects);
      }
      const bool end = batch->file_end;
      progress.bytes_done = bytes_before + batch->bytes_read;
      queue.PutFree(std::move(batch));
      if (options.progress) {
        progress.records_read = totals.records_read + fr.records_read;
        options.progress(progress);
      }
      if (end) break;
    }
    if (store) {
      GTOPS_RETURN_IF_ERROR(store->CommitFile(
          f.state, FileTotals{fr.records_read, fr.accepted, fr.quarantined}));
    }
    progress.bytes_done = bytes_before + static_cast<uint64_t>(f.state.size);
    progress.objects += fr.objects;
    ++totals.files_read;
    totals.records_read += fr.records_read;
    totals.accepted += fr.accepted;
    totals.quarantined += fr.quarantined;
    report.files.push_back(fr);
    return Status::Ok();
  };

  Status result = Status::Ok();
  for (FileToRead& f : files) {
    result = write_file(f);
    if (!result.ok()) {
      if (store) store->AbortFile();
      break;
    }
  }
  queue.Cancel();
  reader.join();
  return result;
}

Result<IngestReport> Run(Store* store, const ProgramConfig& config, const IngestOptions& options) {
  auto listed = ListInputFiles(config, options);
  if (!listed.ok()) return listed.status();
  IngestReport report;
  IngestRunTotals& totals = report.totals;
  if (store) {
    GTOPS_RETURN_IF_ERROR(store->SyncConfig(config));
    auto run = store->BeginIngestRun();
    if (!run.ok()) return run.status();
    report.run_id = *run;
  }
  auto finish = [&](const Status& s) -> Status {
    totals.status = s.ok() ? (totals.quarantined > 0 ? "bad_input" : "ok") : "failed";
    if (store) {
      Status fs = store->FinishIngestRun(report.run_id, totals);
      if (s.ok()) return fs;
    }
    return s;
  };

  IngestProgress progress;
  std::vector<FileToRead> to_read;
  for (const std::string& file : *listed) {
    FileToRead f;
    f.path = file;
    f.report.path = DisplayPath(file, options.program_dir);
    struct stat sb;
    if (::stat(file.c_str(), &sb) != 0) {
      return finish(Status::BadInput(fmt::format("{}: cannot stat file", f.report.path)));
    }
    f.state = FileState{f.report.path, static_cast<int64_t>(sb.st_size),
                        static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec};
    progress.bytes_total += static_cast<uint64_t>(sb.st_size);
    if (store && !options.force) {
      auto prev = store->GetFileState(f.report.path);
      if (!prev.ok()) return finish(prev.status());
      if (*prev && (*prev)->size == f.state.size && (*prev)->mtime_ns == f.state.mtime_ns) {
        f.report.skipped = true;
        ++totals.files_skipped;
        progress.bytes_done += static_cast<uint64_t>(sb.st_size);
        report.files.push_back(f.report);
        continue;
      }
    }
    to_read.push_back(std::move(f));
  }
  Status s = ReadAndWrite(to_read, config, store, options, report, progress);
  Status fs = finish(s);
  if (!fs.ok()) return fs;
  return report;
}

}  // namespace

Result<IngestReport> Ingest(Store& store, const ProgramConfig& config, const IngestOptions& options) {
  return Run(&store, config, options);
}

Result<IngestReport> CheckInput(const ProgramConfig& config, const IngestOptions& options) {
  return Run(nullptr, config, options);
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
