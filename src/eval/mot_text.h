// Readers of the MOTChallenge 2D text format for the tracking metrics (quality/mot_metrics.h).
//
// One box a line: `frame,id,x,y,w,h[,conf[,class,visibility,...]]`, fields separated by commas
// and/or whitespace (py-motmetrics' separators); frame and id integers, the rest numbers; blank
// lines skipped. Ground truth follows MOT15 (the TUD sequences): a row whose confidence,
// truncated to an integer, is 0 is ignored (TrackEval's "zero marked" rule; py-motmetrics's
// evaluation keeps confidence >= 1, the same on 0/1 flags) and the class and visibility columns are
// not used. Tracker rows are all kept, whatever their confidence. Coordinates are taken as
// written (py-motmetrics's one-pixel shift moves both sides and changes no IoU).
//
// Errors name the file and line: `gt.txt:12: width must be >= 0 (got -3)`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "quality/mot_metrics.h"

namespace gtops::eval {

using quality::TrackBox;
using quality::TrackingSequence;

struct MotTextRow {
  std::int64_t frame = 0;
  TrackBox box;
  int line = 0;
};

// Parses the text of one file; `file_name` prefixes error messages. With `is_ground_truth`,
// zero-marked rows are dropped. Rejects rows with fewer than 6 fields, non-integer frame or id,
// non-finite numbers, negative width or height, and an id twice in one frame.
Result<std::vector<MotTextRow>> ParseMotText(std::string_view text, std::string_view file_name,
                                             bool is_ground_truth);

// Groups the rows of both sides by frame (ascending frame number, file order within a frame).
TrackingSequence BuildTrackingSequence(std::string name, const std::vector<MotTextRow>& gt,
                                       const std::vector<MotTextRow>& tracker);

// Reads one sequence from its two files.
Result<TrackingSequence> ReadMotSequence(const std::string& name, const std::string& gt_path,
                                         const std::string& tracker_path);

// Reads every sequence of a ground-truth folder: each sub-folder <seq> holding `gt.txt` (or
// MOTChallenge's `gt/gt.txt`) is a sequence, in name order; its tracker file is
// `<tracker_dir>/<seq>/test.txt` or `<tracker_dir>/<seq>.txt` (MOTChallenge's results layout).
// The two folders may be the same. NotFound when the folder has no sequence or a tracker file is
// missing.
Result<std::vector<TrackingSequence>> ReadMotFolders(const std::string& gt_dir,
                                                     const std::string& tracker_dir);

}  // namespace gtops::eval
