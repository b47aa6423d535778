// COCO instances and results JSON (docs/formats.md "COCO").
//
// bbox [x_min, y_min, w, h] is gtops's box2d as it is; polygons `[[x1, y1, ...], ...]` become a
// polygon (one ring, or several rings for a multi-part object); masks take polygons rasterised
// with pycocotools' rule at the image's size, and RLE (`counts` a list or a compressed string)
// as COCO RLE, always written back in the compressed string form. Crowd annotations (iscrowd = 1)
// are ignore regions of gold records. Frames are images, named by their id ("391895"), one task
// per image ("coco:391895").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "interop/convert.h"

namespace gtops::interop {

// Category id -> name of a COCO instances file (for results files, which carry only ids).
using CocoCategories = std::map<int64_t, std::string>;
Result<CocoCategories> ParseCocoCategories(std::string_view json, std::string_view name);

// Converts an instances file (an object with images, annotations, categories) or a results file
// (an array of detections; `categories` names their category ids, else the id is the name).
// BadInput for JSON that does not parse or is neither layout; per-annotation problems are issues
// at "annotations[i]" (position i + 1).
Status ConvertCoco(std::string_view json, const CocoCategories* categories, const ConvertContext& ctx,
                   ConvertOutput& out);

// An instances file (images, annotations, categories) of label records of a box2d, polygon or
// mask pipeline: image ids are the frame ids when they are integers, else numbered from 1;
// category ids follow the pipeline's classes (1..n), then other classes met; `score` is written
// when present; ignore regions become iscrowd annotations.
Result<std::string> CocoInstancesJson(const std::vector<const LabelRecord*>& records,
                                      const PipelineSpec& pipe);

}  // namespace gtops::interop
