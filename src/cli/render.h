// Text rendering for the terminal: aligned tables and CSV.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gtops::cli {

// A table of text cells; numbers (cells that parse as one) are right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// RFC 4180 CSV: a header line, then one line per row; NULL is an empty field.
std::string RenderCsv(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::optional<std::string>>>& rows);

}  // namespace gtops::cli
