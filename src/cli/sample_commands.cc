#include "cli/sample_commands.h"

#include <memory>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "cli/render.h"
#include "stats/sampling.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }
std::string Percent(double v) { return fmt::format("{:.3g}%", 100 * v); }

// What a plan guarantees, the same for single and double plans.
struct Guarantees {
  double producer_risk = 0, consumer_risk = 0;
  stats::Aoql aoql;
  double ati_at_aql = NAN;          // finite lots only
  double asn_at_aql = NAN;          // double plans only
  std::vector<stats::OcPoint> oc;
};

template <typename Plan>
Guarantees Measure(const Plan& plan, const stats::PlanRequest& r) {
  Guarantees g;
  g.producer_risk = 1 - stats::AcceptProbability(plan, r.aql, r.lot_size);
  g.consumer_risk = stats::AcceptProbability(plan, r.ltpd, r.lot_size);
  g.aoql = stats::AverageOutgoingQualityLimit(plan, r.lot_size);
  g.ati_at_aql = stats::AverageTotalInspection(plan, r.aql, r.lot_size);
  g.oc = stats::OcCurve(plan, r.lot_size, stats::OcGrid(r.aql, r.ltpd));
  return g;
}

ordered_json RequestJson(const stats::PlanRequest& r) {
  ordered_json j;
  j["lot"] = r.lot_size == stats::kInfiniteLot ? ordered_json(nullptr) : ordered_json(r.lot_size);
  j["aql"] = r.aql;
  j["ltpd"] = r.ltpd;
  j["alpha"] = r.alpha;
  j["beta"] = r.beta;
  return j;
}

void AddGuarantees(ordered_json& j, const Guarantees& g) {
  j["producer_risk"] = Number(g.producer_risk);
  j["consumer_risk"] = Number(g.consumer_risk);
  j["aoql"] = Number(g.aoql.aoql);
  j["aoql_at_p"] = Number(g.aoql.at_p);
  j["ati_at_aql"] = Number(g.ati_at_aql);
  if (std::isfinite(g.asn_at_aql)) j["asn_at_aql"] = g.asn_at_aql;
  ordered_json oc = ordered_json::array();
  for (const stats::OcPoint& p : g.oc) oc.push_back({{"p", p.p}, {"p_accept", p.p_accept}});
  j["oc"] = std::move(oc);
}

void PrintText(const std::string& plan_lines, const stats::PlanRequest& r, const Guarantees& g) {
  std::printf("%s plan for %s, AQL %s, LTPD %s\n", std::isfinite(g.asn_at_aql) ? "Double sampling" : "Single sampling",
              r.lot_size == stats::kInfiniteLot ? "an infinite lot (binomial)"
                                                : fmt::format("a lot of {} (hypergeometric)", r.lot_size).c_str(),
              Percent(r.aql).c_str(), Percent(r.ltpd).c_str());
  std::fputs(plan_lines.c_str(), stdout);
  std::printf("  producer's risk (a lot at the AQL rejected):  %.4f (allowed %g)\n", g.producer_risk, r.alpha);
  std::printf("  consumer's risk (a lot at the LTPD accepted): %.4f (allowed %g)\n", g.consumer_risk, r.beta);
  std::printf("  AOQL (rectifying inspection): %s, at p = %s\n", Percent(g.aoql.aoql).c_str(),
              Percent(g.aoql.at_p).c_str());
  if (std::isfinite(g.ati_at_aql)) std::printf("  average total inspection at the AQL: %.1f\n", g.ati_at_aql);
  if (std::isfinite(g.asn_at_aql)) std::printf("  average sample number at the AQL: %.1f\n", g.asn_at_aql);
  std::printf("\nOC curve\n");
  Table t({"p", "P(accept)", ""});
  for (const stats::OcPoint& p : g.oc) {
    t.Add({fmt::format("{:.4f}", p.p), fmt::format("{:.4f}", p.p_accept),
           std::string(static_cast<size_t>(std::lround(p.p_accept * 40)), '#')});
  }
  std::fputs(t.Render().c_str(), stdout);
}

}  // namespace

int RunSamplePlan(const SamplePlanArgs& args) {
  const stats::PlanRequest r{args.aql, args.ltpd, args.alpha, args.beta, args.lot};
  if (args.double_plan) {
    auto plan = stats::DesignDoublePlan(r);
    if (!plan.ok()) return Fail(plan.status(), args.json);
    Guarantees g = Measure(*plan, r);
    g.asn_at_aql = stats::EvaluateDouble(*plan, r.aql, r.lot_size).asn;
    if (args.json) {
      ordered_json j = RequestJson(r);
      j["type"] = "double";
      j["n1"] = plan->n1, j["c1"] = plan->c1, j["r1"] = plan->r1, j["n2"] = plan->n2, j["c2"] = plan->c2;
      AddGuarantees(j, g);
      std::puts(j.dump(2).c_str());
      return kExitOk;
    }
    PrintText(fmt::format("  inspect n1 = {}: accept when at most c1 = {} fail, reject when r1 = {} or more do;\n"
                          "  otherwise inspect n2 = {} more and accept when at most c2 = {} fail in all\n",
                          plan->n1, plan->c1, plan->r1, plan->n2, plan->c2),
              r, g);
    return kExitOk;
  }
  auto plan = stats::DesignSinglePlan(r);
  if (!plan.ok()) return Fail(plan.status(), args.json);
  const Guarantees g = Measure(*plan, r);
  if (args.json) {
    ordered_json j = RequestJson(r);
    j["type"] = "single";
    j["n"] = plan->n, j["c"] = plan->c;
    AddGuarantees(j, g);
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  PrintText(fmt::format("  inspect n = {}, accept when at most c = {} fail\n", plan->n, plan->c), r, g);
  return kExitOk;
}

void AddSampleCommands(CLI::App& app, CommandTable& table) {
  auto* sample_cmd = app.add_subcommand("sample", "Audit sampling: acceptance plans (docs/sampling.md)");
  sample_cmd->require_subcommand(1);
  auto sample_plan = std::make_shared<SamplePlanArgs>();
  auto* sample_plan_cmd = sample_cmd->add_subcommand(
      "plan", "An acceptance sampling plan (n, c) from AQL, LTPD and the risks, with its OC curve and AOQL");
  sample_plan_cmd->add_option("--lot", sample_plan->lot, "Items in the lot (default: an infinite lot, binomial)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000'000}));
  sample_plan_cmd->add_option("--aql", sample_plan->aql, "Acceptable quality level: a defective fraction in (0, 1)")
      ->required();
  sample_plan_cmd->add_option("--ltpd", sample_plan->ltpd, "Lot tolerance percent defective (RQL), above the AQL")
      ->required();
  sample_plan_cmd->add_option("--alpha", sample_plan->alpha, "Producer's risk at the AQL")->capture_default_str();
  sample_plan_cmd->add_option("--beta", sample_plan->beta, "Consumer's risk at the LTPD")->capture_default_str();
  sample_plan_cmd->add_flag("--double", sample_plan->double_plan, "A double sampling plan (n1, c1, r1, n2, c2)");
  sample_plan_cmd->add_flag("--json", sample_plan->json, "Print JSON instead of text");
  table.Add(sample_plan_cmd, [sample_plan] { return RunSamplePlan(*sample_plan); });
}

}  // namespace gtops::cli
