// KITTI object (label_2) and tracking (label_02) labels (docs/formats.md "KITTI").
//
// Labels are in rectified camera-0 coordinates (x right, y down, z forward); the location is the
// centre of the box's bottom face; dimensions are h, w, l; rotation_y is about the camera y axis.
// A box3d pipeline gets the box in the Velodyne frame (x forward, y left, z up) through the
// calibration: X_velo = Tr_velo_to_cam^-1 (R0_rect^-1 X_rect); the centre is the location moved
// up by h/2; the heading is the object's +x axis (cos ry, 0, -sin ry) carried through the same
// rotations. A box2d pipeline gets [left, top, right - left, bottom - top] on image_2.
// DontCare rows are ignore regions of gold records (box2d pipelines), never objects.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "interop/convert.h"

namespace gtops::interop {

struct KittiCalib {
  std::array<double, 12> p2{};   // 3x4, row-major
  Transform rect;                // R0_rect (no translation)
  Transform velo_to_cam;         // Tr_velo_to_cam
  // rect -> velo: the inverse of rect ∘ velo_to_cam.
  Transform RectToVelo() const { return velo_to_cam.Then(rect).Inverse(); }
};

// Parses an object calib (`P2:`, `R0_rect:`, `Tr_velo_to_cam:`) or a tracking calib (`R_rect`,
// `Tr_velo_cam`, colons optional). BadInput "name:line: ..." for a malformed or missing matrix.
Result<KittiCalib> ParseKittiCalib(std::string_view text, std::string_view name);

struct KittiInput {
  bool tracking = false;        // label_02 layout: frame and track_id columns first
  std::string sequence;         // the file's stem ("000001" or "0003")
  const KittiCalib* calib = nullptr;  // required for box3d pipelines
};

// Converts one label file. Frame ids: object "000001"; tracking "0003/000005". Tasks
// "kitti:<stem>". Tracking frames get timestamp frame / fps. A line with the wrong number of
// fields or a non-number is an issue with its line; the other lines are converted.
// BadInput (nothing converted) when a box3d pipeline has no calibration.
Status ConvertKitti(std::string_view text, const KittiInput& in, const ConvertContext& ctx,
                    ConvertOutput& out);

// Writes label records as KITTI label lines. Object layout: one text per record (frame); tracking
// layout: the lines of every record of a task together, frame = round(timestamp * fps) relative
// to nothing (the import's frame numbers come back), track ids as integers (numeric tracks kept,
// others numbered in order of appearance). box3d pipelines need the calibration.
struct KittiExportOptions {
  bool tracking = false;
  double fps = 10;
  const KittiCalib* calib = nullptr;
};
Result<std::string> KittiLines(const std::vector<const LabelRecord*>& records, GeometryKind geometry,
                               const KittiExportOptions& options);

}  // namespace gtops::interop
