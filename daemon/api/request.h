// Typed access to request JSON with DynamoDB's errors: a member of the wrong JSON type is a
// SerializationException; constraint violations are collected into one ValidationException
// ("2 validation errors detected: Value ... at 'tableName' failed to satisfy constraint: ...").
// All functions throw ApiError.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::api {

const boost::json::object& ExpectObject(const boost::json::value& v, std::string_view what);
const boost::json::array& ExpectArray(const boost::json::value& v, std::string_view what);
const boost::json::string& ExpectString(const boost::json::value& v, std::string_view what);
bool ExpectBool(const boost::json::value& v, std::string_view what);
int64_t ExpectInt(const boost::json::value& v, std::string_view what);

// DynamoDB deserializes the whole request before validating any of it, so a member of the
// wrong JSON type anywhere (including inside AttributeValues) is a SerializationException
// even when other members are invalid too. Call first. Unknown members are ignored.
void CheckRequestShape(const boost::json::object& request);

// The member, or nullptr when absent or JSON null.
const boost::json::value* Member(const boost::json::object& obj, std::string_view name);

std::optional<std::string> OptionalString(const boost::json::object& obj, std::string_view name);
std::optional<int64_t> OptionalInt(const boost::json::object& obj, std::string_view name);
std::optional<bool> OptionalBool(const boost::json::object& obj, std::string_view name);

// Collects "Value X at 'path' failed to satisfy constraint: C" messages; Throw() raises them
// as one ValidationException if there are any.
class ConstraintErrors {
 public:
  void Add(std::string_view value_repr, std::string_view path, std::string_view constraint);
  void NotNull(const boost::json::object& obj, std::string_view member, std::string_view path);
  // DynamoDB table names: 3-255 chars of [a-zA-Z0-9_.-].
  void TableName(const std::optional<std::string>& name, std::string_view path);
  // Key attribute names of tables and indexes: 1-255 bytes.
  void KeyAttributeName(const std::string& name, std::string_view path);
  void ThrowIfAny() const;
  bool empty() const { return messages_.empty(); }

 private:
  std::vector<std::string> messages_;
};

// A string member the request must have (ValidationException naming `path` otherwise).
std::string RequiredString(const boost::json::object& obj, std::string_view name,
                           std::string_view path);

// A resource ARN of DynamoDB's backup and job operations: 37 to 1024 characters
// (ValidationException naming `path` otherwise).
void CheckArnLength(const std::string& arn, std::string_view path);

// Table name from the request, validated ("tableName" constraint errors).
std::string RequireTableName(const boost::json::object& request);

}  // namespace meridian::api
