#include "rootcause/rootcause.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "quality/metrics.h"
#include "rootcause/significance.h"

namespace gtops::rootcause {
namespace {

using ordered_json = nlohmann::ordered_json;

// The population bit and the error bits that define a metric as 1 - errors / at risk (or
// errors / at risk for id_switch_rate).
struct MetricDef {
  std::string_view name;
  std::string_view population;
  std::vector<std::string_view> errors;
};

const std::vector<MetricDef>& MetricDefs() {
  static const std::vector<MetricDef> kDefs = {
      {"recall", "missing", {"missing"}},
      {"precision", "extra", {"extra", "duplicate"}},
      {"class_accuracy", "wrong_class", {"wrong_class"}},
      {"localization_accuracy", "localisation", {"localisation"}},
      {"geometry_accuracy", "geometry", {"geometry"}},
      {"attribute_accuracy", "attribute", {"attribute"}},
      {"tag_accuracy", "tag", {"tag"}},
      {"id_switch_rate", "id_switch", {"id_switch"}},
  };
  return kDefs;
}

// The metric value of `name` over a whole table: (errors, at risk).
std::pair<int64_t, int64_t> MetricCounts(const FactTable& t, std::string_view name) {
  for (const MetricDef& m : MetricDefs()) {
    if (m.name != name) continue;
    const uint32_t pop = uint32_t{1} << TargetIndex(m.population);
    uint32_t mask = 0;
    for (std::string_view e : m.errors) mask |= uint32_t{1} << TargetIndex(e);
    int64_t n = 0, k = 0;
    for (size_t r = 0; r < t.rows(); ++r) {
      if ((t.at_risk[r] & pop) == 0) continue;
      ++n;
      k += (t.error[r] & mask) != 0 ? 1 : 0;
    }
    return {k, n};
  }
  return {0, 0};
}

// The action a finding suggests, from the most specific producer-side condition it names.
std::pair<std::string, std::string> SuggestAction(const RootCause& f) {
  auto has = [&](std::string_view key) {
    return std::any_of(f.conditions.begin(), f.conditions.end(), [&](const ConditionOut& c) { return c.key == key; });
  };
  if (has("spec_version")) {
    return {"spec clarification", "the errors follow a spec version: the guideline of that version is read this way"};
  }
  if (has("tool_version")) return {"tool fix", "the errors follow a tool version"};
  if (has("annotator")) return {"annotator coaching", "the errors concentrate on one annotator"};
  if (has("batch") || has("week")) {
    return {"relabel batch", "the errors concentrate in a batch or week: review and relabel it"};
  }
  if (has("vendor")) return {"vendor coaching", "the errors concentrate on one vendor's work in this context"};
  return {"spec clarification", "the errors occur across vendors in this context: the guideline does not settle it"};
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{:g}", v);
}

ordered_json OptNumber(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? ordered_json(*v) : ordered_json(nullptr);
}

double Round(double v, double digits) {
  const double s = std::pow(10.0, digits);
  return std::round(v * s) / s;
}

}  // namespace

std::string ConditionLabel(const RootCause& f) {
  std::string out;
  for (const ConditionOut& c : f.conditions) {
    if (!out.empty()) out += ' ';
    if (c.range) {
      out += fmt::format("{}=[{},{})", c.key, Num(c.lo), Num(c.hi));
    } else {
      out += c.key + "=" + c.value;
    }
  }
  return out;
}

Result<RootCauseReport> Analyze(const std::vector<PipelineFacts>& facts, const AnalyzeOptions& options,
                                const ProgramConfig* config) {
  const auto& targets = Targets();
  std::vector<int> chosen;
  if (options.error_type.empty()) {
    for (size_t t = 0; t < targets.size(); ++t) chosen.push_back(static_cast<int>(t));
  } else {
    const int t = TargetIndex(options.error_type);
    if (t < 0) {
      std::string known;
      for (const TargetDef& d : targets) known += (known.empty() ? "" : ", ") + d.name;
      return Status::Usage(fmt::format("--error-type \"{}\" is not an error type or family (known: {})",
                                       options.error_type, known));
    }
    chosen.push_back(t);
  }

  RootCauseReport report;
  report.q = options.search.q;
  // One search per table and target, on `threads` threads; results joined in job order.
  struct Job {
    size_t table;
    int target;
    SearchSpace space;
    std::vector<SliceTest> found;
  };
  std::vector<Job> jobs;
  uint32_t mask = 0;
  for (int t : chosen) mask |= uint32_t{1} << t;
  for (size_t i = 0; i < facts.size(); ++i) {
    report.pipelines.push_back(facts[i].pipeline);
    for (int t : chosen) jobs.push_back(Job{i, t, {}, {}});
  }
  const unsigned threads =
      std::max(1u, std::min(options.threads > 0 ? static_cast<unsigned>(options.threads) : std::thread::hardware_concurrency(),
                            static_cast<unsigned>(jobs.size())));
  std::vector<LevelOne> level_one(facts.size());
  for (size_t i = 0; i < facts.size(); ++i) level_one[i] = CountLevelOne(facts[i].table, mask, static_cast<int>(threads));
  std::atomic<size_t> next{0};
  auto work = [&]() {
    for (size_t j = next++; j < jobs.size(); j = next++) {
      Job& job = jobs[j];
      job.found = SearchSlices(facts[job.table].table, static_cast<int>(job.table), job.target, options.search,
                               job.space, &level_one[job.table]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  std::vector<SliceTest> tests;
  double hypotheses = 0;
  for (Job& job : jobs) {
    hypotheses += std::max(job.space.hypotheses, static_cast<double>(job.found.size()));
    tests.insert(tests.end(), std::make_move_iterator(job.found.begin()), std::make_move_iterator(job.found.end()));
  }
  report.evaluated = static_cast<int64_t>(tests.size());
  report.tests = hypotheses;
  std::vector<double> log_p(tests.size());
  for (size_t i = 0; i < tests.size(); ++i) log_p[i] = tests[i].log_p;
  const double untested = hypotheses - static_cast<double>(tests.size());
  const std::vector<double> log_q = LogBenjaminiHochberg(log_p, untested);
  const double cutoff = LogBhCutoff(log_p, options.search.q, untested);
  const double log_level = std::log(options.search.q);

  // Discoveries by (table, target).
  std::map<std::pair<int, int>, std::pair<std::vector<SliceTest>, std::vector<double>>> groups;
  for (size_t i = 0; i < tests.size(); ++i) {
    if (log_q[i] > log_level) continue;
    ++report.discoveries;
    auto& g = groups[{tests[i].table, tests[i].target}];
    g.first.push_back(tests[i]);
    g.second.push_back(log_q[i]);
  }
  std::vector<RootCause> all;
  // Causes by (table, target); families after their types (higher target indices), their types'
  // causes counted as covered.
  std::map<std::pair<int, int>, std::vector<std::vector<Condition>>> conditions_of;
  std::vector<std::pair<std::pair<int, int>, std::vector<Finding>>> kept;
  for (auto& [key, g] : groups) {
    const FactTable& table = facts[static_cast<size_t>(key.first)].table;
    const TargetDef& target = targets[static_cast<size_t>(key.second)];
    std::vector<std::vector<Condition>> covered;
    for (const std::string& m : target.members) {
      const auto& c = conditions_of[{key.first, TargetIndex(m)}];
      covered.insert(covered.end(), c.begin(), c.end());
    }
    kept.emplace_back(key, RemoveRedundancy(table, key.second, g.first, g.second, cutoff, options.search, covered));
    for (const Finding& f : kept.back().second) conditions_of[key].push_back(f.test.conditions);
  }
  // The causes are tested again as a family of their own: Benjamini–Hochberg over their residual
  // p-values (what each holds beyond the causes kept before it), with the rest of the search space
  // at p = 1, so that the many slices of a few strong causes do not lend their discoveries to
  // sparse ones.
  std::vector<double> residual;
  for (const auto& [key, findings] : kept) {
    for (const Finding& f : findings) residual.push_back(f.residual_log_p);
  }
  report.candidates = static_cast<int64_t>(residual.size());
  const std::vector<double> cause_log_q =
      LogBenjaminiHochberg(residual, std::max(0.0, hypotheses - static_cast<double>(residual.size())));
  size_t cause_index = 0;
  for (auto& [key, findings] : kept) {
    const PipelineFacts& pf = facts[static_cast<size_t>(key.first)];
    const TargetDef& target = targets[static_cast<size_t>(key.second)];
    const PipelineSpec* spec = config != nullptr ? config->FindPipeline(pf.pipeline) : nullptr;
    std::string metric = target.metric;
    if (target.name == "localisation" && spec != nullptr && spec->geometry != GeometryKind::kBox2d &&
        spec->geometry != GeometryKind::kBox3d) {
      metric = "geometry_accuracy";
    }
    const auto [metric_k, metric_n] = MetricCounts(pf.table, metric);
    for (Finding& f : findings) {
      const double cause_q = cause_log_q[cause_index++];
      if (cause_q > log_level) continue;
      bool repeated = false;  // a family finding that repeats a type finding's slice says nothing new
      for (const std::string& m : target.members) {
        const auto& same = conditions_of[{key.first, TargetIndex(m)}];
        repeated = repeated || std::find(same.begin(), same.end(), f.test.conditions) != same.end();
      }
      if (repeated) continue;
      RootCause rc;
      rc.pipeline = pf.pipeline;
      rc.error_type = target.name;
      rc.family = target.family;
      for (const Condition& c : f.test.conditions) {
        const Dimension& d = pf.table.dims[c.dim];
        ConditionOut co;
        co.key = d.key;
        if (d.numeric) {
          co.range = true;
          ConditionRange(d, c, co.lo, co.hi);
        } else {
          co.value = d.values[c.code];
        }
        rc.conditions.push_back(std::move(co));
      }
      rc.support = f.test.support;
      rc.errors = f.test.errors;
      rc.population = f.population;
      rc.population_errors = f.population_errors;
      rc.rate = static_cast<double>(rc.errors) / static_cast<double>(rc.support);
      std::tie(rc.rate_lo, rc.rate_hi) =
          quality::WilsonInterval(static_cast<double>(rc.errors), static_cast<double>(rc.support));
      const double rest_n = static_cast<double>(f.rest_support), rest_k = static_cast<double>(f.rest_errors);
      rc.baseline_rate = rest_n > 0 ? rest_k / rest_n : 0;
      std::tie(rc.baseline_lo, rc.baseline_hi) = rest_n > 0 ? quality::WilsonInterval(rest_k, rest_n) : std::pair{0.0, 0.0};
      if (rc.baseline_rate > 0) rc.lift = rc.rate / rc.baseline_rate;
      rc.log10_p = f.test.log_p / std::log(10.0);
      rc.p_value = std::exp(f.test.log_p);
      rc.slice_q_value = std::exp(f.log_q);
      rc.q_value = std::max(rc.slice_q_value, std::exp(cause_q));
      rc.excess_errors = static_cast<double>(rc.errors) - static_cast<double>(rc.support) * rc.baseline_rate;
      rc.share_of_errors = rc.population_errors > 0 ? rc.excess_errors / static_cast<double>(rc.population_errors) : 0;
      rc.safety_impact = f.weight_errors - rc.baseline_rate * f.weight_at_risk;
      rc.metric = metric;
      if (!metric.empty() && metric_n > 0) {
        const bool lower_better = !MetricHigherIsBetter(metric);
        const double err_rate = static_cast<double>(metric_k) / static_cast<double>(metric_n);
        const double move = rc.excess_errors / static_cast<double>(metric_n);
        rc.metric_value = lower_better ? err_rate : 1 - err_rate;
        rc.metric_if_fixed = lower_better ? err_rate - move : 1 - err_rate + move;
        if (spec != nullptr) {
          for (const Target& t : spec->targets.pipeline) {
            if (t.metric != metric) continue;
            rc.target = t.value;
            rc.meets_target = lower_better ? *rc.metric_value <= t.value : *rc.metric_value >= t.value;
            rc.meets_target_if_fixed = lower_better ? *rc.metric_if_fixed <= t.value : *rc.metric_if_fixed >= t.value;
          }
        }
      }
      rc.examples = std::move(f.examples);
      std::tie(rc.action, rc.action_reason) = SuggestAction(rc);
      all.push_back(std::move(rc));
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const RootCause& a, const RootCause& b) {
    if (a.pipeline != b.pipeline) return a.pipeline < b.pipeline;
    if (a.safety_impact != b.safety_impact) return a.safety_impact > b.safety_impact;
    return a.log10_p < b.log10_p;
  });
  for (size_t i = 0; i < all.size(); ++i) {
    all[i].rank = i > 0 && all[i - 1].pipeline == all[i].pipeline ? all[i - 1].rank + 1 : 1;
  }
  report.findings = std::move(all);
  return report;
}

Status AddRootCauses(Store& store, const ProgramConfig& config, report::RunResult& result, int per_pipeline) {
  return AddRootCauses(store, config, result, {}, {}, per_pipeline);
}

Status AddRootCauses(Store& store, const ProgramConfig& config, report::RunResult& result,
                     const std::set<std::string>& measured, std::vector<PipelineFacts> facts, int per_pipeline) {
  std::set<std::string> failing;
  for (const report::Gap& g : result.gaps) {
    if (g.status == report::GapStatus::kFails) failing.insert(g.pipeline);
  }
  if (failing.empty()) return Status::Ok();
  std::vector<PipelineFacts> chosen;
  for (PipelineFacts& f : facts) {
    if (failing.count(f.pipeline) != 0) chosen.push_back(std::move(f));
  }
  const bool read = std::any_of(failing.begin(), failing.end(), [&](const std::string& p) { return measured.count(p) == 0; });
  if (read) {
    auto stored = LoadFacts(store, "");
    if (!stored.ok()) return stored.status();
    for (PipelineFacts& f : *stored) {
      if (failing.count(f.pipeline) != 0 && measured.count(f.pipeline) == 0) chosen.push_back(std::move(f));
    }
  }
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const PipelineFacts& a, const PipelineFacts& b) { return a.pipeline < b.pipeline; });
  auto report = Analyze(chosen, AnalyzeOptions{}, &config);
  if (!report.ok()) return report.status();
  for (const RootCause& f : report->findings) {
    if (f.rank > per_pipeline) continue;
    result.root_causes.push_back(report::RootCauseRow{f.pipeline, f.error_type, ConditionLabel(f), f.action, f.errors,
                                                      f.support, f.rate, f.baseline_rate, f.q_value,
                                                      f.share_of_errors, f.rank});
  }
  return Status::Ok();
}

std::string RenderJson(const RootCauseReport& report) {
  ordered_json findings = ordered_json::array();
  for (const RootCause& f : report.findings) {
    ordered_json conds = ordered_json::object();
    for (const ConditionOut& c : f.conditions) {
      if (c.range) {
        conds[c.key] = ordered_json::array({std::isfinite(c.lo) ? ordered_json(c.lo) : ordered_json(nullptr),
                                            std::isfinite(c.hi) ? ordered_json(c.hi) : ordered_json(nullptr)});
      } else {
        conds[c.key] = c.value;
      }
    }
    ordered_json j;
    j["pipeline"] = f.pipeline;
    j["error_type"] = f.error_type;
    j["family"] = f.family;
    j["conditions"] = conds;
    j["support"] = f.support;
    j["errors"] = f.errors;
    j["rate"] = f.rate;
    j["rate_interval"] = {f.rate_lo, f.rate_hi};
    j["baseline_rate"] = f.baseline_rate;
    j["baseline_interval"] = {f.baseline_lo, f.baseline_hi};
    j["lift"] = OptNumber(f.lift);
    j["p_value"] = f.p_value;
    j["log10_p"] = Round(f.log10_p, 3);
    j["q_value"] = f.q_value;
    j["slice_q_value"] = f.slice_q_value;
    j["rank"] = f.rank;
    j["population"] = f.population;
    j["population_errors"] = f.population_errors;
    j["excess_errors"] = Round(f.excess_errors, 3);
    j["share_of_errors"] = Round(f.share_of_errors, 4);
    j["metric"] = {{"name", f.metric.empty() ? ordered_json(nullptr) : ordered_json(f.metric)},
                   {"value", OptNumber(f.metric_value)},
                   {"if_fixed", OptNumber(f.metric_if_fixed)},
                   {"target", OptNumber(f.target)},
                   {"meets_target", f.meets_target ? ordered_json(*f.meets_target) : ordered_json(nullptr)},
                   {"meets_target_if_fixed",
                    f.meets_target_if_fixed ? ordered_json(*f.meets_target_if_fixed) : ordered_json(nullptr)}};
    j["safety_impact"] = Round(f.safety_impact, 3);
    j["examples"] = f.examples;
    j["action"] = {{"kind", f.action}, {"reason", f.action_reason}};
    findings.push_back(std::move(j));
  }
  ordered_json out;
  out["evidence"] = report.evidence;
  out["findings"] = findings;
  out["pipelines"] = report.pipelines;
  out["tests"] = report.tests;
  out["evaluated"] = report.evaluated;
  out["discoveries"] = report.discoveries;
  out["candidates"] = report.candidates;
  out["q"] = report.q;
  return out.dump(2) + "\n";
}

std::string RenderText(const RootCauseReport& report) {
  std::string out = fmt::format(
      "evidence: {}; {:.0f} hypotheses in the search space, {} slices computed, {} with q <= {} before redundancy "
      "removal, {} causes\n",
      report.evidence == "audits"     ? "audit errors (objects the auditors reviewed)"
      : report.evidence == "findings" ? "automated QA findings (probability >= 0.5)"
                                      : "comparisons with gold",
      report.tests, report.evaluated, report.discoveries, report.q, report.findings.size());
  std::string pipeline;
  for (const RootCause& f : report.findings) {
    if (f.pipeline != pipeline) {
      pipeline = f.pipeline;
      out += fmt::format("\n{}\n", pipeline);
    }
    out += fmt::format("  {:>2}. {:<13} {}\n      {} of {} ({:.1f}% [{:.1f}, {:.1f}]) vs {:.2f}% elsewhere, lift {}, "
                       "q {:.2g}; {:.0f}% of its errors; {}\n",
                       f.rank, f.error_type, ConditionLabel(f), f.errors, f.support, 100 * f.rate, 100 * f.rate_lo,
                       100 * f.rate_hi, 100 * f.baseline_rate, f.lift ? fmt::format("{:.1f}", *f.lift) : "inf",
                       f.q_value, 100 * f.share_of_errors, f.action);
  }
  return out;
}

}  // namespace gtops::rootcause
