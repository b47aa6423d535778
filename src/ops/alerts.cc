#include "ops/alerts.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/time.h"
#include "ops/kpis.h"

namespace gtops::ops {
namespace {

constexpr int64_t kMsPerWeek = int64_t{7} * 24 * 3600 * 1000;

// Weekly counts of "bad" outcomes (late, reworked) of one series.
struct Series {
  std::map<int64_t, std::pair<int64_t, int64_t>> weeks;  // week start -> (bad, n)
};

struct SeriesSpec {
  const char* kind;
  const char* metric;
  bool per_pipeline;
};

int64_t Anchor(const TaskTimeline& t) { return t.created_ms.value_or(t.first_event_ms); }

// Returns the outcome of `t` for the series kind: nullopt when it is not in the denominator.
std::optional<bool> Bad(const TaskTimeline& t, std::string_view kind) {
  if (kind == "sla_breach") {
    if (t.sla == SlaState::kNotDue) return std::nullopt;
    return t.sla != SlaState::kOnTime;
  }
  if (!t.Reviewed()) return std::nullopt;
  return t.review_failures > 0;
}

// Info alerts: per pipeline x vendor, a KPI worse than its pipeline's target in every complete
// week, and over all of them with confidence (the pooled Wilson interval wholly on the wrong side).
template <typename Complete>
void InfoAlerts(std::span<const TaskTimeline> timelines, const AlertOptions& options, const Complete& complete,
                std::vector<Alert>& alerts) {
  for (const SeriesSpec spec : {SeriesSpec{"sla_breach", "on_time_rate", true},
                                SeriesSpec{"rework_spike", "rework_rate", true}}) {
    const bool inverted = std::string_view(spec.kind) == "sla_breach";  // on_time = 1 - late
    std::map<std::pair<std::string, std::string>, Series> series;
    for (const TaskTimeline& t : timelines) {
      const std::optional<bool> bad = Bad(t, spec.kind);
      const int64_t week = WeekStartMs(Anchor(t));
      if (!bad || !complete(week)) continue;
      auto& counts = series[{t.pipeline, t.vendor}].weeks[week];
      counts.first += *bad ? 1 : 0;
      ++counts.second;
    }
    for (const auto& [key, s] : series) {
      const PipelineSpec* pipeline = options.config->FindPipeline(key.first);
      if (pipeline == nullptr || static_cast<int>(s.weeks.size()) < options.min_weeks) continue;
      std::optional<double> target;
      for (const Target& t : pipeline->targets.pipeline) {
        if (t.metric == spec.metric) target = t.value;
      }
      if (!target) continue;
      // The KPI's value of `bad` of `n`, and whether it is worse than the target.
      auto value = [&](int64_t bad, int64_t n) {
        const double rate = static_cast<double>(bad) / static_cast<double>(n);
        return inverted ? 1 - rate : rate;
      };
      auto worse = [&](double v) { return inverted ? v < *target : v > *target; };
      bool every_week = true;
      int64_t bad = 0, n = 0;
      for (const auto& [week, c] : s.weeks) {
        every_week = every_week && worse(value(c.first, c.second));
        bad += c.first;
        n += c.second;
      }
      if (!every_week) continue;
      const Rate r = MakeRate(inverted ? n - bad : bad, n);  // the KPI itself
      if (inverted ? !(r.hi < *target) : !(r.lo > *target)) continue;
      Alert a;
      a.kind = spec.kind;
      a.level = "info";
      a.pipeline = key.first;
      a.vendor = key.second;
      a.since_ms = s.weeks.begin()->first;
      a.since = IsoWeek(s.weeks.begin()->first);
      a.detected = IsoWeek(s.weeks.rbegin()->first);
      a.metric = spec.metric;
      a.baseline = *target;
      a.current = r.value;
      a.tasks = n;
      a.evidence = fmt::format("{} {:.3f} [{:.3f}, {:.3f}] over {} tasks created {}..{}, on the wrong side of its "
                               "target {:.3f} in each of its {} complete weeks",
                               spec.metric, r.value, r.lo, r.hi, n, a.since, a.detected, *target, s.weeks.size());
      alerts.push_back(std::move(a));
    }
  }
}

// The weeks of a series from its first to its last complete week, with zero counts filled in.
template <typename Complete>
std::vector<int64_t> WeekRange(int64_t first_week, int64_t last_week, const Complete& complete) {
  std::vector<int64_t> weeks;
  for (int64_t w = first_week; w <= last_week; w += kMsPerWeek) {
    if (complete(w)) weeks.push_back(w);
  }
  return weeks;
}

// The mean of the upper (or lower) half of `values`: the series' better weeks.
double BetterHalfMean(std::vector<double> values, bool upper) {
  std::sort(values.begin(), values.end());
  if (upper) std::reverse(values.begin(), values.end());
  const size_t half = (values.size() + 1) / 2;
  double sum = 0;
  for (size_t i = 0; i < half; ++i) sum += values[i];
  return half > 0 ? sum / static_cast<double>(half) : 0;
}

// throughput_drop: per pipeline x vendor, the tasks first accepted per complete week, watched by a
// Poisson CUSUM for a fall to half of the in-control rate (docs/kpis.md, "Alerts").
template <typename Complete>
void ThroughputAlerts(std::span<const TaskTimeline> timelines, const AlertOptions& options,
                      const Complete& complete, int64_t first_week, int64_t last_week, std::vector<Alert>& alerts) {
  const std::vector<int64_t> weeks = WeekRange(first_week, last_week, complete);
  if (static_cast<int>(weeks.size()) < options.min_weeks) return;
  auto index = [&](int64_t ms) -> int64_t {  // the week's index in `weeks` (may be out of range)
    return (WeekStartMs(ms) - weeks.front()) / kMsPerWeek;
  };
  const int64_t n_weeks = static_cast<int64_t>(weeks.size());
  struct Counts {
    std::vector<double> accepted, available;  // per week: first accepted; open at its start + created in it
    std::vector<int64_t> open_diff;
  };
  std::map<std::pair<std::string, std::string>, Counts> series;
  for (const TaskTimeline& t : timelines) {
    Counts& c = series[{t.pipeline, t.vendor}];
    if (c.accepted.empty()) {
      c.accepted.assign(static_cast<size_t>(n_weeks), 0);
      c.available.assign(static_cast<size_t>(n_weeks), 0);
      c.open_diff.assign(static_cast<size_t>(n_weeks) + 1, 0);
    }
    if (t.first_accepted_ms) {
      const int64_t w = index(*t.first_accepted_ms);
      if (w >= 0 && w < n_weeks) c.accepted[static_cast<size_t>(w)] += 1;
    }
    // Work the vendor could have finished in week w: open at its start or created during it.
    const int64_t from = std::max<int64_t>(0, index(Anchor(t)));
    const int64_t to = t.closed_ms ? std::min(n_weeks - 1, index(*t.closed_ms)) : n_weeks - 1;
    if (from <= to && from < n_weeks) {
      c.open_diff[static_cast<size_t>(from)] += 1;
      c.open_diff[static_cast<size_t>(to) + 1] -= 1;
    }
  }
  for (auto& [key, c] : series) {
    int64_t open = 0;
    for (int64_t w = 0; w < n_weeks; ++w) {
      open += c.open_diff[static_cast<size_t>(w)];
      c.available[static_cast<size_t>(w)] = static_cast<double>(open);
    }
  }
  std::map<std::pair<std::string, std::string>, double> baseline;
  for (const auto& [key, c] : series) baseline[key] = BetterHalfMean(c.accepted, true);

  for (const auto& [key, c] : series) {
    const double lambda0 = baseline[key];
    if (lambda0 < options.min_weekly_tasks) continue;
    double cusum = 0, run_x = 0, run_expected0 = 0, run_expected1 = 0;
    std::optional<size_t> since;
    for (size_t w = 0; w < weeks.size(); ++w) {
      // The in-control rate this week: the baseline, lowered when the other vendors of the
      // pipeline fell as well (less work came in: shrunk towards 1 by 20 pseudo-tasks), and never
      // above the work the vendor had (open at the week's start or created in it).
      double others = 0, others_base = 0;
      for (const auto& [other_key, other] : series) {
        if (other_key.first != key.first || other_key.second == key.second) continue;
        others += other.accepted[w];
        others_base += baseline[other_key];
      }
      const double supply =
          others_base > 0 ? std::min(1.0, (others + options.prior_tasks) / (others_base + options.prior_tasks)) : 1.0;
      const double lambda0_week = std::min(lambda0 * supply, c.available[w]);
      if (lambda0_week < options.min_weekly_tasks) continue;  // too little work to judge the week
      const double lambda1_week = lambda0_week / 2;
      const double x = c.accepted[w];
      const double next = cusum + x * std::log(lambda1_week / lambda0_week) - (lambda1_week - lambda0_week);
      if (next <= 0) {
        cusum = 0;
        since.reset();
        run_x = run_expected0 = run_expected1 = 0;
        continue;
      }
      if (!since) since = w;
      cusum = next;
      run_x += x;
      run_expected0 += lambda0_week;
      run_expected1 += lambda1_week;
      if (cusum > options.threshold && run_x <= run_expected1) {
        Alert a;
        a.kind = "throughput_drop";
        a.level = "page";
        a.pipeline = key.first;
        a.vendor = key.second;
        a.since_ms = weeks[*since];
        a.since = IsoWeek(weeks[*since]);
        a.detected = IsoWeek(weeks[w]);
        a.metric = "throughput_tasks_per_week";
        const double run_weeks = static_cast<double>(w - *since + 1);
        a.baseline = run_expected0 / run_weeks;
        a.current = run_x / run_weeks;
        a.tasks = static_cast<int64_t>(run_x);
        a.statistic = cusum;
        a.evidence = fmt::format(
            "{:.0f} tasks accepted in {}..{} ({:.1f} a week) against {:.1f} expected ({:.1f} a week in its better "
            "half of weeks, adjusted for the work it had and the other vendors' weeks) with {:.0f} tasks open at "
            "the start of {}; Poisson CUSUM {:.1f} > {:.1f}",
            run_x, a.since, a.detected, a.current, run_expected0, lambda0, c.available[*since], a.since, cusum,
            options.threshold);
        alerts.push_back(std::move(a));
        break;
      }
    }
  }
}

// cost_overrun: per pipeline x vendor, the log first-pass labeling cost of each task first
// accepted in a complete week, watched by a normal CUSUM for a rise of its geometric mean by
// `cost_shift` (docs/kpis.md). Review and rework cost are left out: their rise is a rework_spike.
template <typename Complete>
void CostAlerts(std::span<const TaskTimeline> timelines, const AlertOptions& options, const Complete& complete,
                std::vector<Alert>& alerts) {
  struct Week {
    double sum_log = 0, sum_log2 = 0, sum_cost = 0;
    int64_t n = 0;
  };
  std::map<std::pair<std::string, std::string>, std::map<int64_t, Week>> series;
  for (const TaskTimeline& t : timelines) {
    if (!t.first_accepted_ms || !(t.cost_labeling_usd > 0)) continue;
    const int64_t week = WeekStartMs(*t.first_accepted_ms);
    if (!complete(week)) continue;
    Week& w = series[{t.pipeline, t.vendor}][week];
    const double l = std::log(t.cost_labeling_usd);
    w.sum_log += l;
    w.sum_log2 += l * l;
    w.sum_cost += t.cost_labeling_usd;
    ++w.n;
  }
  const double delta = std::log1p(options.cost_shift);  // the rise worth paging for, in log dollars
  for (const auto& [key, s] : series) {
    if (static_cast<int>(s.size()) < options.min_weeks) continue;
    // In control: the tasks of the series' cheaper half of weeks (by mean log cost).
    std::vector<std::pair<double, int64_t>> by_mean;
    for (const auto& [week, w] : s) by_mean.emplace_back(w.sum_log / static_cast<double>(w.n), week);
    std::sort(by_mean.begin(), by_mean.end());
    const size_t half = (by_mean.size() + 1) / 2;
    double sl = 0, sl2 = 0;
    int64_t n0 = 0;
    for (size_t i = 0; i < half; ++i) {
      const Week& w = s.at(by_mean[i].second);
      sl += w.sum_log;
      sl2 += w.sum_log2;
      n0 += w.n;
    }
    if (n0 < 2) continue;
    const double m0 = sl / static_cast<double>(n0);
    const double var0 = std::max(0.0, (sl2 - static_cast<double>(n0) * m0 * m0) / static_cast<double>(n0 - 1));
    const double sd0 = std::max(std::sqrt(var0), 0.05);  // floor: costs that never vary
    double cusum = 0, run_log = 0, run_cost = 0;
    int64_t run_n = 0;
    std::optional<int64_t> since;
    for (const auto& [week, w] : s) {
      // The in-control mean this week: raised by the other vendors' rise on the same pipeline in
      // the same week (their mean log cost over their own baseline, when above), so that a change
      // every vendor shares (bigger tasks after a spec change) is not one vendor's.
      double others_rise = 0;
      int64_t others_n = 0;
      for (const auto& [other_key, other] : series) {
        if (other_key.first != key.first || other_key.second == key.second) continue;
        auto ow = other.find(week);
        if (ow == other.end() || other.size() < 2) continue;
        double other_sum = 0;
        int64_t other_n = 0;
        for (const auto& [ow_week, oww] : other) {
          other_sum += oww.sum_log;
          other_n += oww.n;
        }
        others_rise += ow->second.sum_log - static_cast<double>(ow->second.n) * other_sum / static_cast<double>(other_n);
        others_n += ow->second.n;
      }
      const double rise = others_n > 0 ? std::max(0.0, others_rise / (static_cast<double>(others_n) + options.prior_tasks)) : 0.0;
      const double m0_week = m0 + rise;
      // Log-likelihood ratio of N(m0 + delta, sd0) against N(m0, sd0) over the week's tasks.
      const double z_sum = (w.sum_log - static_cast<double>(w.n) * m0_week) / sd0;
      const double d = delta / sd0;
      const double next = cusum + d * z_sum - static_cast<double>(w.n) * d * d / 2;
      if (next <= 0) {
        cusum = 0;
        since.reset();
        run_log = run_cost = 0;
        run_n = 0;
        continue;
      }
      if (!since) since = week;
      cusum = next;
      run_log += w.sum_log - static_cast<double>(w.n) * m0_week;
      run_cost += w.sum_cost;
      run_n += w.n;
      if (cusum > options.threshold && run_log / static_cast<double>(run_n) >= delta) {
        Alert a;
        a.kind = "cost_overrun";
        a.level = "page";
        a.pipeline = key.first;
        a.vendor = key.second;
        a.since_ms = *since;
          a.since = IsoWeek(*since);
        a.detected = IsoWeek(week);
        a.metric = "labeling_cost_per_accepted_task_usd";
        a.baseline = std::exp(m0);
        a.current = run_cost / static_cast<double>(run_n);
        a.tasks = run_n;
        a.statistic = cusum;
        a.evidence = fmt::format(
            "{} tasks accepted {}..{} cost {:.2f} USD of first-pass labeling each on average, their geometric mean {:.0f}% above the "
            "baseline {:.2f} USD (geometric mean of its {} cheaper weeks of {}, {} tasks); CUSUM of log cost "
            "{:.1f} > {:.1f}",
            run_n, a.since, a.detected, a.current, 100 * std::expm1(run_log / static_cast<double>(run_n)), a.baseline,
            half, by_mean.size(), n0, cusum, options.threshold);
        alerts.push_back(std::move(a));
        break;
      }
    }
  }
}

}  // namespace

std::vector<Alert> DetectAlerts(std::span<const TaskTimeline> timelines, const AlertOptions& options) {
  std::vector<Alert> alerts;
  if (timelines.empty()) return alerts;
  int64_t first = Anchor(timelines.front()), last_created = first;
  for (const TaskTimeline& t : timelines) {
    first = std::min(first, Anchor(t));
    last_created = std::max(last_created, Anchor(t));
  }
  // Complete weeks only: from the first whole week of the data to the last one that ended by
  // as_of and began before the last task was created (later weeks are the wind-down).
  const int64_t first_week = WeekStartMs(first) == first ? first : WeekStartMs(first) + kMsPerWeek;
  auto complete = [&](int64_t week) {
    return week >= first_week && week + kMsPerWeek <= options.as_of_ms && week <= last_created;
  };

  for (const SeriesSpec spec : {SeriesSpec{"sla_breach", "on_time_rate", false},
                                SeriesSpec{"rework_spike", "rework_rate", true}}) {
    std::map<std::pair<std::string, std::string>, Series> series;
    for (const TaskTimeline& t : timelines) {
      const std::optional<bool> bad = Bad(t, spec.kind);
      const int64_t week = WeekStartMs(Anchor(t));
      if (!bad || !complete(week)) continue;
      auto& counts = series[{spec.per_pipeline ? t.pipeline : "", t.vendor}].weeks[week];
      counts.first += *bad ? 1 : 0;
      ++counts.second;
    }
    // The program-wide rate over every complete week: the prior of each series' baseline.
    int64_t prior_bad = 0, prior_n = 0;
    for (const auto& [key, s] : series) {
      for (const auto& [week, c] : s.weeks) {
        prior_bad += c.first;
        prior_n += c.second;
      }
    }
    const double prior = prior_n > 0 ? static_cast<double>(prior_bad) / static_cast<double>(prior_n) : 0.1;

    for (const auto& [key, s] : series) {
      if (static_cast<int>(s.weeks.size()) < options.min_weeks) continue;
      // The in-control rate p0: the series' own weeks at or below its median week (a change that
      // lasts less than half the series does not move it), shrunk towards the program's rate.
      std::vector<std::pair<double, int64_t>> by_rate;  // (rate, week)
      for (const auto& [week, c] : s.weeks) {
        by_rate.emplace_back(static_cast<double>(c.first) / static_cast<double>(c.second), week);
      }
      std::sort(by_rate.begin(), by_rate.end());
      const size_t half = (by_rate.size() + 1) / 2;
      int64_t base_bad = 0, base_n = 0;
      for (size_t i = 0; i < half; ++i) {
        const auto& c = s.weeks.at(by_rate[i].second);
        base_bad += c.first;
        base_n += c.second;
      }
      const double p0 = std::clamp((static_cast<double>(base_bad) + options.prior_tasks * prior) /
                                       (static_cast<double>(base_n) + options.prior_tasks),
                                   0.005, 0.9);
      double cusum = 0;
      std::optional<int64_t> since;
      int64_t run_bad = 0, run_n = 0;
      double run_expected_p1 = 0;
      for (auto it = s.weeks.begin(); it != s.weeks.end(); ++it) {
        const auto [bad, n] = it->second;
        // This week's in-control rate: the series' own p0, raised to the other vendors' rate on
        // the same pipeline (or program) in the same week (shrunk towards p0) when theirs is
        // higher, so that a change every vendor shares (a spec change, a hard batch) is not
        // one vendor's.
        int64_t others_bad = 0, others_n = 0;
        for (const auto& [other_key, other] : series) {
          if (other_key.first != key.first || other_key.second == key.second) continue;
          auto w = other.weeks.find(it->first);
          if (w == other.weeks.end()) continue;
          others_bad += w->second.first;
          others_n += w->second.second;
        }
        const double p0_week = std::clamp(
            std::max(p0, (static_cast<double>(others_bad) + options.prior_tasks * p0) /
                             (static_cast<double>(others_n) + options.prior_tasks)),
            0.005, 0.9);
        // The shift to detect p1: at least double, at least +0.1.
        const double p1_week = std::min(0.99, p0_week + std::max(p0_week, 0.1));
        const double w_bad = std::log(p1_week / p0_week), w_good = std::log((1 - p1_week) / (1 - p0_week));
        const double next = cusum + static_cast<double>(bad) * w_bad + static_cast<double>(n - bad) * w_good;
        if (next <= 0) {
          cusum = 0;
          since.reset();
          run_bad = run_n = 0;
          run_expected_p1 = 0;
          continue;
        }
        if (!since) since = it->first;
        cusum = next;
        run_bad += bad;
        run_n += n;
        run_expected_p1 += static_cast<double>(n) * p1_week;
        const double run_rate = static_cast<double>(run_bad) / static_cast<double>(run_n);
        if (cusum > options.threshold && static_cast<double>(run_bad) >= run_expected_p1) {
          Alert a;
          a.kind = spec.kind;
          a.level = "page";
          a.pipeline = key.first;
          a.vendor = key.second;
          a.since_ms = *since;
          a.since = IsoWeek(*since);
          a.detected = IsoWeek(it->first);
          a.metric = spec.metric;
          const bool inverted = std::string_view(spec.kind) == "sla_breach";  // on_time = 1 - late
          a.baseline = inverted ? 1 - p0 : p0;
          a.current = inverted ? 1 - run_rate : run_rate;
          a.tasks = run_n;
          a.statistic = cusum;
          a.evidence = fmt::format(
              "{} {:.3f} over {} tasks created {}..{} against a baseline of {:.3f} (its {} better weeks "
              "of {}, {} tasks); Bernoulli CUSUM {:.1f} > {:.1f}",
              a.metric, a.current, run_n, a.since, a.detected, a.baseline, half, by_rate.size(), base_n, cusum,
              options.threshold);
          alerts.push_back(std::move(a));
          break;
        }
      }
    }
  }
  ThroughputAlerts(timelines, options, complete, first_week, WeekStartMs(last_created), alerts);
  CostAlerts(timelines, options, complete, alerts);
  // A vendor's SLA breach that began with one of its throughput drops is that drop's backlog
  // running late: say so, so that the two pages are read as one story.
  for (Alert& a : alerts) {
    if (a.kind != "sla_breach" || a.level != "page") continue;
    for (const Alert& drop : alerts) {
      if (drop.kind != "throughput_drop" || drop.vendor != a.vendor) continue;
      const int64_t gap_weeks = std::abs(a.since_ms - drop.since_ms) / kMsPerWeek;
      if (gap_weeks > 1) continue;
      a.evidence += fmt::format("; it began with the throughput_drop of {} on {} since {}: the work left waiting "
                                "runs late",
                                drop.vendor, drop.pipeline, drop.since);
    }
  }
  if (options.config != nullptr) InfoAlerts(timelines, options, complete, alerts);
  return alerts;
}

}  // namespace gtops::ops
