// Plain-text tables for the human output: left-aligned columns, two spaces apart.
#pragma once

#include <string>
#include <vector>

namespace meridian::ctl {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // The header and rows, one line each ("\n"-terminated); trailing blanks trimmed.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace meridian::ctl
