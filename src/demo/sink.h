// Output files of the demo generator: buffered JSONL writers, optionally gzip or zstd compressed,
// that roll over to a new part when a part reaches a size bound, so no file grows without limit.
// Not thread-safe: one writer per file, owned by one work item.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace gtops::demo {

enum class Compression { kNone, kGzip, kZstd };

// ".jsonl", ".jsonl.gz" or ".jsonl.zst".
std::string_view Extension(Compression c);

// Writes lines to `<dir>/<stem><ext>`, then `<dir>/<stem>-p1<ext>`, ... whenever a part holds
// `split_bytes` of uncompressed text or more. The file is created on the first line, so a writer
// that receives nothing leaves nothing behind.
class RecordFile {
 public:
  RecordFile(std::string dir, std::string stem, Compression compression, int64_t split_bytes);
  ~RecordFile();
  RecordFile(const RecordFile&) = delete;
  RecordFile& operator=(const RecordFile&) = delete;

  // Appends `line` and a '\n'. Errors are sticky: after one, Append does nothing and Close
  // returns it.
  void Append(std::string_view line);
  // Flushes and closes the current part; the first error met, if any.
  Status Close();

  int64_t lines() const { return lines_; }

  class Stream;  // one open part (plain, gzip or zstd)

 private:
  void Open();
  void Flush();

  std::string dir_, stem_;
  Compression compression_;
  int64_t split_bytes_;
  int part_ = 0;
  int64_t part_bytes_ = 0;
  int64_t lines_ = 0;
  std::string buf_;
  std::unique_ptr<Stream> stream_;
  Status status_;
};

}  // namespace gtops::demo
