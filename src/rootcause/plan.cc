// The Markdown improvement plan (docs/rootcause.md, "The plan").
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rootcause/rootcause.h"

namespace gtops::rootcause {
namespace {

std::string Pct(double v) { return fmt::format("{:.1f}%", 100 * v); }

std::string Metric(const std::optional<double>& v) { return v ? fmt::format("{:.4f}", *v) : "-"; }

std::string Escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string GapLine(const RootCause& f) {
  if (f.metric.empty() || !f.metric_value) return "no metric target is lowered by this error type";
  std::string line = fmt::format("{} {} -> {} if the slice fell to the rest's rate", f.metric, Metric(f.metric_value),
                                 Metric(f.metric_if_fixed));
  if (f.target) {
    line += fmt::format(" (target {:g}: {} now, {} then)", *f.target, *f.meets_target ? "met" : "missed",
                        *f.meets_target_if_fixed ? "met" : "still missed");
  }
  return line;
}

void Evidence(std::string& out, const RootCause& f) {
  out += fmt::format("- **Evidence**: {} {} errors in {} objects at risk, {} [{}, {}], against {} [{}, {}] in the "
                     "other {} objects of the pipeline; lift {}; q = {:.2g} (log10 p = {:.1f}).\n",
                     f.errors, f.error_type, f.support, Pct(f.rate), Pct(f.rate_lo), Pct(f.rate_hi),
                     Pct(f.baseline_rate), Pct(f.baseline_lo), Pct(f.baseline_hi), f.population - f.support,
                     f.lift ? fmt::format("{:.1f}", *f.lift) : "unbounded (no such error elsewhere)", f.q_value,
                     f.log10_p);
  out += fmt::format("- **Size**: {:.1f} errors above the rest's rate, {} of the pipeline's {} {} errors; "
                     "safety-weighted impact {:.1f}.\n",
                     f.excess_errors, Pct(f.share_of_errors), f.population_errors, f.error_type, f.safety_impact);
  out += fmt::format("- **Metric gap**: {}.\n", GapLine(f));
  if (!f.examples.empty()) {
    std::string ex;
    for (const std::string& e : f.examples) ex += (ex.empty() ? "`" : ", `") + e + "`";
    out += fmt::format("- **Examples** (frame/object): {}.\n", ex);
  }
  out += fmt::format("- **Action**: {} ({}).\n", f.action, f.action_reason);
}

}  // namespace

std::string RenderPlan(const RootCauseReport& report, const std::vector<FailedGate>& failed, const std::string& title) {
  std::vector<const RootCause*> ranked;
  for (const RootCause& f : report.findings) ranked.push_back(&f);
  std::stable_sort(ranked.begin(), ranked.end(), [](const RootCause* a, const RootCause* b) {
    const bool ga = a->meets_target.has_value() && !*a->meets_target;
    const bool gb = b->meets_target.has_value() && !*b->meets_target;
    if (ga != gb) return ga;  // causes of missed targets first
    return a->safety_impact > b->safety_impact;
  });
  std::string out = fmt::format("# {}\n\n", title);
  out += fmt::format(
      "{} causes found in {} ({:.0f} hypotheses tested, {} computed; {} significant at a false-discovery rate of {} before "
      "redundancy removal). Ranked by safety-weighted impact, causes of missed targets first. Method: "
      "docs/rootcause.md.\n\n",
      report.findings.size(), report.pipelines.size() == 1 ? report.pipelines.front() : fmt::format("{} pipelines", report.pipelines.size()),
      report.tests, report.evaluated, report.discoveries, report.q);
  if (ranked.empty()) {
    out += "No slice concentrates errors significantly: nothing to fix by slice.\n";
  } else {
    out += "| # | pipeline | error | where | errors / at risk | share | impact | metric gap | action |\n";
    out += "|---|---|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < ranked.size(); ++i) {
      const RootCause& f = *ranked[i];
      out += fmt::format("| {} | {} | {} | {} | {} / {} | {} | {:.1f} | {} | {} |\n", i + 1, f.pipeline, f.error_type,
                         Escape(ConditionLabel(f)), f.errors, f.support, Pct(f.share_of_errors), f.safety_impact,
                         f.metric_value ? fmt::format("{} {} -> {}", f.metric, Metric(f.metric_value),
                                                      Metric(f.metric_if_fixed))
                                        : "-",
                         f.action);
    }
    out += "\n## Findings\n";
    for (size_t i = 0; i < ranked.size(); ++i) {
      const RootCause& f = *ranked[i];
      out += fmt::format("\n### {}. {}: {} where {}\n\n", i + 1, f.pipeline, f.error_type, ConditionLabel(f));
      Evidence(out, f);
    }
  }
  if (!failed.empty()) {
    out += "\n## Post-mortems of failed gates\n";
    for (const FailedGate& g : failed) {
      std::string scope = g.vendor.empty() ? "" : " vendor " + g.vendor;
      if (!g.slice.empty()) scope += " " + g.slice;
      out += fmt::format("\n### {}: {}{} at {:.4f} against {:g}\n\n", g.pipeline, g.metric, scope, g.value, g.target);
      out += fmt::format("**What happened**: {} of {}{} measured {:.4f}, missing its target of {:g}.\n\n", g.metric,
                         g.pipeline, scope, g.value, g.target);
      out += "**Impact**: _which deliveries, models or releases used these labels; what they would have needed._\n\n";
      out += "**Root causes with evidence**:\n\n";
      int n = 0;
      for (const RootCause* f : ranked) {
        if (f->pipeline != g.pipeline || f->metric != g.metric) continue;
        if (!g.vendor.empty()) {
          const bool other_vendor = std::any_of(f->conditions.begin(), f->conditions.end(), [&](const ConditionOut& c) {
            return c.key == "vendor" && c.value != g.vendor;
          });
          if (other_vendor) continue;
        }
        ++n;
        out += fmt::format("{}. {} where {}: {} of {} ({} vs {} elsewhere, q = {:.2g}); {}.\n", n, f->error_type,
                           ConditionLabel(*f), f->errors, f->support, Pct(f->rate), Pct(f->baseline_rate), f->q_value,
                           GapLine(*f));
      }
      if (n == 0) {
        out += "No significant slice explains this gap: the errors are spread evenly (a general quality level, "
               "not a cause to single out), or too few to test.\n";
      }
      out += "\n**Corrective actions**:\n\n";
      n = 0;
      for (const RootCause* f : ranked) {
        if (f->pipeline != g.pipeline || f->metric != g.metric) continue;
        out += fmt::format("- [ ] {} for {} where {} (owner: _name_, due: _date_)\n", f->action, f->error_type,
                           ConditionLabel(*f));
        ++n;
      }
      if (n == 0) out += "- [ ] _action_ (owner: _name_, due: _date_)\n";
      out += fmt::format(
          "\n**How to verify**: after the corrective actions, label new gold for the affected slices, run `gtops "
          "run`, and check that {} of {}{} meets {:g} with its interval, and that `gtops rootcause --pipeline {}` no "
          "longer reports the slices above.\n",
          g.metric, g.pipeline, scope, g.target, g.pipeline);
    }
  }
  return out;
}

}  // namespace gtops::rootcause
