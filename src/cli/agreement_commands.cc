#include "cli/agreement_commands.h"

#include <memory>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "config/config.h"
#include "evaluate/agreement_sets.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

std::string Text(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : "-"; }

ordered_json ToJson(const PipelineAgreement& p) {
  ordered_json pairwise = ordered_json::array();
  for (const AgreementPair& q : p.pairwise) {
    pairwise.push_back(ordered_json{{"a", q.a}, {"b", q.b}, {"kappa", Number(q.kappa)}, {"units", q.units}});
  }
  ordered_json by_class = ordered_json::array();
  for (const AgreementClass& c : p.by_class) {
    by_class.push_back(ordered_json{{"class", c.cls}, {"units", c.units}, {"observed", Number(c.observed)}});
  }
  ordered_json j{{"pipeline", p.pipeline},
                 {"unit", p.tags ? "tag" : "object"},
                 {"overlap_frames", p.overlap_frames},
                 {"units", p.units},
                 {"alpha", Number(p.alpha)},
                 {"fleiss_kappa", p.fleiss_kappa ? Number(*p.fleiss_kappa) : ordered_json(nullptr)},
                 {"annotators", p.annotators},
                 {"pairwise", pairwise},
                 {"by_class", by_class}};
  if (p.tags) {
    ordered_json by_tag = ordered_json::array();
    for (const AgreementTag& t : p.by_tag) {
      by_tag.push_back(ordered_json{{"tag", t.tag}, {"units", t.units}, {"alpha", Number(t.alpha)}});
    }
    j["by_tag"] = by_tag;
  }
  return j;
}

void PrintText(const PipelineAgreement& p) {
  std::printf("%s: %lld overlap frames, %lld %s units, %zu annotators; alpha %s, Fleiss' kappa %s\n",
              p.pipeline.c_str(), static_cast<long long>(p.overlap_frames), static_cast<long long>(p.units),
              p.tags ? "tag" : "object", p.annotators.size(), Text(p.alpha).c_str(),
              p.fleiss_kappa ? Text(*p.fleiss_kappa).c_str() : "- (units have different numbers of annotators)");
  if (!p.by_tag.empty()) {
    std::string line;
    for (const AgreementTag& t : p.by_tag) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", t.tag, Text(t.alpha));
    std::printf("  alpha by tag: %s\n", line.c_str());
  }
  if (!p.by_class.empty()) {
    std::string line;
    for (const AgreementClass& c : p.by_class) {
      line += fmt::format("{}{} {} ({})", line.empty() ? "" : ", ", c.cls, Text(c.observed), c.units);
    }
    std::printf("  observed agreement by %s (units): %s\n", p.tags ? "value" : "class", line.c_str());
  }
  if (!p.pairwise.empty()) {
    const AgreementPair* lo = &p.pairwise.front();
    const AgreementPair* hi = lo;
    for (const AgreementPair& q : p.pairwise) {
      if (std::isfinite(q.kappa) && (!std::isfinite(lo->kappa) || q.kappa < lo->kappa)) lo = &q;
      if (std::isfinite(q.kappa) && (!std::isfinite(hi->kappa) || q.kappa > hi->kappa)) hi = &q;
    }
    std::printf("  Cohen's kappa of %zu annotator pairs: lowest %s (%s, %s; %lld units), highest %s (%s, %s)\n",
                p.pairwise.size(), Text(lo->kappa).c_str(), lo->a.c_str(), lo->b.c_str(),
                static_cast<long long>(lo->units), Text(hi->kappa).c_str(), hi->a.c_str(), hi->b.c_str());
  }
}

}  // namespace

int RunAgreement(const AgreementArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  const std::string store_path = StorePath(args.common);
  if (!IsPostgresLocation(store_path) && !std::filesystem::exists(store_path)) {
    return Fail(Status::StoreError(fmt::format("{}: no store here yet: run `gtops ingest` first", store_path)), json);
  }
  auto store = OpenStore(StoreOptions{store_path, true});
  if (!store.ok()) return Fail(store.status(), json);
  AgreementOptions options;
  options.pipeline = args.pipeline;
  auto result = ComputeAgreement(**store, *config, options);
  if (!result.ok()) return Fail(result.status(), json);

  if (json) {
    if (!args.pipeline.empty()) {
      std::puts(ToJson(result->front()).dump(2).c_str());
    } else {
      ordered_json all = ordered_json::array();
      for (const PipelineAgreement& p : *result) all.push_back(ToJson(p));
      std::puts(all.dump(2).c_str());
    }
    return kExitOk;
  }
  if (result->empty()) std::printf("no pipeline has overlap sets (frames labeled by two or more annotators)\n");
  for (const PipelineAgreement& p : *result) PrintText(p);
  return kExitOk;
}

void AddAgreementCommands(CLI::App& app, CommandTable& table) {
  auto agreement = std::make_shared<AgreementArgs>();
  auto* agreement_cmd = app.add_subcommand(
      "agreement", "Categorical agreement of the annotators of overlap sets (alpha, kappas, per class)");
  AddCommonOptions(agreement_cmd, agreement->common);
  agreement_cmd->add_option("--pipeline", agreement->pipeline, "Only this pipeline (default: every one with overlap sets)");
  table.Add(agreement_cmd, [agreement] { return RunAgreement(*agreement); });
}

}  // namespace gtops::cli
