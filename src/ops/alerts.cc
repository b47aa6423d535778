#include "ops/alerts.h"

#include <algorithm>
#include <cmath>
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
  if (options.config != nullptr) InfoAlerts(timelines, options, complete, alerts);
  return alerts;
}

}  // namespace gtops::ops
