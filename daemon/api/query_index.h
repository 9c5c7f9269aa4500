// What a Query or Scan reads: the table, or one of its secondary indexes (IndexName), with
// DynamoDB's rules for reading indexes. Private to daemon/api; functions throw ApiError.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "model/attribute_value.h"
#include "store/store.h"

namespace meridian::api {

struct ReadTarget {
  const store::TableInfo* table = nullptr;
  const store::IndexInfo* index = nullptr;  // nullptr: the table itself
  store::KeyAttribute partition_key;        // of the table or the index
  std::optional<store::KeyAttribute> sort_key;
};

// The target of `req` (IndexName or the table) after DynamoDB's checks: unknown index,
// ConsistentRead on a GSI, ALL_ATTRIBUTES on a GSI that does not project everything, a GSI
// still backfilling. Sets *select to ALL_PROJECTED_ATTRIBUTES for an index read that asked
// for neither Select nor ProjectionExpression.
ReadTarget ResolveReadTarget(const boost::json::object& req, const store::Store& store,
                             const store::TableInfo& table, bool consistent, bool projection,
                             std::string* select);

// Throws DynamoDB's ValidationException for an ExclusiveStartKey of the table that is not
// exactly its key (index reads: Store::Range checks the index's key attributes).
void CheckStartKey(const ReadTarget& target, const model::Item& exclusive_start);

// LastEvaluatedKey for `item`: the table's key attributes, plus the index's for an index.
model::Item LastEvaluatedKey(const ReadTarget& target, const model::Item& item);

// The attributes a read of `target` returns of `item` before any ProjectionExpression:
// a GSI returns what it projects; an LSI fetches the rest from the table unless `select`
// is ALL_PROJECTED_ATTRIBUTES or COUNT.
model::Item VisibleItem(const ReadTarget& target, const model::Item& item,
                        const std::string& select);

}  // namespace meridian::api
