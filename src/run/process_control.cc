#include "run/process_control.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "stats/control_chart.h"
#include "stats/spc.h"

namespace gtops {
namespace {

// Run rules that say which way the process moved (4, 7 and 8 speak of mixtures and
// stratification, not of a shift, and are not used here).
bool Directional(int rule) { return rule == 1 || rule == 2 || rule == 3 || rule == 5 || rule == 6; }

// Detectors strong enough to open an incident on their own: the step test, a point beyond
// 3 sigma, EWMA, CUSUM.
// The other run rules only add evidence to an incident they overlap (on short series they fire
// by chance too often to stand alone).
bool Opens(const std::string& detector) {
  return detector == "step" || detector == "beyond_3_sigma" || detector == "ewma" || detector == "cusum";
}

double Ratio(int64_t count, int64_t n) {
  return n > 0 ? static_cast<double>(count) / static_cast<double>(n) : NAN;
}

std::string Percent(double r) { return std::isnan(r) ? "n/a" : fmt::format("{:.1f}%", 100 * r); }

// A u chart's rate per 100 units.
std::string Per100(double r) { return std::isnan(r) ? "n/a" : fmt::format("{:.2f} per 100", 100 * r); }

}  // namespace

const char* Name(ChartType type) { return type == ChartType::kU ? "u" : "p"; }

SpcChart ChartSeries(const SpcSeries& series, const SpcOptions& options) {
  SpcChart chart;
  chart.series = series;
  const auto& b = series.batches;
  std::vector<int64_t> count, n;
  int64_t total = 0, with_data = 0;
  for (const SpcBatch& x : b) {
    count.push_back(x.count);
    n.push_back(x.n);
    total += x.count;
    with_data += x.n > 0;
  }
  if (with_data < options.min_batches || total < options.min_count) return chart;
  const bool u = series.chart == ChartType::kU;
  const auto laney = u ? stats::LaneyUChart(count, n) : stats::LaneyPChart(count, n);
  const double centre = laney.empty() ? NAN : laney.front().center;
  if (!(centre > 0 && (u || centre < 1))) return chart;  // nothing varies: no chart
  const double d = std::max(u ? stats::LaneyUDispersion(count, n) : stats::LaneyDispersion(count, n), 1.0);
  chart.centre = centre;
  chart.dispersion = d;
  const double variance = u ? centre : centre * (1 - centre);  // per unit, at the centre
  const auto ewma = u ? stats::PoissonEwma(count, n, options.ewma_lambda, options.ewma_L, centre, d)
                      : stats::Ewma(count, n, options.ewma_lambda, options.ewma_L, centre, d);
  const auto cusum = u ? stats::PoissonCusum(count, n, options.u_cusum_shift, options.u_cusum_h, centre, d)
                       : stats::Cusum(count, n, options.cusum_k, options.cusum_h, centre, d);
  std::vector<double> z(b.size(), NAN);
  for (size_t i = 0; i < b.size(); ++i) {
    SpcPoint p;
    p.batch = b[i].batch;
    p.time_ms = b[i].time_ms;
    p.n = b[i].n;
    p.count = b[i].count;
    p.rate = Ratio(p.count, p.n);
    p.lcl = laney[i].lcl;
    p.ucl = laney[i].ucl;
    if (p.n > 0) z[i] = (p.rate - centre) / (d * std::sqrt(variance / static_cast<double>(p.n)));
    p.z = z[i];
    p.ewma = ewma[i].z;
    p.ewma_lcl = ewma[i].lcl;
    p.ewma_ucl = ewma[i].ucl;
    p.cusum_up = cusum[i].upper;
    p.cusum_down = cusum[i].lower;
    chart.points.push_back(std::move(p));
  }
  // Nelson rules on the standardised points.
  for (const stats::RuleSignal& r : stats::NelsonRules(z)) {
    if (!Directional(r.rule)) continue;
    double sum = 0;
    for (int64_t i = r.start; i <= r.end; ++i) {
      if (!std::isnan(z[static_cast<size_t>(i)])) sum += z[static_cast<size_t>(i)];
    }
    if (r.rule == 3) sum = z[static_cast<size_t>(r.end)] - z[static_cast<size_t>(r.start)];
    chart.signals.push_back({r.name, sum >= 0 ? "up" : "down", r.start, r.end});
  }
  // EWMA: each run of points outside its limits.
  for (size_t i = 0; i < ewma.size(); ++i) {
    if (!ewma[i].signal) continue;
    const std::string dir = ewma[i].z > centre ? "up" : "down";
    size_t j = i;
    while (j + 1 < ewma.size() && ewma[j + 1].signal && (ewma[j + 1].z > centre) == (dir == "up")) ++j;
    chart.signals.push_back({"ewma", dir, static_cast<int64_t>(i), static_cast<int64_t>(j)});
    i = j;
  }
  // CUSUM: each alarm, from the batch its run began.
  for (size_t i = 0; i < cusum.size(); ++i) {
    if (cusum[i].signal_up) chart.signals.push_back({"cusum", "up", std::max<int64_t>(cusum[i].shift_start, 0),
                                                     static_cast<int64_t>(i)});
    if (cusum[i].signal_down) chart.signals.push_back({"cusum", "down", std::max<int64_t>(cusum[i].shift_start, 0),
                                                       static_cast<int64_t>(i)});
  }
  // The retrospective step test: the one run of batches whose rate differs most from the rest.
  const stats::StepChange step =
      u ? stats::FindPoissonStepChange(count, n, d, options.step_simulations, options.seed, options.step_alpha)
        : stats::FindStepChange(count, n, d, options.step_simulations, options.seed, options.step_alpha);
  chart.step_p = step.p_adjusted;
  if (step.start >= 0 && step.p_adjusted < options.step_alpha) {
    chart.signals.push_back({"step", step.up ? "up" : "down", step.start, step.end});
  }
  std::sort(chart.signals.begin(), chart.signals.end(), [](const SpcSignal& a, const SpcSignal& x) {
    return std::tie(a.start, a.end, a.detector, a.direction) < std::tie(x.start, x.end, x.detector, x.direction);
  });
  return chart;
}

std::vector<Incident> IncidentsOf(const SpcChart& chart) {
  std::vector<Incident> out;
  if (chart.points.empty()) return out;
  const SpcSeries& s = chart.series;
  for (const char* dir : {"up", "down"}) {
    // Intervals opened by the strong detectors, merged when they overlap or touch.
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (const SpcSignal& g : chart.signals) {
      if (g.direction == dir && Opens(g.detector)) spans.emplace_back(g.start, g.end);
    }
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (const auto& sp : spans) {
      if (!merged.empty() && sp.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, sp.second);
      } else {
        merged.push_back(sp);
      }
    }
    for (auto [lo, hi] : merged) {
      // The detectors that saw it; the step test, when among them, dates it best (the run whose
      // rate differs most from the rest), else the span of the detectors that opened it.
      std::set<std::string> detectors;
      const SpcSignal* step = nullptr;
      for (const SpcSignal& g : chart.signals) {
        if (g.direction == dir && g.start <= hi && g.end >= lo) {
          detectors.insert(g.detector);
          if (g.detector == "step") step = &g;
        }
      }
      if (step != nullptr) lo = step->start, hi = step->end;
      Incident inc;
      inc.pipeline = s.pipeline;
      inc.vendor = s.vendor;
      inc.annotator = s.annotator;
      inc.metric = s.metric;
      inc.chart = s.chart;
      inc.direction = dir;
      inc.detectors.assign(detectors.begin(), detectors.end());
      const auto& pts = chart.points;
      inc.since_batch = pts[static_cast<size_t>(lo)].batch;
      inc.since_ms = pts[static_cast<size_t>(lo)].time_ms;
      inc.last_batch = pts[static_cast<size_t>(hi)].batch;
      inc.last_ms = pts[static_cast<size_t>(hi)].time_ms;
      for (size_t i = 0; i < pts.size(); ++i) {
        const bool during = static_cast<int64_t>(i) >= lo && static_cast<int64_t>(i) <= hi;
        (during ? inc.n_during : inc.n_outside) += pts[i].n;
        (during ? inc.count_during : inc.count_outside) += pts[i].count;
      }
      inc.rate_during = Ratio(inc.count_during, inc.n_during);
      inc.rate_outside = Ratio(inc.count_outside, inc.n_outside);
      std::string who = s.annotator.empty() ? s.vendor : s.annotator;
      std::string detectors_text;
      for (const auto& x : inc.detectors) detectors_text += (detectors_text.empty() ? "" : ", ") + x;
      const bool u = s.chart == ChartType::kU;
      const auto rate = [u](double r) { return u ? Per100(r) : Percent(r); };
      inc.evidence = fmt::format(
          "{} of {} ({}) went {} from batch {} to {}: {} {} {} {} ({}) against {} in the other batches "
          "({}centre {}, over-dispersion {:.2f}); detectors: {}",
          s.metric, s.pipeline, who, dir, inc.since_batch, inc.last_batch, inc.count_during, u ? "errors in" : "of",
          inc.n_during, s.unit, rate(inc.rate_during), rate(inc.rate_outside), u ? "u chart, " : "", rate(chart.centre),
          chart.dispersion, detectors_text);
      out.push_back(std::move(inc));
    }
  }
  // A step up on [a, b] leaves the other batches below the centre: the detectors that see those as
  // low describe the same change, not another one. Incidents in the opposite direction that lie
  // outside a step's run (sharing at most one batch with it) are dropped.
  for (const SpcSignal& g : chart.signals) {
    if (g.detector != "step") continue;
    const std::string& mine = g.direction;
    std::erase_if(out, [&](const Incident& inc) {
      if (inc.direction == mine) return false;
      int64_t lo = -1, hi = -1;
      for (size_t i = 0; i < chart.points.size(); ++i) {
        if (chart.points[i].batch == inc.since_batch) lo = static_cast<int64_t>(i);
        if (chart.points[i].batch == inc.last_batch) hi = static_cast<int64_t>(i);
      }
      const int64_t overlap = std::min(hi, g.end) - std::max(lo, g.start) + 1;
      return overlap <= 1;  // sharing the batch where the change happened is still outside
    });
  }
  std::sort(out.begin(), out.end(), [](const Incident& a, const Incident& b) {
    return std::tie(a.since_ms, a.metric, a.direction) < std::tie(b.since_ms, b.metric, b.direction);
  });
  return out;
}

}  // namespace gtops
