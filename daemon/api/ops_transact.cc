// TransactWriteItems and TransactGetItems: parse and check every action as DynamoDB does,
// then hand the whole transaction to Store::Transact (all or nothing, one commit group,
// replicated as one unit) or read every item at one snapshot (Store::GetItemsAtSnapshot).
#include <xxhash.h>

#include <algorithm>
#include <boost/container/small_vector.hpp>
#include <boost/json.hpp>
#include <cstdio>
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

constexpr size_t kMaxTransactItems = 100;
constexpr size_t kMaxTransactBytes = size_t{4} << 20;

struct WriteAction {
  enum class Kind { kConditionCheck, kPut, kDelete, kUpdate };
  Kind kind = Kind::kPut;
  std::shared_ptr<const store::TableInfo> table;
  PrimaryKey key;
  model::Item item;  // kPut: the item; otherwise the Key map
  model::expr::Condition condition;
  model::expr::Update update;
  bool old_on_failure = false;
  std::optional<model::Item> failed_old;  // the item, when its condition failed (ALL_OLD)
  model::Item new_item;                   // kUpdate: the item as updated
  // A key DynamoDB accepts into the transaction but that cannot name an item of the table
  // (a key attribute of the wrong type): the transaction is cancelled with this message as
  // the action's ValidationError.
  std::optional<std::string> invalid;
};

// The key of an action, or the ValidationError message that cancels the transaction when
// the key does not fit the table. Other key errors (missing attributes, empty values) fail
// the whole request, as in DynamoDB.
template <typename KeyFn>
std::optional<std::string> KeyOrReason(KeyFn key_fn, PrimaryKey* key) {
  try {
    *key = key_fn();
    return std::nullopt;
  } catch (const ApiError& e) {
    if (e.message.find("Type mismatch for key") != std::string::npos ||
        e.message == "The provided key element does not match the schema") {
      return e.message;
    }
    throw;
  }
}

const char* MemberName(WriteAction::Kind kind) {
  switch (kind) {
    case WriteAction::Kind::kConditionCheck: return "ConditionCheck";
    case WriteAction::Kind::kPut: return "Put";
    case WriteAction::Kind::kDelete: return "Delete";
    case WriteAction::Kind::kUpdate: return "Update";
  }
  return "Put";
}

// The TransactItems list: present, 1 to 100 entries. DynamoDB shows a list that is too long
// as Java prints it ("[com.amazonaws.dynamodb.v20120810.TransactWriteItem@5f0b3b2a, ...]").
const json::array& TransactItems(const Request& req, const char* element_class) {
  const json::value* items = Member(req, "TransactItems");
  ConstraintErrors errors;
  if (!items) {
    errors.Add("null", "transactItems", "Member must not be null");
    errors.ThrowIfAny();
  }
  const json::array& list = ExpectArray(*items, "TransactItems");
  if (list.empty()) {
    errors.Add("'[]'", "transactItems", "Member must have length greater than or equal to 1");
  } else if (list.size() > kMaxTransactItems) {
    std::string shown = "[";
    for (size_t i = 0; i < list.size(); ++i) {
      char hash[16];
      std::snprintf(hash, sizeof hash, "%08x", static_cast<unsigned>(0x5f0b3b2a + 7919 * i));
      shown += (i ? ", " : "") + std::string("com.amazonaws.dynamodb.v20120810.") + element_class +
               "@" + hash;
    }
    errors.Add("'" + shown + "]'", "transactItems",
               "Member must have length less than or equal to 100");
  }
  errors.ThrowIfAny();
  return list;
}

// One TransactWriteItems entry, checked as the single-item operation it names is.
WriteAction ParseWriteAction(const OpContext& ctx, const json::value& entry, size_t index) {
  const json::object& wrapper = ExpectObject(entry, "TransactWriteItem");
  WriteAction action;
  const json::object* op = nullptr;
  int ops = 0;
  for (auto kind : {WriteAction::Kind::kConditionCheck, WriteAction::Kind::kPut,
                    WriteAction::Kind::kDelete, WriteAction::Kind::kUpdate}) {
    if (const json::value* v = Member(wrapper, MemberName(kind))) {
      ++ops;
      action.kind = kind;
      op = &ExpectObject(*v, MemberName(kind));
    }
  }
  if (ops != 1) {
    throw ApiError::Validation(
        "TransactItems can only contain one of Check, Put, Update or Delete");
  }
  CheckRequestShape(*op);
  const std::string path = "transactItems." + std::to_string(index + 1) + ".member." + [&] {
    std::string m = MemberName(action.kind);
    m[0] = static_cast<char>(std::tolower(m[0]));
    return m;
  }();
  auto name = OptionalString(*op, "TableName");
  ConstraintErrors errors;
  errors.TableName(name, path + ".tableName");
  const char* key_member = action.kind == WriteAction::Kind::kPut ? "Item" : "Key";
  errors.NotNull(*op, key_member,
                 path + (action.kind == WriteAction::Kind::kPut ? ".item" : ".key"));
  if (action.kind == WriteAction::Kind::kUpdate) {
    errors.NotNull(*op, "UpdateExpression", path + ".updateExpression");
  }
  if (action.kind == WriteAction::Kind::kConditionCheck) {
    errors.NotNull(*op, "ConditionExpression", path + ".conditionExpression");
  }
  errors.ThrowIfAny();
  action.item = DecodeItem(*Member(*op, key_member));
  action.old_on_failure = ParseReturnOldOnConditionFailure(*op);
  RequestExpressions exprs(*op);
  if (action.kind == WriteAction::Kind::kUpdate) action.update = exprs.Update("UpdateExpression");
  action.condition = exprs.Condition("ConditionExpression");
  exprs.CheckAllUsed();
  action.table = LookupTable(ctx.store, *name);
  if (action.kind == WriteAction::Kind::kPut) {
    action.invalid =
        KeyOrReason([&] { return KeyFromItem(*action.table, action.item); }, &action.key);
    if (!action.invalid) action.invalid = IndexKeyProblem(*action.table, action.item);
    CheckItemSize(action.item);
  } else {
    action.invalid =
        KeyOrReason([&] { return KeyFromKeyMap(*action.table, action.item); }, &action.key);
  }
  if (action.update) RejectKeyUpdates(*action.table, *action.update);
  return action;
}

// What the action does to the item, given its current state (Store::Transact calls it under
// the item's lock).
Result<store::Mutation> Decide(WriteAction& a, const model::Item* current) {
  std::optional<model::Item>* failed_old = a.old_on_failure ? &a.failed_old : nullptr;
  switch (a.kind) {
    case WriteAction::Kind::kConditionCheck:
      MERIDIAN_RETURN_IF_ERROR(CheckCondition(a.condition, current, failed_old));
      return store::Mutation{};
    case WriteAction::Kind::kPut:
      MERIDIAN_RETURN_IF_ERROR(CheckCondition(a.condition, current, failed_old));
      return store::Mutation::Put(std::move(a.item));  // Store::Transact calls this once
    case WriteAction::Kind::kDelete:
      MERIDIAN_RETURN_IF_ERROR(CheckCondition(a.condition, current, failed_old));
      return store::Mutation::Delete();
    case WriteAction::Kind::kUpdate:
      return UpdateMutation(*a.table, a.condition, a.update, a.item, current, failed_old,
                            &a.new_item);
  }
  return store::Mutation{};
}

// Appends `v` to `out` with every object's members in name order: the same for two
// requests that differ only in member order. Every part is tagged and sized, so distinct
// values never give the same bytes.
void AppendCanonical(const json::value& v, std::string* out) {
  auto feed = [out](char tag, std::string_view bytes) {
    const uint64_t size = bytes.size();
    out->push_back(tag);
    out->append(reinterpret_cast<const char*>(&size), sizeof size);
    out->append(bytes);
  };
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& obj = v.get_object();
      boost::container::small_vector<const json::key_value_pair*, 8> members;
      for (const auto& kv : obj) members.push_back(&kv);
      auto by_name = [](const auto* a, const auto* b) { return a->key() < b->key(); };
      if (!std::is_sorted(members.begin(), members.end(), by_name)) {
        std::sort(members.begin(), members.end(), by_name);
      }
      feed('{', std::string_view());
      for (const auto* kv : members) {
        feed('k', kv->key());
        AppendCanonical(kv->value(), out);
      }
      feed('}', std::string_view());
      break;
    }
    case json::kind::array:
      feed('[', std::string_view());
      for (const auto& e : v.get_array()) AppendCanonical(e, out);
      feed(']', std::string_view());
      break;
    case json::kind::string: feed('s', v.get_string()); break;
    default: feed('v', json::serialize(v)); break;  // numbers, booleans, null: rare here
  }
}

// The ClientRequestToken, with a digest of the actions it came with: a retry must ask for
// the same writes (in any member order) or it gets IdempotentParameterMismatch.
std::optional<store::TransactToken> ParseToken(const Request& req) {
  auto token = OptionalString(req, "ClientRequestToken");
  if (!token) return std::nullopt;
  ConstraintErrors errors;
  if (token->empty()) {
    errors.Add("''", "clientRequestToken", "Member must have length greater than or equal to 1");
  } else if (token->size() > 36) {
    errors.Add("'" + *token + "'", "clientRequestToken",
               "Member must have length less than or equal to 36");
  }
  errors.ThrowIfAny();
  std::string canonical;
  canonical.reserve(1024);
  AppendCanonical(*Member(req, "TransactItems"), &canonical);
  const XXH128_hash_t h = XXH3_128bits(canonical.data(), canonical.size());
  std::string digest(16, '\0');
  for (int i = 0; i < 8; ++i) {
    digest[i] = static_cast<char>(h.high64 >> (56 - 8 * i));
    digest[8 + i] = static_cast<char>(h.low64 >> (56 - 8 * i));
  }
  return store::TransactToken{*token, std::move(digest)};
}

// A ValidationError stops the transaction before any condition is evaluated: only the first
// one is reported and every other action shows None (DynamoDB's order of evaluation).
[[noreturn]] void ThrowCancelled(std::vector<Status> statuses,
                                 const std::vector<const std::optional<model::Item>*>& olds) {
  auto invalid = std::find_if(statuses.begin(), statuses.end(), [](const Status& s) {
    return s.code() == Status::Code::kInvalidArgument;
  });
  if (invalid != statuses.end()) {
    for (auto it = statuses.begin(); it != statuses.end(); ++it) {
      if (it != invalid) *it = Status::Ok();
    }
  }
  json::array reasons;
  std::string codes;
  for (size_t i = 0; i < statuses.size(); ++i) {
    json::object reason;
    const Status& s = statuses[i];
    switch (s.code()) {
      case Status::Code::kOk: reason["Code"] = "None"; break;
      case Status::Code::kConditionFailed:
        reason["Code"] = "ConditionalCheckFailed";
        reason["Message"] = "The conditional request failed";
        if (olds[i] && *olds[i]) reason["Item"] = EncodeItem(**olds[i]);
        break;
      case Status::Code::kConflict:
        reason["Code"] = "TransactionConflict";
        reason["Message"] = "Transaction is ongoing for the item";
        break;
      case Status::Code::kInvalidArgument:
        reason["Code"] = "ValidationError";
        reason["Message"] = s.message();
        break;
      default: throw ApiError::FromStatus(s);
    }
    codes += (codes.empty() ? "" : ", ") + std::string(reason["Code"].as_string());
    reasons.push_back(std::move(reason));
  }
  ApiError error = ApiError::TransactionCanceled(
      "Transaction cancelled, please refer cancellation reasons for specific reasons [" + codes +
      "]");
  error.members.emplace_back("CancellationReasons", json::serialize(reasons));
  error.capital_message = true;
  throw error;
}

// Keys that cannot name an item (see KeyOrReason) cancel the transaction before anything
// runs, each with its ValidationError.
template <typename Actions>
void ThrowIfInvalidKeys(const Actions& actions) {
  if (std::none_of(actions.begin(), actions.end(),
                   [](const auto& a) { return a.invalid.has_value(); })) {
    return;
  }
  std::vector<Status> statuses;
  statuses.reserve(actions.size());
  for (const auto& a : actions) {
    statuses.push_back(a.invalid ? Status::InvalidArgument(*a.invalid) : Status::Ok());
  }
  ThrowCancelled(std::move(statuses),
                 std::vector<const std::optional<model::Item>*>(actions.size()));
}

// What one action of a committed transaction costs. The table is charged two writes of the
// item per KB (prepare and commit) of the larger of its old and new state, at least one KB,
// and a ConditionCheck two per KB of the item it read; index entries are written once, as
// by a single-item write. A replay (the ClientRequestToken's transaction committed before)
// writes nothing and costs two strongly consistent reads of each item.
Consumed TransactWriteConsumed(const store::Store& store, const WriteAction& a,
                               const store::WriteResult& written, bool replayed) {
  Consumed c;
  if (replayed) {
    auto item = store.ReadItem(*a.table, a.key.pk, a.key.sk_ptr());
    const size_t bytes = item.ok() ? item->ByteSize() : 0;
    c.table = 2 * ReadUnits(bytes, true);
    return c;
  }
  if (a.kind == WriteAction::Kind::kConditionCheck) {
    c.table = 2 * WriteUnits(written.old_item.ByteSize());
    return c;
  }
  c = WriteConsumed(*a.table, written);
  c.table = 2 * WriteUnits(WrittenBytes(written));
  return c;
}

}  // namespace

Response TransactWriteItems(const OpContext& ctx, const Request& req) {
  const json::array& entries = TransactItems(req, "TransactWriteItem");
  const CapacityMode capacity = ParseCapacityMode(req);
  const std::optional<store::TransactToken> token = ParseToken(req);
  std::vector<WriteAction> actions;
  actions.reserve(entries.size());
  std::set<std::pair<std::string, std::string>> seen;  // (table, item key)
  for (size_t i = 0; i < entries.size(); ++i) {
    actions.push_back(ParseWriteAction(ctx, entries[i], i));
    const WriteAction& a = actions.back();
    if (a.invalid) continue;
    const std::string key = model::ItemKey(0, a.key.pk, a.key.sk_ptr());
    if (!seen.emplace(a.table->name, key).second) {
      throw ApiError::Validation(
          "Transaction request cannot include multiple operations on one item");
    }
  }
  if (ctx.body.size() > kMaxTransactBytes) {
    throw ApiError::Validation("Transaction payload size cannot exceed 4 MB");
  }
  ThrowIfInvalidKeys(actions);

  std::vector<store::TransactItem> items;
  items.reserve(actions.size());
  for (auto& a : actions) {
    items.push_back(
        store::TransactItem{a.table.get(), a.key.pk, a.key.sk,
                            [&a](const model::Item* current) { return Decide(a, current); }});
  }
  auto result = ctx.store->Transact(
      items, token,
      ctx.options->group_commit ? store::CommitMode::kDeferred : store::CommitMode::kNow);
  ThrowIfError(result.status());
  using Outcome = store::TransactResult::Outcome;
  switch (result->outcome) {
    case Outcome::kCancelled: {
      std::vector<const std::optional<model::Item>*> olds;
      olds.reserve(actions.size());
      for (const auto& a : actions) olds.push_back(&a.failed_old);
      ThrowCancelled(result->item_status, olds);
    }
    case Outcome::kTokenMismatch:
      throw ApiError::IdempotentParameterMismatch(
          "Request token and parameters do not match");  // TODO exact text
    case Outcome::kReplayed:
    case Outcome::kCommitted: break;
  }
  if (result->seq != 0) *ctx.commit_seq = result->seq;

  Response out;
  const bool replayed = result->outcome == Outcome::kReplayed;
  std::vector<std::pair<std::string, Consumed>> per_table;
  for (size_t i = 0; i < actions.size(); ++i) {
    Consumed c = TransactWriteConsumed(*ctx.store, actions[i], result->writes[i], replayed);
    auto it = std::find_if(per_table.begin(), per_table.end(),
                           [&](const auto& t) { return t.first == actions[i].table->name; });
    if (it == per_table.end()) {
      per_table.emplace_back(actions[i].table->name, std::move(c));
    } else {
      it->second.Add(c);
    }
  }
  for (const auto& [table, c] : per_table) {
    RecordConsumed(table, c, !replayed);
  }
  if (capacity != CapacityMode::kNone) {
    json::array consumed;
    const char* units = replayed ? "ReadCapacityUnits" : "WriteCapacityUnits";
    for (const auto& [table, c] : per_table) {
      consumed.push_back(ConsumedCapacity(capacity, table, c, units));
    }
    out["ConsumedCapacity"] = std::move(consumed);
  }
  if (WantsItemCollectionMetrics(req)) {
    json::object metrics;
    std::set<std::pair<std::string, std::string>> collections;
    for (const auto& a : actions) {
      if (a.kind == WriteAction::Kind::kConditionCheck) continue;
      if (!collections.emplace(a.table->name, model::PartitionPrefix(0, a.key.pk)).second) continue;
      json::value m = ItemCollectionMetrics(*ctx.store, *a.table, a.key.pk);
      if (m.is_null()) continue;
      json::value& list = metrics[a.table->name];
      if (list.is_null()) list = json::array();
      list.as_array().push_back(std::move(m));
    }
    if (!metrics.empty()) out["ItemCollectionMetrics"] = std::move(metrics);
  }
  return out;
}

Response TransactGetItems(const OpContext& ctx, const Request& req) {
  const json::array& entries = TransactItems(req, "TransactGetItem");
  const CapacityMode capacity = ParseCapacityMode(req);
  struct GetAction {
    std::shared_ptr<const store::TableInfo> table;
    PrimaryKey key;
    std::optional<std::vector<model::expr::Path>> projection;
    std::optional<std::string> invalid;  // see WriteAction::invalid
  };
  std::vector<GetAction> gets;
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    const json::object& wrapper = ExpectObject(entries[i], "TransactGetItem");
    const json::value* get = Member(wrapper, "Get");
    ConstraintErrors errors;
    if (!get)
      errors.Add("null", "transactItems." + std::to_string(i + 1) + ".member.get",
                 "Member must not be null");
    errors.ThrowIfAny();
    const json::object& op = ExpectObject(*get, "Get");
    CheckRequestShape(op);
    const std::string path = "transactItems." + std::to_string(i + 1) + ".member.get";
    auto name = OptionalString(op, "TableName");
    errors.TableName(name, path + ".tableName");
    errors.NotNull(op, "Key", path + ".key");
    errors.ThrowIfAny();
    model::Item key_map = DecodeItem(*Member(op, "Key"));
    RequestExpressions exprs(op);
    GetAction g;
    g.projection = exprs.Projection("ProjectionExpression");
    exprs.CheckAllUsed();
    g.table = LookupTable(ctx.store, *name);
    g.invalid = KeyOrReason([&] { return KeyFromKeyMap(*g.table, key_map); }, &g.key);
    if (!g.invalid &&
        !seen.emplace(g.table->name, model::ItemKey(0, g.key.pk, g.key.sk_ptr())).second) {
      throw ApiError::Validation(
          "Transaction request cannot include multiple operations on one item");
    }
    gets.push_back(std::move(g));
  }
  ThrowIfInvalidKeys(gets);
  std::vector<store::Store::ItemRef> refs;
  refs.reserve(gets.size());
  for (const auto& g : gets) refs.push_back({g.table.get(), g.key.pk, g.key.sk});
  std::vector<Status> statuses;
  auto items = ctx.store->GetItemsAtSnapshot(refs, &statuses);
  ThrowIfError(items.status());
  if (items->empty())
    ThrowCancelled(statuses, std::vector<const std::optional<model::Item>*>(gets.size()));
  json::array responses;
  std::vector<std::pair<std::string, Consumed>> per_table;
  for (size_t i = 0; i < gets.size(); ++i) {
    json::object r;
    const auto& item = (*items)[i];
    if (item) {
      r["Item"] = gets[i].projection ? EncodeItem(model::expr::Project(*item, *gets[i].projection))
                                     : EncodeItem(*item);
    }
    responses.push_back(std::move(r));
    auto it = std::find_if(per_table.begin(), per_table.end(),
                           [&](const auto& t) { return t.first == gets[i].table->name; });
    if (it == per_table.end()) it = per_table.insert(per_table.end(), {gets[i].table->name, {}});
    // Transactional reads cost two strongly consistent reads of each item.
    it->second.table += 2 * ReadUnits(item ? model::ItemByteSize(*item) : 0, true);
  }
  Response out;
  out["Responses"] = std::move(responses);
  for (const auto& [table, c] : per_table) RecordConsumed(table, c, false);
  if (capacity != CapacityMode::kNone) {
    json::array consumed;
    for (const auto& [table, c] : per_table) {
      consumed.push_back(ConsumedCapacity(capacity, table, c, "ReadCapacityUnits"));
    }
    out["ConsumedCapacity"] = std::move(consumed);
  }
  return out;
}

}  // namespace meridian::api
