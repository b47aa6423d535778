// A strict, fast JSON parser for the common shape of interchange-format lines, into a flat tape.
// It accepts a subset of JSON and refuses everything outside it, so that the record parser can
// take it first and hand anything refused to simdjson's DOM parser, which accepts or rejects it
// and explains why. The subset: a root object; strings without backslash escapes (valid UTF-8);
// numbers without an exponent, integers of at most 18 digits and decimals of at most 15; nesting
// at most 64 deep. Inside it, the values read are those simdjson gives for the same text (the
// same int64 or correctly rounded double; "-0" is the integer 0, "-0.0" the double -0.0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace gtops {

enum class JsonType : uint8_t { kArray, kObject, kInt64, kUint64, kDouble, kString, kBool, kNull };

// One value of the tape. A container is followed by its contents (an object's as key, value,
// key, value ...); `span` counts the nodes of the value itself and of everything inside it.
struct JsonNode {
  JsonType type;
  // Containers: their text (raw) is exactly the compact JSON that serialising the parsed value
  // gives (no white space, every number in its shortest round-trip form, as std::to_chars writes
  // it; strings never hold escapes here).
  bool compact;
  uint32_t span;
  uint32_t count;  // containers: items or fields
  uint32_t len;    // strings: bytes between the quotes; containers: bytes of the raw text
  union {
    int64_t i;
    double d;
    bool b;
    const char* s;  // strings: the first byte after the quote; containers: the opening bracket
  };
  std::string_view text() const { return {s, len}; }
};

// Not thread-safe; reuse one per thread (the tape's buffer is kept between lines).
class JsonTape {
 public:
  static constexpr size_t kPadding = 16;  // bytes that must be readable after the text
  static constexpr int kMaxDepth = 64;
  // Longer lines are refused (left to the full parser): the tape takes up to 24 bytes per byte of
  // text, and is kept for the next line.
  static constexpr size_t kMaxText = size_t{1} << 20;

  // Parses `text` (with kPadding readable bytes after it; their values do not matter). True when
  // the text is in the subset above: root() is then its root object. False when it is not (it may
  // still be valid JSON): the tape is then unspecified. The tape points into `text`.
  bool Parse(std::string_view text);
  // The same, and when true, *content_hash is HashBytes(text) (record_parser.h), computed while
  // parsing (io/line_hash.h).
  bool Parse(std::string_view text, uint64_t* content_hash);

  const JsonNode* root() const { return nodes_.get(); }

 private:
  std::unique_ptr<JsonNode[]> nodes_;
  size_t capacity_ = 0;  // nodes allocated
};

}  // namespace gtops
