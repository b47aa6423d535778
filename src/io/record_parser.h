// Parses and validates one line of the interchange format (shared/FORMAT.md) into a record.
// Every rule of the format is checked here; the reason for a rejection names the field and,
// inside `objects`, the object's id: `object "o7": box3d length must be > 0 (got -1.2)`.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/records.h"
#include "core/status.h"

namespace gtops {

struct ParsedRecord {
  RecordKind kind = RecordKind::kLabels;
  LabelRecord labels;  // when kind == kLabels
  Event event;         // when kind == kEvent
  Audit audit;         // when kind == kAudit
  uint64_t content_hash = 0;  // hash of the line's bytes, to tell a changed record from a repeat
};

// Appends `s` to `out` as a quoted JSON string: '"', '\\' and control characters escaped
// (\n, \r, \t, else \u00XX); other bytes (UTF-8 included) copied as they are.
void AppendJsonString(std::string_view s, std::string& out);

// Not thread-safe: one parser per thread. Keeps a reference to `config`, which must outlive it.
class RecordParser {
 public:
  explicit RecordParser(const ProgramConfig& config);
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Parses `line`. `capacity` is how many bytes are readable from line.data() (at least
  // line.size() + 64 lets the parser work in place; otherwise the line is copied). On failure the
  // Status (kBadInput) holds the reason, without the file and line prefix; `out` is then
  // unspecified.
  Status Parse(std::string_view line, size_t capacity, ParsedRecord& out);

  // Most lines are read by a fast parser (JsonTape) and only the others by simdjson's DOM
  // parser; both give the same records and reasons. false: every line through the DOM (for
  // tests that compare the two).
  void SetFastPath(bool on);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// 64-bit hash of bytes (not cryptographic; stable across runs and machines).
uint64_t HashBytes(std::string_view bytes);

}  // namespace gtops
