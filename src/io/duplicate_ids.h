// Duplicate object ids within a record, for ingest's parser and the importer's direct validation
// (interop/record_check.cc), which must agree on the decision and on the id a message names.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "io/record_parser.h"

namespace gtops {

// Its tables are reused from record to record.
class DuplicateIds {
 public:
  // Whether `ids` holds an id twice: a flat hash table of indexes.
  bool Any(const std::vector<std::string_view>& ids) {
    if (ids.size() < 2) return false;
    size_t size = 16;
    while (size < 2 * ids.size()) size *= 2;
    table_.assign(size, 0);
    for (size_t x = 0; x < ids.size(); ++x) {
      size_t slot = HashBytes(ids[x]) & (size - 1);
      while (table_[slot] != 0) {
        if (ids[table_[slot] - 1] == ids[x]) return true;
        slot = (slot + 1) & (size - 1);
      }
      table_[slot] = static_cast<uint32_t>(x + 1);
    }
    return false;
  }

  // The duplicate id a message names: the first one found in hash order ("" when there is none).
  std::string_view First(const std::vector<std::string_view>& ids) {
    hashes_.clear();
    for (size_t x = 0; x < ids.size(); ++x) hashes_.emplace_back(HashBytes(ids[x]), x);
    std::sort(hashes_.begin(), hashes_.end());
    for (size_t x = 1; x < hashes_.size(); ++x) {
      for (size_t y = x; y > 0 && hashes_[y - 1].first == hashes_[x].first; --y) {
        if (ids[hashes_[y - 1].second] == ids[hashes_[x].second]) return ids[hashes_[x].second];
      }
    }
    return {};
  }

 private:
  std::vector<uint32_t> table_;
  std::vector<std::pair<uint64_t, size_t>> hashes_;
};

}  // namespace gtops
