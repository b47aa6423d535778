#include "cli/agreement_commands.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command_table.h"
#include "config/config.h"
#include "evaluate/agreement_sets.h"
#include "evaluate/annotators.h"
#include "ops/kpis.h"
#include "run/ops_data.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace gtops::cli {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json Number(double v) { return std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr); }

std::string Text(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : "-"; }

struct Breakdowns {
  bool cls = true, attribute = false, vendor = false;
};

Result<Breakdowns> ParseBy(const std::vector<std::string>& by) {
  if (by.empty()) return Breakdowns{};
  Breakdowns b;
  b.cls = false;
  for (const std::string& item : by) {
    std::stringstream ss(item);
    std::string key;
    while (std::getline(ss, key, ',')) {
      if (key == "class") {
        b.cls = true;
      } else if (key == "attribute") {
        b.attribute = true;
      } else if (key == "vendor") {
        b.vendor = true;
      } else {
        return Status::Usage(fmt::format("--by: unknown breakdown \"{}\" (class, attribute, vendor)", key));
      }
    }
  }
  return b;
}

ordered_json GeometryJson(const GeometryAgreement& g) {
  ordered_json j;
  if (!g.cls.empty()) j["class"] = g.cls;
  j["matched"] = g.matched;
  j["unmatched"] = g.unmatched;
  j["f1"] = Number(g.f1);
  j["mean_iou"] = Number(g.mean_iou);
  j["clusters"] = g.clusters;
  j["members"] = g.members;
  j["centre_sd"] = Number(g.centre_sd);
  j["size_sd_rel"] = Number(g.size_sd_rel);
  j["heading_sd_deg"] = Number(g.heading_sd_deg);
  return j;
}

ordered_json MatrixJson(const PipelineAgreement& p) {
  const size_t n = p.annotators.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i) index[p.annotators[i]] = i;
  std::vector<std::vector<ordered_json>> kappa(n, std::vector<ordered_json>(n, nullptr));
  std::vector<std::vector<ordered_json>> f1(n, std::vector<ordered_json>(n, nullptr));
  ordered_json pairs = ordered_json::array();
  for (const AgreementCell& c : p.matrix) {
    const size_t a = index[c.a], b = index[c.b];
    kappa[a][b] = kappa[b][a] = Number(c.kappa);
    f1[a][b] = f1[b][a] = Number(c.f1);
    pairs.push_back(ordered_json{{"a", c.a}, {"b", c.b}, {"frames", c.frames}, {"kappa", Number(c.kappa)},
                                 {"kappa_units", c.kappa_units}, {"matched", c.matched},
                                 {"unmatched", c.unmatched}, {"f1", Number(c.f1)}});
  }
  return ordered_json{{"annotators", p.annotators}, {"kappa", kappa}, {"f1", f1}, {"pairs", pairs}};
}

ordered_json AnnotatorJson(const AnnotatorAgreement& a) {
  return ordered_json{{"annotator", a.annotator},     {"vendor", a.vendor},
                      {"overlap_frames", a.overlap_frames}, {"partners", a.partners},
                      {"kappa_units", a.kappa_units}, {"mean_kappa", Number(a.mean_kappa)},
                      {"matched", a.matched},         {"unmatched", a.unmatched},
                      {"f1", Number(a.f1)},           {"answers", a.answers},
                      {"ds_accuracy", Number(a.ds_accuracy)}, {"ds_lo", Number(a.ds_lo)},
                      {"ds_hi", Number(a.ds_hi)}};
}

ordered_json ToJson(const PipelineAgreement& p, const Breakdowns& by) {
  ordered_json pairwise = ordered_json::array();
  for (const AgreementPair& q : p.pairwise) {
    pairwise.push_back(ordered_json{{"a", q.a}, {"b", q.b}, {"kappa", Number(q.kappa)}, {"units", q.units}});
  }
  ordered_json by_class = ordered_json::array();
  for (const AgreementClass& c : p.by_class) {
    by_class.push_back(ordered_json{
        {"class", c.cls}, {"units", c.units}, {"observed", Number(c.observed)}, {"alpha", Number(c.alpha)}});
  }
  ordered_json j{{"pipeline", p.pipeline},
                 {"unit", p.tags ? "tag" : "object"},
                 {"overlap_frames", p.overlap_frames},
                 {"units", p.units},
                 {"alpha", Number(p.alpha)},
                 {"fleiss_kappa", p.fleiss_kappa ? Number(*p.fleiss_kappa) : ordered_json(nullptr)},
                 {"annotators", p.annotators},
                 {"pairwise", pairwise},
                 {"by_class", by_class}};
  if (p.tags) {
    ordered_json by_tag = ordered_json::array();
    for (const AgreementTag& t : p.by_tag) {
      by_tag.push_back(ordered_json{{"tag", t.tag}, {"units", t.units}, {"alpha", Number(t.alpha)}});
    }
    j["by_tag"] = by_tag;
  }
  j["geometry"] = p.geometry;
  if (!p.tags) {
    j["geometric"] = GeometryJson(p.geometric);
    if (by.cls) {
      ordered_json g = ordered_json::array();
      for (const GeometryAgreement& c : p.geometric_by_class) g.push_back(GeometryJson(c));
      j["geometric_by_class"] = g;
    }
  }
  if (by.attribute) {
    ordered_json a = ordered_json::array();
    for (const AgreementAttribute& x : p.by_attribute) {
      a.push_back(ordered_json{
          {"attribute", x.attribute}, {"units", x.units}, {"values", x.values}, {"alpha", Number(x.alpha)}});
    }
    j["by_attribute"] = a;
  }
  if (by.vendor) {
    ordered_json v = ordered_json::array();
    for (const VendorAgreement& x : p.by_vendor) {
      v.push_back(ordered_json{{"vendor", x.vendor},
                               {"overlap_frames", x.overlap_frames},
                               {"units", x.units},
                               {"annotators", x.annotators},
                               {"alpha", Number(x.alpha)},
                               {"matched", x.matched},
                               {"unmatched", x.unmatched},
                               {"f1", Number(x.f1)}});
    }
    j["by_vendor"] = v;
  }
  j["matrix"] = MatrixJson(p);
  ordered_json ann = ordered_json::array();
  for (const AnnotatorAgreement& a : p.by_annotator) ann.push_back(AnnotatorJson(a));
  j["by_annotator"] = ann;
  return j;
}

// Two digits without the leading zero (".93", "1.0", " -"), for the compact matrix.
std::string Cell(double v) {
  if (!std::isfinite(v)) return "  -";
  if (v >= 0.995) return "1.0";
  if (v < 0) return v > -0.995 ? fmt::format("-{:02d}", static_cast<int>(std::lround(-v * 100))) : "-1.";
  return fmt::format(".{:02d}", static_cast<int>(std::lround(v * 100)));
}

void PrintMatrix(const PipelineAgreement& p) {
  const size_t n = p.annotators.size();
  std::map<std::pair<size_t, size_t>, const AgreementCell*> cells;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i) index[p.annotators[i]] = i;
  for (const AgreementCell& c : p.matrix) cells[{index[c.a], index[c.b]}] = &c;
  std::printf("  annotator matrix (above the diagonal Cohen's kappa, below matched F1; - no shared frame):\n");
  std::string head = fmt::format("  {:>3} {:<16}", "", "");
  for (size_t b = 0; b < n; ++b) head += fmt::format(" {:>3}", b + 1);
  std::printf("%s\n", head.c_str());
  for (size_t a = 0; a < n; ++a) {
    std::string line = fmt::format("  {:>3} {:<16}", a + 1, p.annotators[a]);
    for (size_t b = 0; b < n; ++b) {
      if (a == b) {
        line += "   \\";
        continue;
      }
      auto it = cells.find({std::min(a, b), std::max(a, b)});
      const double v = it == cells.end() ? std::nan("") : (a < b ? it->second->kappa : it->second->f1);
      line.append(" ").append(Cell(v));  // not " " + ...: GCC 12's false -Wrestrict
    }
    std::printf("%s\n", line.c_str());
  }
}

std::string GeometryText(const GeometryAgreement& g, bool box3d, bool box2d) {
  std::string s = fmt::format("F1 {} ({} matched, {} unmatched), mean IoU {}", Text(g.f1), g.matched, g.unmatched,
                              Text(g.mean_iou));
  if (box3d) {
    s += fmt::format(", sd centre {} m size {} heading {}° ({} clusters)", Text(g.centre_sd), Text(g.size_sd_rel),
                     Text(g.heading_sd_deg), g.clusters);
  } else if (box2d) {
    s += fmt::format(", sd centre {} px size {} ({} clusters)", Text(g.centre_sd), Text(g.size_sd_rel), g.clusters);
  }
  return s;
}

void PrintText(const PipelineAgreement& p, const Breakdowns& by) {
  std::printf("%s: %lld overlap frames, %lld %s units, %zu annotators; alpha %s, Fleiss' kappa %s\n",
              p.pipeline.c_str(), static_cast<long long>(p.overlap_frames), static_cast<long long>(p.units),
              p.tags ? "tag" : "object", p.annotators.size(), Text(p.alpha).c_str(),
              p.fleiss_kappa ? Text(*p.fleiss_kappa).c_str() : "- (units have different numbers of annotators)");
  if (!p.by_tag.empty()) {
    std::string line;
    for (const AgreementTag& t : p.by_tag) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", t.tag, Text(t.alpha));
    std::printf("  alpha by tag: %s\n", line.c_str());
  }
  if (!p.by_class.empty()) {
    std::string line;
    for (const AgreementClass& c : p.by_class) {
      line += fmt::format("{}{} {} ({})", line.empty() ? "" : ", ", c.cls, Text(c.observed), c.units);
    }
    std::printf("  observed agreement by %s (units): %s\n", p.tags ? "value" : "class", line.c_str());
  }
  if (!p.pairwise.empty()) {
    const AgreementPair* lo = &p.pairwise.front();
    const AgreementPair* hi = lo;
    for (const AgreementPair& q : p.pairwise) {
      if (std::isfinite(q.kappa) && (!std::isfinite(lo->kappa) || q.kappa < lo->kappa)) lo = &q;
      if (std::isfinite(q.kappa) && (!std::isfinite(hi->kappa) || q.kappa > hi->kappa)) hi = &q;
    }
    std::printf("  Cohen's kappa of %zu annotator pairs: lowest %s (%s, %s; %lld units), highest %s (%s, %s)\n",
                p.pairwise.size(), Text(lo->kappa).c_str(), lo->a.c_str(), lo->b.c_str(),
                static_cast<long long>(lo->units), Text(hi->kappa).c_str(), hi->a.c_str(), hi->b.c_str());
  }
  const bool box3d = p.geometry == "box3d", box2d = p.geometry == "box2d";
  if (!p.tags) {
    std::printf("  geometric: %s\n", GeometryText(p.geometric, box3d, box2d).c_str());
    if (by.cls) {
      for (const GeometryAgreement& g : p.geometric_by_class) {
        std::printf("    %-14s %s\n", g.cls.c_str(), GeometryText(g, box3d, box2d).c_str());
      }
    }
  }
  if (by.cls && !p.by_class.empty()) {
    std::string line;
    for (const AgreementClass& c : p.by_class) line += fmt::format("{}{} {}", line.empty() ? "" : ", ", c.cls, Text(c.alpha));
    std::printf("  one-vs-rest alpha by %s: %s\n", p.tags ? "value" : "class", line.c_str());
  }
  if (by.attribute) {
    std::string line;
    for (const AgreementAttribute& a : p.by_attribute) {
      line += fmt::format("{}{} {} ({})", line.empty() ? "" : ", ", a.attribute, Text(a.alpha), a.units);
    }
    std::printf("  alpha by attribute (units): %s\n", line.empty() ? "none" : line.c_str());
  }
  if (by.vendor) {
    for (const VendorAgreement& v : p.by_vendor) {
      std::printf("  vendor %s: %lld overlap frames, %lld annotators, alpha %s, matched F1 %s\n", v.vendor.c_str(),
                  static_cast<long long>(v.overlap_frames), static_cast<long long>(v.annotators), Text(v.alpha).c_str(),
                  Text(v.f1).c_str());
    }
  }
  if (!p.matrix.empty()) PrintMatrix(p);
}

// The program's configuration and its store opened read-only; a missing store is an error.
Status OpenProgram(const CommonArgs& common, std::optional<ProgramConfig>& config, std::unique_ptr<Store>& store) {
  auto c = LoadConfig(common.program);
  if (!c.ok()) return c.status();
  config = std::move(*c);
  auto s = OpenExistingStore(common, true);
  if (!s.ok()) return s.status();
  store = std::move(*s);
  return Status::Ok();
}

}  // namespace

int RunAgreement(const AgreementArgs& args) {
  const bool json = args.common.json;
  std::optional<ProgramConfig> config;
  std::unique_ptr<Store> store;
  if (Status st = OpenProgram(args.common, config, store); !st.ok()) return Fail(st, json);
  auto by = ParseBy(args.by);
  if (!by.ok()) return Fail(by.status(), json);
  AgreementOptions options;
  options.pipeline = args.pipeline;
  auto result = ComputeAgreement(*store, *config, options);
  if (!result.ok()) return Fail(result.status(), json);

  if (json) {
    if (!args.pipeline.empty()) {
      std::puts(ToJson(result->front(), *by).dump(2).c_str());
    } else {
      ordered_json all = ordered_json::array();
      for (const PipelineAgreement& p : *result) all.push_back(ToJson(p, *by));
      std::puts(all.dump(2).c_str());
    }
    return kExitOk;
  }
  if (result->empty()) std::printf("no pipeline has overlap sets (frames labeled by two or more annotators)\n");
  for (const PipelineAgreement& p : *result) PrintText(p, *by);
  return kExitOk;
}

namespace {

ordered_json RateJson(const RateInterval& r) {
  return ordered_json{{"value", Number(r.value)}, {"lo", Number(r.lo)}, {"hi", Number(r.hi)},
                      {"successes", r.successes}, {"n", r.n}};
}

ordered_json ReliabilityJson(const PipelineReliability& p) {
  ordered_json rows = ordered_json::array();
  for (const ReliabilityRow& r : p.rows) {
    ordered_json j{{"annotator", r.annotator}, {"vendor", r.vendor}, {"flagged", !r.flags.empty()}};
    ordered_json flags = ordered_json::array();
    for (const ReliabilityFlag& f : r.flags) {
      flags.push_back(ordered_json{{"source", f.source}, {"metric", f.metric}, {"value", Number(f.value)},
                                   {"lo", Number(f.lo)}, {"hi", Number(f.hi)}, {"target", f.target}});
    }
    j["flags"] = flags;
    j["shortfall"] = r.shortfall;
    if (r.honeypots) {
      const AnnotatorHoneypots& h = *r.honeypots;
      ordered_json metrics = ordered_json::object();
      for (const HoneypotMetric& m : h.metrics) metrics[m.metric] = RateJson(m.rate);
      j["honeypots"] = ordered_json{{"frames", h.frames},   {"tasks", h.tasks},
                                    {"reference_objects", h.reference_objects}, {"labels", h.labels},
                                    {"correct", h.correct}, {"accuracy", RateJson(h.accuracy)},
                                    {"metrics", metrics}};
    } else {
      j["honeypots"] = nullptr;
    }
    j["overlap"] = r.overlap ? AnnotatorJson(*r.overlap) : ordered_json(nullptr);
    if (r.overlap) {
      j["overlap"].erase("annotator");
      j["overlap"].erase("vendor");
    }
    j["audits"] = RateJson(r.audits);
    rows.push_back(j);
  }
  return ordered_json{{"pipeline", p.pipeline}, {"annotators", rows}};
}

std::string RateText(const RateInterval& r) {
  if (r.n == 0) return "-";
  return fmt::format("{} [{}, {}] n={}", Text(r.value), Text(r.lo), Text(r.hi), r.n);
}

void PrintReliability(const PipelineReliability& p) {
  size_t flagged = 0;
  for (const ReliabilityRow& r : p.rows) flagged += r.flags.empty() ? 0 : 1;
  std::printf("%s: %zu annotators, %zu flagged\n", p.pipeline.c_str(), p.rows.size(), flagged);
  for (const ReliabilityRow& r : p.rows) {
    std::printf("  %s %s (%s)\n", r.flags.empty() ? " " : "!", r.annotator.c_str(), r.vendor.c_str());
    if (r.honeypots) {
      std::string metrics;
      for (const HoneypotMetric& m : r.honeypots->metrics) {
        metrics += fmt::format("{}{} {}", metrics.empty() ? "" : ", ", m.metric, Text(m.rate.value));
      }
      std::printf("      honeypots: %lld frames, %lld gold objects, accuracy %s; %s\n",
                  static_cast<long long>(r.honeypots->frames), static_cast<long long>(r.honeypots->reference_objects),
                  RateText(r.honeypots->accuracy).c_str(), metrics.c_str());
    }
    if (r.overlap) {
      const AnnotatorAgreement& o = *r.overlap;
      std::printf("      overlap: %lld frames, mean kappa %s (%lld partners, %lld units), matched F1 %s, "
                  "Dawid-Skene accuracy %s [%s, %s] (%lld answers)\n",
                  static_cast<long long>(o.overlap_frames), Text(o.mean_kappa).c_str(),
                  static_cast<long long>(o.partners), static_cast<long long>(o.kappa_units), Text(o.f1).c_str(),
                  Text(o.ds_accuracy).c_str(), Text(o.ds_lo).c_str(), Text(o.ds_hi).c_str(),
                  static_cast<long long>(o.answers));
    }
    if (r.audits.n > 0) std::printf("      audits: pass rate %s\n", RateText(r.audits).c_str());
    for (const ReliabilityFlag& f : r.flags) {
      std::printf("      below target: %s %s %s [%s, %s] < %s\n", f.source.c_str(), f.metric.c_str(),
                  Text(f.value).c_str(), Text(f.lo).c_str(), Text(f.hi).c_str(), Text(f.target).c_str());
    }
  }
}

}  // namespace

int RunAnnotators(const AnnotatorsArgs& args) {
  const bool json = args.common.json;
  std::optional<ProgramConfig> config;
  std::unique_ptr<Store> store;
  if (Status st = OpenProgram(args.common, config, store); !st.ok()) return Fail(st, json);
  if (!args.pipeline.empty() && config->FindPipeline(args.pipeline) == nullptr) {
    return Fail(Status::NotFound(fmt::format("pipeline \"{}\" is not in gtops.toml", args.pipeline)), json);
  }
  if (!args.vendor.empty() && config->FindVendor(args.vendor) == nullptr) {
    return Fail(Status::NotFound(fmt::format("vendor \"{}\" is not in gtops.toml", args.vendor)), json);
  }
  auto task_audits = LoadAudits(*store);
  if (!task_audits.ok()) return Fail(task_audits.status(), json);

  std::vector<PipelineReliability> tables;
  for (const PipelineSpec& spec : config->pipelines) {
    if (!args.pipeline.empty() && spec.id != args.pipeline) continue;
    auto honeypots = ComputeHoneypots(*store, spec);
    if (!honeypots.ok()) return Fail(honeypots.status(), json);
    auto overlap = ComputePipelineAgreement(*store, *config, spec.id);
    if (!overlap.ok()) return Fail(overlap.status(), json);
    std::map<std::pair<std::string, std::string>, AnnotatorAudits> audits;
    for (const ops::TaskAudit& t : *task_audits) {
      if (t.pipeline != spec.id) continue;
      AnnotatorAudits& a = audits[{t.annotator, t.vendor}];
      a.annotator = t.annotator, a.vendor = t.vendor;
      ++a.tasks;
      a.passed += t.pass ? 1 : 0;
    }
    std::vector<AnnotatorAudits> audit_rows;
    for (auto& [key, a] : audits) audit_rows.push_back(a);
    PipelineReliability table = CombineReliability(spec, *honeypots, overlap->by_annotator, audit_rows, args.vendor);
    if (!table.rows.empty() || !args.pipeline.empty()) tables.push_back(std::move(table));
  }

  if (json) {
    if (!args.pipeline.empty()) {
      std::puts(ReliabilityJson(tables.front()).dump(2).c_str());
    } else {
      ordered_json all = ordered_json::array();
      for (const PipelineReliability& t : tables) all.push_back(ReliabilityJson(t));
      std::puts(all.dump(2).c_str());
    }
    return kExitOk;
  }
  if (tables.empty()) std::printf("no annotator has honeypots, overlap sets or audits\n");
  for (const PipelineReliability& t : tables) PrintReliability(t);
  return kExitOk;
}

void AddAgreementCommands(CLI::App& app, CommandTable& table) {
  auto agreement = std::make_shared<AgreementArgs>();
  auto* agreement_cmd = app.add_subcommand(
      "agreement", "Agreement of the annotators of overlap sets: categorical, geometric, annotator matrix");
  AddCommonOptions(agreement_cmd, agreement->common);
  agreement_cmd->add_option("--pipeline", agreement->pipeline, "Only this pipeline (default: every one with overlap sets)");
  agreement_cmd->add_option("--by", agreement->by,
                            "Breakdowns: class, attribute, vendor (comma-separated; default class)");
  table.Add(agreement_cmd, [agreement] { return RunAgreement(*agreement); });

  auto annotators = std::make_shared<AnnotatorsArgs>();
  auto* annotators_cmd = app.add_subcommand(
      "annotators", "Annotator reliability per pipeline: honeypots, overlap agreement and audits, flagged first");
  AddCommonOptions(annotators_cmd, annotators->common);
  annotators_cmd->add_option("--pipeline", annotators->pipeline, "Only this pipeline (default: every one)");
  annotators_cmd->add_option("--vendor", annotators->vendor, "Only this vendor's annotators");
  table.Add(annotators_cmd, [annotators] { return RunAnnotators(*annotators); });
}

}  // namespace gtops::cli
