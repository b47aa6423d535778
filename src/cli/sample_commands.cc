#include "cli/sample_commands.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "cli/render.h"
#include "config/config.h"
#include "core/time.h"
#include "run/audit_sample.h"
#include "stats/sampling.h"
#include "store/store.h"

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


// `gtops sample draw` and `gtops sample decide` (docs/sampling.md).

struct SampleDrawArgs {
  CommonArgs common;
  std::string pipeline, batch, plan, out;
  std::optional<std::string> stratify;
  std::optional<int64_t> budget, seed, n, c;
  std::optional<double> aql, ltpd, alpha, beta;
  bool force = false;
};

struct SampleDecideArgs {
  CommonArgs common;
  std::string pipeline, batch;
};

std::string NowRfc3339() {
  return FormatRfc3339(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::vector<std::string> SplitKeys(const std::string& list) {
  std::vector<std::string> keys;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string key = list.substr(start, comma - start);
    while (!key.empty() && key.front() == ' ') key.erase(key.begin());
    while (!key.empty() && key.back() == ' ') key.pop_back();
    if (!key.empty()) keys.push_back(key);
    start = comma + 1;
  }
  return keys;
}

// Opens the program's existing store for writing; kStoreError when there is none yet.
Result<std::unique_ptr<Store>> OpenProgramStore(const CommonArgs& common) {
  return OpenExistingStore(common, false, "gtops ingest` (or `gtops run`)");
}

ordered_json PlanJson(const AuditPlanRow& p) {
  ordered_json j{{"pipeline", p.pipeline}, {"batch", p.batch}, {"kind", p.kind}, {"lot", p.lot}, {"n", p.n}};
  auto opt = [&j](const char* name, const auto& v) {
    if (v) j[name] = *v;
  };
  opt("c", p.c), opt("n1", p.n1), opt("c1", p.c1), opt("r1", p.r1), opt("n2", p.n2), opt("c2", p.c2);
  opt("aql", p.aql), opt("ltpd", p.ltpd), opt("alpha", p.alpha), opt("beta", p.beta), opt("budget", p.budget);
  j["seed"] = p.seed;
  j["stratify"] = p.stratify;
  j["allocation"] = p.allocation;
  j["created_at"] = p.created_at;
  return j;
}

std::string PlanLine(const AuditPlanRow& p) {
  if (p.kind == "single") return fmt::format("single plan: audit n = {}, accept when at most c = {} fail", p.n, *p.c);
  if (p.kind == "double") {
    return fmt::format("double plan: n1 = {}, c1 = {}, r1 = {}, n2 = {}, c2 = {}", *p.n1, *p.c1, *p.r1, *p.n2, *p.c2);
  }
  if (p.kind == "sprt") {
    return fmt::format("sequential (SPRT) plan: p0 = AQL {}, p1 = LTPD {}, alpha {}, beta {}; up to {} audits drawn",
                       *p.aql, *p.ltpd, *p.alpha, *p.beta, p.n);
  }
  return fmt::format("budget of {} audits (no acceptance criterion)", p.n);
}

// The audit list: CSV (ord,task,stratum,weight) or, for a .jsonl path, one JSON object per task.
Status WriteAuditList(const std::string& path, const std::vector<AuditPlanTask>& tasks) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::Usage(fmt::format("--out {}: cannot write it", path));
  const bool jsonl = path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  if (jsonl) {
    for (size_t i = 0; i < tasks.size(); ++i) {
      f << ordered_json{{"ord", i}, {"task", tasks[i].task}, {"stratum", tasks[i].stratum}, {"weight", tasks[i].weight}}
               .dump()
        << '\n';
    }
  } else {
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (size_t i = 0; i < tasks.size(); ++i) {
      rows.push_back({std::to_string(i), tasks[i].task, tasks[i].stratum, fmt::format("{:.6g}", tasks[i].weight)});
    }
    f << RenderCsv({"ord", "task", "stratum", "weight"}, rows);
  }
  f.close();
  if (!f) return Status::Usage(fmt::format("--out {}: write failed", path));
  return Status::Ok();
}

// The draw's request: each option from its flag, else the pipeline's gtops.toml sampling defaults
// (ProgramConfig::SamplingFor), else the built-in default (docs/sampling.md, "Defaults in gtops.toml").
Result<DrawRequest> DrawRequestOf(const SampleDrawArgs& args, const SamplingSpec& defaults) {
  DrawRequest req;
  req.pipeline = args.pipeline;
  req.batch = args.batch;
  req.budget = args.budget ? args.budget : defaults.budget;
  if (args.stratify) {
    if (*args.stratify != "none") req.stratify = SplitKeys(*args.stratify);
  } else if (defaults.stratify) {
    req.stratify = *defaults.stratify;
  }
  req.seed = args.seed.value_or(defaults.seed.value_or(1));
  req.force = args.force;
  req.now = NowRfc3339();
  if (args.aql.has_value() != args.ltpd.has_value()) return Status::Usage("sample draw: --aql and --ltpd go together");
  if (args.n.has_value() != args.c.has_value()) return Status::Usage("sample draw: --n and --c go together");
  if (args.aql && args.n) return Status::Usage("sample draw: give --aql and --ltpd, or --n and --c, not both");
  // The plan: the flags' when they give one, else the configured one.
  const bool flag_plan = args.aql || args.n;
  const std::optional<double> aql = flag_plan ? args.aql : defaults.aql;
  const std::optional<double> ltpd = flag_plan ? args.ltpd : defaults.ltpd;
  const std::optional<int64_t> n = flag_plan ? args.n : defaults.n;
  const std::optional<int64_t> c = flag_plan ? args.c : defaults.c;
  const std::string kind = !args.plan.empty() ? args.plan : defaults.plan.value_or("");
  if (aql && ltpd) {
    req.plan = stats::PlanRequest{*aql, *ltpd, args.alpha.value_or(defaults.alpha.value_or(0.05)),
                                  args.beta.value_or(defaults.beta.value_or(0.10)), stats::kInfiniteLot};
    GTOPS_RETURN_IF_ERROR(stats::ValidatePlanRequest(*req.plan));
    req.plan_kind = kind.empty() ? "single" : kind;
  } else if (n && c) {
    if (!kind.empty() && kind != "single") {
      return Status::Usage(fmt::format("--plan {} is designed from --aql and --ltpd; --n and --c give a single plan", kind));
    }
    req.fixed = stats::SinglePlan{*n, *c};
  } else if (!args.plan.empty()) {
    return Status::Usage(fmt::format("--plan {} needs --aql and --ltpd", args.plan));
  }
  return req;
}

int RunSampleDraw(const SampleDrawArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  if (config->FindPipeline(args.pipeline) == nullptr) {
    return Fail(Status::Usage(fmt::format("--pipeline {}: no such pipeline in gtops.toml", args.pipeline)), json);
  }
  auto request = DrawRequestOf(args, config->SamplingFor(args.pipeline));
  if (!request.ok()) return Fail(request.status(), json);
  const DrawRequest& req = *request;
  auto store = OpenProgramStore(args.common);
  if (!store.ok()) return Fail(store.status(), json);
  auto drawn = DrawAuditSample(**store, req);
  if (!drawn.ok()) return Fail(drawn.status(), json);
  const DrawResult& d = *drawn;
  if (!d.saved) {
    return Fail(Status::Usage(fmt::format(
                    "batch {} of pipeline {} already has an audit plan (drawn {}): give --force to replace it "
                    "(its recorded audits are then decided against the new plan)",
                    args.batch, args.pipeline, [&] {
                      auto p = (*store)->LoadAuditPlan(args.pipeline, args.batch);
                      return p.ok() && p->has_value() ? (*p)->plan.created_at : std::string("before");
                    }())),
                json);
  }
  if (!args.out.empty()) {
    if (Status w = WriteAuditList(args.out, d.tasks); !w.ok()) return Fail(w, json);
  }
  if (json) {
    ordered_json j = PlanJson(d.plan);
    j["replaced"] = d.replaced;
    j["pooled_rate"] = Number(d.pooled_rate);
    j["evidence_tasks"] = d.evidence_tasks;
    ordered_json strata = ordered_json::array();
    for (const DrawStratum& s : d.strata) {
      strata.push_back(ordered_json{{"name", s.name}, {"size", s.size}, {"history", s.history},
                                    {"failures", s.failures}, {"rate", Number(s.rate)}, {"allocated", s.allocated}});
    }
    j["strata"] = std::move(strata);
    ordered_json tasks = ordered_json::array();
    for (size_t i = 0; i < d.tasks.size(); ++i) {
      tasks.push_back(ordered_json{{"ord", i}, {"task", d.tasks[i].task}, {"stratum", d.tasks[i].stratum},
                                   {"weight", d.tasks[i].weight}});
    }
    j["tasks"] = std::move(tasks);
    if (!args.out.empty()) j["out"] = args.out;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("Audit sample of batch %s of %s: %lld of %lld tasks, seed %lld%s\n", args.batch.c_str(),
              args.pipeline.c_str(), static_cast<long long>(d.plan.n), static_cast<long long>(d.plan.lot),
              static_cast<long long>(d.plan.seed), d.replaced ? " (replaced the recorded plan)" : "");
  std::printf("  %s\n", PlanLine(d.plan).c_str());
  if (d.plan.allocation != "none") {
    std::printf("  strata by %s, %s allocation", d.plan.stratify.c_str(), d.plan.allocation.c_str());
    if (std::isfinite(d.pooled_rate)) {
      std::printf(" (history: %lld tasks with evidence, pooled failure rate %s)\n",
                  static_cast<long long>(d.evidence_tasks), Percent(d.pooled_rate).c_str());
    } else {
      std::printf(" (no history of this pipeline)\n");
    }
    Table t({"stratum", "tasks", "history", "rate", "audit"});
    for (const DrawStratum& s : d.strata) {
      t.Add({s.name, std::to_string(s.size), std::to_string(s.history),
             std::isfinite(s.rate) ? fmt::format("{:.4f}", s.rate) : "—", std::to_string(s.allocated)});
    }
    std::fputs(t.Render().c_str(), stdout);
  }
  if (!args.out.empty()) {
    std::printf("audit list: %s\n", args.out.c_str());
  } else {
    Table t({"ord", "task", "stratum", "weight"});
    for (size_t i = 0; i < d.tasks.size(); ++i) {
      t.Add({std::to_string(i), d.tasks[i].task, d.tasks[i].stratum, fmt::format("{:.4g}", d.tasks[i].weight)});
    }
    std::fputs(t.Render().c_str(), stdout);
  }
  return kExitOk;
}

int RunSampleDecide(const SampleDecideArgs& args) {
  const bool json = args.common.json;
  auto store = OpenProgramStore(args.common);
  if (!store.ok()) return Fail(store.status(), json);
  auto decided = DecideAuditSample(**store, args.pipeline, args.batch);
  if (!decided.ok()) return Fail(decided.status(), json);
  const DecideResult& d = *decided;
  const AuditPlanRow& p = d.recorded.plan;
  const int code = d.decision == "reject" ? kExitGateFailed : kExitOk;
  const int64_t audited = std::count_if(d.tasks.begin(), d.tasks.end(), [](const AuditedTask& t) { return t.audited; });
  if (json) {
    ordered_json j = PlanJson(p);
    j["decision"] = d.decision;
    j["evidence"] = d.evidence.evidence;
    j["audited"] = audited;
    j["audits_used"] = d.evidence.audits_used;
    j["failures"] = d.evidence.failures;
    j["audits_needed"] = d.evidence.audits_needed;
    j["audits_outside_sample"] = d.audits_outside;
    // Weighted and unweighted figures of a sample over several strata (docs/sampling.md).
    j["unweighted_rate"] = d.evidence.audits_used > 0 ? Number(static_cast<double>(d.evidence.failures) /
                                                               static_cast<double>(d.evidence.audits_used))
                                                      : ordered_json(nullptr);
    if (d.weighted) {
      j["weighted"] = ordered_json{{"rate", Number(d.weighted->estimate.rate)},
                                   {"lo", Number(d.weighted->estimate.lo)},
                                   {"hi", Number(d.weighted->estimate.hi)},
                                   {"failures", Number(d.weighted->weighted_failures)},
                                   {"failures_low", Number(d.weighted->low)},
                                   {"failures_high", Number(d.weighted->high)}};
    }
    if (d.sprt) {
      const int64_t n = d.evidence.audits_used;
      j["sprt"] = ordered_json{{"llr", d.evidence.failures * d.sprt->g1 - static_cast<double>(n - d.evidence.failures) * d.sprt->g2},
                               {"accept_at_llr", d.sprt->b},
                               {"reject_at_llr", d.sprt->a},
                               {"accept_line_failures", d.sprt->AcceptLine(n)},
                               {"reject_line_failures", d.sprt->RejectLine(n)}};
    }
    ordered_json strata = ordered_json::array();
    for (const StratumDecision& s : d.strata) {
      strata.push_back(ordered_json{{"name", s.name}, {"size", s.size}, {"drawn", s.drawn}, {"audited", s.audited},
                                    {"failed", s.failed}});
    }
    j["strata"] = std::move(strata);
    j["estimate"] = ordered_json{{"rate", Number(d.estimate.rate)},       {"lo", Number(d.estimate.lo)},
                                 {"hi", Number(d.estimate.hi)},           {"variance", Number(d.estimate.variance)},
                                 {"unreviewed_rate", Number(d.estimate.unreviewed_rate)},
                                 {"unreviewed_lo", Number(d.estimate.unreviewed_lo)},
                                 {"unreviewed_hi", Number(d.estimate.unreviewed_hi)},
                                 {"unaudited_strata", d.estimate.unaudited_strata}};
    std::puts(j.dump(2).c_str());
    return code;
  }
  std::printf("Batch %s of %s: %s\n", p.batch.c_str(), p.pipeline.c_str(), d.decision.c_str());
  std::printf("  %s (drawn %s, seed %lld, %lld of %lld tasks)\n", PlanLine(p).c_str(), p.created_at.c_str(),
              static_cast<long long>(p.seed), static_cast<long long>(p.n), static_cast<long long>(p.lot));
  std::printf("  %s\n", d.evidence.evidence.c_str());
  if (d.evidence.decision == stats::AuditDecision::kContinue && d.evidence.audits_needed > 0) {
    std::printf("  at most %lld more audits of the list to decide\n", static_cast<long long>(d.evidence.audits_needed));
  }
  std::printf("  audited: %lld of %zu drawn tasks", static_cast<long long>(audited), d.tasks.size());
  if (d.audits_outside > 0) {
    std::printf("; %lld audited tasks of the batch were not drawn and are left out", static_cast<long long>(d.audits_outside));
  }
  std::printf("\n");
  if (std::isfinite(d.estimate.rate)) {
    const std::string unreviewed =
        std::isfinite(d.estimate.unreviewed_rate)
            ? fmt::format("{} [{}, {}]", Percent(d.estimate.unreviewed_rate), Percent(d.estimate.unreviewed_lo),
                          Percent(d.estimate.unreviewed_hi))
            : "—";
    std::printf("  batch error rate (stratified estimate): %s, 95%% interval [%s, %s]; unreviewed tasks: %s",
                Percent(d.estimate.rate).c_str(), Percent(d.estimate.lo).c_str(), Percent(d.estimate.hi).c_str(),
                unreviewed.c_str());
    if (d.estimate.unaudited_strata > 0) {
      std::printf(" (%d strata without an audit are left out)", d.estimate.unaudited_strata);
    }
    std::printf("\n");
  } else {
    std::printf("  batch error rate: no audit of a drawn task yet\n");
  }
  if (d.strata.size() > 1) {
    Table t({"stratum", "tasks", "drawn", "audited", "failed"});
    for (const StratumDecision& s : d.strata) {
      t.Add({s.name, std::to_string(s.size), std::to_string(s.drawn), std::to_string(s.audited),
             std::to_string(s.failed)});
    }
    std::fputs(t.Render().c_str(), stdout);
  }
  return code;
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

int RunSampleSize(const SampleSizeArgs& args) {
  auto size = stats::SampleSizeForRate(args.rate, args.margin, args.confidence, args.objects_per_task, args.icc);
  if (!size.ok()) return Fail(size.status(), args.json);
  if (args.json) {
    ordered_json j;
    j["rate"] = args.rate;
    j["margin"] = args.margin;
    j["confidence"] = args.confidence;
    j["objects_per_task"] = args.objects_per_task;
    j["icc"] = args.icc;
    j["n_simple"] = size->n_simple;
    j["design_effect"] = size->design_effect;
    j["n"] = size->n;
    j["tasks"] = size->tasks;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("to estimate a rate near %g to within ±%g at %g%% confidence (Wilson interval):\n", args.rate,
              args.margin, 100 * args.confidence);
  if (args.objects_per_task > 1) {
    std::printf("  %lld objects under simple random sampling; design effect %.3f (%g objects per task, ICC %g)\n"
                "  audit %lld objects: %lld tasks\n",
                static_cast<long long>(size->n_simple), size->design_effect, args.objects_per_task, args.icc,
                static_cast<long long>(size->n), static_cast<long long>(size->tasks));
  } else {
    std::printf("  audit %lld tasks\n", static_cast<long long>(size->tasks));
  }
  return kExitOk;
}

void AddSampleCommands(CLI::App& app, CommandTable& table) {
  auto* sample_cmd = app.add_subcommand("sample", "Audit sampling: acceptance plans, drawing a batch's sample, deciding on it (docs/sampling.md)");
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

  auto sample_size = std::make_shared<SampleSizeArgs>();
  auto* sample_size_cmd = sample_cmd->add_subcommand(
      "size", "How many tasks to audit to estimate an error rate to a margin (Wilson; design effect for per-object rates)");
  sample_size_cmd->add_option("--rate", sample_size->rate, "Anticipated rate (0.5 when unknown: the largest sample)")
      ->capture_default_str();
  sample_size_cmd->add_option("--margin", sample_size->margin, "Wanted half-width of the interval, e.g. 0.02")->required();
  sample_size_cmd->add_option("--confidence", sample_size->confidence, "Confidence of the interval")->capture_default_str();
  sample_size_cmd->add_option("--objects-per-task", sample_size->objects_per_task,
                              "Objects per task, for a per-object rate (1: a per-task rate)")
      ->capture_default_str();
  sample_size_cmd->add_option("--icc", sample_size->icc, "Intra-task correlation of errors (from history)")
      ->capture_default_str();
  sample_size_cmd->add_flag("--json", sample_size->json, "Print JSON instead of text");
  table.Add(sample_size_cmd, [sample_size] { return RunSampleSize(*sample_size); });

  auto draw = std::make_shared<SampleDrawArgs>();
  auto* draw_cmd = sample_cmd->add_subcommand(
      "draw", "Draw a batch's audit sample (seeded, stratified, Neyman allocation) and record its plan");
  AddCommonOptions(draw_cmd, draw->common);
  draw_cmd->add_option("--pipeline", draw->pipeline, "Pipeline of the batch")->required();
  draw_cmd->add_option("--batch", draw->batch, "The delivered batch (its tasks are the lot)")->required();
  draw_cmd->add_option("--budget", draw->budget, "Tasks to audit (with a plan: at least the plan's n)");
  draw_cmd->add_option("--stratify", draw->stratify,
                       "Strata keys, comma-separated: vendor, annotator, class_mix, scene.<condition> (none: no strata)");
  draw_cmd->add_option("--seed", draw->seed, "Seed of the draw (same seed, same sample; default 1)");
  draw_cmd->add_option("--aql", draw->aql, "Acceptable quality level: the sample size from an acceptance plan");
  draw_cmd->add_option("--ltpd", draw->ltpd, "Lot tolerance percent defective (RQL), above the AQL");
  draw_cmd->add_option("--alpha", draw->alpha, "Producer's risk at the AQL (default 0.05)");
  draw_cmd->add_option("--beta", draw->beta, "Consumer's risk at the LTPD (default 0.10)");
  draw_cmd->add_option("--n", draw->n, "A fixed single plan: audit n tasks (with --c)");
  draw_cmd->add_option("--c", draw->c, "A fixed single plan: accept when at most c fail (with --n)");
  draw_cmd->add_option("--plan", draw->plan, "Kind of plan with --aql/--ltpd: single (default), double, sprt")
      ->check(CLI::IsMember({"single", "double", "sprt"}));
  draw_cmd->add_option("--out", draw->out, "Write the audit list here (CSV; JSON lines when it ends in .jsonl)");
  draw_cmd->add_flag("--force", draw->force, "Replace the batch's recorded plan");
  table.Add(draw_cmd, [draw] { return RunSampleDraw(*draw); });

  auto decide = std::make_shared<SampleDecideArgs>();
  auto* decide_cmd = sample_cmd->add_subcommand(
      "decide", "Accept / reject / continue for a batch from its recorded plan and the audits so far");
  AddCommonOptions(decide_cmd, decide->common);
  decide_cmd->add_option("--pipeline", decide->pipeline, "Pipeline of the batch")->required();
  decide_cmd->add_option("--batch", decide->batch, "The batch whose plan was drawn")->required();
  table.Add(decide_cmd, [decide] { return RunSampleDecide(*decide); });
}

}  // namespace gtops::cli
