#include "cli/quality_commands.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/render.h"
#include "config/config.h"
#include "evaluate/evaluate.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

ordered_json MetricsJson(const std::vector<quality::MetricValue>& metrics) {
  ordered_json out = ordered_json::object();
  for (const auto& m : metrics) {
    out[m.name] = ordered_json{{"value", Number(m.value)},
                               {"ci", ordered_json::array({Number(m.lo), Number(m.hi)})},
                               {"n", m.n},
                               {"clusters", m.clusters},
                               {"method", m.method}};
  }
  return out;
}

ordered_json ErrorsJson(const std::array<int64_t, kErrorTypeCount>& errors) {
  ordered_json out = ordered_json::object();
  for (int t = 0; t < kErrorTypeCount; ++t) {
    if (errors[static_cast<size_t>(t)] > 0) out[std::string(Name(static_cast<ErrorType>(t)))] = errors[static_cast<size_t>(t)];
  }
  return out;
}

std::string Fmt(double v) { return std::isfinite(v) ? fmt::format("{:.4f}", v) : "-"; }

std::vector<std::string> SplitKeys(const std::vector<std::string>& raw) {
  std::vector<std::string> keys;
  for (const std::string& r : raw) {
    size_t start = 0;
    while (start <= r.size()) {
      size_t comma = r.find(',', start);
      std::string k = r.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!k.empty()) keys.push_back(k);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return keys;
}

// `--distortion`: the model against gold and against the vendor labels of the same frames.
int RunDistortion(const EvalQualityArgs& args, Store& store, const ProgramConfig& config,
                  const EvaluateOptions& options) {
  const bool json = args.common.json;
  auto d = EvaluateLabelNoiseDistortion(store, config, options.pipeline, options.batch, options.metrics);
  if (!d.ok()) return Fail(d.status(), json);
  if (json) {
    ordered_json metrics = ordered_json::object();
    for (const MetricShift& m : d->shifts) {
      metrics[m.name] = ordered_json{{"against_gold", Number(m.against_gold)},
                                     {"against_vendor", Number(m.against_vendor)},
                                     {"shift", Number(m.shift)}};
    }
    ordered_json out{{"pipeline", d->against_gold.pipeline},
                     {"batch", args.batch.empty() ? ordered_json(nullptr) : ordered_json(args.batch)},
                     {"frames", d->against_gold.frames_compared},
                     {"against_gold", MetricsJson(d->against_gold.metrics)},
                     {"against_vendor", MetricsJson(d->against_vendor.metrics)},
                     {"metrics", metrics}};
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s: the model against gold and against the vendor labels of the same %lld frames\n",
              d->against_gold.pipeline.c_str(), static_cast<long long>(d->against_gold.frames_compared));
  Table t({"metric", "against gold", "against vendor labels", "shift"});
  for (const MetricShift& m : d->shifts) {
    t.Add({m.name, Fmt(m.against_gold), Fmt(m.against_vendor), fmt::format("{:+.4f}", m.shift)});
  }
  std::fputs(t.Render().c_str(), stdout);
  return kExitOk;
}

}  // namespace

int RunEvalQuality(const EvalQualityArgs& args) {
  const bool json = args.common.json;
  auto config = LoadConfig(args.common.program);
  if (!config.ok()) return Fail(config.status(), json);
  EvaluateOptions options;
  options.pipeline = args.pipeline;
  options.batch = args.batch;
  auto source = ParseSource(args.source), against = ParseSource(args.against);
  if (!source || !against) {
    return Fail(Status::Usage(fmt::format("--source {} --against {}: use vendor|model and gold|consensus|model|vendor",
                                          args.source, args.against)), json);
  }
  options.source = *source;
  options.against = *against;
  options.by = SplitKeys(args.by);
  options.metrics.resamples = args.resamples;
  // Evaluation writes outcomes, so the store is opened for writing; it must already exist.
  auto store = OpenExistingStore(args.common, false);
  if (!store.ok()) return Fail(store.status(), json);
  if (args.distortion) return RunDistortion(args, **store, *config, options);
  auto result = EvaluatePipeline(**store, *config, options);
  if (!result.ok()) return Fail(result.status(), json);

  if (json) {
    ordered_json groups = ordered_json::array();
    for (const EvaluationGroup& g : result->groups) {
      ordered_json by = ordered_json::object();
      for (const auto& [k, v] : g.by) by[k] = v;
      groups.push_back(ordered_json{{"by", by}, {"metrics", MetricsJson(g.metrics)}, {"errors", ErrorsJson(g.errors)}});
    }
    ordered_json out{{"pipeline", result->pipeline},
                     {"source", args.source},
                     {"against", args.against},
                     {"batch", args.batch.empty() ? ordered_json(nullptr) : ordered_json(args.batch)},
                     {"frames", result->frames_compared},
                     {"records", result->records_compared},
                     {"outcomes", result->outcomes},
                     {"metrics", MetricsJson(result->metrics)},
                     {"errors", ErrorsJson(result->errors)},
                     {"groups", groups}};
    std::puts(out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s: %s against %s%s, %lld frames, %lld records, %lld outcomes\n", result->pipeline.c_str(),
              args.source.c_str(), args.against.c_str(),
              args.batch.empty() ? "" : fmt::format(" (batch {})", args.batch).c_str(),
              static_cast<long long>(result->frames_compared), static_cast<long long>(result->records_compared),
              static_cast<long long>(result->outcomes));
  Table t({"metric", "value", "95% interval", "n", "method"});
  for (const auto& m : result->metrics) {
    t.Add({m.name, Fmt(m.value), fmt::format("[{}, {}]", Fmt(m.lo), Fmt(m.hi)), std::to_string(m.n), m.method});
  }
  std::fputs(t.Render().c_str(), stdout);
  if (!result->groups.empty()) {
    std::vector<std::string> header;
    for (const std::string& k : options.by) header.push_back(k);
    for (const char* h : {"recall", "precision", "class_accuracy", "localization_accuracy", "geometry_accuracy",
                          "attribute_accuracy", "tag_accuracy"}) {
      header.emplace_back(h);
    }
    Table g(header);
    for (const EvaluationGroup& grp : result->groups) {
      std::vector<std::string> row;
      for (const auto& [k, v] : grp.by) row.push_back(v.empty() ? "-" : v);
      for (size_t i = options.by.size(); i < header.size(); ++i) {
        std::string cell = "-";
        for (const auto& m : grp.metrics) {
          if (m.name == header[i]) cell = fmt::format("{} [{}, {}]", Fmt(m.value), Fmt(m.lo), Fmt(m.hi));
        }
        row.push_back(cell);
      }
      g.Add(row);
    }
    std::fputs("\n", stdout);
    std::fputs(g.Render().c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace gtops::cli
