#include "interop/cvat.h"

#include <expat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>

namespace gtops::interop {
namespace {

bool ToDouble(std::string_view s, double& v) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  return ParseDouble(s, v) && std::isfinite(v);
}

struct Shape {
  std::string kind;  // box, polygon, polyline, points, ...
  std::string label;
  int64_t frame = 0;
  bool outside = false, occluded = false, keyframe = true;
  std::vector<double> coords;  // box: xtl ytl xbr ybr; poly*: x0 y0 x1 y1 ...
  double rotation = 0;
  bool coords_ok = true;
  std::vector<std::pair<std::string, std::string>> attrs;  // name, text
  int64_t line = 0;
  std::string raw;
};

struct Track {
  std::string id, label;
  int64_t line = 0;
  std::vector<Shape> shapes;
};

struct Image {
  std::string id, name, task_id;
  int64_t line = 0;
  std::vector<Shape> shapes;
};

struct State {
  XML_Parser parser = nullptr;
  std::vector<std::string> path;  // open element names
  std::string text;               // character data of the innermost simple element
  // meta
  std::string task_id, task_name;
  int64_t start_frame = -1, stop_frame = -1, step = 1;
  std::string label_name, attr_name, attr_type;
  std::map<std::string, std::map<std::string, std::string>> input_types;  // label -> attr -> type
  // content
  std::vector<Image> images;
  std::vector<Track> tracks;
  bool in_image = false, in_track = false;
  int track_depth = 0;  // nested <track> (skeleton parts)
  std::optional<Shape> shape;
  std::string attr_open;  // name of the open <attribute> of a shape
  std::set<int64_t> frames_seen;
  int64_t nested_shapes = 0;

  int64_t line = 0;  // the line of the current start tag when no expat parser reads the text

  int64_t Line() const { return parser ? static_cast<int64_t>(XML_GetCurrentLineNumber(parser)) : line; }
  bool Under(const char* parent) const { return path.size() >= 2 && path[path.size() - 2] == parent; }
};

const char* Attr(const XML_Char** atts, const char* name) {
  for (int i = 0; atts[i]; i += 2) {
    if (std::strcmp(atts[i], name) == 0) return atts[i + 1];
  }
  return nullptr;
}

std::string RawTag(const char* name, const XML_Char** atts) {
  std::string s = "<";
  s += name;
  for (int i = 0; atts[i]; i += 2) s.append(1, ' ').append(atts[i]).append("=\"").append(atts[i + 1]).append(1, '"');
  return s + ">";
}

bool IsShape(std::string_view n) {
  return n == "box" || n == "polygon" || n == "polyline" || n == "points" || n == "ellipse" || n == "cuboid" ||
         n == "mask" || n == "skeleton" || n == "tag";
}

void XMLCALL Start(void* data, const XML_Char* name, const XML_Char** atts) {
  auto& s = *static_cast<State*>(data);
  s.path.emplace_back(name);
  s.text.clear();
  const std::string_view n(name);
  if (n == "image" && s.path.size() == 2) {
    Image img;
    const char* v;
    if ((v = Attr(atts, "id"))) img.id = v;
    if ((v = Attr(atts, "name"))) img.name = v;
    if ((v = Attr(atts, "task_id"))) img.task_id = v;
    img.line = s.Line();
    s.images.push_back(std::move(img));
    s.in_image = true;
    return;
  }
  if (n == "track") {
    if (s.in_track) {
      ++s.track_depth;
      return;
    }
    Track t;
    const char* v;
    if ((v = Attr(atts, "id"))) t.id = v;
    if ((v = Attr(atts, "label"))) t.label = v;
    t.line = s.Line();
    s.tracks.push_back(std::move(t));
    s.in_track = true;
    s.track_depth = 0;
    return;
  }
  if (IsShape(n) && (s.in_image || s.in_track) && !s.shape) {
    if (s.track_depth > 0) {  // a skeleton's keypoint track
      ++s.nested_shapes;
      return;
    }
    Shape sh;
    sh.kind = std::string(n);
    sh.line = s.Line();
    sh.raw = RawTag(name, atts);
    // The attributes read, in one pass (expat rejects a repeated attribute).
    const char* label = nullptr;
    const char* frame = nullptr;
    const char* outside = nullptr;
    const char* occluded = nullptr;
    const char* keyframe = nullptr;
    const char* rotation = nullptr;
    const char* points = nullptr;
    const char* corners[4] = {nullptr, nullptr, nullptr, nullptr};  // xtl ytl xbr ybr
    for (int i = 0; atts[i]; i += 2) {
      const std::string_view k = atts[i];
      const char* const val = atts[i + 1];
      if (k == "label") label = val;
      else if (k == "frame") frame = val;
      else if (k == "outside") outside = val;
      else if (k == "occluded") occluded = val;
      else if (k == "keyframe") keyframe = val;
      else if (k == "rotation") rotation = val;
      else if (k == "points") points = val;
      else if (k == "xtl") corners[0] = val;
      else if (k == "ytl") corners[1] = val;
      else if (k == "xbr") corners[2] = val;
      else if (k == "ybr") corners[3] = val;
    }
    const char* v;
    if (s.in_image) {
      if ((v = label)) sh.label = v;
    } else {
      sh.label = s.tracks.back().label;
    }
    if ((v = frame)) {
      double f = 0;
      sh.coords_ok = ToDouble(v, f) && f >= 0 && f == std::floor(f);
      sh.frame = static_cast<int64_t>(f);
    }
    if ((v = outside)) sh.outside = std::strcmp(v, "1") == 0;
    if ((v = occluded)) sh.occluded = std::strcmp(v, "1") == 0;
    if ((v = keyframe)) sh.keyframe = std::strcmp(v, "1") == 0;
    if ((v = rotation)) sh.coords_ok = ToDouble(v, sh.rotation) && sh.coords_ok;
    if (n == "box") {
      sh.coords.reserve(4);
      for (const char* x : corners) {
        double d = 0;
        sh.coords_ok = x != nullptr && ToDouble(x, d) && sh.coords_ok;
        sh.coords.push_back(d);
      }
    } else if ((v = points)) {
      std::string_view pts(v);
      while (!pts.empty()) {
        const size_t semi = pts.find(';');
        std::string_view pt = pts.substr(0, semi);
        pts = semi == std::string_view::npos ? std::string_view() : pts.substr(semi + 1);
        const size_t comma = pt.find(',');
        double x = 0, y = 0;
        if (comma == std::string_view::npos || !ToDouble(pt.substr(0, comma), x) || !ToDouble(pt.substr(comma + 1), y)) {
          sh.coords_ok = false;
          break;
        }
        sh.coords.push_back(x);
        sh.coords.push_back(y);
      }
    }
    s.shape = std::move(sh);
    return;
  }
  if (n == "attribute" && s.shape) {
    const char* v = Attr(atts, "name");
    s.attr_open = v ? v : "";
  }
}

void XMLCALL End(void* data, const XML_Char* name) {
  auto& s = *static_cast<State*>(data);
  const std::string_view n(name);
  const std::string text = std::move(s.text);
  s.text.clear();
  if (n == "attribute" && s.shape) {
    s.shape->attrs.emplace_back(s.attr_open, text);
  } else if (IsShape(n) && s.shape && s.shape->kind == n && s.track_depth == 0) {
    Shape sh = std::move(*s.shape);
    s.shape.reset();
    if (s.in_track) {
      s.tracks.back().shapes.push_back(std::move(sh));
    } else if (s.in_image) {
      s.images.back().shapes.push_back(std::move(sh));
    }
  } else if (n == "image" && s.in_image && s.path.size() == 2) {
    s.in_image = false;
  } else if (n == "track") {
    if (s.track_depth > 0) {
      --s.track_depth;
    } else {
      s.in_track = false;
    }
  } else if (s.path.size() >= 2) {
    // meta
    if (n == "id" && s.Under("task") && s.task_id.empty()) s.task_id = text;
    if (n == "name" && s.Under("task") && s.task_name.empty()) s.task_name = text;
    double d = 0;
    if (n == "start_frame" && ToDouble(text, d)) s.start_frame = static_cast<int64_t>(d);
    if (n == "stop_frame" && ToDouble(text, d)) s.stop_frame = static_cast<int64_t>(d);
    if (n == "frame_filter" && text.rfind("step=", 0) == 0 && ToDouble(text.substr(5), d) && d >= 1) {
      s.step = static_cast<int64_t>(d);
    }
    if (n == "name" && s.Under("label")) s.label_name = text;
    if (n == "name" && s.Under("attribute")) s.attr_name = text;
    if (n == "input_type" && s.Under("attribute")) s.input_types[s.label_name][s.attr_name] = text;
  }
  s.path.pop_back();
}

void XMLCALL Chars(void* data, const XML_Char* str, int len) {
  auto& s = *static_cast<State*>(data);
  s.text.append(str, static_cast<size_t>(len));
}

// A reader of the plain XML that CVAT writes, for speed (expat spends most of an import in its
// own bookkeeping): elements with ASCII names, attributes in quotes, text, and the five predefined
// entities; an XML declaration only in CVAT's own form. It drives the same handlers as expat and
// gives them what expat would. Anything else -- a comment, CDATA, a DOCTYPE, a character reference,
// a byte outside printable ASCII (and tab, newline), a carriage return, a repeated attribute, any
// error -- makes it give up (false) before deciding anything, and expat reads the file instead,
// with its own messages for what is wrong.
class PlainXmlReader {
 public:
  explicit PlainXmlReader(std::string_view xml) : p_(xml.data()), begin_(xml.data()), end_(xml.data() + xml.size()) {}

  bool Read(State& s) {
    // Printable ASCII, tab and newline only; in blocks, without a branch per byte.
    for (const char* q = begin_; q != end_;) {
      const char* const block_end = end_ - q > 4096 ? q + 4096 : end_;
      bool other = false;
      for (; q != block_end; ++q) {
        const auto c = static_cast<unsigned char>(*q);
        other |= (c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f;
      }
      if (other) return false;
    }
    for (std::string_view decl : {"<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                                  "<?xml version=\"1.0\"?>"}) {
      if (std::string_view(p_, static_cast<size_t>(end_ - p_)).starts_with(decl)) {
        p_ += decl.size();
        break;
      }
    }
    SkipSpace();
    if (p_ == end_ || *p_ != '<') return false;
    if (!Element(s)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n'; }
  static bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
  void SkipSpace() {
    while (p_ != end_ && IsSpace(*p_)) ++p_;
  }
  // A name at p_ appended to buf_ with its NUL; false when there is none.
  bool Name() {
    if (p_ == end_ || !IsNameStart(*p_)) return false;
    const char* const start = p_;
    while (p_ != end_ && IsNameChar(*p_)) ++p_;
    buf_.append(start, p_).push_back('\0');
    return true;
  }
  // &lt; &gt; &amp; &quot; &apos; at p_ (on the '&') appended to `out`; false for anything else.
  bool Entity(std::string& out) {
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    const std::string_view rest(p_, static_cast<size_t>(end_ - p_));
    for (const auto& [text, c] : kEntities) {
      if (rest.starts_with(text)) {
        out += c;
        p_ += text.size();
        return true;
      }
    }
    return false;
  }
  // One element at p_ (on its '<'), its content and end tag included.
  bool Element(State& s) {
    if (++depth_ > kMaxDepth) return false;  // deeper: expat, which does not recurse
    // The line of the '<', as expat counts it (no carriage returns here).
    line_ += std::count(line_at_, p_, '\n');
    line_at_ = p_;
    ++p_;
    buf_.clear();
    offsets_.clear();
    if (!Name()) return false;
    const size_t name_len = buf_.size() - 1;
    bool empty = false;
    while (true) {
      const char* const before = p_;
      SkipSpace();
      if (p_ == end_) return false;
      if (*p_ == '>') {
        ++p_;
        break;
      }
      if (*p_ == '/') {
        if (end_ - p_ < 2 || p_[1] != '>') return false;
        p_ += 2;
        empty = true;
        break;
      }
      if (p_ == before) return false;  // attributes are separated by white space
      const size_t key = buf_.size();
      if (!Name()) return false;
      SkipSpace();
      if (p_ == end_ || *p_ != '=') return false;
      ++p_;
      SkipSpace();
      if (p_ == end_ || (*p_ != '"' && *p_ != '\'')) return false;
      const char quote = *p_++;
      const size_t value = buf_.size();
      while (true) {
        const char* const run = p_;
        while (p_ != end_ && *p_ != quote && *p_ != '<' && *p_ != '&' && *p_ != '\t' && *p_ != '\n') ++p_;
        buf_.append(run, p_);
        if (p_ == end_ || *p_ == '<') return false;
        if (*p_ == quote) break;
        if (*p_ == '&') {
          if (!Entity(buf_)) return false;
          continue;
        }
        buf_ += ' ';  // attribute-value normalisation of a tab or newline
        ++p_;
      }
      ++p_;
      buf_.push_back('\0');
      const std::string_view key_name(buf_.data() + key, value - key - 1);
      for (size_t i = 0; i < offsets_.size(); i += 2) {
        if (std::string_view(buf_.data() + offsets_[i]) == key_name) return false;  // repeated
      }
      offsets_.push_back(key);
      offsets_.push_back(value);
    }
    atts_.clear();
    for (size_t off : offsets_) atts_.push_back(buf_.data() + off);
    atts_.push_back(nullptr);
    std::string name(buf_.data(), name_len);
    s.line = line_;
    Start(&s, name.c_str(), atts_.data());
    if (!empty) {
      while (true) {  // content
        const char* const start = p_;
        while (p_ != end_ && *p_ != '<' && *p_ != '&') ++p_;
        if (p_ == end_) return false;
        if (p_ != start) {
          const std::string_view text(start, static_cast<size_t>(p_ - start));
          if (text.find("]]>") != std::string_view::npos) return false;
          s.text.append(text);
        }
        if (*p_ == '&') {
          if (!Entity(s.text)) return false;
          continue;
        }
        if (end_ - p_ >= 2 && p_[1] == '/') break;
        if (end_ - p_ >= 2 && (p_[1] == '!' || p_[1] == '?')) return false;
        if (!Element(s)) return false;
      }
      p_ += 2;
      const std::string_view rest(p_, static_cast<size_t>(end_ - p_));
      if (!rest.starts_with(name) || (rest.size() > name.size() && IsNameChar(rest[name.size()]))) return false;
      p_ += name.size();
      SkipSpace();
      if (p_ == end_ || *p_ != '>') return false;
      ++p_;
    }
    End(&s, name.c_str());
    --depth_;
    return true;
  }

  static constexpr int kMaxDepth = 256;
  int depth_ = 0;

  const char* p_;
  const char* const begin_;
  const char* const end_;
  const char* line_at_ = begin_;
  int64_t line_ = 1;
  std::string buf_;             // the current tag's name, attribute names and values, NUL-ended
  std::vector<size_t> offsets_;  // attribute name, value, name, value, ... in buf_
  std::vector<const char*> atts_;
};

Status ConvertShapes(State& s, const ConvertContext& ctx, ConvertOutput& out);

}  // namespace

Status ConvertCvat(std::string_view xml, const ConvertContext& ctx, ConvertOutput& out) {
  const GeometryKind geom = ctx.pipe.geometry;
  if (geom != GeometryKind::kBox2d && geom != GeometryKind::kPolygon && geom != GeometryKind::kPolyline) {
    return Status::BadInput(fmt::format("CVAT import reads boxes, polygons and polylines: pipeline \"{}\" has "
                                        "geometry {}", ctx.pipe.id, Name(geom)));
  }
  State s;
  if (PlainXmlReader(xml).Read(s)) return ConvertShapes(s, ctx, out);
  s = State();  // not plain: expat reads it all again
  s.parser = XML_ParserCreate("UTF-8");
  XML_SetUserData(s.parser, &s);
  XML_SetElementHandler(s.parser, Start, End);
  XML_SetCharacterDataHandler(s.parser, Chars);
  // Fed in chunks: expat's length is an int.
  bool ok = true;
  size_t at = 0;
  constexpr size_t kChunk = 1 << 26;
  do {
    const size_t n = std::min(kChunk, xml.size() - at);
    const bool last = at + n == xml.size();
    if (XML_Parse(s.parser, xml.data() + at, static_cast<int>(n), last ? 1 : 0) == XML_STATUS_ERROR) {
      ok = false;
      break;
    }
    at += n;
  } while (at < xml.size());
  if (!ok) {
    const int64_t line = static_cast<int64_t>(XML_GetCurrentLineNumber(s.parser));
    out.issues.push_back(ConvertIssue{
        line,
        fmt::format("XML error at column {}: {}; what was complete before it is imported",
                    XML_GetCurrentColumnNumber(s.parser), XML_ErrorString(XML_GetErrorCode(s.parser))),
        ""});
    // An element cut short is not complete: drop the open image or track.
    if (s.in_image && !s.images.empty()) s.images.pop_back();
    if (s.in_track && !s.tracks.empty()) s.tracks.pop_back();
  }
  XML_ParserFree(s.parser);
  s.parser = nullptr;
  return ConvertShapes(s, ctx, out);
}

namespace {

// The label records of what the XML held.
Status ConvertShapes(State& s, const ConvertContext& ctx, ConvertOutput& out) {
  const GeometryKind geom = ctx.pipe.geometry;
  const std::string task_key = !s.task_id.empty() ? s.task_id : ctx.stem;
  auto attrs_of = [&](const Shape& sh, const std::string& cls) {
    std::vector<std::pair<std::string, std::string>> attrs;
    if (sh.occluded) attrs.emplace_back("occluded", "true");
    const auto types = s.input_types.find(sh.label);
    for (const auto& [name, text] : sh.attrs) {
      std::string type;
      if (types != s.input_types.end()) {
        if (auto t = types->second.find(name); t != types->second.end()) type = t->second;
      }
      double d = 0;
      if (type == "number" && ToDouble(text, d)) {
        attrs.emplace_back(name, NumberText(d));
      } else if (type == "checkbox" && (text == "true" || text == "false")) {
        attrs.emplace_back(name, text);
      } else {
        attrs.emplace_back(name, Quoted(text));
      }
    }
    (void)cls;
    return attrs;
  };
  // Fills `o`'s geometry from a shape; false (and a skip or an issue) when it has none here.
  auto geometry = [&](const Shape& sh, Object& o) -> bool {
    if (!sh.coords_ok) {
      out.issues.push_back(ConvertIssue{sh.line, fmt::format("<{}>: coordinates are not numbers", sh.kind), sh.raw});
      return false;
    }
    o.kind = geom;
    if (sh.kind == "box" && geom == GeometryKind::kBox2d) {
      if (sh.rotation != 0) {
        out.issues.push_back(ConvertIssue{sh.line,
                                          fmt::format("<box>: rotated by {} degrees; a box2d is axis-aligned", sh.rotation),
                                          sh.raw});
        return false;
      }
      o.box2d = Box2d{sh.coords[0], sh.coords[1], sh.coords[2] - sh.coords[0], sh.coords[3] - sh.coords[1]};
      return true;
    }
    if ((sh.kind == "polygon" && geom == GeometryKind::kPolygon) ||
        (sh.kind == "polyline" && geom == GeometryKind::kPolyline)) {
      std::string g = "[";
      for (size_t i = 0; i + 1 < sh.coords.size(); i += 2) {
        g += i ? ",[" : "[";
        AppendNumber(sh.coords[i], g);
        g += ',';
        AppendNumber(sh.coords[i + 1], g);
        g += ']';
      }
      o.geometry_json = g + "]";
      return true;
    }
    out.Skip(fmt::format("{}: pipeline geometry is {}", sh.kind, Name(geom)));
    return false;
  };

  for (const Image& img : s.images) {
    ConvertedRecord r;
    const std::string frame = img.task_id.empty() ? img.name : img.task_id + "/" + img.name;
    r.labels = ctx.NewRecord("cvat:" + (img.task_id.empty() ? task_key : img.task_id), frame);
    r.position = img.line;
    int64_t k = 0;
    for (const Shape& sh : img.shapes) {
      Object o;
      if (!geometry(sh, o)) continue;
      auto cls = ctx.MapClass(sh.label, sh.line, "", sh.raw, out);
      if (!cls) continue;
      o.cls = std::move(*cls);
      char num[24];
      o.id.assign(num, static_cast<size_t>(std::to_chars(num, num + sizeof num, ++k).ptr - num));
      o.attributes_json = ctx.AttributesJson(o.cls, attrs_of(sh, o.cls), sh.line, "", out);
      r.labels.objects.push_back(std::move(o));
      r.object_positions.push_back(sh.line);
      r.object_where.emplace_back();
    }
    out.records.push_back(std::move(r));
  }
  if (s.tracks.empty()) return Status::Ok();
  if (s.nested_shapes > 0) out.Skip("skeleton keypoint shapes (nested tracks)", s.nested_shapes);

  // Video: the task's frames, or the frames the shapes name.
  std::vector<int64_t> frames;
  if (s.start_frame >= 0 && s.stop_frame >= s.start_frame) {
    for (int64_t f = s.start_frame; f <= s.stop_frame; f += s.step) frames.push_back(f);
  } else {
    std::set<int64_t> seen;
    for (const Track& t : s.tracks) {
      for (const Shape& sh : t.shapes) seen.insert(sh.frame);
    }
    frames.assign(seen.begin(), seen.end());
  }
  const std::string prefix = !s.task_name.empty() ? s.task_name : ctx.stem;
  std::map<int64_t, size_t> record_of;
  for (int64_t f : frames) {
    ConvertedRecord r;
    r.labels = ctx.NewRecord("cvat:" + task_key, fmt::format("{}/{:06d}", prefix, f));
    r.labels.timestamp = static_cast<double>(f) / ctx.options.fps;
    r.position = 0;
    record_of[f] = out.records.size();
    out.records.push_back(std::move(r));
  }
  for (Track& t : s.tracks) {
    std::stable_sort(t.shapes.begin(), t.shapes.end(), [](const Shape& a, const Shape& b) { return a.frame < b.frame; });
    if (t.shapes.empty()) continue;
    std::string cls_name;
    {
      Object probe;
      if (!geometry(t.shapes.front(), probe)) {
        if (t.shapes.size() > 1) out.Skip(fmt::format("{}: pipeline geometry is {}", t.shapes.front().kind, Name(geom)),
                                          static_cast<int64_t>(t.shapes.size()) - 1);
        continue;
      }
      auto cls = ctx.MapClass(t.label, t.line, fmt::format("<track id=\"{}\">", t.id), "", out);
      if (!cls) continue;
      cls_name = *cls;
    }
    for (int64_t f : frames) {
      // The last shape at or before f, and the next one after it.
      auto next = std::upper_bound(t.shapes.begin(), t.shapes.end(), f,
                                   [](int64_t fr, const Shape& sh) { return fr < sh.frame; });
      if (next == t.shapes.begin()) continue;
      const Shape& cur = *(next - 1);
      if (cur.outside) continue;
      Object o;
      if (!geometry(cur, o)) continue;
      if (cur.frame != f && next != t.shapes.end() && cur.kind == "box" && next->kind == "box" && next->coords_ok) {
        const double a = static_cast<double>(f - cur.frame) / static_cast<double>(next->frame - cur.frame);
        std::array<double, 4> c{};
        for (int i = 0; i < 4; ++i) c[static_cast<size_t>(i)] = cur.coords[static_cast<size_t>(i)] +
                                        a * (next->coords[static_cast<size_t>(i)] - cur.coords[static_cast<size_t>(i)]);
        o.box2d = Box2d{c[0], c[1], c[2] - c[0], c[3] - c[1]};
      }
      auto rec = record_of.find(f);
      if (rec == record_of.end()) continue;
      o.cls = cls_name;
      o.id = t.id;
      o.track = t.id;
      o.attributes_json = ctx.AttributesJson(o.cls, attrs_of(cur, o.cls), cur.line, "", out);
      ConvertedRecord& r = out.records[rec->second];
      r.labels.objects.push_back(std::move(o));
      r.object_positions.push_back(cur.line);
      r.object_where.emplace_back();
    }
  }
  return Status::Ok();
}

}  // namespace
}  // namespace gtops::interop
