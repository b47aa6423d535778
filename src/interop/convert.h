// Shared pieces of the format converters (docs/formats.md): what an importer is told (pipeline,
// source, producer), what a converter produces (label records in the gtops model, with where each
// object came from, and the items it could not map), the mapping of foreign category names onto
// the pipeline's classes, small rigid-transform maths, and the interchange-format writer that lets
// the importer validate converted records with ingest's own parser.
//
// Converters are kernels: text or values in, gtops values out; no I/O, no global state.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "core/status.h"

namespace gtops::interop {

// What `gtops import` was told about the records it writes.
struct ImportOptions {
  std::string pipeline;
  Source source = Source::kVendor;
  std::string vendor, annotator, batch;
  std::string model;  // source model: the producer; default the input file's stem
  std::string task;   // overrides the task id a converter derives (FORMAT.md: `<format>:<seq>`)
  // Foreign category name -> pipeline class, tried before matching by name.
  std::map<std::string, std::string> class_map;
  double fps = 10;  // frame rate for formats whose frames have no clock (KITTI: 10 Hz; CVAT video)
};

// One converted record with the position in the source of the record and of each object.
struct ConvertedRecord {
  LabelRecord labels;
  int64_t position = 0;                 // 1-based line (text, XML) or element index (JSON)
  std::vector<int64_t> object_positions;  // parallel to labels.objects
  std::vector<std::string> object_where;  // parallel: "annotations[17]" etc. ("" for text lines)
  // Elements of one JSON array (COCO): object_where stays empty and the place of object i is
  // `<where_list>[<object_positions[i] - 1>]`, made only when a message needs it.
  bool where_from_position = false;
  std::string where_list;
  // The place of object i in messages ("" when none).
  std::string ObjectWhere(size_t i) const;
};

// Something the converter could not map: quarantined with its position, as ingest does.
struct ConvertIssue {
  int64_t position = 0;
  std::string reason;  // starts with the JSON path or element name when the position is not a line
  std::string raw;     // the source text of the item (or a compact rendering of it)
};

struct ConvertOutput {
  std::vector<ConvertedRecord> records;
  std::vector<ConvertIssue> issues;
  // Items deliberately not imported, by reason ("polygon: pipeline geometry is box2d",
  // "DontCare: ignore regions are for gold records"): reported, never silent.
  std::map<std::string, int64_t> skipped;
  int64_t ignore_regions = 0;  // regions written as `ignore` (KITTI DontCare, COCO crowds)
  void Skip(const std::string& why, int64_t n = 1) { skipped[why] += n; }
};

// Maps foreign category names onto a pipeline's classes: the explicit map first, then the exact
// name, then the name compared case-insensitively with '_', '-', '.' and ' ' ignored ("Car" ->
// "car", "traffic_light" -> "traffic light"). A pipeline without classes takes names as written.
class ClassMapper {
 public:
  ClassMapper(const PipelineSpec& pipe, const std::map<std::string, std::string>& explicit_map);
  // The class, or nullopt when the name maps to no class of the pipeline.
  std::optional<std::string> Map(std::string_view foreign) const;

 private:
  static std::string Key(std::string_view s);
  const PipelineSpec& pipe_;
  const std::map<std::string, std::string>& explicit_map_;
  std::map<std::string, std::string, std::less<>> by_key_;
};

// Everything a converter needs besides its input text.
struct ConvertContext {
  const PipelineSpec& pipe;
  const ImportOptions& options;
  ClassMapper classes;
  std::string stem;  // the input file's stem (default model, task ids)
  // Foreign names already mapped (the same few names repeat on every line).
  mutable std::map<std::string, std::optional<std::string>, std::less<>> class_cache;
  // The last few names looked up, in front of class_cache (they point into it: map nodes stay).
  struct RecentClass {
    std::string_view name;
    const std::optional<std::string>* cls = nullptr;
  };
  mutable std::array<RecentClass, 4> recent_classes{};
  mutable size_t recent_next = 0;
  ConvertContext(const PipelineSpec& p, const ImportOptions& o, std::string file_stem)
      : pipe(p), options(o), classes(p, o.class_map), stem(std::move(file_stem)) {}

  // A record with the pipeline, source and producer fields filled in.
  LabelRecord NewRecord(std::string task, std::string frame) const;
  // The object's class checked against the pipeline; nullopt (and an issue) when unmapped.
  std::optional<std::string> MapClass(std::string_view foreign, int64_t position,
                                      std::string_view where, std::string_view raw,
                                      ConvertOutput& out) const;
  // The same, with the raw text of the item made by `raw()` only when the class is unmapped (the
  // common case, a mapped class, then costs one cache lookup). The reference stays valid as long
  // as the context.
  template <typename RawFn>
  const std::optional<std::string>& MapClassLazy(std::string_view foreign, int64_t position,
                                                 std::string_view where, RawFn&& raw,
                                                 ConvertOutput& out) const {
    const std::optional<std::string>* found = nullptr;
    for (const RecentClass& rc : recent_classes) {
      if (rc.cls != nullptr && rc.name == foreign) {
        found = rc.cls;
        break;
      }
    }
    if (found == nullptr) {
      found = &CachedClass(foreign);
      recent_classes[recent_next++ % recent_classes.size()] = RecentClass{FindCachedName(foreign), found};
    }
    const std::optional<std::string>& cls = *found;
    if (!cls) ReportUnmapped(foreign, position, where, raw(), out);
    return cls;
  }
  // True when the class takes any attribute (no spec lists its attributes): AttributesJson then
  // drops nothing.
  bool TakesAnyAttribute(std::string_view cls) const {
    const ClassSpec* spec = pipe.FindClass(cls);
    return spec == nullptr || spec->attributes.empty();
  }
  // Drops attributes a class spec does not allow (each one reported as an issue, the object kept).
  // `attrs` are (name, JSON value) pairs; returns the attributes JSON object ("" for none).
  std::string AttributesJson(const std::string& cls,
                             const std::vector<std::pair<std::string, std::string>>& attrs,
                             int64_t position, std::string_view where, ConvertOutput& out) const;
  std::string AttributesJson(const std::string& cls,
                             std::initializer_list<std::pair<std::string_view, std::string_view>> attrs,
                             int64_t position, std::string_view where, ConvertOutput& out) const;

 private:
  const std::optional<std::string>& CachedClass(std::string_view foreign) const;
  // The key of class_cache equal to `foreign` (present: CachedClass put it there).
  std::string_view FindCachedName(std::string_view foreign) const { return class_cache.find(foreign)->first; }
  void ReportUnmapped(std::string_view foreign, int64_t position, std::string_view where,
                      std::string_view raw, ConvertOutput& out) const;
};

// --- JSON text helpers -------------------------------------------------------------------------

// A double as the shortest text that reads back to the same value ("1.5", "-0.25", "3").
void AppendNumber(double v, std::string& out);
void AppendInt(int64_t v, std::string& out);
std::string NumberText(double v);
// A JSON string literal, escaped (io's AppendJsonString).
std::string Quoted(std::string_view s);

// One label record as one line of the interchange format (FORMAT.md), without the newline.
std::string LabelsToJson(const LabelRecord& r);

// --- numbers in text ----------------------------------------------------------------------------

// True when std::from_chars (chars_format::general) reads the whole of `s` without error, with
// `v` the very double it gives. Plain decimals of at most 19 significant digits whose digits fit
// in 53 bits and with at most 22 decimals (nearly every coordinate in label files) take an exact
// fast path: the digits as an integer divided by a power of ten, both exact doubles, so the one
// IEEE division rounds correctly like from_chars; everything else goes to from_chars itself.
bool ParseDouble(std::string_view s, double& v);

// Appends the run of ASCII digits at `p` to m (m = m * 10^k + the k digits); returns its end.
// Eight bytes at a time while eight can be read (SWAR: the digits of a word found and converted
// with three multiplications); m may overflow when the run is longer than 19 digits.
inline const char* ReadDigits(const char* p, const char* end, uint64_t& m) {
  static constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const uint64_t t = w - 0x3030303030303030;
    // The high bit of a byte is set when it is no digit (exact up to the first such byte).
    const uint64_t not_digit = (t | (w + 0x4646464646464646)) & 0x8080808080808080;
    const int k = not_digit == 0 ? 8 : std::countr_zero(not_digit) / 8;
    if (k == 0) return p;
    uint64_t x = t << (8 * (8 - k));  // the k digits, behind leading zeros
    x = ((x & 0x0F0F0F0F0F0F0F0F) * 2561) >> 8;
    x = ((x & 0x00FF00FF00FF00FF) * 6553601) >> 16;
    x = ((x & 0x0000FFFF0000FFFF) * 42949672960001) >> 32;
    m = m * kPow10Int[k] + x;
    p += k;
    if (k < 8) return p;
  }
  while (p != end && static_cast<unsigned>(*p - '0') < 10) m = m * 10 + static_cast<unsigned>(*p++ - '0');
  return p;
}

// The fast path of ParseDouble on its own: reads [-]digits[.digits] from `p` and returns where
// the digits end, with `v` the exact double of the text read; nullptr (v untouched) when the text
// is not such a decimal or has too many digits. The caller checks what follows: the value is
// ParseDouble's only when the number ends there.
inline const char* ReadPlainDecimal(const char* p, const char* end, double& v) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool neg = p != end && *p == '-';
  if (neg) ++p;
  uint64_t m = 0;
  const char* const int_start = p;
  p = ReadDigits(p, end, m);
  const auto int_digits = p - int_start;
  if (int_digits == 0) return nullptr;
  decltype(p - p) frac_digits = 0;
  if (p != end && *p == '.') {
    const char* const frac_start = ++p;
    p = ReadDigits(p, end, m);
    frac_digits = p - frac_start;
    if (frac_digits == 0) return nullptr;
  }
  // At most 19 digits: m did not overflow; m <= 2^53: an exact double; 10^frac_digits exact too.
  if (int_digits + frac_digits > 19 || m > (uint64_t{1} << 53)) return nullptr;
  double d = static_cast<double>(m);
  if (frac_digits > 0) d /= kPow10[frac_digits];
  v = neg ? -d : d;
  return p;
}

// --- rigid transforms --------------------------------------------------------------------------

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<std::array<double, 3>, 3>;

// A 3D affine transform y = R x + t (R need not be orthonormal: KITTI calibrations are not).
struct Transform {
  Mat3 r{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  Vec3 t{0, 0, 0};
  Vec3 Apply(const Vec3& x) const;
  Vec3 Rotate(const Vec3& x) const;  // R x
  Transform Inverse() const;         // general 3x3 inverse
  Transform Then(const Transform& next) const;  // next ∘ this
};

Mat3 Multiply(const Mat3& a, const Mat3& b);
// Rotation matrix of the unit quaternion (w, x, y, z) (normalised first).
Mat3 QuaternionToMatrix(double w, double x, double y, double z);
// (w, x, y, z) of a rotation matrix (Shepperd's method).
std::array<double, 4> MatrixToQuaternion(const Mat3& m);
// R = Rz(rz) Ry(ry) Rx(rx): roll rx, pitch ry, yaw rz applied in ZYX order (OpenLABEL 9-value cuboid).
Mat3 EulerZyxToMatrix(double rx, double ry, double rz);

// A cuboid with orientation `r` (columns: the object's axes in the target frame) and extents
// (sx, sy, sz) along those axes as a gtops box3d: the object axis closest to vertical gives h; of
// the other two, the first (x before y before z) gives l and the heading (yaw = its direction
// projected on the x-y plane), the second w.
Box3d CuboidToBox3d(const Vec3& centre, const Mat3& r, const Vec3& size);

double WrapAngle(double a);  // into (-pi, pi]

}  // namespace gtops::interop
