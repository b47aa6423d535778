// `gtops import` and `gtops export` (docs/formats.md): the I/O around the converters.
//
// Import reads each input, converts it (interop/<format>.h), validates every converted record with
// the rules of ingest's parser (interop/record_check.h: the same decisions, messages and stored
// values as writing the record as an interchange line and parsing it back), so that imported
// labels land exactly as if they had been written in the interchange format, and stores it
// through the store's ingest path: one transaction per input file, idempotent by record
// identity. What a converter could not map, and an object the parser rejects, is quarantined with
// the file and its position; the rest of the record and of the file is kept.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "interop/convert.h"
#include "store/store.h"

namespace gtops::interop {

enum class Format { kKitti, kCoco, kNuscenes, kOpenlabel, kCvat };
// "kitti", "coco", "nuscenes", "openlabel", "cvat"; nullopt for anything else.
std::optional<Format> ParseFormat(std::string_view name);

struct ImportRequest {
  Format format = Format::kKitti;
  std::vector<std::string> paths;  // files or folders
  ImportOptions options;
  std::string program_dir = ".";
  std::string calib;       // KITTI: one calibration file for every label file
  std::string tables;      // nuScenes results: the table folder giving each sample's ego pose
  std::string categories;  // COCO results: an instances file naming the category ids
  std::string ego_frame;   // OpenLABEL: the coordinate system boxes are expressed in
  size_t max_messages = 100;
};

struct ImportFileReport {
  std::string path;  // as displayed
  int64_t records = 0, accepted = 0, objects = 0, ignore_regions = 0, quarantined = 0;
  std::map<std::string, int64_t> skipped;
};

struct ImportReport {
  int64_t run_id = 0;
  std::vector<ImportFileReport> files;
  int64_t records = 0, accepted = 0, objects = 0, ignore_regions = 0, quarantined = 0;
  int64_t inserted = 0, replaced = 0, unchanged = 0;
  std::map<std::string, int64_t> skipped;
  std::vector<std::string> messages;  // "path:position: reason", the first max_messages
};

// Imports into `store`. A Status error stops the run (unreadable input, a file that is not the
// format at all, store failure); files committed before stay committed.
Result<ImportReport> Import(Store& store, const ProgramConfig& config, const ImportRequest& request);

struct ExportRequest {
  Format format = Format::kOpenlabel;
  std::string pipeline;
  std::string source = "gold";  // gold, consensus, vendor or model
  std::string batch;            // "" for all
  std::string out;              // a file (OpenLABEL, COCO, nuScenes) or a folder (KITTI)
  std::string calib;            // KITTI box3d: the calibration to go back to camera coordinates
};

struct ExportReport {
  int64_t frames = 0, objects = 0;
  std::vector<std::string> files;  // written
};

Result<ExportReport> Export(Store& store, const ProgramConfig& config, const ExportRequest& request);

}  // namespace gtops::interop
