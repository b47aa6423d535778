// A small reader for the JSON fragments that the store keeps as text (attributes, tags, scene,
// polyline / polygon / mask geometry, ignore regions). The ingest validator has already checked
// them against FORMAT.md, so this reader trusts its input: malformed text gives an empty or
// partial value, never undefined behaviour.
//
// Pure functions, safe from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gtops::quality {

// One scalar member of a flat JSON object: its key (unescaped only when it had no escapes: a
// key with escapes is kept as written between the quotes) and its value token as written
// (`"text"` with quotes, a number, `true`, `false`, `null`; nested values as their full text).
struct JsonMember {
  std::string_view key;
  std::string_view value;
};

// Appends the members of the object `json` (an empty string is an empty object) to `out`, in
// the order written. No allocation beyond `out`'s growth.
void ParseFlatObject(std::string_view json, std::vector<JsonMember>& out);

// True when the two value tokens mean the same value: numbers by numeric value (1 == 1.0),
// strings by their text as written, everything else by its text.
bool SameJsonValue(std::string_view a, std::string_view b);

// A parsed JSON value (a small DOM for geometry).
struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  double number = 0;
  bool boolean = false;
  std::string text;                                        // kString: as written, unescaped
  std::vector<JsonValue> items;                            // kArray; kObject: the values
  std::vector<std::string> keys;                           // kObject: the keys, parallel to items
  const JsonValue* Find(std::string_view key) const;       // kObject member or nullptr
};

// Parses one JSON value; a null value when `json` is empty or malformed.
JsonValue ParseJson(std::string_view json);

}  // namespace gtops::quality
