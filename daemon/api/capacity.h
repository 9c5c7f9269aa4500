// ReturnConsumedCapacity: DynamoDB's capacity-unit arithmetic and the ConsumedCapacity
// shapes it returns. Private to daemon/api; functions throw ApiError.
//
// Reads: ceil(bytes / 4 KB) units, at least 1, halved when eventually consistent. GetItem
// and BatchGetItem charge every requested key that way; Query and Scan charge the sum of
// the sizes of the items they read, rounded up once per request. Writes: ceil(bytes / 1 KB),
// at least 1, of the larger of the old and the new item.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <string>

#include "store/store.h"

namespace meridian::api {

enum class CapacityMode { kNone, kTotal, kIndexes };

// ReturnConsumedCapacity (NONE | TOTAL | INDEXES) of `req`; also checks
// ReturnItemCollectionMetrics (NONE | SIZE), which is accepted: DynamoDB returns
// ItemCollectionMetrics only for tables with local secondary indexes.
CapacityMode ParseCapacityMode(const boost::json::object& req);

double ReadUnits(size_t bytes, bool consistent_read);
double WriteUnits(size_t bytes);
// The bytes a write is charged for: the larger of the item before and after it.
size_t WrittenBytes(const store::WriteResult& written);

// {"TableName", "CapacityUnits"} plus, for kIndexes, {"Table": {"CapacityUnits"}}.
// REQUIRES: mode != kNone.
boost::json::object ConsumedCapacity(CapacityMode mode, const std::string& table, double units);
// Sets out["ConsumedCapacity"] unless mode is kNone.
void AddConsumedCapacity(boost::json::object* out, CapacityMode mode, const std::string& table,
                         double units);

}  // namespace meridian::api
