// UpdateItem.
#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

void RejectKeyUpdates(const store::TableInfo& table, const model::expr::UpdateNode& update) {
  for (const auto& path : model::expr::UpdatedPaths(update)) {
    const std::string& top = path.front().name;
    if (top == table.partition_key.name || (table.sort_key && top == table.sort_key->name)) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Cannot update attribute " + top +
          ". This attribute is part of the key");
    }
  }
}

}  // namespace

Response UpdateItem(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  model::Item key_map = DecodeItem(RequireMember(req, "Key", "key"));
  const std::string return_values = ParseReturnValues(req, true);
  RequestExpressions exprs(req);
  auto update = exprs.Update("UpdateExpression");
  auto cond = exprs.Condition("ConditionExpression");
  exprs.CheckAllUsed();
  auto table = LookupTable(ctx.store, name);
  PrimaryKey key = KeyFromKeyMap(*table, key_map);
  if (update) RejectKeyUpdates(*table, *update);

  model::Item new_item;
  auto written = WriteItem(
      ctx, *table, key.pk, key.sk_ptr(), [&](const model::Item* current) -> Result<store::Mutation> {
        MERIDIAN_RETURN_IF_ERROR(CheckCondition(cond, current));
        new_item = current ? *current : key_map;
        if (update) {
          MERIDIAN_RETURN_IF_ERROR(model::expr::ApplyUpdate(*update, &new_item));
          // An update that only removes (REMOVE, DELETE from sets) does not create an item.
          if (!current && new_item == key_map) {
            new_item.clear();
            return store::Mutation{};
          }
        }
        if (model::ItemByteSize(new_item) > kMaxItemBytes) {
          return Status::InvalidArgument("Item size to update has exceeded the maximum allowed size");
        }
        return store::Mutation{store::Mutation::Kind::kPut, new_item};
      });
  ThrowIfError(written.status());

  Response out;
  const std::optional<model::Item>& old_item = written->old_item;
  if (return_values == "ALL_OLD") {
    if (old_item) out["Attributes"] = EncodeItem(*old_item);
  } else if (return_values == "ALL_NEW") {
    if (!new_item.empty()) out["Attributes"] = EncodeItem(new_item);
  } else if (return_values == "UPDATED_OLD" || return_values == "UPDATED_NEW") {
    std::vector<model::expr::Path> paths;
    if (update) paths = model::expr::UpdatedPaths(*update);
    const model::Item* source = return_values == "UPDATED_NEW" ? &new_item
                                : old_item                     ? &*old_item
                                                               : nullptr;
    if (source && !paths.empty()) {
      model::Item projected = model::expr::Project(*source, paths);
      if (!projected.empty()) out["Attributes"] = EncodeItem(projected);
    }
  }
  return out;
}

}  // namespace meridian::api
