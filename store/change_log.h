// Change-log records (schemas/changelog.capnp): one per committed write, keyed by the
// region's sequence number, written in the same WriteBatch as the item.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace meridian::store {

struct ChangeRecord {
  uint64_t seq = 0;
  uint32_t table_id = 0;
  std::string table_name;
  std::string item_key;    // RocksDB item key
  std::string item_bytes;  // encoded StoredItem (item_codec.h)
  int8_t count_delta = 0;  // live item count change of the table
  int64_t bytes_delta = 0; // size change of the table
};

std::string EncodeChangeRecord(const ChangeRecord& record);
// Corruption for malformed bytes; never throws.
Result<ChangeRecord> DecodeChangeRecord(std::string_view bytes);

}  // namespace meridian::store
