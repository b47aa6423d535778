#include "run/audit_sample.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "run/process_data.h"

namespace gtops {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string Cell(const std::optional<std::string>& c) { return c.value_or(""); }

// Calls fn(row) for each row of a read-only query.
template <typename Fn>
Status ForRows(Store& store, const std::string& sql, Fn&& fn) {
  auto q = store.QueryReadOnly(sql);
  if (!q.ok()) return q.status();
  for (const auto& row : q->rows) fn(row);
  return Status::Ok();
}

bool ValidSceneKey(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

// Each task's value of one stratification key, for every task of the pipeline.
Result<std::map<std::string, std::string>> KeyValues(Store& store, const std::string& pipeline,
                                                     const std::string& key) {
  std::map<std::string, std::string> out;
  const std::string p = SqlQuote(pipeline);
  Status s;
  if (key == "vendor") {
    s = ForRows(store, "SELECT task, coalesce(vendor, '') FROM tasks WHERE pipeline = " + p,
                [&](const auto& r) { out[Cell(r[0])] = Cell(r[1]); });
  } else if (key == "annotator") {
    // The primary annotator: the first `assigned` event's, else the smallest annotator of the
    // task's vendor label records.
    s = ForRows(store,
                "SELECT task, annotator FROM events WHERE pipeline = " + p +
                    " AND event = 'assigned' AND annotator IS NOT NULL AND annotator <> '' ORDER BY task, at_ms",
                [&](const auto& r) { out.try_emplace(Cell(r[0]), Cell(r[1])); });
    if (s.ok()) {
      s = ForRows(store,
                  "SELECT task, min(annotator) FROM label_sets WHERE pipeline = " + p +
                      " AND source = 'vendor' AND annotator IS NOT NULL GROUP BY task",
                  [&](const auto& r) { out.try_emplace(Cell(r[0]), Cell(r[1])); });
    }
  } else if (key == "class_mix") {
    // The task's most frequent class among its vendor labels (ties: the smallest name).
    std::map<std::string, std::pair<int64_t, std::string>> best;
    s = ForRows(store,
                "SELECT l.task, o.class, count(*) FROM label_sets l JOIN objects o USING (label_set_id) "
                "WHERE l.pipeline = " + p + " AND l.source = 'vendor' GROUP BY 1, 2 ORDER BY 1, 2",
                [&](const auto& r) {
                  const int64_t n = r[2] ? std::stoll(*r[2]) : 0;
                  auto [it, fresh] = best.try_emplace(Cell(r[0]), n, Cell(r[1]));
                  if (!fresh && n > it->second.first) it->second = {n, Cell(r[1])};
                });
    for (auto& [task, b] : best) out[task] = b.second;
  } else if (key.starts_with("scene.") && ValidSceneKey(key.substr(6))) {
    // The scene condition of the task's first vendor label record (by frame id).
    s = ForRows(store,
                fmt::format("SELECT task, json_extract(scene, '$.\"{}\"') FROM label_sets WHERE pipeline = {} "
                            "AND source = 'vendor' ORDER BY task, frame",
                            key.substr(6), p),
                [&](const auto& r) { out.try_emplace(Cell(r[0]), Cell(r[1])); });
  } else {
    return Status::Usage(fmt::format(
        "--stratify: unknown key '{}' (vendor, annotator, class_mix, scene.<condition>)", key));
  }
  if (!s.ok()) return s;
  return out;
}

// What history says of each task of the pipeline: failed (1/0) for an audited or gold-compared
// task, the probability that it has an error for a task checked by automated QA.
Result<std::map<std::string, double>> Evidence(Store& store, const std::string& pipeline) {
  std::map<std::string, double> y;
  const std::string p = SqlQuote(pipeline);
  GTOPS_RETURN_IF_ERROR(ForRows(store, "SELECT task, pass FROM task_audits WHERE pipeline = " + p,
                                [&](const auto& r) { y[Cell(r[0])] = Cell(r[1]) == "1" ? 0.0 : 1.0; }));
  GTOPS_RETURN_IF_ERROR(ForRows(
      store,
      "SELECT task, max(errors <> '') FROM outcomes WHERE evaluation_id = (SELECT max(evaluation_id) FROM "
      "evaluation_runs WHERE pipeline = " + p + " AND source = 'vendor' AND against = 'gold' AND batch = '') "
      "AND kind <> 'ignored' GROUP BY task",
      [&](const auto& r) { y.try_emplace(Cell(r[0]), Cell(r[1]) == "1" ? 1.0 : 0.0); }));
  auto run = store.LatestCheckRun(pipeline);
  if (!run.ok()) return run.status();
  if (run->has_value()) {
    std::map<std::string, double> clean;  // task -> P(no error) = prod (1 - probability)
    GTOPS_RETURN_IF_ERROR(ForRows(
        store, "SELECT DISTINCT task FROM label_sets WHERE pipeline = " + p + " AND source = 'vendor'",
        [&](const auto& r) { clean[Cell(r[0])] = 1.0; }));
    GTOPS_RETURN_IF_ERROR(store.ForEachFinding(pipeline, [&](const FindingRow& f) {
      auto it = clean.find(f.task);
      if (it != clean.end()) it->second *= 1 - std::clamp(f.probability, 0.0, 1.0);
      return Status::Ok();
    }));
    for (const auto& [task, c] : clean) y.try_emplace(task, 1 - c);
  }
  return y;
}

std::string Joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& x : items) out += (out.empty() ? "" : std::string(sep)) + x;
  return out;
}

}  // namespace

Result<DrawResult> DrawAuditSample(Store& store, const DrawRequest& req) {
  if (req.seed < 0) return Status::Usage(fmt::format("--seed {} must be 0 or more", req.seed));
  // The lot: the batch's tasks.
  std::vector<std::string> lot;
  GTOPS_RETURN_IF_ERROR(ForRows(
      store, fmt::format("SELECT task FROM tasks WHERE pipeline = {} AND batch = {} ORDER BY task",
                         SqlQuote(req.pipeline), SqlQuote(req.batch)),
      [&](const auto& r) { lot.push_back(Cell(r[0])); }));
  if (lot.empty()) {
    return Status::Usage(fmt::format("--batch {}: no tasks of pipeline {} in that batch", req.batch, req.pipeline));
  }
  const int64_t lot_size = static_cast<int64_t>(lot.size());

  DrawResult out;
  AuditPlanRow& plan = out.plan;
  plan.pipeline = req.pipeline;
  plan.batch = req.batch;
  plan.lot = lot_size;
  plan.seed = req.seed;
  plan.budget = req.budget;
  plan.created_at = req.now;
  plan.stratify = Joined(req.stratify, ",");

  // The sample size: from the plan, else the budget.
  int64_t n = 0;
  if (req.budget && *req.budget <= 0) return Status::Usage(fmt::format("--budget {} must be positive", *req.budget));
  if (req.plan) {
    stats::PlanRequest r = *req.plan;
    r.lot_size = lot_size;
    plan.aql = r.aql, plan.ltpd = r.ltpd, plan.alpha = r.alpha, plan.beta = r.beta;
    plan.kind = req.plan_kind;
    if (req.plan_kind == "double") {
      auto d = stats::DesignDoublePlan(r);
      if (!d.ok()) return d.status();
      plan.n1 = d->n1, plan.c1 = d->c1, plan.r1 = d->r1, plan.n2 = d->n2, plan.c2 = d->c2;
      n = d->n1 + d->n2;
    } else if (req.plan_kind == "single" || req.plan_kind == "sprt") {
      auto single = stats::DesignSinglePlan(r);
      if (!single.ok()) return single.status();
      if (req.plan_kind == "single") {
        plan.c = single->c;
      } else {
        auto t = stats::MakeSprt(r.aql, r.ltpd, r.alpha, r.beta);
        if (!t.ok()) return t.status();
      }
      n = single->n;  // an SPRT's truncation: the single plan's n (or the budget)
    } else {
      return Status::Usage(fmt::format("--plan {}: expected single, double or sprt", req.plan_kind));
    }
    if (req.budget) {
      if (*req.budget < n && req.plan_kind != "sprt") {
        return Status::Usage(fmt::format("--budget {} is below the {} plan's {} audits", *req.budget, req.plan_kind, n));
      }
      n = req.plan_kind == "sprt" ? *req.budget : std::max(n, *req.budget);
    }
  } else if (req.fixed) {
    if (req.fixed->n < 1 || req.fixed->c < 0 || req.fixed->c >= req.fixed->n) {
      return Status::Usage(fmt::format("--n {} --c {}: need n >= 1 and 0 <= c < n", req.fixed->n, req.fixed->c));
    }
    plan.kind = "single";
    plan.c = req.fixed->c;
    n = req.fixed->n;
    if (req.budget && *req.budget < n) {
      return Status::Usage(fmt::format("--budget {} is below the fixed plan's n = {}", *req.budget, n));
    }
    if (req.budget) n = *req.budget;
  } else if (req.budget) {
    plan.kind = "budget";
    n = *req.budget;
  } else {
    return Status::Usage("sample draw: give --budget, or --aql and --ltpd for an acceptance plan");
  }
  n = std::min(n, lot_size);
  plan.n = n;

  // Strata of every task of the pipeline (history) and of the lot.
  std::vector<std::map<std::string, std::string>> values;
  for (const std::string& key : req.stratify) {
    auto v = KeyValues(store, req.pipeline, key);
    if (!v.ok()) return v.status();
    values.push_back(std::move(*v));
  }
  auto stratum_name = [&](const std::string& task) {
    if (req.stratify.empty()) return std::string("all");
    std::string name;
    for (size_t k = 0; k < req.stratify.size(); ++k) {
      auto it = values[k].find(task);
      const std::string v = it == values[k].end() || it->second.empty() ? "(none)" : it->second;
      name += (k ? " " : "") + req.stratify[k] + "=" + v;
    }
    return name;
  };
  std::map<std::string, size_t> index;
  std::vector<size_t> stratum_of(lot.size());
  for (size_t i = 0; i < lot.size(); ++i) index.try_emplace(stratum_name(lot[i]), 0);
  for (auto& [name, h] : index) {
    h = out.strata.size();
    DrawStratum s;
    s.name = name;
    out.strata.push_back(std::move(s));
  }
  for (size_t i = 0; i < lot.size(); ++i) {
    stratum_of[i] = index[stratum_name(lot[i])];
    ++out.strata[stratum_of[i]].size;
  }

  // History: the anticipated rate of each stratum, shrunk towards the pooled rate.
  if (!req.stratify.empty()) {
    auto evidence = Evidence(store, req.pipeline);
    if (!evidence.ok()) return evidence.status();
    double all_failures = 0;
    for (const auto& [task, y] : *evidence) {
      all_failures += y;
      auto it = index.find(stratum_name(task));
      if (it == index.end()) continue;
      ++out.strata[it->second].history;
      out.strata[it->second].failures += y;
    }
    out.evidence_tasks = static_cast<int64_t>(evidence->size());
    if (out.evidence_tasks > 0) out.pooled_rate = all_failures / static_cast<double>(out.evidence_tasks);
  }
  std::vector<stats::Stratum> strata;
  for (DrawStratum& s : out.strata) {
    if (std::isfinite(out.pooled_rate)) {
      s.rate = (s.failures + kHistoryPriorTasks * out.pooled_rate) / (static_cast<double>(s.history) + kHistoryPriorTasks);
    } else {
      s.rate = NAN;
    }
    strata.push_back({s.name, s.size, std::isfinite(s.rate) ? s.rate : 0.0});
  }
  std::vector<int64_t> allocation;
  if (req.stratify.empty()) {
    plan.allocation = "none";
    allocation = {n};
  } else if (std::isfinite(out.pooled_rate)) {
    plan.allocation = "neyman";
    allocation = stats::NeymanAllocation(strata, n);
  } else {
    plan.allocation = "proportional";
    allocation = stats::ProportionalAllocation(strata, n);
  }

  // The draw, in audit order.
  const std::vector<size_t> drawn = stats::DrawStratified(lot, stratum_of, allocation, static_cast<uint64_t>(req.seed));
  for (size_t h = 0; h < out.strata.size(); ++h) out.strata[h].allocated = allocation[h];
  for (const size_t i : drawn) {
    const DrawStratum& s = out.strata[stratum_of[i]];
    out.tasks.push_back({lot[i], s.name, static_cast<double>(s.size) / static_cast<double>(s.allocated)});
  }
  ordered_json sj = ordered_json::array();
  for (const DrawStratum& s : out.strata) {
    sj.push_back(ordered_json{{"name", s.name},
                              {"size", s.size},
                              {"history", s.history},
                              {"failures", s.failures},
                              {"rate", std::isfinite(s.rate) ? ordered_json(s.rate) : ordered_json(nullptr)},
                              {"allocated", s.allocated}});
  }
  plan.strata_json = sj.dump();

  auto existing = store.LoadAuditPlan(req.pipeline, req.batch);
  if (!existing.ok()) return existing.status();
  auto saved = store.SaveAuditPlan(plan, out.tasks, req.force);
  if (!saved.ok()) return saved.status();
  out.saved = *saved;
  out.replaced = out.saved && existing->has_value();
  return out;
}

Result<DecideResult> DecideAuditSample(Store& store, const std::string& pipeline, const std::string& batch) {
  auto loaded = store.LoadAuditPlan(pipeline, batch);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) {
    return Status::NotFound(fmt::format(
        "no audit plan for batch {} of pipeline {}: draw one with `gtops sample draw`", batch, pipeline));
  }
  DecideResult out;
  out.recorded = std::move(**loaded);
  const AuditPlanRow& plan = out.recorded.plan;

  // The audits of the batch's tasks.
  std::map<std::string, std::pair<bool, int64_t>> audited;  // task -> (failed, latest audit)
  GTOPS_RETURN_IF_ERROR(ForRows(
      store,
      fmt::format("SELECT a.task, a.pass, a.latest_at_ms FROM task_audits a JOIN tasks t USING (task) "
                  "WHERE t.pipeline = {} AND t.batch = {}",
                  SqlQuote(pipeline), SqlQuote(batch)),
      [&](const auto& r) { audited[Cell(r[0])] = {Cell(r[1]) != "1", r[2] ? std::stoll(*r[2]) : 0}; }));
  std::set<std::string> drawn;
  for (size_t i = 0; i < out.recorded.tasks.size(); ++i) {
    const AuditPlanTask& t = out.recorded.tasks[i];
    drawn.insert(t.task);
    AuditedTask a;
    a.task = t.task;
    a.stratum = t.stratum;
    a.ord = static_cast<int64_t>(i);
    auto it = audited.find(t.task);
    if (it != audited.end()) a.audited = true, a.failed = it->second.first, a.at_ms = it->second.second;
    out.tasks.push_back(std::move(a));
  }
  for (const auto& entry : audited) out.audits_outside += drawn.count(entry.first) == 0;
  // Audit order: audited tasks by the time of their latest audit (then draw order), then the rest.
  std::stable_sort(out.tasks.begin(), out.tasks.end(), [](const AuditedTask& a, const AuditedTask& b) {
    return std::make_tuple(!a.audited, a.at_ms, a.ord) < std::make_tuple(!b.audited, b.at_ms, b.ord);
  });
  std::vector<bool> failed;
  for (const AuditedTask& t : out.tasks) {
    if (t.audited) failed.push_back(t.failed);
  }

  // The stratified estimate over the strata recorded with the plan.
  std::map<std::string, size_t> index;
  const auto strata = ordered_json::parse(plan.strata_json, nullptr, false);
  if (strata.is_discarded() || !strata.is_array()) {
    return Status::StoreError(fmt::format("audit plan of batch {} of pipeline {}: strata are not a JSON array",
                                          batch, pipeline));
  }
  for (const auto& s : strata) {
    index[s.value("name", "")] = out.strata.size();
    StratumDecision d;
    d.name = s.value("name", "");
    d.size = s.value("size", int64_t{0});
    out.strata.push_back(std::move(d));
  }
  for (const AuditedTask& t : out.tasks) {
    auto it = index.find(t.stratum);
    if (it == index.end()) continue;
    StratumDecision& s = out.strata[it->second];
    ++s.drawn;
    s.audited += t.audited;
    s.failed += t.audited && t.failed;
  }
  std::vector<stats::StratumSample> samples;
  for (const StratumDecision& s : out.strata) samples.push_back({s.size, s.audited, s.failed});
  out.estimate = stats::EstimateStratified(samples);
  // A sample over several strata was drawn at unequal rates: a single plan decides on the design-
  // weighted failures (stats::DecideStratified; docs/sampling.md, "Deciding on a stratified sample").
  const bool stratified = out.strata.size() > 1;
  std::vector<int64_t> drawn_per_stratum;
  for (const StratumDecision& s : out.strata) drawn_per_stratum.push_back(s.drawn);
  if (plan.kind == "single" && plan.c && stratified) {
    out.weighted = stats::DecideStratified(stats::SinglePlan{plan.n, *plan.c}, samples, drawn_per_stratum);
    out.evidence = out.weighted->plan;
  } else if (plan.kind == "single" && plan.c) {
    out.evidence = stats::DecidePlan(stats::SinglePlan{plan.n, *plan.c}, failed);
  } else if (plan.kind == "double" && plan.n1 && plan.c1 && plan.r1 && plan.n2 && plan.c2) {
    out.evidence = stats::DecidePlan(stats::DoublePlan{*plan.n1, *plan.c1, *plan.r1, *plan.n2, *plan.c2}, failed);
  } else if (plan.kind == "sprt" && plan.aql && plan.ltpd && plan.alpha && plan.beta) {
    auto t = stats::MakeSprt(*plan.aql, *plan.ltpd, *plan.alpha, *plan.beta);
    if (!t.ok()) return t.status();
    out.sprt = *t;
    out.evidence = stats::DecidePlan(*t, failed);
    if (out.evidence.decision == stats::AuditDecision::kContinue &&
        out.evidence.audits_used >= static_cast<int64_t>(out.recorded.tasks.size())) {
      out.evidence.evidence += "; every drawn task is audited: draw more (a larger --budget) to go on";
    }
  } else if (plan.kind == "budget") {
    out.evidence.audits_used = static_cast<int64_t>(failed.size());
    out.evidence.failures = std::count(failed.begin(), failed.end(), true);
    out.evidence.audits_needed = static_cast<int64_t>(out.recorded.tasks.size()) - out.evidence.audits_used;
    out.evidence.evidence = fmt::format(
        "{} of {} drawn tasks audited, {} failed (drawn with --budget only: no acceptance criterion)",
        out.evidence.audits_used, out.recorded.tasks.size(), out.evidence.failures);
  } else {
    return Status::StoreError(fmt::format("audit plan of batch {} of pipeline {}: kind '{}' lacks its parameters",
                                          batch, pipeline, plan.kind));
  }
  if (stratified && !out.weighted && std::isfinite(out.estimate.rate)) {
    out.evidence.evidence += fmt::format("; weighted error rate {:.2f}% [{:.2f}%, {:.2f}%]{}", 100 * out.estimate.rate,
                                         100 * out.estimate.lo, 100 * out.estimate.hi,
                                         plan.kind == "budget" ? "" : " (this plan decides on unweighted failures)");
  }
  out.decision = plan.kind == "budget" ? "estimate" : stats::Name(out.evidence.decision);

  return out;
}

Result<std::vector<report::AuditPlanView>> AuditPlanViews(Store& store, size_t max) {
  std::vector<std::pair<std::string, std::string>> keys;
  GTOPS_RETURN_IF_ERROR(ForRows(
      store, fmt::format("SELECT pipeline, batch FROM audit_plans ORDER BY created_at DESC, pipeline, batch LIMIT {}", max),
      [&](const auto& r) { keys.emplace_back(Cell(r[0]), Cell(r[1])); }));
  std::vector<report::AuditPlanView> out;
  for (const auto& [pipeline, batch] : keys) {
    auto d = DecideAuditSample(store, pipeline, batch);
    if (!d.ok()) return d.status();
    const AuditPlanRow& p = d->recorded.plan;
    report::AuditPlanView v;
    v.pipeline = p.pipeline;
    v.batch = p.batch;
    v.kind = p.kind;
    v.lot = p.lot;
    v.n = p.n;
    v.aql = p.aql.value_or(NAN);
    v.ltpd = p.ltpd.value_or(NAN);
    v.alpha = p.alpha.value_or(NAN);
    v.beta = p.beta.value_or(NAN);
    v.decision = d->decision;
    v.evidence = d->evidence.evidence;
    v.created_at = p.created_at;
    std::vector<double> grid;
    if (p.aql && p.ltpd) grid = stats::OcGrid(*p.aql, *p.ltpd, 41);
    std::vector<stats::OcPoint> oc;
    if (p.kind == "single" && p.c) {
      v.plan = fmt::format("n = {}, c = {}", p.n, *p.c);
      oc = stats::OcCurve(stats::SinglePlan{p.n, *p.c}, p.lot, grid);
    } else if (p.kind == "double" && p.n1 && p.c1 && p.r1 && p.n2 && p.c2) {
      v.plan = fmt::format("n1 = {}, c1 = {}, r1 = {}, n2 = {}, c2 = {}", *p.n1, *p.c1, *p.r1, *p.n2, *p.c2);
      oc = stats::OcCurve(stats::DoublePlan{*p.n1, *p.c1, *p.r1, *p.n2, *p.c2}, p.lot, grid);
    } else if (p.kind == "sprt" && d->sprt) {
      v.plan = fmt::format("SPRT AQL {} vs LTPD {}, up to {}", *p.aql, *p.ltpd, p.n);
      for (double x : grid) oc.push_back({x, stats::SprtAcceptProbability(*d->sprt, x)});
    } else {
      v.plan = fmt::format("budget of {}", p.n);
    }
    for (const stats::OcPoint& o : oc) v.oc.emplace_back(o.p, o.p_accept);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace gtops

