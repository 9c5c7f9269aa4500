// Point-in-time recovery (docs/backups.md): while PITR is on for a table here, every version
// staged for its items is also put, in the same commit group, into the history column family
// under table prefix (4) | suffix length (4, BE) | key suffix | ~time ms (8, BE). An item's
// versions are therefore adjacent and newest first, and the table's state at time T is, for
// each item, its newest version stamped at or before T. Enabling PITR stamps a baseline
// copy of the table's items at enabled_ms - 1; TrimHistory keeps, per item, the newest version
// older than the retention window (the state at the window's start) and drops the rest.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/big_endian.h"
#include "store/scoped_snapshot.h"
#include "store/store.h"
#include "store/store_keys.h"

namespace meridian::store {
namespace {

constexpr size_t kTablePrefixBytes = 4;
constexpr size_t kLengthBytes = 4;
constexpr size_t kTimeBytes = 8;
constexpr size_t kBatchEntries = 4096;

std::string PitrKey(uint32_t table_id) { return keys::kPitrPrefix + BigEndian(table_id, 4); }

std::string EncodePitr(const PitrState& state) {
  return keys::EncodeU64(state.enabled_ms) + keys::EncodeU64(state.period_days);
}

// The history key prefix of an item: table prefix | suffix length | suffix.
std::string HistoryItemPrefix(std::string_view item_key) {
  std::string out(item_key.substr(0, kTablePrefixBytes));
  out += BigEndian(item_key.size() - kTablePrefixBytes, kLengthBytes);
  out.append(item_key.substr(kTablePrefixBytes));
  return out;
}

std::string HistoryKey(std::string_view item_key, uint64_t time_ms) {
  return HistoryItemPrefix(item_key) + keys::EncodeU64(~time_ms);
}

// A history key split into its item prefix, key suffix and time; false when malformed.
struct HistoryEntry {
  std::string_view item_prefix;
  std::string_view suffix;
  uint64_t time_ms = 0;
};
bool ParseHistoryKey(std::string_view key, HistoryEntry* out) {
  if (key.size() < kTablePrefixBytes + kLengthBytes + kTimeBytes) return false;
  const uint64_t length = ReadBigEndian(key.substr(kTablePrefixBytes), kLengthBytes);
  const size_t head = kTablePrefixBytes + kLengthBytes;
  if (key.size() != head + length + kTimeBytes) return false;
  out->item_prefix = key.substr(0, head + length);
  out->suffix = key.substr(head, length);
  out->time_ms = ~keys::DecodeU64(key.substr(head + length));
  return true;
}

// The history of one table, read at one snapshot: for each item, its newest version stamped
// at or before `time_ms`.
class HistoryCursor final : public VersionCursor {
 public:
  HistoryCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t table_id,
                uint64_t time_ms)
      : snapshot_(db),
        begin_(keys::TableBegin(table_id)),
        end_(keys::TableBegin(table_id + 1)),
        upper_(end_),
        time_ms_(time_ms) {
    ro_.snapshot = snapshot_.get();
    ro_.iterate_upper_bound = &upper_;
    ro_.fill_cache = false;
    it_.reset(db->NewIterator(ro_, cf));
  }

  bool Next(std::string_view* suffix, std::string_view* version) override {
    if (started_) {
      it_->Next();
    } else {
      it_->Seek(begin_);
      started_ = true;
    }
    for (; it_->Valid(); it_->Next()) {
      HistoryEntry entry;
      if (!ParseHistoryKey(std::string_view(it_->key().data(), it_->key().size()), &entry)) {
        status_ = Status::Corruption("history: malformed key");
        return false;
      }
      if (entry.item_prefix == last_item_ || entry.time_ms > time_ms_) continue;
      last_item_.assign(entry.item_prefix);
      *suffix = entry.suffix;
      *version = std::string_view(it_->value().data(), it_->value().size());
      return true;
    }
    if (!it_->status().ok()) status_ = Status::IOError("history: " + it_->status().ToString());
    return false;
  }
  Status status() const override { return status_; }

 private:
  const ScopedSnapshot snapshot_;
  rocksdb::ReadOptions ro_;
  const std::string begin_, end_;
  rocksdb::Slice upper_;
  const uint64_t time_ms_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::string last_item_;  // the item prefix of the version returned last
  bool started_ = false;
  Status status_;
};

Status ToStatus(const rocksdb::Status& s, const char* what) {
  return s.ok() ? Status::Ok() : Status::IOError(std::string(what) + ": " + s.ToString());
}

}  // namespace

void Store::StageHistoryLocked(uint32_t table_id, std::string_view key, const std::string& bytes) {
  auto it = pitr_.find(table_id);
  if (it == pitr_.end()) return;
  const uint64_t now = std::max(options_.clock->NowMillis(), it->second.enabled_ms);
  group_->Put(history_cf_, HistoryKey(key, now), bytes);
}

void Store::DropHistoryLocked(uint32_t table_id) {
  if (pitr_.erase(table_id) > 0) group_->Delete(meta_cf_, PitrKey(table_id));
  group_->DeleteRange(history_cf_, keys::TableBegin(table_id), keys::TableBegin(table_id + 1));
}

Status Store::LoadPitr() {
  MutexLock commit(&commit_mu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(keys::kPitrPrefix); it->Valid() && it->key().starts_with(keys::kPitrPrefix);
       it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::string_view value(it->value().data(), it->value().size());
    if (key.size() != keys::kPitrPrefix.size() + 4 || value.size() != 16) {
      return Status::Corruption("pitr: malformed state");
    }
    const auto table_id = static_cast<uint32_t>(ReadBigEndian(key.substr(key.size() - 4), 4));
    pitr_[table_id] =
        PitrState{keys::DecodeU64(value), static_cast<uint32_t>(keys::DecodeU64(value.substr(8)))};
  }
  return ToStatus(it->status(), "pitr");
}

std::optional<PitrState> Store::GetPitr(uint32_t table_id) const {
  MutexLock commit(&commit_mu_);
  auto it = pitr_.find(table_id);
  if (it == pitr_.end()) return std::nullopt;
  return it->second;
}

Result<PitrState> Store::EnablePitr(std::string_view table, uint32_t period_days) {
  if (period_days < kMinPitrDays || period_days > kMaxPitrDays) {
    return Status::InvalidArgument("RecoveryPeriodInDays must be between 1 and 35");
  }
  const auto table_id = ServableTableId(table);
  if (!table_id) return Status::NotFound("Table not found: " + std::string(table));
  PitrState state;
  bool fresh = false;
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    auto it = pitr_.find(*table_id);
    if (it != pitr_.end()) {
      it->second.period_days = period_days;
      state = it->second;
    } else {
      // Leftovers of an enabling cut short by a crash go first (before anything new).
      group_->DeleteRange(history_cf_, keys::TableBegin(*table_id),
                          keys::TableBegin(*table_id + 1));
      state = PitrState{options_.clock->NowMillis(), period_days};
      pitr_[*table_id] = state;
      fresh = true;
    }
  }
  // Everything staged before pitr_ had the table is written by now, so the snapshot below
  // holds it; everything staged after has its own history entry.
  CommitPending();
  if (fresh) {
    const std::string begin = keys::TableBegin(*table_id);
    const std::string end = keys::TableBegin(*table_id + 1);
    const rocksdb::Slice upper(end);
    const ScopedSnapshot snap(db_.get());
    rocksdb::ReadOptions ro;
    ro.snapshot = snap.get();
    ro.iterate_upper_bound = &upper;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, items_cf_));
    rocksdb::WriteBatch batch;
    for (it->Seek(begin); it->Valid(); it->Next()) {
      batch.Put(
          history_cf_,
          HistoryKey(std::string_view(it->key().data(), it->key().size()), state.enabled_ms - 1),
          it->value());
      if (batch.Count() >= kBatchEntries) {
        MERIDIAN_RETURN_IF_ERROR(ToStatus(db_->Write(rocksdb::WriteOptions(), &batch), "pitr"));
        batch.Clear();
      }
    }
    MERIDIAN_RETURN_IF_ERROR(ToStatus(it->status(), "pitr baseline"));
    MERIDIAN_RETURN_IF_ERROR(ToStatus(db_->Write(rocksdb::WriteOptions(), &batch), "pitr"));
  }
  // Persisted last: after a crash before this, PITR is off and the baseline is dropped again.
  MERIDIAN_RETURN_IF_ERROR(ToStatus(
      db_->Put(rocksdb::WriteOptions(), meta_cf_, PitrKey(*table_id), EncodePitr(state)), "pitr"));
  return state;
}

Status Store::DisablePitr(std::string_view table) {
  const auto table_id = ServableTableId(table);
  if (!table_id) return Status::NotFound("Table not found: " + std::string(table));
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    DropHistoryLocked(*table_id);
  }
  CommitPending();
  MutexLock commit(&commit_mu_);
  return failed_;
}

uint64_t Store::HistoryBytes(uint32_t table_id) const {
  const std::string begin = keys::TableBegin(table_id);
  const std::string end = keys::TableBegin(table_id + 1);
  const rocksdb::Range range(begin, end);
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  uint64_t size = 0;
  if (!db_->GetApproximateSizes(options, history_cf_, &range, 1, &size).ok()) return 0;
  return size;
}

Result<uint64_t> Store::TrimHistory() {
  std::map<uint32_t, PitrState> tables;
  {
    MutexLock commit(&commit_mu_);
    tables = pitr_;
  }
  const uint64_t now = options_.clock->NowMillis();
  uint64_t dropped = 0;
  for (const auto& [table_id, state] : tables) {
    const uint64_t window_start = state.EarliestRestorable(now);
    if (window_start <= state.enabled_ms) continue;
    const std::string begin = keys::TableBegin(table_id);
    const std::string end = keys::TableBegin(table_id + 1);
    const rocksdb::Slice upper(end);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, history_cf_));
    rocksdb::WriteBatch batch;
    std::string kept_item;  // the item whose version at the window's start was kept
    for (it->Seek(begin); it->Valid(); it->Next()) {
      HistoryEntry entry;
      const std::string_view key(it->key().data(), it->key().size());
      if (!ParseHistoryKey(key, &entry)) return Status::Corruption("history: malformed key");
      if (entry.time_ms >= window_start) continue;
      if (entry.item_prefix != kept_item) {
        kept_item.assign(entry.item_prefix);  // the state at the window's start: kept
        continue;
      }
      batch.Delete(history_cf_, it->key());
      ++dropped;
      if (batch.Count() >= kBatchEntries) {
        MERIDIAN_RETURN_IF_ERROR(ToStatus(db_->Write(rocksdb::WriteOptions(), &batch), "trim"));
        batch.Clear();
      }
    }
    MERIDIAN_RETURN_IF_ERROR(ToStatus(it->status(), "trim history"));
    MERIDIAN_RETURN_IF_ERROR(ToStatus(db_->Write(rocksdb::WriteOptions(), &batch), "trim"));
  }
  return dropped;
}

Result<std::unique_ptr<VersionCursor>> Store::OpenVersionsAt(std::string_view table,
                                                             uint64_t time_ms) const {
  const auto table_id = ServableTableId(table);
  if (!table_id) return Status::NotFound("Table not found: " + std::string(table));
  if (!GetPitr(*table_id)) return Status::InvalidArgument("PITR is off for " + std::string(table));
  return std::unique_ptr<VersionCursor>(
      std::make_unique<HistoryCursor>(db_.get(), history_cf_, *table_id, time_ms));
}

}  // namespace meridian::store
