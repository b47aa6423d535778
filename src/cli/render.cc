#include "cli/render.h"

#include <algorithm>
#include <cstdlib>

namespace gtops::cli {
namespace {

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string Table::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& r : rows_) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const size_t pad = width[c] - std::min(width[c], cell.size());
      const bool right = !header && LooksNumeric(cell);
      if (c) out += "  ";
      if (right) out.append(pad, ' ');
      out += cell;
      if (!right && c + 1 < width.size()) out.append(pad, ' ');
    }
    out += '\n';
  };
  line(header_, true);
  for (const auto& r : rows_) line(r, false);
  return out;
}

std::string RenderCsv(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::string out;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (c) out += ',';
    out += CsvField(columns[c]);
  }
  out += "\r\n";
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) {
      if (c) out += ',';
      if (r[c]) out += CsvField(*r[c]);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace gtops::cli
