#include "daemon/api/request.h"

#include <boost/json.hpp>

#include "daemon/api/api_error.h"

#include <unordered_map>

namespace meridian::api {
namespace json = boost::json;

namespace {

const char* KindWord(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "STRING_VALUE";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "NUMBER_VALUE";
    case json::kind::bool_: return "BOOLEAN_VALUE";
    case json::kind::array: return "START_ARRAY";
    case json::kind::object: return "START_OBJECT";
    case json::kind::null: return "NULL_VALUE";
  }
  return "VALUE";
}

[[noreturn]] void Mismatch(const json::value& v, std::string_view target) {
  if (v.is_object() || v.is_array()) {
    throw ApiError::Serialization(std::string("Unexpected token received from parser"));
  }
  throw ApiError::Serialization(std::string(KindWord(v)) + " can not be converted to " +
                                std::string(target));
}

}  // namespace

const json::object& ExpectObject(const json::value& v, std::string_view) {
  if (!v.is_object()) {
    throw ApiError::Serialization(std::string("Unexpected value type in payload: ") + KindWord(v));
  }
  return v.get_object();
}

const json::array& ExpectArray(const json::value& v, std::string_view) {
  if (!v.is_array()) {
    throw ApiError::Serialization(std::string("Unexpected value type in payload: ") + KindWord(v));
  }
  return v.get_array();
}

const json::string& ExpectString(const json::value& v, std::string_view) {
  if (!v.is_string()) Mismatch(v, "String");
  return v.get_string();
}

bool ExpectBool(const json::value& v, std::string_view) {
  if (!v.is_bool()) Mismatch(v, "Boolean");
  return v.get_bool();
}

int64_t ExpectInt(const json::value& v, std::string_view) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    return v.get_uint64() > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return static_cast<int64_t>(d);
  }
  Mismatch(v, "Integer");
}

const json::value* Member(const json::object& obj, std::string_view name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

std::optional<std::string> OptionalString(const json::object& obj, std::string_view name) {
  const json::value* v = Member(obj, name);
  if (!v) return std::nullopt;
  const json::string& s = ExpectString(*v, name);
  return std::string(s.data(), s.size());
}

std::optional<int64_t> OptionalInt(const json::object& obj, std::string_view name) {
  const json::value* v = Member(obj, name);
  if (!v) return std::nullopt;
  return ExpectInt(*v, name);
}

std::optional<bool> OptionalBool(const json::object& obj, std::string_view name) {
  const json::value* v = Member(obj, name);
  if (!v) return std::nullopt;
  return ExpectBool(*v, name);
}

namespace {

enum class Shape { kString, kInt, kBool, kStringMap, kAttributeMap, kList, kStruct, kStringList };

const std::unordered_map<std::string_view, Shape>& MemberShapes() {
  static const std::unordered_map<std::string_view, Shape> shapes = {
      {"TableName", Shape::kString},
      {"IndexName", Shape::kString},
      {"ConditionExpression", Shape::kString},
      {"UpdateExpression", Shape::kString},
      {"ProjectionExpression", Shape::kString},
      {"FilterExpression", Shape::kString},
      {"KeyConditionExpression", Shape::kString},
      {"ReturnValues", Shape::kString},
      {"ReturnConsumedCapacity", Shape::kString},
      {"ReturnItemCollectionMetrics", Shape::kString},
      {"ReturnValuesOnConditionCheckFailure", Shape::kString},
      {"Select", Shape::kString},
      {"BillingMode", Shape::kString},
      {"ExclusiveStartTableName", Shape::kString},
      {"ConditionalOperator", Shape::kString},
      {"ResourceArn", Shape::kString},
      {"ClientRequestToken", Shape::kString},
      {"Limit", Shape::kInt},
      {"Segment", Shape::kInt},
      {"TotalSegments", Shape::kInt},
      {"ConsistentRead", Shape::kBool},
      {"ScanIndexForward", Shape::kBool},
      {"ExpressionAttributeNames", Shape::kStringMap},
      {"Item", Shape::kAttributeMap},
      {"Key", Shape::kAttributeMap},
      {"ExclusiveStartKey", Shape::kAttributeMap},
      {"ExpressionAttributeValues", Shape::kAttributeMap},
      {"KeySchema", Shape::kList},
      {"AttributeDefinitions", Shape::kList},
      {"Tags", Shape::kList},
      {"ReplicaUpdates", Shape::kList},
      {"TransactItems", Shape::kList},
      {"GlobalSecondaryIndexUpdates", Shape::kList},
      {"GlobalSecondaryIndexes", Shape::kList},
      {"LocalSecondaryIndexes", Shape::kList},
      {"AttributesToGet", Shape::kStringList},
      {"TagKeys", Shape::kStringList},
      {"ProvisionedThroughput", Shape::kStruct},
      {"RequestItems", Shape::kStruct},
      {"Expected", Shape::kStruct},
      {"AttributeUpdates", Shape::kStruct},
      {"KeyConditions", Shape::kStruct},
      {"QueryFilter", Shape::kStruct},
      {"ScanFilter", Shape::kStruct},
  };
  return shapes;
}

void CheckAttributeValueShape(const json::value& v, int depth);

void CheckAttributeMapShape(const json::value& v, int depth) {
  for (const auto& kv : ExpectObject(v, "map")) CheckAttributeValueShape(kv.value(), depth + 1);
}

void CheckAttributeValueShape(const json::value& v, int depth) {
  if (depth > 200) throw ApiError::Serialization("Nesting Levels have exceeded supported limits");
  for (const auto& kv : ExpectObject(v, "AttributeValue")) {
    const std::string_view type = kv.key();
    const json::value& m = kv.value();
    if (m.is_null()) continue;
    if (type == "S" || type == "N" || type == "B") {
      ExpectString(m, type);
    } else if (type == "BOOL" || type == "NULL") {
      ExpectBool(m, type);
    } else if (type == "M") {
      CheckAttributeMapShape(m, depth);
    } else if (type == "L") {
      for (const auto& e : ExpectArray(m, type)) CheckAttributeValueShape(e, depth + 1);
    } else if (type == "SS" || type == "NS" || type == "BS") {
      for (const auto& e : ExpectArray(m, type)) ExpectString(e, type);
    }
  }
}

}  // namespace

void CheckRequestShape(const json::object& request) {
  for (const auto& kv : request) {
    auto it = MemberShapes().find(kv.key());
    if (it == MemberShapes().end() || kv.value().is_null()) continue;
    const json::value& v = kv.value();
    switch (it->second) {
      case Shape::kString: ExpectString(v, kv.key()); break;
      case Shape::kInt: ExpectInt(v, kv.key()); break;
      case Shape::kBool: ExpectBool(v, kv.key()); break;
      case Shape::kStringMap:
        for (const auto& e : ExpectObject(v, kv.key())) ExpectString(e.value(), kv.key());
        break;
      case Shape::kAttributeMap: CheckAttributeMapShape(v, 0); break;
      case Shape::kList:
        for (const auto& e : ExpectArray(v, kv.key())) ExpectObject(e, kv.key());
        break;
      case Shape::kStringList:
        for (const auto& e : ExpectArray(v, kv.key())) ExpectString(e, kv.key());
        break;
      case Shape::kStruct: ExpectObject(v, kv.key()); break;
    }
  }
}

void ConstraintErrors::Add(std::string_view value_repr, std::string_view path,
                           std::string_view constraint) {
  messages_.push_back("Value " + std::string(value_repr) + " at '" + std::string(path) +
                      "' failed to satisfy constraint: " + std::string(constraint));
}

void ConstraintErrors::NotNull(const json::object& obj, std::string_view member,
                               std::string_view path) {
  if (!Member(obj, member)) Add("null", path, "Member must not be null");
}

void ConstraintErrors::TableName(const std::optional<std::string>& name, std::string_view path) {
  if (!name) {
    Add("null", path, "Member must not be null");
    return;
  }
  const std::string repr = "'" + *name + "'";
  bool pattern_ok = !name->empty();
  for (char c : *name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      pattern_ok = false;
    }
  }
  if (!pattern_ok)
    Add(repr, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  if (name->size() < 3) Add(repr, path, "Member must have length greater than or equal to 3");
  if (name->size() > 255) Add(repr, path, "Member must have length less than or equal to 255");
}

void ConstraintErrors::KeyAttributeName(const std::string& name, std::string_view path) {
  if (name.empty()) {
    Add("''", path, "Member must have length greater than or equal to 1");
  } else if (name.size() > 255) {
    Add("'" + name + "'", path, "Member must have length less than or equal to 255");
  }
}

void ConstraintErrors::ThrowIfAny() const {
  if (messages_.empty()) return;
  std::string msg =
      std::to_string(messages_.size()) +
      (messages_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (i) msg += "; ";
    msg += messages_[i];
  }
  throw ApiError::Validation(msg);
}

std::string RequireTableName(const json::object& request) {
  auto name = OptionalString(request, "TableName");
  ConstraintErrors errors;
  errors.TableName(name, "tableName");
  errors.ThrowIfAny();
  return *name;
}

std::string RequiredString(const boost::json::object& obj, std::string_view name,
                           std::string_view path) {
  auto value = OptionalString(obj, name);
  if (!value) {
    ConstraintErrors errors;
    errors.NotNull(obj, name, path);
    errors.ThrowIfAny();
  }
  return *value;
}

void CheckArnLength(const std::string& arn, std::string_view path) {
  ConstraintErrors errors;
  if (arn.size() < 37) {
    errors.Add(arn, path, "Member must have length greater than or equal to 37");
  } else if (arn.size() > 1024) {
    errors.Add(arn, path, "Member must have length less than or equal to 1024");
  }
  errors.ThrowIfAny();
}

}  // namespace meridian::api
