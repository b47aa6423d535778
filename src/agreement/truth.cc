#include "agreement/truth.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace gtops::agreement {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t Sz(int64_t v) { return static_cast<size_t>(v); }

// The answers grouped by item (a counting sort): item i's answers are [offset[i], offset[i+1]),
// each stored as its confusion row worker * classes + label, so that the EM loops index flat
// arrays directly.
struct ByItem {
  std::vector<int64_t> offset;
  std::vector<int32_t> row;
  std::vector<int32_t> worker;
  int64_t answered_items = 0;
};

ByItem GroupByItem(const AnswerSet& set) {
  ByItem g;
  g.offset.assign(Sz(set.items) + 1, 0);
  for (const Answer& a : set.answers) ++g.offset[Sz(a.item) + 1];
  for (size_t i = 0; i < Sz(set.items); ++i) {
    g.answered_items += g.offset[i + 1] > 0;
    g.offset[i + 1] += g.offset[i];
  }
  std::vector<int64_t> next(g.offset.begin(), g.offset.end() - 1);
  g.row.resize(set.answers.size());
  g.worker.resize(set.answers.size());
  for (const Answer& a : set.answers) {
    size_t at = Sz(next[Sz(a.item)]++);
    g.row[at] = a.worker * set.classes + a.label;
    g.worker[at] = a.worker;
  }
  return g;
}

// Wilson score interval of `successes` out of `n` (both may be fractional: expected counts).
void WilsonBounds(double successes, double n, double z, double& lo, double& hi) {
  double p = std::clamp(successes / n, 0.0, 1.0), z2n = z * z / n;
  double centre = (p + z2n / 2) / (1 + z2n);
  double half = z * std::sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
  lo = p == 0 ? 0.0 : std::max(0.0, centre - half);
  hi = p == 1 ? 1.0 : std::min(1.0, centre + half);
}

class Em {
 public:
  Em(const AnswerSet& set, const TruthOptions& options)
      : k_(Sz(set.classes)), items_(Sz(set.items)), workers_(Sz(set.workers)), options_(options),
        g_(GroupByItem(set)) {}

  // Soft majority vote: each answered item's vote shares.
  void MajorityVote(std::vector<double>& t) const {
    t.assign(items_ * k_, 0.0);
    for (size_t i = 0; i < items_; ++i) {
      int64_t n = g_.offset[i + 1] - g_.offset[i];
      for (int64_t a = g_.offset[i]; a < g_.offset[i + 1]; ++a) t[i * k_ + Sz(g_.row[Sz(a)]) % k_] += 1.0 / static_cast<double>(n);
    }
  }

  // M-step: priors and log P(answered | true) from the posteriors t, stored per confusion row
  // (worker, answered) with the true classes contiguous: log_theta_[row * k + true].
  void MStep(const std::vector<double>& t, TruthModel model, double alpha) {
    log_prior_.assign(k_, 0.0);
    for (size_t i = 0; i < items_; ++i)
      if (g_.offset[i + 1] > g_.offset[i])
        for (size_t j = 0; j < k_; ++j) log_prior_[j] += t[i * k_ + j];
    for (size_t j = 0; j < k_; ++j)
      log_prior_[j] = std::log((log_prior_[j] + alpha) / (static_cast<double>(g_.answered_items) + alpha * static_cast<double>(k_)));

    std::vector<double> mass(workers_ * k_ * k_, 0.0);  // (worker, answered) row x true
    Dispatch([&]<size_t KC>() { AccumulateMass<KC>(t, mass); });
    log_theta_.assign(mass.size(), 0.0);
    const double dk = static_cast<double>(k_);
    for (size_t w = 0; w < workers_; ++w) {
      double* lt = log_theta_.data() + w * k_ * k_;
      const double* m = mass.data() + w * k_ * k_;
      if (model == TruthModel::kOneCoinDawidSkene) {
        double correct = 0, total = 0;
        for (size_t l = 0; l < k_; ++l)
          for (size_t j = 0; j < k_; ++j) total += m[l * k_ + j], correct += l == j ? m[l * k_ + j] : 0.0;
        double p = k_ == 1 ? 1.0 : (correct + alpha) / (total + 2 * alpha);
        double off = k_ == 1 ? 0.0 : std::log((1 - p) / (dk - 1));
        for (size_t l = 0; l < k_; ++l)
          for (size_t j = 0; j < k_; ++j) lt[l * k_ + j] = l == j ? std::log(p) : off;
        continue;
      }
      for (size_t j = 0; j < k_; ++j) {
        double total = alpha * dk;
        for (size_t l = 0; l < k_; ++l) total += m[l * k_ + j];
        for (size_t l = 0; l < k_; ++l) lt[l * k_ + j] = std::log((m[l * k_ + j] + alpha) / total);
      }
    }
  }

  // E-step: posteriors t under the current parameters; returns the log-likelihood.
  double EStep(std::vector<double>& t) const {
    double ll = 0;
    Dispatch([&]<size_t KC>() { ll = EStepFor<KC>(t); });
    return ll;
  }

  // Fills everything but the EM bookkeeping from the posteriors t and the current parameters.
  TruthResult Finish(std::vector<double> t) const {
    TruthResult r;
    r.items = static_cast<int>(items_), r.workers = static_cast<int>(workers_), r.classes = static_cast<int>(k_);
    r.priors.resize(k_);
    for (size_t j = 0; j < k_; ++j) r.priors[j] = std::exp(log_prior_[j]);
    r.label.assign(items_, -1);
    for (size_t i = 0; i < items_; ++i) {
      if (g_.offset[i + 1] == g_.offset[i]) continue;
      const double* ti = t.data() + i * k_;
      r.label[i] = static_cast<int32_t>(std::max_element(ti, ti + k_) - ti);  // first maximum
    }
    r.confusion.resize(workers_ * k_ * k_);
    for (size_t w = 0; w < workers_; ++w)
      for (size_t j = 0; j < k_; ++j)
        for (size_t l = 0; l < k_; ++l)
          r.confusion[(w * k_ + j) * k_ + l] = std::exp(log_theta_[(w * k_ + l) * k_ + j]);
    std::vector<double> correct(workers_, 0.0);
    r.answers_per_worker.assign(workers_, 0);
    for (size_t i = 0; i < items_; ++i)
      for (int64_t a = g_.offset[i]; a < g_.offset[i + 1]; ++a) {
        size_t w = Sz(g_.worker[Sz(a)]);
        correct[w] += t[i * k_ + Sz(g_.row[Sz(a)]) % k_];
        ++r.answers_per_worker[w];
      }
    r.accuracy.assign(workers_, kNaN), r.accuracy_lo.assign(workers_, kNaN), r.accuracy_hi.assign(workers_, kNaN);
    for (size_t w = 0; w < workers_; ++w) {
      double n = static_cast<double>(r.answers_per_worker[w]);
      if (n == 0) continue;
      r.accuracy[w] = correct[w] / n;
      WilsonBounds(correct[w], n, options_.z, r.accuracy_lo[w], r.accuracy_hi[w]);
    }
    r.posterior = std::move(t);
    return r;
  }

 private:
  // The loops over answers with the number of classes known at compile time for the common
  // small cases (KC > 0), so that the per-item accumulator stays in registers; KC = 0 is any k.
  template <typename F>
  void Dispatch(F&& f) const {
    switch (k_) {
      case 2: f.template operator()<2>(); break;
      case 3: f.template operator()<3>(); break;
      case 4: f.template operator()<4>(); break;
      default: f.template operator()<0>(); break;
    }
  }

  template <size_t KC>
  void AccumulateMass(const std::vector<double>& t, std::vector<double>& mass) const {
    const size_t k = KC ? KC : k_;
    double fixed[KC ? KC : 1];  // the item's posterior in registers: it cannot alias `mass`
    for (size_t i = 0; i < items_; ++i) {
      const double* ti = t.data() + i * k;
      if constexpr (KC > 0) {
        std::copy(ti, ti + KC, fixed);
        ti = fixed;
      }
      for (int64_t a = g_.offset[i]; a < g_.offset[i + 1]; ++a) {
        double* m = mass.data() + Sz(g_.row[Sz(a)]) * k;
        for (size_t j = 0; j < k; ++j) m[j] += ti[j];
      }
    }
  }

  template <size_t KC>
  double EStepFor(std::vector<double>& t) const {
    const size_t k = KC ? KC : k_;
    std::vector<double> heap(KC ? 0 : k);
    double fixed[KC ? KC : 1];
    double* acc = KC ? fixed : heap.data();
    double ll = 0;
    for (size_t i = 0; i < items_; ++i) {
      double* ti = t.data() + i * k;
      if (g_.offset[i + 1] == g_.offset[i]) {
        for (size_t j = 0; j < k; ++j) ti[j] = std::exp(log_prior_[j]);
        continue;
      }
      for (size_t j = 0; j < k; ++j) acc[j] = log_prior_[j];
      for (int64_t a = g_.offset[i]; a < g_.offset[i + 1]; ++a) {
        const double* lt = log_theta_.data() + Sz(g_.row[Sz(a)]) * k;
        for (size_t j = 0; j < k; ++j) acc[j] += lt[j];
      }
      double top = *std::max_element(acc, acc + k), sum = 0;
      for (size_t j = 0; j < k; ++j) sum += (ti[j] = std::exp(acc[j] - top));
      for (size_t j = 0; j < k; ++j) ti[j] /= sum;
      ll += top + std::log(sum);
    }
    return ll;
  }

  size_t k_, items_, workers_;
  TruthOptions options_;
  ByItem g_;
  std::vector<double> log_prior_;
  std::vector<double> log_theta_;
};

}  // namespace

Status Validate(const AnswerSet& set) {
  if (set.items < 0 || set.workers < 0 || set.classes < 1)
    return Status::BadInput("answers: items and workers must be >= 0 and classes >= 1");
  if (int64_t{set.workers} * set.classes > std::numeric_limits<int32_t>::max())
    return Status::BadInput("answers: workers x classes must fit in 32 bits");
  for (size_t i = 0; i < set.answers.size(); ++i) {
    const Answer& a = set.answers[i];
    if (a.item < 0 || a.item >= set.items || a.worker < 0 || a.worker >= set.workers || a.label < 0 ||
        a.label >= set.classes)
      return Status::BadInput(fmt::format(
          "answers: answer {} (item {}, worker {}, label {}) is outside {} items x {} workers x {} classes", i,
          a.item, a.worker, a.label, set.items, set.workers, set.classes));
  }
  return Status::Ok();
}

Result<TruthResult> InferTruth(const AnswerSet& set, const TruthOptions& options) {
  GTOPS_RETURN_IF_ERROR(Validate(set));
  if (options.max_iterations < 1 || !(options.tolerance >= 0) || !(options.smoothing >= 0) || !(options.z > 0))
    return Status::BadInput("truth options: max_iterations must be >= 1, tolerance and smoothing >= 0, z > 0");
  Em em(set, options);
  std::vector<double> t;
  em.MajorityVote(t);
  if (options.model == TruthModel::kMajorityVote) {
    // The parameters implied by the votes, only to report confusions and a likelihood.
    em.MStep(t, TruthModel::kDawidSkene, options.smoothing);
    std::vector<double> scratch = t;
    double ll = em.EStep(scratch);
    TruthResult r = em.Finish(std::move(t));
    r.log_likelihood = ll;
    return r;
  }
  const double stop = options.tolerance * static_cast<double>(set.answers.size());
  double previous = -std::numeric_limits<double>::infinity(), ll = 0;
  int iterations = 0;
  bool converged = false;
  while (iterations < options.max_iterations) {
    em.MStep(t, options.model, options.smoothing);
    ll = em.EStep(t);
    ++iterations;
    if (ll - previous < stop) {
      converged = true;
      break;
    }
    previous = ll;
  }
  TruthResult r = em.Finish(std::move(t));
  r.iterations = iterations, r.converged = converged, r.log_likelihood = ll;
  return r;
}

}  // namespace gtops::agreement
