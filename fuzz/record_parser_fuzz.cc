// libFuzzer target: arbitrary bytes through LineReader (from memory) and RecordParser with a small
// fixed config holding one pipeline per geometry. Every line must either parse or be refused
// with a non-empty reason; nothing may crash, leak or read out of bounds (ASan/UBSan). The fast
// path (JsonTape) and the DOM path must give the same record or the same reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/config.h"
#include "io/line_reader.h"
#include "io/record_parser.h"
#include "io/record_parser_test_util.h"

namespace {

constexpr std::string_view kToml = R"toml(
[program]
name = "fuzz"

[[pipelines]]
id = "lidar"
geometry = "box3d"
tracking = true
match = { bev_iou = 0.3 }

[[pipelines]]
id = "cam"
geometry = "box2d"
match = { iou = 0.5 }

[[pipelines]]
id = "lanes"
geometry = "polyline"
match = { polyline_match_m = 0.5 }

[[pipelines]]
id = "areas"
geometry = "polygon"
match = { iou = 0.5 }

[[pipelines]]
id = "masks"
geometry = "mask"
match = { iou = 0.5 }

[[pipelines]]
id = "tags"
geometry = "tags"
)toml";

const gtops::ProgramConfig& Config() {
  static const gtops::ProgramConfig config = [] {
    auto c = gtops::ParseConfig(kToml, "fuzz.toml");
    if (!c.ok()) std::abort();
    return std::move(*c);
  }();
  return config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static gtops::RecordParser parser(Config());
  static gtops::RecordParser dom_parser(Config());
  dom_parser.SetFastPath(false);
  gtops::ParsedRecord record, dom_record;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A small line limit so that the too-long path is reached too.
  gtops::LineReader reader(gtops::MemoryByteSource(bytes), 2048);
  gtops::Line line;
  for (;;) {
    const auto next = reader.Read(line);
    if (next == gtops::LineReader::Next::kEnd || next == gtops::LineReader::Next::kStreamError) break;
    if (next == gtops::LineReader::Next::kTooLong) continue;
    if (line.capacity < line.text.size() + gtops::kLinePadding) std::abort();
    // Both the in-place path (padding available) and the copying path.
    gtops::Status s = parser.Parse(line.text, line.capacity, record);
    if (!s.ok() && s.message().empty()) std::abort();
    gtops::Status t = parser.Parse(line.text, line.text.size(), record);
    if (s.ok() != t.ok() || s.message() != t.message()) std::abort();
    gtops::Status u = dom_parser.Parse(line.text, line.capacity, dom_record);
    if (s.ok() != u.ok() || s.message() != u.message()) std::abort();
    if (s.ok() && gtops::testing::DescribeRecord(record) != gtops::testing::DescribeRecord(dom_record)) {
      std::abort();
    }
  }
  return 0;
}
