// A range of a table or of one of its secondary indexes in DynamoDB's terms (a Query's key
// condition, a Scan segment, ExclusiveStartKey, direction), for Store::Range. How those map
// onto RocksDB keys is store/'s business (store_range.cc); callers never build keys.
#pragma once

#include <cstdint>
#include <optional>

#include "model/attribute_value.h"
#include "store/table_info.h"

namespace meridian::store {

// The sort-key half of a KeyConditionExpression, on the sort key of what is read.
struct SortKeyCondition {
  enum class Op { kEq, kLt, kLe, kGt, kGe, kBeginsWith, kBetween };
  Op op = Op::kEq;
  model::AttributeValue value;
  model::AttributeValue upper;  // kBetween: the upper bound (value is the lower one)
};

struct RangeQuery {
  const IndexInfo* index = nullptr;  // an index of the table read, or nullptr: the table
  // Query: the partition (the partition key value of the table or index). Absent: a Scan.
  std::optional<model::AttributeValue> partition;
  std::optional<SortKeyCondition> sort;  // Query only
  // Scan only: segment `segment` of `total_segments` equal ranges of partition hashes.
  uint32_t segment = 0;
  uint32_t total_segments = 1;
  bool reverse = false;  // descending key order (ScanIndexForward = false)
  // Resume after this key: the table's key attributes, plus the index's when reading one.
  std::optional<model::Item> exclusive_start;
};

// Does partition key value `pk` fall in Scan segment `segment` of `total` (by its partition
// hash)? REQUIRES: segment < total.
bool InScanSegment(const model::AttributeValue& pk, uint32_t segment, uint32_t total);

}  // namespace meridian::store
