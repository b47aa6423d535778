#include "config/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <span>
#include <sstream>
#include <utility>

namespace gtops {
namespace {

struct MetricInfo {
  std::string_view name;
  bool higher_is_better;
  bool at_most_one;  // a proportion: the target lies in [0, 1]
};

// FORMAT.md's list. rework_rate is a proportion of tasks, so it is bounded by 1 as well even
// though lower is better; id_switch_rate, the p95 errors and costs are only bounded below.
constexpr std::array<MetricInfo, 17> kMetrics{{
    {"recall", true, true},
    {"precision", true, true},
    {"f1", true, true},
    {"class_accuracy", true, true},
    {"attribute_accuracy", true, true},
    {"localization_accuracy", true, true},
    {"geometry_accuracy", true, true},
    {"mean_iou", true, true},
    {"position_error_p95_m", false, false},
    {"size_error_p95_rel", false, false},
    {"heading_error_p95_deg", false, false},
    {"tag_accuracy", true, true},
    {"id_switch_rate", false, false},
    {"audit_pass_rate", true, true},
    {"rework_rate", false, true},
    {"on_time_rate", true, true},
    {"cost_per_accepted_task_usd", false, false},
}};

constexpr std::array<std::string_view, kMetrics.size()> kMetricNames = [] {
  std::array<std::string_view, kMetrics.size()> names{};
  for (size_t i = 0; i < kMetrics.size(); ++i) names[i] = kMetrics[i].name;
  return names;
}();

const MetricInfo* FindMetric(std::string_view name) {
  for (const MetricInfo& m : kMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

using Keys = std::span<const std::string_view>;

constexpr auto kTopKeys = std::to_array<std::string_view>({"program", "vendors", "pipelines", "sampling"});
constexpr auto kSamplingKeys = std::to_array<std::string_view>(
    {"plan", "aql", "ltpd", "alpha", "beta", "n", "c", "budget", "stratify", "seed"});
constexpr auto kSamplingPlans = std::to_array<std::string_view>({"single", "double", "sprt"});
constexpr auto kStratifyKeys = std::to_array<std::string_view>({"vendor", "annotator", "class_mix"});
constexpr auto kProgramKeys = std::to_array<std::string_view>({"name", "data"});
constexpr auto kVendorKeys =
    std::to_array<std::string_view>({"id", "name", "cost_per_task_usd", "cost_per_object_usd"});
constexpr auto kPipelineKeys =
    std::to_array<std::string_view>({"id", "name", "geometry", "tracking", "spec_version", "units",
                                     "match", "tolerances", "sla", "classes", "targets", "sampling"});
constexpr auto kClassKeys =
    std::to_array<std::string_view>({"name", "safety_weight", "match", "size_prior_m",
                                     "required_attributes", "attributes", "kinematics"});
constexpr auto kMatchKeys =
    std::to_array<std::string_view>({"iou", "bev_iou", "center_distance_m", "polyline_match_m"});
constexpr auto kToleranceKeys = std::to_array<std::string_view>(
    {"position_m", "size_rel", "heading_deg", "min_iou", "polyline_m"});
constexpr auto kSlaKeys = std::to_array<std::string_view>({"turnaround_hours"});
constexpr auto kSizePriorKeys = std::to_array<std::string_view>({"l", "w", "h"});
constexpr auto kKinematicsKeys =
    std::to_array<std::string_view>({"max_speed_mps", "max_accel_mps2", "max_yaw_rate_dps"});
constexpr auto kRangeKeys = std::to_array<std::string_view>({"lo", "hi"});
constexpr auto kWhereStringFields = std::to_array<std::string_view>(
    {"vendor", "class", "annotator", "batch", "week", "spec_version", "tool_version"});
constexpr auto kTargetTableKeys = std::to_array<std::string_view>({"by_class", "slices"});
constexpr auto kSliceTableKeys = std::to_array<std::string_view>({"where"});
constexpr std::string_view kWhereFieldList =
    "vendor, annotator, batch, week, class, spec_version, tool_version, scene.<key>, attr.<key>, "
    "range_m, num_points";

bool Contains(Keys keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

std::string Join(Keys keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean "x"?)" for a near miss, else " (valid: a, b, c)".
template <typename Range>
std::string Hint(std::string_view got, const Range& valid) {
  // A near miss is at most two edits away and shares most of its letters: "q" is one edit from
  // "l" but is no typo of it.
  std::string_view best;
  size_t best_distance = 3;
  std::string list;
  for (std::string_view v : valid) {
    size_t d = EditDistance(got, v);
    if (d < best_distance && 2 * d <= got.size()) {
      best_distance = d;
      best = v;
    }
    if (!list.empty()) list += ", ";
    list += v;
  }
  if (!best.empty()) return fmt::format(" (did you mean \"{}\"?)", best);
  return fmt::format(" (valid: {})", list);
}

// Matches the geometry's rules and tolerances (FORMAT.md, "gtops.toml").
Keys MatchRulesFor(GeometryKind g) {
  static constexpr auto kIou = std::to_array<std::string_view>({"iou"});
  static constexpr auto kBox3d = std::to_array<std::string_view>({"bev_iou", "center_distance_m"});
  static constexpr auto kPolyline = std::to_array<std::string_view>({"polyline_match_m"});
  static constexpr std::array<std::string_view, 0> kNone{};
  switch (g) {
    case GeometryKind::kBox2d:
    case GeometryKind::kPolygon:
    case GeometryKind::kMask: return kIou;
    case GeometryKind::kBox3d: return kBox3d;
    case GeometryKind::kPolyline: return kPolyline;
    case GeometryKind::kTags: return kNone;
  }
  return kNone;
}

Keys TolerancesFor(GeometryKind g) {
  static constexpr auto kIou = std::to_array<std::string_view>({"min_iou"});
  static constexpr auto kBox3d =
      std::to_array<std::string_view>({"position_m", "size_rel", "heading_deg"});
  static constexpr auto kPolyline = std::to_array<std::string_view>({"polyline_m"});
  static constexpr std::array<std::string_view, 0> kNone{};
  switch (g) {
    case GeometryKind::kBox2d:
    case GeometryKind::kPolygon:
    case GeometryKind::kMask: return kIou;
    case GeometryKind::kBox3d: return kBox3d;
    case GeometryKind::kPolyline: return kPolyline;
    case GeometryKind::kTags: return kNone;
  }
  return kNone;
}

MatchRule::Kind MatchKind(std::string_view k) {
  if (k == "iou") return MatchRule::Kind::kIou;
  if (k == "bev_iou") return MatchRule::Kind::kBevIou;
  if (k == "center_distance_m") return MatchRule::Kind::kCenterDistanceM;
  if (k == "polyline_match_m") return MatchRule::Kind::kPolylineMatchM;
  return MatchRule::Kind::kNone;
}

int LineOf(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

int LineOf(const toml::key& k, const toml::node& value) {
  int line = static_cast<int>(k.source().begin.line);
  return line > 0 ? line : LineOf(value);
}

// "a string ("3.2")", "an integer (7)", "a table", ...: what was found, for type errors.
std::string Describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return fmt::format("a string (\"{}\")", n.as_string()->get());
    case toml::node_type::integer: return fmt::format("an integer ({})", n.as_integer()->get());
    case toml::node_type::floating_point:
      return fmt::format("a float ({})", n.as_floating_point()->get());
    case toml::node_type::boolean:
      return fmt::format("a boolean ({})", n.as_boolean()->get() ? "true" : "false");
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string NumberText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

bool IsIsoWeek(std::string_view s) {
  auto digit = [&](size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 8 || s[4] != '-' || s[5] != 'W') return false;
  for (size_t i : {0, 1, 2, 3, 6, 7}) {
    if (!digit(i)) return false;
  }
  int week = (s[6] - '0') * 10 + (s[7] - '0');
  return week >= 1 && week <= 53;
}

struct Problem {
  int line;
  std::string text;
};

// Walks the parsed document once, filling a ProgramConfig and collecting every problem. Each
// check reports and carries on with what it could read, so one run lists all problems; checks
// that depend on an invalid value (a match rule of an unknown geometry) are skipped rather than
// reported twice.
class Validator {
 public:
  explicit Validator(std::string_view source_name) : source_name_(source_name) {}

  ProgramConfig Program(const toml::table& root);

  bool ok() const { return problems_.empty(); }

  std::string Message() {
    std::stable_sort(problems_.begin(), problems_.end(),
                     [](const Problem& a, const Problem& b) { return a.line < b.line; });
    std::string out;
    for (const Problem& p : problems_) {
      if (!out.empty()) out += '\n';
      out += fmt::format("{}:{}: {}", source_name_, p.line, p.text);
    }
    return out;
  }

 private:
  void Report(int line, std::string text) { problems_.push_back({line, std::move(text)}); }

  void TypeError(const toml::node& n, const std::string& what, std::string_view expected) {
    Report(LineOf(n), fmt::format("{}: expected {}, got {}", what, expected, Describe(n)));
  }

  void CheckKeys(const toml::table& t, const std::string& ctx, Keys allowed) {
    for (auto&& [k, v] : t) {
      if (Contains(allowed, k.str())) continue;
      if (ctx.empty()) {
        Report(LineOf(k, v),
               fmt::format("unknown top-level key \"{}\"{}", k.str(), Hint(k.str(), allowed)));
      } else {
        Report(LineOf(k, v),
               fmt::format("{}: unknown key \"{}\"{}", ctx, k.str(), Hint(k.str(), allowed)));
      }
    }
  }

  std::optional<std::string> String(const toml::node& n, const std::string& what) {
    if (const auto* s = n.as_string()) return s->get();
    TypeError(n, what, "a string");
    return std::nullopt;
  }

  std::optional<std::string> NonEmptyString(const toml::node& n, const std::string& what) {
    auto s = String(n, what);
    if (s && s->empty()) {
      Report(LineOf(n), fmt::format("{}: must not be empty", what));
      return std::nullopt;
    }
    return s;
  }

  std::optional<bool> Bool(const toml::node& n, const std::string& what) {
    if (const auto* b = n.as_boolean()) return b->get();
    TypeError(n, what, "a boolean (true or false)");
    return std::nullopt;
  }

  // Integers and floats; infinity only when `allow_infinite` (open range ends), never NaN.
  std::optional<double> Number(const toml::node& n, const std::string& what,
                               bool allow_infinite = false) {
    double v = 0;
    if (const auto* i = n.as_integer()) {
      v = static_cast<double>(i->get());
    } else if (const auto* f = n.as_floating_point()) {
      v = f->get();
    } else {
      TypeError(n, what, "a number");
      return std::nullopt;
    }
    if (std::isnan(v) || (std::isinf(v) && !allow_infinite)) {
      Report(LineOf(n), fmt::format("{}: must be a finite number (got {})", what, v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> Positive(const toml::node& n, const std::string& what) {
    auto v = Number(n, what);
    if (v && *v <= 0) {
      Report(LineOf(n), fmt::format("{}: must be > 0 (got {})", what, *v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> NonNegative(const toml::node& n, const std::string& what) {
    auto v = Number(n, what);
    if (v && *v < 0) {
      Report(LineOf(n), fmt::format("{}: must be >= 0 (got {})", what, *v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<double> UnitFraction(const toml::node& n, const std::string& what) {
    auto v = Number(n, what);
    if (v && (*v <= 0 || *v > 1)) {
      Report(LineOf(n), fmt::format("{}: must be in (0, 1] (got {})", what, *v));
      return std::nullopt;
    }
    return v;
  }

  const toml::table* Table(const toml::node& n, const std::string& what) {
    if (const auto* t = n.as_table()) return t;
    TypeError(n, what, "a table");
    return nullptr;
  }

  const toml::array* Array(const toml::node& n, const std::string& what) {
    if (const auto* a = n.as_array()) return a;
    TypeError(n, what, "an array");
    return nullptr;
  }

  // [[name]] arrays of tables: each element is visited with its 0-based index.
  template <typename F>
  void EachTable(const toml::node& n, const std::string& what, std::string_view header, F&& f) {
    const auto* a = n.as_array();
    if (a == nullptr) {
      TypeError(n, what, fmt::format("an array of tables ([[{}]])", header));
      return;
    }
    for (size_t i = 0; i < a->size(); ++i) {
      const toml::node& el = *a->get(i);
      if (const auto* t = el.as_table()) {
        f(*t, i);
      } else {
        TypeError(el, fmt::format("{}[{}]", what, i), "a table");
      }
    }
  }

  std::vector<std::string> StringList(const toml::node& n, const std::string& what) {
    std::vector<std::string> out;
    const auto* a = Array(n, what);
    if (a == nullptr) return out;
    for (size_t i = 0; i < a->size(); ++i) {
      if (auto s = NonEmptyString(*a->get(i), fmt::format("{}[{}]", what, i))) out.push_back(*s);
    }
    return out;
  }

  std::optional<int64_t> Integer(const toml::node& n, const std::string& what, int64_t min) {
    const auto* i = n.as_integer();
    if (i == nullptr) {
      TypeError(n, what, "an integer");
      return std::nullopt;
    }
    if (i->get() < min) {
      Report(LineOf(n), fmt::format("{}: must be >= {} (got {})", what, min, i->get()));
      return std::nullopt;
    }
    return i->get();
  }

  // A probability strictly between 0 and 1.
  std::optional<double> OpenFraction(const toml::node& n, const std::string& what) {
    auto v = Number(n, what);
    if (v && (*v <= 0 || *v >= 1)) {
      Report(LineOf(n), fmt::format("{}: must be in (0, 1) (got {})", what, *v));
      return std::nullopt;
    }
    return v;
  }

  SamplingSpec Sampling(const toml::node& n, const std::string& ctx);
  void CheckSampling(const SamplingSpec& s, const std::string& ctx);

  std::optional<Range> ParseRange(const toml::node& n, const std::string& what);
  std::optional<MatchRule> ParseMatch(const toml::node& n, const std::string& what,
                                      std::optional<GeometryKind> geometry);
  VendorSpec Vendor(const toml::table& t, size_t index);
  PipelineSpec Pipeline(const toml::table& t, size_t index);
  void ParseTolerances(const toml::node& n, const std::string& ctx,
                       std::optional<GeometryKind> geometry, Tolerances* out);
  ClassSpec Class(const toml::table& t, const std::string& pipeline_ctx, size_t index,
                  std::optional<GeometryKind> geometry);
  void ParseTargets(const toml::table& t, const std::string& ctx, PipelineSpec* p);
  void Metrics(const toml::table& t, const std::string& what, Keys skip, std::vector<Target>* out);
  std::vector<Condition> Where(const toml::table& t, const std::string& what,
                               const PipelineSpec& p);
  void AddCondition(const std::string& field, const toml::node& v, int line,
                    const std::string& what, const PipelineSpec& p, std::vector<Condition>* out);

  std::string source_name_;
  std::vector<Problem> problems_;
};

ProgramConfig Validator::Program(const toml::table& root) {
  ProgramConfig cfg;
  cfg.data = {"data"};
  CheckKeys(root, "", kTopKeys);

  if (const auto* n = root.get("program")) {
    if (const auto* t = Table(*n, "program")) {
      CheckKeys(*t, "program", kProgramKeys);
      if (const auto* v = t->get("name")) {
        if (auto s = String(*v, "program.name")) cfg.name = *s;
      }
      if (const auto* v = t->get("data")) {
        cfg.data = StringList(*v, "program.data");
        if (v->is_array() && v->as_array()->empty()) {
          Report(LineOf(*v), "program.data: must name at least one folder (default [\"data\"])");
        }
      }
    }
  }

  std::map<std::string, int> vendor_lines;
  if (const auto* n = root.get("vendors")) {
    EachTable(*n, "vendors", "vendors", [&](const toml::table& t, size_t i) {
      VendorSpec v = Vendor(t, i);
      if (v.id.empty()) return;
      auto [it, inserted] = vendor_lines.emplace(v.id, v.line);
      if (!inserted) {
        Report(v.line, fmt::format("vendors: duplicate vendor id \"{}\" (first at line {})", v.id,
                                   it->second));
        return;
      }
      cfg.vendors.push_back(std::move(v));
    });
  }

  if (const auto* n = root.get("sampling")) cfg.sampling = Sampling(*n, "sampling");

  std::map<std::string, int> pipeline_lines;
  if (const auto* n = root.get("pipelines")) {
    EachTable(*n, "pipelines", "pipelines", [&](const toml::table& t, size_t i) {
      PipelineSpec p = Pipeline(t, i);
      if (p.id.empty()) return;
      auto [it, inserted] = pipeline_lines.emplace(p.id, p.line);
      if (!inserted) {
        Report(p.line, fmt::format("pipelines: duplicate pipeline id \"{}\" (first at line {})",
                                   p.id, it->second));
        return;
      }
      cfg.pipelines.push_back(std::move(p));
    });
  }
  // Every pipeline's plan once merged with the defaults (reported where the pipeline's table is,
  // else at [sampling]).
  if (cfg.sampling.line > 0) CheckSampling(cfg.sampling, "sampling");
  for (const PipelineSpec& p : cfg.pipelines) {
    if (p.sampling.line == 0) continue;
    SamplingSpec merged = cfg.SamplingFor(p.id);
    merged.line = p.sampling.line;
    CheckSampling(merged, fmt::format("pipeline \"{}\": sampling (with [sampling])", p.id));
  }
  return cfg;
}

SamplingSpec Validator::Sampling(const toml::node& node, const std::string& ctx) {
  SamplingSpec s;
  const auto* t = Table(node, ctx);
  if (t == nullptr) return s;
  s.line = std::max(LineOf(node), 1);
  CheckKeys(*t, ctx, kSamplingKeys);
  if (const auto* v = t->get("plan")) {
    if (auto p = String(*v, ctx + ".plan")) {
      if (Contains(kSamplingPlans, *p)) {
        s.plan = *p;
      } else {
        Report(LineOf(*v), fmt::format("{}.plan: unknown plan \"{}\"{}", ctx, *p, Hint(*p, kSamplingPlans)));
      }
    }
  }
  for (auto [key, field] : {std::pair{"aql", &SamplingSpec::aql}, std::pair{"ltpd", &SamplingSpec::ltpd},
                            std::pair{"alpha", &SamplingSpec::alpha}, std::pair{"beta", &SamplingSpec::beta}}) {
    if (const auto* v = t->get(key)) s.*field = OpenFraction(*v, fmt::format("{}.{}", ctx, key));
  }
  if (const auto* v = t->get("n")) s.n = Integer(*v, ctx + ".n", 1);
  if (const auto* v = t->get("c")) s.c = Integer(*v, ctx + ".c", 0);
  if (const auto* v = t->get("budget")) s.budget = Integer(*v, ctx + ".budget", 1);
  if (const auto* v = t->get("seed")) s.seed = Integer(*v, ctx + ".seed", 0);
  if (const auto* v = t->get("stratify")) {
    std::vector<std::string> keys = StringList(*v, ctx + ".stratify");
    for (const std::string& k : keys) {
      const bool scene = k.rfind("scene.", 0) == 0 && k.size() > 6;
      if (!scene && !Contains(kStratifyKeys, k)) {
        Report(LineOf(*v), fmt::format("{}.stratify: unknown key \"{}\"{} (or scene.<key>)", ctx, k,
                                       Hint(k, kStratifyKeys)));
      }
    }
    s.stratify = std::move(keys);
  }
  // Within one table: a plan is risk-based or fixed, not both.
  const int line = LineOf(node);
  if ((s.aql || s.ltpd) && (s.n || s.c)) {
    Report(line, fmt::format("{}: give either aql and ltpd (a plan designed from the risks) or n and c (a fixed "
                             "single plan), not both",
                             ctx));
  }
  return s;
}

void Validator::CheckSampling(const SamplingSpec& s, const std::string& ctx) {
  if (s.aql.has_value() != s.ltpd.has_value()) {
    Report(s.line, fmt::format("{}: aql and ltpd go together (got only {})", ctx, s.aql ? "aql" : "ltpd"));
  }
  if (s.aql && s.ltpd && *s.aql >= *s.ltpd) {
    Report(s.line, fmt::format("{}: aql ({}) must be below ltpd ({})", ctx, *s.aql, *s.ltpd));
  }
  if (s.n.has_value() != s.c.has_value()) {
    Report(s.line, fmt::format("{}: n and c go together (a fixed single plan; got only {})", ctx, s.n ? "n" : "c"));
  }
  if (s.n && s.c && *s.c >= *s.n) {
    Report(s.line, fmt::format("{}: c ({}) must be below n ({})", ctx, *s.c, *s.n));
  }
  if (s.n && s.plan && *s.plan != "single") {
    Report(s.line, fmt::format("{}: plan \"{}\" is designed from aql and ltpd; n and c give a single plan", ctx,
                               *s.plan));
  }
  if (s.n && s.budget && *s.budget < *s.n) {
    Report(s.line, fmt::format("{}: budget ({}) is below the plan's n ({})", ctx, *s.budget, *s.n));
  }
}

VendorSpec Validator::Vendor(const toml::table& t, size_t index) {
  VendorSpec v;
  v.line = LineOf(t);
  std::string ctx = fmt::format("vendors[{}]", index);
  if (const auto* n = t.get("id")) {
    if (auto s = NonEmptyString(*n, ctx + ": id")) {
      v.id = *s;
      ctx = fmt::format("vendor \"{}\"", v.id);
    }
  } else {
    Report(v.line, ctx + ": missing required key \"id\"");
  }
  CheckKeys(t, ctx, kVendorKeys);
  v.name = v.id;
  if (const auto* n = t.get("name")) {
    if (auto s = String(*n, ctx + ": name")) v.name = *s;
  }
  if (const auto* n = t.get("cost_per_task_usd")) {
    v.cost_per_task_usd = NonNegative(*n, ctx + ": cost_per_task_usd");
  }
  if (const auto* n = t.get("cost_per_object_usd")) {
    v.cost_per_object_usd = NonNegative(*n, ctx + ": cost_per_object_usd");
  }
  return v;
}

PipelineSpec Validator::Pipeline(const toml::table& t, size_t index) {
  PipelineSpec p;
  p.line = LineOf(t);
  std::string ctx = fmt::format("pipelines[{}]", index);
  if (const auto* n = t.get("id")) {
    if (auto s = NonEmptyString(*n, ctx + ": id")) {
      p.id = *s;
      ctx = fmt::format("pipeline \"{}\"", p.id);
    }
  } else {
    Report(p.line, ctx + ": missing required key \"id\"");
  }
  CheckKeys(t, ctx, kPipelineKeys);
  p.name = p.id;
  if (const auto* n = t.get("name")) {
    if (auto s = String(*n, ctx + ": name")) p.name = *s;
  }

  std::optional<GeometryKind> geometry;
  if (const auto* n = t.get("geometry")) {
    if (auto s = String(*n, ctx + ": geometry")) {
      geometry = ParseGeometryKind(*s);
      if (geometry) {
        p.geometry = *geometry;
      } else {
        Report(LineOf(*n), fmt::format("{}: geometry must be one of box2d, box3d, polyline, "
                                       "polygon, mask, tags (got \"{}\")",
                                       ctx, *s));
      }
    }
  } else {
    Report(p.line, fmt::format("{}: missing required key \"geometry\" (box2d, box3d, polyline, "
                               "polygon, mask or tags)",
                               ctx));
  }

  if (const auto* n = t.get("tracking")) {
    if (auto b = Bool(*n, ctx + ": tracking")) p.tracking = *b;
  }
  if (const auto* n = t.get("spec_version")) {
    if (auto s = String(*n, ctx + ": spec_version")) p.spec_version = *s;
  }
  if (const auto* n = t.get("units")) {
    if (auto s = String(*n, ctx + ": units")) {
      if (*s != "m" && *s != "px") {
        Report(LineOf(*n), fmt::format("{}: units must be \"m\" or \"px\" (got \"{}\")", ctx, *s));
      } else if (geometry && *geometry != GeometryKind::kPolyline) {
        Report(LineOf(*n), fmt::format("{}: units applies to polyline pipelines only (this one is "
                                       "{}; box2d, polygon and mask are always pixels, box3d "
                                       "metres)",
                                       ctx, Name(*geometry)));
      } else {
        p.units = *s;
      }
    }
  }

  if (const auto* n = t.get("match")) {
    if (geometry == GeometryKind::kTags) {
      Report(LineOf(*n),
             fmt::format("{}: match: tags pipelines have no match rule (remove it)", ctx));
    } else if (auto m = ParseMatch(*n, ctx + ": match", geometry)) {
      p.match = *m;
    }
  } else if (geometry && *geometry != GeometryKind::kTags) {
    Report(p.line, fmt::format("{}: missing required key \"match\" ({} pipelines take {})", ctx,
                               Name(*geometry), Join(MatchRulesFor(*geometry))));
  }

  if (const auto* n = t.get("tolerances")) ParseTolerances(*n, ctx, geometry, &p.tolerances);
  if (const auto* n = t.get("sampling")) p.sampling = Sampling(*n, ctx + ": sampling");

  if (const auto* n = t.get("sla")) {
    if (const auto* sla = Table(*n, ctx + ": sla")) {
      CheckKeys(*sla, ctx + ": sla", kSlaKeys);
      if (const auto* h = sla->get("turnaround_hours")) {
        p.sla_turnaround_hours = Positive(*h, ctx + ": sla.turnaround_hours");
      }
    }
  }

  if (const auto* n = t.get("classes")) {
    std::map<std::string, int> class_lines;
    EachTable(*n, ctx + ": classes", "pipelines.classes", [&](const toml::table& ct, size_t i) {
      ClassSpec c = Class(ct, ctx, i, geometry);
      if (c.name.empty()) return;
      auto [it, inserted] = class_lines.emplace(c.name, c.line);
      if (!inserted) {
        Report(c.line, fmt::format("{}: duplicate class \"{}\" (first at line {})", ctx, c.name,
                                   it->second));
        return;
      }
      p.classes.push_back(std::move(c));
    });
  }

  if (const auto* n = t.get("targets")) {
    if (const auto* tt = Table(*n, ctx + ": targets")) ParseTargets(*tt, ctx, &p);
  }
  return p;
}

std::optional<MatchRule> Validator::ParseMatch(const toml::node& n, const std::string& what,
                                               std::optional<GeometryKind> geometry) {
  const auto* t = n.as_table();
  if (t == nullptr) {
    TypeError(n, what, "a table with one rule, e.g. { iou = 0.5 }");
    return std::nullopt;
  }
  if (t->size() != 1) {
    Report(LineOf(n), fmt::format("{}: must have exactly one key, one of {} (got {})", what,
                                  Join(kMatchKeys), t->size()));
    CheckKeys(*t, what, kMatchKeys);
    return std::nullopt;
  }
  const auto first = t->begin();  // the iterator owns the key/value proxy: keep it alive
  const auto& [key, value] = *first;
  std::string_view k = key.str();
  std::string key_what = fmt::format("{}.{}", what, k);
  if (!Contains(kMatchKeys, k)) {
    Report(LineOf(key, value),
           fmt::format("{}: unknown match rule \"{}\"{}", what, k, Hint(k, kMatchKeys)));
    return std::nullopt;
  }
  if (geometry && !Contains(MatchRulesFor(*geometry), k)) {
    Report(LineOf(key, value), fmt::format("{}: \"{}\" is not a match rule for {} (use {})", what,
                                           k, Name(*geometry), Join(MatchRulesFor(*geometry))));
    return std::nullopt;
  }
  MatchRule rule;
  rule.kind = MatchKind(k);
  bool is_iou = rule.kind == MatchRule::Kind::kIou || rule.kind == MatchRule::Kind::kBevIou;
  auto v = is_iou ? UnitFraction(value, key_what) : Positive(value, key_what);
  if (!v) return std::nullopt;
  rule.value = *v;
  return rule;
}

void Validator::ParseTolerances(const toml::node& n, const std::string& ctx,
                                std::optional<GeometryKind> geometry, Tolerances* out) {
  const auto* t = Table(n, ctx + ": tolerances");
  if (t == nullptr) return;
  for (auto&& [key, value] : *t) {
    std::string_view k = key.str();
    std::string what = fmt::format("{}: tolerances.{}", ctx, k);
    if (!Contains(kToleranceKeys, k)) {
      Keys valid = geometry ? TolerancesFor(*geometry) : kToleranceKeys;
      Report(LineOf(key, value), fmt::format("{}: tolerances: unknown key \"{}\"{}", ctx, k,
                                             Hint(k, valid.size() ? valid : kToleranceKeys)));
      continue;
    }
    if (geometry && !Contains(TolerancesFor(*geometry), k)) {
      Keys valid = TolerancesFor(*geometry);
      Report(LineOf(key, value),
             fmt::format("{}: not a tolerance of {} pipelines ({})", what, Name(*geometry),
                         valid.size() ? "they take " + Join(valid) : "they have none"));
      continue;
    }
    std::optional<double> v;
    if (k == "min_iou") {
      v = UnitFraction(value, what);
    } else {
      v = Positive(value, what);
      if (v && k == "heading_deg" && *v > 180) {
        Report(LineOf(value), fmt::format("{}: must be at most 180 (got {})", what, *v));
        v.reset();
      }
    }
    if (!v) continue;
    if (k == "position_m") out->position_m = v;
    if (k == "size_rel") out->size_rel = v;
    if (k == "heading_deg") out->heading_deg = v;
    if (k == "min_iou") out->min_iou = v;
    if (k == "polyline_m") out->polyline_m = v;
  }
}

// `[lo, hi]` (inf / -inf for an open end) or `{ lo = ..., hi = ... }` (a bound left out is open).
std::optional<Range> Validator::ParseRange(const toml::node& n, const std::string& what) {
  Range r;
  bool ok = true;
  if (const auto* a = n.as_array()) {
    if (a->size() != 2) {
      Report(LineOf(n), fmt::format("{}: expected [lo, hi] (two numbers), got {} element{}", what,
                                    a->size(), a->size() == 1 ? "" : "s"));
      return std::nullopt;
    }
    auto lo = Number(*a->get(0), what + " lo", true);
    auto hi = Number(*a->get(1), what + " hi", true);
    if (!lo || !hi) return std::nullopt;
    if (*lo == std::numeric_limits<double>::infinity()) {
      Report(LineOf(n), fmt::format("{}: lo cannot be inf (use -inf for an open lower end)", what));
      ok = false;
    } else if (*lo != -std::numeric_limits<double>::infinity()) {
      r.lo = *lo;
    }
    if (*hi == -std::numeric_limits<double>::infinity()) {
      Report(LineOf(n), fmt::format("{}: hi cannot be -inf (use inf for an open upper end)", what));
      ok = false;
    } else if (*hi != std::numeric_limits<double>::infinity()) {
      r.hi = *hi;
    }
  } else if (const auto* t = n.as_table()) {
    CheckKeys(*t, what, kRangeKeys);
    if (t->empty()) {
      Report(LineOf(n), fmt::format("{}: give lo, hi or both", what));
      return std::nullopt;
    }
    if (const auto* lo = t->get("lo")) {
      r.lo = Number(*lo, what + ".lo");
      ok = ok && r.lo.has_value();
    }
    if (const auto* hi = t->get("hi")) {
      r.hi = Number(*hi, what + ".hi");
      ok = ok && r.hi.has_value();
    }
  } else {
    TypeError(n, what, "[lo, hi] or { lo = ..., hi = ... }");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  if (r.lo && r.hi && *r.lo >= *r.hi) {
    Report(LineOf(n), fmt::format("{}: lo must be less than hi (got [{}, {}]; ranges are "
                                  "half-open, lo <= value < hi)",
                                  what, NumberText(*r.lo), NumberText(*r.hi)));
    return std::nullopt;
  }
  return r;
}

ClassSpec Validator::Class(const toml::table& t, const std::string& pipeline_ctx, size_t index,
                           std::optional<GeometryKind> geometry) {
  ClassSpec c;
  c.line = LineOf(t);
  std::string ctx = fmt::format("{}, classes[{}]", pipeline_ctx, index);
  if (const auto* n = t.get("name")) {
    if (auto s = NonEmptyString(*n, ctx + ": name")) {
      c.name = *s;
      ctx = fmt::format("{}, class \"{}\"", pipeline_ctx, c.name);
    }
  } else {
    Report(c.line, ctx + ": missing required key \"name\"");
  }
  CheckKeys(t, ctx, kClassKeys);

  if (const auto* n = t.get("safety_weight")) {
    if (auto v = Positive(*n, ctx + ": safety_weight")) c.safety_weight = *v;
  }
  if (const auto* n = t.get("match")) {
    if (geometry == GeometryKind::kTags) {
      Report(LineOf(*n),
             fmt::format("{}: match: tags pipelines have no match rule (remove it)", ctx));
    } else {
      c.match = ParseMatch(*n, ctx + ": match", geometry);
    }
  }
  if (const auto* n = t.get("size_prior_m")) {
    if (geometry && *geometry != GeometryKind::kBox3d) {
      Report(LineOf(*n), fmt::format("{}: size_prior_m applies to box3d pipelines only (this one "
                                     "is {})",
                                     ctx, Name(*geometry)));
    } else if (const auto* st = Table(*n, ctx + ": size_prior_m")) {
      CheckKeys(*st, ctx + ": size_prior_m", kSizePriorKeys);
      auto dim = [&](std::string_view k, std::optional<Range>* out) {
        const auto* v = st->get(k);
        if (v == nullptr) return;
        std::string what = fmt::format("{}: size_prior_m.{}", ctx, k);
        *out = ParseRange(*v, what);
        if (*out && (*out)->lo && *(*out)->lo < 0) {
          Report(LineOf(*v), fmt::format("{}: lo must be >= 0 (got {})", what, *(*out)->lo));
          out->reset();
        }
      };
      dim("l", &c.size_l);
      dim("w", &c.size_w);
      dim("h", &c.size_h);
    }
  }
  if (const auto* n = t.get("required_attributes")) {
    c.required_attributes = StringList(*n, ctx + ": required_attributes");
  }
  if (const auto* n = t.get("attributes")) {
    if (const auto* at = Table(*n, ctx + ": attributes")) {
      for (auto&& [key, value] : *at) {
        std::string what = fmt::format("{}: attributes.{}", ctx, key.str());
        const auto* a = value.as_array();
        if (a == nullptr) {
          TypeError(value, what, "an array of allowed values");
          continue;
        }
        if (a->empty()) {
          Report(LineOf(key, value), what + ": must list at least one allowed value");
          continue;
        }
        std::vector<AttributeValue> allowed;
        for (size_t i = 0; i < a->size(); ++i) {
          const toml::node& el = *a->get(i);
          if (const auto* s = el.as_string()) {
            allowed.emplace_back(s->get());
          } else if (const auto* b = el.as_boolean()) {
            allowed.emplace_back(b->get());
          } else if (el.is_number()) {
            if (auto v = Number(el, fmt::format("{}[{}]", what, i))) allowed.emplace_back(*v);
          } else {
            TypeError(el, fmt::format("{}[{}]", what, i), "a string, number or boolean");
          }
        }
        c.attributes[std::string(key.str())] = std::move(allowed);
      }
    }
  }
  if (const auto* n = t.get("kinematics")) {
    if (geometry && *geometry != GeometryKind::kBox3d) {
      Report(LineOf(*n), fmt::format("{}: kinematics applies to box3d pipelines only (this one is "
                                     "{})",
                                     ctx, Name(*geometry)));
    } else if (const auto* kt = Table(*n, ctx + ": kinematics")) {
      CheckKeys(*kt, ctx + ": kinematics", kKinematicsKeys);
      Kinematics k;
      if (const auto* v = kt->get("max_speed_mps")) {
        k.max_speed_mps = Positive(*v, ctx + ": kinematics.max_speed_mps");
      }
      if (const auto* v = kt->get("max_accel_mps2")) {
        k.max_accel_mps2 = Positive(*v, ctx + ": kinematics.max_accel_mps2");
      }
      if (const auto* v = kt->get("max_yaw_rate_dps")) {
        k.max_yaw_rate_dps = Positive(*v, ctx + ": kinematics.max_yaw_rate_dps");
      }
      c.kinematics = k;
    }
  }
  return c;
}

void Validator::Metrics(const toml::table& t, const std::string& what, Keys skip,
                        std::vector<Target>* out) {
  for (auto&& [key, value] : t) {
    std::string_view k = key.str();
    if (Contains(skip, k)) continue;
    std::string key_what = fmt::format("{}.{}", what, k);
    const MetricInfo* m = FindMetric(k);
    if (m == nullptr) {
      Report(LineOf(key, value),
             fmt::format("{}: unknown metric \"{}\"{}", what, k, Hint(k, kMetricNames)));
      continue;
    }
    auto v = Number(value, key_what);
    if (!v) continue;
    if (m->at_most_one && (*v < 0 || *v > 1)) {
      Report(LineOf(value), fmt::format("{}: must be in [0, 1] (got {})", key_what, *v));
      continue;
    }
    if (*v < 0) {
      Report(LineOf(value), fmt::format("{}: must be >= 0 (got {})", key_what, *v));
      continue;
    }
    out->push_back(Target{std::string(k), *v, LineOf(value)});
  }
  // toml++ keeps keys sorted; file order reads better in reports.
  std::stable_sort(out->begin(), out->end(),
                   [](const Target& a, const Target& b) { return a.line < b.line; });
}

void Validator::ParseTargets(const toml::table& t, const std::string& ctx, PipelineSpec* p) {
  Metrics(t, ctx + ": targets", kTargetTableKeys, &p->targets.pipeline);

  if (const auto* n = t.get("by_class")) {
    if (const auto* bt = Table(*n, ctx + ": targets.by_class")) {
      for (auto&& [key, value] : *bt) {
        std::string cls(key.str());
        std::string what = fmt::format("{}: targets.by_class.{}", ctx, cls);
        if (p->FindClass(cls) == nullptr) {
          std::vector<std::string_view> names;
          for (const ClassSpec& c : p->classes) names.push_back(c.name);
          Report(LineOf(key, value),
                 fmt::format("{}: targets.by_class: \"{}\" is not a class of this pipeline{}", ctx,
                             cls, names.empty() ? " (it lists none)" : Hint(cls, names)));
          continue;
        }
        if (const auto* ct = Table(value, what)) {
          std::vector<Target> targets;
          Metrics(*ct, what, {}, &targets);
          p->targets.by_class[cls] = std::move(targets);
        }
      }
    }
  }

  if (const auto* n = t.get("slices")) {
    EachTable(*n, ctx + ": targets.slices", "pipelines.targets.slices",
              [&](const toml::table& st, size_t i) {
                std::string what = fmt::format("{}: targets.slices[{}]", ctx, i);
                SliceTarget slice;
                slice.line = LineOf(st);
                if (const auto* w = st.get("where")) {
                  if (const auto* wt = Table(*w, what + ".where")) {
                    slice.where = Where(*wt, what + ".where", *p);
                    if (wt->empty()) {
                      Report(LineOf(*w), what + ".where: must name at least one condition");
                    }
                  }
                } else {
                  Report(slice.line, fmt::format("{}: missing required key \"where\"", what));
                }
                size_t before = problems_.size();
                Metrics(st, what, kSliceTableKeys, &slice.targets);
                bool metric_problems = problems_.size() != before;
                if (slice.targets.empty() && !metric_problems) {
                  Report(slice.line,
                         fmt::format("{}: sets no target (add e.g. recall = 0.99)", what));
                }
                p->targets.slices.push_back(std::move(slice));
              });
  }
}

std::vector<Condition> Validator::Where(const toml::table& t, const std::string& what,
                                        const PipelineSpec& p) {
  std::vector<Condition> out;
  for (auto&& [key, value] : t) {
    std::string_view k = key.str();
    int line = LineOf(key, value);
    // An unquoted `scene.weather = "rain"` arrives as a nested table; it means "scene.weather".
    if ((k == "scene" || k == "attr") && value.is_table()) {
      for (auto&& [sub_key, sub_value] : *value.as_table()) {
        std::string field = fmt::format("{}.{}", k, sub_key.str());
        AddCondition(field, sub_value, LineOf(sub_key, sub_value), what, p, &out);
      }
      continue;
    }
    AddCondition(std::string(k), value, line, what, p, &out);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Condition& a, const Condition& b) { return a.line < b.line; });
  return out;
}

void Validator::AddCondition(const std::string& field, const toml::node& v, int line,
                             const std::string& what, const PipelineSpec& p,
                             std::vector<Condition>* out) {
  std::string field_what = fmt::format("{}.{}", what, field);
  for (const Condition& c : *out) {
    if (c.field == field) {
      Report(line, fmt::format("{}: \"{}\" is given twice", what, field));
      return;
    }
  }
  Condition c;
  c.field = field;
  c.line = line;
  if (Contains(kWhereStringFields, field)) {
    auto s = NonEmptyString(v, field_what);
    if (!s) return;
    if (field == "week" && !IsIsoWeek(*s)) {
      Report(line, fmt::format("{}: expected an ISO week YYYY-Www, e.g. \"2026-W07\" (got \"{}\")",
                               field_what, *s));
      return;
    }
    if (field == "class" && p.FindClass(*s) == nullptr) {
      Report(line, fmt::format("{}: \"{}\" is not a class of this pipeline", field_what, *s));
      return;
    }
    c.value = *s;
  } else if (field == "range_m" || field == "num_points") {
    auto r = ParseRange(v, field_what);
    if (!r) return;
    c.value = *r;
  } else if ((field.starts_with("scene.") && field.size() > 6) ||
             (field.starts_with("attr.") && field.size() > 5)) {
    if (const auto* s = v.as_string()) {
      c.value = s->get();
    } else if (const auto* b = v.as_boolean()) {
      c.value = b->get();
    } else if (v.is_number()) {
      auto d = Number(v, field_what);
      if (!d) return;
      c.value = *d;
    } else {
      TypeError(v, field_what, "a string, number or boolean");
      return;
    }
  } else if (field == "scene" || field == "attr") {
    Report(line,
           fmt::format("{}: \"{}\" needs a key: write \"{}.<key>\" = value", what, field, field));
    return;
  } else {
    Report(line, fmt::format("{}: unknown field \"{}\" (valid: {})", what, field, kWhereFieldList));
    return;
  }
  out->push_back(std::move(c));
}

}  // namespace

std::string_view Name(MatchRule::Kind k) {
  switch (k) {
    case MatchRule::Kind::kNone: return "none";
    case MatchRule::Kind::kIou: return "iou";
    case MatchRule::Kind::kBevIou: return "bev_iou";
    case MatchRule::Kind::kCenterDistanceM: return "center_distance_m";
    case MatchRule::Kind::kPolylineMatchM: return "polyline_match_m";
  }
  return "none";
}

std::span<const std::string_view> TargetMetricNames() { return kMetricNames; }

bool MetricHigherIsBetter(std::string_view metric) {
  const MetricInfo* m = FindMetric(metric);
  return m != nullptr && m->higher_is_better;
}

const ClassSpec* PipelineSpec::FindClass(std::string_view class_name) const {
  for (const ClassSpec& c : classes) {
    if (c.name == class_name) return &c;
  }
  return nullptr;
}

const PipelineSpec* ProgramConfig::FindPipeline(std::string_view pipeline_id) const {
  for (const PipelineSpec& p : pipelines) {
    if (p.id == pipeline_id) return &p;
  }
  return nullptr;
}

SamplingSpec ProgramConfig::SamplingFor(std::string_view pipeline_id) const {
  SamplingSpec out = sampling;
  const PipelineSpec* p = FindPipeline(pipeline_id);
  if (p == nullptr) return out;
  const SamplingSpec& own = p->sampling;
  // Key by key, but a plan is risk-based or fixed: the pipeline's n or c drops the defaults' aql and
  // ltpd, and its aql or ltpd drops their n and c.
  if (own.n || own.c) out.aql.reset(), out.ltpd.reset();
  if (own.aql || own.ltpd) out.n.reset(), out.c.reset();
  for (auto field : {&SamplingSpec::aql, &SamplingSpec::ltpd, &SamplingSpec::alpha, &SamplingSpec::beta}) {
    if (own.*field) out.*field = own.*field;
  }
  for (auto field : {&SamplingSpec::n, &SamplingSpec::c, &SamplingSpec::budget, &SamplingSpec::seed}) {
    if (own.*field) out.*field = own.*field;
  }
  if (own.plan) out.plan = own.plan;
  if (own.stratify) out.stratify = own.stratify;
  if (own.line > 0) out.line = own.line;
  return out;
}

const VendorSpec* ProgramConfig::FindVendor(std::string_view vendor_id) const {
  for (const VendorSpec& v : vendors) {
    if (v.id == vendor_id) return &v;
  }
  return nullptr;
}

Result<ProgramConfig> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  // toml++ reports syntax errors by exception; this is the one place they are caught.
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::BadConfig(
        fmt::format("{}:{}: {}", source_name, e.source().begin.line, e.description()));
  }
  Validator validator(source_name);
  ProgramConfig cfg = validator.Program(root);
  if (!validator.ok()) return Status::BadConfig(validator.Message());
  return cfg;
}

Result<ProgramConfig> LoadConfig(const std::string& program_dir) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(program_dir) / "gtops.toml";
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    return Status::BadConfig(
        fmt::format("{}: not found (run `gtops init {}` to write a starter config)", name,
                    program_dir.empty() ? "." : program_dir));
  }
  if (fs::is_directory(st)) return Status::BadConfig(name + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::BadConfig(name + ": cannot be opened for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::BadConfig(name + ": read failed");
  Result<ProgramConfig> cfg = ParseConfig(text.str(), name);
  if (cfg.ok()) cfg->source_path = name;
  return cfg;
}

}  // namespace gtops
