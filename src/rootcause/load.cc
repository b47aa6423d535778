// The thin loader of root cause: the store's `outcomes` (latest vendor-against-gold evaluation of
// each pipeline) into one fact table per pipeline.
#include <algorithm>
#include <cmath>
#include <map>
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

// The string values of a JSON object's scalar members (booleans as true/false, numbers as written).
KeyValues ScalarMembers(const std::string& text) {
  KeyValues out;
  if (text.empty()) return out;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out.emplace_back(k, v.get<std::string>());
    } else if (v.is_boolean() || v.is_number()) {
      out.emplace_back(k, v.dump());
    }
  }
  return out;
}

// Builds one pipeline's table row by row.
class TableBuilder {
 public:
  void Categorical(const std::string& key, const std::string& value) {
    if (value.empty()) return;
    Column& c = Get(key, false);
    auto [it, fresh] = c.codes.try_emplace(value, static_cast<uint32_t>(c.values.size()));
    if (fresh) c.values.push_back(value);
    c.cat.back() = it->second;
  }
  void Numeric(const std::string& key, std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return;
    Get(key, true).num.back() = *v;
  }
  void NextRow() {
    ++rows_;
    for (Column& c : columns_) {
      if (c.numeric) {
        c.num.push_back(NAN);
      } else {
        c.cat.push_back(UINT32_MAX);
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
      std::vector<uint16_t> codes(rows_, kAbsent);
      if (c.numeric) {
        d.cuts = QuantileCuts(c.num);
        if (d.cuts.empty()) continue;
        for (size_t r = 0; r < rows_; ++r) codes[r] = BandOf(d.cuts, c.num[r]);
      } else {
        if (c.values.size() < 2 || c.values.size() > kMaxValues) continue;
        d.values = c.values;
        for (size_t r = 0; r < rows_; ++r) codes[r] = c.cat[r] == UINT32_MAX ? kAbsent : static_cast<uint16_t>(c.cat[r]);
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
    std::vector<uint32_t> cat;
    std::vector<double> num;
    std::vector<std::string> values;
    std::unordered_map<std::string, uint32_t> codes;
  };
  Column& Get(const std::string& key, bool numeric) {
    auto it = index_.find(key);
    if (it != index_.end()) return columns_[it->second];
    index_.emplace(key, columns_.size());
    Column c;
    c.key = key;
    c.numeric = numeric;
    if (numeric) {
      c.num.assign(rows_, NAN);
    } else {
      c.cat.assign(rows_, UINT32_MAX);
    }
    columns_.push_back(std::move(c));
    return columns_.back();
  }
  std::vector<Column> columns_;
  std::map<std::string, size_t> index_;
  size_t rows_ = 0;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
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

Result<std::vector<PipelineFacts>> LoadFacts(Store& store, const std::string& pipeline) {
  static_assert(kBits <= kMaxTargets);
  // One pipeline's table under construction.
  struct Pending {
    TableBuilder builder;
    std::vector<uint32_t> at_risk, error;
    std::vector<float> weight;
    std::vector<std::string> example;
  };
  std::map<std::string, Pending> pending;
  std::unordered_map<std::string, KeyValues> scene_cache, attr_cache;
  // Read in pages of rowids so that memory holds one page of text at a time.
  constexpr int kPage = 50000;
  int64_t last = 0;
  for (;;) {
    const std::string sql = fmt::format(
        "SELECT o.pipeline, o.kind, coalesce(o.vendor, ''), coalesce(o.annotator, ''), coalesce(o.batch, ''), "
        "coalesce(o.class, ''), coalesce(o.spec_version, ''), coalesce(o.tool_version, ''), "
        "coalesce(o.tag_name, ''), o.range_m, o.num_points, o.safety_weight, o.missing, o.extra, o.duplicate, "
        "o.wrong_class, o.position, o.size, o.heading, o.heading_flip, o.geometry, o.attribute, o.tag, o.id_switch, "
        "o.fragmentation, o.attributes_compared, coalesce(o.attributes, ''), coalesce(o.scene, ''), o.frame, "
        "coalesce(o.reference_id, o.label_id, o.tag_name, ''), l.labeled_at, o.rowid "
        "FROM outcomes o JOIN evaluation_runs e USING (evaluation_id) "
        "LEFT JOIN label_sets l ON l.pipeline = o.pipeline AND l.frame = o.frame AND l.source = o.source "
        "AND l.producer = o.producer "
        "WHERE e.source = 'vendor' AND e.against = 'gold' AND e.batch = '' AND o.kind <> 'ignored' AND o.rowid > {}{} "
        "ORDER BY o.rowid LIMIT {}",
        last, pipeline.empty() ? "" : " AND o.pipeline = " + Quote(pipeline), kPage);
    auto q = store.QueryReadOnly(sql);
    if (!q.ok()) return q.status();
    for (const auto& cells : q->rows) {
      auto text = [&](size_t i) -> const std::string& {
        static const std::string kEmpty;
        return cells[i] ? *cells[i] : kEmpty;
      };
      auto number = [&](size_t i) -> std::optional<double> {
        if (!cells[i]) return std::nullopt;
        char* end = nullptr;
        const double v = std::strtod(cells[i]->c_str(), &end);
        return end != cells[i]->c_str() ? std::optional<double>(v) : std::nullopt;
      };
      auto flag = [&](size_t i) { return number(i).value_or(0) != 0; };
      last = static_cast<int64_t>(number(31).value_or(0));
      const std::string& kind = text(1);
      uint32_t risk = 0;
      const auto bit = [](int b) { return uint32_t{1} << b; };
      if (kind == "paired") {
        risk = bit(kMissing) | bit(kExtra) | bit(kDuplicate) | bit(kWrongClass) | bit(kPosition) | bit(kSize) |
               bit(kHeading) | bit(kHeadingFlip) | bit(kGeometry) | bit(kLocalisation) | bit(kIdSwitch) |
               bit(kFragmentation) | bit(kTracking);
        if (number(25).value_or(0) > 0) risk |= bit(kAttribute);
      } else if (kind == "missing") {
        risk = bit(kMissing) | bit(kFragmentation) | bit(kTracking);
      } else if (kind == "extra" || kind == "duplicate") {
        risk = bit(kExtra) | bit(kDuplicate);
      } else if (kind == "tag") {
        risk = bit(kTag);
      }
      if (risk == 0) continue;
      uint32_t err = 0;
      const std::pair<size_t, int> flags[] = {{12, kMissing},  {13, kExtra},       {14, kDuplicate}, {15, kWrongClass},
                                              {16, kPosition}, {17, kSize},        {18, kHeading},   {19, kHeadingFlip},
                                              {20, kGeometry}, {21, kAttribute},   {22, kTag},       {23, kIdSwitch},
                                              {24, kFragmentation}};
      for (const auto& [col, b] : flags) {
        if (flag(col)) err |= bit(b);
      }
      if ((err & (bit(kPosition) | bit(kSize) | bit(kHeading) | bit(kHeadingFlip) | bit(kGeometry))) != 0) {
        err |= bit(kLocalisation);
      }
      if ((err & (bit(kIdSwitch) | bit(kFragmentation))) != 0) err |= bit(kTracking);
      err &= risk;

      Pending& p = pending[text(0)];
      TableBuilder& builder = p.builder;
      builder.NextRow();
      builder.Categorical("vendor", text(2));
      builder.Categorical("annotator", text(3));
      builder.Categorical("batch", text(4));
      builder.Categorical("class", text(5));
      builder.Categorical("spec_version", text(6));
      builder.Categorical("tool_version", text(7));
      builder.Categorical("tag", text(8));
      if (cells[30]) {
        if (auto ms = ParseRfc3339Ms(*cells[30])) builder.Categorical("week", IsoWeek(*ms));
      }
      auto [s, s_fresh] = scene_cache.try_emplace(text(27));
      if (s_fresh) s->second = ScalarMembers(text(27));
      for (const auto& [k, v] : s->second) builder.Categorical("scene." + k, v);
      auto [a, a_fresh] = attr_cache.try_emplace(text(26));
      if (a_fresh) a->second = ScalarMembers(text(26));
      for (const auto& [k, v] : a->second) builder.Categorical("attr." + k, v);
      builder.Numeric("range_m", number(9));
      builder.Numeric("num_points", number(10));
      p.at_risk.push_back(risk);
      p.error.push_back(err);
      p.weight.push_back(static_cast<float>(number(11).value_or(1.0)));
      p.example.push_back(err != 0 ? text(28) + "/" + text(29) : std::string());  // only errors are examples
    }
    if (q->rows.size() < static_cast<size_t>(kPage)) break;
  }
  std::vector<PipelineFacts> out;
  for (auto& [name, p] : pending) {
    out.push_back(PipelineFacts{name, p.builder.Finish(std::move(p.at_risk), std::move(p.error), std::move(p.weight),
                                                       std::move(p.example))});
  }
  return out;
}

}  // namespace gtops::rootcause
