// Annotator reliability (docs/agreement.md, "Honeypots" and "gtops annotators"): honeypot
// observations (gold frames that a vendor annotator labeled, compared with gold by the quality
// engine), combined with the overlap agreement of agreement_sets.h and the audit outcomes into one
// table per pipeline, with the evidence behind each number and a flag where an annotator is below
// the pipeline's target with confidence (the whole 95% interval below it).
//
// ComputeHoneypots reads the store (Store::ForEachFrame: gold frames with their vendor records);
// CombineReliability is a kernel (values in, values out). Not thread-safe (one store connection).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "evaluate/agreement_sets.h"
#include "store/store.h"

namespace gtops {

// A proportion with its Wilson 95% interval (quality::WilsonInterval); NaN when n is 0.
struct RateInterval {
  int64_t successes = 0, n = 0;
  double value = 0, lo = 0, hi = 0;
};
RateInterval MakeRateInterval(int64_t successes, int64_t n);

// One rate of an annotator's honeypots that the pipeline has a target for.
struct HoneypotMetric {
  std::string metric;  // "recall", "precision", "class_accuracy", "localization_accuracy", ...
  RateInterval rate;
};

struct AnnotatorHoneypots {
  std::string annotator, vendor;
  int64_t frames = 0;             // gold frames he labeled
  int64_t tasks = 0;              // their tasks
  int64_t reference_objects = 0;  // gold objects (tags pipelines: gold tags) of those frames
  int64_t labels = 0;             // his objects there (ignored ones excluded)
  int64_t correct = 0;            // paired with no error (tags: equal tags)
  // correct / (paired + missing + extra + duplicate): each gold object and each label of his
  // counted once; tags: equal / compared (docs/agreement.md).
  RateInterval accuracy;
  std::vector<HoneypotMetric> metrics;  // recall, precision, class/localization/geometry/attribute/tag accuracy
};

// Every annotator with a vendor record on a gold frame of `spec`, sorted by annotator.
Result<std::vector<AnnotatorHoneypots>> ComputeHoneypots(Store& store, const PipelineSpec& spec);

// An annotator's audited tasks of one pipeline (the caller computes them from the audits with
// ops::AuditOutcomes: a task passes when the latest audit of each audited frame passes).
struct AnnotatorAudits {
  std::string annotator, vendor;
  int64_t tasks = 0, passed = 0;
};

struct ReliabilityFlag {
  std::string source;  // "honeypot", "overlap", "audit"
  std::string metric;  // the target's metric
  double value = 0, lo = 0, hi = 0, target = 0;
};

struct ReliabilityRow {
  std::string annotator, vendor;
  std::optional<AnnotatorHoneypots> honeypots;
  std::optional<AnnotatorAgreement> overlap;
  RateInterval audits;  // audit pass rate of his audited tasks
  std::vector<ReliabilityFlag> flags;        // below the pipeline's target with confidence
  double shortfall = 0;  // the largest target - hi of his flags (0 when none): the sort key
};

struct PipelineReliability {
  std::string pipeline;
  // Flagged first (most flags first, then the largest shortfall), then by vendor, annotator.
  std::vector<ReliabilityRow> rows;
};

// Joins the three sources by annotator and flags each figure whose whole interval is below the
// pipeline's target: honeypot rates against the target of the same name, Dawid–Skene accuracy
// against class_accuracy (tags pipelines: tag_accuracy), audit pass rate against audit_pass_rate.
// `vendor` ("" for all) keeps only that vendor's annotators.
PipelineReliability CombineReliability(const PipelineSpec& spec, std::span<const AnnotatorHoneypots> honeypots,
                                       std::span<const AnnotatorAgreement> overlap,
                                       std::span<const AnnotatorAudits> audits, const std::string& vendor = "");

}  // namespace gtops
