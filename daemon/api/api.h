// The DynamoDB JSON 1.0 API: one call per HTTP request, independent of the transport.
// Thread safety: Handle may be called concurrently from any number of threads.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::store {
class Store;
struct TableInfo;
}  // namespace meridian::store

namespace meridian::security {
struct AccessKey;
}  // namespace meridian::security

namespace meridian::api {

class BackupService;
class ExportImport;
class CapacityLimiter;

struct ApiOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Stage item writes into the store's commit group instead of writing them before
  // Handle returns; the caller then acknowledges only after Store::WhenDurable(commit_seq).
  bool group_commit = false;
  // CreateTable makes every new table a replica in all regions (--global-tables).
  bool global_tables = false;
  // Global tables: every region known in the cluster (this one included), and DynamoDB's
  // ReplicaStatus of a table in a region. Unset for a daemon without replication.
  std::function<std::vector<std::string>()> regions;
  std::function<std::string(const store::TableInfo& table, const std::string& region)>
      replica_status;
  // DescribeEndpoints' Address ("host:port" clients reach this server at); empty: the
  // region's DynamoDB-style name, "dynamodb.<region>.amazonaws.com".
  std::string endpoint_address;
  // Backups, restores, exports and imports (null: those operations are refused).
  BackupService* backups = nullptr;
  ExportImport* exports = nullptr;
  // Throughput limits (null: nothing is throttled).
  CapacityLimiter* limiter = nullptr;
};

// Capacity units one request consumed on one table.
struct TableUsage {
  std::string table;
  double read_units = 0;
  double write_units = 0;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
  // With group_commit: the write this response acknowledges (0 = none); the response must
  // not be sent before the store reports it durable.
  uint64_t commit_seq = 0;
  // For the metrics: the operation ("PutItem"; "" when unknown), the request's TableName
  // ("" when none), the error's __type after '#' ("" on success), the units consumed.
  std::string_view operation;
  std::string table;
  std::string error_type;
  std::vector<TableUsage> usage;
};

class Api {
 public:
  // `store` must outlive the Api.
  Api(store::Store* store, ApiOptions options);

  // `target` is the X-Amz-Target header ("DynamoDB_20120810.PutItem"); `body` the request
  // body. `principal`: the access key that signed the request (SigV4), whose policy must
  // allow it (AccessDeniedException otherwise); nullptr when authentication is off.
  // Never throws: every failure becomes a DynamoDB error body.
  ApiResponse Handle(std::string_view target, std::string_view body,
                     const security::AccessKey* principal = nullptr) const;

 private:
  store::Store* store_;
  ApiOptions options_;
};

}  // namespace meridian::api
