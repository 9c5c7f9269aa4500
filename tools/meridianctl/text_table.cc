#include "tools/meridianctl/text_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace meridian::ctl {

std::string TextTable::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&width](const std::vector<std::string>& row) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) l += "  ";
      l += fmt::format("{:<{}}", row[i], width[i]);
    }
    l.erase(l.find_last_not_of(' ') + 1);
    out += l;
    out += '\n';
  };
  line(header_);
  for (const auto& row : rows_) line(row);
  return out;
}

}  // namespace meridian::ctl
