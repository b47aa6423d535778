#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"
#include "demo/generator.h"
#include "demo/json_line.h"
#include "demo/mask_rle.h"
#include "demo/rng.h"

namespace gtops {
namespace {

namespace fs = std::filesystem;

// A strict JSON checker (RFC 8259 grammar) that also collects the top-level keys and the values
// of top-level strings, numbers and literals as written.
class JsonCheck {
 public:
  explicit JsonCheck(std::string_view s) : s_(s) {}

  bool Document() {
    Ws();
    if (!Value(0)) return false;
    Ws();
    return i_ == s_.size();
  }
  const std::map<std::string, std::string>& top() const { return top_; }

 private:
  bool Value(int depth) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Object(depth);
    if (c == '[') return Array(depth);
    if (c == '"') return String(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s_.substr(i_, lit.size()) == lit) {
        i_ += lit.size();
        return true;
      }
    }
    return false;
  }
  bool Object(int depth) {
    ++i_;
    Ws();
    if (Peek('}')) return ++i_, true;
    for (;;) {
      Ws();
      std::string key;
      if (!String(&key)) return false;
      Ws();
      if (!Peek(':')) return false;
      ++i_;
      Ws();
      const size_t start = i_;
      if (!Value(depth + 1)) return false;
      if (depth == 0) {
        std::string v(s_.substr(start, i_ - start));
        if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
        if (!top_.emplace(key, v).second) return false;  // duplicate key
      }
      Ws();
      if (Peek('}')) return ++i_, true;
      if (!Peek(',')) return false;
      ++i_;
    }
  }
  bool Array(int depth) {
    ++i_;
    Ws();
    if (Peek(']')) return ++i_, true;
    for (;;) {
      Ws();
      if (!Value(depth + 1)) return false;
      Ws();
      if (Peek(']')) return ++i_, true;
      if (!Peek(',')) return false;
      ++i_;
    }
  }
  bool String(std::string* out) {
    if (!Peek('"')) return false;
    ++i_;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        const char e = s_[i_++];
        if (std::string_view("\"\\/bfnrtu").find(e) == std::string_view::npos) return false;
        if (e == 'u') i_ += 4;
        if (out != nullptr) out->push_back(e);
        continue;
      }
      if (out != nullptr) out->push_back(c);
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (Peek('-')) ++i_;
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
    if (s_[i_] == '0' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1]))) {
      return false;  // leading zero
    }
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (Peek('.')) {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (Peek('e') || Peek('E')) {
      ++i_;
      if (Peek('+') || Peek('-')) ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > start;
  }
  bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::map<std::string, std::string> top_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Every file under dir, relative path -> bytes.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = ReadFile(e.path());
  }
  return files;
}

fs::path TempDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() /
                     ("gtops_demo_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

DemoOptions Small() {
  DemoOptions o;
  o.scenes = 30;
  o.threads = 2;
  return o;
}

TEST(FormatFixed, RoundsAndDropsTrailingZeros) {
  demo::JsonLine j;
  j.Fixed(12.1, 3).Char(' ').Fixed(-0.0004, 3).Char(' ').Fixed(-2.5, 1).Char(' ');
  j.Fixed(3.0, 3).Char(' ').Fixed(0.0005, 3).Char(' ').Fixed(-1.23456, 4).Char(' ');
  j.Fixed(1234567.891, 2).Char(' ').Fixed(0.999, 2);
  EXPECT_EQ(j.str(), "12.1 0 -2.5 3 0.001 -1.2346 1234567.89 1");
}

TEST(JsonLine, EscapesStrings) {
  demo::JsonLine j;
  j.Char('{').KeyStr("a", "x\"y\\z\n").Key("b").Int(-42).Char('}');
  EXPECT_EQ(j.str(), R"({"a":"x\"y\\z\u000a","b":-42})");
  EXPECT_TRUE(JsonCheck(j.str()).Document());
}

TEST(CocoRle, EncodesAsPycocotools) {
  // Worked by hand from maskApi.c's rleToString: 3 -> '3'; 100 -> groups 4|0x20, 3 -> 'T3';
  // 6 -> '6'; from the fourth count on, the difference to the count two before is encoded:
  // 2 - 100 = -98 -> groups 30|0x20 ('n'), then -4 & 31 = 28 ('L').
  const std::vector<int64_t> counts = {3, 100, 6, 2};
  EXPECT_EQ(demo::CocoRleString(counts), "3T36nL");
}

TEST(ColumnMask, CountsAndIou) {
  // Two columns of height 4: column 0 set from row 1, column 1 empty.
  const std::vector<int> top = {1, 4};
  std::vector<int64_t> counts;
  demo::ColumnMaskCounts(top, 4, counts);
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 3, 4}));
  const std::vector<int> other = {2, 4};
  EXPECT_DOUBLE_EQ(demo::ColumnMaskIou(top, other, 4), 2.0 / 3.0);
}

TEST(Rng, IsDeterministicAndUniform) {
  demo::Rng a(42), b(42), c(43);
  EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(a.Next(), c.Next());
  double sum = 0;
  for (int i = 0; i < 10000; ++i) sum += a.Uniform();
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

class DemoProgramTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(TempDir("small"));
    Result<DemoSummary> r = WriteDemoProgram(Small(), dir_->string());
    ASSERT_TRUE(r.ok()) << r.status().message();
    summary_ = new DemoSummary(r.value());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete summary_;
  }
  static fs::path* dir_;
  static DemoSummary* summary_;
};
fs::path* DemoProgramTest::dir_ = nullptr;
DemoSummary* DemoProgramTest::summary_ = nullptr;

TEST_F(DemoProgramTest, EveryLineIsJsonAndCountsMatchTheSummary) {
  int64_t labels = 0, objects = 0, events = 0, audits = 0, vendor = 0, gold = 0, model = 0;
  std::set<std::string> pipelines, tasks, gold_tasks;
  for (const auto& e : fs::recursive_directory_iterator(*dir_ / "data")) {
    if (!e.is_regular_file()) continue;
    for (const std::string& line : Lines(ReadFile(e.path()))) {
      JsonCheck j(line);
      ASSERT_TRUE(j.Document()) << e.path() << ": " << line.substr(0, 300);
      const auto& top = j.top();
      const int kinds = static_cast<int>(top.count("objects") + top.count("event") +
                                         top.count("verdict"));
      ASSERT_EQ(kinds, 1) << line.substr(0, 300);
      ASSERT_TRUE(top.count("pipeline") && top.count("task")) << line.substr(0, 300);
      pipelines.insert(top.at("pipeline"));
      if (top.count("objects")) {
        ++labels;
        const std::string& arr = top.at("objects");
        // Objects are the array's top-level elements: count `{"id":` openings.
        for (size_t p = arr.find("{\"id\":"); p != std::string::npos; p = arr.find("{\"id\":", p + 1)) ++objects;
        const std::string& source = top.at("source");
        if (source == "vendor") {
          ++vendor;
          EXPECT_TRUE(top.count("batch") && top.count("vendor") && top.count("annotator"));
        } else if (source == "gold") {
          ++gold;
          gold_tasks.insert(top.at("task"));
          EXPECT_FALSE(top.count("vendor"));
        } else {
          ASSERT_EQ(source, "model");
          ++model;
          EXPECT_NE(arr.find("\"score\":"), std::string::npos);
        }
      } else if (top.count("event")) {
        ++events;
        tasks.insert(top.at("task"));
      } else {
        ++audits;
      }
    }
  }
  EXPECT_EQ(pipelines.size(), 12u);
  EXPECT_EQ(labels, summary_->label_records);
  EXPECT_EQ(objects, summary_->objects);
  EXPECT_EQ(events, summary_->events);
  EXPECT_EQ(audits, summary_->audits);
  EXPECT_EQ(static_cast<int64_t>(tasks.size()), summary_->tasks);
  EXPECT_EQ(static_cast<int64_t>(gold_tasks.size()), summary_->gold_tasks);
  EXPECT_EQ(summary_->tasks, 12 * 30);
  EXPECT_GT(vendor, 0);
  EXPECT_GT(gold, 0);
  EXPECT_GT(model, 0);
}

TEST_F(DemoProgramTest, AnswerKeyListsFaultsAndErrorsReferToThem) {
  const std::string key = ReadFile(*dir_ / "answers" / "key.json");
  JsonCheck k(key);
  ASSERT_TRUE(k.Document());
  for (const char* field : {"faults", "ops_faults", "truth_objects", "frames_per_task", "seed"}) {
    EXPECT_TRUE(k.top().count(field)) << field;
  }
  const std::vector<std::string> kinds = DemoFaultKinds();
  ASSERT_GE(kinds.size(), 10u);
  for (const std::string& kind : kinds) {
    EXPECT_NE(key.find("\"kind\":\"" + kind + "\""), std::string::npos) << kind;
  }
  const std::vector<std::string> errors = Lines(ReadFile(*dir_ / "answers" / "errors.jsonl"));
  EXPECT_EQ(static_cast<int64_t>(errors.size()), summary_->errors_injected);
  std::map<std::string, int> by_fault, by_type;
  for (const std::string& line : errors) {
    JsonCheck j(line);
    ASSERT_TRUE(j.Document()) << line;
    const auto& top = j.top();
    for (const char* field : {"pipeline", "frame", "type", "fault", "vendor", "annotator", "object",
                              "gold_object"}) {
      ASSERT_TRUE(top.count(field)) << field << " in " << line;
    }
    ++by_fault[top.at("fault")];
    ++by_type[top.at("type")];
    if (top.at("type") == "missing" || top.at("type") == "tag") {
      EXPECT_FALSE(top.count("label")) << line;
    } else {
      EXPECT_TRUE(top.count("label")) << line;
    }
  }
  EXPECT_GT(by_fault["null"], 0);  // background errors
  for (const char* type : {"missing", "extra", "wrong_class", "position", "size", "heading_flip",
                           "attribute", "geometry", "tag", "id_switch"}) {
    EXPECT_GT(by_type[type], 0) << type;
  }
  int faults_seen = 0;
  for (const auto& [fault, n] : by_fault) faults_seen += fault != "null" ? 1 : 0;
  EXPECT_GE(faults_seen, 6);  // 30 scenes: most faults fire; the rare conditions may not
}

TEST_F(DemoProgramTest, ConfigParses) {
  Result<ProgramConfig> config = LoadConfig(dir_->string());
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->pipelines.size(), 12u);
  EXPECT_EQ(config->vendors.size(), 4u);
  const PipelineSpec* lights = config->FindPipeline("traffic_lights");
  ASSERT_NE(lights, nullptr);
  ASSERT_NE(lights->FindClass("traffic_light"), nullptr);
  EXPECT_EQ(lights->FindClass("traffic_light")->required_attributes,
            std::vector<std::string>{"state"});
}

TEST(WriteDemoProgram, SameSeedSameBytesWhateverTheThreads) {
  const fs::path a = TempDir("det_a"), b = TempDir("det_b"), c = TempDir("det_c");
  DemoOptions o = Small();
  o.scenes = 12;
  o.threads = 1;
  ASSERT_TRUE(WriteDemoProgram(o, a.string()).ok());
  o.threads = 2;
  ASSERT_TRUE(WriteDemoProgram(o, b.string()).ok());
  o.seed = 8;
  ASSERT_TRUE(WriteDemoProgram(o, c.string()).ok());
  const auto sa = Snapshot(a), sb = Snapshot(b), sc = Snapshot(c);
  EXPECT_EQ(sa, sb);
  ASSERT_EQ(sa.count("data/lidar_urban/labels-0000.jsonl"), 1u);
  EXPECT_NE(sa.at("data/lidar_urban/labels-0000.jsonl"), sc.at("data/lidar_urban/labels-0000.jsonl"));
  for (const fs::path& p : {a, b, c}) fs::remove_all(p);
}

TEST(WriteDemoProgram, SplitPartsHoldTheSameLines) {
  const fs::path a = TempDir("split_a"), b = TempDir("split_b");
  DemoOptions o = Small();
  o.scenes = 6;
  o.pipelines = {"lidar_urban"};
  ASSERT_TRUE(WriteDemoProgram(o, a.string()).ok());
  o.split_bytes = 20000;
  ASSERT_TRUE(WriteDemoProgram(o, b.string()).ok());
  const std::string whole = ReadFile(a / "data/lidar_urban/labels-0000.jsonl");
  std::string parts = ReadFile(b / "data/lidar_urban/labels-0000.jsonl");
  ASSERT_TRUE(fs::exists(b / "data/lidar_urban/labels-0000-p1.jsonl"));
  for (int p = 1; fs::exists(b / ("data/lidar_urban/labels-0000-p" + std::to_string(p) + ".jsonl")); ++p) {
    parts += ReadFile(b / ("data/lidar_urban/labels-0000-p" + std::to_string(p) + ".jsonl"));
  }
  EXPECT_EQ(whole, parts);
  for (const fs::path& p : {a, b}) fs::remove_all(p);
}

TEST(WriteDemoProgram, CompressedFilesCarryTheirMagicAndTheSameCounts) {
  for (const char* c : {"gz", "zst"}) {
    const fs::path d = TempDir(std::string("compress_") + c);
    DemoOptions o = Small();
    o.scenes = 4;
    o.compression = c;
    Result<DemoSummary> r = WriteDemoProgram(o, d.string());
    ASSERT_TRUE(r.ok()) << r.status().message();
    const std::string bytes = ReadFile(d / ("data/lidar_urban/labels-0000.jsonl." + std::string(c)));
    ASSERT_GE(bytes.size(), 4u);
    if (std::string(c) == "gz") {
      EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8b);
    } else {
      EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x28);
      EXPECT_EQ(static_cast<unsigned char>(bytes[3]), 0xfd);
    }
    o.compression = "";
    const fs::path plain = TempDir(std::string("plain_") + c);
    Result<DemoSummary> p = WriteDemoProgram(o, plain.string());
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(r->objects, p->objects);
    EXPECT_EQ(r->errors_injected, p->errors_injected);
    fs::remove_all(d);
    fs::remove_all(plain);
  }
}

TEST(WriteDemoProgram, NoFaultsMeansOnlyBackgroundErrors) {
  const fs::path d = TempDir("nofaults");
  DemoOptions o = Small();
  o.scenes = 8;
  o.faults = {"none"};
  ASSERT_TRUE(WriteDemoProgram(o, d.string()).ok());
  const std::string key = ReadFile(d / "answers/key.json");
  EXPECT_NE(key.find("\"faults\": []"), std::string::npos);
  EXPECT_NE(key.find("\"ops_faults\": []"), std::string::npos);
  for (const std::string& line : Lines(ReadFile(d / "answers/errors.jsonl"))) {
    EXPECT_NE(line.find("\"fault\":null"), std::string::npos) << line;
  }
  fs::remove_all(d);
}

TEST(WriteDemoProgram, ChosenFaultsAndPipelinesOnly) {
  const fs::path d = TempDir("chosen");
  DemoOptions o = Small();
  o.scenes = 8;
  o.pipelines = {"lidar_urban", "scene_tags"};
  o.faults = {"annotator_flip", "dusk_as_day", "lane_shift_rain"};  // lanes not chosen: dropped
  Result<DemoSummary> r = WriteDemoProgram(o, d.string());
  ASSERT_TRUE(r.ok());
  const std::string key = ReadFile(d / "answers/key.json");
  EXPECT_NE(key.find("annotator_flip"), std::string::npos);
  EXPECT_NE(key.find("dusk_as_day"), std::string::npos);
  EXPECT_EQ(key.find("lane_shift_rain"), std::string::npos);
  EXPECT_EQ(r->tasks, 16);
  EXPECT_TRUE(fs::exists(d / "data/scene_tags"));
  EXPECT_FALSE(fs::exists(d / "data/lanes"));
  fs::remove_all(d);
}

TEST(WriteDemoProgram, RejectsUnknownNames) {
  const fs::path d = TempDir("bad");
  DemoOptions o = Small();
  o.pipelines = {"lidar_everything"};
  EXPECT_EQ(WriteDemoProgram(o, d.string()).status().code(), StatusCode::kUsage);
  o = Small();
  o.faults = {"gremlins"};
  EXPECT_EQ(WriteDemoProgram(o, d.string()).status().code(), StatusCode::kUsage);
  o = Small();
  o.compression = "bz2";
  EXPECT_EQ(WriteDemoProgram(o, d.string()).status().code(), StatusCode::kUsage);
  o = Small();
  o.scenes = 0;
  EXPECT_EQ(WriteDemoProgram(o, d.string()).status().code(), StatusCode::kUsage);
  fs::remove_all(d);
}

}  // namespace
}  // namespace gtops
