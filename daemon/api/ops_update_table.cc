// UpdateTable: billing mode and throughput, GlobalSecondaryIndexUpdates (index_schema.h), and
// ReplicaUpdates (global tables version 2019.11.21): Create adds a replica in another region, which
// copies the table and then follows it (CREATING, then ACTIVE); Delete removes a replica and its
// data in that region.
#include <boost/json.hpp>

#include <algorithm>

#include "daemon/api/api_error.h"
#include "daemon/api/capacity_limiter.h"
#include "daemon/api/index_schema.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "daemon/api/table_description.h"
#include "store/store.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

struct ReplicaUpdate {
  bool create = false;
  std::string region;
};

std::vector<ReplicaUpdate> ParseReplicaUpdates(const json::value& v) {
  std::vector<ReplicaUpdate> updates;
  for (const auto& e : ExpectArray(v, "ReplicaUpdates")) {
    const json::object& action = ExpectObject(e, "ReplicationGroupUpdate");
    const json::value* create = Member(action, "Create");
    const json::value* del = Member(action, "Delete");
    const json::value* update = Member(action, "Update");
    if ((create != nullptr) + (del != nullptr) + (update != nullptr) != 1) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: One of Create, Update, or Delete must be "
          "specified in a ReplicationGroupUpdate");
    }
    if (update) continue;  // per-replica settings (KMS key, throughput) are not modelled
    const json::object& body = ExpectObject(create ? *create : *del, "ReplicaAction");
    auto region = OptionalString(body, "RegionName");
    if (!region || region->empty()) {
      ConstraintErrors errors;
      errors.Add(
          "null",
          std::string("replicaUpdates.1.member.") + (create ? "create" : "delete") + ".regionName",
          "Member must not be null");
      errors.ThrowIfAny();
    }
    updates.push_back({create != nullptr, *region});
  }
  return updates;
}

void ApplyReplicaUpdates(const OpContext& ctx, const std::vector<ReplicaUpdate>& updates,
                         store::TableInfo* info) {
  std::vector<std::string> known;
  if (ctx.options->regions) known = ctx.options->regions();
  if (known.empty()) known.push_back(ctx.options->region);
  const bool deletes =
      std::any_of(updates.begin(), updates.end(), [](const auto& u) { return !u.create; });
  if (info->all_regions && deletes) {  // from here on an explicit list
    info->all_regions = false;
    for (const auto& r : known) info->replicas.push_back({r, 0, 0});
  }
  for (const auto& u : updates) {
    // Under --global-tables every region already holds the table: creating a replica in a
    // region of the cluster is a no-op there (so scripts written for DynamoDB still work).
    if (info->all_regions && std::find(known.begin(), known.end(), u.region) != known.end())
      continue;
    const bool exists = info->FindReplica(u.region) != nullptr;
    if (u.create) {
      if (exists) {
        throw ApiError::Validation("Failed to create a the new replica of table with name: '" +
                                   info->name +
                                   "' because one or more replicas already existed as tables.");
      }
      if (std::find(known.begin(), known.end(), u.region) == known.end()) {
        throw ApiError::Validation("One or more parameter values were invalid: Region " + u.region +
                                   " is not a region of this Meridian cluster");
      }
      info->replicas.push_back({u.region, 0, 0});
    } else {
      if (!exists) {
        throw ApiError::Validation(
            "Update global table operation failed because the replica for table '" + info->name +
            "' in region '" + u.region + "' does not exist");
      }
      std::erase_if(info->replicas, [&](const auto& r) { return r.region == u.region; });
      if (info->replicas.empty()) {
        throw ApiError::Validation(
            "One or more parameter values were invalid: the last replica of a table cannot be "
            "deleted; use DeleteTable");
      }
    }
  }
}

}  // namespace

Response UpdateTable(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  const json::value* replica_updates = Member(req, "ReplicaUpdates");
  const json::value* gsi_updates = Member(req, "GlobalSecondaryIndexUpdates");
  // An empty GlobalSecondaryIndexUpdates list counts as none.
  if (gsi_updates && gsi_updates->is_array() && gsi_updates->get_array().empty()) {
    gsi_updates = nullptr;
  }
  auto mode = OptionalString(req, "BillingMode");
  const json::value* throughput = Member(req, "ProvisionedThroughput");
  const bool other = Member(req, "StreamSpecification") || Member(req, "SSESpecification") ||
                     Member(req, "TableClass") || Member(req, "DeletionProtectionEnabled");
  if (!replica_updates && !gsi_updates && !mode && !throughput && !other) {
    throw ApiError::Validation(
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
        "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
  }
  AttributeDefinitions defs;
  std::vector<std::string> deleted_indexes;
  if (gsi_updates) {
    ConstraintErrors errors;
    const std::string duplicated = ParseAttributeDefinitions(req, &defs, &errors);
    if (const json::value* list = Member(req, "GlobalSecondaryIndexUpdates")) {
      CheckIndexUpdateShapes(*list, &errors);
    }
    errors.ThrowIfAny();
    ThrowIfDuplicated(duplicated);
    deleted_indexes = DeletedIndexNames(*gsi_updates);
  }
  std::vector<ReplicaUpdate> updates;
  if (replica_updates) updates = ParseReplicaUpdates(*replica_updates);

  auto current = ctx.store->GetTable(name);
  ThrowIfError(current.status());
  if (!updates.empty() && ctx.store->Backfilling(name)) {
    throw ApiError::ResourceInUse(
        "Attempt to change a resource which is still in use: Table is being updated: " + name);
  }
  auto updated = ctx.store->UpdateTable(name, [&](store::TableInfo* info) -> Status {
    const auto parsed_mode = mode ? store::ParseBillingMode(*mode) : info->billing_mode;
    if (!parsed_mode) {
      ConstraintErrors errors;
      errors.Add("'" + *mode + "'", "billingMode",
                 "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]");
      errors.ThrowIfAny();
    }
    const store::BillingMode next_mode = *parsed_mode;
    if (!throughput && next_mode == store::BillingMode::kProvisioned &&
        info->billing_mode != store::BillingMode::kProvisioned) {
      throw ApiError::Validation(
          "One or more parameter values were invalid: ProvisionedThroughput must be specified "
          "when BillingMode is PROVISIONED");
    }
    if (throughput || next_mode != info->billing_mode) {
      const store::BillingMode mode_before = info->billing_mode;
      const uint64_t read = info->read_capacity, write = info->write_capacity;
      Request billing;
      billing["BillingMode"] = store::BillingModeName(next_mode);
      if (throughput) billing["ProvisionedThroughput"] = *throughput;
      ConstraintErrors errors;
      ParseBilling(billing, info, &errors);
      errors.ThrowIfAny();
      if (next_mode == store::BillingMode::kPayPerRequest)
        info->read_capacity = info->write_capacity = 0;
      if (throughput && mode_before == store::BillingMode::kProvisioned &&
          next_mode == store::BillingMode::kProvisioned) {
        if (read == info->read_capacity && write == info->write_capacity && !gsi_updates) {
          throw ApiError::Validation(
              "The provisioned throughput for the table will not change. The requested value "
              "equals the current value. Current ReadCapacityUnits provisioned for the table: " +
              std::to_string(read) + ". Requested ReadCapacityUnits: " + std::to_string(read) +
              ". Current WriteCapacityUnits provisioned for the table: " + std::to_string(write) +
              ". Requested WriteCapacityUnits: " + std::to_string(write) +
              ". Refer to the Amazon DynamoDB Developer Guide for current limits and how to "
              "request higher limits.");
        }
        RecordThroughputChange(&info->throughput, read, write, info->read_capacity,
                               info->write_capacity, NowMillis(), "table");
      }
    }
    ApplyStreamSpecification(req, /*creating=*/false, info);
    if (!updates.empty()) ApplyReplicaUpdates(ctx, updates, info);
    if (gsi_updates) {
      const bool creating = std::any_of(
          info->indexes.begin(), info->indexes.end(),
          [&](const auto& index) { return ctx.store->IndexBackfilling(index.index_id); });
      ApplyIndexUpdates(*gsi_updates, defs, creating, info);
    }
    return Status::Ok();
  });
  ThrowIfError(updated.status());
  json::object out;
  // Null when this region's own replica was deleted: describe what it was.
  // A deleted index shows DELETING in the answer, as DynamoDB's does while it drops it.
  const bool show_before = !*updated || !deleted_indexes.empty();
  out["TableDescription"] =
      DescribeTableInfo(ctx, show_before ? **current : **updated, "ACTIVE", deleted_indexes);
  return out;
}

void DescribeReplicas(const OpContext& ctx, const store::TableInfo& info, json::object* t) {
  std::vector<std::string> regions;
  if (info.all_regions) {
    if (ctx.options->regions) regions = ctx.options->regions();
  } else {
    for (const auto& r : info.replicas) regions.push_back(r.region);
  }
  auto status = [&](const std::string& region) {
    return ctx.options->replica_status ? ctx.options->replica_status(info, region)
                                       : std::string("ACTIVE");
  };
  bool creating = false;
  json::array replicas;
  for (const auto& region : regions) {
    const std::string s = status(region);
    creating = creating || s != "ACTIVE";
    if (region == ctx.options->region) continue;  // DynamoDB lists the other regions
    replicas.push_back(json::object{{"RegionName", region}, {"ReplicaStatus", s}});
  }
  if (replicas.empty()) return;
  (*t)["GlobalTableVersion"] = "2019.11.21";
  (*t)["Replicas"] = std::move(replicas);
  if (creating && (*t)["TableStatus"] == "ACTIVE") (*t)["TableStatus"] = "UPDATING";
}

}  // namespace meridian::api
