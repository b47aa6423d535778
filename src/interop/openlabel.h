// ASAM OpenLABEL 1.0 JSON (docs/formats.md "OpenLABEL").
//
// Objects keep their ids across frames: the id is the track. A cuboid [x, y, z, qx, qy, qz, qw,
// sx, sy, sz] (or the Euler form [x, y, z, rx, ry, rz, sx, sy, sz], R = Rz Ry Rx) in its
// coordinate system is carried into the ego frame through the coordinate systems' poses
// (X_parent = M X_child; a frame's `transforms` override the static poses), then read as a box3d
// by interop::CuboidToBox3d. bbox [cx, cy, w, h] on a camera stream is a box2d [cx - w/2,
// cy - h/2, w, h] of the frame "<stem>/<n>/<stream>" with sensor = stream; poly2d (absolute mode)
// is a polygon when closed, else a polyline (px); poly3d a polyline in the ego frame. text, num,
// boolean and vec object data become attributes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "interop/convert.h"

namespace gtops::interop {

struct OpenlabelInput {
  // The coordinate system of gtops's ego frame; "" picks "vehicle-iso8855", else "base", else the
  // root coordinate system.
  std::string ego_frame;
};

Status ConvertOpenlabel(std::string_view json, const OpenlabelInput& in, const ConvertContext& ctx,
                        ConvertOutput& out);

// Label records as one OpenLABEL file: objects by track (or id) with their class, frames numbered
// in record order, box3d as 10-value quaternion cuboids in "vehicle-iso8855", box2d as bbox on
// the record's sensor stream (default "camera"), polygons as closed poly2d, polylines as poly2d
// (px) or poly3d (m), attributes as text / num / boolean; frame timestamps.
Result<std::string> OpenlabelJson(const std::vector<const LabelRecord*>& records, const PipelineSpec& pipe);

}  // namespace gtops::interop
