#include "demo/world.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "demo/generator.h"
#include "demo/rng.h"

namespace gtops::demo {
namespace {

int ValueIndex(const std::vector<std::string>& values, const std::string& v) {
  auto it = std::find(values.begin(), values.end(), v);
  return it == values.end() ? -1 : static_cast<int>(it - values.begin());
}

int SceneKeyIndex(const std::vector<SceneKeyDef>& keys, const std::string& k) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].key == k) return static_cast<int>(i);
  }
  return -1;
}

bool Selected(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Scene values a random fault may take: common enough to be seen in a small world (weight at
// least 0.1), not the highway road (one pipeline's own logs), not a tag fault's wrong value.
std::vector<std::string> RandomSceneValues(const SceneKeyDef& key, const FaultDef& f) {
  std::vector<std::string> out;
  for (size_t i = 0; i < key.values.size(); ++i) {
    if (key.weights[i] < 0.1 || key.values[i] == "highway") continue;
    if (f.type == ErrorType::kTag && f.attribute == key.key && f.to_value == key.values[i]) continue;
    out.push_back(key.values[i]);
  }
  return out;
}

// Redraws the conditions of `f` from the seed: its vendor among the pipeline's vendors; its
// annotator among the three busiest of such a vendor; each scene value among RandomSceneValues;
// a range's lower end among 30, 35, 40, 45 m. Class, spec and attribute conditions stay (the
// fault's kind depends on them).
void RandomizeFault(FaultDef& f, const PipelineDef& d, const World& w, uint64_t seed) {
  Rng rng(Mix(seed, HashName("random-fault:" + f.kind)));
  if (!f.vendor.empty()) f.vendor = d.vendors[static_cast<size_t>(rng.Below(static_cast<int>(d.vendors.size())))];
  if (!f.annotator.empty()) {
    const std::string& vendor = d.vendors[static_cast<size_t>(rng.Below(static_cast<int>(d.vendors.size())))];
    const auto& pool = w.annotators[static_cast<size_t>(w.VendorIndex(vendor))];
    f.annotator = pool[static_cast<size_t>(rng.Below(std::min(3, static_cast<int>(pool.size()))))];
  }
  for (auto& [k, v] : f.scene) {
    for (const SceneKeyDef& key : w.scene_keys) {
      if (key.key != k) continue;
      const std::vector<std::string> values = RandomSceneValues(key, f);
      if (!values.empty()) v = values[static_cast<size_t>(rng.Below(static_cast<int>(values.size())))];
    }
  }
  if (f.has_range) f.range_lo = 30 + 5 * rng.Below(4);
}

}  // namespace

int World::VendorIndex(const std::string& id) const {
  for (size_t i = 0; i < vendors.size(); ++i) {
    if (vendors[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

int64_t World::SpecSwitchMs() const {
  return kStartMs + static_cast<int64_t>(kSpecSwitchShare * static_cast<double>(kDurationMs));
}

Result<World> BuildWorld(const DemoOptions& options, const std::string& dir) {
  if (options.scenes < 1) return Status::Usage("demo: scenes must be at least 1");
  if (options.frames_per_task < 1 || options.frames_per_task > 100 ||
      options.frames_per_tracking_task < 2 || options.frames_per_tracking_task > 100) {
    return Status::Usage(
        "demo: frames per task must be 1-100 (2-100 for tracking tasks)");
  }
  if (options.objects_scale < 1 || options.objects_scale > 1000) {
    return Status::Usage("demo: objects_scale must be 1-1000");
  }
  for (double f : {options.gold_fraction, options.audit_fraction, options.overlap_fraction}) {
    if (!(f >= 0 && f <= 1)) return Status::Usage("demo: fractions must lie in [0, 1]");
  }
  if (options.split_bytes < 1) return Status::Usage("demo: split_bytes must be positive");
  World w;
  w.options = &options;
  w.dir = dir;
  if (options.compression.empty()) {
    w.compression = Compression::kNone;
  } else if (options.compression == "gz") {
    w.compression = Compression::kGzip;
  } else if (options.compression == "zst") {
    w.compression = Compression::kZstd;
  } else {
    return Status::Usage(fmt::format(
        "demo: compression \"{}\" is not one of \"\", \"gz\", \"zst\"", options.compression));
  }
  w.vendors = Vendors();
  for (const VendorDef& v : w.vendors) {
    std::vector<std::string> names;
    for (int i = 1; i <= v.annotators; ++i) names.push_back(fmt::format("{}-{:03}", v.id, i));
    w.annotators.push_back(std::move(names));
  }
  w.scene_keys = SceneKeys();
  w.tag_keys = TagKeys();
  w.highway_locations = HighwayLocations();

  std::vector<PipelineDef> all = Pipelines();
  for (const std::string& id : options.pipelines) {
    if (std::none_of(all.begin(), all.end(), [&](const PipelineDef& p) { return p.id == id; })) {
      return Status::Usage(fmt::format("demo: unknown pipeline \"{}\" (known: {})", id,
                                       fmt::join(DemoPipelineIds(), ", ")));
    }
  }
  for (PipelineDef& p : all) {
    if (options.pipelines.empty() || Selected(options.pipelines, p.id)) {
      w.defs.push_back(std::move(p));
    }
  }

  const std::vector<std::string> kinds = DemoFaultKinds();
  std::vector<std::string> fault_list;
  bool random = options.random_faults;
  for (const std::string& k : options.faults) {
    if (k == "random") {
      random = true;
    } else {
      fault_list.push_back(k);
    }
  }
  const bool none = fault_list.size() == 1 && fault_list[0] == "none";
  if (!none) {
    for (const std::string& k : fault_list) {
      if (!Selected(kinds, k)) {
        return Status::Usage(fmt::format("demo: unknown fault kind \"{}\" (known: none, random, {})", k,
                                         fmt::join(kinds, ", ")));
      }
    }
  }
  auto wanted = [&](const std::string& kind) {
    return !none && (fault_list.empty() || Selected(fault_list, kind));
  };
  auto pipeline_index = [&](const std::string& id) {
    for (size_t i = 0; i < w.defs.size(); ++i) {
      if (w.defs[i].id == id) return static_cast<int>(i);
    }
    return -1;
  };
  for (FaultDef& f : FaultCatalog()) {
    if (wanted(f.kind) && pipeline_index(f.pipeline) >= 0) {
      f.id = fmt::format("F{}", w.fault_defs.size() + 1);
      if (random) RandomizeFault(f, w.defs[static_cast<size_t>(pipeline_index(f.pipeline))], w, options.seed);
      w.fault_defs.push_back(std::move(f));
    }
  }
  for (OpsFaultDef& o : OpsFaultCatalog()) {
    if (!wanted(o.kind)) continue;
    if (!o.pipeline.empty() && pipeline_index(o.pipeline) < 0) continue;
    o.id = fmt::format("O{}", w.ops.size() + 1);
    w.ops.push_back(std::move(o));
  }

  w.pipes.resize(w.defs.size());
  for (size_t i = 0; i < w.defs.size(); ++i) {
    const PipelineDef& d = w.defs[i];
    PipelineRt& rt = w.pipes[i];
    rt.def = &d;
    rt.key = Mix(options.seed, HashName(d.id));
    for (size_t v = 0; v < d.vendors.size(); ++v) {
      rt.vendors.push_back(w.VendorIndex(d.vendors[v]));
      rt.shares.push_back(d.vendor_share[v]);
    }
    for (const ClassDef& c : d.classes) {
      rt.class_freq.push_back(c.freq);
      rt.confuse.push_back(c.confuse_with.empty() ? -1 : d.ClassIndex(c.confuse_with));
    }
  }

  w.faults.reserve(w.fault_defs.size());
  for (const FaultDef& f : w.fault_defs) {
    CompiledFault c;
    c.id = f.id;
    c.def = &f;
    c.pipeline = pipeline_index(f.pipeline);
    const PipelineDef& d = w.defs[static_cast<size_t>(c.pipeline)];
    c.type = f.type;
    c.vendor = f.vendor.empty() ? -1 : w.VendorIndex(f.vendor);
    if (!f.annotator.empty()) c.vendor = w.VendorIndex(f.annotator.substr(0, f.annotator.find('-')));
    c.annotator = f.annotator;
    c.cls = f.cls.empty() ? -1 : d.ClassIndex(f.cls);
    c.spec = f.spec_version.empty() ? -1 : (f.spec_version == "3.1" ? 0 : 1);
    for (const auto& [k, v] : f.scene) {
      const int ki = SceneKeyIndex(w.scene_keys, k);
      c.scene.emplace_back(ki, ValueIndex(w.scene_keys[static_cast<size_t>(ki)].values, v));
    }
    c.has_range = f.has_range;
    c.range_lo = f.range_lo;
    c.range_hi = f.range_hi < 0 ? 1e300 : f.range_hi;
    c.rate = f.rate;
    c.to_class = f.to_class.empty() ? -1 : d.ClassIndex(f.to_class);
    for (const ClassDef& cls : d.classes) {
      std::vector<std::pair<int, int>> conds;
      bool ok = true;
      for (const auto& [k, v] : f.attr) {
        const int ai = cls.AttrIndex(k);
        const int vi = ai < 0 ? -1 : ValueIndex(cls.attrs[static_cast<size_t>(ai)].values, v);
        if (vi < 0) ok = false;
        conds.emplace_back(ai, vi);
      }
      c.attr_by_class.push_back(std::move(conds));
      int target_attr = -1, target_value = -1;
      if (f.type == ErrorType::kAttribute) {
        target_attr = cls.AttrIndex(f.attribute);
        target_value = target_attr < 0
                           ? -1
                           : ValueIndex(cls.attrs[static_cast<size_t>(target_attr)].values,
                                        f.to_value);
        if (target_value < 0) ok = false;
      }
      c.target_by_class.emplace_back(target_attr, target_value);
      c.class_ok.push_back(ok);
    }
    if (f.type == ErrorType::kTag) {
      c.tag = SceneKeyIndex(w.tag_keys, f.attribute);
      c.tag_value = ValueIndex(w.tag_keys[static_cast<size_t>(c.tag)].values, f.to_value);
    }
    w.faults.push_back(std::move(c));
  }
  for (const CompiledFault& c : w.faults) {
    w.pipes[static_cast<size_t>(c.pipeline)].faults.push_back(&c);
  }
  w.scenes_per_chunk = std::max(1, 2048 / options.objects_scale);
  return w;
}

}  // namespace gtops::demo
