// The stored form of a task timeline's facts (BuildTimelineFacts): a compact, versioned byte
// string, so that the store can keep one row per task and `gtops ops` reads those instead of
// rebuilding every timeline from its events (docs/kpis.md, "Stored timelines"). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "ops/timeline.h"

namespace gtops::ops {

// The encoding's version, its first byte. A stored row of another version is rebuilt from events.
inline constexpr unsigned char kTimelineCodecVersion = 1;

// Encodes every field of `t` except `task` (the row's key), `sla` and a due time that FinishTimeline
// derived (encode the facts, before FinishTimeline).
std::string EncodeTimeline(const TaskTimeline& t);

// Decodes what EncodeTimeline wrote; `task` is set from the argument. Any other input (truncated,
// another version, trailing bytes, out-of-range enums) is an error, never undefined behaviour.
Result<TaskTimeline> DecodeTimeline(std::string_view task, std::string_view data);

}  // namespace gtops::ops
