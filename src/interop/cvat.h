// CVAT XML 1.1, "CVAT for images" and "CVAT for video" (docs/formats.md "CVAT"), read with expat.
//
// Images: one frame per <image> ("<name>", or "<task_id>/<name>" in project exports), a box
// (xtl, ytl, xbr, ybr) becomes a box2d [xtl, ytl, xbr - xtl, ybr - ytl], a polygon a polygon, a
// polyline a polyline (px); points, ellipses, masks, cuboids, skeletons and tags have no gtops
// geometry and are counted as skipped. Video: one frame per frame of the task (start_frame to
// stop_frame by the frame_filter step, "<stem>/<frame>", timestamp frame / fps); each <track> is a
// gtops track; a shape with outside="1" ends the object's presence until the next shape; frames
// between two shapes that the export left out are interpolated (boxes linearly, others held).
// Attributes are typed by the label's input_type (number, checkbox -> bool, others text);
// occluded="1" gives the attribute occluded = true.
#pragma once

#include <string_view>

#include "core/status.h"
#include "interop/convert.h"

namespace gtops::interop {

// XML that is not well-formed (truncated, say) is an issue at the line expat stopped on; what was
// complete before it is kept.
Status ConvertCvat(std::string_view xml, const ConvertContext& ctx, ConvertOutput& out);

}  // namespace gtops::interop
