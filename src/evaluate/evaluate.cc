#include "evaluate/evaluate.h"

#include <cmath>
#include <memory>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "evaluate/outcome_writer.h"

namespace gtops {
namespace {

using quality::ErrorBit;
using quality::FrameComparison;
using quality::Outcome;
using quality::OutcomeKind;

constexpr std::string_view kPlainKeys[] = {"vendor", "annotator", "batch", "class", "spec_version",
                                           "tool_version", "task", "producer", "range_m"};

std::string JsonScalarText(std::string_view token) {
  if (token.size() >= 2 && token.front() == '"') return std::string(token.substr(1, token.size() - 2));
  return std::string(token);
}

std::string FindMember(std::string_view json, std::string_view key) {
  std::vector<quality::JsonMember> members;
  quality::ParseFlatObject(json, members);
  for (const auto& m : members) {
    if (m.key == key) return JsonScalarText(m.value);
  }
  return "";
}

OutcomeRow ToRow(const EvaluateOptions& options, const LabelRecord& compared, const LabelRecord& reference,
                 const FrameComparison& cmp, const Outcome& o) {
  OutcomeRow row;
  row.pipeline = compared.pipeline;
  row.batch = compared.batch;
  row.task = compared.task;
  row.frame = compared.frame;
  row.source = std::string(Name(options.source));
  row.producer = compared.producer();
  row.vendor = compared.vendor;
  row.annotator = compared.source == Source::kModel ? compared.model : compared.annotator;
  row.spec_version = compared.spec_version;
  row.tool_version = compared.tool_version;
  row.kind = std::string(quality::Name(o.kind));
  if (o.reference >= 0) row.reference_id = reference.objects[static_cast<size_t>(o.reference)].id;
  if (o.label >= 0) row.label_id = compared.objects[static_cast<size_t>(o.label)].id;
  row.cls = std::string(o.cls);
  row.label_cls = std::string(o.label_cls);
  row.tag_name = std::string(o.tag);
  auto opt = [](double v) { return std::isnan(v) ? std::optional<double>() : std::optional<double>(v); };
  row.range_m = opt(o.range_m);
  if (o.kind != OutcomeKind::kTag) row.safety_weight = o.safety_weight;
  if (o.score >= 0) row.score = o.score;
  row.iou = opt(o.iou);
  row.center_error_m = opt(o.center_error_m);
  row.size_error_rel = opt(o.size_error_rel);
  row.heading_error_deg = opt(o.heading_error_deg);
  row.distance = opt(o.distance);
  if (o.num_points >= 0) row.num_points = o.num_points;
  for (int t = 0; t < kErrorTypeCount; ++t) {
    if (o.errors & (quality::ErrorMask{1} << t)) row.errors.push_back(static_cast<ErrorType>(t));
  }
  for (uint32_t i = o.attribute_begin; i < o.attribute_end; ++i) {
    const auto& a = cmp.attributes[i];
    ++row.attributes_compared;
    if (a.equal) {
      ++row.attributes_equal;
    } else {
      if (!row.attributes_differing.empty()) row.attributes_differing += ',';
      row.attributes_differing += a.name;
    }
  }
  row.attributes_json = std::string(o.attributes_json);
  row.scene_json = compared.scene_json.empty() ? reference.scene_json : compared.scene_json;
  return row;
}

}  // namespace

bool IsGroupKey(std::string_view key) {
  for (std::string_view k : kPlainKeys) {
    if (k == key) return true;
  }
  return (key.starts_with("scene.") && key.size() > 6) || (key.starts_with("attr.") && key.size() > 5);
}

std::string GroupValue(std::string_view key, const LabelRecord& compared, const Outcome& o) {
  if (key == "vendor") return compared.vendor;
  if (key == "annotator") return compared.source == Source::kModel ? compared.model : compared.annotator;
  if (key == "producer") return compared.producer();
  if (key == "batch") return compared.batch;
  if (key == "class") return std::string(o.cls);
  if (key == "spec_version") return compared.spec_version;
  if (key == "tool_version") return compared.tool_version;
  if (key == "task") return compared.task;
  if (key == "range_m") {
    if (std::isnan(o.range_m)) return "";
    int band = static_cast<int>(std::floor(o.range_m / 20.0));
    return fmt::format("[{},{})", band * 20, band * 20 + 20);
  }
  if (key.starts_with("scene.")) return FindMember(compared.scene_json, key.substr(6));
  if (key.starts_with("attr.")) return FindMember(o.attributes_json, key.substr(5));
  return "";
}

Result<EvaluationResult> EvaluatePipeline(Store& store, const ProgramConfig& config,
                                          const EvaluateOptions& options) {
  const PipelineSpec* spec = config.FindPipeline(options.pipeline);
  if (spec == nullptr) {
    return Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", options.pipeline));
  }
  if (options.source != Source::kVendor && options.source != Source::kModel) {
    return Status::Usage("--source must be vendor or model");
  }
  if (options.against != Source::kGold && options.against != Source::kModel && options.against != Source::kConsensus &&
      !(options.against == Source::kVendor && options.source == Source::kModel)) {
    return Status::Usage("--against must be gold, consensus or model (or vendor, for a model's labels)");
  }
  if (options.source == options.against) {
    return Status::Usage(fmt::format("comparing {} labels against {} labels compares a source with itself",
                                     Name(options.source), Name(options.against)));
  }
  for (const std::string& key : options.by) {
    if (!IsGroupKey(key)) {
      return Status::Usage(fmt::format(
          "--by {}: unknown group key (use vendor, annotator, batch, class, spec_version, "
          "tool_version, task, producer, range_m, scene.<key> or attr.<key>)", key));
    }
  }

  quality::CompareOptions compare_options;
  if (options.source == Source::kModel) compare_options.method = quality::MatchMethod::kGreedyByScore;
  quality::FrameComparer comparer(*spec, compare_options);
  FrameComparison cmp;
  quality::QualityAggregate overall;
  std::map<std::vector<std::string>, quality::QualityAggregate> groups;
  std::unordered_map<std::string, quality::TrackHistory> tracks;  // per producer, within a task
  std::string current_task;
  EvaluationResult result;
  result.pipeline = spec->id;

  // With outcomes to write, the frames are read through a read-only connection of their own and
  // the rows are written on another thread through `store` (see OutcomeWriter).
  // With a queue, its thread writes and `store` only reads.
  Store* frames = &store;
  std::unique_ptr<Store> reader;
  std::unique_ptr<OutcomeSink> writer;
  if (options.write_outcomes) {
    EvaluationRunInfo info{spec->id, std::string(Name(options.source)), std::string(Name(options.against)),
                           options.batch};
    if (options.outcome_queue != nullptr) {
      writer = options.outcome_queue->Open(std::move(info));
    } else {
      auto opened = OpenStore(StoreOptions{store.Location(), true});
      if (opened.ok()) {
        reader = std::move(*opened);
        frames = reader.get();
      }
      writer = std::make_unique<OutcomeWriter>(store, std::move(info), reader != nullptr);
    }
  }
  std::vector<std::string> key(options.by.size());

  Status s = frames->ForEachFrame(spec->id, [&](const FrameLabels& frame) -> Status {
    if (frame.task != current_task) {
      tracks.clear();
      current_task = frame.task;
    }
    for (Source required : options.require_sources) {
      bool has = false;
      for (const LabelRecord& r : frame.records) has = has || r.source == required;
      if (!has) return Status::Ok();
    }
    const LabelRecord* reference = nullptr;
    for (const LabelRecord& r : frame.records) {
      if (r.source == options.against) {
        reference = &r;
        break;
      }
    }
    if (reference == nullptr) return Status::Ok();
    bool any = false;
    for (const LabelRecord& r : frame.records) {
      if (r.source != options.source) continue;
      if (!options.batch.empty() && r.batch != options.batch) continue;
      if (options.keep_record && !options.keep_record(r)) continue;
      any = true;
      quality::TrackHistory* history = spec->tracking ? &tracks[r.producer()] : nullptr;
      comparer.Compare(r, *reference, cmp, history);
      if (history != nullptr) history->Observe(cmp);
      ++result.records_compared;
      overall.Add(cmp, frame.task);
      for (const Outcome& o : cmp.outcomes) {
        for (int t = 0; t < kErrorTypeCount; ++t) {
          if (o.errors & (quality::ErrorMask{1} << t)) ++result.errors[static_cast<size_t>(t)];
        }
        if (!options.by.empty()) {
          for (size_t i = 0; i < options.by.size(); ++i) key[i] = GroupValue(options.by[i], r, o);
          groups[key].AddOutcome(cmp, o, frame.task);
        }
        if (writer) {
          OutcomeRow row = ToRow(options, r, *reference, cmp, o);
          if (options.on_outcome_row) options.on_outcome_row(r, row);
          GTOPS_RETURN_IF_ERROR(writer->Add(std::move(row)));
        }
      }
      result.outcomes += static_cast<int64_t>(cmp.outcomes.size());
      if (options.on_comparison) options.on_comparison(frame, r, cmp);
    }
    if (any) ++result.frames_compared;
    return Status::Ok();
  }, Name(options.against), options.require_sources.empty() ? Name(options.source) : std::string_view());
  if (!s.ok()) return s;  // the writer, if any, rolls its run back
  if (writer) GTOPS_RETURN_IF_ERROR(writer->Finish(result.outcomes));

  result.metrics = quality::ComputeMetrics(overall, options.metrics);
  for (const auto& [values, agg] : groups) {
    EvaluationGroup g;
    for (size_t i = 0; i < values.size(); ++i) g.by.emplace_back(options.by[i], values[i]);
    g.metrics = quality::ComputeMetrics(agg, options.metrics);
    quality::ClusterTotals t = agg.Total();
    for (int e = 0; e < kErrorTypeCount; ++e) g.errors[static_cast<size_t>(e)] = t.errors[static_cast<size_t>(e)];
    result.groups.push_back(std::move(g));
  }
  return result;
}

Result<DistortionResult> EvaluateLabelNoiseDistortion(Store& store, const ProgramConfig& config,
                                                      const std::string& pipeline,
                                                      const std::string& batch,
                                                      const quality::MetricOptions& metrics) {
  EvaluateOptions options;
  options.pipeline = pipeline;
  options.batch = batch;
  options.source = Source::kModel;
  options.require_sources = {Source::kGold, Source::kVendor, Source::kModel};
  options.write_outcomes = false;
  options.metrics = metrics;
  DistortionResult d;
  options.against = Source::kGold;
  auto gold = EvaluatePipeline(store, config, options);
  if (!gold.ok()) return gold.status();
  options.against = Source::kVendor;
  auto vendor = EvaluatePipeline(store, config, options);
  if (!vendor.ok()) return vendor.status();
  d.against_gold = std::move(*gold);
  d.against_vendor = std::move(*vendor);
  for (const quality::MetricValue& g : d.against_gold.metrics) {
    for (const quality::MetricValue& v : d.against_vendor.metrics) {
      if (v.name != g.name) continue;
      d.shifts.push_back(MetricShift{g.name, g.value, v.value, v.value - g.value});
      break;
    }
  }
  return d;
}

}  // namespace gtops
