// Store: DynamoDB Streams (store/streams.h, docs/streams.md). Streams follow the table
// definitions installed here; every staged item version of a table with an enabled stream
// stages its record in the same commit group.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "store/store.h"
#include "store/store_keys.h"
#include "store/streams.h"

namespace meridian::store {

namespace {
constexpr const char* kStreamSeqKey = "stream_seq";
const std::string kMarkerPrefix = "marker/";
}  // namespace

Result<std::optional<std::string>> Store::ReadMarker(std::string_view name) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), meta_cf_, kMarkerPrefix + std::string(name), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return Status::IOError("marker: " + s.ToString());
  return std::optional<std::string>(std::move(value));
}

Status Store::WriteMarker(std::string_view name, std::string_view value) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  auto s = db_->Put(wo, meta_cf_, kMarkerPrefix + std::string(name), value);
  return s.ok() ? Status::Ok() : Status::IOError("marker: " + s.ToString());
}

Status Store::LoadStreams() {
  ReaderMutexLock catalog(&catalog_mu_);
  MutexLock commit(&commit_mu_);
  std::string value;
  if (db_->Get(rocksdb::ReadOptions(), meta_cf_, kStreamSeqKey, &value).ok()) {
    stream_seq_ = keys::DecodeU64(value);
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), meta_cf_));
  for (it->Seek(kStreamMetaPrefix); it->Valid() && it->key().starts_with(kStreamMetaPrefix);
       it->Next()) {
    auto info = DecodeStreamInfo(std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return info.status();
    const auto id = std::pair(info->table_id, info->label_ms);
    streams_[id] = std::move(info).value();
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  // The last record of every stream, for stream_seq_ (a crash may have lost a meta rewrite)
  // and for closing the open shards: each start of the store starts new shards.
  rocksdb::WriteBatch batch;
  const uint64_t now = options_.clock->NowMillis();
  std::unique_ptr<rocksdb::Iterator> records(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  for (auto& [id, stream] : streams_) {
    records->SeekForPrev(StreamRecordKey(id.first, id.second, UINT64_MAX));
    uint64_t last = 0;
    if (records->Valid() && records->key().starts_with(StreamPrefix(id.first, id.second))) {
      last = StreamRecordKeySeq(std::string_view(records->key().data(), records->key().size()));
    }
    if (!records->status().ok()) return Status::IOError(records->status().ToString());
    stream_seq_ = std::max(stream_seq_, last);
    if (stream.enabled()) active_streams_[id.first] = id.second;
    if (stream.shards.empty() || stream.shards.back().closed) continue;
    StreamShard& open = stream.shards.back();
    if (last >= open.first_seq && last != 0) {
      open.last_seq = last;
      open.records = std::max<uint64_t>(open.records, 1);
    }
    if (!stream.enabled() || open.records == 0) continue;
    CloseOpenShard(&stream);
    OpenShard(&stream, stream_seq_ + 1, now);
    batch.Put(meta_cf_, StreamMetaKey(id.first, id.second), EncodeStreamInfo(stream));
  }
  // Tables whose definition has a stream this region has not started (defensive: the
  // definition and the stream are installed in one group); staged for the first group.
  for (const auto& [name, table] : tables_) SyncStreamLocked(*table, now);
  stream_seq_written_ = stream_seq_;
  if (batch.Count() == 0) return Status::Ok();
  auto s = db_->Write(rocksdb::WriteOptions(), &batch);
  return s.ok() ? Status::Ok() : Status::IOError("streams: " + s.ToString());
}

void Store::PutStreamMetaLocked(const StreamInfo& stream) {
  group_->Put(meta_cf_, StreamMetaKey(stream.table_id, stream.label_ms), EncodeStreamInfo(stream));
}

void Store::SyncStreamLocked(const TableInfo& table, uint64_t now_ms) {
  auto active = active_streams_.find(table.table_id);
  const bool wanted = table.stream.enabled && table.stream.label_ms != 0;
  if (active != active_streams_.end() && (!wanted || active->second != table.stream.label_ms)) {
    EndStreamLocked(table.table_id, now_ms);
    active = active_streams_.end();
  }
  if (!wanted || active != active_streams_.end()) return;
  StreamInfo stream;
  stream.table_id = table.table_id;
  stream.table_name = table.name;
  stream.label_ms = table.stream.label_ms;
  stream.view_type = table.stream.view_type;
  stream.partition_key = table.partition_key;
  stream.sort_key = table.sort_key;
  stream.trimmed_before = stream_seq_ + 1;
  OpenShard(&stream, stream_seq_ + 1, now_ms);
  PutStreamMetaLocked(stream);
  streams_[{table.table_id, table.stream.label_ms}] = std::move(stream);
  active_streams_[table.table_id] = table.stream.label_ms;
}

void Store::EndStreamLocked(uint32_t table_id, uint64_t now_ms) {
  auto active = active_streams_.find(table_id);
  if (active == active_streams_.end()) return;
  auto it = streams_.find({table_id, active->second});
  active_streams_.erase(active);
  if (it == streams_.end()) return;
  CloseOpenShard(&it->second);
  it->second.disabled_ms = std::max<uint64_t>(now_ms, 1);
  PutStreamMetaLocked(it->second);
}

void Store::StageStreamRecordLocked(uint32_t table_id, const StoredItem& next,
                                    const StoredItem& previous, bool ttl_expiry) {
  auto active = active_streams_.find(table_id);
  if (active == active_streams_.end()) return;
  auto it = streams_.find({table_id, active->second});
  if (it == streams_.end() || it->second.shards.empty()) return;
  StreamInfo& stream = it->second;
  // Record times never go back, so retention trims a prefix of every stream.
  last_stream_time_ms_ = std::max(last_stream_time_ms_, options_.clock->NowMillis());
  auto record = EncodeStreamChange(stream, previous.tombstone() ? nullptr : &previous.item(),
                                   next.tombstone() ? nullptr : &next.item(), last_stream_time_ms_,
                                   ttl_expiry);
  if (!record) return;
  const uint64_t seq = ++stream_seq_;
  StreamShard& shard = stream.shards.back();
  shard.last_seq = seq;
  ++shard.records;
  group_->Put(streams_cf_, StreamRecordKey(table_id, stream.label_ms, seq), *record);
}

void Store::CloseStreamGroupLocked() {
  if (stream_seq_ == stream_seq_written_) return;
  const uint64_t now = options_.clock->NowMillis();
  // Roll over at group boundaries only, so a transaction's records share one shard.
  for (const auto& [table_id, label] : active_streams_) {
    auto it = streams_.find({table_id, label});
    if (it == streams_.end() || !NeedsRollover(it->second, options_.streams, now)) continue;
    CloseOpenShard(&it->second);
    OpenShard(&it->second, stream_seq_ + 1, now);
    PutStreamMetaLocked(it->second);
  }
  group_->Put(meta_cf_, kStreamSeqKey, keys::EncodeU64(stream_seq_));
  stream_seq_written_ = stream_seq_;
}

std::vector<StreamInfo> Store::ListStreams() const {
  MutexLock commit(&commit_mu_);
  std::vector<StreamInfo> out;
  out.reserve(streams_.size());
  for (const auto& [id, stream] : streams_) out.push_back(stream);
  std::sort(out.begin(), out.end(), [](const StreamInfo& a, const StreamInfo& b) {
    return std::pair(a.table_name, a.label_ms) < std::pair(b.table_name, b.label_ms);
  });
  return out;
}

std::optional<StreamInfo> Store::FindStream(std::string_view table_name, uint64_t label_ms) const {
  MutexLock commit(&commit_mu_);
  for (const auto& [id, stream] : streams_) {
    if (id.second == label_ms && stream.table_name == table_name) return stream;
  }
  return std::nullopt;
}

uint64_t Store::LastStreamSeq() const {
  MutexLock commit(&commit_mu_);
  return stream_seq_;
}

Status Store::ReadStream(const StreamInfo& stream, uint64_t from_seq, uint64_t to_seq, size_t limit,
                         size_t max_bytes, std::vector<StreamRecord>* out) const {
  if (from_seq > to_seq || limit == 0) return Status::Ok();
  rocksdb::ReadOptions ro;
  const std::string upper = StreamRecordKey(stream.table_id, stream.label_ms,
                                            to_seq == UINT64_MAX ? UINT64_MAX : to_seq + 1);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams_cf_));
  size_t bytes = 0;
  for (it->Seek(StreamRecordKey(stream.table_id, stream.label_ms, from_seq));
       it->Valid() && out->size() < limit; it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    auto record = DecodeStreamRecord(std::string_view(it->value().data(), it->value().size()),
                                     StreamRecordKeySeq(key));
    if (!record.ok()) return record.status();
    bytes += it->value().size();
    out->push_back(std::move(record).value());
    if (bytes >= max_bytes) break;
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return Status::Ok();
}

Status Store::TrimStreams() {
  const uint64_t now = options_.clock->NowMillis();
  const uint64_t retention = options_.streams.retention_ms;
  if (now <= retention) return Status::Ok();
  const uint64_t cutoff = now - retention;
  // The first record younger than the cutoff, per stream (records' times never go back).
  std::vector<std::pair<StreamInfo, uint64_t>> trims;
  for (const StreamInfo& stream : ListStreams()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
    const std::string prefix = StreamPrefix(stream.table_id, stream.label_ms);
    uint64_t keep = 0;  // the first record kept; 0: none seen
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const std::string_view key(it->key().data(), it->key().size());
      keep = StreamRecordKeySeq(key) + 1;  // expired so far
      auto record = DecodeStreamRecord(std::string_view(it->value().data(), it->value().size()),
                                       StreamRecordKeySeq(key));
      if (!record.ok() || record->time_ms >= cutoff) {
        --keep;
        break;
      }
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
    // A stream disabled for longer than the retention is gone with all its records.
    if (!stream.enabled() && stream.disabled_ms < cutoff) keep = UINT64_MAX;
    if (keep > stream.trimmed_before) trims.emplace_back(stream, keep);
  }
  if (trims.empty()) return Status::Ok();
  {
    MutexLock commit(&commit_mu_);
    if (!failed_.ok()) return failed_;
    for (auto& [copy, keep] : trims) {
      auto it = streams_.find({copy.table_id, copy.label_ms});
      if (it == streams_.end()) continue;
      StreamInfo& stream = it->second;
      group_->DeleteRange(streams_cf_, StreamPrefix(stream.table_id, stream.label_ms),
                          StreamRecordKey(stream.table_id, stream.label_ms, keep));
      if (keep == UINT64_MAX) {
        group_->Delete(meta_cf_, StreamMetaKey(stream.table_id, stream.label_ms));
        streams_.erase(it);
        continue;
      }
      stream.trimmed_before = std::max(stream.trimmed_before, keep);
      std::erase_if(stream.shards, [&](const StreamShard& shard) {
        return shard.closed && shard.last_seq < stream.trimmed_before;
      });
      PutStreamMetaLocked(stream);
    }
  }
  CommitPending();
  return Status::Ok();
}

}  // namespace meridian::store
