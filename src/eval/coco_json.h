// Reading COCO detection files for quality::EvaluateCoco: the ground-truth file (images,
// categories, annotations) and a results file (a JSON array of detections), read the way
// pycocotools' COCO() and COCO.loadRes() read them.
//
// Errors are BadInput values "FILE: what is wrong" (NotFound when the file cannot be read).
// Functions are reentrant: each call owns its parser.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "quality/coco_eval.h"

namespace gtops::eval {

struct CocoImageSize {
  uint32_t height = 0, width = 0;  // 0 when the file does not give them
};

struct CocoGroundTruthFile {
  quality::CocoGroundTruthSet set;
  std::vector<CocoImageSize> image_sizes;  // parallel to set.image_ids

  // Indices into set.image_ids in ascending id order, the last of equal ids first (filled by
  // the readers; FindImage needs it).
  std::vector<uint32_t> image_order;

  // The size of an image by id (the last entry of that id, as pycocotools keeps); nullptr when
  // the id is unknown.
  const CocoImageSize* FindImage(int64_t image_id) const;
};

// A ground-truth file: `images` (id; height and width when masks are needed), `categories` (id,
// name) and `annotations` (id, image_id, category_id, bbox [x, y, w, h], area, iscrowd, and for
// kSegm a segmentation: polygons, or an RLE object {size: [h, w], counts} with counts as a list
// (uncompressed) or a COCO string). A missing iscrowd reads as 0. pycocotools overwrites an
// annotation's own `ignore` field with iscrowd, so `ignore` is not read. Polygons are rasterised
// with pycocotools' rule (geometry/rle_poly.h), at the size of their image.
Result<CocoGroundTruthFile> ReadCocoGroundTruth(const std::string& path, quality::CocoIouType type);
Result<CocoGroundTruthFile> ParseCocoGroundTruth(std::string_view json, std::string_view name,
                                                 quality::CocoIouType type);

// A results file: an array of {image_id, category_id, score, bbox and/or segmentation}, read as
// COCO.loadRes does. When the first result has a non-empty bbox, every result needs a bbox, its
// area is w * h, and for kSegm its segmentation (or, without one, its box as a polygon) is the
// mask; otherwise every result needs a segmentation, its area is the mask's pixel count and its
// box (for kBbox) the mask's bounding box. BadInput for a result whose image_id is not an image of
// the ground truth (pycocotools' loadRes asserts the same), a missing field, or a malformed mask.
// An empty array is allowed (every AP is then 0 where there is ground truth).
Result<std::vector<quality::CocoDetection>> ReadCocoResults(const std::string& path,
                                                            const CocoGroundTruthFile& gt,
                                                            quality::CocoIouType type);
Result<std::vector<quality::CocoDetection>> ParseCocoResults(std::string_view json,
                                                             std::string_view name,
                                                             const CocoGroundTruthFile& gt,
                                                             quality::CocoIouType type);

// The same readers sharing one JSON parser, whose buffers (several times the size of the largest
// file read) are then allocated once: reading a ground-truth file and then its results costs one
// allocation instead of two. Not thread-safe; one reader per thread.
class CocoJsonReader {
 public:
  CocoJsonReader();
  ~CocoJsonReader();
  CocoJsonReader(const CocoJsonReader&) = delete;
  CocoJsonReader& operator=(const CocoJsonReader&) = delete;

  Result<CocoGroundTruthFile> ReadGroundTruth(const std::string& path, quality::CocoIouType type);
  Result<std::vector<quality::CocoDetection>> ReadResults(const std::string& path,
                                                          const CocoGroundTruthFile& gt,
                                                          quality::CocoIouType type);

 private:
  struct Parser;
  std::unique_ptr<Parser> parser_;
};

}  // namespace gtops::eval
