// UpdateTimeToLive / DescribeTimeToLive. The specification is part of the table definition,
// so it replicates to every replica; the TTL sweeper of each region (store/ttl_sweeper.h)
// deletes the expired items.
#include <boost/json.hpp>

#include "daemon/api/api_error.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"

namespace meridian::api {

namespace json = boost::json;

Response UpdateTimeToLive(const OpContext& ctx, const Request& req) {
  ConstraintErrors errors;
  auto name = OptionalString(req, "TableName");
  errors.TableName(name, "tableName");
  const json::value* member = Member(req, "TimeToLiveSpecification");
  std::optional<bool> enabled;
  std::optional<std::string> attribute;
  if (!member) {
    errors.Add("null", "timeToLiveSpecification", "Member must not be null");
  } else {
    const json::object& spec = ExpectObject(*member, "TimeToLiveSpecification");
    enabled = OptionalBool(spec, "Enabled");
    attribute = OptionalString(spec, "AttributeName");
    if (!attribute) {
      errors.Add("null", "timeToLiveSpecification.attributeName", "Member must not be null");
    } else if (attribute->empty()) {
      errors.Add("''", "timeToLiveSpecification.attributeName",
                 "Member must have length greater than or equal to 1");
    } else if (attribute->size() > 255) {
      errors.Add("'" + *attribute + "'", "timeToLiveSpecification.attributeName",
                 "Member must have length less than or equal to 255");
    }
    if (!enabled) errors.Add("null", "timeToLiveSpecification.enabled", "Member must not be null");
  }
  errors.ThrowIfAny();
  auto updated = ctx.store->UpdateTable(*name, [&](store::TableInfo* info) -> Status {
    if (info->ttl_enabled && info->ttl_attribute != *attribute) {
      throw ApiError::Validation(
          "TimeToLive is active on a different AttributeName: current AttributeName is " +
          info->ttl_attribute);
    }
    if (*enabled && info->ttl_enabled) throw ApiError::Validation("TimeToLive is already enabled");
    if (!*enabled && !info->ttl_enabled) {
      throw ApiError::Validation("TimeToLive is already disabled");
    }
    info->ttl_enabled = *enabled;
    info->ttl_attribute = *enabled ? *attribute : std::string();
    return Status::Ok();
  });
  ThrowIfError(updated.status());
  return json::object{{"TimeToLiveSpecification",
                       json::object{{"Enabled", *enabled}, {"AttributeName", *attribute}}}};
}

Response DescribeTimeToLive(const OpContext& ctx, const Request& req) {
  auto table = ctx.store->GetTable(RequireTableName(req));
  ThrowIfError(table.status());
  json::object description;
  if ((*table)->ttl_enabled) {
    description["TimeToLiveStatus"] = "ENABLED";
    description["AttributeName"] = (*table)->ttl_attribute;
  } else {
    description["TimeToLiveStatus"] = "DISABLED";
  }
  return json::object{{"TimeToLiveDescription", std::move(description)}};
}

}  // namespace meridian::api
