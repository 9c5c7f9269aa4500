// On-demand backups, restores, exports and imports: the records DynamoDB's Describe*/List*
// operations show, their files, and one worker thread that runs the long jobs
// (docs/backups.md). A backup is a directory under backup_dir holding the table's definition
// and its item versions as of one RocksDB snapshot; it is written under "<id>.partial" and
// renamed when complete, so a crash leaves no half backup. A restore writes an intent file
// before it creates its table and removes it when the table is full; at start, a table whose
// intent file is still there is deleted, so a crash leaves no half table.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"
#include "store/history.h"
#include "store/table_info.h"

namespace meridian::store {
class Store;
}

namespace meridian::api {

struct BackupServiceOptions {
  std::string backup_dir;  // backups, and the records of exports and imports
  std::string s3_dir;      // the local S3: bucket B is the directory s3_dir/B
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Most of a core that reading a table for a backup or an export may take, so requests
  // keep theirs when the daemon has one core (1: unpaced).
  double job_cpu_share = 0.25;
};

// Keeps a thread to a share of one core: Step() after each piece of work sleeps for the CPU
// time the thread used since the last step times (1 - share) / share.
class CpuPacer {
 public:
  explicit CpuPacer(double share);
  void Step();

 private:
  double share_;
  int64_t last_cpu_ns_;
};

struct BackupRecord {
  std::string id;  // "<13-digit ms>-<8 hex>", the last part of the ARN
  std::string name;
  std::string status;      // CREATING, AVAILABLE, DELETED
  store::TableInfo table;  // the source table's definition at the snapshot
  uint64_t created_ms = 0;
  uint64_t size_bytes = 0;        // of the backup's files
  uint64_t item_count = 0;        // live items of the source table at the snapshot
  uint64_t table_size_bytes = 0;  // their DynamoDB size
};

// A table being (or last) restored here, for its TableDescription's RestoreSummary.
struct RestoreRecord {
  std::string source_backup_arn;  // empty for a point-in-time restore
  std::string source_table_arn;
  uint64_t restore_time_ms = 0;  // the state restored: the backup's or the point in time
  bool in_progress = true;
  std::string failure;
  uint32_t table_id = 0;  // of the restored table (a later table of that name is another)
};

// A job's id: "<13-digit ms>-<8 hex>" (backups, exports, imports).
std::string NewJobId();

// Long jobs: exports and imports keep their own records (export_import.h).
class BackupService {
 public:
  BackupService(store::Store* store, BackupServiceOptions options);
  ~BackupService();
  BackupService(const BackupService&) = delete;
  BackupService& operator=(const BackupService&) = delete;

  // Loads the records, drops half-written backups and half-restored tables, starts the
  // worker.
  Status Start();
  const BackupServiceOptions& options() const { return options_; }
  store::Store* store() const { return store_; }
  std::string TableArn(std::string_view table) const;
  std::string BackupArn(const BackupRecord& backup) const;

  // ---- backups ----
  // Takes the snapshot now and writes it in the background (status CREATING until then).
  // NotFound for a table not held here, ResourceInUse while it is being restored.
  Result<BackupRecord> CreateBackup(std::string_view table, std::string_view name) EXCLUDES(mu_);
  std::optional<BackupRecord> FindBackup(std::string_view id) const EXCLUDES(mu_);
  // Every backup here, oldest first.
  std::vector<BackupRecord> ListBackups() const EXCLUDES(mu_);
  // NotFound; ResourceInUse while a backup is being written or restored from.
  Result<BackupRecord> DeleteBackup(std::string_view id) EXCLUDES(mu_);

  // ---- restores ----
  // Creates `target` (a new table here only) and fills it in the background from the
  // backup, or from `source_table`'s PITR history at `time_ms`. ResourceInUse when the
  // target exists (TableAlreadyExists is the caller's to report).
  Result<std::shared_ptr<const store::TableInfo>> RestoreFromBackup(std::string_view backup_id,
                                                                    store::TableInfo target)
      EXCLUDES(mu_);
  Result<std::shared_ptr<const store::TableInfo>> RestoreToPointInTime(
      std::string_view source_table, uint64_t time_ms, store::TableInfo target) EXCLUDES(mu_);
  std::optional<RestoreRecord> FindRestore(std::string_view table) const EXCLUDES(mu_);

  // Runs `job` on the worker thread, after the jobs queued before it.
  void Enqueue(std::function<void()> job) EXCLUDES(mu_);
  // Creates a restore-style intent for a table being filled by a job (imports): while it
  // exists, a restart deletes the table. Cleared by ClearIntent.
  Status WriteIntent(std::string_view table) const;
  void ClearIntent(std::string_view table) const;
  // Tables an import is filling (TableStatus CREATING until it ends).
  void SetImporting(std::string_view table, uint32_t table_id, bool importing) EXCLUDES(mu_);
  bool Importing(std::string_view table, uint32_t table_id) const EXCLUDES(mu_);

 private:
  using Source = std::function<Result<std::unique_ptr<store::VersionCursor>>()>;
  Result<std::shared_ptr<const store::TableInfo>> Restore(store::TableInfo target,
                                                          RestoreRecord record, Source source,
                                                          std::string backup_id) EXCLUDES(mu_);
  void FillTable(const std::string& table, const Source& source, const std::string& backup_id)
      EXCLUDES(mu_);
  void WriteBackup(BackupRecord record, std::unique_ptr<store::VersionCursor> cursor) EXCLUDES(mu_);
  Status LoadBackups() EXCLUDES(mu_);
  void SaveRestored(const std::string& table, const RestoreRecord& record) const;
  void LoadRestored() EXCLUDES(mu_);
  Status DropInterruptedRestores();
  void Run() EXCLUDES(mu_);

  store::Store* const store_;
  const BackupServiceOptions options_;
  mutable Mutex mu_;
  std::map<std::string, BackupRecord, std::less<>> backups_ GUARDED_BY(mu_);
  std::map<std::string, int, std::less<>> backup_readers_ GUARDED_BY(mu_);  // restores
  std::map<std::string, RestoreRecord, std::less<>> restores_ GUARDED_BY(mu_);
  std::map<std::string, uint32_t, std::less<>> importing_ GUARDED_BY(mu_);  // -> table_id
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  CondVar wake_;
  std::thread worker_;
};

}  // namespace meridian::api
