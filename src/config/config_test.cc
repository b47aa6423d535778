#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace gtops {
namespace {

// A small valid config that the tests below break one rule at a time.
constexpr std::string_view kBase = R"([program]
name = "test program"

[[vendors]]
id = "acme"

[[pipelines]]
id = "cuboids"
geometry = "box3d"
tracking = true
match = { bev_iou = 0.3 }
tolerances = { position_m = 0.3, size_rel = 0.1, heading_deg = 10.0 }
sla = { turnaround_hours = 96 }

  [[pipelines.classes]]
  name = "car"
  size_prior_m = { l = [2.5, 6.5] }

  [[pipelines.classes]]
  name = "pedestrian"
  match = { center_distance_m = 1.0 }

  [pipelines.targets]
  recall = 0.98

  [pipelines.targets.by_class.pedestrian]
  recall = 0.99

  [[pipelines.targets.slices]]
  where = { class = "pedestrian" }
  recall = 0.995
)";

// A one-pipeline config of the given geometry; `extra` lines go into the [[pipelines]] table.
std::string OnePipeline(std::string_view geometry, std::string_view match, std::string_view extra) {
  std::string s = "[[pipelines]]\nid = \"p\"\ngeometry = \"" + std::string(geometry) + "\"\n";
  if (!match.empty()) s += "match = " + std::string(match) + "\n";
  s += extra;
  s += "\n  [[pipelines.classes]]\n  name = \"thing\"\n";
  return s;
}

std::string Replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string s(text);
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: \"" << from << "\" not in the text";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// 1-based line of the first line of `text` containing `needle` (0 when none does): the expected
// line numbers are counted here, independently of the parser.
int LineContaining(std::string_view text, std::string_view needle) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string_view::npos) return line;
    start = end + 1;
    ++line;
  }
  return 0;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void ExpectValid(const std::string& text) {
  auto r = ParseConfig(text, "gtops.toml");
  EXPECT_TRUE(r.ok()) << r.status().message() << "\n--- in ---\n" << text;
}

// Parsing fails (kBadConfig) with a problem on the line of `text` holding `at`, whose message
// contains every fragment.
testing::AssertionResult HasProblem(const std::string& text, std::string_view at,
                                    std::initializer_list<std::string_view> fragments) {
  int line = LineContaining(text, at);
  if (line == 0) return testing::AssertionFailure() << "test bug: \"" << at << "\" not in text";
  auto r = ParseConfig(text, "gtops.toml");
  if (r.ok()) return testing::AssertionFailure() << "parsed without error:\n" << text;
  if (r.status().code() != StatusCode::kBadConfig) {
    return testing::AssertionFailure() << "code " << StatusCodeName(r.status().code());
  }
  std::string prefix = "gtops.toml:" + std::to_string(line) + ": ";
  for (const std::string& l : Lines(r.status().message())) {
    if (l.rfind(prefix, 0) != 0) continue;
    bool all = true;
    for (std::string_view f : fragments) all = all && l.find(f) != std::string::npos;
    if (all) return testing::AssertionSuccess();
  }
  testing::AssertionResult failure = testing::AssertionFailure();
  failure << "no problem at line " << line << " containing";
  for (std::string_view f : fragments) failure << " [" << f << "]";
  return failure << "; got:\n" << r.status().message();
}

int ProblemCount(const std::string& text) {
  auto r = ParseConfig(text, "gtops.toml");
  return r.ok() ? 0 : static_cast<int>(Lines(r.status().message()).size());
}

TEST(ConfigTest, BaseConfigIsValid) { ExpectValid(std::string(kBase)); }

TEST(ConfigTest, WorldSmallParses) {
  auto cfg = LoadConfig(std::string(GTOPS_SHARED_DIR) + "/fixtures/world-small");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->name, "Synthetic AV ground-truth program (worldgen seed 7)");
  EXPECT_EQ(cfg->data, std::vector<std::string>{"data"});
  EXPECT_NE(cfg->source_path.find("world-small/gtops.toml"), std::string::npos);
  ASSERT_EQ(cfg->vendors.size(), 4u);
  EXPECT_EQ(cfg->vendors[1].id, "bluepeak");
  EXPECT_EQ(cfg->vendors[1].name, "BluePeak Data");
  EXPECT_FALSE(cfg->vendors[1].cost_per_task_usd.has_value());
  ASSERT_EQ(cfg->pipelines.size(), 12u);

  // Class counts as written in the fixture.
  const std::vector<std::pair<std::string, size_t>> classes = {
      {"lidar_cuboids", 8},   {"lidar_highway", 4},   {"ped_intent", 2},     {"construction", 3},
      {"parked_vehicles", 2}, {"camera_front_2d", 6}, {"camera_side_2d", 3}, {"traffic_lights", 1},
      {"lanes", 4},           {"crosswalks", 1},      {"drivable_area", 1},  {"scene_tags", 0}};
  for (const auto& [id, count] : classes) {
    const PipelineSpec* p = cfg->FindPipeline(id);
    ASSERT_NE(p, nullptr) << id;
    EXPECT_EQ(p->classes.size(), count) << id;
  }

  const PipelineSpec& lidar = *cfg->FindPipeline("lidar_cuboids");
  EXPECT_EQ(lidar.geometry, GeometryKind::kBox3d);
  EXPECT_TRUE(lidar.tracking);
  EXPECT_EQ(lidar.spec_version, "3.2");
  EXPECT_EQ(lidar.units, "m");
  EXPECT_EQ(lidar.match.kind, MatchRule::Kind::kBevIou);
  EXPECT_DOUBLE_EQ(lidar.match.value, 0.3);
  EXPECT_EQ(lidar.tolerances.position_m, 0.3);
  EXPECT_EQ(lidar.tolerances.size_rel, 0.10);
  EXPECT_EQ(lidar.tolerances.heading_deg, 10.0);
  EXPECT_FALSE(lidar.tolerances.min_iou.has_value());
  EXPECT_EQ(lidar.sla_turnaround_hours, 96.0);

  const ClassSpec* ped = lidar.FindClass("pedestrian");
  ASSERT_NE(ped, nullptr);
  EXPECT_DOUBLE_EQ(ped->safety_weight, 5.0);
  ASSERT_TRUE(ped->match.has_value());
  EXPECT_EQ(ped->match->kind, MatchRule::Kind::kCenterDistanceM);
  EXPECT_DOUBLE_EQ(ped->match->value, 1.0);
  ASSERT_TRUE(ped->size_h.has_value());
  EXPECT_EQ(ped->size_h->lo, 1.05);
  EXPECT_EQ(ped->size_h->hi, 2.45);
  EXPECT_FALSE(lidar.FindClass("car")->match.has_value());
  EXPECT_EQ(lidar.FindClass("unicorn"), nullptr);

  EXPECT_EQ(lidar.targets.pipeline.size(), 11u);
  EXPECT_EQ(lidar.targets.pipeline.front().metric, "recall");
  EXPECT_DOUBLE_EQ(lidar.targets.pipeline.front().value, 0.98);
  ASSERT_EQ(lidar.targets.slices.size(), 1u);
  const SliceTarget& slice = lidar.targets.slices[0];
  ASSERT_EQ(slice.where.size(), 2u);
  bool saw_class = false, saw_range = false;
  for (const Condition& c : slice.where) {
    if (c.field == "class") {
      saw_class = true;
      EXPECT_EQ(std::get<std::string>(c.value), "pedestrian");
    }
    if (c.field == "range_m") {
      saw_range = true;
      const Range& r = std::get<Range>(c.value);
      EXPECT_EQ(r.lo, 0.0);
      EXPECT_EQ(r.hi, 30.0);
      EXPECT_TRUE(r.Contains(0));
      EXPECT_FALSE(r.Contains(30));
    }
  }
  EXPECT_TRUE(saw_class);
  EXPECT_TRUE(saw_range);
  ASSERT_EQ(slice.targets.size(), 1u);
  EXPECT_EQ(slice.targets[0].metric, "recall");
  EXPECT_DOUBLE_EQ(slice.targets[0].value, 0.995);

  EXPECT_EQ(cfg->FindPipeline("camera_front_2d")->match.kind, MatchRule::Kind::kIou);
  EXPECT_EQ(cfg->FindPipeline("camera_front_2d")->tolerances.min_iou, 0.75);
  EXPECT_EQ(cfg->FindPipeline("lanes")->match.kind, MatchRule::Kind::kPolylineMatchM);
  EXPECT_EQ(cfg->FindPipeline("lanes")->tolerances.polyline_m, 0.3);
  EXPECT_EQ(cfg->FindPipeline("drivable_area")->geometry, GeometryKind::kMask);
  const PipelineSpec& tags = *cfg->FindPipeline("scene_tags");
  EXPECT_EQ(tags.geometry, GeometryKind::kTags);
  EXPECT_EQ(tags.match.kind, MatchRule::Kind::kNone);
  EXPECT_EQ(cfg->FindPipeline("nope"), nullptr);
  EXPECT_EQ(cfg->FindVendor("nope"), nullptr);
  EXPECT_EQ(cfg->FindVendor("cortex")->name, "Cortex internal labeling");
}

TEST(ConfigTest, StarterConfigParses) {
  std::string starter = StarterConfigToml();
  auto cfg = ParseConfig(starter, "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->pipelines.size(), 1u);
  EXPECT_EQ(cfg->vendors.size(), 1u);
  EXPECT_EQ(cfg->pipelines[0].classes.size(), 2u);
  EXPECT_FALSE(cfg->pipelines[0].targets.slices.empty());
  EXPECT_FALSE(cfg->pipelines[0].targets.by_class.empty());
}

TEST(ConfigTest, StarterConfigLoadsFromAFolder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("gtops_config_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "gtops.toml") << StarterConfigToml();
  auto cfg = LoadConfig(dir.string());
  EXPECT_TRUE(cfg.ok()) << cfg.status().message();
  if (cfg.ok()) {
    EXPECT_EQ(cfg->source_path, (dir / "gtops.toml").string());
  }
  fs::remove_all(dir);
}

TEST(ConfigTest, LoadConfigPrefixesProblemsWithThePath) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("gtops_config_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "gtops.toml") << "[program]\nname = 3\n";
  auto cfg = LoadConfig(dir.string());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kBadConfig);
  EXPECT_EQ(cfg.status().message(), (dir / "gtops.toml").string() +
                                        ":2: program.name: expected a string, got an integer (3)");
  fs::remove_all(dir);
}

TEST(ConfigTest, MissingFileIsBadConfig) {
  auto cfg = LoadConfig("/nonexistent/program");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kBadConfig);
  EXPECT_NE(cfg.status().message().find("/nonexistent/program/gtops.toml: not found"),
            std::string::npos)
      << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("gtops init"), std::string::npos);
}

TEST(ConfigTest, SyntaxErrorGivesItsLine) {
  std::string text = Replace(kBase, "recall = 0.98", "recall = # no value");
  EXPECT_TRUE(HasProblem(text, "# no value", {}));
  EXPECT_EQ(ProblemCount(text), 1);
  auto r = ParseConfig("a = 1\nb = [1, 2\n", "x.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadConfig);
  EXPECT_EQ(r.status().message().rfind("x.toml:", 0), 0u) << r.status().message();
}

TEST(ConfigTest, EveryProblemIsReportedInLineOrder) {
  std::string text = Replace(kBase, "name = \"test program\"", "nmae = \"x\"");
  text = Replace(text, "tracking = true", "tracking = \"yes\"");
  text = Replace(text, "recall = 0.98", "recall = 1.5");
  auto r = ParseConfig(text, "gtops.toml");
  ASSERT_FALSE(r.ok());
  std::vector<std::string> lines = Lines(r.status().message());
  ASSERT_EQ(lines.size(), 3u) << r.status().message();
  EXPECT_EQ(lines[0].rfind("gtops.toml:2: ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("gtops.toml:10: ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("gtops.toml:" + std::to_string(LineContaining(text, "1.5")) + ": ", 0),
            0u)
      << lines[2];
}

TEST(ConfigTest, UnknownTopLevelKey) {
  std::string text = std::string(kBase) + "\n[[pipeline]]\nid = \"x\"\n";
  EXPECT_TRUE(HasProblem(text, "[[pipeline]]",
                         {"unknown top-level key \"pipeline\"", "did you mean \"pipelines\""}));
}

TEST(ConfigTest, ProgramKeys) {
  auto cfg = ParseConfig("[program]\nname = \"x\"\ndata = [\"a\", \"b/c\"]\n", "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->data, (std::vector<std::string>{"a", "b/c"}));
  auto empty = ParseConfig("", "gtops.toml");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->data, std::vector<std::string>{"data"});

  EXPECT_TRUE(
      HasProblem("[program]\ncolour = 1\n", "colour", {"program", "unknown key \"colour\""}));
  EXPECT_TRUE(HasProblem("[program]\ndata = \"data\"\n", "data",
                         {"program.data", "expected an array", "got a string (\"data\")"}));
  EXPECT_TRUE(HasProblem("[program]\ndata = [\"a\", 3]\n", "data",
                         {"program.data[1]", "expected a string", "got an integer (3)"}));
  EXPECT_TRUE(HasProblem("[program]\ndata = []\n", "data", {"program.data", "at least one"}));
  EXPECT_TRUE(HasProblem("program = 3\n", "program", {"program", "expected a table"}));
}

TEST(ConfigTest, VendorRules) {
  ExpectValid("[[vendors]]\nid = \"a\"\ncost_per_task_usd = 0\ncost_per_object_usd = 0.1\n");
  EXPECT_TRUE(HasProblem("[[vendors]]\nid = \"a\"\nrate = 3\n", "rate",
                         {"vendor \"a\"", "unknown key \"rate\""}));
  std::string dup = "[[vendors]]\nid = \"a\"\n\n[[vendors]] # second\nid = \"a\"\n";
  EXPECT_TRUE(HasProblem(dup, "# second", {"duplicate vendor id \"a\"", "first at line 1"}));
  EXPECT_TRUE(HasProblem("[[vendors]]\nname = \"A\"\n", "[[vendors]]",
                         {"vendors[0]", "missing required key \"id\""}));
  EXPECT_TRUE(HasProblem("[[vendors]]\nid = \"a\"\ncost_per_task_usd = -1\n", "cost_per_task_usd",
                         {"cost_per_task_usd", ">= 0", "-1"}));
  EXPECT_TRUE(HasProblem("[vendors]\nid = \"a\"\n", "[vendors]",
                         {"vendors", "expected an array of tables ([[vendors]])", "got a table"}));
}

TEST(ConfigTest, UnknownPipelineKey) {
  std::string text = Replace(kBase, "tracking = true", "tracking = true\ncolour = \"red\"");
  EXPECT_TRUE(HasProblem(text, "colour", {"pipeline \"cuboids\"", "unknown key \"colour\""}));
}

TEST(ConfigTest, PipelineRequiredKeys) {
  std::string no_id = Replace(kBase, "id = \"cuboids\"\n", "");
  EXPECT_TRUE(HasProblem(no_id, "[[pipelines]]", {"pipelines[0]", "missing required key \"id\""}));
  std::string no_geometry = Replace(kBase, "geometry = \"box3d\"\n", "");
  EXPECT_TRUE(HasProblem(no_geometry, "[[pipelines]]", {"missing required key \"geometry\""}));
  std::string no_match = Replace(kBase, "match = { bev_iou = 0.3 }\n", "");
  EXPECT_TRUE(HasProblem(no_match, "[[pipelines]]",
                         {"missing required key \"match\"", "bev_iou, center_distance_m"}));
}

TEST(ConfigTest, DuplicatePipelineId) {
  std::string text =
      std::string(kBase) + "\n[[pipelines]] # again\nid = \"cuboids\"\ngeometry = \"tags\"\n";
  EXPECT_TRUE(
      HasProblem(text, "# again", {"duplicate pipeline id \"cuboids\"", "first at line 7"}));
}

TEST(ConfigTest, GeometryMustBeKnown) {
  for (std::string_view g : {"box2d", "box3d", "polyline", "polygon", "mask", "tags"}) {
    std::string text = "[[pipelines]]\nid = \"p\"\ngeometry = \"" + std::string(g) + "\"\n";
    auto cfg = ParseConfig(text, "gtops.toml");
    // Only tags needs no match rule; the others fail on the missing rule, never on geometry.
    if (g == "tags") {
      EXPECT_TRUE(cfg.ok()) << cfg.status().message();
    } else {
      ASSERT_FALSE(cfg.ok());
      EXPECT_EQ(cfg.status().message().find("geometry must be"), std::string::npos);
    }
  }
  std::string text = Replace(kBase, "geometry = \"box3d\"", "geometry = \"cuboid\"");
  EXPECT_TRUE(HasProblem(text, "\"cuboid\"", {"geometry must be one of box2d", "\"cuboid\""}));
  // An unknown geometry does not also make the match rule wrong.
  EXPECT_EQ(ProblemCount(text), 1);
  std::string wrong_type = Replace(kBase, "geometry = \"box3d\"", "geometry = 3");
  EXPECT_TRUE(HasProblem(wrong_type, "geometry = 3",
                         {"geometry", "expected a string", "got an integer (3)"}));
}

TEST(ConfigTest, MatchRuleMustFitGeometry) {
  ExpectValid(OnePipeline("box2d", "{ iou = 0.5 }", ""));
  ExpectValid(OnePipeline("polygon", "{ iou = 0.5 }", ""));
  ExpectValid(OnePipeline("mask", "{ iou = 0.5 }", ""));
  ExpectValid(OnePipeline("box3d", "{ bev_iou = 0.5 }", ""));
  ExpectValid(OnePipeline("box3d", "{ center_distance_m = 2 }", ""));
  ExpectValid(OnePipeline("polyline", "{ polyline_match_m = 1.5 }", ""));

  EXPECT_TRUE(
      HasProblem(OnePipeline("box3d", "{ iou = 0.5 }", ""), "match",
                 {"match", "\"iou\" is not a match rule for box3d", "bev_iou, center_distance_m"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box2d", "{ bev_iou = 0.5 }", ""), "match",
                         {"\"bev_iou\" is not a match rule for box2d", "use iou"}));
  EXPECT_TRUE(HasProblem(OnePipeline("polyline", "{ iou = 0.5 }", ""), "match",
                         {"not a match rule for polyline", "polyline_match_m"}));
  EXPECT_TRUE(HasProblem(OnePipeline("mask", "{ center_distance_m = 1 }", ""), "match",
                         {"not a match rule for mask"}));
  EXPECT_TRUE(HasProblem(OnePipeline("tags", "{ iou = 0.5 }", ""), "match",
                         {"tags pipelines have no match rule"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box2d", "{ iuo = 0.5 }", ""), "match",
                         {"unknown match rule \"iuo\"", "did you mean \"iou\""}));
}

TEST(ConfigTest, MatchNeedsExactlyOneKey) {
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "{}", ""), "match",
                         {"match: must have exactly one key", "got 0"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "{ bev_iou = 0.3, center_distance_m = 1 }", ""),
                         "match", {"match: must have exactly one key", "got 2"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "\"bev_iou\"", ""), "match",
                         {"match", "expected a table", "got a string"}));
}

TEST(ConfigTest, MatchThresholdsMustBePositive) {
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "{ center_distance_m = 0 }", ""), "match",
                         {"match.center_distance_m", "must be > 0", "got 0"}));
  EXPECT_TRUE(
      HasProblem(OnePipeline("box2d", "{ iou = -0.5 }", ""), "match", {"match.iou", "(0, 1]"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box2d", "{ iou = 1.5 }", ""), "match",
                         {"match.iou", "(0, 1]", "1.5"}));
  EXPECT_TRUE(HasProblem(OnePipeline("polyline", "{ polyline_match_m = nan }", ""), "match",
                         {"polyline_match_m", "finite"}));
}

TEST(ConfigTest, TolerancesMustFitGeometry) {
  ExpectValid(OnePipeline("box2d", "{ iou = 0.5 }", "tolerances = { min_iou = 0.75 }"));
  ExpectValid(
      OnePipeline("polyline", "{ polyline_match_m = 1 }", "tolerances = { polyline_m = 0.3 }"));
  EXPECT_TRUE(HasProblem(OnePipeline("box2d", "{ iou = 0.5 }", "tolerances = { position_m = 0.3 }"),
                         "tolerances",
                         {"tolerances.position_m", "not a tolerance of box2d", "min_iou"}));
  EXPECT_TRUE(
      HasProblem(OnePipeline("box3d", "{ bev_iou = 0.5 }", "tolerances = { min_iou = 0.5 }"),
                 "tolerances", {"tolerances.min_iou", "not a tolerance of box3d"}));
  EXPECT_TRUE(HasProblem(OnePipeline("tags", "", "tolerances = { min_iou = 0.5 }"), "tolerances",
                         {"not a tolerance of tags", "none"}));
  EXPECT_TRUE(
      HasProblem(OnePipeline("box3d", "{ bev_iou = 0.5 }", "tolerances = { postion_m = 1 }"),
                 "tolerances", {"unknown key \"postion_m\"", "did you mean \"position_m\""}));
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "{ bev_iou = 0.5 }", "tolerances = { size_rel = 0 }"),
                         "tolerances", {"tolerances.size_rel", "must be > 0"}));
  EXPECT_TRUE(HasProblem(OnePipeline("box2d", "{ iou = 0.5 }", "tolerances = { min_iou = 2 }"),
                         "tolerances", {"tolerances.min_iou", "(0, 1]"}));
}

TEST(ConfigTest, SlaTurnaroundMustBePositive) {
  std::string zero = Replace(kBase, "turnaround_hours = 96", "turnaround_hours = 0");
  EXPECT_TRUE(HasProblem(zero, "turnaround_hours", {"sla.turnaround_hours", "must be > 0"}));
  std::string unknown = Replace(kBase, "turnaround_hours = 96", "turnaround_days = 4");
  EXPECT_TRUE(HasProblem(unknown, "turnaround_days", {"sla", "unknown key \"turnaround_days\""}));
}

TEST(ConfigTest, UnitsOnlyForPolylines) {
  auto cfg = ParseConfig(OnePipeline("polyline", "{ polyline_match_m = 20 }", "units = \"px\""),
                         "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->pipelines[0].units, "px");
  EXPECT_TRUE(HasProblem(OnePipeline("box3d", "{ bev_iou = 0.3 }", "units = \"px\""), "units",
                         {"units applies to polyline pipelines only"}));
  EXPECT_TRUE(HasProblem(OnePipeline("polyline", "{ polyline_match_m = 1 }", "units = \"cm\""),
                         "units", {"units must be \"m\" or \"px\"", "\"cm\""}));
}

TEST(ConfigTest, WrongTypesSayExpectedAndGot) {
  EXPECT_TRUE(HasProblem(Replace(kBase, "tracking = true", "tracking = \"yes\""), "tracking",
                         {"tracking", "expected a boolean", "got a string (\"yes\")"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "tracking = true", "spec_version = 3.2"), "spec_version",
                         {"spec_version", "expected a string", "got a float (3.2)"}));
  EXPECT_TRUE(
      HasProblem(Replace(kBase, "name = \"car\"", "name = \"car\"\n  safety_weight = \"high\""),
                 "high", {"class \"car\"", "safety_weight", "expected a number"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "recall = \"high\""), "high",
                         {"targets.recall", "expected a number", "got a string"}));
  EXPECT_TRUE(HasProblem("[[pipelines]]\nid = \"p\"\ngeometry = \"tags\"\nclasses = 3\n", "classes",
                         {"classes", "expected an array of tables", "got an integer"}));
}

TEST(ConfigTest, ClassRules) {
  EXPECT_TRUE(HasProblem(Replace(kBase, "name = \"car\"", "name = \"car\"\n  colour = 1"), "colour",
                         {"class \"car\"", "unknown key \"colour\""}));
  std::string dup = Replace(kBase, "name = \"pedestrian\"", "name = \"car\"");
  int second = LineContaining(dup, "match = { center_distance_m") - 2;
  auto r = ParseConfig(dup, "gtops.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("gtops.toml:" + std::to_string(second) +
                                      ": pipeline \"cuboids\": duplicate class \"car\""),
            std::string::npos)
      << r.status().message();
  EXPECT_TRUE(HasProblem(Replace(kBase, "  name = \"car\"\n", "  safety_weight = 2.0\n"),
                         "[[pipelines.classes]]", {"classes[0]", "missing required key \"name\""}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "name = \"car\"", "name = \"car\"\n  safety_weight = 0"),
                         "safety_weight", {"class \"car\"", "safety_weight", "must be > 0"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "name = \"car\"", "name = \"car\"\n  safety_weight = -2"),
                         "safety_weight", {"safety_weight", "must be > 0"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "center_distance_m = 1.0", "iou = 0.5"), "iou = 0.5",
                         {"class \"pedestrian\"", "\"iou\" is not a match rule for box3d"}));
}

TEST(ConfigTest, SizePriorRanges) {
  auto cfg =
      ParseConfig(Replace(kBase, "l = [2.5, 6.5]", "l = [2.5, 6.5], w = { lo = 1 }, h = [0, inf]"),
                  "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const ClassSpec& car = cfg->pipelines[0].classes[0];
  EXPECT_EQ(car.size_l->lo, 2.5);
  EXPECT_EQ(car.size_l->hi, 6.5);
  EXPECT_EQ(car.size_w->lo, 1.0);
  EXPECT_FALSE(car.size_w->hi.has_value());
  EXPECT_FALSE(car.size_h->hi.has_value());

  EXPECT_TRUE(HasProblem(Replace(kBase, "l = [2.5, 6.5]", "l = [6.5, 2.5]"), "size_prior_m",
                         {"size_prior_m.l", "lo must be less than hi", "[6.5, 2.5]"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "l = [2.5, 6.5]", "l = [2.5]"), "size_prior_m",
                         {"size_prior_m.l", "expected [lo, hi]"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "l = [2.5, 6.5]", "length = [2.5, 6.5]"), "size_prior_m",
                         {"size_prior_m", "unknown key \"length\""}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "l = [2.5, 6.5]", "l = [-1, 2]"), "size_prior_m",
                         {"size_prior_m.l", "lo must be >= 0"}));
  EXPECT_TRUE(
      HasProblem(OnePipeline("box2d", "{ iou = 0.5 }", "") + "  size_prior_m = { l = [1, 2] }\n",
                 "size_prior_m", {"size_prior_m applies to box3d pipelines only"}));
}

TEST(ConfigTest, AttributesAndKinematics) {
  std::string ok =
      Replace(kBase, "name = \"car\"",
              "name = \"car\"\n  required_attributes = [\"moving\"]\n"
              "  attributes = { moving = [true, false], lanes = [1, 2], kind = [\"a\"] }\n"
              "  kinematics = { max_speed_mps = 50 }");
  auto cfg = ParseConfig(ok, "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const ClassSpec& car = cfg->pipelines[0].classes[0];
  EXPECT_EQ(car.required_attributes, std::vector<std::string>{"moving"});
  ASSERT_EQ(car.attributes.at("moving").size(), 2u);
  EXPECT_EQ(std::get<bool>(car.attributes.at("moving")[0]), true);
  EXPECT_EQ(std::get<double>(car.attributes.at("lanes")[1]), 2.0);
  EXPECT_EQ(std::get<std::string>(car.attributes.at("kind")[0]), "a");
  EXPECT_EQ(car.kinematics->max_speed_mps, 50.0);

  EXPECT_TRUE(HasProblem(
      Replace(kBase, "name = \"car\"", "name = \"car\"\n  attributes = { moving = true }"),
      "attributes", {"attributes.moving", "expected an array"}));
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "name = \"car\"", "name = \"car\"\n  attributes = { moving = [[1]] }"),
      "attributes", {"attributes.moving[0]", "expected a string, number or boolean"}));
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "name = \"car\"", "name = \"car\"\n  required_attributes = \"moving\""),
      "required_attributes", {"required_attributes", "expected an array"}));
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "name = \"car\"", "name = \"car\"\n  kinematics = { max_speed_mps = -1 }"),
      "kinematics", {"kinematics.max_speed_mps", "must be > 0"}));
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "name = \"car\"", "name = \"car\"\n  kinematics = { top_speed = 1 }"),
      "kinematics", {"kinematics", "unknown key \"top_speed\""}));
}

TEST(ConfigTest, UnknownMetricInTargets) {
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "recal = 0.98"), "recal",
                         {"targets", "unknown metric \"recal\"", "did you mean \"recall\""}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "happiness = 0.98"), "happiness",
                         {"unknown metric \"happiness\"", "valid: recall, precision"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.99", "recal = 0.99"),
                         "recal = ", {"targets.by_class.pedestrian", "unknown metric \"recal\""}));
}

TEST(ConfigTest, TargetRanges) {
  std::string all = Replace(kBase, "recall = 0.98",
                            "recall = 1\nprecision = 0\nid_switch_rate = 2\nrework_rate = 0.1\n"
                            "position_error_p95_m = 0.25\ncost_per_accepted_task_usd = 0\n"
                            "heading_error_p95_deg = 5");
  ExpectValid(all);
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "recall = 98"), "recall = 98",
                         {"targets.recall", "must be in [0, 1]", "98"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "on_time_rate = -0.1"), "on_time_rate",
                         {"targets.on_time_rate", "[0, 1]"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "id_switch_rate = -0.01"),
                         "id_switch_rate", {"targets.id_switch_rate", "must be >= 0"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "heading_error_p95_deg = -5"),
                         "heading_error_p95_deg", {"heading_error_p95_deg", "must be >= 0"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "cost_per_accepted_task_usd = -3"),
                         "cost_per", {"cost_per_accepted_task_usd", "must be >= 0"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.98", "rework_rate = 1.2"), "rework_rate",
                         {"rework_rate", "[0, 1]"}));
}

TEST(ConfigTest, ByClassMustNameAListedClass) {
  auto cfg = ParseConfig(std::string(kBase), "gtops.toml");
  ASSERT_TRUE(cfg.ok());
  ASSERT_EQ(cfg->pipelines[0].targets.by_class.at("pedestrian").size(), 1u);
  EXPECT_DOUBLE_EQ(cfg->pipelines[0].targets.by_class.at("pedestrian")[0].value, 0.99);
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "by_class.pedestrian", "by_class.pedestrain"), "pedestrain",
      {"targets.by_class", "\"pedestrain\" is not a class", "did you mean \"pedestrian\""}));
}

TEST(ConfigTest, SliceWhereFields) {
  std::string text = Replace(kBase, "where = { class = \"pedestrian\" }",
                             "where = { vendor = \"acme\", annotator = \"a1\", batch = \"b7\", "
                             "week = \"2026-W07\", spec_version = \"3.2\", tool_version = \"9\", "
                             "\"scene.weather\" = \"rain\", \"attr.moving\" = true, "
                             "num_points = [10, inf], range_m = { lo = 30 } }");
  auto cfg = ParseConfig(text, "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  const auto& where = cfg->pipelines[0].targets.slices[0].where;
  ASSERT_EQ(where.size(), 10u);
  std::map<std::string, const Condition*> by_field;
  for (const Condition& c : where) by_field[c.field] = &c;
  EXPECT_EQ(std::get<std::string>(by_field.at("week")->value), "2026-W07");
  EXPECT_EQ(std::get<std::string>(by_field.at("scene.weather")->value), "rain");
  EXPECT_EQ(std::get<bool>(by_field.at("attr.moving")->value), true);
  const Range& points = std::get<Range>(by_field.at("num_points")->value);
  EXPECT_EQ(points.lo, 10.0);
  EXPECT_FALSE(points.hi.has_value());
  const Range& range = std::get<Range>(by_field.at("range_m")->value);
  EXPECT_EQ(range.lo, 30.0);
  EXPECT_FALSE(range.hi.has_value());
  EXPECT_TRUE(range.Contains(1e9));

  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }",
                                 "class = \"pedestrian\", "
                                 "colour = \"red\" }"),
                         "colour",
                         {"targets.slices[0].where", "unknown field \"colour\"", "scene.<key>"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "class = \"unicorn\" }"),
                         "unicorn", {"where.class", "\"unicorn\" is not a class"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "week = \"2026-07\" }"),
                         "2026-07", {"where.week", "ISO week"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "week = \"2026-W54\" }"),
                         "2026-W54", {"where.week"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "range_m = [30, 10] }"),
                         "range_m", {"where.range_m", "lo must be less than hi"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "range_m = [inf, 10] }"),
                         "range_m", {"where.range_m", "lo cannot be inf"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "range_m = 30 }"), "range_m",
                         {"where.range_m", "expected [lo, hi]", "got an integer"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "range_m = { low = 3 } }"),
                         "range_m",
                         {"where.range_m", "unknown key \"low\"", "did you mean \"lo\""}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "vendor = 3 }"), "vendor = 3",
                         {"where.vendor", "expected a string"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "class = \"pedestrian\" }", "scene = \"rain\" }"), "scene",
                         {"\"scene\" needs a key"}));
}

TEST(ConfigTest, SliceWhereNestedSceneMeansDottedKey) {
  for (std::string_view where :
       {"where = { scene = { weather = \"rain\" } }", "where = { scene.weather = \"rain\" }",
        "where = { \"scene.weather\" = \"rain\" }"}) {
    auto cfg =
        ParseConfig(Replace(kBase, "where = { class = \"pedestrian\" }", where), "gtops.toml");
    ASSERT_TRUE(cfg.ok()) << where << ": " << cfg.status().message();
    const auto& conditions = cfg->pipelines[0].targets.slices[0].where;
    ASSERT_EQ(conditions.size(), 1u) << where;
    EXPECT_EQ(conditions[0].field, "scene.weather");
    EXPECT_EQ(std::get<std::string>(conditions[0].value), "rain");
  }
  EXPECT_TRUE(
      HasProblem(Replace(kBase, "where = { class = \"pedestrian\" }",
                         "where = { scene.weather = \"rain\", \"scene.weather\" = \"sun\" }"),
                 "where", {"\"scene.weather\" is given twice"}));
  EXPECT_TRUE(HasProblem(
      Replace(kBase, "where = { class = \"pedestrian\" }", "where = { attr.moving = { a = 1 } }"),
      "where", {"where.attr.moving", "expected a string, number or boolean"}));
}

TEST(ConfigTest, SliceNeedsWhereAndTargets) {
  EXPECT_TRUE(HasProblem(Replace(kBase, "  where = { class = \"pedestrian\" }\n", ""),
                         "[[pipelines.targets.slices]]",
                         {"slices[0]", "missing required key \"where\""}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "  recall = 0.995\n", ""), "[[pipelines.targets.slices]]",
                         {"slices[0]", "sets no target"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "where = { class = \"pedestrian\" }", "where = {}"),
                         "where", {"where", "at least one condition"}));
  EXPECT_TRUE(HasProblem(Replace(kBase, "recall = 0.995", "recall = 2"), "recall = 2",
                         {"slices[0].recall", "[0, 1]"}));
}

TEST(ConfigTest, NamesAndMetricHelpers) {
  EXPECT_EQ(Name(MatchRule::Kind::kIou), "iou");
  EXPECT_EQ(Name(MatchRule::Kind::kBevIou), "bev_iou");
  EXPECT_EQ(Name(MatchRule::Kind::kCenterDistanceM), "center_distance_m");
  EXPECT_EQ(Name(MatchRule::Kind::kPolylineMatchM), "polyline_match_m");
  EXPECT_EQ(Name(MatchRule::Kind::kNone), "none");
  EXPECT_EQ(TargetMetricNames().size(), 17u);
  EXPECT_TRUE(MetricHigherIsBetter("recall"));
  EXPECT_TRUE(MetricHigherIsBetter("on_time_rate"));
  EXPECT_FALSE(MetricHigherIsBetter("rework_rate"));
  EXPECT_FALSE(MetricHigherIsBetter("heading_error_p95_deg"));
  EXPECT_FALSE(MetricHigherIsBetter("cost_per_accepted_task_usd"));
  EXPECT_FALSE(MetricHigherIsBetter("nonsense"));
}

// [sampling] defaults and a pipeline's [pipelines.sampling] overrides (docs/config.md "Sampling").
std::string WithSampling(std::string_view defaults, std::string_view pipeline) {
  std::string s(kBase);
  if (!pipeline.empty()) s += "\n  [pipelines.sampling]\n" + std::string(pipeline) + "\n";
  if (!defaults.empty()) s += "\n[sampling]\n" + std::string(defaults) + "\n";
  return s;
}

TEST(ConfigTest, SamplingDefaultsAndPipelineOverrides) {
  auto cfg = ParseConfig(WithSampling("aql = 0.01\nltpd = 0.05\nalpha = 0.05\nbeta = 0.1\nbudget = 200\n"
                                      "stratify = [\"vendor\", \"scene.weather\"]\nseed = 7",
                                      "  n = 80\n  c = 2\n  seed = 3"),
                         "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->sampling.aql, 0.01);
  EXPECT_EQ(cfg->sampling.stratify, (std::vector<std::string>{"vendor", "scene.weather"}));
  // The pipeline's n and c replace the defaults' aql and ltpd; the rest is inherited or overridden.
  const SamplingSpec s = cfg->SamplingFor("cuboids");
  EXPECT_FALSE(s.aql.has_value());
  EXPECT_FALSE(s.ltpd.has_value());
  EXPECT_EQ(s.n, 80);
  EXPECT_EQ(s.c, 2);
  EXPECT_EQ(s.seed, 3);
  EXPECT_EQ(s.budget, 200);
  EXPECT_EQ(s.alpha, 0.05);
  EXPECT_EQ(s.stratify, cfg->sampling.stratify);
  // A pipeline without a table of its own, or unknown, gets the defaults.
  EXPECT_EQ(cfg->SamplingFor("nope").aql, 0.01);
  // No [sampling] at all: nothing set.
  auto plain = ParseConfig(std::string(kBase), "gtops.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->SamplingFor("cuboids").line, 0);
  EXPECT_FALSE(plain->SamplingFor("cuboids").aql.has_value());
}

TEST(ConfigTest, StarterSamplingSectionParsesWhenUncommented) {
  std::string starter = StarterConfigToml();
  const size_t at = starter.find("# [sampling]");
  ASSERT_NE(at, std::string::npos);
  std::string tail = starter.substr(at), uncommented;
  for (const std::string& line : Lines(tail)) uncommented += (line.rfind("# ", 0) == 0 ? line.substr(2) : line) + "\n";
  auto cfg = ParseConfig(starter.substr(0, at) + uncommented, "gtops.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->sampling.aql, 0.01);
  EXPECT_EQ(cfg->sampling.budget, 120);
}

TEST(ConfigTest, SamplingBadValuesNameTheirLine) {
  EXPECT_TRUE(HasProblem(WithSampling("aql = 1.5\nltpd = 0.05", ""), "aql = 1.5", {"sampling.aql", "must be in (0, 1)"}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.01\nltpd = \"5%\"", ""), "ltpd = ", {"sampling.ltpd", "expected a number"}));
  EXPECT_TRUE(HasProblem(WithSampling("plan = \"dubble\"", ""), "plan = ", {"unknown plan \"dubble\"", "did you mean \"double\""}));
  EXPECT_TRUE(HasProblem(WithSampling("budget = 0", ""), "budget = 0", {"sampling.budget", "must be >= 1"}));
  EXPECT_TRUE(HasProblem(WithSampling("budget = 2.5", ""), "budget = 2.5", {"sampling.budget", "expected an integer"}));
  EXPECT_TRUE(HasProblem(WithSampling("seed = -1", ""), "seed = -1", {"sampling.seed", "must be >= 0"}));
  EXPECT_TRUE(HasProblem(WithSampling("stratify = [\"vendr\"]", ""), "stratify", {"unknown key \"vendr\"", "did you mean \"vendor\""}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.01\nltpd = 0.05\nbudgt = 5", ""), "budgt", {"sampling: unknown key \"budgt\""}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.05\nltpd = 0.01", ""), "[sampling]", {"aql (0.05) must be below ltpd (0.01)"}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.05", ""), "[sampling]", {"aql and ltpd go together"}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.01\nltpd = 0.05\nn = 50\nc = 1", ""), "[sampling]", {"either aql and ltpd", "not both"}));
  EXPECT_TRUE(HasProblem(WithSampling("n = 50\nc = 50", ""), "[sampling]", {"c (50) must be below n (50)"}));
  EXPECT_TRUE(HasProblem(WithSampling("n = 50\nc = 1\nbudget = 20", ""), "[sampling]", {"budget (20) is below the plan's n (50)"}));
  // A pipeline's table is checked merged with the defaults, at its own line.
  EXPECT_TRUE(HasProblem(WithSampling("n = 50\nc = 1", "  plan = \"sprt\""), "[pipelines.sampling]",
                         {"pipeline \"cuboids\": sampling", "plan \"sprt\" is designed from aql and ltpd"}));
  EXPECT_TRUE(HasProblem(WithSampling("aql = 0.01\nltpd = 0.05", "  aql = 0.1"), "[pipelines.sampling]",
                         {"pipeline \"cuboids\"", "aql (0.1) must be below ltpd (0.05)"}));
  // Overriding one key keeps the other: ltpd 0.2 with the default aql 0.01.
  auto one = ParseConfig(WithSampling("aql = 0.01\nltpd = 0.05", "  ltpd = 0.2"), "gtops.toml");
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->SamplingFor("cuboids").aql, 0.01);
  EXPECT_EQ(one->SamplingFor("cuboids").ltpd, 0.2);
  EXPECT_TRUE(HasProblem(WithSampling("", "  c = -1"), "c = -1", {"pipeline \"cuboids\": sampling.c", "must be >= 0"}));
}

}  // namespace
}  // namespace gtops
