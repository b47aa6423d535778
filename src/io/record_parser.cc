#include "io/record_parser.h"

#include <simdjson.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/time.h"
#include "io/duplicate_ids.h"
#include "io/json_tape.h"
#include "io/line_hash.h"
#include "geometry/polygon.h"
#include "geometry/rle.h"

namespace gtops {

namespace {

// The walk below reads a parsed line through these functions, written for two representations:
// simdjson's DOM (any valid JSON) and the fast parser's tape (JsonTape: most lines). The rules
// and messages are the same code for both.
using Dom = simdjson::dom::element;
using Tape = const JsonNode*;

JsonType Type(Dom e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: return JsonType::kArray;
    case simdjson::dom::element_type::OBJECT: return JsonType::kObject;
    case simdjson::dom::element_type::INT64: return JsonType::kInt64;
    case simdjson::dom::element_type::UINT64: return JsonType::kUint64;
    case simdjson::dom::element_type::DOUBLE: return JsonType::kDouble;
    case simdjson::dom::element_type::STRING: return JsonType::kString;
    case simdjson::dom::element_type::BOOL: return JsonType::kBool;
    case simdjson::dom::element_type::NULL_VALUE: return JsonType::kNull;
  }
  return JsonType::kNull;
}
std::string_view Str(Dom e) { return e.get_string().value_unsafe(); }
int64_t Int64(Dom e) { return int64_t(e); }
uint64_t Uint64(Dom e) { return uint64_t(e); }
double Double(Dom e) { return double(e); }
bool Bool(Dom e) { return bool(e); }
size_t Size(Dom e) { return simdjson::dom::array(e).size(); }
Dom First(Dom e) { return simdjson::dom::array(e).at(0).value_unsafe(); }
simdjson::dom::array Items(Dom e) { return simdjson::dom::array(e); }
simdjson::dom::object Fields(Dom e) { return simdjson::dom::object(e); }

inline JsonType Type(Tape e) { return e->type; }
inline std::string_view Str(Tape e) { return e->text(); }
inline int64_t Int64(Tape e) { return e->i; }
inline uint64_t Uint64(Tape) { return 0; }  // the tape holds no uint64 (see json_tape.h)
inline double Double(Tape e) { return e->d; }
inline bool Bool(Tape e) { return e->b; }
inline size_t Size(Tape e) { return e->count; }
inline Tape First(Tape e) { return e + 1; }

// The values of an array of the tape.
struct TapeItems {
  struct Iterator {
    Tape at;
    Tape operator*() const { return at; }
    Iterator& operator++() {
      at += at->span;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return at != o.at; }
  };
  Tape container;
  Iterator begin() const { return {container + 1}; }
  Iterator end() const { return {container + container->span}; }
};
// The fields of an object of the tape: each a key (a string node) followed by its value.
struct TapeFields {
  struct Field {
    std::string_view key;
    Tape value;
  };
  struct Iterator {
    Tape at;
    Field operator*() const { return {at->text(), at + 1}; }
    Iterator& operator++() {
      at += 1 + at[1].span;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return at != o.at; }
  };
  Tape container;
  Iterator begin() const { return {container + 1}; }
  Iterator end() const { return {container + container->span}; }
};
inline TapeItems Items(Tape e) { return {e}; }
inline TapeFields Fields(Tape e) { return {e}; }

template <class E>
const char* TypeName(E e) {
  switch (Type(e)) {
    case JsonType::kArray: return "array";
    case JsonType::kObject: return "object";
    case JsonType::kInt64:
    case JsonType::kUint64:
    case JsonType::kDouble: return "number";
    case JsonType::kString: return "string";
    case JsonType::kBool: return "boolean";
    case JsonType::kNull: return "null";
  }
  return "value";
}

template <class E>
bool IsNumber(E e) {
  auto t = Type(e);
  return t == JsonType::kInt64 || t == JsonType::kUint64 || t == JsonType::kDouble;
}

template <class E>
double AsDouble(E e) {
  switch (Type(e)) {
    case JsonType::kInt64: return static_cast<double>(Int64(e));
    case JsonType::kUint64: return static_cast<double>(Uint64(e));
    default: return Double(e);
  }
}

std::string Num(double v) { return fmt::format("{}", v); }

// True when one of the 8 bytes of `w` is a control character, '"' or '\\' (SWAR).
inline bool NeedsEscape8(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) != 0;
}


// Shortest round-trip text of a number (std::to_chars: no format string to interpret).
template <typename T>
void AppendNumber(T v, std::string& out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendJson(Dom e, std::string& out);
void AppendJson(Tape e, std::string& out);

// Appends `e` as compact JSON (numbers in their shortest round-trip form).
template <class E>
void AppendJsonValue(E e, std::string& out) {
  switch (Type(e)) {
    case JsonType::kArray: {
      out += '[';
      bool first = true;
      for (E v : Items(e)) {
        if (!first) out += ',';
        first = false;
        AppendJson(v, out);
      }
      out += ']';
      break;
    }
    case JsonType::kObject: {
      out += '{';
      bool first = true;
      for (auto field : Fields(e)) {
        if (!first) out += ',';
        first = false;
        AppendJsonString(field.key, out);
        out += ':';
        AppendJson(field.value, out);
      }
      out += '}';
      break;
    }
    case JsonType::kInt64: AppendNumber(Int64(e), out); break;
    case JsonType::kUint64: AppendNumber(Uint64(e), out); break;
    case JsonType::kDouble: AppendNumber(Double(e), out); break;
    case JsonType::kString: AppendJsonString(Str(e), out); break;
    case JsonType::kBool: out += Bool(e) ? "true" : "false"; break;
    case JsonType::kNull: out += "null"; break;
  }
}

void AppendJson(Dom e, std::string& out) { AppendJsonValue(e, out); }

// A compact container of the tape is its own raw text (see JsonNode::compact).
void AppendJson(Tape e, std::string& out) {
  if (e->compact && (e->type == JsonType::kArray || e->type == JsonType::kObject)) {
    out.append(e->s, e->len);
  } else {
    AppendJsonValue(e, out);
  }
}

// The value as compact JSON, for messages. The tape's differs from simdjson's minify in how
// numbers are written; it is never shown (a line the tape walk rejects is walked again on the DOM).
std::string Minify(Dom e) { return simdjson::minify(e); }
std::string Minify(Tape e) {
  std::string s;
  AppendJson(e, s);
  return s;
}

// memcmp(a, b, n) == 0 for the short keys of the format, without a call: whole words, the last
// one overlapping the one before (no byte loop).
inline bool SameBytes(const char* a, const char* b, size_t n) {
  auto same = [&](size_t at, auto word) {
    decltype(word) x, y;
    std::memcpy(&x, a + at, sizeof x);
    std::memcpy(&y, b + at, sizeof y);
    return x == y;
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!same(i, uint64_t{})) return false;
    }
    return same(n - 8, uint64_t{});
  }
  if (n >= 4) return same(0, uint32_t{}) && same(n - 4, uint32_t{});
  if (n >= 2) return same(0, uint16_t{}) && same(n - 2, uint16_t{});
  return n == 0 || *a == *b;
}

// Finds a key among a fixed set of names: a table indexed by a hash of the key's length, first,
// second-last and last character, then one comparison. Names whose hashes collide are looked up
// linearly.
template <size_t N>
class KeyTable {
 public:
  explicit KeyTable(const std::array<std::string_view, N>& names) : names_(names) {
    slot_.fill(-1);
    for (size_t i = 0; i < N; ++i) {
      int8_t& s = slot_[Hash(names[i])];
      s = s == -1 ? static_cast<int8_t>(i) : int8_t{-2};
    }
  }

  // Index of `key` in the names, or -1.
  int Find(std::string_view key) const {
    if (key.empty()) return -1;
    const int s = slot_[Hash(key)];
    if (s >= 0) {
      const std::string_view name = names_[static_cast<size_t>(s)];
      return name.size() == key.size() && SameBytes(name.data(), key.data(), key.size())
                 ? s : -1;
    }
    if (s == -1) return -1;
    for (size_t i = 0; i < N; ++i) {
      if (names_[i] == key) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  // With the second-last character, the names of each table of the format get slots of their
  // own (box2d and box3d, for one, differ only there), so that a known key costs one comparison.
  static size_t Hash(std::string_view k) {
    const size_t n = k.size();
    return (n * 131 + static_cast<unsigned char>(k.front()) * 31 +
            static_cast<unsigned char>(k[n >= 2 ? n - 2 : 0]) * 9 +
            static_cast<unsigned char>(k.back())) & 255;
  }
  const std::array<std::string_view, N>& names_;
  std::array<int8_t, 256> slot_;
};

// Record-level keys of all three kinds; a record's kind decides which are allowed to mean
// something (the others are ignored, as unknown fields are).
enum RecordKey {
  kPipeline, kBatch, kTask, kFrame, kTimestamp, kSource, kVendor, kAnnotator, kModel,
  kSpecVersion, kToolVersion, kLabeledAt, kScene, kEgoPose, kSensor, kIgnore, kTags, kObjects,
  kEvent, kAt, kDue, kCostUsd, kWorkS, kObjectCount, kReason, kAuditor, kVerdict,
  kObjectsReviewed, kErrors, kRecordKeyCount
};
constexpr std::array<std::string_view, kRecordKeyCount> kRecordKeys{
    "pipeline", "batch", "task", "frame", "timestamp", "source", "vendor", "annotator", "model",
    "spec_version", "tool_version", "labeled_at", "scene", "ego_pose", "sensor", "ignore", "tags",
    "objects", "event", "at", "due", "cost_usd", "work_s", "object_count", "reason", "auditor",
    "verdict", "objects_reviewed", "errors"};

enum ObjectKey {
  kId, kTrack, kClass, kBox2d, kBox3d, kPolyline, kPolygon, kMask, kAttributes, kScore,
  kNumPoints, kObjectKeyCount
};
constexpr std::array<std::string_view, kObjectKeyCount> kObjectKeys{
    "id", "track", "class", "box2d", "box3d", "polyline", "polygon", "mask", "attributes",
    "score", "num_points"};

enum AuditErrorKey { kErrType, kErrSeverity, kErrObject, kErrClass, kErrAttribute, kErrTag, kErrNote,
                     kAuditErrorKeyCount };
constexpr std::array<std::string_view, kAuditErrorKeyCount> kAuditErrorKeys{
    "type", "severity", "object", "class", "attribute", "tag", "note"};

// The object key of a geometry (the key and the geometry's name are the same word).
constexpr int GeometryKey(GeometryKind g) {
  switch (g) {
    case GeometryKind::kBox2d: return kBox2d;
    case GeometryKind::kBox3d: return kBox3d;
    case GeometryKind::kPolyline: return kPolyline;
    case GeometryKind::kPolygon: return kPolygon;
    case GeometryKind::kMask: return kMask;
    case GeometryKind::kTags: break;
  }
  return -1;
}

// The fields of one JSON object, by known key; absent ones are null elements.
template <class E, size_t N>
struct Slots {
  std::array<E, N> at{};
  uint64_t present = 0;
  bool has(int k) const { return (present >> k) & 1; }
};

// True when `lit` follows JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view lit) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < lit.size() && lit[i] >= '0' && lit[i] <= '9') ++i;
    return i > start;
  };
  if (i < lit.size() && lit[i] == '-') ++i;
  if (i < lit.size() && lit[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < lit.size() && lit[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < lit.size() && (lit[i] == 'e' || lit[i] == 'E')) {
    ++i;
    if (i < lit.size() && (lit[i] == '+' || lit[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == lit.size();
}

// simdjson reports a bad number without saying where: find the first number literal of `line`
// that is malformed or out of range, and the field it belongs to, to tell the user which it was.
// Empty when none is found (the caller then gives the generic message).
std::string DescribeBadNumber(std::string_view line) {
  std::vector<std::string_view> owner{std::string_view()};  // the key each open container is under
  std::string_view key;  // the last key read in the innermost object
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      const std::string_view str = line.substr(i + 1, std::min(j, line.size()) - i - 1);
      size_t k = j + 1;
      while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
      if (k < line.size() && line[k] == ':') key = str;
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[') {
      owner.push_back(key);
      if (c == '{') key = {};
      ++i;
      continue;
    }
    if (c == '}' || c == ']') {
      if (owner.size() > 1) {
        key = owner.back();
        owner.pop_back();
      }
      ++i;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i;
      while (j < line.size() && std::strchr("+-.eE0123456789", line[j]) != nullptr) ++j;
      const std::string_view lit = line.substr(i, j - i);
      const std::string where = key.empty() ? "" : fmt::format(" in field \"{}\"", key);
      if (lit == "-" && j < line.size() && (line[j] == 'I' || line[j] == 'N' || line[j] == 'i')) {
        return fmt::format("-{} is not a JSON number: numbers must be finite",
                           line.substr(j, line.substr(j).find_first_of(",]} ")));
      }
      if (!IsJsonNumber(lit)) return fmt::format("malformed number {}{}", lit, where);
      const std::string text(lit);
      const double v = std::strtod(text.c_str(), nullptr);
      if (!std::isfinite(v)) {
        return fmt::format("number {}{} is out of range: numbers must be finite", lit, where);
      }
      if (lit.find_first_of(".eE") == std::string_view::npos && lit.size() >= 19) {
        const std::string_view limit = lit[0] == '-' ? "-9223372036854775808" : "18446744073709551615";
        const bool fits = lit.size() < limit.size() || (lit.size() == limit.size() && lit <= limit);
        if (!fits) {
          return fmt::format("integer {}{} does not fit in 64 bits (write it with a decimal "
                             "point or an exponent to store it as a floating-point number)",
                             lit, where);
        }
      }
      i = j;
      continue;
    }
    ++i;
  }
  return {};
}

// simdjson's structural errors say what broke but not where: look for the usual culprits outside
// strings (a byte order mark, NaN or Infinity, a bare word such as 'single quoted' text) and name
// them. Empty when none is found (the caller then gives simdjson's message).
std::string DescribeBadToken(std::string_view line) {
  if (line.substr(0, 3) == "\xEF\xBB\xBF") {
    return "the line starts with a byte order mark (U+FEFF): records are UTF-8 without a BOM";
  }
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && ((line[j] >= 'a' && line[j] <= 'z') || (line[j] >= 'A' && line[j] <= 'Z') ||
                                (line[j] >= '0' && line[j] <= '9') || line[j] == '_')) {
      ++j;
    }
    const std::string_view word = line.substr(i, j - i);
    if (word == "NaN" || word == "nan" || word == "Infinity" || word == "inf" || word == "Inf") {
      return fmt::format("{} is not a JSON number: numbers must be finite", word);
    }
    if (word != "true" && word != "false" && word != "null" && !(i > 0 && line[i - 1] >= '0' &&
                                                                 line[i - 1] <= '9')) {
      return fmt::format("unexpected word {} outside a string (strings need double quotes)",
                         word.substr(0, 40));
    }
    i = j;
  }
  return {};
}

}  // namespace

void AppendJsonString(std::string_view s, std::string& out) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (NeedsEscape8(w)) break;
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') break;
  }
  const size_t n = out.size();
  if (i == s.size()) {  // nothing to escape: one copy
    out.resize(n + s.size() + 2);
    char* p = out.data() + n;
    *p++ = '"';
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '"';
    return;
  }
  out.push_back('"');
  out.append(s.data(), i);
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

struct RecordParser::Impl {
  explicit Impl(const ProgramConfig& c) : config(c) {}

  const ProgramConfig& config;
  simdjson::dom::parser parser;
  JsonTape tape;
  bool fast_path = true;
  bool hashed = false;  // whether the current line's content hash is already in the record
  std::string padded;  // a padded copy, when the caller's buffer has no room to parse in place
  std::string error;   // the reason of the current failure
  // Where in the record the parser is, to prefix messages: `object "o7": ...`. The prefix is
  // built only when a record fails.
  enum class Where { kRecord, kObjectIndex, kObjectId, kAuditError };
  Where where = Where::kRecord;
  size_t where_index = 0;
  std::string_view where_id;
  // Objects taken off records that shrank, kept (with their strings' buffers) for the next ones.
  std::vector<Object> spare_objects;

  static constexpr size_t kMaxSpareObjects = 16384;

  // Hands a record's objects back to the spare pool (bounded: the rest are freed).
  void ReleaseObjects(std::vector<Object>& objects) { ResizeObjects(objects, 0); }

  // Makes `objects` hold n objects, moving only the difference from or to the spare pool.
  void ResizeObjects(std::vector<Object>& objects, size_t n) {
    while (objects.size() > n) {
      if (spare_objects.size() < kMaxSpareObjects) spare_objects.push_back(std::move(objects.back()));
      objects.pop_back();
    }
    while (objects.size() < n) {
      if (spare_objects.empty()) {
        objects.emplace_back();
      } else {
        objects.push_back(std::move(spare_objects.back()));
        spare_objects.pop_back();
      }
    }
  }

  std::vector<std::string_view> ids;  // object ids of the current record, to find duplicates
  DuplicateIds duplicates;

  bool Fail(std::string_view what) {
    switch (where) {
      case Where::kRecord: error.clear(); break;
      case Where::kObjectIndex: error = fmt::format("objects[{}]: ", where_index); break;
      case Where::kObjectId: error = fmt::format("object \"{}\": ", where_id); break;
      case Where::kAuditError: error = fmt::format("errors[{}]: ", where_index); break;
    }
    error += what;
    return false;
  }

  const KeyTable<kRecordKeyCount> record_keys{kRecordKeys};
  const KeyTable<kObjectKeyCount> object_keys{kObjectKeys};
  const KeyTable<kAuditErrorKeyCount> audit_error_keys{kAuditErrorKeys};

  template <class E, size_t N>
  bool Collect(E obj, const std::array<std::string_view, N>& names, const KeyTable<N>& table,
               Slots<E, N>& slots) {
    for (auto field : Fields(obj)) {
      int k = table.Find(field.key);
      if (k < 0) continue;  // fields not in the format are allowed and ignored
      if (slots.has(k)) return Fail(fmt::format("duplicate key \"{}\"", names[k]));
      slots.present |= uint64_t{1} << k;
      slots.at[k] = field.value;
    }
    return true;
  }

  // A string field: required ones must be present and non-empty.
  template <class E>
  bool String(E e, bool present, std::string_view name, bool required, std::string& out) {
    out.clear();
    if (!present) {
      if (required) return Fail(fmt::format("missing required field \"{}\"", name));
      return true;
    }
    if (Type(e) != JsonType::kString) {
      return Fail(fmt::format("field \"{}\" must be a string (got {})", name, TypeName(e)));
    }
    std::string_view s = Str(e);
    if (s.empty() && required) return Fail(fmt::format("field \"{}\" must not be empty", name));
    out.append(s.data(), s.size());  // out is empty: append copies without assign's overlap checks
    return true;
  }

  template <class E>
  bool Number(E e, std::string_view name, double& out) {
    if (!IsNumber(e)) {
      return Fail(fmt::format("field \"{}\" must be a number (got {})", name, TypeName(e)));
    }
    out = AsDouble(e);
    if (!std::isfinite(out)) return Fail(fmt::format("field \"{}\" must be finite", name));
    return true;
  }

  template <class E>
  bool NonNegative(E e, std::string_view name, std::optional<double>& out) {
    double v = 0;
    if (!Number(e, name, v)) return false;
    if (v < 0) return Fail(fmt::format("field \"{}\" must be >= 0 (got {})", name, Num(v)));
    out = v;
    return true;
  }

  template <class E>
  bool Count(E e, std::string_view name, std::optional<int64_t>& out) {
    if (!IsNumber(e)) {
      return Fail(fmt::format("field \"{}\" must be an integer (got {})", name, TypeName(e)));
    }
    double v = AsDouble(e);
    if (Type(e) == JsonType::kUint64 || v >= 9.2e18) {
      return Fail(fmt::format("field \"{}\" is too large (got {})", name, Num(v)));
    }
    if (v != std::floor(v)) {
      return Fail(fmt::format("field \"{}\" must be an integer (got {})", name, Num(v)));
    }
    if (v < 0) return Fail(fmt::format("field \"{}\" must be >= 0 (got {})", name, Num(v)));
    out = Type(e) == JsonType::kInt64 ? Int64(e) : static_cast<int64_t>(v);
    return true;
  }

  template <class E>
  bool Time(E e, bool present, std::string_view name, bool required, std::string& text,
            int64_t* epoch_ms) {
    if (!String(e, present, name, required, text)) return false;
    if (text.empty()) return true;
    auto ms = ParseRfc3339Ms(text);
    if (!ms) {
      return Fail(fmt::format("field \"{}\" must be an RFC 3339 date-time such as "
                              "2026-11-01T10:22:31Z (got \"{}\")", name, text));
    }
    if (epoch_ms != nullptr) *epoch_ms = *ms;
    return true;
  }

  // An object whose values are strings, numbers or booleans (scene, attributes, tags). `field` is
  // the record's key, `noun` what one entry is called in messages ("attribute \"moving\" ...").
  // A key given twice is refused: its value would depend on which copy a reader keeps.
  template <class E>
  bool ScalarMap(E e, std::string_view field, std::string_view noun, std::string& json) {
    if (Type(e) != JsonType::kObject) {
      return Fail(fmt::format("field \"{}\" must be an object (got {})", field, TypeName(e)));
    }
    map_keys.clear();
    for (auto field_value : Fields(e)) {
      auto t = Type(field_value.value);
      if (t == JsonType::kArray || t == JsonType::kObject || t == JsonType::kNull) {
        return Fail(fmt::format("{} \"{}\" must be a string, number or boolean (got {})", noun,
                                field_value.key, TypeName(field_value.value)));
      }
      map_keys.push_back(field_value.key);
    }
    if (!NoDuplicateKey(field)) return false;
    json.clear();
    AppendJson(e, json);
    return true;
  }

  // Fails when `map_keys` holds a key twice; `map_name` names the object they belong to.
  std::vector<std::string_view> map_keys;
  bool NoDuplicateKey(std::string_view map_name) {
    if (map_keys.size() < 2) return true;
    if (map_keys.size() <= 8) {  // the usual few keys: compared pairwise, no sort
      bool any = false;
      for (size_t i = 1; i < map_keys.size() && !any; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (map_keys[i].size() == map_keys[j].size() &&
              SameBytes(map_keys[i].data(), map_keys[j].data(), map_keys[i].size())) {
            any = true;
            break;
          }
        }
      }
      if (!any) return true;
    }
    std::sort(map_keys.begin(), map_keys.end());
    auto dup = std::adjacent_find(map_keys.begin(), map_keys.end());
    if (dup == map_keys.end()) return true;
    return Fail(fmt::format("{}: duplicate key \"{}\"", map_name, *dup));
  }

  // An array of exactly `n` finite numbers into `out`.
  template <class E>
  bool Numbers(E e, std::string_view what, size_t n, double* out) {
    if (Type(e) != JsonType::kArray) {
      return Fail(fmt::format("{} must be an array of {} numbers (got {})", what, n, TypeName(e)));
    }
    size_t i = 0;
    for (E v : Items(e)) {
      if (i == n) break;
      if (!IsNumber(v)) {
        return Fail(fmt::format("{} value {} must be a number (got {})", what, i + 1, TypeName(v)));
      }
      out[i] = AsDouble(v);
      if (!std::isfinite(out[i])) return Fail(fmt::format("{} value {} must be finite", what, i + 1));
      ++i;
    }
    size_t size = Size(e);
    if (size != n) {
      return Fail(fmt::format("{} must have {} numbers (got {})", what, n, size));
    }
    return true;
  }

  template <class E>
  bool ParseBox2d(E e, Box2d& b, std::string_view what = "box2d") {
    double v[4];
    if (!Numbers(e, what, 4, v)) return false;
    b = Box2d{v[0], v[1], v[2], v[3]};
    if (!(b.w > 0)) return Fail(fmt::format("{} width must be > 0 (got {})", what, Num(b.w)));
    if (!(b.h > 0)) return Fail(fmt::format("{} height must be > 0 (got {})", what, Num(b.h)));
    return true;
  }

  template <class E>
  bool ParseBox3d(E e, Box3d& b, std::string_view what = "box3d") {
    double v[7];
    if (!Numbers(e, what, 7, v)) return false;
    b = Box3d{v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    if (!(b.l > 0)) return Fail(fmt::format("{} length must be > 0 (got {})", what, Num(b.l)));
    if (!(b.w > 0)) return Fail(fmt::format("{} width must be > 0 (got {})", what, Num(b.w)));
    if (!(b.h > 0)) return Fail(fmt::format("{} height must be > 0 (got {})", what, Num(b.h)));
    return true;
  }

  // A list of points [[x, y], ...] (dims 2) or [[x, y], ...] / [[x, y, z], ...] (dims 0: either,
  // the same for every point).
  template <class E>
  bool Points(E e, std::string_view what, size_t min_points, int dims,
              std::vector<geometry::Point2>* out2) {
    if (Type(e) != JsonType::kArray) {
      return Fail(fmt::format("{} must be an array of points (got {})", what, TypeName(e)));
    }
    size_t n = 0;
    size_t first_dims = 0;
    for (E p : Items(e)) {
      ++n;
      if (Type(p) != JsonType::kArray) {
        return Fail(fmt::format("{} point {} must be an array of numbers (got {})", what, n,
                                TypeName(p)));
      }
      size_t k = Size(p);
      bool ok = dims == 2 ? k == 2 : (k == 2 || k == 3);
      if (!ok) {
        return Fail(fmt::format("{} point {} must be {} (got {} values)", what, n,
                                dims == 2 ? "[x, y]" : "[x, y] or [x, y, z]", k));
      }
      if (first_dims == 0) first_dims = k;
      if (k != first_dims) {
        return Fail(fmt::format("{} point {} has {} coordinates but point 1 has {}", what, n, k,
                                first_dims));
      }
      double c[3];
      size_t i = 0;
      for (E v : Items(p)) {
        if (!IsNumber(v)) {
          return Fail(fmt::format("{} point {} must hold numbers (got {})", what, n, TypeName(v)));
        }
        c[i] = AsDouble(v);
        if (!std::isfinite(c[i])) return Fail(fmt::format("{} point {} must be finite", what, n));
        ++i;
      }
      if (out2 != nullptr) out2->push_back(geometry::Point2{c[0], c[1]});
    }
    if (n < min_points) {
      return Fail(fmt::format("{} must have at least {} points (got {})", what, min_points, n));
    }
    return true;
  }

  std::vector<geometry::Point2> ring;

  template <class E>
  bool Ring(E e, std::string_view what) {
    ring.clear();
    if (!Points(e, what, 3, 2, &ring)) return false;
    if (!geometry::IsSimpleRing(ring)) {
      return Fail(fmt::format("{} is not a simple ring: edges cross or touch, or it has fewer "
                              "than 3 distinct points", what));
    }
    return true;
  }

  template <class E>
  bool ParsePolygon(E e, std::string_view what) {
    if (Type(e) != JsonType::kArray) {
      return Fail(fmt::format("{} must be an array of points or of rings (got {})", what,
                              TypeName(e)));
    }
    if (Size(e) == 0) return Fail(fmt::format("{} must not be empty", what));
    E first = First(e);
    bool multi = Type(first) == JsonType::kArray && Size(first) > 0 &&
                 Type(First(first)) == JsonType::kArray;
    if (!multi) return Ring(e, what);
    size_t r = 0;
    for (E ring_e : Items(e)) {
      ++r;
      if (!Ring(ring_e, fmt::format("{} ring {}", what, r))) return false;
    }
    return true;
  }

  template <class E>
  bool ParseMask(E e) {
    if (Type(e) != JsonType::kObject) {
      return Fail(fmt::format("mask must be an object {{\"size\": [h, w], \"counts\": ...}} (got {})",
                              TypeName(e)));
    }
    E size_e{}, counts_e{};
    bool has_size = false, has_counts = false;
    for (auto field : Fields(e)) {
      const bool is_size = field.key == "size", is_counts = field.key == "counts";
      if ((is_size && has_size) || (is_counts && has_counts)) {
        return Fail(fmt::format("mask: duplicate key \"{}\"", field.key));
      }
      if (is_size) { size_e = field.value; has_size = true; }
      if (is_counts) { counts_e = field.value; has_counts = true; }
    }
    if (!has_size) return Fail("mask is missing \"size\"");
    if (!has_counts) return Fail("mask is missing \"counts\"");
    double hw[2];
    if (!Numbers(size_e, "mask size", 2, hw)) return false;
    for (int i = 0; i < 2; ++i) {
      if (!(hw[i] >= 1) || hw[i] != std::floor(hw[i]) || hw[i] > 1e6) {
        return Fail(fmt::format("mask size must be two positive integers [h, w] (got {})",
                                Minify(size_e)));
      }
    }
    const uint64_t pixels = static_cast<uint64_t>(hw[0]) * static_cast<uint64_t>(hw[1]);
    uint64_t sum = 0;
    if (Type(counts_e) == JsonType::kString) {
      auto counts = geometry::DecodeRleCounts(Str(counts_e));
      if (!counts.ok()) return Fail(counts.status().message());
      for (uint32_t c : *counts) sum += c;
    } else if (Type(counts_e) == JsonType::kArray) {
      size_t i = 0;
      for (E c : Items(counts_e)) {
        ++i;
        if (Type(c) != JsonType::kInt64 && Type(c) != JsonType::kUint64) {
          return Fail(fmt::format("mask counts value {} must be a non-negative integer (got {})", i,
                                  Minify(c)));
        }
        if (Type(c) == JsonType::kInt64 && Int64(c) < 0) {
          return Fail(fmt::format("mask counts value {} must be >= 0 (got {})", i, Int64(c)));
        }
        uint64_t v = Type(c) == JsonType::kInt64 ? static_cast<uint64_t>(Int64(c)) : Uint64(c);
        if (v > pixels || sum + v > pixels) {
          return Fail(fmt::format("mask counts add up to more than h x w = {}", pixels));
        }
        sum += v;
      }
    } else {
      return Fail(fmt::format("mask counts must be an RLE string or an array of integers (got {})",
                              TypeName(counts_e)));
    }
    if (sum != pixels) {
      return Fail(fmt::format("mask counts add up to {}, not h x w = {}", sum, pixels));
    }
    return true;
  }

  template <class E>
  bool ParseObject(E e, size_t index, const PipelineSpec& pipe, Source source, Object& o) {
    where = Where::kRecord;
    if (Type(e) != JsonType::kObject) {
      return Fail(fmt::format("objects[{}] must be an object (got {})", index, TypeName(e)));
    }
    Slots<E, kObjectKeyCount> f;
    where = Where::kObjectIndex;
    where_index = index;
    if (!Collect(e, kObjectKeys, object_keys, f)) return false;
    if (!String(f.at[kId], f.has(kId), "id", true, o.id)) return false;
    where = Where::kObjectId;
    where_id = o.id;
    ids.push_back(Str(f.at[kId]));
    if (!String(f.at[kClass], f.has(kClass), "class", true, o.cls)) return false;
    const bool track_required = pipe.tracking && source != Source::kModel;
    if (!String(f.at[kTrack], f.has(kTrack), "track", track_required, o.track)) return false;

    constexpr uint64_t kGeometryKeys = (uint64_t{1} << kBox2d) | (uint64_t{1} << kBox3d) |
                                       (uint64_t{1} << kPolyline) | (uint64_t{1} << kPolygon) |
                                       (uint64_t{1} << kMask);
    const uint64_t geometries = f.present & kGeometryKeys;
    const int geometry_keys = std::popcount(geometries);
    const int found = geometries == 0 ? -1 : std::countr_zero(geometries);
    if (pipe.geometry == GeometryKind::kTags) {
      return Fail(fmt::format("pipeline \"{}\" has geometry \"tags\": its objects must be empty",
                              pipe.id));
    }
    const std::string_view expected = Name(pipe.geometry);
    if (geometry_keys == 0) {
      return Fail(fmt::format("missing geometry: pipeline \"{}\" needs \"{}\"", pipe.id, expected));
    }
    if (geometry_keys > 1) {
      return Fail("more than one geometry key: an object has exactly one");
    }
    if (found != GeometryKey(pipe.geometry)) {
      return Fail(fmt::format("geometry \"{}\" does not match pipeline \"{}\", whose geometry is \"{}\"",
                              kObjectKeys[found], pipe.id, expected));
    }
    o.kind = pipe.geometry;
    o.geometry_json.clear();
    E g = f.at[found];
    switch (pipe.geometry) {
      case GeometryKind::kBox2d:
        if (!ParseBox2d(g, o.box2d)) return false;
        break;
      case GeometryKind::kBox3d:
        if (!ParseBox3d(g, o.box3d)) return false;
        break;
      case GeometryKind::kPolyline:
        if (!Points(g, "polyline", 2, 0, nullptr)) return false;
        AppendJson(g, o.geometry_json);
        break;
      case GeometryKind::kPolygon:
        if (!ParsePolygon(g, "polygon")) return false;
        AppendJson(g, o.geometry_json);
        break;
      case GeometryKind::kMask:
        if (!ParseMask(g)) return false;
        AppendJson(g, o.geometry_json);
        break;
      case GeometryKind::kTags:
        break;
    }
    o.attributes_json.clear();
    if (f.has(kAttributes) &&
        !ScalarMap(f.at[kAttributes], "attributes", "attribute", o.attributes_json)) {
      return false;
    }
    o.score.reset();
    if (source == Source::kModel) {
      if (!f.has(kScore)) return Fail("missing required field \"score\" (model records)");
      double s;
      if (!Number(f.at[kScore], "score", s)) return false;
      if (s < 0 || s > 1) return Fail(fmt::format("score must be in [0, 1] (got {})", Num(s)));
      o.score = s;
    } else if (f.has(kScore)) {
      return Fail(fmt::format("\"score\" is only for model records (source is \"{}\")", Name(source)));
    }
    o.num_points.reset();
    if (f.has(kNumPoints) && !Count(f.at[kNumPoints], "num_points", o.num_points)) return false;
    return true;
  }

  template <class E>
  bool ParseIgnore(E e, const PipelineSpec& pipe) {
    if (Type(e) != JsonType::kArray) {
      return Fail(fmt::format("field \"ignore\" must be an array of regions (got {})", TypeName(e)));
    }
    size_t i = 0;
    for (E region : Items(e)) {
      ++i;
      std::string what = fmt::format("ignore region {}", i);
      if (pipe.geometry == GeometryKind::kBox2d) {
        Box2d b;
        if (!ParseBox2d(region, b, what)) return false;
      } else if (pipe.geometry == GeometryKind::kBox3d) {
        Box3d b;
        if (!ParseBox3d(region, b, what)) return false;
      } else if (!ParsePolygon(region, what)) {
        return false;
      }
    }
    return true;
  }

  template <class E>
  bool ParseLabels(const Slots<E, kRecordKeyCount>& f, LabelRecord& r) {
    if (!String(f.at[kPipeline], f.has(kPipeline), "pipeline", true, r.pipeline)) return false;
    const PipelineSpec* pipe = FindPipeline(r.pipeline);
    if (pipe == nullptr) {
      return Fail(fmt::format("unknown pipeline \"{}\" (not in gtops.toml)", r.pipeline));
    }
    std::string source;
    if (!String(f.at[kSource], f.has(kSource), "source", true, source)) return false;
    auto src = ParseSource(source);
    if (!src || *src == Source::kConsensus) {
      return Fail(fmt::format("field \"source\" must be \"vendor\", \"gold\" or \"model\" (got \"{}\")",
                              source));
    }
    r.source = *src;
    const bool vendor = r.source == Source::kVendor;
    if (!String(f.at[kTask], f.has(kTask), "task", true, r.task)) return false;
    if (!String(f.at[kFrame], f.has(kFrame), "frame", true, r.frame)) return false;
    if (!String(f.at[kBatch], f.has(kBatch), "batch", vendor, r.batch)) return false;
    if (!String(f.at[kVendor], f.has(kVendor), "vendor", vendor, r.vendor)) return false;
    if (!String(f.at[kAnnotator], f.has(kAnnotator), "annotator", vendor, r.annotator)) return false;
    if (!String(f.at[kModel], f.has(kModel), "model", r.source == Source::kModel, r.model)) {
      return false;
    }
    r.timestamp.reset();
    if (f.has(kTimestamp)) {
      double t;
      if (!Number(f.at[kTimestamp], "timestamp", t)) return false;
      r.timestamp = t;
    } else if (pipe->tracking) {
      return Fail(fmt::format("missing required field \"timestamp\" (pipeline \"{}\" is tracking)",
                              pipe->id));
    }
    if (!String(f.at[kSpecVersion], f.has(kSpecVersion), "spec_version", false, r.spec_version) ||
        !String(f.at[kToolVersion], f.has(kToolVersion), "tool_version", false, r.tool_version) ||
        !String(f.at[kSensor], f.has(kSensor), "sensor", false, r.sensor) ||
        !Time(f.at[kLabeledAt], f.has(kLabeledAt), "labeled_at", false, r.labeled_at, nullptr)) {
      return false;
    }
    r.scene_json.clear();
    if (f.has(kScene) && !ScalarMap(f.at[kScene], "scene", "scene", r.scene_json)) return false;
    r.ego_pose_json.clear();
    if (f.has(kEgoPose)) {
      E e = f.at[kEgoPose];
      size_t n = Type(e) == JsonType::kArray ? Size(e) : 0;
      double v[7];
      if (n != 4 && n != 7) {
        return Fail("field \"ego_pose\" must be [x, y, z, yaw] or [x, y, z, qw, qx, qy, qz]");
      }
      if (!Numbers(e, "ego_pose", n, v)) return false;
      AppendJson(e, r.ego_pose_json);
    }
    r.ignore_json.clear();
    if (f.has(kIgnore)) {
      if (r.source != Source::kGold) {
        return Fail(fmt::format("field \"ignore\" is only for gold records (source is \"{}\")",
                                source));
      }
      if (!ParseIgnore(f.at[kIgnore], *pipe)) return false;
      AppendJson(f.at[kIgnore], r.ignore_json);
    }
    r.tags_json.clear();
    if (pipe->geometry == GeometryKind::kTags) {
      if (!f.has(kTags)) {
        return Fail(fmt::format("missing required field \"tags\" (pipeline \"{}\" has geometry \"tags\")",
                                pipe->id));
      }
      if (!ScalarMap(f.at[kTags], "tags", "tags", r.tags_json)) return false;
    } else if (f.has(kTags)) {
      return Fail(fmt::format("field \"tags\" is only for pipelines with geometry \"tags\" (\"{}\" has \"{}\")",
                              pipe->id, Name(pipe->geometry)));
    }
    E objs = f.at[kObjects];
    if (Type(objs) != JsonType::kArray) {
      return Fail(fmt::format("field \"objects\" must be an array (got {})", TypeName(objs)));
    }
    const size_t n = Size(objs);
    if (static_cast<int64_t>(n) > kMaxObjectsPerRecord) {
      return Fail(fmt::format("too many objects ({}): a record holds at most {}", n,
                              kMaxObjectsPerRecord));
    }
    ResizeObjects(r.objects, n);
    ids.clear();
    size_t i = 0;
    for (E o : Items(objs)) {
      if (!ParseObject(o, i, *pipe, r.source, r.objects[i])) return false;
      ++i;
    }
    where = Where::kRecord;
    if (duplicates.Any(ids)) {
      return Fail(fmt::format("object \"{}\": duplicate object id (ids must be unique within a record)",
                              duplicates.First(ids)));
    }
    return true;
  }

  // The pipeline of the previous record is tried first: lines come in runs of one pipeline.
  const PipelineSpec* last_pipeline = nullptr;
  const PipelineSpec* FindPipeline(const std::string& id) {
    if (last_pipeline != nullptr && last_pipeline->id == id) return last_pipeline;
    const PipelineSpec* p = config.FindPipeline(id);
    if (p != nullptr) last_pipeline = p;
    return p;
  }

  bool KnownPipeline(const std::string& id) {
    if (FindPipeline(id) == nullptr) {
      return Fail(fmt::format("unknown pipeline \"{}\" (not in gtops.toml)", id));
    }
    return true;
  }

  template <class E>
  bool ParseEvent(const Slots<E, kRecordKeyCount>& f, Event& ev) {
    if (!String(f.at[kTask], f.has(kTask), "task", true, ev.task) ||
        !String(f.at[kPipeline], f.has(kPipeline), "pipeline", true, ev.pipeline) ||
        !KnownPipeline(ev.pipeline)) {
      return false;
    }
    std::string kind;
    if (!String(f.at[kEvent], true, "event", true, kind)) return false;
    auto k = ParseEventKind(kind);
    if (!k) {
      return Fail(fmt::format("field \"event\" must be one of created, assigned, submitted, "
                              "review_passed, review_failed, accepted, rejected, delivered, "
                              "cancelled (got \"{}\")", kind));
    }
    ev.kind = *k;
    if (!Time(f.at[kAt], f.has(kAt), "at", true, ev.at, &ev.at_epoch_ms)) return false;
    ev.due_epoch_ms.reset();
    int64_t due_ms = 0;
    if (!Time(f.at[kDue], f.has(kDue), "due", false, ev.due, &due_ms)) return false;
    if (!ev.due.empty()) ev.due_epoch_ms = due_ms;
    if (!String(f.at[kBatch], f.has(kBatch), "batch", false, ev.batch) ||
        !String(f.at[kVendor], f.has(kVendor), "vendor", false, ev.vendor) ||
        !String(f.at[kAnnotator], f.has(kAnnotator), "annotator", false, ev.annotator) ||
        !String(f.at[kReason], f.has(kReason), "reason", false, ev.reason)) {
      return false;
    }
    ev.cost_usd.reset();
    ev.work_s.reset();
    ev.object_count.reset();
    if (f.has(kCostUsd) && !NonNegative(f.at[kCostUsd], "cost_usd", ev.cost_usd)) return false;
    if (f.has(kWorkS) && !NonNegative(f.at[kWorkS], "work_s", ev.work_s)) return false;
    if (f.has(kObjectCount) && !Count(f.at[kObjectCount], "object_count", ev.object_count)) {
      return false;
    }
    return true;
  }

  template <class E>
  bool ParseAuditError(E e, size_t index, AuditError& err) {
    where = Where::kAuditError;
    where_index = index;
    if (Type(e) != JsonType::kObject) {
      return Fail(fmt::format("must be an object (got {})", TypeName(e)));
    }
    Slots<E, kAuditErrorKeyCount> f;
    if (!Collect(e, kAuditErrorKeys, audit_error_keys, f)) return false;
    std::string s;
    if (!String(f.at[kErrType], f.has(kErrType), "type", true, s)) return false;
    auto t = ParseErrorType(s);
    if (!t) return Fail(fmt::format("error type \"{}\" is not in the taxonomy of FORMAT.md", s));
    err.type = *t;
    if (!String(f.at[kErrSeverity], f.has(kErrSeverity), "severity", true, s)) return false;
    auto sev = ParseSeverity(s);
    if (!sev) {
      return Fail(fmt::format("severity must be \"minor\", \"major\" or \"critical\" (got \"{}\")", s));
    }
    err.severity = *sev;
    if (!String(f.at[kErrObject], f.has(kErrObject), "object", false, err.object) ||
        !String(f.at[kErrClass], f.has(kErrClass), "class", false, err.cls) ||
        !String(f.at[kErrAttribute], f.has(kErrAttribute), "attribute", false, err.attribute) ||
        !String(f.at[kErrTag], f.has(kErrTag), "tag", false, err.tag) ||
        !String(f.at[kErrNote], f.has(kErrNote), "note", false, err.note)) {
      return false;
    }
    where = Where::kRecord;
    return true;
  }

  template <class E>
  bool ParseAudit(const Slots<E, kRecordKeyCount>& f, Audit& au) {
    if (!String(f.at[kTask], f.has(kTask), "task", true, au.task) ||
        !String(f.at[kPipeline], f.has(kPipeline), "pipeline", true, au.pipeline) ||
        !KnownPipeline(au.pipeline) ||
        !String(f.at[kAuditor], f.has(kAuditor), "auditor", true, au.auditor) ||
        !Time(f.at[kAt], f.has(kAt), "at", true, au.at, &au.at_epoch_ms) ||
        !String(f.at[kFrame], f.has(kFrame), "frame", false, au.frame) ||
        !String(f.at[kBatch], f.has(kBatch), "batch", false, au.batch) ||
        !String(f.at[kVendor], f.has(kVendor), "vendor", false, au.vendor) ||
        !String(f.at[kAnnotator], f.has(kAnnotator), "annotator", false, au.annotator)) {
      return false;
    }
    std::string verdict;
    if (!String(f.at[kVerdict], true, "verdict", true, verdict)) return false;
    if (verdict != "pass" && verdict != "fail") {
      return Fail(fmt::format("field \"verdict\" must be \"pass\" or \"fail\" (got \"{}\")", verdict));
    }
    au.pass = verdict == "pass";
    au.objects_reviewed.reset();
    au.work_s.reset();
    if (f.has(kObjectsReviewed) &&
        !Count(f.at[kObjectsReviewed], "objects_reviewed", au.objects_reviewed)) {
      return false;
    }
    if (f.has(kWorkS) && !NonNegative(f.at[kWorkS], "work_s", au.work_s)) return false;
    if (!f.has(kErrors)) return Fail("missing required field \"errors\" (may be an empty array)");
    E errs = f.at[kErrors];
    if (Type(errs) != JsonType::kArray) {
      return Fail(fmt::format("field \"errors\" must be an array (got {})", TypeName(errs)));
    }
    au.errors.resize(Size(errs));
    size_t i = 0;
    for (E e : Items(errs)) {
      if (!ParseAuditError(e, i, au.errors[i])) return false;
      ++i;
    }
    return true;
  }

  // The fast path first: a line in the tape's subset that passes every rule is accepted as it is.
  // Anything else (outside the subset, or breaking a rule) is parsed and walked again on
  // simdjson's DOM, which accepts it or gives the reason; the walk is the same code, so a line
  // is accepted or refused the same way on both paths.
  bool ParseDocument(std::string_view line, size_t capacity, ParsedRecord& out) {
    where = Where::kRecord;
    const char* data = line.data();
    if (capacity < line.size() + simdjson::SIMDJSON_PADDING) {
      padded.assign(line.data(), line.size());
      padded.append(simdjson::SIMDJSON_PADDING, ' ');
      data = padded.data();
    }
    static_assert(JsonTape::kPadding <= simdjson::SIMDJSON_PADDING);
    hashed = false;
    if (fast_path && tape.Parse(std::string_view(data, line.size()), &out.content_hash)) {
      hashed = true;  // the tape hashed the line as it read it
      if (Walk(tape.root(), out)) return true;
    }
    where = Where::kRecord;
    Dom doc;
    auto code = parser.parse(data, line.size(), false).get(doc);
    if (code != simdjson::SUCCESS) {
      switch (code) {
        case simdjson::UTF8_ERROR: return Fail("invalid UTF-8: records must be UTF-8 text");
        case simdjson::DEPTH_ERROR: return Fail("JSON nested too deeply (more than 1024 levels)");
        case simdjson::NUMBER_ERROR: {
          std::string what = DescribeBadNumber(line);
          if (what.empty()) what = "a number is malformed or out of range (numbers must be finite)";
          return Fail(fmt::format("invalid JSON: {}", what));
        }
        case simdjson::EMPTY: return Fail("invalid JSON: the line holds only white space");
        case simdjson::CAPACITY: return Fail("line too long to parse");
        default: {
          std::string what = DescribeBadToken(line);
          if (what.empty()) what = simdjson::error_message(code);
          return Fail(fmt::format("invalid JSON: {}", what));
        }
      }
    }
    if (Type(doc) != JsonType::kObject) {
      return Fail(fmt::format("a record must be a JSON object (got {})", TypeName(doc)));
    }
    return Walk(doc, out);
  }

  // Checks the record `doc` (an object) against the rules and fills `out`.
  template <class E>
  bool Walk(E doc, ParsedRecord& out) {
    Slots<E, kRecordKeyCount> f;
    if (!Collect(doc, kRecordKeys, record_keys, f)) return false;
    const int kinds = f.has(kObjects) + f.has(kEvent) + f.has(kVerdict);
    if (kinds == 0) {
      return Fail("record has no discriminating key: labels need \"objects\", events \"event\", "
                  "audits \"verdict\"");
    }
    if (kinds > 1) {
      std::vector<std::string_view> keys;
      if (f.has(kObjects)) keys.push_back("\"objects\"");
      if (f.has(kEvent)) keys.push_back("\"event\"");
      if (f.has(kVerdict)) keys.push_back("\"verdict\"");
      return Fail(fmt::format("record has more than one discriminating key ({}): it must be "
                              "exactly one kind", fmt::join(keys, " and ")));
    }
    if (f.has(kObjects)) {
      out.kind = RecordKind::kLabels;
      return ParseLabels(f, out.labels);
    }
    ReleaseObjects(out.labels.objects);  // an event or audit: the objects go back to the pool
    if (f.has(kEvent)) {
      out.kind = RecordKind::kEvent;
      return ParseEvent(f, out.event);
    }
    out.kind = RecordKind::kAudit;
    return ParseAudit(f, out.audit);
  }
};

RecordParser::RecordParser(const ProgramConfig& config) : impl_(std::make_unique<Impl>(config)) {}
RecordParser::~RecordParser() = default;

void RecordParser::SetFastPath(bool on) { impl_->fast_path = on; }

Status RecordParser::Parse(std::string_view line, size_t capacity, ParsedRecord& out) {
  if (!impl_->ParseDocument(line, capacity, out)) return Status::BadInput(impl_->error);
  if (!impl_->hashed) out.content_hash = HashBytes(line);
  return Status::Ok();
}

uint64_t HashBytes(std::string_view bytes) { return LineHash(bytes).Finish(); }

}  // namespace gtops
