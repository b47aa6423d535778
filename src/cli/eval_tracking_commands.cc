#include "cli/eval_tracking_commands.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/render.h"
#include "eval/mot_text.h"
#include "eval/nuscenes_json.h"
#include "quality/mot_metrics.h"
#include "quality/nuscenes_metrics.h"

namespace gtops::cli {
namespace {

using nlohmann::ordered_json;

// Undefined rates (NaN) print as "-" and as JSON null.
std::string Rate(double v, int digits = 6) {
  return std::isnan(v) ? std::string("-") : fmt::format("{:.{}f}", v, digits);
}

ordered_json Number(double v) { return std::isnan(v) ? ordered_json(nullptr) : ordered_json(v); }

ordered_json MotJson(const quality::TrackingMetrics& m) {
  const auto& c = m.clear;
  const auto& i = m.identity;
  const auto& h = m.hota;
  ordered_json j;
  j["name"] = m.name;
  j["mota"] = Number(c.mota);
  j["motp"] = Number(c.motp);
  j["idf1"] = Number(i.idf1);
  j["idp"] = Number(i.idp);
  j["idr"] = Number(i.idr);
  j["recall"] = Number(c.recall);
  j["precision"] = Number(c.precision);
  j["num_frames"] = c.num_frames;
  j["num_objects"] = c.num_objects;
  j["num_predictions"] = c.num_predictions;
  j["num_unique_objects"] = c.num_unique_objects;
  j["num_matches"] = c.num_matches;
  j["fp"] = c.num_false_positives;
  j["fn"] = c.num_misses;
  j["idsw"] = c.num_switches;
  j["frag"] = c.num_fragmentations;
  j["mt"] = c.mostly_tracked;
  j["pt"] = c.partially_tracked;
  j["ml"] = c.mostly_lost;
  j["idtp"] = i.idtp;
  j["idfp"] = i.idfp;
  j["idfn"] = i.idfn;
  j["hota"] = h.hota_mean;
  j["det_a"] = h.det_a_mean;
  j["ass_a"] = h.ass_a_mean;
  j["loc_a"] = h.loc_a_mean;
  j["det_re"] = h.det_re_mean;
  j["det_pr"] = h.det_pr_mean;
  j["ass_re"] = h.ass_re_mean;
  j["ass_pr"] = h.ass_pr_mean;
  return j;
}

std::vector<std::string> MotRow(const quality::TrackingMetrics& m) {
  const auto& c = m.clear;
  return {m.name,
          Rate(c.mota),
          Rate(c.motp),
          Rate(m.identity.idf1),
          Rate(m.identity.idp),
          Rate(m.identity.idr),
          std::to_string(c.num_false_positives),
          std::to_string(c.num_misses),
          std::to_string(c.num_switches),
          std::to_string(c.num_fragmentations),
          std::to_string(c.mostly_tracked),
          std::to_string(c.partially_tracked),
          std::to_string(c.mostly_lost),
          Rate(m.hota.hota_mean, 9),
          Rate(m.hota.det_a_mean, 9),
          Rate(m.hota.ass_a_mean, 9),
          Rate(m.hota.loc_a_mean, 6)};
}

}  // namespace

int RunEvalMot(const EvalMotArgs& args) {
  Result<std::vector<quality::TrackingSequence>> seqs =
      eval::ReadMotFolders(args.gt_dir, args.tracker_dir);
  if (!seqs.ok()) return Fail(seqs.status(), args.json);
  std::vector<quality::TrackingMetrics> results;
  results.reserve(seqs->size());
  for (const quality::TrackingSequence& s : *seqs) results.push_back(quality::EvaluateTracking(s));
  const quality::TrackingMetrics combined = quality::CombineTracking(results, "COMBINED");

  if (args.json) {
    ordered_json j;
    j["sequences"] = ordered_json::array();
    for (const auto& r : results) j["sequences"].push_back(MotJson(r));
    j["combined"] = MotJson(combined);
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  Table table({"sequence", "MOTA", "MOTP(1-IoU)", "IDF1", "IDP", "IDR", "FP", "FN", "IDSW", "Frag",
               "MT", "PT", "ML", "HOTA", "DetA", "AssA", "LocA"});
  for (const auto& r : results) table.Add(MotRow(r));
  table.Add(MotRow(combined));
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

int RunEvalNuscenes(const EvalNuscenesArgs& args) {
  Result<std::vector<quality::NuscenesSample>> samples =
      eval::ReadNuscenesDetection(args.gt_path, args.pred_path);
  if (!samples.ok()) return Fail(samples.status(), args.json);
  const quality::NuscenesMetrics m = quality::EvaluateNuscenesDetection(*samples);
  const auto& names = quality::NuscenesClassNames();

  if (args.json) {
    ordered_json j;
    j["mean_ap"] = Number(m.mean_ap);
    j["nd_score"] = Number(m.nd_score);
    j["mate"] = Number(m.mate);
    j["mase"] = Number(m.mase);
    j["maoe"] = Number(m.maoe);
    j["mave"] = Number(m.mave);
    j["maae"] = Number(m.maae);
    j["num_samples"] = samples->size();
    j["num_gt"] = m.num_gt;
    j["num_pred"] = m.num_pred;
    ordered_json classes = ordered_json::object();
    for (std::size_t k = 0; k < names.size(); ++k) {
      const auto& c = m.per_class[k];
      ordered_json cj;
      cj["ap"] = Number(c.mean_ap);
      ordered_json by_dist = ordered_json::object();
      for (std::size_t t = 0; t < c.ap.size(); ++t) {
        by_dist[fmt::format("{}", quality::kNuscenesDistThresholds[t])] = Number(c.ap[t]);
      }
      cj["ap_by_distance"] = by_dist;
      cj["trans_err"] = Number(c.trans_err);
      cj["scale_err"] = Number(c.scale_err);
      cj["orient_err"] = Number(c.orient_err);
      cj["vel_err"] = Number(c.vel_err);
      cj["attr_err"] = Number(c.attr_err);
      classes[std::string(names[k])] = cj;
    }
    j["per_class"] = classes;
    std::puts(j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("samples %zu, ground truth %lld, predictions %lld\n", samples->size(),
              static_cast<long long>(m.num_gt), static_cast<long long>(m.num_pred));
  std::printf("mAP   %s\nmATE  %s\nmASE  %s\nmAOE  %s\nmAVE  %s\nmAAE  %s\nNDS   %s\n\n",
              Rate(m.mean_ap, 12).c_str(), Rate(m.mate, 12).c_str(), Rate(m.mase, 12).c_str(),
              Rate(m.maoe, 12).c_str(), Rate(m.mave, 12).c_str(), Rate(m.maae, 12).c_str(),
              Rate(m.nd_score, 12).c_str());
  Table table({"class", "AP", "AP@0.5", "AP@1", "AP@2", "AP@4", "ATE", "ASE", "AOE", "AVE", "AAE"});
  for (std::size_t k = 0; k < names.size(); ++k) {
    const auto& c = m.per_class[k];
    table.Add({std::string(names[k]), Rate(c.mean_ap, 4), Rate(c.ap[0], 4), Rate(c.ap[1], 4),
               Rate(c.ap[2], 4), Rate(c.ap[3], 4), Rate(c.trans_err, 4), Rate(c.scale_err, 4),
               Rate(c.orient_err, 4), Rate(c.vel_err, 4), Rate(c.attr_err, 4)});
  }
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

}  // namespace gtops::cli
