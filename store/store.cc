// Store: opening RocksDB and the table catalog. Item reads and writes: store_items.cc.
#include "store/store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/cache.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include <chrono>

#include "store/change_log.h"
#include "store/store_keys.h"

namespace meridian::store {

Store::Store(const StoreOptions& options)
    : options_(options),
      item_locks_(new std::mutex[kLockStripes]),
      group_(std::make_unique<rocksdb::WriteBatch>()),
      cache_(std::make_unique<ItemCache>(options.item_cache_mb << 20)) {}

Store::~Store() {
  if (db_) {
    CommitPending();
    std::lock_guard commit(commit_mu_);
    db_->Put(rocksdb::WriteOptions(), meta_cf_, keys::kStats, keys::EncodeStats(last_seq_, stats_))
        .PermitUncheckedError();
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::unique_ptr<Store> store(new Store(options));
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  // Compactions must not steal the core from request handling when both share one CPU.
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::LOW, rocksdb::CpuPriority::kLow)
      .PermitUncheckedError();

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 64 << 20;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_mb << 20);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));

  rocksdb::ColumnFamilyOptions items_options = cf_options;
  items_options.write_buffer_size = static_cast<size_t>(options.items_write_buffer_mb) << 20;
  // Log keys only grow: insert at the remembered position instead of searching the skiplist.
  rocksdb::ColumnFamilyOptions log_options = cf_options;
  log_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, cf_options},
      {"catalog", cf_options},
      {"items", items_options},
      {"log", log_options},
      {"meta", cf_options},
  };
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, options.path, cfs, &store->handles_, &raw);
  if (!s.ok()) return Status::IOError("open " + options.path + ": " + s.ToString());
  store->db_.reset(raw);
  store->catalog_cf_ = store->handles_[1];
  store->items_cf_ = store->handles_[2];
  store->log_cf_ = store->handles_[3];
  store->meta_cf_ = store->handles_[4];
  MERIDIAN_RETURN_IF_ERROR(store->LoadCatalog());
  return store;
}

Status Store::LoadCatalog() {
  std::string value;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kNextTableId, &value).ok()) {
    next_table_id_ = static_cast<uint32_t>(keys::DecodeU64(value));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), catalog_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto info = DecodeTableInfo(std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return info.status();
    auto shared = std::make_shared<const TableInfo>(std::move(info).value());
    tables_[shared->name] = std::move(shared);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return RecoverSeqAndStats();
}

Status Store::RecoverSeqAndStats() {
  std::map<uint32_t, TableStats> snapshot;
  uint64_t snapshot_seq = 0;
  std::string value;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::kStats, &value).ok()) {
    snapshot_seq = keys::DecodeStats(value, &snapshot);
  }
  for (const auto& [name, info] : tables_) {
    auto found = snapshot.find(info->table_id);
    stats_[info->table_id] = found == snapshot.end() ? TableStats{} : found->second;
  }
  last_seq_ = snapshot_seq;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), log_cf_));
  for (it->Seek(keys::EncodeU64(snapshot_seq + 1)); it->Valid(); it->Next()) {
    auto record = DecodeChangeRecord(std::string_view(it->value().data(), it->value().size()));
    if (!record.ok()) return record.status();
    auto stats = stats_.find(record->table_id);
    if (stats != stats_.end()) ApplyStatsDelta(record->count_delta, record->bytes_delta, &stats->second);
    last_seq_ = record->seq;
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  committed_seq_ = last_seq_;
  return Status::Ok();
}

Result<std::shared_ptr<const TableInfo>> Store::CreateTable(TableInfo info) {
  std::unique_lock lock(catalog_mu_);
  if (tables_.count(info.name)) {
    return Status::ResourceInUse("Table already exists: " + info.name);
  }
  info.table_id = next_table_id_;
  info.creation_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  rocksdb::WriteBatch batch;
  batch.Put(catalog_cf_, info.name, EncodeTableInfo(info));
  batch.Put(meta_cf_, keys::kNextTableId, keys::EncodeU64(next_table_id_ + 1));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Status::IOError("create table: " + s.ToString());
  ++next_table_id_;
  auto shared = std::make_shared<const TableInfo>(std::move(info));
  tables_[shared->name] = shared;
  {
    std::lock_guard commit(commit_mu_);
    stats_[shared->table_id] = TableStats{};
  }
  return shared;
}

Result<std::shared_ptr<const TableInfo>> Store::GetTable(std::string_view name) const {
  std::shared_lock lock(catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  return it->second;
}

std::vector<std::string> Store::ListTableNames() const {
  std::shared_lock lock(catalog_mu_);
  std::vector<std::string> names;
  names.reserve(tables_.size());
  for (const auto& [name, info] : tables_) names.push_back(name);
  return names;
}

Result<std::shared_ptr<const TableInfo>> Store::DeleteTable(std::string_view name) {
  std::unique_lock lock(catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  auto info = it->second;
  rocksdb::WriteBatch batch;
  batch.Delete(catalog_cf_, info->name);
  std::string begin = keys::TableBegin(info->table_id);
  std::string end = keys::TableBegin(info->table_id + 1);
  batch.DeleteRange(items_cf_, begin, end);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) return Status::IOError("delete table: " + s.ToString());
  tables_.erase(it);
  std::lock_guard commit(commit_mu_);
  stats_.erase(info->table_id);
  return info;
}

Result<std::shared_ptr<const TableInfo>> Store::UpdateTable(
    std::string_view name, const std::function<Status(TableInfo*)>& edit) {
  std::unique_lock lock(catalog_mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return Status::NotFound("Requested resource not found: Table: " + std::string(name) +
                            " not found");
  }
  TableInfo updated = *it->second;
  MERIDIAN_RETURN_IF_ERROR(edit(&updated));
  if (updated.table_id != it->second->table_id || updated.name != it->second->name) {
    return Status::Internal("UpdateTable may not change a table's identity");
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Put(wo, catalog_cf_, updated.name, EncodeTableInfo(updated));
  if (!s.ok()) return Status::IOError("update table: " + s.ToString());
  auto shared = std::make_shared<const TableInfo>(std::move(updated));
  it->second = shared;
  return shared;
}

TableStats Store::GetTableStats(uint32_t table_id) const {
  std::lock_guard lock(commit_mu_);
  auto it = stats_.find(table_id);
  return it == stats_.end() ? TableStats{} : it->second;
}

uint64_t Store::last_seq() const {
  std::lock_guard lock(commit_mu_);
  return last_seq_;
}

std::mutex& Store::LockFor(std::string_view item_key) {
  return item_locks_[std::hash<std::string_view>{}(item_key) % kLockStripes];
}

}  // namespace meridian::store
