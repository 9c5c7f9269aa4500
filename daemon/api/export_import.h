// ExportTableToPointInTime and ImportTable as jobs on the BackupService worker, against a
// local S3 (docs/backups.md): bucket B is the directory <s3_dir>/B, and an S3Bucket written
// as file:///PATH is PATH itself. An export writes what DynamoDB's S3 export writes
// (AWSDynamoDB/<id>/_started, data/*.json.gz or *.ion.gz, manifest-files.json,
// manifest-summary.json and their .md5 files) under the prefix; an import reads every data
// file under a key prefix (DYNAMODB_JSON, ION or CSV, gzip or not) into a new table here.
// Each job's record is its ExportDescription / ImportTableDescription, kept as a JSON file
// under <backup_dir>/exports or /imports, so Describe* and List* survive a restart (a job a
// restart interrupted is FAILED; an interrupted import's table is dropped).
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "store/history.h"
#include "store/table_info.h"

namespace meridian::api {

class BackupService;

class ExportImport {
 public:
  explicit ExportImport(BackupService* backups);

  // Loads the records (after BackupService::Start).
  Status Start() EXCLUDES(mu_);

  struct ExportRequest {
    std::string table;
    std::optional<uint64_t> export_time_ms;  // nullopt: now
    std::string bucket, prefix;
    std::string format = "DYNAMODB_JSON";  // or ION
    std::string client_token;
  };
  // Opens the table's versions now (or at export_time_ms from its PITR history) and writes
  // them in the background. Returns the ExportDescription.
  Result<boost::json::object> StartExport(const ExportRequest& request) EXCLUDES(mu_);

  struct ImportRequest {
    std::string bucket, key_prefix;
    std::string format;       // DYNAMODB_JSON, ION, CSV
    std::string compression;  // GZIP, NONE
    char csv_delimiter = ',';
    std::vector<std::string> csv_header;
    std::string client_token;
    boost::json::object source;          // S3BucketSource as requested
    boost::json::object format_options;  // InputFormatOptions as requested
    boost::json::object creation;        // TableCreationParameters as requested
  };
  // `table` was just created (empty) for the import: fills it in the background. Returns
  // the ImportTableDescription.
  Result<boost::json::object> StartImport(const ImportRequest& request,
                                          const store::TableInfo& table) EXCLUDES(mu_);

  // Descriptions by id (the ARN's last part); every record of `kind`, oldest first.
  std::optional<boost::json::object> Find(std::string_view kind, std::string_view id) const
      EXCLUDES(mu_);
  std::vector<boost::json::object> List(std::string_view kind) const EXCLUDES(mu_);
  // An export of this ClientToken (to replay it, or to refuse a different request).
  std::optional<boost::json::object> FindExportByToken(std::string_view token) const EXCLUDES(mu_);

 private:
  struct Record {
    std::string kind;  // "export" or "import"
    std::string id;
    uint64_t created_ms = 0;
    boost::json::object description;
  };
  void Save(const Record& record) const;
  void Update(const std::string& kind, const std::string& id,
              const std::function<void(boost::json::object*)>& edit) EXCLUDES(mu_);
  void RunExport(std::string id, ExportRequest request, std::string table_arn,
                 std::unique_ptr<store::VersionCursor> cursor) EXCLUDES(mu_);
  void RunImport(std::string id, ImportRequest request, store::TableInfo table) EXCLUDES(mu_);

  BackupService* const backups_;
  mutable Mutex mu_;
  std::map<std::string, Record, std::less<>> records_ GUARDED_BY(mu_);  // kind/id -> record
};

// The directory a bucket name stands for (see above).
std::string BucketDirectory(std::string_view s3_dir, std::string_view bucket);

}  // namespace meridian::api
