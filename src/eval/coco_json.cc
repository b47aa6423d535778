#include "eval/coco_json.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include <simdjson.h>

#include "geometry/rle.h"
#include "geometry/rle_poly.h"

namespace gtops::eval {
namespace {

using quality::CocoDetection;
using quality::CocoGroundTruth;
using quality::CocoIouType;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Which item an error is about, formatted only when there is an error.
struct Where {
  const char* list;
  size_t index;
  const char* id_key = nullptr;
  int64_t id = 0;
};

// Errors name the file first, then the item, then what is wrong.
class Errors {
 public:
  explicit Errors(std::string_view name) : name_(name) {}
  Status Bad(const std::string& what) const { return Status::BadInput(std::string(name_) + ": " + what); }
  Status Bad(const Where& where, const std::string& what) const;

 private:
  std::string_view name_;
};

Status Errors::Bad(const Where& where, const std::string& what) const {
  std::string item = std::string(where.list) + "[" + std::to_string(where.index) + "]";
  if (where.id_key != nullptr) item += std::string(" (") + where.id_key + " " + std::to_string(where.id) + ")";
  return Bad(item + ": " + what);
}

bool ToInt(element e, int64_t& out) {
  switch (e.type()) {
    case element_type::INT64:
      out = e.get_int64().value_unsafe();
      return true;
    case element_type::UINT64: {
      const uint64_t u = e.get_uint64().value_unsafe();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      out = static_cast<int64_t>(u);
      return true;
    }
    case element_type::DOUBLE: {
      // pycocotools keys by Python value, where 3.0 == 3: an integral double is that id.
      const double d = e.get_double().value_unsafe();
      if (std::floor(d) != d || std::fabs(d) > 9.0e18) return false;
      out = static_cast<int64_t>(d);
      return true;
    }
    default:
      return false;
  }
}

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

// A truthy JSON value in Python's sense, for iscrowd: a non-zero number or true.
bool ToFlag(element e, bool& out) {
  switch (e.type()) {
    case element_type::BOOL:
      out = e.get_bool().value_unsafe();
      return true;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      out = e.get_double().value_unsafe() != 0;
      return true;
    default:
      return false;
  }
}

bool Has(object o, std::string_view key, element& out) { return o[key].get(out) == simdjson::SUCCESS; }

Status ReadBox(element e, Box2d& box, const Errors& err, const Where& what) {
  array a;
  double v[4];
  size_t n = 0;
  if (e.get_array().get(a) != simdjson::SUCCESS) return err.Bad(what, "bbox must be an array [x, y, w, h]");
  for (element x : a) {
    if (n == 4 || !ToDouble(x, v[n])) return err.Bad(what, "bbox must be 4 numbers [x, y, w, h]");
    ++n;
  }
  if (n != 4) return err.Bad(what, "bbox must be 4 numbers [x, y, w, h] (got " + std::to_string(n) + ")");
  box = {v[0], v[1], v[2], v[3]};
  return Status::Ok();
}

// A segmentation as pycocotools' annToRLE reads it: polygons (at the image's size), or an RLE
// object with its own size and counts as a list or a COCO string.
Status ReadMask(element e, const CocoImageSize* image, geometry::Rle& mask,
                std::vector<std::vector<double>>& polygons, const Errors& err, const Where& what) {
  if (e.type() == element_type::ARRAY) {
    if (image == nullptr || image->height == 0 || image->width == 0) {
      return err.Bad(what, "polygon segmentation needs its image's height and width");
    }
    polygons.clear();
    array list;
    if (e.get_array().get(list) != simdjson::SUCCESS) return err.Bad(what, "segmentation must be a list");
    for (element p : list) {
      array pa;
      if (p.get_array().get(pa) != simdjson::SUCCESS) {
        return err.Bad(what, "segmentation must be a list of polygons [x0, y0, x1, y1, ...]");
      }
      std::vector<double>& poly = polygons.emplace_back();
      for (element x : pa) {
        double v;
        if (!ToDouble(x, v)) return err.Bad(what, "polygon coordinates must be numbers");
        poly.push_back(v);
      }
    }
    Result<geometry::Rle> r = geometry::RleFromPolygons(polygons, image->height, image->width);
    if (!r.ok()) return err.Bad(what, "" + r.status().message());
    mask = std::move(r).value();
    return Status::Ok();
  }
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) {
    return err.Bad(what, "segmentation must be a list of polygons or an RLE object {size, counts}");
  }
  element size_e, counts_e;
  array size_a;
  if (!Has(o, "size", size_e) || size_e.get_array().get(size_a) != simdjson::SUCCESS) {
    return err.Bad(what, "RLE segmentation needs size [height, width]");
  }
  int64_t hw[2] = {0, 0};
  size_t n = 0;
  for (element x : size_a) {
    if (n == 2 || !ToInt(x, hw[n]) || hw[n] < 0 || hw[n] > std::numeric_limits<uint32_t>::max()) {
      return err.Bad(what, "RLE size must be [height, width], two non-negative integers");
    }
    ++n;
  }
  if (n != 2) return err.Bad(what, "RLE size must be [height, width]");
  mask.h = static_cast<uint32_t>(hw[0]);
  mask.w = static_cast<uint32_t>(hw[1]);
  mask.counts.clear();
  if (!Has(o, "counts", counts_e)) return err.Bad(what, "RLE segmentation needs counts");
  if (counts_e.type() == element_type::STRING) {
    Result<std::vector<uint32_t>> c = geometry::DecodeRleCounts(counts_e.get_string().value_unsafe());
    if (!c.ok()) return err.Bad(what, "" + c.status().message());
    mask.counts = std::move(c).value();
  } else if (counts_e.type() == element_type::ARRAY) {
    array counts;
    if (counts_e.get_array().get(counts) != simdjson::SUCCESS) return err.Bad(what, "RLE counts must be a list");
    for (element x : counts) {
      int64_t c;
      if (!ToInt(x, c) || c < 0 || c > std::numeric_limits<uint32_t>::max()) {
        return err.Bad(what, "RLE counts must be non-negative integers");
      }
      mask.counts.push_back(static_cast<uint32_t>(c));
    }
  } else {
    return err.Bad(what, "RLE counts must be a list of integers or a COCO RLE string");
  }
  Status valid = geometry::ValidateRle(mask);
  if (!valid.ok()) return err.Bad(what, "" + valid.message());
  return Status::Ok();
}

Status ParseError(const Errors& err, simdjson::error_code code) {
  return err.Bad(std::string("invalid JSON: ") + simdjson::error_message(code));
}

std::string Item(const char* list, size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

void BuildImageOrder(CocoGroundTruthFile& f) {
  f.image_order.resize(f.set.image_ids.size());
  std::iota(f.image_order.begin(), f.image_order.end(), 0u);
  // Equal ids: the later entry first, so that FindImage sees the one pycocotools keeps.
  std::sort(f.image_order.begin(), f.image_order.end(), [&](uint32_t a, uint32_t b) {
    const int64_t ia = f.set.image_ids[a], ib = f.set.image_ids[b];
    return ia != ib ? ia < ib : a > b;
  });
}

Result<simdjson::padded_string> Load(const std::string& path) {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text) != simdjson::SUCCESS) {
    return Status::NotFound(path + ": cannot read the file");
  }
  return text;
}

}  // namespace

const CocoImageSize* CocoGroundTruthFile::FindImage(int64_t image_id) const {
  auto it = std::lower_bound(image_order.begin(), image_order.end(), image_id,
                             [&](uint32_t i, int64_t id) { return set.image_ids[i] < id; });
  if (it == image_order.end() || set.image_ids[*it] != image_id) return nullptr;
  return &image_sizes[*it];
}

namespace {

Result<CocoGroundTruthFile> ParseGroundTruth(simdjson::dom::parser& parser,
                                             const simdjson::padded_string& padded, std::string_view name,
                                             CocoIouType type) {
  const Errors err(name);
  element root;
  if (auto code = parser.parse(padded).get(root); code != simdjson::SUCCESS) return ParseError(err, code);
  object top;
  if (root.get_object().get(top) != simdjson::SUCCESS) {
    return err.Bad("a COCO ground-truth file must be a JSON object with images, categories and annotations");
  }
  CocoGroundTruthFile out;
  element images_e, categories_e, annotations_e;
  array images, categories, annotations;
  if (!Has(top, "images", images_e) || images_e.get_array().get(images) != simdjson::SUCCESS) {
    return err.Bad("\"images\" must be an array of {id, height, width}");
  }
  if (!Has(top, "categories", categories_e) || categories_e.get_array().get(categories) != simdjson::SUCCESS) {
    return err.Bad("\"categories\" must be an array of {id, name}");
  }
  const bool has_annotations = Has(top, "annotations", annotations_e);
  if (has_annotations && annotations_e.get_array().get(annotations) != simdjson::SUCCESS) {
    return err.Bad("\"annotations\" must be an array");
  }

  size_t i = 0;
  for (element e : images) {
    object o;
    element id_e, h_e, w_e;
    int64_t id = 0;
    if (e.get_object().get(o) != simdjson::SUCCESS || !Has(o, "id", id_e) || !ToInt(id_e, id)) {
      return err.Bad(Item("images", i) + ": needs an integer id");
    }
    CocoImageSize size;
    int64_t v = 0;
    if (Has(o, "height", h_e) && ToInt(h_e, v) && v > 0 && v <= std::numeric_limits<uint32_t>::max()) {
      size.height = static_cast<uint32_t>(v);
    }
    if (Has(o, "width", w_e) && ToInt(w_e, v) && v > 0 && v <= std::numeric_limits<uint32_t>::max()) {
      size.width = static_cast<uint32_t>(v);
    }
    out.set.image_ids.push_back(id);
    out.image_sizes.push_back(size);
    ++i;
  }
  BuildImageOrder(out);

  i = 0;
  for (element e : categories) {
    object o;
    element id_e, name_e;
    quality::CocoCategory c;
    if (e.get_object().get(o) != simdjson::SUCCESS || !Has(o, "id", id_e) || !ToInt(id_e, c.id)) {
      return err.Bad(Item("categories", i) + ": needs an integer id");
    }
    if (Has(o, "name", name_e) && name_e.type() == element_type::STRING) {
      c.name = std::string(name_e.get_string().value_unsafe());
    }
    out.set.categories.push_back(std::move(c));
    ++i;
  }

  if (!has_annotations) return out;
  out.set.annotations.reserve(annotations.size());
  std::vector<std::vector<double>> polygons;
  i = 0;
  for (element e : annotations) {
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return err.Bad(Item("annotations", i) + ": must be an object");
    CocoGroundTruth g;
    element v;
    Where what{"annotations", i};
    if (!Has(o, "id", v) || !ToInt(v, g.id)) return err.Bad(what, "needs an integer id");
    what.id_key = "id";
    what.id = g.id;
    if (!Has(o, "image_id", v) || !ToInt(v, g.image_id)) return err.Bad(what, "needs an integer image_id");
    if (!Has(o, "category_id", v) || !ToInt(v, g.category_id)) {
      return err.Bad(what, "needs an integer category_id");
    }
    if (!Has(o, "area", v) || !ToDouble(v, g.area)) return err.Bad(what, "needs a numeric area");
    if (Has(o, "iscrowd", v) && !ToFlag(v, g.iscrowd)) return err.Bad(what, "iscrowd must be 0 or 1");
    if (type == CocoIouType::kBbox) {
      if (!Has(o, "bbox", v)) return err.Bad(what, "needs a bbox [x, y, w, h]");
      GTOPS_RETURN_IF_ERROR(ReadBox(v, g.bbox, err, what));
    } else {
      const CocoImageSize* image = out.FindImage(g.image_id);
      // Annotations of images not in the file take no part (pycocotools drops them before
      // converting masks).
      if (image != nullptr) {
        if (!Has(o, "segmentation", v)) return err.Bad(what, "needs a segmentation");
        GTOPS_RETURN_IF_ERROR(ReadMask(v, image, g.mask, polygons, err, what));
      }
    }
    out.set.annotations.push_back(std::move(g));
    ++i;
  }
  return out;
}

Result<std::vector<CocoDetection>> ParseResults(simdjson::dom::parser& parser,
                                                const simdjson::padded_string& padded, std::string_view name,
                                                const CocoGroundTruthFile& gt, CocoIouType type) {
  const Errors err(name);
  element root;
  if (auto code = parser.parse(padded).get(root); code != simdjson::SUCCESS) return ParseError(err, code);
  array results;
  if (root.get_array().get(results) != simdjson::SUCCESS) {
    return err.Bad("results must be a JSON array of detections (pycocotools: \"results in not an array of objects\")");
  }
  std::vector<CocoDetection> out;
  out.reserve(results.size());
  // loadRes decides from the first result: with a non-empty bbox, boxes are the results.
  bool box_results = true;
  bool first = true;
  std::vector<std::vector<double>> polygons;
  size_t i = 0;
  for (element e : results) {
    object o;
    Where what{"results", i};
    if (e.get_object().get(o) != simdjson::SUCCESS) return err.Bad(what, "must be an object");
    element v;
    if (first) {
      array box;
      box_results = Has(o, "bbox", v) && !(v.get_array().get(box) == simdjson::SUCCESS && box.size() == 0);
      if (!box_results && !Has(o, "segmentation", v)) {
        return err.Bad(what, "needs a bbox or a segmentation");
      }
      first = false;
    }
    CocoDetection d;
    if (!Has(o, "image_id", v) || !ToInt(v, d.image_id)) return err.Bad(what, "needs an integer image_id");
    what.id_key = "image_id";
    what.id = d.image_id;
    const CocoImageSize* image = gt.FindImage(d.image_id);
    if (image == nullptr) {
      return err.Bad(what, "image_id is not an image of the ground truth (pycocotools' loadRes "
                     "refuses such results: \"Results do not correspond to current coco set\")");
    }
    if (!Has(o, "category_id", v) || !ToInt(v, d.category_id)) {
      return err.Bad(what, "needs an integer category_id");
    }
    if (!Has(o, "score", v) || !ToDouble(v, d.score)) return err.Bad(what, "needs a numeric score");
    if (box_results) {
      if (!Has(o, "bbox", v)) return err.Bad(what, "needs a bbox [x, y, w, h] like the first result");
      GTOPS_RETURN_IF_ERROR(ReadBox(v, d.bbox, err, what));
      const double area = d.bbox.w * d.bbox.h;
      d.area = area;
      if (type == CocoIouType::kSegm) {
        if (Has(o, "segmentation", v)) {
          GTOPS_RETURN_IF_ERROR(ReadMask(v, image, d.mask, polygons, err, what));
        } else {
          // loadRes gives a box result the polygon of its box.
          if (image->height == 0 || image->width == 0) {
            return err.Bad(what, "a box as a mask needs its image's height and width");
          }
          const double x1 = d.bbox.x, x2 = d.bbox.x + d.bbox.w;
          const double y1 = d.bbox.y, y2 = d.bbox.y + d.bbox.h;
          const double xy[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
          if (geometry::PolygonGridPoints(xy) > geometry::kMaxPolygonGridPoints) {
            return err.Bad(what, "its box is too large to rasterise as a mask");
          }
          d.mask = geometry::RleFromPolygon(xy, image->height, image->width);
        }
      }
    } else {
      if (!Has(o, "segmentation", v)) return err.Bad(what, "needs a segmentation like the first result");
      GTOPS_RETURN_IF_ERROR(ReadMask(v, image, d.mask, polygons, err, what));
      d.area = static_cast<double>(geometry::RleArea(d.mask));
      if (type == CocoIouType::kBbox) {
        element b;
        if (Has(o, "bbox", b)) {
          GTOPS_RETURN_IF_ERROR(ReadBox(b, d.bbox, err, what));
        } else {
          const geometry::RleBbox rb = geometry::RleToBbox(d.mask);
          d.bbox = {rb.x, rb.y, rb.w, rb.h};
        }
        d.mask = {};
      }
    }
    out.push_back(std::move(d));
    ++i;
  }
  return out;
}

}  // namespace

struct CocoJsonReader::Parser {
  simdjson::dom::parser dom;
};

CocoJsonReader::CocoJsonReader() : parser_(std::make_unique<Parser>()) {}
CocoJsonReader::~CocoJsonReader() = default;

Result<CocoGroundTruthFile> CocoJsonReader::ReadGroundTruth(const std::string& path, CocoIouType type) {
  Result<simdjson::padded_string> text = Load(path);
  if (!text.ok()) return text.status();
  return ParseGroundTruth(parser_->dom, *text, path, type);
}

Result<std::vector<CocoDetection>> CocoJsonReader::ReadResults(const std::string& path,
                                                               const CocoGroundTruthFile& gt, CocoIouType type) {
  Result<simdjson::padded_string> text = Load(path);
  if (!text.ok()) return text.status();
  return ParseResults(parser_->dom, *text, path, gt, type);
}

Result<CocoGroundTruthFile> ParseCocoGroundTruth(std::string_view json, std::string_view name,
                                                 CocoIouType type) {
  simdjson::dom::parser parser;
  return ParseGroundTruth(parser, simdjson::padded_string(json), name, type);
}

Result<CocoGroundTruthFile> ReadCocoGroundTruth(const std::string& path, CocoIouType type) {
  return CocoJsonReader().ReadGroundTruth(path, type);
}

Result<std::vector<CocoDetection>> ParseCocoResults(std::string_view json, std::string_view name,
                                                    const CocoGroundTruthFile& gt, CocoIouType type) {
  simdjson::dom::parser parser;
  return ParseResults(parser, simdjson::padded_string(json), name, gt, type);
}

Result<std::vector<CocoDetection>> ReadCocoResults(const std::string& path, const CocoGroundTruthFile& gt,
                                                   CocoIouType type) {
  return CocoJsonReader().ReadResults(path, gt, type);
}

}  // namespace gtops::eval
