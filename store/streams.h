// DynamoDB Streams in the store (docs/streams.md): the streams of a region, their shards,
// and the records every applied change of a table with an enabled stream leaves.
//
// A stream belongs to one enabling of a table's stream (TableInfo::Stream::label_ms) and is
// identified here by (table_id, label_ms). Its records live in the `streams` column family
// under table_id (4) | label_ms (8) | seq (8), where seq is one region-wide counter assigned
// in staging order: a record is written in the same WriteBatch as the item version it
// describes, so readers see a gapless prefix of every stream, per item in commit order.
// Shards form one chain (each the parent of the next): a new one starts when the stream
// starts, on every restart, and when the open one reaches a size or age bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/attribute_value.h"
#include "store/table_info.h"

namespace meridian::store {

struct StreamShard {
  uint64_t first_seq = 0;  // StartingSequenceNumber
  uint64_t last_seq = 0;   // the last record's seq (EndingSequenceNumber once closed)
  bool closed = false;
  uint64_t created_ms = 0;
  uint64_t records = 0;
};

struct StreamInfo {
  uint32_t table_id = 0;  // local to this region
  std::string table_name;
  uint64_t label_ms = 0;
  StreamViewType view_type = StreamViewType::kNewAndOldImages;
  KeyAttribute partition_key;
  std::optional<KeyAttribute> sort_key;
  uint64_t disabled_ms = 0;         // 0: enabled
  std::vector<StreamShard> shards;  // oldest first; while enabled the last one is open
  uint64_t trimmed_before = 0;      // records below this seq are gone (retention)

  bool enabled() const { return disabled_ms == 0; }
  const StreamShard* FindShard(uint64_t first_seq) const;
  // The shard before `first_seq`'s (its parent), if still held.
  const StreamShard* ParentOf(uint64_t first_seq) const;
};

enum class StreamEvent { kInsert, kModify, kRemove };

struct StreamRecord {
  uint64_t seq = 0;
  StreamEvent event = StreamEvent::kInsert;
  uint64_t time_ms = 0;
  model::Item keys;
  std::optional<model::Item> new_image;
  std::optional<model::Item> old_image;
  bool ttl_expiry = false;  // userIdentity: the TTL service
  uint32_t size_bytes = 0;
};

// Limits of shards and records (StoreOptions).
struct StreamLimits {
  uint64_t retention_ms = uint64_t{24} * 3600 * 1000;  // DynamoDB: 24 hours
  uint64_t shard_max_records = 100'000;
  uint64_t shard_max_age_ms = uint64_t{4} * 3600 * 1000;  // DynamoDB shards last ~4 hours
};

// The encoded record (schemas/streams.capnp StreamRecord; its seq is its key's) a change of
// an item leaves in `stream` at `time_ms`: nullopt when the visible item did not change (a
// Put of an identical item, a Delete of a missing one). `previous` / `next`: the visible
// item before and after (nullptr: absent). `ttl_expiry`: a TTL sweeper's delete.
std::optional<std::string> EncodeStreamChange(const StreamInfo& stream, const model::Item* previous,
                                              const model::Item* next, uint64_t time_ms,
                                              bool ttl_expiry);

// Codecs (schemas/streams.capnp); decoders return Corruption and never throw.
std::string EncodeStreamInfo(const StreamInfo& info);
Result<StreamInfo> DecodeStreamInfo(std::string_view bytes);
Result<StreamRecord> DecodeStreamRecord(std::string_view bytes, uint64_t seq);

// Keys: the streams column family, and the meta entry of a stream.
std::string StreamPrefix(uint32_t table_id, uint64_t label_ms);
std::string StreamRecordKey(uint32_t table_id, uint64_t label_ms, uint64_t seq);
uint64_t StreamRecordKeySeq(std::string_view key);
std::string StreamMetaKey(uint32_t table_id, uint64_t label_ms);
inline const std::string kStreamMetaPrefix = "stream/";

// Shard bookkeeping: opens a shard starting at `first_seq`; closes the open one (an empty
// one is dropped); does the open shard need to roll over now?
void OpenShard(StreamInfo* stream, uint64_t first_seq, uint64_t now_ms);
void CloseOpenShard(StreamInfo* stream);
bool NeedsRollover(const StreamInfo& stream, const StreamLimits& limits, uint64_t now_ms);

}  // namespace meridian::store
