#include "daemon/api/item_request.h"

#include <boost/json.hpp>

#include <cctype>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/legacy.h"
#include "daemon/api/request.h"
#include "model/key_codec.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;

std::shared_ptr<const store::TableInfo> LookupTable(store::Store* store, const std::string& name) {
  auto table = store->GetTable(name);
  if (!table.ok()) throw ApiError::ResourceNotFound("Requested resource not found");
  AdmitTable(**table);
  return *table;
}

namespace {

// (sic: "of2048" is DynamoDB's own text.)
constexpr std::string_view kHashKeyTooLarge =
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
    "limit of2048 bytes";
constexpr std::string_view kRangeKeyTooLarge =
    "One or more parameter values were invalid: Aggregated size of all range keys has exceeded "
    "the size limit of 1024 bytes";

void CheckKeyValue(const store::KeyAttribute& attr, const AttributeValue& v, bool is_hash) {
  if (v.type() == model::AttrType::kS && v.s().empty()) {
    throw ApiError::Validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty string value. Key: " +
        attr.name);
  }
  if (v.type() == model::AttrType::kB && v.b().empty()) {
    throw ApiError::Validation(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty binary value. Key: " +
        attr.name);
  }
  const size_t size = v.ByteSize();
  if (is_hash && size > store::kMaxPartitionKeyBytes)
    throw ApiError::Validation(std::string(kHashKeyTooLarge));
  if (!is_hash && size > store::kMaxSortKeyBytes)
    throw ApiError::Validation(std::string(kRangeKeyTooLarge));
}

const AttributeValue& ItemKeyAttr(const store::KeyAttribute& attr, const model::Item& item,
                                  bool is_hash) {
  auto it = item.find(attr.name);
  if (it == item.end()) {
    throw ApiError::Validation("One or more parameter values were invalid: Missing the key " +
                               attr.name + " in the item");
  }
  if (!store::MatchesKeyType(it->second, attr.type)) {
    throw ApiError::Validation("One or more parameter values were invalid: Type mismatch for key " +
                               attr.name + " expected: " + store::KeyTypeName(attr.type) +
                               " actual: " + model::TypeName(it->second.type()));
  }
  CheckKeyValue(attr, it->second, is_hash);
  return it->second;
}

}  // namespace

PrimaryKey KeyFromItem(const store::TableInfo& table, const model::Item& item) {
  PrimaryKey key{ItemKeyAttr(table.partition_key, item, true), std::nullopt};
  if (table.sort_key) key.sk = ItemKeyAttr(*table.sort_key, item, false);
  return key;
}

PrimaryKey KeyFromKeyMap(const store::TableInfo& table, const model::Item& key) {
  const size_t expected = table.sort_key ? 2 : 1;
  auto mismatch = [] {
    return ApiError::Validation("The provided key element does not match the schema");
  };
  if (key.size() != expected) throw mismatch();
  auto pk = key.find(table.partition_key.name);
  if (pk == key.end() || !store::MatchesKeyType(pk->second, table.partition_key.type))
    throw mismatch();
  CheckKeyValue(table.partition_key, pk->second, true);
  PrimaryKey out{pk->second, std::nullopt};
  if (table.sort_key) {
    auto sk = key.find(table.sort_key->name);
    if (sk == key.end() || !store::MatchesKeyType(sk->second, table.sort_key->type))
      throw mismatch();
    CheckKeyValue(*table.sort_key, sk->second, false);
    out.sk = sk->second;
  }
  return out;
}

std::optional<std::string> IndexKeyProblem(const store::TableInfo& table, const model::Item& item) {
  auto check = [&](const store::IndexInfo& index,
                   const store::KeyAttribute& attr) -> std::optional<std::string> {
    auto it = item.find(attr.name);
    if (it == item.end()) return std::nullopt;  // not in the index: sparse
    const AttributeValue& v = it->second;
    if (!store::MatchesKeyType(v, attr.type)) {
      return "One or more parameter values were invalid: Type mismatch for Index Key " + attr.name +
             " Expected: " + store::KeyTypeName(attr.type) +
             " Actual: " + model::TypeName(v.type()) + " IndexName: " + index.name;
    }
    const bool empty_s = v.type() == model::AttrType::kS && v.s().empty();
    if (empty_s || (v.type() == model::AttrType::kB && v.b().empty())) {
      return std::string(
                 "One or more parameter values are not valid. A value specified for a secondary "
                 "index key is not supported. The AttributeValue for a key attribute cannot "
                 "contain an empty ") +
             (empty_s ? "string" : "binary") + " value. IndexName: " + index.name +
             ", IndexKey: " + attr.name;
    }
    const bool partition = &attr == &index.partition_key;
    if (!store::ValidKeyValue(v, attr.type, partition)) {
      return partition ? std::string(kHashKeyTooLarge) : std::string(kRangeKeyTooLarge);
    }
    return std::nullopt;
  };
  for (const store::IndexInfo& index : table.indexes) {
    if (auto problem = check(index, index.partition_key)) return problem;
    if (index.sort_key) {
      if (auto problem = check(index, *index.sort_key)) return problem;
    }
  }
  return std::nullopt;
}

void CheckIndexKeys(const store::TableInfo& table, const model::Item& item) {
  if (auto problem = IndexKeyProblem(table, item)) throw ApiError::Validation(*problem);
}

model::Item KeyAttributesOf(const store::TableInfo& table, const model::Item& item) {
  model::Item key;
  auto copy = [&](const std::string& name) {
    auto it = item.find(name);
    if (it != item.end()) key.emplace(name, it->second);
  };
  copy(table.partition_key.name);
  if (table.sort_key) copy(table.sort_key->name);
  return key;
}

void CheckItemSize(const model::Item& item) {
  if (model::ItemByteSize(item) > kMaxItemBytes) {
    throw ApiError::Validation("Item size has exceeded the maximum allowed size");
  }
}

namespace {

// A placeholder of ExpressionAttributeNames (#...) or ExpressionAttributeValues (:...): the
// prefix and one or more of [A-Za-z0-9_], at most 255 bytes.
void CheckPlaceholder(std::string_view key, char prefix, std::string_view map) {
  if (key.size() > 255) {
    throw ApiError::Validation("The expression attribute map contains a key that is too long");
  }
  bool ok = key.size() > 1 && key[0] == prefix;
  for (size_t i = 1; ok && i < key.size(); ++i) {
    const char c = key[i];
    ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  }
  if (!ok) {
    throw ApiError::Validation(std::string(map) + " contains invalid key: Syntax error; key: \"" +
                               std::string(key) + "\"");
  }
}

}  // namespace

RequestExpressions::RequestExpressions(const json::object& req) : req_(req) {
  RejectMixedParameters(req);
  if (const json::value* names = Member(req, "ExpressionAttributeNames")) {
    has_names_ = true;
    const json::object& obj = ExpectObject(*names, "ExpressionAttributeNames");
    if (obj.empty()) throw ApiError::Validation("ExpressionAttributeNames must not be empty");
    for (const auto& kv : obj) {
      CheckPlaceholder(kv.key(), '#', "ExpressionAttributeNames");
      const json::string& name = ExpectString(kv.value(), "name");
      if (name.empty()) {
        throw ApiError::Validation(
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key " +
            std::string(kv.key()));
      }
      CheckAttributeName(name);
      names_[std::string(kv.key())] = std::string(name);
    }
  }
  if (const json::value* values = Member(req, "ExpressionAttributeValues")) {
    has_values_ = true;
    const json::object& obj = ExpectObject(*values, "ExpressionAttributeValues");
    if (obj.empty()) throw ApiError::Validation("ExpressionAttributeValues must not be empty");
    for (const auto& kv : obj) {
      CheckPlaceholder(kv.key(), ':', "ExpressionAttributeValues");
      AttributeValue v;
      try {
        v = DecodeAttributeValue(kv.value());
      } catch (ApiError& e) {
        if (e.type.find("ValidationException") != std::string::npos) {
          e.message = "ExpressionAttributeValues contains invalid value: " + e.message +
                      " for key " + std::string(kv.key());
        }
        throw;
      }
      values_[std::string(kv.key())] = std::move(v);
    }
  }
  ctx_.names = &names_;
  ctx_.values = &values_;
}

namespace {
template <typename T>
T Check(Result<T> r) {
  if (!r.ok()) throw ApiError::Validation(r.status().message());
  return std::move(r).value();
}
}  // namespace

model::expr::Condition RequestExpressions::Condition(const char* member) {
  auto text = OptionalString(req_, member);
  if (!text) return LegacyCondition(req_, member);
  ++expressions_;
  return Check(model::expr::ParseCondition(*text, member, ctx_));
}

std::optional<std::vector<model::expr::Path>> RequestExpressions::Projection(const char* member) {
  auto text = OptionalString(req_, member);
  if (!text) return LegacyProjection(req_);
  ++expressions_;
  return Check(model::expr::ParseProjection(*text, ctx_));
}

model::expr::Update RequestExpressions::Update(const char* member) {
  auto text = OptionalString(req_, member);
  if (!text) return LegacyUpdate(req_);
  ++expressions_;
  return Check(model::expr::ParseUpdate(*text, ctx_));
}

std::optional<model::expr::KeyCondition> RequestExpressions::KeyCondition(const char* member) {
  auto text = OptionalString(req_, member);
  if (!text) return LegacyKeyCondition(req_);
  ++expressions_;
  return Check(model::expr::ParseKeyCondition(*text, ctx_));
}

void RequestExpressions::CheckAllUsed() const {
  if (expressions_ == 0) {
    if (has_names_)
      throw ApiError::Validation(
          "ExpressionAttributeNames can only be specified when using expressions");
    if (has_values_)
      throw ApiError::Validation(
          "ExpressionAttributeValues can only be specified when using expressions");
    return;
  }
  auto unused = [](const auto& provided, const std::set<std::string>& used) {
    std::string keys;
    for (const auto& [k, v] : provided) {
      if (!used.count(k)) keys += (keys.empty() ? "" : ", ") + k;
    }
    return keys;
  };
  std::string names = unused(names_, ctx_.used_names);
  if (!names.empty()) {
    throw ApiError::Validation(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + names + "}");
  }
  std::string values = unused(values_, ctx_.used_values);
  if (!values.empty()) {
    throw ApiError::Validation(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + values +
        "}");
  }
}

Status CheckCondition(const model::expr::Condition& cond, const model::Item* current,
                      std::optional<model::Item>* old_on_failure) {
  if (!cond) return Status::Ok();
  static const model::Item kEmpty;
  auto holds = model::expr::EvaluateCondition(*cond, current ? *current : kEmpty);
  if (!holds.ok()) return holds.status();
  if (!*holds) {
    if (old_on_failure && current) *old_on_failure = *current;
    return Status::ConditionFailed("The conditional request failed");
  }
  return Status::Ok();
}

bool ParseReturnOldOnConditionFailure(const json::object& req) {
  auto rv = OptionalString(req, "ReturnValuesOnConditionCheckFailure");
  if (!rv || *rv == "NONE") return false;
  if (*rv != "ALL_OLD") {
    ConstraintErrors errors;
    errors.Add("'" + *rv + "'", "returnValuesOnConditionCheckFailure",
               "Member must satisfy enum value set: [ALL_OLD, NONE]");
    errors.ThrowIfAny();
  }
  return true;
}

void ThrowWriteError(const Status& status, const std::optional<model::Item>& old) {
  if (status.ok()) return;
  ApiError error = ApiError::FromStatus(status);
  if (status.code() == Status::Code::kConditionFailed && old) {
    error.members.emplace_back("Item", json::serialize(EncodeItem(*old)));
  }
  throw error;
}

const json::value& RequireMember(const json::object& req, const char* member, const char* path) {
  const json::value* v = Member(req, member);
  if (!v) {
    ConstraintErrors errors;
    errors.Add("null", path, "Member must not be null");
    errors.ThrowIfAny();
  }
  return *v;
}

std::string ParseReturnValues(const json::object& req, bool update_op) {
  auto rv = OptionalString(req, "ReturnValues");
  if (!rv) return "NONE";
  if (*rv != "NONE" && *rv != "ALL_OLD" && *rv != "UPDATED_OLD" && *rv != "ALL_NEW" &&
      *rv != "UPDATED_NEW") {
    ConstraintErrors errors;
    errors.Add(
        "'" + *rv + "'", "returnValues",
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]");
    errors.ThrowIfAny();
  }
  if (!update_op && *rv != "NONE" && *rv != "ALL_OLD") {
    throw ApiError::Validation("Return values set to invalid value");
  }
  return *rv;
}

}  // namespace meridian::api
