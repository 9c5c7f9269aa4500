// The region's local replica on RocksDB (DESIGN.md sections 2-3).
//
// Column families:
//   catalog : table name            -> TableDescriptor (schemas/catalog.capnp)
//   items   : ItemKey (key_codec.h) -> StoredItem (schemas/item.capnp); deletes are tombstones
//   log     : seq (8 bytes BE)      -> ChangeRecord (schemas/changelog.capnp)
//   meta    : "next_table_id"; "stats": per-table item counts and sizes as of some seq
//
// Table statistics are kept in memory; each change record carries its count and size
// deltas, so Open() rebuilds them from the last "stats" snapshot plus the log after it
// (snapshots are written every kStatsSnapshotEvery writes and at close).
//
// Every item write puts {item, change-log record} into the open commit group; a group is
// written as ONE WriteBatch through the WAL (group commit). A write is acknowledged only once
// its group is written, so an acknowledged write survives kill -9, and the change log has no
// gaps: sequence numbers are assigned in staging order and groups are written in that order.
// Until its group is written a staged write is invisible to readers, but later writes to the
// same item see it (they read through the staged overlay), so conditions stay serializable.
//
// Thread safety: all methods may be called from any thread concurrently. Writes to one item
// are serialized by a striped lock held across read-check-write, which makes conditional
// writes atomic per item.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"
#include "store/item_cache.h"
#include "store/table_info.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace meridian::store {

struct StoreOptions {
  std::string path;
  std::string region;         // written into every version's metadata
  bool sync_writes = false;   // fsync the WAL before acknowledging (durability = fsync)
  size_t block_cache_mb = 256;
  size_t items_write_buffer_mb = 32;
  size_t item_cache_mb = 64;  // decoded-item LRU in front of RocksDB; 0 disables it
};

// What a write callback decides, given the current item (nullptr when absent).
struct Mutation {
  enum class Kind { kNone, kPut, kDelete };
  Kind kind = Kind::kNone;
  model::Item item;  // the full new item for kPut
};
using MutationFn = std::function<Result<Mutation>(const model::Item* current)>;

// How WriteItem commits: kNow writes the open group before returning; kDeferred only stages
// the write, and the caller must use WhenDurable()/CommitPending() before acknowledging it.
enum class CommitMode { kNow, kDeferred };

struct WriteResult {
  std::optional<model::Item> old_item;  // state before the write (absent if none)
  uint64_t seq = 0;                     // change-log sequence number; 0 when nothing written
};

class Store {
 public:
  // Opens or creates the replica at options.path.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- catalog ----
  // Assigns a fresh table_id and creation time. ResourceInUse if the name exists.
  Result<std::shared_ptr<const TableInfo>> CreateTable(TableInfo info);
  // NotFound if there is no such table.
  Result<std::shared_ptr<const TableInfo>> GetTable(std::string_view name) const;
  // All table names in ascending order.
  std::vector<std::string> ListTableNames() const;
  // Removes the table and all its items. NotFound if absent. Returns the definition it had.
  Result<std::shared_ptr<const TableInfo>> DeleteTable(std::string_view name);
  TableStats GetTableStats(uint32_t table_id) const;
  // Changes a table's definition (tags, billing, ...) through `edit`; table_id, name and key
  // schema must stay as they are. NotFound if absent; an error from `edit` is returned as is.
  Result<std::shared_ptr<const TableInfo>> UpdateTable(std::string_view name,
                                                       const std::function<Status(TableInfo*)>& edit);

  // ---- items ----
  // REQUIRES: pk (and sk iff the table has a sort key) have the table's key types.
  Result<std::optional<model::Item>> GetItem(const TableInfo& table, const model::AttributeValue& pk,
                                             const model::AttributeValue* sk) const;

  // Reads the current item and calls `fn` with it while holding the item's lock, then
  // commits what `fn` decided. An error from `fn` is returned as is and nothing is written.
  Result<WriteResult> WriteItem(const TableInfo& table, const model::AttributeValue& pk,
                                const model::AttributeValue* sk, const MutationFn& fn,
                                CommitMode mode = CommitMode::kNow);

  // ---- group commit ----
  // Calls `done` once the write with sequence number `seq` is durable (or its group failed),
  // immediately and on this thread if it already is. Returns true when the caller must make
  // CommitPending() run soon (no one has been asked to for the open group yet).
  bool WhenDurable(uint64_t seq, std::function<void(Status)> done);
  // Writes every staged write as one WriteBatch and runs the callbacks that became due.
  // Thread-safe; concurrent calls are serialized.
  void CommitPending();
  // Highest sequence number whose group has been written.
  uint64_t committed_seq() const;

  // Visits live items with keys in [begin, end) (end empty = end of the table), ascending
  // or descending. `visit` returns false to stop. Keys are ItemKey encodings.
  using Visitor = std::function<bool(std::string_view key, const model::Item& item)>;
  Status ScanRange(const TableInfo& table, const std::string& begin, const std::string& end,
                   bool reverse, const Visitor& visit) const;

  // Highest assigned change-log sequence number (staged or written).
  uint64_t last_seq() const;

 private:
  explicit Store(const StoreOptions& options);
  Status LoadCatalog();
  Status RecoverSeqAndStats();
  // The committed version of `key` (through the item cache), nullptr when never written.
  Result<std::shared_ptr<const StoredItem>> ReadCommitted(const std::string& key) const;
  // Reads the current version (staged overlay first), runs `fn`, stages the result.
  Result<WriteResult> StageWrite(const TableInfo& table, const std::string& key,
                                 const MutationFn& fn);
  std::mutex& LockFor(std::string_view item_key);

  // Constant after Open.
  StoreOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* catalog_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* items_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;

  static constexpr size_t kLockStripes = 4096;
  static constexpr uint64_t kStatsSnapshotEvery = 65536;
  std::unique_ptr<std::mutex[]> item_locks_;

  mutable std::shared_mutex catalog_mu_;
  std::map<std::string, std::shared_ptr<const TableInfo>, std::less<>> tables_;  // GUARDED_BY(catalog_mu_)
  uint32_t next_table_id_ = 1;                                                  // GUARDED_BY(catalog_mu_)

  // Lock order: item stripe lock -> write_mu_ -> commit_mu_.
  std::mutex write_mu_;  // serializes group writes, so groups reach RocksDB in seq order
  mutable std::mutex commit_mu_;
  uint64_t last_seq_ = 0;                        // GUARDED_BY(commit_mu_)
  uint64_t committed_seq_ = 0;                   // GUARDED_BY(commit_mu_)
  std::map<uint32_t, TableStats> stats_;         // GUARDED_BY(commit_mu_)
  std::unique_ptr<rocksdb::WriteBatch> group_;   // GUARDED_BY(commit_mu_): the open group
  // Staged or in-flight versions by item key.
  struct Staged {
    uint64_t seq;
    std::shared_ptr<const StoredItem> item;
    size_t bytes;
  };
  std::unordered_map<std::string, Staged> staged_;  // GUARDED_BY(commit_mu_)
  std::vector<std::string> group_keys_;             // GUARDED_BY(commit_mu_): keys in group_
  std::unique_ptr<ItemCache> cache_;
  std::vector<std::pair<uint64_t, std::function<void(Status)>>> waiters_;    // GUARDED_BY(commit_mu_)
  bool commit_scheduled_ = false;                // GUARDED_BY(commit_mu_)
  Status failed_;                                // GUARDED_BY(commit_mu_): sticky write failure
};

}  // namespace meridian::store
