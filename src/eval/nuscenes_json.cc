#include "eval/nuscenes_json.h"

#include <cmath>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <simdjson.h>

namespace gtops::eval {
namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

bool ToDouble(element e, double& out) {
  switch (e.type()) {
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      out = e.get_double().value_unsafe();
      return true;
    default:
      return false;
  }
}

// Reads a fixed-length array of numbers; `allow_null` maps null to NaN (unknown velocity).
template <std::size_t N>
bool ToNumbers(element e, std::array<double, N>& out, bool allow_null) {
  array a;
  if (e.get_array().get(a)) return false;
  std::size_t i = 0;
  for (element x : a) {
    if (i == N) return false;
    if (allow_null && x.is_null()) {
      out[i++] = std::nan("");
      continue;
    }
    if (!ToDouble(x, out[i]) || !std::isfinite(out[i])) return false;
    ++i;
  }
  return i == N;
}

Result<NuscenesResults> ParsePadded(const simdjson::padded_string& padded,
                                    std::string_view file_name) {
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(padded).get(root)) {
    return Status::BadInput(fmt::format("{}: not valid JSON ({})", file_name, simdjson::error_message(err)));
  }
  object results;
  if (root["results"].get_object().get(results)) {
    return Status::BadInput(fmt::format("{}: expected an object with a \"results\" object", file_name));
  }
  NuscenesResults out;
  for (auto [token_key, value] : results) {
    const std::string_view token = token_key;
    array boxes;
    if (value.get_array().get(boxes)) {
      return Status::BadInput(fmt::format("{}: results[\"{}\"]: expected an array of boxes", file_name, token));
    }
    out.tokens.emplace_back(token);
    std::vector<NuscenesBox>& list = out.boxes.emplace_back();
    std::size_t index = 0;
    for (element item : boxes) {
      auto bad = [&](std::string_view what) {
        return Status::BadInput(fmt::format("{}: results[\"{}\"][{}]: {}", file_name, token, index, what));
      };
      object box;
      if (item.get_object().get(box)) return bad("expected an object");
      NuscenesBox b;
      bool has[5] = {false, false, false, false, false};
      for (auto [key, v] : box) {
        if (key == "translation") {
          if (!ToNumbers(v, b.translation, false)) return bad("translation: expected 3 finite numbers");
          has[0] = true;
        } else if (key == "size") {
          if (!ToNumbers(v, b.size, false)) return bad("size: expected 3 finite numbers (w, l, h)");
          for (double s : b.size) {
            if (s < 0) return bad(fmt::format("size: must be >= 0 (got {})", s));
          }
          has[1] = true;
        } else if (key == "rotation") {
          if (!ToNumbers(v, b.rotation, false)) {
            return bad("rotation: expected a quaternion of 4 finite numbers (w, x, y, z)");
          }
          has[2] = true;
        } else if (key == "velocity") {
          if (!ToNumbers(v, b.velocity, true)) return bad("velocity: expected 2 numbers (vx, vy) or null");
          has[3] = true;
        } else if (key == "detection_name") {
          std::string_view name;
          if (v.get_string().get(name)) return bad("detection_name: expected a string");
          const std::optional<int> cls = quality::NuscenesClassIndex(name);
          if (!cls) return bad(fmt::format("detection_name: \"{}\" is not a nuScenes detection class", name));
          b.detection_class = *cls;
          has[4] = true;
        } else if (key == "detection_score") {
          if (!ToDouble(v, b.score) || !std::isfinite(b.score)) {
            return bad("detection_score: expected a finite number");
          }
        } else if (key == "attribute_name") {
          std::string_view name;
          if (v.get_string().get(name)) return bad("attribute_name: expected a string");
          if (name.empty()) {
            b.attribute = -1;
          } else {
            const std::optional<int> attr = quality::NuscenesAttributeIndex(name);
            if (!attr) return bad(fmt::format("attribute_name: \"{}\" is not a nuScenes attribute", name));
            b.attribute = *attr;
          }
        } else if (key == "sample_token") {
          std::string_view own;
          if (v.get_string().get(own) || own != token) {
            return bad("sample_token: differs from the sample it is listed under");
          }
        }
      }
      static constexpr const char* kRequired[] = {"translation", "size", "rotation", "velocity",
                                                  "detection_name"};
      for (int k = 0; k < 5; ++k) {
        if (!has[k]) return bad(fmt::format("missing \"{}\"", kRequired[k]));
      }
      list.push_back(b);
      ++index;
    }
  }
  return out;
}

}  // namespace

Result<NuscenesResults> ParseNuscenesResults(std::string_view json, std::string_view file_name) {
  return ParsePadded(simdjson::padded_string(json), file_name);
}

Result<std::vector<NuscenesSample>> PairNuscenesSamples(NuscenesResults gt, NuscenesResults pred) {
  std::unordered_map<std::string_view, std::size_t> pred_index;
  pred_index.reserve(pred.tokens.size());
  std::vector<NuscenesSample> samples(pred.tokens.size());
  for (std::size_t i = 0; i < pred.tokens.size(); ++i) {
    if (!pred_index.emplace(pred.tokens[i], i).second) {
      return Status::BadInput(fmt::format("predictions: sample \"{}\" listed twice", pred.tokens[i]));
    }
    samples[i].token = pred.tokens[i];
    samples[i].pred = std::move(pred.boxes[i]);
  }
  std::vector<unsigned char> seen(samples.size(), 0);
  for (std::size_t i = 0; i < gt.tokens.size(); ++i) {
    const auto it = pred_index.find(gt.tokens[i]);
    if (it == pred_index.end()) {
      return Status::BadInput(fmt::format(
          "ground-truth sample \"{}\" has no entry in the predictions (the two must list the same "
          "samples; an empty list means no detections)",
          gt.tokens[i]));
    }
    if (seen[it->second]) {
      return Status::BadInput(fmt::format("ground truth: sample \"{}\" listed twice", gt.tokens[i]));
    }
    seen[it->second] = 1;
    samples[it->second].gt = std::move(gt.boxes[i]);
  }
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (!seen[i]) {
      return Status::BadInput(fmt::format(
          "predicted sample \"{}\" is not in the ground truth (the two must list the same samples)",
          samples[i].token));
    }
  }
  return samples;
}

Result<std::vector<NuscenesSample>> ReadNuscenesDetection(const std::string& gt_path,
                                                          const std::string& pred_path) {
  auto load = [](const std::string& path) -> Result<NuscenesResults> {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(path).get(text)) {
      return Status::NotFound(fmt::format("{}: cannot read the file", path));
    }
    return ParsePadded(text, path);
  };
  // The two files are independent: parse the ground truth on a second thread.
  std::optional<Result<NuscenesResults>> gt;
  std::thread worker([&] { gt.emplace(load(gt_path)); });
  Result<NuscenesResults> pred = load(pred_path);
  worker.join();
  if (!gt->ok()) return gt->status();
  if (!pred.ok()) return pred.status();
  return PairNuscenesSamples(std::move(*gt).value(), std::move(pred).value());
}

}  // namespace gtops::eval
