// UpdateItem.
#include <boost/json.hpp>

#include "conflict/local_write.h"
#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "store/store.h"

#include <map>

namespace meridian::api {
namespace json = boost::json;

namespace {}  // namespace

void RejectKeyUpdates(const store::TableInfo& table, const model::expr::UpdateNode& update) {
  for (const auto& path : model::expr::UpdatedPaths(update)) {
    const std::string& top = path.front().name;
    if (top == table.partition_key.name || (table.sort_key && top == table.sort_key->name)) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Cannot update attribute " + top +
          ". This attribute is part of the key");
    }
    if (path.size() == 1) continue;
    // An index key is a scalar: a nested path into it can never be valid.
    for (const store::IndexInfo& index : table.indexes) {
      if (top == index.partition_key.name || (index.sort_key && top == index.sort_key->name)) {
        throw ApiError::Validation(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
            "allowed: IndexKey: " +
            top);
      }
    }
  }
}

namespace {

// The update as per-top-level-attribute operations (for `merge` tables): a lone top-level
// ADD/DELETE/REMOVE keeps its meaning (counter increment, set add/remove, remove); anything
// else on an attribute (SET, nested paths) writes the attribute's whole new value.
std::vector<conflict::AttributeOp> DeriveOps(const model::expr::UpdateNode& update,
                                             const model::Item& after) {
  using Kind = model::expr::UpdateActionInfo::Kind;
  std::map<std::string, std::vector<model::expr::UpdateActionInfo>> by_name;
  for (auto& action : model::expr::DescribeUpdate(update)) {
    by_name[action.path.front().name].push_back(std::move(action));
  }
  std::vector<conflict::AttributeOp> ops;
  for (auto& [name, actions] : by_name) {
    const auto& a = actions.front();
    const bool lone_top_level = actions.size() == 1 && a.path.size() == 1;
    if (lone_top_level && a.kind == Kind::kAdd && a.operand.type() == model::AttrType::kN) {
      ops.push_back(conflict::AttributeOp::CounterAdd(name, a.operand.n()));
    } else if (lone_top_level && a.kind == Kind::kAdd) {
      ops.push_back(conflict::AttributeOp::SetAdd(name, a.operand));
    } else if (lone_top_level && a.kind == Kind::kDelete) {
      ops.push_back(conflict::AttributeOp::SetRemove(name, a.operand));
    } else if (auto it = after.find(name); it != after.end()) {
      ops.push_back(conflict::AttributeOp::Set(name, it->second));
    } else {
      ops.push_back(conflict::AttributeOp::Remove(name));
    }
  }
  return ops;
}

}  // namespace

Result<store::Mutation> UpdateMutation(const store::TableInfo& table,
                                       const model::expr::Condition& cond,
                                       const model::expr::Update& update,
                                       const model::Item& key_map, const model::Item* current,
                                       std::optional<model::Item>* old_on_failure,
                                       model::Item* new_item) {
  MERIDIAN_RETURN_IF_ERROR(CheckCondition(cond, current, old_on_failure));
  if (update) {
    auto updated = model::expr::ApplyUpdate(*update, current ? *current : key_map);
    if (!updated.ok()) return updated.status();
    *new_item = std::move(updated).value();
    // An update that only removes (REMOVE, DELETE from sets) does not create an item.
    if (!current && *new_item == key_map) {
      new_item->clear();
      return store::Mutation{};
    }
  } else {
    *new_item = current ? *current : key_map;
  }
  if (auto problem = IndexKeyProblem(table, *new_item)) {
    return Status::InvalidArgument(*problem);
  }
  if (model::ItemByteSize(*new_item) > kMaxItemBytes) {
    return Status::InvalidArgument("Item size to update has exceeded the maximum allowed size");
  }
  // Only `merge` tables apply the ops; an `lww` table stores the whole new item.
  auto ops = update && table.conflict_policy == conflict::ConflictPolicy::kMerge
                 ? DeriveOps(*update, *new_item)
                 : std::vector<conflict::AttributeOp>{};
  // The item goes to the store (which hands back what it stored): *new_item is left empty.
  return store::Mutation::Update(std::move(*new_item), std::move(ops), key_map);
}

Response UpdateItem(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  model::Item key_map = DecodeItem(RequireMember(req, "Key", "key"));
  const std::string return_values = ParseReturnValues(req, true);
  const CapacityMode capacity = ParseCapacityMode(req);
  const bool old_on_failure = ParseReturnOldOnConditionFailure(req);
  RequestExpressions exprs(req);
  auto update = exprs.Update("UpdateExpression");
  auto cond = exprs.Condition("ConditionExpression");
  exprs.CheckAllUsed();
  auto table = LookupTable(ctx.store, name);
  PrimaryKey key = KeyFromKeyMap(*table, key_map);
  if (update) RejectKeyUpdates(*table, *update);

  model::Item new_item;
  std::optional<model::Item> failed_old;
  auto written =
      WriteItem(ctx, *table, key.pk, key.sk_ptr(),
                [&](const model::Item* current) -> Result<store::Mutation> {
                  return UpdateMutation(*table, cond, update, key_map, current,
                                        old_on_failure ? &failed_old : nullptr, &new_item);
                });
  ThrowWriteError(written.status(), failed_old);

  // What the store built (under `merge`, the materialized CRDT state) is what is stored.
  static const model::Item kNoItem;
  const model::Item& after =
      written->seq == 0 ? new_item : (written->new_item ? *written->new_item : kNoItem);
  Response out;
  const store::ItemView& old_item = written->old_item;
  if (return_values == "ALL_OLD") {
    if (old_item) out["Attributes"] = EncodeItem(*old_item);
  } else if (return_values == "ALL_NEW") {
    if (!after.empty()) out["Attributes"] = EncodeItem(after);
  } else if (return_values == "UPDATED_OLD" || return_values == "UPDATED_NEW") {
    std::vector<model::expr::Path> paths;
    if (update) paths = model::expr::UpdatedPaths(*update);
    const model::Item* source = return_values == "UPDATED_NEW" ? &after
                                : old_item                     ? &*old_item
                                                               : nullptr;
    if (source && !paths.empty()) {
      model::Item projected = model::expr::Project(*source, paths);
      if (!projected.empty()) out["Attributes"] = EncodeItem(projected);
    }
  }
  AddWriteCapacity(&out, capacity, *table, *written);
  AddItemCollectionMetrics(*ctx.store, req, *table, key.pk, &out);
  return out;
}

}  // namespace meridian::api
