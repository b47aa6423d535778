#include "evaluate/agreement_sets.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "agreement/agreement.h"
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

// The units of a pipeline, sparse: unit u holds entries [begin[u], begin[u + 1]) of
// (annotator id, value id).
struct Units {
  Interner annotators, values, tags;
  std::vector<size_t> begin;
  std::vector<std::pair<int32_t, int32_t>> entries;
  std::vector<int32_t> tag_of_unit;  // tags pipelines: the tag id of each unit
  int64_t overlap_frames = 0;

  void Start() { begin.push_back(entries.size()); }
  void Add(int32_t annotator, int32_t value) { entries.emplace_back(annotator, value); }
  size_t count() const { return begin.size(); }
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

Status Collect(Store& store, const PipelineSpec& spec, Units& units) {
  const bool tags = spec.geometry == GeometryKind::kTags;
  quality::FrameComparer comparer(spec);
  quality::FrameComparison cmp;
  std::vector<const LabelRecord*> recs;
  std::vector<int32_t> ann;
  std::vector<std::vector<quality::JsonMember>> members;
  std::vector<std::string_view> names;
  std::vector<int32_t> table;                          // pivot objects x records: value id or -1
  std::vector<std::pair<int32_t, int32_t>> unpaired;  // (record, value id)
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
    ++units.overlap_frames;
    ann.clear();
    for (const LabelRecord* r : recs) ann.push_back(units.annotators.Id(r->annotator));
    const size_t n = recs.size();

    if (tags) {
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
      return Status::Ok();
    }

    // Objects: the first annotator's record is the pivot; every other record is paired with it.
    const LabelRecord& pivot = *recs[0];
    const size_t objects = pivot.objects.size();
    table.assign(objects * n, -1);
    unpaired.clear();
    for (size_t j = 0; j < objects; ++j) table[j * n] = units.values.Id(pivot.objects[j].cls);
    for (size_t i = 1; i < n; ++i) {
      comparer.Compare(*recs[i], pivot, cmp);
      for (const quality::Outcome& o : cmp.outcomes) {
        if (o.label < 0) continue;
        const int32_t value = units.values.Id(recs[i]->objects[static_cast<size_t>(o.label)].cls);
        if (o.kind == quality::OutcomeKind::kPaired && o.reference >= 0) {
          table[static_cast<size_t>(o.reference) * n + i] = value;
        } else {
          unpaired.emplace_back(static_cast<int32_t>(i), value);
        }
      }
    }
    for (size_t j = 0; j < objects; ++j) {
      units.Start();
      for (size_t i = 0; i < n; ++i) {
        if (table[j * n + i] >= 0) units.Add(ann[i], table[j * n + i]);
      }
    }
    for (const auto& [i, value] : unpaired) {
      units.Start();
      units.Add(ann[static_cast<size_t>(i)], value);
    }
    return Status::Ok();
  }, Name(Source::kVendor), Name(Source::kVendor));
}

}  // namespace

Result<PipelineAgreement> ComputePipelineAgreement(Store& store, const ProgramConfig& config,
                                                   const std::string& pipeline, int64_t min_pair_units) {
  const PipelineSpec* spec = config.FindPipeline(pipeline);
  if (spec == nullptr) return Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", pipeline));
  Units units;
  GTOPS_RETURN_IF_ERROR(Collect(store, *spec, units));

  PipelineAgreement out;
  out.pipeline = spec->id;
  out.tags = spec->geometry == GeometryKind::kTags;
  out.overlap_frames = units.overlap_frames;
  out.units = static_cast<int64_t>(units.count());
  out.alpha = kNaN;
  std::vector<int32_t> ann_rank, value_rank;
  std::vector<std::string> values;
  units.annotators.Sorted(ann_rank, out.annotators);
  units.values.Sorted(value_rank, values);
  if (units.count() == 0) return out;

  agreement::RatingMatrix m;
  m.units = static_cast<int>(units.count());
  m.coders = static_cast<int>(out.annotators.size());
  m.categories = static_cast<int>(values.size());
  m.codes.assign(static_cast<size_t>(m.units) * static_cast<size_t>(m.coders), agreement::kMissing);
  units.begin.push_back(units.entries.size());
  for (size_t u = 0; u < static_cast<size_t>(m.units); ++u) {
    for (size_t e = units.begin[u]; e < units.begin[u + 1]; ++e) {
      const auto [a, v] = units.entries[e];
      m.codes[u * static_cast<size_t>(m.coders) + static_cast<size_t>(ann_rank[static_cast<size_t>(a)])] =
          value_rank[static_cast<size_t>(v)];
    }
  }
  units.begin.pop_back();

  auto alpha = agreement::KrippendorffAlpha(m, agreement::AlphaMetric::kNominal);
  if (!alpha.ok()) return alpha.status();
  out.alpha = alpha->alpha;

  // Values per unit and each unit's majority value (ties: the lowest code, i.e. the first name).
  std::vector<int> per_class_units;
  std::vector<std::vector<int>> by_class(values.size());
  std::vector<int> counts(values.size());
  int same = -1;
  bool constant = true;
  for (int u = 0; u < m.units; ++u) {
    int values_in_unit = 0;
    std::fill(counts.begin(), counts.end(), 0);
    for (int c = 0; c < m.coders; ++c) {
      const int32_t v = m.at(u, c);
      if (v == agreement::kMissing) continue;
      ++values_in_unit;
      ++counts[static_cast<size_t>(v)];
    }
    if (same < 0) same = values_in_unit;
    constant = constant && values_in_unit == same;
    if (values_in_unit < 2) continue;
    const auto majority = std::max_element(counts.begin(), counts.end()) - counts.begin();
    by_class[static_cast<size_t>(majority)].push_back(u);
  }
  if (constant && same >= 2) {
    auto fleiss = agreement::FleissKappa(m);
    if (!fleiss.ok()) return fleiss.status();
    out.fleiss_kappa = fleiss->kappa;
  }
  for (size_t v = 0; v < values.size(); ++v) {
    if (by_class[v].empty()) continue;
    auto k = agreement::FleissKappa(Subset(m, by_class[v]));
    if (!k.ok()) return k.status();
    out.by_class.push_back(AgreementClass{values[v], static_cast<int64_t>(by_class[v].size()), k->observed});
  }
  for (int a = 0; a < m.coders; ++a) {
    for (int b = a + 1; b < m.coders; ++b) {
      auto k = agreement::CohenKappa(m, a, b);
      if (!k.ok()) return k.status();
      if (k->units < min_pair_units) continue;
      out.pairwise.push_back(AgreementPair{out.annotators[static_cast<size_t>(a)],
                                           out.annotators[static_cast<size_t>(b)], k->kappa, k->units});
    }
  }
  if (out.tags) {
    std::vector<int32_t> tag_rank;
    std::vector<std::string> tag_names;
    units.tags.Sorted(tag_rank, tag_names);
    std::vector<std::vector<int>> of_tag(tag_names.size());
    for (size_t u = 0; u < units.tag_of_unit.size(); ++u) {
      of_tag[static_cast<size_t>(tag_rank[static_cast<size_t>(units.tag_of_unit[u])])].push_back(static_cast<int>(u));
    }
    for (size_t t = 0; t < tag_names.size(); ++t) {
      auto a = agreement::KrippendorffAlpha(Subset(m, of_tag[t]), agreement::AlphaMetric::kNominal);
      if (!a.ok()) return a.status();
      out.by_tag.push_back(AgreementTag{tag_names[t], static_cast<int64_t>(of_tag[t].size()), a->alpha});
    }
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
