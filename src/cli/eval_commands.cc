#include "cli/eval_commands.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/coco_json.h"
#include "quality/coco_eval.h"

namespace gtops::cli {

int RunEvalCoco(const EvalCocoArgs& args) {
  quality::CocoIouType type;
  if (args.iou_type == "bbox") {
    type = quality::CocoIouType::kBbox;
  } else if (args.iou_type == "segm") {
    type = quality::CocoIouType::kSegm;
  } else {
    return Fail(Status::Usage("--iou-type must be bbox or segm (got \"" + args.iou_type + "\")"), args.json);
  }
  eval::CocoJsonReader reader;
  Result<eval::CocoGroundTruthFile> gt = reader.ReadGroundTruth(args.ground_truth, type);
  if (!gt.ok()) return Fail(gt.status(), args.json);
  Result<std::vector<quality::CocoDetection>> dts = reader.ReadResults(args.results, *gt, type);
  if (!dts.ok()) return Fail(dts.status(), args.json);
  quality::CocoEvalOptions options;
  options.iou_type = type;
  options.threads = args.threads;
  Result<quality::CocoEvalResult> res = quality::EvaluateCoco(gt->set, *dts, options);
  if (!res.ok()) return Fail(res.status(), args.json);

  if (!args.json) {
    std::fputs(quality::FormatCocoSummary(*res).c_str(), stdout);
    return kExitOk;
  }
  nlohmann::ordered_json j;
  j["iou_type"] = quality::CocoIouTypeName(type);
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  for (size_t i = 0; i < res->stats.size(); ++i) stats[quality::kCocoStatNames[i]] = res->stats[i];
  j["stats"] = std::move(stats);
  nlohmann::ordered_json cats = nlohmann::ordered_json::array();
  for (const quality::CocoCategoryResult& c : res->per_category) {
    cats.push_back({{"category_id", c.category_id},
                    {"name", c.name},
                    {"num_gt", c.num_gt},
                    {"num_detections", c.num_detections},
                    {"AP", c.ap},
                    {"AP50", c.ap50},
                    {"AP75", c.ap75},
                    {"AR100", c.ar100}});
  }
  j["per_category"] = std::move(cats);
  std::puts(j.dump(2).c_str());
  return kExitOk;
}

}  // namespace gtops::cli
