#include "interop/record_check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <span>

#include <fmt/format.h>

#include "core/time.h"
#include "io/record_parser.h"

namespace gtops::interop {

namespace {

// --- what a record's line would be, as JSON text ---------------------------------------------

// True when `s` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): what
// simdjson requires of a line.
bool ValidUtf8(std::string_view s) {
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
  bool Read(std::string_view text, std::vector<JNode>& nodes, std::string& compact) {
    p_ = text.data();
    end_ = p_ + text.size();
    nodes_ = &nodes;
    out_ = &compact;
    nodes.clear();
    compact.clear();
    return Value(0) && p_ == end_;
  }

 private:
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
        out_->push_back(*p_++);
        uint32_t count = 0;
        if (p_ != end_ && *p_ == close) {
          out_->push_back(*p_++);
        } else {
          while (true) {
            if (object) {
              if (p_ == end_ || *p_ != '"') return false;
              nodes_->emplace_back();
              if (!String(nodes_->size() - 1)) return false;
              if (p_ == end_ || *p_ != ':') return false;
              out_->push_back(*p_++);
            }
            if (!Value(depth + 1)) return false;
            ++count;
            if (p_ == end_) return false;
            if (*p_ == ',') {
              out_->push_back(*p_++);
              continue;
            }
            if (*p_ != close) return false;
            out_->push_back(*p_++);
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
    out_->append(w);
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
    out_->push_back('"');
    out_->append(s);
    out_->push_back('"');
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
    char buf[32];
    if (integer) {
      if (int_digits > 18) return false;
      int64_t v = 0;
      std::from_chars(start, p_, v);
      n.type = JType::kInt;
      n.d = static_cast<double>(v);
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      out_->append(buf, r.ptr);
      return true;
    }
    double v = 0;
    auto [q, ec] = std::from_chars(start, p_, v);
    if (ec != std::errc() || q != p_ || !std::isfinite(v)) return false;
    n.type = JType::kDouble;
    n.d = v;
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
    return true;
  }

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::vector<JNode>* nodes_ = nullptr;
  std::string* out_ = nullptr;
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

void PutU64(uint64_t v, std::string& s) {
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian on every supported target
  s.append(b, 8);
}
void PutDouble(double v, std::string& s) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  PutU64(u, s);
}
void PutString(std::string_view v, std::string& s) {
  PutU64(v.size(), s);
  s.append(v);
}

}  // namespace

uint64_t LabelsHash(const LabelRecord& r, std::string& s) {
  s.clear();
  s.append("gtops-labels-1");
  for (const std::string* f : {&r.pipeline, &r.batch, &r.task, &r.frame, &r.vendor, &r.annotator, &r.model,
                               &r.spec_version, &r.tool_version, &r.labeled_at, &r.sensor, &r.scene_json,
                               &r.ego_pose_json, &r.ignore_json, &r.tags_json}) {
    PutString(*f, s);
  }
  s.push_back(static_cast<char>(r.source));
  s.push_back(r.timestamp ? 1 : 0);
  if (r.timestamp) PutDouble(*r.timestamp, s);
  PutU64(r.objects.size(), s);
  for (const Object& o : r.objects) {
    PutString(o.id, s);
    PutString(o.track, s);
    PutString(o.cls, s);
    s.push_back(static_cast<char>(o.kind));
    switch (o.kind) {
      case GeometryKind::kBox2d:
        for (double v : {o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h}) PutDouble(v, s);
        break;
      case GeometryKind::kBox3d:
        for (double v : {o.box3d.x, o.box3d.y, o.box3d.z, o.box3d.l, o.box3d.w, o.box3d.h, o.box3d.yaw}) {
          PutDouble(v, s);
        }
        break;
      default: PutString(o.geometry_json, s); break;
    }
    PutString(o.attributes_json, s);
    s.push_back(o.score ? 1 : 0);
    if (o.score) PutDouble(*o.score, s);
    s.push_back(o.num_points ? 1 : 0);
    if (o.num_points) PutU64(static_cast<uint64_t>(*o.num_points), s);
  }
  return HashBytes(s);
}

struct RecordCheck::Impl {
  explicit Impl(const ProgramConfig& c) : config(c), parser(c) {}

  const ProgramConfig& config;
  RecordParser parser;
  ParsedRecord parsed;
  RawJson raw_json;
  std::string hash_scratch;
  std::vector<std::string_view> keys;

  // --- the direct route: what Prepare settles for the record ----------------------------------
  const PipelineSpec* pipe = nullptr;
  // Record-level raw fields: their compact form and (scene, tags) the ScalarMap verdict.
  std::vector<JNode> nodes;
  std::string scene_compact, ego_compact, ignore_compact, tags_compact;
  std::string scene_error, tags_error, ego_error;
  std::vector<JNode> ignore_nodes;
  // Per object: the compact attributes and their verdict ("" when they hold or are absent).
  struct Prepared {
    std::string attrs_compact;
    std::string attrs_error;
  };
  std::vector<Prepared> prepared;

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
      p.attrs_error.clear();
      if (!ReadField(o.attributes_json, nodes, p.attrs_compact)) return false;
      if (!nodes.empty()) p.attrs_error = ScalarMapError(nodes, "attributes", "attribute", keys);
    }
    return true;
  }

  // --- the rules, in ingest's order, for the record holding the objects `idx` ------------------
  std::string error;
  std::vector<std::string_view> ids;
  std::vector<uint32_t> id_table;
  std::vector<std::pair<uint64_t, size_t>> id_hashes;

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
    if (HasDuplicateId()) {
      return Fail(fmt::format("object \"{}\": duplicate object id (ids must be unique within a record)",
                              FirstDuplicateId()));
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
    const std::string_view expected = Name(pipe->geometry);
    if (!IsObjectGeometryKey(o.kind)) {
      return fail(fmt::format("missing geometry: pipeline \"{}\" needs \"{}\"", pipe->id, expected));
    }
    if (o.kind != pipe->geometry) {
      return fail(fmt::format("geometry \"{}\" does not match pipeline \"{}\", whose geometry is \"{}\"", Name(o.kind),
                              pipe->id, expected));
    }
    switch (o.kind) {
      case GeometryKind::kBox2d: {
        const Box2d b{ReadBack(o.box2d.x), ReadBack(o.box2d.y), ReadBack(o.box2d.w), ReadBack(o.box2d.h)};
        std::string e = Box2dError(b, "box2d");
        if (!e.empty()) return fail(e);
        break;
      }
      case GeometryKind::kBox3d: {
        const Box3d b{ReadBack(o.box3d.x), ReadBack(o.box3d.y), ReadBack(o.box3d.z), ReadBack(o.box3d.l),
                      ReadBack(o.box3d.w), ReadBack(o.box3d.h), ReadBack(o.box3d.yaw)};
        std::string e = Box3dError(b, "box3d");
        if (!e.empty()) return fail(e);
        break;
      }
      // Written as null (Prepare sent any other value to the parse route).
      case GeometryKind::kPolyline: return fail("polyline must be an array of points (got null)");
      case GeometryKind::kPolygon: return fail("polygon must be an array of points or of rings (got null)");
      case GeometryKind::kMask:
        return fail("mask must be an object {\"size\": [h, w], \"counts\": ...} (got null)");
      case GeometryKind::kTags: break;
    }
    if (!p.attrs_error.empty()) return fail(p.attrs_error);
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

  // The duplicate-id rule of ingest's parser, with the same choice of the id a message names: a copy
  // of io/record_parser.cc's HasDuplicateId / FirstDuplicateId, kept equal by record_check_test.cc.
  bool HasDuplicateId() {
    if (ids.size() < 2) return false;
    size_t size = 16;
    while (size < 2 * ids.size()) size *= 2;
    id_table.assign(size, 0);
    for (size_t x = 0; x < ids.size(); ++x) {
      size_t slot = HashBytes(ids[x]) & (size - 1);
      while (id_table[slot] != 0) {
        if (ids[id_table[slot] - 1] == ids[x]) return true;
        slot = (slot + 1) & (size - 1);
      }
      id_table[slot] = static_cast<uint32_t>(x + 1);
    }
    return false;
  }

  std::string_view FirstDuplicateId() {
    id_hashes.clear();
    for (size_t x = 0; x < ids.size(); ++x) id_hashes.emplace_back(HashBytes(ids[x]), x);
    std::sort(id_hashes.begin(), id_hashes.end());
    for (size_t x = 1; x < id_hashes.size(); ++x) {
      for (size_t y = x; y > 0 && id_hashes[y - 1].first == id_hashes[x].first; --y) {
        if (ids[id_hashes[y - 1].second] == ids[id_hashes[x].second]) return ids[id_hashes[x].second];
      }
    }
    return {};
  }

  // The values ingest stores for the accepted record: numbers read back, raw fields compact.
  void Normalise(LabelRecord& r, std::span<const uint32_t> idx) {
    if (r.timestamp) r.timestamp = ReadBack(*r.timestamp);
    r.scene_json = scene_compact;
    r.ego_pose_json = ego_compact;
    r.ignore_json = ignore_compact;
    r.tags_json = tags_compact;
    for (size_t i = 0; i < idx.size(); ++i) {
      Object& o = r.objects[i];  // objects already compacted to idx
      Prepared& p = prepared[idx[i]];
      if (o.attributes_json != p.attrs_compact) o.attributes_json.swap(p.attrs_compact);
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
    const std::string& where = i < rec.object_where.size() ? rec.object_where[i] : std::string();
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
  if (out.accepted) out.content_hash = LabelsHash(rec.labels, impl_->hash_scratch);
}

}  // namespace gtops::interop
