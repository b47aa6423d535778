#include "evaluate/annotators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "quality/compare.h"
#include "quality/metrics.h"

namespace gtops {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The rates of a honeypot comparison that gtops.toml can set a target for, in report order.
constexpr quality::RateMetric kHoneypotRates[] = {
    quality::RateMetric::kRecall,
    quality::RateMetric::kPrecision,
    quality::RateMetric::kClassAccuracy,
    quality::RateMetric::kLocalizationAccuracy,
    quality::RateMetric::kGeometryAccuracy,
    quality::RateMetric::kAttributeAccuracy,
    quality::RateMetric::kTagAccuracy,
};

// Error types that say nothing about one frame's labels (tracking needs the previous frames).
constexpr quality::ErrorMask kTrackErrors =
    quality::ErrorBit(ErrorType::kIdSwitch) | quality::ErrorBit(ErrorType::kFragmentation);

struct Tally {
  std::string vendor;
  int64_t frames = 0, reference = 0, labels = 0, correct = 0, compared = 0;
  std::string last_task;
  int64_t tasks = 0;
  quality::QualityAggregate aggregate;
};

std::optional<double> PipelineTarget(const PipelineSpec& spec, std::string_view metric) {
  for (const Target& t : spec.targets.pipeline) {
    if (t.metric == metric) return t.value;
  }
  return std::nullopt;
}

void FlagIfBelow(const PipelineSpec& spec, std::string_view source, std::string_view metric, double value,
                 double lo, double hi, std::vector<ReliabilityFlag>& flags) {
  const auto target = PipelineTarget(spec, metric);
  if (!target || !MetricHigherIsBetter(metric) || !std::isfinite(hi) || !(hi < *target)) return;
  flags.push_back(ReliabilityFlag{std::string(source), std::string(metric), value, lo, hi, *target});
}

}  // namespace

RateInterval MakeRateInterval(int64_t successes, int64_t n) {
  RateInterval r{successes, n, kNaN, kNaN, kNaN};
  if (n <= 0) return r;
  r.value = static_cast<double>(successes) / static_cast<double>(n);
  std::tie(r.lo, r.hi) = quality::WilsonInterval(static_cast<double>(successes), static_cast<double>(n));
  return r;
}

Result<std::vector<AnnotatorHoneypots>> ComputeHoneypots(Store& store, const PipelineSpec& spec) {
  quality::FrameComparer comparer(spec);
  quality::FrameComparison cmp;
  std::map<std::string, Tally, std::less<>> by_annotator;
  std::vector<const LabelRecord*> vendor;
  GTOPS_RETURN_IF_ERROR(store.ForEachFrame(spec.id, [&](const FrameLabels& frame) -> Status {
    const LabelRecord* gold = nullptr;
    vendor.clear();
    for (const LabelRecord& r : frame.records) {
      if (r.source == Source::kGold && gold == nullptr) gold = &r;
      if (r.source == Source::kVendor) vendor.push_back(&r);
    }
    if (gold == nullptr) return Status::Ok();
    for (size_t v = 0; v < vendor.size(); ++v) {
      const LabelRecord& r = *vendor[v];
      bool repeat = false;  // an annotator's second record of the frame: his first counts
      for (size_t w = 0; w < v; ++w) repeat = repeat || vendor[w]->annotator == r.annotator;
      if (repeat) continue;
      Tally& t = by_annotator[r.annotator];
      if (t.vendor.empty()) t.vendor = r.vendor;
      ++t.frames;
      if (t.last_task != frame.task) ++t.tasks, t.last_task = frame.task;
      comparer.Compare(r, *gold, cmp);
      t.aggregate.Add(cmp, frame.task);
      for (const quality::Outcome& o : cmp.outcomes) {
        switch (o.kind) {
          case quality::OutcomeKind::kPaired:
            ++t.reference, ++t.labels, ++t.compared;
            t.correct += (o.errors & ~kTrackErrors) == 0 ? 1 : 0;
            break;
          case quality::OutcomeKind::kMissing: ++t.reference, ++t.compared; break;
          case quality::OutcomeKind::kExtra:
          case quality::OutcomeKind::kDuplicate: ++t.labels, ++t.compared; break;
          case quality::OutcomeKind::kTag:
            ++t.reference, ++t.compared;
            t.correct += o.errors == 0 ? 1 : 0;
            break;
          case quality::OutcomeKind::kIgnored: break;
        }
      }
    }
    return Status::Ok();
  }, Name(Source::kGold), Name(Source::kVendor)));

  std::vector<AnnotatorHoneypots> out;
  for (const auto& [annotator, t] : by_annotator) {
    AnnotatorHoneypots h;
    h.annotator = annotator;
    h.vendor = t.vendor;
    h.frames = t.frames;
    h.tasks = t.tasks;
    h.reference_objects = t.reference;
    h.labels = t.labels;
    h.correct = t.correct;
    h.accuracy = MakeRateInterval(t.correct, t.compared);
    const quality::ClusterTotals total = t.aggregate.Total();
    for (quality::RateMetric m : kHoneypotRates) {
      const auto i = static_cast<size_t>(m);
      if (total.den[i] == 0) continue;
      h.metrics.push_back(HoneypotMetric{std::string(quality::Name(m)), MakeRateInterval(total.num[i], total.den[i])});
    }
    out.push_back(std::move(h));
  }
  return out;
}

PipelineReliability CombineReliability(const PipelineSpec& spec, std::span<const AnnotatorHoneypots> honeypots,
                                       std::span<const AnnotatorAgreement> overlap,
                                       std::span<const AnnotatorAudits> audits, const std::string& vendor) {
  std::map<std::string, ReliabilityRow> rows;
  auto row = [&](const std::string& annotator, const std::string& v) -> ReliabilityRow* {
    if (!vendor.empty() && v != vendor) return nullptr;
    ReliabilityRow& r = rows[annotator];
    r.annotator = annotator;
    if (r.vendor.empty()) r.vendor = v;
    return &r;
  };
  for (const AnnotatorHoneypots& h : honeypots) {
    if (ReliabilityRow* r = row(h.annotator, h.vendor)) r->honeypots = h;
  }
  for (const AnnotatorAgreement& a : overlap) {
    if (ReliabilityRow* r = row(a.annotator, a.vendor)) r->overlap = a;
  }
  for (const AnnotatorAudits& a : audits) {
    if (ReliabilityRow* r = row(a.annotator, a.vendor)) r->audits = MakeRateInterval(a.passed, a.tasks);
  }
  const bool tags = spec.geometry == GeometryKind::kTags;
  PipelineReliability out;
  out.pipeline = spec.id;
  for (auto& [name, r] : rows) {
    if (r.audits.n == 0) r.audits = MakeRateInterval(0, 0);
    if (r.honeypots) {
      for (const HoneypotMetric& m : r.honeypots->metrics) {
        FlagIfBelow(spec, "honeypot", m.metric, m.rate.value, m.rate.lo, m.rate.hi, r.flags);
      }
    }
    if (r.overlap && r.overlap->answers > 0) {
      FlagIfBelow(spec, "overlap", tags ? "tag_accuracy" : "class_accuracy", r.overlap->ds_accuracy, r.overlap->ds_lo,
                  r.overlap->ds_hi, r.flags);
    }
    FlagIfBelow(spec, "audit", "audit_pass_rate", r.audits.value, r.audits.lo, r.audits.hi, r.flags);
    for (const ReliabilityFlag& f : r.flags) r.shortfall = std::max(r.shortfall, f.target - f.hi);
    out.rows.push_back(std::move(r));
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const ReliabilityRow& a, const ReliabilityRow& b) {
    if (a.flags.size() != b.flags.size()) return a.flags.size() > b.flags.size();
    if (a.shortfall != b.shortfall) return a.shortfall > b.shortfall;
    return std::tie(a.vendor, a.annotator) < std::tie(b.vendor, b.annotator);
  });
  return out;
}

}  // namespace gtops
