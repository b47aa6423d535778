// Validation of converted label records before `gtops import` stores them (docs/formats.md,
// "Validation"): the rules of FORMAT.md that ingest's parser (io/record_parser.h) enforces on a
// label line, applied to the converted LabelRecord values directly instead of writing each record
// as an interchange line and parsing it back.
//
// Two routes give the same decisions, messages and stored values:
//  - kParse, the reference: the record written as a line (LabelsToJson) and parsed by
//    RecordParser;
//  - kDirect, the default: the values checked in place. A record holding anything whose meaning
//    as JSON text the direct checks do not settle themselves (a non-finite or huge number, a string
//    that is not UTF-8, a raw JSON field such as a polygon or a mask, or one not in the plain
//    compact form) is handed to kParse whole, so JSON-level messages are ingest's own.
// The direct route duplicates rule logic and message texts of io/record_parser.cc; that is
// accepted only because record_check_test.cc runs both routes on many valid and mutated records
// and requires identical outcomes (a rule changed on one side fails it).
//
// Both routes apply the importer's per-object fallback: when a record is refused, each object is
// checked on its own in the record; the objects refused are quarantined with their position, the
// rest of the record is checked again and kept when it passes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "interop/convert.h"

namespace gtops::interop {

// What validating one converted record gives.
struct CheckOutcome {
  struct Item {
    int64_t position = 0;
    std::string reason;
    std::string raw;  // the interchange line of the item (the one-object record for an object)
  };
  std::vector<Item> quarantined;  // refused objects in order, then the record when it is refused
  bool accepted = false;          // rec.labels then holds the values to store
  uint64_t content_hash = 0;      // when accepted: LabelsHash(rec.labels)
  bool parsed = false;            // decided by the write-then-parse route
  void Clear() {
    quarantined.clear();
    accepted = false;
    content_hash = 0;
    parsed = false;
  }
};

// The content hash of an imported record (docs/formats.md, "Validation"): a 64-bit hash of the
// values the store keeps, in a fixed order (strings with their length, numbers as their IEEE-754
// bits, the geometry of the object's kind only). Stable across runs; not cryptographic.
uint64_t LabelsHash(const LabelRecord& r);

// Not thread-safe: one per thread. Keeps a reference to `config`.
class RecordCheck {
 public:
  enum class Route { kDirect, kParse };
  explicit RecordCheck(const ProgramConfig& config, Route route = Route::kDirect);
  ~RecordCheck();
  RecordCheck(const RecordCheck&) = delete;
  RecordCheck& operator=(const RecordCheck&) = delete;

  // Validates `rec`; refused objects are removed from rec.labels.objects (object_positions and
  // object_where keep their original indexes). When accepted, rec.labels holds the values to
  // store: those ingest would store for the record's line.
  void Check(ConvertedRecord& rec, CheckOutcome& out);

  // Records handed to the write-then-parse route so far (by kDirect: its delegations).
  int64_t parsed_records() const { return parsed_records_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Route route_;
  int64_t parsed_records_ = 0;
};

}  // namespace gtops::interop
