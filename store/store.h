// The region's local replica on RocksDB (docs/design.md sections 2-4).
//
// Column families:
//   catalog : table name             -> TableDescriptor (schemas/catalog.capnp)
//   items   : ItemKey (key_codec.h)  -> conflict::ItemVersion (item_codec.h); deletes are
//                                       tombstone versions that take part in merges
//   log     : origin | seq           -> Change (change_log.h): this region's own changes
//                                       and every change applied from other origins
//   meta    : "next_table_id"; "stats" (per-table and per-index item counts and sizes) and
//             "applied" (the applied vector), both rewritten with every commit group;
//             "index_backfill/<index_id>" while an index added to a table with items fills
//   streams : table_id | label | seq   -> StreamRecord (streams.h): the DynamoDB Streams
//             records of this region, written in the group of the change they describe
//   tokens  : ClientRequestToken records of transactions, dropped by compactions once expired
//             (store_tokens.cc)
//   history : table_id | suffix length (4) | key suffix | ~time ms (8) -> encoded ItemVersion:
//             every version of the items of tables with PITR on, newest first per item,
//             written in the group of the version (store_history.cc)
//   indexes : IndexEntryKey (index_codec.h) -> projected size | item key suffix: one entry per
//             live item holding the index's key attributes, written in the same group as the
//             item version (local writes, remote changes and snapshot merges alike), so each
//             region maintains its indexes from the items it holds and they converge with them
//
// Every change puts {item, change-log record, ...} into the open commit group; a group is
// written as ONE WriteBatch through the WAL (group commit). A write is acknowledged only once
// its group is written, so an acknowledged write survives kill -9, and the change log has no
// gaps: sequence numbers are assigned in staging order and groups are written in that order.
// Until its group is written a staged write is invisible to readers, but later writes to the
// same item see it (they read through the staged overlay), so conditions stay serializable.
// Remote changes are applied through the same groups: the merged item, the change record
// and the new applied vector land in one WriteBatch, so a crash never applies twice or skips.
//
// Thread safety: all methods may be called from any thread concurrently. Writes to one item
// are serialized by a striped lock held across read-check-stage, which makes conditional
// writes atomic per item.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/mutex.h"
#include "common/progress.h"
#include "common/status.h"
#include "conflict/conflict_record.h"
#include "conflict/hlc.h"
#include "conflict/local_write.h"
#include "conflict/merge.h"
#include "conflict/version_vector.h"
#include "model/attribute_value.h"
#include "store/history.h"
#include "store/item_cache.h"
#include "store/range_query.h"
#include "store/streams.h"
#include "store/table_info.h"

namespace rocksdb {
class Cache;
class CompactionFilter;
struct ReadOptions;
class DB;
class Env;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace meridian::store {

struct Change;
class TokenIndex;

struct StoreOptions {
  std::string path;
  std::string region;                // this region's name
  conflict::RegionId region_id = 1;  // this region's id: the origin of its changes
  bool sync_writes = false;          // fsync the WAL before acknowledging (durability = fsync)
  size_t block_cache_mb = 128;
  size_t items_write_buffer_mb = 32;
  // Decoded-item LRU in front of RocksDB; 0 disables it. 256 MB hold ~300k items of a
  // few hundred bytes: most tables' hot set, and every read and write of it is a hit.
  size_t item_cache_mb = 256;
  uint64_t max_clock_skew_ms = 60'000;
  conflict::PhysicalClock* clock = nullptr;  // nullptr: the system clock
  // Test only (the simulator's mutation check): false applies the changes of a remote
  // transaction one by one, as if they were independent writes.
  bool atomic_transactions = true;
  StreamLimits streams;  // DynamoDB Streams: retention and shard bounds
  // Non-empty: a 256-bit key; every RocksDB file is AES-256-CTR encrypted (encryption.h).
  std::string encryption_key;
};

// What a write callback decides, given the current item (nullptr when absent).
struct Mutation {
  enum class Kind { kNone, kPut, kDelete, kUpdate };
  Kind kind = Kind::kNone;
  model::Item item;  // kPut, kUpdate: the full new item as DynamoDB would show it
  // kUpdate: the same change as per-top-level-attribute operations, which `merge` tables
  // use to build CRDT state (lww tables store `item` whole).
  std::vector<conflict::AttributeOp> ops;
  model::Item key;          // kUpdate: the key attributes
  bool ttl_expiry = false;  // kDelete: by the TTL sweeper (its stream record says so)

  static Mutation Put(model::Item item) {
    Mutation m;
    m.kind = Kind::kPut;
    m.item = std::move(item);
    return m;
  }
  static Mutation Delete() {
    Mutation m;
    m.kind = Kind::kDelete;
    return m;
  }
  static Mutation Expire() {
    Mutation m = Delete();
    m.ttl_expiry = true;
    return m;
  }
  static Mutation Update(model::Item item, std::vector<conflict::AttributeOp> ops,
                         model::Item key) {
    Mutation m;
    m.kind = Kind::kUpdate;
    m.item = std::move(item);
    m.ops = std::move(ops);
    m.key = std::move(key);
    return m;
  }
};
using MutationFn = std::function<Result<Mutation>(const model::Item* current)>;

// How WriteItem commits: kNow writes the open group before returning; kDeferred only stages
// the write, and the caller must use WhenDurable()/CommitPending() before acknowledging it.
enum class CommitMode { kNow, kDeferred };

struct WriteResult {
  ItemView old_item;  // state before the write (empty if none)
  ItemView new_item;  // state after the write (empty if deleted or unchanged)
  uint64_t seq = 0;   // change-log sequence number; 0 when nothing written
};

// One item of a transaction: which, and what to do given its current state (as WriteItem).
struct TransactItem {
  const TableInfo* table = nullptr;
  model::AttributeValue pk;
  std::optional<model::AttributeValue> sk;
  MutationFn fn;
};

// ClientRequestToken of a transaction and a digest of the request it came with.
struct TransactToken {
  std::string token;
  std::string request_digest;
};

struct TransactResult {
  enum class Outcome {
    kCommitted,
    kCancelled,      // an item's fn failed: nothing written; see item_status
    kReplayed,       // the token's transaction committed before: nothing done now
    kTokenMismatch,  // the token was used by a different request (within 10 minutes)
  };
  Outcome outcome = Outcome::kCommitted;
  std::vector<Status> item_status;  // kCancelled: per item, Ok for those that did not fail
  std::vector<WriteResult> writes;  // kCommitted: per item (seq 0 when unchanged)
  uint64_t seq = 0;                 // the unit's last sequence number (0: nothing written)
};

// How long a ClientRequestToken makes a transaction idempotent (DynamoDB: 10 minutes).
inline constexpr uint64_t kTransactTokenTtlMs = uint64_t{10} * 60 * 1000;

// Outcome of applying a run of remote changes.
struct RemoteApplyStats {
  size_t applied = 0;  // changes now recorded (applied vector advanced)
  size_t skipped = 0;  // already applied before (duplicates)
  size_t merged = 0;   // item versions that were concurrent and merged by policy
};

// One chunk of a table's content for a new replica's backfill (or a re-bootstrap): items in
// key order read at one RocksDB snapshot, with the applied vector of that snapshot.
struct SnapshotChunk {
  bool found = false;  // false: the table is not held here, or is itself still backfilling
  conflict::VersionVector vector;
  std::vector<std::pair<std::string, std::string>> items;  // key suffix, encoded ItemVersion
  bool done = false;                                       // no keys after the last one
};

// Per-table content digest: identical on every region once they applied the same changes.
struct TableDigest {
  uint64_t hash = 0;   // XXH3 over (key suffix, version bytes) of every item incl. tombstones
  uint64_t items = 0;  // live items
  uint64_t tombstones = 0;
};

class Store {
 public:
  // Opens or creates the replica at options.path.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- catalog ----
  // Assigns a fresh table_id and creation time, and logs the creation (it replicates).
  // ResourceInUse if the name exists.
  Result<std::shared_ptr<const TableInfo>> CreateTable(TableInfo info)
      EXCLUDES(catalog_mu_, commit_mu_);
  // NotFound if there is no such table.
  Result<std::shared_ptr<const TableInfo>> GetTable(std::string_view name) const
      EXCLUDES(catalog_mu_);
  // All table names in ascending order.
  std::vector<std::string> ListTableNames() const EXCLUDES(catalog_mu_);
  // Removes the table and all its items, and logs the deletion. NotFound if absent.
  Result<std::shared_ptr<const TableInfo>> DeleteTable(std::string_view name)
      EXCLUDES(catalog_mu_, commit_mu_);
  // Also the stats of an index, by its index_id.
  TableStats GetTableStats(uint32_t table_id) const EXCLUDES(commit_mu_);
  // Changes a table's definition (tags, billing, replicas, ...) through `edit`; table_id,
  // name and key schema must stay as they are. The new definition replicates (LWW across
  // regions); replicas `edit` adds are stamped with this change. NotFound if absent; an
  // error from `edit` is returned as is. Null when the change removed this region's replica.
  Result<std::shared_ptr<const TableInfo>> UpdateTable(
      std::string_view name, const std::function<Status(TableInfo*)>& edit)
      EXCLUDES(catalog_mu_, commit_mu_);
  // Is this region still backfilling `table` (a replica added here after the table had items)?
  bool Backfilling(std::string_view table) const EXCLUDES(catalog_mu_);

  // ---- items ----
  // REQUIRES: pk (and sk iff the table has a sort key) have the table's key types.
  Result<std::optional<model::Item>> GetItem(const TableInfo& table,
                                             const model::AttributeValue& pk,
                                             const model::AttributeValue* sk) const;
  // GetItem without a copy: the committed item itself (from the item cache when there).
  Result<ItemView> ReadItem(const TableInfo& table, const model::AttributeValue& pk,
                            const model::AttributeValue* sk) const;

  // Reads the current item and calls `fn` with it while holding the item's lock, then
  // stages what `fn` decided as the next version (conflict::ApplyLocalWrite under the
  // table's policy). An error from `fn` is returned as is and nothing is written.
  Result<WriteResult> WriteItem(const TableInfo& table, const model::AttributeValue& pk,
                                const model::AttributeValue* sk, const MutationFn& fn,
                                CommitMode mode = CommitMode::kNow) EXCLUDES(commit_mu_, write_mu_);

  // ---- transactions (store_transact.cc) ----
  // Writes the items together or not at all: the items' locks are taken in one order, every
  // `fn` sees the current item (as in WriteItem), and when none fails every resulting write
  // is staged in one commit group, with consecutive sequence numbers, one HLC timestamp and
  // change-log records that mark them as one unit (other regions apply it whole). A `fn`
  // that returns Mutation::Kind::kNone only checks. REQUIRES: no two items with one key.
  // A transaction on a table whose copy from a peer is not yet consistent here (see
  // TransactionReady) is cancelled with a Status::Code::kConflict for its items.
  Result<TransactResult> Transact(const std::vector<TransactItem>& items,
                                  const std::optional<TransactToken>& token,
                                  CommitMode mode = CommitMode::kNow)
      EXCLUDES(catalog_mu_, commit_mu_, write_mu_, token_mu_);
  // The committed items (nullopt: absent) read at one RocksDB snapshot, so a reader sees
  // all of a transaction or none of it. kConflict (per item) for a table not yet consistent.
  struct ItemRef {
    const TableInfo* table;
    model::AttributeValue pk;
    std::optional<model::AttributeValue> sk;
  };
  Result<std::vector<std::optional<model::Item>>> GetItemsAtSnapshot(
      const std::vector<ItemRef>& items, std::vector<Status>* item_status) const
      EXCLUDES(commit_mu_);
  // Is `table`'s content here one a transaction may read or write: false while a copy of
  // it from a peer (replica backfill, re-bootstrap) may hold part of a transaction, that is
  // until this region has applied every change the copied chunks reflected.
  bool TransactionReady(const TableInfo& table) const EXCLUDES(commit_mu_);
  // Records that `table` holds a copy whose chunks reflected at most `vector`.
  Status FenceTable(std::string_view table, const conflict::VersionVector& vector)
      EXCLUDES(catalog_mu_, commit_mu_, write_mu_);

  // Visits the live items `query` selects of `table` (or of query.index: with the full item
  // each index entry stands for, read at the same RocksDB snapshot as the entry), in key
  // order or its reverse. `visit` returns false to stop. InvalidArgument when
  // query.exclusive_start lacks a key attribute of what is read. REQUIRES: the key values
  // in `query` have the key types of what is read.
  using Visitor = std::function<bool(const model::Item& item)>;
  Status Range(const TableInfo& table, const RangeQuery& query, const Visitor& visit) const;
  // Is the index (added to a table that had items) still being filled here?
  bool IndexBackfilling(uint32_t index_id) const EXCLUDES(commit_mu_);

  // ---- group commit ----
  // Calls `done` once the write with sequence number `seq` is durable (or its group failed),
  // immediately and on this thread if it already is. Returns true when the caller must make
  // CommitPending() run soon (no one has been asked to for the open group yet).
  bool WhenDurable(uint64_t seq, std::function<void(Status)> done) EXCLUDES(commit_mu_);
  // Writes every staged change as one WriteBatch and runs the callbacks that became due.
  // Thread-safe; concurrent calls are serialized.
  void CommitPending() EXCLUDES(write_mu_, commit_mu_);
  // Highest own sequence number whose group has been written.
  uint64_t committed_seq() const EXCLUDES(commit_mu_);
  // Highest own sequence number assigned (staged or written).
  uint64_t last_seq() const EXCLUDES(commit_mu_);
  // Called (on the committing thread, without locks held) after every written group with
  // the new committed_seq. Set once, before concurrent use.
  void SetCommitListener(std::function<void(uint64_t committed_seq)> listener);

  // ---- replication ----
  conflict::RegionId region_id() const { return options_.region_id; }
  const std::string& region() const { return options_.region; }
  // Committed state of every origin: this region's committed_seq and, for other origins,
  // the highest contiguous seq applied.
  // Other origins count as applied once staged (what the next change must follow).
  conflict::VersionVector AppliedVector() const EXCLUDES(commit_mu_);
  // The same, counting only what reached RocksDB: what a crash keeps, so what peers may
  // rely on (heartbeats, log trimming, status).
  conflict::VersionVector DurableAppliedVector() const EXCLUDES(commit_mu_);
  // Applies encoded Changes of other origins, in order, as one commit group; each must be
  // the next seq of its origin (seq <= applied: skipped as a duplicate; a gap: InvalidArgument
  // and nothing after it applied). Causal dependencies are the caller's to check.
  // Corruption for undecodable changes (nothing applied from that one on).
  // `commit` false: the group is only staged (visible to later changes and writes, durable
  // with the applied vector at the caller's next CommitPending), so a caller can stage the
  // next run while another thread commits this one.
  // The write units of the item changes applied from other regions since the last call, by
  // table name: ceil(bytes / 1 KB) of each replicated version (DynamoDB charges replicated
  // writes to the receiving replica's capacity, and never rejects them).
  std::map<std::string, double> TakeReplicatedWriteUnits() EXCLUDES(replicated_mu_);
  Result<RemoteApplyStats> ApplyRemoteChanges(std::vector<std::string> changes, bool commit = true)
      EXCLUDES(remote_mu_, catalog_mu_, commit_mu_, write_mu_);
  // Up to max_changes consecutive encoded changes of `origin` starting at from_seq (fewer
  // when the log ends, or when max_bytes is reached after at least one).
  Status ReadLog(conflict::RegionId origin, uint64_t from_seq, size_t max_changes, size_t max_bytes,
                 std::vector<std::string>* out) const;
  // ---- backfill of new replicas (global tables) ----
  // Tables this region must still copy from a peer, with the applied vector they needed
  // when the replica was added: a snapshot reflecting at least that vector completes them.
  std::map<std::string, conflict::VersionVector> PendingBackfills() const EXCLUDES(catalog_mu_);
  // Up to max_bytes (at least one item) of `table` after key suffix `after` (and before
  // `until`, when not empty), for a peer.
  Result<SnapshotChunk> ReadSnapshot(std::string_view table, std::string_view after,
                                     size_t max_bytes, std::string_view until = {}) const
      EXCLUDES(catalog_mu_);
  // Merges snapshot items of `table` into this replica (state-based: order and repeats do
  // not matter); `adopt`: see MergeItemVersion. Items of a table not held here are ignored.
  // Returns how many items changed here.
  // `skip_tombstones` (restores): deleted items are not copied.
  Result<size_t> MergeSnapshot(std::string_view table,
                               const std::vector<std::pair<std::string, std::string>>& items,
                               bool adopt = false, bool skip_tombstones = false)
      EXCLUDES(remote_mu_, catalog_mu_, commit_mu_);
  // Anti-entropy: XXH3 digests of `table`'s items in 256 ranges of hash64(pk) (by its first
  // byte), with the applied vector of the snapshot they were read at. found = false when
  // the table is not held here or is still backfilling.
  struct RangeDigests {
    bool found = false;
    conflict::VersionVector vector;
    std::vector<uint64_t> buckets;
  };
  Result<RangeDigests> BucketDigests(std::string_view table) const EXCLUDES(catalog_mu_);
  // The backfill of `table` is complete: the replica turns ACTIVE.
  Status FinishBackfill(std::string_view table) EXCLUDES(catalog_mu_, commit_mu_, write_mu_);

  // ---- re-bootstrap of a region that fell behind the retained log ----
  // Every table definition known here (names, encoded definitions without local ids) with
  // the applied vector of the snapshot they were read at.
  Result<SnapshotChunk> ReadCatalog() const EXCLUDES(catalog_mu_);
  // Installs peer definitions that are newer (LWW) or unknown here; a table that becomes
  // hosted here is created empty (the caller copies it).
  Status InstallDefinitions(const std::vector<std::pair<std::string, std::string>>& definitions)
      EXCLUDES(remote_mu_, catalog_mu_, commit_mu_, write_mu_);
  // Raises the applied vector to at least `vector` (other origins): the caller has merged a
  // copy of every table held here that reflects it.
  Status AdvanceApplied(const conflict::VersionVector& vector)
      EXCLUDES(remote_mu_, commit_mu_, write_mu_);
  // The oldest seq of `origin` this region can still serve from its log (anything older
  // was trimmed); applied + 1 when it holds none.
  uint64_t FirstLogSeq(conflict::RegionId origin) const EXCLUDES(commit_mu_);

  // Regions this one has ever heard from (persisted), for log trimming.
  std::vector<conflict::RegionId> KnownRegions() const;
  Status AddKnownRegion(conflict::RegionId region) EXCLUDES(commit_mu_, write_mu_);
  // Deletes the log records of `origin` with seq <= upto (never beyond what is committed or
  // applied here). Later ReadLog calls from below the trim point return nothing.
  Status TrimLog(conflict::RegionId origin, uint64_t upto) EXCLUDES(commit_mu_, write_mu_);

  // ---- DynamoDB Streams (store_streams.cc) ----
  // Every stream held here (enabled, or disabled less than the retention ago), by table
  // name and label; the one of `table_name` labelled `label_ms`.
  std::vector<StreamInfo> ListStreams() const EXCLUDES(commit_mu_);
  std::optional<StreamInfo> FindStream(std::string_view table_name, uint64_t label_ms) const
      EXCLUDES(commit_mu_);
  // The last stream seq assigned (staged or written), in any stream.
  uint64_t LastStreamSeq() const EXCLUDES(commit_mu_);
  // The written records of `stream` with from_seq <= seq <= to_seq, in seq order: at most
  // `limit`, stopping after the one that reaches max_bytes of encoded records.
  Status ReadStream(const StreamInfo& stream, uint64_t from_seq, uint64_t to_seq, size_t limit,
                    size_t max_bytes, std::vector<StreamRecord>* out) const;
  // Deletes the records older than the retention, the shards they emptied and streams
  // disabled for longer than it.
  Status TrimStreams() EXCLUDES(commit_mu_, write_mu_);

  // ---- point-in-time recovery and consistent reads of a whole table (store_history.cc) ----
  // Turns PITR on for `table` here (period_days within kMinPitrDays..kMaxPitrDays): copies
  // its current items into the history as the baseline, then keeps every later version.
  // Enabling it again changes only the period. NotFound for a table not held here.
  Result<PitrState> EnablePitr(std::string_view table, uint32_t period_days)
      EXCLUDES(catalog_mu_, commit_mu_, write_mu_);
  // Turns it off and drops the table's history.
  Status DisablePitr(std::string_view table) EXCLUDES(catalog_mu_, commit_mu_, write_mu_);
  std::optional<PitrState> GetPitr(uint32_t table_id) const EXCLUDES(commit_mu_);
  // Approximate bytes of the table's history (files and memtables).
  uint64_t HistoryBytes(uint32_t table_id) const;
  // Drops what is older than every table's period, keeping per item the newest version
  // before the window (the state at its start). Returns the entries dropped.
  Result<uint64_t> TrimHistory() EXCLUDES(commit_mu_, write_mu_);
  struct TableScan;  // (store_snapshot.cc)
  // The table's item versions at one snapshot taken now (null: the table is not servable).
  Result<std::unique_ptr<VersionCursor>> OpenVersions(std::string_view table) const
      EXCLUDES(catalog_mu_);
  // The versions the table's items had at `time_ms`, from its PITR history (the newest
  // version of each item stamped at or before it). FailedPrecondition when PITR is off.
  Result<std::unique_ptr<VersionCursor>> OpenVersionsAt(std::string_view table,
                                                        uint64_t time_ms) const
      EXCLUDES(catalog_mu_, commit_mu_);

  // The Env RocksDB's files go through: with encryption at rest on, files written through it
  // are encrypted with the store's key (backups use it for their item files).
  rocksdb::Env* file_env() const;

  // Small named values kept with the replica, local to it (trigger checkpoints), written
  // through the WAL at once (not part of a commit group).
  Result<std::optional<std::string>> ReadMarker(std::string_view name) const;
  Status WriteMarker(std::string_view name, std::string_view value);

  // Digest of a table's replicated content (see TableDigest).
  Result<TableDigest> Digest(const TableInfo& table) const;
  // The most recent concurrent resolutions (bounded), oldest first, and the total count.
  std::vector<conflict::ConflictRecord> RecentConflicts() const EXCLUDES(commit_mu_);
  uint64_t conflicts_total() const EXCLUDES(commit_mu_);
  // Long work on this store (backfills, repairs) reports its progress here.
  ProgressBoard& progress() const { return progress_; }
  std::map<std::string, uint64_t> conflicts_by_policy() const EXCLUDES(commit_mu_);
  // RocksDB's sizes, summed over the column families.
  struct DbSizes {
    uint64_t sst_bytes = 0;
    uint64_t memtable_bytes = 0;
    uint64_t live_data_bytes = 0;
    // Memory, beside the memtables: RocksDB's block cache (data, index and filter blocks;
    // bounded by block_cache_mb), its table readers outside that cache, and the item cache
    // (bounded by item_cache_mb).
    uint64_t block_cache_bytes = 0;
    uint64_t table_readers_bytes = 0;
    uint64_t item_cache_bytes = 0;
  };
  DbSizes db_sizes() const;
  // Remote timestamps that were too far ahead of this region's clock.
  uint64_t clock_skew_events() const;

 private:
  // What a catalog change does to the table it names (its change-log record's kind).
  enum class CatalogChange { kCreate, kUpdate, kDelete };

  explicit Store(const StoreOptions& options);
  // Open() only, before the store is shared: the locks are taken for the analysis' sake.
  Status LoadCatalog() EXCLUDES(catalog_mu_, commit_mu_);
  Status RecoverLogState() REQUIRES(catalog_mu_, commit_mu_);
  // The stripe lock of an item key.
  Mutex& LockFor(std::string_view item_key);
  // The committed version of `key` (through the item cache); a never-written version when
  // absent.
  Result<std::shared_ptr<const StoredItem>> ReadCommitted(const std::string& key,
                                                          bool fill_cache = true) const;
  // The newest version: staged overlay, else committed.
  Result<std::shared_ptr<const StoredItem>> ReadCurrent(const std::string& key,
                                                        bool fill_cache = true) const
      EXCLUDES(commit_mu_);
  // Reads the current version, runs `fn`, stages the result (takes the item's lock).
  Result<WriteResult> StageWrite(const TableInfo& table, const std::string& key,
                                 const MutationFn& fn) EXCLUDES(commit_mu_);
  // Puts an item version (and its encoding `bytes`) into the open group and the overlay.
  // `ttl_expiry`: the change is a TTL sweeper's delete (its stream record says so).
  std::shared_ptr<const StoredItem> StageItemLocked(const TableInfo& table, const std::string& key,
                                                    StoredItem next, const std::string& bytes,
                                                    const StoredItem& previous,
                                                    bool ttl_expiry = false) REQUIRES(commit_mu_);
  // PITR (store_history.cc): stages the history entry of a version of a PITR table; drops
  // a table's history; Open(): loads pitr_.
  void StageHistoryLocked(uint32_t table_id, std::string_view key, const std::string& bytes)
      REQUIRES(commit_mu_);
  void DropHistoryLocked(uint32_t table_id) REQUIRES(commit_mu_);
  Status LoadPitr() EXCLUDES(commit_mu_);
  // ---- streams (store_streams.cc) ----
  Status LoadStreams() EXCLUDES(catalog_mu_, commit_mu_);
  // `table` (its table_id local) is now the definition here: starts its stream when it has
  // one not started yet, ends the previous one when it was disabled or re-enabled.
  void SyncStreamLocked(const TableInfo& table, uint64_t now_ms) REQUIRES(commit_mu_);
  // The table is gone from this region: its stream ends (readable until trimmed).
  void EndStreamLocked(uint32_t table_id, uint64_t now_ms) REQUIRES(commit_mu_);
  void PutStreamMetaLocked(const StreamInfo& stream) REQUIRES(commit_mu_);
  // Stages the stream record of an item's change, when its table has an enabled stream.
  void StageStreamRecordLocked(uint32_t table_id, const StoredItem& next,
                               const StoredItem& previous, bool ttl_expiry) REQUIRES(commit_mu_);
  // CloseGroupLocked: rolls over full or old shards and persists the stream seq.
  void CloseStreamGroupLocked() REQUIRES(commit_mu_);
  // Stages a table creation/deletion/redefinition of the local catalog as a change of this
  // region; returns its seq.
  uint64_t StageCatalogLocked(const TableInfo& info, CatalogChange change) REQUIRES(commit_mu_);
  // Installs `next` as the definition of its table here: creates the local table when this
  // region became a replica (with a backfill when `backfill`), drops its items when it
  // stopped being one.
  void InstallDefinitionLocked(TableInfo next, bool backfill) REQUIRES(catalog_mu_, commit_mu_);
  conflict::VersionVector AppliedVectorLocked() const REQUIRES(commit_mu_);
  // applied_ alone (other origins, as staged): what each commit group persists.
  conflict::VersionVector RemoteAppliedLocked() const REQUIRES(commit_mu_);
  // Puts staged for a group: (key, value) pairs.
  using Puts = std::vector<std::pair<std::string, std::string>>;
  // Adds item puts to `batch` sorted by key, only the last put of each key; empties `items`.
  void PutItemsSorted(rocksdb::WriteBatch* batch, Puts* items);
  // Stages a change-log record in the open group.
  void StageLogLocked(conflict::RegionId origin, uint64_t seq, std::string bytes)
      REQUIRES(commit_mu_);
  // Writes the log records in `log` into `batch` grouped by origin; empties `log`.
  void PutLogGrouped(rocksdb::WriteBatch* batch, Puts* log);
  // Stages the deletion of every item of a table.
  void DeleteTableItemsLocked(uint32_t table_id) REQUIRES(commit_mu_);
  // ---- group commit (store_items.cc): CommitPending closes the open group, writes it, then
  // finishes it ----
  struct StagedVersion;
  struct ClosedGroup {
    uint64_t number = 0;  // 0: nothing was staged
    std::unique_ptr<rocksdb::WriteBatch> batch;
    Puts items, log;
    std::vector<StagedVersion> versions;
    uint64_t upto = 0;                // own head as of the group
    conflict::VersionVector applied;  // what the group makes durable
  };
  using DueCallbacks = std::vector<std::pair<Status, std::function<void(Status)>>>;
  // Takes what is staged as a closed group (with the stats and applied vector that travel
  // with it) and opens the next group.
  ClosedGroup CloseGroupLocked() REQUIRES(commit_mu_);
  // Writes a closed group (number != 0) through the WAL and tells the item cache.
  // REQUIRES: write_mu_ held (groups are written in order).
  Status WriteClosedGroup(ClosedGroup* group) REQUIRES(write_mu_) EXCLUDES(commit_mu_);
  // Records the outcome of writing `group` (durable head, overlay, sticky failure) and
  // returns the callbacks of WhenDurable that became due.
  DueCallbacks FinishGroupLocked(ClosedGroup* group, const Status& written) REQUIRES(commit_mu_);
  // Writes the open group (and any before it) and waits until own seq `until_seq` is durable.
  Status WriteGroupAndWait(uint64_t until_seq) EXCLUDES(commit_mu_, write_mu_);
  // ---- secondary indexes (store_index.cc) ----
  // Gives the indexes of `next` ids: those of `before` (the table's current definition
  // here, nullptr for a new table) when the same index, fresh ones otherwise, which are
  // filled in the background when `before` exists. Drops the entries of the indexes of
  // `before` that `next` no longer has.
  void AssignIndexIdsLocked(const TableInfo* before, TableInfo* next)
      REQUIRES(catalog_mu_, commit_mu_);
  // `table` is now the definition of its table_id.
  void SetIndexesLocked(std::shared_ptr<const TableInfo> table) REQUIRES(commit_mu_);
  // The table is gone: drop all its index entries.
  void DropIndexesLocked(uint32_t table_id) REQUIRES(commit_mu_);
  // Replaces the index entries of `previous` by those of `next`.
  void StageIndexEntriesLocked(uint32_t table_id, const std::string& key, const StoredItem& next,
                               const StoredItem& previous) REQUIRES(commit_mu_);
  Status LoadIndexBackfills() EXCLUDES(commit_mu_, backfill_mu_);
  // Fences (store_transact.cc): does the durable applied vector cover `fence`; forgets
  // the fences it covers (the commit path, once a group is written).
  bool FenceMetLocked(const conflict::VersionVector& fence) const REQUIRES(commit_mu_);
  void DropMetFencesLocked() REQUIRES(commit_mu_);
  // The meta entries under `prefix` ("backfill/", "fence/"): name -> encoded vector.
  Result<std::map<std::string, conflict::VersionVector, std::less<>>> ReadVectorMarks(
      std::string_view prefix) const;
  // Open(): the fences of copied tables (store_transact.cc).
  Status LoadFences() EXCLUDES(commit_mu_);
  // ClientRequestTokens (store_tokens.cc): the live record of `token` (nullopt: none, or
  // older than kTransactTokenTtlMs); records a transaction's token in the open group;
  // Open(): fills token_index_ from the tokens column family.
  struct TokenRecord {
    uint64_t time_ms = 0;
    std::string digest;
    uint64_t seq = 0;  // the transaction's last seq: a replay waits for it to be durable
  };
  static Result<TokenRecord> DecodeTokenRecord(std::string_view value);
  Result<std::optional<TokenRecord>> FindToken(const std::string& token, uint64_t now_ms)
      EXCLUDES(commit_mu_, write_mu_, token_mu_);
  void StageTokenLocked(const TransactToken& token, uint64_t now_ms, uint64_t seq)
      REQUIRES(commit_mu_) EXCLUDES(token_mu_);
  Status LoadTokens() EXCLUDES(token_mu_);
  void StartIndexBackfiller() EXCLUDES(backfill_mu_);
  void StopIndexBackfiller() EXCLUDES(backfill_mu_);
  // Fills a new index from the table's items; returns early when the index is dropped.
  Status BackfillIndex(uint32_t table_id, uint32_t index_id)
      EXCLUDES(commit_mu_, write_mu_, backfill_mu_);
  // A remote version merged with the current one of `key`, ready to stage.
  struct PreparedMerge {
    std::string key;
    std::shared_ptr<const StoredItem> current;
    Status error;  // not mergeable (kept as it is, logged)
    conflict::RemoteMergeResult merged;
    std::string_view remote_bytes;  // the remote version's encoding, stored as is if it replaces
    bool ttl_expiry = false;        // the remote change was a TTL sweeper's delete
  };
  // REQUIRES: the item lock of `key` held (until the result is staged).
  Result<PreparedMerge> PrepareMerge(const std::string& key, conflict::ItemVersion remote,
                                     std::string_view remote_bytes, bool adopt) const
      EXCLUDES(commit_mu_);
  // Stages what PrepareMerge decided; returns what it did.
  conflict::MergeAction StageMergeLocked(const TableInfo& table, PreparedMerge prepared)
      REQUIRES(commit_mu_);
  // REQUIRES: the item lock of `key` held. Merges `remote` into the item and stages the
  // result; returns whether the two were concurrent (merged by policy).
  // `with_commit_lock` runs under commit_mu_ right after, so what it stages lands in the
  // same group.
  // `remote_bytes` (optional) is the encoding of `remote`, stored as is when it replaces.
  // `adopt` (anti-entropy on request): when the two versions have equal vectors but
  // different bytes (one side was damaged), take the remote one.
  Result<conflict::MergeAction> MergeItemVersion(const TableInfo& table, const std::string& key,
                                                 conflict::ItemVersion remote,
                                                 std::string_view remote_bytes, bool adopt,
                                                 const std::function<void()>& with_commit_lock,
                                                 bool ttl_expiry = false) EXCLUDES(commit_mu_);
  // The local id of `table` when this region holds it and is not backfilling it.
  std::optional<uint32_t> ServableTableId(std::string_view table) const EXCLUDES(catalog_mu_);
  // An iterator over a servable table's items (before key suffix `until`, when given) at one
  // snapshot, with the snapshot's applied vector; null when the table is not servable.
  Result<std::unique_ptr<TableScan>> OpenTableScan(std::string_view table,
                                                   std::string_view until) const
      EXCLUDES(catalog_mu_);
  // Range (store_range.cc): live items with keys in [begin, end) of the table, or of the
  // index, in key order or its reverse.
  Status ScanItemKeys(const TableInfo& table, const std::string& begin, const std::string& end,
                      bool reverse, const Visitor& visit) const;
  Status ScanIndexKeys(const TableInfo& table, const IndexInfo& index, const std::string& begin,
                       const std::string& end, bool reverse, const Visitor& visit) const;
  // Applied vector (this region's own committed seq included) at a read snapshot.
  Result<conflict::VersionVector> VectorAt(const rocksdb::ReadOptions& ro) const;
  // Applies one decoded remote change.
  // ApplyRemoteChanges' steps (store_remote.cc, store_transact.cc): checks that `change`
  // is the next of its origin (*skip: already applied); applies one change; applies the
  // changes of one transaction (bytes[i] their encodings) as one unit.
  Status CheckNextRemote(const Change& change, RemoteApplyStats* stats, bool* skip)
      REQUIRES(remote_mu_) EXCLUDES(commit_mu_);
  Status ApplyRemoteUnit(std::vector<Change> unit, std::string* bytes, RemoteApplyStats* stats)
      REQUIRES(remote_mu_) EXCLUDES(catalog_mu_, commit_mu_);
  Status ApplyRemoteChange(Change change, std::string& bytes, RemoteApplyStats* stats)
      REQUIRES(remote_mu_) EXCLUDES(catalog_mu_, commit_mu_);

  // Constant after Open.
  StoreOptions options_;
  std::unique_ptr<conflict::HybridLogicalClock> hlc_;
  std::unique_ptr<rocksdb::Env> env_;            // the encrypting Env, when encryption is on
  std::shared_ptr<rocksdb::Cache> block_cache_;  // shared by every column family's tables
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* catalog_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* items_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* tokens_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* history_cf_ = nullptr;
  // Drops expired token records in compactions (store_tokens.cc); outlives db_.
  std::unique_ptr<rocksdb::CompactionFilter> token_filter_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::function<void(uint64_t)> commit_listener_;

  static constexpr size_t kLockStripes = 4096;
  static constexpr size_t kMaxConflictLog = 256;
  // Lock order: remote_mu_ -> catalog_mu_ -> item stripe lock -> write_mu_ -> commit_mu_;
  // backfill_mu_ is a leaf.
  std::unique_ptr<Mutex[]> item_locks_;
  Mutex remote_mu_;  // serializes ApplyRemoteChanges and snapshot merges

  mutable SharedMutex catalog_mu_;
  std::map<std::string, std::shared_ptr<const TableInfo>, std::less<>> tables_
      GUARDED_BY(catalog_mu_);
  // Definitions of tables whose replicas are all in other regions.
  std::map<std::string, TableInfo, std::less<>> remote_tables_ GUARDED_BY(catalog_mu_);
  std::map<std::string, conflict::VersionVector, std::less<>> backfills_ GUARDED_BY(catalog_mu_);
  uint32_t next_table_id_ GUARDED_BY(catalog_mu_) = 1;

  Mutex write_mu_;  // serializes group writes, so groups reach RocksDB in seq order
  mutable Mutex commit_mu_;
  uint64_t last_seq_ GUARDED_BY(commit_mu_) = 0;
  uint64_t committed_seq_ GUARDED_BY(commit_mu_) = 0;
  // Other origins, as staged.
  std::map<conflict::RegionId, uint64_t> applied_ GUARDED_BY(commit_mu_);
  conflict::VersionVector durable_applied_ GUARDED_BY(commit_mu_);  // as last written
  std::map<uint32_t, TableStats> stats_ GUARDED_BY(commit_mu_);
  std::map<uint32_t, PitrState> pitr_ GUARDED_BY(commit_mu_);          // tables with PITR on
  std::unique_ptr<rocksdb::WriteBatch> group_ GUARDED_BY(commit_mu_);  // the open group
  // The last written group, cleared, to become the next open one. Reusing its buffer spares
  // the stager the page faults of growing a fresh one (a catch-up run's group is ~10 MB).
  std::unique_ptr<rocksdb::WriteBatch> spare_group_ GUARDED_BY(commit_mu_);
  // The remote applied vector as last put into a group (encoded): groups of local writes
  // only leave it unchanged and do not rewrite it.
  std::string staged_applied_ GUARDED_BY(commit_mu_);
  // Staged or in-flight versions by item key.
  struct Staged {
    uint64_t group;  // number of the group that writes it
    std::shared_ptr<const StoredItem> item;
    size_t bytes;
  };
  std::unordered_map<std::string, Staged> staged_ GUARDED_BY(commit_mu_);
  struct StagedVersion {
    std::string key;
    std::shared_ptr<const StoredItem> item;
    size_t charge;
  };
  // Every version the open group writes, in staging order; the item cache learns them once
  // the group is written.
  std::vector<StagedVersion> group_versions_ GUARDED_BY(commit_mu_);
  // Item puts of the open group, added to group_ sorted by key (and only the last of a key)
  // when it is written or before a range deletion of items: RocksDB's memtable inserts
  // sorted keys far faster than keys in random order.
  Puts group_items_ GUARDED_BY(commit_mu_);
  // Change-log records of the open group, added to group_ grouped by origin when it is
  // written or before a log trim: each origin's records are then appends to the log
  // memtable, where a run interleaving origins in causal order made every insert search
  // the skiplist again.
  Puts group_log_ GUARDED_BY(commit_mu_);
  uint64_t group_number_ GUARDED_BY(commit_mu_) = 1;  // the open group's
  std::vector<std::pair<uint64_t, std::function<void(Status)>>> waiters_ GUARDED_BY(commit_mu_);
  bool commit_scheduled_ GUARDED_BY(commit_mu_) = false;
  Status failed_ GUARDED_BY(commit_mu_);  // sticky write failure
  std::deque<conflict::ConflictRecord> conflicts_ GUARDED_BY(commit_mu_);
  uint64_t conflicts_total_ GUARDED_BY(commit_mu_) = 0;
  mutable ProgressBoard progress_;  // internally synchronized
  std::map<std::string, uint64_t> conflicts_by_policy_ GUARDED_BY(commit_mu_);
  std::atomic<uint64_t> skew_events_{0};
  std::unique_ptr<ItemCache> cache_;  // internally synchronized
  // Definitions of the tables that have indexes, by table_id, as writes must maintain them.
  std::unordered_map<uint32_t, std::shared_ptr<const TableInfo>> indexed_tables_
      GUARDED_BY(commit_mu_);
  std::unordered_set<uint32_t> index_backfills_ GUARDED_BY(commit_mu_);  // index ids filling

  // ClientRequestTokens (store_tokens.cc). A transaction with a token holds the token's
  // stripe lock (taken before the item locks) from the check to the commit. token_index_
  // has the fingerprints of the tokens staged in the last 10 minutes; token_mu_ guards it
  // and is a leaf lock.
  static constexpr size_t kTokenStripes = 64;
  std::unique_ptr<Mutex[]> token_locks_{new Mutex[kTokenStripes]};
  mutable Mutex token_mu_;
  std::unique_ptr<TokenIndex> token_index_ GUARDED_BY(token_mu_);

  // Tables whose copied content is transaction-consistent only once the applied vector
  // covers the vector here (FenceTable; persisted in meta under "fence/<table>").
  std::map<std::string, conflict::VersionVector, std::less<>> fences_ GUARDED_BY(commit_mu_);
  std::atomic<bool> has_fences_{false};  // fences_ is not empty

  // Streams (store_streams.cc): every stream held, by (table_id, label); the enabled one of
  // each table (table_id -> label); the last record seq assigned and the one persisted.
  std::map<std::pair<uint32_t, uint64_t>, StreamInfo> streams_ GUARDED_BY(commit_mu_);
  std::unordered_map<uint32_t, uint64_t> active_streams_ GUARDED_BY(commit_mu_);
  uint64_t stream_seq_ GUARDED_BY(commit_mu_) = 0;
  uint64_t stream_seq_written_ GUARDED_BY(commit_mu_) = 0;
  uint64_t last_stream_time_ms_ GUARDED_BY(commit_mu_) = 0;

  // Write units of the item changes applied from other regions, by table name, since the
  // last TakeReplicatedWriteUnits.
  void CountReplicatedWrite(const std::string& table, size_t version_bytes)
      EXCLUDES(replicated_mu_);
  Mutex replicated_mu_;
  std::map<std::string, double> replicated_units_ GUARDED_BY(replicated_mu_);

  // The index backfiller: one thread filling new indexes, in order.
  Mutex backfill_mu_;
  CondVar backfill_cv_;
  // table_id, index_id
  std::deque<std::pair<uint32_t, uint32_t>> backfill_queue_ GUARDED_BY(backfill_mu_);
  bool backfill_stop_ GUARDED_BY(backfill_mu_) = false;
  std::thread backfill_thread_;
};

}  // namespace meridian::store
