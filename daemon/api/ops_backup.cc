// On-demand backups and point-in-time recovery: CreateBackup, DescribeBackup, ListBackups,
// DeleteBackup, RestoreTableFromBackup, UpdateContinuousBackups, DescribeContinuousBackups,
// RestoreTableToPointInTime (docs/backups.md). The work is BackupService's.
#include <boost/json.hpp>
#include <chrono>
#include <cmath>

#include "daemon/api/api_error.h"
#include "daemon/api/backup_service.h"
#include "daemon/api/index_schema.h"
#include "daemon/api/operations.h"
#include "daemon/api/request.h"
#include "daemon/api/table_description.h"

namespace meridian::api {
namespace json = boost::json;

namespace {

BackupService& Backups(const OpContext& ctx) {
  if (!ctx.options->backups) throw ApiError::Validation("Backups are not enabled on this server");
  return *ctx.options->backups;
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

double Seconds(uint64_t ms) { return static_cast<double>(ms) / 1000.0; }

// Epoch seconds (a JSON number, as the SDKs send timestamps) as milliseconds.
std::optional<uint64_t> OptionalTimeMs(const Request& req, std::string_view name) {
  const json::value* v = Member(req, name);
  if (!v) return std::nullopt;
  if (!v->is_number())
    throw ApiError::Serialization("Unexpected value type for " + std::string(name));
  const double seconds = v->to_number<double>();
  if (!(seconds >= 0) || seconds > 1e12) throw ApiError::Validation("Invalid " + std::string(name));
  return static_cast<uint64_t>(std::floor(seconds * 1000.0));
}

// The backup id of a BackupArn ("...:table/NAME/backup/ID").
std::string BackupIdOf(const std::string& arn) {
  CheckArnLength(arn, "backupArn");
  const auto at = arn.rfind("/backup/");
  if (!arn.starts_with("arn:") || at == std::string::npos) {
    throw ApiError::Service("BackupNotFoundException",
                            "Backup not found for the given BackupARN: " + arn);
  }
  return arn.substr(at + 8);
}

BackupRecord RequireBackup(const OpContext& ctx, const std::string& arn) {
  auto backup = Backups(ctx).FindBackup(BackupIdOf(arn));
  if (!backup)
    throw ApiError::Service("BackupNotFoundException",
                            "Backup not found for the given BackupARN: " + arn);
  return *backup;
}

json::object BackupDetails(const OpContext& ctx, const BackupRecord& b) {
  json::object d{{"BackupArn", Backups(ctx).BackupArn(b)},
                 {"BackupName", b.name},
                 {"BackupStatus", b.status},
                 {"BackupType", "USER"},
                 {"BackupCreationDateTime", Seconds(b.created_ms)}};
  if (b.status == "AVAILABLE" || b.status == "DELETED") d["BackupSizeBytes"] = b.size_bytes;
  return d;
}

json::object BackupDescription(const OpContext& ctx, const BackupRecord& b) {
  // The source table as it was: the members of its TableDescription a backup keeps.
  json::object t = DescribeTableInfo(ctx, b.table, "ACTIVE");
  json::object source{
      {"TableName", b.table.name},
      {"TableId", t["TableId"]},
      {"TableArn", t["TableArn"]},
      {"TableSizeBytes", b.table_size_bytes},
      {"KeySchema", t["KeySchema"]},
      {"TableCreationDateTime", Seconds(b.table.creation_time_ms)},
      {"ProvisionedThroughput", json::object{{"ReadCapacityUnits", b.table.read_capacity},
                                             {"WriteCapacityUnits", b.table.write_capacity}}},
      {"ItemCount", b.item_count},
      {"BillingMode", store::BillingModeName(b.table.billing_mode)}};
  json::object features;
  for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
    const json::value* indexes = t.if_contains(kind);
    if (!indexes) continue;
    json::array out;
    for (const auto& index : indexes->as_array()) {
      const json::object& i = index.as_object();
      json::object kept{{"IndexName", i.at("IndexName")},
                        {"KeySchema", i.at("KeySchema")},
                        {"Projection", i.at("Projection")}};
      if (const json::value* pt = i.if_contains("ProvisionedThroughput")) {
        kept["ProvisionedThroughput"] =
            json::object{{"ReadCapacityUnits", pt->as_object().at("ReadCapacityUnits")},
                         {"WriteCapacityUnits", pt->as_object().at("WriteCapacityUnits")}};
      }
      out.push_back(std::move(kept));
    }
    features[kind] = std::move(out);
  }
  return json::object{{"BackupDetails", BackupDetails(ctx, b)},
                      {"SourceTableDetails", std::move(source)},
                      {"SourceTableFeatureDetails", std::move(features)}};
}

// The definition of a restored table: the source's, renamed, with the overrides of the
// request (BillingModeOverride, ProvisionedThroughputOverride, GlobalSecondaryIndexOverride,
// LocalSecondaryIndexOverride). Tags, streams and TTL are not restored (as in DynamoDB).
store::TableInfo RestoredDefinition(const store::TableInfo& source, const std::string& target,
                                    const Request& req) {
  store::TableInfo t = source;
  t.name = target;
  t.table_id = 0;
  t.creation_time_ms = 0;  // the restored table is new
  t.tags.clear();
  for (const auto& [key, value] : source.tags) {
    if (key == "meridian:conflict") t.tags.emplace_back(key, value);  // the merge policy stays
  }
  if (Member(req, "BillingModeOverride") || Member(req, "ProvisionedThroughputOverride")) {
    Request billing;
    if (auto mode = OptionalString(req, "BillingModeOverride"))
      billing["BillingMode"] = *mode;
    else
      billing["BillingMode"] = store::BillingModeName(source.billing_mode);
    if (const json::value* pt = Member(req, "ProvisionedThroughputOverride")) {
      billing["ProvisionedThroughput"] = *pt;
    } else if (billing["BillingMode"] == "PROVISIONED") {
      billing["ProvisionedThroughput"] =
          json::object{{"ReadCapacityUnits", std::max<uint64_t>(1, source.read_capacity)},
                       {"WriteCapacityUnits", std::max<uint64_t>(1, source.write_capacity)}};
    }
    ConstraintErrors errors;
    ParseBilling(billing, &t, &errors);
    errors.ThrowIfAny();
  }
  AttributeDefinitions defs;
  auto define = [&](const store::KeyAttribute& k) { defs[k.name] = store::KeyTypeName(k.type); };
  define(source.partition_key);
  if (source.sort_key) define(*source.sort_key);
  for (const auto& index : source.indexes) {
    define(index.partition_key);
    if (index.sort_key) define(*index.sort_key);
  }
  for (const auto& [member, local] : {std::pair("GlobalSecondaryIndexOverride", false),
                                      std::pair("LocalSecondaryIndexOverride", true)}) {
    const json::value* list = Member(req, member);
    if (!list) continue;
    const bool is_local = local;
    std::erase_if(t.indexes, [is_local](const auto& index) { return index.local == is_local; });
    Request indexes;
    indexes[local ? "LocalSecondaryIndexes" : "GlobalSecondaryIndexes"] = *list;
    ParseCreateTableIndexes(indexes, defs, &t);
  }
  if (t.billing_mode == store::BillingMode::kPayPerRequest) {
    t.read_capacity = t.write_capacity = 0;
    for (auto& index : t.indexes) index.read_capacity = index.write_capacity = 0;
  }
  return t;
}

std::string TargetTableName(const Request& req) {
  auto target = OptionalString(req, "TargetTableName");
  ConstraintErrors errors;
  if (!target)
    errors.NotNull(req, "TargetTableName", "targetTableName");
  else
    errors.TableName(target, "targetTableName");
  errors.ThrowIfAny();
  return *target;
}

// TableInUseException when `target` is being restored, TableAlreadyExistsException when
// it exists.
void CheckTargetFree(const OpContext& ctx, const std::string& target) {
  if (auto restore = Backups(ctx).FindRestore(target); restore && restore->in_progress) {
    throw ApiError::Service("TableInUseException", "Table is being restored: " + target);
  }
  if (ctx.store->GetTable(target).ok()) {
    throw ApiError::Service("TableAlreadyExistsException", "Table already exists: " + target);
  }
}

json::object RestoredTableReply(const OpContext& ctx,
                                const Result<std::shared_ptr<const store::TableInfo>>& created,
                                const std::string& target) {
  if (!created.ok()) {
    if (created.status().code() == Status::Code::kResourceInUse) {
      throw ApiError::Service("TableAlreadyExistsException", "Table already exists: " + target);
    }
    ThrowIfError(created.status());
  }
  return json::object{{"TableDescription", DescribeTableInfo(ctx, **created, "CREATING")}};
}

}  // namespace

Response CreateBackup(const OpContext& ctx, const Request& req) {
  const std::string table = RequireTableName(req);
  auto name = OptionalString(req, "BackupName");
  ConstraintErrors errors;
  if (!name)
    errors.NotNull(req, "BackupName", "backupName");
  else
    errors.TableName(name, "backupName");
  errors.ThrowIfAny();
  auto backup = Backups(ctx).CreateBackup(table, *name);
  if (!backup.ok()) {
    if (backup.status().code() == Status::Code::kNotFound) {
      throw ApiError::Service("TableNotFoundException", "Table not found: " + table);
    }
    if (backup.status().code() == Status::Code::kResourceInUse) {
      throw ApiError::Service("TableInUseException",
                              "Table is being restored or created: " + table);
    }
    ThrowIfError(backup.status());
  }
  return json::object{{"BackupDetails", BackupDetails(ctx, *backup)}};
}

Response DescribeBackup(const OpContext& ctx, const Request& req) {
  const BackupRecord backup = RequireBackup(ctx, RequiredString(req, "BackupArn", "backupArn"));
  return json::object{{"BackupDescription", BackupDescription(ctx, backup)}};
}

Response DeleteBackup(const OpContext& ctx, const Request& req) {
  const std::string arn = RequiredString(req, "BackupArn", "backupArn");
  RequireBackup(ctx, arn);
  auto deleted = Backups(ctx).DeleteBackup(BackupIdOf(arn));
  if (!deleted.ok()) {
    if (deleted.status().code() == Status::Code::kResourceInUse) {
      throw ApiError::Service("BackupInUseException",
                              "Backup is being created or restored: " + arn);
    }
    throw ApiError::Service("BackupNotFoundException",
                            "Backup not found for the given BackupARN: " + arn);
  }
  return json::object{{"BackupDescription", BackupDescription(ctx, *deleted)}};
}

Response ListBackups(const OpContext& ctx, const Request& req) {
  auto table = OptionalString(req, "TableName");
  auto limit = OptionalInt(req, "Limit");
  auto start = OptionalString(req, "ExclusiveStartBackupArn");
  auto type = OptionalString(req, "BackupType");
  const auto lower = OptionalTimeMs(req, "TimeRangeLowerBound");
  const auto upper = OptionalTimeMs(req, "TimeRangeUpperBound");
  ConstraintErrors errors;
  if (table) errors.TableName(table, "tableName");
  if (limit && (*limit < 1 || *limit > 100)) {
    errors.Add(std::to_string(*limit), "limit",
               *limit < 1 ? "Member must have value greater than or equal to 1"
                          : "Member must have value less than or equal to 100");
  }
  if (type && *type != "USER" && *type != "SYSTEM" && *type != "AWS_BACKUP" && *type != "ALL") {
    errors.Add(*type, "backupType",
               "Member must satisfy enum value set: [USER, SYSTEM, AWS_BACKUP, ALL]");
  }
  errors.ThrowIfAny();
  const size_t max = static_cast<size_t>(limit.value_or(100));
  const bool users = !type || *type == "USER" || *type == "ALL";
  json::array summaries;
  std::string last;
  bool past_start = !start;
  const std::vector<BackupRecord> all =
      users ? Backups(ctx).ListBackups() : std::vector<BackupRecord>{};
  size_t i = 0;
  for (; i < all.size(); ++i) {
    const BackupRecord& b = all[i];
    const std::string arn = Backups(ctx).BackupArn(b);
    if (!past_start) {
      past_start = arn == *start;
      continue;
    }
    if (table && b.table.name != *table) continue;
    if (lower && b.created_ms < *lower) continue;
    if (upper && b.created_ms >= *upper) continue;
    if (summaries.size() == max) break;
    json::object s{{"TableName", b.table.name},
                   {"TableArn", Backups(ctx).TableArn(b.table.name)},
                   {"BackupArn", arn},
                   {"BackupName", b.name},
                   {"BackupCreationDateTime", Seconds(b.created_ms)},
                   {"BackupStatus", b.status},
                   {"BackupType", "USER"}};
    if (b.status == "AVAILABLE") s["BackupSizeBytes"] = b.size_bytes;
    s["TableId"] = DescribeTableInfo(ctx, b.table, "ACTIVE")["TableId"];
    summaries.push_back(std::move(s));
    last = arn;
  }
  json::object out{{"BackupSummaries", std::move(summaries)}};
  if (i < all.size() && !last.empty()) out["LastEvaluatedBackupArn"] = last;
  return out;
}

Response RestoreTableFromBackup(const OpContext& ctx, const Request& req) {
  const std::string target = TargetTableName(req);
  const BackupRecord backup = RequireBackup(ctx, RequiredString(req, "BackupArn", "backupArn"));
  if (backup.status != "AVAILABLE") {
    throw ApiError::Service("BackupInUseException",
                            "Backup is being created: " + Backups(ctx).BackupArn(backup));
  }
  CheckTargetFree(ctx, target);
  store::TableInfo definition = RestoredDefinition(backup.table, target, req);
  return RestoredTableReply(ctx, Backups(ctx).RestoreFromBackup(backup.id, std::move(definition)),
                            target);
}

namespace {

json::object ContinuousBackups(const OpContext& ctx, const store::TableInfo& table) {
  json::object pitr;
  if (auto state = ctx.store->GetPitr(table.table_id)) {
    const uint64_t now = NowMs();
    pitr = json::object{{"PointInTimeRecoveryStatus", "ENABLED"},
                        {"RecoveryPeriodInDays", state->period_days},
                        {"EarliestRestorableDateTime", Seconds(state->EarliestRestorable(now))},
                        {"LatestRestorableDateTime", Seconds(now)}};
  } else {
    pitr = json::object{{"PointInTimeRecoveryStatus", "DISABLED"}};
  }
  return json::object{{"ContinuousBackupsStatus", "ENABLED"},
                      {"PointInTimeRecoveryDescription", std::move(pitr)}};
}

std::shared_ptr<const store::TableInfo> RequireTable(const OpContext& ctx,
                                                     const std::string& name) {
  auto table = ctx.store->GetTable(name);
  if (!table.ok()) throw ApiError::Service("TableNotFoundException", "Table not found: " + name);
  return *table;
}

}  // namespace

Response DescribeContinuousBackups(const OpContext& ctx, const Request& req) {
  const auto table = RequireTable(ctx, RequireTableName(req));
  return json::object{{"ContinuousBackupsDescription", ContinuousBackups(ctx, *table)}};
}

Response UpdateContinuousBackups(const OpContext& ctx, const Request& req) {
  const std::string name = RequireTableName(req);
  const json::value* spec_value = Member(req, "PointInTimeRecoverySpecification");
  ConstraintErrors errors;
  if (!spec_value)
    errors.NotNull(req, "PointInTimeRecoverySpecification", "pointInTimeRecoverySpecification");
  errors.ThrowIfAny();
  const json::object& spec = ExpectObject(*spec_value, "PointInTimeRecoverySpecification");
  auto enabled = OptionalBool(spec, "PointInTimeRecoveryEnabled");
  auto days = OptionalInt(spec, "RecoveryPeriodInDays");
  if (!enabled) {
    errors.NotNull(spec, "PointInTimeRecoveryEnabled",
                   "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled");
  }
  if (days && (*days < store::kMinPitrDays || *days > store::kMaxPitrDays)) {
    errors.Add(std::to_string(*days), "pointInTimeRecoverySpecification.recoveryPeriodInDays",
               *days < store::kMinPitrDays ? "Member must have value greater than or equal to 1"
                                           : "Member must have value less than or equal to 35");
  }
  errors.ThrowIfAny();
  const auto table = RequireTable(ctx, name);
  if (*enabled) {
    auto state =
        ctx.store->EnablePitr(name, static_cast<uint32_t>(days.value_or(store::kMaxPitrDays)));
    if (!state.ok() && state.status().code() == Status::Code::kNotFound) {
      throw ApiError::Service("TableNotFoundException", "Table not found: " + name);
    }
    ThrowIfError(state.status());
  } else {
    if (days) {
      throw ApiError::Validation(
          "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true");
    }
    ThrowIfError(ctx.store->DisablePitr(name));
  }
  return json::object{{"ContinuousBackupsDescription", ContinuousBackups(ctx, *table)}};
}

Response RestoreTableToPointInTime(const OpContext& ctx, const Request& req) {
  const std::string target = TargetTableName(req);
  auto source_name = OptionalString(req, "SourceTableName");
  if (auto arn = OptionalString(req, "SourceTableArn")) {
    const auto at = arn->rfind(":table/");
    if (at == std::string::npos) throw ApiError::Validation("Invalid SourceTableArn: " + *arn);
    if (source_name && *source_name != arn->substr(at + 7)) {
      throw ApiError::Validation("Only one of SourceTableArn or SourceTableName can be specified");
    }
    source_name = arn->substr(at + 7);
  }
  if (!source_name) {
    throw ApiError::Validation("Either SourceTableArn or SourceTableName must be specified");
  }
  const auto restore_ms = OptionalTimeMs(req, "RestoreDateTime");
  const bool latest = OptionalBool(req, "UseLatestRestorableTime").value_or(false);
  if (latest && restore_ms) {
    throw ApiError::Validation(
        "Only one of RestoreDateTime or UseLatestRestorableTime can be specified");
  }
  if (!latest && !restore_ms) {
    throw ApiError::Validation(
        "Either RestoreDateTime or UseLatestRestorableTime must be specified");
  }
  const auto source = RequireTable(ctx, *source_name);
  const auto state = ctx.store->GetPitr(source->table_id);
  if (!state) {
    throw ApiError::Service(
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery is not enabled for table '" + *source_name + "'");
  }
  const uint64_t now = NowMs();
  const uint64_t at = latest ? now : *restore_ms;
  if (at < state->EarliestRestorable(now) || at > now) {
    throw ApiError::Service("InvalidRestoreTimeException",
                            "Restore time must be between EarliestRestorableDateTime and "
                            "LatestRestorableDateTime");
  }
  CheckTargetFree(ctx, target);
  store::TableInfo definition = RestoredDefinition(*source, target, req);
  return RestoredTableReply(
      ctx, Backups(ctx).RestoreToPointInTime(*source_name, at, std::move(definition)), target);
}

}  // namespace meridian::api
