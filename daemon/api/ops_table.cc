// CreateTable, DescribeTable, ListTables, DeleteTable.
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "daemon/api/api_error.h"
#include "daemon/api/backup_service.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/index_schema.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "daemon/api/table_description.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;
using store::KeyType;
using store::ParseKeyType;

namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

struct KeySchemaElement {
  std::string name;
  std::string key_type;
};

// Parses KeySchema and AttributeDefinitions, collecting DynamoDB's constraint errors.
// Returns the first attribute defined twice ("" when none).
std::string ParseKeyDefinitions(const Request& req, std::vector<KeySchemaElement>* schema,
                                std::map<std::string, std::string>* defs,
                                ConstraintErrors* errors) {
  if (const json::value* ks = Member(req, "KeySchema")) {
    const json::array& arr = ExpectArray(*ks, "KeySchema");
    if (arr.empty()) {
      errors->Add("'[]'", "keySchema", "Member must have length greater than or equal to 1");
    }
    if (arr.size() > 2) {
      errors->Add("'[...]'", "keySchema", "Member must have length less than or equal to 2");
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      const json::object& e = ExpectObject(arr[i], "KeySchemaElement");
      const std::string path = "keySchema." + std::to_string(i + 1) + ".member.";
      auto name = OptionalString(e, "AttributeName");
      auto type = OptionalString(e, "KeyType");
      if (!name) errors->Add("null", path + "attributeName", "Member must not be null");
      if (name) errors->KeyAttributeName(*name, path + "attributeName");
      if (!type) {
        errors->Add("null", path + "keyType", "Member must not be null");
      } else if (*type != "HASH" && *type != "RANGE") {
        errors->Add(Quote(*type), path + "keyType",
                    "Member must satisfy enum value set: [HASH, RANGE]");
      }
      if (name && type) schema->push_back({*name, *type});
    }
  } else {
    errors->Add("null", "keySchema", "Member must not be null");
  }
  if (!Member(req, "AttributeDefinitions"))
    errors->Add("null", "attributeDefinitions", "Member must not be null");
  return ParseAttributeDefinitions(req, defs, errors);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

}  // namespace

std::string ParseAttributeDefinitions(const Request& req, AttributeDefinitions* defs,
                                      ConstraintErrors* errors) {
  std::string duplicated;
  if (const json::value* ad = Member(req, "AttributeDefinitions")) {
    const json::array& arr = ExpectArray(*ad, "AttributeDefinitions");
    for (size_t i = 0; i < arr.size(); ++i) {
      const json::object& e = ExpectObject(arr[i], "AttributeDefinition");
      const std::string path = "attributeDefinitions." + std::to_string(i + 1) + ".member.";
      auto name = OptionalString(e, "AttributeName");
      auto type = OptionalString(e, "AttributeType");
      if (!name) errors->Add("null", path + "attributeName", "Member must not be null");
      if (name) errors->KeyAttributeName(*name, path + "attributeName");
      if (!type) {
        errors->Add("null", path + "attributeType", "Member must not be null");
      } else if (!ParseKeyType(*type)) {
        errors->Add(Quote(*type), path + "attributeType",
                    "Member must satisfy enum value set: [B, N, S]");
      }
      if (name && type && !defs->emplace(*name, *type).second && duplicated.empty()) {
        duplicated = *name;
      }
    }
  }
  return duplicated;
}

void ThrowIfDuplicated(const std::string& name) {
  if (!name.empty()) throw ApiError::Validation("Attribute Name is duplicated: " + name);
}

void ParseBilling(const Request& req, store::TableInfo* info, ConstraintErrors* errors) {
  auto mode = OptionalString(req, "BillingMode");
  const auto parsed = mode ? store::ParseBillingMode(*mode) : store::BillingMode::kProvisioned;
  if (!parsed) {
    errors->Add(Quote(*mode), "billingMode",
                "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
    return;
  }
  info->billing_mode = *parsed;
  const json::value* pt = Member(req, "ProvisionedThroughput");
  if (info->billing_mode == store::BillingMode::kPayPerRequest) {
    if (pt) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
          "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    }
    return;
  }
  if (!pt) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
        "must both be specified when BillingMode is PROVISIONED");
  }
  const json::object& obj = ExpectObject(*pt, "ProvisionedThroughput");
  auto rcu = OptionalInt(obj, "ReadCapacityUnits");
  auto wcu = OptionalInt(obj, "WriteCapacityUnits");
  if (!rcu)
    errors->Add("null", "provisionedThroughput.readCapacityUnits", "Member must not be null");
  if (!wcu)
    errors->Add("null", "provisionedThroughput.writeCapacityUnits", "Member must not be null");
  if (rcu && *rcu < 1) {
    errors->Add(std::to_string(*rcu), "provisionedThroughput.readCapacityUnits",
                "Member must have value greater than or equal to 1");
  }
  if (wcu && *wcu < 1) {
    errors->Add(std::to_string(*wcu), "provisionedThroughput.writeCapacityUnits",
                "Member must have value greater than or equal to 1");
  }
  info->read_capacity = rcu && *rcu > 0 ? static_cast<uint64_t>(*rcu) : 0;
  info->write_capacity = wcu && *wcu > 0 ? static_cast<uint64_t>(*wcu) : 0;
}

namespace {

void ParseTags(const Request& req, store::TableInfo* info) {
  const json::value* tags = Member(req, "Tags");
  if (!tags) return;
  for (auto& [key, value] : ParseTagList(*tags, "tags")) {
    info->tags.emplace_back(key, value);
    if (key == "meridian:conflict") {
      auto policy = conflict::ParsePolicy(value);
      if (!policy.ok()) {
        throw ApiError::Validation(
            "One or more parameter values were invalid: tag meridian:conflict must be lww or "
            "merge");
      }
      info->conflict_policy = *policy;
    }
  }
}

}  // namespace

Response CreateTable(const OpContext& ctx, const Request& req) {
  store::TableInfo info;
  ConstraintErrors errors;
  auto name = OptionalString(req, "TableName");
  errors.TableName(name, "tableName");
  std::vector<KeySchemaElement> schema;
  std::map<std::string, std::string> defs;
  const std::string duplicated = ParseKeyDefinitions(req, &schema, &defs, &errors);
  ParseBilling(req, &info, &errors);
  CheckCreateTableIndexShapes(req, &errors);
  errors.ThrowIfAny();
  ThrowIfDuplicated(duplicated);
  info.name = *name;

  if (schema[0].key_type != "HASH") {
    throw ApiError::Validation(
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (schema.size() == 2 && schema[1].key_type != "RANGE") {
    throw ApiError::Validation(
        "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  if (schema.size() == 2 && schema[0].name == schema[1].name) {
    throw ApiError::Validation(
        "Invalid KeySchema: Both the Hash Key and the Range Key element in the KeySchema have the "
        "same name");
  }
  std::vector<std::string> key_names, def_names;
  for (const auto& e : schema) key_names.push_back(e.name);
  for (const auto& [n, t] : defs) def_names.push_back(n);
  for (const auto& k : key_names) {
    if (!defs.count(k)) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: Some index key attributes are not defined "
          "in AttributeDefinitions. Keys: " +
          JoinNames(key_names) + ", AttributeDefinitions: " + JoinNames(def_names));
    }
  }
  info.partition_key = {schema[0].name, *ParseKeyType(defs[schema[0].name])};
  if (schema.size() == 2) {
    info.sort_key = store::KeyAttribute{schema[1].name, *ParseKeyType(defs[schema[1].name])};
  }
  const bool has_indexes =
      Member(req, "GlobalSecondaryIndexes") || Member(req, "LocalSecondaryIndexes");
  if (!has_indexes && defs.size() != key_names.size()) {
    throw ApiError::Validation(
        "One or more parameter values were invalid: Number of attributes in KeySchema does not "
        "exactly match number of attributes defined in AttributeDefinitions");
  }
  ParseCreateTableIndexes(req, defs, &info);
  CheckAttributeDefinitionsUsed(defs, info);
  ParseTags(req, &info);
  ApplyStreamSpecification(req, /*creating=*/true, &info);
  info.all_regions = ctx.options->global_tables;

  auto created = ctx.store->CreateTable(std::move(info));
  ThrowIfError(created.status());
  json::object out;
  out["TableDescription"] = DescribeTableInfo(ctx, **created, "ACTIVE");
  return out;
}

Response DescribeTable(const OpContext& ctx, const Request& req) {
  auto table = ctx.store->GetTable(RequireTableName(req));
  ThrowIfError(table.status());
  json::object out;
  out["Table"] = DescribeTableInfo(ctx, **table, "ACTIVE");
  return out;
}

Response ListTables(const OpContext& ctx, const Request& req) {
  auto limit = OptionalInt(req, "Limit");
  auto start = OptionalString(req, "ExclusiveStartTableName");
  ConstraintErrors errors;
  if (limit && *limit < 1)
    errors.Add(std::to_string(*limit), "limit",
               "Member must have value greater than or equal to 1");
  if (limit && *limit > 100)
    errors.Add(std::to_string(*limit), "limit", "Member must have value less than or equal to 100");
  if (start) errors.TableName(start, "exclusiveStartTableName");
  errors.ThrowIfAny();
  const size_t max = static_cast<size_t>(limit.value_or(100));
  auto names = ctx.store->ListTableNames();
  auto it = start ? std::upper_bound(names.begin(), names.end(), *start) : names.begin();
  json::array page;
  for (; it != names.end() && page.size() < max; ++it) page.emplace_back(*it);
  json::object out;
  if (it != names.end() && !page.empty()) out["LastEvaluatedTableName"] = page.back();
  out["TableNames"] = std::move(page);
  return out;
}

Response DeleteTable(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  if (ctx.options->backups) {
    if (auto restore = ctx.options->backups->FindRestore(name); restore && restore->in_progress) {
      throw ApiError::ResourceInUse(
          "Attempt to change a resource which is still in use: Table is being restored: " + name);
    }
    if (auto table = ctx.store->GetTable(name);
        table.ok() && ctx.options->backups->Importing(name, (*table)->table_id)) {
      throw ApiError::ResourceInUse(
          "Attempt to change a resource which is still in use: Table is being imported: " + name);
    }
  }
  if (auto table = ctx.store->GetTable(name); table.ok() && ctx.store->Backfilling(name)) {
    throw ApiError::ResourceInUse(
        "Attempt to change a resource which is still in use: Table is being updated: " + name);
  }
  auto deleted = ctx.store->DeleteTable(name);
  ThrowIfError(deleted.status());
  // DynamoDB's DeleteTable describes the table without its schema: no KeySchema,
  // AttributeDefinitions, CreationDateTime or index lists (docs/conformance.md).
  json::object description = DescribeTableInfo(ctx, **deleted, "DELETING");
  for (std::string_view member : {"KeySchema", "AttributeDefinitions", "CreationDateTime",
                                  "GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    description.erase(member);
  }
  json::object out;
  out["TableDescription"] = std::move(description);
  return out;
}

std::string TableUuid(uint32_t table_id) {
  char buf[13];
  std::snprintf(buf, sizeof buf, "%012x", table_id);
  return "00000000-0000-4000-8000-" + std::string(buf);
}

json::object DescribeTableInfo(const OpContext& ctx, const store::TableInfo& info,
                               std::string_view status, const std::vector<std::string>& deleting) {
  json::object t;
  json::array defs, schema;
  auto add_key = [&](const store::KeyAttribute& k, const char* key_type) {
    defs.push_back(
        json::object{{"AttributeName", k.name}, {"AttributeType", store::KeyTypeName(k.type)}});
    schema.push_back(json::object{{"AttributeName", k.name}, {"KeyType", key_type}});
  };
  add_key(info.partition_key, "HASH");
  if (info.sort_key) add_key(*info.sort_key, "RANGE");
  t["AttributeDefinitions"] = std::move(defs);
  t["TableName"] = info.name;
  t["KeySchema"] = std::move(schema);
  t["TableStatus"] = status;
  t["CreationDateTime"] = static_cast<double>(info.creation_time_ms) / 1000.0;
  t["ProvisionedThroughput"] =
      DescribeThroughput(info.read_capacity, info.write_capacity, info.throughput);
  auto stats = ctx.store->GetTableStats(info.table_id);
  t["TableSizeBytes"] = stats.size_bytes;
  t["ItemCount"] = stats.item_count;
  t["TableArn"] = "arn:aws:dynamodb:" + ctx.options->region + ":" + ctx.options->account_id +
                  ":table/" + info.name;
  t["TableId"] = TableUuid(info.table_id);
  if (info.billing_mode == store::BillingMode::kPayPerRequest) {
    t["BillingModeSummary"] = json::object{
        {"BillingMode", "PAY_PER_REQUEST"},
        {"LastUpdateToPayPerRequestDateTime", static_cast<double>(info.creation_time_ms) / 1000.0}};
  } else {
    t["BillingModeSummary"] = json::object{{"BillingMode", "PROVISIONED"}};
  }
  t["DeletionProtectionEnabled"] = false;
  if (ctx.options->backups) {
    if (auto restore = ctx.options->backups->FindRestore(info.name);
        restore && restore->table_id == info.table_id) {
      json::object summary{
          {"SourceTableArn", restore->source_table_arn},
          {"RestoreDateTime", static_cast<double>(restore->restore_time_ms) / 1000.0},
          {"RestoreInProgress", restore->in_progress}};
      if (!restore->source_backup_arn.empty())
        summary["SourceBackupArn"] = restore->source_backup_arn;
      t["RestoreSummary"] = std::move(summary);
      if (restore->in_progress) t["TableStatus"] = "CREATING";
    }
    if (ctx.options->backups->Importing(info.name, info.table_id)) t["TableStatus"] = "CREATING";
  }
  DescribeStreamSpecification(ctx, info, &t);
  DescribeIndexes(ctx, info, deleting, &t);
  DescribeReplicas(ctx, info, &t);
  return t;
}

}  // namespace meridian::api
