// PutItem, GetItem, DeleteItem.
#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

Response PutItem(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  model::Item item = DecodeItem(RequireMember(req, "Item", "item"));
  const std::string return_values = ParseReturnValues(req, false);
  const CapacityMode capacity = ParseCapacityMode(req);
  const bool old_on_failure = ParseReturnOldOnConditionFailure(req);
  RequestExpressions exprs(req);
  auto cond = exprs.Condition("ConditionExpression");
  exprs.CheckAllUsed();
  auto table = LookupTable(ctx.store, name);
  PrimaryKey key = KeyFromItem(*table, item);
  CheckIndexKeys(*table, item);
  CheckItemSize(item);

  std::optional<model::Item> failed_old;
  auto written = WriteItem(ctx, *table, key.pk, key.sk_ptr(),
                           [&](const model::Item* current) -> Result<store::Mutation> {
                             MERIDIAN_RETURN_IF_ERROR(CheckCondition(
                                 cond, current, old_on_failure ? &failed_old : nullptr));
                             return store::Mutation::Put(std::move(item));
                           });
  ThrowWriteError(written.status(), failed_old);
  Response out;
  if (return_values == "ALL_OLD" && written->old_item)
    out["Attributes"] = EncodeItem(*written->old_item);
  AddWriteCapacity(&out, capacity, *table, *written);
  AddItemCollectionMetrics(*ctx.store, req, *table, key.pk, &out);
  return out;
}

store::ItemView ReadForGet(const OpContext& ctx, const store::TableInfo& table,
                           const model::Item& key_map, bool consistent, CapacityMode capacity,
                           Response* out) {
  PrimaryKey key = KeyFromKeyMap(table, key_map);
  auto item = ctx.store->ReadItem(table, key.pk, key.sk_ptr());
  ThrowIfError(item.status());
  AddConsumedCapacity(out, capacity, table.name,
                      ReadConsumed(nullptr, ReadUnits(item->ByteSize(), consistent)));
  return std::move(*item);
}

Response GetItem(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  model::Item key_map = DecodeItem(RequireMember(req, "Key", "key"));
  const bool consistent = OptionalBool(req, "ConsistentRead").value_or(false);
  const CapacityMode capacity = ParseCapacityMode(req);
  RequestExpressions exprs(req);
  auto projection = exprs.Projection("ProjectionExpression");
  exprs.CheckAllUsed();
  auto table = LookupTable(ctx.store, name);
  Response out;
  const store::ItemView item = ReadForGet(ctx, *table, key_map, consistent, capacity, &out);
  if (item.has_value()) {
    AddRawMember(ctx, "Item", [&](JsonWriter& w) {
      // Not w.Item(projection ? Project(..) : *item): the conditional would copy the item.
      if (projection) {
        w.Item(model::expr::Project(*item, *projection));
      } else {
        w.Item(*item);
      }
    });
  }
  return out;
}

Response DeleteItem(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  model::Item key_map = DecodeItem(RequireMember(req, "Key", "key"));
  const std::string return_values = ParseReturnValues(req, false);
  const CapacityMode capacity = ParseCapacityMode(req);
  const bool old_on_failure = ParseReturnOldOnConditionFailure(req);
  RequestExpressions exprs(req);
  auto cond = exprs.Condition("ConditionExpression");
  exprs.CheckAllUsed();
  auto table = LookupTable(ctx.store, name);
  PrimaryKey key = KeyFromKeyMap(*table, key_map);

  std::optional<model::Item> failed_old;
  auto written = WriteItem(ctx, *table, key.pk, key.sk_ptr(),
                           [&](const model::Item* current) -> Result<store::Mutation> {
                             MERIDIAN_RETURN_IF_ERROR(CheckCondition(
                                 cond, current, old_on_failure ? &failed_old : nullptr));
                             return store::Mutation::Delete();
                           });
  ThrowWriteError(written.status(), failed_old);
  Response out;
  if (return_values == "ALL_OLD" && written->old_item)
    out["Attributes"] = EncodeItem(*written->old_item);
  AddWriteCapacity(&out, capacity, *table, *written);
  AddItemCollectionMetrics(*ctx.store, req, *table, key.pk, &out);
  return out;
}

}  // namespace meridian::api
