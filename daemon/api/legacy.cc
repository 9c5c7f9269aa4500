#include "daemon/api/legacy.h"

#include <boost/json.hpp>

#include <algorithm>

#include <map>
#include <set>
#include <string>

#include "daemon/api/api_error.h"
#include "daemon/api/json_codec.h"
#include "daemon/api/request.h"

namespace meridian::api {
namespace json = boost::json;
using model::AttributeValue;
using model::AttrType;

namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

// Expression text being generated, with its own placeholder tables.
class LegacyText {
 public:
  std::string Name(const std::string& attribute) {
    CheckAttributeName(attribute);
    std::string ref = "#l" + std::to_string(names_.size());
    names_[ref] = attribute;
    return ref;
  }
  std::string Value(AttributeValue value) {
    std::string ref = ":l" + std::to_string(values_.size());
    values_[ref] = std::move(value);
    return ref;
  }
  model::expr::ExpressionContext& Context() {
    ctx_.names = &names_;
    ctx_.values = &values_;
    return ctx_;
  }

 private:
  std::map<std::string, std::string> names_;
  std::map<std::string, AttributeValue> values_;
  model::expr::ExpressionContext ctx_;
};

template <typename T>
T Parsed(Result<T> r) {
  if (!r.ok()) throw ApiError::Validation(r.status().message());
  return std::move(r).value();
}

void CheckEnum(const std::string& value, std::string_view path,
               const std::set<std::string>& allowed, std::string_view listing) {
  if (allowed.count(value)) return;
  ConstraintErrors errors;
  errors.Add("'" + value + "'", path,
             "Member must satisfy enum value set: " + std::string(listing));
  errors.ThrowIfAny();
}

std::vector<AttributeValue> DecodeValueList(const json::object& cond) {
  std::vector<AttributeValue> values;
  if (const json::value* list = Member(cond, "AttributeValueList")) {
    for (const auto& v : ExpectArray(*list, "AttributeValueList"))
      values.push_back(DecodeAttributeValue(v));
  }
  return values;
}

bool IsScalar(AttrType t) { return t == AttrType::kS || t == AttrType::kN || t == AttrType::kB; }

bool TypeAllowed(const std::string& op, AttrType t) {
  if (op == "EQ" || op == "NE")
    return true;  // "supported for all data types, including lists and maps"
  if (op == "BEGINS_WITH") return t == AttrType::kS || t == AttrType::kB;
  return IsScalar(t);
}

int CompareScalars(const AttributeValue& a, const AttributeValue& b) {
  if (a.type() == AttrType::kN) {
    auto c = a.n() <=> b.n();
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  return a.s().compare(b.s());  // S and B share storage; compares bytes unsigned
}

// DynamoDB's checks of one legacy condition's operator and operands.
void CheckOperands(const std::string& op, const std::vector<AttributeValue>& values) {
  const size_t n = values.size();
  bool count_ok = false;
  if (op == "NULL" || op == "NOT_NULL")
    count_ok = n == 0;
  else if (op == "IN")
    count_ok = n > 0;
  else if (op == "BETWEEN")
    count_ok = n == 2;
  else
    count_ok = n == 1;
  if (!count_ok) {
    throw ApiError::Validation(std::string(kInvalid) + "Invalid number of argument(s) for the " +
                               op + " ComparisonOperator");
  }
  for (const auto& v : values) {
    if (v.type() != values.front().type()) {
      throw ApiError::Validation(std::string(kInvalid) +
                                 "AttributeValues inside AttributeValueList must be of same type");
    }
  }
  for (const auto& v : values) {
    if (!TypeAllowed(op, v.type())) {
      throw ApiError::Validation(std::string(kInvalid) + "ComparisonOperator " + op +
                                 " is not valid for " + model::TypeName(v.type()) +
                                 " AttributeValue type");
    }
  }
  if (op == "BETWEEN" && CompareScalars(values[0], values[1]) > 0) {
    throw ApiError::Validation(
        "The BETWEEN condition was provided a range where the lower bound is greater than the "
        "upper bound");
  }
}

const std::set<std::string> kOperators = {
    "EQ",   "NE",       "LE",           "LT",          "GE", "GT",     "NOT_NULL",
    "NULL", "CONTAINS", "NOT_CONTAINS", "BEGINS_WITH", "IN", "BETWEEN"};
constexpr std::string_view kOperatorListing =
    "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]";

// One comparison as condition text. REQUIRES: CheckOperands(op, values) passed.
std::string ComparisonText(LegacyText* t, const std::string& attribute, const std::string& op,
                           const std::vector<AttributeValue>& values) {
  const std::string a = t->Name(attribute);
  auto v = [&](size_t i) { return t->Value(values[i]); };
  static const std::map<std::string, std::string> kCompare = {
      {"EQ", " = "}, {"NE", " <> "}, {"LE", " <= "}, {"LT", " < "}, {"GE", " >= "}, {"GT", " > "}};
  if (auto it = kCompare.find(op); it != kCompare.end()) return a + it->second + v(0);
  if (op == "NOT_NULL") return "attribute_exists(" + a + ")";
  if (op == "NULL") return "attribute_not_exists(" + a + ")";
  if (op == "CONTAINS") return "contains(" + a + ", " + v(0) + ")";
  if (op == "NOT_CONTAINS")
    return "attribute_exists(" + a + ") AND NOT contains(" + a + ", " + v(0) + ")";
  if (op == "BEGINS_WITH") return "begins_with(" + a + ", " + v(0) + ")";
  if (op == "BETWEEN") {
    const std::string lo = v(0);
    return a + " BETWEEN " + lo + " AND " + v(1);
  }
  std::string list;
  for (size_t i = 0; i < values.size(); ++i) list += (i ? ", " : "") + v(i);
  return a + " IN (" + list + ")";
}

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

// An Expected entry as condition text.
std::string ExpectedText(LegacyText* t, const std::string& attribute, const json::object& cond) {
  const json::value* value = Member(cond, "Value");
  const bool has_list = Member(cond, "AttributeValueList") != nullptr;
  const auto exists = OptionalBool(cond, "Exists");
  const auto op = OptionalString(cond, "ComparisonOperator");
  if (has_list && value) {
    throw ApiError::Validation(
        std::string(kInvalid) +
        "Value and AttributeValueList cannot be used together for Attribute: " + attribute);
  }
  if (op) {
    CheckEnum(*op, "expected." + attribute + ".member.comparisonOperator", kOperators,
              kOperatorListing);
    if (exists) {
      throw ApiError::Validation(
          std::string(kInvalid) +
          "Exists and ComparisonOperator cannot be used together for Attribute: " + attribute);
    }
    if (*op != "NULL" && *op != "NOT_NULL" && !has_list && !value) {
      throw ApiError::Validation(
          std::string(kInvalid) +
          "Value or AttributeValueList must be used with ComparisonOperator: " + *op +
          " for Attribute: " + attribute);
    }
    std::vector<AttributeValue> values = DecodeValueList(cond);
    if (value) values.push_back(DecodeAttributeValue(*value));
    CheckOperands(*op, values);
    return ComparisonText(t, attribute, *op, values);
  }
  if (has_list) {
    throw ApiError::Validation(
        std::string(kInvalid) +
        "AttributeValueList can only be used with a ComparisonOperator for Attribute: " +
        attribute);
  }
  const bool must_exist = exists.value_or(true);
  if (must_exist && !value) {
    throw ApiError::Validation(std::string(kInvalid) + "Value must be provided when Exists is " +
                               (exists ? "true" : "null") + " for Attribute: " + attribute);
  }
  if (!must_exist && value) {
    throw ApiError::Validation(
        std::string(kInvalid) +
        "Value cannot be used when Exists is false for Attribute: " + attribute);
  }
  if (!must_exist) return "attribute_not_exists(" + t->Name(attribute) + ")";
  return ComparisonText(t, attribute, "EQ", {DecodeAttributeValue(*value)});
}

// A QueryFilter / ScanFilter / KeyConditions entry: operator and operands.
std::pair<std::string, std::vector<AttributeValue>> FilterCondition(std::string_view member,
                                                                    const std::string& attribute,
                                                                    const json::value& v) {
  const json::object& cond = ExpectObject(v, member);
  const std::string path = LowerFirst(member) + "." + attribute + ".member.comparisonOperator";
  auto op = OptionalString(cond, "ComparisonOperator");
  if (!op) {
    ConstraintErrors errors;
    errors.Add("null", path, "Member must not be null");
    errors.ThrowIfAny();
  }
  CheckEnum(*op, path, kOperators, kOperatorListing);
  std::vector<AttributeValue> values = DecodeValueList(cond);
  CheckOperands(*op, values);
  return {*op, std::move(values)};
}

}  // namespace

void RejectMixedParameters(const json::object& req) {
  static constexpr std::string_view kExpression[] = {"ProjectionExpression", "UpdateExpression",
                                                     "ConditionExpression", "FilterExpression",
                                                     "KeyConditionExpression"};
  static constexpr std::string_view kLegacy[] = {
      "AttributesToGet", "AttributeUpdates",    "Expected",     "QueryFilter",
      "ScanFilter",      "ConditionalOperator", "KeyConditions"};
  // One pass over the request's members: most requests name none of these.
  bool any_expression = false, any_legacy = false;
  for (const auto& kv : req) {
    if (kv.value().is_null()) continue;
    const std::string_view key = kv.key();
    any_expression = any_expression || std::find(std::begin(kExpression), std::end(kExpression),
                                                 key) != std::end(kExpression);
    any_legacy =
        any_legacy || std::find(std::begin(kLegacy), std::end(kLegacy), key) != std::end(kLegacy);
  }
  if (!any_expression || !any_legacy) return;
  auto present = [&](const auto& names, bool legacy) {
    std::string out;
    for (std::string_view name : names) {
      if (!Member(req, name)) continue;
      // KeyConditions may go with the other expressions when KeyConditionExpression is absent.
      if (legacy && name == "KeyConditions" && !Member(req, "KeyConditionExpression")) continue;
      out += (out.empty() ? "" : ", ") + std::string(name);
    }
    return out;
  };
  const std::string expression = present(kExpression, false);
  if (expression.empty()) return;
  const std::string legacy = present(kLegacy, true);
  if (legacy.empty()) return;
  throw ApiError::Validation(
      "Can not use both expression and non-expression parameters in the same request: "
      "Non-expression parameters: {" +
      legacy + "} Expression parameters: {" + expression + "}");
}

model::expr::Condition LegacyCondition(const json::object& req,
                                       std::string_view expression_member) {
  const bool is_filter = expression_member == "FilterExpression";
  std::string_view member = "Expected";
  if (is_filter) member = Member(req, "QueryFilter") ? "QueryFilter" : "ScanFilter";
  const json::value* conditions = Member(req, member);
  std::string joiner = " AND ";
  const auto op = OptionalString(req, "ConditionalOperator");
  if (op) {
    CheckEnum(*op, "conditionalOperator", {"AND", "OR"}, "[AND, OR]");
    joiner = " " + *op + " ";
  }
  const bool none = !conditions || ExpectObject(*conditions, member).empty();
  if (none && op) {
    // Also with an empty Expected/Filter map, which otherwise means "no condition".
    throw ApiError::Validation("ConditionalOperator cannot be used without Filter or Expected");
  }
  if (none) return nullptr;
  const json::object& map = conditions->get_object();
  LegacyText t;
  std::string text;
  for (const auto& kv : map) {
    const std::string attribute(kv.key());
    std::string one;
    if (is_filter) {
      auto [op, values] = FilterCondition(member, attribute, kv.value());
      one = ComparisonText(&t, attribute, op, values);
    } else {
      one = ExpectedText(&t, attribute, ExpectObject(kv.value(), member));
    }
    text += map.size() == 1 ? one : (text.empty() ? "" : joiner) + "(" + one + ")";
  }
  return Parsed(model::expr::ParseCondition(text, expression_member, t.Context()));
}

std::optional<std::vector<model::expr::Path>> LegacyProjection(const json::object& req) {
  const json::value* attributes = Member(req, "AttributesToGet");
  if (!attributes) return std::nullopt;
  const json::array& names = ExpectArray(*attributes, "AttributesToGet");
  if (names.empty()) {
    ConstraintErrors errors;
    errors.Add("'[]'", "attributesToGet", "Member must have length greater than or equal to 1");
    errors.ThrowIfAny();
  }
  LegacyText t;
  std::set<std::string> seen;
  std::string text;
  for (const auto& v : names) {
    std::string name(ExpectString(v, "AttributesToGet").c_str());
    if (!seen.insert(name).second) {
      throw ApiError::Validation(std::string(kInvalid) +
                                 "Duplicate value in attribute name: " + name);
    }
    text += (text.empty() ? "" : ", ") + t.Name(name);
  }
  return Parsed(model::expr::ParseProjection(text, t.Context()));
}

model::expr::Update LegacyUpdate(const json::object& req) {
  const json::value* updates = Member(req, "AttributeUpdates");
  if (!updates) return nullptr;
  const json::object& map = ExpectObject(*updates, "AttributeUpdates");
  if (map.empty()) return nullptr;
  LegacyText t;
  std::map<std::string, std::string> clauses;  // SET / REMOVE / ADD / DELETE -> actions
  auto add = [&](const std::string& clause, const std::string& action) {
    std::string& actions = clauses[clause];
    actions += (actions.empty() ? "" : ", ") + action;
  };
  for (const auto& kv : map) {
    const std::string attribute(kv.key());
    const json::object& update = ExpectObject(kv.value(), "AttributeUpdates");
    const std::string action = OptionalString(update, "Action").value_or("PUT");
    CheckEnum(action, "attributeUpdates." + attribute + ".member.action", {"ADD", "PUT", "DELETE"},
              "[ADD, PUT, DELETE]");
    const json::value* value_json = Member(update, "Value");
    if (!value_json) {
      if (action != "DELETE") {
        throw ApiError::Validation(
            std::string(kInvalid) +
            "Only DELETE action is allowed when no attribute value is specified");
      }
      add("REMOVE", t.Name(attribute));
      continue;
    }
    AttributeValue value = DecodeAttributeValue(*value_json);
    const std::string type = model::TypeName(value.type());
    if (action == "PUT") {
      add("SET", t.Name(attribute) + " = " + t.Value(std::move(value)));
    } else if (action == "DELETE") {
      if (!value.is_set()) {
        throw ApiError::Validation(std::string(kInvalid) +
                                   "DELETE action with value is not supported for the type " +
                                   type);
      }
      add("DELETE", t.Name(attribute) + " " + t.Value(std::move(value)));
    } else if (value.type() == AttrType::kL) {
      const std::string a = t.Name(attribute);
      add("SET", a + " = list_append(if_not_exists(" + a + ", " + t.Value(AttributeValue::L({})) +
                     "), " + t.Value(std::move(value)) + ")");
    } else if (value.type() == AttrType::kN || value.is_set()) {
      add("ADD", t.Name(attribute) + " " + t.Value(std::move(value)));
    } else {
      throw ApiError::Validation(std::string(kInvalid) +
                                 "ADD action is not supported for the type " + type);
    }
  }
  std::string text;
  for (const auto& [clause, actions] : clauses)
    text += (text.empty() ? "" : " ") + clause + " " + actions;
  return Parsed(model::expr::ParseUpdate(text, t.Context(), /*attribute_updates=*/true));
}

std::optional<model::expr::KeyCondition> LegacyKeyCondition(const json::object& req) {
  const json::value* conditions = Member(req, "KeyConditions");
  if (!conditions) return std::nullopt;
  const json::object& map = ExpectObject(*conditions, "KeyConditions");
  if (map.empty() || map.size() > 2) {
    throw ApiError::Validation("Conditions can be of length 1 or 2 only");
  }
  static const std::set<std::string> kIndexable = {"EQ", "LE",          "LT",     "GE",
                                                   "GT", "BEGINS_WITH", "BETWEEN"};
  LegacyText t;
  std::vector<std::string> parts;
  for (const auto& kv : map) {
    const std::string attribute(kv.key());
    auto [op, values] = FilterCondition("KeyConditions", attribute, kv.value());
    if (!kIndexable.count(op)) {
      throw ApiError::Validation("Attempted conditional constraint is not an indexable operation");
    }
    std::string part = ComparisonText(&t, attribute, op, values);
    // The partition key's equality first, as the parser expects.
    if (op == "EQ") {
      parts.insert(parts.begin(), std::move(part));
    } else {
      parts.push_back(std::move(part));
    }
  }
  std::string text = parts[0];
  if (parts.size() > 1) text += " AND " + parts[1];
  return Parsed(model::expr::ParseKeyCondition(text, t.Context()));
}

}  // namespace meridian::api
