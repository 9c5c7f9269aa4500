// Stored item format: the item's conflict::ItemVersion (schemas/conflict.capnp) as encoded
// by conflict/version_codec.h; a merge table's visible item is materialized once when decoded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "conflict/item_version.h"
#include "model/attribute_value.h"

namespace meridian::store {

struct StoredItem {
  conflict::ItemVersion version;  // default: never written (a tombstone with no history)
  model::Item materialized;       // kMerge: Materialize(version); kLww: unused (empty)
  // model::ItemByteSize(item()), as of ShareStoredItem (0 before): what capacity units and
  // table sizes are computed from, so reads of a cached item do not walk it again.
  size_t item_bytes = 0;

  // The visible item, Materialize(version); empty for tombstones. An lww version holds
  // it already, so it is not copied (items are decoded on every read and remote apply).
  const model::Item& item() const {
    return version.policy == conflict::ConflictPolicy::kLww ? version.item : materialized;
  }
  bool tombstone() const { return version.tombstone; }
};

// A committed item as the store holds it: shared and immutable, read without copying.
// Empty when there is no item (never written, or deleted).
class ItemView {
 public:
  ItemView() = default;
  explicit ItemView(std::shared_ptr<const StoredItem> stored)
      : stored_(stored && !stored->tombstone() ? std::move(stored) : nullptr) {}

  bool has_value() const { return stored_ != nullptr; }
  explicit operator bool() const { return has_value(); }
  // REQUIRES: has_value().
  const model::Item& operator*() const { return stored_->item(); }
  const model::Item* operator->() const { return &stored_->item(); }
  // model::ItemByteSize of the item, 0 when there is none.
  size_t ByteSize() const { return stored_ ? stored_->item_bytes : 0; }

 private:
  std::shared_ptr<const StoredItem> stored_;
};

// Builds a StoredItem (materializing a merge version).
StoredItem MakeStoredItem(conflict::ItemVersion version);
// The immutable, shared form every reader gets: sets item_bytes. (The store shares items
// only through this.)
std::shared_ptr<const StoredItem> ShareStoredItem(StoredItem stored);
std::string EncodeStoredItem(const StoredItem& stored);
// Corruption for malformed bytes; never throws.
Result<StoredItem> DecodeStoredItem(std::string_view bytes);

}  // namespace meridian::store
