// Streaming line reader for .jsonl, .jsonl.gz and .jsonl.zst: memory is bounded by the longest
// line (plus a fixed chunk), whatever the file size. Each line handed out is followed by at least
// kLinePadding readable bytes, so it can be parsed in place by simdjson.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace gtops {

inline constexpr size_t kLinePadding = 64;

// A stream of decompressed bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; 0 at the end. A corrupt or truncated stream is an error.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// Opens `path`, decompressing by its ending (.gz, .zst; anything else is read as is).
Result<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path);

// A source over bytes in memory (tests, fuzzing).
std::unique_ptr<ByteSource> MemoryByteSource(std::string_view bytes);

struct Line {
  std::string_view text;  // without the '\n' (and without a '\r' before it)
  size_t capacity = 0;    // readable bytes from text.data(): at least text.size() + kLinePadding
  int64_t number = 0;     // 1-based
};

class LineReader {
 public:
  // `max_line_bytes` bounds memory: a longer line is reported as an error, then skipped.
  explicit LineReader(std::unique_ptr<ByteSource> source, size_t max_line_bytes = 256u << 20);
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  enum class Next { kLine, kEnd, kTooLong, kStreamError };

  // kLine: `line` is valid until the next call. kTooLong: line `line.number` was longer than the
  // limit and was skipped (line.text empty). kStreamError: the source failed (a truncated or
  // corrupt compressed stream); stream_error() says why, and `line` holds the incomplete last line
  // read so far (possibly empty) with its number. After kEnd or kStreamError, reading stops.
  Next Read(Line& line);

  const Status& stream_error() const { return stream_error_; }
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  bool Fill();  // reads more bytes into the buffer; false at the end or on error

  std::unique_ptr<ByteSource> source_;
  size_t max_line_bytes_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;    // allocated bytes, padding excluded
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last valid byte
  int64_t line_no_ = 0;
  bool eof_ = false;
  bool failed_ = false;
  bool skipping_ = false;  // inside a line that is too long
  uint64_t bytes_read_ = 0;
  Status stream_error_;
};

}  // namespace gtops
