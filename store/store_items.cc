// Store: item reads, the atomic read-check-write path, and range scans.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>

#include "model/key_codec.h"
#include "store/change_log.h"
#include "store/item_codec.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

uint64_t NowHlcBase() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return static_cast<uint64_t>(ms) << 16;
}

// Reads and decodes one stored version. nullopt if absent.
Result<std::optional<StoredItem>> ReadStored(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                             const std::string& key) {
  rocksdb::PinnableSlice value;
  auto s = db->Get(rocksdb::ReadOptions(), cf, key, &value);
  if (s.IsNotFound()) return std::optional<StoredItem>();
  if (!s.ok()) return Status::IOError("get: " + s.ToString());
  auto stored = DecodeStoredItem(std::string_view(value.data(), value.size()));
  if (!stored.ok()) return stored.status();
  return std::optional<StoredItem>(std::move(stored).value());
}

}  // namespace

Result<std::optional<model::Item>> Store::GetItem(const TableInfo& table,
                                                  const model::AttributeValue& pk,
                                                  const model::AttributeValue* sk) const {
  auto stored = ReadStored(db_.get(), items_cf_, model::ItemKey(table.table_id, pk, sk));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value() || (*stored)->meta.tombstone) return std::optional<model::Item>();
  return std::optional<model::Item>(std::move((*stored)->item));
}

Result<WriteResult> Store::WriteItem(const TableInfo& table, const model::AttributeValue& pk,
                                     const model::AttributeValue* sk, const MutationFn& fn) {
  const std::string key = model::ItemKey(table.table_id, pk, sk);
  std::lock_guard item_lock(LockFor(key));

  auto current = ReadStored(db_.get(), items_cf_, key);
  if (!current.ok()) return current.status();
  const bool existed = current->has_value() && !(*current)->meta.tombstone;
  const model::Item* current_item = existed ? &(*current)->item : nullptr;

  auto mutation = fn(current_item);
  if (!mutation.ok()) return mutation.status();

  WriteResult result;
  if (existed) result.old_item = (*current)->item;
  if (mutation->kind == Mutation::Kind::kNone) return result;
  if (mutation->kind == Mutation::Kind::kDelete && !existed) return result;

  StoredItem next;
  next.meta.origin_region = options_.region;
  next.meta.tombstone = mutation->kind == Mutation::Kind::kDelete;
  if (!next.meta.tombstone) next.item = std::move(mutation->item);
  const int64_t old_bytes = existed ? static_cast<int64_t>(model::ItemByteSize((*current)->item)) : 0;
  const int64_t new_bytes = next.meta.tombstone ? 0 : static_cast<int64_t>(model::ItemByteSize(next.item));

  std::lock_guard commit(commit_mu_);
  const uint64_t seq = last_seq_ + 1;
  next.meta.seq = seq;
  const uint64_t prev_hlc = current->has_value() ? (*current)->meta.hlc : 0;
  next.meta.hlc = std::max(NowHlcBase(), prev_hlc + 1);
  const std::string item_bytes = EncodeStoredItem(next);

  ChangeRecord record;
  record.seq = seq;
  record.table_id = table.table_id;
  record.table_name = table.name;
  record.item_key = key;
  record.item_bytes = item_bytes;
  record.count_delta = static_cast<int8_t>((next.meta.tombstone ? 0 : 1) - (existed ? 1 : 0));
  record.bytes_delta = new_bytes - old_bytes;

  rocksdb::WriteBatch batch;
  batch.Put(items_cf_, key, item_bytes);
  batch.Put(log_cf_, keys::EncodeU64(seq), EncodeChangeRecord(record));
  TableStats& stats = stats_[table.table_id];
  const TableStats before = stats;
  ApplyStatsDelta(record.count_delta, record.bytes_delta, &stats);
  // Bound the log replay at open: snapshot the counters now and then.
  if (seq % kStatsSnapshotEvery == 0) batch.Put(meta_cf_, keys::kStats, keys::EncodeStats(seq, stats_));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Write(wo, &batch);
  if (!s.ok()) {
    stats = before;
    return Status::IOError("write: " + s.ToString());
  }
  last_seq_ = seq;
  result.seq = seq;
  return result;
}

Status Store::ScanRange(const TableInfo& table, const std::string& begin, const std::string& end,
                        bool reverse, const Visitor& visit) const {
  const std::string table_end = keys::TableBegin(table.table_id + 1);
  const std::string& upper = end.empty() ? table_end : end;
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper_slice(upper);
  const std::string lower = begin.empty() ? keys::TableBegin(table.table_id) : begin;
  rocksdb::Slice lower_slice(lower);
  ro.iterate_upper_bound = &upper_slice;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
  if (reverse) {
    it->SeekToLast();
  } else {
    it->Seek(lower);
  }
  for (; it->Valid(); reverse ? it->Prev() : it->Next()) {
    auto stored = DecodeStoredItem(std::string_view(it->value().data(), it->value().size()));
    if (!stored.ok()) return stored.status();
    if (stored->meta.tombstone) continue;
    if (!visit(std::string_view(it->key().data(), it->key().size()), stored->item)) break;
  }
  if (!it->status().ok()) return Status::IOError("scan: " + it->status().ToString());
  return Status::Ok();
}

}  // namespace meridian::store
