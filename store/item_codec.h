// Stored item format: a Cap'n Proto StoredItem (schemas/item.capnp) holding the attributes
// and the version's replication metadata. Packed framing is not used: RocksDB compresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/attribute_value.h"

namespace meridian::store {

struct ItemMeta {
  std::string origin_region;
  uint64_t seq = 0;
  uint64_t hlc = 0;
  bool tombstone = false;
};

struct StoredItem {
  model::Item item;  // empty for tombstones
  ItemMeta meta;
};

// Serializes to Cap'n Proto bytes (flat, unpacked, word aligned).
std::string EncodeStoredItem(const StoredItem& stored);

// Parses bytes from EncodeStoredItem. Corruption for bytes that are not a valid message
// (never throws: kj exceptions are caught here).
Result<StoredItem> DecodeStoredItem(std::string_view bytes);

}  // namespace meridian::store
