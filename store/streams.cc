#include "store/streams.h"

#include <capnp/message.h>

#include "common/big_endian.h"
#include "conflict/attribute_value_capnp.h"
#include "schemas/capnp_frame.h"
#include "schemas/streams.capnp.h"

namespace meridian::store {

namespace {

using conflict::internal::AsText;
using conflict::internal::ReadItem;
using conflict::internal::ToString;
using conflict::internal::WriteItem;

// Bounds the decoders (a record holds at most two 400 KB items).
constexpr uint64_t kMaxRecordWords = uint64_t{2} << 20;
constexpr uint64_t kMaxMetaWords = uint64_t{8} << 20;

model::Item KeysOf(const StreamInfo& stream, const model::Item& item) {
  model::Item keys;
  if (auto it = item.find(stream.partition_key.name); it != item.end()) keys.insert(*it);
  if (stream.sort_key) {
    if (auto it = item.find(stream.sort_key->name); it != item.end()) keys.insert(*it);
  }
  return keys;
}

schemas::StreamEvent ToSchema(StreamEvent e) {
  switch (e) {
    case StreamEvent::kInsert: return schemas::StreamEvent::INSERT;
    case StreamEvent::kModify: return schemas::StreamEvent::MODIFY;
    case StreamEvent::kRemove: return schemas::StreamEvent::REMOVE;
  }
  return schemas::StreamEvent::INSERT;
}

}  // namespace

const StreamShard* StreamInfo::FindShard(uint64_t first_seq) const {
  for (const auto& shard : shards) {
    if (shard.first_seq == first_seq) return &shard;
  }
  return nullptr;
}

const StreamShard* StreamInfo::ParentOf(uint64_t first_seq) const {
  const StreamShard* parent = nullptr;
  for (const auto& shard : shards) {
    if (shard.first_seq == first_seq) return parent;
    parent = &shard;
  }
  return nullptr;
}

std::optional<std::string> EncodeStreamChange(const StreamInfo& stream, const model::Item* previous,
                                              const model::Item* next, uint64_t time_ms,
                                              bool ttl_expiry) {
  if (!previous && !next) return std::nullopt;
  if (previous && next && *previous == *next) return std::nullopt;
  const StreamEvent event = !previous ? StreamEvent::kInsert
                            : !next   ? StreamEvent::kRemove
                                      : StreamEvent::kModify;
  const bool want_new = stream.view_type == StreamViewType::kNewImage ||
                        stream.view_type == StreamViewType::kNewAndOldImages;
  const bool want_old = stream.view_type == StreamViewType::kOldImage ||
                        stream.view_type == StreamViewType::kNewAndOldImages;
  const model::Item* new_image = want_new ? next : nullptr;
  const model::Item* old_image = want_old ? previous : nullptr;
  const model::Item keys = KeysOf(stream, next ? *next : *previous);
  size_t size = model::ItemByteSize(keys);  // SizeBytes: what the record carries
  if (new_image) size += model::ItemByteSize(*new_image);
  if (old_image) size += model::ItemByteSize(*old_image);
  // The images are written straight from the items (no copies on the write path).
  schemas::ScratchMessage scratch;
  capnp::MessageBuilder& message = scratch.builder();
  auto out = message.initRoot<schemas::StreamRecord>();
  out.setEvent(ToSchema(event));
  out.setTimeMs(time_ms);
  WriteItem(keys, out.initKeys(static_cast<unsigned>(keys.size())));
  if (new_image) {
    out.setHasNewImage(true);
    WriteItem(*new_image, out.initNewImage(static_cast<unsigned>(new_image->size())));
  }
  if (old_image) {
    out.setHasOldImage(true);
    WriteItem(*old_image, out.initOldImage(static_cast<unsigned>(old_image->size())));
  }
  out.setService(ttl_expiry && event == StreamEvent::kRemove);
  out.setSizeBytes(static_cast<uint32_t>(size));
  return schemas::WritePacked(message);
}

Result<StreamRecord> DecodeStreamRecord(std::string_view bytes, uint64_t seq) {
  auto read = [seq](capnp::MessageReader& reader) -> Result<StreamRecord> {
    auto in = reader.getRoot<schemas::StreamRecord>();
    StreamRecord r;
    r.seq = seq;
    switch (in.getEvent()) {
      case schemas::StreamEvent::INSERT: r.event = StreamEvent::kInsert; break;
      case schemas::StreamEvent::MODIFY: r.event = StreamEvent::kModify; break;
      case schemas::StreamEvent::REMOVE: r.event = StreamEvent::kRemove; break;
      default: return Status::Corruption("stream record: event");
    }
    r.time_ms = in.getTimeMs();
    auto keys = ReadItem(in.getKeys());
    if (!keys.ok()) return keys.status();
    r.keys = std::move(keys).value();
    if (in.getHasNewImage()) {
      auto image = ReadItem(in.getNewImage());
      if (!image.ok()) return image.status();
      r.new_image = std::move(image).value();
    }
    if (in.getHasOldImage()) {
      auto image = ReadItem(in.getOldImage());
      if (!image.ok()) return image.status();
      r.old_image = std::move(image).value();
    }
    r.ttl_expiry = in.getService();
    r.size_bytes = in.getSizeBytes();
    return r;
  };
  return schemas::DecodeFramed<StreamRecord>(bytes, "stream record", kMaxRecordWords, read);
}

std::string EncodeStreamInfo(const StreamInfo& s) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<schemas::StreamMeta>();
  out.setTableId(s.table_id);
  out.setTableName(AsText(s.table_name));
  out.setLabelMs(s.label_ms);
  out.setViewType(StreamViewTypeName(s.view_type));
  out.setPartitionKey(AsText(s.partition_key.name));
  out.setPartitionKeyType(KeyTypeName(s.partition_key.type));
  if (s.sort_key) {
    out.setSortKey(AsText(s.sort_key->name));
    out.setSortKeyType(KeyTypeName(s.sort_key->type));
  }
  out.setDisabledMs(s.disabled_ms);
  auto shards = out.initShards(static_cast<unsigned>(s.shards.size()));
  for (unsigned i = 0; i < s.shards.size(); ++i) {
    shards[i].setFirstSeq(s.shards[i].first_seq);
    shards[i].setLastSeq(s.shards[i].last_seq);
    shards[i].setClosed(s.shards[i].closed);
    shards[i].setCreatedMs(s.shards[i].created_ms);
    shards[i].setRecords(s.shards[i].records);
  }
  out.setTrimmedBefore(s.trimmed_before);
  return schemas::WritePacked(message);
}

Result<StreamInfo> DecodeStreamInfo(std::string_view bytes) {
  auto read = [](capnp::MessageReader& reader) -> Result<StreamInfo> {
    auto in = reader.getRoot<schemas::StreamMeta>();
    StreamInfo s;
    s.table_id = in.getTableId();
    s.table_name = ToString(in.getTableName());
    s.label_ms = in.getLabelMs();
    auto view = ParseStreamViewType(ToString(in.getViewType()));
    if (!view) return Status::Corruption("stream meta: view type");
    s.view_type = *view;
    auto pk_type = ParseKeyType(ToString(in.getPartitionKeyType()));
    if (!pk_type) return Status::Corruption("stream meta: key type");
    s.partition_key = {ToString(in.getPartitionKey()), *pk_type};
    if (in.getSortKey().size() > 0) {
      auto sk_type = ParseKeyType(ToString(in.getSortKeyType()));
      if (!sk_type) return Status::Corruption("stream meta: key type");
      s.sort_key = KeyAttribute{ToString(in.getSortKey()), *sk_type};
    }
    s.disabled_ms = in.getDisabledMs();
    for (auto shard : in.getShards()) {
      s.shards.push_back({shard.getFirstSeq(), shard.getLastSeq(), shard.getClosed(),
                          shard.getCreatedMs(), shard.getRecords()});
    }
    s.trimmed_before = in.getTrimmedBefore();
    return s;
  };
  return schemas::DecodeFramed<StreamInfo>(bytes, "stream meta", kMaxMetaWords, read);
}

std::string StreamPrefix(uint32_t table_id, uint64_t label_ms) {
  std::string key = BigEndian(table_id, 4);
  AppendBigEndian(label_ms, 8, &key);
  return key;
}

std::string StreamRecordKey(uint32_t table_id, uint64_t label_ms, uint64_t seq) {
  std::string key = StreamPrefix(table_id, label_ms);
  AppendBigEndian(seq, 8, &key);
  return key;
}

uint64_t StreamRecordKeySeq(std::string_view key) { return ReadBigEndian(key.substr(12), 8); }

std::string StreamMetaKey(uint32_t table_id, uint64_t label_ms) {
  return kStreamMetaPrefix + StreamPrefix(table_id, label_ms);
}

void OpenShard(StreamInfo* stream, uint64_t first_seq, uint64_t now_ms) {
  stream->shards.push_back({first_seq, 0, false, now_ms, 0});
}

void CloseOpenShard(StreamInfo* stream) {
  if (stream->shards.empty() || stream->shards.back().closed) return;
  if (stream->shards.back().records == 0) {
    stream->shards.pop_back();  // no record ever had a seq in it
    return;
  }
  stream->shards.back().closed = true;
}

bool NeedsRollover(const StreamInfo& stream, const StreamLimits& limits, uint64_t now_ms) {
  if (!stream.enabled() || stream.shards.empty() || stream.shards.back().closed) return false;
  const StreamShard& open = stream.shards.back();
  if (open.records == 0) return false;
  return open.records >= limits.shard_max_records ||
         now_ms >= open.created_ms + limits.shard_max_age_ms;
}

}  // namespace meridian::store
