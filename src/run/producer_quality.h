// The quality column of the scorecards (gtops scorecard, docs/kpis.md "Scorecards"): a vendor's or
// an annotator's recall, precision, class_accuracy and localization_accuracy per pipeline, from
// the outcomes of the latest vendor-against-gold evaluation of each pipeline (written by
// `gtops run` and `gtops eval --pipeline`), against the pipeline's targets and its peers.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "ops/scorecard.h"
#include "store/store.h"

namespace gtops {

struct ProducerQuality {
  std::string pipeline;
  int64_t gold_tasks = 0;                     // the subject's tasks compared with gold
  std::vector<ops::ScorecardMetric> metrics;  // recall, precision, class_accuracy, localization_accuracy
};

// Rates are ratios over tasks (the clusters): value = sum num / sum den, with the delta-method
// 95% interval var = K/(K-1) sum (num_k - value den_k)^2 / (sum den)^2 over the K tasks, clipped
// to [0, 1]; Wilson's on the tasks' count when K < 2 or the variance is 0. Status as the gap
// table's (docs/run.md). Peers: the same rate over the pipeline's other vendors (annotators).
// Pipelines without an evaluation give no row.
Result<std::vector<ProducerQuality>> QualityOfProducer(Store& store, const ProgramConfig& config,
                                                       ops::ScorecardSubject subject, const std::string& id);

}  // namespace gtops
