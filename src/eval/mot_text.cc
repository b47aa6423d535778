#include "eval/mot_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

namespace gtops::eval {
namespace {
namespace fs = std::filesystem;

bool IsSeparator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\r'; }

// Splits a line into at most `max_fields` fields; returns the number of fields found.
std::size_t SplitFields(std::string_view line, std::string_view* fields, std::size_t max_fields) {
  std::size_t n = 0, i = 0;
  while (i < line.size() && n < max_fields) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && !IsSeparator(line[j])) ++j;
    fields[n++] = line.substr(i, j - i);
    // One comma (with surrounding blanks) ends the field.
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t' || line[j] == '\r')) ++j;
    if (j < line.size() && line[j] == ',') ++j;
    i = j;
  }
  return n;
}

bool ParseDouble(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Integers may be written as "12" or "12.0" (tools that write numpy floats).
bool ParseInteger(std::string_view s, std::int64_t& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc() && ptr == s.data() + s.size()) return true;
  double d = 0.0;
  if (!ParseDouble(s, d) || !std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9e15) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::NotFound(fmt::format("{}: cannot open the file", path));
  std::string text(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!in) return Status::BadInput(fmt::format("{}: read error", path));
  return text;
}

}  // namespace

Result<std::vector<MotTextRow>> ParseMotText(std::string_view text, std::string_view file_name,
                                             bool is_ground_truth) {
  std::vector<MotTextRow> rows;
  rows.reserve(text.size() / 40);
  static constexpr const char* kNames[] = {"frame", "id", "x", "y", "width", "height", "confidence"};
  std::string_view fields[7];
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::size_t n = SplitFields(line, fields, 7);
    if (n == 0) continue;
    if (n < 6) {
      return Status::BadInput(fmt::format(
          "{}:{}: expected at least 6 fields (frame,id,x,y,w,h), got {}", file_name, line_no, n));
    }
    MotTextRow row;
    row.line = line_no;
    if (!ParseInteger(fields[0], row.frame)) {
      return Status::BadInput(fmt::format("{}:{}: frame must be an integer (got \"{}\")", file_name,
                                          line_no, fields[0]));
    }
    if (!ParseInteger(fields[1], row.box.id)) {
      return Status::BadInput(fmt::format("{}:{}: id must be an integer (got \"{}\")", file_name,
                                          line_no, fields[1]));
    }
    double v[5] = {0, 0, 0, 0, 1.0};
    for (std::size_t k = 2; k < std::min<std::size_t>(n, 7); ++k) {
      if (!ParseDouble(fields[k], v[k - 2]) || !std::isfinite(v[k - 2])) {
        return Status::BadInput(fmt::format("{}:{}: {} must be a finite number (got \"{}\")",
                                            file_name, line_no, kNames[k], fields[k]));
      }
    }
    for (int k : {2, 3}) {
      if (v[k] < 0) {
        return Status::BadInput(fmt::format("{}:{}: {} must be >= 0 (got {})", file_name, line_no,
                                            kNames[k + 2], fields[static_cast<std::size_t>(k) + 2]));
      }
    }
    if (is_ground_truth && std::trunc(v[4]) == 0.0) continue;
    row.box.x = v[0];
    row.box.y = v[1];
    row.box.width = v[2];
    row.box.height = v[3];
    rows.push_back(row);
  }

  // An id twice in one frame is a broken file (TrackEval refuses it too).
  std::vector<std::size_t> order(rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return rows[a].frame != rows[b].frame ? rows[a].frame < rows[b].frame
                                          : rows[a].box.id < rows[b].box.id;
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const MotTextRow& a = rows[order[k - 1]];
    const MotTextRow& b = rows[order[k]];
    if (a.frame == b.frame && a.box.id == b.box.id) {
      return Status::BadInput(fmt::format("{}:{}: id {} appears twice in frame {} (first at line {})",
                                          file_name, b.line, b.box.id, b.frame, a.line));
    }
  }
  return rows;
}

TrackingSequence BuildTrackingSequence(std::string name, const std::vector<MotTextRow>& gt,
                                       const std::vector<MotTextRow>& tracker) {
  TrackingSequence seq;
  seq.name = std::move(name);
  std::vector<std::int64_t> frames;
  frames.reserve(gt.size() / 4 + tracker.size() / 4);
  for (const auto* rows : {&gt, &tracker}) {
    for (const MotTextRow& r : *rows) {
      if (frames.empty() || frames.back() != r.frame) frames.push_back(r.frame);
    }
  }
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
  seq.frames.resize(frames.size());
  for (std::size_t k = 0; k < frames.size(); ++k) seq.frames[k].frame = frames[k];
  auto slot = [&](std::int64_t frame) -> quality::TrackingFrame& {
    const auto it = std::lower_bound(frames.begin(), frames.end(), frame);
    return seq.frames[static_cast<std::size_t>(it - frames.begin())];
  };
  // Rows usually come in frame order: remember the last slot to skip most searches.
  for (int side = 0; side < 2; ++side) {
    const std::vector<MotTextRow>& rows = side == 0 ? gt : tracker;
    quality::TrackingFrame* last = nullptr;
    for (const MotTextRow& r : rows) {
      if (last == nullptr || last->frame != r.frame) last = &slot(r.frame);
      (side == 0 ? last->gt : last->tracker).push_back(r.box);
    }
  }
  return seq;
}

Result<TrackingSequence> ReadMotSequence(const std::string& name, const std::string& gt_path,
                                         const std::string& tracker_path) {
  Result<std::string> gt_text = ReadFile(gt_path);
  if (!gt_text.ok()) return gt_text.status();
  Result<std::vector<MotTextRow>> gt = ParseMotText(*gt_text, gt_path, true);
  if (!gt.ok()) return gt.status();
  Result<std::string> tr_text = ReadFile(tracker_path);
  if (!tr_text.ok()) return tr_text.status();
  Result<std::vector<MotTextRow>> tr = ParseMotText(*tr_text, tracker_path, false);
  if (!tr.ok()) return tr.status();
  return BuildTrackingSequence(name, *gt, *tr);
}

Result<std::vector<TrackingSequence>> ReadMotFolders(const std::string& gt_dir,
                                                     const std::string& tracker_dir) {
  std::error_code ec;
  if (!fs::is_directory(gt_dir, ec)) {
    return Status::NotFound(fmt::format("{}: not a folder", gt_dir));
  }
  if (!fs::is_directory(tracker_dir, ec)) {
    return Status::NotFound(fmt::format("{}: not a folder", tracker_dir));
  }
  std::vector<std::pair<std::string, std::string>> found;  // name, gt path
  for (const fs::directory_entry& e : fs::directory_iterator(gt_dir, ec)) {
    if (!e.is_directory(ec)) continue;
    for (const char* rel : {"gt.txt", "gt/gt.txt"}) {
      const fs::path p = e.path() / rel;
      if (fs::is_regular_file(p, ec)) {
        found.emplace_back(e.path().filename().string(), p.string());
        break;
      }
    }
  }
  if (ec) return Status::BadInput(fmt::format("{}: {}", gt_dir, ec.message()));
  if (found.empty()) {
    return Status::NotFound(
        fmt::format("{}: no sequence found (expected <seq>/gt.txt or <seq>/gt/gt.txt)", gt_dir));
  }
  std::sort(found.begin(), found.end());
  std::vector<TrackingSequence> out;
  out.reserve(found.size());
  for (const auto& [name, gt_path] : found) {
    std::string tr_path = (fs::path(tracker_dir) / name / "test.txt").string();
    if (!fs::is_regular_file(tr_path, ec)) {
      const std::string alt = (fs::path(tracker_dir) / (name + ".txt")).string();
      if (!fs::is_regular_file(alt, ec)) {
        return Status::NotFound(fmt::format("{}: no tracker results for sequence {} (looked for {} and {})",
                                            tracker_dir, name, tr_path, alt));
      }
      tr_path = alt;
    }
    Result<TrackingSequence> seq = ReadMotSequence(name, gt_path, tr_path);
    if (!seq.ok()) return seq.status();
    out.push_back(std::move(seq).value());
  }
  return out;
}

}  // namespace gtops::eval
