// The thin loader of root cause: the store's `outcomes` (latest vendor-against-gold evaluation of
// each pipeline) into one fact table per pipeline.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "rootcause/rootcause.h"

namespace gtops::rootcause {
namespace {

constexpr size_t kMaxValues = 1000;  // a dimension with more distinct values is not sliced by

enum Bit : int {
  kMissing, kExtra, kDuplicate, kWrongClass, kPosition, kSize, kHeading, kHeadingFlip, kGeometry,
  kAttribute, kTag, kIdSwitch, kFragmentation, kLocalisation, kTracking, kBits
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// The string values of a JSON object's scalar members (booleans as true/false, numbers as written),
// each key with `prefix` before it (the dimension's name: "scene.weather").
KeyValues ScalarMembers(const std::string& text, std::string_view prefix) {
  KeyValues out;
  if (text.empty()) return out;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out.emplace_back(std::string(prefix) + k, v.get<std::string>());
    } else if (v.is_boolean() || v.is_number()) {
      out.emplace_back(std::string(prefix) + k, v.dump());
    }
  }
  return out;
}

// Texts looked up by a view of them (no string built per lookup).
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Builds one pipeline's table row by row.
class TableBuilder {
 public:
  void Categorical(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    Column& c = Get(key, false);
    if (c.last_code == UINT32_MAX || value != c.last_value) {  // rows of one record share most values
      auto it = c.codes.find(value);
      if (it == c.codes.end()) {
        it = c.codes.emplace(std::string(value), static_cast<uint32_t>(c.values.size())).first;
        c.values.emplace_back(value);
      }
      c.last_value.assign(value);
      c.last_code = it->second;
    }
    // A column with more than kMaxValues values is left out of the table: its codes do not matter.
    c.cat.back() = static_cast<uint16_t>(std::min(c.last_code, static_cast<uint32_t>(kMaxValues)));
  }
  void Numeric(std::string_view key, std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return;
    Get(key, true).num.back() = *v;
  }
  void NextRow() {
    ++rows_;
    call_ = 0;
    for (Column& c : columns_) {
      if (c.numeric) {
        c.num.push_back(NAN);
      } else {
        c.cat.push_back(kAbsent);
      }
    }
  }
  FactTable Finish(std::vector<uint32_t> at_risk, std::vector<uint32_t> error, std::vector<float> weight,
                   std::vector<std::string> example) {
    FactTable t;
    for (Column& c : columns_) {
      Dimension d;
      d.key = c.key;
      d.numeric = c.numeric;
      std::vector<uint16_t> codes;
      if (c.numeric) {
        d.cuts = QuantileCuts(c.num);
        if (d.cuts.empty()) continue;
        codes.resize(rows_);
        for (size_t r = 0; r < rows_; ++r) codes[r] = BandOf(d.cuts, c.num[r]);
      } else {
        if (c.values.size() < 2 || c.values.size() > kMaxValues) continue;
        d.values = c.values;
        codes = std::move(c.cat);
      }
      t.dims.push_back(std::move(d));
      t.codes.push_back(std::move(codes));
    }
    t.at_risk = std::move(at_risk);
    t.error = std::move(error);
    t.weight = std::move(weight);
    t.example = std::move(example);
    return t;
  }

 private:
  struct Column {
    std::string key;
    bool numeric = false;
    std::vector<uint16_t> cat;  // codes, kAbsent for none
    std::vector<double> num;
    std::vector<std::string> values;
    std::unordered_map<std::string, uint32_t, TextHash, std::equal_to<>> codes;
    std::string last_value;  // the value last given, and its code (UINT32_MAX: none yet)
    uint32_t last_code = UINT32_MAX;
  };
  Column& Get(std::string_view key, bool numeric) {
    // Rows mostly name the same columns in the same order: the column of this call's position in
    // the last row that had it is tried first.
    if (call_ < slots_.size() && columns_[slots_[call_]].key == key) return columns_[slots_[call_++]];
    size_t index = columns_.size();
    if (auto it = index_.find(key); it != index_.end()) {
      index = it->second;
    } else {
      index_.emplace(std::string(key), index);
      Column c;
      c.key = std::string(key);
      c.numeric = numeric;
      if (numeric) {
        c.num.assign(rows_, NAN);
      } else {
        c.cat.assign(rows_, kAbsent);
      }
      columns_.push_back(std::move(c));
    }
    if (call_ < slots_.size()) {
      slots_[call_] = index;
    } else {
      slots_.push_back(index);
    }
    ++call_;
    return columns_[index];
  }
  std::vector<Column> columns_;
  std::vector<size_t> slots_;  // the columns of the last rows' calls of Get, by position in the row
  size_t call_ = 0;            // calls of Get in this row
  std::unordered_map<std::string, size_t, TextHash, std::equal_to<>> index_;  // by key
  size_t rows_ = 0;
};

// A query cell as text ("" for NULL) and as a number (nullopt for NULL or not a number).
const std::string& CellText(const std::vector<std::optional<std::string>>& cells, size_t i) {
  static const std::string kEmpty;
  return cells[i] ? *cells[i] : kEmpty;
}
std::optional<double> CellNumber(const std::vector<std::optional<std::string>>& cells, size_t i) {
  if (!cells[i]) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(cells[i]->c_str(), &end);
  return end != cells[i]->c_str() ? std::optional<double>(v) : std::nullopt;
}

constexpr uint32_t Bit(int b) { return uint32_t{1} << b; }

// An error set with its families: localisation and tracking.
uint32_t WithFamilies(uint32_t err) {
  if ((err & (Bit(kPosition) | Bit(kSize) | Bit(kHeading) | Bit(kHeadingFlip) | Bit(kGeometry))) != 0) {
    err |= Bit(kLocalisation);
  }
  if ((err & (Bit(kIdSwitch) | Bit(kFragmentation))) != 0) err |= Bit(kTracking);
  return err;
}

// The bit of an error type of the taxonomy that root cause searches; 0 for other types
// (spec_violation).
uint32_t ErrorBit(std::string_view type) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "missing", "extra", "duplicate", "wrong_class", "position", "size", "heading", "heading_flip", "geometry",
      "attribute", "tag", "id_switch", "fragmentation"};  // in Bit order
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == type) return WithFamilies(Bit(static_cast<int>(i)));
  }
  return 0;
}

// A labeled object is at risk of every object-level error; where no reference exists (audits,
// findings) it stands in for a reference object too, so that missing = missing errors / (objects +
// missing errors).
constexpr uint32_t kObjectRisk = Bit(kMissing) | Bit(kExtra) | Bit(kDuplicate) | Bit(kWrongClass) | Bit(kPosition) |
                                 Bit(kSize) | Bit(kHeading) | Bit(kHeadingFlip) | Bit(kGeometry) | Bit(kAttribute) |
                                 Bit(kLocalisation) | Bit(kIdSwitch) | Bit(kFragmentation) | Bit(kTracking);

// One pipeline's table under construction.
struct Pending {
  TableBuilder builder;
  std::vector<uint32_t> at_risk, error;
  std::vector<float> weight;
  std::vector<std::string> example;
};

// One table per pipeline, by name.
using PendingMap = std::map<std::string, Pending, std::less<>>;

std::vector<PipelineFacts> FinishAll(PendingMap& pending) {
  std::vector<PipelineFacts> out;
  for (auto& [name, p] : pending) {
    out.push_back(PipelineFacts{name, p.builder.Finish(std::move(p.at_risk), std::move(p.error), std::move(p.weight),
                                                       std::move(p.example))});
  }
  return out;
}

// Parsed JSON texts by their text, looked up by a view of it.
using TextCache = std::unordered_map<std::string, KeyValues, TextHash, std::equal_to<>>;

// A JSON text's scalar members (ScalarMembers) parsed once per distinct text; the last text's
// found without a lookup (the rows of one record share their scene and often their attributes).
class MembersCache {
 public:
  explicit MembersCache(std::string_view prefix) : prefix_(prefix) {}
  const KeyValues& Of(std::string_view text) {
    if (last_members_ != nullptr && text == last_) return *last_members_;
    auto it = parsed_.find(text);
    if (it == parsed_.end()) {
      const std::string key(text);
      it = parsed_.emplace(key, ScalarMembers(key, prefix_)).first;
    }
    last_.assign(text);
    last_members_ = &it->second;
    return it->second;
  }

 private:
  std::string prefix_;
  TextCache parsed_;
  std::string last_;
  const KeyValues* last_members_ = nullptr;
};

// The context every row has: who labeled it, in which batch, under which spec and tool, in which
// week (from labeled_at) and scene (`scene` JSON, parsed once per distinct text).
struct RowContext {
  std::string_view vendor, annotator, batch, spec_version, tool_version;
  std::optional<std::string_view> labeled_at;
  std::string_view scene;
};
std::optional<std::string_view> ViewOf(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}
// What AddContext parsed: each scene text's members, the week of the last labeled_at (the rows of
// one label set follow each other).
struct ContextCache {
  MembersCache scene{"scene."};
  std::optional<std::string> labeled_at;
  std::optional<std::string> week;
};
void AddContext(TableBuilder& b, const RowContext& c, ContextCache& cache) {
  b.Categorical("vendor", c.vendor);
  b.Categorical("annotator", c.annotator);
  b.Categorical("batch", c.batch);
  b.Categorical("spec_version", c.spec_version);
  b.Categorical("tool_version", c.tool_version);
  if (c.labeled_at) {
    if (cache.labeled_at != c.labeled_at) {
      cache.labeled_at = std::string(*c.labeled_at);
      cache.week.reset();
      if (auto ms = ParseRfc3339Ms(*cache.labeled_at)) cache.week = IsoWeek(*ms);
    }
    if (cache.week) b.Categorical("week", *cache.week);
  }
  for (const auto& [k, v] : cache.scene.Of(c.scene)) b.Categorical(k, v);
}

}  // namespace

const std::vector<TargetDef>& Targets() {
  static const std::vector<TargetDef> kTargets = {
      {"missing", false, "recall", {}},
      {"extra", false, "precision", {}},
      {"duplicate", false, "precision", {}},
      {"wrong_class", false, "class_accuracy", {}},
      {"position", false, "localization_accuracy", {}},
      {"size", false, "localization_accuracy", {}},
      {"heading", false, "localization_accuracy", {}},
      {"heading_flip", false, "localization_accuracy", {}},
      {"geometry", false, "geometry_accuracy", {}},
      {"attribute", false, "attribute_accuracy", {}},
      {"tag", false, "tag_accuracy", {}},
      {"id_switch", false, "id_switch_rate", {}},
      {"fragmentation", false, "", {}},
      {"localisation", true, "localization_accuracy", {"position", "size", "heading", "heading_flip", "geometry"}},
      {"tracking", true, "id_switch_rate", {"id_switch", "fragmentation"}},
  };
  return kTargets;
}

int TargetIndex(std::string_view name) {
  const auto& t = Targets();
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

uint32_t ErrorBits(std::span<const ErrorType> types) {
  uint32_t bits = 0;
  for (ErrorType t : types) bits |= ErrorBit(Name(t));
  return bits;
}

OutcomeFact FactOf(const OutcomeRow& row, std::string_view labeled_at) {
  OutcomeFact f;
  f.kind = row.kind;
  f.vendor = row.vendor, f.annotator = row.annotator, f.batch = row.batch, f.cls = row.cls;
  f.spec_version = row.spec_version, f.tool_version = row.tool_version, f.tag_name = row.tag_name;
  f.attributes = row.attributes_json, f.scene = row.scene_json;
  f.frame = row.frame;
  f.object = !row.reference_id.empty() ? row.reference_id : !row.label_id.empty() ? row.label_id : row.tag_name;
  if (!labeled_at.empty()) f.labeled_at = labeled_at;
  f.range_m = row.range_m;
  if (row.num_points) f.num_points = static_cast<double>(*row.num_points);
  f.safety_weight = row.safety_weight;
  f.attributes_compared = row.attributes_compared;
  f.errors = ErrorBits(row.errors);
  return f;
}

// One table per pipeline, in the order the rows came; the caches are shared by the pipelines.
struct FactsBuilder::Impl {
  PendingMap pending;
  ContextCache context_cache;
  MembersCache attributes{"attr."};
  Pending* last = nullptr;  // the last row's pipeline's (rows of one pipeline mostly follow each other)
  std::string last_name;
};

FactsBuilder::FactsBuilder() : impl_(std::make_unique<Impl>()) {}
FactsBuilder::~FactsBuilder() = default;
FactsBuilder::FactsBuilder(FactsBuilder&&) noexcept = default;
FactsBuilder& FactsBuilder::operator=(FactsBuilder&&) noexcept = default;

void FactsBuilder::Add(std::string_view pipeline, const OutcomeFact& row) {
  const auto bit = Bit;
  uint32_t risk = 0;
  if (row.kind == "paired") {
    risk = bit(kMissing) | bit(kExtra) | bit(kDuplicate) | bit(kWrongClass) | bit(kPosition) | bit(kSize) |
           bit(kHeading) | bit(kHeadingFlip) | bit(kGeometry) | bit(kLocalisation) | bit(kIdSwitch) |
           bit(kFragmentation) | bit(kTracking);
    if (row.attributes_compared > 0) risk |= bit(kAttribute);
  } else if (row.kind == "missing") {
    risk = bit(kMissing) | bit(kFragmentation) | bit(kTracking);
  } else if (row.kind == "extra" || row.kind == "duplicate") {
    risk = bit(kExtra) | bit(kDuplicate);
  } else if (row.kind == "tag") {
    risk = bit(kTag);
  }
  if (risk == 0) return;
  const uint32_t err = WithFamilies(row.errors) & risk;
  Impl& m = *impl_;
  if (m.last == nullptr || pipeline != m.last_name) {
    m.last_name = std::string(pipeline);
    m.last = &m.pending[m.last_name];
  }
  Pending& p = *m.last;
  TableBuilder& builder = p.builder;
  builder.NextRow();
  AddContext(builder, RowContext{row.vendor, row.annotator, row.batch, row.spec_version, row.tool_version,
                                 row.labeled_at, row.scene},
             m.context_cache);
  builder.Categorical("class", row.cls);
  builder.Categorical("tag", row.tag_name);
  for (const auto& [k, v] : m.attributes.Of(row.attributes)) builder.Categorical(k, v);
  builder.Numeric("range_m", row.range_m);
  builder.Numeric("num_points", row.num_points);
  p.at_risk.push_back(risk);
  p.error.push_back(err);
  p.weight.push_back(static_cast<float>(row.safety_weight.value_or(1.0)));
  // Only errors are examples.
  p.example.push_back(err != 0 ? fmt::format("{}/{}", row.frame, row.object) : std::string());
}

std::vector<PipelineFacts> FactsBuilder::Finish() {
  impl_->last = nullptr;
  PendingMap pending;
  for (auto& [name, p] : impl_->pending) pending.emplace(name, std::move(p));
  impl_->pending.clear();
  return FinishAll(pending);
}

Result<std::vector<PipelineFacts>> LoadFacts(Store& store, const std::string& pipeline) {
  static_assert(kBits <= kMaxTargets);
  FactsBuilder builder;
  // Streamed: memory holds one row of text at a time. Empty texts are stored as NULL: the row's
  // object is the first of its reference id, label id and tag name that is not empty.
  const std::string sql = fmt::format(
      "SELECT o.pipeline, o.kind, coalesce(o.vendor, ''), coalesce(o.annotator, ''), coalesce(o.batch, ''), "
      "coalesce(o.class, ''), coalesce(o.spec_version, ''), coalesce(o.tool_version, ''), "
      "coalesce(o.tag_name, ''), o.range_m, o.num_points, o.safety_weight, o.missing, o.extra, o.duplicate, "
      "o.wrong_class, o.position, o.size, o.heading, o.heading_flip, o.geometry, o.attribute, o.tag, o.id_switch, "
      "o.fragmentation, o.attributes_compared, coalesce(o.attributes, ''), coalesce(o.scene, ''), o.frame, "
      "coalesce(o.reference_id, o.label_id, o.tag_name, ''), l.labeled_at "
      "FROM outcomes o JOIN evaluation_runs e USING (evaluation_id) "
      "LEFT JOIN label_sets l ON l.pipeline = o.pipeline AND l.frame = o.frame AND l.source = o.source "
      "AND l.producer = o.producer "
      "WHERE e.source = 'vendor' AND e.against = 'gold' AND e.batch = '' AND o.kind <> 'ignored'{} "
      "ORDER BY o.rowid",
      pipeline.empty() ? "" : " AND o.pipeline = " + SqlQuote(pipeline));
  const Status read = store.ForEachRow(sql, [&](const QueryRow& row) -> Status {
    OutcomeFact f;
    f.kind = row.Text(1);
    f.vendor = row.Text(2);
    f.annotator = row.Text(3);
    f.batch = row.Text(4);
    f.cls = row.Text(5);
    f.spec_version = row.Text(6);
    f.tool_version = row.Text(7);
    f.tag_name = row.Text(8);
    f.range_m = row.Number(9);
    f.num_points = row.Number(10);
    f.safety_weight = row.Number(11);
    // The flag columns of the error types, in Bit order from kMissing.
    constexpr std::pair<int, int> kFlags[] = {{12, kMissing},  {13, kExtra},     {14, kDuplicate}, {15, kWrongClass},
                                              {16, kPosition}, {17, kSize},      {18, kHeading},   {19, kHeadingFlip},
                                              {20, kGeometry}, {21, kAttribute}, {22, kTag},       {23, kIdSwitch},
                                              {24, kFragmentation}};
    for (const auto& [col, b] : kFlags) {
      if (row.Int(col) != 0) f.errors |= Bit(b);
    }
    f.attributes_compared = static_cast<int64_t>(row.Number(25).value_or(0));
    f.attributes = row.Text(26);
    f.scene = row.Text(27);
    f.frame = row.Text(28);
    f.object = row.Text(29);
    if (!row.Null(30)) f.labeled_at = row.Text(30);
    builder.Add(row.Text(0), f);
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return builder.Finish();
}

Result<std::vector<PipelineFacts>> LoadAuditFacts(Store& store, const std::string& pipeline) {
  const auto bit = Bit;
  // The latest audit of each audited (task, frame) only: a re-audit after rework supersedes.
  const std::string latest =
      "NOT EXISTS (SELECT 1 FROM audits b WHERE b.task = a.task AND b.frame = a.frame AND b.at_ms > a.at_ms)";
  const std::string only = pipeline.empty() ? "" : " AND a.pipeline = " + SqlQuote(pipeline);

  // Each audit's errors: by reviewed object, and the missing ones (no object) by class.
  struct AuditErrors {
    std::unordered_map<std::string, uint32_t> by_object;
    std::unordered_map<std::string, std::string> true_class;  // the class an error says the object is
    std::vector<std::pair<uint32_t, std::string>> unlabeled;  // (bits, class) of each missing object
  };
  std::unordered_map<int64_t, AuditErrors> errors;
  auto eq = store.QueryReadOnly(
      "SELECT e.audit_id, e.type, coalesce(e.object_id, ''), coalesce(e.class, '') FROM audit_errors e "
      "JOIN audits a USING (audit_id) WHERE " + latest + only);
  if (!eq.ok()) return eq.status();
  for (const auto& cells : eq->rows) {
    if (!cells[0] || !cells[1]) continue;
    const uint32_t err = ErrorBit(*cells[1]);
    if (err == 0) continue;
    AuditErrors& a = errors[std::stoll(*cells[0])];
    if (err == bit(kMissing)) {
      a.unlabeled.emplace_back(err, cells[3] ? *cells[3] : std::string());
    } else if (cells[2] && !cells[2]->empty()) {
      a.by_object[*cells[2]] |= err;
      if (err == bit(kWrongClass) && cells[3] && !cells[3]->empty()) a.true_class[*cells[2]] = *cells[3];
    }
  }

  PendingMap pending;
  ContextCache context_cache;
  MembersCache attr_cache{"attr."};
  const uint32_t object_risk = kObjectRisk;
  // The context of one row: the audited label set's and the audit's.
  auto context = [&](Pending& p, const std::vector<std::optional<std::string>>& cells) {
    auto text = [&](size_t i) -> const std::string& { return CellText(cells, i); };
    p.builder.NextRow();
    AddContext(p.builder, RowContext{text(5), text(6), text(7), text(8), text(9), ViewOf(cells[10]), text(11)},
               context_cache);
    p.builder.Categorical("auditor", text(3));
  };
  int64_t last_audit = -1;
  auto flush_missing = [&](int64_t audit_id, Pending& p, const std::vector<std::optional<std::string>>& cells) {
    auto it = errors.find(audit_id);
    if (it == errors.end()) return;
    for (const auto& [err, cls] : it->second.unlabeled) {
      context(p, cells);
      p.builder.Categorical("class", cls);
      p.at_risk.push_back(bit(kMissing));
      p.error.push_back(err);
      p.weight.push_back(1.0f);
      p.example.push_back(fmt::format("{}/missing {}", cells[12] ? *cells[12] : std::string(), cls));
    }
  };
  // Stream the reviewed objects: every vendor object of each audited frame (the whole task when
  // the audit names no frame) drawn by the audited annotator.
  auto q = store.QueryReadOnly(
      "SELECT a.audit_id, a.pipeline, a.task, a.auditor, l.label_set_id, coalesce(l.vendor, a.vendor, ''), "
      "coalesce(l.annotator, a.annotator, ''), coalesce(l.batch, a.batch, ''), coalesce(l.spec_version, ''), "
      "coalesce(l.tool_version, ''), l.labeled_at, coalesce(l.scene, ''), l.frame, o.object_id, o.class, o.range_m, "
      "o.num_points, coalesce(o.attributes, '') "
      "FROM audits a JOIN label_sets l ON l.pipeline = a.pipeline AND l.task = a.task AND l.source = 'vendor' "
      "AND (a.frame = '' OR l.frame = a.frame) AND (coalesce(a.annotator, '') = '' OR l.annotator = a.annotator) "
      "LEFT JOIN objects o ON o.object_key >= l.label_set_id * " + std::to_string(kMaxObjectsPerRecord) +
      " AND o.object_key < (l.label_set_id + 1) * " + std::to_string(kMaxObjectsPerRecord) +
      " WHERE " + latest + only + " ORDER BY a.audit_id, l.label_set_id, o.object_key");
  if (!q.ok()) return q.status();
  for (const auto& cells : q->rows) {
    auto text = [&](size_t i) -> const std::string& { return CellText(cells, i); };
    auto number = [&](size_t i) { return CellNumber(cells, i); };
    Pending& p = pending[text(1)];
    const int64_t audit_id = std::stoll(text(0));
    if (audit_id != last_audit) flush_missing(audit_id, p, cells);  // once per audit
    last_audit = audit_id;
    if (!cells[13]) continue;  // an audited frame without objects
    uint32_t err = 0;
    const std::string* cls = &text(14);  // as labeled, or as the auditor says it is (like gold's class)
    if (auto e = errors.find(audit_id); e != errors.end()) {
      if (auto o = e->second.by_object.find(*cells[13]); o != e->second.by_object.end()) err = o->second;
      if (auto c = e->second.true_class.find(*cells[13]); c != e->second.true_class.end()) cls = &c->second;
    }
    context(p, cells);
    p.builder.Categorical("class", *cls);
    for (const auto& [k, v] : attr_cache.Of(text(17))) p.builder.Categorical(k, v);
    p.builder.Numeric("range_m", number(15));
    p.builder.Numeric("num_points", number(16));
    p.at_risk.push_back(object_risk);
    p.error.push_back(err & object_risk);
    p.weight.push_back(1.0f);
    p.example.push_back(err != 0 ? text(12) + "/" + *cells[13] : std::string());
  }
  return FinishAll(pending);
}

Result<std::vector<PipelineFacts>> LoadFindingFacts(Store& store, const std::string& pipeline,
                                                    double min_probability) {
  // The findings taken as errors, by (frame, producer, object id); suspected missing objects
  // (no object id) by (frame, producer) with their class.
  std::unordered_map<std::string, uint32_t> by_object;
  std::unordered_map<std::string, std::vector<std::pair<uint32_t, std::string>>> unlabeled;
  auto key = [](const std::string& frame, const std::string& producer, const std::string& object) {
    std::string k = frame;
    k += '\x1f';
    k += producer;
    k += '\x1f';
    k += object;
    return k;
  };
  auto runs = store.QueryReadOnly("SELECT pipeline FROM check_runs" +
                                  (pipeline.empty() ? std::string() : " WHERE pipeline = " + SqlQuote(pipeline)) +
                                  " ORDER BY pipeline");
  if (!runs.ok()) return runs.status();
  std::vector<std::string> checked;  // the pipelines with a check run
  for (const auto& cells : runs->rows) {
    if (cells[0]) checked.push_back(*cells[0]);
  }
  auto take = [&](const FindingRow& f) {
    if (f.source != "vendor" || f.probability < min_probability) return Status::Ok();
    const uint32_t err = ErrorBit(Name(f.type));
    if (err == 0) return Status::Ok();
    if (f.object_id.empty()) {
      if (err == Bit(kMissing)) unlabeled[key(f.frame, f.producer, "")].emplace_back(err, f.cls);
    } else {
      by_object[key(f.frame, f.producer, f.object_id)] |= err;
    }
    return Status::Ok();
  };
  for (const std::string& name : checked) GTOPS_RETURN_IF_ERROR(store.ForEachFinding(name, take));

  PendingMap pending;
  ContextCache context_cache;
  MembersCache attr_cache{"attr."};
  // Every vendor object of the checked pipelines, label set by label set.
  // Pages of label sets (by id, a range scan of the rowid), each with its objects (a key range).
  constexpr int kPage = 5000;
  for (const std::string& name : checked) {
    int64_t last = -1;
    for (;;) {
      auto q = store.QueryReadOnly(fmt::format(
          "SELECT l.label_set_id, l.frame, l.producer, coalesce(l.vendor, ''), coalesce(l.annotator, ''), "
          "coalesce(l.batch, ''), coalesce(l.spec_version, ''), coalesce(l.tool_version, ''), l.labeled_at, "
          "coalesce(l.scene, ''), o.object_id, o.class, o.range_m, o.num_points, coalesce(o.attributes, '') "
          "FROM (SELECT * FROM label_sets WHERE pipeline = {1} AND source = 'vendor' AND label_set_id > {2} "
          "ORDER BY label_set_id LIMIT {3}) l LEFT JOIN objects o ON o.object_key >= l.label_set_id * {0} "
          "AND o.object_key < (l.label_set_id + 1) * {0} ORDER BY l.label_set_id, o.object_key",
          kMaxObjectsPerRecord, SqlQuote(name), last, kPage));
      if (!q.ok()) return q.status();
      Pending& p = pending[name];
      int64_t sets = 0;
      for (const auto& cells : q->rows) {
        auto text = [&](size_t i) -> const std::string& { return CellText(cells, i); };
        auto number = [&](size_t i) { return CellNumber(cells, i); };
        const RowContext context{text(3), text(4), text(5), text(6), text(7), ViewOf(cells[8]), text(9)};
        if (const int64_t id = std::stoll(text(0)); id != last) {  // a new label set: its missing objects
          last = id;
          ++sets;
          if (auto u = unlabeled.find(key(text(1), text(2), "")); u != unlabeled.end()) {
            for (const auto& [err, cls] : u->second) {
              p.builder.NextRow();
              AddContext(p.builder, context, context_cache);
              p.builder.Categorical("class", cls);
              p.at_risk.push_back(Bit(kMissing));
              p.error.push_back(err);
              p.weight.push_back(1.0f);
              p.example.push_back(fmt::format("{}/missing {}", text(1), cls));
            }
          }
        }
        if (!cells[10]) continue;  // a label set without objects
        uint32_t err = 0;
        if (auto e = by_object.find(key(text(1), text(2), *cells[10])); e != by_object.end()) err = e->second;
        p.builder.NextRow();
        AddContext(p.builder, context, context_cache);
        p.builder.Categorical("class", text(11));
        for (const auto& [k, v] : attr_cache.Of(text(14))) p.builder.Categorical(k, v);
        p.builder.Numeric("range_m", number(12));
        p.builder.Numeric("num_points", number(13));
        p.at_risk.push_back(kObjectRisk);
        p.error.push_back(err & kObjectRisk);
        p.weight.push_back(1.0f);
        p.example.push_back(err != 0 ? text(1) + "/" + *cells[10] : std::string());
      }
      if (sets < kPage) break;
    }
  }
  return FinishAll(pending);
}

}  // namespace gtops::rootcause
