#include "daemon/api/query_index.h"

#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/item_request.h"
#include "daemon/api/request.h"
#include "store/index_codec.h"

namespace meridian::api {

ReadTarget ResolveReadTarget(const boost::json::object& req, const store::Store& store,
                             const store::TableInfo& table, bool consistent, bool projection,
                             std::string* select) {
  ReadTarget target;
  target.table = &table;
  auto name = OptionalString(req, "IndexName");
  if (!name) {
    if (*select == "ALL_PROJECTED_ATTRIBUTES") {
      throw ApiError::Validation(
          "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName");
    }
    target.partition_key = table.partition_key;
    target.sort_key = table.sort_key;
    AdmitRead(table, nullptr);
    return target;
  }
  const store::IndexInfo* index = table.FindIndex(*name);
  if (!index) throw ApiError::Validation("The table does not have the specified index: " + *name);
  if (!index->local && consistent) {
    throw ApiError::Validation("Consistent reads are not supported on global secondary indexes");
  }
  if (!Member(req, "Select") && !projection) *select = "ALL_PROJECTED_ATTRIBUTES";
  if (!index->local && *select == "ALL_ATTRIBUTES" &&
      index->projection_type != store::ProjectionType::kAll) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        "supported for global secondary index " +
        index->name + " because its projection type is not ALL");
  }
  if (!index->local && store.IndexBackfilling(index->index_id)) {
    throw ApiError::Validation("Cannot read from backfilling global secondary index: " +
                               index->name);
  }
  target.index = index;
  target.partition_key = index->partition_key;
  target.sort_key = index->sort_key;
  AdmitRead(table, index);
  return target;
}

void CheckStartKey(const ReadTarget& target, const model::Item& exclusive_start) {
  if (!target.index) KeyFromKeyMap(*target.table, exclusive_start);
}

model::Item LastEvaluatedKey(const ReadTarget& target, const model::Item& item) {
  model::Item key = KeyAttributesOf(*target.table, item);
  if (target.index) {
    auto copy = [&](const store::KeyAttribute& k) {
      if (auto it = item.find(k.name); it != item.end()) key.emplace(k.name, it->second);
    };
    copy(target.index->partition_key);
    if (target.index->sort_key) copy(*target.index->sort_key);
  }
  return key;
}

model::Item VisibleItem(const ReadTarget& target, const model::Item& item,
                        const std::string& select) {
  if (!target.index) return item;
  if (target.index->local && select != "ALL_PROJECTED_ATTRIBUTES" && select != "COUNT") return item;
  return store::ProjectForIndex(*target.table, *target.index, item);
}

}  // namespace meridian::api
