// Pieces shared by the item operations (Put/Get/Delete/Update/Query/Scan): primary-key
// extraction with DynamoDB's checks, and the request's expression placeholders.
// Private to daemon/api; functions throw ApiError.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/attribute_value.h"
#include "model/expression.h"
#include "store/store.h"
#include "store/table_info.h"

namespace meridian::api {

inline constexpr size_t kMaxItemBytes = 400 * 1024;

struct PrimaryKey {
  model::AttributeValue pk;
  std::optional<model::AttributeValue> sk;
  const model::AttributeValue* sk_ptr() const { return sk ? &*sk : nullptr; }
};

// The table, or ResourceNotFoundException ("Requested resource not found").
std::shared_ptr<const store::TableInfo> LookupTable(store::Store* store, const std::string& name);

// Key of a full item (PutItem): "Missing the key X in the item", type mismatch, empty
// strings/binaries, key size limits.
PrimaryKey KeyFromItem(const store::TableInfo& table, const model::Item& item);
// Key from a Key map (GetItem/UpdateItem/DeleteItem/ExclusiveStartKey): exactly the key
// attributes with the right types, else "The provided key element does not match the schema".
PrimaryKey KeyFromKeyMap(const store::TableInfo& table, const model::Item& key);
// Secondary-index keys of an item about to be written: every GSI/LSI key attribute the item
// holds must have the index's type and, for S and B, a non-empty value. DynamoDB's
// ValidationException message, or nullopt; CheckIndexKeys throws it.
std::optional<std::string> IndexKeyProblem(const store::TableInfo& table, const model::Item& item);
void CheckIndexKeys(const store::TableInfo& table, const model::Item& item);
// The key attributes of `item`, as LastEvaluatedKey / Key maps show them.
model::Item KeyAttributesOf(const store::TableInfo& table, const model::Item& item);

// Rejects items over 400 KB with DynamoDB's message.
void CheckItemSize(const model::Item& item);

// The request's ExpressionAttributeNames/Values and the expressions parsed against them.
class RequestExpressions {
 public:
  explicit RequestExpressions(const boost::json::object& req);

  // Parses an optional expression member; when absent, its legacy counterpart (legacy.h);
  // nullopt/nullptr when neither is present.
  model::expr::Condition Condition(const char* member);
  std::optional<std::vector<model::expr::Path>> Projection(const char* member);
  model::expr::Update Update(const char* member);
  std::optional<model::expr::KeyCondition> KeyCondition(const char* member);

  // After all expressions are parsed: every provided name/value must have been used.
  void CheckAllUsed() const;

 private:
  const boost::json::object& req_;
  std::map<std::string, std::string> names_;
  std::map<std::string, model::AttributeValue> values_;
  bool has_names_ = false;
  bool has_values_ = false;
  int expressions_ = 0;
  model::expr::ExpressionContext ctx_;
};

// Evaluates an optional condition on the current item (nullptr: absent) inside a write;
// ConditionFailed when it does not hold. Then, when `old_on_failure` is not null and the
// item exists, it receives a copy of the item (ReturnValuesOnConditionCheckFailure).
Status CheckCondition(const model::expr::Condition& cond, const model::Item* current,
                      std::optional<model::Item>* old_on_failure = nullptr);

// ReturnValuesOnConditionCheckFailure (ALL_OLD | NONE): true for ALL_OLD.
bool ParseReturnOldOnConditionFailure(const boost::json::object& req);

// ThrowIfError(status), except that a failed condition's ConditionalCheckFailedException
// carries `old` as its "Item" when set.
void ThrowWriteError(const Status& status, const std::optional<model::Item>& old);

// UpdateItem's checks on the key and its update: "Cannot update attribute X. This
// attribute is part of the key".
void RejectKeyUpdates(const store::TableInfo& table, const model::expr::UpdateNode& update);

// What UpdateItem makes of `current` (nullptr: absent): the condition (see CheckCondition),
// the update expression applied to the item or to `key_map`, the index keys of the result
// (IndexKeyProblem), the 400 KB limit. The updated item goes into the mutation (the store
// reports what it stored); *new_item holds it only when nothing is written (kNone: an update
// that only removes meets no item).
Result<store::Mutation> UpdateMutation(const store::TableInfo& table,
                                       const model::expr::Condition& cond,
                                       const model::expr::Update& update,
                                       const model::Item& key_map, const model::Item* current,
                                       std::optional<model::Item>* old_on_failure,
                                       model::Item* new_item);

// A required request member; "Value null at '<path>' ..." when missing.
const boost::json::value& RequireMember(const boost::json::object& req, const char* member,
                                        const char* path);

// ReturnValues member checked against the allowed values of the operation.
std::string ParseReturnValues(const boost::json::object& req, bool update_op);

}  // namespace meridian::api
