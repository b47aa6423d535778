#include "evaluate/agreement_sets.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "agreement/agreement.h"
#include "agreement/spread.h"
#include "agreement/truth.h"
#include "quality/compare.h"
#include "quality/json_lite.h"

namespace gtops {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Dense ids for strings, in order of first sight; Ranks() gives each id's place in sorted order.
class Interner {
 public:
  int32_t Id(std::string_view s) {
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    const auto id = static_cast<int32_t>(ids_.size());
    ids_.emplace(std::string(s), id);
    return id;
  }
  size_t size() const { return ids_.size(); }
  // ranks[id] = the position of the id's string in sorted order; names in sorted order.
  void Sorted(std::vector<int32_t>& ranks, std::vector<std::string>& names) const {
    ranks.assign(ids_.size(), 0);
    names.clear();
    for (const auto& [name, id] : ids_) {
      ranks[static_cast<size_t>(id)] = static_cast<int32_t>(names.size());
      names.push_back(name);
    }
  }

 private:
  std::map<std::string, int32_t, std::less<>> ids_;
};

std::string ScalarText(std::string_view token) {
  if (token.size() >= 2 && token.front() == '"') return std::string(token.substr(1, token.size() - 2));
  return std::string(token);
}

// Units, sparse: unit u holds entries [begin[u], begin[u + 1]) of (annotator id, value id).
struct Units {
  Interner values, tags;
  std::vector<size_t> begin;
  std::vector<std::pair<int32_t, int32_t>> entries;
  std::vector<int32_t> tag_of_unit;  // tags pipelines: the tag id of each unit
  int64_t overlap_frames = 0;

  void Start() { begin.push_back(entries.size()); }
  void Add(int32_t annotator, int32_t value) { entries.emplace_back(annotator, value); }
  size_t count() const { return begin.size(); }
  size_t End(size_t u) const { return u + 1 < begin.size() ? begin[u + 1] : entries.size(); }
};

agreement::RatingMatrix Subset(const agreement::RatingMatrix& m, const std::vector<int>& units) {
  agreement::RatingMatrix s;
  s.units = static_cast<int>(units.size());
  s.coders = m.coders;
  s.categories = m.categories;
  s.codes.reserve(units.size() * static_cast<size_t>(m.coders));
  for (int u : units) {
    for (int c = 0; c < m.coders; ++c) s.codes.push_back(m.at(u, c));
  }
  return s;
}

// The rating matrix of `units` over `coders` annotators (annotator id -> column `ann_rank`),
// value codes in sorted order of their names (`values` receives the names).
agreement::RatingMatrix ToMatrix(const Units& units, const std::vector<int32_t>& ann_rank, int coders,
                                 std::vector<std::string>& values) {
  std::vector<int32_t> value_rank;
  units.values.Sorted(value_rank, values);
  agreement::RatingMatrix m;
  m.units = static_cast<int>(units.count());
  m.coders = coders;
  m.categories = static_cast<int>(values.size());
  m.codes.assign(static_cast<size_t>(m.units) * static_cast<size_t>(m.coders), agreement::kMissing);
  for (size_t u = 0; u < units.count(); ++u) {
    for (size_t e = units.begin[u]; e < units.End(u); ++e) {
      const auto [a, v] = units.entries[e];
      m.codes[u * static_cast<size_t>(m.coders) + static_cast<size_t>(ann_rank[static_cast<size_t>(a)])] =
          value_rank[static_cast<size_t>(v)];
    }
  }
  return m;
}

// What two annotators' comparisons added up to (matched F1, IoU).
struct PairTally {
  int64_t frames = 0, matched = 0, unmatched = 0, iou_n = 0;
  double iou_sum = 0;
};

struct ClassGeometry {
  PairTally pairs;
  agreement::SpreadAccumulator spread;
};

// Everything one pass over a pipeline's overlap frames gathers.
struct Collected {
  Interner annotators;
  std::vector<std::string> vendor_of;  // by annotator id
  Units units;                          // classes, or tags
  std::map<std::string, Units, std::less<>> attributes;
  std::map<std::string, Units, std::less<>> vendors;
  std::map<std::pair<int32_t, int32_t>, PairTally> pairs;  // (annotator id, id), in name order
  std::map<std::string, ClassGeometry, std::less<>> classes;
  std::vector<int64_t> frames_of;      // overlap frames per annotator id
};

// Compares the records of one overlap set (sorted by annotator, one per annotator) pair by pair
// and fills the pivot table: table[j * n + i] = the object of recs[i] matched with the pivot's
// object j (-1: none); `unpaired` the other annotators' objects matched with no pivot object.
class FrameMatcher {
 public:
  explicit FrameMatcher(const PipelineSpec& spec) : comparer_(spec) {}

  // `tally(i, j, outcome)` is called for each outcome of the comparison of recs[j] (labels) with
  // recs[i] (reference), i < j.
  template <typename Tally>
  void Match(const std::vector<const LabelRecord*>& recs, Tally&& tally) {
    const size_t n = recs.size();
    const size_t objects = recs[0]->objects.size();
    table.assign(objects * n, -1);
    unpaired.clear();
    for (size_t j = 0; j < objects; ++j) table[j * n] = static_cast<int32_t>(j);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = i + 1; k < n; ++k) {
        comparer_.Compare(*recs[k], *recs[i], cmp_);
        for (const quality::Outcome& o : cmp_.outcomes) {
          tally(i, k, o);
          if (i != 0 || o.label < 0) continue;
          if (o.kind == quality::OutcomeKind::kPaired && o.reference >= 0) {
            table[static_cast<size_t>(o.reference) * n + k] = o.label;
          } else if (o.kind != quality::OutcomeKind::kIgnored) {
            unpaired.emplace_back(static_cast<int32_t>(k), o.label);
          }
        }
      }
    }
  }

  std::vector<int32_t> table;
  std::vector<std::pair<int32_t, int32_t>> unpaired;  // (record, object)

 private:
  quality::FrameComparer comparer_;
  quality::FrameComparison cmp_;
};

// The class units of one overlap set from the matcher's table (docs/agreement.md).
void AddClassUnits(const std::vector<const LabelRecord*>& recs, const std::vector<int32_t>& ann,
                   const FrameMatcher& m, Units& units) {
  const size_t n = recs.size();
  const size_t objects = recs[0]->objects.size();
  for (size_t j = 0; j < objects; ++j) {
    units.Start();
    for (size_t i = 0; i < n; ++i) {
      const int32_t obj = m.table[j * n + i];
      if (obj >= 0) units.Add(ann[i], units.values.Id(recs[i]->objects[static_cast<size_t>(obj)].cls));
    }
  }
  for (const auto& [i, obj] : m.unpaired) {
    units.Start();
    units.Add(ann[static_cast<size_t>(i)], units.values.Id(recs[static_cast<size_t>(i)]->objects[static_cast<size_t>(obj)].cls));
  }
}

// The tag units of one overlap set.
void AddTagUnits(const std::vector<const LabelRecord*>& recs, const std::vector<int32_t>& ann, Units& units,
                 std::vector<std::vector<quality::JsonMember>>& members, std::vector<std::string_view>& names) {
  const size_t n = recs.size();
  members.resize(n);
  names.clear();
  for (size_t i = 0; i < n; ++i) {
    members[i].clear();
    quality::ParseFlatObject(recs[i]->tags_json, members[i]);
    for (const quality::JsonMember& m : members[i]) names.push_back(m.key);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (std::string_view name : names) {
    units.Start();
    units.tag_of_unit.push_back(units.tags.Id(name));
    for (size_t i = 0; i < n; ++i) {
      for (const quality::JsonMember& m : members[i]) {
        if (m.key != name) continue;
        units.Add(ann[i], units.values.Id(fmt::format("{}={}", name, ScalarText(m.value))));
        break;
      }
    }
  }
}

Status Collect(Store& store, const PipelineSpec& spec, Collected& c) {
  const bool tags = spec.geometry == GeometryKind::kTags;
  FrameMatcher matcher(spec), vendor_matcher(spec);
  std::vector<const LabelRecord*> recs, sub;
  std::vector<int32_t> ann, sub_ann;
  std::vector<std::vector<quality::JsonMember>> members;
  std::vector<std::vector<quality::JsonMember>> attrs;
  std::vector<std::string_view> names;
  std::vector<Box3d> box3d;
  std::vector<Box2d> box2d;
  return store.ForEachFrame(spec.id, [&](const FrameLabels& frame) -> Status {
    recs.clear();
    for (const LabelRecord& r : frame.records) {
      if (r.source == Source::kVendor) recs.push_back(&r);
    }
    std::stable_sort(recs.begin(), recs.end(),
                     [](const LabelRecord* a, const LabelRecord* b) { return a->annotator < b->annotator; });
    recs.erase(std::unique(recs.begin(), recs.end(),
                           [](const LabelRecord* a, const LabelRecord* b) { return a->annotator == b->annotator; }),
               recs.end());
    if (recs.size() < 2) return Status::Ok();
    ++c.units.overlap_frames;
    ann.clear();
    for (const LabelRecord* r : recs) {
      const int32_t id = c.annotators.Id(r->annotator);
      if (static_cast<size_t>(id) == c.vendor_of.size()) {
        c.vendor_of.push_back(r->vendor);
        c.frames_of.push_back(0);
      }
      ++c.frames_of[static_cast<size_t>(id)];
      ann.push_back(id);
    }
    const size_t n = recs.size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = i + 1; k < n; ++k) ++c.pairs[{ann[i], ann[k]}].frames;
    }

    // Within-vendor overlap sets: the records of each vendor with two annotators or more.
    auto for_vendors = [&](auto&& fn) {
      for (size_t i = 0; i < n;) {
        sub.clear();
        sub_ann.clear();
        const std::string& vendor = recs[i]->vendor;
        bool first = true;
        for (size_t k = 0; k < n; ++k) {
          if (recs[k]->vendor != vendor) continue;
          if (k < i) first = false;
          sub.push_back(recs[k]);
          sub_ann.push_back(ann[k]);
        }
        if (first && sub.size() >= 2) {
          Units& vu = c.vendors[vendor];
          ++vu.overlap_frames;
          fn(vu);
        }
        ++i;
      }
    };

    if (tags) {
      AddTagUnits(recs, ann, c.units, members, names);
      for_vendors([&](Units& vu) { AddTagUnits(sub, sub_ann, vu, members, names); });
      return Status::Ok();
    }

    matcher.Match(recs, [&](size_t i, size_t k, const quality::Outcome& o) {
      if (o.kind == quality::OutcomeKind::kIgnored || o.kind == quality::OutcomeKind::kTag) return;
      PairTally& pair = c.pairs[{ann[i], ann[k]}];
      auto cls = c.classes.find(o.cls);
      if (cls == c.classes.end()) cls = c.classes.emplace(std::string(o.cls), ClassGeometry{}).first;
      for (PairTally* t : {&pair, &cls->second.pairs}) {
        if (o.kind == quality::OutcomeKind::kPaired) {
          ++t->matched;
          if (std::isfinite(o.iou)) t->iou_sum += o.iou, ++t->iou_n;
        } else {
          ++t->unmatched;  // missing, extra, duplicate
        }
      }
    });
    AddClassUnits(recs, ann, matcher, c.units);
    for_vendors([&](Units& vu) {
      if (sub.size() == n) {
        AddClassUnits(recs, ann, matcher, vu);
      } else {
        vendor_matcher.Match(sub, [](size_t, size_t, const quality::Outcome&) {});
        AddClassUnits(sub, sub_ann, vendor_matcher, vu);
      }
    });

    // Clusters: each pivot object with the objects matched with it; their attributes and spread.
    const size_t objects = recs[0]->objects.size();
    attrs.resize(n);
    for (size_t j = 0; j < objects; ++j) {
      size_t size = 0;
      for (size_t i = 0; i < n; ++i) size += matcher.table[j * n + i] >= 0 ? 1 : 0;
      if (size < 2) continue;
      box3d.clear();
      box2d.clear();
      names.clear();
      for (size_t i = 0; i < n; ++i) {
        attrs[i].clear();
        const int32_t obj = matcher.table[j * n + i];
        if (obj < 0) continue;
        const Object& o = recs[i]->objects[static_cast<size_t>(obj)];
        if (o.kind == GeometryKind::kBox3d) box3d.push_back(o.box3d);
        if (o.kind == GeometryKind::kBox2d) box2d.push_back(o.box2d);
        quality::ParseFlatObject(o.attributes_json, attrs[i]);
        for (const quality::JsonMember& m : attrs[i]) names.push_back(m.key);
      }
      ClassGeometry& g = c.classes[recs[0]->objects[j].cls];
      if (box3d.size() >= 2) g.spread.Add(std::span<const Box3d>(box3d));
      if (box2d.size() >= 2) g.spread.Add(std::span<const Box2d>(box2d));
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (std::string_view name : names) {
        auto it = c.attributes.find(name);
        if (it == c.attributes.end()) it = c.attributes.emplace(std::string(name), Units{}).first;
        Units& au = it->second;
        au.Start();
        for (size_t i = 0; i < n; ++i) {
          for (const quality::JsonMember& m : attrs[i]) {
            if (m.key != name) continue;
            au.Add(ann[i], au.values.Id(ScalarText(m.value)));
            break;
          }
        }
      }
    }
    return Status::Ok();
  }, Name(Source::kVendor), Name(Source::kVendor));
}

GeometryAgreement MakeGeometry(std::string cls, const PairTally& t, const agreement::SpreadAccumulator& s) {
  GeometryAgreement g;
  g.cls = std::move(cls);
  g.matched = t.matched;
  g.unmatched = t.unmatched;
  g.f1 = agreement::MatchedF1(t.matched, t.unmatched);
  g.mean_iou = t.iou_n > 0 ? t.iou_sum / static_cast<double>(t.iou_n) : kNaN;
  g.clusters = s.clusters();
  g.members = s.members();
  g.centre_sd = s.CentreSd();
  g.size_sd_rel = s.SizeSdRel();
  g.heading_sd_deg = s.HeadingSdDeg();
  return g;
}

// Nominal alpha of a units table (NaN without pairable values).
Result<double> NominalAlpha(const agreement::RatingMatrix& m) {
  if (m.units == 0) return kNaN;
  auto a = agreement::KrippendorffAlpha(m, agreement::AlphaMetric::kNominal);
  if (!a.ok()) return a.status();
  return a->alpha;
}

}  // namespace

Result<PipelineAgreement> ComputePipelineAgreement(Store& store, const ProgramConfig& config,
                                                   const std::string& pipeline, int64_t min_pair_units) {
  const PipelineSpec* spec = config.FindPipeline(pipeline);
  if (spec == nullptr) return Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", pipeline));
  Collected c;
  GTOPS_RETURN_IF_ERROR(Collect(store, *spec, c));
  const Units& units = c.units;

  PipelineAgreement out;
  out.pipeline = spec->id;
  out.tags = spec->geometry == GeometryKind::kTags;
  out.geometry = std::string(Name(spec->geometry));
  out.overlap_frames = units.overlap_frames;
  out.units = static_cast<int64_t>(units.count());
  out.alpha = kNaN;
  std::vector<int32_t> ann_rank;
  std::vector<std::string> values;
  c.annotators.Sorted(ann_rank, out.annotators);
  const int coders = static_cast<int>(out.annotators.size());
  std::vector<std::string> vendor_of(out.annotators.size());
  for (size_t id = 0; id < c.vendor_of.size(); ++id) vendor_of[static_cast<size_t>(ann_rank[id])] = c.vendor_of[id];
  if (units.count() == 0) return out;

  const agreement::RatingMatrix m = ToMatrix(units, ann_rank, coders, values);
  auto alpha = NominalAlpha(m);
  if (!alpha.ok()) return alpha.status();
  out.alpha = *alpha;

  // Values per unit and each unit's majority value (ties: the lowest code, i.e. the first name).
  std::vector<std::vector<int>> by_class(values.size());
  std::vector<int> counts(values.size());
  agreement::AnswerSet answers;
  answers.workers = coders;
  answers.classes = m.categories;
  int same = -1;
  bool constant = true;
  for (int u = 0; u < m.units; ++u) {
    int values_in_unit = 0;
    std::fill(counts.begin(), counts.end(), 0);
    for (int k = 0; k < m.coders; ++k) {
      const int32_t v = m.at(u, k);
      if (v == agreement::kMissing) continue;
      ++values_in_unit;
      ++counts[static_cast<size_t>(v)];
    }
    if (same < 0) same = values_in_unit;
    constant = constant && values_in_unit == same;
    if (values_in_unit < 2) continue;
    const auto majority = std::max_element(counts.begin(), counts.end()) - counts.begin();
    by_class[static_cast<size_t>(majority)].push_back(u);
    for (int k = 0; k < m.coders; ++k) {
      if (m.at(u, k) != agreement::kMissing) answers.answers.push_back(agreement::Answer{answers.items, k, m.at(u, k)});
    }
    ++answers.items;
  }
  if (constant && same >= 2) {
    auto fleiss = agreement::FleissKappa(m);
    if (!fleiss.ok()) return fleiss.status();
    out.fleiss_kappa = fleiss->kappa;
  }
  agreement::RatingMatrix binary = m;
  binary.categories = 2;
  for (size_t v = 0; v < values.size(); ++v) {
    if (by_class[v].empty()) continue;
    auto k = agreement::FleissKappa(Subset(m, by_class[v]));
    if (!k.ok()) return k.status();
    for (size_t e = 0; e < m.codes.size(); ++e) {
      binary.codes[e] = m.codes[e] == agreement::kMissing ? agreement::kMissing
                                                           : (m.codes[e] == static_cast<int32_t>(v) ? 1 : 0);
    }
    auto one_vs_rest = NominalAlpha(binary);
    if (!one_vs_rest.ok()) return one_vs_rest.status();
    out.by_class.push_back(
        AgreementClass{values[v], static_cast<int64_t>(by_class[v].size()), k->observed, *one_vs_rest});
  }

  // Pairwise kappas (the matrix), and the annotators' own figures.
  auto kappas = agreement::PairwiseCohenKappa(m);
  if (!kappas.ok()) return kappas.status();
  std::vector<AnnotatorAgreement> ann(out.annotators.size());
  std::vector<double> kappa_sum(out.annotators.size(), 0.0);
  for (size_t id = 0; id < c.frames_of.size(); ++id) ann[static_cast<size_t>(ann_rank[id])].overlap_frames = c.frames_of[id];
  for (size_t a = 0; a < ann.size(); ++a) ann[a].annotator = out.annotators[a], ann[a].vendor = vendor_of[a];
  std::map<std::pair<int, int>, PairTally> pairs;
  for (const auto& [key, tally] : c.pairs) {
    int a = ann_rank[static_cast<size_t>(key.first)], b = ann_rank[static_cast<size_t>(key.second)];
    if (a > b) std::swap(a, b);
    pairs[{a, b}] = tally;
  }
  std::map<std::string, PairTally> vendor_pairs;
  for (const auto& [key, tally] : pairs) {
    const auto [a, b] = key;
    auto k = agreement::CohenKappa(m, a, b);
    if (!k.ok()) return k.status();
    AgreementCell cell{out.annotators[static_cast<size_t>(a)], out.annotators[static_cast<size_t>(b)], tally.frames,
                       k->kappa, k->units, tally.matched, tally.unmatched,
                       out.tags ? kNaN : agreement::MatchedF1(tally.matched, tally.unmatched)};
    out.matrix.push_back(cell);
    if (k->units >= min_pair_units) out.pairwise.push_back(AgreementPair{cell.a, cell.b, k->kappa, k->units});
    for (int x : {a, b}) {
      AnnotatorAgreement& s = ann[static_cast<size_t>(x)];
      if (std::isfinite(k->kappa) && k->units > 0) {
        ++s.partners;
        s.kappa_units += k->units;
        kappa_sum[static_cast<size_t>(x)] += k->kappa * static_cast<double>(k->units);
      }
      s.matched += tally.matched;
      s.unmatched += tally.unmatched;
    }
    if (vendor_of[static_cast<size_t>(a)] == vendor_of[static_cast<size_t>(b)]) {
      PairTally& v = vendor_pairs[vendor_of[static_cast<size_t>(a)]];
      v.matched += tally.matched;
      v.unmatched += tally.unmatched;
    }
  }
  agreement::TruthResult truth;
  if (answers.items > 0) {
    agreement::TruthOptions options;
    options.model = agreement::TruthModel::kOneCoinDawidSkene;  // few answers per annotator: one parameter each
    auto t = agreement::InferTruth(answers, options);
    if (!t.ok()) return t.status();
    truth = std::move(*t);
  }
  for (size_t a = 0; a < ann.size(); ++a) {
    AnnotatorAgreement& s = ann[a];
    s.mean_kappa = s.kappa_units > 0 ? kappa_sum[a] / static_cast<double>(s.kappa_units) : kNaN;
    s.f1 = out.tags ? kNaN : agreement::MatchedF1(s.matched, s.unmatched);
    s.ds_accuracy = s.ds_lo = s.ds_hi = kNaN;
    if (a < truth.answers_per_worker.size()) {
      s.answers = truth.answers_per_worker[a];
      s.ds_accuracy = truth.accuracy[a], s.ds_lo = truth.accuracy_lo[a], s.ds_hi = truth.accuracy_hi[a];
    }
  }
  out.by_annotator = std::move(ann);

  if (out.tags) {
    std::vector<int32_t> tag_rank;
    std::vector<std::string> tag_names;
    units.tags.Sorted(tag_rank, tag_names);
    std::vector<std::vector<int>> of_tag(tag_names.size());
    for (size_t u = 0; u < units.tag_of_unit.size(); ++u) {
      of_tag[static_cast<size_t>(tag_rank[static_cast<size_t>(units.tag_of_unit[u])])].push_back(static_cast<int>(u));
    }
    for (size_t t = 0; t < tag_names.size(); ++t) {
      auto a = NominalAlpha(Subset(m, of_tag[t]));
      if (!a.ok()) return a.status();
      out.by_tag.push_back(AgreementTag{tag_names[t], static_cast<int64_t>(of_tag[t].size()), *a});
    }
  } else {
    PairTally all;
    agreement::SpreadAccumulator spread;
    for (const auto& [name, g] : c.classes) {
      out.geometric_by_class.push_back(MakeGeometry(name, g.pairs, g.spread));
      all.matched += g.pairs.matched, all.unmatched += g.pairs.unmatched;
      all.iou_sum += g.pairs.iou_sum, all.iou_n += g.pairs.iou_n;
      spread.Merge(g.spread);
    }
    out.geometric = MakeGeometry("", all, spread);
  }
  for (const auto& [name, au] : c.attributes) {
    std::vector<std::string> attr_values;
    auto a = NominalAlpha(ToMatrix(au, ann_rank, coders, attr_values));
    if (!a.ok()) return a.status();
    out.by_attribute.push_back(
        AgreementAttribute{name, static_cast<int64_t>(au.count()), *a, static_cast<int64_t>(attr_values.size())});
  }
  for (const auto& [vendor, vu] : c.vendors) {
    std::vector<std::string> vendor_values;
    auto a = NominalAlpha(ToMatrix(vu, ann_rank, coders, vendor_values));
    if (!a.ok()) return a.status();
    VendorAgreement v;
    v.vendor = vendor;
    v.overlap_frames = vu.overlap_frames;
    v.units = static_cast<int64_t>(vu.count());
    v.alpha = *a;
    for (const std::string& x : vendor_of) v.annotators += x == vendor ? 1 : 0;
    const PairTally& t = vendor_pairs[vendor];
    v.matched = t.matched, v.unmatched = t.unmatched;
    v.f1 = out.tags ? kNaN : agreement::MatchedF1(t.matched, t.unmatched);
    out.by_vendor.push_back(v);
  }
  return out;
}

Result<std::vector<PipelineAgreement>> ComputeAgreement(Store& store, const ProgramConfig& config,
                                                        const AgreementOptions& options) {
  std::vector<PipelineAgreement> out;
  if (!options.pipeline.empty()) {
    auto one = ComputePipelineAgreement(store, config, options.pipeline, options.min_pair_units);
    if (!one.ok()) return one.status();
    out.push_back(std::move(*one));
    return out;
  }
  for (const PipelineSpec& spec : config.pipelines) {
    auto one = ComputePipelineAgreement(store, config, spec.id, options.min_pair_units);
    if (!one.ok()) return one.status();
    if (one->overlap_frames > 0) out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace gtops
