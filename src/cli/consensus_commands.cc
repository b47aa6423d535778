// `gtops consensus`: the geometric and categorical consensus of each pipeline's overlap sets, its
// comparison with gold, and (--write) the consensus label sets stored as source `consensus`
// (issue 8; docs/agreement.md, "Consensus"). Registered through cli/command_table.h.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "cli/render.h"
#include "config/config.h"
#include "evaluate/consensus.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

struct ConsensusArgs {
  CommonArgs common;
  std::string pipeline;
  int quorum = 0;
  bool write = false;
  bool posteriors = false;  // --posteriors: the class posterior of every accepted cluster in the JSON
};

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }
std::string Text(double v, int digits = 3) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, digits) : "-"; }

ordered_json GoldJson(const GoldAgreement& g) {
  return ordered_json{{"who", g.who},
                      {"frames", g.frames},
                      {"gold_objects", g.gold_objects},
                      {"labels", g.labels},
                      {"matched", g.matched},
                      {"class_correct", g.class_correct},
                      {"precision", Number(g.precision)},
                      {"recall", Number(g.recall)},
                      {"f1", Number(g.f1)},
                      {"mean_iou", Number(g.mean_iou)},
                      {"mean_centre_error_m", Number(g.mean_centre_error_m)},
                      {"mean_distance", Number(g.mean_distance)}};
}

// Rows of a row-major square matrix of side `n`.
ordered_json Square(const std::vector<double>& m, size_t n) {
  ordered_json rows = ordered_json::array();
  for (size_t r = 0; r < n && (r + 1) * n <= m.size(); ++r) {
    ordered_json row = ordered_json::array();
    for (size_t c = 0; c < n; ++c) row.push_back(Number(m[r * n + c]));
    rows.push_back(std::move(row));
  }
  return rows;
}

ordered_json ToJson(const PipelineConsensus& p, bool write, bool posteriors) {
  ordered_json annotators = ordered_json::array();
  for (const AnnotatorWeight& a : p.annotators) {
    annotators.push_back(ordered_json{{"annotator", a.annotator},
                                      {"answers", a.answers},
                                      {"class_accuracy", Number(a.accuracy)},
                                      {"lo", Number(a.lo)},
                                      {"hi", Number(a.hi)},
                                      {"weight", Number(a.weight)},
                                      {"confusion", Square(a.confusion, p.classes.size())}});
  }
  ordered_json gold = nullptr;
  if (p.consensus_vs_gold) {
    ordered_json singles = ordered_json::array();
    for (const GoldAgreement& g : p.annotators_vs_gold) singles.push_back(GoldJson(g));
    gold = ordered_json{{"frames", p.gold_frames},
                        {"consensus", GoldJson(*p.consensus_vs_gold)},
                        {"single_annotators", GoldJson(*p.single_vs_gold)},
                        {"by_annotator", singles}};
  }
  ordered_json j{{"pipeline", p.pipeline},
                 {"geometry", std::string(Name(p.geometry))},
                 {"quorum", p.quorum > 0 ? ordered_json(p.quorum) : ordered_json("majority")},
                 {"overlap_frames", p.overlap_frames},
                 {"labels", p.labels},
                 {"clusters", p.clusters},
                 {"accepted", p.accepted},
                 {"rejected", p.rejected},
                 {"missing_votes", p.missing_votes},
                 {"dropped_objects", p.dropped_objects},
                 {"class_overruled", p.class_overruled},
                 {"dawid_skene", ordered_json{{"iterations", p.ds_iterations}, {"converged", p.ds_converged}}},
                 {"classes", p.classes},
                 {"annotators", annotators},
                 {"against_gold", gold}};
  if (posteriors) {
    ordered_json items = ordered_json::array();
    for (const ClassPosterior& c : p.posteriors) {
      ordered_json post = ordered_json::array();
      for (double v : c.posterior) post.push_back(Number(v));
      items.push_back(ordered_json{{"frame", c.frame}, {"cluster", c.cluster}, {"class", c.cls},
                                   {"probability", Number(c.probability)}, {"posterior", post}});
    }
    j["posteriors"] = std::move(items);
  }
  if (write) {
    j["written"] = ordered_json{{"label_sets", p.written}, {"inserted", p.inserted},
                                {"replaced", p.replaced}, {"unchanged", p.unchanged}};
  }
  return j;
}

void PrintText(const PipelineConsensus& p, bool write) {
  std::printf("%s (%s): %lld overlap frames, %lld labels -> %lld clusters: %lld accepted, %lld rejected "
              "(%lld objects dropped), %lld missing votes; Dawid–Skene overruled the majority class in %lld\n",
              p.pipeline.c_str(), std::string(Name(p.geometry)).c_str(), static_cast<long long>(p.overlap_frames),
              static_cast<long long>(p.labels), static_cast<long long>(p.clusters),
              static_cast<long long>(p.accepted), static_cast<long long>(p.rejected),
              static_cast<long long>(p.dropped_objects), static_cast<long long>(p.missing_votes),
              static_cast<long long>(p.class_overruled));
  if (write) {
    std::printf("  written: %lld consensus label sets (%lld new, %lld replaced, %lld unchanged)\n",
                static_cast<long long>(p.written), static_cast<long long>(p.inserted),
                static_cast<long long>(p.replaced), static_cast<long long>(p.unchanged));
  }
  if (!p.consensus_vs_gold) {
    std::printf("  no overlap frame has gold\n");
    return;
  }
  std::printf("  against gold on %lld overlap frames:\n", static_cast<long long>(p.gold_frames));
  Table t({"labels", "F1", "recall", "precision", "class ok", "mean IoU", "centre err m", "distance"});
  auto row = [&](const GoldAgreement& g) {
    t.Add({g.who, Text(g.f1), Text(g.recall), Text(g.precision),
           g.matched > 0 ? Text(static_cast<double>(g.class_correct) / static_cast<double>(g.matched)) : "-",
           Text(g.mean_iou), Text(g.mean_centre_error_m), Text(g.mean_distance, 2)});
  };
  row(*p.consensus_vs_gold);
  row(*p.single_vs_gold);
  for (const GoldAgreement& g : p.annotators_vs_gold) row(g);
  std::fputs(t.Render().c_str(), stdout);
}

int RunConsensus(const ConsensusArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  if (args.quorum < 0) return Fail(Status::Usage(fmt::format("--quorum {}: expected 1 or more", args.quorum)), json);
  auto store = OpenExistingStore(args.common, !args.write);
  if (!store.ok()) return Fail(store.status(), json);
  ConsensusOptions options;
  options.pipeline = args.pipeline;
  options.quorum = args.quorum;
  options.write = args.write;
  auto result = ComputeConsensus(**store, *config, options);
  if (!result.ok()) return Fail(result.status(), json);
  if (json) {
    ordered_json all = ordered_json::array();
    for (const PipelineConsensus& p : *result) all.push_back(ToJson(p, args.write, args.posteriors));
    std::puts((args.pipeline.empty() ? all : all.front()).dump(2).c_str());
    return kExitOk;
  }
  if (result->empty()) std::printf("no object pipeline has overlap sets (frames labeled by two or more annotators)\n");
  for (const PipelineConsensus& p : *result) PrintText(p, args.write);
  return kExitOk;
}

}  // namespace

void AddConsensusCommands(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<ConsensusArgs>();
  auto* cmd = app.add_subcommand(
      "consensus", "Consensus labels of the overlap sets (clusters by quorum, fused geometry, Dawid–Skene classes)");
  AddCommonOptions(cmd, args->common);
  cmd->add_option("--pipeline", args->pipeline, "Only this pipeline (default: every object pipeline with overlap sets)");
  cmd->add_option("--quorum", args->quorum,
                  "Annotators a cluster needs to be accepted (default: a strict majority of the frame's annotators)");
  cmd->add_flag("--write", args->write, "Store the consensus label sets as source `consensus` (replacing earlier ones)");
  cmd->add_flag("--posteriors", args->posteriors,
                "With --json: the Dawid–Skene class posterior of every accepted cluster");
  table.Add(cmd, [args] { return RunConsensus(*args); });
}

}  // namespace gtops::cli
