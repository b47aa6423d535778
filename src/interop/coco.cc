#include "interop/coco.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "geometry/rle.h"
#include "geometry/rle_poly.h"
#include "interop/json_values.h"

namespace gtops::interop {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

bool Num(element e, double& v) { return JsonNumber(e, v); }
bool Int(element e, int64_t& v) { return JsonInt(e, v); }

std::string Minify(element e) { return simdjson::minify(e); }

struct Image {
  uint32_t h = 0, w = 0;
  size_t record = 0;
};

}  // namespace

Result<CocoCategories> ParseCocoCategories(std::string_view json, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return Status::BadInput(fmt::format("{}: not JSON: {}", name, simdjson::error_message(err)));
  }
  CocoCategories cats;
  array list;
  if (doc.type() != element_type::OBJECT || object(doc)["categories"].get(list)) {
    return Status::BadInput(fmt::format("{}: no \"categories\" array", name));
  }
  size_t i = 0;
  for (element c : list) {
    int64_t id = 0;
    std::string_view nm;
    if (c.type() != element_type::OBJECT || !Int(object(c)["id"].value_unsafe(), id) ||
        object(c)["name"].get(nm)) {
      return Status::BadInput(fmt::format("{}: categories[{}]: needs an integer id and a name", name, i));
    }
    cats[id] = std::string(nm);
    ++i;
  }
  return cats;
}

Status ConvertCoco(std::string_view json, const CocoCategories* categories, const ConvertContext& ctx,
                   ConvertOutput& out) {
  const GeometryKind geom = ctx.pipe.geometry;
  if (geom != GeometryKind::kBox2d && geom != GeometryKind::kPolygon && geom != GeometryKind::kMask) {
    return Status::BadInput(fmt::format("COCO holds boxes, polygons and masks: pipeline \"{}\" has geometry {}",
                                        ctx.pipe.id, Name(geom)));
  }
  // Kept per thread: its buffers (sized to the largest document read) are reused, not allocated
  // and page-faulted again for every file.
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  element doc;
  if (auto err = parser.parse(padded).get(doc)) {
    return Status::BadInput(fmt::format("not JSON: {}", simdjson::error_message(err)));
  }
  const bool results = doc.type() == element_type::ARRAY;
  if (!results && doc.type() != element_type::OBJECT) {
    return Status::BadInput("neither a COCO instances object nor a results array");
  }
  CocoCategories own;
  if (!results) {
    array cats;
    if (!object(doc)["categories"].get(cats)) {
      for (element c : cats) {
        int64_t id = 0;
        std::string_view nm;
        element ide;
        if (c.type() == element_type::OBJECT && !object(c)["id"].get(ide) && Int(ide, id) &&
            !object(c)["name"].get(nm)) {
          own[id] = std::string(nm);
        }
      }
    }
    categories = &own;
  }
  std::unordered_map<int64_t, Image> images;
  auto record_of = [&](int64_t image_id, int64_t position) -> Image& {
    auto [it, inserted] = images.emplace(image_id, Image{});
    if (inserted) {
      ConvertedRecord r;
      std::string frame;
      AppendInt(image_id, frame);
      r.labels = ctx.NewRecord("coco:" + frame, frame);
      r.position = position;
      r.where_from_position = true;
      r.where_list = results ? "" : "annotations";
      it->second.record = out.records.size();
      out.records.push_back(std::move(r));
    }
    return it->second;
  };
  array anns;
  if (results) {
    anns = array(doc);
  } else {
    array imgs;
    if (object(doc)["images"].get(imgs)) return Status::BadInput("no \"images\" array");
    int64_t i = 0;
    for (element im : imgs) {
      ++i;
      int64_t id = 0, h = 0, w = 0;
      element e;
      if (im.type() != element_type::OBJECT || object(im)["id"].get(e) || !Int(e, id)) {
        out.issues.push_back(ConvertIssue{i, fmt::format("images[{}]: needs an integer id", i - 1), Minify(im)});
        continue;
      }
      Image& img = record_of(id, i);
      if (!object(im)["height"].get(e) && Int(e, h) && h > 0 && h < (int64_t{1} << 31)) img.h = static_cast<uint32_t>(h);
      if (!object(im)["width"].get(e) && Int(e, w) && w > 0 && w < (int64_t{1} << 31)) img.w = static_cast<uint32_t>(w);
    }
    if (object(doc)["annotations"].get(anns)) return Status::BadInput("no \"annotations\" array");
  }
  const bool gold = ctx.options.source == Source::kGold;
  const char* list_name = results ? "" : "annotations";
  int64_t index = -1;
  std::vector<std::vector<double>> polys;
  std::string category_text;
  char num[24];
  char where_buf[48];  // "annotations[<index>]"
  const size_t list_len = std::strlen(list_name);
  std::memcpy(where_buf, list_name, list_len);
  where_buf[list_len] = '[';
  int64_t last_image = 0;  // annotations come grouped by image: the last one's entry first
  Image* last_img = nullptr;
  for (element a : anns) {
    ++index;
    const int64_t pos = index + 1;
    char* const where_end = std::to_chars(where_buf + list_len + 1, where_buf + sizeof where_buf - 1, index).ptr;
    *where_end = ']';
    const std::string_view where(where_buf, static_cast<size_t>(where_end + 1 - where_buf));
    auto issue = [&](std::string why) {
      out.issues.push_back(ConvertIssue{pos, fmt::format("{}: {}", where, why), Minify(a)});
    };
    if (a.type() != element_type::OBJECT) {
      issue("not an object");
      continue;
    }
    // The fields read, in one pass; the first of a repeated key counts (as object::operator[]).
    struct Field {
      element e;
      bool found = false;
      void Take(element x) {
        if (!found) e = x;
        found = true;
      }
    };
    Field f_image, f_category, f_crowd, f_bbox, f_seg, f_id, f_score;
    for (const simdjson::dom::key_value_pair kv : object(a)) {
      const std::string_view k = kv.key;
      // Compared with memcmp of a known length (inlined), the length switched on first.
      switch (k.size()) {
        case 2: if (std::memcmp(k.data(), "id", 2) == 0) f_id.Take(kv.value); break;
        case 4: if (std::memcmp(k.data(), "bbox", 4) == 0) f_bbox.Take(kv.value); break;
        case 5: if (std::memcmp(k.data(), "score", 5) == 0) f_score.Take(kv.value); break;
        case 7: if (std::memcmp(k.data(), "iscrowd", 7) == 0) f_crowd.Take(kv.value); break;
        case 8: if (std::memcmp(k.data(), "image_id", 8) == 0) f_image.Take(kv.value); break;
        case 11: if (std::memcmp(k.data(), "category_id", 11) == 0) f_category.Take(kv.value); break;
        case 12: if (std::memcmp(k.data(), "segmentation", 12) == 0) f_seg.Take(kv.value); break;
        default: break;
      }
    }
    element e;
    int64_t image_id = 0, category_id = 0;
    if (!f_image.found || !Int(f_image.e, image_id)) {
      issue("needs an integer image_id");
      continue;
    }
    if (!f_category.found || !Int(f_category.e, category_id)) {
      issue("needs an integer category_id");
      continue;
    }
    if (!results && (last_img == nullptr || image_id != last_image) && images.count(image_id) == 0) {
      issue(fmt::format("image_id {} is not in images", image_id));
      continue;
    }
    int64_t crowd = 0;
    if (f_crowd.found) Int(f_crowd.e, crowd);
    double bbox[4] = {0, 0, 0, 0};
    bool have_bbox = false;
    if (f_bbox.found && (e = f_bbox.e).type() == element_type::ARRAY && array(e).size() == 4) {
      have_bbox = true;
      size_t k = 0;
      for (element x : array(e)) have_bbox = Num(x, bbox[k++]) && have_bbox;
    }
    const element seg = f_seg.e;
    const bool have_seg = f_seg.found;
    if (last_img == nullptr || image_id != last_image) {
      last_img = &record_of(image_id, pos);  // unordered_map entries stay put
      last_image = image_id;
    }
    Image& img = *last_img;
    ConvertedRecord& rec = out.records[img.record];
    if (crowd == 1) {
      if (!gold) {
        out.Skip("crowd region (iscrowd=1): ignore regions are only for gold records");
        continue;
      }
      if (!have_bbox) {
        issue("crowd region without a bbox");
        continue;
      }
      std::string& ig = rec.labels.ignore_json;
      ig += ig.empty() ? "[" : ",";
      const double x = bbox[0], y = bbox[1], w = bbox[2], h = bbox[3];
      if (geom == GeometryKind::kBox2d) {
        ig += fmt::format("[{},{},{},{}]", NumberText(x), NumberText(y), NumberText(w), NumberText(h));
      } else {
        ig += fmt::format("[[{},{}],[{},{}],[{},{}],[{},{}]]", NumberText(x), NumberText(y), NumberText(x + w),
                          NumberText(y), NumberText(x + w), NumberText(y + h), NumberText(x), NumberText(y + h));
      }
      ++out.ignore_regions;
      continue;
    }
    std::string_view cat_name;
    if (categories) {
      auto it = categories->find(category_id);
      if (it == categories->end()) {
        issue(fmt::format("category_id {} is not in categories", category_id));
        continue;
      }
      cat_name = it->second;
    } else {
      category_text.clear();
      AppendInt(category_id, category_text);
      cat_name = category_text;
    }
    const std::optional<std::string>& cls = ctx.MapClassLazy(cat_name, pos, where, [a] { return Minify(a); }, out);
    if (!cls) continue;
    Object o;
    o.cls = *cls;
    {
      int64_t id = pos;
      if (!results && f_id.found && !Int(f_id.e, id)) id = pos;
      o.id.assign(num, static_cast<size_t>(std::to_chars(num, num + sizeof num, id).ptr - num));
    }
    o.kind = geom;
    double score = 0;
    if (f_score.found && Num(f_score.e, score)) o.score = score;
    if (geom == GeometryKind::kBox2d) {
      if (!have_bbox) {
        issue("no bbox [x, y, w, h] of 4 numbers");
        continue;
      }
      o.box2d = Box2d{bbox[0], bbox[1], bbox[2], bbox[3]};
    } else {
      if (!have_seg) {
        issue("no segmentation");
        continue;
      }
      polys.clear();
      bool bad = false;
      if (seg.type() == element_type::ARRAY) {
        for (element p : array(seg)) {
          polys.emplace_back();
          if (p.type() != element_type::ARRAY) {
            bad = true;
            break;
          }
          for (element x : array(p)) {
            double v;
            if (!Num(x, v)) bad = true;
            polys.back().push_back(v);
          }
        }
        if (bad || polys.empty()) {
          issue("segmentation: polygons must be lists of numbers");
          continue;
        }
      }
      if (geom == GeometryKind::kPolygon) {
        if (seg.type() != element_type::ARRAY) {
          issue("an RLE mask cannot be a polygon (pipeline geometry is polygon)");
          continue;
        }
        std::string g = polys.size() > 1 ? "[" : "";
        for (size_t p = 0; p < polys.size(); ++p) {
          if (p) g += ',';
          g += '[';
          for (size_t k = 0; k + 1 < polys[p].size(); k += 2) {
            if (k) g += ',';
            g += '[';
            AppendNumber(polys[p][k], g);
            g += ',';
            AppendNumber(polys[p][k + 1], g);
            g += ']';
          }
          g += ']';
        }
        if (polys.size() > 1) g += ']';
        o.geometry_json = std::move(g);
      } else {
        geometry::Rle rle;
        if (seg.type() == element_type::ARRAY) {
          if (img.h == 0 || img.w == 0) {
            issue("polygons need the image's height and width to become a mask");
            continue;
          }
          auto r = geometry::RleFromPolygons(polys, img.h, img.w);
          if (!r.ok()) {
            issue(r.status().message());
            continue;
          }
          rle = std::move(*r);
        } else if (seg.type() == element_type::OBJECT) {
          object so(seg);
          element size, counts;
          int64_t h = 0, w = 0;
          if (so["size"].get(size) || size.type() != element_type::ARRAY || array(size).size() != 2 ||
              !Int(array(size).at(0).value_unsafe(), h) || !Int(array(size).at(1).value_unsafe(), w) || h <= 0 ||
              w <= 0 || h >= (int64_t{1} << 31) || w >= (int64_t{1} << 31) || so["counts"].get(counts)) {
            issue("RLE needs size [h, w] and counts");
            continue;
          }
          rle.h = static_cast<uint32_t>(h);
          rle.w = static_cast<uint32_t>(w);
          if (counts.type() == element_type::STRING) {
            auto c = geometry::DecodeRleCounts(std::string_view(counts));
            if (!c.ok()) {
              issue(c.status().message());
              continue;
            }
            rle.counts = std::move(*c);
          } else if (counts.type() == element_type::ARRAY) {
            for (element x : array(counts)) {
              int64_t v = 0;
              if (!Int(x, v) || v < 0 || v > UINT32_MAX) {
                bad = true;
                break;
              }
              rle.counts.push_back(static_cast<uint32_t>(v));
            }
            if (bad) {
              issue("RLE counts must be non-negative integers");
              continue;
            }
          } else {
            issue("RLE counts must be a list or a string");
            continue;
          }
        } else {
          issue("segmentation must be polygons or an RLE object");
          continue;
        }
        o.geometry_json = fmt::format("{{\"size\":[{},{}],\"counts\":{}}}", rle.h, rle.w,
                                      Quoted(geometry::EncodeRleCounts(rle.counts)));
      }
    }
    rec.labels.objects.push_back(std::move(o));
    rec.object_positions.push_back(pos);
  }
  for (ConvertedRecord& r : out.records) {
    if (!r.labels.ignore_json.empty()) r.labels.ignore_json += ']';
  }
  return Status::Ok();
}

Result<std::string> CocoInstancesJson(const std::vector<const LabelRecord*>& records, const PipelineSpec& pipe) {
  using nlohmann::ordered_json;
  const GeometryKind geom = pipe.geometry;
  if (geom != GeometryKind::kBox2d && geom != GeometryKind::kPolygon && geom != GeometryKind::kMask) {
    return Status::Usage(fmt::format("COCO holds boxes, polygons and masks: a {} pipeline cannot be exported to it",
                                     Name(geom)));
  }
  std::map<std::string, int64_t> cat_ids;
  ordered_json cats = ordered_json::array();
  auto cat_id = [&](const std::string& name) {
    auto [it, inserted] = cat_ids.emplace(name, static_cast<int64_t>(cat_ids.size()) + 1);
    if (inserted) cats.push_back(ordered_json{{"id", it->second}, {"name", name}, {"supercategory", ""}});
    return it->second;
  };
  for (const ClassSpec& c : pipe.classes) cat_id(c.name);
  ordered_json images = ordered_json::array(), anns = ordered_json::array();
  std::set<int64_t> used_ids;
  int64_t next_image = 1, next_ann = 1;
  for (const LabelRecord* r : records) {
    int64_t image_id = 0;
    auto [p, ec] = std::from_chars(r->frame.data(), r->frame.data() + r->frame.size(), image_id);
    if (ec != std::errc() || p != r->frame.data() + r->frame.size() || used_ids.count(image_id)) {
      while (used_ids.count(next_image)) ++next_image;
      image_id = next_image;
    }
    used_ids.insert(image_id);
    ordered_json img{{"id", image_id}, {"file_name", r->frame}};
    for (const Object& o : r->objects) {
      if (o.kind == GeometryKind::kMask) {
        auto g = nlohmann::json::parse(o.geometry_json, nullptr, false);
        if (g.is_object() && g.contains("size")) {
          img["height"] = g["size"][0];
          img["width"] = g["size"][1];
          break;
        }
      }
    }
    images.push_back(img);
    for (const Object& o : r->objects) {
      ordered_json a{{"id", next_ann++}, {"image_id", image_id}, {"category_id", cat_id(o.cls)}, {"iscrowd", 0}};
      if (o.kind == GeometryKind::kBox2d) {
        a["bbox"] = {o.box2d.x, o.box2d.y, o.box2d.w, o.box2d.h};
        a["area"] = o.box2d.w * o.box2d.h;
      } else {
        auto g = nlohmann::json::parse(o.geometry_json, nullptr, false);
        if (o.kind == GeometryKind::kPolygon) {
          // One ring or several: COCO's flat [x1, y1, x2, y2, ...] per ring.
          const bool multi = g.is_array() && !g.empty() && g[0].is_array() && !g[0].empty() && g[0][0].is_array();
          ordered_json seg = ordered_json::array();
          double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
          auto ring = [&](const nlohmann::json& pts) {
            ordered_json flat = ordered_json::array();
            for (const auto& pt : pts) {
              const double x = pt[0].get<double>(), y = pt[1].get<double>();
              flat.push_back(x);
              flat.push_back(y);
              x0 = std::min(x0, x);
              y0 = std::min(y0, y);
              x1 = std::max(x1, x);
              y1 = std::max(y1, y);
            }
            seg.push_back(flat);
          };
          if (multi) {
            for (const auto& rg : g) ring(rg);
          } else {
            ring(g);
          }
          a["segmentation"] = seg;
          a["bbox"] = {x0, y0, x1 - x0, y1 - y0};
        } else {
          geometry::Rle rle;
          rle.h = g["size"][0].get<uint32_t>();
          rle.w = g["size"][1].get<uint32_t>();
          if (g["counts"].is_string()) {
            auto c = geometry::DecodeRleCounts(g["counts"].get<std::string>());
            if (c.ok()) rle.counts = std::move(*c);
          } else {
            rle.counts = g["counts"].get<std::vector<uint32_t>>();
          }
          a["segmentation"] = {{"size", {rle.h, rle.w}}, {"counts", geometry::EncodeRleCounts(rle.counts)}};
          const auto b = geometry::RleToBbox(rle);
          a["bbox"] = {b.x, b.y, b.w, b.h};
          a["area"] = geometry::RleArea(rle);
        }
      }
      if (o.score) a["score"] = *o.score;
      if (!o.track.empty()) a["track_id"] = o.track;
      anns.push_back(a);
    }
    if (!r->ignore_json.empty()) {
      auto ig = nlohmann::json::parse(r->ignore_json, nullptr, false);
      for (const auto& region : ig) {
        ordered_json a{{"id", next_ann++}, {"image_id", image_id}, {"category_id", 0}, {"iscrowd", 1}};
        if (geom == GeometryKind::kBox2d) {
          a["bbox"] = region;
        } else {
          double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
          ordered_json flat = ordered_json::array();
          for (const auto& pt : region) {
            if (!pt.is_array() || pt.size() < 2 || !pt[0].is_number()) continue;
            const double x = pt[0].get<double>(), y = pt[1].get<double>();
            flat.push_back(x);
            flat.push_back(y);
            x0 = std::min(x0, x);
            y0 = std::min(y0, y);
            x1 = std::max(x1, x);
            y1 = std::max(y1, y);
          }
          a["segmentation"] = ordered_json::array({flat});
          a["bbox"] = {x0, y0, x1 - x0, y1 - y0};
        }
        anns.push_back(a);
      }
    }
  }
  ordered_json doc{{"info", {{"description", "exported by gtops"}}}, {"images", images},
                   {"annotations", anns}, {"categories", cats}};
  return doc.dump();
}

}  // namespace gtops::interop
