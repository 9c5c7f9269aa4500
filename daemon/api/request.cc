#include "daemon/api/request.h"

#include <boost/json.hpp>

#include "daemon/api/api_error.h"

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
  if (!pattern_ok) Add(repr, path, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  if (name->size() < 3) Add(repr, path, "Member must have length greater than or equal to 3");
  if (name->size() > 255) Add(repr, path, "Member must have length less than or equal to 255");
}

void ConstraintErrors::ThrowIfAny() const {
  if (messages_.empty()) return;
  std::string msg = std::to_string(messages_.size()) +
                    (messages_.size() == 1 ? " validation error detected: "
                                           : " validation errors detected: ");
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

}  // namespace meridian::api
