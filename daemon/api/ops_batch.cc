// BatchGetItem and BatchWriteItem: up to 100 keys / 25 put-or-delete requests over several
// tables, validated as a whole before anything is read or written. Items are read and
// written one by one through the same paths as GetItem/PutItem/DeleteItem (not atomically,
// as in DynamoDB); a BatchGetItem answer stops at 16 MB and returns the rest as
// UnprocessedKeys.
#include <boost/json.hpp>

#include <set>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity.h"
#include "daemon/api/item_request.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "model/key_codec.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxBatchWriteRequests = 25;
// DynamoDB's 16 MB BatchGetItem response limit counts decimal megabytes.
constexpr size_t kMaxBatchGetResponseBytes = 16'000'000;

const json::object& RequireRequestItems(const Request& req) {
  const json::value* items = Member(req, "RequestItems");
  ConstraintErrors errors;
  if (!items) {
    errors.Add("null", "requestItems", "Member must not be null");
  } else if (ExpectObject(*items, "RequestItems").empty()) {
    errors.Add("'{}'", "requestItems", "Member must have length greater than or equal to 1");
  }
  errors.ThrowIfAny();
  return items->get_object();
}

void ThrowDuplicates() {
  throw ApiError::Validation("Provided list of item keys contains duplicates");
}

// One table of a BatchGetItem request.
struct TableRead {
  std::string name;
  const json::object* spec = nullptr;  // the KeysAndAttributes
  std::vector<const json::value*> key_json;
  std::vector<model::Item> key_maps;
  bool consistent = false;
  std::optional<std::vector<model::expr::Path>> projection;
  std::shared_ptr<const store::TableInfo> table;
};

std::vector<TableRead> ParseBatchGet(const json::object& request_items) {
  std::vector<TableRead> reads;
  size_t total = 0;
  for (const auto& kv : request_items) {
    TableRead r;
    r.name = std::string(kv.key());
    r.spec = &ExpectObject(kv.value(), "KeysAndAttributes");
    const json::value& keys =
        RequireMember(*r.spec, "Keys", ("requestItems." + r.name + ".member.keys").c_str());
    const json::array& list = ExpectArray(keys, "Keys");
    if (list.empty()) {
      ConstraintErrors errors;
      errors.Add("'[]'", "requestItems." + r.name + ".member.keys",
                 "Member must have length greater than or equal to 1");
      errors.ThrowIfAny();
    }
    total += list.size();
    if (total > kMaxBatchGetKeys) {
      throw ApiError::Validation("Too many items requested for the BatchGetItem call");
    }
    r.consistent = OptionalBool(*r.spec, "ConsistentRead").value_or(false);
    RequestExpressions exprs(*r.spec);
    r.projection = exprs.Projection("ProjectionExpression");
    exprs.CheckAllUsed();
    std::set<std::string> seen;
    for (const auto& k : list) {
      r.key_json.push_back(&k);
      r.key_maps.push_back(DecodeItem(k));
      if (!seen.insert(json::serialize(EncodeItem(r.key_maps.back()))).second) ThrowDuplicates();
    }
    reads.push_back(std::move(r));
  }
  return reads;
}

// The unread keys of a table, with the table's read options, as UnprocessedKeys shows them.
json::object Unprocessed(const TableRead& r, size_t from) {
  json::object out;
  for (const auto& kv : *r.spec) {
    if (kv.key() != "Keys") out[kv.key()] = kv.value();
  }
  json::array keys;
  for (size_t i = from; i < r.key_json.size(); ++i) keys.push_back(*r.key_json[i]);
  out["Keys"] = std::move(keys);
  return out;
}

}  // namespace

Response BatchGetItem(const OpContext& ctx, const Request& req) {
  const json::object& request_items = RequireRequestItems(req);
  const CapacityMode capacity = ParseCapacityMode(req);
  std::vector<TableRead> reads = ParseBatchGet(request_items);
  std::vector<std::vector<PrimaryKey>> keys;
  for (auto& r : reads) {
    r.table = LookupTable(ctx.store, r.name);
    keys.emplace_back();
    for (const auto& key_map : r.key_maps) keys.back().push_back(KeyFromKeyMap(*r.table, key_map));
  }

  json::object responses, unprocessed;
  json::array consumed;
  size_t bytes = 0;
  bool full = false;
  for (size_t t = 0; t < reads.size(); ++t) {
    const TableRead& r = reads[t];
    json::array items;
    double units = 0;
    for (size_t i = 0; i < keys[t].size(); ++i) {
      auto item = full ? Result<store::ItemView>(store::ItemView())
                       : ctx.store->ReadItem(*r.table, keys[t][i].pk, keys[t][i].sk_ptr());
      ThrowIfError(item.status());
      const size_t size = item->ByteSize();
      if (full || bytes + size > kMaxBatchGetResponseBytes) {
        full = true;
        unprocessed[r.name] = Unprocessed(r, i);
        break;
      }
      bytes += size;
      units += ReadUnits(size, r.consistent);
      if (item->has_value()) {
        items.push_back(r.projection ? EncodeItem(model::expr::Project(**item, *r.projection))
                                     : EncodeItem(**item));
      }
    }
    responses[r.name] = std::move(items);
    RecordConsumed(r.name, ReadConsumed(nullptr, units), false);
    if (capacity != CapacityMode::kNone)
      consumed.push_back(ConsumedCapacity(capacity, r.name, ReadConsumed(nullptr, units)));
  }
  Response out;
  out["Responses"] = std::move(responses);
  out["UnprocessedKeys"] = std::move(unprocessed);
  if (capacity != CapacityMode::kNone) out["ConsumedCapacity"] = std::move(consumed);
  return out;
}

namespace {

// One put or delete of a BatchWriteItem request, validated.
struct WriteOp {
  std::shared_ptr<const store::TableInfo> table;
  PrimaryKey key;
  std::optional<model::Item> put;  // absent: delete
};

// The Java-style rendering DynamoDB shows of a RequestItems map in constraint errors.
std::string RequestItemsRepr(const json::object& request_items) {
  std::string out = "{";
  for (const auto& kv : request_items) {
    if (out.size() > 1) out += ", ";
    out += std::string(kv.key()) + "=[";
    const json::array* list = kv.value().if_array();
    for (size_t i = 0; list && i < list->size(); ++i) {
      out += (i ? ", " : "") + std::string("com.amazonaws.dynamodb.v20120810.WriteRequest");
    }
    out += "]";
  }
  return out + "}";
}

std::vector<WriteOp> ParseBatchWrite(const OpContext& ctx, const json::object& request_items) {
  size_t total = 0;
  for (const auto& kv : request_items) {
    const size_t n = ExpectArray(kv.value(), "WriteRequests").size();
    if (n < 1 || n > kMaxBatchWriteRequests) {
      ConstraintErrors errors;
      errors.Add("'" + RequestItemsRepr(request_items) + "'", "requestItems",
                 "Map value must satisfy constraint: [Member must have length less than or equal "
                 "to 25, Member must have length greater than or equal to 1]");
      errors.ThrowIfAny();
    }
    total += n;
  }
  if (total > kMaxBatchWriteRequests) {
    throw ApiError::Validation("Too many items requested for the BatchWriteItem call");
  }
  std::vector<WriteOp> ops;
  for (const auto& kv : request_items) {
    const std::string name(kv.key());
    auto table = LookupTable(ctx.store, name);
    std::set<std::string> seen;
    for (const auto& w : kv.value().get_array()) {
      const json::object& request = ExpectObject(w, "WriteRequest");
      const json::value* put = Member(request, "PutRequest");
      const json::value* del = Member(request, "DeleteRequest");
      if ((put == nullptr) == (del == nullptr)) {
        throw ApiError::Validation(
            "One or more parameter values are not valid. A WriteRequest must contain exactly one "
            "of PutRequest or DeleteRequest");
      }
      WriteOp op{table, {}, std::nullopt};
      const std::string path =
          "requestItems." + name + ".member." + (put ? "putRequest" : "deleteRequest");
      if (put) {
        op.put = DecodeItem(
            RequireMember(ExpectObject(*put, "PutRequest"), "Item", (path + ".item").c_str()));
        op.key = KeyFromItem(*table, *op.put);
        CheckIndexKeys(*table, *op.put);
        CheckItemSize(*op.put);
      } else {
        model::Item key_map = DecodeItem(
            RequireMember(ExpectObject(*del, "DeleteRequest"), "Key", (path + ".key").c_str()));
        op.key = KeyFromKeyMap(*table, key_map);
      }
      if (!seen.insert(model::ItemKey(table->table_id, op.key.pk, op.key.sk_ptr())).second)
        ThrowDuplicates();
      ops.push_back(std::move(op));
    }
  }
  return ops;
}

}  // namespace

Response BatchWriteItem(const OpContext& ctx, const Request& req) {
  const json::object& request_items = RequireRequestItems(req);
  const CapacityMode capacity = ParseCapacityMode(req);
  std::vector<WriteOp> ops = ParseBatchWrite(ctx, request_items);

  std::vector<std::pair<std::string, Consumed>> units;  // per table, in request order
  // ReturnItemCollectionMetrics: one entry per item collection written, per table with LSIs.
  const bool metrics = WantsItemCollectionMetrics(req);
  json::object collections;
  std::set<std::string> collections_seen;
  for (auto& op : ops) {
    auto written = WriteItem(ctx, *op.table, op.key.pk, op.key.sk_ptr(),
                             [&](const model::Item*) -> Result<store::Mutation> {
                               if (op.put) return store::Mutation::Put(std::move(*op.put));
                               return store::Mutation::Delete();
                             });
    ThrowIfError(written.status());
    if (units.empty() || units.back().first != op.table->name)
      units.emplace_back(op.table->name, Consumed{});
    units.back().second.Add(WriteConsumed(*op.table, *written));
    if (metrics &&
        collections_seen.insert(model::PartitionPrefix(op.table->table_id, op.key.pk)).second) {
      json::value m = ItemCollectionMetrics(*ctx.store, *op.table, op.key.pk);
      if (!m.is_null()) {
        json::value& list = collections[op.table->name];
        if (!list.is_array()) list = json::array();
        list.as_array().push_back(std::move(m));
      }
    }
  }
  Response out;
  out["UnprocessedItems"] = json::object();
  for (const auto& [table, n] : units) RecordConsumed(table, n, true);
  if (capacity != CapacityMode::kNone) {
    json::array consumed;
    for (const auto& [table, n] : units) consumed.push_back(ConsumedCapacity(capacity, table, n));
    out["ConsumedCapacity"] = std::move(consumed);
  }
  if (!collections.empty()) out["ItemCollectionMetrics"] = std::move(collections);
  return out;
}

}  // namespace meridian::api
