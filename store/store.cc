// Store: opening RocksDB and the table catalog. Item reads and writes: store_items.cc.
#include "store/store.h"

#include "store/encryption.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/memtable.h"
#include "store/store_keys.h"
#include "store/token_index.h"

namespace meridian::store {

Store::Store(const StoreOptions& options)
    : options_(options),
      item_locks_(new Mutex[kLockStripes]),
      group_(std::make_unique<rocksdb::WriteBatch>()),
      cache_(std::make_unique<ItemCache>(options.item_cache_mb << 20)) {
  if (!options_.clock) options_.clock = conflict::SystemClock();
  hlc_ = std::make_unique<conflict::HybridLogicalClock>(options_.clock, options_.max_clock_skew_ms);
}

Store::~Store() {
  StopIndexBackfiller();
  if (db_) {
    CommitPending();
    // A clean shutdown leaves nothing to replay: the next start (a region returning to catch
    // up) opens in a fraction of the time a full WAL replay takes.
    rocksdb::FlushOptions flush;
    flush.allow_write_stall = true;
    auto warn = [](const char* what, const rocksdb::Status& s) {
      if (!s.ok())
        spdlog::warn("msg=\"store shutdown: {} failed\" error=\"{}\"", what, s.ToString());
    };
    warn("flush", db_->Flush(flush, handles_));
    for (auto* h : handles_) warn("closing a column family", db_->DestroyColumnFamilyHandle(h));
    warn("close", db_->Close());
  }
}

rocksdb::Env* Store::file_env() const { return env_ ? env_.get() : rocksdb::Env::Default(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // Bounds what a restart replays: the small column families (meta, catalog) would
  // otherwise keep every WAL file alive until their memtables fill.
  db_options.max_total_wal_size = 64 << 20;
  // Groups are written one at a time (write_mu_), so memtables need no concurrent inserts.
  db_options.allow_concurrent_memtable_write = false;
  if (!options.encryption_key.empty()) {
    if (options.encryption_key.size() != kEncryptionKeyBytes)
      return Status::InvalidArgument("encryption key must be 256 bits");
    store->env_ = NewEncryptedEnv(options.encryption_key);
    db_options.env = store->env_.get();
  }
  // Compactions must not steal the core from request handling when both share one CPU.
  auto lowered = rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::LOW,
                                                                     rocksdb::CpuPriority::kLow);
  if (!lowered.ok()) {
    spdlog::info("msg=\"compaction threads keep their CPU priority\" reason=\"{}\"",
                 lowered.ToString());
  }

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 32 << 20;
  // RocksDB's own skiplist, as Debian builds it, runs its debug assertions (memtable.h).
  cf_options.memtable_factory = NewSkipListMemTableFactory();
  // Flushes and the first compaction rewrite every byte written: keep them uncompressed (the
  // CPU they would spend compressing is the request path's when both share a core), and
  // compress the deeper levels, where data settles, with the fastest codec available.
  const auto supported = rocksdb::GetSupportedCompressions();
  const bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  cf_options.compression_per_level.assign(
      7, lz4 ? rocksdb::kLZ4Compression : rocksdb::kSnappyCompression);
  cf_options.compression_per_level[0] = rocksdb::kNoCompression;
  cf_options.compression_per_level[1] = rocksdb::kNoCompression;
  // Two kinds of column family, by what bounds their size:
  //  - live state (items, index entries, tokens, catalog, meta): as large as the data. Their
  //    index and filter blocks stay with the open tables, so they cost memory in proportion
  //    to the live data and are freed with the files a compaction replaces;
  //  - records that pile up (change log, stream records, PITR history): unbounded while a
  //    peer is missing or retention is long. Their index blocks live in the (bounded) block
  //    cache instead, so memory does not grow with every SST they add. (Kept there for every
  //    column family, the cache filled over ~15 minutes with the index and filter blocks of
  //    files compactions had already deleted: RSS kept rising in a steady workload.)
  // Only point-looked-up column families get bloom filters: a filter serves no range read,
  // and building it costs flushes and compactions CPU.
  store->block_cache_ = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  rocksdb::BlockBasedTableOptions ranges_table;
  ranges_table.block_cache = store->block_cache_;
  rocksdb::BlockBasedTableOptions point_table = ranges_table;
  point_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::BlockBasedTableOptions growing_table = ranges_table;
  growing_table.cache_index_and_filter_blocks = true;
  growing_table.cache_index_and_filter_blocks_with_high_priority = true;
  growing_table.pin_l0_filter_and_index_blocks_in_cache = true;
  // The log and stream records are appended in key order and read front to back: larger
  // blocks make their index a quarter of the size.
  rocksdb::BlockBasedTableOptions appended_table = growing_table;
  appended_table.block_size = 16 << 10;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(point_table));

  rocksdb::ColumnFamilyOptions items_options = cf_options;
  items_options.write_buffer_size = static_cast<size_t>(options.items_write_buffer_mb) << 20;
  // Most writes read the item first, often a key that is not there yet (new items, remote
  // changes while catching up): a memtable bloom filter answers those without a skiplist
  // search.
  items_options.memtable_prefix_bloom_size_ratio = 0.05;
  items_options.memtable_whole_key_filtering = true;
  // No memtable_insert_with_hint_prefix_extractor on the log, although its keys only grow:
  // RocksDB shares the hint map between point and range-deletion inserts, and log trimming
  // (DeleteRange) then corrupts the skiplist (seen as InlineSkipList assertion failures).
  rocksdb::ColumnFamilyOptions log_options = cf_options;
  log_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(appended_table));
  rocksdb::ColumnFamilyOptions history_options = cf_options;
  history_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(growing_table));
  rocksdb::ColumnFamilyOptions index_options = cf_options;  // range reads only
  index_options.write_buffer_size = items_options.write_buffer_size;
  index_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(ranges_table));
  // Inserts of random keys, and a point lookup only when token_index_ has the token. (A
  // hashed memtable made inserts cheaper but its flushes, which sort it, cost more.)
  rocksdb::ColumnFamilyOptions tokens_options = cf_options;
  store->token_filter_ = NewExpiredTokenFilter(store->options_.clock);
  tokens_options.compaction_filter = store->token_filter_.get();
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"catalog", cf_options},
      {"items", items_options},
      {"log", log_options},
      {"meta", cf_options},
      {"indexes", index_options},
      // ClientRequestTokens of the last 10 minutes (store_tokens.cc).
      {"tokens", tokens_options},
      // Stream records: appended in seq order per stream, read in ranges, trimmed by range.
      {"streams", log_options},
      // PITR history (store_history.cc): versions of an item are adjacent, newest first.
      {"history", history_options},
  };
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, cfs, &store->handles_, &raw);
  if (!s.ok()) return Status::IOError("open " + options.path + ": " + s.ToString());
  store->db_.reset(raw);
  store->catalog_cf_ = store->handles_[1];
  store->items_cf_ = store->handles_[2];
  store->log_cf_ = store->handles_[3];
  store->meta_cf_ = store->handles_[4];
  store->index_cf_ = store->handles_[5];
  store->tokens_cf_ = store->handles_[6];
  store->streams_cf_ = store->handles_[7];
  store->history_cf_ = store->handles_[8];
  MERIDIAN_RETURN_IF_ERROR(store->LoadCatalog());
  MERIDIAN_RETURN_IF_ERROR(store->LoadStreams());
  MERIDIAN_RETURN_IF_ERROR(store->LoadIndexBackfills());
  MERIDIAN_RETURN_IF_ERROR(store->LoadFences());
  MERIDIAN_RETURN_IF_ERROR(store->LoadTokens());
  MERIDIAN_RETURN_IF_ERROR(store->LoadPitr());
  store->StartIndexBackfiller();
  return store;
}

Status Store::LoadCatalog() {
  WriterMutexLock catalog(&catalog_mu_);
  MutexLock commit(&commit_mu_);
  std::string value;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kNextTableId, &value).ok()) {
    next_table_id_ = static_cast<uint32_t>(keys::DecodeU64(value));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), catalog_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto info = DecodeTableInfo(std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return info.status();
    if (info->HostedIn(options_.region)) {
      auto shared = std::make_shared<const TableInfo>(std::move(info).value());
      SetIndexesLocked(shared);
      tables_[shared->name] = std::move(shared);
    } else {
      const std::string name = info->name;
      remote_tables_[name] = std::move(info).value();
    }
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  auto marks = ReadVectorMarks(keys::kBackfillPrefix);
  if (!marks.ok()) return marks.status();
  backfills_ = std::move(marks).value();
  return RecoverLogState();
}

Result<std::map<std::string, conflict::VersionVector, std::less<>>> Store::ReadVectorMarks(
    std::string_view prefix) const {
  std::map<std::string, conflict::VersionVector, std::less<>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view in(it->value().data(), it->value().size());
    auto vector = conflict::VersionVector::DecodeCompact(&in);
    if (!vector.ok()) return vector.status();
    out[it->key().ToString().substr(prefix.size())] = std::move(vector).value();
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return out;
}

Status Store::RecoverLogState() {
  std::string value;
  std::map<uint32_t, TableStats> snapshot;
  uint64_t stats_seq = 0;  // own head as of the last group (the log may be trimmed)
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kStats, &value).ok()) {
    stats_seq = keys::DecodeStats(value, &snapshot);
  }
  for (const auto& [name, info] : tables_) {
    auto found = snapshot.find(info->table_id);
    stats_[info->table_id] = found == snapshot.end() ? TableStats{} : found->second;
    for (const auto& index : info->indexes) {
      found = snapshot.find(index.index_id);
      stats_[index.index_id] = found == snapshot.end() ? TableStats{} : found->second;
    }
  }
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kApplied, &value).ok()) {
    std::string_view in = value;
    auto vector = conflict::VersionVector::DecodeCompact(&in);
    if (!vector.ok()) return vector.status();
    for (const auto& e : vector->entries()) {
      if (e.region != options_.region_id) applied_[e.region] = e.seq;
    }
  }
  // Our own head: the last record under our origin prefix.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
  it->SeekForPrev(LogKey(options_.region_id, UINT64_MAX));
  if (it->Valid() && it->key().starts_with(LogOriginPrefix(options_.region_id))) {
    last_seq_ = LogKeySeq(std::string_view(it->key().data(), it->key().size()));
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  last_seq_ = std::max(last_seq_, stats_seq);
  committed_seq_ = last_seq_;
  durable_applied_ = AppliedVectorLocked();
  return Status::Ok();
}

Result<std::shared_ptr<const TableInfo>> Store::CreateTable(TableInfo info) {
  WriterMutexLock lock(&catalog_mu_);
  if (tables_.count(info.name) || remote_tables_.count(info.name)) {
    return Status::ResourceInUse("Table already exists: " + info.name);
  }
  if (!info.all_regions && info.replicas.empty()) info.replicas.push_back({options_.region, 0, 0});
  info.table_id = next_table_id_++;
  for (auto& index : info.indexes) index.index_id = next_table_id_++;
  if (info.creation_time_ms == 0) info.creation_time_ms = options_.clock->NowMillis();
  info.update_hlc = hlc_->Now().packed();
  info.update_origin = options_.region_id;
  auto shared = std::make_shared<const TableInfo>(std::move(info));
  uint64_t seq;
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    group_->Put(meta_cf_, keys::kNextTableId, keys::EncodeU64(next_table_id_));
    group_->Put(catalog_cf_, shared->name, EncodeTableInfo(*shared));
    seq = StageCatalogLocked(*shared, CatalogChange::kCreate);
    stats_[shared->table_id] = TableStats{};
    for (const auto& index : shared->indexes) stats_[index.index_id] = TableStats{};
    SetIndexesLocked(shared);
    SyncStreamLocked(*shared, options_.clock->NowMillis());
  }
  tables_[shared->name] = shared;
  lock.Unlock();
  MERIDIAN_RETURN_IF_ERROR(WriteGroupAndWait(seq));
  return shared;
}

Result<std::shared_ptr<const TableInfo>> Store::GetTable(std::string_view name) const {
  ReaderMutexLock lock(&catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  return it->second;
}

std::vector<std::string> Store::ListTableNames() const {
  ReaderMutexLock lock(&catalog_mu_);
  std::vector<std::string> names;
  names.reserve(tables_.size());
  for (const auto& [name, info] : tables_) names.push_back(name);
  return names;
}

Result<std::shared_ptr<const TableInfo>> Store::DeleteTable(std::string_view name) {
  WriterMutexLock lock(&catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  auto info = it->second;
  uint64_t seq;
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    group_->Delete(catalog_cf_, info->name);
    group_->Delete(meta_cf_, keys::kBackfillPrefix + info->name);
    seq = StageCatalogLocked(*info, CatalogChange::kDelete);
    EndStreamLocked(info->table_id, options_.clock->NowMillis());
    DeleteTableItemsLocked(info->table_id);
    DropIndexesLocked(info->table_id);
    stats_.erase(info->table_id);
  }
  backfills_.erase(info->name);
  tables_.erase(it);
  lock.Unlock();
  MERIDIAN_RETURN_IF_ERROR(WriteGroupAndWait(seq));
  return info;
}

Result<std::shared_ptr<const TableInfo>> Store::UpdateTable(
    std::string_view name, const std::function<Status(TableInfo*)>& edit) {
  WriterMutexLock lock(&catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  const std::shared_ptr<const TableInfo> before = it->second;
  TableInfo updated = *before;
  MERIDIAN_RETURN_IF_ERROR(edit(&updated));
  if (updated.table_id != before->table_id || updated.name != before->name) {
    return Status::Internal("UpdateTable may not change a table's identity");
  }
  uint64_t seq;
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    updated.update_hlc = hlc_->Now().packed();
    updated.update_origin = options_.region_id;
    for (auto& replica : updated.replicas) {
      if (replica.added_origin == 0 && !before->FindReplica(replica.region) &&
          !before->all_regions) {
        replica.added_origin = options_.region_id;
        replica.added_seq = last_seq_ + 1;  // the change staged below
      }
    }
    seq = StageCatalogLocked(updated, CatalogChange::kUpdate);
    InstallDefinitionLocked(updated, /*backfill=*/false);
  }
  auto found = tables_.find(name);
  std::shared_ptr<const TableInfo> result = found == tables_.end() ? nullptr : found->second;
  lock.Unlock();
  MERIDIAN_RETURN_IF_ERROR(WriteGroupAndWait(seq));
  return result;
}

void Store::InstallDefinitionLocked(TableInfo next, bool backfill) {
  auto hosted = tables_.find(next.name);
  const bool was_here = hosted != tables_.end();
  const bool now_here = next.HostedIn(options_.region);
  if (now_here && was_here) {
    next.table_id = hosted->second->table_id;
    AssignIndexIdsLocked(hosted->second.get(), &next);
    hosted->second = std::make_shared<const TableInfo>(next);
    SetIndexesLocked(hosted->second);
    SyncStreamLocked(next, options_.clock->NowMillis());
  } else if (now_here) {
    // A new replica here: an empty local table that follows the log from now on, and a
    // backfill of what it missed (the changes applied so far, skipped while not a replica).
    next.table_id = next_table_id_++;
    group_->Put(meta_cf_, keys::kNextTableId, keys::EncodeU64(next_table_id_));
    stats_[next.table_id] = TableStats{};
    AssignIndexIdsLocked(nullptr, &next);
    if (backfill) {
      // Changes of other origins applied so far (this region never wrote to the table).
      auto needed = RemoteAppliedLocked();
      group_->Put(meta_cf_, keys::kBackfillPrefix + next.name, needed.EncodeCompact());
      backfills_[next.name] = std::move(needed);
    }
    remote_tables_.erase(next.name);
    tables_[next.name] = std::make_shared<const TableInfo>(next);
    SetIndexesLocked(tables_[next.name]);
    SyncStreamLocked(next, options_.clock->NowMillis());
  } else {
    if (was_here) {
      const uint32_t id = hosted->second->table_id;
      EndStreamLocked(id, options_.clock->NowMillis());
      DeleteTableItemsLocked(id);
      DropIndexesLocked(id);
      group_->Delete(meta_cf_, keys::kBackfillPrefix + next.name);
      stats_.erase(id);
      backfills_.erase(next.name);
      tables_.erase(hosted);
    }
    next.table_id = 0;
    remote_tables_[next.name] = next;
  }
  group_->Put(catalog_cf_, next.name, EncodeTableInfo(next));
}

bool Store::Backfilling(std::string_view table) const {
  ReaderMutexLock lock(&catalog_mu_);
  return backfills_.find(table) != backfills_.end();
}

TableStats Store::GetTableStats(uint32_t table_id) const {
  MutexLock lock(&commit_mu_);
  auto it = stats_.find(table_id);
  return it == stats_.end() ? TableStats{} : it->second;
}

uint64_t Store::StageCatalogLocked(const TableInfo& info, CatalogChange kind) {
  Change change;
  change.origin = options_.region_id;
  change.seq = ++last_seq_;
  switch (kind) {
    case CatalogChange::kCreate: change.kind = Change::Kind::kCreateTable; break;
    case CatalogChange::kUpdate: change.kind = Change::Kind::kUpdateTable; break;
    case CatalogChange::kDelete: change.kind = Change::Kind::kDeleteTable; break;
  }
  change.table_name = info.name;
  if (change.kind != Change::Kind::kDeleteTable) {
    TableInfo shipped = info;
    shipped.table_id = 0;  // table and index ids are local to each region
    for (auto& index : shipped.indexes) index.index_id = 0;
    change.table_bytes = EncodeTableInfo(shipped);
  }
  change.hlc_millis = options_.clock->NowMillis();
  StageLogLocked(change.origin, change.seq, EncodeChange(change));
  return change.seq;
}

Status Store::WriteGroupAndWait(uint64_t until_seq) {
  while (committed_seq() < until_seq) {
    CommitPending();
    MutexLock lock(&commit_mu_);
    if (!failed_.ok()) return failed_;
  }
  return Status::Ok();
}

uint64_t Store::last_seq() const {
  MutexLock lock(&commit_mu_);
  return last_seq_;
}

Mutex& Store::LockFor(std::string_view item_key) {
  return item_locks_[std::hash<std::string_view>{}(item_key) % kLockStripes];
}

}  // namespace meridian::store
