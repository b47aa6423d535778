// End-to-end test of the automated checks and the review queue against world-small's injected
// truth (answers/errors.jsonl; scoring as in the fixture's README, "How the answers score a
// tool"): recall per pipeline and error type at review budgets of 1%, 5% and 10% of frames
// against random sampling, precision of the top 100 items, and the floors of
// docs/quality-checks.md.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdio>
#include <array>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "geometry/box_iou.h"
#include "test_util.h"

namespace gtops {
namespace {

using nlohmann::json;
using testing::RunCommand;
using testing::TempDir;
using testing::ExitCode;
using testing::Stdout;

std::vector<json> ReadJsonl(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

Object ToObject(const json& o) {
  Object x;
  x.id = o.value("id", "");
  x.cls = o.value("class", "");
  if (o.contains("box3d")) {
    const auto& b = o["box3d"];
    x.kind = GeometryKind::kBox3d;
    x.box3d = {b[0], b[1], b[2], b[3], b[4], b[5], b[6]};
  } else if (o.contains("box2d")) {
    const auto& b = o["box2d"];
    x.kind = GeometryKind::kBox2d;
    x.box2d = {b[0], b[1], b[2], b[3]};
  }
  return x;
}

// Whether `a` pairs with the reference object `ref` under the pipeline's match rule.
bool Pairs(const PipelineSpec& p, const Object& a, const Object& ref) {
  const ClassSpec* c = p.FindClass(ref.cls);
  const MatchRule rule = c != nullptr && c->match ? *c->match : p.match;
  switch (rule.kind) {
    case MatchRule::Kind::kIou: return geometry::Box2dIou(a.box2d, ref.box2d) >= rule.value;
    case MatchRule::Kind::kBevIou: return geometry::BevIou(a.box3d, ref.box3d) >= rule.value;
    case MatchRule::Kind::kCenterDistanceM: return geometry::BevCenterDistance(a.box3d, ref.box3d) <= rule.value;
    default: return false;
  }
}

constexpr double kBudgets[4] = {0.01, 0.05, 0.10, 0.20};

struct Scored {
  std::map<std::string, std::array<double, 4>> recall;  // type -> at each budget of kBudgets
  std::map<std::string, int> errors;
  std::array<double, 4> recall_model{};  // missing + wrong_class where a model prediction exists (gold frames)
  int errors_model = 0;
  double precision_100 = 0;
  int64_t frames = 0;
  int oracle_frames = 0;                // fewest frames holding 80% of each floor set (lidar_cuboids)
  std::array<double, 3> perfect_10{};  // floor sets found at 10% with perfect probabilities
};

int64_t Budget10(const Scored& s) { return static_cast<int64_t>(std::ceil(0.10 * static_cast<double>(s.frames))); }

TEST(ChecksWorldSmall, QueueRecallAndPrecisionAgainstInjectedTruth) {
  TempDir tmp;
  const std::string ws = testing::WorldSmall();
  const std::string store = tmp / "gtops.db";
  int status = 0;
  testing::RunGtops("ingest --program " + ws + " --store " + store + " --quiet", status);
  ASSERT_EQ(ExitCode(status), 0);
  auto config = LoadConfig(ws);
  ASSERT_TRUE(config.ok());

  const std::vector<json> errors = ReadJsonl(ws + "/answers/errors.jsonl");
  // Gold and model objects per (pipeline, frame).
  std::map<std::pair<std::string, std::string>, std::vector<Object>> gold, model;
  for (const json& r : ReadJsonl(ws + "/data/gold.jsonl")) {
    auto& v = gold[{r["pipeline"], r["frame"]}];
    for (const json& o : r["objects"]) v.push_back(ToObject(o));
  }
  for (const json& r : ReadJsonl(ws + "/data/model.jsonl")) {
    auto& v = model[{r["pipeline"], r["frame"]}];
    for (const json& o : r["objects"]) v.push_back(ToObject(o));
  }
  auto gold_object = [&](const std::string& p, const std::string& frame, const std::string& id) -> const Object* {
    auto it = gold.find({p, frame});
    if (it == gold.end()) return nullptr;
    for (const Object& o : it->second) {
      if (o.id == id) return &o;
    }
    return nullptr;
  };

  // Which injected error (index into `errs`) each item of a queue finds, or -1.
  auto match_items = [&](const PipelineSpec& spec, const json& q, const std::vector<const json*>& errs) {
    std::vector<int> found_by(q["items"].size(), -1);
    std::vector<bool> taken(errs.size(), false);
    std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_frame_type;
    for (size_t k = 0; k < errs.size(); ++k) by_frame_type[{(*errs[k])["frame"].get<std::string>(), (*errs[k])["type"].get<std::string>()}].push_back(k);
    size_t i = 0;
    for (const json& item : q["items"]) {
      const std::string frame = item["frame"];
      const std::string type = item["suspected"];
      auto candidates = by_frame_type.find({frame, type});
      if (candidates == by_frame_type.end()) {
        ++i;
        continue;
      }
      for (size_t k : candidates->second) {
        const json& e = *errs[k];
        if (taken[k]) continue;
        if (e.contains("annotator") && e["annotator"].is_string() && e["annotator"] != item["producer"]) continue;
        if (type == "missing") {
          if (!item["object"].is_null() || item["geometry"].is_null()) continue;
          if (e["gold_object"].is_string()) {
            const Object* g = gold_object(spec.id, frame, e["gold_object"]);
            if (g == nullptr || !Pairs(spec, ToObject(item["geometry"]), *g)) continue;
          }
        } else if (item["object"].is_null() || !e["label"].is_string() || e["label"] != item["object"]) {
          continue;
        }
        taken[k] = true;
        found_by[i] = static_cast<int>(k);
        break;
      }
      ++i;
    }
    return found_by;
  };

  std::map<std::string, Scored> scores;
  for (const std::string p : {"lidar_cuboids", "lidar_highway", "camera_front_2d"}) {
    SCOPED_TRACE(p);
    const PipelineSpec& spec = *config->FindPipeline(p);
    const std::string out = Stdout("queue --program " + ws + " --store " + store + " --pipeline " + p + " --json", status);
    ASSERT_EQ(ExitCode(status), 0) << out;
    const json q = json::parse(out);
    const int64_t frames = q["frames_checked"];
    ASSERT_GT(frames, 0);
    // The errors of this pipeline, and which of them an item finds.
    std::vector<const json*> errs;
    for (const json& e : errors) {
      if (e["pipeline"] == p) errs.push_back(&e);
    }
    // The floors' sets: heading_flip, id_switch, and missing + wrong_class where a model object
    // pairs with the error's gold object (gold frames).
    std::vector<int> floor_set(errs.size(), -1);
    for (size_t k = 0; k < errs.size(); ++k) {
      const json& e = *errs[k];
      const std::string type = e["type"];
      if (type == "heading_flip") floor_set[k] = 0;
      if (type == "id_switch") floor_set[k] = 1;
      if ((type == "missing" || type == "wrong_class") && e["gold_object"].is_string()) {
        const Object* g = gold_object(p, e["frame"], e["gold_object"]);
        auto m = model.find({p, e["frame"]});
        bool has_model = false;
        if (g != nullptr && m != model.end()) {
          for (const Object& o : m->second) has_model = has_model || Pairs(spec, o, *g);
        }
        if (has_model) floor_set[k] = 2;
      }
    }
    const std::vector<int> found_by = match_items(spec, q, errs);
    std::vector<int64_t> found_at(errs.size(), -1);  // frame rank of the item that found it
    std::vector<bool> item_ok;
    for (size_t i = 0; i < found_by.size(); ++i) {
      if (found_by[i] >= 0) found_at[static_cast<size_t>(found_by[i])] = q["items"][i]["frame_rank"].get<int64_t>();
      item_ok.push_back(found_by[i] >= 0);
    }
    Scored& s = scores[p];
    s.frames = frames;
    int64_t budgets[4];
    for (int b = 0; b < 4; ++b) budgets[b] = static_cast<int64_t>(std::ceil(kBudgets[b] * static_cast<double>(frames)));
    std::map<std::string, std::array<int, 4>> hits;
    std::array<int, 4> model_hits{};
    for (size_t k = 0; k < errs.size(); ++k) {
      const std::string type = (*errs[k])["type"];
      ++s.errors[type];
      for (int b = 0; b < 4; ++b) hits[type][static_cast<size_t>(b)] += found_at[k] >= 1 && found_at[k] <= budgets[b];
      if (floor_set[k] == 2) {
        ++s.errors_model;
        for (int b = 0; b < 4; ++b) model_hits[static_cast<size_t>(b)] += found_at[k] >= 1 && found_at[k] <= budgets[b];
      }
    }
    for (const auto& [type, n] : s.errors) {
      for (size_t b = 0; b < 4; ++b) s.recall[type][b] = static_cast<double>(hits[type][b]) / n;
    }
    for (size_t b = 0; b < 4 && s.errors_model > 0; ++b) {
      s.recall_model[b] = static_cast<double>(model_hits[b]) / s.errors_model;
    }
    const size_t top = std::min<size_t>(100, item_ok.size());
    int good = 0;
    for (size_t i = 0; i < top; ++i) good += item_ok[i];
    s.precision_100 = top > 0 ? static_cast<double>(good) / static_cast<double>(top) : 0;

    // The figures of docs/quality-checks.md.
    std::printf("%s: %lld frames; budgets %lld/%lld/%lld/%lld frames (random sampling finds 1%%/5%%/10%%/20%%)\n",
                p.c_str(), static_cast<long long>(frames), static_cast<long long>(budgets[0]),
                static_cast<long long>(budgets[1]), static_cast<long long>(budgets[2]), static_cast<long long>(budgets[3]));
    for (const auto& [type, r] : s.recall) {
      std::printf("  %-13s %4d errors  recall %.2f / %.2f / %.2f / %.2f\n", type.c_str(), s.errors[type], r[0], r[1], r[2],
                  r[3]);
    }
    const auto& m = s.recall_model;
    std::printf("  missing + wrong_class where a model prediction exists (gold frames): %d, recall %.2f / %.2f / %.2f / %.2f\n",
                s.errors_model, m[0], m[1], m[2], m[3]);
    std::printf("  precision of the top %zu items: %.2f\n", top, s.precision_100);

    // Capacity of a 10% budget for the floors (docs/quality-checks.md, "Floors").
    if (p != "lidar_cuboids") continue;
    // (1) An oracle that knows every injected error: the fewest frames that hold 80% of each
    // floor set at once (exact: dynamic programming over the frames holding floor errors).
    std::array<int, 3> total{}, need{};
    std::map<std::string, std::array<int, 3>> per_frame;
    for (size_t k = 0; k < errs.size(); ++k) {
      if (floor_set[k] < 0) continue;
      ++total[static_cast<size_t>(floor_set[k])];
      ++per_frame[(*errs[k])["frame"].get<std::string>()][static_cast<size_t>(floor_set[k])];
    }
    for (size_t t = 0; t < 3; ++t) need[t] = static_cast<int>(std::ceil(0.8 * total[t] - 1e-9));
    const int w1 = need[1] + 1, w2 = need[2] + 1;
    constexpr int kInf = 1 << 20;
    std::vector<int> dp(static_cast<size_t>((need[0] + 1) * w1 * w2), kInf);  // frames to reach (a, b, c)
    dp[0] = 0;
    for (const auto& [frame, c] : per_frame) {
      std::vector<int> next = dp;
      for (int a = 0; a <= need[0]; ++a) {
        for (int b = 0; b < w1; ++b) {
          for (int d = 0; d < w2; ++d) {
            const int v = dp[static_cast<size_t>((a * w1 + b) * w2 + d)];
            if (v == kInf) continue;
            const int a2 = std::min(need[0], a + c[0]), b2 = std::min(need[1], b + c[1]), d2 = std::min(need[2], d + c[2]);
            int& to = next[static_cast<size_t>((a2 * w1 + b2) * w2 + d2)];
            to = std::min(to, v + 1);
          }
        }
      }
      dp.swap(next);
    }
    const int oracle_frames = dp.back();
    // (2) The queue's objective with perfect probabilities: every item of the checks that finds
    // an injected error (at any probability) counts with probability 1, every other item with 0;
    // frames ranked by that expected error weight (the k-th item of a type and class in a frame
    // adding 1/k), cut at 10%.
    const std::string all_out = Stdout("queue --program " + ws + " --store " + store + " --pipeline " + p +
                                       " --min-probability 0 --json", status);
    ASSERT_EQ(ExitCode(status), 0);
    const json all = json::parse(all_out);
    const std::vector<int> all_found = match_items(spec, all, errs);
    std::map<std::string, std::vector<std::pair<double, size_t>>> true_items;  // frame -> (weight, item)
    for (size_t i = 0; i < all_found.size(); ++i) {
      const json& item = all["items"][i];
      const double prob = item["probability"].get<double>();
      if (all_found[i] >= 0 && prob > 0) true_items[item["frame"].get<std::string>()].emplace_back(item["score"].get<double>() / prob, i);
    }
    std::vector<std::pair<double, std::string>> ranked;
    for (auto& [frame, v] : true_items) {
      std::sort(v.begin(), v.end(), std::greater<>());
      std::map<std::pair<std::string, std::string>, int> seen;
      double w = 0;
      for (const auto& [weight, i] : v) {
        const json& item = all["items"][i];
        w += weight / ++seen[{item["suspected"].get<std::string>(), item["class"].get<std::string>()}];
      }
      ranked.emplace_back(w, frame);
    }
    std::sort(ranked.begin(), ranked.end(), std::greater<>());
    std::array<int, 3> perfect{};
    for (size_t r = 0; r < ranked.size() && static_cast<int64_t>(r) < budgets[2]; ++r) {
      for (const auto& [weight, i] : true_items[ranked[r].second]) {
        const int t = floor_set[static_cast<size_t>(all_found[i])];
        if (t >= 0) ++perfect[static_cast<size_t>(t)];
      }
    }
    std::printf("  capacity: %d/%d/%d floor errors (heading_flip/id_switch/model-visible); an oracle holds 80%% of each "
                "in %d frames; perfect probabilities under expected error weight find %.2f/%.2f/%.2f at 10%%\n",
                total[0], total[1], total[2], oracle_frames, static_cast<double>(perfect[0]) / total[0],
                static_cast<double>(perfect[1]) / total[1], static_cast<double>(perfect[2]) / total[2]);
    s.oracle_frames = oracle_frames;
    for (size_t t = 0; t < 3; ++t) s.perfect_10[t] = static_cast<double>(perfect[t]) / total[t];
  }

  // Floors (docs/quality-checks.md, "Measured against truth"): what the queue holds, so that a
  // regression fails this test. At a 10% budget lidar_highway holds the floors and
  // every pipeline the precision of the top 100; lidar_cuboids and camera_front_2d reach the
  // recall floors at 20%. The capacity figures say why not at 10%: an oracle fits the floors
  // into a 10% budget, the objective (expected error weight) even with perfect
  // probabilities does not.
  const size_t k10 = 2, k20 = 3;
  for (const std::string type : {"heading_flip", "id_switch"}) {
    EXPECT_GE(scores["lidar_highway"].recall[type][k10], 0.8) << type;
    EXPECT_GE(scores["lidar_cuboids"].recall[type][k20], 0.9) << type;
  }
  EXPECT_GE(scores["lidar_cuboids"].recall["id_switch"][k10], 0.8);
  EXPECT_GE(scores["lidar_cuboids"].recall["heading_flip"][k10], 0.7);  // measured 0.74
  EXPECT_GE(scores["lidar_cuboids"].recall_model[k10], 0.5);            // measured 0.54
  EXPECT_GE(scores["camera_front_2d"].recall_model[k10], 0.7);          // measured 0.75
  for (const std::string p : {"lidar_cuboids", "camera_front_2d"}) {
    EXPECT_GT(scores[p].errors_model, 0) << p;
    EXPECT_GE(scores[p].recall_model[k20], 0.8) << p;
    EXPECT_GE(scores[p].precision_100, 0.8) << p;
  }
  EXPECT_GE(scores["lidar_highway"].precision_100, 0.9);
  // The capacity argument of the docs.
  EXPECT_LE(scores["lidar_cuboids"].oracle_frames, Budget10(scores["lidar_cuboids"]));
  EXPECT_LT(std::min({scores["lidar_cuboids"].perfect_10[0], scores["lidar_cuboids"].perfect_10[1],
                      scores["lidar_cuboids"].perfect_10[2]}),
            0.8);
  // Better than random sampling (which finds the budget's share) at budgets of 5% and more, for
  // the types the floors name.
  for (size_t b = 1; b < 4; ++b) {
    EXPECT_GT(scores["lidar_cuboids"].recall["heading_flip"][b], kBudgets[b]);
    EXPECT_GT(scores["lidar_highway"].recall["id_switch"][b], kBudgets[b]);
  }
}

TEST(ChecksCli, BadUsageAndUnknownPipeline) {
  TempDir tmp;
  const std::string ws = testing::WorldSmall();
  int status = 0;
  std::string out = testing::RunGtops("queue --program " + ws + " --store " + (tmp / "none.db") + " --pipeline lidar_cuboids", status);
  EXPECT_EQ(ExitCode(status), 5) << out;  // no store yet
  out = testing::RunGtops("queue --program " + ws + " --pipeline lidar_cuboids --budget 3 --budget-frac 0.1", status);
  EXPECT_EQ(ExitCode(status), 2) << out;
}

}  // namespace
}  // namespace gtops
