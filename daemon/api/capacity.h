// ReturnConsumedCapacity: DynamoDB's capacity-unit arithmetic and the ConsumedCapacity
// shapes it returns. Private to daemon/api; functions throw ApiError.
//
// Reads: ceil(bytes / 4 KB) units, at least 1, halved when eventually consistent. GetItem
// and BatchGetItem charge every requested key that way; Query and Scan charge the sum of
// the sizes of the items they read, rounded up once per request. Writes: ceil(bytes / 1 KB),
// at least 1, of the larger of the old and the new item. A write also costs each
// secondary index it changes (DynamoDB's rules, see WriteConsumed).
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "daemon/api/api.h"
#include "daemon/api/capacity_limiter.h"

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

// Units one operation consumed on a table and on its indexes.
struct Consumed {
  double table = 0;
  std::map<std::string, double> global_indexes;  // by index name; only indexes touched
  std::map<std::string, double> local_indexes;

  double Total() const;
  void Add(const Consumed& other);
};

// A read of `units` from the table, or from `index` when not null.
Consumed ReadConsumed(const store::IndexInfo* index, double units);

// What a write that went from written.old_item to written.new_item costs: the table's
// units, plus for every index the item was or is in: one write of the entry added or
// removed, two when the index key changed (remove the old entry, add the new one), one when
// only projected attributes changed, none when the entry stays as it was.
Consumed WriteConsumed(const store::TableInfo& table, const store::WriteResult& written);

// {"TableName", "CapacityUnits": total} plus, for kIndexes, {"Table": {"CapacityUnits"}} and
// the "GlobalSecondaryIndexes" / "LocalSecondaryIndexes" maps of the indexes touched.
// `units_member` ("ReadCapacityUnits" / "WriteCapacityUnits", as transactions report them)
// repeats each CapacityUnits figure under that name. REQUIRES: mode != kNone.
boost::json::object ConsumedCapacity(CapacityMode mode, const std::string& table,
                                     const Consumed& consumed, const char* units_member = nullptr);
// What a read consumed: recorded for metrics (RecordUsage), and out["ConsumedCapacity"]
// unless mode is kNone.
void AddConsumedCapacity(boost::json::object* out, CapacityMode mode, const std::string& table,
                         const Consumed& consumed);
// The same for a write, with WriteConsumed(table, written).
void AddWriteCapacity(boost::json::object* out, CapacityMode mode, const store::TableInfo& table,
                      const store::WriteResult& written);

// The units the request being handled on this thread consumed, per table, whether or not
// it asked for ReturnConsumedCapacity: Api::Handle takes them for the metrics.
void RecordUsage(const std::string& table, double read_units, double write_units);
std::vector<TableUsage> TakeUsage();
// RecordUsage of consumed.Total(), and the parts the throughput limits charge (the table
// with its local indexes, each global index on its own): TakeCharges returns them.
void RecordConsumed(const std::string& table, const Consumed& consumed, bool write);
std::vector<CapacityCharge> TakeCharges();

// ReturnItemCollectionMetrics = SIZE of `req`.
bool WantsItemCollectionMetrics(const boost::json::object& req);
// {"ItemCollectionKey": {pk}, "SizeEstimateRangeGB": [lo, hi]} for the item collection of
// `pk` (the items of that partition key and their local index entries), or null when the
// table has no local secondary index (DynamoDB returns metrics only for those).
boost::json::value ItemCollectionMetrics(const store::Store& store, const store::TableInfo& table,
                                         const model::AttributeValue& pk);
// Sets out["ItemCollectionMetrics"] when `req` asks for SIZE and the table has an LSI.
void AddItemCollectionMetrics(const store::Store& store, const boost::json::object& req,
                              const store::TableInfo& table, const model::AttributeValue& pk,
                              boost::json::object* out);

}  // namespace meridian::api
