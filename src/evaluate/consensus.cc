#include "evaluate/consensus.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "agreement/box_fusion.h"
#include "quality/json_lite.h"

namespace gtops {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Dense codes for strings in order of first sight.
class Codes {
 public:
  int32_t Id(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    const auto id = static_cast<int32_t>(names_.size());
    ids_.emplace(std::string(s), id);
    names_.emplace_back(s);
    return id;
  }
  const std::string& Name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::map<std::string, int32_t, std::less<>> ids_;
  std::vector<std::string> names_;
};

// Sums behind a GoldAgreement.
struct GoldTally {
  int64_t frames = 0, gold_objects = 0, labels = 0, matched = 0, class_correct = 0;
  double iou = 0, centre = 0, distance = 0;
  int64_t n_iou = 0, n_centre = 0, n_distance = 0;

  void Add(const quality::FrameComparison& cmp) {
    for (const quality::Outcome& o : cmp.outcomes) {
      switch (o.kind) {
        case quality::OutcomeKind::kPaired:
          ++matched, ++gold_objects, ++labels;
          class_correct += o.cls == o.label_cls;
          if (std::isfinite(o.iou)) iou += o.iou, ++n_iou;
          if (std::isfinite(o.center_error_m)) centre += o.center_error_m, ++n_centre;
          if (std::isfinite(o.distance)) distance += o.distance, ++n_distance;
          break;
        case quality::OutcomeKind::kMissing: ++gold_objects; break;
        case quality::OutcomeKind::kExtra:
        case quality::OutcomeKind::kDuplicate: ++labels; break;
        case quality::OutcomeKind::kIgnored:
        case quality::OutcomeKind::kTag: break;
      }
    }
  }
  GoldAgreement Result(std::string who) const {
    auto ratio = [](double a, int64_t b) { return b > 0 ? a / static_cast<double>(b) : kNaN; };
    GoldAgreement g;
    g.who = std::move(who);
    g.frames = frames, g.gold_objects = gold_objects, g.labels = labels, g.matched = matched;
    g.class_correct = class_correct;
    g.precision = ratio(static_cast<double>(matched), labels);
    g.recall = ratio(static_cast<double>(matched), gold_objects);
    g.f1 = ratio(2.0 * static_cast<double>(matched), labels + gold_objects);
    g.mean_iou = ratio(iou, n_iou);
    g.mean_centre_error_m = ratio(centre, n_centre);
    g.mean_distance = ratio(distance, n_distance);
    return g;
  }
};

// FNV-1a, 64 bits: the content hash of a consensus label set (PutLabels replaces a stored set
// only when it differs).
uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

std::string Canonical(const LabelRecord& r) {
  std::string s = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}", r.pipeline, r.task, r.frame, r.batch,
                              r.timestamp ? fmt::format("{}", *r.timestamp) : "", r.spec_version, r.sensor,
                              r.scene_json, r.ego_pose_json);
  for (const Object& o : r.objects) {
    s += fmt::format("\n{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", o.id, o.track, o.cls, Name(o.kind),
                     o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h, o.box3d.x, o.box3d.y, o.box3d.z, o.box3d.l,
                     o.box3d.w, o.box3d.h, o.box3d.yaw, o.attributes_json);
    s += o.geometry_json;
  }
  return s;
}

// The class and attribute answers of the accepted clusters of a pipeline.
struct Votes {
  Codes annotators, classes;
  agreement::AnswerSet class_answers;
  struct Attribute {
    Codes values;
    agreement::AnswerSet answers;
    std::map<int32_t, int32_t> item_of_cluster;  // accepted-cluster index -> item
  };
  std::map<std::string, Attribute, std::less<>> attributes;
};

}  // namespace

double MatchCost(const quality::Outcome& o) {
  double cost = std::isfinite(o.iou) ? 1 - o.iou : 1;
  if (std::isfinite(o.distance)) {
    cost += 1e-3 * o.distance;
  } else if (std::isfinite(o.center_error_m)) {
    cost += 1e-3 * o.center_error_m;
  }
  return cost;
}

Status ClusterOverlapFrame(quality::FrameComparer& comparer, OverlapFrame& frame, int quorum) {
  frame.edges.clear();
  quality::FrameComparison cmp;
  const size_t n = frame.records.size();
  std::vector<int32_t> objects(n);
  for (size_t a = 0; a < n; ++a) objects[a] = static_cast<int32_t>(frame.records[a].objects.size());
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a + 1; b < n; ++b) {
      comparer.Compare(frame.records[b], frame.records[a], cmp);
      for (const quality::Outcome& o : cmp.outcomes) {
        if (o.kind != quality::OutcomeKind::kPaired || o.reference < 0 || o.label < 0) continue;
        frame.edges.push_back(agreement::MatchEdge{{static_cast<int32_t>(a), o.reference},
                                                   {static_cast<int32_t>(b), o.label}, MatchCost(o)});
      }
    }
  }
  auto clusters = agreement::ClusterObjects(objects, frame.edges, quorum);
  if (!clusters.ok()) return clusters.status();
  frame.clusters = std::move(*clusters);
  return Status::Ok();
}

Result<Object> FuseCluster(GeometryKind geometry, const OverlapFrame& frame, const agreement::ObjectCluster& cluster,
                           std::span<const double> weights) {
  if (weights.size() != frame.records.size()) {
    return Status::BadInput(fmt::format("consensus: {} weights for {} records", weights.size(), frame.records.size()));
  }
  const size_t n = cluster.members.size();
  std::vector<const Object*> members(n);
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) {
    const agreement::ClusterMember& m = cluster.members[i];
    members[i] = &frame.records[static_cast<size_t>(m.annotator)].objects[static_cast<size_t>(m.object)];
    w[i] = weights[static_cast<size_t>(m.annotator)];
  }
  if (std::all_of(w.begin(), w.end(), [](double x) { return x == 0; })) std::fill(w.begin(), w.end(), 1.0);
  Object out;
  out.kind = geometry;
  if (geometry == GeometryKind::kBox3d) {
    std::vector<Box3d> boxes(n);
    for (size_t i = 0; i < n; ++i) boxes[i] = members[i]->box3d;
    auto f = agreement::FuseBoxes(boxes, w);
    if (!f.ok()) return f.status();
    out.box3d = f->box;
    return out;
  }
  if (geometry == GeometryKind::kBox2d) {
    std::vector<Box2d> boxes(n);
    for (size_t i = 0; i < n; ++i) boxes[i] = members[i]->box2d;
    auto f = agreement::FuseBoxes2d(boxes, w);
    if (!f.ok()) return f.status();
    out.box2d = f->box;
    return out;
  }
  // Polylines, polygons, masks: the medoid under the matching costs.
  std::vector<double> d(n * n, kNaN);
  double largest = kNaN;
  for (const agreement::MatchEdge& e : frame.edges) {
    auto at = [&](const agreement::ClusterMember& m) {
      return static_cast<size_t>(std::find(cluster.members.begin(), cluster.members.end(), m) - cluster.members.begin());
    };
    const size_t i = at(e.a), j = at(e.b);
    if (i >= n || j >= n) continue;
    d[i * n + j] = d[j * n + i] = e.cost;
    if (!(e.cost <= largest)) largest = e.cost;
  }
  if (!std::isfinite(largest)) largest = 1;
  for (double& x : d) {
    if (!std::isfinite(x)) x = largest;
  }
  auto medoid = agreement::Medoid(static_cast<int>(n), d, w);
  if (!medoid.ok()) return medoid.status();
  out.geometry_json = members[static_cast<size_t>(*medoid)]->geometry_json;
  return out;
}

namespace {

Result<PipelineConsensus> ComputeOne(Store& store, const PipelineSpec& spec, const ConsensusOptions& options) {
  PipelineConsensus out;
  out.pipeline = spec.id;
  out.geometry = spec.geometry;
  out.quorum = options.quorum;

  // 1. The overlap frames, clustered.
  quality::FrameComparer comparer(spec);
  std::vector<OverlapFrame> frames;
  std::vector<const LabelRecord*> vendor;
  GTOPS_RETURN_IF_ERROR(store.ForEachFrame(spec.id, [&](const FrameLabels& f) -> Status {
    vendor.clear();
    const LabelRecord* gold = nullptr;
    for (const LabelRecord& r : f.records) {
      if (r.source == Source::kVendor) vendor.push_back(&r);
      if (r.source == Source::kGold && gold == nullptr) gold = &r;
    }
    std::stable_sort(vendor.begin(), vendor.end(),
                     [](const LabelRecord* a, const LabelRecord* b) { return a->annotator < b->annotator; });
    vendor.erase(std::unique(vendor.begin(), vendor.end(),
                             [](const LabelRecord* a, const LabelRecord* b) { return a->annotator == b->annotator; }),
                 vendor.end());
    if (vendor.size() < 2) return Status::Ok();
    OverlapFrame& frame = frames.emplace_back();
    for (const LabelRecord* r : vendor) {
      frame.records.push_back(*r);
      out.labels += static_cast<int64_t>(r->objects.size());
    }
    if (gold != nullptr) frame.gold = *gold;
    return ClusterOverlapFrame(comparer, frame, options.quorum);
  }, Name(Source::kVendor), Name(Source::kGold)));  // frames with vendor records; vendor and gold read
  out.overlap_frames = static_cast<int64_t>(frames.size());

  // 2. Class and attribute answers of the accepted clusters.
  Votes votes;
  std::vector<std::pair<size_t, size_t>> accepted;  // (frame, cluster)
  std::vector<quality::JsonMember> members;
  for (size_t f = 0; f < frames.size(); ++f) {
    const OverlapFrame& frame = frames[f];
    const auto annotators = static_cast<int64_t>(frame.records.size());
    for (size_t c = 0; c < frame.clusters.size(); ++c) {
      const agreement::ObjectCluster& cluster = frame.clusters[c];
      ++out.clusters;
      if (!cluster.accepted) {
        ++out.rejected;
        out.dropped_objects += static_cast<int64_t>(cluster.members.size());
        continue;
      }
      ++out.accepted;
      out.missing_votes += annotators - static_cast<int64_t>(cluster.members.size());
      const auto item = static_cast<int32_t>(accepted.size());
      accepted.emplace_back(f, c);
      for (const agreement::ClusterMember& m : cluster.members) {
        const LabelRecord& r = frame.records[static_cast<size_t>(m.annotator)];
        const Object& o = r.objects[static_cast<size_t>(m.object)];
        const int32_t worker = votes.annotators.Id(r.annotator);
        votes.class_answers.answers.push_back({item, worker, votes.classes.Id(o.cls)});
        members.clear();
        quality::ParseFlatObject(o.attributes_json, members);
        for (const quality::JsonMember& a : members) {
          auto it = votes.attributes.find(a.key);
          if (it == votes.attributes.end()) it = votes.attributes.emplace(std::string(a.key), Votes::Attribute{}).first;
          Votes::Attribute& attr = it->second;
          auto [slot, fresh] = attr.item_of_cluster.emplace(item, static_cast<int32_t>(attr.item_of_cluster.size()));
          (void)fresh;
          attr.answers.answers.push_back({slot->second, worker, attr.values.Id(a.value)});
        }
      }
    }
  }

  // 3. Dawid–Skene over the pipeline: classes, annotator reliabilities, attribute values.
  std::vector<int32_t> cls_of(accepted.size(), -1);
  std::vector<double> weight_of(static_cast<size_t>(votes.annotators.size()), 1.0);
  if (!accepted.empty()) {
    votes.class_answers.items = static_cast<int>(accepted.size());
    votes.class_answers.workers = votes.annotators.size();
    votes.class_answers.classes = votes.classes.size();
    auto truth = agreement::InferTruth(votes.class_answers, options.truth);
    if (!truth.ok()) return truth.status();
    agreement::TruthOptions mv = options.truth;
    mv.model = agreement::TruthModel::kMajorityVote;
    auto majority = agreement::InferTruth(votes.class_answers, mv);
    if (!majority.ok()) return majority.status();
    cls_of = truth->label;
    for (int c = 0; c < votes.classes.size(); ++c) out.classes.push_back(votes.classes.Name(c));
    const auto kc = static_cast<size_t>(truth->classes);
    out.posteriors.reserve(accepted.size());
    for (size_t i = 0; i < accepted.size(); ++i) {
      ClassPosterior cp;
      cp.frame = frames[accepted[i].first].records.front().frame;
      cp.cluster = static_cast<int32_t>(accepted[i].second);
      cp.posterior.assign(truth->posterior.begin() + static_cast<std::ptrdiff_t>(i * kc),
                          truth->posterior.begin() + static_cast<std::ptrdiff_t>((i + 1) * kc));
      if (truth->label[i] >= 0) {
        cp.cls = votes.classes.Name(truth->label[i]);
        cp.probability = cp.posterior[static_cast<size_t>(truth->label[i])];
      }
      out.posteriors.push_back(std::move(cp));
    }
    for (size_t i = 0; i < cls_of.size(); ++i) out.class_overruled += cls_of[i] != majority->label[i];
    out.ds_iterations = truth->iterations;
    out.ds_converged = truth->converged;
    for (int w = 0; w < votes.annotators.size(); ++w) {
      const auto k = static_cast<size_t>(w);
      AnnotatorWeight a;
      a.annotator = votes.annotators.Name(w);
      a.answers = truth->answers_per_worker[k];
      a.accuracy = truth->accuracy[k], a.lo = truth->accuracy_lo[k], a.hi = truth->accuracy_hi[k];
      a.weight = std::isfinite(a.accuracy) ? a.accuracy : 1.0;
      weight_of[k] = a.weight;
      a.confusion.assign(truth->confusion.begin() + static_cast<std::ptrdiff_t>(k * kc * kc),
                         truth->confusion.begin() + static_cast<std::ptrdiff_t>((k + 1) * kc * kc));
      out.annotators.push_back(std::move(a));
    }
    std::sort(out.annotators.begin(), out.annotators.end(),
              [](const AnnotatorWeight& a, const AnnotatorWeight& b) { return a.annotator < b.annotator; });
  }
  std::map<std::string_view, std::vector<int32_t>> attribute_label;  // name -> label per attribute item
  for (auto& [name, attr] : votes.attributes) {
    attr.answers.items = static_cast<int>(attr.item_of_cluster.size());
    attr.answers.workers = votes.annotators.size();
    attr.answers.classes = attr.values.size();
    auto truth = agreement::InferTruth(attr.answers, options.truth);
    if (!truth.ok()) return truth.status();
    attribute_label[name] = std::move(truth->label);
  }

  // 4. The consensus label sets, and their comparison with gold.
  std::vector<double> weights;
  quality::FrameComparison cmp;
  GoldTally consensus_tally, pooled;
  std::map<std::string, GoldTally> by_annotator;
  size_t next = 0;  // into `accepted`
  const bool needs_records = options.write || options.keep_records;
  for (size_t f = 0; f < frames.size(); ++f) {
    const OverlapFrame& frame = frames[f];
    const LabelRecord& first = frame.records.front();
    LabelRecord rec;
    rec.pipeline = first.pipeline, rec.batch = first.batch, rec.task = first.task, rec.frame = first.frame;
    rec.timestamp = first.timestamp;
    rec.source = Source::kConsensus;
    rec.spec_version = first.spec_version, rec.sensor = first.sensor;
    rec.scene_json = first.scene_json, rec.ego_pose_json = first.ego_pose_json;
    weights.clear();
    for (const LabelRecord& r : frame.records) {
      int32_t code = votes.annotators.Id(r.annotator);
      weights.push_back(static_cast<size_t>(code) < weight_of.size() ? weight_of[static_cast<size_t>(code)] : 1.0);
    }
    for (; next < accepted.size() && accepted[next].first == f; ++next) {
      const agreement::ObjectCluster& cluster = frame.clusters[accepted[next].second];
      auto fused = FuseCluster(spec.geometry, frame, cluster, weights);
      if (!fused.ok()) return fused.status();
      Object& o = rec.objects.emplace_back(std::move(*fused));
      o.id = fmt::format("c{}", rec.objects.size());
      o.cls = votes.classes.Name(cls_of[next]);
      for (const agreement::ClusterMember& m : cluster.members) {  // the lowest annotator's track
        const LabelRecord& r = frame.records[static_cast<size_t>(m.annotator)];
        const Object& member = r.objects[static_cast<size_t>(m.object)];
        if (member.track.empty()) continue;
        o.track = fmt::format("{}:{}", r.annotator, member.track);
        break;
      }
      std::string attrs;
      for (const auto& [name, attr] : votes.attributes) {
        auto it = attr.item_of_cluster.find(static_cast<int32_t>(next));
        if (it == attr.item_of_cluster.end()) continue;
        const int32_t value = attribute_label[name][static_cast<size_t>(it->second)];
        if (value < 0) continue;
        attrs += fmt::format("{}\"{}\":{}", attrs.empty() ? "{" : ",", name, attr.values.Name(value));
      }
      if (!attrs.empty()) o.attributes_json = attrs + "}";
    }
    if (frame.gold) {
      ++out.gold_frames;
      comparer.Compare(rec, *frame.gold, cmp);
      consensus_tally.Add(cmp);
      ++consensus_tally.frames;
      for (const LabelRecord& r : frame.records) {
        comparer.Compare(r, *frame.gold, cmp);
        GoldTally& t = by_annotator[r.annotator];
        t.Add(cmp), pooled.Add(cmp);
        ++t.frames, ++pooled.frames;
      }
    }
    if (needs_records) out.records.push_back(std::move(rec));
  }
  if (out.gold_frames > 0) {
    out.consensus_vs_gold = consensus_tally.Result("consensus");
    out.single_vs_gold = pooled.Result("single annotators");
    for (const auto& [who, t] : by_annotator) out.annotators_vs_gold.push_back(t.Result(who));
  }
  return out;
}

// Writes the consensus label sets of the pipelines into the store: one ingest run, one
// transaction per pipeline (its "file" is `gtops consensus <pipeline>`).
Status WriteConsensus(Store& store, const ProgramConfig& config, std::vector<PipelineConsensus>& all) {
  GTOPS_RETURN_IF_ERROR(store.SyncConfig(config));
  auto run = store.BeginIngestRun();
  if (!run.ok()) return run.status();
  IngestRunTotals totals;
  Status status = [&]() -> Status {
    for (PipelineConsensus& p : all) {
      const std::string file = fmt::format("gtops consensus {}", p.pipeline);
      GTOPS_RETURN_IF_ERROR(store.BeginFile(file, *run));
      int64_t line = 0;
      for (const LabelRecord& r : p.records) {
        auto put = store.PutLabels(r, Fnv1a(Canonical(r)), SourceLocation{file, ++line});
        if (!put.ok()) {
          store.AbortFile();
          return put.status();
        }
        ++p.written;
        p.inserted += *put == PutResult::kInserted;
        p.replaced += *put == PutResult::kReplaced;
        p.unchanged += *put == PutResult::kUnchanged;
        totals.objects_written += static_cast<int64_t>(r.objects.size());
      }
      GTOPS_RETURN_IF_ERROR(store.CommitFile(FileState{file, 0, 0}, FileTotals{line, line, 0}));
      ++totals.files_read;
      totals.records_read += line, totals.accepted += line;
      totals.inserted += p.inserted, totals.replaced += p.replaced, totals.unchanged += p.unchanged;
    }
    return Status::Ok();
  }();
  totals.status = status.ok() ? "ok" : "failed";
  Status finish = store.FinishIngestRun(*run, totals);
  GTOPS_RETURN_IF_ERROR(status);
  return finish;
}

}  // namespace

Result<std::vector<PipelineConsensus>> ComputeConsensus(Store& store, const ProgramConfig& config,
                                                        const ConsensusOptions& options) {
  std::vector<PipelineConsensus> out;
  if (!options.pipeline.empty()) {
    const PipelineSpec* spec = config.FindPipeline(options.pipeline);
    if (spec == nullptr) return Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", options.pipeline));
    if (spec->geometry == GeometryKind::kTags) {
      return Status::Usage(fmt::format("pipeline \"{}\" labels tags: consensus is for object pipelines "
                                       "(`gtops agreement` measures tag agreement)", options.pipeline));
    }
    auto one = ComputeOne(store, *spec, options);
    if (!one.ok()) return one.status();
    out.push_back(std::move(*one));
  } else {
    for (const PipelineSpec& spec : config.pipelines) {
      if (spec.geometry == GeometryKind::kTags) continue;
      auto one = ComputeOne(store, spec, options);
      if (!one.ok()) return one.status();
      if (one->overlap_frames > 0) out.push_back(std::move(*one));
    }
  }
  if (options.write) GTOPS_RETURN_IF_ERROR(WriteConsensus(store, config, out));
  if (!options.keep_records) {
    for (PipelineConsensus& p : out) p.records.clear();
  }
  return out;
}

}  // namespace gtops
