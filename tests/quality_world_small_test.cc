// The quality engine on the public test world: every pipeline evaluated vendor-vs-gold from the
// store, and the errors found scored against the world's answer key (answers/errors.jsonl,
// written by the world's generator: evidence from outside gtops), restricted to frames with gold.
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "evaluate/evaluate.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "test_util.h"

namespace gtops {
namespace {

using testing::TempDir;
using testing::WorldSmall;

// (pipeline, frame, annotator, object: the label id, the gold id for `missing`, the tag name for
// `tag`; type, with the attribute's name for `attribute`).
using ErrorKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;

std::string TypeKey(ErrorType t, std::string_view attribute) {
  return t == ErrorType::kAttribute ? fmt::format("attribute:{}", attribute) : std::string(Name(t));
}

TEST(QualityWorldSmall, FindsTheInjectedErrorsOfGoldFrames) {
  TempDir tmp;
  auto config = LoadConfig(WorldSmall());
  ASSERT_TRUE(config.ok()) << config.status().message();
  auto store = OpenStore(StoreOptions{tmp / "gtops.db", false});
  ASSERT_TRUE(store.ok()) << store.status().message();
  IngestOptions ingest;
  ingest.program_dir = WorldSmall();
  auto report = Ingest(**store, *config, ingest);
  ASSERT_TRUE(report.ok()) << report.status().message();

  std::set<ErrorKey> found;
  std::set<std::pair<std::string, std::string>> gold_frames;
  std::map<std::string, int64_t> gold_records;
  for (const PipelineSpec& p : config->pipelines) {
    EvaluateOptions options;
    options.pipeline = p.id;
    options.metrics.resamples = 200;
    options.on_comparison = [&](const FrameLabels& frame, const LabelRecord& compared,
                                const quality::FrameComparison& cmp) {
      gold_frames.emplace(frame.pipeline, frame.frame);
      for (const quality::Outcome& o : cmp.outcomes) {
        for (int t = 0; t < kErrorTypeCount; ++t) {
          if (!(o.errors & (quality::ErrorMask{1} << t))) continue;
          auto type = static_cast<ErrorType>(t);
          std::string object;
          if (type == ErrorType::kMissing) {
            object = cmp.reference->objects[static_cast<size_t>(o.reference)].id;
          } else if (type == ErrorType::kTag) {
            object = std::string(o.tag);
          } else {
            object = compared.objects[static_cast<size_t>(o.label)].id;
          }
          if (type == ErrorType::kAttribute) {
            for (uint32_t i = o.attribute_begin; i < o.attribute_end; ++i) {
              if (cmp.attributes[i].equal) continue;
              found.emplace(frame.pipeline, frame.frame, compared.annotator, object,
                            TypeKey(type, cmp.attributes[i].name));
            }
          } else {
            found.emplace(frame.pipeline, frame.frame, compared.annotator, object, TypeKey(type, ""));
          }
        }
      }
    };
    auto result = EvaluatePipeline(**store, *config, options);
    ASSERT_TRUE(result.ok()) << p.id << ": " << result.status().message();
    EXPECT_GT(result->frames_compared, 0) << p.id;
    EXPECT_FALSE(result->metrics.empty()) << p.id;
    for (const auto& m : result->metrics) {
      EXPECT_LE(m.lo, m.value + 1e-12) << p.id << " " << m.name;
      EXPECT_GE(m.hi, m.value - 1e-12) << p.id << " " << m.name;
      if (m.name.find("_p") == std::string::npos) {
        EXPECT_LT(m.lo, m.hi) << p.id << " " << m.name;
      }
    }
    gold_records[p.id] = result->frames_compared;
  }
  // The store's frames with gold are the README's gold records (one gold record per frame).
  int64_t total_gold_frames = 0;
  for (const auto& [p, n] : gold_records) total_gold_frames += n;
  EXPECT_EQ(total_gold_frames, 2500);

  // The outcomes table holds one evaluation run per pipeline.
  auto runs = (*store)->QueryReadOnly("SELECT count(*) FROM evaluation_runs");
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(*runs->rows[0][0], "12");

  std::set<ErrorKey> expected;
  std::ifstream in(WorldSmall() + "/answers/errors.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto e = nlohmann::json::parse(line);
    std::string pipeline = e["pipeline"], frame = e["frame"], type = e["type"];
    if (!gold_frames.count({pipeline, frame})) continue;
    std::string object;
    if (type == "missing") {
      object = e["gold_object"].get<std::string>();
    } else if (type == "tag") {
      object = e["tag"].get<std::string>();
    } else {
      object = e["label"].get<std::string>();
    }
    if (type == "attribute") type += ":" + e["attribute"].get<std::string>();
    expected.emplace(pipeline, frame, e["annotator"].get<std::string>(), object, type);
  }

  auto base = [](const std::string& type) { return type.substr(0, type.find(':')); };
  std::map<std::string, std::array<int64_t, 3>> per_type;  // answers, found, both
  for (const ErrorKey& k : expected) ++per_type[base(std::get<4>(k))][0];
  for (const ErrorKey& k : found) {
    ++per_type[base(std::get<4>(k))][1];
    if (expected.count(k)) ++per_type[base(std::get<4>(k))][2];
  }
  std::printf("%-14s %8s %8s %8s %8s %9s\n", "type", "answers", "found", "both", "recall", "precision");
  for (const auto& [type, c] : per_type) {
    double recall = c[0] ? static_cast<double>(c[2]) / static_cast<double>(c[0]) : NAN;
    double precision = c[1] ? static_cast<double>(c[2]) / static_cast<double>(c[1]) : NAN;
    std::printf("%-14s %8lld %8lld %8lld %8.4f %9.4f\n", type.c_str(), static_cast<long long>(c[0]),
                static_cast<long long>(c[1]), static_cast<long long>(c[2]), recall, precision);
    if (type == "missing" || type == "extra" || type == "wrong_class" || type == "heading_flip" ||
        type == "attribute") {
      EXPECT_GE(recall, 0.95) << type;
      EXPECT_GE(precision, 0.95) << type;
    }
  }
}

}  // namespace
}  // namespace gtops
