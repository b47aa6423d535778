#include "interop/record_check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <span>
#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"
#include "io/duplicate_ids.h"
#include "io/line_hash.h"
#include "io/record_parser.h"

namespace gtops::interop {

namespace {

// --- what a record's line would be, as JSON text ---------------------------------------------

// True when `s` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what
// simdjson requires of a line.
bool ValidUtf8Slow(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while (p != end) {
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int k = 2; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

// ASCII (the usual case) decided inline, 8 bytes at a time; anything else by ValidUtf8Slow.
inline bool ValidUtf8(std::string_view s) {
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    high |= w;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ULL) == 0 || ValidUtf8Slow(s);
}

// A typed number of the record (box values, timestamp, score) is written by AppendNumber and read
// back to the same double (-0 becomes 0) when it is finite and below 1e18 in magnitude: larger
// whole numbers are written as integers of 19 digits or more, which ingest reads differently.
bool PlainNumber(double v) { return std::isfinite(v) && std::fabs(v) < 1e18; }

double ReadBack(double v) { return v == 0 ? 0.0 : v; }

// One value of a raw JSON field (attributes, scene, tags, ego_pose, ignore), as ingest's parser
// types it.
enum class JType : uint8_t { kArray, kObject, kInt, kDouble, kString, kBool, kNull };

struct JNode {
  JType type = JType::kNull;
  uint32_t span = 1;   // nodes of the value and everything inside it
  uint32_t count = 0;  // containers: items or fields
  std::string_view text;  // strings (no escapes: the raw bytes)
  double d = 0;           // numbers, as a double
};

const char* TypeName(JType t) {
  switch (t) {
    case JType::kArray: return "array";
    case JType::kObject: return "object";
    case JType::kInt:
    case JType::kDouble: return "number";
    case JType::kString: return "string";
    case JType::kBool: return "boolean";
    case JType::kNull: return "null";
  }
  return "value";
}

// Reads the raw JSON text of a field into nodes (an object's as key, value, key, value ...) and
// writes the compact form ingest's parser stores for it (numbers in their shortest round-trip
// form, as std::to_chars writes them). Only a plain subset is read: no white space, strings without
// escapes or control characters and valid UTF-8, integers of at most 18 digits, finite numbers,
// nesting at most 64 deep. False for anything else, valid JSON or not: the record then goes the
// write-then-parse route, which settles it.
class RawJson {
 public:
  // `compact` is left empty when the text is compact already (the common case: nothing written).
  bool Read(std::string_view text, std::vector<JNode>& nodes, std::string& compact) {
    compact.clear();
    if (!Pass(text, nodes, nullptr)) return false;
    if (changed_) Pass(text, nodes, &compact);
    return true;
  }

 private:
  bool Pass(std::string_view text, std::vector<JNode>& nodes, std::string* out) {
    p_ = text.data();
    end_ = p_ + text.size();
    nodes_ = &nodes;
    out_ = out;
    changed_ = false;
    nodes.clear();
    return Value(0) && p_ == end_;
  }

  void Put(char c) {
    if (out_ != nullptr) out_->push_back(c);
  }
  void Put(std::string_view s) {
    if (out_ != nullptr) out_->append(s);
  }

  bool Value(int depth) {
    if (p_ == end_ || depth > 64) return false;
    const size_t at = nodes_->size();
    nodes_->emplace_back();
    switch (*p_) {
      case '{':
      case '[': {
        const bool object = *p_ == '{';
        const char close = object ? '}' : ']';
        (*nodes_)[at].type = object ? JType::kObject : JType::kArray;
        Put(*p_++);
        uint32_t count = 0;
        if (p_ != end_ && *p_ == close) {
          Put(*p_++);
        } else {
          while (true) {
            if (object) {
              if (p_ == end_ || *p_ != '"') return false;
              nodes_->emplace_back();
              if (!String(nodes_->size() - 1)) return false;
              if (p_ == end_ || *p_ != ':') return false;
              Put(*p_++);
            }
            if (!Value(depth + 1)) return false;
            ++count;
            if (p_ == end_) return false;
            if (*p_ == ',') {
              Put(*p_++);
              continue;
            }
            if (*p_ != close) return false;
            Put(*p_++);
            break;
          }
        }
        (*nodes_)[at].count = count;
        (*nodes_)[at].span = static_cast<uint32_t>(nodes_->size() - at);
        return true;
      }
      case '"': return String(at);
      case 't': return Word("true", at, JType::kBool);
      case 'f': return Word("false", at, JType::kBool);
      case 'n': return Word("null", at, JType::kNull);
      default: return Number(at);
    }
  }

  bool Word(std::string_view w, size_t at, JType type) {
    if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
    (*nodes_)[at].type = type;
    Put(w);
    p_ += w.size();
    return true;
  }

  bool String(size_t at) {
    const char* const start = ++p_;
    while (p_ != end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    const std::string_view s(start, static_cast<size_t>(p_ - start));
    ++p_;
    if (!ValidUtf8(s)) return false;
    (*nodes_)[at].type = JType::kString;
    (*nodes_)[at].text = s;
    Put('"');
    Put(s);
    Put('"');
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number(size_t at) {
    const char* const start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    auto digits = [&] {
      const char* s = p_;
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
      return p_ - s;
    };
    const char* const int_start = p_;
    const auto int_digits = digits();
    if (int_digits == 0 || (int_digits > 1 && *int_start == '0')) return false;
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (digits() == 0) return false;
      integer = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (digits() == 0) return false;
      integer = false;
    }
    JNode& n = (*nodes_)[at];
    const std::string_view text(start, static_cast<size_t>(p_ - start));
    char buf[32];
    if (integer) {
      if (int_digits > 18) return false;
      uint64_t m = 0;
      ReadDigits(int_start, p_, m);
      const auto v = static_cast<int64_t>(m);
      n.type = JType::kInt;
      n.d = static_cast<double>(start == int_start ? v : -v);
      if (text == "-0") {
        changed_ = true;
        Put('0');
      } else {
        Put(text);  // an integer in range is written as it reads
      }
      return true;
    }
    n.type = JType::kDouble;
    if (CanonicalDecimal(text) && ReadPlainDecimal(start, p_, n.d) == p_) {
      Put(text);
      return true;
    }
    double v = 0;
    auto [q, ec] = std::from_chars(start, p_, v);
    if (ec != std::errc() || q != p_ || !std::isfinite(v)) return false;
    n.d = v;
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    changed_ = true;
    Put(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    return true;
  }

  // True when the decimal `text` (-?digits.digits, JSON grammar) is exactly what std::to_chars
  // writes for the double it reads as: at most 15 significant digits (DBL_DIG: no shorter text
  // reads as the same double, so these digits are the shortest), no trailing zero after the point,
  // and the fixed form not longer than the exponent form (to_chars takes the shorter, fixed on a
  // tie): below 1, at most 2 zeros after the point before the first significant digit (3 when
  // there are two or more significant digits).
  static bool CanonicalDecimal(std::string_view text) {
    size_t i = text[0] == '-' ? 1 : 0;
    const size_t dot = text.find('.');
    if (dot == std::string_view::npos || text.back() == '0') return false;
    for (size_t k = dot + 1; k < text.size(); ++k) {
      if (text[k] < '0' || text[k] > '9') return false;  // an exponent
    }
    size_t significant = 0;
    if (text[i] == '0') {  // below 1: 0.000ddd
      size_t zeros = 0;
      for (size_t k = dot + 1; k < text.size() && text[k] == '0'; ++k) ++zeros;
      significant = text.size() - dot - 1 - zeros;
      if (zeros > (significant > 1 ? 3u : 2u)) return false;
    } else {
      significant = text.size() - i - 1;
    }
    return significant <= 15;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::vector<JNode>* nodes_ = nullptr;
  std::string* out_ = nullptr;  // null: check only
  bool changed_ = false;         // the compact form differs from the text
};

std::string Num(double v) { return fmt::format("{}", v); }

// The duplicate-key rule of ingest's parser for a map's keys (io/record_parser.cc NoDuplicateKey):
// the key a message names is the first duplicate in sorted order.
std::optional<std::string_view> DuplicateKey(std::vector<std::string_view>& keys) {
  if (keys.size() < 2) return std::nullopt;
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup == keys.end()) return std::nullopt;
  return *dup;
}

// ingest's ScalarMap rule on a read raw field: "" when it holds, else the message.
std::string ScalarMapError(const std::vector<JNode>& nodes, std::string_view field, std::string_view noun,
                           std::vector<std::string_view>& keys) {
  const JNode& root = nodes[0];
  if (root.type != JType::kObject) {
    return fmt::format("field \"{}\" must be an object (got {})", field, TypeName(root.type));
  }
  keys.clear();
  for (size_t k = 1; k < nodes.size();) {
    const JNode& value = nodes[k + 1];
    if (value.type == JType::kArray || value.type == JType::kObject || value.type == JType::kNull) {
      return fmt::format("{} \"{}\" must be a string, number or boolean (got {})", noun, nodes[k].text,
                         TypeName(value.type));
    }
    keys.push_back(nodes[k].text);
    k += 1 + value.span;
  }
  if (auto dup = DuplicateKey(keys)) return fmt::format("{}: duplicate key \"{}\"", field, *dup);
  return {};
}

// ingest's Numbers rule (an array of exactly n finite numbers) on the node at `at`.
std::string NumbersError(const std::vector<JNode>& nodes, size_t at, std::string_view what, size_t n, double* out) {
  const JNode& e = nodes[at];
  if (e.type != JType::kArray) {
    return fmt::format("{} must be an array of {} numbers (got {})", what, n, TypeName(e.type));
  }
  size_t i = 0;
  for (size_t k = at + 1; k < at + e.span && i < n; k += nodes[k].span, ++i) {
    if (nodes[k].type != JType::kInt && nodes[k].type != JType::kDouble) {
      return fmt::format("{} value {} must be a number (got {})", what, i + 1, TypeName(nodes[k].type));
    }
    out[i] = nodes[k].d;
  }
  if (e.count != n) return fmt::format("{} must have {} numbers (got {})", what, n, e.count);
  return {};
}

std::string Box2dError(const Box2d& b, std::string_view what) {
  if (!(b.w > 0)) return fmt::format("{} width must be > 0 (got {})", what, Num(b.w));
  if (!(b.h > 0)) return fmt::format("{} height must be > 0 (got {})", what, Num(b.h));
  return {};
}

std::string Box3dError(const Box3d& b, std::string_view what) {
  if (!(b.l > 0)) return fmt::format("{} length must be > 0 (got {})", what, Num(b.l));
  if (!(b.w > 0)) return fmt::format("{} width must be > 0 (got {})", what, Num(b.w));
  if (!(b.h > 0)) return fmt::format("{} height must be > 0 (got {})", what, Num(b.h));
  return {};
}

// Whether LabelsToJson writes the geometry under a key ingest's parser takes for a geometry.
bool IsObjectGeometryKey(GeometryKind g) { return g != GeometryKind::kTags; }

// The content hash's mixing: 8-byte words folded in as HashBytes does (FNV-1a style multiply and
// shift), then HashBytes' final avalanche. Strings go in with their length, numbers as their
// IEEE-754 bits.
class Hasher {
 public:
  void Word(uint64_t w) {
    h_ = (h_ ^ w) * 0x100000001b3ULL;
    h_ ^= h_ >> 29;
  }
  void Double(double v) {
    uint64_t u;
    std::memcpy(&u, &v, 8);
    Word(u);
  }
  void String(std::string_view s) {
    Word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);  // little-endian on every supported target
      Word(w);
    }
    if (i < s.size()) {
      uint64_t w = 0;
      for (size_t k = i; k < s.size(); ++k) w |= uint64_t{static_cast<unsigned char>(s[k])} << (8 * (k - i));
      Word(w);
    }
  }
  uint64_t Finish() const { return LineHash::Avalanche(h_); }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL ^ 0x67746f70732d6c31ULL;  // "gtops-l1": the definition's version
};

}  // namespace

uint64_t LabelsHash(const LabelRecord& r) {
  Hasher h;
  for (const std::string* f : {&r.pipeline, &r.batch, &r.task, &r.frame, &r.vendor, &r.annotator, &r.model,
                               &r.spec_version, &r.tool_version, &r.labeled_at, &r.sensor, &r.scene_json,
                               &r.ego_pose_json, &r.ignore_json, &r.tags_json}) {
    h.String(*f);
  }
  h.Word(static_cast<uint64_t>(r.source) | (r.timestamp ? 16 : 0));
  if (r.timestamp) h.Double(*r.timestamp);
  h.Word(r.objects.size());
  for (const Object& o : r.objects) {
    h.String(o.id);
    h.String(o.track);
    h.String(o.cls);
    h.Word(static_cast<uint64_t>(o.kind) | (o.score ? 16 : 0) | (o.num_points ? 32 : 0));
    switch (o.kind) {
      case GeometryKind::kBox2d:
        for (double v : {o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h}) h.Double(v);
        break;
      case GeometryKind::kBox3d:
        for (double v : {o.box3d.x, o.box3d.y, o.box3d.z, o.box3d.l, o.box3d.w, o.box3d.h, o.box3d.yaw}) h.Double(v);
        break;
      default: h.String(o.geometry_json); break;
    }
    h.String(o.attributes_json);
    if (o.score) h.Double(*o.score);
    if (o.num_points) h.Word(static_cast<uint64_t>(*o.num_points));
  }
  return h.Finish();
}

struct RecordCheck::Impl {
  explicit Impl(const ProgramConfig& c) : config(c), parser(c) {}

  const ProgramConfig& config;
  RecordParser parser;
  ParsedRecord parsed;
  RawJson raw_json;
  std::vector<std::string_view> keys;

  // --- the direct route: what Prepare settles for the record ----------------------------------
  const PipelineSpec* pipe = nullptr;
  // Record-level raw fields: their compact form when it differs from the text ("" when not), and
  // the verdicts of their rules.
  std::vector<JNode> nodes;
  std::string scene_compact, ego_compact, ignore_compact, tags_compact;
  std::string scene_error, tags_error, ego_error;
  std::vector<JNode> ignore_nodes;
  // Per object: the compact attributes when they differ from the text, and their verdict ("" when
  // they hold or are absent).
  struct AttrsRead;
  struct Prepared {
    const AttrsRead* attrs = nullptr;  // null: no attributes
  };
  std::vector<Prepared> prepared;

  // Attribute objects repeat from object to object (a few keys, a few values): what reading one
  // gave is kept by its text. Bounded: cleared, between records, once it holds kMaxMemo texts (the
  // entries a record's objects point to stay put while it is checked).
  struct AttrsRead {
    bool plain = false;  // in the plain subset (else: the parse route)
    std::string compact, error;
  };
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return HashBytes(s); }
  };
  std::unordered_map<std::string, AttrsRead, TextHash, std::equal_to<>> attrs_memo;
  static constexpr size_t kMaxMemo = 4096;

  const AttrsRead& ReadAttributes(const std::string& text) {
    auto it = attrs_memo.find(std::string_view(text));
    if (it != attrs_memo.end()) return it->second;
    AttrsRead a;
    a.plain = raw_json.Read(text, nodes, a.compact);
    if (a.plain) a.error = ScalarMapError(nodes, "attributes", "attribute", keys);
    return attrs_memo.emplace(text, std::move(a)).first->second;
  }

  // Reads every string and number of the record as its line would hold them: true when all are in
  // the plain subset the direct rules handle (see RawJson), false to take the write-then-parse
  // route.
  bool ReadField(const std::string& raw, std::vector<JNode>& into, std::string& compact) {
    compact.clear();
    into.clear();
    if (raw.empty()) return true;
    return raw_json.Read(raw, into, compact);
  }

  bool Prepare(const LabelRecord& r) {
    for (const std::string* f : {&r.pipeline, &r.batch, &r.task, &r.frame, &r.vendor, &r.annotator, &r.model,
                                 &r.spec_version, &r.tool_version, &r.labeled_at, &r.sensor}) {
      if (!ValidUtf8(*f)) return false;
    }
    if (r.timestamp && !PlainNumber(*r.timestamp)) return false;
    if (attrs_memo.size() >= kMaxMemo) attrs_memo.clear();
    pipe = config.FindPipeline(r.pipeline);
    scene_error.clear();
    tags_error.clear();
    ego_error.clear();
    if (!ReadField(r.scene_json, nodes, scene_compact)) return false;
    if (!nodes.empty()) scene_error = ScalarMapError(nodes, "scene", "scene", keys);
    if (!ReadField(r.tags_json, nodes, tags_compact)) return false;
    if (!nodes.empty()) tags_error = ScalarMapError(nodes, "tags", "tags", keys);
    if (!ReadField(r.ego_pose_json, nodes, ego_compact)) return false;
    if (!nodes.empty()) {
      const size_t n = nodes[0].type == JType::kArray ? nodes[0].count : 0;
      double v[7];
      if (n != 4 && n != 7) {
        ego_error = "field \"ego_pose\" must be [x, y, z, yaw] or [x, y, z, qw, qx, qy, qz]";
      } else {
        ego_error = NumbersError(nodes, 0, "ego_pose", n, v);
      }
    }
    if (!ReadField(r.ignore_json, ignore_nodes, ignore_compact)) return false;
    // Ignore regions of polygon pipelines are rings (simple-ring rule): left to the parse route.
    if (!ignore_nodes.empty() && pipe != nullptr && pipe->geometry != GeometryKind::kBox2d &&
        pipe->geometry != GeometryKind::kBox3d) {
      return false;
    }
    prepared.resize(r.objects.size());
    for (size_t i = 0; i < r.objects.size(); ++i) {
      const Object& o = r.objects[i];
      if (!ValidUtf8(o.id) || !ValidUtf8(o.track) || !ValidUtf8(o.cls)) return false;
      switch (o.kind) {
        case GeometryKind::kBox2d:
          for (double v : {o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h}) {
            if (!PlainNumber(v)) return false;
          }
          break;
        case GeometryKind::kBox3d:
          for (double v : {o.box3d.x, o.box3d.y, o.box3d.z, o.box3d.l, o.box3d.w, o.box3d.h, o.box3d.yaw}) {
            if (!PlainNumber(v)) return false;
          }
          break;
        default:
          // Polylines, polygons and masks (point, ring and RLE rules) go the parse route.
          if (!o.geometry_json.empty()) return false;
          break;
      }
      if (o.score && !PlainNumber(*o.score)) return false;
      Prepared& p = prepared[i];
      p.attrs = nullptr;
      if (!o.attributes_json.empty()) {
        p.attrs = &ReadAttributes(o.attributes_json);
        if (!p.attrs->plain) return false;
      }
    }
    return true;
  }

  // --- the rules, in ingest's order, for the record holding the objects `idx` ------------------
  std::string error;
  std::vector<std::string_view> ids;
  DuplicateIds duplicates;  // ingest's own duplicate-id rule (io/duplicate_ids.h)

  bool Fail(std::string what) {
    error = std::move(what);
    return false;
  }

  bool Rules(const LabelRecord& r, std::span<const uint32_t> idx) {
    if (r.pipeline.empty()) return Fail("field \"pipeline\" must not be empty");
    if (pipe == nullptr) return Fail(fmt::format("unknown pipeline \"{}\" (not in gtops.toml)", r.pipeline));
    if (r.source == Source::kConsensus) {
      return Fail(fmt::format("field \"source\" must be \"vendor\", \"gold\" or \"model\" (got \"{}\")",
                              Name(r.source)));
    }
    const bool vendor = r.source == Source::kVendor;
    if (r.task.empty()) return Fail("missing required field \"task\"");
    if (r.frame.empty()) return Fail("missing required field \"frame\"");
    if (vendor && r.batch.empty()) return Fail("missing required field \"batch\"");
    if (vendor && r.vendor.empty()) return Fail("missing required field \"vendor\"");
    if (vendor && r.annotator.empty()) return Fail("missing required field \"annotator\"");
    if (r.source == Source::kModel && r.model.empty()) return Fail("missing required field \"model\"");
    if (!r.timestamp && pipe->tracking) {
      return Fail(fmt::format("missing required field \"timestamp\" (pipeline \"{}\" is tracking)", pipe->id));
    }
    if (!r.labeled_at.empty() && !ParseRfc3339Ms(r.labeled_at)) {
      return Fail(fmt::format("field \"labeled_at\" must be an RFC 3339 date-time such as "
                              "2026-11-01T10:22:31Z (got \"{}\")", r.labeled_at));
    }
    if (!scene_error.empty()) return Fail(scene_error);
    if (!ego_error.empty()) return Fail(ego_error);
    if (!r.ignore_json.empty()) {
      if (r.source != Source::kGold) {
        return Fail(fmt::format("field \"ignore\" is only for gold records (source is \"{}\")", Name(r.source)));
      }
      if (!IgnoreRules()) return false;
    }
    if (pipe->geometry == GeometryKind::kTags) {
      if (r.tags_json.empty()) {
        return Fail(fmt::format("missing required field \"tags\" (pipeline \"{}\" has geometry \"tags\")", pipe->id));
      }
      if (!tags_error.empty()) return Fail(tags_error);
    } else if (!r.tags_json.empty()) {
      return Fail(fmt::format("field \"tags\" is only for pipelines with geometry \"tags\" (\"{}\" has \"{}\")",
                              pipe->id, Name(pipe->geometry)));
    }
    if (static_cast<int64_t>(idx.size()) > kMaxObjectsPerRecord) {
      return Fail(fmt::format("too many objects ({}): a record holds at most {}", idx.size(), kMaxObjectsPerRecord));
    }
    ids.clear();
    for (size_t i = 0; i < idx.size(); ++i) {
      if (!ObjectRules(r.objects[idx[i]], prepared[idx[i]], i, r.source)) return false;
    }
    if (duplicates.Any(ids)) {
      return Fail(fmt::format("object \"{}\": duplicate object id (ids must be unique within a record)",
                              duplicates.First(ids)));
    }
    return true;
  }

  bool IgnoreRules() {
    const JNode& root = ignore_nodes[0];
    if (root.type != JType::kArray) {
      return Fail(fmt::format("field \"ignore\" must be an array of regions (got {})", TypeName(root.type)));
    }
    size_t i = 0;
    for (size_t k = 1; k < ignore_nodes.size(); k += ignore_nodes[k].span) {
      ++i;
      const std::string what = fmt::format("ignore region {}", i);
      double v[7];
      if (pipe->geometry == GeometryKind::kBox2d) {
        std::string e = NumbersError(ignore_nodes, k, what, 4, v);
        if (e.empty()) e = Box2dError(Box2d{v[0], v[1], v[2], v[3]}, what);
        if (!e.empty()) return Fail(std::move(e));
      } else {
        std::string e = NumbersError(ignore_nodes, k, what, 7, v);
        if (e.empty()) e = Box3dError(Box3d{v[0], v[1], v[2], v[3], v[4], v[5], v[6]}, what);
        if (!e.empty()) return Fail(std::move(e));
      }
    }
    return true;
  }

  bool ObjectRules(const Object& o, const Prepared& p, size_t index, Source source) {
    if (o.id.empty()) return Fail(fmt::format("objects[{}]: field \"id\" must not be empty", index));
    ids.push_back(o.id);
    auto fail = [&](std::string_view what) { return Fail(fmt::format("object \"{}\": {}", o.id, what)); };
    if (o.cls.empty()) return fail("field \"class\" must not be empty");
    if (o.track.empty() && pipe->tracking && source != Source::kModel) return fail("missing required field \"track\"");
    if (pipe->geometry == GeometryKind::kTags) {
      return fail(fmt::format("pipeline \"{}\" has geometry \"tags\": its objects must be empty", pipe->id));
    }
    if (!IsObjectGeometryKey(o.kind)) {
      return fail(fmt::format("missing geometry: pipeline \"{}\" needs \"{}\"", pipe->id, Name(pipe->geometry)));
    }
    if (o.kind != pipe->geometry) {
      return fail(fmt::format("geometry \"{}\" does not match pipeline \"{}\", whose geometry is \"{}\"", Name(o.kind),
                              pipe->id, Name(pipe->geometry)));
    }
    switch (o.kind) {
      case GeometryKind::kBox2d:
        if (!(o.box2d.w > 0 && o.box2d.h > 0)) {  // sizes as read back (-0 is 0: not > 0 either)
          return fail(Box2dError(Box2d{0, 0, ReadBack(o.box2d.w), ReadBack(o.box2d.h)}, "box2d"));
        }
        break;
      case GeometryKind::kBox3d:
        if (!(o.box3d.l > 0 && o.box3d.w > 0 && o.box3d.h > 0)) {
          return fail(Box3dError(Box3d{0, 0, 0, ReadBack(o.box3d.l), ReadBack(o.box3d.w), ReadBack(o.box3d.h), 0},
                                 "box3d"));
        }
        break;
      // Written as null (Prepare sent any other value to the parse route).
      case GeometryKind::kPolyline: return fail("polyline must be an array of points (got null)");
      case GeometryKind::kPolygon: return fail("polygon must be an array of points or of rings (got null)");
      case GeometryKind::kMask:
        return fail("mask must be an object {\"size\": [h, w], \"counts\": ...} (got null)");
      case GeometryKind::kTags: break;
    }
    if (p.attrs != nullptr && !p.attrs->error.empty()) return fail(p.attrs->error);
    if (source == Source::kModel) {
      if (!o.score) return fail("missing required field \"score\" (model records)");
      const double s = ReadBack(*o.score);
      if (s < 0 || s > 1) return fail(fmt::format("score must be in [0, 1] (got {})", Num(s)));
    } else if (o.score) {
      return fail(fmt::format("\"score\" is only for model records (source is \"{}\")", Name(source)));
    }
    if (o.num_points) {
      const double v = static_cast<double>(*o.num_points);
      if (v >= 9.2e18) return fail(fmt::format("field \"num_points\" is too large (got {})", Num(v)));
      if (v < 0) return fail(fmt::format("field \"num_points\" must be >= 0 (got {})", Num(v)));
    }
    return true;
  }

  // The values ingest stores for the accepted record: numbers read back, raw fields compact.
  void Normalise(LabelRecord& r, std::span<const uint32_t> idx) {
    if (r.timestamp) r.timestamp = ReadBack(*r.timestamp);
    // A compact form is written only when it differs from the text.
    if (!scene_compact.empty()) r.scene_json = scene_compact;
    if (!ego_compact.empty()) r.ego_pose_json = ego_compact;
    if (!ignore_compact.empty()) r.ignore_json = ignore_compact;
    if (!tags_compact.empty()) r.tags_json = tags_compact;
    for (size_t i = 0; i < idx.size(); ++i) {
      Object& o = r.objects[i];  // objects already compacted to idx
      const Prepared& p = prepared[idx[i]];
      if (p.attrs != nullptr && !p.attrs->compact.empty()) o.attributes_json = p.attrs->compact;
      switch (o.kind) {
        case GeometryKind::kBox2d:
          for (double* v : {&o.box2d.x, &o.box2d.y, &o.box2d.w, &o.box2d.h}) *v = ReadBack(*v);
          o.geometry_json.clear();
          break;
        case GeometryKind::kBox3d:
          for (double* v : {&o.box3d.x, &o.box3d.y, &o.box3d.z, &o.box3d.l, &o.box3d.w, &o.box3d.h, &o.box3d.yaw}) {
            *v = ReadBack(*v);
          }
          o.geometry_json.clear();
          break;
        default: break;
      }
      if (o.score) o.score = ReadBack(*o.score);
    }
  }

  // --- the importer's per-object fallback, over either route ----------------------------------
  std::vector<uint32_t> all, kept, one;

  static std::string Reason(const ConvertedRecord& rec, size_t i, const std::string& message) {
    const std::string where = rec.ObjectWhere(i);
    return where.empty() ? message : fmt::format("{}: {}", where, message);
  }
  static int64_t Position(const ConvertedRecord& rec, size_t i) {
    return i < rec.object_positions.size() ? rec.object_positions[i] : rec.position;
  }
  static std::string OneObjectLine(const LabelRecord& r, size_t i) {
    LabelRecord one = r;
    one.objects.assign(1, r.objects[i]);
    return LabelsToJson(one);
  }

  void Direct(ConvertedRecord& rec, CheckOutcome& out) {
    LabelRecord& r = rec.labels;
    const size_t n = r.objects.size();
    all.resize(n);
    for (size_t i = 0; i < n; ++i) all[i] = static_cast<uint32_t>(i);
    std::span<const uint32_t> idx = all;
    bool ok = Rules(r, idx);
    std::string record_error = ok ? std::string() : error;
    if (!ok && n > 0) {
      kept.clear();
      one.resize(1);
      for (size_t i = 0; i < n; ++i) {
        one[0] = static_cast<uint32_t>(i);
        if (Rules(r, one)) {
          kept.push_back(static_cast<uint32_t>(i));
          continue;
        }
        out.quarantined.push_back({Position(rec, i), Reason(rec, i, error), OneObjectLine(r, i)});
      }
      if (kept.size() < n) {
        idx = kept;
        ok = Rules(r, idx);
        if (!ok) record_error = error;
        std::vector<Object> objects;
        objects.reserve(kept.size());
        for (uint32_t i : kept) objects.push_back(std::move(r.objects[i]));
        r.objects = std::move(objects);
      }
    }
    if (!ok) {
      out.quarantined.push_back({rec.position, std::move(record_error), LabelsToJson(r)});
      return;
    }
    Normalise(r, idx);
    out.accepted = true;
  }

  // The reference: each record written as a line and parsed by ingest's parser.
  Status ParseLine(const LabelRecord& r, std::string& line) {
    line = LabelsToJson(r);
    return parser.Parse(line, line.size(), parsed);
  }

  void Parse(ConvertedRecord& rec, CheckOutcome& out) {
    out.parsed = true;
    std::string line;
    Status ps = ParseLine(rec.labels, line);
    if (!ps.ok() && !rec.labels.objects.empty()) {
      LabelRecord one_record = rec.labels;
      std::vector<Object> kept_objects;
      for (size_t i = 0; i < rec.labels.objects.size(); ++i) {
        one_record.objects.assign(1, rec.labels.objects[i]);
        std::string single;
        Status os = ParseLine(one_record, single);
        if (os.ok()) {
          kept_objects.push_back(std::move(rec.labels.objects[i]));
          continue;
        }
        out.quarantined.push_back({Position(rec, i), Reason(rec, i, os.message()), std::move(single)});
      }
      if (kept_objects.size() < rec.labels.objects.size()) {
        rec.labels.objects = std::move(kept_objects);
        ps = ParseLine(rec.labels, line);
      }
    }
    if (!ps.ok()) {
      out.quarantined.push_back({rec.position, ps.message(), std::move(line)});
      return;
    }
    rec.labels = parsed.labels;
    out.accepted = true;
  }
};

RecordCheck::RecordCheck(const ProgramConfig& config, Route route)
    : impl_(std::make_unique<Impl>(config)), route_(route) {}
RecordCheck::~RecordCheck() = default;

void RecordCheck::Check(ConvertedRecord& rec, CheckOutcome& out) {
  out.Clear();
  if (route_ == Route::kDirect && impl_->Prepare(rec.labels)) {
    impl_->Direct(rec, out);
  } else {
    ++parsed_records_;
    impl_->Parse(rec, out);
  }
  if (out.accepted) out.content_hash = LabelsHash(rec.labels);
}

}  // namespace gtops::interop
